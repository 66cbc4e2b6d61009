/* SPDX-License-Identifier: MIT */
/* Socket I/O of a bus connection: one frame per sendmsg/recvmsg, fds via
 * SCM_RIGHTS, truncation detected and every received fd accounted for. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-private.h"

/* Takes every SCM_RIGHTS fd out of the control data; any beyond
 * ATOLL_BUS_MAX_FDS (impossible with our buffer size, but cheap) are
 * closed at once. */
static unsigned collect_fds(struct msghdr *mh, int *fds)
{
	unsigned n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (n < ATOLL_BUS_MAX_FDS)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

int bus_recv(struct atoll_bus *bus, struct atoll_msg *msg, bool *eof)
{
	union fd_cmsg ctl;
	struct iovec iov = { bus->buf, sizeof(bus->buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int fds[ATOLL_BUS_MAX_FDS];
	unsigned nfds;
	ssize_t n;
	int r;

	*eof = false;
	do
		n = recvmsg(bus->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	nfds = collect_fds(&mh, fds);
	if (mh.msg_flags & MSG_CTRUNC)
		r = -E2BIG;
	else if (mh.msg_flags & MSG_TRUNC)
		r = -EMSGSIZE;
	else if (n == 0) {
		/* SOCK_SEQPACKET reports EOF as a 0-byte read; an empty
		 * frame is indistinguishable and is no valid frame anyway. */
		*eof = true;
		r = -EPIPE;
	} else
		r = atoll_frame_decode(bus->buf, (size_t)n, fds, nfds, msg);
	if (r < 0) {
		bus_close_fds(fds, nfds);
		if (!*eof)
			bus_log(bus, ATOLL_LOG_WARN,
				"bus: bad frame (%zd bytes, %u fds): %s", n,
				nfds, strerror(-r));
	}
	return r < 0 ? r : 1;
}

int bus_send(struct atoll_bus *bus, uint16_t type, uint16_t flags,
	     uint64_t id, const ProtobufCMessage *body, const int *fds,
	     unsigned nfds)
{
	union fd_cmsg ctl;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	long len;
	ssize_t n;
	int r;

	if (!bus)
		return -EINVAL;
	if (bus->closed)
		return -EPIPE;
	r = bus_check_outgoing(type, body, fds, nfds);
	if (r < 0)
		return r;
	len = bus_frame_encode(bus->buf, type, flags, id, body);
	if (len < 0)
		return (int)len;
	iov = (struct iovec){ bus->buf, (size_t)len };
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(bus->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = errno == EWOULDBLOCK ? EAGAIN : errno;
		/* The read side reports the death of the peer. */
		return r == ECONNRESET || r == ENOTCONN ? -EPIPE : -r;
	}
	return n == len ? 0 : -EIO; /* SOCK_SEQPACKET sends whole frames */
}
