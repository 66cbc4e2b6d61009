/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: atoll-usb's xHCI core (dev-usb/xhci-*.c) against a
 * hostile guest. Each run starts a controller on 2 MiB of fake RAM with a
 * device enumerated and configured the way Linux does it (slot 1, EP0,
 * bulk OUT/IN and interrupt IN rings at known places), then plays the
 * input as a list of operations:
 *
 *   0 off16 len8 bytes   write RAM at off16 * 16 (anywhere in RAM)
 *   1 off16 val32        32-bit register write at off16 & 0xfffc
 *   2 slot8 val8         doorbell `slot` (0..40) with target `val`
 *   3 dci8 idx8 trb[16]  a TRB on the transfer ring of `dci`, at `idx`
 *   4 trb[16]            a command TRB, then doorbell 0
 *   5 what8              the device: wake up, complete its held packet,
 *                        disconnect or reconnect
 *   6 mode8              the device's next answers (success lengths,
 *                        NAK, STALL, async, babble)
 *   7                    the driver reads every event (moves ERDP)
 *   8 off16 size8        a register read
 *   9 off16 len8 bytes   the process restarts: a new controller loads
 *                        the state the old one kept, with `len` bytes
 *                        of the input written over both copies at `off`
 *                        (their framing kept), then resumes
 *
 * The process must not crash, leak, overflow or spin (libFuzzer's
 * -timeout catches the last).
 */
#include <stdio.h>
#include <stdlib.h>

#include "xhci-guest.h"

struct fdev {
	struct usb_device d;
	uint8_t mode;
	struct usb_packet *held;
};

static int fdev_handle(struct usb_device *d, struct usb_packet *p)
{
	struct fdev *f = (struct fdev *)d;
	uint8_t m = f->mode;

	f->mode = (uint8_t)(m * 5 + 1);        /* vary the next answer */
	p->actual = 0;
	switch (m & 7) {
	case 0:
		return p->status = USB_RET_NAK;
	case 1:
		return p->status = USB_RET_STALL;
	case 2:
		if (f->held)
			return p->status = USB_RET_NAK;
		f->held = p;
		return p->status = USB_RET_ASYNC;
	case 3:
		p->actual = p->len + 1;        /* a device lying about length */
		return p->status = USB_RET_SUCCESS;
	default:
		p->actual = p->len >> (m >> 5);
		if (p->buf && p->actual)
			memset(p->buf, m, p->actual);
		return p->status = USB_RET_SUCCESS;
	}
}

static void fdev_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct fdev *f = (struct fdev *)d;

	if (p != f->held)
		abort();                       /* cancel of a packet not held */
	f->held = NULL;
}

static void fdev_destroy(struct usb_device *d)
{
	(void)d;
}

static const struct usb_device_ops fdev_ops = {
	.handle = fdev_handle,
	.cancel = fdev_cancel,
	.destroy = fdev_destroy,
};

static struct guest g;
static struct fdev dev;
static uint8_t *state;

static void drain(void)
{
	struct trb ev;

	for (unsigned i = 0; i < 128 && g_event(&g, &ev); i++)
		;
}

static void input_ep(unsigned dci, unsigned type, unsigned mps)
{
	uint8_t *c = g.ram + G_IN + 32 * (dci + 1);

	g_ring_init(&g, dci);
	put_le32(c + 4, mps << 16 | type << 3);
	put_le64(c + 8, g_addr(G_RING(dci)) | 1);
}

/* What Linux does before any transfer: port reset, Enable Slot, Address
 * Device, Configure Endpoint (bulk OUT 2, bulk IN 3, interrupt IN 5). */
static void bring_up(void)
{
	g_start(&g);
	g_wr(&g, XHCI_PORT_BASE, PORTSC_PP | PORTSC_PR);
	g_cmd_post(&g, 0, 0, TRB_ENABLE_SLOT << 10);
	put_le64(g.ram + G_DCBAA + 8, g_addr(G_OUT + 0x400));
	memset(g.ram + G_IN, 0, 0x400);
	put_le32(g.ram + G_IN + 4, 3);
	put_le32(g.ram + G_IN + 32, 1u << 27);
	put_le32(g.ram + G_IN + 36, 1u << 16);
	input_ep(1, EPT_CONTROL, 64);
	g_cmd_post(&g, g_addr(G_IN), 0, TRB_ADDRESS_DEVICE << 10 | 1u << 24);
	memset(g.ram + G_IN, 0, 0x400);
	put_le32(g.ram + G_IN + 4, 1u | 1u << 2 | 1u << 3 | 1u << 5);
	put_le32(g.ram + G_IN + 32, 5u << 27);
	put_le32(g.ram + G_IN + 36, 1u << 16);
	input_ep(2, EPT_BULK_OUT, 512);
	input_ep(3, EPT_BULK_IN, 512);
	input_ep(5, EPT_INT_IN, 8);
	g_cmd_post(&g, g_addr(G_IN), 0, TRB_CONFIGURE_EP << 10 | 1u << 24);
	drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	size_t i = 0;

	if (!ram && !(ram = malloc(RAM_SIZE)))
		abort();
	if (!state && !(state = malloc(XHCI_STATE_SIZE)))
		abort();
	memset(ram, 0, RAM_SIZE);
	memset(state, 0, XHCI_STATE_SIZE);
	memset(&g, 0, sizeof(g));
	memset(&dev, 0, sizeof(dev));
	g.ram = ram;
	g.x = xhci_new(&g_ops, &g);
	if (!g.x)
		abort();
	dev.d.ops = &fdev_ops;
	dev.d.kind = "fuzz";
	dev.d.speed = USB_SPEED_HIGH;
	dev.d.connected = true;
	dev.mode = 4;
	if (xhci_attach(g.x, 1, &dev.d) < 0 ||
	    xhci_state_attach(g.x, state, XHCI_STATE_SIZE) < 0)
		abort();
	bring_up();

	while (i < size) {
		uint8_t op = data[i++] % 10;
		size_t left = size - i;
		const uint8_t *a = data + i;

		switch (op) {
		case 0: {
			uint32_t off, len;

			if (left < 3)
				goto out;
			off = (uint32_t)(a[0] | a[1] << 8) * 16u;
			len = a[2] % 65;
			i += 3;
			if (len > size - i)
				len = (uint32_t)(size - i);
			if (off + len <= RAM_SIZE)
				memcpy(ram + off, data + i, len);
			i += len;
			break;
		}
		case 1:
			if (left < 6)
				goto out;
			g_wr(&g, (uint32_t)(a[0] | a[1] << 8) & 0xfffcu,
			     get_le32(a + 2));
			i += 6;
			break;
		case 2:
			if (left < 2)
				goto out;
			g_wr(&g, XHCI_DB + 4u * (a[0] % 41), a[1]);
			i += 2;
			break;
		case 3:
			if (left < 18)
				goto out;
			memcpy(ram + G_RING(a[0] % 32) + 16u * a[1], a + 2, 16);
			i += 18;
			break;
		case 4:
			if (left < 16)
				goto out;
			g_cmd_post(&g, get_le64(a), get_le32(a + 8),
				   get_le32(a + 12) & ~TRB_C);
			i += 16;
			break;
		case 5:
			if (left < 1)
				goto out;
			switch (a[0] & 3) {
			case 0:
				usb_port_wakeup(&dev.d, a[0] & 0x80 ?
						0x82 : 0x81);
				break;
			case 1:
				if (dev.held) {
					struct usb_packet *p = dev.held;

					dev.held = NULL;
					p->actual = p->len >> (a[0] >> 5);
					p->status = a[0] & 0x10 ?
						    USB_RET_STALL :
						    USB_RET_SUCCESS;
					usb_port_complete(&dev.d, p);
				}
				break;
			case 2:
				usb_port_connection(&dev.d, false);
				break;
			default:
				usb_port_connection(&dev.d, true);
				break;
			}
			i += 1;
			break;
		case 6:
			if (left < 1)
				goto out;
			dev.mode = a[0];
			i += 1;
			break;
		case 7:
			drain();
			break;
		case 9: {
			size_t cs = xhci_state_copy_size(), off, len;
			char why[128];

			if (left < 3)
				goto out;
			/* Inside a copy, between its 24-byte head and its
			 * 8-byte tail: the loader's checks see the bytes. */
			off = 24 + (size_t)(a[0] | a[1] << 8) % (cs - 32);
			len = a[2] % 33;
			i += 3;
			if (len > size - i)
				len = size - i;
			if (len > cs - 8 - off)
				len = cs - 8 - off;
			memcpy(state + off, data + i, len);
			memcpy(state + cs + off, data + i, len);
			i += len;
			xhci_free(g.x);
			dev.held = NULL;
			if (!(g.x = xhci_new(&g_ops, &g)) ||
			    xhci_attach(g.x, 1, &dev.d) < 0 ||
			    xhci_state_attach(g.x, state, XHCI_STATE_SIZE) < 0)
				abort();
			if (xhci_state_load(g.x, why, sizeof(why)) == 1)
				xhci_resume(g.x);
			break;
		}
		default:
			if (left < 3)
				goto out;
			(void)xhci_mmio_read(g.x, (uint32_t)(a[0] | a[1] << 8) &
					     0xfff8u, 1u << (a[2] % 4));
			i += 3;
			break;
		}
	}
out:
	xhci_free(g.x);
	return 0;
}
