/* SPDX-License-Identifier: MIT */
/* atoll-virtio-input: a virtio-input keyboard or tablet (virtio device
 * 18). Events come from the launcher (INPUT_EVENTS) and wait in a bounded
 * queue for the driver's buffers. */
#ifndef ATOLL_INPUT_H
#define ATOLL_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <atoll/virtio.h>

#include "child.h"

/* Events waiting for buffers; more are refused (the guest is not
 * reading). */
#define INPUT_MAX_PENDING 1024u

struct input_event_le {
	uint16_t type, code;
	uint32_t value;
};

struct input_dev {
	bool tablet;                 /* else a keyboard */
	struct child *child;
	atoll_dev *dev;
	atoll_virtio *vdev;
	uint8_t select, subsel;      /* the driver's config query */
	struct input_event_le pending[INPUT_MAX_PENDING];
	unsigned head, count;        /* ring of pending events */
	uint64_t delivered, dropped;
};

int input_init(struct input_dev *d, struct child *c);
void input_fini(struct input_dev *d);
/* Queues n events and delivers what the driver has room for. Returns 0,
 * or -ENOSPC (nothing queued) if they do not all fit. */
int input_send(struct input_dev *d, const struct input_event_le *ev,
	       unsigned n);
/* The config space for the current select/subsel (virtio_input_config). */
void input_config(const struct input_dev *d, uint8_t *buf, uint32_t size);

#endif
