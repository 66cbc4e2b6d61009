/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's HID keyboard and tablet (dev-usb/usb-hid.c), driven only
 * through usb-device.h: enumeration descriptors, the standard and HID
 * class requests, key presses and pointer events turned into reports on
 * the interrupt endpoint (NAK while empty, a wakeup when one arrives).
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>

#include "test-util.h"
#include "usb-test.h"

#define EP_IN 0x81
#define INTR USB_XFER_INTERRUPT

static struct usb_device *d;
static struct test_port port;

static void kbd_setup(void)
{
	memset(&port, 0, sizeof(port));
	d = usb_keyboard_new(NULL);
	ck_assert_ptr_nonnull(d);
	usb_port_attach(d, &test_port_ops, &port);
}

static void tablet_setup(void)
{
	memset(&port, 0, sizeof(port));
	d = usb_tablet_new(NULL);
	ck_assert_ptr_nonnull(d);
	usb_port_attach(d, &test_port_ops, &port);
}

static void teardown(void)
{
	d->ops->destroy(d);
	d = NULL;
}

static void key(uint16_t code, int value)
{
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, code, value), 0);
}

static void syn(void)
{
	ck_assert_int_eq(usb_hid_input(d, EV_SYN, SYN_REPORT, 0), 0);
}

/* Reads one report; it must be exactly `want`. */
static void expect_report(const uint8_t *want, size_t len)
{
	uint8_t r[64];
	size_t n;

	memset(r, 0xee, sizeof(r));
	ck_assert_int_eq(xfer(d, EP_IN, INTR, r, 8, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, len);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(r[i] == want[i], "report byte %zu: %#x, wanted "
			      "%#x", i, r[i], want[i]);
}

static void expect_nak(void)
{
	uint8_t r[8];

	ck_assert_int_eq(xfer(d, EP_IN, INTR, r, 8, NULL), USB_RET_NAK);
}

START_TEST(keyboard_enumerates)
{
	uint8_t cfg[256], rd[256], b[8];
	size_t total, n, off;
	const uint8_t *hid = NULL, *iface = NULL, *ep = NULL;
	char s[128];

	total = check_enumeration(d, cfg, sizeof(cfg), 0x1209, 0x0001);
	for (off = 0; off < total; off += cfg[off]) {
		if (cfg[off + 1] == USB_DT_INTERFACE)
			iface = cfg + off;
		if (cfg[off + 1] == USB_DT_HID)
			hid = cfg + off;
		if (cfg[off + 1] == USB_DT_ENDPOINT)
			ep = cfg + off;
	}
	ck_assert_ptr_nonnull(iface);
	ck_assert_ptr_nonnull(hid);
	ck_assert_ptr_nonnull(ep);
	/* HID class, boot subclass, keyboard protocol. */
	ck_assert_int_eq(iface[5], 3);
	ck_assert_int_eq(iface[6], 1);
	ck_assert_int_eq(iface[7], 1);
	ck_assert_int_eq(ep[2], EP_IN);
	ck_assert_int_eq(ep[3] & 3, USB_XFER_INTERRUPT);
	ck_assert_int_ge(ep[4], 8);
	/* The report descriptor is as long as the HID descriptor says. */
	ck_assert_int_eq(ctrl(d, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2200, 0, 255,
			      rd, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, hid[7] | hid[8] << 8);
	ck_assert_int_eq(rd[0], 0x05);
	ck_assert_int_eq(rd[n - 1], 0xc0);
	ck_assert_int_eq(ctrl(d, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 255,
			      rd, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(memcmp(rd, hid, 9), 0);
	/* Strings: the language list, then US English ASCII. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0300, 0, 255,
			      rd, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(rd[2] | rd[3] << 8, 0x0409);
	get_string(d, USB_STR_PRODUCT, s, sizeof(s));
	ck_assert_str_eq(s, "Atoll USB Keyboard");
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0309, 0x0409,
			      255, rd, NULL), USB_RET_STALL);
	/* Full speed only: no device qualifier, no other-speed config. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10,
			      rd, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0700, 0, 9,
			      rd, NULL), USB_RET_STALL);
	/* Configuration: 1 only; GET_CONFIGURATION reads it back. */
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_CONFIGURATION, 2, 0, 0,
			      NULL, NULL), USB_RET_STALL);
	set_config(d, 1);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0], 1);
	ck_assert_int_eq(ctrl(d, 0x81, USB_REQ_GET_INTERFACE, 0, 0, 1, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(ctrl(d, 0x01, USB_REQ_SET_INTERFACE, 1, 0, 0, NULL,
			      NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x01, USB_REQ_SET_INTERFACE, 0, 1, 0, NULL,
			      NULL), USB_RET_STALL);
}
END_TEST

START_TEST(identity_from_manifest)
{
	struct usb_ident id = { 0x1234, 0xabcd, "SN-42\x01\xff" };
	struct usb_device *k = usb_keyboard_new(&id);
	uint8_t cfg[256];
	char s[128];

	check_enumeration(k, cfg, sizeof(cfg), 0x1234, 0xabcd);
	/* Only printable ASCII of the serial survives. */
	get_string(k, USB_STR_SERIAL, s, sizeof(s));
	ck_assert_str_eq(s, "SN-42");
	k->ops->destroy(k);
}
END_TEST

START_TEST(wlength_truncates)
{
	uint8_t b[64];
	size_t n;
	struct usb_packet p = {
		.ep = 0, .type = USB_XFER_CONTROL,
		.setup = { 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255 },
		.buf = b, .len = 5,
	};

	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 3, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0300 |
			      USB_STR_PRODUCT, 0x0409, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 0, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 0);
	/* A controller buffer shorter than wLength bounds it too. */
	ck_assert_int_eq(d->ops->handle(d, &p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p.actual, 5);
	/* And a buffer longer than wLength (the guest's data stage TRB
	 * says more than its SETUP) gets wLength. */
	p.setup.wLength = 3;
	p.len = sizeof(b);
	ck_assert_int_eq(d->ops->handle(d, &p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p.actual, 3);
}
END_TEST

START_TEST(status_and_features)
{
	uint8_t b[2];
	size_t n;

	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_STATUS, 0, 0, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_FEATURE,
			      USB_FEAT_REMOTE_WAKEUP, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_STATUS, 0, 0, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 2);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_CLEAR_FEATURE,
			      USB_FEAT_REMOTE_WAKEUP, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_STATUS, 0, 0, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	/* TEST_MODE is not offered. */
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_FEATURE, 2, 0, 0, NULL,
			      NULL), USB_RET_STALL);
	/* Endpoint and interface requests need a configuration. */
	ck_assert_int_eq(ctrl(d, 0x82, USB_REQ_GET_STATUS, 0, EP_IN, 2, b,
			      NULL), USB_RET_STALL);
	set_config(d, 1);
	ck_assert_int_eq(ctrl(d, 0x02, USB_REQ_SET_FEATURE,
			      USB_FEAT_ENDPOINT_HALT, EP_IN, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x82, USB_REQ_GET_STATUS, 0, EP_IN, 2, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 1);
	key(KEY_A, 1);
	syn();
	ck_assert_int_eq(xfer(d, EP_IN, INTR, b, 2, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x02, USB_REQ_CLEAR_FEATURE,
			      USB_FEAT_ENDPOINT_HALT, EP_IN, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x82, USB_REQ_GET_STATUS, 0, EP_IN, 2, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	expect_report((const uint8_t[]){ 0, 0, 0x04, 0, 0, 0, 0, 0 }, 8);
	/* An endpoint the device does not have. */
	ck_assert_int_eq(ctrl(d, 0x82, USB_REQ_GET_STATUS, 0, 0x82, 2, b,
			      NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x02, USB_REQ_CLEAR_FEATURE,
			      USB_FEAT_ENDPOINT_HALT, 0x01, 0, NULL, NULL),
			 USB_RET_STALL);
	ck_assert_int_eq(xfer(d, 0x02, USB_XFER_BULK, b, 2, NULL),
			 USB_RET_STALL);
}
END_TEST

START_TEST(key_press_report)
{
	/* Unconfigured: the endpoint stalls, and a key held now is
	 * reported once the driver configures the device. */
	uint8_t r[8];

	ck_assert_int_eq(xfer(d, EP_IN, INTR, r, 8, NULL), USB_RET_STALL);
	set_config(d, 1);
	expect_nak();
	ck_assert_uint_eq(port.wakeups, 0);
	key(KEY_A, 1);
	ck_assert_uint_eq(port.wakeups, 0);
	expect_nak();
	syn();
	ck_assert_uint_eq(port.wakeups, 1);
	ck_assert_int_eq(port.last_ep, EP_IN);
	expect_report((const uint8_t[]){ 0, 0, 0x04, 0, 0, 0, 0, 0 }, 8);
	expect_nak();
	key(KEY_LEFTSHIFT, 1);
	syn();
	ck_assert_uint_eq(port.wakeups, 2);
	key(KEY_RIGHTALT, 1);
	key(KEY_ENTER, 1);
	syn();
	/* Still one report waiting: no new wakeup for the second. */
	ck_assert_uint_eq(port.wakeups, 2);
	expect_report((const uint8_t[]){ 0x02, 0, 0x04, 0, 0, 0, 0, 0 }, 8);
	expect_report((const uint8_t[]){ 0x42, 0, 0x04, 0x28, 0, 0, 0, 0 }, 8);
	key(KEY_A, 0);
	key(KEY_LEFTSHIFT, 0);
	key(KEY_RIGHTALT, 0);
	key(KEY_ENTER, 0);
	/* Autorepeat changes nothing. */
	key(KEY_B, 2);
	syn();
	expect_report((const uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 0 }, 8);
	/* Nothing changed: nothing new. */
	syn();
	expect_nak();
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, KEY_MAX, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, BTN_LEFT, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_X, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, KEY_A, 3), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, KEY_A, -1), -EINVAL);
}
END_TEST

START_TEST(press_release_one_batch)
{
	/* QMP sends press, SYN, release, SYN; a sender that batches both
	 * before one SYN must still produce the press. */
	set_config(d, 1);
	key(KEY_Z, 1);
	key(KEY_Z, 0);
	syn();
	expect_report((const uint8_t[]){ 0, 0, 0x1d, 0, 0, 0, 0, 0 }, 8);
	expect_report((const uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 0 }, 8);
	expect_nak();
}
END_TEST

START_TEST(rollover)
{
	static const uint16_t keys[] = { KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T,
					 KEY_Y, KEY_U };

	set_config(d, 1);
	key(KEY_LEFTCTRL, 1);
	for (int i = 0; i < 6; i++)
		key(keys[i], 1);
	syn();
	expect_report((const uint8_t[]){ 0x01, 0, 0x08, 0x14, 0x15, 0x17,
					 0x1a, 0x1c }, 8);
	key(keys[6], 1);
	syn();
	expect_report((const uint8_t[]){ 0x01, 0, 1, 1, 1, 1, 1, 1 }, 8);
	key(keys[0], 0);
	syn();
	expect_report((const uint8_t[]){ 0x01, 0, 0x08, 0x15, 0x17, 0x18,
					 0x1a, 0x1c }, 8);
}
END_TEST

START_TEST(queue_full_keeps_state)
{
	int rc, full = 0;

	set_config(d, 1);
	for (int i = 0; i < 40; i++) {
		key(i % 2 ? KEY_X : KEY_C, 1);
		rc = usb_hid_input(d, EV_SYN, SYN_REPORT, 0);
		ck_assert(rc == 0 || rc == -ENOSPC);
		full += rc == -ENOSPC;
		key(i % 2 ? KEY_X : KEY_C, 0);
		rc = usb_hid_input(d, EV_SYN, SYN_REPORT, 0);
		ck_assert(rc == 0 || rc == -ENOSPC);
		full += rc == -ENOSPC;
	}
	ck_assert_int_gt(full, 0);
	/* Drain: the last report is the released state (no stuck key). */
	uint8_t r[8], last[8] = { 0xee };
	int reads = 0;

	while (xfer(d, EP_IN, INTR, r, 8, NULL) == USB_RET_SUCCESS) {
		memcpy(last, r, 8);
		ck_assert_int_lt(++reads, 100);
	}
	ck_assert_int_ge(reads, 16);
	ck_assert_int_eq(memcmp(last, (const uint8_t[8]){ 0 }, 8), 0);
}
END_TEST

START_TEST(class_requests)
{
	uint8_t b[8] = { 0 };
	size_t n;

	set_config(d, 1);
	/* Idle and protocol read back what was set. */
	ck_assert_int_eq(ctrl(d, 0x21, 0x0a, 0, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x02, 0, 0, 1, b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(ctrl(d, 0x21, 0x0a, 0x7d00, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x02, 0, 0, 1, b, &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0x7d);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x03, 0, 0, 1, b, &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 1);
	ck_assert_int_eq(ctrl(d, 0x21, 0x0b, 0, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x03, 0, 0, 1, b, &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(ctrl(d, 0x21, 0x0b, 2, 0, 0, NULL, NULL),
			 USB_RET_STALL);
	/* LEDs by SET_REPORT(output), read back with GET_REPORT. */
	b[0] = 0x02;
	ck_assert_int_eq(ctrl(d, 0x21, 0x09, 0x0200, 0, 1, b, NULL),
			 USB_RET_SUCCESS);
	b[0] = 0;
	ck_assert_int_eq(ctrl(d, 0xa1, 0x01, 0x0200, 0, 1, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0x02);
	ck_assert_int_eq(ctrl(d, 0x21, 0x09, 0x0300, 0, 1, b, NULL),
			 USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x21, 0x09, 0x0200, 0, 0, b, NULL),
			 USB_RET_STALL);
	/* GET_REPORT(input) is the current state. */
	key(KEY_9, 1);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x01, 0x0100, 0, 8, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(b[2], 0x26);
	/* Another interface, an unknown request, a vendor request. */
	ck_assert_int_eq(ctrl(d, 0xa1, 0x01, 0x0100, 1, 8, b, NULL),
			 USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0xa1, 0x07, 0, 0, 8, b, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0xc0, 0x01, 0, 0, 8, b, NULL), USB_RET_STALL);
}
END_TEST

START_TEST(port_reset)
{
	uint8_t b[1];
	size_t n;
	unsigned wakeups;

	set_config(d, 1);
	key(KEY_A, 1);
	syn();
	d->ops->reset(d);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1, b,
			      &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(xfer(d, EP_IN, INTR, b, 1, NULL), USB_RET_STALL);
	/* The key is still held: reported at the new configuration, with
	 * no wakeup from inside the controller's call (its first interrupt
	 * transfer finds the report). */
	wakeups = port.wakeups;
	set_config(d, 1);
	ck_assert_uint_eq(port.wakeups, wakeups);
	expect_report((const uint8_t[]){ 0, 0, 0x04, 0, 0, 0, 0, 0 }, 8);
}
END_TEST

START_TEST(tablet_enumerates)
{
	uint8_t cfg[256], rd[256];
	size_t total, n, off;
	const uint8_t *hid = NULL;
	char s[64];

	total = check_enumeration(d, cfg, sizeof(cfg), 0x1209, 0x0002);
	for (off = 0; off < total; off += cfg[off])
		if (cfg[off + 1] == USB_DT_HID)
			hid = cfg + off;
	ck_assert_ptr_nonnull(hid);
	ck_assert_int_eq(ctrl(d, 0x81, USB_REQ_GET_DESCRIPTOR, 0x2200, 0, 255,
			      rd, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, hid[7] | hid[8] << 8);
	get_string(d, USB_STR_PRODUCT, s, sizeof(s));
	ck_assert_str_eq(s, "Atoll USB Tablet");
	/* No boot protocol for a pointer that is absolute. */
	set_config(d, 1);
	ck_assert_int_eq(ctrl(d, 0x21, 0x0b, 0, 0, 0, NULL, NULL),
			 USB_RET_STALL);
}
END_TEST

START_TEST(tablet_reports)
{
	set_config(d, 1);
	expect_nak();
	/* As QMP input-send-event sends {abs x 100, abs y 200, btn left}. */
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_X, 100), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_Y, 200), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, BTN_LEFT, 1), 0);
	syn();
	ck_assert_uint_eq(port.wakeups, 1);
	expect_report((const uint8_t[]){ 1, 100, 0, 200, 0, 0 }, 6);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_X, 32767), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_Y, 40000), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, BTN_LEFT, 0), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, BTN_RIGHT, 1), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, BTN_MIDDLE, 1), 0);
	syn();
	expect_report((const uint8_t[]){ 6, 0xff, 0x7f, 0xff, 0x7f, 0 }, 6);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_X, -5), 0);
	ck_assert_int_eq(usb_hid_input(d, EV_REL, REL_WHEEL, -1), 0);
	syn();
	expect_report((const uint8_t[]){ 6, 0, 0, 0xff, 0x7f, 0xff }, 6);
	/* A big wheel turn is spread over reports of at most 127. */
	ck_assert_int_eq(usb_hid_input(d, EV_REL, REL_WHEEL, 300), 0);
	syn();
	expect_report((const uint8_t[]){ 6, 0, 0, 0xff, 0x7f, 127 }, 6);
	expect_report((const uint8_t[]){ 6, 0, 0, 0xff, 0x7f, 127 }, 6);
	expect_report((const uint8_t[]){ 6, 0, 0, 0xff, 0x7f, 46 }, 6);
	expect_nak();
	/* Keys and other axes mean nothing to a tablet. */
	ck_assert_int_eq(usb_hid_input(d, EV_KEY, KEY_A, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_ABS, ABS_Z, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_REL, REL_X, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(d, EV_MSC, 0, 1), -EINVAL);
}
END_TEST

START_TEST(not_a_hid_device)
{
	struct usb_device other = { .kind = "storage" };

	ck_assert_int_eq(usb_hid_input(&other, EV_KEY, KEY_A, 1), -EINVAL);
	ck_assert_int_eq(usb_hid_input(NULL, EV_KEY, KEY_A, 1), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("usb-hid");
	TCase *k = tcase_create("keyboard"), *t = tcase_create("tablet");

	tcase_add_checked_fixture(k, kbd_setup, teardown);
	tcase_add_test(k, keyboard_enumerates);
	tcase_add_test(k, identity_from_manifest);
	tcase_add_test(k, wlength_truncates);
	tcase_add_test(k, status_and_features);
	tcase_add_test(k, key_press_report);
	tcase_add_test(k, press_release_one_batch);
	tcase_add_test(k, rollover);
	tcase_add_test(k, queue_full_keeps_state);
	tcase_add_test(k, class_requests);
	tcase_add_test(k, port_reset);
	tcase_add_test(k, not_a_hid_device);
	suite_add_tcase(s, k);
	tcase_add_checked_fixture(t, tablet_setup, teardown);
	tcase_add_test(t, tablet_enumerates);
	tcase_add_test(t, tablet_reports);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
