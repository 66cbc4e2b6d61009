/* SPDX-License-Identifier: MIT */
/* One bus connection: socket I/O, request/reply matching, deadlines, the
 * queue of frames read by atoll_bus_call, and teardown that is safe from
 * inside callbacks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "atoll-config.h"
#include "bus-private.h"

/* Frames atoll_bus_call may set aside while waiting for its reply; a peer
 * that sends more than this meanwhile is flooding us and is cut off. */
#define BUS_QUEUE_MAX 256u

struct pending {
	struct pending *next;
	uint64_t id;
	uint16_t type;        /* of the request, to check the reply's */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */
	atoll_bus_reply_cb cb;
	void *opaque;
};

struct atoll_bus {
	int fd;
	struct atoll_bus_callbacks cb;
	void *opaque;
	uint64_t next_id;
	struct pending *pending;
	struct atoll_msg *queue[BUS_QUEUE_MAX]; /* ring, oldest at q_head */
	unsigned q_head, q_len;
	/* Nesting of dispatch/expire/free on the stack; the memory is released
	 * only when it drops to 0 with `freed` set. */
	unsigned depth;
	bool freed;
	bool closed;   /* no more frames in or out */
	bool notified; /* closed callback done (or suppressed by free) */
	int close_err;
	/* One frame, in or out. Safe to share: protobuf-c copies strings and
	 * bytes out of the input, so a decoded message never points here. */
	uint8_t buf[ATOLL_BUS_MAX_FRAME];
};

union fd_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * ATOLL_BUS_MAX_FDS)];
};

__attribute__((format(printf, 3, 4)))
static void bus_log(struct atoll_bus *bus, enum atoll_log_level level,
		    const char *fmt, ...)
{
	va_list ap;

	if (!bus->cb.log)
		return;
	va_start(ap, fmt);
	bus->cb.log(bus->opaque, level, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_after(int timeout_ms)
{
	return timeout_ms > 0 ? now_ns() + (uint64_t)timeout_ms * 1000000ull
			      : 0;
}

/* Milliseconds left until `deadline` rounded up, -1 for none. */
static int ms_until(uint64_t deadline)
{
	uint64_t now, ms;

	if (!deadline)
		return -1;
	now = now_ns();
	if (deadline <= now)
		return 0;
	ms = (deadline - now + 999999ull) / 1000000ull;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int make_nonblocking_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

atoll_bus *atoll_bus_new(int fd, const struct atoll_bus_callbacks *cb,
			 void *opaque)
{
	struct atoll_bus *bus;
	int type = 0, r;
	socklen_t len = sizeof(type);

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		r = -errno;
	else if (type != SOCK_SEQPACKET)
		r = -EPROTOTYPE;
	else
		r = make_nonblocking_cloexec(fd);
	bus = r < 0 ? NULL : calloc(1, sizeof(*bus));
	if (!bus) {
		close(fd);
		errno = r < 0 ? -r : ENOMEM;
		return NULL;
	}
	bus->fd = fd;
	if (cb)
		bus->cb = *cb;
	bus->opaque = opaque;
	bus->next_id = 1;
	return bus;
}

int atoll_bus_fd(const atoll_bus *bus)
{
	return bus ? bus->fd : -1;
}

void *atoll_bus_opaque(const atoll_bus *bus)
{
	return bus ? bus->opaque : NULL;
}

bool atoll_bus_is_closed(const atoll_bus *bus)
{
	return !bus || bus->closed;
}

unsigned atoll_bus_queued(const atoll_bus *bus)
{
	return bus ? bus->q_len : 0;
}

const char *atoll_bus_version(void)
{
	return ATOLL_VERSION;
}

/* ---- pending requests ---- */

static uint64_t alloc_id(struct atoll_bus *bus)
{
	uint64_t id = bus->next_id++;

	if (!bus->next_id) /* 0 marks posted frames */
		bus->next_id = 1;
	return id;
}

/* Unlinks and returns the first request matching `id` (or, with id 0, the
 * first whose deadline is at or before `now`). */
static struct pending *take_pending(struct atoll_bus *bus, uint64_t id,
				    uint64_t now)
{
	for (struct pending **pp = &bus->pending; *pp; pp = &(*pp)->next) {
		struct pending *p = *pp;

		if (id ? p->id == id : (p->deadline_ns && p->deadline_ns <= now)) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

/* Each callback may free the bus or add requests; the list head is
 * re-read every time. */
static void fail_pending(struct atoll_bus *bus, int status)
{
	struct pending *p;

	while ((p = bus->pending)) {
		bus->pending = p->next;
		p->cb(bus, status, NULL, p->opaque);
		free(p);
	}
}

/* ---- lifetime ---- */

static void queue_push(struct atoll_bus *bus, struct atoll_msg *m)
{
	bus->queue[(bus->q_head + bus->q_len) % BUS_QUEUE_MAX] = m;
	bus->q_len++;
}

static struct atoll_msg *queue_pop(struct atoll_bus *bus)
{
	struct atoll_msg *m = bus->queue[bus->q_head];

	bus->q_head = (bus->q_head + 1) % BUS_QUEUE_MAX;
	bus->q_len--;
	return m;
}

static void bus_destroy(struct atoll_bus *bus)
{
	while (bus->q_len)
		atoll_msg_free(queue_pop(bus));
	close(bus->fd);
	free(bus);
}

/* Returns true if the bus is gone. */
static bool bus_leave(struct atoll_bus *bus)
{
	if (--bus->depth == 0 && bus->freed) {
		bus_destroy(bus);
		return true;
	}
	return false;
}

void atoll_bus_free(atoll_bus *bus)
{
	if (!bus || bus->freed)
		return;
	bus->freed = true;
	bus->notified = true;
	if (!bus->closed) {
		bus->closed = true;
		bus->close_err = -ECANCELED;
	}
	bus->depth++;
	fail_pending(bus, -ECANCELED);
	bus_leave(bus);
}

/* Marks the connection dead; callbacks run later from dispatch, so this is
 * safe anywhere (including inside atoll_bus_call). */
static void bus_cut_off(struct atoll_bus *bus, int err)
{
	if (bus->closed)
		return;
	bus->closed = true;
	bus->close_err = err;
	if (err < 0)
		bus_log(bus, ATOLL_LOG_WARN, "bus: connection cut off: %s",
			strerror(-err));
	else
		bus_log(bus, ATOLL_LOG_DEBUG, "bus: peer closed the connection");
	/* Keeps the fd open (the event loop still watches it) but makes it
	 * readable-at-EOF and drops whatever else the peer queued. */
	shutdown(bus->fd, SHUT_RDWR);
}

static void bus_notify_closed(struct atoll_bus *bus)
{
	if (bus->notified)
		return;
	bus->notified = true;
	fail_pending(bus, -ECONNRESET);
	if (!bus->freed && bus->cb.closed)
		bus->cb.closed(bus, bus->close_err, bus->opaque);
}

static int closed_status(const struct atoll_bus *bus)
{
	return bus->close_err ? bus->close_err : -EPIPE;
}

/* ---- receiving ---- */

/* Takes every SCM_RIGHTS fd out of the control data; any beyond
 * ATOLL_BUS_MAX_FDS (impossible with our buffer size, but cheap) are
 * closed at once. */
static unsigned collect_fds(struct msghdr *mh, int *fds)
{
	unsigned n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (n < ATOLL_BUS_MAX_FDS)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* Reads one frame. Returns 1 with *msg filled, 0 if nothing is waiting, or
 * a negative errno meaning the connection must end (*eof: orderly). Every
 * fd received is either in *msg or closed. */
static int bus_recv(struct atoll_bus *bus, struct atoll_msg *msg, bool *eof)
{
	union fd_cmsg ctl;
	struct iovec iov = { bus->buf, sizeof(bus->buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int fds[ATOLL_BUS_MAX_FDS];
	unsigned nfds;
	ssize_t n;
	int r;

	*eof = false;
	do
		n = recvmsg(bus->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	nfds = collect_fds(&mh, fds);
	if (mh.msg_flags & MSG_CTRUNC)
		r = -E2BIG;
	else if (mh.msg_flags & MSG_TRUNC)
		r = -EMSGSIZE;
	else if (n == 0) {
		/* SOCK_SEQPACKET reports EOF as a 0-byte read; an empty
		 * frame is indistinguishable and is no valid frame anyway. */
		*eof = true;
		r = -EPIPE;
	} else
		r = atoll_frame_decode(bus->buf, (size_t)n, fds, nfds, msg);
	if (r < 0) {
		bus_close_fds(fds, nfds);
		if (!*eof)
			bus_log(bus, ATOLL_LOG_WARN,
				"bus: bad frame (%zd bytes, %u fds): %s", n,
				nfds, strerror(-r));
	}
	return r < 0 ? r : 1;
}

static int reply_status(struct atoll_bus *bus, const struct atoll_msg *msg)
{
	const Atoll__Error *e;

	if (msg->type != ATOLL__MSG_TYPE__MSG_ERROR)
		return 0;
	e = (const Atoll__Error *)msg->body;
	if (e->code > 0 && e->code < 4096)
		return -e->code;
	bus_log(bus, ATOLL_LOG_WARN, "bus: Error reply with bad code %d",
		(int)e->code);
	return -EIO;
}

/* Handlers cast reply->body by the type they expect; a reply of another
 * type would make them read the wrong struct. */
static bool reply_type_ok(uint16_t req_type, uint16_t type)
{
	return type == ATOLL__MSG_TYPE__MSG_ERROR ||
	       type == atoll_msg_type_reply(req_type);
}

static int complete_request(struct atoll_bus *bus, struct atoll_msg *msg)
{
	struct pending *p = take_pending(bus, msg->id, 0);

	if (p && !reply_type_ok(p->type, msg->type)) {
		bus_log(bus, ATOLL_LOG_WARN, "bus: %s reply to a %s request",
			atoll_msg_type_name(msg->type),
			atoll_msg_type_name(p->type));
		/* Back on the list: it fails with the connection. */
		p->next = bus->pending;
		bus->pending = p;
		return -EPROTO;
	}
	if (!p) {
		/* Most likely the reply to a request that already timed
		 * out; harmless, so not a protocol violation. */
		bus_log(bus, ATOLL_LOG_DEBUG,
			"bus: dropping %s reply for unknown request %llu",
			atoll_msg_type_name(msg->type),
			(unsigned long long)msg->id);
		return 0;
	}
	p->cb(bus, reply_status(bus, msg), msg, p->opaque);
	free(p);
	return 0;
}

/* Delivers one frame and releases what it still owns afterwards. Returns
 * a negative errno if the frame breaks the protocol. */
static int handle_frame(struct atoll_bus *bus, struct atoll_msg *msg)
{
	int r = 0;

	if (msg->flags & ATOLL_FRAME_REPLY)
		r = complete_request(bus, msg);
	else if (bus->cb.message)
		bus->cb.message(bus, msg, bus->opaque);
	else if (msg->flags & ATOLL_FRAME_NEED_REPLY)
		atoll_bus_reply_error(bus, msg, ENOSYS, "no message handler");
	bus_msg_clear(msg);
	return r;
}

static int dispatch_one(struct atoll_bus *bus)
{
	struct atoll_msg msg, *m;
	bool eof;
	int r;

	if (bus->q_len) {
		m = queue_pop(bus);
		r = handle_frame(bus, m);
		free(m);
		if (r == 0)
			return 1;
	} else if (bus->closed) {
		bus_notify_closed(bus);
		return closed_status(bus);
	} else {
		r = bus_recv(bus, &msg, &eof);
		if (r == 0)
			return 0;
		if (r > 0) {
			r = handle_frame(bus, &msg);
			if (r == 0)
				return 1;
		} else if (eof) {
			r = 0;
		}
	}
	/* The frame broke the protocol, or the peer is gone. */
	bus_cut_off(bus, r);
	bus_notify_closed(bus);
	return closed_status(bus);
}

int atoll_bus_dispatch(atoll_bus *bus)
{
	int r;

	if (!bus)
		return -EINVAL;
	if (bus->freed)
		return -ECANCELED;
	bus->depth++;
	r = dispatch_one(bus);
	if (bus->freed)
		r = -ECANCELED;
	bus_leave(bus);
	return r;
}

/* ---- deadlines ---- */

int atoll_bus_next_timeout_ms(const atoll_bus *bus)
{
	uint64_t first = 0;

	if (!bus)
		return -1;
	for (const struct pending *p = bus->pending; p; p = p->next)
		if (p->deadline_ns && (!first || p->deadline_ns < first))
			first = p->deadline_ns;
	return ms_until(first);
}

void atoll_bus_expire(atoll_bus *bus)
{
	struct pending *p;
	uint64_t now;

	if (!bus || bus->freed)
		return;
	now = now_ns();
	bus->depth++;
	while (!bus->freed && (p = take_pending(bus, 0, now))) {
		p->cb(bus, -ETIMEDOUT, NULL, p->opaque);
		free(p);
	}
	bus_leave(bus);
}

/* ---- sending ---- */

static int bus_send(struct atoll_bus *bus, uint16_t type, uint16_t flags,
		    uint64_t id, const ProtobufCMessage *body, const int *fds,
		    unsigned nfds)
{
	union fd_cmsg ctl;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	long len;
	ssize_t n;
	int r;

	if (!bus)
		return -EINVAL;
	if (bus->closed)
		return -EPIPE;
	r = bus_check_outgoing(type, body, fds, nfds);
	if (r < 0)
		return r;
	len = bus_frame_encode(bus->buf, type, flags, id, body);
	if (len < 0)
		return (int)len;
	iov = (struct iovec){ bus->buf, (size_t)len };
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(bus->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = errno == EWOULDBLOCK ? EAGAIN : errno;
		/* The read side reports the death of the peer. */
		return r == ECONNRESET || r == ENOTCONN ? -EPIPE : -r;
	}
	return n == len ? 0 : -EIO; /* SOCK_SEQPACKET sends whole frames */
}

int atoll_bus_post(atoll_bus *bus, uint16_t type, const ProtobufCMessage *body,
		   const int *fds, unsigned nfds)
{
	return bus_send(bus, type, 0, 0, body, fds, nfds);
}

int atoll_bus_request(atoll_bus *bus, uint16_t type,
		      const ProtobufCMessage *body, const int *fds,
		      unsigned nfds, int timeout_ms, atoll_bus_reply_cb cb,
		      void *opaque)
{
	struct pending *p;
	int r;

	if (!bus || !cb)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->id = alloc_id(bus);
	p->type = type;
	r = bus_send(bus, type, ATOLL_FRAME_NEED_REPLY, p->id, body, fds, nfds);
	if (r < 0) {
		free(p);
		return r;
	}
	p->deadline_ns = deadline_after(timeout_ms);
	p->cb = cb;
	p->opaque = opaque;
	p->next = bus->pending;
	bus->pending = p;
	return 0;
}

int atoll_bus_reply(atoll_bus *bus, const struct atoll_msg *req,
		    uint16_t type, const ProtobufCMessage *body,
		    const int *fds, unsigned nfds)
{
	if (!req || !(req->flags & ATOLL_FRAME_NEED_REPLY))
		return -EINVAL;
	return bus_send(bus, type, ATOLL_FRAME_REPLY, req->id, body, fds, nfds);
}

int atoll_bus_reply_ack(atoll_bus *bus, const struct atoll_msg *req)
{
	Atoll__Ack ack = ATOLL__ACK__INIT;

	return atoll_bus_reply(bus, req, ATOLL__MSG_TYPE__MSG_ACK, &ack.base,
			       NULL, 0);
}

int atoll_bus_reply_error(atoll_bus *bus, const struct atoll_msg *req,
			  int err, const char *fmt, ...)
{
	Atoll__Error e = ATOLL__ERROR__INIT;
	char text[256] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	e.code = err < 0 ? -err : err;
	if (e.code <= 0 || e.code >= 4096)
		e.code = EIO;
	e.message = text;
	return atoll_bus_reply(bus, req, ATOLL__MSG_TYPE__MSG_ERROR, &e.base,
			       NULL, 0);
}

/* ---- synchronous calls ---- */

/* Waits for `events` on the bus fd until `deadline` (0: forever). */
static int wait_fd(struct atoll_bus *bus, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = bus->fd, .events = events };
		int r = poll(&pfd, 1, ms_until(deadline));

		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Reads one frame for atoll_bus_call. Returns 1 with *status set once the
 * call is over, 0 to keep waiting. */
static int call_recv(struct atoll_bus *bus, uint16_t type, uint64_t id,
		     struct atoll_msg **reply, int *status)
{
	struct atoll_msg msg, *m = NULL;
	bool eof, mine;
	int r = bus_recv(bus, &msg, &eof);

	if (r == 0)
		return 0;
	if (r < 0) {
		bus_cut_off(bus, eof ? 0 : r);
		*status = -ECONNRESET;
		return 1;
	}
	mine = (msg.flags & ATOLL_FRAME_REPLY) && msg.id == id;
	if (mine && !reply_type_ok(type, msg.type)) {
		bus_msg_clear(&msg);
		bus_cut_off(bus, -EPROTO);
		*status = -ECONNRESET;
		return 1;
	}
	if (!mine && bus->q_len == BUS_QUEUE_MAX)
		r = -ENOBUFS;
	else if (!(m = malloc(sizeof(*m))))
		r = -ENOMEM;
	if (r < 0) {
		bus_msg_clear(&msg);
		/* Losing a frame would break the in-order guarantee. */
		if (!mine)
			bus_cut_off(bus, r);
		*status = mine ? r : -ECONNRESET;
		return 1;
	}
	*m = msg;
	if (!mine) {
		queue_push(bus, m);
		return 0;
	}
	*status = reply_status(bus, m);
	*reply = m;
	return 1;
}

int atoll_bus_call(atoll_bus *bus, uint16_t type, const ProtobufCMessage *body,
		   const int *fds, unsigned nfds, int timeout_ms,
		   struct atoll_msg **reply)
{
	uint64_t deadline = deadline_after(timeout_ms), id;
	int r, status = 0;

	if (!reply)
		return -EINVAL;
	*reply = NULL;
	if (!bus)
		return -EINVAL;
	id = alloc_id(bus);
	while ((r = bus_send(bus, type, ATOLL_FRAME_NEED_REPLY, id, body, fds,
			     nfds)) == -EAGAIN) {
		r = wait_fd(bus, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	for (;;) {
		r = wait_fd(bus, POLLIN, deadline);
		if (r < 0)
			return r;
		if (call_recv(bus, type, id, reply, &status))
			return status;
	}
}
