/* SPDX-License-Identifier: MIT */
/* Private to libatoll-bus: shared between its source files. */
#ifndef ATOLL_BUS_PRIVATE_H
#define ATOLL_BUS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

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

/* ---- one connection (bus.c, bus-io.c, bus-call.c) ---- */

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

void bus_log(struct atoll_bus *bus, enum atoll_log_level level,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in ns; a deadline timeout_ms from now (0: none); the ms
 * left until a deadline rounded up (-1: none). */
uint64_t now_ns(void);
uint64_t deadline_after(int timeout_ms);
int ms_until(uint64_t deadline);

uint64_t alloc_id(struct atoll_bus *bus);
void queue_push(struct atoll_bus *bus, struct atoll_msg *m);

/* Marks the connection dead (err: 0 orderly, else negative errno) and shuts
 * the socket down; the closed callback runs later, from dispatch. */
void bus_cut_off(struct atoll_bus *bus, int err);

/* 0, or -code for an Error reply. */
int reply_status(struct atoll_bus *bus, const struct atoll_msg *msg);
/* Whether `type` may answer a request of `req_type`. */
bool reply_type_ok(uint16_t req_type, uint16_t type);

/* Reads one frame: 1 with *msg filled, 0 if none waiting, or a negative
 * errno meaning the connection must end (*eof set for an orderly close).
 * Every received fd ends up in *msg or closed. */
int bus_recv(struct atoll_bus *bus, struct atoll_msg *msg, bool *eof);
/* Encodes and sends one frame; the caller keeps its fds. */
int bus_send(struct atoll_bus *bus, uint16_t type, uint16_t flags,
	     uint64_t id, const ProtobufCMessage *body, const int *fds,
	     unsigned nfds);

#endif
