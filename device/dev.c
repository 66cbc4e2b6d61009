/* SPDX-License-Identifier: MIT */
/* The device object, its watches, and the control session with the
 * launcher (docs/protocol.md, "Session lifecycle"). */
#include "dev-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HELLO_TIMEOUT_MS 10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void dev_log(const atoll_dev *dev, enum atoll_log_level level,
	     const char *fmt, ...)
{
	va_list ap;

	if (!dev->cfg.log)
		return;
	va_start(ap, fmt);
	dev->cfg.log(dev->cfg.log_opaque, level, fmt, ap);
	va_end(ap);
}

void dev_bus_log(void *opaque, enum atoll_log_level level, const char *fmt,
		 va_list ap)
{
	atoll_dev *dev = opaque;

	if (dev->cfg.log)
		dev->cfg.log(dev->cfg.log_opaque, level, fmt, ap);
}

ATOLL_DEVICE_API void atoll_dev_log(atoll_dev *dev, enum atoll_log_level level,
				    const char *fmt, ...)
{
	va_list ap;

	if (!dev->cfg.log)
		return;
	va_start(ap, fmt);
	dev->cfg.log(dev->cfg.log_opaque, level, fmt, ap);
	va_end(ap);
}

ATOLL_DEVICE_API void atoll_dev_vlog(atoll_dev *dev, enum atoll_log_level level,
				     const char *fmt, va_list ap)
{
	if (dev->cfg.log)
		dev->cfg.log(dev->cfg.log_opaque, level, fmt, ap);
}

ATOLL_DEVICE_API const struct atoll_watch_ops *
atoll_dev_watch(const atoll_dev *dev, void **loop)
{
	*loop = dev->cfg.loop;
	return dev->cfg.watch;
}

/* ---- watching a bus through the program's loop ---- */

void dev_pump(atoll_bus *bus)
{
	/* A dispatch < 0 means the bus ended (its closed callback ran and
	 * removed the watch) or was freed: never touch it again. */
	for (int i = 0; i < DEV_DISPATCH_BUDGET; i++) {
		int rc = atoll_bus_dispatch(bus);

		if (rc < 0 || (rc == 0 && !atoll_bus_queued(bus)))
			return;
	}
}

static void on_bus_ready(int fd, unsigned events, void *data)
{
	dev_pump(data);
}

int dev_watch_bus(atoll_dev *dev, atoll_bus *bus)
{
	return dev->cfg.watch->add(dev->cfg.loop, atoll_bus_fd(bus),
				   ATOLL_WATCH_IN, on_bus_ready, bus);
}

void dev_unwatch_free(atoll_dev *dev, atoll_bus *bus)
{
	if (!bus)
		return;
	/* Before the free: the fd number may be reused at once. */
	dev->cfg.watch->remove(dev->cfg.loop, atoll_bus_fd(bus));
	atoll_bus_free(bus);
}

/* ---- the device ---- */

static int copy_name(char *dst, const char *src)
{
	if (!src || !*src || strlen(src) >= DEV_NAME_MAX)
		return -EINVAL;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

ATOLL_DEVICE_API atoll_dev *atoll_dev_new(const struct atoll_dev_config *cfg)
{
	atoll_dev *dev;

	if (!cfg || !cfg->watch || !cfg->watch->add || !cfg->watch->remove ||
	    (cfg->generic && dev_generic_check(cfg->generic) < 0)) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		errno = ENOMEM;
		return NULL;
	}
	dev->cfg = *cfg;
	if (copy_name(dev->kind, cfg->kind) < 0 ||
	    copy_name(dev->name, cfg->name ? cfg->name : cfg->kind) < 0) {
		free(dev);
		errno = EINVAL;
		return NULL;
	}
	if (cfg->generic) {
		dev->generic = true;
		dev->gen = *cfg->generic;
	}
	dev->cfg.generic = NULL;   /* dev->gen is the copy in force */
	vmem_init(&dev->mem);
	dev->start_ns = now_ns();
	return dev;
}

ATOLL_DEVICE_API void atoll_dev_free(atoll_dev *dev)
{
	if (!dev)
		return;
	dev_peer_drop(dev);
	dev_unwatch_free(dev, dev->ctl);
	dev->ctl = NULL;
	vmem_clear(&dev->mem);
	free(dev);
}

ATOLL_DEVICE_API void *atoll_dev_opaque(const atoll_dev *dev)
{
	return dev->cfg.opaque;
}

ATOLL_DEVICE_API const char *atoll_dev_name(const atoll_dev *dev)
{
	return dev->name;
}

ATOLL_DEVICE_API int atoll_dev_set_model(atoll_dev *dev,
					 const struct atoll_dev_model *model,
					 void *opaque)
{
	if (!model) {
		dev->model = NULL;
		dev->model_opaque = NULL;
		return 0;
	}
	if (dev->generic || dev->model || !model->message)
		return -EINVAL;
	dev->model = model;
	dev->model_opaque = opaque;
	return 0;
}

ATOLL_DEVICE_API atoll_bus *atoll_dev_peer(atoll_dev *dev)
{
	return dev->peer;
}

ATOLL_DEVICE_API atoll_bus *atoll_dev_control(atoll_dev *dev)
{
	return dev->ctl;
}

/* ---- the device's part of the control connection ---- */

static void control_reset(atoll_dev *dev)
{
	if (dev->model && dev->model->reset)
		dev->model->reset(dev->model_opaque);
}

ATOLL_DEVICE_API int atoll_dev_control_message(atoll_dev *dev, atoll_bus *bus,
					       struct atoll_msg *m)
{
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	int rc;

	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT:
		rc = dev_take_grant(dev, m);
		if (rc < 0)
			dev_log(dev, ATOLL_LOG_ERROR, "memory grant refused: %s",
				strerror(-rc));
		else
			dev_log(dev, ATOLL_LOG_INFO,
				"guest memory: %u region(s), %llu bytes",
				dev->mem.n,
				(unsigned long long)vmem_total(&dev->mem));
		if (rc == 0 && dev->cfg.memory)
			dev->cfg.memory(dev->cfg.opaque);
		if (request)
			return rc < 0 ? atoll_bus_reply_error(bus, m, -rc, "grant")
				      : atoll_bus_reply_ack(bus, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_PEER_CONNECT:
		rc = dev_peer_attach(dev, atoll_msg_take_fd(m, 0));
		if (rc < 0)
			dev_log(dev, ATOLL_LOG_ERROR, "peer connection refused: %s",
				strerror(-rc));
		if (request)
			return rc < 0 ? atoll_bus_reply_error(bus, m, -rc, "peer")
				      : atoll_bus_reply_ack(bus, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_RESET:
		control_reset(dev);
		if (request)
			atoll_bus_reply_ack(bus, m);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- the control session (atoll_dev_start) ---- */

static void session_stop(atoll_dev *dev, int status)
{
	if (dev->stopped)
		return;
	dev->stopped = true;
	if (dev->cfg.stop)
		dev->cfg.stop(dev->cfg.opaque, status);
}

static void post_ready(atoll_dev *dev)
{
	Atoll__Ready ready = ATOLL__READY__INIT;
	int rc;

	if (dev->ready_posted || !atoll_dev_has_memory(dev))
		return;
	ready.detail = (char *)"guest memory mapped";
	rc = atoll_bus_post(dev->ctl, ATOLL__MSG_TYPE__MSG_READY, &ready.base,
			    NULL, 0);
	if (rc < 0) {
		dev_log(dev, ATOLL_LOG_ERROR, "cannot post READY: %s",
			strerror(-rc));
		return;
	}
	dev->ready_posted = true;
}

static void reply_health(atoll_dev *dev, struct atoll_msg *m)
{
	Atoll__HealthReport r = ATOLL__HEALTH_REPORT__INIT;
	struct rusage ru;

	r.ok = true;
	r.uptime_ns = now_ns() - dev->start_ns;
	/* The peak: a sandboxed device has no /proc for the current RSS. */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		r.rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
	r.status = (char *)"";
	if (dev->cfg.health)
		dev->cfg.health(dev->cfg.opaque, &r);
	if (!r.status)
		r.status = (char *)"";
	atoll_bus_reply(dev->ctl, m, ATOLL__MSG_TYPE__MSG_HEALTH_REPORT,
			&r.base, NULL, 0);
}

static void on_control(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	atoll_dev *dev = opaque;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	const char *tn = atoll_msg_type_name(m->type);
	int rc;

	if (dev->stopped) {   /* leaving: refuse what the same wakeup read */
		if (request)
			atoll_bus_reply_error(bus, m, ESHUTDOWN, "shutting down");
		return;
	}
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_SHUTDOWN:
		dev_log(dev, ATOLL_LOG_INFO, "shutdown requested");
		if (request)
			atoll_bus_reply_ack(bus, m);
		session_stop(dev, 0);
		return;
	case ATOLL__MSG_TYPE__MSG_HEALTH:
		if (request)
			reply_health(dev, m);
		return;
	default:
		break;
	}
	rc = atoll_dev_control_message(dev, bus, m);
	if (rc == 0) {
		if (m->type == ATOLL__MSG_TYPE__MSG_MEM_GRANT)
			post_ready(dev);
		return;
	}
	if (dev->cfg.control_message &&
	    dev->cfg.control_message(dev->cfg.opaque, bus, m) != -EOPNOTSUPP)
		return;
	dev_log(dev, ATOLL_LOG_WARN, "unsupported %s %s",
		request ? "request" : "message", tn ? tn : "?");
	if (request)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "%s is not supported by %s",
				      tn ? tn : "?", dev->kind);
}

static void on_control_closed(atoll_bus *bus, int error, void *opaque)
{
	atoll_dev *dev = opaque;

	/* The watch must not poll a dead socket; the bus goes with the
	 * device. */
	dev->cfg.watch->remove(dev->cfg.loop, atoll_bus_fd(bus));
	if (dev->stopped)
		return;
	if (error)
		dev_log(dev, ATOLL_LOG_ERROR, "control bus cut off (%s)",
			strerror(-error));
	else
		dev_log(dev, ATOLL_LOG_ERROR, "control bus closed by the launcher");
	session_stop(dev, 1);
}

static int check_hello_reply(atoll_dev *dev, int rc, struct atoll_msg *reply)
{
	const Atoll__Hello *h;

	if (rc < 0) {
		const Atoll__Error *e = reply && reply->type ==
			ATOLL__MSG_TYPE__MSG_ERROR ? (void *)reply->body : NULL;

		dev_log(dev, ATOLL_LOG_ERROR, "HELLO refused: %s%s%s",
			strerror(-rc), e ? ": " : "", e ? e->message : "");
		return rc == -ETIMEDOUT ? rc : -EPROTO;
	}
	h = (const Atoll__Hello *)reply->body;
	if (h->protocol_version != ATOLL_BUS_PROTOCOL_VERSION) {
		dev_log(dev, ATOLL_LOG_ERROR,
			"launcher speaks bus protocol %u; this is %u",
			h->protocol_version, ATOLL_BUS_PROTOCOL_VERSION);
		return -EPROTO;
	}
	return 0;
}

ATOLL_DEVICE_API int atoll_dev_start(atoll_dev *dev, int control_fd)
{
	static const struct atoll_bus_callbacks cb = {
		.message = on_control,
		.closed = on_control_closed,
		.log = dev_bus_log,
	};
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *reply = NULL;
	int rc;

	if (dev->ctl) {
		close(control_fd);
		return -EBUSY;
	}
	dev->ctl = atoll_bus_new(control_fd, &cb, dev);
	if (!dev->ctl)
		return -errno;
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_DEVICE;
	h.kind = dev->kind;
	h.name = dev->name;
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	h.capabilities = dev->cfg.capabilities;
	rc = atoll_bus_call(dev->ctl, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL,
			    0, HELLO_TIMEOUT_MS, &reply);
	rc = check_hello_reply(dev, rc, reply);
	atoll_msg_free(reply);
	if (rc == 0)
		rc = dev_watch_bus(dev, dev->ctl);
	if (rc < 0) {
		atoll_bus_free(dev->ctl);
		dev->ctl = NULL;
		return rc;
	}
	/* Frames that arrived with the reply are queued: they do not make
	 * the fd readable. */
	dev_pump(dev->ctl);
	return 0;
}
