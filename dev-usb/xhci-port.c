/* SPDX-License-Identifier: MIT */
/*
 * Root hub ports (xHCI 4.19, PORTSC 5.4.8). Ports are always powered
 * (HCCPARAMS1.PPC = 0). A USB 2 port with a device is connected but
 * disabled until the guest resets it; a reset completes at once (PRC, PED,
 * U0). A USB 3 port is enabled on connection, as link training would.
 * Every 0 -> 1 change bit while the controller runs posts a Port Status
 * Change event and sets USBSTS.PCD.
 */
#include "xhci-int.h"

uint32_t xhci_portsc_read(struct xhci *x, unsigned port)
{
	return x->port[port].portsc;
}

static void port_event(struct xhci *x, unsigned port)
{
	struct trb ev = {
		.param = (uint64_t)port << 24,
		.status = (uint32_t)CC_SUCCESS << 24,
		.control = TRB_EV_PORT << 10,
	};

	x->usbsts |= STS_PCD;
	if (xhci_running(x))
		xhci_event(x, &ev, false);
}

/* Sets change bits; an event if one of them was clear. */
static void port_change(struct xhci *x, unsigned port, uint32_t bits)
{
	struct xhci_port *p = &x->port[port];
	bool news = (p->portsc & bits) != bits;

	p->portsc |= bits;
	if (news)
		port_event(x, port);
}

static void set_pls(struct xhci_port *p, unsigned pls)
{
	p->portsc = (p->portsc & ~PORTSC_PLS_MASK) | pls << PORTSC_PLS_SHIFT;
}

/* Connected (or not), link state and speed as the device is now, with no
 * change bits. */
static void port_settle(struct xhci *x, unsigned port)
{
	struct xhci_port *p = &x->port[port];
	struct usb_device *d = p->dev;

	p->portsc = PORTSC_PP | (p->portsc & PORTSC_WAKE_MASK);
	if (!d || !d->connected) {
		set_pls(p, PLS_RXDETECT);
		return;
	}
	p->portsc |= PORTSC_CCS | (uint32_t)d->speed << PORTSC_SPEED_SHIFT;
	if (p->usb3) {
		p->portsc |= PORTSC_PED;
		set_pls(p, PLS_U0);
	} else {
		set_pls(p, PLS_POLLING);
	}
}

void xhci_port_reset_all(struct xhci *x)
{
	for (unsigned port = 1; port <= XHCI_PORTS; port++) {
		struct xhci_port *p = &x->port[port];

		port_settle(x, port);
		/* A device present at reset is a new connection. */
		if (p->portsc & PORTSC_CCS)
			p->portsc |= PORTSC_CSC;
	}
}

void xhci_port_notify_all(struct xhci *x)
{
	for (unsigned port = 1; port <= XHCI_PORTS; port++)
		if (x->port[port].portsc & PORTSC_CHANGES)
			port_event(x, port);
}

/* The slot that addressed the device on `port`, if any: its endpoints
 * lose their device when it goes or is reset. */
static void port_slots_stop(struct xhci *x, unsigned port)
{
	for (unsigned s = 1; s <= XHCI_SLOTS; s++) {
		if (!x->slot[s].enabled || x->slot[s].port != port)
			continue;
		for (unsigned dci = 1; dci < 32; dci++)
			xhci_ep_cancel(x, s, dci);
		x->slot[s].dev_config = 0;
	}
}

void xhci_port_replug(struct xhci *x, unsigned port)
{
	port_settle(x, port);
	x->port[port].portsc |= PORTSC_CSC;
}

void xhci_port_connection(struct xhci *x, unsigned port, bool connected)
{
	port_slots_stop(x, port);
	port_settle(x, port);
	(void)connected;
	port_change(x, port, PORTSC_CSC);
}

static void port_reset(struct xhci *x, unsigned port, bool warm)
{
	struct xhci_port *p = &x->port[port];
	uint32_t changes = p->portsc & PORTSC_CHANGES;

	port_slots_stop(x, port);
	if (p->dev && p->dev->connected && p->dev->ops->reset)
		p->dev->ops->reset(p->dev);
	port_settle(x, port);
	p->portsc |= changes;
	if (!(p->portsc & PORTSC_CCS)) {
		port_change(x, port, PORTSC_PRC | (warm ? PORTSC_WRC : 0));
		return;
	}
	p->portsc |= PORTSC_PED;
	set_pls(p, PLS_U0);
	port_change(x, port, PORTSC_PRC | (warm ? PORTSC_WRC : 0));
}

void xhci_portsc_write(struct xhci *x, unsigned port, uint32_t v)
{
	struct xhci_port *p = &x->port[port];
	unsigned pls = (p->portsc & PORTSC_PLS_MASK) >> PORTSC_PLS_SHIFT;

	if ((v & PORTSC_PR) || ((v & PORTSC_WPR) && p->usb3)) {
		port_reset(x, port, (v & PORTSC_WPR) && p->usb3);
		return;
	}
	/* Write-1-to-clear: the change bits, and PED (disables). */
	p->portsc &= ~(v & PORTSC_CHANGES);
	if ((v & PORTSC_PED) && (p->portsc & PORTSC_PED)) {
		p->portsc &= ~PORTSC_PED;
		if (!p->usb3)
			set_pls(p, PLS_DISABLED);
	}
	p->portsc = (p->portsc & ~(PORTSC_PIC_MASK | PORTSC_WAKE_MASK)) |
		    (v & (PORTSC_PIC_MASK | PORTSC_WAKE_MASK));
	/* Link state writes (LWS) on an enabled port: suspend (U3) and
	 * resume (Resume, then U0; or U0 straight from U3). */
	if ((v & PORTSC_LWS) && (p->portsc & PORTSC_PED)) {
		unsigned want = (v & PORTSC_PLS_MASK) >> PORTSC_PLS_SHIFT;

		if (want == PLS_U3 && pls == PLS_U0) {
			set_pls(p, PLS_U3);
		} else if (want == PLS_RESUME && pls == PLS_U3 && !p->usb3) {
			set_pls(p, PLS_RESUME);
		} else if (want == PLS_U0 &&
			   (pls == PLS_U3 || pls == PLS_RESUME)) {
			set_pls(p, PLS_U0);
			port_change(x, port, PORTSC_PLC);
		} else if (want != pls) {
			xhci_refuse(x, "port %u: link state %u -> %u refused",
				    port, pls, want);
		}
	}
}
