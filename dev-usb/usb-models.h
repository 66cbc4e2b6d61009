/* SPDX-License-Identifier: MIT */
/*
 * The device models atoll-usb can put on its root ports, as main.c
 * creates them from its --device options (docs/dev-usb.md). Each returns
 * a device that is not yet plugged into a port, or NULL with a reason in
 * *why (a static string or one owned by the caller's buffer: see each).
 */
#ifndef ATOLL_USB_MODELS_H
#define ATOLL_USB_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "usb-device.h"

struct event_base;

/* What the manifest may set of an emulated device's identity; 0 / NULL
 * keeps the model's default. */
struct usb_ident {
	uint16_t vendor_id;
	uint16_t product_id;
	const char *serial;         /* iSerialNumber string */
};

/* usb-hid.c: a boot-protocol keyboard and an absolute pointer (tablet),
 * full speed, one interrupt IN endpoint each. */
struct usb_device *usb_keyboard_new(const struct usb_ident *id);
struct usb_device *usb_tablet_new(const struct usb_ident *id);
/* Feeds one Linux input event (linux/input.h type, code, value; EV_SYN
 * ends a report) to a keyboard or tablet. Returns 0, -EINVAL if the event
 * means nothing to this device (a key to a tablet), -ENOSPC if the guest
 * is not reading and the device's queue is full (the event is dropped). */
int usb_hid_input(struct usb_device *d, uint16_t type, uint16_t code,
		  int32_t value);

/* usb-storage.c: a bulk-only-transport SCSI disk on the image at `fd`
 * (read with pread, written with pwrite, fdatasync on SYNCHRONIZE CACHE),
 * at `speed`: USB_SPEED_SUPER or USB_SPEED_HIGH. The size must be a
 * positive multiple of 512. */
struct usb_device *usb_storage_new(int fd, bool readonly,
				   enum usb_speed speed,
				   const struct usb_ident *id,
				   const char **why);

/* usb-redir.c: the device at the other end of the usbredir stream `fd`
 * (a connected stream socket), speed and descriptors as the peer reports
 * them; connected once the peer announces its device. */
struct usb_device *usb_redir_new(int fd, struct event_base *base,
				 const char **why);
/* usb-host.c: the host device opened by the launcher
 * (/dev/bus/usb/BBB/DDD as `fd`), driven with libusb and libusbredirhost
 * and attached through usb-redir.c inside this process. */
struct usb_device *usb_host_new(int fd, struct event_base *base,
				const char **why);

#endif
