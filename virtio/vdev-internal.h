/* SPDX-License-Identifier: MIT */
/* vdev's private state, shared by vdev.c (memory, queues) and
 * vdev-peer.c (the peer protocol). */
#ifndef ATOLL_VIRTIO_VDEV_INTERNAL_H
#define ATOLL_VIRTIO_VDEV_INTERNAL_H

#include "vdev.h"

#define VDEV_MAX_QUEUES 64u
#define VDEV_MAX_CONFIG 256u
/* Ring passes per kick before yielding to the event loop. */
#define VDEV_KICK_ROUNDS 4u

struct atoll_bus_event;

struct vdev {
	struct event_base *base;
	const struct vdev_ops *ops;
	struct vdev_params p;
	void *opaque;
	struct vmem mem;
	atoll_bus *peer;
	struct atoll_bus_event *peer_ev;
	bool peer_hello;            /* HELLO received on this connection */
	uint64_t features;
	bool features_set;
	struct vdev_queue q[];
};

void vdev_reset(struct vdev *d);
int vdev_queue_start(struct vdev *d, struct vdev_queue *q,
		     const Atoll__QueueSetup *s);
void vdev_queue_stop(struct vdev *d, struct vdev_queue *q);
/* Takes fd (a bus socket to the cpu server), replacing any previous peer:
 * queues are stopped and features forgotten, the new front-end starts
 * over. */
int vdev_peer_attach(struct vdev *d, int fd);
void vdev_peer_drop(struct vdev *d);

#endif
