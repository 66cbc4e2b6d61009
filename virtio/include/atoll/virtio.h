/* SPDX-License-Identifier: MIT */
/*
 * libatoll-virtio: the device side of out-of-process virtio
 * (docs/virtio-device-protocol.md), on top of libatoll-device.
 *
 * atoll-cpu emulates the virtio-pci transport; this library serves the
 * device's end: DEVICE_DESCRIBE, feature negotiation, config space, queue
 * setup and stop, and the split rings themselves in guest memory. The
 * device model supplies a static ops table and sees only queues and
 * popped elements, never the bus.
 *
 * What the library guarantees, so a model need not:
 *   - every descriptor is copied once, checked (index, address range inside
 *     the memory grant, length, flags, chain length, indirect nesting) and
 *     never re-read; a bad chain fails only its own element (e->error); a
 *     ring that cannot be trusted any more makes pop return -EIO;
 *   - VIRTIO_F_VERSION_1 is required; VIRTIO_RING_F_EVENT_IDX and
 *     VIRTIO_RING_F_INDIRECT_DESC work if the model offers them;
 *   - resume after a restart: with the in-flight log atoll-cpu passes at
 *     QUEUE_SETUP (to a device whose atoll_dev_config.capabilities has
 *     ATOLL__CAPABILITY__CAP_INFLIGHT), requests a crashed predecessor had
 *     popped but not completed are popped again, oldest first, before any
 *     new one, and none it completed is handed out again, whatever order
 *     it completed them in; the model must tolerate executing such a
 *     request twice (a disk write reaches the disk again);
 *   - kicks: the queue's kick eventfd is watched through the program's
 *     loop (cfg->watch of the atoll_dev); a driver that keeps a ring full
 *     gets a few passes per kick, then yields to the loop.
 *
 * Single-threaded: every callback runs on the loop's thread, and every
 * function must be called from it.
 */
#ifndef ATOLL_VIRTIO_H
#define ATOLL_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <atoll/device.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ATOLL_VIRTIO_BUILDING)
#define ATOLL_VIRTIO_API __attribute__((visibility("default")))
#else
#define ATOLL_VIRTIO_API
#endif

typedef struct atoll_virtio atoll_virtio;
typedef struct atoll_virtio_queue atoll_virtio_queue;

#define ATOLL_VIRTIO_MAX_QUEUES 64u
#define ATOLL_VIRTIO_MAX_QUEUE_SIZE 1024u
#define ATOLL_VIRTIO_MAX_CONFIG 256u

/* One popped element: n_out device-readable iovs, then n_in
 * device-writable ones, in chain order, pointing into guest memory. */
struct atoll_vq_elem {
	uint16_t head;               /* pass to atoll_virtio_queue_push */
	unsigned n_out, n_in;
	struct iovec *iov;           /* the caller's array (set before pop) */
	unsigned max_iov;            /* its length (set before pop) */
	uint64_t out_bytes, in_bytes;
	/* Last byte of the chain's last descriptor, if that descriptor is
	 * device-writable, non-empty and mapped; else NULL. For a malformed
	 * chain this is still set when the chain could be walked to its end,
	 * so a device can report an error status there. */
	uint8_t *footer;
	/* 0, or the chain's first problem (-errno): the iovs must not be
	 * used; push the head back (length 0, or 1 with a status in footer). */
	int error;
};

struct atoll_virtio_ops {
	uint32_t device_id;          /* virtio device ID: 1 net, 2 block, 4 rng */
	/* Writes the device-specific config space (config_size bytes).
	 * Required if config_size > 0. */
	void (*get_config)(void *opaque, void *buf, uint32_t size);
	/* A driver's config write, inside the config space. Returns 0 or a
	 * negative errno (the write is refused). NULL: config is read-only. */
	int (*set_config)(void *opaque, uint32_t offset, const void *data,
			  uint32_t len);
	/* The driver's features, already checked to be a subset of the offer
	 * with VIRTIO_F_VERSION_1. Returns 0 or a negative errno (refused).
	 * Optional. */
	int (*set_features)(void *opaque, uint64_t features);
	/* The queue is set up and about to run: allocate per-queue state.
	 * Returns 0 or a negative errno (the setup fails). Optional. */
	int (*queue_start)(void *opaque, atoll_virtio_queue *q);
	/* Kick (or start): pop and handle elements until the queue is empty
	 * or the device has no room; the library notifies the driver after
	 * this returns and calls again while entries keep arriving. Required. */
	void (*queue_kick)(void *opaque, atoll_virtio_queue *q);
	/* Complete (push) every element of q still in flight, waiting for
	 * outstanding I/O, then release per-queue state. Required. */
	void (*queue_stop)(void *opaque, atoll_virtio_queue *q);
	/* Every queue is stopped; forget negotiated state. Optional. */
	void (*reset)(void *opaque);
};

struct atoll_virtio_params {
	uint64_t features;           /* offered (VIRTIO_F_VERSION_1 required) */
	unsigned num_queues;         /* 1..ATOLL_VIRTIO_MAX_QUEUES */
	unsigned max_queue_size;     /* power of two, <= ..._MAX_QUEUE_SIZE */
	uint32_t config_size;        /* <= ATOLL_VIRTIO_MAX_CONFIG */
};

/*
 * Makes `dev` (created with cfg->generic NULL) a virtio device: the
 * library answers the peer protocol from now on, with `ops` (static: it
 * must outlive the device) and `opaque` for its callbacks. Returns NULL
 * with errno set: EINVAL for bad params or a device that already has a
 * model, ENOMEM.
 */
ATOLL_VIRTIO_API atoll_virtio *atoll_virtio_new(atoll_dev *dev,
						const struct atoll_virtio_ops *ops,
						const struct atoll_virtio_params *p,
						void *opaque);
/* Stops every queue (queue_stop runs) and frees the virtio state. Free
 * it before its atoll_dev. NULL is a no-op. */
ATOLL_VIRTIO_API void atoll_virtio_free(atoll_virtio *v);

ATOLL_VIRTIO_API atoll_dev *atoll_virtio_dev(const atoll_virtio *v);
/* The features the driver accepted (0 before FEATURES_SET). */
ATOLL_VIRTIO_API uint64_t atoll_virtio_features(const atoll_virtio *v);
ATOLL_VIRTIO_API unsigned atoll_virtio_num_queues(const atoll_virtio *v);
/* Queue i (even when not set up), or NULL if i >= num_queues. */
ATOLL_VIRTIO_API atoll_virtio_queue *atoll_virtio_queue_get(atoll_virtio *v,
							    unsigned i);
/* Tells the driver the config space changed (CONFIG_CHANGED). Returns 0
 * or a negative errno (-ENOTCONN: no peer). */
ATOLL_VIRTIO_API int atoll_virtio_config_changed(atoll_virtio *v);

/* ---- queues ---- */

ATOLL_VIRTIO_API atoll_virtio *atoll_virtio_queue_device(const atoll_virtio_queue *q);
ATOLL_VIRTIO_API unsigned atoll_virtio_queue_index(const atoll_virtio_queue *q);
/* The ring size set up by the driver (0 while the queue is not set up). */
ATOLL_VIRTIO_API unsigned atoll_virtio_queue_size(const atoll_virtio_queue *q);
/* True between a successful setup (after queue_start) and a stop. */
ATOLL_VIRTIO_API bool atoll_virtio_queue_running(const atoll_virtio_queue *q);

/*
 * Pops the next available element into *e (whose iov and max_iov the
 * caller set). Returns 1 with *e filled (check e->error), 0 if none is
 * available, -EIO if the ring is broken (nothing it says can be trusted;
 * the driver must reset the device), -EINVAL if the queue is not set up.
 */
ATOLL_VIRTIO_API int atoll_virtio_queue_pop(atoll_virtio_queue *q,
					    struct atoll_vq_elem *e);
/* Returns element `head` to the driver with `len` bytes written into its
 * device-writable part. Not visible to the driver until
 * atoll_virtio_queue_notify (the library calls it after queue_kick). A
 * head that is not in flight is ignored (and logged). */
ATOLL_VIRTIO_API void atoll_virtio_queue_push(atoll_virtio_queue *q,
					      uint16_t head, uint32_t len);
/* Publishes the pushed elements and interrupts the driver if it asked to
 * be (EVENT_IDX or the NO_INTERRUPT flag). For completions outside
 * queue_kick (asynchronous I/O). */
ATOLL_VIRTIO_API void atoll_virtio_queue_notify(atoll_virtio_queue *q);
/* Before waiting for the next kick: with EVENT_IDX, asks the driver to
 * kick at the next entry; returns true if entries arrived meanwhile (pop
 * again). A model that stopped popping for want of room calls this before
 * it waits, so the kick that follows is not lost. */
ATOLL_VIRTIO_API bool atoll_virtio_queue_arm_kick(atoll_virtio_queue *q);
/* Entries the driver made available that are not yet popped. */
ATOLL_VIRTIO_API unsigned atoll_virtio_queue_pending(const atoll_virtio_queue *q);
/* Runs queue_kick now, as on a kick (e.g. when room came back). */
ATOLL_VIRTIO_API void atoll_virtio_queue_run(atoll_virtio_queue *q);

struct atoll_virtio_queue_stats {
	uint64_t kicks;              /* kick eventfd wakeups */
	uint64_t notifies;           /* call eventfd signals */
	uint64_t bad_chains;         /* malformed elements seen */
	unsigned inflight;           /* popped, not yet pushed */
};
ATOLL_VIRTIO_API void atoll_virtio_queue_stats(const atoll_virtio_queue *q,
					       struct atoll_virtio_queue_stats *s);

#ifdef __cplusplus
}
#endif

#endif
