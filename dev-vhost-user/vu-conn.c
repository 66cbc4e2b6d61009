/* SPDX-License-Identifier: MIT */
#include "vu-conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct vu_conn *c, int err, const char *what)
{
	if (!c->broken)
		snprintf(c->why, sizeof(c->why), "%s%s%s", what,
			 err ? ": " : "", err ? strerror(-err) : "");
	c->broken = true;
	return err;
}

int vu_conn_init(struct vu_conn *c, int fd, int timeout_ms)
{
	int type = 0, flags;
	socklen_t len = sizeof(type);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return -ENOTSOCK;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void vu_conn_close(struct vu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->broken = true;
}

static int wait_for(struct vu_conn *c, short events, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* The fds go with the first byte; a short write sends the rest plainly. */
static int send_all(struct vu_conn *c, const struct vu_out *o,
		    const int *fds, unsigned nfds, int64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
	size_t done = 0;

	if (nfds > VU_MAX_REGIONS)
		return -EINVAL;
	while (done < o->len) {
		struct iovec iov = { (void *)(o->buf + done), o->len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (done == 0 && nfds) {
			struct cmsghdr *cm;

			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		int rc = wait_for(c, POLLOUT, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void close_fds(struct msghdr *mh, unsigned *nfds)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
		*nfds += (unsigned)n;
	}
}

/* Reads exactly len bytes; fds that come along are closed and counted. */
static int recv_all(struct vu_conn *c, uint8_t *buf, size_t len,
		    unsigned *nfds, int64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	size_t done = 0;

	while (done < len) {
		struct iovec iov = { buf + done, len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);

		if (n > 0) {
			close_fds(&mh, nfds);
			if (mh.msg_flags & MSG_CTRUNC)
				(*nfds)++;   /* more fds than fit: refused */
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int rc = wait_for(c, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int read_reply(struct vu_conn *c, const struct vu_expect *e,
		      struct vu_reply *r, int64_t deadline)
{
	uint8_t buf[VU_HDR_SIZE + VU_MAX_REPLY];
	unsigned nfds = 0;
	int size, rc;

	if ((rc = recv_all(c, buf, VU_HDR_SIZE, &nfds, deadline)) < 0)
		return fail(c, rc, "reading a reply");
	size = vu_hdr_check(e, buf, nfds);
	if (size < 0)
		return fail(c, size, vu_request_name(e->request));
	rc = recv_all(c, buf + VU_HDR_SIZE, (size_t)size, &nfds, deadline);
	if (rc < 0)
		return fail(c, rc, "reading a reply");
	rc = vu_reply_parse(e, buf, VU_HDR_SIZE + (size_t)size, nfds, r);
	if (rc < 0 && rc != -EIO)
		return fail(c, rc, vu_request_name(e->request));
	return rc;
}

static int request(struct vu_conn *c, struct vu_out *o, const int *fds,
		   unsigned nfds, const struct vu_expect *e,
		   struct vu_reply *r)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	int rc;

	if (c->broken)
		return -EPIPE;
	rc = send_all(c, o, fds, nfds, deadline);
	if (rc < 0)
		return fail(c, rc, "sending a request");
	return e ? read_reply(c, e, r, deadline) : 0;
}

int vu_conn_set(struct vu_conn *c, struct vu_out *o, const int *fds,
		unsigned nfds)
{
	uint32_t req;
	struct vu_expect e = { .ack = true };
	struct vu_reply r;

	memcpy(&req, o->buf, sizeof(req));
	e.request = req;
	if (!c->reply_ack)
		return request(c, o, fds, nfds, NULL, NULL);
	vu_out_need_reply(o);
	return request(c, o, fds, nfds, &e, &r);
}

int vu_conn_get(struct vu_conn *c, struct vu_out *o,
		const struct vu_expect *e, struct vu_reply *r)
{
	return request(c, o, NULL, 0, e, r);
}

int vu_conn_unsolicited(struct vu_conn *c)
{
	uint8_t b;
	struct iovec iov = { &b, 1 };
	/* recvmsg, not recv: the one receive call the sandbox profile has. */
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);

	if (n == 0)
		return fail(c, 0, "back-end closed the connection"), 0;
	if (n < 0 && errno == EAGAIN)
		return 0;
	return fail(c, n < 0 ? -errno : -EPROTO,
		    n < 0 ? "back-end connection" : "back-end sent unasked");
}
