/* SPDX-License-Identifier: MIT */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/bus.h>

#include "log.h"

struct vpci_peer {
	atoll_bus *bus;
	char name[64];
	bool closed;
	uint64_t capabilities;     /* from the device's HELLO */
	vpci_config_changed_fn changed;
	void *opaque;
	vpci_irq_level_fn irq_level;
	void *irq_opaque;
};

/* An IRQ_LEVEL for a line the device does not have is a violation. */
static void on_irq_level(struct vpci_peer *p, const struct atoll_msg *m)
{
	const Atoll__IrqLevel *l = (const Atoll__IrqLevel *)m->body;

	if (!p->irq_level(p->irq_opaque, l->line, l->level))
		vpci_peer_cut_off(p, "IRQ_LEVEL for a line it does not have");
}

static void on_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct vpci_peer *p = opaque;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;

	if (m->type == ATOLL__MSG_TYPE__MSG_CONFIG_CHANGED) {
		if (request)
			atoll_bus_reply_ack(bus, m);
		if (p->changed)
			p->changed(p->opaque);
		return;
	}
	if (m->type == ATOLL__MSG_TYPE__MSG_IRQ_LEVEL && p->irq_level) {
		if (request)
			atoll_bus_reply_ack(bus, m);
		on_irq_level(p, m);
		return;
	}
	log_warn("%s: unexpected %s from the device; ignored", p->name,
		 atoll_msg_type_name(m->type) ?: "frame");
	if (request)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP,
				      "the cpu server does not serve this");
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct vpci_peer *p = opaque;

	p->closed = true;
	if (error)
		log_warn("%s: device connection cut off: %s", p->name,
			 strerror(-error));
	else
		log_info("%s: device closed its connection", p->name);
}

static const struct atoll_bus_callbacks peer_cb = {
	.message = on_message,
	.closed = on_closed,
	.log = log_bus_cb,
};

/* One synchronous call; logs an Error reply's message. On 0 the caller
 * owns *reply. */
static int call(struct vpci_peer *p, uint16_t type, const ProtobufCMessage *b,
		const int *fds, unsigned nfds, int timeout_ms,
		struct atoll_msg **reply)
{
	struct atoll_msg *r = NULL;
	int rc;

	if (p->closed || atoll_bus_is_closed(p->bus))
		return -ECONNRESET;
	rc = atoll_bus_call(p->bus, type, b, fds, nfds, timeout_ms, &r);
	if (rc < 0) {
		const Atoll__Error *e = r ? (const Atoll__Error *)r->body : NULL;

		log_warn("%s: %s failed: %s%s%s", p->name,
			 atoll_msg_type_name(type), strerror(-rc),
			 e && e->message ? ": " : "",
			 e && e->message ? e->message : "");
		atoll_msg_free(r);
		return rc;
	}
	if (reply)
		*reply = r;
	else
		atoll_msg_free(r);
	return 0;
}

static int hello(struct vpci_peer *p, const char *me, int timeout_ms)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *r;
	const Atoll__Hello *in;
	int rc;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	h.kind = (char *)"cpu";
	h.name = (char *)me;
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	rc = call(p, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL, 0, timeout_ms,
		  &r);
	if (rc < 0)
		return rc;
	in = (const Atoll__Hello *)r->body;
	if (in->protocol_version != ATOLL_BUS_PROTOCOL_VERSION ||
	    in->role != ATOLL__ROLE__ROLE_DEVICE) {
		log_error("%s: HELLO with protocol %u, role %d: not a device",
			  p->name, in->protocol_version, (int)in->role);
		rc = -EPROTO;
	}
	p->capabilities = in->capabilities;
	atoll_msg_free(r);
	return rc;
}

bool vpci_peer_has_inflight(const struct vpci_peer *p)
{
	return p && (p->capabilities & ATOLL__CAPABILITY__CAP_INFLIGHT);
}

int vpci_peer_open(int fd, const char *me, const char *peer, int timeout_ms,
		   vpci_config_changed_fn changed, void *opaque,
		   struct vpci_peer **out)
{
	struct vpci_peer *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", peer ? peer : "device");
	p->changed = changed;
	p->opaque = opaque;
	p->bus = atoll_bus_new(fd, &peer_cb, p);
	if (!p->bus) {
		rc = -errno;
		free(p);
		return rc;
	}
	rc = hello(p, me ? me : "cpu", timeout_ms);
	if (rc < 0) {
		vpci_peer_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void vpci_peer_free(struct vpci_peer *p)
{
	if (!p)
		return;
	atoll_bus_free(p->bus);
	free(p);
}

void vpci_peer_set_config_changed(struct vpci_peer *p,
				  vpci_config_changed_fn fn, void *opaque)
{
	p->changed = fn;
	p->opaque = opaque;
}

void vpci_peer_set_irq_level(struct vpci_peer *p, vpci_irq_level_fn fn,
			     void *opaque)
{
	p->irq_level = fn;
	p->irq_opaque = opaque;
}

void vpci_peer_cut_off(struct vpci_peer *p, const char *why)
{
	if (p->closed)
		return;
	log_warn("%s: %s; cutting the device off", p->name, why);
	p->closed = true;
	shutdown(atoll_bus_fd(p->bus), SHUT_RDWR);
}

bool vpci_peer_alive(const struct vpci_peer *p)
{
	return p && !p->closed && !atoll_bus_is_closed(p->bus);
}

int vpci_peer_fd(const struct vpci_peer *p)
{
	return vpci_peer_alive(p) ? atoll_bus_fd(p->bus) : -1;
}

int vpci_peer_drain(struct vpci_peer *p)
{
	int rc;

	if (p->closed)
		return -ECONNRESET;
	do
		rc = atoll_bus_dispatch(p->bus);
	while (rc > 0);
	if (rc < 0) {
		p->closed = true;
		return rc;
	}
	return 0;
}

int vpci_peer_describe_msg(struct vpci_peer *p, int timeout_ms,
			   struct atoll_msg **reply)
{
	return call(p, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL, NULL, 0,
		    timeout_ms, reply);
}

int vpci_peer_virtio_desc(const struct vpci_peer *p,
			  const Atoll__DeviceDesc *dd, struct vpci_peer_desc *d)
{
	if (dd->model != ATOLL__DEVICE_MODEL__MODEL_VIRTIO || !dd->virtio) {
		log_error("%s: not a virtio device (model %d)", p->name,
			  (int)dd->model);
		return -EPROTO;
	}
	memset(d, 0, sizeof(*d));
	d->device_id = dd->virtio->device_id;
	d->features = dd->virtio->features;
	d->num_queues = dd->virtio->num_queues;
	d->max_queue_size = dd->virtio->max_queue_size;
	d->config_size = dd->virtio->config_size;
	return 0;
}

int vpci_peer_describe(struct vpci_peer *p, int timeout_ms,
		       struct vpci_peer_desc *d)
{
	struct atoll_msg *r;
	int rc = vpci_peer_describe_msg(p, timeout_ms, &r);

	if (rc < 0)
		return rc;
	rc = vpci_peer_virtio_desc(p, (const Atoll__DeviceDesc *)r->body, d);
	atoll_msg_free(r);
	return rc;
}

int vpci_peer_config_read(struct vpci_peer *p, uint32_t off, uint32_t size,
			  void *buf, int timeout_ms)
{
	Atoll__ConfigRead cr = ATOLL__CONFIG_READ__INIT;
	const Atoll__ConfigData *cd;
	struct atoll_msg *r;
	int rc;

	cr.offset = off;
	cr.size = size;
	rc = call(p, ATOLL__MSG_TYPE__MSG_CONFIG_READ, &cr.base, NULL, 0,
		  timeout_ms, &r);
	if (rc < 0)
		return rc;
	cd = (const Atoll__ConfigData *)r->body;
	if (cd->data.len != size) {
		log_warn("%s: CONFIG_READ %u+%u answered with %zu bytes",
			 p->name, off, size, cd->data.len);
		rc = -EPROTO;
	} else {
		memcpy(buf, cd->data.data, size);
	}
	atoll_msg_free(r);
	return rc;
}

int vpci_peer_config_write(struct vpci_peer *p, uint32_t off,
			   const void *data, uint32_t size, int timeout_ms)
{
	Atoll__ConfigWrite cw = ATOLL__CONFIG_WRITE__INIT;

	cw.offset = off;
	cw.data.data = (uint8_t *)data;
	cw.data.len = size;
	return call(p, ATOLL__MSG_TYPE__MSG_CONFIG_WRITE, &cw.base, NULL, 0,
		    timeout_ms, NULL);
}

int vpci_peer_features(struct vpci_peer *p, uint64_t features,
		       int timeout_ms)
{
	Atoll__FeaturesSet fs = ATOLL__FEATURES_SET__INIT;

	fs.features = features;
	return call(p, ATOLL__MSG_TYPE__MSG_FEATURES_SET, &fs.base, NULL, 0,
		    timeout_ms, NULL);
}

int vpci_peer_queue_setup(struct vpci_peer *p,
			  const struct vpci_queue_setup *s, int timeout_ms)
{
	Atoll__QueueSetup qs = ATOLL__QUEUE_SETUP__INIT;
	int fds[3] = { s->kick_fd, s->call_fd, s->inflight_fd };

	qs.index = s->index;
	qs.size = s->size;
	qs.desc_addr = s->desc;
	qs.avail_addr = s->avail;
	qs.used_addr = s->used;
	qs.last_avail_idx = s->last_avail_idx;
	qs.event_idx = s->event_idx;
	qs.has_inflight = s->inflight_fd >= 0;
	return call(p, ATOLL__MSG_TYPE__MSG_QUEUE_SETUP, &qs.base, fds,
		    qs.has_inflight ? 3 : 2,
		    timeout_ms, NULL);
}

int vpci_peer_reset(struct vpci_peer *p, int timeout_ms)
{
	return call(p, ATOLL__MSG_TYPE__MSG_RESET, NULL, NULL, 0, timeout_ms,
		    NULL);
}

int vpci_peer_region_read(struct vpci_peer *p, uint32_t region, uint64_t off,
			  uint32_t size, void *buf, int timeout_ms)
{
	Atoll__RegionRead rr = ATOLL__REGION_READ__INIT;
	const Atoll__RegionData *rd;
	struct atoll_msg *r;
	int rc;

	rr.region = region;
	rr.offset = off;
	rr.size = size;
	rc = call(p, ATOLL__MSG_TYPE__MSG_REGION_READ, &rr.base, NULL, 0,
		  timeout_ms, &r);
	if (rc < 0)
		return rc;
	rd = (const Atoll__RegionData *)r->body;
	if (rd->data.len != size) {
		log_warn("%s: REGION_READ %u+%#llx/%u answered with %zu bytes",
			 p->name, region, (unsigned long long)off, size,
			 rd->data.len);
		rc = -EPROTO;
	} else {
		memcpy(buf, rd->data.data, size);
	}
	atoll_msg_free(r);
	return rc;
}

static int post(struct vpci_peer *p, uint16_t type, const ProtobufCMessage *b)
{
	if (p->closed || atoll_bus_is_closed(p->bus))
		return -ECONNRESET;
	return atoll_bus_post(p->bus, type, b, NULL, 0);
}

int vpci_peer_region_write(struct vpci_peer *p, uint32_t region, uint64_t off,
			   const void *data, uint32_t size)
{
	Atoll__RegionWrite rw = ATOLL__REGION_WRITE__INIT;

	rw.region = region;
	rw.offset = off;
	rw.data.data = (uint8_t *)data;
	rw.data.len = size;
	return post(p, ATOLL__MSG_TYPE__MSG_REGION_WRITE, &rw.base);
}

int vpci_peer_region_placed(struct vpci_peer *p, uint32_t region,
			    uint64_t addr)
{
	Atoll__RegionPlaced rp = ATOLL__REGION_PLACED__INIT;

	rp.region = region;
	rp.address = addr;
	return post(p, ATOLL__MSG_TYPE__MSG_REGION_PLACED, &rp.base);
}
