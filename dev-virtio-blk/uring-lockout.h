/* SPDX-License-Identifier: MIT */
/*
 * After atoll-virtio-blk has built its restricted ring, nothing in the
 * process may create or reconfigure one: the virtio-blk profile has to
 * allow io_uring_setup and io_uring_register for start-up, and a fresh
 * ring is unrestricted (its SQEs run openat, socket, connect... without
 * passing through seccomp). uring_lockout() adds a seccomp filter of the
 * process's own that kills it on either call. Filters only ever add
 * restrictions, so this holds for the rest of the process's life, on
 * every thread (TSYNC). Call it before any bus message or guest data is
 * looked at.
 */
#ifndef ATOLL_BLK_URING_LOCKOUT_H
#define ATOLL_BLK_URING_LOCKOUT_H

/* 0 or -errno. */
int uring_lockout(void);

#endif
