/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-input's virtio side: queue 0 (eventq) holds the driver's
 * empty 8-byte buffers, each filled with one pending event; queue 1
 * (statusq) carries LED and similar updates from the driver, which are
 * taken and ignored. Events the driver has no buffer for wait, in order,
 * in a bounded ring.
 */
#include <errno.h>
#include <linux/virtio_input.h>
#include <stddef.h>
#include <string.h>

#include "input.h"
#include "log.h"

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_ID_INPUT 18
#define QUEUE_SIZE 64u
#define MAX_IOV 4u

/* Fills eventq buffers with pending events while both last. */
static void deliver(struct input_dev *d)
{
	atoll_virtio_queue *q = atoll_virtio_queue_get(d->vdev, 0);
	struct iovec iov[MAX_IOV];
	struct atoll_vq_elem e = { .iov = iov, .max_iov = MAX_IOV };
	bool pushed = false;

	if (!atoll_virtio_queue_running(q))
		return;
	while (d->count && atoll_virtio_queue_pop(q, &e) == 1) {
		const struct input_event_le *ev = &d->pending[d->head];
		uint32_t len = 0;

		if (e.error || e.n_in != 1 || e.iov[e.n_out].iov_len < sizeof(*ev)) {
			log_warn("eventq: a buffer that cannot hold an event");
		} else {
			memcpy(e.iov[e.n_out].iov_base, ev, sizeof(*ev));
			len = sizeof(*ev);
			d->head = (d->head + 1) % INPUT_MAX_PENDING;
			d->count--;
			d->delivered++;
		}
		atoll_virtio_queue_push(q, e.head, len);
		pushed = true;
	}
	if (pushed)
		atoll_virtio_queue_notify(q);
}

int input_send(struct input_dev *d, const struct input_event_le *ev,
	       unsigned n)
{
	if (n > INPUT_MAX_PENDING - d->count) {
		d->dropped += n;
		return -ENOSPC;
	}
	for (unsigned i = 0; i < n; i++)
		d->pending[(d->head + d->count + i) % INPUT_MAX_PENDING] = ev[i];
	d->count += n;
	deliver(d);
	return 0;
}

static void input_kick(void *opaque, atoll_virtio_queue *q)
{
	struct input_dev *d = opaque;
	struct iovec iov[MAX_IOV];
	struct atoll_vq_elem e = { .iov = iov, .max_iov = MAX_IOV };

	if (atoll_virtio_queue_index(q) == 0) {
		/* New buffers: nothing is popped until there is an event. */
		deliver(d);
		return;
	}
	while (atoll_virtio_queue_pop(q, &e) == 1)
		atoll_virtio_queue_push(q, e.head, 0);
}

/* Buffers popped are filled and pushed at once: none stays in flight. */
static void input_stop(void *opaque, atoll_virtio_queue *q)
{
	(void)opaque;
	(void)q;
}

static void input_get_config(void *opaque, void *buf, uint32_t size)
{
	input_config(opaque, buf, size);
}

/* The driver writes select and subsel only. */
static int input_set_config(void *opaque, uint32_t offset, const void *data,
			    uint32_t len)
{
	struct input_dev *d = opaque;
	const uint8_t *p = data;

	for (uint32_t i = 0; i < len; i++) {
		if (offset + i == offsetof(struct virtio_input_config, select))
			d->select = p[i];
		else if (offset + i == offsetof(struct virtio_input_config, subsel))
			d->subsel = p[i];
		else
			return -EINVAL;
	}
	return 0;
}

static void input_reset(void *opaque)
{
	struct input_dev *d = opaque;

	d->select = d->subsel = 0;
	d->head = d->count = 0;
}

static const struct atoll_virtio_ops input_vops = {
	.device_id = VIRTIO_ID_INPUT,
	.get_config = input_get_config,
	.set_config = input_set_config,
	.queue_kick = input_kick,
	.queue_stop = input_stop,
	.reset = input_reset,
};

int input_init(struct input_dev *d, struct child *c)
{
	struct atoll_virtio_params p = {
		.features = VIRTIO_F_VERSION_1,
		.num_queues = 2,
		.max_queue_size = QUEUE_SIZE,
		.config_size = sizeof(struct virtio_input_config),
	};
	struct atoll_dev_config dc;

	d->child = c;
	child_dev_config(c, &dc);
	if (!(d->dev = atoll_dev_new(&dc)))
		return -errno;
	child_set_device(c, d->dev);
	if (!(d->vdev = atoll_virtio_new(d->dev, &input_vops, &p, d)))
		return -errno;
	log_info("virtio-input %s", d->tablet ? "tablet" : "keyboard");
	return 0;
}

void input_fini(struct input_dev *d)
{
	atoll_virtio_free(d->vdev);
	d->vdev = NULL;
	atoll_dev_free(d->dev);
	d->dev = NULL;
}
