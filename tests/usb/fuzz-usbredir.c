/* SPDX-License-Identifier: MIT */
/*
 * usb-redir.c against a hostile usbredir peer. Each input: the test's peer
 * (redir-peer.c) makes a real hello, device_connect and SET_CONFIGURATION
 * with the device, then steps aside; the controller hands the device a
 * control IN (id 2), a bulk IN (id 3), a bulk OUT (id 4), an interrupt
 * IN poll (start_interrupt_receiving, id 5) and an interrupt OUT (id 6),
 * and the input's bytes are
 * what the peer sends next (64-bit ids, as negotiated), then the stream
 * closes. tests/usb/make-seeds.py writes seeds that answer those ids.
 *
 * Invariants: a packet completes at most once, never as ASYNC and never
 * with more than its length (buffers are exactly their length, so ASan
 * sees any overflow); once the stream is closed nothing is pending.
 */
#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <usbredirproto.h>

#include "log.h"
#include "redir-peer.h"
#include "usb-models.h"
#include "usb-redir.h"

enum { P_CONFIG, P_CONTROL, P_BULK_IN, P_BULK_OUT, P_INTR, P_INTR_OUT,
       NPACKETS };

static struct event_base *base;
static struct usb_packet pk[NPACKETS];
static unsigned completions[NPACKETS];
static unsigned resubmits;
static struct usb_device *dev;

static int which(struct usb_packet *p)
{
	assert(p >= pk && p < pk + NPACKETS);
	return (int)(p - pk);
}

static void on_complete(void *c, struct usb_device *d, struct usb_packet *p)
{
	int i = which(p);

	assert(p->status != USB_RET_ASYNC);
	assert(p->actual <= p->len);
	assert(++completions[i] == 1);
}

/* Polls the interrupt endpoint again, as the controller does, so queued
 * reports are taken (bounded per input). */
static void on_wakeup(void *c, struct usb_device *d, uint8_t ep)
{
	struct usb_packet *p = &pk[P_INTR];

	if (ep != 0x83 || resubmits++ > 256)
		return;
	p->actual = 0;
	int rc = d->ops->handle(d, p);

	assert(rc != USB_RET_ASYNC);
	assert(p->actual <= p->len);
}

static void on_connection(void *c, struct usb_device *d, bool connected)
{
}

static const struct usb_port_ops port_ops = {
	.complete = on_complete,
	.wakeup = on_wakeup,
	.connection = on_connection,
};

static void settle(void)
{
	for (int i = 0; i < 64; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void setup_packet(int i, uint8_t ep, uint8_t type, size_t len)
{
	free(pk[i].buf);
	memset(&pk[i], 0, sizeof(pk[i]));
	pk[i].ep = ep;
	pk[i].type = type;
	pk[i].len = len;
	pk[i].buf = len ? malloc(len) : NULL;
	pk[i].id = (uint64_t)i;
	if (len)
		memset(pk[i].buf, 0xee, len);
	completions[i] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct redir_peer_config cfg = {
		.vendor = 0x1234, .product = 0x5678,
		.speed = usb_redir_speed_high, .quiet = true,
	};
	struct redir_peer *peer;
	const char *why;
	size_t off = 0;
	int sv[2], raw;

	if (!base) {
		log_init("fuzz-usbredir", ATOLL_LOG_ERROR);
		signal(SIGPIPE, SIG_IGN);   /* as atoll-usb's runtime */
		base = event_base_new();
		assert(base);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	dev = usb_redir_new(sv[0], base, &why);
	assert(dev);
	usb_port_attach(dev, &port_ops, NULL);
	peer = redir_peer_new(sv[1], base, &cfg);
	assert(peer);
	resubmits = 0;
	settle();
	assert(dev->connected);

	setup_packet(P_CONFIG, 0, USB_XFER_CONTROL, 0);
	pk[P_CONFIG].setup = (struct usb_setup){ 0x00, 9, 1, 0, 0 };
	assert(dev->ops->handle(dev, &pk[P_CONFIG]) == USB_RET_ASYNC);
	settle();
	assert(completions[P_CONFIG] == 1);

	/* The peer steps aside: from here the input speaks for it. */
	raw = redir_peer_detach(peer);
	assert(raw >= 0);
	setup_packet(P_CONTROL, 0, USB_XFER_CONTROL, 18);
	pk[P_CONTROL].setup = (struct usb_setup){ 0x80, 6, 0x0100, 0, 18 };
	assert(dev->ops->handle(dev, &pk[P_CONTROL]) == USB_RET_ASYNC);
	setup_packet(P_BULK_IN, 0x81, USB_XFER_BULK, 64);
	assert(dev->ops->handle(dev, &pk[P_BULK_IN]) == USB_RET_ASYNC);
	setup_packet(P_BULK_OUT, 0x02, USB_XFER_BULK, 64);
	assert(dev->ops->handle(dev, &pk[P_BULK_OUT]) == USB_RET_ASYNC);
	setup_packet(P_INTR, 0x83, USB_XFER_INTERRUPT, 8);
	assert(dev->ops->handle(dev, &pk[P_INTR]) == USB_RET_NAK);
	setup_packet(P_INTR_OUT, 0x04, USB_XFER_INTERRUPT, 8);
	assert(dev->ops->handle(dev, &pk[P_INTR_OUT]) == USB_RET_ASYNC);

	/* The input, as far as the socket takes it at each turn; then EOF.
	 * What the device writes back is drained and dropped. */
	while (off < size) {
		char sink[4096];
		ssize_t n = send(raw, data + off, size - off, MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (usb_redir_peer_gone(dev))
			break;
		while (recv(raw, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	close(raw);
	for (int i = 0; i < 10000 && !usb_redir_peer_gone(dev); i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	assert(usb_redir_peer_gone(dev));
	/* Every packet sent to the peer is completed by now. */
	for (int i = P_CONTROL; i <= P_BULK_OUT; i++)
		assert(completions[i] == 1);
	assert(completions[P_INTR_OUT] == 1);
	dev->ops->destroy(dev);
	dev = NULL;
	redir_peer_free(peer);
	settle();
	return 0;
}
