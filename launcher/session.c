/* SPDX-License-Identifier: MIT */
/*
 * Launcher side of the session protocol. Children are untrusted: a child
 * that sends something out of order or malformed is logged and killed; it
 * never takes the launcher down.
 */
#include "session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/bus-event.h>

#include "console.h"
#include "display.h"
#include "events.h"
#include "fault-schedule.h"
#include "health.h"
#include "log.h"
#include "proc.h"
#include "qmp-input.h"
#include "replace.h"
#include "virt-map.h"

#define SESSION_TIMEOUT_MS 5000

/* A reply may arrive after the process it concerns has been restarted:
 * remember which incarnation asked. */
struct pending {
	struct proc *p;
	unsigned gen;
	bool run;          /* for RESUME/PAUSE: the state asked for */
};

static struct pending *pending_new(struct proc *p)
{
	struct pending *pd = malloc(sizeof(*pd));

	if (pd)
		*pd = (struct pending){ p, p->gen, false };
	return pd;
}

static bool pending_current(const struct pending *pd)
{
	return pd->p->gen == pd->gen && pd->p->bus && proc_alive(pd->p);
}

/* Cuts off a child that broke the protocol. */
static void session_reject(struct proc *p, const char *what)
{
	log_error("%s: %s; killing it", p->name, what);
	proc_kill(p, SIGKILL);
}

static void session_check_all_ready(struct vm *vm);
static int session_connect_peers(struct proc *cpu, struct proc *dev);

static void mem_grant_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
			    void *opaque)
{
	struct pending *pd = opaque;
	struct proc *p = pd->p;
	int rc;

	if (!pending_current(pd))
		goto out;
	if (status < 0 || reply->type != ATOLL__MSG_TYPE__MSG_MEM_GRANT) {
		log_error("%s: memory grant failed: %s", p->name,
			  status < 0 ? strerror(-status) : "unexpected reply");
		vm_shutdown(p->vm, 1, "guest memory could not be granted");
		goto out;
	}
	rc = atoll_bus_post(p->bus, ATOLL__MSG_TYPE__MSG_MEM_GRANT, reply->body,
			    reply->fds, reply->nfds);
	if (rc < 0) {
		log_error("%s: cannot pass memory grant: %s", p->name,
			  strerror(-rc));
		goto out;
	}
	p->granted = true;
	/* A device is connected to the cpu server only once it has RAM: the
	 * cpu side may set up queues (after a restart: at once). */
	if (p->dev && !p->standby && p->vm->cpu && p->vm->cpu->hello)
		session_connect_peers(p->vm->cpu, p);
out:
	free(pd);
}

static int session_grant_memory(struct proc *p)
{
	Atoll__MemGrantRequest req = ATOLL__MEM_GRANT_REQUEST__INIT;
	struct proc *mem = p->vm->mem;
	struct pending *pd = pending_new(p);
	int rc;

	if (!pd)
		return -ENOMEM;
	if (!mem->bus) {
		free(pd);
		return -ENOTCONN;
	}
	req.for_process = p->name;
	rc = atoll_bus_request(mem->bus, ATOLL__MSG_TYPE__MSG_MEM_GRANT_REQUEST,
			       &req.base, NULL, 0, SESSION_TIMEOUT_MS,
			       mem_grant_reply, pd);
	if (rc < 0)
		free(pd);
	else
		atoll_bus_event_update(mem->bus_ev);
	return rc;
}

/* A fresh socket between the cpu server and device `dev`, one end each. */
static int session_connect_peers(struct proc *cpu, struct proc *dev)
{
	Atoll__PeerConnect to_cpu = ATOLL__PEER_CONNECT__INIT;
	Atoll__PeerConnect to_dev = ATOLL__PEER_CONNECT__INIT;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	to_cpu.peer = dev->name;
	to_cpu.peer_role = ATOLL__ROLE__ROLE_DEVICE;
	to_cpu.peer_kind = dev->kind;
	to_dev.peer = cpu->name;
	to_dev.peer_role = ATOLL__ROLE__ROLE_CPU;
	to_dev.peer_kind = cpu->kind;
	rc = atoll_bus_post(dev->bus, ATOLL__MSG_TYPE__MSG_PEER_CONNECT,
			    &to_dev.base, &sv[1], 1);
	if (rc == 0)
		rc = atoll_bus_post(cpu->bus, ATOLL__MSG_TYPE__MSG_PEER_CONNECT,
				    &to_cpu.base, &sv[0], 1);
	close(sv[0]);
	close(sv[1]);
	if (rc < 0)
		log_error("cannot connect %s to %s: %s", dev->name, cpu->name,
			  strerror(-rc));
	return rc;
}

static int session_attach_console(struct proc *cpu)
{
	Atoll__ConsoleAttach msg = ATOLL__CONSOLE_ATTACH__INIT;
	int fd = console_guest_fd(cpu->vm->console);
	int rc;

	if (fd < 0)
		return -errno;
	msg.name = "serial0";
	rc = atoll_bus_post(cpu->bus, ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH,
			    &msg.base, &fd, 1);
	close(fd);
	return rc;
}

static void mem_create_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
			     void *opaque)
{
	struct pending *pd = opaque;

	if (pending_current(pd) && status < 0) {
		const Atoll__Error *e = reply ? (const Atoll__Error *)reply->body : NULL;

		log_error("memory server refused the layout: %s",
			  e && e->message ? e->message : strerror(-status));
		vm_shutdown(pd->p->vm, 1, "guest memory could not be created");
	}
	free(pd);
}

static int session_setup_mem(struct proc *mem)
{
	const struct vm_config *c = mem->vm->cfg;
	Atoll__MemRegion ram = ATOLL__MEM_REGION__INIT;
	Atoll__MemRegion *regions[] = { &ram };
	Atoll__MemLayout layout = ATOLL__MEM_LAYOUT__INIT;
	struct pending *pd;
	int rc;

	ram.name = "ram0";
	/* Guest RAM base: the machine's memory map fixes it (virt-map.h). */
	ram.guest_addr = !strcmp(c->machine, "riscv-virt") ? VIRT_DRAM_BASE : 0;
	ram.size = c->memory_bytes;
	ram.hugepages = c->hugepages;
	layout.n_regions = 1;
	layout.regions = regions;
	if (!(pd = pending_new(mem)))
		return -ENOMEM;
	rc = atoll_bus_request(mem->bus, ATOLL__MSG_TYPE__MSG_MEM_CREATE,
			       &layout.base, NULL, 0, SESSION_TIMEOUT_MS,
			       mem_create_reply, pd);
	if (rc < 0)
		free(pd);
	return rc;
}

/* What a process gets once it has said HELLO. */
static int session_setup(struct proc *p)
{
	struct vm *vm = p->vm;
	int rc;

	if (p == vm->mem)
		return session_setup_mem(p);
	if (p == vm->display)
		return 0;   /* it never gets guest RAM, only the scanout */
	if ((rc = session_grant_memory(p)) < 0)
		return rc;
	if (p == vm->cpu) {
		if ((rc = session_attach_console(p)) < 0)
			return rc;
		for (size_t i = 0; i < vm->nprocs; i++)
			if (vm->procs[i]->dev && vm->procs[i]->granted &&
			    (rc = session_connect_peers(p, vm->procs[i])) < 0)
				return rc;
	}
	return 0;
}

static void session_hello(struct proc *p, struct atoll_msg *m)
{
	const Atoll__Hello *h = (const Atoll__Hello *)m->body;
	Atoll__Hello me = ATOLL__HELLO__INIT;
	int rc;

	if (!(m->flags & ATOLL_FRAME_NEED_REPLY) || p->hello) {
		session_reject(p, "HELLO out of sequence");
		return;
	}
	if (h->protocol_version != ATOLL_BUS_PROTOCOL_VERSION) {
		atoll_bus_reply_error(p->bus, m, EPROTONOSUPPORT,
				      "protocol version %u is not supported (want %u)",
				      h->protocol_version, ATOLL_BUS_PROTOCOL_VERSION);
		session_reject(p, "unsupported protocol version");
		return;
	}
	if (h->role != p->role) {
		atoll_bus_reply_error(p->bus, m, EPROTO, "unexpected role");
		session_reject(p, "HELLO with the wrong role");
		return;
	}
	me.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	me.role = ATOLL__ROLE__ROLE_LAUNCHER;
	me.kind = "launcher";
	me.name = p->vm->cfg->name;
	me.pid = (uint32_t)getpid();
	me.sdk_version = (char *)atoll_bus_version();
	if ((rc = atoll_bus_reply(p->bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &me.base,
				  NULL, 0)) < 0) {
		log_error("%s: cannot answer HELLO: %s", p->name, strerror(-rc));
		return;
	}
	p->hello = true;
	p->caps = h->capabilities;
	log_debug("%s: hello from %s (pid %u, sdk %s)", p->name, h->kind,
		  h->pid, h->sdk_version);
	if (p->vm->stopping)
		return;    /* SHUTDOWN follows; nothing to set up */
	if (p != p->vm->mem && p->vm->mem->state != PROC_READY) {
		p->setup_pending = true;   /* grants need RAM: see session_ready */
		return;
	}
	if ((rc = session_setup(p)) < 0) {
		log_error("%s: setup failed: %s", p->name, strerror(-rc));
		proc_kill(p, SIGKILL);
	}
}

/* RAM exists now: set up the processes that said HELLO before it did. */
static void session_setup_pending(struct vm *vm)
{
	for (size_t i = 0; i < vm->nprocs; i++) {
		struct proc *p = vm->procs[i];
		int rc;

		if (!p->setup_pending)
			continue;
		p->setup_pending = false;
		if ((rc = session_setup(p)) < 0) {
			log_error("%s: setup failed: %s", p->name, strerror(-rc));
			proc_kill(p, SIGKILL);
		}
	}
}

static void session_ready(struct proc *p)
{
	struct vm *vm = p->vm;

	if (!p->hello || p->state == PROC_READY) {
		session_reject(p, "READY out of sequence");
		return;
	}
	p->state = PROC_READY;
	log_debug("%s: ready after %.1f ms", p->name,
		  (double)(now_ns() - p->started_ns) / 1e6);
	if (p->down_ns) {
		p->downtime_ms = (unsigned)((now_ns() - p->down_ns) / 1000000u);
		p->down_ns = 0;
		log_info("%s: restarted (%u) and ready, down %u ms", p->name,
			 p->restarts, p->downtime_ms);
		event_device_restarted(p);
	}
	health_start(p);
	if (p->replace)
		replace_ready(p);
	if (p == vm->mem)
		session_setup_pending(vm);
	session_check_all_ready(vm);
}

static void cpu_run_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
			  void *opaque)
{
	struct pending *pd = opaque;
	struct vm *vm = pd->p->vm;

	if (pending_current(pd)) {
		if (status < 0)
			log_error("cpu server refused to %s the guest: %s",
				  pd->run ? "resume" : "pause", strerror(-status));
		else
			vm->running = pd->run;
	}
	free(pd);
}

static void session_check_all_ready(struct vm *vm)
{
	if (vm->all_ready || vm->stopping)
		return;
	for (size_t i = 0; i < vm->nprocs; i++)
		if (vm->procs[i]->state != PROC_READY)
			return;
	vm->all_ready = true;
	fault_schedule_start(vm);
	log_info("VM '%s': %zu processes ready in %.2f ms", vm->cfg->name,
		 vm->nprocs, (double)(now_ns() - vm->t0_ns) / 1e6);
	if (!vm->cpu) {
		vm->running = true;
		return;
	}
	session_cpu_run(vm, true);
}

int session_cpu_run(struct vm *vm, bool run)
{
	Atoll__Resume resume = ATOLL__RESUME__INIT;
	Atoll__Pause pause = ATOLL__PAUSE__INIT;
	struct pending *pd;
	int rc;

	if (!vm->cpu || !vm->cpu->bus)
		return -ENOTCONN;
	if (!(pd = pending_new(vm->cpu)))
		return -ENOMEM;
	pd->run = run;
	rc = atoll_bus_request(vm->cpu->bus,
			       run ? ATOLL__MSG_TYPE__MSG_RESUME : ATOLL__MSG_TYPE__MSG_PAUSE,
			       run ? &resume.base : &pause.base, NULL, 0,
			       SESSION_TIMEOUT_MS, cpu_run_reply, pd);
	if (rc < 0) {
		free(pd);
		return rc;
	}
	atoll_bus_event_update(vm->cpu->bus_ev);
	return 0;
}

static void session_power(struct proc *p, const Atoll__PowerEvent *e)
{
	if (p != p->vm->cpu) {
		session_reject(p, "POWER_EVENT from a process that is not the cpu server");
		return;
	}
	switch (e->action) {
	case ATOLL__POWER_ACTION__POWER_OFF:
		vm_shutdown(p->vm, 0, "guest powered off");
		break;
	case ATOLL__POWER_ACTION__POWER_REBOOT:
		vm_shutdown(p->vm, 0, "guest asked for a reboot (not supported yet): stopping");
		break;
	case ATOLL__POWER_ACTION__POWER_PANIC:
		vm_shutdown(p->vm, 1, "guest panicked");
		break;
	default:
		log_warn("%s: unknown power action %d ignored", p->name, e->action);
	}
}

/* The cpu server gave up on a device (a read past its deadline): the
 * device is treated as failed: killed, then its restart policy applies as
 * after a crash. A device may not report another, nor one that is not a
 * device of this VM. */
static void session_device_fault(struct proc *p, const Atoll__DeviceFault *f)
{
	struct vm *vm = p->vm;
	struct proc *dev = NULL;

	if (p != vm->cpu) {
		session_reject(p, "DEVICE_FAULT from a process that is not the "
			       "cpu server");
		return;
	}
	for (size_t i = 0; f->device && i < vm->nprocs && !dev; i++)
		if (vm->procs[i]->dev && !strcmp(vm->procs[i]->name, f->device))
			dev = vm->procs[i];
	if (!dev) {
		log_warn("%s: DEVICE_FAULT names no device of this VM: \"%.32s\"",
			 p->name, f->device ? f->device : "");
		return;
	}
	if (!proc_alive(dev))
		return;    /* already exited: its restart policy is under way */
	log_error("%s: the cpu server reports it failed: %.160s; killing it",
		  dev->name, f->reason && *f->reason ? f->reason : "no reason");
	snprintf(dev->fault, sizeof(dev->fault), "after the cpu server "
		 "reported it failed (%.60s)",
		 f->reason && *f->reason ? f->reason : "no reason given");
	proc_kill(dev, SIGKILL);
}

static void session_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct proc *p = opaque;

	if (m->flags & ATOLL_FRAME_REPLY)
		return;
	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		session_hello(p, m);
		return;
	}
	if (!p->hello) {
		session_reject(p, "message before HELLO");
		return;
	}
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_READY:
		session_ready(p);
		return;
	case ATOLL__MSG_TYPE__MSG_POWER_EVENT:
		session_power(p, (const Atoll__PowerEvent *)m->body);
		return;
	case ATOLL__MSG_TYPE__MSG_DEVICE_FAULT:
		session_device_fault(p, (const Atoll__DeviceFault *)m->body);
		return;
	case ATOLL__MSG_TYPE__MSG_INPUT_EVENTS:
		if (p != p->vm->display)
			break;   /* only the display's clients type */
		input_forward(p->vm, (const Atoll__InputEvents *)m->body);
		return;
	case ATOLL__MSG_TYPE__MSG_SCANOUT_DIRTY:
		if (!p->dev || strcmp(p->kind, "virtio-gpu"))
			break;   /* only the scanout's writer knows */
		display_forward_dirty(p->vm, m);
		return;
	case ATOLL__MSG_TYPE__MSG_ERROR: {
		const Atoll__Error *e = (const Atoll__Error *)m->body;

		log_warn("%s reports: %s (%s)", p->name, e->message,
			 strerror(e->code));
		return;
	}
	default:
		break;
	}
	if (m->flags & ATOLL_FRAME_NEED_REPLY)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP,
				      "the launcher does not handle %s",
				      atoll_msg_type_name(m->type));
	else
		log_debug("%s: ignored posted %s", p->name,
			  atoll_msg_type_name(m->type));
}

static void session_closed(atoll_bus *bus, int error, void *opaque)
{
	struct proc *p = opaque;

	/* The pidfd watch does the bookkeeping when the process exits. A
	 * child that broke the protocol is killed so that it does too. */
	if (error < 0 && error != -ECONNRESET && !p->vm->stopping)
		session_reject(p, error == -EPROTO ? "protocol violation"
						   : "bus error");
	else
		log_debug("%s: control connection closed (%d)", p->name, error);
}

int session_attach(struct proc *p, int fd)
{
	static const struct atoll_bus_callbacks cb = {
		.message = session_message,
		.closed = session_closed,
		.log = log_bus_cb,
	};

	p->hello = false;
	p->bus = atoll_bus_new(fd, &cb, p);
	if (!p->bus)
		return -errno;
	p->bus_ev = atoll_bus_event_attach(p->bus, p->vm->base);
	if (!p->bus_ev)
		return -ENOMEM;
	return 0;
}

void session_proc_exited(struct proc *p)
{
	p->hello = false;
	p->setup_pending = false;
	p->granted = false;
}

void session_post_shutdown(struct proc *p, const char *reason)
{
	Atoll__Shutdown msg = ATOLL__SHUTDOWN__INIT;

	if (!p->bus || atoll_bus_is_closed(p->bus))
		return;
	msg.reason = (char *)reason;
	atoll_bus_post(p->bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &msg.base, NULL, 0);
}

/* The launcher's DEVICE_FAULT goes the other way: the cpu server marks the
 * device NEEDS_RESET for the guest (docs/protocol.md). */
void session_post_device_failed(struct proc *dev, const char *why)
{
	Atoll__DeviceFault msg = ATOLL__DEVICE_FAULT__INIT;
	struct proc *cpu = dev->vm->cpu;
	int rc;

	if (!cpu || !cpu->bus || !cpu->hello)
		return;
	msg.device = dev->name;
	msg.reason = (char *)why;
	rc = atoll_bus_post(cpu->bus, ATOLL__MSG_TYPE__MSG_DEVICE_FAULT,
			    &msg.base, NULL, 0);
	if (rc < 0)
		log_warn("%s: cannot tell the cpu server it failed: %s",
			 dev->name, strerror(-rc));
}

void session_connect_to_cpu(struct proc *dev)
{
	struct proc *cpu = dev->vm->cpu;

	if (cpu && cpu->hello && dev->granted && dev->bus)
		session_connect_peers(cpu, dev);
}
