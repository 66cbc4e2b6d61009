/* SPDX-License-Identifier: MIT */
/*
 * The tap backend: Ethernet frames on an fd the launcher opened and
 * attached to a host tap interface (TUNSETIFF, IFF_TAP | IFF_NO_PI), so
 * this process needs no CAP_NET_ADMIN. One read() is one frame, one
 * write() sends one. Any fd with those datagram semantics works (the tests
 * use a SOCK_SEQPACKET socket pair).
 *
 * Backpressure instead of drops: while frames wait for guest RX buffers,
 * the fd is not read; the RX kick that drains them resumes reading, and
 * the host kernel queues (or drops) in the meantime, as with QEMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "net.h"

/* Frames read per wake-up before yielding to the loop. */
#define TAP_BUDGET 64u

struct tap_be {
	struct net *net;
	int fd;
	struct event *ev;
	bool reading;
	uint8_t buf[NET_MAX_FRAME + 1];   /* +1: tells an oversized frame */
};

static void tap_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tap_be *t = arg;
	struct net *n = t->net;

	for (unsigned i = 0; i < TAP_BUDGET; i++) {
		ssize_t len;

		if (net_rx_waiting(n)) {
			/* The guest is behind: stop reading until it catches up. */
			event_del(t->ev);
			t->reading = false;
			break;
		}
		len = read(t->fd, t->buf, sizeof(t->buf));
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (len <= 0) {
			log_error("tap: %s; no longer read",
				  len == 0 ? "end of file" : strerror(errno));
			event_del(t->ev);
			t->reading = false;
			break;
		}
		if ((size_t)len > NET_MAX_FRAME) {
			n->st.rx_dropped++;
			net_warn(n, "tap: frame over %u bytes dropped",
				 NET_MAX_FRAME);
			continue;
		}
		net_rx_deliver(n, t->buf, (size_t)len);
	}
	net_rx_flush(n);
}

static void tap_send(void *be, const uint8_t *frame, size_t len)
{
	struct tap_be *t = be;

	/* A full tap queue drops the frame, like a busy wire. */
	if (write(t->fd, frame, len) != (ssize_t)len) {
		t->net->st.tx_dropped++;
		net_warn(t->net, "tap: frame of %zu bytes not sent: %s", len,
			 strerror(errno));
	}
}

static void tap_resume(void *be)
{
	struct tap_be *t = be;

	if (!t->reading && event_add(t->ev, NULL) == 0) {
		t->reading = true;
		/* Frames may have queued up while we were not looking. */
		event_active(t->ev, EV_READ, 0);
	}
}

static void tap_free(void *be)
{
	struct tap_be *t = be;

	if (!t)
		return;
	if (t->ev)
		event_free(t->ev);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.send = tap_send,
	.rx_resume = tap_resume,
	.free = tap_free,
	.csum_valid = false,
};

/* atoll-net-slirp at the other end: slirp computed every checksum, and
 * the socket does not alter frames. */
static const struct net_backend_ops slirp_process_ops = {
	.name = "slirp-process",
	.send = tap_send,
	.rx_resume = tap_resume,
	.free = tap_free,
	.csum_valid = true,
};

int net_tap_new(struct net *n, struct event_base *base, int fd,
		bool slirp_process, struct net_backend *out)
{
	struct tap_be *t = calloc(1, sizeof(*t));
	int flags = fcntl(fd, F_GETFL);

	if (!t)
		return -ENOMEM;
	t->net = n;
	t->fd = fd;
	/* The launcher's open may be blocking: never block the loop. */
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int err = errno;

		log_error("tap fd %d: %s", fd, strerror(err));
		t->fd = -1;     /* not ours to close on this path */
		tap_free(t);
		return -err;
	}
	t->ev = event_new(base, fd, EV_READ | EV_PERSIST, tap_read_cb, t);
	if (!t->ev || event_add(t->ev, NULL) < 0) {
		t->fd = -1;
		tap_free(t);
		return -ENOMEM;
	}
	t->reading = true;
	out->ops = slirp_process ? &slirp_process_ops : &tap_ops;
	out->be = t;
	log_info("%s backend on fd %d", out->ops->name, fd);
	return 0;
}
