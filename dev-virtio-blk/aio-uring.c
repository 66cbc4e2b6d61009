/* SPDX-License-Identifier: MIT */
#include "aio.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <liburing.h>

#include "uring-restrict.h"

struct aio_uring {
	struct aio a;
	struct io_uring ring;
	unsigned queued;        /* prepared, not yet submitted */
	bool quiet;             /* CQ eventfd disabled around a submit */
};

static void uring_commit(struct aio *a)
{
	struct aio_uring *u = (struct aio_uring *)a;

	if (u->queued) {
		/* What completes inline is collected by uring_poll; signalling
		 * the eventfd for it would only cost a useless wake-up. */
		if (!u->quiet && io_uring_cq_eventfd_toggle(&u->ring, false) == 0)
			u->quiet = true;
		io_uring_submit(&u->ring);
		u->queued = 0;
	}
}

/* `disk` is a fixed-file index: the ring accepts nothing else. */
static void prep(struct io_uring_sqe *sqe, int disk, struct aio_req *r)
{
	switch (r->op) {
	case AIO_READ:
		io_uring_prep_readv(sqe, disk, r->iov, r->niov, r->off);
		break;
	case AIO_WRITE:
		io_uring_prep_writev2(sqe, disk, r->iov, r->niov, r->off,
				      r->dsync ? RWF_DSYNC : 0);
		break;
	case AIO_FSYNC:
		io_uring_prep_fsync(sqe, disk, IORING_FSYNC_DATASYNC);
		break;
	case AIO_FALLOCATE:
		io_uring_prep_fallocate(sqe, disk, r->mode, (off_t)r->off,
					(off_t)r->len);
		break;
	}
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	io_uring_sqe_set_data(sqe, r);
}

static int uring_submit(struct aio *a, struct aio_req *r)
{
	struct aio_uring *u = (struct aio_uring *)a;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* Submission ring full: push what we have and retry once. */
		uring_commit(a);
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EAGAIN;
	}
	prep(sqe, URING_DISK_INDEX, r);
	u->queued++;
	return 0;
}

static void drain_cq(struct aio_uring *u)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct aio_req *r = io_uring_cqe_get_data(cqe);

		r->res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		u->a.outstanding--;
		u->a.done(r, u->a.opaque);
	}
}

static void uring_poll(struct aio *a)
{
	struct aio_uring *u = (struct aio_uring *)a;

	/* Re-enable the eventfd, then look again: a completion posted while
	 * it was off would otherwise never wake us. A callback may submit
	 * (and silence it) again: loop until a pass submits nothing. */
	for (;;) {
		drain_cq(u);
		if (!u->quiet)
			return;
		u->quiet = false;
		io_uring_cq_eventfd_toggle(&u->ring, true);
	}
}

static void uring_reap(struct aio *a)
{
	uint64_t v;

	(void)!read(a->event_fd, &v, sizeof(v));
	uring_poll(a);
}

static void uring_wait(struct aio *a)
{
	struct aio_uring *u = (struct aio_uring *)a;
	struct io_uring_cqe *cqe;

	uring_commit(a);
	(void)io_uring_wait_cqe(&u->ring, &cqe);
}

static void uring_destroy(struct aio *a)
{
	struct aio_uring *u = (struct aio_uring *)a;

	io_uring_queue_exit(&u->ring);
	close(a->event_fd);
	free(u);
}

static const struct aio_ops uring_ops = {
	.name = "io_uring",
	.submit = uring_submit,
	.commit = uring_commit,
	.wait = uring_wait,
	.reap = uring_reap,
	.poll = uring_poll,
	.destroy = uring_destroy,
};

int aio_uring_new(int fd, unsigned depth, aio_done_fn done, void *opaque,
		  struct aio **out)
{
	struct aio_uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return -ENOMEM;
	u->a.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->a.event_fd < 0) {
		rc = -errno;
		free(u);
		return rc;
	}
	rc = uring_restricted_init(&u->ring, depth, fd, u->a.event_fd);
	if (rc < 0) {
		close(u->a.event_fd);
		free(u);
		return rc;
	}
	u->a.ops = &uring_ops;
	u->a.fd = fd;
	u->a.done = done;
	u->a.opaque = opaque;
	*out = &u->a;
	return 0;
}
