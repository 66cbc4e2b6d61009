/* SPDX-License-Identifier: MIT */
#include "vdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atoll/bus-event.h>
#include <event2/event.h>

#include "log.h"
#include "vdev-internal.h"

static void queue_stop(struct vdev *d, struct vdev_queue *q)
{
	if (q->running) {
		d->ops->queue_stop(d->opaque, q);
		vdev_queue_notify(q);
		q->running = false;
	}
	if (q->kick_ev) {
		event_free(q->kick_ev);
		q->kick_ev = NULL;
	}
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

void vdev_reset(struct vdev *d)
{
	for (unsigned i = 0; i < d->p.num_queues; i++)
		queue_stop(d, &d->q[i]);
	d->features = 0;
	d->features_set = false;
	if (d->ops->reset)
		d->ops->reset(d->opaque);
}

struct vdev *vdev_new(struct event_base *base, const struct vdev_ops *ops,
		      const struct vdev_params *p, void *opaque)
{
	struct vdev *d;

	if (!p->num_queues || p->num_queues > VDEV_MAX_QUEUES ||
	    p->max_queue_size > VQ_MAX_SIZE || p->config_size > VDEV_MAX_CONFIG)
		return NULL;
	d = calloc(1, sizeof(*d) + p->num_queues * sizeof(d->q[0]));
	if (!d)
		return NULL;
	d->base = base;
	d->ops = ops;
	d->p = *p;
	d->opaque = opaque;
	vmem_init(&d->mem);
	for (unsigned i = 0; i < p->num_queues; i++) {
		d->q[i].dev = d;
		d->q[i].index = i;
		d->q[i].kick_fd = d->q[i].call_fd = d->q[i].inflight_fd = -1;
	}
	return d;
}

void vdev_free(struct vdev *d)
{
	if (!d)
		return;
	vdev_peer_drop(d);
	vdev_reset(d);
	vmem_clear(&d->mem);
	free(d);
}

bool vdev_has_memory(const struct vdev *d) { return d->mem.n > 0; }
const struct vmem *vdev_mem(const struct vdev *d) { return &d->mem; }
uint64_t vdev_features(const struct vdev *d) { return d->features; }
unsigned vdev_num_queues(const struct vdev *d) { return d->p.num_queues; }

struct vdev_queue *vdev_queue(struct vdev *d, unsigned i)
{
	return i < d->p.num_queues ? &d->q[i] : NULL;
}

void vdev_queue_notify(struct vdev_queue *q)
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

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vdev_queue *q = arg;
	struct vdev *d = q->dev;
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	/* EOF or an error: not an eventfd we can wait on (a level-triggered
	 * EOF would spin the loop). Stop watching; the queue stays set up. */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		log_error("queue %u: kick fd %s; no longer watched", q->index,
			  n == 0 ? "at EOF" : strerror(errno));
		event_del(q->kick_ev);
		return;
	}
	q->kicks++;
	vdev_queue_run(d, q);
}

void vdev_queue_run(struct vdev *d, struct vdev_queue *q)
{
	unsigned rounds = 0;
	uint16_t before;

	for (;;) {
		before = q->vq.last_avail;
		d->ops->queue_kick(d->opaque, q);
		vdev_queue_notify(q);
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
		 * queues and the buses: come back on the next loop turn. */
		if (++rounds == VDEV_KICK_ROUNDS) {
			if (q->kick_ev)
				event_active(q->kick_ev, EV_READ, 0);
			return;
		}
	}
}

/* Maps the in-flight memfd and resumes from it. Returns the number of
 * requests to resubmit or -errno. */
static int attach_log(struct vdev_queue *q)
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

int vdev_queue_start(struct vdev *d, struct vdev_queue *q,
		     const Atoll__QueueSetup *s)
{
	char name[24];
	int rc;

	snprintf(name, sizeof(name), "%s.q%u", d->p.name ? d->p.name : "vq",
		 q->index);
	rc = vq_init(&q->vq, &d->mem, name, s->size, s->desc_addr,
		     s->avail_addr, s->used_addr, (uint16_t)s->last_avail_idx,
		     s->event_idx);
	if (rc < 0)
		return rc;
	if (q->inflight_fd >= 0 && (rc = attach_log(q)) < 0)
		return rc;
	/* Neither fd may ever block the device thread. */
	if (fcntl(q->kick_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(q->call_fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	q->kick_ev = event_new(d->base, q->kick_fd, EV_READ | EV_PERSIST,
			       kick_cb, q);
	if (!q->kick_ev || event_add(q->kick_ev, NULL) < 0)
		return -ENOMEM;
	if (d->ops->queue_start && (rc = d->ops->queue_start(d->opaque, q)) < 0)
		return rc;
	q->running = true;
	return 0;
}

void vdev_queue_stop(struct vdev *d, struct vdev_queue *q)
{
	queue_stop(d, q);
}

static int take_grant(struct vdev *d, struct atoll_msg *m)
{
	const Atoll__MemGrant *g = (const Atoll__MemGrant *)m->body;
	struct vmem fresh;
	int rc = 0;

	if (g->n_regions != m->nfds || !g->n_regions)
		return -EPROTO;
	for (unsigned i = 0; i < d->p.num_queues; i++)
		if (d->q[i].running)
			return -EBUSY;   /* rings point into the old mapping */
	vmem_init(&fresh);
	/* The fds are not taken: the bus closes them when this handler
	 * returns, and the device keeps only the mappings. */
	for (size_t i = 0; i < g->n_regions && rc == 0; i++) {
		const Atoll__MemRegion *r = g->regions[i];

		rc = vmem_add_fd(&fresh, m->fds[i], r->guest_addr, r->size,
				 r->fd_offset, r->readonly);
	}
	if (rc < 0) {
		vmem_clear(&fresh);
		return rc;
	}
	vmem_clear(&d->mem);
	d->mem = fresh;
	return 0;
}

int vdev_control_message(struct vdev *d, atoll_bus *bus, struct atoll_msg *m)
{
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	int rc;

	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT:
		rc = take_grant(d, m);
		if (rc < 0)
			log_error("memory grant refused: %s", strerror(-rc));
		else
			log_info("guest memory: %u region(s), %llu bytes",
				 d->mem.n, (unsigned long long)vmem_total(&d->mem));
		if (request)
			return rc < 0 ? atoll_bus_reply_error(bus, m, -rc, "grant")
				      : atoll_bus_reply_ack(bus, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_PEER_CONNECT:
		rc = vdev_peer_attach(d, atoll_msg_take_fd(m, 0));
		if (request)
			return rc < 0 ? atoll_bus_reply_error(bus, m, -rc, "peer")
				      : atoll_bus_reply_ack(bus, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_RESET:
		vdev_reset(d);
		if (request)
			atoll_bus_reply_ack(bus, m);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
