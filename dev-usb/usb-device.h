/* SPDX-License-Identifier: MIT */
/*
 * The contract between atoll-usb's xHCI controller (xhci-*.c) and the USB
 * devices on its root ports (HID keyboard and tablet, mass storage,
 * usbredir passthrough). The controller knows nothing of a device's class;
 * a device knows nothing of xHCI rings.
 *
 *   - The controller moves data between guest memory and a bounce buffer
 *     it owns (struct usb_packet.buf); a device never sees a guest
 *     address, so it cannot be steered outside guest memory.
 *   - A transfer either completes inside the call (status other than
 *     USB_RET_ASYNC and USB_RET_NAK), waits for the device to have data
 *     (USB_RET_NAK: interrupt IN with nothing to report; the device calls
 *     usb_port_wakeup() when it has, and the controller submits again), or
 *     completes later (USB_RET_ASYNC: usbredir; the device calls
 *     usb_port_complete() exactly once, or the controller cancels it).
 *   - Everything runs on the process's one loop thread.
 *
 * SET_ADDRESS never reaches a device: xHCI's Address Device command
 * assigns the address, and devices are told apart by their port.
 */
#ifndef ATOLL_USB_DEVICE_H
#define ATOLL_USB_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Port speeds, numbered as xHCI's default Protocol Speed IDs (PORTSC). */
enum usb_speed {
	USB_SPEED_FULL = 1,
	USB_SPEED_LOW = 2,
	USB_SPEED_HIGH = 3,
	USB_SPEED_SUPER = 4,
};

/* A transfer's outcome (usb_packet.status). */
enum usb_ret {
	USB_RET_SUCCESS = 0,   /* p->actual bytes moved (may be short) */
	USB_RET_NAK = -1,      /* nothing now; retried after usb_port_wakeup */
	USB_RET_STALL = -2,    /* the endpoint (or request) is halted */
	USB_RET_BABBLE = -3,   /* the device sent more than p->len */
	USB_RET_IOERROR = -4,  /* the transfer failed (device gone, ...) */
	USB_RET_ASYNC = -5,    /* completes later via usb_port_complete */
};

/* The SETUP packet of a control transfer, in host byte order. */
struct usb_setup {
	uint8_t bmRequestType;  /* bit 7: 1 = device-to-host (IN) */
	uint8_t bRequest;
	uint16_t wValue;
	uint16_t wIndex;
	uint16_t wLength;
};

struct usb_device;

/* One transfer on one endpoint. The controller owns the packet and its
 * buffer; a device keeps a pointer only while it is USB_RET_ASYNC. */
struct usb_packet {
	uint8_t ep;             /* endpoint address: number | 0x80 for IN;
				 * 0 for the default control pipe */
	uint8_t type;           /* USB_XFER_* */
	struct usb_setup setup; /* control transfers only */
	uint8_t *buf;           /* IN: the device fills up to len bytes;
				 * OUT: len bytes the guest sent */
	size_t len;
	size_t actual;          /* bytes moved, set by the device */
	int status;             /* an enum usb_ret, set by the device */
	uint64_t id;            /* the controller's tag (unique while live) */
	void *owner;            /* the controller's, untouched by devices */
};

enum usb_xfer_type {
	USB_XFER_CONTROL = 0,
	USB_XFER_ISOC = 1,
	USB_XFER_BULK = 2,
	USB_XFER_INTERRUPT = 3,
};

struct usb_device_ops {
	/*
	 * Handles a packet: a control transfer (p->ep == 0, p->setup set; for
	 * an OUT request p->buf holds wLength bytes) or a bulk/interrupt
	 * transfer. Sets p->status and p->actual and returns p->status.
	 * A device must check every field: the guest chose them.
	 */
	int (*handle)(struct usb_device *d, struct usb_packet *p);
	/* Withdraws a packet that returned USB_RET_ASYNC and has not been
	 * completed (Stop Endpoint, port reset, slot disabled). After this
	 * the device must not touch p. Optional for devices that never
	 * return USB_RET_ASYNC. */
	void (*cancel)(struct usb_device *d, struct usb_packet *p);
	/* Port reset: back to the default state, unconfigured. Optional. */
	void (*reset)(struct usb_device *d);
	/* Frees the device (after cancelling nothing is pending). */
	void (*destroy)(struct usb_device *d);
};

/* What the controller gives a device when it plugs it into a port. */
struct usb_port_ops {
	/* An USB_RET_ASYNC packet is done (p->status, p->actual set). */
	void (*complete)(void *ctl, struct usb_device *d, struct usb_packet *p);
	/* Endpoint `ep` (address, 0x80 = IN) that answered USB_RET_NAK now
	 * has something: submit again. */
	void (*wakeup)(void *ctl, struct usb_device *d, uint8_t ep);
	/* The device appeared (connected = true) or went away: the
	 * controller updates the port's connect status and tells the guest. */
	void (*connection)(void *ctl, struct usb_device *d, bool connected);
};

struct usb_device {
	const struct usb_device_ops *ops;
	const char *kind;       /* "keyboard", "tablet", "storage", "redir" */
	enum usb_speed speed;   /* may change before a connection(true) */
	bool connected;         /* plugged in now (redir: peer attached) */
	/* Set by the controller (usb_port_attach); NULL while unplugged. */
	const struct usb_port_ops *port;
	void *port_ctl;
};

/* Called by the controller when it plugs `d` into a port. */
static inline void usb_port_attach(struct usb_device *d,
				   const struct usb_port_ops *ops, void *ctl)
{
	d->port = ops;
	d->port_ctl = ctl;
}

/* Called by devices. Each is a no-op while the device is unplugged. */
static inline void usb_port_complete(struct usb_device *d,
				     struct usb_packet *p)
{
	if (d->port)
		d->port->complete(d->port_ctl, d, p);
}

static inline void usb_port_wakeup(struct usb_device *d, uint8_t ep)
{
	if (d->port)
		d->port->wakeup(d->port_ctl, d, ep);
}

static inline void usb_port_connection(struct usb_device *d, bool connected)
{
	d->connected = connected;
	if (d->port)
		d->port->connection(d->port_ctl, d, connected);
}

#endif
