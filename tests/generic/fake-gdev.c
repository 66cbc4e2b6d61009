/* SPDX-License-Identifier: MIT */
#include "fake-gdev.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void post_level(struct fake_gdev *f, uint32_t line, bool level)
{
	Atoll__IrqLevel l = ATOLL__IRQ_LEVEL__INIT;

	l.line = line;
	l.level = level;
	atoll_bus_post(f->bus, ATOLL__MSG_TYPE__MSG_IRQ_LEVEL, &l.base, NULL, 0);
}

static void region_read(struct fake_gdev *f, struct atoll_msg *m)
{
	const Atoll__RegionRead *r = (const Atoll__RegionRead *)m->body;
	Atoll__RegionData rd = ATOLL__REGION_DATA__INIT;
	uint8_t buf[16];
	int mode = atomic_load(&f->misbehave);
	uint32_t n = r->size;

	pthread_mutex_lock(&f->lock);
	f->reads++;
	f->last_region = r->region;
	f->last_off = r->offset;
	f->last_size = r->size;
	pthread_mutex_unlock(&f->lock);
	if (mode == FAKE_GDEV_HANG)
		return;
	if (mode == FAKE_GDEV_DIE) {
		atomic_store(&f->stop, true);
		shutdown(atoll_bus_fd(f->bus), SHUT_RDWR);
		return;
	}
	if (mode == FAKE_GDEV_LATE) {
		struct timespec ts = { f->late_ms / 1000,
				       (f->late_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (n > 8)
		n = 8;
	if (mode == FAKE_GDEV_BAD_SIZE)
		n++;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(r->region << 4 | (r->offset + i));
	if (r->region == 0 && r->offset == FAKE_GDEV_CLEAR_OFF)
		post_level(f, 0, false);
	rd.data.data = buf;
	rd.data.len = n;
	atoll_bus_reply(f->bus, m, ATOLL__MSG_TYPE__MSG_REGION_DATA, &rd.base,
			NULL, 0);
}

static void on_posted(struct fake_gdev *f, struct atoll_msg *m)
{
	pthread_mutex_lock(&f->lock);
	if (m->type == ATOLL__MSG_TYPE__MSG_REGION_WRITE) {
		const Atoll__RegionWrite *w = (const Atoll__RegionWrite *)m->body;

		f->writes++;
		f->last_region = w->region;
		f->last_off = w->offset;
		f->last_size = (uint32_t)w->data.len;
		f->last_data = 0;
		if (w->data.len <= 8)
			memcpy(&f->last_data, w->data.data, w->data.len);
	} else if (m->type == ATOLL__MSG_TYPE__MSG_REGION_PLACED) {
		const Atoll__RegionPlaced *p = (const Atoll__RegionPlaced *)m->body;

		f->placed++;
		if (p->region < 8)
			f->placed_addr[p->region] = p->address;
	}
	pthread_mutex_unlock(&f->lock);
}

static void on_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct fake_gdev *f = opaque;
	Atoll__Hello h = ATOLL__HELLO__INIT;

	if (!(m->flags & ATOLL_FRAME_NEED_REPLY)) {
		on_posted(f, m);
		return;
	}
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_HELLO:
		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_DEVICE;
		h.kind = (char *)"fake-generic";
		h.name = (char *)"gen0";
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0);
		return;
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
				&f->desc->base, NULL, 0);
		return;
	case ATOLL__MSG_TYPE__MSG_REGION_READ:
		region_read(f, m);
		return;
	default:
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "fake");
	}
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct fake_gdev *f = opaque;

	atomic_store(&f->stop, true);
}

static const struct atoll_bus_callbacks fake_cb = {
	.message = on_message,
	.closed = on_closed,
};

static void *fake_main(void *arg)
{
	struct fake_gdev *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd p[2] = {
			{ .fd = atoll_bus_fd(f->bus), .events = POLLIN },
			{ .fd = f->wake_fd, .events = POLLIN },
		};
		uint64_t n;
		bool post, level;
		uint32_t line;

		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (p[1].revents && read(f->wake_fd, &n, sizeof(n)) < 0)
			break;
		pthread_mutex_lock(&f->lock);
		post = f->post_pending;
		line = f->post_line;
		level = f->post_level;
		f->post_pending = false;
		pthread_mutex_unlock(&f->lock);
		if (post)
			post_level(f, line, level);
		if (p[0].revents && atoll_bus_dispatch(f->bus) < 0)
			break;
	}
	return NULL;
}

int fake_gdev_start(struct fake_gdev *f, int fd, const Atoll__DeviceDesc *d)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->desc = d;
	f->late_ms = 300;
	f->wake_fd = eventfd(0, EFD_CLOEXEC);
	f->bus = atoll_bus_new(fd, &fake_cb, f);
	if (f->wake_fd < 0 || !f->bus)
		return -EIO;
	return -pthread_create(&f->tid, NULL, fake_main, f);
}

void fake_gdev_stop(struct fake_gdev *f)
{
	uint64_t one = 1;

	if (f->stopped)
		return;
	f->stopped = true;
	atomic_store(&f->stop, true);
	if (write(f->wake_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(f->tid, NULL);
	atoll_bus_free(f->bus);
	close(f->wake_fd);
	pthread_mutex_destroy(&f->lock);
}

void fake_gdev_irq(struct fake_gdev *f, uint32_t line, bool level)
{
	uint64_t one = 1;

	pthread_mutex_lock(&f->lock);
	f->post_pending = true;
	f->post_line = line;
	f->post_level = level;
	pthread_mutex_unlock(&f->lock);
	if (write(f->wake_fd, &one, sizeof(one)) < 0)
		return;
}

void fake_gdev_pci_desc(Atoll__DeviceDesc *d, Atoll__GenericDesc *g,
			Atoll__RegionDesc *r, Atoll__RegionDesc **rp)
{
	atoll__device_desc__init(d);
	atoll__generic_desc__init(g);
	for (unsigned i = 0; i < 2; i++) {
		atoll__region_desc__init(&r[i]);
		r[i].mmio = true;
		rp[i] = &r[i];
	}
	r[0].index = 0;
	r[0].size = 4096;
	r[1].index = 2;
	r[1].size = 100;
	g->bus = ATOLL__GENERIC_BUS__BUS_PCI;
	g->vendor_id = 0x1234;
	g->device_id = 0x5678;
	g->subsystem_vendor_id = 0x1af4;
	g->subsystem_id = 0x1100;
	g->revision = 3;
	g->class_code = 0x0c0330;
	g->num_irqs = 1;
	g->n_regions = 2;
	g->regions = rp;
	d->model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	d->generic = g;
}

void fake_gdev_platform_desc(Atoll__DeviceDesc *d, Atoll__GenericDesc *g,
			     Atoll__RegionDesc *r, Atoll__RegionDesc **rp,
			     Atoll__DtProperty *p, Atoll__DtProperty **pp)
{
	static const uint8_t clock[4] = { 0, 0x98, 0x96, 0x80 };

	atoll__device_desc__init(d);
	atoll__generic_desc__init(g);
	atoll__region_desc__init(r);
	atoll__dt_property__init(p);
	r->index = 0;
	r->size = 0x1000;
	r->mmio = true;
	rp[0] = r;
	p->name = (char *)"clock-frequency";
	p->value.data = (uint8_t *)clock;
	p->value.len = sizeof(clock);
	pp[0] = p;
	g->bus = ATOLL__GENERIC_BUS__BUS_PLATFORM;
	g->dt_compatible = (char *)"google,goldfish-rtc";
	g->num_irqs = 1;
	g->n_regions = 1;
	g->regions = rp;
	g->n_dt_props = 1;
	g->dt_props = pp;
	d->model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	d->generic = g;
}
