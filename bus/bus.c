/* SPDX-License-Identifier: MIT */
/* One bus connection: lifetime (teardown safe from inside callbacks),
 * dispatch, request/reply matching and deadlines. Socket I/O is in
 * bus-io.c, synchronous calls in bus-call.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "atoll-config.h"
#include "bus-private.h"

void bus_log(struct atoll_bus *bus, enum atoll_log_level level,
		    const char *fmt, ...)
{
	va_list ap;

	if (!bus->cb.log)
		return;
	va_start(ap, fmt);
	bus->cb.log(bus->opaque, level, fmt, ap);
	va_end(ap);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t deadline_after(int timeout_ms)
{
	return timeout_ms > 0 ? now_ns() + (uint64_t)timeout_ms * 1000000ull
			      : 0;
}

/* Milliseconds left until `deadline` rounded up, -1 for none. */
int ms_until(uint64_t deadline)
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

uint64_t alloc_id(struct atoll_bus *bus)
{
	uint64_t id = bus->next_id++;

	if (!bus->next_id) /* 0 marks posted frames */
		bus->next_id = 1;
	return id;
}

/* Unlinks and returns the request with this id, or NULL. */
static struct pending *take_pending(struct atoll_bus *bus, uint64_t id)
{
	for (struct pending **pp = &bus->pending; *pp; pp = &(*pp)->next) {
		struct pending *p = *pp;

		if (p->id == id) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

/* Unlinks and returns the request with the earliest deadline at or before
 * `now`, so that expiry runs in deadline order. */
static struct pending *take_expired(struct atoll_bus *bus, uint64_t now)
{
	struct pending **best = NULL;

	for (struct pending **pp = &bus->pending; *pp; pp = &(*pp)->next) {
		uint64_t d = (*pp)->deadline_ns;

		if (d && d <= now && (!best || d < (*best)->deadline_ns))
			best = pp;
	}
	if (best) {
		struct pending *p = *best;

		*best = p->next;
		return p;
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

void queue_push(struct atoll_bus *bus, struct atoll_msg *m)
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
void bus_cut_off(struct atoll_bus *bus, int err)
{
	if (bus->closed)
		return;
	bus->closed = true;
	bus->close_err = err;
	/* A peer that died (reset, broken pipe) is the supervisor's news, not
	 * a fault of this connection; a protocol violation is worth a warning. */
	if (err < 0 && err != -ECONNRESET && err != -EPIPE)
		bus_log(bus, ATOLL_LOG_WARN, "bus: connection cut off: %s",
			strerror(-err));
	else
		bus_log(bus, ATOLL_LOG_DEBUG, "bus: peer closed the connection (%s)",
			err < 0 ? strerror(-err) : "orderly");
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

int reply_status(struct atoll_bus *bus, const struct atoll_msg *msg)
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
bool reply_type_ok(uint16_t req_type, uint16_t type)
{
	return type == ATOLL__MSG_TYPE__MSG_ERROR ||
	       type == atoll_msg_type_reply(req_type);
}

static int complete_request(struct atoll_bus *bus, struct atoll_msg *msg)
{
	struct pending *p = take_pending(bus, msg->id);

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
	while (!bus->freed && (p = take_expired(bus, now))) {
		p->cb(bus, -ETIMEDOUT, NULL, p->opaque);
		free(p);
	}
	bus_leave(bus);
}

/* ---- sending ---- */

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
	struct pending *p, **pp;
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
	/* Appended, so that a closing connection fails requests in the
	 * order they were made. Few are ever outstanding at once. */
	pp = &bus->pending;
	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
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
