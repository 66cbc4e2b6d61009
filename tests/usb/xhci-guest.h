/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for the xHCI core: guest RAM as an array at RAM_BASE, the
 * core's host ops over it, and a minimal driver doing what Linux's
 * xhci-hcd does through the registers (start, commands, transfer rings,
 * reading events). Shared by test-xhci.c, test-usb-redir-xhci.c and
 * fuzz-xhci-ring.c; xhci-guest-check.h has the tests' assertions over it.
 */
#ifndef ATOLL_TEST_XHCI_GUEST_H
#define ATOLL_TEST_XHCI_GUEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "xhci-int.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (2u << 20)
/* Where the driver keeps its structures (offsets in RAM). */
#define G_DCBAA 0x1000u
#define G_CMD 0x2000u          /* 64 TRBs, a Link back at the end */
#define G_EVT 0x3000u          /* 64 TRBs */
#define G_ERST 0x4000u
#define G_IN 0x5000u           /* input context */
#define G_OUT 0x6000u          /* device context of slot s at + 0x400*s */
#define G_RING(dci) (0x20000u + 0x1000u * (dci))   /* 255 TRBs + Link */
#define G_DATA 0x60000u
#define RING_TRBS 256u

struct guest {
	uint8_t *ram;
	struct xhci *x;
	bool irq;
	unsigned irq_edges;
	/* Runs the loop a device answers on (NULL: it answers at once). */
	void (*pump)(void);
	/* driver state */
	uint32_t cmd_idx;
	bool cmd_cycle;
	uint32_t ev_idx;
	bool ev_cycle;
	uint32_t ring_idx[32];
	bool ring_cycle[32];
};

static inline uint64_t g_addr(uint32_t off)
{
	return RAM_BASE + off;
}

static inline int g_dma_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	struct guest *g = o;

	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE ||
	    len > RAM_SIZE - (gpa - RAM_BASE))
		return -EFAULT;
	memcpy(buf, g->ram + (gpa - RAM_BASE), len);
	return 0;
}

static inline int g_dma_write(void *o, uint64_t gpa, const void *buf,
			      size_t len)
{
	struct guest *g = o;

	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE ||
	    len > RAM_SIZE - (gpa - RAM_BASE))
		return -EFAULT;
	memcpy(g->ram + (gpa - RAM_BASE), buf, len);
	return 0;
}

static inline void g_irq(void *o, bool level)
{
	struct guest *g = o;

	if (level && !g->irq)
		g->irq_edges++;
	g->irq = level;
}

static const struct xhci_host_ops g_ops = {
	.dma_read = g_dma_read,
	.dma_write = g_dma_write,
	.irq = g_irq,
};

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void g_wr(struct guest *g, uint32_t off, uint32_t v)
{
	xhci_mmio_write(g->x, off, 4, v);
}

static inline uint32_t g_rd(struct guest *g, uint32_t off)
{
	return (uint32_t)xhci_mmio_read(g->x, off, 4);
}

static inline void g_wr64(struct guest *g, uint32_t off, uint64_t v)
{
	xhci_mmio_write(g->x, off, 8, v);
}

static inline void g_trb(struct guest *g, uint32_t off, uint64_t param,
			 uint32_t status, uint32_t control)
{
	put_le64(g->ram + off, param);
	put_le32(g->ram + off + 8, status);
	put_le32(g->ram + off + 12, control);
}

/* Driver start: reset, DCBAA, command ring, one event ring segment of
 * 64 TRBs, interrupts on, run. */
static inline void g_start(struct guest *g)
{
	g->cmd_idx = 0;
	g->cmd_cycle = true;
	g->ev_idx = 0;
	g->ev_cycle = true;
	g_wr(g, XHCI_OP + 0x00, CMD_HCRST);
	g_wr(g, XHCI_OP + 0x38, XHCI_SLOTS);
	g_wr64(g, XHCI_OP + 0x30, g_addr(G_DCBAA));
	/* The command ring's last TRB links back, toggling the cycle. */
	g_trb(g, G_CMD + 63 * 16, g_addr(G_CMD), 0, TRB_LINK << 10 | TRB_TC);
	g_wr64(g, XHCI_OP + 0x18, g_addr(G_CMD) | CRCR_RCS);
	put_le64(g->ram + G_ERST, g_addr(G_EVT));
	put_le32(g->ram + G_ERST + 8, 64);
	g_wr(g, XHCI_RTS + 0x28, 1);
	g_wr64(g, XHCI_RTS + 0x38, g_addr(G_EVT));
	g_wr64(g, XHCI_RTS + 0x30, g_addr(G_ERST));
	g_wr(g, XHCI_RTS + 0x20, IMAN_IE);
	g_wr(g, XHCI_OP + 0x00, CMD_RS | CMD_INTE);
}

/* The next event, if any (and ERDP moved past it, EHB and IP cleared). */
static inline bool g_event(struct guest *g, struct trb *ev)
{
	const uint8_t *p = g->ram + G_EVT + 16 * g->ev_idx;

	if (!!(get_le32(p + 12) & TRB_C) != g->ev_cycle)
		return false;
	ev->param = get_le64(p);
	ev->status = get_le32(p + 8);
	ev->control = get_le32(p + 12);
	if (++g->ev_idx == 64) {
		g->ev_idx = 0;
		g->ev_cycle = !g->ev_cycle;
	}
	g_wr(g, XHCI_OP + 0x04, STS_EINT);
	g_wr(g, XHCI_RTS + 0x20, IMAN_IE | IMAN_IP);
	g_wr64(g, XHCI_RTS + 0x38, g_addr(G_EVT + 16 * g->ev_idx) | ERDP_EHB);
	return true;
}

/* Queues a command and rings doorbell 0. */
static inline void g_cmd_post(struct guest *g, uint64_t param, uint32_t status,
			      uint32_t control)
{
	g_trb(g, G_CMD + 16 * g->cmd_idx, param, status,
	      control | (g->cmd_cycle ? TRB_C : 0));
	if (++g->cmd_idx == 63) {
		/* Hand the Link TRB over with the current cycle. */
		uint8_t *l = g->ram + G_CMD + 63 * 16 + 12;

		put_le32(l, (get_le32(l) & ~TRB_C) | (g->cmd_cycle ? TRB_C : 0));
		g->cmd_idx = 0;
		g->cmd_cycle = !g->cmd_cycle;
	}
	g_wr(g, XHCI_DB, 0);
}

/* A transfer ring for `dci`: 255 TRBs and a toggling Link. */
static inline void g_ring_init(struct guest *g, unsigned dci)
{
	memset(g->ram + G_RING(dci), 0, 0x1000);
	g->ring_idx[dci] = 0;
	g->ring_cycle[dci] = true;
	g_trb(g, G_RING(dci) + 255 * 16, g_addr(G_RING(dci)), 0,
	      TRB_LINK << 10 | TRB_TC);
}

/* Queues one transfer TRB; returns its address. */
static inline uint64_t g_xfer(struct guest *g, unsigned dci, uint64_t param,
			      uint32_t status, uint32_t control)
{
	uint32_t off = G_RING(dci) + 16 * g->ring_idx[dci];

	g_trb(g, off, param, status,
	      control | (g->ring_cycle[dci] ? TRB_C : 0));
	if (++g->ring_idx[dci] == 255) {
		uint8_t *l = g->ram + G_RING(dci) + 255 * 16 + 12;

		put_le32(l, (get_le32(l) & ~TRB_C) |
			 (g->ring_cycle[dci] ? TRB_C : 0));
		g->ring_idx[dci] = 0;
		g->ring_cycle[dci] = !g->ring_cycle[dci];
	}
	return g_addr(off);
}

#endif
