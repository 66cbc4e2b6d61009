/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's xHCI core (dev-usb/xhci-*.c) with a fake guest (RAM as an
 * array, a driver doing what xhci-hcd does) and a fake USB device: reset
 * and run, port reset, Enable Slot, Address Device, a control
 * GET_DESCRIPTOR (short), Configure Endpoint, bulk OUT and a bulk IN larger
 * than the bounce buffer, an interrupt IN that NAKs and completes on
 * wakeup, an async completion, a stall and its recovery; hostile rings and
 * registers: a loop of Link TRBs, rings and buffers outside RAM, bad slot
 * ids, a doorbell for a disabled slot, ERST size 0 and above ERST Max.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "xhci-guest-check.h"

/* ---- the fake device ---- */

struct fake {
	struct usb_device d;
	uint8_t out[4096];
	size_t out_len;
	unsigned resets;
	int int_ready;          /* interrupt IN reports queued */
	bool stall_next;
	bool async_next;
	struct usb_packet *held;
	unsigned handled;
	unsigned config;        /* the last SET_CONFIGURATION */
};

static const uint8_t dev_desc[18] = {
	18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0, 1,
	1, 2, 3, 1,
};

static int fake_handle(struct usb_device *d, struct usb_packet *p)
{
	struct fake *f = (struct fake *)d;

	f->handled++;
	p->actual = 0;
	if (f->stall_next) {
		f->stall_next = false;
		return p->status = USB_RET_STALL;
	}
	if (f->async_next) {
		f->async_next = false;
		f->held = p;
		return p->status = USB_RET_ASYNC;
	}
	if (p->ep == 0) {
		if (p->setup.bmRequestType == 0 && p->setup.bRequest == 9)
			f->config = p->setup.wValue;
		if (p->setup.bmRequestType == 0x80 && p->setup.bRequest == 6 &&
		    (p->setup.wValue >> 8) == 1) {
			size_t n = p->len < 18 ? p->len : 18;

			memcpy(p->buf, dev_desc, n);
			p->actual = n;
		}
		return p->status = USB_RET_SUCCESS;
	}
	if (p->ep == 0x01) {                          /* bulk OUT */
		size_t n = p->len < sizeof(f->out) - f->out_len ?
			   p->len : sizeof(f->out) - f->out_len;

		memcpy(f->out + f->out_len, p->buf, n);
		f->out_len += n;
		p->actual = p->len;
		return p->status = USB_RET_SUCCESS;
	}
	if (p->ep == 0x81) {                          /* bulk IN */
		for (size_t i = 0; i < p->len; i++)
			p->buf[i] = (uint8_t)(i * 7 + 3);
		p->actual = p->len;
		return p->status = USB_RET_SUCCESS;
	}
	if (p->ep == 0x82) {                          /* interrupt IN */
		if (!f->int_ready)
			return p->status = USB_RET_NAK;
		f->int_ready--;
		memset(p->buf, 0xab, p->len < 8 ? p->len : 8);
		p->actual = p->len < 8 ? p->len : 8;
		return p->status = USB_RET_SUCCESS;
	}
	return p->status = USB_RET_STALL;
}

static void fake_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct fake *f = (struct fake *)d;

	ck_assert_ptr_eq(p, f->held);
	f->held = NULL;
}

static void fake_reset(struct usb_device *d)
{
	((struct fake *)d)->resets++;
}

static void fake_destroy(struct usb_device *d)
{
	(void)d;
}

static const struct usb_device_ops fake_ops = {
	.handle = fake_handle,
	.cancel = fake_cancel,
	.reset = fake_reset,
	.destroy = fake_destroy,
};

/* ---- fixture ---- */

static struct guest g;
static struct fake dev;

static void setup(void)
{
	memset(&g, 0, sizeof(g));
	memset(&dev, 0, sizeof(dev));
	g.ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(g.ram);
	g.x = xhci_new(&g_ops, &g);
	ck_assert_ptr_nonnull(g.x);
	dev.d.ops = &fake_ops;
	dev.d.kind = "fake";
	dev.d.speed = USB_SPEED_HIGH;
	dev.d.connected = true;
	ck_assert_int_eq(xhci_attach(g.x, 1, &dev.d), 0);
	g_start(&g);
}

static void teardown(void)
{
	/* A reset frees every slot: nothing of theirs stays allocated. */
	g_wr(&g, XHCI_OP, CMD_HCRST);
	ck_assert_uint_eq(g.x->mem_used, 0);
	xhci_free(g.x);
	free(g.ram);
}

static void port_reset(unsigned port)
{
	struct trb ev;

	g_wr(&g, XHCI_PORT_BASE + 0x10 * (port - 1), PORTSC_PP | PORTSC_PR);
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, port);
	ck_assert(g_portsc(&g, port) & PORTSC_PRC);
	ck_assert(g_portsc(&g, port) & PORTSC_PED);
	/* Clear the change bits as the driver does (RW1C, PED left 0). */
	g_wr(&g, XHCI_PORT_BASE + 0x10 * (port - 1),
	     PORTSC_PP | PORTSC_PRC | PORTSC_CSC);
	ck_assert(!(g_portsc(&g, port) & (PORTSC_PRC | PORTSC_CSC)));
	ck_assert(g_portsc(&g, port) & PORTSC_PED);
}

static void input_ctx_clear(void)
{
	memset(g.ram + G_IN, 0, 0x1000);
}

/* Enable Slot + Address Device on port 1; returns the slot id. */
static unsigned enumerate(void)
{
	unsigned sid, cc;
	uint32_t st;

	g_expect_event(&g, TRB_EV_PORT);      /* the connection, seen at RS */
	port_reset(1);
	cc = g_command(&g, 0, 0, TRB_ENABLE_SLOT << 10, &sid);
	ck_assert_uint_eq(cc, CC_SUCCESS);
	ck_assert_uint_ge(sid, 1);
	put_le64(g.ram + G_DCBAA + 8 * sid, g_addr(G_OUT + 0x400 * sid));
	input_ctx_clear();
	put_le32(g.ram + G_IN + 4, 3);   /* A0, A1 */
	g_input_slot(&g, 1, 1);
	g_input_ep(&g, 1, EPT_CONTROL, 64);
	cc = g_command(&g, g_addr(G_IN), 0,
		       TRB_ADDRESS_DEVICE << 10 | sid << 24, NULL);
	ck_assert_uint_eq(cc, CC_SUCCESS);
	st = get_le32(g.ram + G_OUT + 0x400 * sid + 12);
	ck_assert_uint_eq(st >> 27, SLOT_ADDRESSED);
	ck_assert_uint_eq(st & 0xff, sid);
	ck_assert_uint_eq(g_ep_state(&g, sid, 1), EP_RUNNING);
	return sid;
}

/* Configure: bulk OUT ep 1 (DCI 2), bulk IN ep 1 (DCI 3), interrupt IN
 * ep 2 (DCI 5). */
static void configure(unsigned sid)
{
	unsigned cc;

	input_ctx_clear();
	put_le32(g.ram + G_IN + 4, 1u | 1u << 2 | 1u << 3 | 1u << 5);
	g_input_slot(&g, 1, 5);
	g_input_ep(&g, 2, EPT_BULK_OUT, 512);
	g_input_ep(&g, 3, EPT_BULK_IN, 512);
	g_input_ep(&g, 5, EPT_INT_IN, 8);
	cc = g_command(&g, g_addr(G_IN), 0, TRB_CONFIGURE_EP << 10 | sid << 24,
		       NULL);
	ck_assert_uint_eq(cc, CC_SUCCESS);
	ck_assert_uint_eq(get_le32(g.ram + G_OUT + 0x400 * sid + 12) >> 27,
			  SLOT_CONFIGURED);
}

static void ring(unsigned sid, unsigned dci)
{
	g_wr(&g, XHCI_DB + 4 * sid, dci);
}

/* ---- tests ---- */

START_TEST(reset_and_run)
{
	struct trb ev;

	ck_assert_uint_eq(g_rd(&g, 0) & 0xff, XHCI_CAPLENGTH);
	ck_assert_uint_eq(g_rd(&g, 4) >> 24, XHCI_PORTS);
	ck_assert(!(g_rd(&g, XHCI_OP + 4) & STS_HCH));
	ck_assert(g_portsc(&g, 1) & PORTSC_CCS);
	ck_assert(!(g_portsc(&g, 1) & PORTSC_PED));     /* USB 2: until reset */
	ck_assert(!(g_portsc(&g, 2) & PORTSC_CCS));
	/* Supported Protocol capability: USB 2.0, ports 1..8. */
	ck_assert_uint_eq(g_rd(&g, XHCI_XECP) & 0xff, 2);
	ck_assert_uint_eq(g_rd(&g, XHCI_XECP) >> 24, 2);
	ck_assert_uint_eq(g_rd(&g, XHCI_XECP + 8) & 0xffff, 1 | 8 << 8);
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, 1);
	ck_assert(g.irq_edges >= 1);
	ck_assert(!g.irq);                        /* g_event acknowledged */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
	/* Stop: halted, doorbells ignored. */
	g_wr(&g, XHCI_OP, 0);
	ck_assert(g_rd(&g, XHCI_OP + 4) & STS_HCH);
	g_cmd_post(&g, 0, 0, TRB_NOOP_CMD << 10);
	g_expect_no_event(&g);
}
END_TEST

START_TEST(port_reset_resets_device)
{
	g_expect_event(&g, TRB_EV_PORT);
	port_reset(1);
	ck_assert_uint_eq(dev.resets, 1);
	ck_assert_uint_eq((g_portsc(&g, 1) & PORTSC_SPEED_MASK) >>
			  PORTSC_SPEED_SHIFT, USB_SPEED_HIGH);
	/* Disconnect: CSC and an event; the port is empty. */
	usb_port_connection(&dev.d, false);
	g_expect_event(&g, TRB_EV_PORT);
	ck_assert(!(g_portsc(&g, 1) & PORTSC_CCS));
	ck_assert(g_portsc(&g, 1) & PORTSC_CSC);
}
END_TEST

START_TEST(superspeed_moves_to_usb3_port)
{
	static struct fake ss;
	struct trb ev;

	g_expect_event(&g, TRB_EV_PORT);
	memset(&ss, 0, sizeof(ss));
	ss.d.ops = &fake_ops;
	ss.d.kind = "fake";
	ss.d.speed = USB_SPEED_FULL;       /* until its peer says */
	ck_assert_int_eq(xhci_attach(g.x, 2, &ss.d), 0);
	ck_assert_int_eq(xhci_attach(g.x, 3, &ss.d), -EBUSY);
	ck_assert(!(g_portsc(&g, 2) & PORTSC_CCS));
	ss.d.speed = USB_SPEED_SUPER;
	usb_port_connection(&ss.d, true);
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, 2 + XHCI_USB2_PORTS);
	ck_assert(!(g_portsc(&g, 2) & PORTSC_CCS));
	ck_assert(g_portsc(&g, 2 + XHCI_USB2_PORTS) & PORTSC_CCS);
	ck_assert(g_portsc(&g, 2 + XHCI_USB2_PORTS) & PORTSC_PED);
	ck_assert_uint_eq((g_portsc(&g, 2 + XHCI_USB2_PORTS) &
			   PORTSC_SPEED_MASK) >> PORTSC_SPEED_SHIFT,
			  USB_SPEED_SUPER);
	g_expect_no_event(&g);
	/* Gone again: the USB 3 port shows it. */
	usb_port_connection(&ss.d, false);
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, 2 + XHCI_USB2_PORTS);
	ck_assert(!(g_portsc(&g, 2 + XHCI_USB2_PORTS) & PORTSC_CCS));
}
END_TEST

/* A SuperSpeed device as Linux drives atoll-usb's disk: on USB 3 port 9
 * (a hot reset leaves it enabled in U0), EP0 of 512, a bulk IN of 1024
 * with Max Burst 15, and a 1 MiB TD of 128 chained TRBs that crosses the
 * ring's Link TRB, handed to the device in XHCI_CHUNK pieces. */
START_TEST(superspeed_1mib_td)
{
	static struct fake ss;
	const uint32_t part = 8192, total = 1u << 20;
	unsigned port = 1 + XHCI_USB2_PORTS, sid, cc;
	uint64_t last = 0;
	uint32_t sc;
	struct trb ev;

	memset(&ss, 0, sizeof(ss));
	ss.d.ops = &fake_ops;
	ss.d.kind = "fake";
	ss.d.speed = USB_SPEED_SUPER;
	ss.d.connected = true;
	ck_assert_int_eq(xhci_attach(g.x, port, &ss.d), 0);
	g_expect_event(&g, TRB_EV_PORT);         /* port 1 at RS */
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_PORT).param >> 24, port);
	port_reset(port);
	sc = g_portsc(&g, port);
	ck_assert_uint_eq((sc & PORTSC_SPEED_MASK) >> PORTSC_SPEED_SHIFT,
			  USB_SPEED_SUPER);
	ck_assert_uint_eq((sc & PORTSC_PLS_MASK) >> PORTSC_PLS_SHIFT, PLS_U0);
	ck_assert_uint_eq(ss.resets, 1);

	cc = g_command(&g, 0, 0, TRB_ENABLE_SLOT << 10, &sid);
	ck_assert_uint_eq(cc, CC_SUCCESS);
	put_le64(g.ram + G_DCBAA + 8 * sid, g_addr(G_OUT + 0x400 * sid));
	input_ctx_clear();
	put_le32(g.ram + G_IN + 4, 3);
	g_input_slot(&g, port, 1);
	put_le32(g.ram + G_IN + 32, 1u << 27 | (uint32_t)USB_SPEED_SUPER << 20);
	g_input_ep(&g, 1, EPT_CONTROL, 512);
	cc = g_command(&g, g_addr(G_IN), 0,
		       TRB_ADDRESS_DEVICE << 10 | sid << 24, NULL);
	ck_assert_uint_eq(cc, CC_SUCCESS);
	ck_assert_uint_eq(get_le32(g.ram + G_OUT + 0x400 * sid + 32 + 4) >> 16,
			  512);

	input_ctx_clear();
	put_le32(g.ram + G_IN + 4, 1u | 1u << 3);
	g_input_slot(&g, port, 3);
	put_le32(g.ram + G_IN + 32, 3u << 27 | (uint32_t)USB_SPEED_SUPER << 20);
	g_input_ep(&g, 3, EPT_BULK_IN, 1024);
	put_le32(g.ram + G_IN + 32 * 4 + 4,
		 get_le32(g.ram + G_IN + 32 * 4 + 4) | 15u << 8);
	cc = g_command(&g, g_addr(G_IN), 0, TRB_CONFIGURE_EP << 10 | sid << 24,
		       NULL);
	ck_assert_uint_eq(cc, CC_SUCCESS);

	/* No-Ops up to index 200, so the TD's 128 TRBs wrap at 255. */
	for (unsigned i = 0; i < 200; i++)
		last = g_xfer(&g, 3, 0, 0, TRB_NOOP << 10 |
			      (i == 199 ? TRB_IOC : 0));
	ring(sid, 3);
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_TRANSFER).param, last);

	memset(g.ram + G_DATA, 0, total);
	for (unsigned i = 0; i < total / part; i++)
		last = g_xfer(&g, 3, g_addr(G_DATA + i * part), part,
			      TRB_NORMAL << 10 | TRB_ISP |
			      (i + 1 < total / part ? TRB_CH : TRB_IOC));
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, last);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	ck_assert_uint_eq(ev.status & 0xffffff, 0);
	for (uint32_t i = 0; i < total; i++)
		if (g.ram[G_DATA + i] != (uint8_t)((i % XHCI_CHUNK) * 7 + 3))
			ck_abort_msg("IN byte %u wrong", i);
	ck_assert_uint_eq(ss.handled, total / XHCI_CHUNK);
	g_expect_no_event(&g);
}
END_TEST

START_TEST(control_get_descriptor)
{
	unsigned sid = enumerate();
	uint64_t data_trb, status_trb;
	struct trb ev;
	/* GET_DESCRIPTOR(device), wLength 64: the device has 18 bytes. */
	uint64_t setup = 0x80 | 6u << 8 | 0x0100ull << 16 | 64ull << 48;

	g_xfer(&g, 1, setup, 8, TRB_SETUP << 10 | TRB_IDT | 3u << 16);
	data_trb = g_xfer(&g, 1, g_addr(G_DATA), 64,
			  TRB_DATA << 10 | TRB_ISP | TRB_DIR_IN);
	status_trb = g_xfer(&g, 1, 0, 0, TRB_STATUS << 10 | TRB_IOC);
	ring(sid, 1);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, data_trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SHORT_PACKET);
	ck_assert_uint_eq(ev.status & 0xffffff, 64 - 18);
	ck_assert_uint_eq(TRB_SLOT(ev.control), sid);
	ck_assert_uint_eq(TRB_EP(ev.control), 1);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, status_trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	ck_assert_mem_eq(g.ram + G_DATA, dev_desc, 18);
	g_expect_no_event(&g);

	/* A control TD Linux cancelled: its TRBs turned into No-Ops (no
	 * chain), then a new TD behind them. */
	g_xfer(&g, 1, 0, 0, TRB_NOOP << 10);
	status_trb = g_xfer(&g, 1, 0, 0, TRB_NOOP << 10 | TRB_IOC);
	ring(sid, 1);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, status_trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	g_xfer(&g, 1, setup, 8, TRB_SETUP << 10 | TRB_IDT | 3u << 16);
	g_xfer(&g, 1, g_addr(G_DATA), 64, TRB_DATA << 10 | TRB_ISP |
	       TRB_DIR_IN);
	status_trb = g_xfer(&g, 1, 0, 0, TRB_STATUS << 10 | TRB_IOC);
	ring(sid, 1);
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_TRANSFER).status >> 24,
			  CC_SHORT_PACKET);
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_TRANSFER).param,
			  status_trb);
	ck_assert_uint_eq(g_ep_state(&g, sid, 1), EP_RUNNING);
}
END_TEST

START_TEST(bulk_out_and_in)
{
	unsigned sid = enumerate();
	uint64_t last;
	struct trb ev;
	/* IN: 300 KiB over 5 TRBs of 60 KiB, more than one chunk. */
	const uint32_t part = 60 * 1024;
	const uint32_t in_total = 5 * part;

	configure(sid);
	for (unsigned i = 0; i < 1000; i++)
		g.ram[G_DATA + i] = (uint8_t)i;
	g_xfer(&g, 2, g_addr(G_DATA), 600, TRB_NORMAL << 10 | TRB_CH);
	last = g_xfer(&g, 2, g_addr(G_DATA + 600), 400,
		      TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 2);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, last);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	ck_assert_uint_eq(dev.out_len, 1000);
	ck_assert_mem_eq(dev.out, g.ram + G_DATA, 1000);

	memset(g.ram + G_DATA, 0, in_total);
	for (unsigned i = 0; i < 5; i++)
		last = g_xfer(&g, 3, g_addr(G_DATA + i * part), part,
			      TRB_NORMAL << 10 | TRB_ISP |
			      (i < 4 ? TRB_CH : TRB_IOC));
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, last);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	/* Chunks restart the device's pattern: byte i of chunk c. */
	for (uint32_t i = 0; i < in_total; i++) {
		uint32_t in_chunk = i % XHCI_CHUNK;

		if (g.ram[G_DATA + i] != (uint8_t)(in_chunk * 7 + 3))
			ck_abort_msg("IN byte %u wrong", i);
	}
	ck_assert_uint_eq(dev.handled, 1 + 2);   /* OUT, 2 IN chunks */
}
END_TEST

START_TEST(immediate_data_event_data_bei)
{
	unsigned sid = enumerate();
	struct trb ev;
	uint64_t trb;

	configure(sid);
	/* 4 bytes of immediate data, then an Event Data TRB. */
	g_xfer(&g, 2, 0x44434241, 4, TRB_NORMAL << 10 | TRB_IDT | TRB_CH);
	g_xfer(&g, 2, 0x1234, 0, TRB_EVENT_DATA << 10 | TRB_IOC);
	ring(sid, 2);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, 0x1234);
	ck_assert(ev.control & (1u << 2));             /* ED */
	ck_assert_uint_eq(ev.status & 0xffffff, 4);    /* EDTLA */
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	ck_assert_uint_eq(dev.out_len, 4);
	ck_assert_mem_eq(dev.out, "ABCD", 4);
	/* BEI: the event is written, the interrupt is not raised. */
	g.irq_edges = 0;
	trb = g_xfer(&g, 2, g_addr(G_DATA), 16,
		     TRB_NORMAL << 10 | TRB_IOC | TRB_BEI);
	ring(sid, 2);
	ck_assert(!g.irq);
	ck_assert_uint_eq(g.irq_edges, 0);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	g_xfer(&g, 2, g_addr(G_DATA), 16, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 2);
	ck_assert_uint_eq(g.irq_edges, 1);
	g_expect_event(&g, TRB_EV_TRANSFER);
	/* IDT on an IN endpoint is refused. */
	g_xfer(&g, 3, 0, 4, TRB_NORMAL << 10 | TRB_IDT | TRB_IOC);
	ring(sid, 3);
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_TRANSFER).status >> 24,
			  CC_TRB);
}
END_TEST

START_TEST(interrupt_nak_then_wakeup)
{
	unsigned sid = enumerate();
	uint64_t trb;
	struct trb ev;

	configure(sid);
	trb = g_xfer(&g, 5, g_addr(G_DATA), 8,
		     TRB_NORMAL << 10 | TRB_ISP | TRB_IOC);
	ring(sid, 5);
	g_expect_no_event(&g);
	ck_assert_uint_eq(dev.handled, 1);
	/* Ringing again while it waits does not resubmit. */
	ring(sid, 5);
	ck_assert_uint_eq(dev.handled, 1);
	dev.int_ready = 1;
	usb_port_wakeup(&dev.d, 0x82);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	ck_assert_uint_eq(g.ram[G_DATA + 7], 0xab);
}
END_TEST

START_TEST(async_completion_and_stop)
{
	unsigned sid = enumerate();
	uint64_t trb;
	struct trb ev;

	configure(sid);
	dev.async_next = true;
	trb = g_xfer(&g, 3, g_addr(G_DATA), 512, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 3);
	g_expect_no_event(&g);
	ck_assert_ptr_nonnull(dev.held);
	memset(dev.held->buf, 0x5a, 512);
	dev.held->actual = 512;
	dev.held->status = USB_RET_SUCCESS;
	usb_port_complete(&dev.d, dev.held);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(g.ram[G_DATA + 511], 0x5a);

	/* A second async one is cancelled by Stop Endpoint. */
	dev.async_next = true;
	g_xfer(&g, 3, g_addr(G_DATA), 512, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 3);
	ck_assert_ptr_nonnull(dev.held);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_STOP_EP << 10 | 3u << 16 |
				    sid << 24, NULL), CC_SUCCESS);
	ck_assert_ptr_null(dev.held);
	ck_assert_uint_eq(g_ep_state(&g, sid, 3), EP_STOPPED);
	/* Stopping it again is a context state error. */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_STOP_EP << 10 | 3u << 16 |
				    sid << 24, NULL), CC_CONTEXT_STATE);
}
END_TEST

START_TEST(stall_and_recover)
{
	unsigned sid = enumerate();
	uint64_t trb, next;
	struct trb ev;

	configure(sid);
	dev.stall_next = true;
	trb = g_xfer(&g, 3, g_addr(G_DATA), 64, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_STALL);
	ck_assert_uint_eq(g_ep_state(&g, sid, 3), EP_HALTED);
	/* Halted: a doorbell does nothing; Set TR Dequeue is refused. */
	ring(sid, 3);
	g_expect_no_event(&g);
	next = g_xfer(&g, 3, g_addr(G_DATA), 64, TRB_NORMAL << 10 | TRB_IOC);
	ck_assert_uint_eq(g_command(&g, next | 1, 0, TRB_SET_TR_DEQ << 10 |
				    3u << 16 | sid << 24, NULL),
			  CC_CONTEXT_STATE);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_RESET_EP << 10 | 3u << 16 |
				    sid << 24, NULL), CC_SUCCESS);
	ck_assert_uint_eq(g_command(&g, next | 1, 0, TRB_SET_TR_DEQ << 10 |
				    3u << 16 | sid << 24, NULL), CC_SUCCESS);
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, next);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
}
END_TEST

/* A doorbell for bulk IN (DCI 3) whose TD the controller refuses: a
 * TRB Error event, the endpoint halted. */
static void ring_expect_trb_error(unsigned sid)
{
	struct trb ev;

	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.status >> 24, CC_TRB);
	ck_assert_uint_eq(g_ep_state(&g, sid, 3), EP_HALTED);
}

START_TEST(hostile_link_loop)
{
	unsigned sid = enumerate();
	uint64_t refused;
	struct xhci_stats st;

	configure(sid);
	/* Two Link TRBs pointing at each other, cycle never toggled. */
	g_trb(&g, G_RING(3), g_addr(G_RING(3) + 16), 0,
	      TRB_LINK << 10 | TRB_C);
	g_trb(&g, G_RING(3) + 16, g_addr(G_RING(3)), 0,
	      TRB_LINK << 10 | TRB_C);
	xhci_get_stats(g.x, &st);
	refused = st.refusals;
	ring_expect_trb_error(sid);
	xhci_get_stats(g.x, &st);
	ck_assert_uint_gt(st.refusals, refused);
	/* The controller still serves commands. */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
}
END_TEST

START_TEST(hostile_endless_td)
{
	unsigned sid = enumerate();

	configure(sid);
	/* Four chained Normal TRBs and a Link back without toggling the
	 * cycle: a TD that never ends. */
	for (unsigned i = 0; i < 4; i++)
		g_trb(&g, G_RING(3) + 16 * i, g_addr(G_DATA), 8,
		      TRB_NORMAL << 10 | TRB_CH | TRB_C);
	g_trb(&g, G_RING(3) + 64, g_addr(G_RING(3)), 0,
	      TRB_LINK << 10 | TRB_C);
	ring_expect_trb_error(sid);
	ck_assert_uint_eq(dev.handled, 0);
	/* 200 TRBs of 128 KiB: 25 MiB in one TD, above the bound. */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_RESET_EP << 10 | 3u << 16 |
				    sid << 24, NULL), CC_SUCCESS);
	g_ring_init(&g, 3);
	ck_assert_uint_eq(g_command(&g, g_addr(G_RING(3)) | 1, 0,
				    TRB_SET_TR_DEQ << 10 | 3u << 16 |
				    sid << 24, NULL), CC_SUCCESS);
	for (unsigned i = 0; i < 200; i++)
		g_xfer(&g, 3, g_addr(G_DATA), 0x1ffff,
		       TRB_NORMAL << 10 | (i < 199 ? TRB_CH : TRB_IOC));
	ring_expect_trb_error(sid);
	ck_assert_uint_eq(dev.handled, 0);
}
END_TEST

START_TEST(hostile_memory_budget)
{
	unsigned resource = 0, ok = 0;

	dev.int_ready = 1000;                   /* ep 0x82 answers too */
	g_expect_event(&g, TRB_EV_PORT);
	port_reset(1);
	/* TD on every DCI 2..31: two TRBs of 128 KiB - 1, shared by the
	 * rings of all slots (each slot reads them from its own start). */
	for (unsigned dci = 2; dci < 32; dci++) {
		g_ring_init(&g, dci);
		g_xfer(&g, dci, g_addr(G_DATA), 0x1ffff, TRB_NORMAL << 10 |
		       TRB_CH);
		g_xfer(&g, dci, g_addr(G_DATA), 0x1ffff, TRB_NORMAL << 10 |
		       TRB_IOC);
	}
	/* Nine slots addressed on the one port, 30 endpoints each. */
	for (unsigned n = 0; n < 9; n++) {
		unsigned sid, cc;

		ck_assert_uint_eq(g_command(&g, 0, 0, TRB_ENABLE_SLOT << 10,
					    &sid), CC_SUCCESS);
		put_le64(g.ram + G_DCBAA + 8 * sid,
			 g_addr(G_OUT + 0x400 * sid));
		input_ctx_clear();
		put_le32(g.ram + G_IN + 4, 3);
		g_input_slot(&g, 1, 1);
		put_le32(g.ram + G_IN + 64 + 4, 64u << 16 | EPT_CONTROL << 3);
		put_le64(g.ram + G_IN + 64 + 8, g_addr(G_RING(1)) | 1);
		ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
					    TRB_ADDRESS_DEVICE << 10 |
					    sid << 24, NULL), CC_SUCCESS);
		input_ctx_clear();
		put_le32(g.ram + G_IN + 4, 0xfffffffdu);
		g_input_slot(&g, 1, 31);
		for (unsigned dci = 2; dci < 32; dci++) {
			uint8_t *c = g.ram + G_IN + 32 * (dci + 1);

			put_le32(c + 4, 512u << 16 | (dci & 1 ? EPT_BULK_IN :
						      EPT_BULK_OUT) << 3);
			put_le64(c + 8, g_addr(G_RING(dci)) | 1);
		}
		ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
					    TRB_CONFIGURE_EP << 10 |
					    sid << 24, NULL), CC_SUCCESS);
		for (unsigned dci = 2; dci < 32; dci++) {
			ring(sid, dci);
			cc = g_expect_event(&g, TRB_EV_TRANSFER).status >> 24;
			/* The fake stalls endpoints it does not know: the
			 * buffer was allocated all the same. */
			ck_assert(cc == CC_SUCCESS || cc == CC_STALL ||
				  cc == CC_SHORT_PACKET || cc == CC_RESOURCE);
			cc == CC_RESOURCE ? resource++ : ok++;
		}
	}
	ck_assert_uint_le(g.x->mem_used, XHCI_MEM_BUDGET);
	ck_assert_uint_gt(ok, 200);
	ck_assert_uint_gt(resource, 0);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
}
END_TEST

START_TEST(hostile_pointers)
{
	unsigned sid = enumerate();
	struct trb ev;

	configure(sid);
	/* A data buffer outside RAM: Data Buffer Error, the ring moves on. */
	g_xfer(&g, 3, 0x1000, 64, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.status >> 24, CC_DATA_BUFFER);
	/* A Link TRB to outside RAM: TRB Error, halted. */
	g_xfer(&g, 2, 0x10, 0, TRB_LINK << 10);
	ring(sid, 2);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.status >> 24, CC_TRB);
	/* An input context outside RAM. */
	ck_assert_uint_eq(g_command(&g, 0x40, 0,
				    TRB_EVALUATE_CTX << 10 | sid << 24, NULL),
			  CC_PARAMETER);
	/* A transfer larger than the control limit: TRB Error. */
	g_xfer(&g, 1, 0x80 | 6u << 8 | 0xffffull << 48, 8,
	       TRB_SETUP << 10 | TRB_IDT | 3u << 16);
	g_xfer(&g, 1, g_addr(G_DATA), 0x10000, TRB_DATA << 10 | TRB_CH |
	       TRB_DIR_IN);
	g_xfer(&g, 1, g_addr(G_DATA), 0x10000, TRB_NORMAL << 10);
	g_xfer(&g, 1, 0, 0, TRB_STATUS << 10 | TRB_IOC);
	ring(sid, 1);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.status >> 24, CC_TRB);
	/* None of it stopped the controller. */
	g_wr(&g, XHCI_OP, 0);
	g_wr(&g, XHCI_OP, CMD_RS | CMD_INTE);
	ck_assert(!xhci_failed(g.x));
}
END_TEST

START_TEST(hostile_command_ring)
{
	/* The ring is idle (CRR 0) after a reset: a new pointer takes. */
	g_wr(&g, XHCI_OP, 0);
	g_wr64(&g, XHCI_OP + 0x18, 0x7000000000ull | CRCR_RCS);
	g_wr(&g, XHCI_OP, CMD_RS | CMD_INTE);
	g_wr(&g, XHCI_DB, 0);
	ck_assert(xhci_failed(g.x));
	ck_assert(g_rd(&g, XHCI_OP + 4) & STS_HCE);
	/* HCRST clears it. */
	g_start(&g);
	ck_assert(!xhci_failed(g.x));
	g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
}
END_TEST

START_TEST(hostile_slots)
{
	unsigned sid = enumerate();
	uint64_t refused;
	struct xhci_stats st;

	/* Slot ids out of range or not enabled. */
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_ADDRESS_DEVICE << 10 | 200u << 24,
				    NULL), CC_SLOT_NOT_ENABLED);
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_ADDRESS_DEVICE << 10, NULL),
			  CC_SLOT_NOT_ENABLED);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_DISABLE_SLOT << 10 | 9u << 24,
				    NULL), CC_SLOT_NOT_ENABLED);
	/* Address Device again on an addressed slot. */
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_ADDRESS_DEVICE << 10 | sid << 24,
				    NULL), CC_CONTEXT_STATE);
	/* An unknown command type, a transfer TRB type on the ring. */
	ck_assert_uint_eq(g_command(&g, 0, 0, 50u << 10, NULL), CC_TRB);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NORMAL << 10, NULL), CC_TRB);
	/* Configure with a bulk IN context on an OUT DCI. */
	input_ctx_clear();
	put_le32(g.ram + G_IN + 4, 1u | 1u << 2);
	g_input_slot(&g, 1, 2);
	g_input_ep(&g, 2, EPT_BULK_IN, 512);
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_CONFIGURE_EP << 10 | sid << 24, NULL),
			  CC_PARAMETER);
	/* Doorbells for a disabled slot, a disabled endpoint, DB target 0. */
	xhci_get_stats(g.x, &st);
	refused = st.refusals;
	ring(7, 1);
	ring(sid, 9);
	ring(sid, 0);
	ring(40, 1);
	g_expect_no_event(&g);
	xhci_get_stats(g.x, &st);
	ck_assert_uint_ge(st.refusals, refused + 3);
	ck_assert_uint_eq(g_command(&g, 0, 0,
				    TRB_DISABLE_SLOT << 10 | sid << 24, NULL),
			  CC_SUCCESS);
	ring(sid, 1);
	g_expect_no_event(&g);
	ck_assert(!xhci_failed(g.x));
}
END_TEST

START_TEST(hostile_erst)
{
	/* ERSTSZ 0: the first event sets HCE, nothing is written. */
	g_wr(&g, XHCI_OP, CMD_HCRST);
	g_wr(&g, XHCI_OP + 0x38, XHCI_SLOTS);
	g_wr64(&g, XHCI_OP + 0x18, g_addr(G_CMD) | CRCR_RCS);
	g_wr(&g, XHCI_RTS + 0x28, 0);
	g_wr64(&g, XHCI_RTS + 0x30, g_addr(G_ERST));
	g_wr(&g, XHCI_OP, CMD_RS);
	ck_assert(xhci_failed(g.x));
	/* Size far above ERST Max: the same. */
	g_wr(&g, XHCI_OP, CMD_HCRST);
	g_wr(&g, XHCI_RTS + 0x28, 0xffff);
	g_wr64(&g, XHCI_RTS + 0x30, g_addr(G_ERST));
	g_wr(&g, XHCI_OP, CMD_RS);
	ck_assert(xhci_failed(g.x));
	/* A segment of 65535 TRBs, and one outside RAM. */
	g_wr(&g, XHCI_OP, CMD_HCRST);
	put_le32(g.ram + G_ERST + 8, 0xffff);
	g_wr(&g, XHCI_RTS + 0x28, 1);
	g_wr64(&g, XHCI_RTS + 0x30, g_addr(G_ERST));
	g_wr(&g, XHCI_OP, CMD_RS);
	ck_assert(xhci_failed(g.x));
	g_wr(&g, XHCI_OP, CMD_HCRST);
	g_wr(&g, XHCI_RTS + 0x28, 1);
	g_wr64(&g, XHCI_RTS + 0x30, 0x40);
	g_wr(&g, XHCI_OP, CMD_RS);
	ck_assert(xhci_failed(g.x));
	/* A good one works after HCRST. */
	g_start(&g);
	ck_assert(!xhci_failed(g.x));
	g_expect_event(&g, TRB_EV_PORT);
}
END_TEST

START_TEST(event_ring_full)
{
	struct trb ev;
	unsigned n = 0, full = 0;

	g_expect_event(&g, TRB_EV_PORT);
	/* 100 No Ops without reading events: 64-TRB ring overflows. */
	for (unsigned i = 0; i < 100; i++)
		g_cmd_post(&g, 0, 0, TRB_NOOP_CMD << 10);
	while (g_event(&g, &ev)) {
		n++;
		if (TRB_TYPE(ev.control) == TRB_EV_HOST &&
		    ev.status >> 24 == CC_EVENT_RING_FULL)
			full++;
	}
	ck_assert_uint_eq(full, 1);
	ck_assert_uint_lt(n, 64);
	/* Room again: a command completes. */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
}
END_TEST

START_TEST(mmio_odd_accesses)
{
	/* Every offset and size of the BAR, read and written, no crash. */
	for (uint32_t off = 0; off < XHCI_BAR_SIZE; off += 4) {
		(void)xhci_mmio_read(g.x, off, 4);
		(void)xhci_mmio_read(g.x, off + 1, 1);
		(void)xhci_mmio_read(g.x, off, 8 - 4 * (off + 8 > XHCI_BAR_SIZE));
	}
	for (uint32_t off = XHCI_OP + 0x14; off < XHCI_BAR_SIZE; off += 4)
		if (off != XHCI_OP && off != XHCI_OP + 0x18 &&
		    off != XHCI_OP + 0x1c)
			xhci_mmio_write(g.x, off, 4, 0xffffffffu);
	xhci_mmio_write(g.x, 3, 1, 0xff);
	xhci_mmio_write(g.x, XHCI_BAR_SIZE - 4, 8, ~0ull);
	ck_assert_uint_eq(g_rd(&g, 0) & 0xff, XHCI_CAPLENGTH);
}
END_TEST


/* ---- restart: the state in a memfd-like buffer ---- */

static uint8_t *state_mem;

static void restart_setup(void)
{
	setup();
	state_mem = calloc(1, XHCI_STATE_SIZE);
	ck_assert_ptr_nonnull(state_mem);
	ck_assert_int_eq(xhci_state_attach(g.x, state_mem, XHCI_STATE_SIZE), 0);
}

static void restart_teardown(void)
{
	teardown();
	free(state_mem);
}

static struct fake dev2;

/* The process dies (its controller is gone without a word to the guest)
 * and a new one attaches a new device on port 1 and loads the state. */
static int restart(char *why, size_t len)
{
	int r;

	xhci_free(g.x);
	memset(&dev2, 0, sizeof(dev2));
	dev2.d.ops = &fake_ops;
	dev2.d.kind = "fake";
	dev2.d.speed = USB_SPEED_HIGH;
	dev2.d.connected = true;
	g.x = xhci_new(&g_ops, &g);
	ck_assert_ptr_nonnull(g.x);
	ck_assert_int_eq(xhci_attach(g.x, 1, &dev2.d), 0);
	ck_assert_int_eq(xhci_state_attach(g.x, state_mem, XHCI_STATE_SIZE), 0);
	r = xhci_state_load(g.x, why, len);
	if (r == 1)
		xhci_resume(g.x);
	return r;
}

START_TEST(state_survives_restart)
{
	unsigned sid = enumerate();
	uint64_t trb;
	struct trb ev;
	char why[128] = "";

	configure(sid);
	/* SET_CONFIGURATION(1), no data stage. */
	g_xfer(&g, 1, 0x0001ull << 16 | 9u << 8, 8,
	       TRB_SETUP << 10 | TRB_IDT);
	g_xfer(&g, 1, 0, 0, TRB_STATUS << 10 | TRB_IOC | TRB_DIR_IN);
	ring(sid, 1);
	ck_assert_uint_eq(g_expect_event(&g, TRB_EV_TRANSFER).status >> 24,
			  CC_SUCCESS);
	ck_assert_uint_eq(dev.config, 1);
	/* An interrupt IN waits (NAK) when the process dies. */
	trb = g_xfer(&g, 5, g_addr(G_DATA), 8,
		     TRB_NORMAL << 10 | TRB_ISP | TRB_IOC);
	ring(sid, 5);
	g_expect_no_event(&g);

	ck_assert_int_eq(restart(why, sizeof(why)), 1);
	/* The new device was configured again and asked for the report. */
	ck_assert_uint_eq(dev2.config, 1);
	ck_assert_uint_eq(dev2.handled, 2);
	ck_assert(g_portsc(&g, 1) & PORTSC_PED);
	ck_assert(!(g_rd(&g, XHCI_OP + 4) & STS_HCH));
	dev2.int_ready = 1;
	usb_port_wakeup(&dev2.d, 0x82);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	/* Commands and bulk transfers go on where they were. */
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_NOOP_CMD << 10, NULL),
			  CC_SUCCESS);
	trb = g_xfer(&g, 3, g_addr(G_DATA), 512, TRB_NORMAL << 10 | TRB_IOC);
	ring(sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);

	/* The interrupt after a restart: pending exactly when an event is
	 * unread, whatever IMAN.IP said (the guest's acknowledgement may
	 * have been lost while no process served the registers). */
	ck_assert(!g.irq);
	g_wr(&g, XHCI_RTS + 0x20, IMAN_IE);     /* IP not acknowledged */
	xhci_mmio_write(g.x, XHCI_OP + 4, 4, 0);
	g_cmd_post(&g, 0, 0, TRB_NOOP_CMD << 10);
	ck_assert(g.irq);
	g_wr(&g, XHCI_RTS + 0x20, IMAN_IE | IMAN_IP);
	ck_assert(!g.irq);
	ck_assert_int_eq(restart(why, sizeof(why)), 1);
	ck_assert(g.irq);                        /* one event unread */
	ck_assert(g_rd(&g, XHCI_OP + 4) & STS_EINT);
	g_expect_event(&g, TRB_EV_CMD_COMPLETE);      /* acknowledges */
	ck_assert(!g.irq);
	g_wr(&g, XHCI_RTS + 0x20, IMAN_IE | IMAN_IP);
	ck_assert_int_eq(restart(why, sizeof(why)), 1);
	ck_assert(!g.irq);                       /* nothing unread */
}
END_TEST

START_TEST(state_fresh_and_damaged)
{
	char why[128] = "";
	uint32_t rnd = 12345;
	uint8_t *good = malloc(XHCI_STATE_SIZE);
	unsigned loaded = 0, refused = 0;

	ck_assert_ptr_nonnull(good);
	/* Zeroes: a first start. */
	memset(state_mem, 0, XHCI_STATE_SIZE);
	ck_assert_int_eq(restart(why, sizeof(why)), 0);
	/* A state with a device addressed, then damaged at random: each
	 * is loaded (and the controller still works) or refused whole. */
	g_start(&g);
	enumerate();
	memcpy(good, state_mem, XHCI_STATE_SIZE);
	for (unsigned i = 0; i < 300; i++) {
		int r;

		memcpy(state_mem, good, XHCI_STATE_SIZE);
		for (unsigned k = 0; k < 1 + i % 32; k++) {
			rnd = rnd * 1103515245u + 12345u;
			state_mem[(rnd >> 8) % (XHCI_STATE_SIZE / 3)] ^=
				(uint8_t)(1u << (rnd % 8));
		}
		r = restart(why, sizeof(why));
		ck_assert_int_ge(r, -EINVAL);
		if (r == 1) {
			loaded++;
			g_cmd_post(&g, 0, 0, TRB_NOOP_CMD << 10);
			g_wr(&g, XHCI_DB + 4, 1);
		} else {
			refused++;
		}
	}
	/* Garbage throughout: refused. */
	memset(state_mem, 0x5a, XHCI_STATE_SIZE);
	ck_assert_int_eq(restart(why, sizeof(why)), -EINVAL);
	ck_assert(xhci_failed(g.x) || g_rd(&g, XHCI_OP + 4) & STS_HCH);
	ck_assert_uint_gt(loaded, 0);
	ck_assert_uint_gt(refused, 0);
	free(good);
}
END_TEST

static Suite *xhci_suite(void)
{
	Suite *s = suite_create("xhci");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, reset_and_run);
	tcase_add_test(t, port_reset_resets_device);
	tcase_add_test(t, superspeed_moves_to_usb3_port);
	tcase_add_test(t, superspeed_1mib_td);
	tcase_add_test(t, control_get_descriptor);
	tcase_add_test(t, bulk_out_and_in);
	tcase_add_test(t, immediate_data_event_data_bei);
	tcase_add_test(t, interrupt_nak_then_wakeup);
	tcase_add_test(t, async_completion_and_stop);
	tcase_add_test(t, stall_and_recover);
	tcase_add_test(t, hostile_link_loop);
	tcase_add_test(t, hostile_endless_td);
	tcase_add_test(t, hostile_memory_budget);
	tcase_add_test(t, hostile_pointers);
	tcase_add_test(t, hostile_command_ring);
	tcase_add_test(t, hostile_slots);
	tcase_add_test(t, hostile_erst);
	tcase_add_test(t, event_ring_full);
	tcase_add_test(t, mmio_odd_accesses);
	suite_add_tcase(s, t);
	t = tcase_create("restart");
	tcase_add_checked_fixture(t, restart_setup, restart_teardown);
	tcase_add_test(t, state_survives_restart);
	tcase_add_test(t, state_fresh_and_damaged);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xhci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
