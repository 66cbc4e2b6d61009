/* SPDX-License-Identifier: MIT */
/*
 * The only io_uring atoll-virtio-blk runs: created disabled, given the
 * disk as fixed file 0, restricted (IORING_REGISTER_RESTRICTIONS) to
 * readv, writev, fsync and fallocate on registered files, then enabled.
 * Every SQE must carry IOSQE_FIXED_FILE; no registration is allowed once
 * the ring runs. A kernel without restrictions (before 5.10) gets no
 * ring at all: the caller falls back to the thread pool.
 */
#ifndef ATOLL_BLK_URING_RESTRICT_H
#define ATOLL_BLK_URING_RESTRICT_H

#include <liburing.h>

/* The disk's index in the ring's fixed file table. */
#define URING_DISK_INDEX 0

/* Sets up `ring` with `depth` entries over `disk_fd`; event_fd (or -1) is
 * signalled on completions. 0 or -errno (nothing left open on error). */
int uring_restricted_init(struct io_uring *ring, unsigned depth, int disk_fd,
			  int event_fd);

#endif
