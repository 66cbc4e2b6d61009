/* SPDX-License-Identifier: MIT */
/* Unit tests for libatoll-bus-event: dispatch and deadlines from a libevent
 * loop, and teardown from inside callbacks. */
#include <errno.h>
#include <event2/event.h>

#include <atoll/bus-event.h>

#include "bus-test-util.h"

#define T_READY ATOLL__MSG_TYPE__MSG_READY
#define T_HEALTH ATOLL__MSG_TYPE__MSG_HEALTH

struct ev_ctx {
	struct event_base *base;
	atoll_bus *bus;
	atoll_bus_event *watch;
	unsigned msgs;
	int closed_calls, closed_err;
	int reply_calls, reply_status;
	bool free_on_closed;
	bool detach_on_message;
};

static void ctx_message(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	struct ev_ctx *c = opaque;

	c->msgs++;
	if (c->detach_on_message && c->watch) {
		atoll_bus_event_detach(c->watch);
		c->watch = NULL;
		event_base_loopbreak(c->base);
	}
}

static void ctx_closed(atoll_bus *bus, int err, void *opaque)
{
	struct ev_ctx *c = opaque;

	c->closed_calls++;
	c->closed_err = err;
	if (c->free_on_closed) {
		atoll_bus_event_detach(c->watch);
		c->watch = NULL;
		atoll_bus_free(bus);
		c->bus = NULL;
	}
	event_base_loopbreak(c->base);
}

static void ctx_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
		      void *opaque)
{
	struct ev_ctx *c = opaque;

	c->reply_calls++;
	c->reply_status = status;
	event_base_loopbreak(c->base);
}

static const struct atoll_bus_callbacks ctx_cbs = {
	.message = ctx_message,
	.closed = ctx_closed,
};

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	ck_abort_msg("event loop test timed out");
}

/* Runs the loop until a callback breaks it, failing after 5 s. */
static void run_loop(struct ev_ctx *c)
{
	struct timeval tv = { 5, 0 };
	struct event *guard = evtimer_new(c->base, on_guard, NULL);

	evtimer_add(guard, &tv);
	event_base_dispatch(c->base);
	event_free(guard);
}

static void ctx_setup(struct ev_ctx *c, int sv[2])
{
	memset(c, 0, sizeof(*c));
	seqpacket_pair(sv);
	c->base = event_base_new();
	ck_assert_ptr_nonnull(c->base);
	c->bus = atoll_bus_new(sv[0], &ctx_cbs, c);
	ck_assert_ptr_nonnull(c->bus);
	c->watch = atoll_bus_event_attach(c->bus, c->base);
	ck_assert_ptr_nonnull(c->watch);
}

START_TEST(test_event_dispatch_and_close)
{
	struct ev_ctx c;
	int sv[2], before = fd_count();
	atoll_bus *peer;

	ctx_setup(&c, sv);
	peer = atoll_bus_new(sv[1], NULL, NULL);
	for (int i = 0; i < 100; i++) /* more than one wakeup's budget */
		CHECK_OK(atoll_bus_post(peer, T_READY, NULL, NULL, 0));
	atoll_bus_free(peer);
	/* The closed callback frees bus and watch from inside dispatch. */
	c.free_on_closed = true;
	run_loop(&c);
	ck_assert_uint_eq(c.msgs, 100);
	ck_assert_int_eq(c.closed_calls, 1);
	ck_assert_int_eq(c.closed_err, 0);
	ck_assert_ptr_null(c.bus);
	event_base_free(c.base);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

START_TEST(test_event_timeout)
{
	struct ev_ctx c;
	int sv[2];

	ctx_setup(&c, sv);
	CHECK_OK(atoll_bus_request(c.bus, T_HEALTH, NULL, NULL, 0, 30, ctx_reply,
				   &c));
	atoll_bus_event_update(c.watch);
	run_loop(&c);
	ck_assert_int_eq(c.reply_calls, 1);
	CHECK_RET(c.reply_status, -ETIMEDOUT);
	atoll_bus_event_detach(c.watch);
	atoll_bus_free(c.bus);
	close(sv[1]);
	event_base_free(c.base);
}
END_TEST

START_TEST(test_event_detach_in_callback)
{
	struct ev_ctx c;
	int sv[2];
	atoll_bus *peer;

	ctx_setup(&c, sv);
	c.detach_on_message = true;
	peer = atoll_bus_new(sv[1], NULL, NULL);
	CHECK_OK(atoll_bus_post(peer, T_READY, NULL, NULL, 0));
	CHECK_OK(atoll_bus_post(peer, T_READY, NULL, NULL, 0));
	run_loop(&c);
	/* Detached after the first: the second stays unread. */
	ck_assert_uint_eq(c.msgs, 1);
	ck_assert_ptr_null(c.watch);
	CHECK_RET(atoll_bus_dispatch(c.bus), 1);
	ck_assert_uint_eq(c.msgs, 2);
	atoll_bus_free(c.bus);
	atoll_bus_free(peer);
	event_base_free(c.base);
}
END_TEST

/* Frames queued by atoll_bus_call are delivered without the fd waking. */
START_TEST(test_event_delivers_queued)
{
	struct ev_ctx c;
	int sv[2];
	char buf[256];
	struct atoll_frame_header h;
	struct atoll_msg *reply = NULL;
	uint8_t frame[64];
	size_t len;

	ctx_setup(&c, sv);
	/* Pre-load a posted READY and the reply to the call's request id 1. */
	len = raw_frame(frame, T_READY, 0, 0, NULL);
	CHECK_OK(raw_send(sv[1], frame, len, NULL, 0));
	len = raw_frame(frame, ATOLL__MSG_TYPE__MSG_ACK, ATOLL_FRAME_REPLY, 1, NULL);
	CHECK_OK(raw_send(sv[1], frame, len, NULL, 0));
	CHECK_RET(atoll_bus_call(c.bus, ATOLL__MSG_TYPE__MSG_PAUSE, NULL, NULL, 0,
				 1000, &reply), 0);
	atoll_msg_free(reply);
	ck_assert_int_gt(recv(sv[1], buf, sizeof(buf), 0), 0);
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.id, 1);
	ck_assert_uint_eq(atoll_bus_queued(c.bus), 1);
	c.detach_on_message = true;
	atoll_bus_event_update(c.watch);
	run_loop(&c);
	ck_assert_uint_eq(c.msgs, 1);
	atoll_bus_free(c.bus);
	close(sv[1]);
	event_base_free(c.base);
}
END_TEST

static Suite *bus_event_suite(void)
{
	Suite *s = suite_create("bus-event");
	TCase *tc = tcase_create("libevent");

	tcase_add_test(tc, test_event_dispatch_and_close);
	tcase_add_test(tc, test_event_timeout);
	tcase_add_test(tc, test_event_detach_in_callback);
	tcase_add_test(tc, test_event_delivers_queued);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(bus_event_suite)
