/* SPDX-License-Identifier: MIT */
/*
 * What a compromised atoll-virtio-blk could try through io_uring, whose
 * operations (openat, socket, connect...) never pass through seccomp:
 *   uring-openat PATH    a fresh ring opens a host file
 *   uring-connect PORT   a fresh ring connects to 127.0.0.1:PORT
 *   uring-restricted P   the device's own ring (uring-restrict.h, over
 *                        fd 3) opens P and makes an AF_INET socket
 *   uring-lockout        the device's start-up (restricted ring, then
 *                        uring-lockout.h), then a fresh ring
 * The first two show what the namespaces stop when a fresh ring exists;
 * the last two are what the device actually runs with.
 */
#include "hostile-uring.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "uring-lockout.h"
#include "uring-restrict.h"

/* Submits what is queued and returns the first completion's result. */
static int complete(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int rc = io_uring_submit(ring);

	if (rc < 0 || (rc = io_uring_wait_cqe(ring, &cqe)) < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return rc;
}

static int ring_openat(struct io_uring *ring, const char *path)
{
	io_uring_prep_openat(io_uring_get_sqe(ring), AT_FDCWD, path,
			     O_RDONLY | O_CLOEXEC, 0);
	return complete(ring);
}

static int ring_socket(struct io_uring *ring)
{
	io_uring_prep_socket(io_uring_get_sqe(ring), AF_INET, SOCK_STREAM, 0, 0);
	return complete(ring);
}

static long fail(int res, char *detail, size_t len, const char *step)
{
	snprintf(detail, len, "%s", step);
	errno = -res;
	return -1;
}

static long fresh_openat(const char *path, char *detail, size_t len)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);

	if (rc < 0)
		return fail(rc, detail, len, "io_uring_setup");
	rc = ring_openat(&ring, path);
	io_uring_queue_exit(&ring);
	if (rc < 0)
		return fail(rc, detail, len, "IORING_OP_OPENAT");
	snprintf(detail, len, "IORING_OP_OPENAT opened %s", path);
	return 0;
}

static long fresh_connect(const char *port, char *detail, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0), fd;

	if (rc < 0)
		return fail(rc, detail, len, "io_uring_setup");
	if ((fd = ring_socket(&ring)) < 0) {
		io_uring_queue_exit(&ring);
		return fail(fd, detail, len, "IORING_OP_SOCKET");
	}
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd,
			      (struct sockaddr *)&a, sizeof(a));
	rc = complete(&ring);
	io_uring_queue_exit(&ring);
	if (rc < 0)
		return fail(rc, detail, len,
			    "IORING_OP_SOCKET worked, IORING_OP_CONNECT");
	snprintf(detail, len, "connected to 127.0.0.1:%s", port);
	return 0;
}

static long restricted(const char *path, char *detail, size_t len)
{
	struct io_uring ring;
	int rc = uring_restricted_init(&ring, 4, 3, -1), o, s;

	if (rc < 0)
		return fail(rc, detail, len, "restricted ring not built");
	o = ring_openat(&ring, path);
	s = ring_socket(&ring);
	io_uring_queue_exit(&ring);
	snprintf(detail, len, "IORING_OP_OPENAT %s, IORING_OP_SOCKET %s",
		 o < 0 ? strerror(-o) : "worked",
		 s < 0 ? strerror(-s) : "worked");
	if (o >= 0 || s >= 0)
		return 0;
	errno = -o;
	return -1;
}

static long after_lockout(char *detail, size_t len)
{
	struct io_uring mine, fresh;
	int rc = uring_restricted_init(&mine, 4, 3, -1);

	if (rc < 0)
		return fail(rc, detail, len, "restricted ring not built");
	if ((rc = uring_lockout()) < 0)
		return fail(rc, detail, len, "lockout not installed");
	/* The lockout kills the process here. */
	rc = io_uring_queue_init(4, &fresh, 0);
	if (rc < 0)
		return fail(rc, detail, len, "io_uring_setup after the lockout");
	snprintf(detail, len, "io_uring_setup worked after the lockout");
	return 0;
}

long hostile_uring(const char *name, const char *arg, char *detail,
		   size_t len)
{
	if (!strcmp(name, "uring-openat"))
		return fresh_openat(arg, detail, len);
	if (!strcmp(name, "uring-connect"))
		return fresh_connect(arg, detail, len);
	if (!strcmp(name, "uring-restricted"))
		return restricted(arg, detail, len);
	if (!strcmp(name, "uring-lockout"))
		return after_lockout(detail, len);
	errno = EINVAL;
	return -1;
}
