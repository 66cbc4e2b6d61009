/* SPDX-License-Identifier: MIT */
/*
 * The bridge's connection to a vhost-user back-end: one request at a
 * time, each reply waited for (poll) up to a deadline. The back-end sends
 * nothing unasked (the bridge negotiates no back-end request channel), so
 * any byte outside a call is a protocol break, and EOF is its departure.
 *
 * A stream cannot be resynchronised: after a transport failure (EOF, a
 * deadline, a malformed reply, unexpected fds) the connection is `broken`
 * and every later call fails with -EPIPE.
 */
#ifndef ATOLL_VHOST_USER_CONN_H
#define ATOLL_VHOST_USER_CONN_H

#include <stdbool.h>

#include "vu-msg.h"

struct vu_conn {
	int fd;            /* connected SOCK_STREAM socket, owned */
	int timeout_ms;    /* per reply */
	bool reply_ack;    /* REPLY_ACK negotiated: SET_* get a status */
	bool broken;
	char why[128];     /* the transport failure, once broken */
};

/* Takes `fd` (made non-blocking). Returns 0, or -ENOTSOCK for an fd that
 * is not a connected unix stream socket. */
int vu_conn_init(struct vu_conn *c, int fd, int timeout_ms);
void vu_conn_close(struct vu_conn *c);

/* Sends a request that has no reply of its own (SET_*), with `nfds` fds;
 * waits for its status when REPLY_ACK was negotiated. Returns 0, -EIO if
 * the back-end refused it, or a transport error (the connection is then
 * broken). */
int vu_conn_set(struct vu_conn *c, struct vu_out *o, const int *fds,
		unsigned nfds);
/* Sends a GET_* request and parses its reply by `e`. */
int vu_conn_get(struct vu_conn *c, struct vu_out *o,
		const struct vu_expect *e, struct vu_reply *r);
/* The socket became readable with no call in progress: reads what is
 * there and returns the reason the connection is over (0 for an orderly
 * EOF, else a negative errno) and marks the connection broken; a
 * spurious wake-up (nothing to read) returns 0 and leaves it intact. */
int vu_conn_unsolicited(struct vu_conn *c);

#endif
