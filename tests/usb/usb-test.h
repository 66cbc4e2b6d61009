/* SPDX-License-Identifier: MIT */
/*
 * Drives an emulated USB device through usb-device.h as atoll-usb's
 * controller does: hand-built packets on the default control pipe and on
 * bulk and interrupt endpoints, and a port that counts wakeups.
 */
#ifndef ATOLL_TESTS_USB_TEST_H
#define ATOLL_TESTS_USB_TEST_H

#include <check.h>
#include <string.h>

#include "usb-desc.h"
#include "usb-device.h"
#include "usb-models.h"

struct test_port {
	unsigned wakeups;
	uint8_t last_ep;
	unsigned completes;
};

static void tp_complete(void *ctl, struct usb_device *d, struct usb_packet *p)
{
	(void)d;
	(void)p;
	((struct test_port *)ctl)->completes++;
}

static void tp_wakeup(void *ctl, struct usb_device *d, uint8_t ep)
{
	struct test_port *tp = ctl;

	(void)d;
	tp->wakeups++;
	tp->last_ep = ep;
}

static void tp_connection(void *ctl, struct usb_device *d, bool connected)
{
	(void)ctl;
	(void)d;
	(void)connected;
}

static const struct usb_port_ops test_port_ops = {
	.complete = tp_complete,
	.wakeup = tp_wakeup,
	.connection = tp_connection,
};

/* A control transfer; returns its status, *actual the bytes moved. */
static inline int ctrl(struct usb_device *d, uint8_t rt, uint8_t req,
		       uint16_t value, uint16_t index, uint16_t length,
		       uint8_t *buf, size_t *actual)
{
	struct usb_packet p = {
		.ep = 0, .type = USB_XFER_CONTROL,
		.setup = { rt, req, value, index, length },
		.buf = buf, .len = length, .actual = 12345,
	};
	int rc = d->ops->handle(d, &p);

	ck_assert_int_eq(rc, p.status);
	ck_assert_int_ne(rc, USB_RET_ASYNC);
	ck_assert_uint_le(p.actual, length);
	if (actual)
		*actual = p.actual;
	return rc;
}

/* A bulk or interrupt transfer of `len` bytes. */
static inline int xfer(struct usb_device *d, uint8_t ep, uint8_t type,
		       uint8_t *buf, size_t len, size_t *actual)
{
	struct usb_packet p = {
		.ep = ep, .type = type, .buf = buf, .len = len,
		.actual = 12345,
	};
	int rc = d->ops->handle(d, &p);

	ck_assert_int_eq(rc, p.status);
	ck_assert_uint_le(p.actual, len);
	if (actual)
		*actual = p.actual;
	return rc;
}

static inline void set_config(struct usb_device *d, uint8_t value)
{
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_CONFIGURATION, value, 0, 0,
			      NULL, NULL), USB_RET_SUCCESS);
}

/* GET_DESCRIPTOR(device) and (configuration): checks the descriptors'
 * framing (bLength chains exactly to wTotalLength, every descriptor at
 * least 2 bytes) and returns the configuration's length. */
static inline size_t check_enumeration(struct usb_device *d, uint8_t *cfg,
				       size_t cfg_size, uint16_t vid,
				       uint16_t pid)
{
	uint8_t dev[64];
	size_t n, off, total, ifaces = 0, eps = 0, want_eps = 0;

	/* Linux first reads 8 (or 64) bytes of the device descriptor. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64,
			      dev, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 18);
	ck_assert_int_eq(dev[0], 18);
	ck_assert_int_eq(dev[1], USB_DT_DEVICE);
	ck_assert_int_eq(dev[8] | dev[9] << 8, vid);
	ck_assert_int_eq(dev[10] | dev[11] << 8, pid);
	ck_assert_int_eq(dev[17], 1);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 8,
			      dev, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 8);
	/* The header, then the whole configuration by wTotalLength. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 9,
			      cfg, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 9);
	total = cfg[2] | cfg[3] << 8;
	ck_assert_uint_le(total, cfg_size);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0,
			      (uint16_t)cfg_size, cfg, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, total);
	for (off = 0; off < total; off += cfg[off]) {
		ck_assert_uint_ge(cfg[off], 2);
		ck_assert_uint_le(off + cfg[off], total);
		if (cfg[off + 1] == USB_DT_INTERFACE) {
			ifaces++;
			want_eps += cfg[off + 4];
		}
		if (cfg[off + 1] == USB_DT_ENDPOINT) {
			ck_assert_int_eq(cfg[off], 7);
			eps++;
		}
	}
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(ifaces, cfg[4]);
	ck_assert_uint_eq(eps, want_eps);
	/* A config index past bNumConfigurations is a request error. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0201, 0, 9,
			      dev, NULL), USB_RET_STALL);
	return total;
}

/* String descriptor `index` as ASCII into out (NUL-terminated). */
static inline void get_string(struct usb_device *d, uint8_t index,
			      char *out, size_t size)
{
	uint8_t s[256];
	size_t n, i;

	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0300 | index,
			      0x0409, 255, s, &n), USB_RET_SUCCESS);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_eq(s[0], n);
	ck_assert_int_eq(s[1], USB_DT_STRING);
	for (i = 0; i < (n - 2) / 2 && i + 1 < size; i++)
		out[i] = (char)s[2 + 2 * i];
	out[i] = '\0';
}

#endif
