/* SPDX-License-Identifier: MIT */
/*
 * The controller's state across a restart of atoll-usb: registers, ring
 * positions, slot and endpoint state, port state, as plain data (no
 * pointers) in a memfd the launcher keeps and hands to every start.
 *
 * Two copies alternate; each is framed by a sequence number written
 * before and after it, so a process killed in the middle of a copy leaves
 * the other copy intact. The copy is taken at the end of every entry
 * point (register write, device callback), so it never shows a command
 * or TD half done: one the dead process had started is done again from
 * the ring, where it still is (rings advance only when a TD completes).
 *
 * The loader trusts nothing: the previous process may have been
 * subverted by the guest. Every field is checked against what the
 * controller could have set, and a state that fails is refused whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xhci-int.h"

#define STATE_MAGIC 0x53494858u        /* "XHIS" */
#define STATE_VERSION 1u

struct saved_ep {
	uint8_t state, type, ccs, pad;
	uint16_t mps, pad2;
	uint64_t deq;
	uint32_t ctx[5];
};

struct saved_slot {
	uint8_t enabled, state, port, dev_config;
	uint32_t ctx[4];
	uint64_t out_ctx;
	struct saved_ep ep[32];
};

struct saved {
	uint32_t magic, version;
	uint64_t seq_begin;
	uint32_t size;                 /* sizeof(struct saved) */
	uint32_t usbcmd, usbsts, dnctrl, config;
	uint8_t crr, cmd_ccs, pad[2];
	uint64_t dcbaap, cmd_deq;
	/* interrupter 0 */
	uint32_t iman, imod, erstsz;
	uint8_t valid, pcs, full, nseg;
	uint64_t erstba, erdp;
	uint32_t enq_seg, enq_idx;
	uint64_t seg_base[ERST_MAX];
	uint32_t seg_size[ERST_MAX];
	uint32_t portsc[XHCI_PORTS + 1];
	struct saved_slot slot[XHCI_SLOTS + 1];
	uint64_t seq_end;
};

_Static_assert(2 * sizeof(struct saved) <= XHCI_STATE_SIZE,
	       "two copies of the state fit XHCI_STATE_SIZE");

size_t xhci_state_copy_size(void)
{
	return sizeof(struct saved);
}

static struct saved *copy(struct xhci *x, unsigned i)
{
	return (struct saved *)(x->state_mem + i * sizeof(struct saved));
}

int xhci_state_attach(struct xhci *x, void *mem, size_t len)
{
	if (!mem || len < 2 * sizeof(struct saved))
		return -EINVAL;
	x->state_mem = mem;
	x->state_len = len;
	return 0;
}

void xhci_state_sync(struct xhci *x)
{
	struct saved *s;
	uint64_t seq;

	if (!x->state_mem)
		return;
	seq = ++x->state_seq;
	s = copy(x, seq & 1);
	/* seq_begin first and seq_end last: a copy cut short by the
	 * process's death has them differ. */
	__atomic_store_n(&s->seq_begin, seq, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->magic = STATE_MAGIC;
	s->version = STATE_VERSION;
	s->size = sizeof(*s);
	s->usbcmd = x->usbcmd;
	s->usbsts = x->usbsts;
	s->dnctrl = x->dnctrl;
	s->config = x->config;
	s->crr = x->crr;
	s->cmd_ccs = x->cmd_ring.ccs;
	s->dcbaap = x->dcbaap;
	s->cmd_deq = x->cmd_ring.deq;
	s->iman = x->intr.iman;
	s->imod = x->intr.imod;
	s->erstsz = x->intr.erstsz;
	s->valid = x->intr.valid;
	s->pcs = x->intr.pcs;
	s->full = x->intr.full;
	s->nseg = (uint8_t)x->intr.nseg;
	s->erstba = x->intr.erstba;
	s->erdp = x->intr.erdp;
	s->enq_seg = x->intr.enq_seg;
	s->enq_idx = x->intr.enq_idx;
	for (unsigned i = 0; i < ERST_MAX; i++) {
		s->seg_base[i] = x->intr.seg[i].base;
		s->seg_size[i] = x->intr.seg[i].size;
	}
	for (unsigned p = 0; p <= XHCI_PORTS; p++)
		s->portsc[p] = x->port[p].portsc;
	for (unsigned i = 1; i <= XHCI_SLOTS; i++) {
		const struct xhci_slot *sl = &x->slot[i];
		struct saved_slot *d = &s->slot[i];

		d->enabled = sl->enabled;
		if (!sl->enabled)
			continue;         /* the rest is not read */
		d->state = sl->state;
		d->port = sl->port;
		d->dev_config = sl->dev_config;
		memcpy(d->ctx, sl->ctx, sizeof(d->ctx));
		d->out_ctx = sl->out_ctx;
		for (unsigned e = 1; e < 32; e++) {
			const struct xhci_ep *ep = &sl->ep[e];
			struct saved_ep *de = &d->ep[e];

			de->state = ep->state;
			de->type = ep->type;
			de->ccs = ep->ring.ccs;
			de->mps = ep->mps;
			/* A TD in progress starts over from its first TRB. */
			de->deq = ep->ring.deq;
			memcpy(de->ctx, ep->ctx, sizeof(de->ctx));
		}
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->seq_end, seq, __ATOMIC_RELEASE);
}

static bool intact(const struct saved *s)
{
	return s->magic == STATE_MAGIC && s->version == STATE_VERSION &&
	       s->size == sizeof(*s) && s->seq_begin == s->seq_end &&
	       s->seq_begin != 0;
}

/* Everything the controller could have written, and nothing else. */
static const char *check(const struct saved *s)
{
	if ((s->usbcmd & ~(CMD_RS | CMD_INTE | CMD_HSEE | CMD_EWE)) ||
	    (s->config & 0xff) > XHCI_SLOTS || s->crr > 1 || s->cmd_ccs > 1)
		return "operational registers";
	if (s->valid > 1 || s->pcs > 1 || s->full > 1 || s->erstsz > 0xffff ||
	    (s->iman & ~(IMAN_IP | IMAN_IE)))
		return "interrupter";
	if (s->valid) {
		if (s->nseg == 0 || s->nseg > ERST_MAX ||
		    s->enq_seg >= s->nseg)
			return "event ring segments";
		for (unsigned i = 0; i < s->nseg; i++)
			if (!xhci_dma_ok_ptr(s->seg_base[i], 64) ||
			    s->seg_size[i] < 16 || s->seg_size[i] > 4096)
				return "event ring segment";
		if (s->enq_idx >= s->seg_size[s->enq_seg])
			return "event ring enqueue pointer";
	}
	for (unsigned i = 1; i <= XHCI_SLOTS; i++) {
		const struct saved_slot *d = &s->slot[i];

		if (d->enabled > 1)
			return "slot";
		if (!d->enabled)
			continue;
		if (d->state > SLOT_CONFIGURED || d->port > XHCI_PORTS ||
		    (d->state != SLOT_ENABLED &&
		     (d->port == 0 || !xhci_dma_ok_ptr(d->out_ctx, 64))))
			return "slot";
		for (unsigned e = 1; e < 32; e++) {
			const struct saved_ep *de = &d->ep[e];

			if (de->state > EP_ERROR || de->type > EPT_INT_IN ||
			    de->ccs > 1)
				return "endpoint";
			if (de->state != EP_DISABLED &&
			    (de->mps == 0 || !xhci_dma_ok_ptr(de->deq, 16) ||
			     (e == 1) != (de->type == EPT_CONTROL) ||
			     (e > 1 && (de->type >= EPT_ISOCH_IN) != (e & 1))))
				return "endpoint";
		}
	}
	return NULL;
}

/* The device on the port is configured again as the guest left it. */
static void reconfigure(struct xhci *x, unsigned sid)
{
	struct xhci_slot *sl = &x->slot[sid];
	struct usb_device *d = x->port[sl->port].dev;
	struct usb_packet p = {
		.ep = 0, .type = USB_XFER_CONTROL,
		.setup = { .bmRequestType = 0, .bRequest = 9,
			   .wValue = sl->dev_config },
		.owner = x,
	};
	int r;

	if (!sl->dev_config || !d || !d->connected)
		return;
	r = d->ops->handle(d, &p);
	if (r == USB_RET_ASYNC) {
		/* Only a passthrough device answers late; it re-attaches
		 * through a new connection anyway. */
		if (d->ops->cancel)
			d->ops->cancel(d, &p);
	} else if (r != USB_RET_SUCCESS) {
		xhci_log(x, "slot %u: SET_CONFIGURATION %u again failed (%d)",
			 sid, sl->dev_config, r);
	}
}

static void apply(struct xhci *x, const struct saved *s)
{
	x->usbcmd = s->usbcmd;
	x->usbsts = s->usbsts & (STS_HCH | STS_HSE | STS_EINT | STS_PCD |
				 STS_HCE);
	x->dnctrl = s->dnctrl & 0xffffu;
	x->config = s->config & 0x3ffu;
	x->crr = s->crr;
	x->cmd_ring.ccs = s->cmd_ccs;
	x->dcbaap = s->dcbaap & ~0x3full;
	x->cmd_ring.deq = s->cmd_deq & ~0xfull;
	x->intr.iman = s->iman;
	x->intr.imod = s->imod;
	x->intr.erstsz = s->erstsz;
	x->intr.valid = s->valid;
	x->intr.pcs = s->pcs;
	x->intr.full = s->full;
	x->intr.nseg = s->valid ? s->nseg : 0;
	x->intr.erstba = s->erstba & ~0x3full;
	x->intr.erdp = s->erdp;
	x->intr.enq_seg = s->valid ? s->enq_seg : 0;
	x->intr.enq_idx = s->valid ? s->enq_idx : 0;
	for (unsigned i = 0; i < ERST_MAX; i++)
		x->intr.seg[i] = (struct xhci_erst){ s->seg_base[i],
						     s->seg_size[i] };
	for (unsigned i = 1; i <= XHCI_SLOTS; i++) {
		const struct saved_slot *d = &s->slot[i];
		struct xhci_slot *sl = &x->slot[i];

		if (!d->enabled)
			continue;
		sl->enabled = true;
		sl->state = d->state;
		sl->port = d->port;
		sl->dev_config = d->dev_config;
		memcpy(sl->ctx, d->ctx, sizeof(sl->ctx));
		sl->out_ctx = d->out_ctx;
		for (unsigned e = 1; e < 32; e++) {
			const struct saved_ep *de = &d->ep[e];
			struct xhci_ep *ep = &sl->ep[e];

			ep->state = de->state;
			ep->type = de->type;
			ep->mps = de->mps;
			ep->ring.deq = de->deq & ~0xfull;
			ep->ring.ccs = de->ccs;
			memcpy(ep->ctx, de->ctx, sizeof(ep->ctx));
		}
	}
	/* Ports: as saved where the same device is still there and
	 * connected; otherwise what is there now, with the change shown. */
	for (unsigned p = 1; p <= XHCI_PORTS; p++) {
		struct xhci_port *pt = &x->port[p];
		bool now = pt->dev && pt->dev->connected;
		bool was = s->portsc[p] & PORTSC_CCS;

		if (now && was &&
		    ((s->portsc[p] & PORTSC_SPEED_MASK) >> PORTSC_SPEED_SHIFT) ==
		    (uint32_t)pt->dev->speed)
			pt->portsc = s->portsc[p] & ~(PORTSC_PR | PORTSC_WPR);
		else if (now != was)
			xhci_port_replug(x, p);
	}
	for (unsigned i = 1; i <= XHCI_SLOTS; i++)
		if (x->slot[i].enabled && x->slot[i].port)
			reconfigure(x, i);
	/* Writes to the registers while no process served them were lost
	 * (atoll-cpu drops them): an acknowledgement of IMAN.IP or
	 * USBSTS.EINT among them would leave the line high with nothing to
	 * read, and Linux's handler, finding EINT clear, would call it
	 * spurious until the kernel disables the line. So the interrupt is
	 * pending exactly when there are events the guest has not read. */
	x->intr.iman &= ~IMAN_IP;
	x->usbsts &= ~STS_EINT;
	if (x->intr.valid &&
	    (x->intr.erdp & ~0xfull) != x->intr.seg[x->intr.enq_seg].base +
	    (uint64_t)x->intr.enq_idx * TRB_SIZE) {
		x->intr.iman |= IMAN_IP;
		x->usbsts |= STS_EINT;
	}
	xhci_update_irq(x);
}

int xhci_state_load(struct xhci *x, char *why, size_t why_len)
{
	const struct saved *a, *b, *s;
	const char *bad;

	if (!x->state_mem)
		return 0;
	a = copy(x, 0);
	b = copy(x, 1);
	s = intact(a) && (!intact(b) || a->seq_end > b->seq_end) ? a :
	    intact(b) ? b : NULL;
	if (!s) {
		/* All zero: the first start. Anything else is damage. */
		if (a->magic == 0 && b->magic == 0)
			return 0;
		snprintf(why, why_len, "no intact copy of the state");
		return -EINVAL;
	}
	if ((bad = check(s))) {
		snprintf(why, why_len, "saved %s refused", bad);
		return -EINVAL;
	}
	x->state_seq = s->seq_end;
	apply(x, s);
	xhci_state_sync(x);
	return 1;
}

void xhci_resume(struct xhci *x)
{
	if (!xhci_running(x))
		return;
	xhci_port_notify_all(x);
	if (x->crr)
		xhci_cmd_run(x);
	for (unsigned i = 1; i <= XHCI_SLOTS; i++)
		for (unsigned e = 1; e < 32 && x->slot[i].enabled; e++)
			if (x->slot[i].ep[e].state == EP_RUNNING)
				xhci_ep_run(x, i, e);
	xhci_state_sync(x);
}
