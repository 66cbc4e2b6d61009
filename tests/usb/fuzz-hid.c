/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a hostile guest's control and interrupt transfers and any
 * input events into dev-usb/usb-hid.c (and usb-desc.c's standard
 * requests). Byte 0's bit 0 picks the keyboard or the tablet; then a list
 * of records, each starting with a byte whose low 2 bits choose:
 *   0: a control transfer: 8 bytes SETUP (LE fields); an OUT request's
 *      data is the next wLength bytes (at most 64)
 *   1: interrupt IN (or, with bit 2, another endpoint/type): 1 byte length
 *   2: an input event: 1 byte type (EV_SYN, EV_KEY, EV_REL, EV_ABS or the
 *      byte itself), 2 bytes code, 4 bytes value (LE)
 *   3: port reset (bit 2: then SET_CONFIGURATION(1))
 * Every buffer is exactly its length (ASan sees an overrun). Aborts if a
 * packet comes back with more than its length, a status the device never
 * gives (ASYNC), a NAK other than the interrupt endpoint's, a tablet
 * report with X or Y past 0x7fff or a button past the third, or
 * usb_hid_input returns other than 0, -EINVAL, -ENOSPC.
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usb-desc.h"
#include "usb-models.h"

#define EP_IN 0x81

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool tablet;

static void run(struct usb_device *d, struct usb_packet *p)
{
	int rc = d->ops->handle(d, p);

	if (rc != p->status || p->actual > p->len)
		abort();
	if (rc == USB_RET_ASYNC || rc == USB_RET_IOERROR ||
	    (rc == USB_RET_NAK && p->ep != EP_IN))
		abort();
	if (tablet && rc == USB_RET_SUCCESS && p->ep == EP_IN &&
	    p->actual == 6 && (p->buf[0] > 7 || p->buf[2] > 0x7f ||
			       p->buf[4] > 0x7f))
		abort();
}

static void packet(struct usb_device *d, uint8_t ep, uint8_t type,
		   size_t len)
{
	struct usb_packet p = { .ep = ep, .type = type, .len = len };

	if (!(p.buf = malloc(len ? len : 1)))
		abort();
	run(d, &p);
	free(p.buf);
}

static void control(struct usb_device *d, const uint8_t *s, uint16_t len,
		    const uint8_t *src)
{
	struct usb_packet p = {
		.ep = 0, .type = USB_XFER_CONTROL,
		.setup = { s[0], s[1], (uint16_t)(s[2] | s[3] << 8),
			   (uint16_t)(s[4] | s[5] << 8), len },
		.len = len,
	};

	if (!(p.buf = malloc(len ? len : 1)))
		abort();
	if (src)
		memcpy(p.buf, src, len);
	run(d, &p);
	free(p.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[4] = { EV_SYN, EV_KEY, EV_REL, EV_ABS };
	static const uint8_t set_config[8] = { 0, USB_REQ_SET_CONFIGURATION,
					       1, 0, 0, 0, 0, 0 };
	struct usb_device *d;

	if (!size)
		return 0;
	tablet = data[0] & 1;
	d = tablet ? usb_tablet_new(NULL) : usb_keyboard_new(NULL);
	if (!d)
		abort();
	data++;
	size--;
	while (size) {
		uint8_t op = data[0];

		data++;
		size--;
		switch (op & 3) {
		case 0: {
			uint16_t len;

			if (size < 8)
				goto out;
			len = (uint16_t)(data[6] | data[7] << 8);
			if (data[0] & USB_DIR_IN) {
				control(d, data, len, NULL);
				data += 8;
				size -= 8;
				break;
			}
			len = len > 64 ? 64 : len;
			if (len > size - 8)
				len = (uint16_t)(size - 8);
			control(d, data, len, data + 8);
			data += 8 + len;
			size -= 8 + len;
			break;
		}
		case 1:
			if (size < 1)
				goto out;
			if (op & 4)
				packet(d, data[0], op >> 3 & 3, 8);
			else
				packet(d, EP_IN, USB_XFER_INTERRUPT, data[0]);
			data++;
			size--;
			break;
		case 2: {
			uint16_t type, code;
			int32_t value;
			int rc;

			if (size < 7)
				goto out;
			type = data[0] < 4 ? types[data[0]] : data[0];
			code = (uint16_t)(data[1] | data[2] << 8);
			value = (int32_t)((uint32_t)data[3] |
					  (uint32_t)data[4] << 8 |
					  (uint32_t)data[5] << 16 |
					  (uint32_t)data[6] << 24);
			rc = usb_hid_input(d, type, code, value);
			if (rc && rc != -EINVAL && rc != -ENOSPC)
				abort();
			data += 7;
			size -= 7;
			break;
		}
		case 3:
			d->ops->reset(d);
			if (op & 4)
				control(d, set_config, 0, NULL);
			break;
		}
	}
out:
	d->ops->destroy(d);
	return 0;
}
