/* SPDX-License-Identifier: MIT */
/* atoll_bus_call: a blocking request. It runs no callbacks; frames that
 * arrive before its reply are queued for later dispatch calls. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "bus-private.h"

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
