/* SPDX-License-Identifier: MIT */
#include "bus-mode.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atoll/bus.h>

#include "child.h"
#include "devices.h"
#include "generic/gdev-set.h"
#include "log.h"
#include "machine/pci-host.h"
#include "machine/virt-map.h"
#include "run.h"
#include "virtio-pci/vpci-set.h"

#define MIN_RAM (16ull << 20)

struct cpu_bus {
	struct cpu_options o;
	struct child *child;
	struct cpu_run run;
	struct boot_files bf;
	void *ram;
	uint64_t ram_size;
	int console_fd;
	int ready;
	struct vpci_set *vpci;     /* virtio devices, one per PEER_CONNECT */
	struct gdev_set *gdev;     /* generic devices, likewise */
	bool booted;               /* at the first RESUME */
};

/* Builds the machine and posts READY once RAM and console are both in.
 * It boots at the first RESUME, when every device has described itself
 * and the device tree can have their nodes. */
static int maybe_ready(struct cpu_bus *c)
{
	int r;

	if (c->ready || !c->ram || c->console_fd < 0)
		return 0;
	vpci_set_ram(c->vpci, c->ram, VIRT_DRAM_BASE, c->ram_size);
	r = cpu_run_machine(&c->run, &c->o, c->ram, c->ram_size, c->console_fd,
			    c->console_fd, NULL);
	if (r < 0)
		return r;
	c->ready = 1;
	return child_post_ready(c->child, "riscv-virt created");
}

/* Every connected device was described at its PEER_CONNECT, which the
 * launcher sends before RESUME: place the ones not placed yet, then, at
 * the first RESUME only, build the device tree and load the payload. */
static int plug_and_boot(struct cpu_bus *c)
{
	int r;

	r = vpci_set_plug(c->vpci, virt_pci_host(c->run.virt));
	if (r == 0)
		r = gdev_set_plug(c->gdev, c->run.virt);
	if (r < 0 || c->booted)
		return r;
	r = cpu_run_boot(&c->run, &c->o, &c->bf);
	if (r < 0)
		return r;
	boot_files_free(&c->bf);
	c->booted = true;
	return 0;
}

static int map_region(struct cpu_bus *c, const Atoll__MemRegion *reg, int fd)
{
	struct stat st;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	void *p;

	if (reg->readonly || reg->size < MIN_RAM || reg->size % page ||
	    reg->fd_offset % page || reg->fd_offset + reg->size < reg->fd_offset) {
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
	log_warn("MEM_GRANT without a region at %#llx; still waiting for RAM",
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
	atoll_bus *bus = child_bus(c->child);
	int r;

	if (!c->ready) {
		atoll_bus_reply_error(bus, msg, EAGAIN, "machine not loaded yet");
		return;
	}
	r = plug_and_boot(c);
	if (r < 0) {
		atoll_bus_reply_error(bus, msg, -r, "cannot boot the machine");
		child_exit(c->child, CPU_EXIT_ERROR);
		return;
	}
	gdev_set_hold(c->gdev, true);
	r = virt_start(c->run.virt);
	if (r == -EINVAL) /* already running */
		r = 0;
	if (r < 0)
		atoll_bus_reply_error(bus, msg, -r, "cannot start the harts");
	else
		atoll_bus_reply_ack(bus, msg);
}

/* From the launcher, DEVICE_FAULT says it gave up on a device: the guest
 * is told through the transport's NEEDS_RESET; the VM runs on. */
static int on_device_failed(struct cpu_bus *c, struct atoll_msg *msg)
{
	const Atoll__DeviceFault *f = (const Atoll__DeviceFault *)msg->body;
	const char *name = f->device ? f->device : "";

	/* A generic device has no NEEDS_RESET: its accesses stop waiting
	 * for a restart that will not come, and read all ones. */
	if (gdev_set_gone(c->gdev, name))
		return 0;
	if (vpci_set_needs_reset(c->vpci, name, f->reason && *f->reason ?
				 f->reason : "its restart policy is spent") < 0)
		log_warn("the launcher gave up on \"%.64s\", which is not a "
			 "virtio device here", name);
	return 0;
}

static int on_posted(struct cpu_bus *c, struct atoll_msg *msg)
{
	int r;

	if (msg->type == ATOLL__MSG_TYPE__MSG_DEVICE_FAULT)
		return on_device_failed(c, msg);
	if (msg->type == ATOLL__MSG_TYPE__MSG_MEM_GRANT)
		r = on_mem_grant(c, msg);
	else if (msg->type == ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH)
		r = on_console(c, msg);
	else if (msg->type == ATOLL__MSG_TYPE__MSG_PEER_CONNECT)
		r = devices_peer_connect(c->vpci, c->gdev, child_name(c->child),
					 msg);
	else
		return -EOPNOTSUPP;
	if (r == 0)
		r = maybe_ready(c);
	if (r < 0)
		child_exit(c->child, CPU_EXIT_ERROR);
	return 0;
}

static int cpu_message(struct child *ch, struct atoll_msg *msg)
{
	struct cpu_bus *c = child_state(ch);

	if (!(msg->flags & ATOLL_FRAME_NEED_REPLY))
		return on_posted(c, msg);
	switch (msg->type) {
	case ATOLL__MSG_TYPE__MSG_RESUME:
		on_resume(c, msg);
		return 0;
	case ATOLL__MSG_TYPE__MSG_PAUSE:
		/* A hart waiting for a restarted device would hold the join
		 * (and the re-attach, which comes from here) up to the hold. */
		gdev_set_hold(c->gdev, false);
		if (c->run.virt)
			virt_stop(c->run.virt);
		atoll_bus_reply_ack(child_bus(ch), msg);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* The guest stopped for good: report it, then leave. */
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
	if (atoll_bus_post(child_bus(c->child), ATOLL__MSG_TYPE__MSG_POWER_EVENT,
			   &pe.base, NULL, 0) < 0)
		log_warn("cannot post POWER_EVENT");
	child_exit(c->child, cpu_exit_status(why));
}

/* A generic device stopped answering: the launcher applies its restart
 * policy. */
static void device_fault(void *opaque, const char *device, const char *why)
{
	struct cpu_bus *c = opaque;
	Atoll__DeviceFault df = ATOLL__DEVICE_FAULT__INIT;

	df.device = (char *)device;
	df.reason = (char *)why;
	if (atoll_bus_post(child_bus(c->child), ATOLL__MSG_TYPE__MSG_DEVICE_FAULT,
			   &df.base, NULL, 0) < 0)
		log_warn("%s: cannot post DEVICE_FAULT", device);
}

static int cpu_setup(struct child *ch)
{
	struct cpu_bus *c = child_state(ch);
	int r;

	c->child = ch;
	c->o.name = child_name(ch);
	if (cpu_options_validate(&c->o) < 0)
		return -EINVAL;
	r = cpu_run_init(&c->run, child_base(ch));
	if (r < 0)
		return r;
	c->vpci = vpci_set_new(child_base(ch), child_name(ch));
	if (!c->vpci)
		return -ENOMEM;
	c->gdev = gdev_set_new(child_base(ch), child_name(ch), device_fault, c);
	if (!c->gdev)
		return -ENOMEM;
	c->run.opaque = c;
	c->run.exited = exited;
	/* Without a grant yet, --memory bounds the boot files. */
	return boot_files_load(&c->o, c->o.memory, &c->bf);
}

static void cpu_health(struct child *ch, Atoll__HealthReport *rep)
{
	struct cpu_bus *c = child_state(ch);

	rep->status = c->ready ? (char *)"machine loaded" : (char *)"setting up";
}

static void cpu_teardown(struct child *ch)
{
	struct cpu_bus *c = child_state(ch);

	gdev_set_hold(c->gdev, false);
	if (c->run.virt)
		virt_stop(c->run.virt);
	vpci_set_free(c->vpci);    /* harts stopped: no more BAR accesses */
	c->vpci = NULL;
	gdev_set_free(c->gdev);
	c->gdev = NULL;
	cpu_run_fini(&c->run);
	boot_files_free(&c->bf);
	if (c->console_fd >= 0)
		close(c->console_fd);
	c->console_fd = -1;
	if (c->ram)
		munmap(c->ram, c->ram_size);
	c->ram = NULL;
}

static const struct child_ops cpu_ops = {
	.kind = "cpu",
	.role = ATOLL__ROLE__ROLE_CPU,
	.capabilities = ATOLL__CAPABILITY__CAP_PAUSE,
	.setup = cpu_setup,
	.message = cpu_message,
	.health = cpu_health,
	.teardown = cpu_teardown,
};

int cpu_bus_main(int argc, char **argv)
{
	struct cpu_bus c = { .console_fd = -1 };

	cpu_options_defaults(&c.o);
	c.run.wake_fd = -1;
	return child_main(argc, argv, &cpu_ops, &c, cpu_machine_options(),
			  cpu_options_apply, cpu_options_machine_usage());
}
