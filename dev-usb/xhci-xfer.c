/* SPDX-License-Identifier: MIT */
/*
 * Transfer rings (xHCI 4.10, 4.11.2): a doorbell runs an endpoint's TDs
 * in order. A TD is walked whole before anything moves (its TRBs are
 * copied: the guest may change the ring meanwhile), then its data goes to
 * or from the device in chunks of at most XHCI_CHUNK bytes through the
 * endpoint's bounce buffer.
 *
 * A device answers a chunk at once, later (USB_RET_ASYNC: the endpoint
 * waits for usb_port_complete) or not yet (USB_RET_NAK: the endpoint
 * waits for usb_port_wakeup); either way the TD stays where it is and
 * resumes at the chunk it was at.
 *
 * Events follow Linux's expectations: one Transfer Event per TRB with IOC;
 * a short IN transfer reports on the TRB it ended in (ISP or IOC) and
 * skips the rest of a Normal TD, while a control TD still completes its
 * Status stage; an error (stall, babble, transaction error) halts the
 * endpoint with the TD left at the dequeue pointer, which the driver moves
 * with Reset Endpoint and Set TR Dequeue Pointer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xhci-int.h"

#define TRB_LEN(s) ((s) & 0x1ffffu)

static struct usb_device *slot_dev(struct xhci *x, unsigned sid)
{
	struct xhci_slot *s = &x->slot[sid];
	struct usb_device *d = s->port ? x->port[s->port].dev : NULL;

	return d && d->connected ? d : NULL;
}

static bool ep_is_in(const struct xhci_ep *ep)
{
	return ep->type >= EPT_ISOCH_IN;
}

static void xfer_event(struct xhci *x, unsigned sid, unsigned dci,
		       uint64_t param, unsigned cc, uint32_t residual,
		       bool ed, bool bei)
{
	struct trb ev = {
		.param = param,
		.status = (uint32_t)cc << 24 |
			  (residual > 0xffffffu ? 0xffffffu : residual),
		.control = TRB_EV_TRANSFER << 10 | dci << 16 | sid << 24 |
			   (ed ? 1u << 2 : 0),
	};

	xhci_event(x, &ev, bei);
}

/* The endpoint stops with an error for the TRB at `addr`. */
static void ep_halt(struct xhci *x, unsigned sid, unsigned dci, uint64_t addr,
		    unsigned cc, uint32_t residual)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];

	ep->state = EP_HALTED;
	ep->td_n = 0;
	xhci_ctx_writeback(x, sid, dci);
	xfer_event(x, sid, dci, addr, cc, residual, false, false);
}

static bool is_data_trb(const struct trb *t)
{
	unsigned type = TRB_TYPE(t->control);

	return type == TRB_NORMAL || type == TRB_DATA;
}

/*
 * Walks the TD at the dequeue pointer into ep->td. Returns 1 with a whole
 * TD, 0 if there is none yet (an empty ring, or a TD the guest is still
 * writing), -1 after a refusal (the endpoint is halted).
 */
static int td_walk(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	struct ring r = ep->ring;
	bool control = ep->type == EPT_CONTROL;
	uint64_t total = 0;
	unsigned n = 0;

	if (!ep->td) {
		size_t sz = XHCI_TD_MAX_TRBS * sizeof(*ep->td);

		if (x->mem_used + sz > XHCI_MEM_BUDGET ||
		    !(ep->td = calloc(XHCI_TD_MAX_TRBS, sizeof(*ep->td)))) {
			xhci_refuse(x, "slot %u ep %u: no memory for a TD", sid,
				    dci);
			ep_halt(x, sid, dci, r.deq, CC_RESOURCE, 0);
			return -1;
		}
		x->mem_used += sz;
	}
	for (;;) {
		struct td_trb *tt = &ep->td[n];
		enum ring_fetch f;
		unsigned type;
		bool ok;

		if (n == XHCI_TD_MAX_TRBS) {
			xhci_refuse(x, "slot %u ep %u: a TD of more than %u "
				    "TRBs", sid, dci, XHCI_TD_MAX_TRBS);
			ep_halt(x, sid, dci, ep->ring.deq, CC_TRB, 0);
			return -1;
		}
		f = ring_fetch(x, &r, &tt->t, &tt->addr);
		if (f == RING_EMPTY)
			return 0;
		if (f == RING_ERROR) {
			ep_halt(x, sid, dci, r.deq, CC_TRB, 0);
			return -1;
		}
		n++;
		type = TRB_TYPE(tt->t.control);
		/* Linux turns the TRBs of a TD it cancels into No-Ops, each
		 * its own TD: on a control ring too. */
		if (control)
			ok = n == 1 ? type == TRB_SETUP || type == TRB_NOOP :
			     type == TRB_DATA ? n == 2 :
			     type == TRB_NORMAL ? n > 2 &&
				     is_data_trb(&ep->td[n - 2].t) :
			     type == TRB_STATUS || type == TRB_EVENT_DATA ||
			     type == TRB_NOOP;
		else
			ok = type == TRB_NORMAL || type == TRB_EVENT_DATA ||
			     type == TRB_NOOP;
		if (ok && type == TRB_SETUP &&
		    (!(tt->t.control & TRB_IDT) || TRB_LEN(tt->t.status) != 8))
			ok = false;
		if (ok && is_data_trb(&tt->t)) {
			total += TRB_LEN(tt->t.status);
			/* Immediate data: at most 8 bytes, OUT only. */
			if ((tt->t.control & TRB_IDT) &&
			    (TRB_LEN(tt->t.status) > 8 ||
			     (control ? (ep->td[0].t.param & 0x80) :
			      ep_is_in(ep))))
				ok = false;
		}
		if (!ok) {
			xhci_refuse(x, "slot %u ep %u: TRB type %u at %#llx "
				    "refused", sid, dci, type,
				    (unsigned long long)tt->addr);
			ep_halt(x, sid, dci, tt->addr, CC_TRB, 0);
			return -1;
		}
		if (control ? type == TRB_STATUS || (n == 1 && type == TRB_NOOP) :
		    !(tt->t.control & TRB_CH))
			break;
	}
	if (total > XHCI_TD_MAX_BYTES) {
		xhci_refuse(x, "slot %u ep %u: a TD of %llu bytes", sid, dci,
			    (unsigned long long)total);
		ep_halt(x, sid, dci, ep->td[0].addr, CC_TRB, 0);
		return -1;
	}
	/* A control transfer moves at most wLength (16 bits) bytes. */
	if (control && total > 0xffff) {
		xhci_refuse(x, "slot %u: control data stage of %llu bytes",
			    sid, (unsigned long long)total);
		ep_halt(x, sid, dci, ep->td[0].addr, CC_TRB, 0);
		return -1;
	}
	ep->td_n = n;
	ep->td_end = r;
	ep->td_done = 0;
	return 1;
}

static uint64_t td_total(const struct xhci_ep *ep)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < ep->td_n; i++)
		if (is_data_trb(&ep->td[i].t))
			total += TRB_LEN(ep->td[i].t.status);
	return total;
}

static bool has_data(const struct xhci_ep *ep)
{
	for (unsigned i = 0; i < ep->td_n; i++)
		if (is_data_trb(&ep->td[i].t))
			return true;
	return false;
}

/* Copies TD bytes [pos, pos + len) between the guest and `buf`. */
static int td_copy(struct xhci *x, struct xhci_ep *ep, uint64_t pos,
		   uint8_t *buf, size_t len, bool to_guest)
{
	uint64_t start = 0;

	for (unsigned i = 0; i < ep->td_n && len; i++) {
		const struct trb *t = &ep->td[i].t;
		uint64_t tl, off, n;

		if (!is_data_trb(t))
			continue;
		tl = TRB_LEN(t->status);
		if (pos >= start + tl) {
			start += tl;
			continue;
		}
		off = pos - start;
		n = tl - off < len ? tl - off : len;
		if (t->control & TRB_IDT) {
			for (uint64_t b = 0; b < n; b++)
				buf[b] = (uint8_t)(t->param >> (8 * (off + b)));
		} else if ((to_guest ? xhci_write(x, t->param + off, buf, n) :
			    xhci_read(x, t->param + off, buf, n)) < 0) {
			return -EFAULT;
		}
		buf += n;
		len -= n;
		pos += n;
		start += tl;
	}
	return 0;
}

/* The data TRB holding TD byte `pos` (the last one if pos is the end),
 * and the bytes of it not moved. */
static unsigned trb_at(const struct xhci_ep *ep, uint64_t pos,
		       uint32_t *residual)
{
	uint64_t start = 0;
	unsigned last = 0;

	for (unsigned i = 0; i < ep->td_n; i++) {
		uint64_t tl;

		if (!is_data_trb(&ep->td[i].t))
			continue;
		tl = TRB_LEN(ep->td[i].t.status);
		last = i;
		if (pos < start + tl || (tl == 0 && pos == start)) {
			*residual = (uint32_t)(start + tl - pos);
			return i;
		}
		start += tl;
	}
	*residual = 0;
	return last;
}

/* The TD is done: `done` bytes moved, `cc` CC_SUCCESS (maybe short) or
 * CC_DATA_BUFFER (guest memory refused). Posts the events, advances the
 * ring. */
static void td_finish(struct xhci *x, unsigned sid, unsigned dci,
		      uint64_t done, unsigned cc)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	uint64_t total = td_total(ep);
	bool control = ep->type == EPT_CONTROL;
	bool short_pkt = done < total;
	uint32_t res;
	unsigned k = short_pkt || cc != CC_SUCCESS ? trb_at(ep, done, &res) :
		     ep->td_n;
	uint64_t edtla = 0;
	bool reported = false;

	for (unsigned i = 0; i < ep->td_n; i++) {
		const struct td_trb *tt = &ep->td[i];
		uint32_t c = tt->t.control;
		unsigned type = TRB_TYPE(c);
		bool bei = c & TRB_BEI;

		if (i < k || type == TRB_SETUP) {
			if (is_data_trb(&tt->t))
				edtla += TRB_LEN(tt->t.status);
			if (type == TRB_EVENT_DATA && (c & TRB_IOC))
				xfer_event(x, sid, dci, tt->t.param,
					   CC_SUCCESS, (uint32_t)edtla, true,
					   bei);
			else if (c & TRB_IOC)
				xfer_event(x, sid, dci, tt->addr, CC_SUCCESS,
					   0, false, bei);
			if (type == TRB_EVENT_DATA)
				edtla = 0;
			continue;
		}
		if (i == k) {
			edtla += TRB_LEN(tt->t.status) - res;
			if (cc != CC_SUCCESS) {
				xfer_event(x, sid, dci, tt->addr, cc, res,
					   false, false);
				reported = true;
			} else if (c & (TRB_ISP | TRB_IOC)) {
				xfer_event(x, sid, dci, tt->addr,
					   CC_SHORT_PACKET, res, false, bei);
				reported = true;
			}
			continue;
		}
		/* Past the short TRB: a control TD still has its Status
		 * stage; an Event Data TRB reports what was moved. */
		if (control && type == TRB_STATUS) {
			/* After an error event the TD is over for Linux. */
			if ((c & TRB_IOC) && !(reported && cc != CC_SUCCESS))
				xfer_event(x, sid, dci, tt->addr, cc, 0,
					   false, bei);
			reported = true;
		} else if (type == TRB_EVENT_DATA && !reported &&
			   (c & TRB_IOC)) {
			xfer_event(x, sid, dci, tt->t.param,
				   cc == CC_SUCCESS ? CC_SHORT_PACKET : cc,
				   (uint32_t)edtla, true, bei);
			reported = true;
		} else if (i == ep->td_n - 1 && !reported && (c & TRB_IOC)) {
			xfer_event(x, sid, dci, tt->addr,
				   cc == CC_SUCCESS ? CC_SHORT_PACKET : cc,
				   (uint32_t)(total - done), false, bei);
		}
	}
	ep->ring = ep->td_end;
	ep->td_n = 0;
	x->stats.transfers++;
}

static void td_failed(struct xhci *x, unsigned sid, unsigned dci,
		      uint64_t done, int status)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	unsigned cc = status == USB_RET_STALL ? CC_STALL :
		      status == USB_RET_BABBLE ? CC_BABBLE : CC_TRANSACTION;
	uint32_t res;
	unsigned k = trb_at(ep, done, &res);
	uint64_t addr;

	/* A control TD with no data stage stalls on its Status stage. */
	if (td_total(ep) == 0)
		k = ep->td_n - 1, res = 0;
	addr = ep->td[k].addr;
	ep->ring.deq = ep->td[0].addr;    /* the TD stays for the driver */
	ep_halt(x, sid, dci, addr, cc, res);
}

static uint8_t ep_address(unsigned dci)
{
	return dci == 1 ? 0 : (uint8_t)((dci / 2) | (dci & 1 ? 0x80 : 0));
}

/*
 * Runs the walked TD from ep->td_done on. Returns 1 when the TD is over
 * (finished or failed), 0 while the device holds it (NAK or async).
 */
static int td_run(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	struct usb_device *d = slot_dev(x, sid);
	bool control = ep->type == EPT_CONTROL;
	uint64_t total = td_total(ep);
	struct usb_packet *p = &ep->pkt;
	bool in;

	if (!d) {
		td_failed(x, sid, dci, ep->td_done, USB_RET_IOERROR);
		return 1;
	}
	if (ep->type == EPT_ISOCH_IN || ep->type == EPT_ISOCH_OUT) {
		xhci_refuse(x, "slot %u ep %u: isochronous transfers are not "
			    "supported", sid, dci);
		ep_halt(x, sid, dci, ep->td[0].addr, CC_TRB, 0);
		return 1;
	}
	in = control ? ep->td[0].t.param & 0x80 : ep_is_in(ep);
	if (TRB_TYPE(ep->td[0].t.control) == TRB_NOOP ||
	    (!control && !has_data(ep))) {
		/* No-op TRBs and Event Data alone: nothing for the device. */
		td_finish(x, sid, dci, 0, CC_SUCCESS);
		return 1;
	}
	do {
		size_t len = total - ep->td_done < XHCI_CHUNK ?
			     (size_t)(total - ep->td_done) : XHCI_CHUNK;
		int r;

		if (len > ep->buf_size) {
			/* Grown to what the endpoint's TDs need, in 4 KiB. */
			size_t want = (len + 4095) & ~(size_t)4095;
			uint8_t *nb = NULL;

			if (x->mem_used - ep->buf_size + want <= XHCI_MEM_BUDGET)
				nb = realloc(ep->buf, want);
			if (!nb) {
				xhci_refuse(x, "slot %u ep %u: no memory for a "
					    "%zu-byte buffer", sid, dci, want);
				ep_halt(x, sid, dci, ep->td[0].addr,
					CC_RESOURCE, 0);
				return 1;
			}
			x->mem_used += want - ep->buf_size;
			ep->buf = nb;
			ep->buf_size = want;
		}
		if (!in && td_copy(x, ep, ep->td_done, ep->buf, len,
				   false) < 0) {
			xhci_refuse(x, "slot %u ep %u: OUT data outside guest "
				    "memory", sid, dci);
			td_finish(x, sid, dci, ep->td_done, CC_DATA_BUFFER);
			return 1;
		}
		memset(p, 0, sizeof(*p));
		p->ep = control ? 0 : ep_address(dci);
		p->type = control ? USB_XFER_CONTROL :
			  ep->type == EPT_INT_IN || ep->type == EPT_INT_OUT ?
			  USB_XFER_INTERRUPT : USB_XFER_BULK;
		if (control) {
			uint64_t s = ep->td[0].t.param;

			p->setup = (struct usb_setup){
				.bmRequestType = (uint8_t)s,
				.bRequest = (uint8_t)(s >> 8),
				.wValue = (uint16_t)(s >> 16),
				.wIndex = (uint16_t)(s >> 32),
				.wLength = (uint16_t)(s >> 48),
			};
		}
		p->buf = ep->buf;
		p->len = len;
		p->id = ++x->pkt_seq << 11 | sid << 5 | dci;
		p->owner = x;
		r = d->ops->handle(d, p);
		if (r == USB_RET_ASYNC) {
			ep->async = true;
			return 0;
		}
		if (r == USB_RET_NAK) {
			ep->nak_wait = true;
			return 0;
		}
		if (r != USB_RET_SUCCESS) {
			td_failed(x, sid, dci, ep->td_done, r);
			return 1;
		}
		if (p->actual > len) {
			td_failed(x, sid, dci, ep->td_done, USB_RET_BABBLE);
			return 1;
		}
		if (in && td_copy(x, ep, ep->td_done, ep->buf, p->actual,
				  true) < 0) {
			xhci_refuse(x, "slot %u ep %u: IN buffer outside guest "
				    "memory", sid, dci);
			td_finish(x, sid, dci, ep->td_done, CC_DATA_BUFFER);
			return 1;
		}
		ep->td_done += p->actual;
		if (control && p->setup.bmRequestType == 0 &&
		    p->setup.bRequest == 9)      /* SET_CONFIGURATION */
			x->slot[sid].dev_config = (uint8_t)p->setup.wValue;
		if (p->actual < len)
			break;                   /* short: the TD ends */
	} while (ep->td_done < total);
	td_finish(x, sid, dci, ep->td_done, CC_SUCCESS);
	return 1;
}

void xhci_ep_run(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	unsigned rounds = 0;

	if (ep->busy) {
		ep->kick = true;
		return;
	}
	ep->busy = true;
	do {
		uint64_t moved = 0;

		ep->kick = false;
		for (unsigned n = 0; n < XHCI_TDS_PER_KICK; n++) {
			if (ep->state != EP_RUNNING || ep->async ||
			    ep->nak_wait || !xhci_running(x))
				break;
			if (!ep->td_n && td_walk(x, sid, dci) <= 0)
				break;
			moved += td_total(ep);
			if (!td_run(x, sid, dci))
				break;
			if (moved >= XHCI_BYTES_PER_KICK) {
				xhci_refuse(x, "slot %u ep %u: %llu bytes on "
					    "one doorbell; the rest waits for "
					    "the next", sid, dci,
					    (unsigned long long)moved);
				break;
			}
			if (n == XHCI_TDS_PER_KICK - 1)
				xhci_refuse(x, "slot %u ep %u: more than %u TDs "
					    "on one doorbell", sid, dci,
					    XHCI_TDS_PER_KICK);
		}
	} while (ep->kick && ++rounds < 4);
	ep->busy = false;
}

void xhci_doorbell(struct xhci *x, unsigned sid, uint32_t value)
{
	unsigned dci = value & 0xffu;
	struct xhci_ep *ep;

	if (sid > XHCI_SLOTS || !x->slot[sid].enabled || dci == 0 ||
	    dci > 31 || (value >> 16) != 0) {
		xhci_refuse(x, "doorbell %u value %#x refused", sid, value);
		return;
	}
	ep = &x->slot[sid].ep[dci];
	if (ep->state == EP_STOPPED)
		ep->state = EP_RUNNING;
	if (ep->state != EP_RUNNING) {
		if (ep->state == EP_DISABLED)
			xhci_refuse(x, "doorbell for disabled slot %u ep %u",
				    sid, dci);
		return;
	}
	xhci_ep_run(x, sid, dci);
}

void xhci_ep_cancel(struct xhci *x, unsigned sid, unsigned dci)
{
	struct xhci_ep *ep = &x->slot[sid].ep[dci];
	struct usb_device *d = x->slot[sid].port ?
			       x->port[x->slot[sid].port].dev : NULL;

	if (ep->async && d && d->ops->cancel)
		d->ops->cancel(d, &ep->pkt);
	ep->async = false;
	ep->nak_wait = false;
	ep->td_n = 0;
}

void xhci_ep_free(struct xhci *x, struct xhci_ep *ep)
{
	x->mem_used -= ep->buf_size + (ep->td ? XHCI_TD_MAX_TRBS *
				       sizeof(*ep->td) : 0);
	free(ep->buf);
	free(ep->td);
	ep->buf = NULL;
	ep->td = NULL;
	ep->buf_size = 0;
}

/* The port a device is plugged into (0: none). */
static unsigned dev_port(struct xhci *x, struct usb_device *d)
{
	for (unsigned p = 1; p <= XHCI_PORTS; p++)
		if (x->port[p].dev == d)
			return p;
	return 0;
}

static void port_complete(void *ctl, struct usb_device *d,
			  struct usb_packet *p)
{
	struct xhci *x = ctl;
	unsigned sid = (p->id >> 5) & 0x3f, dci = p->id & 0x1f;
	struct xhci_ep *ep;
	uint64_t total;
	bool in;

	if (sid == 0 || sid > XHCI_SLOTS || dci == 0 ||
	    !x->slot[sid].enabled ||
	    x->port[x->slot[sid].port].dev != d ||
	    !(ep = &x->slot[sid].ep[dci])->async || p != &ep->pkt) {
		xhci_log(x, "a completion for no pending transfer ignored");
		return;
	}
	ep->async = false;
	total = td_total(ep);
	in = ep->type == EPT_CONTROL ? ep->td[0].t.param & 0x80 : ep_is_in(ep);
	if (p->status == USB_RET_NAK) {
		/* Nothing yet: submitted again on wakeup. */
		ep->nak_wait = true;
		return;
	}
	if (p->status != USB_RET_SUCCESS || p->actual > p->len) {
		td_failed(x, sid, dci, ep->td_done, p->status ==
			  USB_RET_SUCCESS ? USB_RET_BABBLE : p->status);
	} else if (in && td_copy(x, ep, ep->td_done, ep->buf, p->actual,
				 true) < 0) {
		td_finish(x, sid, dci, ep->td_done, CC_DATA_BUFFER);
	} else {
		ep->td_done += p->actual;
		if (p->actual == p->len && ep->td_done < total) {
			/* More chunks: td_run carries on from td_done. */
			if (td_run(x, sid, dci) == 0)
				return;
		} else {
			td_finish(x, sid, dci, ep->td_done, CC_SUCCESS);
		}
	}
	xhci_ep_run(x, sid, dci);
	xhci_state_sync(x);
}

static void port_wakeup(void *ctl, struct usb_device *d, uint8_t epaddr)
{
	struct xhci *x = ctl;
	unsigned port = dev_port(x, d);
	unsigned dci = (epaddr & 0x7f) == 0 ? 1 :
		       (epaddr & 0xf) * 2u + (epaddr & 0x80 ? 1 : 0);

	if (!port || dci > 31)
		return;
	for (unsigned s = 1; s <= XHCI_SLOTS; s++) {
		struct xhci_ep *ep = &x->slot[s].ep[dci];

		if (!x->slot[s].enabled || x->slot[s].port != port ||
		    !ep->nak_wait)
			continue;
		ep->nak_wait = false;
		xhci_ep_run(x, s, dci);
	}
	xhci_state_sync(x);
}

/* A passthrough device learns its speed when its peer announces it: one
 * that does not fit its port's protocol moves to the paired port (USB 2
 * port i <-> USB 3 port i + 8), which the guest sees as a disconnection
 * here and a connection there. */
static void port_connection(void *ctl, struct usb_device *d, bool connected)
{
	struct xhci *x = ctl;
	unsigned port = dev_port(x, d);

	if (!port)
		return;
	if (connected && (d->speed == USB_SPEED_SUPER) != x->port[port].usb3) {
		unsigned other = x->port[port].usb3 ? port - XHCI_USB2_PORTS :
				 port + XHCI_USB2_PORTS;

		if (x->port[other].dev) {
			xhci_refuse(x, "port %u: a device of speed %u cannot "
				    "move to port %u, which is taken", port,
				    d->speed, other);
			return;
		}
		x->port[port].dev = NULL;
		if (x->port[port].portsc & PORTSC_CCS)
			xhci_port_connection(x, port, false);
		x->port[other].dev = d;
		port = other;
	}
	xhci_port_connection(x, port, connected);
	xhci_state_sync(x);
}

const struct usb_port_ops xhci_port_ops = {
	.complete = port_complete,
	.wakeup = port_wakeup,
	.connection = port_connection,
};

int xhci_attach(struct xhci *x, unsigned port, struct usb_device *d)
{
	if (port == 0 || port > XHCI_PORTS || !d ||
	    (d->speed == USB_SPEED_SUPER) != x->port[port].usb3)
		return -EINVAL;
	if (x->port[port].dev || d->port)
		return -EBUSY;               /* the port, or the device, is in use */
	x->port[port].dev = d;
	usb_port_attach(d, &xhci_port_ops, x);
	if (d->connected)
		xhci_port_connection(x, port, true);
	return 0;
}

unsigned xhci_free_port(const struct xhci *x, enum usb_speed speed)
{
	unsigned first = speed == USB_SPEED_SUPER ? XHCI_USB2_PORTS + 1 : 1;
	unsigned last = speed == USB_SPEED_SUPER ? XHCI_PORTS :
			XHCI_USB2_PORTS;

	for (unsigned p = first; p <= last; p++)
		if (!x->port[p].dev)
			return p;
	return 0;
}
