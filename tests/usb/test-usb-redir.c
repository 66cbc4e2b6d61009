/* SPDX-License-Identifier: MIT */
/*
 * usb-redir.c (the usb-guest side of usbredir) against the test's peer
 * (redir-peer.c, the usb-host side) over a socketpair, both on one libevent
 * loop, with a fake controller recording completions, wakeups and
 * connections. The loop runs without blocking until nothing is left to do:
 * unix sockets hand data over at once, so every exchange settles in a
 * bounded number of turns and no check depends on time.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <usbredirproto.h>

#include "log.h"
#include "redir-peer.h"
#include "usb-models.h"
#include "usb-redir.h"

#define VENDOR 0x1234
#define PRODUCT 0x5678
#define MAXDONE 64

/* The fake controller. */
struct ctl {
	struct usb_packet *done[MAXDONE];
	unsigned ndone;
	unsigned wakeups;
	uint8_t wakeup_ep;
	int connects, disconnects;
};

static struct event_base *base;
static struct ctl ctl;
static struct usb_device *dev;
static struct redir_peer *peer;

static void on_complete(void *c, struct usb_device *d, struct usb_packet *p)
{
	struct ctl *k = c;

	ck_assert_int_ne(p->status, USB_RET_ASYNC);
	ck_assert_uint_le(p->actual, p->len);
	ck_assert_uint_lt(k->ndone, MAXDONE);
	k->done[k->ndone++] = p;
}

static void on_wakeup(void *c, struct usb_device *d, uint8_t ep)
{
	struct ctl *k = c;

	k->wakeups++;
	k->wakeup_ep = ep;
}

static void on_connection(void *c, struct usb_device *d, bool connected)
{
	struct ctl *k = c;

	if (connected)
		k->connects++;
	else
		k->disconnects++;
}

static const struct usb_port_ops port_ops = {
	.complete = on_complete,
	.wakeup = on_wakeup,
	.connection = on_connection,
};

/* Runs the loop until nothing is active (bounded). */
static void settle(void)
{
	for (int i = 0; i < 200; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void start(uint8_t speed, unsigned hostile, size_t pattern)
{
	struct redir_peer_config cfg = {
		.vendor = VENDOR, .product = PRODUCT, .speed = speed,
		.hostile = hostile, .pattern_len = pattern, .quiet = true,
	};
	const char *why = NULL;
	int sv[2];

	memset(&ctl, 0, sizeof(ctl));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    sv), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	dev = usb_redir_new(sv[0], base, &why);
	ck_assert_msg(dev, "usb_redir_new: %s", why);
	usb_port_attach(dev, &port_ops, &ctl);
	peer = redir_peer_new(sv[1], base, &cfg);
	ck_assert_ptr_nonnull(peer);
	settle();
}

static void stop(void)
{
	if (dev)
		dev->ops->destroy(dev);
	dev = NULL;
	redir_peer_free(peer);
	peer = NULL;
	event_base_free(base);
	base = NULL;
}

static struct usb_packet *packet(uint8_t ep, uint8_t type, size_t len)
{
	struct usb_packet *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	p->ep = ep;
	p->type = type;
	p->len = len;
	p->buf = len ? calloc(1, len) : NULL;
	p->status = 12345;
	return p;
}

static void packet_free(struct usb_packet *p)
{
	free(p->buf);
	free(p);
}

static struct usb_packet *control(uint8_t rt, uint8_t req, uint16_t value,
				  uint16_t index, uint16_t length)
{
	struct usb_packet *p = packet(0, USB_XFER_CONTROL, length);

	p->setup = (struct usb_setup){ rt, req, value, index, length };
	return p;
}

/* Submits p: it must go to the peer (ASYNC) and come back completed. */
static int submit_wait(struct usb_packet *p)
{
	unsigned before = ctl.ndone;

	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_ASYNC);
	settle();
	ck_assert_uint_eq(ctl.ndone, before + 1);
	ck_assert_ptr_eq(ctl.done[before], p);
	return p->status;
}

static void configure(void)
{
	struct usb_packet *p = control(0x00, 9, 1, 0, 0);

	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(redir_peer_stats(peer)->configuration, 1);
	packet_free(p);
}

/* A configured device, the peer in `hostile` mode, with a bulk IN of 512
 * bytes on 0x81 handed to the peer, which holds it (nothing written). */
static struct usb_packet *start_bulk_in_held(unsigned hostile)
{
	struct usb_packet *in;

	start(usb_redir_speed_high, hostile, 0);
	configure();
	in = packet(0x81, USB_XFER_BULK, 512);
	ck_assert_int_eq(dev->ops->handle(dev, in), USB_RET_ASYNC);
	return in;
}

/* A configured device, the peer in `hostile` mode, and a packet that
 * polled interrupt IN 0x83 once: NAK, the peer asked to start. */
static struct usb_packet *start_intr_polled(unsigned hostile)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, hostile, 0);
	configure();
	p = packet(0x83, USB_XFER_INTERRUPT, 8);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	settle();
	return p;
}

/* ---- connection ---- */

static const struct {
	uint8_t redir;
	enum usb_speed speed;
} speeds[] = {
	{ usb_redir_speed_low, USB_SPEED_LOW },
	{ usb_redir_speed_full, USB_SPEED_FULL },
	{ usb_redir_speed_high, USB_SPEED_HIGH },
	{ usb_redir_speed_super, USB_SPEED_SUPER },
};

START_TEST(connect_speed)
{
	start(speeds[_i].redir, 0, 0);
	ck_assert_int_eq(ctl.connects, 1);
	ck_assert(dev->connected);
	ck_assert_int_eq(dev->speed, speeds[_i].speed);
	ck_assert_uint_eq(usb_redir_refused(dev), 0);
	stop();
}
END_TEST

START_TEST(descriptors)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, 0, 0);
	p = control(0x80, 6, 0x0100, 0, 18);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 18);
	ck_assert_uint_eq(p->buf[1], 1);
	ck_assert_uint_eq(p->buf[8] | p->buf[9] << 8, VENDOR);
	ck_assert_uint_eq(p->buf[10] | p->buf[11] << 8, PRODUCT);
	packet_free(p);
	/* The configuration's header first, then all of it. */
	p = control(0x80, 6, 0x0200, 0, 9);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 9);
	ck_assert_uint_eq(p->buf[2], 46);
	packet_free(p);
	p = control(0x80, 6, 0x0200, 0, 255);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 46);
	packet_free(p);
	/* The product string (index 2, UTF-16LE). */
	p = control(0x80, 6, 0x0302, 0x0409, 255);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 2 + 2 * strlen("usbredir test peer"));
	ck_assert_uint_eq(p->buf[2], 'u');
	packet_free(p);
	/* A request the device does not know stalls. */
	p = control(0xc0, 0x42, 0, 0, 4);
	ck_assert_int_eq(submit_wait(p), USB_RET_STALL);
	packet_free(p);
	stop();
}
END_TEST

START_TEST(set_configuration_and_interface)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, 0, 0);
	configure();
	ck_assert_uint_eq(redir_peer_stats(peer)->set_configs, 1);
	/* The peer's own message, not a control packet. */
	ck_assert_uint_eq(redir_peer_stats(peer)->controls, 0);
	p = control(0x01, 11, 0, 0, 0);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(redir_peer_stats(peer)->set_alts, 1);
	packet_free(p);
	/* An interface the peer does not have: refused here. */
	p = control(0x01, 11, 0, 5, 0);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	ck_assert_uint_eq(redir_peer_stats(peer)->set_alts, 1);
	packet_free(p);
	/* The peer refuses configuration 7. */
	p = control(0x00, 9, 7, 0, 0);
	ck_assert_int_eq(submit_wait(p), USB_RET_STALL);
	packet_free(p);
	stop();
}
END_TEST

/* ---- bulk ---- */

START_TEST(bulk_loopback)
{
	/* 1000 bytes, and 200000 (past 16 bits: 32-bit bulk lengths). */
	static const size_t sizes[] = { 1000, 200000 };

	start(usb_redir_speed_high, 0, 0);
	configure();
	for (size_t k = 0; k < 2; k++) {
		size_t n = sizes[k];
		struct usb_packet *out = packet(0x02, USB_XFER_BULK, n);
		struct usb_packet *in = packet(0x81, USB_XFER_BULK, n + 4096);

		for (size_t i = 0; i < n; i++)
			out->buf[i] = (uint8_t)(i * 31 + k);
		ck_assert_int_eq(submit_wait(out), USB_RET_SUCCESS);
		ck_assert_uint_eq(out->actual, n);
		ck_assert_int_eq(submit_wait(in), USB_RET_SUCCESS);
		ck_assert_uint_eq(in->actual, n);
		ck_assert(!memcmp(in->buf, out->buf, n));
		packet_free(out);
		packet_free(in);
	}
	stop();
}
END_TEST

START_TEST(bulk_pattern)
{
	struct usb_packet *in;
	uint32_t sum = 0;

	start(usb_redir_speed_high, 0, 5000);
	configure();
	in = packet(0x81, USB_XFER_BULK, 4096);
	ck_assert_int_eq(submit_wait(in), USB_RET_SUCCESS);
	ck_assert_uint_eq(in->actual, 4096);
	for (size_t i = 0; i < in->actual; i++) {
		ck_assert_uint_eq(in->buf[i], redir_peer_pattern(i));
		sum += in->buf[i];
	}
	ck_assert_int_eq(submit_wait(in), USB_RET_SUCCESS);
	ck_assert_uint_eq(in->actual, 5000 - 4096);
	for (size_t i = 0; i < in->actual; i++)
		sum += in->buf[i];
	ck_assert_uint_eq(sum, redir_peer_stats(peer)->pattern_sum);
	packet_free(in);
	stop();
}
END_TEST

/* The guest's side refused before anything is sent. */
START_TEST(guest_errors)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, 0, 0);
	/* Not configured: the peer has not described endpoint 0x81. */
	p = packet(0x81, USB_XFER_BULK, 64);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	packet_free(p);
	configure();
	/* Interrupt on a bulk endpoint, bulk on the interrupt one. */
	p = packet(0x81, USB_XFER_INTERRUPT, 8);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	packet_free(p);
	p = packet(0x83, USB_XFER_BULK, 8);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	packet_free(p);
	/* Isochronous is not implemented. */
	p = packet(0x81, USB_XFER_ISOC, 8);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	packet_free(p);
	/* An OUT control whose wLength is past its buffer. */
	p = control(0x40, 1, 0, 0, 16);
	p->len = 8;
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	packet_free(p);
	ck_assert_uint_eq(ctl.ndone, 1);   /* only configure() */
	stop();
}
END_TEST

/* ---- cancel ---- */

START_TEST(cancel_pending)
{
	struct usb_packet *in, *out;
	unsigned before;

	start(usb_redir_speed_high, 0, 0);
	configure();
	/* Nothing written yet: the peer holds the IN. */
	in = packet(0x81, USB_XFER_BULK, 512);
	in->id = 77;
	before = ctl.ndone;
	ck_assert_int_eq(dev->ops->handle(dev, in), USB_RET_ASYNC);
	settle();
	ck_assert_uint_eq(ctl.ndone, before);
	dev->ops->cancel(dev, in);
	/* The same packet and controller tag again at once, before the
	 * peer's late "cancelled" answer to the first: that answer must
	 * not complete the second. */
	ck_assert_int_eq(dev->ops->handle(dev, in), USB_RET_ASYNC);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->cancels, 1);
	ck_assert_uint_eq(ctl.ndone, before);
	ck_assert_int_eq(in->status, USB_RET_ASYNC);
	/* Data arrives: the second gets it, once. */
	out = packet(0x02, USB_XFER_BULK, 10);
	memset(out->buf, 0xab, 10);
	ck_assert_int_eq(dev->ops->handle(dev, out), USB_RET_ASYNC);
	settle();
	ck_assert_uint_eq(ctl.ndone, before + 2);
	ck_assert_int_eq(in->status, USB_RET_SUCCESS);
	ck_assert_uint_eq(in->actual, 10);
	ck_assert_uint_eq(in->buf[9], 0xab);
	packet_free(in);
	packet_free(out);
	stop();
}
END_TEST

/* A packet cancelled and its memory gone before the peer answers. */
START_TEST(cancel_then_destroy)
{
	struct usb_packet *in = start_bulk_in_held(0);

	dev->ops->cancel(dev, in);
	packet_free(in);
	settle();
	dev->ops->destroy(dev);
	dev = NULL;
	settle();
	ck_assert(redir_peer_closed(peer));
	stop();
}
END_TEST

/* ---- interrupt IN ---- */

START_TEST(interrupt_in)
{
	const uint8_t report[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	/* Nothing yet: NAK, and receiving starts. */
	struct usb_packet *p = start_intr_polled(0);

	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 1);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	ck_assert_uint_eq(ctl.wakeups, 0);
	ck_assert_int_eq(redir_peer_interrupt(peer, report, 8), 0);
	settle();
	ck_assert_uint_eq(ctl.wakeups, 1);
	ck_assert_uint_eq(ctl.wakeup_ep, 0x83);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 8);
	ck_assert(!memcmp(p->buf, report, 8));
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	/* Only one start while receiving. */
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 1);
	/* A report longer than the guest's buffer: BABBLE, nothing past. */
	p->len = 4;
	ck_assert_int_eq(redir_peer_interrupt(peer, report, 8), 0);
	settle();
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_BABBLE);
	ck_assert_uint_eq(p->actual, 4);
	ck_assert_uint_eq(p->buf[4], 5);   /* left from the first report */
	packet_free(p);
	stop();
}
END_TEST

/* The peer refuses to start receiving: the endpoint wakes up, the next
 * poll reports the error (stall), the one after starts again. */
START_TEST(interrupt_start_refused)
{
	struct usb_packet *p = start_intr_polled(PEER_START_FAILS);

	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 1);
	ck_assert_uint_eq(ctl.wakeups, 1);
	ck_assert_uint_eq(ctl.wakeup_ep, 0x83);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_STALL);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 2);
	packet_free(p);
	stop();
}
END_TEST

START_TEST(interrupt_out)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, 0, 0);
	configure();
	p = packet(0x04, USB_XFER_INTERRUPT, 5);
	memcpy(p->buf, "\x11\x22\x33\x44\x55", 5);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 5);
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_out_len, 5);
	ck_assert(!memcmp(redir_peer_stats(peer)->intr_out, p->buf, 5));
	packet_free(p);
	stop();
}
END_TEST

/* A port reset reaches the peer as usbredir's reset, and interrupt
 * receiving starts again at the next poll. */
START_TEST(port_reset)
{
	struct usb_packet *p = start_intr_polled(0);

	dev->ops->reset(dev);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->resets, 1);
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_stops, 1);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 2);
	packet_free(p);
	stop();
}
END_TEST

/* A peer that stops reading: what is queued for it stays bounded, and
 * packets past the bound fail at once. */
START_TEST(peer_not_reading)
{
	struct usb_packet *out[64];
	int rc = USB_RET_ASYNC, n, fd;

	start(usb_redir_speed_high, 0, 0);
	configure();
	fd = redir_peer_detach(peer);
	ck_assert_int_ge(fd, 0);
	for (n = 0; n < 64 && rc == USB_RET_ASYNC; n++) {
		out[n] = packet(0x02, USB_XFER_BULK, 1 << 20);
		rc = dev->ops->handle(dev, out[n]);
		settle();
	}
	ck_assert_int_eq(rc, USB_RET_IOERROR);
	ck_assert_int_le(n, 20);
	ck_assert_uint_ge(usb_redir_refused(dev), 1);
	for (int i = 0; i < n - 1; i++)
		dev->ops->cancel(dev, out[i]);
	for (int i = 0; i < n; i++)
		packet_free(out[i]);
	close(fd);
	stop();
}
END_TEST

/* The guest polls again right after a port reset, before the peer's
 * answer to the stop: a failed stop must not end the new receiving. */
START_TEST(stale_receiving_status)
{
	const uint8_t report[2] = { 7, 9 };
	struct usb_packet *p = start_intr_polled(PEER_STOP_FAILS);

	dev->ops->reset(dev);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	settle();
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_stops, 1);
	ck_assert_uint_eq(redir_peer_stats(peer)->intr_starts, 2);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_NAK);
	ck_assert_int_eq(redir_peer_interrupt(peer, report, 2), 0);
	settle();
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 2);
	packet_free(p);
	stop();
}
END_TEST

/* ---- the peer goes ---- */

START_TEST(peer_unplugs_device)
{
	struct usb_packet *in = start_bulk_in_held(0);

	settle();
	redir_peer_unplug(peer);
	settle();
	ck_assert_uint_eq(ctl.ndone, 2);
	ck_assert_ptr_eq(ctl.done[1], in);
	ck_assert_int_eq(in->status, USB_RET_IOERROR);
	ck_assert_int_eq(ctl.disconnects, 1);
	ck_assert(!dev->connected);
	ck_assert(!usb_redir_peer_gone(dev));
	/* Nothing reaches a device that is not there. */
	ck_assert_int_eq(dev->ops->handle(dev, in), USB_RET_IOERROR);
	packet_free(in);
	stop();
}
END_TEST

START_TEST(peer_closes_stream)
{
	struct usb_packet *c, *in = start_bulk_in_held(0);

	c = control(0x80, 6, 0x0100, 0, 18);
	ck_assert_int_eq(dev->ops->handle(dev, c), USB_RET_ASYNC);
	/* The control answer is on its way; the IN is still held. */
	redir_peer_free(peer);
	peer = NULL;
	settle();
	ck_assert(usb_redir_peer_gone(dev));
	ck_assert_int_eq(ctl.disconnects, 1);
	ck_assert_int_eq(in->status, USB_RET_IOERROR);
	ck_assert_int_ne(c->status, USB_RET_ASYNC);
	ck_assert_uint_eq(ctl.ndone, 3);
	packet_free(in);
	packet_free(c);
	stop();
}
END_TEST

/* ---- hostile peers ---- */

START_TEST(hostile_oversize)
{
	/* A guard past the 8 bytes asked for: it must stay untouched. */
	uint8_t buf[8 + 32];
	struct usb_packet *p, *out, *in;

	start(usb_redir_speed_high, PEER_OVERSIZE, 0);
	memset(buf, 0x5a, sizeof(buf));
	p = control(0x80, 6, 0x0100, 0, 8);
	free(p->buf);
	p->buf = buf;
	ck_assert_int_eq(submit_wait(p), USB_RET_BABBLE);
	ck_assert_uint_eq(p->actual, 8);
	ck_assert_uint_eq(buf[1], 1);
	for (size_t i = 8; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0x5a);
	p->buf = NULL;
	packet_free(p);
	ck_assert_uint_ge(usb_redir_refused(dev), 1);
	configure();
	out = packet(0x02, USB_XFER_BULK, 100);
	ck_assert_int_eq(submit_wait(out), USB_RET_SUCCESS);
	in = packet(0x81, USB_XFER_BULK, 100);
	ck_assert_int_eq(submit_wait(in), USB_RET_BABBLE);
	ck_assert_uint_eq(in->actual, 100);
	packet_free(out);
	packet_free(in);
	stop();
}
END_TEST

START_TEST(hostile_unknown_ids)
{
	struct usb_packet *p;

	start(usb_redir_speed_high, PEER_UNKNOWN_ID, 0);
	p = control(0x80, 6, 0x0100, 0, 18);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->actual, 18);
	ck_assert_uint_ge(usb_redir_refused(dev), 1);
	packet_free(p);
	stop();
}
END_TEST

START_TEST(hostile_bad_speed)
{
	start(usb_redir_speed_full, PEER_BAD_SPEED, 0);
	/* The bad device_connect refused, the good one taken. */
	ck_assert_uint_ge(usb_redir_refused(dev), 1);
	ck_assert_int_eq(ctl.connects, 1);
	ck_assert_int_eq(dev->speed, USB_SPEED_FULL);
	stop();
}
END_TEST

START_TEST(hostile_bulk_answers)
{
	static const unsigned modes[] = { PEER_WRONG_EP, PEER_BAD_STATUS };
	struct usb_packet *out;

	start(usb_redir_speed_high, modes[_i], 0);
	configure();
	out = packet(0x02, USB_XFER_BULK, 100);
	ck_assert_int_eq(submit_wait(out), USB_RET_IOERROR);
	ck_assert_uint_ge(usb_redir_refused(dev), 1);
	ck_assert(dev->connected);
	packet_free(out);
	stop();
}
END_TEST

START_TEST(hostile_disconnect_mid_transfer)
{
	struct usb_packet *in;

	start(usb_redir_speed_high, PEER_DISCONNECT, 0);
	configure();
	in = packet(0x81, USB_XFER_BULK, 512);
	ck_assert_int_eq(submit_wait(in), USB_RET_IOERROR);
	ck_assert_int_eq(ctl.disconnects, 1);
	packet_free(in);
	stop();
}
END_TEST

/* A peer that closes mid-transfer loses its device; the device on the
 * next port, on the same loop, carries on. */
START_TEST(hostile_close_other_port_lives)
{
	struct usb_device *dev2, *dev1;
	struct redir_peer *peer2, *peer1;
	struct ctl ctl1;
	struct usb_packet *in, *p;

	start(usb_redir_speed_high, 0, 0);
	dev2 = dev;
	peer2 = peer;
	/* A second device on the same base (start() made a new base). */
	{
		struct redir_peer_config cfg = {
			.vendor = 1, .product = 2,
			.speed = usb_redir_speed_high, .hostile = PEER_CLOSE,
			.quiet = true,
		};
		const char *why;
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		dev1 = usb_redir_new(sv[0], base, &why);
		ck_assert_ptr_nonnull(dev1);
		memset(&ctl1, 0, sizeof(ctl1));
		usb_port_attach(dev1, &port_ops, &ctl1);
		peer1 = redir_peer_new(sv[1], base, &cfg);
		ck_assert_ptr_nonnull(peer1);
		settle();
	}
	ck_assert_int_eq(ctl1.connects, 1);
	p = control(0x00, 9, 1, 0, 0);
	ck_assert_int_eq(dev1->ops->handle(dev1, p), USB_RET_ASYNC);
	settle();
	ck_assert_int_eq(p->status, USB_RET_SUCCESS);
	in = packet(0x81, USB_XFER_BULK, 64);
	ck_assert_int_eq(dev1->ops->handle(dev1, in), USB_RET_ASYNC);
	settle();
	ck_assert(usb_redir_peer_gone(dev1));
	ck_assert_int_eq(in->status, USB_RET_IOERROR);
	ck_assert_int_eq(ctl1.disconnects, 1);
	dev1->ops->destroy(dev1);
	redir_peer_free(peer1);
	/* The other port. */
	dev = dev2;
	peer = peer2;
	configure();
	packet_free(p);
	p = control(0x80, 6, 0x0100, 0, 18);
	ck_assert_int_eq(submit_wait(p), USB_RET_SUCCESS);
	ck_assert_uint_eq(p->buf[8] | p->buf[9] << 8, VENDOR);
	packet_free(p);
	packet_free(in);
	stop();
}
END_TEST

/* ---- the standalone peer, as guest tests start it ---- */

static const char *peer_exe;

START_TEST(standalone_peer)
{
	char dir[] = "/tmp/test-usb-redir-XXXXXX", path[128], line[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *why;
	struct usb_packet *p;
	FILE *out;
	int fd, status;
	pid_t pid;
	int pfd[2];

	if (!peer_exe)
		return;   /* main() says why */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/peer.sock", dir);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char listen[160];

		snprintf(listen, sizeof(listen), "--listen=%s", path);
		dup2(pfd[1], 1);
		execl(peer_exe, peer_exe, listen, "--vendor=abcd",
		      "--product=ef01", "--speed=full", "--once", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), out));
	ck_assert_msg(strstr(line, "listening on"), "peer said: %s", line);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	memset(&ctl, 0, sizeof(ctl));
	base = event_base_new();
	dev = usb_redir_new(fd, base, &why);
	ck_assert_ptr_nonnull(dev);
	usb_port_attach(dev, &port_ops, &ctl);
	/* Another process answers: wait for events, bounded in turns. */
	for (int i = 0; i < 100 && !ctl.connects; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(ctl.connects, 1);
	ck_assert_int_eq(dev->speed, USB_SPEED_FULL);
	p = control(0x80, 6, 0x0100, 0, 18);
	ck_assert_int_eq(dev->ops->handle(dev, p), USB_RET_ASYNC);
	for (int i = 0; i < 100 && !ctl.ndone; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_uint_eq(ctl.ndone, 1);
	ck_assert_int_eq(p->status, USB_RET_SUCCESS);
	ck_assert_uint_eq(p->buf[8] | p->buf[9] << 8, 0xabcd);
	ck_assert_uint_eq(p->buf[10] | p->buf[11] << 8, 0xef01);
	packet_free(p);
	/* Closing the stream ends the --once peer. */
	dev->ops->destroy(dev);
	dev = NULL;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fclose(out);
	unlink(path);
	rmdir(dir);
	event_base_free(base);
	base = NULL;
}
END_TEST

/* ---- usb-redir and usb-host refuse what is not theirs ---- */

START_TEST(redir_not_a_socket)
{
	const char *why = NULL;
	int fd = open("/dev/null", O_RDWR);

	base = event_base_new();
	ck_assert_ptr_null(usb_redir_new(fd, base, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(usb_redir_new(-1, base, &why));
	event_base_free(base);
	base = NULL;
}
END_TEST

START_TEST(host_bad_fd)
{
	const char *why = NULL;
	int fd;

	base = event_base_new();
	fd = open("/dev/null", O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_null(usb_host_new(fd, base, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "/dev/bus/usb"), "why: %s", why);
	/* The fd is the device's: closed on refusal too. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	fd = memfd_create("not-usb", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	why = NULL;
	ck_assert_ptr_null(usb_host_new(fd, base, &why));
	ck_assert_msg(why && strstr(why, "/dev/bus/usb"), "why: %s", why);
	why = NULL;
	ck_assert_ptr_null(usb_host_new(-1, base, &why));
	ck_assert_ptr_nonnull(why);
	event_base_free(base);
	base = NULL;
}
END_TEST

/* usb-host.c's libusb and usbredirhost on the loop, with no device (none
 * on these machines): usbredirhost's hello reaches usb-redir.c through
 * the socketpair, no device appears, and the teardown frees it all. */
START_TEST(host_unplugged)
{
	const char *why = NULL;

	memset(&ctl, 0, sizeof(ctl));
	base = event_base_new();
	dev = usb_host_new_unplugged(base, &why);
	ck_assert_msg(dev, "usb_host_new_unplugged: %s", why);
	usb_port_attach(dev, &port_ops, &ctl);
	ck_assert(!usb_redir_peer_hello(dev));
	settle();
	ck_assert(usb_redir_peer_hello(dev));
	ck_assert_int_eq(ctl.connects, 0);
	ck_assert(!usb_redir_peer_gone(dev));
	dev->ops->destroy(dev);
	dev = NULL;
	event_base_free(base);
	base = NULL;
}
END_TEST

static Suite *redir_suite(void)
{
	Suite *s = suite_create("usb-redir");
	TCase *tc = tcase_create("redir");

	tcase_add_loop_test(tc, connect_speed, 0, 4);
	tcase_add_test(tc, descriptors);
	tcase_add_test(tc, set_configuration_and_interface);
	tcase_add_test(tc, bulk_loopback);
	tcase_add_test(tc, bulk_pattern);
	tcase_add_test(tc, guest_errors);
	tcase_add_test(tc, cancel_pending);
	tcase_add_test(tc, cancel_then_destroy);
	tcase_add_test(tc, interrupt_in);
	tcase_add_test(tc, interrupt_start_refused);
	tcase_add_test(tc, interrupt_out);
	tcase_add_test(tc, port_reset);
	tcase_add_test(tc, stale_receiving_status);
	tcase_add_test(tc, peer_not_reading);
	tcase_add_test(tc, peer_unplugs_device);
	tcase_add_test(tc, peer_closes_stream);
	tcase_add_test(tc, hostile_oversize);
	tcase_add_test(tc, hostile_unknown_ids);
	tcase_add_test(tc, hostile_bad_speed);
	tcase_add_loop_test(tc, hostile_bulk_answers, 0, 2);
	tcase_add_test(tc, hostile_disconnect_mid_transfer);
	tcase_add_test(tc, hostile_close_other_port_lives);
	tcase_add_test(tc, standalone_peer);
	tcase_add_test(tc, redir_not_a_socket);
	tcase_add_test(tc, host_bad_fd);
	tcase_add_test(tc, host_unplugged);
	suite_add_tcase(s, tc);
	return s;
}

/* argv[1]: atoll-test-usbredir-peer, for standalone_peer. */
int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	peer_exe = argc > 1 ? argv[1] : NULL;
	if (!peer_exe)
		fprintf(stderr, "standalone_peer: no peer binary given, "
			"not run\n");

	log_init("test-usb-redir", ATOLL_LOG_ERROR);
	/* As atoll-usb's child runtime: a closed peer is EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(redir_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
