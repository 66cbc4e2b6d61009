/* SPDX-License-Identifier: MIT */
#include "gdev-set.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gdev.h"
#include "log.h"
#include "pci-host.h"
#include "peer.h"
#include "peer-watch.h"
#include "virt-fdt.h"
#include "virt-map.h"
#include "virt.h"

#define GDEV_SET_MAX 32u
#define WINDOW_ALIGN 0x1000ull     /* one page per window at least */
#define NODE_NAME_MAX 32u

struct gdev_entry {
	struct gdev_set *set;
	char name[64];
	struct gdev *dev;
	struct peer_watch peer;
	struct event *fault_ev;
	bool placed;
};

struct gdev_set {
	struct event_base *base;
	char me[64];
	gdev_set_fault_fn fault;
	void *opaque;
	struct gdev_entry *e[GDEV_SET_MAX];
	unsigned n;
	/* Platform placement so far, and the nodes handed to the machine. */
	uint64_t next_addr;
	unsigned next_irq;
	struct virt_fdt_dev nodes[GDEV_SET_MAX];
	char node_names[GDEV_SET_MAX][NODE_NAME_MAX];
	struct virt_fdt_prop props[GDEV_SET_MAX][GDEV_MAX_PROPS];
	unsigned nnodes;
	bool tree_given;           /* the machine booted with these nodes */
};

struct gdev_set *gdev_set_new(struct event_base *base, const char *me,
			      gdev_set_fault_fn fault, void *opaque)
{
	struct gdev_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = base;
	snprintf(s->me, sizeof(s->me), "%s", me ? me : "cpu");
	s->fault = fault;
	s->opaque = opaque;
	s->next_addr = VIRT_PLATFORM_BUS_BASE;
	s->next_irq = VIRT_PLATFORM_BUS_IRQ;
	return s;
}

static void entry_free(struct gdev_entry *e)
{
	peer_watch_disarm(&e->peer);
	if (e->fault_ev)
		event_free(e->fault_ev);
	gdev_free(e->dev);
	free(e);
}

void gdev_set_free(struct gdev_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		entry_free(s->e[i]);
	free(s);
}

static struct gdev_entry *find(const struct gdev_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->e[i]->name, name))
			return s->e[i];
	return NULL;
}

bool gdev_set_has(const struct gdev_set *s, const char *name)
{
	return find(s, name) != NULL;
}

static bool peer_ready(void *dev)
{
	return gdev_peer_ready(dev);
}

static int watch_peer(struct gdev_entry *e)
{
	return peer_watch_arm(&e->peer, e->set->base, gdev_peer_fd(e->dev));
}

static void on_fault(evutil_socket_t fd, short what, void *arg)
{
	struct gdev_entry *e = arg;
	char why[128];

	if (gdev_take_fault(e->dev, why, sizeof(why)) && e->set->fault)
		e->set->fault(e->set->opaque, e->name, why);
}

int gdev_set_add(struct gdev_set *s, const char *name, struct vpci_peer *peer,
		 const Atoll__DeviceDesc *dd)
{
	const struct gdev_params p = { .name = name, .me = s->me };
	struct gdev_entry *e;
	int rc;

	if (s->n == GDEV_SET_MAX) {
		vpci_peer_free(peer);
		log_error("%s: too many generic devices; left out", name);
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		vpci_peer_free(peer);
		return -ENOMEM;
	}
	e->set = s;
	snprintf(e->name, sizeof(e->name), "%s", name);
	rc = gdev_new(&p, peer, dd, &e->dev);
	if (rc < 0) {
		free(e);
		return rc == -ENOMEM ? rc : 0;
	}
	e->peer = (struct peer_watch){ .name = e->name, .ready = peer_ready,
				       .dev = e->dev };
	e->fault_ev = event_new(s->base, gdev_fault_fd(e->dev),
				EV_READ | EV_PERSIST, on_fault, e);
	rc = e->fault_ev && event_add(e->fault_ev, NULL) == 0 ? watch_peer(e)
							      : -ENOMEM;
	if (rc < 0) {
		entry_free(e);
		return rc;
	}
	s->e[s->n++] = e;
	return 0;
}

int gdev_set_reattach(struct gdev_set *s, const char *name, int fd)
{
	struct gdev_entry *e = find(s, name);
	int rc;

	if (!e) {
		close(fd);
		return 0;
	}
	log_info("%s: device restarted; re-attaching", e->name);
	/* Unwatch the old socket before the re-attach frees it. */
	peer_watch_disarm(&e->peer);
	rc = gdev_reattach(e->dev, fd);
	if (rc < 0)
		log_error("%s: re-attach failed: %s; its accesses keep reading "
			  "all ones", e->name, strerror(-rc));
	return watch_peer(e);
}

void gdev_set_hold(struct gdev_set *s, bool on)
{
	for (unsigned i = 0; s && i < s->n; i++)
		gdev_hold(s->e[i]->dev, on);
}

bool gdev_set_gone(struct gdev_set *s, const char *name)
{
	struct gdev_entry *e = find(s, name);

	if (!e)
		return false;
	log_info("%s: the launcher gave up on it; its accesses read all ones",
		 e->name);
	gdev_gone(e->dev);
	return true;
}

static int by_name(const void *a, const void *b)
{
	const struct gdev_entry *x = *(struct gdev_entry *const *)a;
	const struct gdev_entry *y = *(struct gdev_entry *const *)b;

	return strcmp(x->name, y->name);
}

static int plug_pci(struct gdev_entry *e, struct pci_host *h)
{
	int rc = -EBUSY;
	unsigned slot;

	for (slot = 1; slot < PCI_SLOTS && rc == -EBUSY; slot++)
		rc = gdev_plug_pci(e->dev, h, slot);
	if (rc < 0) {
		log_error("%s: no free PCI slot; left out", e->name);
		return 0;
	}
	log_info("%s: generic PCI function in slot 00:%02x.0, INTA -> PLIC %u",
		 e->name, slot - 1, pci_host_intx_irq(slot - 1, 0));
	return 0;
}

static void platform_set_irq(void *opaque, unsigned source, bool level)
{
	virt_set_irq(opaque, source, level);
}

/* Windows one after the other from the platform bus's base, each on a
 * page boundary; lines from VIRT_PLATFORM_BUS_IRQ up. */
static int plug_platform(struct gdev_set *s, struct gdev_entry *e,
			 struct virt *v)
{
	const struct gdev_desc *d = gdev_desc(e->dev);
	const uint64_t end = VIRT_PLATFORM_BUS_BASE + VIRT_PLATFORM_BUS_SIZE;
	uint64_t addr[GDEV_MAX_REGIONS], a = s->next_addr;
	unsigned irq[GDEV_MAX_IRQS];
	int rc;

	for (unsigned i = 0; i < d->nregions; i++) {
		uint64_t len = (d->region[i].size + WINDOW_ALIGN - 1) &
			       ~(WINDOW_ALIGN - 1);

		if (len > end - a) {
			log_error("%s: the platform bus is full; left out",
				  e->name);
			return 0;
		}
		addr[i] = a;
		a += len;
	}
	if (d->nirqs > VIRT_PLATFORM_BUS_IRQ + VIRT_PLATFORM_BUS_NUM_IRQS -
			       s->next_irq) {
		log_error("%s: no free PLIC sources; left out", e->name);
		return 0;
	}
	for (unsigned i = 0; i < d->nirqs; i++)
		irq[i] = s->next_irq + i;
	rc = gdev_plug_platform(e->dev, virt_platform_bus(v), addr, irq,
				platform_set_irq, v);
	if (rc < 0) {
		log_error("%s: cannot map its windows: %s; left out", e->name,
			  strerror(-rc));
		return 0;
	}
	s->next_addr = a;
	s->next_irq += d->nirqs;
	gdev_fdt_node(e->dev, &s->nodes[s->nnodes], s->node_names[s->nnodes],
		      NODE_NAME_MAX, s->props[s->nnodes]);
	s->nnodes++;
	log_info("%s: platform device %s at %#llx, %u line(s) from PLIC %u",
		 e->name, d->compatible, (unsigned long long)addr[0], d->nirqs,
		 d->nirqs ? irq[0] : 0);
	return 0;
}

int gdev_set_plug(struct gdev_set *s, struct virt *v)
{
	struct gdev_entry *order[GDEV_SET_MAX];
	int rc = 0;

	memcpy(order, s->e, s->n * sizeof(order[0]));
	qsort(order, s->n, sizeof(order[0]), by_name);
	for (unsigned i = 0; i < s->n && rc == 0; i++) {
		struct gdev_entry *e = order[i];

		if (e->placed)
			continue;
		e->placed = true;
		if (gdev_desc(e->dev)->bus == GDEV_BUS_PCI)
			rc = plug_pci(e, virt_pci_host(v));
		else if (!s->tree_given)
			rc = plug_platform(s, e, v);
		else
			log_error("%s: a platform device described after the "
				  "boot has no device-tree node; left out",
				  e->name);
	}
	virt_set_platform_devices(v, s->nodes, s->nnodes);
	s->tree_given = true;
	return rc;
}

unsigned gdev_set_count(const struct gdev_set *s)
{
	return s->n;
}
