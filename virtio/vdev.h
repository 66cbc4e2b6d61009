/* SPDX-License-Identifier: MIT */
/*
 * The device end of the virtio peer protocol (docs/virtio-device-protocol.md):
 * a vhost-user-like split where the cpu server emulates the virtio
 * transport and this process serves the queues. vdev handles guest memory
 * (MEM_GRANT), the peer connection (PEER_CONNECT) and every peer message;
 * the device model supplies a static ops table and never sees the bus.
 *
 * Single-threaded: every callback runs on the libevent loop thread.
 */
#ifndef ATOLL_VIRTIO_VDEV_H
#define ATOLL_VIRTIO_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

#include "vmem.h"
#include "vring.h"

struct event_base;
struct event;
struct vdev;

struct vdev_queue {
	struct vdev *dev;
	unsigned index;
	bool running;
	struct vq vq;
	int kick_fd, call_fd;
	int inflight_fd;            /* until mapped (then closed), or -1 */
	void *log_map;              /* the in-flight memfd, mapped */
	size_t log_len;
	struct event *kick_ev;
	uint64_t kicks, notifies;
};

struct vdev_ops {
	uint32_t device_id;                  /* virtio device ID */
	const char *kind;                    /* for HELLO: "virtio-blk" */
	/* Writes the device-specific config space (config_size bytes). */
	void (*get_config)(void *opaque, void *buf, uint32_t size);
	/* Optional: a driver config write inside bounds. 0 or -errno (the
	 * peer gets the Error). NULL: config is read-only (-EPERM). */
	int (*set_config)(void *opaque, uint32_t off, const void *data,
			  uint32_t len);
	/* The driver's features (already checked against the offer). */
	int (*set_features)(void *opaque, uint64_t features);
	/* The queue is set up: the device may allocate per-queue state. */
	int (*queue_start)(void *opaque, struct vdev_queue *q);
	/* Kick (or start): pop and process requests until the ring is empty
	 * or the device has taken `size` of them (vdev calls again). */
	void (*queue_kick)(void *opaque, struct vdev_queue *q);
	/* Complete every request of q in flight (block until done), then
	 * release per-queue state. */
	void (*queue_stop)(void *opaque, struct vdev_queue *q);
	/* All queues are stopped; forget negotiated state. Optional. */
	void (*reset)(void *opaque);
};

struct vdev_params {
	uint64_t features;          /* offered */
	unsigned num_queues;
	unsigned max_queue_size;
	uint32_t config_size;
	const char *name;           /* instance name, for HELLO and logs */
};

struct vdev *vdev_new(struct event_base *base, const struct vdev_ops *ops,
		      const struct vdev_params *p, void *opaque);
void vdev_free(struct vdev *d);

/* Control-bus messages vdev owns: MEM_GRANT, PEER_CONNECT, RESET.
 * Returns 0 if handled (replying where needed), -EOPNOTSUPP otherwise. */
int vdev_control_message(struct vdev *d, atoll_bus *bus, struct atoll_msg *m);
bool vdev_has_memory(const struct vdev *d);
const struct vmem *vdev_mem(const struct vdev *d);
uint64_t vdev_features(const struct vdev *d);
unsigned vdev_num_queues(const struct vdev *d);
struct vdev_queue *vdev_queue(struct vdev *d, unsigned i);

/* Publishes pushed used elements of q and signals the call eventfd if the
 * driver asked for it. */
void vdev_queue_notify(struct vdev_queue *q);
/* Runs the queue's kick handler until the ring is empty (as on a kick). */
void vdev_queue_run(struct vdev *d, struct vdev_queue *q);

#endif
