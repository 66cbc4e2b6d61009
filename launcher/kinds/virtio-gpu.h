/* SPDX-License-Identifier: MIT */
/* Kind virtio-gpu's scanout memfd, which the display shares. */
#ifndef ATOLL_LAUNCHER_KIND_VIRTIO_GPU_H
#define ATOLL_LAUNCHER_KIND_VIRTIO_GPU_H

#include "manifest.h"

/* The scanout memfd of virtio-gpu device `d`, made at the first call
 * (sealed against resizing) and kept until the manifest is freed; the
 * caller must not close it. A negative errno if it cannot be made. */
int virtio_gpu_scanout_fd(const struct device_config *d);

#endif
