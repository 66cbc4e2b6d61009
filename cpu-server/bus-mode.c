/* SPDX-License-Identifier: MIT */
#include "bus-mode.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atoll/bus-event.h>
#include <atoll/bus.h>
#include <event2/event.h>

#include "log.h"
#include "machine/virt-map.h"
#include "run.h"

#define HELLO_TIMEOUT_MS 10000
#define MIN_RAM (16ull << 20)

struct cpu_bus {
	const struct cpu_options *o;
	struct cpu_run run;
	struct boot_files bf;
	atoll_bus *bus;
	atoll_bus_event *bev;
	int hello_done;
	void *ram;
	uint64_t ram_size;
	int console_fd;
	int ready_sent;
	int status;
};

static void stop_loop(struct cpu_bus *c, int status)
{
	c->status = status;
	event_base_loopbreak(c->run.base);
}

static int post_ready(struct cpu_bus *c)
{
	Atoll__Ready ready = ATOLL__READY__INIT;

	ready.detail = "riscv-virt loaded";
	return atoll_bus_post(c->bus, ATOLL__MSG_TYPE__MSG_READY, &ready.base,
			      NULL, 0);
}

/* Builds the machine once HELLO, RAM and console are all in. */
static void maybe_ready(struct cpu_bus *c)
{
	if (c->ready_sent || !c->hello_done || !c->ram || c->console_fd < 0)
		return;
	if (cpu_run_machine(&c->run, c->o, c->ram, c->ram_size, c->console_fd,
			    c->console_fd, &c->bf) < 0) {
		stop_loop(c, CPU_EXIT_ERROR);
		return;
	}
	boot_files_free(&c->bf);
	if (post_ready(c) < 0) {
		log_error("cannot post READY");
		stop_loop(c, CPU_EXIT_ERROR);
		return;
	}
	c->ready_sent = 1;
}

static int map_region(struct cpu_bus *c, const Atoll__MemRegion *reg, int fd)
{
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (reg->readonly || reg->size < MIN_RAM || reg->size % (uint64_t)page ||
	    reg->fd_offset % (uint64_t)page ||
	    reg->fd_offset + reg->size < reg->fd_offset) {
		log_error("RAM region %s: unusable (size %llu, offset %llu%s)",
			  reg->name, (unsigned long long)reg->size,
			  (unsigned long long)reg->fd_offset,
			  reg->readonly ? ", read-only" : "");
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size < reg->fd_offset + reg->size) {
		log_error("RAM region %s: memfd smaller than the region",
			  reg->name);
		return -EINVAL;
	}
	p = mmap(NULL, reg->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)reg->fd_offset);
	if (p == MAP_FAILED)
		return -errno;
	c->ram = p;
	c->ram_size = reg->size;
	return 0;
}

static int on_mem_grant(struct cpu_bus *c, struct atoll_msg *msg)
{
	const Atoll__MemGrant *g = (const Atoll__MemGrant *)msg->body;

	if (g->n_regions != msg->nfds) {
		log_error("MEM_GRANT: %zu regions but %u fds", g->n_regions,
			  msg->nfds);
		return -EPROTO;
	}
	for (size_t i = 0; i < g->n_regions; i++) {
		if (g->regions[i]->guest_addr != VIRT_DRAM_BASE)
			continue;
		if (c->ram) {
			log_error("MEM_GRANT: RAM granted twice");
			return -EPROTO;
		}
		return map_region(c, g->regions[i], msg->fds[i]);
	}
	log_warn("MEM_GRANT without a region at 0x%llx; waiting",
		 (unsigned long long)VIRT_DRAM_BASE);
	return 0;
}

static int on_console(struct cpu_bus *c, struct atoll_msg *msg)
{
	if (msg->nfds != 1 || c->console_fd >= 0) {
		log_error("CONSOLE_ATTACH: %u fds%s", msg->nfds,
			  c->console_fd >= 0 ? ", already attached" : "");
		return -EPROTO;
	}
	c->console_fd = atoll_msg_take_fd(msg, 0);
	return 0;
}

static void on_resume(struct cpu_bus *c, struct atoll_msg *msg)
{
	int r;

	if (!c->ready_sent) {
		atoll_bus_reply_error(c->bus, msg, EAGAIN, "not ready");
		return;
	}
	r = virt_start(c->run.virt);
	if (r == -EINVAL) /* already running */
		r = 0;
	if (r < 0)
		atoll_bus_reply_error(c->bus, msg, -r, "cannot start harts");
	else
		atoll_bus_reply_ack(c->bus, msg);
}

static void on_request(struct cpu_bus *c, struct atoll_msg *msg)
{
	switch (msg->type) {
	case ATOLL__MSG_TYPE__MSG_RESUME:
		on_resume(c, msg);
		break;
	case ATOLL__MSG_TYPE__MSG_PAUSE:
		if (c->run.virt)
			virt_stop(c->run.virt);
		atoll_bus_reply_ack(c->bus, msg);
		break;
	case ATOLL__MSG_TYPE__MSG_HEALTH: {
		Atoll__HealthReport h = ATOLL__HEALTH_REPORT__INIT;

		h.ok = 1;
		h.status = c->ready_sent ? "machine loaded" : "setting up";
		atoll_bus_reply(c->bus, msg, ATOLL__MSG_TYPE__MSG_HEALTH_REPORT,
				&h.base, NULL, 0);
		break;
	}
	default:
		atoll_bus_reply_error(c->bus, msg, ENOTSUP, "%s not supported",
				      atoll_msg_type_name(msg->type));
		break;
	}
}

static void on_message(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	struct cpu_bus *c = opaque;
	int r = 0;

	if (msg->flags & ATOLL_FRAME_NEED_REPLY) {
		on_request(c, msg);
		return;
	}
	switch (msg->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT:
		r = on_mem_grant(c, msg);
		break;
	case ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH:
		r = on_console(c, msg);
		break;
	case ATOLL__MSG_TYPE__MSG_SHUTDOWN:
		log_info("shutdown requested");
		stop_loop(c, CPU_EXIT_POWEROFF);
		return;
	default:
		log_debug("ignoring posted %s", atoll_msg_type_name(msg->type));
		return;
	}
	if (r < 0)
		stop_loop(c, CPU_EXIT_ERROR);
	else
		maybe_ready(c);
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct cpu_bus *c = opaque;

	log_info("bus closed (%s)", error ? strerror(-error) : "orderly");
	stop_loop(c, CPU_EXIT_ERROR);
}

static void on_hello(atoll_bus *bus, int status, struct atoll_msg *reply,
		     void *opaque)
{
	struct cpu_bus *c = opaque;

	if (status < 0 || !reply || reply->type != ATOLL__MSG_TYPE__MSG_HELLO) {
		log_error("HELLO failed: %s", status < 0 ? strerror(-status) :
			  "unexpected reply");
		stop_loop(c, CPU_EXIT_ERROR);
		return;
	}
	c->hello_done = 1;
	maybe_ready(c);
}

static const struct atoll_bus_callbacks bus_cbs = {
	.message = on_message,
	.closed = on_closed,
	.log = log_bus_cb,
};

static int send_hello(struct cpu_bus *c)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	h.kind = "cpu";
	h.name = (char *)c->o->name;
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	h.capabilities = ATOLL__CAPABILITY__CAP_PAUSE;
	return atoll_bus_request(c->bus, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				 NULL, 0, HELLO_TIMEOUT_MS, on_hello, c);
}

static void exited(struct cpu_run *r, enum virt_exit why)
{
	struct cpu_bus *c = r->opaque;
	Atoll__PowerEvent pe = ATOLL__POWER_EVENT__INIT;
	uint32_t code = 0;

	virt_exit_status(r->virt, &code, NULL);
	pe.code = (int32_t)code;
	switch (why) {
	case VIRT_POWEROFF: pe.action = ATOLL__POWER_ACTION__POWER_OFF; break;
	case VIRT_RESET: pe.action = ATOLL__POWER_ACTION__POWER_REBOOT; break;
	default: pe.action = ATOLL__POWER_ACTION__POWER_PANIC; break;
	}
	if (atoll_bus_post(c->bus, ATOLL__MSG_TYPE__MSG_POWER_EVENT, &pe.base,
			   NULL, 0) < 0)
		log_warn("cannot post POWER_EVENT");
	stop_loop(c, cpu_exit_status(why));
}

static int setup(struct cpu_bus *c, struct event_base *base)
{
	if (cpu_run_init(&c->run, base) < 0)
		return -1;
	if (boot_files_load(c->o, c->o->memory, &c->bf) < 0)
		return -1;
	c->bus = atoll_bus_new(c->o->bus_fd, &bus_cbs, c);
	if (!c->bus) {
		log_error("bus fd %d: %s", c->o->bus_fd, strerror(errno));
		return -1;
	}
	c->bev = atoll_bus_event_attach(c->bus, base);
	if (!c->bev || send_hello(c) < 0) {
		log_error("cannot start the bus session");
		return -1;
	}
	atoll_bus_event_update(c->bev);
	return 0;
}

int cpu_bus_main(const struct cpu_options *o)
{
	struct cpu_bus c = { .o = o, .console_fd = -1,
			     .status = CPU_EXIT_ERROR };
	struct event_base *base = event_base_new();

	c.run.wake_fd = -1;
	c.run.opaque = &c;
	c.run.exited = exited;
	if (base && setup(&c, base) == 0)
		event_base_dispatch(base);
	if (c.run.virt)
		virt_stop(c.run.virt);
	cpu_run_fini(&c.run);
	boot_files_free(&c.bf);
	atoll_bus_event_detach(c.bev);
	atoll_bus_free(c.bus);
	if (c.console_fd >= 0)
		close(c.console_fd);
	if (c.ram)
		munmap(c.ram, c.ram_size);
	if (base)
		event_base_free(base);
	return c.status;
}
