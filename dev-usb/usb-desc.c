/* SPDX-License-Identifier: MIT */
/*
 * The standard requests of atoll-usb's emulated devices (USB 2.0 chapter
 * 9). Every field of the SETUP packet is the guest's: a request that does
 * not fit the device's state or descriptors is a request error (STALL),
 * and IN data is never longer than wLength or the controller's buffer.
 */
#include "usb-desc.h"

#include <string.h>

static unsigned ep_bit(uint8_t ep)
{
	return (ep & 0x0f) + ((ep & USB_DIR_IN) ? 16 : 0);
}

void usb_desc_init(struct usb_desc_state *s, const struct usb_desc *desc,
		   const struct usb_ident *id)
{
	const char *serial = id && id->serial ? id->serial : desc->serial;
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->desc = desc;
	s->vendor_id = desc->device[8] | desc->device[9] << 8;
	s->product_id = desc->device[10] | desc->device[11] << 8;
	if (id && id->vendor_id)
		s->vendor_id = id->vendor_id;
	if (id && id->product_id)
		s->product_id = id->product_id;
	/* Printable ASCII maps one to one onto UTF-16 code units. */
	for (; serial && *serial && n < USB_DESC_SERIAL_MAX; serial++)
		if (*serial >= 0x20 && *serial < 0x7f)
			s->serial[n++] = *serial;
	s->serial[n] = '\0';
}

void usb_desc_reset(struct usb_desc_state *s)
{
	s->config = 0;
	s->remote_wakeup = false;
	s->u12 = 0;
	s->halted = 0;
}

bool usb_desc_endpoint(const struct usb_desc_state *s, uint8_t ep,
		       uint8_t *type)
{
	const uint8_t *c = s->desc->config;
	size_t off = 0;

	/* The tables are the model's own, but a zero bLength would loop. */
	while (off + 2 <= s->desc->config_len && c[off] >= 2) {
		if (c[off + 1] == USB_DT_ENDPOINT && c[off] >= 7 &&
		    off + 7 <= s->desc->config_len && c[off + 2] == ep) {
			if (type)
				*type = c[off + 3] & 3;
			return true;
		}
		off += c[off];
	}
	return false;
}

bool usb_desc_halted(const struct usb_desc_state *s, uint8_t ep)
{
	return s->halted & (1u << ep_bit(ep));
}

void usb_desc_set_halt(struct usb_desc_state *s, uint8_t ep, bool halt)
{
	if (halt)
		s->halted |= 1u << ep_bit(ep);
	else
		s->halted &= ~(1u << ep_bit(ep));
}

static bool stall(struct usb_packet *p)
{
	usb_packet_done(p, USB_RET_STALL, 0);
	return true;
}

/* IN data: as much of `data` as wLength and the buffer take. */
static bool reply(struct usb_packet *p, const void *data, size_t n)
{
	if (n > p->setup.wLength)
		n = p->setup.wLength;
	if (n > p->len)
		n = p->len;
	if (n)
		memcpy(p->buf, data, n);
	usb_packet_done(p, USB_RET_SUCCESS, n);
	return true;
}

static bool ok(struct usb_packet *p)
{
	usb_packet_done(p, USB_RET_SUCCESS, 0);
	return true;
}

static bool string(struct usb_packet *p, const char *s)
{
	uint8_t d[2 + 2 * 126];
	size_t n = 0;

	for (; s && *s && n < 126; s++, n++) {
		d[2 + 2 * n] = (uint8_t)*s;
		d[3 + 2 * n] = 0;
	}
	d[0] = (uint8_t)(2 + 2 * n);
	d[1] = USB_DT_STRING;
	return reply(p, d, d[0]);
}

/* The class descriptor of `type` in the configuration (HID's). */
static const uint8_t *find_desc(const struct usb_desc *desc, uint8_t type)
{
	const uint8_t *c = desc->config;
	size_t off = 0;

	while (off + 2 <= desc->config_len && c[off] >= 2) {
		if (c[off + 1] == type && off + c[off] <= desc->config_len)
			return c + off;
		off += c[off];
	}
	return NULL;
}

static bool other_speed(struct usb_desc_state *s, struct usb_packet *p)
{
	const struct usb_desc *desc = s->desc;
	uint8_t c[256];
	size_t off = 0;

	if (!desc->qualifier || desc->config_len > sizeof(c))
		return stall(p);
	memcpy(c, desc->config, desc->config_len);
	c[1] = USB_DT_OTHER_SPEED_CONFIG;
	/* At full speed a bulk endpoint's packets are at most 64 bytes. */
	while (off + 2 <= desc->config_len && c[off] >= 2) {
		if (c[off + 1] == USB_DT_ENDPOINT && c[off] >= 7 &&
		    off + 7 <= desc->config_len && (c[off + 3] & 3) ==
		    USB_XFER_BULK) {
			c[off + 4] = 64;
			c[off + 5] = 0;
		}
		off += c[off];
	}
	return reply(p, c, desc->config_len);
}

static bool get_descriptor(struct usb_desc_state *s, struct usb_packet *p)
{
	const struct usb_desc *desc = s->desc;
	uint8_t type = p->setup.wValue >> 8, index = p->setup.wValue & 0xff;
	uint8_t dev[18];

	switch (type) {
	case USB_DT_DEVICE:
		memcpy(dev, desc->device, sizeof(dev));
		dev[8] = s->vendor_id & 0xff;
		dev[9] = s->vendor_id >> 8;
		dev[10] = s->product_id & 0xff;
		dev[11] = s->product_id >> 8;
		return reply(p, dev, sizeof(dev));
	case USB_DT_CONFIG:
		if (index)
			return stall(p);
		return reply(p, desc->config, desc->config_len);
	case USB_DT_STRING:
		switch (index) {
		case 0:
			return reply(p, (const uint8_t[]){ 4, USB_DT_STRING,
							   0x09, 0x04 }, 4);
		case USB_STR_MANUFACTURER:
			return string(p, desc->manufacturer);
		case USB_STR_PRODUCT:
			return string(p, desc->product);
		case USB_STR_SERIAL:
			return string(p, s->serial);
		}
		return stall(p);
	case USB_DT_BOS:
		/* Only a model with one (a SuperSpeed one) has a BOS. */
		if (!desc->bos || index)
			return stall(p);
		return reply(p, desc->bos, desc->bos_len);
	case USB_DT_DEVICE_QUALIFIER:
		/* A full-speed-only or a SuperSpeed device answers with a
		 * request error. */
		if (!desc->qualifier || index)
			return stall(p);
		return reply(p, desc->qualifier, 10);
	case USB_DT_OTHER_SPEED_CONFIG:
		if (index)
			return stall(p);
		return other_speed(s, p);
	}
	return stall(p);
}

/* GET_DESCRIPTOR to an interface: HID's class and report descriptors. */
static bool get_iface_descriptor(struct usb_desc_state *s,
				 struct usb_packet *p)
{
	const uint8_t *hid;

	if (p->setup.wIndex != 0 || !s->desc->report)
		return stall(p);
	switch (p->setup.wValue >> 8) {
	case USB_DT_HID:
		if (!(hid = find_desc(s->desc, USB_DT_HID)))
			return stall(p);
		return reply(p, hid, hid[0]);
	case USB_DT_REPORT:
		return reply(p, s->desc->report, s->desc->report_len);
	}
	return stall(p);
}

static bool device_request(struct usb_desc_state *s, struct usb_packet *p,
			   bool in)
{
	const struct usb_setup *st = &p->setup;
	uint8_t status[2] = { 0, 0 };
	/* bcdUSB 3.x: the USB 3 requests and features are the device's. */
	bool ss = s->desc->device[3] >= 3;

	switch (st->bRequest) {
	case USB_REQ_GET_STATUS:
		if (!in)
			return stall(p);
		/* Bus powered; bit 1 is remote wakeup, 2 and 3 U1 and U2
		 * enabled (SuperSpeed). */
		status[0] = (uint8_t)((s->remote_wakeup ? 2 : 0) | s->u12 << 2);
		return reply(p, status, 2);
	case USB_REQ_CLEAR_FEATURE:
	case USB_REQ_SET_FEATURE:
		if (in)
			return stall(p);
		if (ss && s->config && (st->wValue == USB_FEAT_U1_ENABLE ||
					st->wValue == USB_FEAT_U2_ENABLE)) {
			/* Recorded only: the link has no low-power states. */
			uint8_t bit = st->wValue == USB_FEAT_U1_ENABLE ? 1 : 2;

			if (st->bRequest == USB_REQ_SET_FEATURE)
				s->u12 |= bit;
			else
				s->u12 &= (uint8_t)~bit;
			return ok(p);
		}
		/* TEST_MODE is not offered: a request error. */
		if (st->wValue != USB_FEAT_REMOTE_WAKEUP)
			return stall(p);
		s->remote_wakeup = st->bRequest == USB_REQ_SET_FEATURE;
		return ok(p);
	case USB_REQ_SET_SEL:
		/* The exit latencies (6 bytes) matter to a link with
		 * low-power states; this one has none. */
		if (!ss || in || st->wValue || st->wIndex || st->wLength != 6)
			return stall(p);
		return ok(p);
	case USB_REQ_SET_ISOCH_DELAY:
		if (!ss || in || st->wIndex || st->wLength)
			return stall(p);
		return ok(p);
	case USB_REQ_GET_DESCRIPTOR:
		if (!in)
			return stall(p);
		return get_descriptor(s, p);
	case USB_REQ_GET_CONFIGURATION:
		if (!in)
			return stall(p);
		return reply(p, &s->config, 1);
	case USB_REQ_SET_CONFIGURATION:
		if (in || (st->wValue != 0 &&
			   st->wValue != s->desc->config[5]))
			return stall(p);
		s->config = (uint8_t)st->wValue;
		s->halted = 0;
		return ok(p);
	}
	/* SET_DESCRIPTOR, SYNCH_FRAME, unknown requests. */
	return stall(p);
}

static bool interface_request(struct usb_desc_state *s,
			      struct usb_packet *p, bool in)
{
	const struct usb_setup *st = &p->setup;
	uint8_t zero[2] = { 0, 0 };

	if (in && st->bRequest == USB_REQ_GET_DESCRIPTOR)
		return get_iface_descriptor(s, p);
	/* Interface requests are request errors in the address state. */
	if (!s->config || st->wIndex >= s->desc->config[4])
		return stall(p);
	switch (st->bRequest) {
	case USB_REQ_GET_STATUS:
		return in ? reply(p, zero, 2) : stall(p);
	case USB_REQ_GET_INTERFACE:
		return in ? reply(p, zero, 1) : stall(p);
	case USB_REQ_SET_INTERFACE:
		if (in || st->wValue != 0)
			return stall(p);
		/* Selecting a setting resets its endpoints' halts. */
		s->halted = 0;
		return ok(p);
	}
	return stall(p);
}

static bool endpoint_request(struct usb_desc_state *s, struct usb_packet *p,
			     bool in)
{
	const struct usb_setup *st = &p->setup;
	uint8_t ep = st->wIndex & 0xff, status[2] = { 0, 0 };

	if (st->wIndex > 0xff)
		return stall(p);
	if ((ep & 0x7f) != 0 &&
	    (!s->config || !usb_desc_endpoint(s, ep, NULL)))
		return stall(p);
	if ((ep & 0x7f) == 0 && (ep & 0x80))
		ep = 0;
	switch (st->bRequest) {
	case USB_REQ_GET_STATUS:
		if (!in)
			return stall(p);
		status[0] = ep && usb_desc_halted(s, ep);
		return reply(p, status, 2);
	case USB_REQ_CLEAR_FEATURE:
	case USB_REQ_SET_FEATURE:
		if (in || st->wValue != USB_FEAT_ENDPOINT_HALT)
			return stall(p);
		/* The default pipe cannot stay halted: a no-op there. */
		if (ep)
			usb_desc_set_halt(s, ep,
					  st->bRequest == USB_REQ_SET_FEATURE);
		return ok(p);
	}
	return stall(p);
}

bool usb_desc_handle(struct usb_desc_state *s, struct usb_packet *p)
{
	uint8_t rt = p->setup.bmRequestType;
	bool in = rt & USB_DIR_IN;

	if ((rt & USB_TYPE_MASK) != USB_TYPE_STANDARD)
		return false;
	switch (rt & USB_RECIP_MASK) {
	case USB_RECIP_DEVICE:
		return device_request(s, p, in);
	case USB_RECIP_INTERFACE:
		return interface_request(s, p, in);
	case USB_RECIP_ENDPOINT:
		return endpoint_request(s, p, in);
	}
	return stall(p);
}
