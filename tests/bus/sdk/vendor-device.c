/* SPDX-License-Identifier: MIT */
/*
 * A minimal out-of-tree "vendor device" built only against the installed
 * SDK:   cc vendor-device.c $(pkg-config --cflags --libs atoll-bus)
 *
 * It follows the session lifecycle of docs/protocol.md: HELLO request on
 * the control bus (--fd=N, usually 3), READY when set up, then serves
 * HEALTH, DEVICE_DESCRIBE and FAULT_INJECT until SHUTDOWN or EOF.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atoll/bus.h>

struct dev {
	atoll_bus *bus;
	unsigned long served;
	int exit_code; /* -1 while running */
};

static void describe(struct dev *d, struct atoll_msg *msg)
{
	Atoll__RegionDesc bar0 = ATOLL__REGION_DESC__INIT, *bars[] = { &bar0 };
	Atoll__GenericDesc gen = ATOLL__GENERIC_DESC__INIT;
	Atoll__DeviceDesc desc = ATOLL__DEVICE_DESC__INIT;

	bar0.size = 4096;
	bar0.mmio = 1;
	gen.vendor_id = 0x1234;
	gen.device_id = 0x5678;
	gen.n_regions = 1;
	gen.regions = bars;
	gen.dt_compatible = "acme,widget";
	desc.model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	desc.generic = &gen;
	atoll_bus_reply(d->bus, msg, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
			&desc.base, NULL, 0);
}

static void on_message(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	struct dev *d = opaque;
	Atoll__HealthReport rep = ATOLL__HEALTH_REPORT__INIT;

	switch (msg->type) {
	case ATOLL__MSG_TYPE__MSG_SHUTDOWN:
		d->exit_code = 0;
		break;
	case ATOLL__MSG_TYPE__MSG_HEALTH:
		rep.ok = 1;
		rep.status = "widget idle";
		rep.requests_completed = d->served;
		atoll_bus_reply(bus, msg, ATOLL__MSG_TYPE__MSG_HEALTH_REPORT,
				&rep.base, NULL, 0);
		break;
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		describe(d, msg);
		break;
	default:
		/* Unknown requests must still be answered. */
		if (msg->flags & ATOLL_FRAME_NEED_REPLY)
			atoll_bus_reply_error(bus, msg, ENOTSUP, "%s unsupported",
					      atoll_msg_type_name(msg->type));
		break;
	}
	d->served++;
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct dev *d = opaque;

	(void)bus;
	d->exit_code = error ? 1 : 0;
}

static int hello(struct dev *d)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *reply = NULL;
	int r;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_DEVICE;
	h.kind = "acme-widget";
	h.name = "widget0";
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	r = atoll_bus_call(d->bus, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL, 0,
			   5000, &reply);
	if (r == 0 && reply->type != ATOLL__MSG_TYPE__MSG_HELLO)
		r = -EPROTO;
	atoll_msg_free(reply);
	return r;
}

int main(int argc, char **argv)
{
	static const struct atoll_bus_callbacks cbs = {
		.message = on_message,
		.closed = on_closed,
	};
	struct dev d = { .exit_code = -1 };
	Atoll__Ready ready = ATOLL__READY__INIT;
	int fd = 3, r;

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--fd=", 5) == 0)
			fd = atoi(argv[i] + 5);
	d.bus = atoll_bus_new(fd, &cbs, &d);
	if (!d.bus) {
		fprintf(stderr, "vendor-device: fd %d: %s\n", fd, strerror(errno));
		return 1;
	}
	r = hello(&d);
	if (r < 0) {
		fprintf(stderr, "vendor-device: HELLO: %s\n", strerror(-r));
		return 1;
	}
	ready.detail = "widget ready";
	atoll_bus_post(d.bus, ATOLL__MSG_TYPE__MSG_READY, &ready.base, NULL, 0);
	while (d.exit_code < 0) {
		struct pollfd p = { .fd = atoll_bus_fd(d.bus), .events = POLLIN };

		r = atoll_bus_dispatch(d.bus);
		if (r < 0)
			break;
		/* atoll_bus_queued: frames that arrived during hello(). */
		if (r == 0 && !atoll_bus_queued(d.bus))
			poll(&p, 1, -1);
	}
	atoll_bus_free(d.bus);
	return d.exit_code < 0 ? 1 : d.exit_code;
}
