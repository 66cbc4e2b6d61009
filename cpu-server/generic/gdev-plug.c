/* SPDX-License-Identifier: MIT */
/*
 * Where a generic device appears: a PCI function (type-0 header emulated
 * here from the description, BARs forwarded) or platform-bus windows with
 * a device-tree node; and how its lines reach the PLIC.
 */
#include <errno.h>
#include <string.h>

#include "gdev-internal.h"
#include "log.h"
#include "pci-host.h"
#include "peer.h"
#include "platform-bus.h"
#include "virt-fdt.h"

/* --- lines ----------------------------------------------------------- */

void gdev_lines_update(struct gdev *g)
{
	if (g->desc.bus == GDEV_BUS_PCI) {
		bool level = g->desc.nirqs && g->level[0];
		bool out = level && g->pci_built &&
			   !(pci_func_command(&g->pci) & PCI_CMD_INTX_DISABLE);

		if (g->pci_built)
			pci_func_set_intx_status(&g->pci, level);
		if (out != g->out[0] && g->host)
			pci_host_set_intx(g->host, g->slot, 0, out);
		if (g->host)
			g->out[0] = out;
		return;
	}
	for (unsigned i = 0; i < g->desc.nirqs; i++) {
		if (g->level[i] == g->out[i] || !g->set_irq)
			continue;
		g->out[i] = g->level[i];
		g->set_irq(g->irq_opaque, g->source[i], g->level[i]);
	}
}

/* --- PCI ------------------------------------------------------------- */

/* A BAR is a power of two of at least 16 bytes; the region's own size
 * bounds what is forwarded (the rest reads all ones). */
static uint64_t bar_size(uint64_t size)
{
	uint64_t b = 16;

	while (b < size)
		b <<= 1;
	return b;
}

int gdev_pci_build(struct gdev *g)
{
	const struct gdev_desc *d = &g->desc;
	const struct pci_func_ids ids = {
		.vendor = d->vendor, .device = d->device,
		.subsys_vendor = d->subsys_vendor, .subsys_id = d->subsys_id,
		.revision = d->revision, .class_code = d->class_code,
		.intx_pin = d->nirqs ? 1 : 0,
	};
	int rc = 0;

	pci_func_init(&g->pci, &ids);
	g->pci_built = true;
	for (unsigned i = 0; i < d->nregions && rc == 0; i++)
		rc = pci_func_add_bar(&g->pci, d->region[i].index,
				      bar_size(d->region[i].size), false);
	return rc;
}

static uint32_t ops_cfg_read(void *opaque, unsigned off, unsigned size)
{
	return gdev_cfg_read(opaque, off, size);
}

static void ops_cfg_write(void *opaque, unsigned off, unsigned size,
			  uint32_t val)
{
	gdev_cfg_write(opaque, off, size, val);
}

static int ops_bar_read(void *opaque, unsigned bar, uint64_t off,
			unsigned size, uint64_t *val)
{
	*val = gdev_region_read(opaque, bar, off, size);
	return 0;
}

static int ops_bar_write(void *opaque, unsigned bar, uint64_t off,
			 unsigned size, uint64_t val)
{
	gdev_region_write(opaque, bar, off, size, val);
	return 0;
}

static const struct pci_dev_ops gdev_pci_ops = {
	.cfg_read = ops_cfg_read,
	.cfg_write = ops_cfg_write,
	.bar_read = ops_bar_read,
	.bar_write = ops_bar_write,
};

uint32_t gdev_cfg_read(struct gdev *g, unsigned off, unsigned size)
{
	return g->pci_built ? pci_func_cfg_read(&g->pci, off, size) : ~0u;
}

void gdev_cfg_write(struct gdev *g, unsigned off, unsigned size, uint32_t val)
{
	if (!g->pci_built)
		return;
	pci_func_cfg_write(&g->pci, off, size, val);
	/* The INTx disable bit may have changed. */
	if (off <= PCI_CFG_COMMAND + 1 && off + size > PCI_CFG_COMMAND + 1) {
		pthread_mutex_lock(&g->irq_lock);
		gdev_lines_update(g);
		pthread_mutex_unlock(&g->irq_lock);
	}
}

int gdev_plug_pci(struct gdev *g, struct pci_host *h, unsigned slot)
{
	int rc;

	if (g->desc.bus != GDEV_BUS_PCI || g->plugged)
		return -EINVAL;
	rc = pci_host_register(h, slot, &gdev_pci_ops, g);
	if (rc < 0)
		return rc;
	pci_func_plug(&g->pci, h, slot);
	pthread_mutex_lock(&g->irq_lock);
	g->host = h;
	g->slot = slot;
	gdev_lines_update(g);
	pthread_mutex_unlock(&g->irq_lock);
	g->plugged = true;
	return 0;
}

/* --- platform -------------------------------------------------------- */

static int win_read(void *opaque, unsigned window, uint64_t off,
		    unsigned size, uint64_t *val)
{
	*val = gdev_region_read(opaque, window, off, size);
	return 0;
}

static int win_write(void *opaque, unsigned window, uint64_t off,
		     unsigned size, uint64_t val)
{
	gdev_region_write(opaque, window, off, size, val);
	return 0;
}

static const struct platform_window_ops gdev_window_ops = {
	.read = win_read,
	.write = win_write,
};

void gdev_post_placed(struct gdev *g)
{
	for (unsigned i = 0; i < g->desc.nregions; i++)
		if (vpci_peer_region_placed(g->peer, g->desc.region[i].index,
					    g->placed[i]) < 0)
			log_warn("%s: cannot post REGION_PLACED", g->name);
}

int gdev_plug_platform(struct gdev *g, struct platform_bus *b,
		       const uint64_t *addr, const unsigned *irq,
		       gdev_set_irq_fn set_irq, void *opaque)
{
	int rc;

	if (g->desc.bus != GDEV_BUS_PLATFORM || g->plugged)
		return -EINVAL;
	for (unsigned i = 0; i < g->desc.nregions; i++) {
		rc = platform_bus_map(b, addr[i], g->desc.region[i].size,
				      &gdev_window_ops, g,
				      g->desc.region[i].index);
		if (rc < 0)
			return rc;
		g->placed[i] = addr[i];
	}
	pthread_mutex_lock(&g->irq_lock);
	for (unsigned i = 0; i < g->desc.nirqs; i++)
		g->source[i] = irq[i];
	g->set_irq = set_irq;
	g->irq_opaque = opaque;
	gdev_lines_update(g);
	pthread_mutex_unlock(&g->irq_lock);
	pthread_mutex_lock(&g->lock);
	g->plugged = true;
	gdev_post_placed(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* The node name: the compatible's model part ("google,goldfish-rtc" ->
 * "goldfish-rtc"), reduced to node-name characters. */
static void node_name(const char *compat, char *out, size_t len)
{
	const char *s = strchr(compat, ',');
	size_t n = 0;

	for (s = s ? s + 1 : compat; *s && n + 1 < len; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.' || *s == '+')
			out[n++] = *s;
		else if (*s >= 'A' && *s <= 'Z')
			out[n++] = (char)(*s - 'A' + 'a');
	if (n == 0)
		out[n++] = 'd';
	out[n] = 0;
}

void gdev_fdt_node(const struct gdev *g, struct virt_fdt_dev *n,
		   char *name, size_t name_len, struct virt_fdt_prop *props)
{
	memset(n, 0, sizeof(*n));
	node_name(g->desc.compatible, name, name_len);
	n->node_name = name;
	n->compatible = g->desc.compatible;
	n->nregs = g->desc.nregions;
	for (unsigned i = 0; i < g->desc.nregions; i++) {
		n->reg[i][0] = g->placed[i];
		n->reg[i][1] = g->desc.region[i].size;
	}
	n->nirqs = g->desc.nirqs;
	for (unsigned i = 0; i < g->desc.nirqs; i++)
		n->irq[i] = g->source[i];
	for (unsigned i = 0; i < g->desc.nprops; i++)
		props[i] = (struct virt_fdt_prop){ g->desc.prop[i].name,
						   g->desc.prop[i].value,
						   g->desc.prop[i].len };
	n->nprops = g->desc.nprops;
	n->props = props;
}
