/* SPDX-License-Identifier: MIT */
#include "fake-dev.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void reply_desc(struct fake_dev *f, struct atoll_msg *m)
{
	Atoll__DeviceDesc d = ATOLL__DEVICE_DESC__INIT;
	Atoll__VirtioDesc v = ATOLL__VIRTIO_DESC__INIT;

	v.device_id = FAKE_DEVICE_ID;
	v.features = f->offered;
	v.num_queues = FAKE_QUEUES;
	v.max_queue_size = FAKE_QSIZE;
	v.config_size = FAKE_CFG;
	d.model = ATOLL__DEVICE_MODEL__MODEL_VIRTIO;
	d.virtio = &v;
	atoll_bus_reply(f->bus, m, ATOLL__MSG_TYPE__MSG_DEVICE_DESC, &d.base,
			NULL, 0);
}

static void config_read(struct fake_dev *f, struct atoll_msg *m)
{
	const Atoll__ConfigRead *r = (const Atoll__ConfigRead *)m->body;
	Atoll__ConfigData cd = ATOLL__CONFIG_DATA__INIT;
	uint8_t buf[FAKE_CFG];

	pthread_mutex_lock(&f->lock);
	f->config_reads++;
	memcpy(buf, f->cfg, sizeof(buf));
	pthread_mutex_unlock(&f->lock);
	if (r->offset > FAKE_CFG || r->size > FAKE_CFG - r->offset) {
		atoll_bus_reply_error(f->bus, m, EINVAL, "out of range");
		return;
	}
	cd.data.data = buf + r->offset;
	cd.data.len = r->size;
	atoll_bus_reply(f->bus, m, ATOLL__MSG_TYPE__MSG_CONFIG_DATA, &cd.base,
			NULL, 0);
}

static void config_write(struct fake_dev *f, struct atoll_msg *m)
{
	const Atoll__ConfigWrite *w = (const Atoll__ConfigWrite *)m->body;

	pthread_mutex_lock(&f->lock);
	f->config_writes++;
	if (w->offset <= FAKE_CFG && w->data.len <= FAKE_CFG - w->offset)
		memcpy(f->cfg + w->offset, w->data.data, w->data.len);
	pthread_mutex_unlock(&f->lock);
	atoll_bus_reply_ack(f->bus, m);
}

static void queue_setup(struct fake_dev *f, struct atoll_msg *m)
{
	const Atoll__QueueSetup *s = (const Atoll__QueueSetup *)m->body;
	struct fake_queue *q;

	if (s->index >= FAKE_QUEUES || m->nfds != 2u + s->has_inflight ||
	    atomic_load(&f->refuse_setup)) {
		atoll_bus_reply_error(f->bus, m, EINVAL, "bad setup");
		return;
	}
	pthread_mutex_lock(&f->lock);
	q = &f->q[s->index];
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	if (q->call_fd >= 0)
		close(q->call_fd);
	if (q->inflight_fd >= 0)
		close(q->inflight_fd);
	q->setup = true;
	q->size = s->size;
	q->desc = s->desc_addr;
	q->avail = s->avail_addr;
	q->used = s->used_addr;
	q->last_avail = s->last_avail_idx;
	q->event_idx = s->event_idx;
	q->kick_fd = atoll_msg_take_fd(m, 0);
	q->call_fd = atoll_msg_take_fd(m, 1);
	q->inflight_fd = s->has_inflight ? atoll_msg_take_fd(m, 2) : -1;
	pthread_mutex_unlock(&f->lock);
	atoll_bus_reply_ack(f->bus, m);
}

static void on_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct fake_dev *f = opaque;
	Atoll__Hello h = ATOLL__HELLO__INIT;

	if (atomic_load(&f->hang))
		return;    /* a hung device answers nothing */
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_HELLO:
		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_DEVICE;
		h.kind = (char *)"fake";
		h.name = (char *)"fake0";
		h.capabilities = f->capabilities;
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0);
		return;
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		reply_desc(f, m);
		return;
	case ATOLL__MSG_TYPE__MSG_CONFIG_READ:
		config_read(f, m);
		return;
	case ATOLL__MSG_TYPE__MSG_CONFIG_WRITE:
		config_write(f, m);
		return;
	case ATOLL__MSG_TYPE__MSG_FEATURES_SET:
		pthread_mutex_lock(&f->lock);
		f->features = ((const Atoll__FeaturesSet *)m->body)->features;
		f->features_calls++;
		pthread_mutex_unlock(&f->lock);
		atoll_bus_reply_ack(bus, m);
		return;
	case ATOLL__MSG_TYPE__MSG_QUEUE_SETUP:
		queue_setup(f, m);
		return;
	case ATOLL__MSG_TYPE__MSG_RESET:
		pthread_mutex_lock(&f->lock);
		f->resets++;
		pthread_mutex_unlock(&f->lock);
		atoll_bus_reply_ack(bus, m);
		return;
	default:
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "fake");
	}
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct fake_dev *f = opaque;

	atomic_store(&f->stop, true);
}

static const struct atoll_bus_callbacks fake_cb = {
	.message = on_message,
	.closed = on_closed,
};

static void *fake_main(void *arg)
{
	struct fake_dev *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd p[2] = {
			{ .fd = atoll_bus_fd(f->bus), .events = POLLIN },
			{ .fd = f->wake_fd, .events = POLLIN },
		};
		uint64_t n;

		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (p[1].revents && read(f->wake_fd, &n, sizeof(n)) < 0)
			break;
		if (atomic_exchange(&f->post_changed, false))
			atoll_bus_post(f->bus, ATOLL__MSG_TYPE__MSG_CONFIG_CHANGED,
				       NULL, NULL, 0);
		if (p[0].revents && atoll_bus_dispatch(f->bus) < 0)
			break;
	}
	return NULL;
}

static int start(struct fake_dev *f, int fd, uint64_t offered, uint64_t caps)
{
	memset(f, 0, sizeof(*f));
	f->capabilities = caps;
	pthread_mutex_init(&f->lock, NULL);
	for (unsigned i = 0; i < FAKE_QUEUES; i++)
		f->q[i].kick_fd = f->q[i].call_fd = f->q[i].inflight_fd = -1;
	for (unsigned i = 0; i < FAKE_CFG; i++)
		f->cfg[i] = (uint8_t)(0x10 + i);
	f->offered = offered;
	f->wake_fd = eventfd(0, EFD_CLOEXEC);
	f->bus = atoll_bus_new(fd, &fake_cb, f);
	if (f->wake_fd < 0 || !f->bus)
		return -EIO;
	return -pthread_create(&f->tid, NULL, fake_main, f);
}

int fake_dev_start(struct fake_dev *f, int fd, uint64_t offered)
{
	return start(f, fd, offered, 0);
}

int fake_dev_start_inflight(struct fake_dev *f, int fd, uint64_t offered)
{
	return start(f, fd, offered, ATOLL__CAPABILITY__CAP_INFLIGHT);
}

void fake_dev_stop(struct fake_dev *f)
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
	for (unsigned i = 0; i < FAKE_QUEUES; i++) {
		if (f->q[i].kick_fd >= 0)
			close(f->q[i].kick_fd);
		if (f->q[i].call_fd >= 0)
			close(f->q[i].call_fd);
		if (f->q[i].inflight_fd >= 0)
			close(f->q[i].inflight_fd);
	}
	pthread_mutex_destroy(&f->lock);
}

void fake_dev_post_changed(struct fake_dev *f)
{
	uint64_t one = 1;

	atomic_store(&f->post_changed, true);
	if (write(f->wake_fd, &one, sizeof(one)) < 0)
		return;
}
