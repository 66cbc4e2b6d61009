/* SPDX-License-Identifier: MIT */
/*
 * Consuming a ring (xHCI 4.9): TRBs belong to the controller while their
 * cycle bit equals the ring's consumer cycle state; Link TRBs move to
 * another segment and may toggle that state. A run of Link TRBs longer
 * than XHCI_MAX_LINKS is a loop (Linux's rings have a link per segment,
 * never two in a row), and a ring outside guest memory is an error: both
 * are the caller's to report.
 */
#include <errno.h>
#include <string.h>

#include "xhci-int.h"

int xhci_read(struct xhci *x, uint64_t gpa, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (gpa + len < gpa)
		return -EFAULT;
	return x->ops->dma_read(x->opaque, gpa, buf, len);
}

int xhci_write(struct xhci *x, uint64_t gpa, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (gpa + len < gpa)
		return -EFAULT;
	return x->ops->dma_write(x->opaque, gpa, buf, len);
}

/* A guest pointer the controller may use: non-zero and aligned. */
bool xhci_dma_ok_ptr(uint64_t p, uint64_t align)
{
	return p != 0 && (p & (align - 1)) == 0;
}

static int trb_read(struct xhci *x, uint64_t addr, struct trb *t)
{
	uint8_t b[TRB_SIZE];

	if (xhci_read(x, addr, b, sizeof(b)) < 0)
		return -EFAULT;
	t->param = 0;
	for (int i = 7; i >= 0; i--)
		t->param = t->param << 8 | b[i];
	t->status = b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
		    (uint32_t)b[11] << 24;
	t->control = b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 |
		     (uint32_t)b[15] << 24;
	return 0;
}

enum ring_fetch ring_fetch(struct xhci *x, struct ring *r, struct trb *t,
			   uint64_t *addr)
{
	struct ring cur = *r;

	for (unsigned links = 0; links <= XHCI_MAX_LINKS; links++) {
		if (!xhci_dma_ok_ptr(cur.deq, TRB_SIZE) ||
		    trb_read(x, cur.deq, t) < 0) {
			xhci_refuse(x, "ring at %#llx is outside guest memory",
				    (unsigned long long)cur.deq);
			return RING_ERROR;
		}
		if (!!(t->control & TRB_C) != cur.ccs)
			return RING_EMPTY;
		if (TRB_TYPE(t->control) != TRB_LINK) {
			*addr = cur.deq;
			cur.deq += TRB_SIZE;
			*r = cur;
			return RING_OK;
		}
		/* A Link TRB's pointer is 16-byte aligned (6.4.4.1). */
		if (t->control & TRB_TC)
			cur.ccs = !cur.ccs;
		cur.deq = t->param & ~0xfull;
		/* The link is consumed even if what follows is empty. */
		*r = cur;
	}
	xhci_refuse(x, "more than %u Link TRBs in a row at %#llx",
		    XHCI_MAX_LINKS, (unsigned long long)r->deq);
	return RING_ERROR;
}
