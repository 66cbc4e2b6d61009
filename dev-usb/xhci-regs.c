/* SPDX-License-Identifier: MIT */
/*
 * The register file of BAR 0: capability, operational, runtime and
 * doorbell registers and the extended capabilities (xHCI 5.3-5.6, 7.2).
 * Registers are 32 bits wide; a 64-bit access is split into its two
 * halves, low first. Narrower writes are ignored (Linux never makes them
 * and a merge would hit the write-1-to-clear bits); narrower reads return
 * the bytes of the dword.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xhci-int.h"

/* HCIVERSION 1.0, CAPLENGTH 0x40. */
#define CAP_BASE (0x01000000u | XHCI_CAPLENGTH)
#define HCSPARAMS1 (XHCI_SLOTS | 1u << 8 | XHCI_PORTS << 24)
/* IST 1 frame; ERST Max; no scratchpad buffers. */
#define HCSPARAMS2 (1u | ERST_MAX_LOG2 << 4)
/* AC64, 32-byte contexts, no streams (MaxPSASize 0), xECP. */
#define HCCPARAMS1 (1u | (XHCI_XECP / 4) << 16)

void xhci_log(struct xhci *x, const char *fmt, ...)
{
	va_list ap;

	if (!x->ops->log)
		return;
	va_start(ap, fmt);
	x->ops->log(x->opaque, fmt, ap);
	va_end(ap);
}

void xhci_refuse(struct xhci *x, const char *fmt, ...)
{
	uint64_t n = ++x->stats.refusals;
	va_list ap;

	if (!x->ops->log || (n & (n - 1)))
		return;
	va_start(ap, fmt);
	x->ops->log(x->opaque, fmt, ap);
	va_end(ap);
}

void xhci_host_error(struct xhci *x, const char *why)
{
	if (!(x->usbsts & STS_HCE))
		xhci_refuse(x, "host controller error: %s", why);
	x->usbsts |= STS_HCE;
}

bool xhci_running(const struct xhci *x)
{
	return (x->usbcmd & CMD_RS) && !(x->usbsts & STS_HCE);
}

bool xhci_failed(const struct xhci *x)
{
	return x->usbsts & STS_HCE;
}

void xhci_get_stats(const struct xhci *x, struct xhci_stats *s)
{
	*s = x->stats;
}

/* HCRST (4.2): every slot freed, every register at its default, ports
 * re-evaluated from the devices plugged in. */
void xhci_reset(struct xhci *x)
{
	for (unsigned s = 1; s <= XHCI_SLOTS; s++)
		if (x->slot[s].enabled)
			xhci_slot_disable(x, s);
	x->usbcmd = 0;
	x->usbsts = STS_HCH;
	x->dnctrl = 0;
	x->config = 0;
	x->dcbaap = 0;
	x->cmd_ring = (struct ring){ 0 };
	x->crr = false;
	memset(&x->intr, 0, sizeof(x->intr));
	xhci_port_reset_all(x);
	xhci_update_irq(x);
}

struct xhci *xhci_new(const struct xhci_host_ops *ops, void *opaque)
{
	struct xhci *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->ops = ops;
	x->opaque = opaque;
	for (unsigned p = 1; p <= XHCI_PORTS; p++)
		x->port[p].usb3 = p > XHCI_USB2_PORTS;
	xhci_reset(x);
	return x;
}

void xhci_free(struct xhci *x)
{
	if (!x)
		return;
	for (unsigned s = 1; s <= XHCI_SLOTS; s++)
		if (x->slot[s].enabled)
			xhci_slot_disable(x, s);
	for (unsigned p = 1; p <= XHCI_PORTS; p++) {
		struct usb_device *d = x->port[p].dev;

		if (d) {
			d->port = NULL;
			d->ops->destroy(d);
		}
	}
	free(x);
}

/* Supported Protocol capabilities (7.2): USB 2.0 on ports 1..8, USB 3.0
 * on 9..16, default speed IDs (PSIC 0). Linux takes each port's speed
 * class from these. */
static uint32_t xecp_read(uint32_t off)
{
	static const uint32_t caps[] = {
		0x02000002u | 4u << 8, 0x20425355u,
		1u | XHCI_USB2_PORTS << 8, 0,
		0x03000002u, 0x20425355u,
		(XHCI_USB2_PORTS + 1) | XHCI_USB3_PORTS << 8, 0,
	};

	return off / 4 < sizeof(caps) / sizeof(caps[0]) ? caps[off / 4] : 0;
}

static uint32_t mfindex(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Microframes of 125 us, 14 bits. */
	return (uint32_t)(((uint64_t)ts.tv_sec * 8000u +
			   (uint64_t)ts.tv_nsec / 125000u) & 0x3fffu);
}

static uint32_t read32(struct xhci *x, uint32_t off)
{
	if (off < XHCI_OP) {
		switch (off) {
		case 0x00: return CAP_BASE;
		case 0x04: return HCSPARAMS1;
		case 0x08: return HCSPARAMS2;
		case 0x0c: return 0;
		case 0x10: return HCCPARAMS1;
		case 0x14: return XHCI_DB;
		case 0x18: return XHCI_RTS;
		default: return 0;
		}
	}
	if (off >= XHCI_PORT_BASE && off < XHCI_PORT_BASE + 0x10 * XHCI_PORTS) {
		unsigned port = (off - XHCI_PORT_BASE) / 0x10 + 1;

		/* PORTPMSC, PORTLI, PORTHLPMC read as zero. */
		return (off & 0xf) == 0 ? xhci_portsc_read(x, port) : 0;
	}
	if (off < XHCI_PORT_BASE) {
		switch (off - XHCI_OP) {
		case 0x00: return x->usbcmd;
		case 0x04: return x->usbsts;
		case 0x08: return 1;              /* PAGESIZE: 4 KiB */
		case 0x14: return x->dnctrl;
		case 0x18: return x->crr ? CRCR_CRR : 0;  /* pointer reads 0 */
		case 0x30: return (uint32_t)x->dcbaap;
		case 0x34: return (uint32_t)(x->dcbaap >> 32);
		case 0x38: return x->config;
		default: return 0;
		}
	}
	if (off >= XHCI_RTS && off < XHCI_RTS + 0x40) {
		const struct xhci_intr *ir = &x->intr;

		switch (off - XHCI_RTS) {
		case 0x00: return mfindex();
		case 0x20: return ir->iman;
		case 0x24: return ir->imod;
		case 0x28: return ir->erstsz;
		case 0x30: return (uint32_t)ir->erstba;
		case 0x34: return (uint32_t)(ir->erstba >> 32);
		case 0x38: return (uint32_t)ir->erdp;
		case 0x3c: return (uint32_t)(ir->erdp >> 32);
		default: return 0;
		}
	}
	if (off >= XHCI_XECP)
		return xecp_read(off - XHCI_XECP);
	return 0;                          /* doorbells read as zero */
}

static void usbcmd_write(struct xhci *x, uint32_t v)
{
	uint32_t old = x->usbcmd;

	if (v & CMD_HCRST) {
		xhci_reset(x);
		return;
	}
	x->usbcmd = v & (CMD_RS | CMD_INTE | CMD_HSEE | CMD_EWE);
	if ((v & CMD_RS) && !(old & CMD_RS)) {
		x->usbsts &= ~STS_HCH;
		xhci_port_notify_all(x);
	} else if (!(v & CMD_RS) && (old & CMD_RS)) {
		/* Stopping ends command ring activity (5.4.1). */
		x->usbsts |= STS_HCH;
		x->crr = false;
	}
	/* CSS/CRS: nothing to save; SRE never set. */
	xhci_update_irq(x);
}

static void crcr_write(struct xhci *x, bool high, uint32_t v)
{
	if (x->crr) {
		/* Running: only CS and CA mean something (5.4.5). */
		if (!high && (v & (CRCR_CS | CRCR_CA)))
			xhci_cmd_abort(x);
		return;
	}
	if (high) {
		x->cmd_ring.deq = (x->cmd_ring.deq & 0xffffffffu) |
				  (uint64_t)v << 32;
	} else {
		x->cmd_ring.deq = (x->cmd_ring.deq & ~0xffffffffull) |
				  (v & ~0x3fu);
		x->cmd_ring.ccs = v & CRCR_RCS;
	}
}

static void intr_write(struct xhci *x, uint32_t off, uint32_t v)
{
	struct xhci_intr *ir = &x->intr;
	uint64_t ehb;

	switch (off) {
	case 0x20:
		ir->iman = (ir->iman & ~IMAN_IE) | (v & IMAN_IE);
		if (v & IMAN_IP)
			ir->iman &= ~IMAN_IP;
		xhci_update_irq(x);
		break;
	case 0x24:
		ir->imod = v;     /* no moderation: every event interrupts */
		break;
	case 0x28:
		ir->erstsz = v & 0xffffu;
		break;
	case 0x30:
		ir->erstba = (ir->erstba & ~0xffffffffull) | (v & ~0x3fu);
		xhci_erst_load(x);
		break;
	case 0x34:
		ir->erstba = (ir->erstba & 0xffffffffu) | (uint64_t)v << 32;
		xhci_erst_load(x);
		break;
	case 0x38:
		/* EHB is write-1-to-clear; DESI is ours to ignore. */
		ehb = (v & ERDP_EHB) ? 0 : ir->erdp & ERDP_EHB;
		ir->erdp = (ir->erdp & ~0xffffffffull) | (v & ~0xfu) | ehb;
		xhci_erdp_written(x);
		break;
	case 0x3c:
		ir->erdp = (ir->erdp & 0xffffffffu) | (uint64_t)v << 32;
		xhci_erdp_written(x);
		break;
	default:
		break;
	}
}

static void write32(struct xhci *x, uint32_t off, uint32_t v)
{
	if (off >= XHCI_PORT_BASE && off < XHCI_PORT_BASE + 0x10 * XHCI_PORTS) {
		if ((off & 0xf) == 0)
			xhci_portsc_write(x, (off - XHCI_PORT_BASE) / 0x10 + 1,
					  v);
		return;
	}
	if (off >= XHCI_OP && off < XHCI_PORT_BASE) {
		switch (off - XHCI_OP) {
		case 0x00:
			usbcmd_write(x, v);
			break;
		case 0x04:
			/* HSE, EINT, PCD, SRE are write-1-to-clear. */
			x->usbsts &= ~(v & (STS_HSE | STS_EINT | STS_PCD |
					    STS_SRE));
			xhci_update_irq(x);
			break;
		case 0x14:
			x->dnctrl = v & 0xffffu;
			break;
		case 0x18:
		case 0x1c:
			crcr_write(x, off - XHCI_OP == 0x1c, v);
			break;
		case 0x30:
			x->dcbaap = (x->dcbaap & ~0xffffffffull) | (v & ~0x3fu);
			break;
		case 0x34:
			x->dcbaap = (x->dcbaap & 0xffffffffu) | (uint64_t)v << 32;
			break;
		case 0x38:
			x->config = (v & 0xffu) <= XHCI_SLOTS ? v & 0x3ffu :
				    XHCI_SLOTS;
			break;
		default:
			break;
		}
		return;
	}
	if (off >= XHCI_RTS && off < XHCI_RTS + 0x40) {
		intr_write(x, off - XHCI_RTS, v);
		return;
	}
	if (off >= XHCI_DB && off < XHCI_DB + 4 * (XHCI_SLOTS + 1)) {
		unsigned target = (off - XHCI_DB) / 4;

		if (!xhci_running(x))
			return;
		if (target == 0) {
			/* Host controller doorbell: DB Target 0 only. */
			if ((v & 0xffu) == 0) {
				x->crr = true;
				xhci_cmd_run(x);
			}
		} else {
			xhci_doorbell(x, target, v);
		}
	}
}

uint64_t xhci_mmio_read(struct xhci *x, uint64_t offset, unsigned size)
{
	uint32_t off = (uint32_t)offset;
	uint64_t v;

	if (offset + size > XHCI_BAR_SIZE || size == 0)
		return 0;
	x->stats.reads++;
	if (size == 8)
		return read32(x, off & ~3u) |
		       (uint64_t)read32(x, (off & ~3u) + 4) << 32;
	v = read32(x, off & ~3u) >> (8 * (off & 3));
	return size == 4 ? (uint32_t)v : v & ((1ull << (8 * size)) - 1);
}

void xhci_mmio_write(struct xhci *x, uint64_t offset, unsigned size,
		     uint64_t value)
{
	uint32_t off = (uint32_t)offset;

	if (offset + size > XHCI_BAR_SIZE || (off & 3)) {
		xhci_refuse(x, "unaligned register write at %#x", off);
		return;
	}
	x->stats.writes++;
	if (size == 8) {
		write32(x, off, (uint32_t)value);
		write32(x, off + 4, (uint32_t)(value >> 32));
	} else if (size == 4) {
		write32(x, off, (uint32_t)value);
	} else {
		xhci_refuse(x, "%u-byte register write at %#x ignored", size,
			    off);
	}
	xhci_state_sync(x);
}
