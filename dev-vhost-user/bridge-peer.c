/* SPDX-License-Identifier: MIT */
/* The peer protocol from atoll-cpu, answered by asking the back-end.
 * Every request is validated here (docs/virtio-device-protocol.md) before
 * anything of it reaches the back-end. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <atoll/bus-event.h>
#include <linux/virtio_config.h>

#include "bridge.h"
#include "child.h"
#include "log.h"

/* Answers a request whose back-end call returned rc; a broken back-end
 * connection ends the process after the answer. */
static void answer(struct bridge *b, struct atoll_msg *m, int rc,
		   const char *what)
{
	if (rc == 0)
		atoll_bus_reply_ack(b->peer, m);
	else
		atoll_bus_reply_error(b->peer, m, rc == -EIO ? EIO : -rc,
				      "back-end: %s failed", what);
	if (b->vu.broken)
		bridge_backend_lost(b);
}

static void reply_hello(struct bridge *b, struct atoll_msg *m)
{
	const Atoll__Hello *in = (const Atoll__Hello *)m->body;
	Atoll__Hello h = ATOLL__HELLO__INIT;

	if (in->protocol_version != ATOLL_BUS_PROTOCOL_VERSION) {
		atoll_bus_reply_error(b->peer, m, EPROTONOSUPPORT,
				      "protocol %u", in->protocol_version);
		return;
	}
	b->peer_hello = true;
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_DEVICE;
	h.kind = (char *)"vhost-user";
	h.name = (char *)child_name(b->child);
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	atoll_bus_reply(b->peer, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL, 0);
}

static void reply_desc(struct bridge *b, struct atoll_msg *m)
{
	Atoll__DeviceDesc desc = ATOLL__DEVICE_DESC__INIT;
	Atoll__VirtioDesc v = ATOLL__VIRTIO_DESC__INIT;

	v.device_id = b->o.device_id;
	v.features = b->offer;
	v.num_queues = b->num_queues;
	v.max_queue_size = b->o.queue_size;
	v.config_size = b->config_size;
	desc.model = ATOLL__DEVICE_MODEL__MODEL_VIRTIO;
	desc.virtio = &v;
	atoll_bus_reply(b->peer, m, ATOLL__MSG_TYPE__MSG_DEVICE_DESC, &desc.base,
			NULL, 0);
}

static bool any_running(const struct bridge *b)
{
	for (unsigned i = 0; i < b->num_queues; i++)
		if (b->running[i])
			return true;
	return false;
}

static void set_features(struct bridge *b, struct atoll_msg *m)
{
	uint64_t f = ((const Atoll__FeaturesSet *)m->body)->features;
	int rc;

	if (f & ~b->offer) {
		atoll_bus_reply_error(b->peer, m, EINVAL,
				      "features %#llx were not offered",
				      (unsigned long long)(f & ~b->offer));
		return;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		atoll_bus_reply_error(b->peer, m, EINVAL,
				      "legacy drivers are not supported");
		return;
	}
	if (any_running(b)) {
		atoll_bus_reply_error(b->peer, m, EBUSY, "queues are running");
		return;
	}
	rc = backend_features(b, f);
	b->features = f;
	b->features_set = rc == 0;
	answer(b, m, rc, "SET_FEATURES");
}

static const char *check_setup(const struct bridge *b,
			       const struct atoll_msg *m,
			       const Atoll__QueueSetup *s)
{
	if (s->index >= b->num_queues)
		return "no such queue";
	if (s->has_inflight)
		return "no in-flight log: a vhost-user back-end keeps its own";
	if (m->nfds != 2 || m->fds[0] < 0 || m->fds[1] < 0)
		return "wrong fds (kick, call)";
	if (!b->features_set)
		return "FEATURES_SET first";
	if (!b->mem_sent)
		return "no guest memory granted yet";
	if (s->size == 0 || s->size > b->o.queue_size ||
	    (s->size & (s->size - 1)))
		return "bad queue size";
	if (s->last_avail_idx > UINT16_MAX)
		return "last_avail_idx out of range";
	if (b->running[s->index])
		return "queue is running; QUEUE_STOP first";
	return NULL;
}

static void queue_setup(struct bridge *b, struct atoll_msg *m)
{
	const Atoll__QueueSetup *s = (const Atoll__QueueSetup *)m->body;
	const char *why = check_setup(b, m, s);
	struct bridge_queue_setup q;
	int rc;

	if (why) {
		atoll_bus_reply_error(b->peer, m, EINVAL, "queue %u: %s",
				      s->index, why);
		return;
	}
	q = (struct bridge_queue_setup){
		.index = s->index, .size = s->size,
		.last_avail = s->last_avail_idx, .desc = s->desc_addr,
		.avail = s->avail_addr, .used = s->used_addr,
		.kick_fd = m->fds[0], .call_fd = m->fds[1],
	};
	/* The back-end gets its own copies of the eventfds; the bus closes
	 * ours after this callback: the bridge holds no ring fds. */
	rc = backend_queue_start(b, &q);
	b->running[s->index] = rc == 0;
	if (rc == 0)
		log_info("queue %u: size %u, resuming at %u", s->index, s->size,
			 s->last_avail_idx);
	answer(b, m, rc, "queue setup");
}

static void queue_stop(struct bridge *b, struct atoll_msg *m)
{
	const Atoll__QueueStop *s = (const Atoll__QueueStop *)m->body;
	Atoll__QueueState st = ATOLL__QUEUE_STATE__INIT;
	uint32_t last = 0;
	int rc = 0;

	if (s->index >= b->num_queues) {
		atoll_bus_reply_error(b->peer, m, EINVAL, "no queue %u",
				      s->index);
		return;
	}
	if (b->running[s->index])
		rc = backend_queue_stop(b, s->index, &last);
	b->running[s->index] = false;
	if (rc < 0) {
		answer(b, m, rc, "GET_VRING_BASE");
		return;
	}
	st.index = s->index;
	st.last_avail_idx = last;
	atoll_bus_reply(b->peer, m, ATOLL__MSG_TYPE__MSG_QUEUE_STATE, &st.base,
			NULL, 0);
}

static bool config_in_range(const struct bridge *b, uint32_t off, size_t len)
{
	return len > 0 && off <= b->config_size && len <= b->config_size - off;
}

static void config_read(struct bridge *b, struct atoll_msg *m)
{
	const Atoll__ConfigRead *r = (const Atoll__ConfigRead *)m->body;
	Atoll__ConfigData cd = ATOLL__CONFIG_DATA__INIT;
	uint8_t buf[VU_MAX_CONFIG];
	int rc;

	if (!config_in_range(b, r->offset, r->size)) {
		atoll_bus_reply_error(b->peer, m, EINVAL,
				      "config read %u+%u outside %u bytes",
				      r->offset, r->size, b->config_size);
		return;
	}
	rc = backend_config_read(b, buf);
	if (rc < 0) {
		answer(b, m, rc, "GET_CONFIG");
		return;
	}
	cd.data.data = buf + r->offset;
	cd.data.len = r->size;
	atoll_bus_reply(b->peer, m, ATOLL__MSG_TYPE__MSG_CONFIG_DATA, &cd.base,
			NULL, 0);
}

static void config_write(struct bridge *b, struct atoll_msg *m, bool request)
{
	const Atoll__ConfigWrite *w = (const Atoll__ConfigWrite *)m->body;
	int rc = -EINVAL;

	if (config_in_range(b, w->offset, w->data.len))
		rc = backend_config_write(b, w->offset, w->data.data,
					  (uint32_t)w->data.len);
	if (rc < 0)
		log_warn("config write %u+%zu refused: %s", w->offset,
			 w->data.len, strerror(-rc));
	if (request)
		answer(b, m, rc, "SET_CONFIG");
	else if (b->vu.broken)
		bridge_backend_lost(b);
}

void bridge_stop_queues(struct bridge *b)
{
	uint32_t last;

	for (unsigned i = 0; i < b->num_queues; i++) {
		if (b->running[i] && !b->vu.broken)
			backend_queue_stop(b, i, &last);
		b->running[i] = false;
	}
	b->features_set = false;
}

static void dispatch(struct bridge *b, struct atoll_msg *m, bool request)
{
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		return reply_desc(b, m);
	case ATOLL__MSG_TYPE__MSG_FEATURES_SET:
		return set_features(b, m);
	case ATOLL__MSG_TYPE__MSG_QUEUE_SETUP:
		return queue_setup(b, m);
	case ATOLL__MSG_TYPE__MSG_QUEUE_STOP:
		return queue_stop(b, m);
	case ATOLL__MSG_TYPE__MSG_CONFIG_READ:
		return config_read(b, m);
	case ATOLL__MSG_TYPE__MSG_CONFIG_WRITE:
		return config_write(b, m, request);
	case ATOLL__MSG_TYPE__MSG_RESET:
		bridge_stop_queues(b);
		return answer(b, m, 0, "reset");
	default:
		log_warn("peer: unexpected %s",
			 atoll_msg_type_name(m->type) ?: "message");
		atoll_bus_reply_error(b->peer, m, EOPNOTSUPP,
				      "not supported by this device");
	}
}

static void on_peer_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct bridge *b = opaque;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;

	if (!request && m->type != ATOLL__MSG_TYPE__MSG_CONFIG_WRITE) {
		log_warn("peer: posted %s ignored (it is a request)",
			 atoll_msg_type_name(m->type) ?: "message");
		return;
	}
	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO)
		return reply_hello(b, m);
	if (!b->peer_hello) {
		log_warn("peer: %s before HELLO; refused",
			 atoll_msg_type_name(m->type) ?: "message");
		if (request)
			atoll_bus_reply_error(bus, m, EPROTO, "HELLO first");
		return;
	}
	dispatch(b, m, request);
}

static void on_peer_closed(atoll_bus *bus, int error, void *opaque)
{
	struct bridge *b = opaque;

	if (error)
		log_warn("peer connection cut off: %s; queues stopped",
			 strerror(-error));
	else
		log_info("peer closed the connection; queues stopped");
	peer_drop(b);
	bridge_stop_queues(b);
	if (b->vu.broken)
		bridge_backend_lost(b);
}

void peer_drop(struct bridge *b)
{
	atoll_bus_event_detach(b->peer_ev);
	b->peer_ev = NULL;
	atoll_bus_free(b->peer);
	b->peer = NULL;
	b->peer_hello = false;
}

int peer_attach(struct bridge *b, int fd)
{
	static const struct atoll_bus_callbacks cb = {
		.message = on_peer_message,
		.closed = on_peer_closed,
		.log = log_bus_cb,
	};

	if (fd < 0)
		return -EBADF;
	if (b->peer) {
		log_info("new peer connection replaces the old one");
		peer_drop(b);
	}
	bridge_stop_queues(b);
	b->peer = atoll_bus_new(fd, &cb, b);
	if (!b->peer)
		return -errno;
	b->peer_ev = atoll_bus_event_attach(b->peer, child_base(b->child));
	if (!b->peer_ev) {
		atoll_bus_free(b->peer);
		b->peer = NULL;
		return -ENOMEM;
	}
	return 0;
}
