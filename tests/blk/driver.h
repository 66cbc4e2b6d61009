/* SPDX-License-Identifier: MIT */
/*
 * A host-side virtio driver for testing device processes without a guest.
 * It plays the launcher (answers HELLO, sends MEM_GRANT and PEER_CONNECT
 * on the control socket at fd 3) and the cpu server (HELLO, DEVICE_DESCRIBE,
 * FEATURES_SET, QUEUE_SETUP on the peer socket), keeps "guest RAM" in a
 * memfd, builds split rings in it, and submits chains.
 */
#ifndef ATOLL_TEST_VIRTIO_DRIVER_H
#define ATOLL_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <atoll/bus.h>

#include "vring.h"

#define DRV_RAM_BASE 0x80000000ull
#define DRV_RAM_SIZE (64ull << 20)
#define DRV_MAX_QUEUES 16u
/* Each queue's rings live in a 64 KiB slot from RAM offset 0; buffers
 * come from a bump allocator above. */
#define DRV_RING_SLOT 0x10000ull
#define DRV_HEAP_START (2ull << 20)

struct drv_queue {
	unsigned size;
	bool event_idx;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vq_desc *desc;
	volatile uint16_t *avail, *used;
	uint16_t avail_idx, last_used, kicked_at;
	int kick_fd, call_fd;
	int log_fd;               /* in-flight memfd, or -1 */
	uint16_t free_head;
	unsigned nfree;
	uint16_t *chain_len;      /* per head: descriptors to free */
	uint16_t *next_free;      /* our own free list (not trusted memory) */
};

struct drv {
	pid_t pid;
	atoll_bus *ctl, *peer;
	bool got_hello, ready;
	int ram_fd;
	uint8_t *ram;
	uint64_t heap;
	uint64_t offered, features;
	uint32_t num_queues, max_queue_size, config_size, device_id;
	struct drv_queue q[DRV_MAX_QUEUES];
};

struct drv_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Starts `binary --fd=3 --name=dev0 --disk-fd=4 ARGS...` with disk_fd at
 * fd 4 (no fd 4 and no --disk-fd when disk_fd < 0), plays the launcher up
 * to READY and the front-end up to DESC. extra_env ("K=V" or NULL) is put
 * in the child's environment. With $ATOLL_BLK_SANDBOX_RUN or
 * $ATOLL_DRV_SANDBOX_RUN (atoll-sandbox-run) the binary runs confined by
 * the profile named after it (atoll-virtio-net: virtio-net). */
int drv_start(struct drv *d, const char *binary, int disk_fd,
	      const char *const *args, const char *extra_env);
/* A fresh PEER_CONNECT (the old peer socket is dropped), as after a cpu
 * server restart; then drv_describe() redoes HELLO + DEVICE_DESCRIBE. */
int drv_connect_peer(struct drv *d);
int drv_describe(struct drv *d);
/* SHUTDOWN, wait for the exit; returns the exit status (or -errno). */
int drv_stop(struct drv *d);

int drv_features(struct drv *d, uint64_t features);
int drv_queue_setup(struct drv *d, unsigned qi, unsigned size, bool event_idx);
/* With an in-flight log (created on first use, kept across restarts);
 * `keep` re-sends the setup of a queue whose rings are live (after a
 * device restart) instead of laying out fresh rings. */
int drv_queue_setup_log(struct drv *d, unsigned qi, unsigned size,
			bool event_idx, bool keep);
/* Re-sends the setup of a queue whose rings are live (after a device
 * restart, no in-flight log), resuming at used->idx like the cpu server. */
int drv_queue_resume(struct drv *d, unsigned qi);
/* Kills the device (SIGKILL) and starts a new one on the same guest RAM,
 * rings and disk, up to DEVICE_DESC; queues must be set up again. */
int drv_restart(struct drv *d, const char *binary, int disk_fd,
		const char *const *args);
int drv_queue_stop(struct drv *d, unsigned qi, uint32_t *last_avail,
		   uint32_t *inflight);
int drv_config_read(struct drv *d, uint32_t off, void *buf, uint32_t len);

/* Guest RAM: allocate (never freed), translate. */
uint64_t drv_alloc(struct drv *d, uint64_t len, uint64_t align);
void *drv_ptr(struct drv *d, uint64_t gpa);

/* Builds a chain from our free descriptors and makes it available (no
 * kick). Returns the head, or -ENOSPC. */
int drv_add_chain(struct drv *d, unsigned qi, const struct drv_seg *s,
		  unsigned n);
/* Makes `head` available as is (for hand-made hostile chains). */
void drv_add_raw(struct drv *d, unsigned qi, uint16_t head);
/* Kicks if the device asked for it (EVENT_IDX) or always. */
void drv_kick(struct drv *d, unsigned qi);
/* Takes the next used element, waiting up to timeout_ms for the call
 * eventfd. Returns 1 with head/len, 0 on timeout, -errno. */
int drv_get_used(struct drv *d, unsigned qi, uint16_t *head, uint32_t *len,
		 int timeout_ms);
/* Dispatches pending control/peer frames without blocking. */
void drv_pump(struct drv *d);

#endif
