/* SPDX-License-Identifier: MIT */
/* Unit tests for libatoll-bus: framing, fd passing, requests, deadlines,
 * peer death, and frames a hostile peer writes raw onto the socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#include "bus-test-util.h"

#define T_HELLO ATOLL__MSG_TYPE__MSG_HELLO
#define T_ERROR ATOLL__MSG_TYPE__MSG_ERROR
#define T_ACK ATOLL__MSG_TYPE__MSG_ACK
#define T_READY ATOLL__MSG_TYPE__MSG_READY
#define T_HEALTH ATOLL__MSG_TYPE__MSG_HEALTH
#define T_HEALTH_REPORT ATOLL__MSG_TYPE__MSG_HEALTH_REPORT
#define T_PEER_CONNECT ATOLL__MSG_TYPE__MSG_PEER_CONNECT
#define T_MEM_GRANT ATOLL__MSG_TYPE__MSG_MEM_GRANT
#define T_CONFIG_WRITE ATOLL__MSG_TYPE__MSG_CONFIG_WRITE
#define T_QUEUE_SETUP ATOLL__MSG_TYPE__MSG_QUEUE_SETUP

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Dispatches until a frame was handled (or the bus ended). */
static int dispatch_wait(atoll_bus *bus)
{
	struct pollfd p = { .fd = atoll_bus_fd(bus), .events = POLLIN };
	int r;

	while ((r = atoll_bus_dispatch(bus)) == 0)
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
	return r;
}

/* ---- message type table ---- */

START_TEST(test_msgtypes)
{
	static const struct { uint16_t t; const char *name; unsigned fds; } want[] = {
		{ T_HELLO, "HELLO", 0 }, { T_PEER_CONNECT, "PEER_CONNECT", 1 },
		{ ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH, "CONSOLE_ATTACH", 1 },
		{ T_MEM_GRANT, "MEM_GRANT", 16 }, { T_QUEUE_SETUP, "QUEUE_SETUP", 3 },
		{ ATOLL__MSG_TYPE__MSG_IRQ_SETUP, "IRQ_SETUP", 16 },
		{ ATOLL__MSG_TYPE__MSG_CONFIG_CHANGED, "CONFIG_CHANGED", 0 },
	};
	const ProtobufCEnumDescriptor *e = &atoll__msg_type__descriptor;

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(atoll_msg_type_name(want[i].t), want[i].name);
		ck_assert_uint_eq(atoll_msg_type_max_fds(want[i].t), want[i].fds);
	}
	/* Every enum value but MSG_INVALID has a descriptor, and no other. */
	for (unsigned i = 0; i < e->n_values; i++) {
		uint16_t t = (uint16_t)e->values[i].value;

		if (t == 0)
			ck_assert_ptr_null(atoll_msg_type_descriptor(t));
		else
			ck_assert_ptr_nonnull(atoll_msg_type_descriptor(t));
	}
	for (unsigned t = 0; t < 65536; t += (t < 100 ? 1 : 997)) {
		bool known = protobuf_c_enum_descriptor_get_value(e, (int)t) && t;

		ck_assert_int_eq(atoll_msg_type_descriptor((uint16_t)t) != NULL,
				 known);
	}
	ck_assert_ptr_null(atoll_msg_type_name(19));    /* a gap */
	ck_assert_uint_eq(atoll_msg_type_max_fds(999), 0);
	ck_assert_ptr_nonnull(atoll_bus_version());
}
END_TEST

/* ---- framing round trips ---- */

START_TEST(test_roundtrip_types)
{
	struct rec ra = { 0 }, rb = { 0 };
	int sv[2];
	atoll_bus *a, *b;
	Atoll__Hello hello = ATOLL__HELLO__INIT;
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, r1 = ATOLL__MEM_REGION__INIT;
	Atoll__MemRegion *regs[] = { &r0, &r1 };
	Atoll__MemGrant grant = ATOLL__MEM_GRANT__INIT;
	Atoll__ConfigWrite cw = ATOLL__CONFIG_WRITE__INIT;
	uint8_t data[300];

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	b = rec_bus(sv[1], &rb);
	hello.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	hello.role = ATOLL__ROLE__ROLE_DEVICE;
	hello.kind = "virtio-blk";
	hello.name = "disk0";
	hello.pid = 4242;
	hello.capabilities = ATOLL__CAPABILITY__CAP_STATE |
			     ATOLL__CAPABILITY__CAP_FAULTS;
	r0.name = "ram0";
	r0.guest_addr = 0x80000000ull;
	r0.size = 1ull << 30;
	r1.name = "rom";
	r1.readonly = true;
	grant.n_regions = 2;
	grant.regions = regs;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	cw.offset = 0x10;
	cw.data.data = data;
	cw.data.len = sizeof(data);

	CHECK_OK(atoll_bus_post(a, T_HELLO, &hello.base, NULL, 0));
	CHECK_OK(atoll_bus_post(a, T_MEM_GRANT, &grant.base, NULL, 0));
	CHECK_OK(atoll_bus_post(a, T_CONFIG_WRITE, &cw.base, NULL, 0));
	CHECK_OK(atoll_bus_post(a, T_ACK, NULL, NULL, 0)); /* empty body */
	for (int i = 0; i < 4; i++)
		CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(atoll_bus_dispatch(b), 0);
	ck_assert_uint_eq(rb.nmsgs, 4);

	Atoll__Hello *h = (Atoll__Hello *)rb.msgs[0]->body;
	ck_assert_uint_eq(rb.msgs[0]->type, T_HELLO);
	ck_assert_uint_eq(rb.msgs[0]->flags, 0);
	ck_assert_str_eq(h->kind, "virtio-blk");
	ck_assert_str_eq(h->name, "disk0");
	ck_assert_uint_eq(h->pid, 4242);
	ck_assert_int_eq(h->role, ATOLL__ROLE__ROLE_DEVICE);
	ck_assert_uint_eq(h->capabilities, 5);

	Atoll__MemGrant *g = (Atoll__MemGrant *)rb.msgs[1]->body;
	ck_assert_uint_eq(g->n_regions, 2);
	ck_assert_str_eq(g->regions[0]->name, "ram0");
	ck_assert_uint_eq(g->regions[0]->guest_addr, 0x80000000ull);
	ck_assert_uint_eq(g->regions[0]->size, 1ull << 30);
	ck_assert(g->regions[1]->readonly);

	Atoll__ConfigWrite *c = (Atoll__ConfigWrite *)rb.msgs[2]->body;
	ck_assert_uint_eq(c->offset, 0x10);
	ck_assert_uint_eq(c->data.len, sizeof(data));
	ck_assert_mem_eq(c->data.data, data, sizeof(data));

	ck_assert_uint_eq(rb.msgs[3]->type, T_ACK);
	ck_assert_ptr_eq(rb.msgs[3]->body->descriptor, &atoll__ack__descriptor);
	rec_clear(&rb);
	atoll_bus_free(a);
	atoll_bus_free(b);
}
END_TEST

START_TEST(test_send_validation)
{
	struct rec ra = { 0 };
	int sv[2], fds[4] = { 0, 1, 2, 0 }, bad = -1;
	atoll_bus *a;
	Atoll__Hello hello = ATOLL__HELLO__INIT;
	Atoll__ConfigWrite cw = ATOLL__CONFIG_WRITE__INIT;
	static uint8_t big[ATOLL_BUS_MAX_FRAME];

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	CHECK_RET(atoll_bus_post(a, 99, &hello.base, NULL, 0), -EINVAL);
	CHECK_RET(atoll_bus_post(a, T_READY, &hello.base, NULL, 0), -EINVAL);
	CHECK_RET(atoll_bus_post(a, T_HELLO, &hello.base, fds, 1), -EINVAL);
	CHECK_RET(atoll_bus_post(a, T_QUEUE_SETUP, NULL, fds, 4), -EINVAL);
	CHECK_RET(atoll_bus_post(a, T_PEER_CONNECT, NULL, &bad, 1), -EBADF);
	cw.data.data = big;
	cw.data.len = sizeof(big) - 24;
	CHECK_RET(atoll_bus_post(a, T_CONFIG_WRITE, &cw.base, NULL, 0), -EMSGSIZE);
	cw.data.len = ATOLL_BUS_MAX_FRAME - 24 - 8; /* tag, varint, offset */
	CHECK_OK(atoll_bus_post(a, T_CONFIG_WRITE, &cw.base, NULL, 0));
	{
		struct atoll_msg m = { .flags = 0, .id = 0 };

		CHECK_RET(atoll_bus_reply_ack(a, &m), -EINVAL);
	}
	/* A non-SOCK_SEQPACKET socket is refused (and closed). */
	{
		int st[2];

		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, st));
		ck_assert_ptr_null(atoll_bus_new(st[0], &rec_cbs, &ra));
		ck_assert_int_eq(errno, EPROTOTYPE);
		ck_assert_int_eq(fcntl(st[0], F_GETFD), -1);
		close(st[1]);
	}
	close(sv[1]);
	atoll_bus_free(a);
}
END_TEST

/* ---- fd passing ---- */

START_TEST(test_fd_passing)
{
	struct rec ra = { 0 }, rb = { 0 };
	int sv[2], efd, p[2], fds[3];
	atoll_bus *a, *b;
	Atoll__QueueSetup qs = ATOLL__QUEUE_SETUP__INIT;
	eventfd_t v = 0;
	char buf[8] = "";

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	b = rec_bus(sv[1], &rb);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	CHECK_OK(pipe2(p, O_CLOEXEC));
	fds[0] = efd;
	fds[1] = p[1];
	fds[2] = efd;
	qs.index = 1;
	qs.size = 256;
	qs.has_inflight = true;
	CHECK_OK(atoll_bus_post(a, T_QUEUE_SETUP, &qs.base, fds, 3));
	/* The sender keeps its fds: close the write end here so that the
	 * only writer left is the one that travelled. */
	close(p[1]);
	CHECK_RET(dispatch_wait(b), 1);
	ck_assert_uint_eq(rb.nmsgs, 1);
	ck_assert_uint_eq(rb.msgs[0]->nfds, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_ge(rb.msgs[0]->fds[i], 0);
		/* MSG_CMSG_CLOEXEC */
		ck_assert_int_eq(fcntl(rb.msgs[0]->fds[i], F_GETFD) & FD_CLOEXEC,
				 FD_CLOEXEC);
	}
	int kick = atoll_msg_take_fd(rb.msgs[0], 0);
	ck_assert_int_eq(rb.msgs[0]->fds[0], -1);
	ck_assert_int_eq(atoll_msg_take_fd(rb.msgs[0], 3), -1);
	CHECK_OK(eventfd_write(kick, 5));
	CHECK_OK(eventfd_read(efd, &v));
	ck_assert_uint_eq(v, 5);
	CHECK_RET(write(rb.msgs[0]->fds[1], "doorbel", 8), 8);
	CHECK_RET(read(p[0], buf, 8), 8);
	ck_assert_str_eq(buf, "doorbel");
	close(kick);
	rec_clear(&rb); /* closes the remaining received fds */
	/* Every writer is gone now: the pipe reads EOF. */
	CHECK_RET(read(p[0], buf, 8), 0);
	close(p[0]);
	close(efd);
	atoll_bus_free(a);
	atoll_bus_free(b);
}
END_TEST

/* ---- requests ---- */

struct reply_seen {
	int calls;
	int status;
	uint16_t type;
	char text[64];
	uint64_t uptime;
	bool free_bus;
};

static void on_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
		     void *opaque)
{
	struct reply_seen *s = opaque;

	s->calls++;
	s->status = status;
	s->type = reply ? reply->type : 0;
	if (reply && reply->type == T_ERROR)
		snprintf(s->text, sizeof(s->text), "%s",
			 ((Atoll__Error *)reply->body)->message);
	if (reply && reply->type == T_HEALTH_REPORT)
		s->uptime = ((Atoll__HealthReport *)reply->body)->uptime_ns;
	if (s->free_bus)
		atoll_bus_free(bus);
}

/* Peer side: answers HEALTH with a report, anything else with EINVAL. */
static void answer(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	Atoll__HealthReport rep = ATOLL__HEALTH_REPORT__INIT;

	(*(int *)opaque)++;
	if (!(msg->flags & ATOLL_FRAME_NEED_REPLY))
		return;
	if (msg->type != T_HEALTH) {
		CHECK_OK(atoll_bus_reply_error(bus, msg, -EINVAL, "no %s here",
					       atoll_msg_type_name(msg->type)));
		return;
	}
	rep.ok = true;
	rep.uptime_ns = 123456789;
	CHECK_OK(atoll_bus_reply(bus, msg, T_HEALTH_REPORT, &rep.base, NULL, 0));
}

static const struct atoll_bus_callbacks answer_cbs = { .message = answer };

START_TEST(test_request_reply)
{
	struct rec ra = { 0 };
	struct reply_seen s1 = { 0 }, s2 = { 0 };
	int sv[2], seen = 0;
	atoll_bus *a, *b;

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	b = atoll_bus_new(sv[1], &answer_cbs, &seen);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 1000, on_reply, &s1));
	CHECK_OK(atoll_bus_request(a, ATOLL__MSG_TYPE__MSG_PAUSE, NULL, NULL, 0,
				   0, on_reply, &s2));
	ck_assert_int_gt(atoll_bus_next_timeout_ms(a), 0);
	ck_assert_int_le(atoll_bus_next_timeout_ms(a), 1000);
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(b), 1);
	ck_assert_int_eq(seen, 2);
	CHECK_RET(dispatch_wait(a), 1);
	CHECK_RET(dispatch_wait(a), 1);
	ck_assert_int_eq(s1.calls, 1);
	CHECK_RET(s1.status, 0);
	ck_assert_uint_eq(s1.type, T_HEALTH_REPORT);
	ck_assert_uint_eq(s1.uptime, 123456789);
	/* An Error reply completes with -code and carries its text. */
	ck_assert_int_eq(s2.calls, 1);
	CHECK_RET(s2.status, -EINVAL);
	ck_assert_uint_eq(s2.type, T_ERROR);
	ck_assert_str_eq(s2.text, "no PAUSE here");
	ck_assert_int_eq(atoll_bus_next_timeout_ms(a), -1);
	ck_assert_uint_eq(ra.nmsgs, 0);
	ck_assert_int_eq(ra.closed_calls, 0);
	atoll_bus_free(a);
	atoll_bus_free(b);
}
END_TEST

START_TEST(test_posted_and_no_handler)
{
	struct rec rb = { 0 };
	struct reply_seen s = { 0 };
	int sv[2];
	atoll_bus *a, *b;
	Atoll__Ready ready = ATOLL__READY__INIT;

	seqpacket_pair(sv);
	a = atoll_bus_new(sv[0], NULL, NULL); /* no callbacks at all */
	ck_assert_ptr_nonnull(a);
	b = rec_bus(sv[1], &rb);
	ready.detail = "set up";
	CHECK_OK(atoll_bus_post(b, T_READY, &ready.base, NULL, 0));
	CHECK_OK(atoll_bus_request(b, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s));
	CHECK_RET(dispatch_wait(a), 1); /* posted, dropped */
	CHECK_RET(dispatch_wait(a), 1); /* request: ENOSYS */
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(s.status, -ENOSYS);
	/* A posted frame reaches the message callback without NEED_REPLY. */
	CHECK_OK(atoll_bus_post(a, T_READY, &ready.base, NULL, 0));
	CHECK_RET(dispatch_wait(b), 1);
	ck_assert_uint_eq(rb.nmsgs, 1);
	ck_assert_uint_eq(rb.msgs[0]->flags, 0);
	ck_assert_uint_eq(rb.msgs[0]->id, 0);
	ck_assert_str_eq(((Atoll__Ready *)rb.msgs[0]->body)->detail, "set up");
	rec_clear(&rb);
	atoll_bus_free(a);
	atoll_bus_free(b);
}
END_TEST

/* ---- deadlines ---- */

START_TEST(test_deadline_expire)
{
	struct rec ra = { 0 };
	struct reply_seen s = { 0 }, s2 = { 0 };
	int sv[2], ms, seen = 0;
	atoll_bus *a, *b;

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	b = atoll_bus_new(sv[1], &answer_cbs, &seen);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 50, on_reply, &s));
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 5000, on_reply, &s2));
	ms = atoll_bus_next_timeout_ms(a);
	ck_assert_int_gt(ms, 0);
	ck_assert_int_le(ms, 50);
	atoll_bus_expire(a); /* too early: nothing */
	ck_assert_int_eq(s.calls, 0);
	usleep(60 * 1000);
	ck_assert_int_eq(atoll_bus_next_timeout_ms(a), 0);
	atoll_bus_expire(a);
	ck_assert_int_eq(s.calls, 1);
	CHECK_RET(s.status, -ETIMEDOUT);
	ck_assert_int_eq(s2.calls, 0);
	ck_assert_int_gt(atoll_bus_next_timeout_ms(a), 4000);
	/* The late peer answers both; the stale reply is dropped quietly. */
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(a), 1);
	CHECK_RET(dispatch_wait(a), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s2.calls, 1);
	CHECK_RET(s2.status, 0);
	ck_assert_int_eq(ra.closed_calls, 0);
	ck_assert(!atoll_bus_is_closed(a));
	atoll_bus_free(a);
	atoll_bus_free(b);
}
END_TEST

/* A reply whose type is not the request's reply type (nor Error) is a
 * protocol violation: handlers cast the body by the expected type. */
START_TEST(test_wrong_reply_type)
{
	struct rec ra = { 0 }, rb = { .reply_ack = true };
	struct reply_seen s = { 0 };
	struct atoll_msg *reply = NULL;
	int sv[2];
	atoll_bus *a, *b;

	ck_assert_uint_eq(atoll_msg_type_reply(T_HEALTH), T_HEALTH_REPORT);
	ck_assert_uint_eq(atoll_msg_type_reply(T_QUEUE_SETUP), T_ACK);
	ck_assert_uint_eq(atoll_msg_type_reply(999), 0);

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	b = rec_bus(sv[1], &rb); /* answers everything with Ack */
	CHECK_OK(atoll_bus_request(a, T_QUEUE_SETUP, NULL, NULL, 0, 0, on_reply, &s));
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(a), 1); /* Ack for QUEUE_SETUP: fine */
	CHECK_RET(s.status, 0);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s));
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(a), -EPROTO);
	ck_assert_int_eq(s.calls, 2);
	CHECK_RET(s.status, -ECONNRESET);
	ck_assert_int_eq(ra.closed_calls, 1);
	CHECK_RET(ra.closed_err, -EPROTO);
	atoll_bus_free(a);
	atoll_bus_free(b);
	rec_clear(&rb);

	/* The same through atoll_bus_call, with a raw peer. */
	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	{
		uint8_t frame[64];
		size_t len = raw_frame(frame, T_ACK, ATOLL_FRAME_REPLY, 1, NULL);

		CHECK_OK(raw_send(sv[1], frame, len, NULL, 0));
	}
	CHECK_RET(atoll_bus_call(a, T_HEALTH, NULL, NULL, 0, 1000, &reply),
		  -ECONNRESET);
	ck_assert_ptr_null(reply);
	ck_assert(atoll_bus_is_closed(a));
	ra.closed_calls = 0;
	CHECK_RET(atoll_bus_dispatch(a), -EPROTO);
	ck_assert_int_eq(ra.closed_calls, 1);
	atoll_bus_free(a);
	close(sv[1]);
}
END_TEST

START_TEST(test_call_timeout)
{
	struct rec ra = { 0 };
	struct atoll_msg *reply = (void *)1;
	int sv[2];
	uint64_t t0;
	atoll_bus *a;

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	t0 = mono_ms();
	CHECK_RET(atoll_bus_call(a, T_HEALTH, NULL, NULL, 0, 80, &reply), -ETIMEDOUT);
	ck_assert_uint_ge(mono_ms() - t0, 80);
	ck_assert_ptr_null(reply);
	ck_assert(!atoll_bus_is_closed(a));
	close(sv[1]);
	atoll_bus_free(a);
}
END_TEST

/* A peer thread: on HEALTH it first posts two READY frames, then replies. */
struct peer_thread {
	int fd;
	pthread_t tid;
};

static void chatty(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	Atoll__Ready r = ATOLL__READY__INIT;

	if (msg->type != T_HEALTH) {
		answer(bus, msg, opaque);
		return;
	}
	r.detail = "first";
	atoll_bus_post(bus, T_READY, &r.base, NULL, 0);
	r.detail = "second";
	atoll_bus_post(bus, T_READY, &r.base, NULL, 0);
	answer(bus, msg, opaque);
}

static void *peer_main(void *arg)
{
	struct peer_thread *pt = arg;
	static const struct atoll_bus_callbacks cbs = { .message = chatty };
	int seen = 0;
	atoll_bus *bus = atoll_bus_new(pt->fd, &cbs, &seen);
	struct pollfd p = { .fd = pt->fd, .events = POLLIN };

	while (poll(&p, 1, 5000) == 1 && atoll_bus_dispatch(bus) >= 0)
		;
	atoll_bus_free(bus);
	return NULL;
}

START_TEST(test_call_queues_other_frames)
{
	struct rec ra = { 0 };
	struct peer_thread pt;
	struct atoll_msg *reply = NULL;
	int sv[2];
	atoll_bus *a;

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	pt.fd = sv[1];
	ck_assert_int_eq(pthread_create(&pt.tid, NULL, peer_main, &pt), 0);
	CHECK_RET(atoll_bus_call(a, T_HEALTH, NULL, NULL, 0, 5000, &reply), 0);
	ck_assert_ptr_nonnull(reply);
	ck_assert_uint_eq(reply->type, T_HEALTH_REPORT);
	ck_assert(((Atoll__HealthReport *)reply->body)->ok);
	atoll_msg_free(reply);
	/* Frames that arrived first wait in the queue, in arrival order. */
	ck_assert_uint_eq(atoll_bus_queued(a), 2);
	ck_assert_uint_eq(ra.nmsgs, 0);
	CHECK_RET(atoll_bus_dispatch(a), 1);
	CHECK_RET(atoll_bus_dispatch(a), 1);
	ck_assert_uint_eq(atoll_bus_queued(a), 0);
	ck_assert_uint_eq(ra.nmsgs, 2);
	ck_assert_str_eq(((Atoll__Ready *)ra.msgs[0]->body)->detail, "first");
	ck_assert_str_eq(((Atoll__Ready *)ra.msgs[1]->body)->detail, "second");
	/* An Error reply: status -code, *reply set. */
	CHECK_RET(atoll_bus_call(a, ATOLL__MSG_TYPE__MSG_RESET, NULL, NULL, 0,
				 5000, &reply), -EINVAL);
	ck_assert_ptr_nonnull(reply);
	ck_assert_uint_eq(reply->type, T_ERROR);
	atoll_msg_free(reply);
	rec_clear(&ra);
	atoll_bus_free(a); /* the peer sees EOF and exits */
	pthread_join(pt.tid, NULL);
}
END_TEST

/* ---- peer death ---- */

START_TEST(test_peer_close)
{
	struct rec ra = { 0 };
	struct reply_seen s = { 0 };
	int sv[2];
	atoll_bus *a;

	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s));
	/* Drain the request so the close is orderly (no unread data). */
	{
		char buf[256];

		ck_assert_int_gt(recv(sv[1], buf, sizeof(buf), 0), 0);
	}
	close(sv[1]);
	CHECK_RET(atoll_bus_dispatch(a), -EPIPE);
	ck_assert_int_eq(ra.closed_calls, 1);
	ck_assert_int_eq(ra.closed_err, 0);
	ck_assert_int_eq(s.calls, 1);
	CHECK_RET(s.status, -ECONNRESET);
	ck_assert(atoll_bus_is_closed(a));
	CHECK_RET(atoll_bus_dispatch(a), -EPIPE);
	ck_assert_int_eq(ra.closed_calls, 1);
	CHECK_RET(atoll_bus_post(a, T_READY, NULL, NULL, 0), -EPIPE);
	CHECK_RET(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s),
		  -EPIPE);
	atoll_bus_free(a);
}
END_TEST

START_TEST(test_peer_sigkill)
{
	struct rec ra = { 0 };
	struct reply_seen s = { 0 };
	int sv[2], st;
	pid_t pid;
	atoll_bus *a;

	seqpacket_pair(sv);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		for (;;)
			pause();
	}
	close(sv[1]);
	a = rec_bus(sv[0], &ra);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s));
	CHECK_OK(kill(pid, SIGKILL));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	/* The child died with our request unread: the kernel reports a
	 * reset, not an orderly EOF. */
	CHECK_RET(atoll_bus_dispatch(a), -ECONNRESET);
	ck_assert_int_eq(ra.closed_calls, 1);
	CHECK_RET(ra.closed_err, -ECONNRESET);
	ck_assert_int_eq(s.calls, 1);
	CHECK_RET(s.status, -ECONNRESET);
	atoll_bus_free(a);
}
END_TEST

START_TEST(test_peer_death_during_call)
{
	struct rec ra = { 0 };
	struct atoll_msg *reply = NULL;
	int sv[2];
	pid_t pid;
	atoll_bus *a;

	seqpacket_pair(sv);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[256];

		uint8_t frame[64];
		size_t len = raw_frame(frame, T_READY, 0, 0, NULL);

		close(sv[0]);
		/* Read the request, post one frame, die without answering. */
		if (recv(sv[1], buf, sizeof(buf), 0) > 0 &&
		    raw_send(sv[1], frame, len, NULL, 0) == 0)
			_exit(0);
		_exit(1);
	}
	close(sv[1]);
	a = rec_bus(sv[0], &ra);
	CHECK_RET(atoll_bus_call(a, T_HEALTH, NULL, NULL, 0, 5000, &reply),
		  -ECONNRESET);
	ck_assert_ptr_null(reply);
	/* No callback ran inside the call; the next dispatches deliver the
	 * frame that came first, then report the end. */
	ck_assert_int_eq(ra.closed_calls, 0);
	ck_assert_uint_eq(atoll_bus_queued(a), 1);
	CHECK_RET(atoll_bus_dispatch(a), 1);
	ck_assert_uint_eq(ra.nmsgs, 1);
	ck_assert_int_eq(ra.closed_calls, 0);
	CHECK_RET(atoll_bus_dispatch(a), -EPIPE);
	ck_assert_int_eq(ra.closed_calls, 1);
	ck_assert_int_eq(ra.closed_err, 0);
	waitpid(pid, NULL, 0);
	rec_clear(&ra);
	atoll_bus_free(a);
}
END_TEST

/* A peer that floods a synchronous call with unrelated frames is cut off
 * once the queue is full; what was queued is still delivered, in order. */
START_TEST(test_call_queue_overflow)
{
	struct rec ra = { 0 };
	struct atoll_msg *reply = NULL;
	int sv[2], st;
	unsigned delivered = 0;
	pid_t pid;
	atoll_bus *a;

	seqpacket_pair(sv);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint8_t frame[64], buf[256];
		size_t len = raw_frame(frame, T_READY, 0, 0, NULL);

		close(sv[0]);
		if (recv(sv[1], buf, sizeof(buf), 0) <= 0)
			_exit(1);
		for (int i = 0; i < 300; i++)
			if (raw_send(sv[1], frame, len, NULL, 0) < 0)
				break; /* cut off: EPIPE */
		_exit(0);
	}
	close(sv[1]);
	a = rec_bus(sv[0], &ra);
	CHECK_RET(atoll_bus_call(a, T_HEALTH, NULL, NULL, 0, 5000, &reply),
		  -ECONNRESET);
	ck_assert_uint_eq(atoll_bus_queued(a), 256);
	for (;;) {
		int r = atoll_bus_dispatch(a);

		if (r < 0) {
			CHECK_RET(r, -ENOBUFS);
			break;
		}
		ck_assert_int_eq(r, 1);
		delivered++;
		rec_clear(&ra);
	}
	ck_assert_uint_eq(delivered, 256);
	ck_assert_int_eq(ra.closed_calls, 1);
	CHECK_RET(ra.closed_err, -ENOBUFS);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	atoll_bus_free(a);
}
END_TEST

/* ---- freeing from callbacks ---- */

START_TEST(test_free_in_callbacks)
{
	struct rec ra = { 0 }, rb = { 0 };
	struct reply_seen s1 = { .free_bus = true }, s2 = { 0 };
	int sv[2], seen = 0;
	atoll_bus *a, *b;

	/* From the closed callback. */
	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	ra.free_on_closed = true;
	close(sv[1]);
	CHECK_RET(atoll_bus_dispatch(a), -ECANCELED);
	ck_assert_int_eq(ra.closed_calls, 1);
	ck_assert_ptr_null(ra.bus);

	/* From the message callback. */
	seqpacket_pair(sv);
	a = rec_bus(sv[0], &rb);
	rb.free_on_message = true;
	{
		atoll_bus *p = atoll_bus_new(sv[1], NULL, NULL);

		CHECK_OK(atoll_bus_post(p, T_READY, NULL, NULL, 0));
		CHECK_OK(atoll_bus_post(p, T_READY, NULL, NULL, 0));
		ck_assert_int_eq(dispatch_wait(a), -ECANCELED);
		ck_assert_uint_eq(rb.nmsgs, 1);
		atoll_bus_free(p);
	}
	rec_clear(&rb);

	/* From a reply callback, with another request still pending. */
	seqpacket_pair(sv);
	a = atoll_bus_new(sv[0], NULL, NULL);
	b = atoll_bus_new(sv[1], &answer_cbs, &seen);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s1));
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s2));
	CHECK_RET(dispatch_wait(b), 1);
	CHECK_RET(dispatch_wait(a), -ECANCELED);
	ck_assert_int_eq(s1.calls, 1);
	CHECK_RET(s1.status, 0);
	ck_assert_int_eq(s2.calls, 1);
	CHECK_RET(s2.status, -ECANCELED);
	atoll_bus_free(b);
}
END_TEST

START_TEST(test_free_cancels_pending)
{
	struct reply_seen s = { 0 }, s1 = { .free_bus = true }, s2 = { 0 };
	int sv[2];
	atoll_bus *a;

	seqpacket_pair(sv);
	a = atoll_bus_new(sv[0], NULL, NULL);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 100, on_reply, &s));
	atoll_bus_free(a);
	ck_assert_int_eq(s.calls, 1);
	CHECK_RET(s.status, -ECANCELED);
	atoll_bus_free(NULL);

	/* Freed from a callback run by expire (deadlines expire in order):
	 * the other request is cancelled, each callback runs once. */
	close(sv[1]);
	seqpacket_pair(sv);
	a = atoll_bus_new(sv[0], NULL, NULL);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 1, on_reply, &s1));
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 1, on_reply, &s2));
	usleep(5000);
	atoll_bus_expire(a);
	ck_assert_int_eq(s1.calls, 1);
	CHECK_RET(s1.status, -ETIMEDOUT);
	ck_assert_int_eq(s2.calls, 1);
	CHECK_RET(s2.status, -ECANCELED);
	close(sv[1]);
}
END_TEST

/* ---- hostile frames written raw onto the socket ---- */

enum bad_kind {
	BAD_OVERSIZED,
	BAD_SHORT,
	BAD_SIZE_MISMATCH,
	BAD_FDS_FOR_TYPE,
	BAD_FDS_OVER_MAX,
	BAD_UNKNOWN_TYPE,
	BAD_MAGIC,
	BAD_RESERVED,
	BAD_FLAGS,
	BAD_PROTOBUF,
	BAD_POSTED_WITH_ID,
	BAD_COUNT
};

static const struct {
	const char *what;
	int want;
} bad_cases[BAD_COUNT] = {
	[BAD_OVERSIZED] = { "frame > ATOLL_BUS_MAX_FRAME", -EMSGSIZE },
	[BAD_SHORT] = { "shorter than the header", -EBADMSG },
	[BAD_SIZE_MISMATCH] = { "header.size != payload", -EBADMSG },
	[BAD_FDS_FOR_TYPE] = { "more fds than the type allows", -E2BIG },
	[BAD_FDS_OVER_MAX] = { "more than ATOLL_BUS_MAX_FDS", -E2BIG },
	[BAD_UNKNOWN_TYPE] = { "unknown type", -EPROTO },
	[BAD_MAGIC] = { "bad magic", -EPROTO },
	[BAD_RESERVED] = { "reserved != 0", -EPROTO },
	[BAD_FLAGS] = { "unknown flag", -EPROTO },
	[BAD_PROTOBUF] = { "garbage protobuf", -EBADMSG },
	[BAD_POSTED_WITH_ID] = { "posted frame with an id", -EPROTO },
};

/* Writes malformed frame `kind` with fds attached where it makes sense. */
static void write_bad(int sock, enum bad_kind kind, const int *fds)
{
	static uint8_t buf[ATOLL_BUS_MAX_FRAME + 4096];
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	struct atoll_frame_header h;
	size_t len;
	unsigned nfds = 1;

	pc.peer = "disk0";
	len = raw_frame(buf, T_PEER_CONNECT, 0, 0, &pc.base);
	memcpy(&h, buf, sizeof(h));
	switch (kind) {
	case BAD_OVERSIZED:
		len = ATOLL_BUS_MAX_FRAME + 100;
		h.size = (uint32_t)(len - sizeof(h));
		break;
	case BAD_SHORT:
		len = 10;
		break;
	case BAD_SIZE_MISMATCH:
		h.size += 3;
		break;
	case BAD_FDS_FOR_TYPE:
		h.type = T_QUEUE_SETUP; /* 3 allowed; PeerConnect bytes parse */
		nfds = 4;
		break;
	case BAD_FDS_OVER_MAX:
		nfds = ATOLL_BUS_MAX_FDS + 4;
		break;
	case BAD_UNKNOWN_TYPE:
		h.type = 999;
		break;
	case BAD_MAGIC:
		h.magic = 0x4c4f5442u;
		break;
	case BAD_RESERVED:
		h.reserved = 1;
		break;
	case BAD_FLAGS:
		h.flags = 0x4;
		break;
	case BAD_PROTOBUF:
		/* Field 1 (string) claims 100 bytes; 5 follow. */
		buf[sizeof(h)] = 0x0a;
		buf[sizeof(h) + 1] = 100;
		break;
	case BAD_POSTED_WITH_ID:
		h.id = 7;
		break;
	case BAD_COUNT:
		break;
	}
	if (kind != BAD_SHORT)
		memcpy(buf, &h, sizeof(h));
	CHECK_OK(raw_send(sock, buf, len, fds, nfds));
}

START_TEST(test_malformed_frames)
{
	struct rec ra = { 0 };
	struct reply_seen s = { 0 };
	int sv[2], fds[ATOLL_BUS_MAX_FDS + 4], before, after;
	atoll_bus *a;

	before = fd_count();
	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	CHECK_OK(atoll_bus_request(a, T_HEALTH, NULL, NULL, 0, 0, on_reply, &s));
	for (unsigned i = 0; i < ATOLL_BUS_MAX_FDS + 4; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		ck_assert_int_ge(fds[i], 0);
	}
	write_bad(sv[1], (enum bad_kind)_i, fds);
	for (unsigned i = 0; i < ATOLL_BUS_MAX_FDS + 4; i++)
		close(fds[i]);
	CHECK_RET(dispatch_wait(a), bad_cases[_i].want);
	ck_assert_msg(ra.closed_calls == 1, "%s: closed callback ran %d times",
		      bad_cases[_i].what, ra.closed_calls);
	ck_assert_msg(ra.closed_err == bad_cases[_i].want,
		      "%s: closed with %d, wanted %d", bad_cases[_i].what,
		      ra.closed_err, bad_cases[_i].want);
	CHECK_RET(s.status, -ECONNRESET);
	ck_assert_uint_eq(ra.nmsgs, 0);
	ck_assert_int_ge(ra.warnings, 1); /* the violation was logged */
	/* Cut off: after our pending request, the peer sees EOF. */
	{
		char b[256];

		ck_assert_int_gt(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), 0);
		CHECK_RET(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), 0);
	}
	atoll_bus_free(a);
	close(sv[1]);
	after = fd_count();
	ck_assert_msg(before == after, "%s: %d fds before, %d after",
		      bad_cases[_i].what, before, after);
}
END_TEST

/* A good frame carrying fds followed by a bad one: the first is delivered
 * intact, the second cuts the peer off, and nothing leaks. */
START_TEST(test_good_then_bad_no_leak)
{
	struct rec ra = { 0 };
	int sv[2], efd, before;
	atoll_bus *a, *p;
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;

	before = fd_count();
	seqpacket_pair(sv);
	a = rec_bus(sv[0], &ra);
	p = atoll_bus_new(sv[1], NULL, NULL);
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK_OK(atoll_bus_post(p, T_PEER_CONNECT, &pc.base, &efd, 1));
	write_bad(sv[1], BAD_MAGIC, &efd);
	close(efd);
	CHECK_RET(dispatch_wait(a), 1);
	ck_assert_uint_eq(ra.nmsgs, 1);
	ck_assert_uint_eq(ra.msgs[0]->nfds, 1);
	CHECK_RET(dispatch_wait(a), -EPROTO);
	ck_assert_int_eq(ra.closed_calls, 1);
	rec_clear(&ra);
	atoll_bus_free(a);
	atoll_bus_free(p);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

/* atoll_frame_decode directly: the same rules without a socket. */
START_TEST(test_decode_rules)
{
	static uint8_t buf[ATOLL_BUS_MAX_FRAME + 16];
	Atoll__Hello hello = ATOLL__HELLO__INIT;
	struct atoll_msg m;
	struct atoll_frame_header h;
	int fds[ATOLL_BUS_MAX_FDS + 1];
	size_t len;

	for (unsigned i = 0; i <= ATOLL_BUS_MAX_FDS; i++)
		fds[i] = 100 + (int)i;
	hello.name = "x";
	len = raw_frame(buf, T_HELLO, ATOLL_FRAME_NEED_REPLY, 9, &hello.base);
	CHECK_RET(atoll_frame_decode(buf, len, NULL, 0, &m), 0);
	ck_assert_uint_eq(m.id, 9);
	ck_assert_str_eq(((Atoll__Hello *)m.body)->name, "x");
	for (unsigned i = 0; i < ATOLL_BUS_MAX_FDS; i++)
		ck_assert_int_eq(m.fds[i], -1);
	protobuf_c_message_free_unpacked(m.body, NULL);

	CHECK_RET(atoll_frame_decode(buf, len, fds, 1, &m), -E2BIG);
	CHECK_RET(atoll_frame_decode(buf, 23, NULL, 0, &m), -EBADMSG);
	CHECK_RET(atoll_frame_decode(buf, len - 1, NULL, 0, &m), -EBADMSG);
	CHECK_RET(atoll_frame_decode(buf, ATOLL_BUS_MAX_FRAME + 1, NULL, 0, &m),
		  -EMSGSIZE);
	memcpy(&h, buf, sizeof(h));
	h.flags = ATOLL_FRAME_NEED_REPLY | ATOLL_FRAME_REPLY;
	memcpy(buf, &h, sizeof(h));
	CHECK_RET(atoll_frame_decode(buf, len, NULL, 0, &m), -EPROTO);
	h.flags = ATOLL_FRAME_REPLY;
	h.id = 0; /* replies carry their request's non-zero id */
	memcpy(buf, &h, sizeof(h));
	CHECK_RET(atoll_frame_decode(buf, len, NULL, 0, &m), -EPROTO);

	/* Field number 0 (over-long varint tag), which protobuf-c itself
	 * would accept once but not after re-encoding. */
	{
		static const uint8_t field0[] = { 0x0a, 0x01, 'x', 0x80, 0x00, 0x01 };

		len = raw_frame(buf, T_READY, 0, 0, NULL);
		memcpy(&h, buf, sizeof(h));
		h.size = sizeof(field0);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), field0, sizeof(field0));
		len = sizeof(h) + sizeof(field0);
		CHECK_RET(atoll_frame_decode(buf, len, NULL, 0, &m), -EBADMSG);
		/* The same without the field-0 bytes decodes. */
		h.size = 3;
		memcpy(buf, &h, sizeof(h));
		CHECK_RET(atoll_frame_decode(buf, sizeof(h) + 3, NULL, 0, &m), 0);
		protobuf_c_message_free_unpacked(m.body, NULL);
	}

	len = raw_frame(buf, T_MEM_GRANT, 0, 0, NULL);
	CHECK_RET(atoll_frame_decode(buf, len, fds, 16, &m), 0);
	ck_assert_uint_eq(m.nfds, 16);
	ck_assert_int_eq(m.fds[15], 115);
	protobuf_c_message_free_unpacked(m.body, NULL);
	CHECK_RET(atoll_frame_decode(buf, len, fds, 17, &m), -E2BIG);
}
END_TEST

static Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_test(tc, test_msgtypes);
	tcase_add_test(tc, test_roundtrip_types);
	tcase_add_test(tc, test_send_validation);
	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_decode_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_test(tc, test_request_reply);
	tcase_add_test(tc, test_posted_and_no_handler);
	tcase_add_test(tc, test_deadline_expire);
	tcase_add_test(tc, test_wrong_reply_type);
	tcase_add_test(tc, test_call_timeout);
	tcase_add_test(tc, test_call_queues_other_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_test(tc, test_peer_close);
	tcase_add_test(tc, test_peer_sigkill);
	tcase_add_test(tc, test_peer_death_during_call);
	tcase_add_test(tc, test_call_queue_overflow);
	tcase_add_test(tc, test_free_in_callbacks);
	tcase_add_test(tc, test_free_cancels_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_loop_test(tc, test_malformed_frames, 0, BAD_COUNT);
	tcase_add_test(tc, test_good_then_bad_no_leak);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(bus_suite)
