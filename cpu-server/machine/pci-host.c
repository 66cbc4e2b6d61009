/* SPDX-License-Identifier: MIT */
#include "pci-host.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pci_slot {
	const struct pci_dev_ops *ops;
	void *opaque;
};

/* One mapped BAR: [base, base + size) routes to slot's bar_read/write. */
struct pci_bar_window {
	uint64_t base, size;
	unsigned slot, bar;
};

#define PCI_MAX_WINDOWS (PCI_SLOTS * 6u)

struct pci_host {
	uint64_t ecam_size;
	struct pci_slot slot[PCI_SLOTS];
	pthread_rwlock_t bar_lock;      /* guards win, nwin */
	struct pci_bar_window win[PCI_MAX_WINDOWS];
	unsigned nwin;
	pthread_mutex_t irq_lock;       /* guards intx, set_irq */
	uint8_t intx[PCI_SLOTS];        /* bit p: pin p of the slot is high */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	void *irq_opaque;
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
	pthread_rwlock_init(&h->bar_lock, NULL);
	pthread_mutex_init(&h->irq_lock, NULL);
	return h;
}

void pci_host_free(struct pci_host *h)
{
	if (!h)
		return;
	pthread_rwlock_destroy(&h->bar_lock);
	pthread_mutex_destroy(&h->irq_lock);
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

int pci_host_bar_map(struct pci_host *h, unsigned slot, unsigned bar,
		     uint64_t base, uint64_t size)
{
	unsigned i;
	int r = 0;

	if (slot == 0 || slot >= PCI_SLOTS || bar >= 6 || !h->slot[slot].ops ||
	    base + size < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&h->bar_lock);
	for (i = 0; i < h->nwin; i++)
		if (h->win[i].slot == slot && h->win[i].bar == bar)
			break;
	if (size == 0) {
		if (i < h->nwin)
			h->win[i] = h->win[--h->nwin];
	} else if (i < h->nwin || h->nwin < PCI_MAX_WINDOWS) {
		if (i == h->nwin)
			h->nwin++;
		h->win[i] = (struct pci_bar_window){ base, size, slot, bar };
	} else {
		r = -ENOSPC;
	}
	pthread_rwlock_unlock(&h->bar_lock);
	return r;
}

/* Copies out the window holding [addr, addr + size): the device is then
 * called without the lock (slots are never removed), so a slow device
 * does not stall BAR programming on other harts. */
static bool find_window(struct pci_host *h, uint64_t addr, unsigned size,
			struct pci_bar_window *out)
{
	bool found = false;

	pthread_rwlock_rdlock(&h->bar_lock);
	for (unsigned i = 0; i < h->nwin && !found; i++) {
		const struct pci_bar_window *w = &h->win[i];

		if (addr >= w->base && addr - w->base < w->size &&
		    size <= w->size - (addr - w->base)) {
			*out = *w;
			found = true;
		}
	}
	pthread_rwlock_unlock(&h->bar_lock);
	return found;
}

int pci_host_mmio_read(struct pci_host *h, uint64_t addr, unsigned size,
		       uint64_t *val)
{
	struct pci_bar_window w;
	const struct pci_slot *s;

	*val = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	if (!find_window(h, addr, size, &w))
		return 0;
	s = &h->slot[w.slot];
	if (s->ops->bar_read &&
	    s->ops->bar_read(s->opaque, w.bar, addr - w.base, size, val) < 0)
		*val = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	return 0;
}

int pci_host_mmio_write(struct pci_host *h, uint64_t addr, unsigned size,
			uint64_t val)
{
	struct pci_bar_window w;
	const struct pci_slot *s;

	if (!find_window(h, addr, size, &w))
		return 0;
	s = &h->slot[w.slot];
	if (s->ops->bar_write)
		s->ops->bar_write(s->opaque, w.bar, addr - w.base, size, val);
	return 0;
}

void pci_host_set_irq_handler(struct pci_host *h,
			      void (*set_irq)(void *opaque, unsigned irq,
					      bool level),
			      void *opaque)
{
	pthread_mutex_lock(&h->irq_lock);
	h->set_irq = set_irq;
	h->irq_opaque = opaque;
	pthread_mutex_unlock(&h->irq_lock);
}

/* The level of a PLIC source: the OR of every slot/pin swizzled onto it. */
static bool irq_level(const struct pci_host *h, unsigned irq)
{
	for (unsigned d = 0; d < PCI_SLOTS; d++)
		for (unsigned p = 0; p < 4; p++)
			if ((h->intx[d] & (1u << p)) &&
			    pci_host_intx_irq(d, p) == irq)
				return true;
	return false;
}

void pci_host_set_intx(struct pci_host *h, unsigned slot, unsigned pin,
		       bool level)
{
	unsigned irq;

	if (slot >= PCI_SLOTS || pin >= 4)
		return;
	irq = pci_host_intx_irq(slot, pin);
	pthread_mutex_lock(&h->irq_lock);
	if (level)
		h->intx[slot] |= (uint8_t)(1u << pin);
	else
		h->intx[slot] &= (uint8_t)~(1u << pin);
	if (h->set_irq)
		h->set_irq(h->irq_opaque, irq, irq_level(h, irq));
	pthread_mutex_unlock(&h->irq_lock);
}
