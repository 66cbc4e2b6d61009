/* SPDX-License-Identifier: MIT */
/* Private to libatoll-bus: shared between bus.c, frame.c and msgtypes.c. */
#ifndef ATOLL_BUS_PRIVATE_H
#define ATOLL_BUS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <atoll/bus.h>

#define ATOLL_FRAME_HEADER_SIZE sizeof(struct atoll_frame_header)
#define ATOLL_BUS_MAX_PAYLOAD (ATOLL_BUS_MAX_FRAME - ATOLL_FRAME_HEADER_SIZE)

_Static_assert(sizeof(struct atoll_frame_header) == 24,
	       "the frame header is part of the wire format");

/* Releases what a decoded message owns (body, fds) and resets it. */
void bus_msg_clear(struct atoll_msg *msg);

/* Closes every fd in fds[0..n) that is >= 0. */
void bus_close_fds(const int *fds, unsigned n);

/* Checks that `type` may be sent with this body and fd count. */
int bus_check_outgoing(uint16_t type, const ProtobufCMessage *body,
		       const int *fds, unsigned nfds);

/* Writes header + packed body into buf (ATOLL_BUS_MAX_FRAME bytes).
 * Returns the frame length or a negative errno. */
long bus_frame_encode(void *buf, uint16_t type, uint16_t flags, uint64_t id,
		      const ProtobufCMessage *body);

#endif
