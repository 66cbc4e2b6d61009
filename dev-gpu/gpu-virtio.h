/* SPDX-License-Identifier: MIT */
/* atoll-virtio-gpu's device: the virtio side (queues, config, features)
 * around the command set of gpu.h, and the scanout memfd. */
#ifndef ATOLL_GPU_VIRTIO_H
#define ATOLL_GPU_VIRTIO_H

#include <atoll/virtio.h>

#include "child.h"
#include "gpu.h"

struct gpu_dev {
	uint32_t width, height;      /* --width, --height */
	uint64_t mem_budget;         /* --max-memory */
	struct child *child;
	atoll_dev *dev;
	atoll_virtio *vdev;
	struct gpu *gpu;
	int scanout_fd;              /* the memfd; -1 before setup */
	uint8_t *scanout;
	size_t scanout_size;
	uint8_t *req;                /* GPU_MAX_REQ bytes */
	uint32_t events_read;        /* config: VIRTIO_GPU_EVENT_* pending */
};

int gpu_dev_init(struct gpu_dev *d, struct child *c);
void gpu_dev_fini(struct gpu_dev *d);

#endif
