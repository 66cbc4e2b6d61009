/* SPDX-License-Identifier: MIT */
/* Kind usb's settings, for the QMP input commands and the tests. */
#ifndef ATOLL_LAUNCHER_KIND_USB_H
#define ATOLL_LAUNCHER_KIND_USB_H

#include <stdbool.h>
#include <stddef.h>

#include "manifest.h"

/* Root ports the manifest may fill: atoll-usb's USB 2 ports
 * (XHCI_USB2_PORTS, checked in usb.c). */
#define USB_MAX_PORTS 8

enum usb_port_type {
	USB_PORT_KEYBOARD,
	USB_PORT_TABLET,
	USB_PORT_STORAGE,
	USB_PORT_REDIR,
	USB_PORT_HOST,
};

struct usb_port_config {
	enum usb_port_type type;
	unsigned vendor, product;    /* 0: the model's own */
	char *serial;                /* or NULL: the model's own */
	char *image;                 /* storage: absolute, folder canonical */
	bool readonly;               /* storage */
	bool high_speed;             /* storage: `speed: high` (else super) */
	char *socket;                /* redir: absolute, folder canonical */
	unsigned bus, addr;          /* host: /dev/bus/usb/BBB/DDD */
};

struct usb_config {
	struct usb_port_config ports[USB_MAX_PORTS];   /* port i + 1 */
	size_t nports;
	int state_fd;        /* the controller's state memfd; -1 until the
				first start */
};

/* True if `d` is a usb device with a port of type `t`. */
bool usb_has_port(const struct device_config *d, enum usb_port_type t);
/* The controller state memfd of usb device `d` (XHCI_STATE_SIZE bytes,
 * sealed against resizing), made at the first call and kept until the
 * manifest is freed; the caller must not close it. A negative errno if
 * it cannot be made. */
int usb_state_fd(const struct device_config *d);

#endif
