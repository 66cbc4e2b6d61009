/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a hostile guest's bulk and control transfers into
 * dev-usb/usb-storage.c (bulk-only transport over scsi-disk.c) on a
 * 64-block memfd image, as the controller would hand them. The device is
 * configured, then the input is a list of packets, each starting with a
 * byte whose low 3 bits choose:
 *   0: bulk OUT: 2 bytes length (LE, mod 1100), then that many bytes
 *      (a CBW is a 31-byte OUT: 1f 00 55 53 42 43 ...)
 *   1: bulk IN: 2 bytes length (LE, mod 1100)
 *   2: CLEAR_FEATURE(ENDPOINT_HALT): 1 byte endpoint
 *   3: a control transfer: 8 bytes SETUP (LE fields); an OUT request's
 *      data is the next wLength bytes (at most 64)
 *   4: port reset, then SET_CONFIGURATION(1)
 *   5: a packet to another endpoint or of another type: 2 bytes
 *   6: Reset Recovery (class reset, CLEAR_FEATURE on both endpoints)
 *   7: a bulk OUT packet of 31 bytes taken as is (a CBW, or not)
 * Bit 3 of the input's first byte (unused by the ops) makes the disk
 * SuperSpeed (its BOS and USB 3 requests), else it is high speed.
 * Each packet's buffer is exactly its length (ASan sees any overrun).
 * Aborts if a packet comes back with an actual length past its buffer, a
 * status outside usb_ret or USB_RET_ASYNC/NAK (the device never waits),
 * or a 13-byte IN that looks like a CSW but carries status > 2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "usb-desc.h"
#include "usb-models.h"

#define IMAGE (64u * 512u)
#define EP_IN 0x81
#define EP_OUT 0x02

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int image(void)
{
	static int fd = -1;

	if (fd < 0) {
		/* Refusals are logged (rate-limited) per device: noise here. */
		log_init("fuzz-bot", ATOLL_LOG_ERROR);
		fd = memfd_create("fuzz-bot", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, IMAGE) < 0)
			abort();
	}
	return fd;
}

static void run(struct usb_device *d, struct usb_packet *p)
{
	int rc = d->ops->handle(d, p);

	if (rc != p->status || p->actual > p->len)
		abort();
	if (rc != USB_RET_SUCCESS && rc != USB_RET_STALL &&
	    rc != USB_RET_BABBLE)
		abort();
	if (rc == USB_RET_SUCCESS && p->ep == EP_IN && p->actual == 13 &&
	    !memcmp(p->buf, "USBS", 4) && p->buf[12] > 2)
		abort();
}

static void packet(struct usb_device *d, uint8_t ep, uint8_t type,
		   const uint8_t *src, size_t len)
{
	struct usb_packet p = { .ep = ep, .type = type, .len = len };

	/* Exactly len bytes, so ASan catches any overrun. */
	p.buf = malloc(len ? len : 1);
	if (!p.buf)
		abort();
	if (src)
		memcpy(p.buf, src, len);
	else
		memset(p.buf, 0xa5, len);
	run(d, &p);
	free(p.buf);
}

static void control(struct usb_device *d, uint8_t rt, uint8_t req,
		    uint16_t value, uint16_t index, uint16_t length,
		    const uint8_t *src)
{
	struct usb_packet p = {
		.ep = 0, .type = USB_XFER_CONTROL,
		.setup = { rt, req, value, index, length }, .len = length,
	};

	p.buf = malloc(length ? length : 1);
	if (!p.buf)
		abort();
	memset(p.buf, 0, length);
	if (src)
		memcpy(p.buf, src, length);
	run(d, &p);
	free(p.buf);
}

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	struct usb_device *d = usb_storage_new(image(), false,
					       size && (data[0] & 8) ?
					       USB_SPEED_SUPER : USB_SPEED_HIGH,
					       NULL, &why);
	size_t n;

	if (!d)
		abort();
	control(d, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL);
	while (size) {
		uint8_t op = data[0] & 7;

		data++;
		size--;
		switch (op) {
		case 0:
		case 1:
			if (size < 2)
				goto out;
			n = le16(data) % 1100;
			data += 2;
			size -= 2;
			if (op == 1) {
				packet(d, EP_IN, USB_XFER_BULK, NULL, n);
				break;
			}
			if (n > size)
				n = size;
			packet(d, EP_OUT, USB_XFER_BULK, data, n);
			data += n;
			size -= n;
			break;
		case 2:
			if (size < 1)
				goto out;
			control(d, 0x02, USB_REQ_CLEAR_FEATURE,
				USB_FEAT_ENDPOINT_HALT, data[0], 0, NULL);
			data++;
			size--;
			break;
		case 3: {
			uint16_t len;

			if (size < 8)
				goto out;
			len = le16(data + 6);
			if (data[0] & USB_DIR_IN) {
				control(d, data[0], data[1], le16(data + 2),
					le16(data + 4), len, NULL);
				data += 8;
				size -= 8;
				break;
			}
			len = len > 64 ? 64 : len;
			if (len > size - 8)
				len = (uint16_t)(size - 8);
			control(d, data[0], data[1], le16(data + 2),
				le16(data + 4), len, data + 8);
			data += 8 + len;
			size -= 8 + len;
			break;
		}
		case 4:
			d->ops->reset(d);
			control(d, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0,
				NULL);
			break;
		case 5:
			if (size < 2)
				goto out;
			packet(d, data[0], data[1] & 3, NULL, 64);
			data += 2;
			size -= 2;
			break;
		case 6:
			control(d, 0x21, 0xff, 0, 0, 0, NULL);
			control(d, 0x02, USB_REQ_CLEAR_FEATURE,
				USB_FEAT_ENDPOINT_HALT, EP_IN, 0, NULL);
			control(d, 0x02, USB_REQ_CLEAR_FEATURE,
				USB_FEAT_ENDPOINT_HALT, EP_OUT, 0, NULL);
			break;
		case 7:
			if (size < 31)
				goto out;
			packet(d, EP_OUT, USB_XFER_BULK, data, 31);
			data += 31;
			size -= 31;
			break;
		}
	}
out:
	d->ops->destroy(d);
	return 0;
}
