/* SPDX-License-Identifier: MIT */
#include "outq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

/* Bytes handed to one write(): larger only costs a bigger pullup. */
#define OUTQ_WRITE_CHUNK (64u * 1024u)

struct outq {
	struct event_base *base;
	const struct outq_ops *ops;
	void *opaque;
	size_t max;
	int fd;
	bool sock;
	struct evbuffer *buf;
	struct event *wev;      /* armed only while bytes wait */
};

static ssize_t outq_write(struct outq *q, const void *p, size_t len)
{
	if (q->sock)
		return send(q->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(q->fd, p, len);
}

static void outq_detach(struct outq *q)
{
	if (q->wev)
		event_free(q->wev);
	q->wev = NULL;
	q->fd = -1;
	evbuffer_drain(q->buf, evbuffer_get_length(q->buf));
}

/* Returns 1 when the queue is empty, 0 when the fd is full, or a negative
 * errno after a failed write (the queue is then detached). */
static int outq_flush(struct outq *q)
{
	while (evbuffer_get_length(q->buf)) {
		size_t len = evbuffer_get_length(q->buf);
		ssize_t n;

		if (len > OUTQ_WRITE_CHUNK)
			len = OUTQ_WRITE_CHUNK;
		n = outq_write(q, evbuffer_pullup(q->buf, (ssize_t)len), len);
		if (n > 0) {
			evbuffer_drain(q->buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_add(q->wev, NULL);
			return 0;
		}
		n = n < 0 ? -errno : -EIO;
		outq_detach(q);
		return (int)n;
	}
	event_del(q->wev);
	return 1;
}

static void outq_failed(struct outq *q, int err)
{
	if (q->ops->failed)
		q->ops->failed(q->opaque, err);
}

static void outq_writable(evutil_socket_t fd, short what, void *arg)
{
	struct outq *q = arg;
	int rc = outq_flush(q);

	if (rc < 0)
		outq_failed(q, rc);
	else if (rc == 1 && q->ops->drained)
		q->ops->drained(q->opaque);
}

struct outq *outq_new(struct event_base *base, size_t max,
		      const struct outq_ops *ops, void *opaque)
{
	struct outq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	*q = (struct outq){ .base = base, .ops = ops, .opaque = opaque,
			    .max = max, .fd = -1, .buf = evbuffer_new() };
	if (!q->buf) {
		free(q);
		return NULL;
	}
	return q;
}

int outq_set_fd(struct outq *q, int fd, bool sock)
{
	outq_detach(q);
	if (fd < 0)
		return 0;
	q->wev = event_new(q->base, fd, EV_WRITE | EV_PERSIST, outq_writable, q);
	if (!q->wev)
		return -ENOMEM;
	q->fd = fd;
	q->sock = sock;
	return 0;
}

size_t outq_push(struct outq *q, const void *buf, size_t len)
{
	size_t have = evbuffer_get_length(q->buf);
	int rc;

	if (q->fd < 0 || have >= q->max)
		return 0;
	if (len > q->max - have)
		len = q->max - have;
	if (evbuffer_add(q->buf, buf, len) < 0)
		return 0;
	/* While the fd is known to be full, the write event flushes. */
	if (!have && (rc = outq_flush(q)) < 0)
		outq_failed(q, rc);
	return len;
}

size_t outq_pending(const struct outq *q)
{
	return evbuffer_get_length(q->buf);
}

void outq_free(struct outq *q)
{
	if (!q)
		return;
	outq_detach(q);
	evbuffer_free(q->buf);
	free(q);
}
