/* SPDX-License-Identifier: MIT */
/*
 * A tiny virtio device speaking the peer protocol on its own thread, for
 * the transport's tests: answers HELLO, DEVICE_DESCRIBE, CONFIG_READ/WRITE,
 * FEATURES_SET, QUEUE_SETUP and RESET, records what it was told, keeps the
 * kick/call eventfds it receives, and can post CONFIG_CHANGED or stop
 * answering (a hung device).
 */
#ifndef ATOLL_TEST_FAKE_DEV_H
#define ATOLL_TEST_FAKE_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

#define FAKE_QUEUES 2u
#define FAKE_QSIZE 256u
#define FAKE_CFG 16u
#define FAKE_DEVICE_ID 2u

struct fake_queue {
	bool setup;
	uint32_t size, last_avail;
	uint64_t desc, avail, used;
	bool event_idx;
	int kick_fd, call_fd;
	int inflight_fd;             /* the in-flight log passed, or -1 */
};

struct fake_dev {
	pthread_t tid;
	int wake_fd;                 /* tells the thread to look at flags */
	atomic_bool stop, post_changed, hang;
	atomic_bool refuse_setup;    /* QUEUE_SETUP fails (no memory yet) */
	bool stopped;                /* fake_dev_stop ran */
	atoll_bus *bus;
	uint64_t offered;
	uint64_t capabilities;       /* in its HELLO */

	pthread_mutex_t lock;        /* guards everything below */
	uint8_t cfg[FAKE_CFG];
	uint64_t features;
	unsigned features_calls, resets, config_reads, config_writes;
	struct fake_queue q[FAKE_QUEUES];
};

/* Starts the device on `fd` (taken); returns 0 or a negative errno. */
int fake_dev_start(struct fake_dev *f, int fd, uint64_t offered);
/* The same, advertising CAP_INFLIGHT: QUEUE_SETUP then carries a log. */
int fake_dev_start_inflight(struct fake_dev *f, int fd, uint64_t offered);
/* Ends the thread and closes the connection (the device "dies");
 * idempotent. */
void fake_dev_stop(struct fake_dev *f);
/* Has the thread post CONFIG_CHANGED. */
void fake_dev_post_changed(struct fake_dev *f);

#endif
