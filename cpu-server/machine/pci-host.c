/* SPDX-License-Identifier: MIT */
#include "pci-host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pci_slot {
	const struct pci_dev_ops *ops;
	void *opaque;
};

struct pci_host {
	uint64_t ecam_size;
	struct pci_slot slot[PCI_SLOTS];
};

/* Config header of the host bridge at 00:00.0; everything past it is 0. */
static const uint8_t bridge_cfg[0x40] = {
	[0x00] = 0x36, [0x01] = 0x1b,   /* vendor Red Hat */
	[0x02] = 0x08, [0x03] = 0x00,   /* device: gpex host bridge */
	[0x08] = 0x00,                  /* revision */
	[0x0a] = 0x00, [0x0b] = 0x06,   /* class: bridge / host bridge */
	[0x0e] = 0x00,                  /* header type 0 */
	[0x2c] = 0xf4, [0x2d] = 0x1a,   /* subsystem vendor Red Hat Qumranet */
	[0x2e] = 0x00, [0x2f] = 0x11,
};

static uint32_t bridge_read(void *opaque, unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (off + size <= sizeof(bridge_cfg))
		memcpy(&v, bridge_cfg + off, size);
	return v;
}

static void bridge_write(void *opaque, unsigned off, unsigned size,
			 uint32_t val)
{
	/* Command/BARs of the bridge are not modelled; writes are dropped. */
}

static const struct pci_dev_ops bridge_ops = {
	.cfg_read = bridge_read,
	.cfg_write = bridge_write,
};

struct pci_host *pci_host_new(uint64_t ecam_size)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ecam_size = ecam_size;
	h->slot[0].ops = &bridge_ops;
	return h;
}

void pci_host_free(struct pci_host *h)
{
	free(h);
}

int pci_host_register(struct pci_host *h, unsigned slot,
		      const struct pci_dev_ops *ops, void *opaque)
{
	if (slot == 0 || slot >= PCI_SLOTS || !ops || !ops->cfg_read ||
	    !ops->cfg_write)
		return -EINVAL;
	if (h->slot[slot].ops)
		return -EBUSY;
	h->slot[slot].ops = ops;
	h->slot[slot].opaque = opaque;
	return 0;
}

/* The slot behind an ECAM offset, or NULL for an empty/absent one. */
static struct pci_slot *lookup(struct pci_host *h, uint64_t off)
{
	unsigned bus = (unsigned)(off >> 20) & 0xff;
	unsigned dev = (unsigned)(off >> 15) & 0x1f;
	unsigned fn = (unsigned)(off >> 12) & 0x7;

	if (bus != 0 || fn != 0 || !h->slot[dev].ops)
		return NULL;
	return &h->slot[dev];
}

static int check(const struct pci_host *h, uint64_t off, unsigned size)
{
	if ((size != 1 && size != 2 && size != 4) || (off & (size - 1)) ||
	    off >= h->ecam_size)
		return -EINVAL;
	return 0;
}

int pci_host_ecam_read(struct pci_host *h, uint64_t off, unsigned size,
		       uint64_t *val)
{
	struct pci_slot *s;

	if (check(h, off, size) < 0)
		return -EINVAL;
	s = lookup(h, off);
	if (!s) {
		*val = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
		return 0;
	}
	*val = s->ops->cfg_read(s->opaque, (unsigned)(off & 0xfff), size);
	return 0;
}

int pci_host_ecam_write(struct pci_host *h, uint64_t off, unsigned size,
			uint64_t val)
{
	struct pci_slot *s;

	if (check(h, off, size) < 0)
		return -EINVAL;
	s = lookup(h, off);
	if (s)
		s->ops->cfg_write(s->opaque, (unsigned)(off & 0xfff), size,
				  (uint32_t)val);
	return 0;
}

unsigned pci_host_intx_irq(unsigned slot, unsigned pin)
{
	return PCI_INTX_IRQ_BASE + (slot + pin) % 4;
}
