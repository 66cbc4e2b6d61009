/* SPDX-License-Identifier: MIT */
/*
 * libatoll-device against fakes built from raw libatoll-bus: a cpu server
 * on the peer connection and a launcher on the control connection. The
 * device runs on a poll loop of the test's own (no libevent), which is
 * what the SDK promises a vendor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/device.h>

#include "test-util.h"

/* ---- a poll loop for struct atoll_watch_ops ---- */

#define MAX_WATCH 8
struct loop {
	struct { int fd; atoll_watch_cb cb; void *data; } w[MAX_WATCH];
	unsigned n;
};

static int loop_add(void *l, int fd, unsigned events, atoll_watch_cb cb,
		    void *data)
{
	struct loop *lp = l;

	for (unsigned i = 0; i < lp->n; i++)
		if (lp->w[i].fd == fd) {
			lp->w[i].cb = cb;
			lp->w[i].data = data;
			return 0;
		}
	if (lp->n == MAX_WATCH)
		return -ENOSPC;
	lp->w[lp->n].fd = fd;
	lp->w[lp->n].cb = cb;
	lp->w[lp->n].data = data;
	lp->n++;
	return 0;
}

static void loop_remove(void *l, int fd)
{
	struct loop *lp = l;

	for (unsigned i = 0; i < lp->n; i++)
		if (lp->w[i].fd == fd) {
			lp->w[i] = lp->w[--lp->n];
			return;
		}
}

static const struct atoll_watch_ops loop_ops = { loop_add, loop_remove };

/* One pass: runs the callback of every watched fd that is readable. */
static void loop_run(struct loop *lp)
{
	struct pollfd p[MAX_WATCH];
	unsigned n = lp->n;

	for (unsigned i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = lp->w[i].fd, .events = POLLIN };
	if (poll(p, n, 100) <= 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* The fd may have been removed by an earlier callback. */
		for (unsigned j = 0; j < lp->n; j++)
			if (lp->w[j].fd == p[i].fd) {
				lp->w[j].cb(p[i].fd, ATOLL_WATCH_IN, lp->w[j].data);
				break;
			}
	}
}

/* ---- the device under test: a platform device with one window ---- */

#define WIN_SIZE 0x100u
static struct loop lp;
static atoll_dev *dev;
static uint64_t last_write_off, last_write_val;
static unsigned writes, reads;
static int stop_status;

static uint64_t win_read(void *opaque, uint32_t index, uint64_t off,
			 unsigned size)
{
	reads++;
	/* Offset 0x10 is an interrupt status register: reading clears it. */
	if (off == 0x10)
		atoll_dev_irq_set(dev, 0, false);
	return 0x1122334455667788ull + off;
}

static void win_write(void *opaque, uint32_t index, uint64_t off,
		      unsigned size, uint64_t val)
{
	writes++;
	last_write_off = off;
	last_write_val = val;
}

static const struct atoll_dev_region win = {
	.index = 0, .size = WIN_SIZE, .read = win_read, .write = win_write,
};
static const uint8_t prop_val[4] = { 0, 0, 0, 42 };
static const struct atoll_dev_dt_prop prop = { "acme,cells", prop_val, 4 };
static const struct atoll_dev_generic gen = {
	.bus = ATOLL_DEV_BUS_PLATFORM,
	.regions = &win, .num_regions = 1,
	.num_irqs = 2,
	.dt_compatible = "acme,widget",
	.dt_props = &prop, .num_dt_props = 1,
};

static void on_stop(void *opaque, int status)
{
	stop_status = status;
}

static atoll_dev *new_dev(const struct atoll_dev_generic *g)
{
	struct atoll_dev_config c = {
		.kind = "widget", .name = "w0", .watch = &loop_ops, .loop = &lp,
		.generic = g, .stop = on_stop,
	};

	return atoll_dev_new(&c);
}

static void setup(void)
{
	memset(&lp, 0, sizeof(lp));
	reads = writes = 0;
	stop_status = -1;
	dev = new_dev(&gen);
	ck_assert_ptr_nonnull(dev);
}

static void teardown(void)
{
	atoll_dev_free(dev);
	dev = NULL;
	ck_assert_uint_eq(lp.n, 0);   /* every watch was removed */
}

/* ---- guest memory ---- */

#define RAM_GPA 0x80000000ull
#define RAM_SIZE 0x10000ull

static int ram_memfd(void)
{
	int fd = memfd_create("ram", MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, RAM_SIZE), 0);
	return fd;
}

/* Delivers a MEM_GRANT of RAM (read-write) and a read-only page after it,
 * as the launcher posts it. */
static int grant(atoll_dev *d, int fd, int rofd)
{
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, r1 = ATOLL__MEM_REGION__INIT;
	Atoll__MemRegion *rs[] = { &r0, &r1 };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	struct atoll_msg m = { .type = ATOLL__MSG_TYPE__MSG_MEM_GRANT };

	r0.guest_addr = RAM_GPA;
	r0.size = RAM_SIZE;
	r1.guest_addr = RAM_GPA + RAM_SIZE;
	r1.size = 4096;
	r1.readonly = true;
	g.regions = rs;
	g.n_regions = 2;
	m.body = &g.base;
	m.fds[0] = fd;
	m.fds[1] = rofd;
	m.nfds = 2;
	return atoll_dev_control_message(d, NULL, &m);
}

START_TEST(dma_inside_the_grant_only)
{
	int fd = ram_memfd(), rofd = ram_memfd();
	uint8_t buf[16] = { 1, 2, 3 }, back[16];

	ck_assert(!atoll_dev_has_memory(dev));
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA, back, 4), -EFAULT);
	CHECK_RET(grant(dev, fd, rofd), 0);
	close(fd);
	close(rofd);   /* the device keeps mappings, not fds */
	ck_assert(atoll_dev_has_memory(dev));
	ck_assert_uint_eq(atoll_dev_memory_size(dev), RAM_SIZE + 4096);

	CHECK_RET(atoll_dev_dma_write(dev, RAM_GPA + RAM_SIZE - 16, buf, 16), 0);
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA + RAM_SIZE - 16, back, 16), 0);
	ck_assert_mem_eq(buf, back, 16);
	/* One byte past the region, below it, wrapping, empty. */
	CHECK_RET(atoll_dev_dma_write(dev, RAM_GPA + RAM_SIZE - 15, buf, 16), -EFAULT);
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA - 1, back, 2), -EFAULT);
	CHECK_RET(atoll_dev_dma_read(dev, UINT64_MAX - 3, back, 8), -EFAULT);
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA, back, 0), -EINVAL);
	/* A range across two regions is refused even though both exist. */
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA + RAM_SIZE - 8, back, 16), -EFAULT);
	/* The read-only region reads but is never written. */
	CHECK_RET(atoll_dev_dma_read(dev, RAM_GPA + RAM_SIZE, back, 16), 0);
	CHECK_RET(atoll_dev_dma_write(dev, RAM_GPA + RAM_SIZE, buf, 16), -EFAULT);
	ck_assert_ptr_null(atoll_dev_dma_ptr(dev, RAM_GPA + RAM_SIZE, 1, true));
	ck_assert_ptr_nonnull(atoll_dev_dma_ptr(dev, RAM_GPA, RAM_SIZE, true));
	ck_assert_ptr_null(atoll_dev_dma_ptr(dev, RAM_GPA, RAM_SIZE + 1, false));
}
END_TEST

START_TEST(grant_checked)
{
	int fd = ram_memfd();
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, *rs[] = { &r0 };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	struct atoll_msg m = { .type = ATOLL__MSG_TYPE__MSG_MEM_GRANT };

	/* A region larger than its memfd would SIGBUS on access. */
	r0.guest_addr = RAM_GPA;
	r0.size = RAM_SIZE * 2;
	g.regions = rs;
	g.n_regions = 1;
	m.body = &g.base;
	m.fds[0] = fd;
	m.nfds = 1;
	CHECK_RET(atoll_dev_control_message(dev, NULL, &m), 0);
	ck_assert(!atoll_dev_has_memory(dev));
	/* Region count and fd count disagree. */
	r0.size = RAM_SIZE;
	m.nfds = 0;
	CHECK_RET(atoll_dev_control_message(dev, NULL, &m), 0);
	ck_assert(!atoll_dev_has_memory(dev));
	m.nfds = 1;
	CHECK_RET(atoll_dev_control_message(dev, NULL, &m), 0);
	ck_assert(atoll_dev_has_memory(dev));
	close(fd);
	/* Not the device's business. */
	m.type = ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH;
	CHECK_RET(atoll_dev_control_message(dev, NULL, &m), -EOPNOTSUPP);
}
END_TEST

START_TEST(descriptions_checked)
{
	struct atoll_dev_region r2[2] = { win, win };
	struct atoll_dev_generic g = gen;
	atoll_dev *d;

	g.dt_compatible = NULL;            /* platform needs a compatible */
	ck_assert_ptr_null(new_dev(&g));
	g = gen;
	g.regions = r2;
	g.num_regions = 2;                 /* duplicate index */
	ck_assert_ptr_null(new_dev(&g));
	r2[1].index = 1;
	r2[1].size = 0;                    /* empty region */
	ck_assert_ptr_null(new_dev(&g));
	g = gen;
	g.bus = ATOLL_DEV_BUS_PCI;         /* PCI: INTA# only */
	ck_assert_ptr_null(new_dev(&g));
	g.num_irqs = 1;
	d = new_dev(&g);
	ck_assert_ptr_nonnull(d);
	atoll_dev_free(d);
	g.num_irqs = ATOLL_DEV_MAX_IRQS + 1;
	g.bus = ATOLL_DEV_BUS_PLATFORM;
	ck_assert_ptr_null(new_dev(&g));
	g = gen;
	g.num_regions = 0;
	ck_assert_ptr_null(new_dev(&g));
	CHECK_RET(atoll_dev_irq_set(dev, 2, true), -EINVAL);
}
END_TEST

/* ---- a fake cpu server on the peer connection ---- */

enum { MAXEV = 16 };
static struct {
	atoll_bus *bus;
	/* What arrived, in order: message types (posted) and replies. */
	uint16_t order[MAXEV];
	unsigned norder;
	int status;                        /* of the last reply */
	uint8_t data[16];
	size_t len;
	uint32_t errcode;
	Atoll__IrqLevel levels[MAXEV];
	unsigned nlevels;
	Atoll__DeviceDesc *desc;
} cpu;

static void cpu_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	if (cpu.norder < MAXEV)
		cpu.order[cpu.norder++] = m->type;
	if (m->type == ATOLL__MSG_TYPE__MSG_IRQ_LEVEL && cpu.nlevels < MAXEV)
		cpu.levels[cpu.nlevels++] = *(Atoll__IrqLevel *)m->body;
}

static void cpu_closed(atoll_bus *bus, int error, void *opaque) {}

static void cpu_reply(atoll_bus *bus, int status, struct atoll_msg *r,
		      void *opaque)
{
	cpu.status = status;
	if (cpu.norder < MAXEV)
		cpu.order[cpu.norder++] = r ? r->type : 0;
	if (r && r->type == ATOLL__MSG_TYPE__MSG_REGION_DATA) {
		const Atoll__RegionData *d = (const Atoll__RegionData *)r->body;

		cpu.len = d->data.len < 16 ? d->data.len : 16;
		memcpy(cpu.data, d->data.data, cpu.len);
	}
	if (r && r->type == ATOLL__MSG_TYPE__MSG_DEVICE_DESC) {
		/* Keep a copy past the callback: pack, unpack. */
		size_t n = protobuf_c_message_get_packed_size(r->body);
		uint8_t *buf = malloc(n);

		protobuf_c_message_pack(r->body, buf);
		cpu.desc = atoll__device_desc__unpack(NULL, n, buf);
		free(buf);
	}
	if (r && r->type == ATOLL__MSG_TYPE__MSG_ERROR)
		cpu.errcode = ((const Atoll__Error *)r->body)->code;
}

/* Sends a request and runs device and cpu until its answer arrived. */
static int cpu_request(uint16_t type, const ProtobufCMessage *body)
{
	unsigned before = cpu.norder;

	cpu.status = 1;
	cpu.errcode = 0;
	CHECK_OK(atoll_bus_request(cpu.bus, type, body, NULL, 0, 2000,
				   cpu_reply, NULL));
	for (int i = 0; i < 50 && cpu.status == 1; i++) {
		loop_run(&lp);
		while (atoll_bus_dispatch(cpu.bus) > 0)
			;
	}
	ck_assert_int_ne(cpu.status, 1);
	ck_assert_uint_gt(cpu.norder, before);
	return cpu.status;
}

/* Posts a message and runs the device once. */
static void cpu_post(uint16_t type, const ProtobufCMessage *body)
{
	CHECK_OK(atoll_bus_post(cpu.bus, type, body, NULL, 0));
	loop_run(&lp);
}

static void cpu_connect(bool hello)
{
	static const struct atoll_bus_callbacks cb = {
		.message = cpu_message, .closed = cpu_closed,
	};
	int sv[2];
	struct atoll_msg m = { .type = ATOLL__MSG_TYPE__MSG_PEER_CONNECT };
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	Atoll__Hello h = ATOLL__HELLO__INIT;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	memset(&cpu, 0, sizeof(cpu));
	cpu.bus = atoll_bus_new(sv[0], &cb, NULL);
	ck_assert_ptr_nonnull(cpu.bus);
	m.body = &pc.base;
	m.fds[0] = sv[1];
	m.nfds = 1;
	CHECK_RET(atoll_dev_control_message(dev, NULL, &m), 0);
	ck_assert_int_eq(m.fds[0], -1);   /* the device took the socket */
	ck_assert_ptr_nonnull(atoll_dev_peer(dev));
	if (!hello)
		return;
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	CHECK_RET(cpu_request(ATOLL__MSG_TYPE__MSG_HELLO, &h.base), 0);
}

static void cpu_free(void)
{
	atoll_bus_free(cpu.bus);
	cpu.bus = NULL;
	if (cpu.desc)
		atoll__device_desc__free_unpacked(cpu.desc, NULL);
	cpu.desc = NULL;
}

static int region_read(uint32_t region, uint64_t off, uint32_t size)
{
	Atoll__RegionRead rr = ATOLL__REGION_READ__INIT;

	rr.region = region;
	rr.offset = off;
	rr.size = size;
	return cpu_request(ATOLL__MSG_TYPE__MSG_REGION_READ, &rr.base);
}

START_TEST(hello_first)
{
	cpu_connect(false);
	CHECK_RET(region_read(0, 0, 4), -EPROTO);
	ck_assert_uint_eq(reads, 0);
	cpu_free();
}
END_TEST

START_TEST(describe)
{
	const Atoll__GenericDesc *g;

	cpu_connect(true);
	CHECK_RET(cpu_request(ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL), 0);
	ck_assert_ptr_nonnull(cpu.desc);
	ck_assert_int_eq(cpu.desc->model, ATOLL__DEVICE_MODEL__MODEL_GENERIC);
	g = cpu.desc->generic;
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(g->bus, ATOLL__GENERIC_BUS__BUS_PLATFORM);
	ck_assert_str_eq(g->dt_compatible, "acme,widget");
	ck_assert_uint_eq(g->n_regions, 1);
	ck_assert_uint_eq(g->regions[0]->size, WIN_SIZE);
	ck_assert(g->regions[0]->mmio);
	ck_assert_uint_eq(g->num_irqs, 2);
	ck_assert_uint_eq(g->n_dt_props, 1);
	ck_assert_str_eq(g->dt_props[0]->name, "acme,cells");
	ck_assert_mem_eq(g->dt_props[0]->value.data, prop_val, 4);
	cpu_free();
}
END_TEST

START_TEST(reads_and_writes_checked)
{
	Atoll__RegionWrite rw = ATOLL__REGION_WRITE__INIT;
	uint8_t val[4] = { 0xef, 0xbe, 0xad, 0xde };

	cpu_connect(true);
	CHECK_RET(region_read(0, 0x20, 4), 0);
	ck_assert_uint_eq(cpu.len, 4);
	/* 0x1122334455667788 + 0x20, low 4 bytes, little-endian. */
	ck_assert_uint_eq(cpu.data[0], 0xa8);
	ck_assert_uint_eq(cpu.data[3], 0x55);
	CHECK_RET(region_read(0, WIN_SIZE - 8, 8), 0);
	ck_assert_uint_eq(cpu.len, 8);
	ck_assert_uint_eq(reads, 2);
	/* Refused before the callback: past the end, odd size, no region,
	 * an offset that wraps. */
	CHECK_RET(region_read(0, WIN_SIZE - 4, 8), -EINVAL);
	CHECK_RET(region_read(0, 0, 3), -EINVAL);
	CHECK_RET(region_read(0, 0, 0), -EINVAL);
	CHECK_RET(region_read(7, 0, 4), -EINVAL);
	CHECK_RET(region_read(0, UINT64_MAX - 1, 4), -EINVAL);
	ck_assert_uint_eq(reads, 2);

	rw.region = 0;
	rw.offset = 0x40;
	rw.data.data = val;
	rw.data.len = 4;
	cpu_post(ATOLL__MSG_TYPE__MSG_REGION_WRITE, &rw.base);
	ck_assert_uint_eq(writes, 1);
	ck_assert_uint_eq(last_write_off, 0x40);
	ck_assert_uint_eq(last_write_val, 0xdeadbeef);
	rw.offset = WIN_SIZE - 2;          /* crosses the end */
	cpu_post(ATOLL__MSG_TYPE__MSG_REGION_WRITE, &rw.base);
	rw.offset = 0;
	rw.data.len = 3;
	cpu_post(ATOLL__MSG_TYPE__MSG_REGION_WRITE, &rw.base);
	ck_assert_uint_eq(writes, 1);
	/* Still serving after all that. */
	CHECK_RET(region_read(0, 0, 1), 0);
	cpu_free();
}
END_TEST

START_TEST(irq_level_before_read_answer)
{
	cpu_connect(true);
	/* Before DEVICE_DESC the level is kept, and posted with it. */
	CHECK_RET(atoll_dev_irq_set(dev, 0, true), 0);
	ck_assert(atoll_dev_irq_get(dev, 0));
	CHECK_RET(cpu_request(ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL), 0);
	while (atoll_bus_dispatch(cpu.bus) > 0)
		;
	ck_assert_uint_eq(cpu.nlevels, 1);
	ck_assert_uint_eq(cpu.levels[0].line, 0);
	ck_assert(cpu.levels[0].level);
	/* Setting a line to the level it has posts nothing. */
	CHECK_RET(atoll_dev_irq_set(dev, 0, true), 0);
	CHECK_RET(atoll_dev_irq_set(dev, 1, false), 0);
	cpu.norder = 0;
	/* Reading the status register lowers line 0 inside the callback:
	 * atoll-cpu must see the line low before the read's data. */
	CHECK_RET(region_read(0, 0x10, 4), 0);
	ck_assert_uint_eq(cpu.nlevels, 2);
	ck_assert(!cpu.levels[1].level);
	ck_assert_uint_eq(cpu.norder, 2);
	ck_assert_uint_eq(cpu.order[0], ATOLL__MSG_TYPE__MSG_IRQ_LEVEL);
	ck_assert_uint_eq(cpu.order[1], ATOLL__MSG_TYPE__MSG_REGION_DATA);
	ck_assert(!atoll_dev_irq_get(dev, 0));
	cpu_free();
}
END_TEST

START_TEST(peer_gone_and_back)
{
	cpu_connect(true);
	cpu_free();                        /* atoll-cpu crashed */
	for (int i = 0; i < 5 && atoll_dev_peer(dev); i++)
		loop_run(&lp);
	ck_assert_ptr_null(atoll_dev_peer(dev));
	ck_assert_uint_eq(lp.n, 0);
	CHECK_RET(atoll_dev_irq_set(dev, 1, true), 0);   /* kept */
	cpu_connect(true);                 /* a restarted atoll-cpu */
	CHECK_RET(region_read(0, 0, 4), 0);
	cpu_free();
}
END_TEST

/* ---- the control session against a fake launcher ---- */

static struct {
	int fd;
	atoll_bus *bus;
	bool ready;
	int health;
} launcher;

static void launcher_message(atoll_bus *bus, struct atoll_msg *m, void *o)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_LAUNCHER;
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0);
	}
	if (m->type == ATOLL__MSG_TYPE__MSG_READY)
		launcher.ready = true;
}

static void launcher_closed(atoll_bus *bus, int error, void *o) {}

/* The launcher answers the device's (blocking) HELLO from a thread. */
static void *launcher_hello(void *arg)
{
	struct pollfd p = { .fd = launcher.fd, .events = POLLIN };

	if (poll(&p, 1, 5000) == 1)
		atoll_bus_dispatch(launcher.bus);
	return NULL;
}

static void health_reply(atoll_bus *bus, int status, struct atoll_msg *r,
			 void *o)
{
	launcher.health = status == 0 && ((Atoll__HealthReport *)r->body)->ok;
}

static void run_both(void)
{
	loop_run(&lp);
	while (atoll_bus_dispatch(launcher.bus) > 0)
		;
}

START_TEST(control_session)
{
	static const struct atoll_bus_callbacks cb = {
		.message = launcher_message, .closed = launcher_closed,
	};
	int sv[2], fd = ram_memfd();
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, *rs[] = { &r0 };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	pthread_t t;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	memset(&launcher, 0, sizeof(launcher));
	launcher.fd = sv[0];
	launcher.bus = atoll_bus_new(sv[0], &cb, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, launcher_hello, NULL), 0);
	CHECK_RET(atoll_dev_start(dev, sv[1]), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(lp.n, 1);

	r0.guest_addr = RAM_GPA;
	r0.size = RAM_SIZE;
	g.regions = rs;
	g.n_regions = 1;
	CHECK_OK(atoll_bus_post(launcher.bus, ATOLL__MSG_TYPE__MSG_MEM_GRANT,
				&g.base, &fd, 1));
	close(fd);
	for (int i = 0; i < 10 && !launcher.ready; i++)
		run_both();
	ck_assert(launcher.ready);
	ck_assert(atoll_dev_has_memory(dev));

	CHECK_OK(atoll_bus_request(launcher.bus, ATOLL__MSG_TYPE__MSG_HEALTH,
				   NULL, NULL, 0, 2000, health_reply, NULL));
	for (int i = 0; i < 10 && !launcher.health; i++)
		run_both();
	ck_assert(launcher.health);

	ck_assert_int_eq(stop_status, -1);
	CHECK_OK(atoll_bus_post(launcher.bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN,
				NULL, NULL, 0));
	for (int i = 0; i < 10 && stop_status < 0; i++)
		run_both();
	ck_assert_int_eq(stop_status, 0);
	atoll_bus_free(launcher.bus);
}
END_TEST

START_TEST(control_lost)
{
	static const struct atoll_bus_callbacks cb = {
		.message = launcher_message, .closed = launcher_closed,
	};
	int sv[2];
	pthread_t t;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	memset(&launcher, 0, sizeof(launcher));
	launcher.fd = sv[0];
	launcher.bus = atoll_bus_new(sv[0], &cb, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, launcher_hello, NULL), 0);
	CHECK_RET(atoll_dev_start(dev, sv[1]), 0);
	pthread_join(t, NULL);
	atoll_bus_free(launcher.bus);      /* the launcher is gone */
	for (int i = 0; i < 10 && stop_status < 0; i++)
		loop_run(&lp);
	ck_assert_int_eq(stop_status, 1);
	ck_assert_uint_eq(lp.n, 0);
}
END_TEST

static Suite *device_suite(void)
{
	Suite *s = suite_create("device");
	TCase *t = tcase_create("sdk");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, dma_inside_the_grant_only);
	tcase_add_test(t, grant_checked);
	tcase_add_test(t, descriptions_checked);
	tcase_add_test(t, hello_first);
	tcase_add_test(t, describe);
	tcase_add_test(t, reads_and_writes_checked);
	tcase_add_test(t, irq_level_before_read_answer);
	tcase_add_test(t, peer_gone_and_back);
	tcase_add_test(t, control_session);
	tcase_add_test(t, control_lost);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(device_suite)
