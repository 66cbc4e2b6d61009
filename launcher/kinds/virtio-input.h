/* SPDX-License-Identifier: MIT */
/* Kind virtio-input's settings, for the QMP input commands. */
#ifndef ATOLL_LAUNCHER_KIND_VIRTIO_INPUT_H
#define ATOLL_LAUNCHER_KIND_VIRTIO_INPUT_H

#include <stdbool.h>

#include "manifest.h"

/* True if `d` is a virtio-input device of type keyboard. */
bool virtio_input_is_keyboard(const struct device_config *d);

#endif
