/* SPDX-License-Identifier: MIT */
/* The peer connection to atoll-cpu: its HELLO, then the device's model
 * (generic, or the one set with atoll_dev_set_model). */
#include "dev-internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void reply_hello(atoll_dev *dev, struct atoll_msg *m)
{
	const Atoll__Hello *in = (const Atoll__Hello *)m->body;
	Atoll__Hello h = ATOLL__HELLO__INIT;

	if (in->protocol_version != ATOLL_BUS_PROTOCOL_VERSION) {
		atoll_bus_reply_error(dev->peer, m, EPROTONOSUPPORT,
				      "protocol %u", in->protocol_version);
		return;
	}
	dev->peer_hello = true;
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_DEVICE;
	h.kind = dev->kind;
	h.name = dev->name;
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	/* atoll-cpu passes in-flight logs only to a device with CAP_INFLIGHT. */
	h.capabilities = dev->cfg.capabilities;
	atoll_bus_reply(dev->peer, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL,
			0);
}

static void on_peer_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	atoll_dev *dev = opaque;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	const char *tn = atoll_msg_type_name(m->type);

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		if (request)
			reply_hello(dev, m);
		return;
	}
	if (!dev->peer_hello) {
		dev_log(dev, ATOLL_LOG_WARN, "peer: %s before HELLO; refused",
			tn ? tn : "message");
		if (request)
			atoll_bus_reply_error(bus, m, EPROTO, "HELLO first");
		return;
	}
	if (dev->generic) {
		dev_generic_message(dev, bus, m);
		return;
	}
	if (dev->model) {
		dev->model->message(dev->model_opaque, bus, m);
		return;
	}
	dev_log(dev, ATOLL_LOG_WARN, "peer: %s, but the device has no model",
		tn ? tn : "message");
	if (request)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "no device model");
}

static void on_peer_closed(atoll_bus *bus, int error, void *opaque)
{
	atoll_dev *dev = opaque;

	if (error)
		dev_log(dev, ATOLL_LOG_WARN, "peer connection cut off: %s",
			strerror(-error));
	else
		dev_log(dev, ATOLL_LOG_INFO, "peer closed the connection");
	dev_peer_drop(dev);
}

void dev_peer_drop(atoll_dev *dev)
{
	bool had = dev->peer != NULL;

	dev_unwatch_free(dev, dev->peer);
	dev->peer = NULL;
	dev->peer_hello = false;
	dev->described = false;
	if (had && dev->model && dev->model->detached)
		dev->model->detached(dev->model_opaque);
}

int dev_peer_attach(atoll_dev *dev, int fd)
{
	static const struct atoll_bus_callbacks cb = {
		.message = on_peer_message,
		.closed = on_peer_closed,
		.log = dev_bus_log,
	};
	int rc;

	if (fd < 0)
		return -EBADF;
	if (dev->peer) {
		dev_log(dev, ATOLL_LOG_INFO,
			"new peer connection replaces the old one");
		dev_peer_drop(dev);
	}
	dev->peer = atoll_bus_new(fd, &cb, dev);
	if (!dev->peer)
		return -errno;
	if ((rc = dev_watch_bus(dev, dev->peer)) < 0) {
		atoll_bus_free(dev->peer);
		dev->peer = NULL;
		return rc;
	}
	if (dev->model && dev->model->attached)
		dev->model->attached(dev->model_opaque);
	return 0;
}
