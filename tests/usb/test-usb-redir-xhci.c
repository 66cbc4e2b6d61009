/* SPDX-License-Identifier: MIT */
/*
 * A usbredir device through the xHCI core, as the guest's driver sees it:
 * the fake guest of xhci-guest.h drives the controller (dev-usb/xhci-*.c),
 * whose root port 1 holds usb-redir.c, whose peer is the test's usbredir
 * device (redir-peer.c) over a socketpair on one libevent loop. The port
 * is empty until the peer announces its device; descriptors, a
 * configuration and bulk data go through the rings and complete
 * asynchronously (transfer events appear once the loop has run); an
 * unplug mid-transfer ends the TD with an error and empties the port.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <usbredirproto.h>

#include "log.h"
#include "redir-peer.h"
#include "usb-models.h"
#include "xhci-guest-check.h"

#define VENDOR 0x1d6b
#define PRODUCT 0x4242

static struct guest g;
static struct event_base *base;
static struct usb_device *dev;
static struct redir_peer *peer;

static void settle(void)
{
	for (int i = 0; i < 200; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void setup(void)
{
	struct redir_peer_config cfg = {
		.vendor = VENDOR, .product = PRODUCT,
		.speed = usb_redir_speed_high, .quiet = true,
	};
	const char *why = NULL;
	int sv[2];

	memset(&g, 0, sizeof(g));
	g.ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(g.ram);
	g.x = xhci_new(&g_ops, &g);
	ck_assert_ptr_nonnull(g.x);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	dev = usb_redir_new(sv[0], base, &why);
	ck_assert_msg(dev, "usb_redir_new: %s", why);
	ck_assert_int_eq(xhci_attach(g.x, 1, dev), 0);
	peer = redir_peer_new(sv[1], base, &cfg);
	ck_assert_ptr_nonnull(peer);
	g.pump = settle;
	g_start(&g);
}

static void teardown(void)
{
	xhci_free(g.x);          /* destroys the redir device */
	redir_peer_free(peer);
	event_base_free(base);
	free(g.ram);
}

/* The peer's device appears on port 1, which is reset, given a slot and
 * addressed; returns the slot. */
static unsigned enumerate(void)
{
	struct trb ev;
	unsigned sid;

	/* Nothing there until the peer announces its device. */
	ck_assert(!(g_portsc(&g, 1) & PORTSC_CCS));
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, 1);
	ck_assert(g_portsc(&g, 1) & PORTSC_CCS);
	g_wr(&g, XHCI_PORT_BASE, PORTSC_PP | PORTSC_CSC);
	g_wr(&g, XHCI_PORT_BASE, PORTSC_PP | PORTSC_PR);
	g_expect_event(&g, TRB_EV_PORT);
	ck_assert(g_portsc(&g, 1) & PORTSC_PED);
	ck_assert_uint_eq((g_portsc(&g, 1) & PORTSC_SPEED_MASK) >>
			  PORTSC_SPEED_SHIFT, USB_SPEED_HIGH);
	g_wr(&g, XHCI_PORT_BASE, PORTSC_PP | PORTSC_PRC);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->resets, 1);
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_ENABLE_SLOT << 10, &sid),
			  CC_SUCCESS);
	put_le64(g.ram + G_DCBAA + 8 * sid, g_addr(G_OUT + 0x400 * sid));
	memset(g.ram + G_IN, 0, 0x1000);
	put_le32(g.ram + G_IN + 4, 3);
	g_input_slot(&g, 1, 1);
	g_input_ep(&g, 1, EPT_CONTROL, 64);
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_ADDRESS_DEVICE << 10 | sid << 24, NULL),
			  CC_SUCCESS);
	return sid;
}

/* A control transfer with an optional IN data stage of `len` at G_DATA;
 * returns the completion code of the last event (status stage). */
static unsigned control(unsigned sid, uint8_t rt, uint8_t req, uint16_t val,
			uint16_t len, uint32_t *residue)
{
	uint64_t setup = rt | (uint64_t)req << 8 | (uint64_t)val << 16 |
			 (uint64_t)len << 48;
	struct trb ev;

	g_xfer(&g, 1, setup, 8, TRB_SETUP << 10 | TRB_IDT |
	       (len ? 3u : 0u) << 16);
	if (len)
		g_xfer(&g, 1, g_addr(G_DATA), len,
		       TRB_DATA << 10 | TRB_ISP | TRB_DIR_IN);
	g_xfer(&g, 1, 0, 0, TRB_STATUS << 10 | TRB_IOC |
	       (len ? 0 : TRB_DIR_IN));
	g_wr(&g, XHCI_DB + 4 * sid, 1);
	/* Handed to the peer: nothing until the loop runs. */
	g_expect_no_event(&g);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	if (len && (ev.status >> 24) == CC_SHORT_PACKET) {
		if (residue)
			*residue = ev.status & 0xffffff;
		ev = g_expect_event(&g, TRB_EV_TRANSFER);
	}
	return ev.status >> 24;
}

static void configure_endpoints(unsigned sid)
{
	memset(g.ram + G_IN, 0, 0x1000);
	/* Bulk IN 0x81 -> DCI 3, bulk OUT 0x02 -> DCI 4. */
	put_le32(g.ram + G_IN + 4, 1u | 1u << 3 | 1u << 4);
	g_input_slot(&g, 1, 4);
	g_input_ep(&g, 3, EPT_BULK_IN, 512);
	g_input_ep(&g, 4, EPT_BULK_OUT, 512);
	ck_assert_uint_eq(g_command(&g, g_addr(G_IN), 0,
				    TRB_CONFIGURE_EP << 10 | sid << 24, NULL),
			  CC_SUCCESS);
}

START_TEST(enumerate_and_bulk)
{
	uint32_t residue = 0;
	unsigned sid = enumerate();
	struct trb ev;
	uint64_t trb;

	/* GET_DESCRIPTOR(device) with wLength 64: 18 bytes, short. */
	ck_assert_uint_eq(control(sid, 0x80, 6, 0x0100, 64, &residue),
			  CC_SUCCESS);
	ck_assert_uint_eq(residue, 64 - 18);
	ck_assert_uint_eq(get_le32(g.ram + G_DATA + 8) & 0xffff, VENDOR);
	ck_assert_uint_eq(get_le32(g.ram + G_DATA + 8) >> 16, PRODUCT);
	/* The configuration, whole. */
	ck_assert_uint_eq(control(sid, 0x80, 6, 0x0200, 255, &residue),
			  CC_SUCCESS);
	ck_assert_uint_eq(255 - residue, 46);
	ck_assert_uint_eq(control(sid, 0x00, 9, 1, 0, NULL), CC_SUCCESS);
	ck_assert_uint_eq(redir_peer_stats(peer)->configuration, 1);
	configure_endpoints(sid);

	/* Bulk OUT 3000 bytes in two TRBs, then IN them back. */
	for (unsigned i = 0; i < 3000; i++)
		g.ram[G_DATA + i] = (uint8_t)(i * 13 + 1);
	g_xfer(&g, 4, g_addr(G_DATA), 1000, TRB_NORMAL << 10 | TRB_CH);
	trb = g_xfer(&g, 4, g_addr(G_DATA + 1000), 2000,
		     TRB_NORMAL << 10 | TRB_IOC);
	g_wr(&g, XHCI_DB + 4 * sid, 4);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SUCCESS);
	memset(g.ram + G_DATA + 0x10000, 0, 4096);
	trb = g_xfer(&g, 3, g_addr(G_DATA + 0x10000), 4096,
		     TRB_NORMAL << 10 | TRB_ISP | TRB_IOC);
	g_wr(&g, XHCI_DB + 4 * sid, 3);
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_eq(ev.status >> 24, CC_SHORT_PACKET);
	ck_assert_uint_eq(ev.status & 0xffffff, 4096 - 3000);
	ck_assert_mem_eq(g.ram + G_DATA + 0x10000, g.ram + G_DATA, 3000);
}
END_TEST

/* The peer unplugs its device while a bulk IN waits: the TD ends with an
 * error, the port shows the device gone. */
START_TEST(unplug_mid_transfer)
{
	unsigned sid = enumerate();
	struct trb ev;
	uint64_t trb;

	ck_assert_uint_eq(control(sid, 0x00, 9, 1, 0, NULL), CC_SUCCESS);
	configure_endpoints(sid);
	trb = g_xfer(&g, 3, g_addr(G_DATA), 512,
		     TRB_NORMAL << 10 | TRB_ISP | TRB_IOC);
	g_wr(&g, XHCI_DB + 4 * sid, 3);
	settle();
	g_expect_no_event(&g);          /* the peer has nothing to loop back */
	redir_peer_unplug(peer);
	settle();
	ev = g_expect_event(&g, TRB_EV_TRANSFER);
	ck_assert_uint_eq(ev.param, trb);
	ck_assert_uint_ne(ev.status >> 24, CC_SUCCESS);
	ck_assert_uint_ne(ev.status >> 24, CC_SHORT_PACKET);
	ev = g_expect_event(&g, TRB_EV_PORT);
	ck_assert_uint_eq(ev.param >> 24, 1);
	ck_assert(!(g_portsc(&g, 1) & PORTSC_CCS));
	ck_assert(g_portsc(&g, 1) & PORTSC_CSC);
}
END_TEST

/* Stop Endpoint withdraws a bulk IN the peer holds: the peer is told
 * (cancel_data_packet) and its late answer changes nothing. */
START_TEST(stop_endpoint_cancels)
{
	unsigned sid = enumerate();
	struct trb ev;

	ck_assert_uint_eq(control(sid, 0x00, 9, 1, 0, NULL), CC_SUCCESS);
	configure_endpoints(sid);
	g_xfer(&g, 3, g_addr(G_DATA), 512,
	       TRB_NORMAL << 10 | TRB_ISP | TRB_IOC);
	g_wr(&g, XHCI_DB + 4 * sid, 3);
	settle();
	ck_assert_uint_eq(g_command(&g, 0, 0, TRB_STOP_EP << 10 | 3u << 16 |
				    sid << 24, NULL), CC_SUCCESS);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->cancels, 1);
	while (g_event(&g, &ev))   /* a Stopped transfer event may come */
		ck_assert_uint_eq(TRB_TYPE(ev.control), TRB_EV_TRANSFER);
	settle();
	g_expect_no_event(&g);
	ck_assert(g_portsc(&g, 1) & PORTSC_CCS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("usb-redir-xhci");
	TCase *tc = tcase_create("xhci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, enumerate_and_bulk);
	tcase_add_test(tc, unplug_mid_transfer);
	tcase_add_test(tc, stop_endpoint_cancels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	log_init("test-usb-redir-xhci", ATOLL_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
