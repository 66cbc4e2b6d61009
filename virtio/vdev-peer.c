/* SPDX-License-Identifier: MIT */
/* The peer protocol: the cpu server (front-end) configures the device.
 * Every request is validated here before the device model sees it.
 * libatoll-device has answered the connection's HELLO already. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vdev-internal.h"

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

static int reply_desc(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	Atoll__DeviceDesc desc = ATOLL__DEVICE_DESC__INIT;
	Atoll__VirtioDesc v = ATOLL__VIRTIO_DESC__INIT;

	v.device_id = d->ops->device_id;
	v.features = d->p.features;
	v.num_queues = d->p.num_queues;
	v.max_queue_size = d->p.max_queue_size;
	v.config_size = d->p.config_size;
	desc.model = ATOLL__DEVICE_MODEL__MODEL_VIRTIO;
	desc.virtio = &v;
	return atoll_bus_reply(peer, m, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
			       &desc.base, NULL, 0);
}

static int set_features(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	uint64_t f = ((const Atoll__FeaturesSet *)m->body)->features;
	int rc;

	if (f & ~d->p.features)
		return atoll_bus_reply_error(peer, m, EINVAL,
			"features %#llx were not offered",
			(unsigned long long)(f & ~d->p.features));
	if (!(f & (1ull << VIRTIO_F_VERSION_1)))
		return atoll_bus_reply_error(peer, m, EINVAL,
			"legacy drivers (no VIRTIO_F_VERSION_1) are not supported");
	if (vdev_any_running(d))
		return atoll_bus_reply_error(peer, m, EBUSY,
			"queues are running; stop them first");
	if (d->ops->set_features && (rc = d->ops->set_features(d->opaque, f)) < 0)
		return atoll_bus_reply_error(peer, m, -rc, "refused");
	d->features = f;
	d->features_set = true;
	return atoll_bus_reply_ack(peer, m);
}

static const char *check_setup(struct atoll_virtio *d, const struct atoll_msg *m,
			       const Atoll__QueueSetup *s)
{
	unsigned want_fds = 2u + (s->has_inflight ? 1u : 0u);

	if (s->index >= d->p.num_queues)
		return "no such queue";
	if (m->nfds != want_fds || m->fds[0] < 0 || m->fds[1] < 0)
		return "wrong fds (kick, call[, inflight])";
	if (!d->features_set)
		return "FEATURES_SET first";
	if (!atoll_dev_has_memory(d->dev))
		return "no guest memory granted yet";
	if (s->size == 0 || s->size > d->p.max_queue_size ||
	    (s->size & (s->size - 1)))
		return "bad queue size";
	if (s->last_avail_idx > UINT16_MAX)
		return "last_avail_idx out of range";
	if (s->event_idx &&
	    !(d->features & (1ull << VIRTIO_RING_F_EVENT_IDX)))
		return "event_idx was not negotiated";
	if (d->q[s->index].running)
		return "queue is running; QUEUE_STOP first";
	return NULL;
}

static int queue_setup(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	const Atoll__QueueSetup *s = (const Atoll__QueueSetup *)m->body;
	const char *why = check_setup(d, m, s);
	struct atoll_virtio_queue *q;
	int rc;

	if (why)
		return atoll_bus_reply_error(peer, m, EINVAL, "queue %u: %s",
					     s->index, why);
	q = &d->q[s->index];
	vdev_queue_stop(d, q);   /* leftovers of a failed setup */
	q->kick_fd = atoll_msg_take_fd(m, 0);
	q->call_fd = atoll_msg_take_fd(m, 1);
	if (s->has_inflight)
		q->inflight_fd = atoll_msg_take_fd(m, 2);
	rc = vdev_queue_start(d, q, s);
	if (rc < 0) {
		vdev_queue_stop(d, q);
		return atoll_bus_reply_error(peer, m, -rc,
			"queue %u: rings outside guest memory, misaligned, or a "
			"bad in-flight log", s->index);
	}
	vlog(d, ATOLL_LOG_INFO, "queue %u: size %u, event_idx %s, resuming at %u%s", s->index,
		 s->size, s->event_idx ? "on" : "off", q->vq.last_avail,
		 q->log_map ? " (in-flight log)" : "");
	rc = atoll_bus_reply_ack(peer, m);
	/* The driver may have queued requests before the setup completed. */
	atoll_virtio_queue_run(q);
	return rc;
}

static int queue_stop_msg(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	const Atoll__QueueStop *s = (const Atoll__QueueStop *)m->body;
	Atoll__QueueState st = ATOLL__QUEUE_STATE__INIT;
	struct atoll_virtio_queue *q;

	if (s->index >= d->p.num_queues)
		return atoll_bus_reply_error(peer, m, EINVAL, "no queue %u",
					     s->index);
	q = &d->q[s->index];
	st.index = s->index;
	if (q->vq.size) {
		d->ops->queue_stop(d->opaque, q);   /* drains */
		atoll_virtio_queue_notify(q);
		q->running = false;
		st.last_avail_idx = q->vq.last_avail;
		st.inflight = q->vq.inflight;
	}
	vdev_queue_stop(d, q);
	return atoll_bus_reply(peer, m, ATOLL__MSG_TYPE__MSG_QUEUE_STATE,
			       &st.base, NULL, 0);
}

static int config_read(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	const Atoll__ConfigRead *r = (const Atoll__ConfigRead *)m->body;
	Atoll__ConfigData cd = ATOLL__CONFIG_DATA__INIT;
	uint8_t buf[ATOLL_VIRTIO_MAX_CONFIG];

	if (r->size == 0 || r->size > ATOLL_VIRTIO_MAX_CONFIG ||
	    r->offset > d->p.config_size || r->size > d->p.config_size - r->offset)
		return atoll_bus_reply_error(peer, m, EINVAL,
			"config read %u+%u outside %u bytes", r->offset,
			r->size, d->p.config_size);
	memset(buf, 0, sizeof(buf));
	d->ops->get_config(d->opaque, buf, d->p.config_size);
	cd.data.data = buf + r->offset;
	cd.data.len = r->size;
	return atoll_bus_reply(peer, m, ATOLL__MSG_TYPE__MSG_CONFIG_DATA,
			       &cd.base, NULL, 0);
}

static int config_write(struct atoll_virtio *d, atoll_bus *peer,
		 struct atoll_msg *m)
{
	const Atoll__ConfigWrite *w = (const Atoll__ConfigWrite *)m->body;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	int rc = -EPERM;

	if (w->data.len == 0 || w->offset > d->p.config_size ||
	    w->data.len > d->p.config_size - w->offset)
		rc = -EINVAL;
	else if (d->ops->set_config)
		rc = d->ops->set_config(d->opaque, w->offset, w->data.data,
					(uint32_t)w->data.len);
	if (rc < 0)
		vlog(d, ATOLL_LOG_WARN, "config write %u+%zu refused: %s", w->offset,
			 w->data.len, strerror(-rc));
	if (!request)
		return 0;
	return rc < 0 ? atoll_bus_reply_error(peer, m, -rc, "config write")
		      : atoll_bus_reply_ack(peer, m);
}

static void dispatch(struct atoll_virtio *d, atoll_bus *peer,
		     struct atoll_msg *m, bool request)
{
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		if (request)
			reply_desc(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_FEATURES_SET:
		if (request)
			set_features(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_QUEUE_SETUP:
		if (request)
			queue_setup(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_QUEUE_STOP:
		if (request)
			queue_stop_msg(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_CONFIG_READ:
		if (request)
			config_read(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_CONFIG_WRITE:
		config_write(d, peer, m);
		return;
	case ATOLL__MSG_TYPE__MSG_RESET:
		vdev_reset(d);
		if (request)
			atoll_bus_reply_ack(peer, m);
		return;
	default:
		vlog(d, ATOLL_LOG_WARN, "peer: unexpected %s",
			 atoll_msg_type_name(m->type) ?: "message");
		if (request)
			atoll_bus_reply_error(peer, m, EOPNOTSUPP,
					      "not supported by this device");
	}
}

void vdev_peer_message(void *opaque, atoll_bus *peer, struct atoll_msg *m)
{
	struct atoll_virtio *d = opaque;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;

	if (!request && m->type != ATOLL__MSG_TYPE__MSG_CONFIG_WRITE) {
		vlog(d, ATOLL_LOG_WARN, "peer: posted %s ignored (it is a request)",
		     atoll_msg_type_name(m->type) ?: "message");
		return;
	}
	dispatch(d, peer, m, request);
}
