/* SPDX-License-Identifier: MIT */
/* libatoll-virtio's private state, shared by vdev.c (queues, kicks) and
 * vdev-peer.c (the peer protocol). */
#ifndef ATOLL_VIRTIO_VDEV_INTERNAL_H
#define ATOLL_VIRTIO_VDEV_INTERNAL_H

#include <atoll/virtio.h>

#include "vring.h"

/* Ring passes per kick before yielding to the program's loop. */
#define VDEV_KICK_ROUNDS 4u

_Static_assert(VQ_MAX_SIZE == ATOLL_VIRTIO_MAX_QUEUE_SIZE,
	       "the ring walker and the public limit agree");

struct atoll_virtio_queue {
	struct atoll_virtio *dev;
	unsigned index;
	bool running;
	bool kick_watched;
	struct vq vq;
	int kick_fd, call_fd;
	int inflight_fd;            /* until mapped (then closed), or -1 */
	void *log_map;              /* the in-flight memfd, mapped */
	size_t log_len;
	uint64_t kicks, notifies;
};

struct atoll_virtio {
	atoll_dev *dev;
	const struct atoll_virtio_ops *ops;
	struct atoll_virtio_params p;
	const struct atoll_watch_ops *watch;
	void *loop;
	void *opaque;
	uint64_t features;
	bool features_set;
	struct atoll_virtio_queue q[];
};

void vdev_reset(struct atoll_virtio *d);
int vdev_queue_start(struct atoll_virtio *d, struct atoll_virtio_queue *q,
		     const Atoll__QueueSetup *s);
void vdev_queue_stop(struct atoll_virtio *d, struct atoll_virtio_queue *q);
bool vdev_any_running(const struct atoll_virtio *d);
/* The peer protocol (atoll_dev_model.message). */
void vdev_peer_message(void *opaque, atoll_bus *peer, struct atoll_msg *m);

#endif
