/* SPDX-License-Identifier: MIT */
/* libatoll-virtio: the device, its queues and their kicks. */
#include "vdev-internal.h"
#include "vmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_config.h>

static void vlog(struct atoll_virtio *d, enum atoll_log_level level,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void vlog(struct atoll_virtio *d, enum atoll_log_level level,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	atoll_dev_vlog(d->dev, level, fmt, ap);
	va_end(ap);
}

static void unwatch_kick(struct atoll_virtio_queue *q)
{
	struct atoll_virtio *d = q->dev;

	if (q->kick_watched)
		d->watch->remove(d->loop, q->kick_fd);
	q->kick_watched = false;
}

static void queue_stop(struct atoll_virtio *d, struct atoll_virtio_queue *q)
{
	if (q->running) {
		d->ops->queue_stop(d->opaque, q);
		atoll_virtio_queue_notify(q);
		q->running = false;
	}
	unwatch_kick(q);
	vq_fini(&q->vq);
	if (q->log_map)
		munmap(q->log_map, q->log_len);
	q->log_map = NULL;
	for (int *fd = &q->kick_fd; fd <= &q->inflight_fd; fd++) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

void vdev_reset(struct atoll_virtio *d)
{
	for (unsigned i = 0; i < d->p.num_queues; i++)
		queue_stop(d, &d->q[i]);
	d->features = 0;
	d->features_set = false;
	if (d->ops->reset)
		d->ops->reset(d->opaque);
}

bool vdev_any_running(const struct atoll_virtio *d)
{
	for (unsigned i = 0; i < d->p.num_queues; i++)
		if (d->q[i].running)
			return true;
	return false;
}

/* ---- the device's model hooks ---- */

static void model_reset(void *opaque)
{
	vdev_reset(opaque);
}

static int model_memory_changing(void *opaque)
{
	/* Rings point into the old mapping. */
	return vdev_any_running(opaque) ? -EBUSY : 0;
}

static const struct atoll_dev_model vdev_model = {
	.message = vdev_peer_message,
	/* A new front-end starts over: queues stopped, features forgotten. */
	.attached = model_reset,
	.detached = model_reset,
	.memory_changing = model_memory_changing,
	.reset = model_reset,
};

static bool params_ok(const struct atoll_virtio_ops *ops,
		      const struct atoll_virtio_params *p)
{
	return ops && ops->queue_kick && ops->queue_stop &&
	       (!p->config_size || ops->get_config) &&
	       (p->features & (1ull << VIRTIO_F_VERSION_1)) &&
	       p->num_queues && p->num_queues <= ATOLL_VIRTIO_MAX_QUEUES &&
	       p->max_queue_size &&
	       p->max_queue_size <= ATOLL_VIRTIO_MAX_QUEUE_SIZE &&
	       !(p->max_queue_size & (p->max_queue_size - 1)) &&
	       p->config_size <= ATOLL_VIRTIO_MAX_CONFIG;
}

ATOLL_VIRTIO_API atoll_virtio *atoll_virtio_new(atoll_dev *dev,
						const struct atoll_virtio_ops *ops,
						const struct atoll_virtio_params *p,
						void *opaque)
{
	struct atoll_virtio *d;

	if (!dev || !p || !params_ok(ops, p)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d) + p->num_queues * sizeof(d->q[0]));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->dev = dev;
	d->ops = ops;
	d->p = *p;
	d->opaque = opaque;
	d->watch = atoll_dev_watch(dev, &d->loop);
	for (unsigned i = 0; i < p->num_queues; i++) {
		d->q[i].dev = d;
		d->q[i].index = i;
		d->q[i].kick_fd = d->q[i].call_fd = d->q[i].inflight_fd = -1;
	}
	if (atoll_dev_set_model(dev, &vdev_model, d) < 0) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	return d;
}

ATOLL_VIRTIO_API void atoll_virtio_free(atoll_virtio *d)
{
	if (!d)
		return;
	atoll_dev_set_model(d->dev, NULL, NULL);
	vdev_reset(d);
	free(d);
}

ATOLL_VIRTIO_API atoll_dev *atoll_virtio_dev(const atoll_virtio *d)
{
	return d->dev;
}

ATOLL_VIRTIO_API uint64_t atoll_virtio_features(const atoll_virtio *d)
{
	return d->features;
}

ATOLL_VIRTIO_API unsigned atoll_virtio_num_queues(const atoll_virtio *d)
{
	return d->p.num_queues;
}

ATOLL_VIRTIO_API atoll_virtio_queue *atoll_virtio_queue_get(atoll_virtio *d,
							    unsigned i)
{
	return i < d->p.num_queues ? &d->q[i] : NULL;
}

ATOLL_VIRTIO_API int atoll_virtio_config_changed(atoll_virtio *d)
{
	atoll_bus *peer = atoll_dev_peer(d->dev);

	if (!peer)
		return -ENOTCONN;
	return atoll_bus_post(peer, ATOLL__MSG_TYPE__MSG_CONFIG_CHANGED, NULL,
			      NULL, 0);
}

/* ---- queues ---- */

ATOLL_VIRTIO_API atoll_virtio *atoll_virtio_queue_device(const atoll_virtio_queue *q)
{
	return q->dev;
}

ATOLL_VIRTIO_API unsigned atoll_virtio_queue_index(const atoll_virtio_queue *q)
{
	return q->index;
}

ATOLL_VIRTIO_API unsigned atoll_virtio_queue_size(const atoll_virtio_queue *q)
{
	return q->vq.size;
}

ATOLL_VIRTIO_API bool atoll_virtio_queue_running(const atoll_virtio_queue *q)
{
	return q->running;
}

ATOLL_VIRTIO_API int atoll_virtio_queue_pop(atoll_virtio_queue *q,
					    struct atoll_vq_elem *e)
{
	struct vq_elem el = { .iov = e->iov, .max_iov = e->max_iov };
	int rc;

	if (!q->vq.size)
		return -EINVAL;
	rc = vq_pop(&q->vq, &el);
	if (rc != 1)
		return rc;
	e->head = el.head;
	e->n_out = el.n_out;
	e->n_in = el.n_in;
	e->out_bytes = el.out_bytes;
	e->in_bytes = el.in_bytes;
	e->footer = el.footer;
	e->error = el.error;
	return 1;
}

ATOLL_VIRTIO_API void atoll_virtio_queue_push(atoll_virtio_queue *q,
					      uint16_t head, uint32_t len)
{
	/* A head pushed twice (or never popped) would put an entry the
	 * driver does not expect in the used ring. */
	if (!q->vq.size || head >= q->vq.size || !q->vq.inflight_map[head]) {
		vlog(q->dev, ATOLL_LOG_ERROR, "queue %u: push of head %u, which "
		     "is not in flight; ignored", q->index, head);
		return;
	}
	vq_push(&q->vq, head, len);
}

ATOLL_VIRTIO_API bool atoll_virtio_queue_arm_kick(atoll_virtio_queue *q)
{
	return q->vq.size && vq_arm_kick(&q->vq);
}

ATOLL_VIRTIO_API unsigned atoll_virtio_queue_pending(const atoll_virtio_queue *q)
{
	return q->vq.size ? vq_pending(&q->vq) : 0;
}

ATOLL_VIRTIO_API void atoll_virtio_queue_stats(const atoll_virtio_queue *q,
					       struct atoll_virtio_queue_stats *s)
{
	s->kicks = q->kicks;
	s->notifies = q->notifies;
	s->bad_chains = q->vq.bad_chains;
	s->inflight = q->vq.inflight;
}

ATOLL_VIRTIO_API void atoll_virtio_queue_notify(atoll_virtio_queue *q)
{
	static const uint64_t one = 1;
	struct vq *vq = &q->vq;

	if (!vq->size || vq->used_idx == vq->published_idx)
		return;
	vq->published_idx = vq->used_idx;
	vq_publish(vq);
	if (q->call_fd >= 0 && vq_need_notify(vq)) {
		q->notifies++;
		/* EAGAIN means the counter is saturated: still signalled. */
		(void)!write(q->call_fd, &one, sizeof(one));
	}
}

static void kick_cb(int fd, unsigned events, void *data)
{
	struct atoll_virtio_queue *q = data;
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	/* EOF or an error: not an eventfd we can wait on (a level-triggered
	 * EOF would spin the loop). Stop watching; the queue stays set up. */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		vlog(q->dev, ATOLL_LOG_ERROR, "queue %u: kick fd %s; no longer "
		     "watched", q->index, n == 0 ? "at EOF" : strerror(errno));
		unwatch_kick(q);
		return;
	}
	q->kicks++;
	atoll_virtio_queue_run(q);
}

ATOLL_VIRTIO_API void atoll_virtio_queue_run(atoll_virtio_queue *q)
{
	static const uint64_t one = 1;
	struct atoll_virtio *d = q->dev;
	unsigned rounds = 0;
	uint16_t before;

	if (!q->running)
		return;
	for (;;) {
		before = q->vq.last_avail;
		d->ops->queue_kick(d->opaque, q);
		atoll_virtio_queue_notify(q);
		if (!q->running)
			return;
		/* Always arm (a resumed ring may hold a stale avail_event), then
		 * re-check: the driver may have added entries before it saw
		 * avail_event, and will not kick for them. */
		if (!vq_arm_kick(&q->vq))
			return;
		/* Entries left but none taken: the device had no room (every
		 * head in flight, so only a driver re-posting in-flight heads
		 * gets here); they are looked at on the next kick. */
		if (q->vq.last_avail == before)
			return;
		/* A driver that keeps the ring full must not starve the other
		 * queues and the buses: kick ourselves, so the loop comes back
		 * on its next turn (the kick eventfd is ours to write too). */
		if (++rounds == VDEV_KICK_ROUNDS) {
			if (q->kick_watched)
				(void)!write(q->kick_fd, &one, sizeof(one));
			return;
		}
	}
}

/* Maps the in-flight memfd and resumes from it. Returns the number of
 * requests to resubmit or -errno. */
static int attach_log(struct atoll_virtio_queue *q)
{
	uint64_t want = vq_log_bytes(q->vq.size);
	struct stat st;
	void *p;
	int rc;

	if ((rc = vmem_seal_shrink(q->inflight_fd)) < 0)
		return rc;
	if (fstat(q->inflight_fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size < want)
		return -EINVAL;
	p = mmap(NULL, (size_t)want, PROT_READ | PROT_WRITE, MAP_SHARED,
		 q->inflight_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* The mapping is all we need; the fd would let a compromised device
	 * resize the log or punch holes in it under the cpu server. */
	close(q->inflight_fd);
	q->inflight_fd = -1;
	q->log_map = p;
	q->log_len = (size_t)want;
	return vq_attach_log(&q->vq, p, want);
}

static void *dma_map(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	return atoll_dev_dma_ptr(ctx, gpa, len, write);
}

static void ring_log(void *opaque, enum atoll_log_level level,
		     const char *fmt, va_list ap)
{
	atoll_dev_vlog(opaque, level, fmt, ap);
}

int vdev_queue_start(struct atoll_virtio *d, struct atoll_virtio_queue *q,
		     const Atoll__QueueSetup *s)
{
	const struct vq_mem mem = { dma_map, d->dev, ring_log, d->dev };
	char name[24];
	int rc;

	snprintf(name, sizeof(name), "%s.q%u", atoll_dev_name(d->dev), q->index);
	rc = vq_init(&q->vq, &mem, name, s->size, s->desc_addr, s->avail_addr,
		     s->used_addr, (uint16_t)s->last_avail_idx, s->event_idx);
	if (rc < 0)
		return rc;
	if (q->inflight_fd >= 0 && (rc = attach_log(q)) < 0)
		return rc;
	/* Neither fd may ever block the device thread. */
	if (fcntl(q->kick_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(q->call_fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	rc = d->watch->add(d->loop, q->kick_fd, ATOLL_WATCH_IN, kick_cb, q);
	if (rc < 0)
		return rc;
	q->kick_watched = true;
	if (d->ops->queue_start && (rc = d->ops->queue_start(d->opaque, q)) < 0)
		return rc;
	q->running = true;
	return 0;
}

void vdev_queue_stop(struct atoll_virtio *d, struct atoll_virtio_queue *q)
{
	queue_stop(d, q);
}
