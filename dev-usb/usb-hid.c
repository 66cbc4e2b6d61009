/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's HID devices: a boot-protocol keyboard and an absolute
 * pointer (tablet), full speed, one interrupt IN endpoint (0x81) each.
 *
 * Input arrives as Linux input events (usb_hid_input). Events change the
 * device's state; EV_SYN turns the state into a report, queued for the
 * interrupt endpoint. Without an EV_SYN no report is made (QMP and the
 * display end every batch with one). So that no press is lost inside a
 * batch (a key pressed and released before one EV_SYN), a key or button
 * that changes a second time before EV_SYN first queues the report of the
 * state so far. A report equal to the last one queued is not queued again.
 *
 * The queue is bounded (HID_QUEUE reports). When the guest does not read
 * and it is full, usb_hid_input returns -ENOSPC: the report is not queued
 * but the state is kept, and once the guest takes a report the current
 * state is queued (intermediate states are lost, a release never is: no
 * key stays stuck). Nothing is queued while the device is not configured
 * (no driver listens); the state is kept and reported at configuration.
 *
 * The interrupt endpoint answers USB_RET_NAK while the queue is empty and
 * calls usb_port_wakeup() when a report arrives in an empty queue. SET_IDLE
 * is recorded and read back but periodic repeats are not sent (Linux sets
 * idle 0: reports only on change).
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "usb-desc.h"
#include "usb-models.h"

#define HID_QUEUE 16
#define HID_REPORT_MAX 8
#define KBD_REPORT_LEN 8
#define TABLET_REPORT_LEN 6
#define EP_IN 0x81
#define ABS_RANGE_MAX 0x7fff
#define WHEEL_ACC_MAX (1 << 20)

/* HID class requests (HID 1.11, 7.2). */
#define HID_GET_REPORT 0x01
#define HID_GET_IDLE 0x02
#define HID_GET_PROTOCOL 0x03
#define HID_SET_REPORT 0x09
#define HID_SET_IDLE 0x0a
#define HID_SET_PROTOCOL 0x0b
#define HID_REPORT_INPUT 1
#define HID_REPORT_OUTPUT 2

/* pid.codes' open-source vendor id and its test product ids; a manifest
 * sets its own. */
#define ATOLL_USB_VENDOR 0x1209

/*
 * Linux key codes -> HID keyboard usages (HID Usage Tables, page 7): the
 * inverse of Linux's hid-input mapping; where several usages give one
 * code, the one a US keyboard sends.
 */
static const uint8_t key_usage[256] = {
	[KEY_A] = 0x04, [KEY_B] = 0x05, [KEY_C] = 0x06, [KEY_D] = 0x07,
	[KEY_E] = 0x08, [KEY_F] = 0x09, [KEY_G] = 0x0a, [KEY_H] = 0x0b,
	[KEY_I] = 0x0c, [KEY_J] = 0x0d, [KEY_K] = 0x0e, [KEY_L] = 0x0f,
	[KEY_M] = 0x10, [KEY_N] = 0x11, [KEY_O] = 0x12, [KEY_P] = 0x13,
	[KEY_Q] = 0x14, [KEY_R] = 0x15, [KEY_S] = 0x16, [KEY_T] = 0x17,
	[KEY_U] = 0x18, [KEY_V] = 0x19, [KEY_W] = 0x1a, [KEY_X] = 0x1b,
	[KEY_Y] = 0x1c, [KEY_Z] = 0x1d,
	[KEY_1] = 0x1e, [KEY_2] = 0x1f, [KEY_3] = 0x20, [KEY_4] = 0x21,
	[KEY_5] = 0x22, [KEY_6] = 0x23, [KEY_7] = 0x24, [KEY_8] = 0x25,
	[KEY_9] = 0x26, [KEY_0] = 0x27,
	[KEY_ENTER] = 0x28, [KEY_ESC] = 0x29, [KEY_BACKSPACE] = 0x2a,
	[KEY_TAB] = 0x2b, [KEY_SPACE] = 0x2c, [KEY_MINUS] = 0x2d,
	[KEY_EQUAL] = 0x2e, [KEY_LEFTBRACE] = 0x2f, [KEY_RIGHTBRACE] = 0x30,
	[KEY_BACKSLASH] = 0x31, [KEY_SEMICOLON] = 0x33,
	[KEY_APOSTROPHE] = 0x34, [KEY_GRAVE] = 0x35, [KEY_COMMA] = 0x36,
	[KEY_DOT] = 0x37, [KEY_SLASH] = 0x38, [KEY_CAPSLOCK] = 0x39,
	[KEY_F1] = 0x3a, [KEY_F2] = 0x3b, [KEY_F3] = 0x3c, [KEY_F4] = 0x3d,
	[KEY_F5] = 0x3e, [KEY_F6] = 0x3f, [KEY_F7] = 0x40, [KEY_F8] = 0x41,
	[KEY_F9] = 0x42, [KEY_F10] = 0x43, [KEY_F11] = 0x44, [KEY_F12] = 0x45,
	[KEY_SYSRQ] = 0x46, [KEY_SCROLLLOCK] = 0x47, [KEY_PAUSE] = 0x48,
	[KEY_INSERT] = 0x49, [KEY_HOME] = 0x4a, [KEY_PAGEUP] = 0x4b,
	[KEY_DELETE] = 0x4c, [KEY_END] = 0x4d, [KEY_PAGEDOWN] = 0x4e,
	[KEY_RIGHT] = 0x4f, [KEY_LEFT] = 0x50, [KEY_DOWN] = 0x51,
	[KEY_UP] = 0x52, [KEY_NUMLOCK] = 0x53, [KEY_KPSLASH] = 0x54,
	[KEY_KPASTERISK] = 0x55, [KEY_KPMINUS] = 0x56, [KEY_KPPLUS] = 0x57,
	[KEY_KPENTER] = 0x58, [KEY_KP1] = 0x59, [KEY_KP2] = 0x5a,
	[KEY_KP3] = 0x5b, [KEY_KP4] = 0x5c, [KEY_KP5] = 0x5d,
	[KEY_KP6] = 0x5e, [KEY_KP7] = 0x5f, [KEY_KP8] = 0x60,
	[KEY_KP9] = 0x61, [KEY_KP0] = 0x62, [KEY_KPDOT] = 0x63,
	[KEY_102ND] = 0x64, [KEY_COMPOSE] = 0x65, [KEY_POWER] = 0x66,
	[KEY_KPEQUAL] = 0x67,
	[KEY_F13] = 0x68, [KEY_F14] = 0x69, [KEY_F15] = 0x6a, [KEY_F16] = 0x6b,
	[KEY_F17] = 0x6c, [KEY_F18] = 0x6d, [KEY_F19] = 0x6e, [KEY_F20] = 0x6f,
	[KEY_F21] = 0x70, [KEY_F22] = 0x71, [KEY_F23] = 0x72, [KEY_F24] = 0x73,
	[KEY_OPEN] = 0x74, [KEY_HELP] = 0x75, [KEY_PROPS] = 0x76,
	[KEY_FRONT] = 0x77, [KEY_STOP] = 0x78, [KEY_AGAIN] = 0x79,
	[KEY_UNDO] = 0x7a, [KEY_CUT] = 0x7b, [KEY_COPY] = 0x7c,
	[KEY_PASTE] = 0x7d, [KEY_FIND] = 0x7e, [KEY_MUTE] = 0x7f,
	[KEY_VOLUMEUP] = 0x80, [KEY_VOLUMEDOWN] = 0x81, [KEY_KPCOMMA] = 0x85,
	[KEY_RO] = 0x87, [KEY_KATAKANAHIRAGANA] = 0x88, [KEY_YEN] = 0x89,
	[KEY_HENKAN] = 0x8a, [KEY_MUHENKAN] = 0x8b, [KEY_KPJPCOMMA] = 0x8c,
	[KEY_HANGEUL] = 0x90, [KEY_HANJA] = 0x91, [KEY_KATAKANA] = 0x92,
	[KEY_HIRAGANA] = 0x93, [KEY_ZENKAKUHANKAKU] = 0x94,
	[KEY_KPLEFTPAREN] = 0xb6, [KEY_KPRIGHTPAREN] = 0xb7,
	/* Modifiers: usages 0xe0..0xe7, bits 0..7 of the report's byte 0. */
	[KEY_LEFTCTRL] = 0xe0, [KEY_LEFTSHIFT] = 0xe1, [KEY_LEFTALT] = 0xe2,
	[KEY_LEFTMETA] = 0xe3, [KEY_RIGHTCTRL] = 0xe4,
	[KEY_RIGHTSHIFT] = 0xe5, [KEY_RIGHTALT] = 0xe6,
	[KEY_RIGHTMETA] = 0xe7,
};

/* The boot keyboard's report (HID 1.11, appendix B.1): modifiers,
 * reserved, six key usages; five LEDs as the output report. */
static const uint8_t kbd_report_desc[] = {
	0x05, 0x01,             /* Usage Page (Generic Desktop) */
	0x09, 0x06,             /* Usage (Keyboard) */
	0xa1, 0x01,             /* Collection (Application) */
	0x05, 0x07,             /*   Usage Page (Keyboard) */
	0x19, 0xe0,             /*   Usage Minimum (224) */
	0x29, 0xe7,             /*   Usage Maximum (231) */
	0x15, 0x00,             /*   Logical Minimum (0) */
	0x25, 0x01,             /*   Logical Maximum (1) */
	0x75, 0x01,             /*   Report Size (1) */
	0x95, 0x08,             /*   Report Count (8) */
	0x81, 0x02,             /*   Input (Data, Variable, Absolute) */
	0x95, 0x01,             /*   Report Count (1) */
	0x75, 0x08,             /*   Report Size (8) */
	0x81, 0x01,             /*   Input (Constant) */
	0x95, 0x05,             /*   Report Count (5) */
	0x75, 0x01,             /*   Report Size (1) */
	0x05, 0x08,             /*   Usage Page (LEDs) */
	0x19, 0x01,             /*   Usage Minimum (1) */
	0x29, 0x05,             /*   Usage Maximum (5) */
	0x91, 0x02,             /*   Output (Data, Variable, Absolute) */
	0x95, 0x01,             /*   Report Count (1) */
	0x75, 0x03,             /*   Report Size (3) */
	0x91, 0x01,             /*   Output (Constant) */
	0x95, 0x06,             /*   Report Count (6) */
	0x75, 0x08,             /*   Report Size (8) */
	0x15, 0x00,             /*   Logical Minimum (0) */
	0x26, 0xff, 0x00,       /*   Logical Maximum (255) */
	0x05, 0x07,             /*   Usage Page (Keyboard) */
	0x19, 0x00,             /*   Usage Minimum (0) */
	0x2a, 0xff, 0x00,       /*   Usage Maximum (255) */
	0x81, 0x00,             /*   Input (Data, Array) */
	0xc0,                   /* End Collection */
};

/* Buttons 1..3, X and Y 0..0x7fff absolute, a relative wheel. */
static const uint8_t tablet_report_desc[] = {
	0x05, 0x01,             /* Usage Page (Generic Desktop) */
	0x09, 0x02,             /* Usage (Mouse) */
	0xa1, 0x01,             /* Collection (Application) */
	0x09, 0x01,             /*   Usage (Pointer) */
	0xa1, 0x00,             /*   Collection (Physical) */
	0x05, 0x09,             /*     Usage Page (Button) */
	0x19, 0x01,             /*     Usage Minimum (1) */
	0x29, 0x03,             /*     Usage Maximum (3) */
	0x15, 0x00,             /*     Logical Minimum (0) */
	0x25, 0x01,             /*     Logical Maximum (1) */
	0x95, 0x03,             /*     Report Count (3) */
	0x75, 0x01,             /*     Report Size (1) */
	0x81, 0x02,             /*     Input (Data, Variable, Absolute) */
	0x95, 0x01,             /*     Report Count (1) */
	0x75, 0x05,             /*     Report Size (5) */
	0x81, 0x01,             /*     Input (Constant) */
	0x05, 0x01,             /*     Usage Page (Generic Desktop) */
	0x09, 0x30,             /*     Usage (X) */
	0x09, 0x31,             /*     Usage (Y) */
	0x15, 0x00,             /*     Logical Minimum (0) */
	0x26, 0xff, 0x7f,       /*     Logical Maximum (0x7fff) */
	0x35, 0x00,             /*     Physical Minimum (0) */
	0x46, 0xff, 0x7f,       /*     Physical Maximum (0x7fff) */
	0x75, 0x10,             /*     Report Size (16) */
	0x95, 0x02,             /*     Report Count (2) */
	0x81, 0x02,             /*     Input (Data, Variable, Absolute) */
	0x05, 0x01,             /*     Usage Page (Generic Desktop) */
	0x09, 0x38,             /*     Usage (Wheel) */
	0x15, 0x81,             /*     Logical Minimum (-127) */
	0x25, 0x7f,             /*     Logical Maximum (127) */
	0x35, 0x00,             /*     Physical Minimum (none) */
	0x45, 0x00,             /*     Physical Maximum (none) */
	0x75, 0x08,             /*     Report Size (8) */
	0x95, 0x01,             /*     Report Count (1) */
	0x81, 0x06,             /*     Input (Data, Variable, Relative) */
	0xc0,                   /*   End Collection */
	0xc0,                   /* End Collection */
};

#define HID_DEVICE_DESC(pid)                                                  \
	{ 18, USB_DT_DEVICE, 0x00, 0x02, 0, 0, 0, 64,                         \
	  ATOLL_USB_VENDOR & 0xff, ATOLL_USB_VENDOR >> 8, (pid), 0,           \
	  0x00, 0x01, USB_STR_MANUFACTURER, USB_STR_PRODUCT, USB_STR_SERIAL, 1 }

/* Configuration 1: one HID interface, its HID descriptor, interrupt IN
 * 0x81 of 8 bytes polled every 10 ms; bus powered, remote wakeup. */
#define HID_CONFIG_DESC(subclass, protocol, report)                           \
	{ 9, USB_DT_CONFIG, 34, 0, 1, 1, 0, 0xa0, 50,                         \
	  9, USB_DT_INTERFACE, 0, 0, 1, 3, (subclass), (protocol), 0,         \
	  9, USB_DT_HID, 0x11, 0x01, 0, 1, USB_DT_REPORT,                     \
	  sizeof(report) & 0xff, sizeof(report) >> 8,                         \
	  7, USB_DT_ENDPOINT, EP_IN, USB_XFER_INTERRUPT, 8, 0, 10 }

static const uint8_t kbd_device[18] = HID_DEVICE_DESC(0x01);
static const uint8_t kbd_config[34] = HID_CONFIG_DESC(1, 1, kbd_report_desc);
static const uint8_t tablet_device[18] = HID_DEVICE_DESC(0x02);
static const uint8_t tablet_config[34] = HID_CONFIG_DESC(0, 0,
							 tablet_report_desc);

static const struct usb_desc kbd_desc = {
	.device = kbd_device,
	.config = kbd_config,
	.config_len = sizeof(kbd_config),
	.report = kbd_report_desc,
	.report_len = sizeof(kbd_report_desc),
	.manufacturer = "Atoll",
	.product = "Atoll USB Keyboard",
	.serial = "atoll-kbd-1",
};

static const struct usb_desc tablet_desc = {
	.device = tablet_device,
	.config = tablet_config,
	.config_len = sizeof(tablet_config),
	.report = tablet_report_desc,
	.report_len = sizeof(tablet_report_desc),
	.manufacturer = "Atoll",
	.product = "Atoll USB Tablet",
	.serial = "atoll-tablet-1",
};

struct hid {
	struct usb_device dev;
	struct usb_desc_state desc;
	bool keyboard;
	size_t report_len;
	/* keyboard: the usages held down (bitmap) and those changed since
	 * the last EV_SYN */
	uint8_t down[32];
	uint8_t batch[32];
	uint8_t leds;
	/* tablet */
	uint16_t x, y;
	uint8_t buttons;
	uint8_t batch_buttons;
	int32_t wheel;          /* accumulated, not yet reported */
	/* reports for the interrupt endpoint, oldest at head */
	uint8_t queue[HID_QUEUE][HID_REPORT_MAX];
	unsigned head, count;
	uint8_t last[HID_REPORT_MAX];   /* the last report queued */
	bool dirty;             /* state changed but the queue was full */
	bool handling;          /* inside hid_handle: no wakeup callback */
	uint8_t protocol;       /* 0 boot, 1 report */
	uint8_t idle;           /* 4 ms units, 0: only on change */
};

static const struct usb_device_ops hid_ops;

static struct hid *to_hid(struct usb_device *d)
{
	return (struct hid *)d;
}

static bool bit(const uint8_t *map, uint8_t u)
{
	return map[u / 8] & (1u << (u % 8));
}

static void set_bit(uint8_t *map, uint8_t u, bool on)
{
	if (on)
		map[u / 8] |= 1u << (u % 8);
	else
		map[u / 8] &= ~(1u << (u % 8));
}

/* The report of the current state; a tablet's takes up to +-127 of the
 * accumulated wheel (the rest waits for the next report). */
static void build(struct hid *h, uint8_t *r, bool take_wheel)
{
	memset(r, 0, HID_REPORT_MAX);
	if (h->keyboard) {
		unsigned n = 0;

		r[0] = h->down[0xe0 / 8];
		for (unsigned u = 1; u < 0xe0; u++) {
			if (!bit(h->down, u))
				continue;
			if (n == 6) {
				/* More than six keys: ErrorRollOver in
				 * every slot, modifiers still valid. */
				memset(r + 2, 0x01, 6);
				break;
			}
			r[2 + n++] = (uint8_t)u;
		}
		return;
	}
	int32_t w = h->wheel < -127 ? -127 : h->wheel > 127 ? 127 : h->wheel;

	r[0] = h->buttons;
	r[1] = h->x & 0xff;
	r[2] = h->x >> 8;
	r[3] = h->y & 0xff;
	r[4] = h->y >> 8;
	if (take_wheel) {
		r[5] = (uint8_t)(int8_t)w;
		h->wheel -= w;
	}
}

/* Queues the current state's report(s). */
static int push(struct hid *h)
{
	uint8_t r[HID_REPORT_MAX];

	if (!h->desc.config)
		return 0;
	do {
		if (h->count == HID_QUEUE) {
			h->dirty = true;
			return -ENOSPC;
		}
		build(h, r, true);
		/* Same picture as the last report and no wheel: nothing new. */
		if (!memcmp(r, h->last, h->report_len))
			return 0;
		memcpy(h->queue[(h->head + h->count) % HID_QUEUE], r,
		       HID_REPORT_MAX);
		memcpy(h->last, r, HID_REPORT_MAX);
		/* The wheel is relative: the next report starts at 0. */
		h->last[5] = h->keyboard ? h->last[5] : 0;
		/* Not from inside handle(): the controller is in the middle
		 * of a transfer, and its next submission finds the report. */
		if (++h->count == 1 && !h->handling)
			usb_port_wakeup(&h->dev, EP_IN);
	} while (!h->keyboard && h->wheel);
	return 0;
}

static int keyboard_key(struct hid *h, uint16_t code, int32_t value)
{
	uint8_t u = code < sizeof(key_usage) ? key_usage[code] : 0;
	int rc = 0;

	if (!u || value < 0 || value > 2)
		return -EINVAL;
	/* Autorepeat is the host's business (HID reports states). */
	if (value == 2 || bit(h->down, u) == (value == 1))
		return 0;
	if (bit(h->batch, u)) {
		/* Second change of this key before EV_SYN: report the
		 * first one on its own. */
		rc = push(h);
		memset(h->batch, 0, sizeof(h->batch));
	}
	set_bit(h->down, u, value == 1);
	set_bit(h->batch, u, true);
	return rc;
}

static int tablet_event(struct hid *h, uint16_t type, uint16_t code,
			int32_t value)
{
	uint8_t b;
	int rc = 0;

	switch (type) {
	case EV_ABS:
		if (code != ABS_X && code != ABS_Y)
			return -EINVAL;
		/* QMP and the display send 0..32767, the report's range. */
		value = value < 0 ? 0 : value > ABS_RANGE_MAX ? ABS_RANGE_MAX :
			value;
		if (code == ABS_X)
			h->x = (uint16_t)value;
		else
			h->y = (uint16_t)value;
		return 0;
	case EV_REL:
		if (code != REL_WHEEL)
			return -EINVAL;
		if (value > WHEEL_ACC_MAX || value < -WHEEL_ACC_MAX)
			value = value < 0 ? -WHEEL_ACC_MAX : WHEEL_ACC_MAX;
		h->wheel += value;
		if (h->wheel > WHEEL_ACC_MAX)
			h->wheel = WHEEL_ACC_MAX;
		if (h->wheel < -WHEEL_ACC_MAX)
			h->wheel = -WHEEL_ACC_MAX;
		return 0;
	case EV_KEY:
		b = code == BTN_LEFT ? 1 : code == BTN_RIGHT ? 2 :
		    code == BTN_MIDDLE ? 4 : 0;
		if (!b || value < 0 || value > 2)
			return -EINVAL;
		if (value == 2 || !!(h->buttons & b) == (value == 1))
			return 0;
		if (h->batch_buttons & b) {
			rc = push(h);
			h->batch_buttons = 0;
		}
		h->buttons = value ? h->buttons | b : h->buttons & ~b;
		h->batch_buttons |= b;
		return rc;
	}
	return -EINVAL;
}

int usb_hid_input(struct usb_device *d, uint16_t type, uint16_t code,
		  int32_t value)
{
	struct hid *h;

	if (!d || d->ops != &hid_ops)
		return -EINVAL;
	h = to_hid(d);
	if (type == EV_SYN) {
		if (code != SYN_REPORT)
			return 0;
		memset(h->batch, 0, sizeof(h->batch));
		h->batch_buttons = 0;
		return push(h);
	}
	if (h->keyboard)
		return type == EV_KEY ? keyboard_key(h, code, value) : -EINVAL;
	return tablet_event(h, type, code, value);
}

/* A new configuration: an empty queue, and the state as it is now. */
static void configured(struct hid *h)
{
	h->count = 0;
	h->dirty = false;
	memset(h->last, 0, sizeof(h->last));
	push(h);
}

static int reply(struct usb_packet *p, const void *data, size_t n)
{
	n = n < p->setup.wLength ? n : p->setup.wLength;
	n = n < p->len ? n : p->len;
	if (n)
		memcpy(p->buf, data, n);
	return usb_packet_done(p, USB_RET_SUCCESS, n);
}

static int class_request(struct hid *h, struct usb_packet *p)
{
	const struct usb_setup *st = &p->setup;
	uint8_t r[HID_REPORT_MAX];

	if ((st->bmRequestType & (USB_TYPE_MASK | USB_RECIP_MASK)) !=
	    (USB_TYPE_CLASS | USB_RECIP_INTERFACE) || st->wIndex != 0)
		return usb_packet_done(p, USB_RET_STALL, 0);
	if (st->bmRequestType & USB_DIR_IN) {
		switch (st->bRequest) {
		case HID_GET_REPORT:
			if ((st->wValue & 0xff) != 0)
				break;
			if (st->wValue >> 8 == HID_REPORT_INPUT) {
				build(h, r, false);
				return reply(p, r, h->report_len);
			}
			if (st->wValue >> 8 == HID_REPORT_OUTPUT && h->keyboard)
				return reply(p, &h->leds, 1);
			break;
		case HID_GET_IDLE:
			return reply(p, &h->idle, 1);
		case HID_GET_PROTOCOL:
			return reply(p, &h->protocol, 1);
		}
		return usb_packet_done(p, USB_RET_STALL, 0);
	}
	switch (st->bRequest) {
	case HID_SET_REPORT:
		/* The keyboard's LEDs; nothing else takes output. */
		if (!h->keyboard || st->wValue != HID_REPORT_OUTPUT << 8 ||
		    st->wLength < 1 || p->len < 1)
			break;
		h->leds = p->buf[0] & 0x1f;
		return usb_packet_done(p, USB_RET_SUCCESS, 1);
	case HID_SET_IDLE:
		h->idle = st->wValue >> 8;
		return usb_packet_done(p, USB_RET_SUCCESS, 0);
	case HID_SET_PROTOCOL:
		/* The keyboard's report is the boot report; the tablet has
		 * no boot protocol. */
		if (st->wValue > 1 || (!h->keyboard && st->wValue != 1))
			break;
		h->protocol = (uint8_t)st->wValue;
		return usb_packet_done(p, USB_RET_SUCCESS, 0);
	}
	return usb_packet_done(p, USB_RET_STALL, 0);
}

static int handle(struct hid *h, struct usb_packet *p)
{
	size_t n;

	if (p->ep == 0) {
		uint8_t was = h->desc.config;

		if (p->type != USB_XFER_CONTROL)
			return usb_packet_done(p, USB_RET_STALL, 0);
		if (!usb_desc_handle(&h->desc, p))
			return class_request(h, p);
		if (p->setup.bmRequestType == 0 &&
		    p->setup.bRequest == USB_REQ_SET_CONFIGURATION &&
		    p->status == USB_RET_SUCCESS && (h->desc.config || was))
			configured(h);
		return p->status;
	}
	if (p->ep != EP_IN || p->type != USB_XFER_INTERRUPT ||
	    !h->desc.config || usb_desc_halted(&h->desc, EP_IN))
		return usb_packet_done(p, USB_RET_STALL, 0);
	if (!h->count)
		return usb_packet_done(p, USB_RET_NAK, 0);
	n = p->len < h->report_len ? p->len : h->report_len;
	if (n)
		memcpy(p->buf, h->queue[h->head], n);
	h->head = (h->head + 1) % HID_QUEUE;
	h->count--;
	if (h->dirty) {
		h->dirty = false;
		push(h);
	}
	/* A buffer smaller than the report: the device sent more. */
	return usb_packet_done(p, n < h->report_len ? USB_RET_BABBLE :
			       USB_RET_SUCCESS, n);
}

static int hid_handle(struct usb_device *d, struct usb_packet *p)
{
	struct hid *h = to_hid(d);
	int rc;

	h->handling = true;
	rc = handle(h, p);
	h->handling = false;
	return rc;
}

static void hid_reset(struct usb_device *d)
{
	struct hid *h = to_hid(d);

	usb_desc_reset(&h->desc);
	h->count = 0;
	h->dirty = false;
	h->leds = 0;
	/* HID 1.11 7.2.6: report protocol after reset; keyboards idle at
	 * 500 ms by default, pointers at 0. */
	h->protocol = 1;
	h->idle = h->keyboard ? 125 : 0;
}

static void hid_destroy(struct usb_device *d)
{
	free(to_hid(d));
}

static const struct usb_device_ops hid_ops = {
	.handle = hid_handle,
	.reset = hid_reset,
	.destroy = hid_destroy,
};

static struct usb_device *hid_new(bool keyboard, const struct usb_ident *id)
{
	struct hid *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->dev.ops = &hid_ops;
	h->dev.kind = keyboard ? "keyboard" : "tablet";
	h->dev.speed = USB_SPEED_FULL;
	h->keyboard = keyboard;
	h->report_len = keyboard ? KBD_REPORT_LEN : TABLET_REPORT_LEN;
	usb_desc_init(&h->desc, keyboard ? &kbd_desc : &tablet_desc, id);
	hid_reset(&h->dev);
	return &h->dev;
}

struct usb_device *usb_keyboard_new(const struct usb_ident *id)
{
	return hid_new(true, id);
}

struct usb_device *usb_tablet_new(const struct usb_ident *id)
{
	return hid_new(false, id);
}
