/* SPDX-License-Identifier: MIT */
/*
 * Interrupter 0 and its event ring (xHCI 4.9.4, 4.17, 5.5.2). The event
 * ring segment table is read once, when the guest writes ERSTBA (as the
 * specification allows: software must not change it while the ring is
 * live); a table the controller cannot use (ERSTSZ 0 or above ERST Max, a
 * segment smaller than 16 TRBs or larger than 4096, outside guest
 * memory) makes the first event set USBSTS.HCE.
 *
 * The interrupt is INTx, level-triggered: high while IMAN.IP, IMAN.IE
 * and USBCMD.INTE are all set. The platform has no MSI or MSI-X, so
 * there is one interrupter; IMOD is kept but not applied (every event
 * interrupts at once: the core has no timers).
 */
#include <string.h>

#include "xhci-int.h"

void xhci_update_irq(struct xhci *x)
{
	bool level = (x->intr.iman & IMAN_IP) && (x->intr.iman & IMAN_IE) &&
		     (x->usbcmd & CMD_INTE);

	if (level != x->irq_level) {
		x->irq_level = level;
		x->ops->irq(x->opaque, level);
	}
}

void xhci_erst_load(struct xhci *x)
{
	struct xhci_intr *ir = &x->intr;
	uint8_t e[16];

	ir->valid = false;
	ir->full = false;
	if (ir->erstsz == 0 || ir->erstsz > ERST_MAX ||
	    !xhci_dma_ok_ptr(ir->erstba, 64))
		return;
	for (unsigned i = 0; i < ir->erstsz; i++) {
		uint64_t base = 0;
		uint32_t size;

		if (xhci_read(x, ir->erstba + 16 * i, e, sizeof(e)) < 0)
			return;
		for (int b = 7; b >= 0; b--)
			base = base << 8 | e[b];
		size = e[8] | (uint32_t)e[9] << 8;
		if (!xhci_dma_ok_ptr(base, 64) || size < 16 || size > 4096)
			return;
		ir->seg[i] = (struct xhci_erst){ base, size };
	}
	ir->nseg = ir->erstsz;
	ir->enq_seg = 0;
	ir->enq_idx = 0;
	ir->pcs = true;
	ir->valid = true;
}

static uint64_t enq_addr(const struct xhci_intr *ir, unsigned seg,
			 uint32_t idx)
{
	return ir->seg[seg].base + (uint64_t)idx * TRB_SIZE;
}

static void advance(const struct xhci_intr *ir, unsigned *seg, uint32_t *idx)
{
	if (++*idx == ir->seg[*seg].size) {
		*idx = 0;
		*seg = (*seg + 1) % ir->nseg;
	}
}

static int trb_write(struct xhci *x, uint64_t addr, const struct trb *t,
		     bool cycle)
{
	uint8_t b[TRB_SIZE];
	uint32_t ctl = (t->control & ~TRB_C) | (cycle ? TRB_C : 0);

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(t->param >> (8 * i));
	for (int i = 0; i < 4; i++) {
		b[8 + i] = (uint8_t)(t->status >> (8 * i));
		b[12 + i] = (uint8_t)(ctl >> (8 * i));
	}
	return xhci_write(x, addr, b, sizeof(b));
}

/* Writes `t` at the enqueue pointer and advances it. */
static int put(struct xhci *x, const struct trb *t)
{
	struct xhci_intr *ir = &x->intr;

	if (trb_write(x, enq_addr(ir, ir->enq_seg, ir->enq_idx), t,
		      ir->pcs) < 0) {
		xhci_host_error(x, "event ring outside guest memory");
		return -1;
	}
	advance(ir, &ir->enq_seg, &ir->enq_idx);
	if (ir->enq_seg == 0 && ir->enq_idx == 0)
		ir->pcs = !ir->pcs;
	return 0;
}

static void interrupt(struct xhci *x)
{
	x->intr.iman |= IMAN_IP;
	x->intr.erdp |= ERDP_EHB;
	x->usbsts |= STS_EINT;
	xhci_update_irq(x);
}

/* One slot always stays empty, so enqueue == dequeue means "nothing to
 * read"; the last slot before it takes the Event Ring Full event. */
void xhci_event(struct xhci *x, const struct trb *ev, bool bei)
{
	static const struct trb full = {
		.status = (uint32_t)CC_EVENT_RING_FULL << 24,
		.control = TRB_EV_HOST << 10,
	};
	struct xhci_intr *ir = &x->intr;
	uint64_t deq = ir->erdp & ~0xfull;
	unsigned seg = ir->enq_seg;
	uint32_t idx = ir->enq_idx;

	if (x->usbsts & STS_HCE)
		return;
	if (!ir->valid) {
		xhci_host_error(x, "event ring segment table unusable");
		return;
	}
	if (ir->full)
		return;                  /* lost until the guest catches up */
	advance(ir, &seg, &idx);
	if (enq_addr(ir, seg, idx) == deq) {
		ir->full = true;         /* the guest moved ERDP oddly */
		return;
	}
	advance(ir, &seg, &idx);
	if (enq_addr(ir, seg, idx) == deq) {
		xhci_refuse(x, "event ring full: events lost");
		ir->full = true;
		if (put(x, &full) == 0)
			interrupt(x);
		return;
	}
	if (put(x, ev) < 0)
		return;
	x->stats.events++;
	if (!bei)
		interrupt(x);
}

/* The guest moved its dequeue pointer: room again after a full ring, and
 * events it has not consumed yet interrupt again once EHB is clear. */
void xhci_erdp_written(struct xhci *x)
{
	struct xhci_intr *ir = &x->intr;
	uint64_t deq = ir->erdp & ~0xfull;
	uint64_t enq;

	if (!ir->valid)
		return;
	enq = enq_addr(ir, ir->enq_seg, ir->enq_idx);
	ir->full = false;
	if (!(ir->erdp & ERDP_EHB) && deq != enq)
		interrupt(x);
}
