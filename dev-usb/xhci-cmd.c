/* SPDX-License-Identifier: MIT */
/*
 * The command ring (xHCI 4.6): slots, device and endpoint contexts.
 * The controller's own copy of each slot and endpoint (struct xhci_slot)
 * is what it acts on; the guest's output device context is written from
 * it after every command that changes it, and input contexts are read
 * once, checked whole, then applied (a refused command changes nothing).
 *
 * Supported: Enable/Disable Slot, Address Device (BSR too), Configure
 * Endpoint (DC too), Evaluate Context, Reset/Stop Endpoint, Set TR
 * Dequeue Pointer, Reset Device, No Op. Anything else completes with TRB
 * Error.
 */
#include <string.h>

#include "xhci-int.h"

static uint32_t le32(const uint8_t *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t ctx_deq(const uint32_t *ctx)
{
	return ((uint64_t)ctx[3] << 32 | ctx[2]) & ~0xfull;
}

void xhci_ctx_writeback(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_slot *s = &x->slot[sid];
	struct xhci_ep *ep = &s->ep[dci];
	uint8_t b[CTX_SIZE] = { 0 };
	uint64_t deq;

	if (!s->out_ctx)
		return;
	s->ctx[3] = (s->ctx[3] & ~(0x1fu << 27)) | (uint32_t)s->state << 27;
	for (int i = 0; i < 4; i++)
		put32(b + 4 * i, s->ctx[i]);
	if (xhci_write(x, s->out_ctx, b, 16) < 0)
		goto bad;
	if (dci == 0)
		return;
	ep->ctx[0] = (ep->ctx[0] & ~7u) | ep->state;
	deq = ep->ring.deq | (ep->ring.ccs ? 1 : 0);
	ep->ctx[2] = (uint32_t)deq;
	ep->ctx[3] = (uint32_t)(deq >> 32);
	for (int i = 0; i < 5; i++)
		put32(b + 4 * i, ep->ctx[i]);
	if (xhci_write(x, s->out_ctx + CTX_SIZE * dci, b, 20) < 0)
		goto bad;
	return;
bad:
	xhci_refuse(x, "slot %u: device context at %#llx outside guest memory",
		    sid, (unsigned long long)s->out_ctx);
}

static void ep_disable(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];

	xhci_ep_cancel(x, sid, dci);
	xhci_ep_free(x, ep);
	memset(ep, 0, sizeof(*ep));
}

void xhci_slot_disable(struct xhci *x, unsigned sid)
{
	for (unsigned dci = 1; dci < 32; dci++)
		ep_disable(x, sid, dci);
	memset(&x->slot[sid], 0, sizeof(x->slot[sid]));
}

/* Reads `n` contexts of 32 bytes at input context `in` from index
 * `first` (0: the input control context). */
static int in_ctx(struct xhci *x, uint64_t in, unsigned first, unsigned n,
		  uint32_t (*out)[8])
{
	uint8_t b[CTX_SIZE];

	for (unsigned i = 0; i < n; i++) {
		if (xhci_read(x, in + CTX_SIZE * (first + i), b, sizeof(b)) < 0)
			return -1;
		for (int d = 0; d < 8; d++)
			out[i][d] = le32(b + 4 * d);
	}
	return 0;
}

/* An endpoint context the controller can run: Address Device's EP0 or
 * Configure Endpoint's `dci`. */
static bool ep_ctx_ok(const uint32_t *c, unsigned dci)
{
	unsigned type = (c[1] >> 3) & 7;
	unsigned mps = c[1] >> 16;

	if (mps == 0 || !xhci_dma_ok_ptr(ctx_deq(c), 16))
		return false;
	if (((c[0] >> 10) & 0x1f) != 0)    /* MaxPStreams: none offered */
		return false;
	if (dci == 1)
		return type == EPT_CONTROL;
	if (type == EPT_INVALID || type == EPT_CONTROL)
		return false;
	/* IN endpoints have odd DCIs, OUT ones even (4.5.1). */
	return (type >= EPT_ISOCH_IN) == (dci & 1);
}

static void ep_load(struct xhci_ep *ep, const uint32_t *c)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->ctx, c, sizeof(ep->ctx));
	ep->state = EP_RUNNING;
	ep->type = (c[1] >> 3) & 7;
	ep->mps = (uint16_t)(c[1] >> 16);
	ep->ring.deq = ctx_deq(c);
	ep->ring.ccs = c[2] & 1;
}

static unsigned cmd_enable_slot(struct xhci *x, unsigned *sid)
{
	unsigned max = x->config & 0xff;

	for (unsigned s = 1; s <= max; s++) {
		if (!x->slot[s].enabled) {
			memset(&x->slot[s], 0, sizeof(x->slot[s]));
			x->slot[s].enabled = true;
			x->slot[s].state = SLOT_ENABLED;
			*sid = s;
			return CC_SUCCESS;
		}
	}
	return CC_NO_SLOTS;
}

static unsigned cmd_address(struct xhci *x, unsigned sid,
			    const struct trb *t)
{
	struct xhci_slot *s = &x->slot[sid];
	bool bsr = t->control & TRB_BSR;
	uint32_t c[3][8];
	uint8_t b[8];
	uint64_t out = 0;
	unsigned port;

	if (s->state != SLOT_ENABLED && (s->state != SLOT_DEFAULT || bsr))
		return CC_CONTEXT_STATE;
	if (!xhci_dma_ok_ptr(t->param, 16) || in_ctx(x, t->param, 0, 3, c) < 0)
		return CC_PARAMETER;
	if ((c[0][1] & 3) != 3)            /* A0 and A1 */
		return CC_PARAMETER;
	port = (c[1][1] >> 16) & 0xff;
	if (port == 0 || port > XHCI_PORTS || (c[1][0] & 0xfffff) != 0 ||
	    !ep_ctx_ok(c[2], 1))
		return CC_PARAMETER;
	if (!xhci_dma_ok_ptr(x->dcbaap, 64) ||
	    xhci_read(x, x->dcbaap + 8 * sid, b, 8) < 0)
		return CC_PARAMETER;
	for (int i = 7; i >= 0; i--)
		out = out << 8 | b[i];
	if (!xhci_dma_ok_ptr(out, 64))
		return CC_PARAMETER;
	if (!x->port[port].dev || !x->port[port].dev->connected ||
	    !(x->port[port].portsc & PORTSC_PED))
		return CC_TRANSACTION;
	xhci_ep_cancel(x, sid, 1);
	xhci_ep_free(x, &s->ep[1]);
	s->port = (uint8_t)port;
	s->out_ctx = out;
	memcpy(s->ctx, c[1], sizeof(s->ctx));
	s->state = bsr ? SLOT_DEFAULT : SLOT_ADDRESSED;
	/* The USB address is the slot id (SET_ADDRESS reaches no device). */
	s->ctx[3] = bsr ? 0 : sid;
	ep_load(&s->ep[1], c[2]);
	xhci_ctx_writeback(x, sid, 1);
	return CC_SUCCESS;
}

static unsigned cmd_configure(struct xhci *x, unsigned sid,
			      const struct trb *t)
{
	struct xhci_slot *s = &x->slot[sid];
	uint32_t ctl[1][8], ep[32][8];
	uint32_t drop, add;
	unsigned last = 1;

	if (s->state != SLOT_ADDRESSED && s->state != SLOT_CONFIGURED)
		return CC_CONTEXT_STATE;
	if (t->control & TRB_DC) {
		for (unsigned dci = 2; dci < 32; dci++)
			if (s->ep[dci].state != EP_DISABLED)
				ep_disable(x, sid, dci);
		s->state = SLOT_ADDRESSED;
		s->ctx[0] = (s->ctx[0] & ~(0x1fu << 27)) | 1u << 27;
		xhci_ctx_writeback(x, sid, 0);
		return CC_SUCCESS;
	}
	if (!xhci_dma_ok_ptr(t->param, 16) || in_ctx(x, t->param, 0, 1, ctl) < 0)
		return CC_PARAMETER;
	drop = ctl[0][0];
	add = ctl[0][1];
	if ((drop & 3) || (add & 2))
		return CC_PARAMETER;
	/* Check every added context before changing anything. */
	for (unsigned dci = 2; dci < 32; dci++) {
		if (!(add & (1u << dci)))
			continue;
		if (in_ctx(x, t->param, dci + 1, 1, &ep[dci]) < 0 ||
		    !ep_ctx_ok(ep[dci], dci)) {
			xhci_refuse(x, "slot %u: endpoint context %u refused",
				    sid, dci);
			return CC_PARAMETER;
		}
	}
	for (unsigned dci = 2; dci < 32; dci++) {
		if ((drop | add) & (1u << dci)) {
			ep_disable(x, sid, dci);
			xhci_ctx_writeback(x, sid, dci);
		}
		if (add & (1u << dci))
			ep_load(&s->ep[dci], ep[dci]);
		if (s->ep[dci].state != EP_DISABLED)
			last = dci;
	}
	s->state = last > 1 ? SLOT_CONFIGURED : SLOT_ADDRESSED;
	/* Context Entries: the last valid endpoint context. */
	s->ctx[0] = (s->ctx[0] & ~(0x1fu << 27)) | last << 27;
	for (unsigned dci = 2; dci < 32; dci++)
		if (add & (1u << dci))
			xhci_ctx_writeback(x, sid, dci);
	xhci_ctx_writeback(x, sid, 0);
	return CC_SUCCESS;
}

static unsigned cmd_evaluate(struct xhci *x, unsigned sid,
			     const struct trb *t)
{
	struct xhci_slot *s = &x->slot[sid];
	uint32_t c[3][8];

	if (s->state == SLOT_ENABLED)
		return CC_CONTEXT_STATE;
	if (!xhci_dma_ok_ptr(t->param, 16) || in_ctx(x, t->param, 0, 3, c) < 0)
		return CC_PARAMETER;
	if ((c[0][1] & 2) && (c[2][1] >> 16) == 0)
		return CC_PARAMETER;
	if (c[0][1] & 1) {
		/* Max Exit Latency and Interrupter Target only. */
		s->ctx[1] = (s->ctx[1] & ~0xffffu) | (c[1][1] & 0xffffu);
		s->ctx[2] = (s->ctx[2] & 0x3fffffu) | (c[1][2] & ~0x3fffffu);
	}
	if (c[0][1] & 2) {
		s->ep[1].mps = (uint16_t)(c[2][1] >> 16);
		s->ep[1].ctx[1] = (s->ep[1].ctx[1] & 0xffffu) |
				  (c[2][1] & 0xffff0000u);
	}
	xhci_ctx_writeback(x, sid, 1);
	return CC_SUCCESS;
}

/* The endpoint a command names, or NULL (TRB Error). */
static struct xhci_ep *cmd_ep(struct xhci *x, unsigned sid,
			      const struct trb *t, unsigned *dci)
{
	*dci = TRB_EP(t->control);
	if (*dci == 0)
		return NULL;
	return &x->slot[sid].ep[*dci];
}

static unsigned cmd_reset_ep(struct xhci *x, unsigned sid,
			     const struct trb *t)
{
	unsigned dci;
	struct xhci_ep *ep = cmd_ep(x, sid, t, &dci);

	if (!ep)
		return CC_TRB;
	if (ep->state != EP_HALTED)
		return CC_CONTEXT_STATE;
	ep->state = EP_STOPPED;
	xhci_ctx_writeback(x, sid, dci);
	return CC_SUCCESS;
}

static unsigned cmd_stop_ep(struct xhci *x, unsigned sid,
			    const struct trb *t)
{
	unsigned dci;
	struct xhci_ep *ep = cmd_ep(x, sid, t, &dci);

	if (!ep)
		return CC_TRB;
	if (ep->state != EP_RUNNING)
		return CC_CONTEXT_STATE;
	/* A TD in progress stays at the dequeue pointer for the driver. */
	xhci_ep_cancel(x, sid, dci);
	ep->state = EP_STOPPED;
	xhci_ctx_writeback(x, sid, dci);
	return CC_SUCCESS;
}

static unsigned cmd_set_deq(struct xhci *x, unsigned sid,
			    const struct trb *t)
{
	unsigned dci;
	struct xhci_ep *ep = cmd_ep(x, sid, t, &dci);
	uint64_t deq = t->param & ~0xfull;

	if (!ep)
		return CC_TRB;
	if (ep->state != EP_STOPPED && ep->state != EP_ERROR)
		return CC_CONTEXT_STATE;
	if ((t->status >> 16) != 0 || ((t->param >> 1) & 7) != 0 ||
	    !xhci_dma_ok_ptr(deq, 16))
		return CC_PARAMETER;
	xhci_ep_cancel(x, sid, dci);
	ep->ring.deq = deq;
	ep->ring.ccs = t->param & 1;
	xhci_ctx_writeback(x, sid, dci);
	return CC_SUCCESS;
}

static unsigned cmd_reset_device(struct xhci *x, unsigned sid)
{
	struct xhci_slot *s = &x->slot[sid];

	if (s->state != SLOT_ADDRESSED && s->state != SLOT_CONFIGURED)
		return CC_CONTEXT_STATE;
	for (unsigned dci = 2; dci < 32; dci++)
		if (s->ep[dci].state != EP_DISABLED)
			ep_disable(x, sid, dci);
	xhci_ep_cancel(x, sid, 1);
	s->state = SLOT_DEFAULT;
	s->dev_config = 0;
	s->ctx[3] &= ~0xffu;
	s->ctx[0] = (s->ctx[0] & ~(0x1fu << 27)) | 1u << 27;
	xhci_ctx_writeback(x, sid, 0);
	return CC_SUCCESS;
}

static unsigned cmd_exec(struct xhci *x, const struct trb *t, unsigned *sid)
{
	unsigned type = TRB_TYPE(t->control);

	if (type == TRB_NOOP_CMD)
		return CC_SUCCESS;
	if (type == TRB_ENABLE_SLOT)
		return cmd_enable_slot(x, sid);
	if (type < TRB_DISABLE_SLOT || type > TRB_RESET_DEVICE) {
		xhci_refuse(x, "command TRB type %u refused", type);
		return CC_TRB;
	}
	/* Everything else names an enabled slot. */
	*sid = TRB_SLOT(t->control);
	if (*sid == 0 || *sid > XHCI_SLOTS || !x->slot[*sid].enabled)
		return CC_SLOT_NOT_ENABLED;
	switch (type) {
	case TRB_DISABLE_SLOT:
		xhci_slot_disable(x, *sid);
		return CC_SUCCESS;
	case TRB_ADDRESS_DEVICE:
		return cmd_address(x, *sid, t);
	case TRB_CONFIGURE_EP:
		return cmd_configure(x, *sid, t);
	case TRB_EVALUATE_CTX:
		return cmd_evaluate(x, *sid, t);
	case TRB_RESET_EP:
		return cmd_reset_ep(x, *sid, t);
	case TRB_STOP_EP:
		return cmd_stop_ep(x, *sid, t);
	case TRB_SET_TR_DEQ:
		return cmd_set_deq(x, *sid, t);
	default:
		return cmd_reset_device(x, *sid);
	}
}

void xhci_cmd_run(struct xhci *x)
{
	for (unsigned n = 0; n < XHCI_CMDS_PER_KICK; n++) {
		struct trb t, ev = { 0 };
		uint64_t addr;
		unsigned sid = 0, cc;

		if (!x->crr || !xhci_running(x))
			return;
		switch (ring_fetch(x, &x->cmd_ring, &t, &addr)) {
		case RING_EMPTY:
			return;
		case RING_ERROR:
			xhci_host_error(x, "command ring unusable");
			x->crr = false;
			return;
		case RING_OK:
			break;
		}
		cc = cmd_exec(x, &t, &sid);
		/* Linux resets a device in the Default state as a matter of
		 * course (before its first Address Device): not worth a log. */
		if (cc != CC_SUCCESS && !(cc == CC_CONTEXT_STATE &&
		    TRB_TYPE(t.control) == TRB_RESET_DEVICE))
			xhci_refuse(x, "command type %u slot %u: completion "
				    "code %u", TRB_TYPE(t.control), sid, cc);
		x->stats.commands++;
		ev.param = addr;
		ev.status = cc << 24;
		ev.control = TRB_EV_CMD_COMPLETE << 10 | sid << 24;
		xhci_event(x, &ev, false);
	}
	xhci_refuse(x, "more than %u commands on one doorbell",
		    XHCI_CMDS_PER_KICK);
}

/* CRCR.CS or CA (4.6.1.1): commands complete as they are rung, so there
 * is never one to abort; the ring stops and says where. */
void xhci_cmd_abort(struct xhci *x)
{
	struct trb ev = {
		.param = x->cmd_ring.deq,
		.status = (uint32_t)CC_CMD_RING_STOPPED << 24,
		.control = TRB_EV_CMD_COMPLETE << 10,
	};

	x->crr = false;
	xhci_event(x, &ev, false);
}
