/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous disk I/O for atoll-virtio-blk: a restricted io_uring
 * (uring-restrict.h), or a pthread pool doing plain pread/pwrite when that
 * is refused (seccomp, the io_uring_disabled sysctl, kernels before 5.10
 * that cannot restrict a ring). Completions are collected on the
 * loop thread: poll aio_fd(), then aio_reap() runs the completion callback
 * for each finished request.
 */
#ifndef ATOLL_BLK_AIO_H
#define ATOLL_BLK_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

enum aio_op { AIO_READ, AIO_WRITE, AIO_FSYNC, AIO_FALLOCATE };

struct aio_req {
	enum aio_op op;
	int mode;               /* fallocate mode */
	bool dsync;             /* write: durable before completion */
	const struct iovec *iov;
	unsigned niov;
	uint64_t off, len;      /* len: fallocate length */
	int64_t res;            /* bytes, or -errno */
	struct aio_req *next;   /* backend-private list link */
};

typedef void (*aio_done_fn)(struct aio_req *r, void *opaque);

struct aio;
struct aio_ops {
	const char *name;
	int (*submit)(struct aio *a, struct aio_req *r);
	void (*commit)(struct aio *a);
	/* Blocks until at least one request has completed (for draining). */
	void (*wait)(struct aio *a);
	/* Completes what has finished; reap also consumes the eventfd. */
	void (*reap)(struct aio *a);
	void (*poll)(struct aio *a);
	void (*destroy)(struct aio *a);
};

struct aio {
	const struct aio_ops *ops;
	int fd;                 /* the disk */
	int event_fd;           /* readable when completions are waiting */
	unsigned outstanding;
	aio_done_fn done;
	void *opaque;
};

int aio_uring_new(int fd, unsigned depth, aio_done_fn done, void *opaque,
		  struct aio **out);
int aio_threads_new(int fd, unsigned workers, aio_done_fn done, void *opaque,
		    struct aio **out);

/* Queues r; the I/O may start only at aio_commit. 0 or -errno. */
static inline int aio_submit(struct aio *a, struct aio_req *r)
{
	int rc = a->ops->submit(a, r);

	if (rc == 0)
		a->outstanding++;
	return rc;
}
static inline void aio_commit(struct aio *a) { a->ops->commit(a); }
/* From the event_fd watcher. */
static inline void aio_reap(struct aio *a) { a->ops->reap(a); }
/* Right after aio_commit: collects what completed inline (page-cache
 * hits) without a wake-up round trip. */
static inline void aio_poll(struct aio *a) { a->ops->poll(a); }
static inline void aio_destroy(struct aio *a) { if (a) a->ops->destroy(a); }

/* Completes every outstanding request (blocking). */
void aio_drain(struct aio *a);

#endif
