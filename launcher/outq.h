/* SPDX-License-Identifier: MIT */
/*
 * A bounded output queue to a non-blocking fd, driven by a libevent loop:
 * bytes the fd does not take at once wait (at most `max` of them) for it to
 * become writable. Nothing here ever blocks: a full queue refuses bytes, and
 * the caller decides to drop them or to stop producing until `drained`.
 */
#ifndef ATOLL_LAUNCHER_OUTQ_H
#define ATOLL_LAUNCHER_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct outq;

struct outq_ops {
	/* The queue emptied after it had to wait for the fd. May be NULL. */
	void (*drained)(void *opaque);
	/* A write failed with `err` (negative errno, not EAGAIN); the queue
	 * is detached from the fd and emptied. The callback may set a new fd. */
	void (*failed)(void *opaque, int err);
};

struct outq *outq_new(struct event_base *base, size_t max,
		      const struct outq_ops *ops, void *opaque);
/* Writes go to fd from now on (-1: nowhere; bytes are refused). Pending
 * bytes for the previous fd are discarded. `sock`: fd is a socket, written
 * with send(MSG_DONTWAIT), for a socket that may itself be blocking.
 * Returns 0 or -ENOMEM. */
int outq_set_fd(struct outq *q, int fd, bool sock);
/* Queues what fits of buf and writes what the fd takes now. Returns the
 * number of bytes accepted (the rest is the caller's to drop or retry). */
size_t outq_push(struct outq *q, const void *buf, size_t len);
size_t outq_pending(const struct outq *q);
void outq_free(struct outq *q);

#endif
