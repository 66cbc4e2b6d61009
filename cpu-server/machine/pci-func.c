/* SPDX-License-Identifier: MIT */
#include "pci-func.h"

#include <errno.h>
#include <string.h>

#include "pci-host.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

void pci_func_init(struct pci_func *f, const struct pci_func_ids *ids)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	put16(f->cfg + PCI_CFG_VENDOR, ids->vendor);
	put16(f->cfg + PCI_CFG_DEVICE, ids->device);
	f->cfg[PCI_CFG_REVISION] = ids->revision;
	f->cfg[PCI_CFG_CLASS_PROG] = (uint8_t)ids->class_code;
	f->cfg[PCI_CFG_CLASS_PROG + 1] = (uint8_t)(ids->class_code >> 8);
	f->cfg[PCI_CFG_CLASS_PROG + 2] = (uint8_t)(ids->class_code >> 16);
	f->cfg[PCI_CFG_HEADER_TYPE] = 0;
	put16(f->cfg + PCI_CFG_SUBSYS_VENDOR, ids->subsys_vendor);
	put16(f->cfg + PCI_CFG_SUBSYS_ID, ids->subsys_id);
	f->cfg[PCI_CFG_INT_PIN] = ids->intx_pin;
	/* Writable: command (memory, bus master, INTx disable), line. */
	put16(f->wmask + PCI_CFG_COMMAND,
	      PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	f->wmask[PCI_CFG_INT_LINE] = 0xff;
	f->cap_end = PCI_CFG_CAP_START;
}

void pci_func_fini(struct pci_func *f)
{
	pthread_mutex_destroy(&f->lock);
}

int pci_func_add_bar(struct pci_func *f, unsigned bar, uint64_t size,
		     bool is_64)
{
	unsigned off = PCI_CFG_BAR0 + 4 * bar;
	uint64_t mask = ~(size - 1);

	if (bar >= PCI_FUNC_NUM_BARS || (is_64 && bar + 1 >= PCI_FUNC_NUM_BARS) ||
	    size < 16 || (size & (size - 1)) || f->bar_size[bar] || f->host ||
	    (!is_64 && size > 0x80000000ull))
		return -EINVAL;
	f->bar_size[bar] = size;
	f->bar_64[bar] = is_64;
	put32(f->cfg + off, is_64 ? PCI_BAR_MEM_64 : 0);
	/* Address bits below the size read as zero: that is the sizing. */
	put32(f->wmask + off, (uint32_t)mask & ~0xfu);
	if (is_64)
		put32(f->wmask + off + 4, (uint32_t)(mask >> 32));
	return 0;
}

int pci_func_add_cap(struct pci_func *f, uint8_t id, const void *body,
		     unsigned len)
{
	unsigned off = (f->cap_end + 3u) & ~3u;

	if (off + 2 + len > PCI_FUNC_CFG_SIZE || f->host)
		return -ENOSPC;
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	memcpy(f->cfg + off + 2, body, len);
	if (f->last_cap)
		f->cfg[f->last_cap + 1] = (uint8_t)off;
	else
		f->cfg[PCI_CFG_CAP_PTR] = (uint8_t)off;
	/* The status bit says a list exists: only once it does. */
	f->cfg[PCI_CFG_STATUS] |= PCI_STATUS_CAP_LIST;
	f->last_cap = off;
	f->cap_end = off + 2 + len;
	return (int)off;
}

void pci_func_plug(struct pci_func *f, struct pci_host *h, unsigned slot)
{
	pthread_mutex_lock(&f->lock);
	f->host = h;
	f->slot = slot;
	pthread_mutex_unlock(&f->lock);
}

/* The address BAR `bar` decodes at now, or 0 when it does not decode
 * (memory disabled, unprogrammed, or mid-sizing with all ones). */
static uint64_t bar_decode(const struct pci_func *f, unsigned bar)
{
	unsigned off = PCI_CFG_BAR0 + 4 * bar;
	uint64_t a;

	if (!(get16(f->cfg + PCI_CFG_COMMAND) & PCI_CMD_MEMORY))
		return 0;
	a = get32(f->cfg + off) & ~0xfu;
	if (f->bar_64[bar])
		a |= (uint64_t)get32(f->cfg + off + 4) << 32;
	if (a == (~(f->bar_size[bar] - 1) & ~0xfull) ||
	    (!f->bar_64[bar] && a == (~(f->bar_size[bar] - 1) & 0xfffffff0ull)))
		return 0;    /* the sizing pattern, not an address */
	return a;
}

/* Brings the host's window for every BAR in line with the registers. */
static void bars_update(struct pci_func *f)
{
	for (unsigned bar = 0; bar < PCI_FUNC_NUM_BARS; bar++) {
		uint64_t a;

		if (!f->bar_size[bar])
			continue;
		a = bar_decode(f, bar);
		if (a == f->mapped[bar] || !f->host)
			continue;
		if (pci_host_bar_map(f->host, f->slot, bar, a,
				     a ? f->bar_size[bar] : 0) == 0)
			f->mapped[bar] = a;
	}
}

uint32_t pci_func_cfg_read(struct pci_func *f, unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (off >= PCI_FUNC_CFG_SIZE || off + size > PCI_FUNC_CFG_SIZE ||
	    size > 4)
		return 0;
	pthread_mutex_lock(&f->lock);
	memcpy(&v, f->cfg + off, size);    /* host and PCI are little-endian */
	pthread_mutex_unlock(&f->lock);
	return v;
}

void pci_func_cfg_write(struct pci_func *f, unsigned off, unsigned size,
			uint32_t val)
{
	if (off >= PCI_FUNC_CFG_SIZE || off + size > PCI_FUNC_CFG_SIZE ||
	    size > 4)
		return;
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t m = f->wmask[off + i];
		uint8_t b = (uint8_t)(val >> (8 * i));

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
	}
	if (off < PCI_CFG_BAR0 + 4 * PCI_FUNC_NUM_BARS &&
	    off + size > PCI_CFG_COMMAND)
		bars_update(f);
	pthread_mutex_unlock(&f->lock);
}

uint16_t pci_func_command(struct pci_func *f)
{
	uint16_t v;

	pthread_mutex_lock(&f->lock);
	v = get16(f->cfg + PCI_CFG_COMMAND);
	pthread_mutex_unlock(&f->lock);
	return v;
}

void pci_func_set_intx_status(struct pci_func *f, bool level)
{
	pthread_mutex_lock(&f->lock);
	if (level)
		f->cfg[PCI_CFG_STATUS] |= PCI_STATUS_INTX;
	else
		f->cfg[PCI_CFG_STATUS] &= (uint8_t)~PCI_STATUS_INTX;
	pthread_mutex_unlock(&f->lock);
}
