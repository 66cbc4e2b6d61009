/* SPDX-License-Identifier: MIT */
/* Helpers shared by the bus tests: a recording set of callbacks, raw frame
 * injection, and an fd census for leak checks. */
#ifndef ATOLL_BUS_TEST_UTIL_H
#define ATOLL_BUS_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/bus.h>

#include "test-util.h"

#define REC_MAX 32

/* What the callbacks of one bus saw. Messages are kept (fds taken). */
struct rec {
	int closed_calls;
	int closed_err;
	unsigned nmsgs;
	struct atoll_msg *msgs[REC_MAX];
	bool free_on_closed;   /* atoll_bus_free from the closed callback */
	bool free_on_message;  /* ... from the message callback */
	bool reply_ack;        /* answer every request with Ack */
	int warnings;          /* log lines at WARN or worse */
	atoll_bus *bus;        /* set to NULL once freed by a callback */
};

static inline void rec_message(atoll_bus *bus, struct atoll_msg *msg,
			       void *opaque)
{
	struct rec *r = opaque;
	struct atoll_msg *copy;

	ck_assert_uint_lt(r->nmsgs, REC_MAX);
	if (r->reply_ack && (msg->flags & ATOLL_FRAME_NEED_REPLY))
		CHECK_OK(atoll_bus_reply_ack(bus, msg));
	/* Keep the message: steal body and fds, the bus frees what is left. */
	copy = calloc(1, sizeof(*copy));
	*copy = *msg;
	msg->body = NULL;
	for (unsigned i = 0; i < msg->nfds; i++)
		msg->fds[i] = -1;
	r->msgs[r->nmsgs++] = copy;
	if (r->free_on_message) {
		atoll_bus_free(bus);
		r->bus = NULL;
	}
}

static inline void rec_closed(atoll_bus *bus, int err, void *opaque)
{
	struct rec *r = opaque;

	r->closed_calls++;
	r->closed_err = err;
	if (r->free_on_closed) {
		atoll_bus_free(bus);
		r->bus = NULL;
	}
}

static inline void rec_log(void *opaque, enum atoll_log_level level,
			   const char *fmt, va_list ap)
{
	struct rec *r = opaque;
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	ck_assert_int_gt(strlen(line), 0);
	if (level <= ATOLL_LOG_WARN)
		r->warnings++;
}

static const struct atoll_bus_callbacks rec_cbs = {
	.message = rec_message,
	.closed = rec_closed,
	.log = rec_log,
};

static inline void rec_clear(struct rec *r)
{
	for (unsigned i = 0; i < r->nmsgs; i++)
		atoll_msg_free(r->msgs[i]);
	r->nmsgs = 0;
}

/* A connected SOCK_SEQPACKET pair. */
static inline void seqpacket_pair(int sv[2])
{
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
}

static inline atoll_bus *rec_bus(int fd, struct rec *r)
{
	atoll_bus *bus = atoll_bus_new(fd, &rec_cbs, r);

	ck_assert_ptr_nonnull(bus);
	r->bus = bus;
	return bus;
}

/* Number of open fds of this process. */
static inline int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Sends `len` raw bytes as one frame with `nfds` fds. */
static inline int raw_send(int sock, const void *buf, size_t len,
			   const int *fds, unsigned nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Builds header + packed body in buf (at least ATOLL_BUS_MAX_FRAME + 4096
 * bytes). Returns the frame length. */
static inline size_t raw_frame(void *buf, uint16_t type, uint16_t flags,
			       uint64_t id, const ProtobufCMessage *body)
{
	struct atoll_frame_header h = {
		.magic = ATOLL_BUS_MAGIC, .type = type, .flags = flags, .id = id,
	};
	size_t n = body ? protobuf_c_message_pack(body, (uint8_t *)buf +
						  sizeof(h)) : 0;

	h.size = (uint32_t)n;
	memcpy(buf, &h, sizeof(h));
	return sizeof(h) + n;
}

#endif
