/* SPDX-License-Identifier: MIT */
/*
 * The VM's lifetime in the launcher: build the process table from the
 * config, start every process, run the event loop, and shut down leaving
 * nothing behind.
 */
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "console.h"
#include "display.h"
#include "fault.h"
#include "fault-schedule.h"
#include "launch.h"
#include "log.h"
#include "proc.h"
#include "qmp-commands.h"
#include "replace.h"
#include "session.h"
#include "unix-listen.h"

/* How long processes get to exit after SHUTDOWN before SIGKILL. */
#define SHUTDOWN_GRACE_MS 2000

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *proc_state_name(enum proc_state s)
{
	switch (s) {
	case PROC_NEW: return "new";
	case PROC_STARTING: return "starting";
	case PROC_READY: return "running";
	case PROC_BACKOFF: return "restarting";
	case PROC_EXITED: return "exited";
	case PROC_FAILED: return "needs-reset";
	}
	return "?";
}

static const struct restart_config never_restart = { RESTART_NEVER, 0, 0, 0, 0 };
static const struct restart_config display_restart = {
	RESTART_ON_FAILURE, 5, 100, 5000, 60 };

static int vm_add_proc(struct vm *vm, const char *name, const char *kind,
		       Atoll__Role role, const char *override,
		       const struct restart_config *restart, bool sandbox,
		       const struct device_config *dev)
{
	char searched[1024];
	char *binary = override ? strdup(override)
				: launch_find_binary(kind, searched, sizeof(searched));
	struct proc *p;

	if (!binary) {
		log_error("%s: no binary for kind '%s' (looked for %s)", name,
			  kind, searched);
		return -ENOENT;
	}
	p = proc_new(vm, name, kind, role, binary, restart, sandbox, dev);
	free(binary);
	if (!p)
		return -ENOMEM;
	vm->procs[vm->nprocs++] = p;
	return 0;
}

/* Every binary is found before anything starts. */
static int vm_build_procs(struct vm *vm)
{
	const struct vm_config *c = vm->cfg;
	int rc;

	vm->procs = calloc(c->ndevices + 3, sizeof(*vm->procs));
	if (!vm->procs)
		return -ENOMEM;
	/* mem and cpu hold state no restart can recover (RAM, vCPUs):
	 * their death ends the VM. */
	if ((rc = vm_add_proc(vm, "mem", "mem", ATOLL__ROLE__ROLE_MEMORY,
			      c->mem_binary, &never_restart, c->sandbox, NULL)) < 0)
		return rc;
	vm->mem = vm->procs[0];
	if (strcmp(c->machine, "none") || c->cpu_binary) {
		if ((rc = vm_add_proc(vm, "cpu", "cpu", ATOLL__ROLE__ROLE_CPU,
				      c->cpu_binary, &never_restart, c->sandbox,
				      NULL)) < 0)
			return rc;
		vm->cpu = vm->procs[1];
	}
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct device_config *d = &c->devices[i];

		if ((rc = vm_add_proc(vm, d->name, d->kind, ATOLL__ROLE__ROLE_DEVICE,
				      d->binary, &d->restart, d->sandbox, d)) < 0)
			return rc;
	}
	/* The display holds nothing the guest needs: restarted on a crash,
	 * on the socket display_open made. */
	if (c->display.vnc) {
		if ((rc = vm_add_proc(vm, "display", "display",
				      ATOLL__ROLE__ROLE_DEVICE, NULL,
				      &display_restart, c->sandbox, NULL)) < 0 ||
		    (rc = display_open(vm)) < 0)
			return rc;
		vm->display = vm->procs[vm->nprocs - 1];
	}
	return 0;
}

static bool vm_any_alive(const struct vm *vm)
{
	for (size_t i = 0; i < vm->nprocs; i++)
		if (proc_alive(vm->procs[i]))
			return true;
	return false;
}

static void vm_kill_stragglers(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	for (size_t i = 0; i < vm->nprocs; i++) {
		if (proc_alive(vm->procs[i])) {
			log_warn("%s did not exit in %d ms; killing it",
				 vm->procs[i]->name, SHUTDOWN_GRACE_MS);
			proc_kill(vm->procs[i], SIGKILL);
		}
	}
}

void vm_shutdown(struct vm *vm, int code, const char *why)
{
	if (!vm->stopping) {
		struct timeval grace = { SHUTDOWN_GRACE_MS / 1000,
					 (SHUTDOWN_GRACE_MS % 1000) * 1000 };

		vm->stopping = true;
		vm->exit_code = code;
		replace_cancel(vm);
		if (why)
			log_msg(code ? ATOLL_LOG_ERROR : ATOLL_LOG_INFO,
				"stopping VM '%s': %s", vm->cfg->name, why);
		for (size_t i = 0; i < vm->nprocs; i++) {
			struct proc *p = vm->procs[i];

			if (p->backoff_ev)
				evtimer_del(p->backoff_ev);
			if (p->cont_ev)
				evtimer_del(p->cont_ev);
			proc_kill(p, SIGCONT);   /* a hung one must hear SHUTDOWN */
			session_post_shutdown(p, why ? why : "shutdown");
		}
		vm->shutdown_ev = evtimer_new(vm->base, vm_kill_stragglers, vm);
		if (vm->shutdown_ev)
			evtimer_add(vm->shutdown_ev, &grace);
	}
	/* Called again by each exit: the loop ends with the last process. */
	if (!vm_any_alive(vm))
		event_base_loopbreak(vm->base);
}

int vm_set_running(struct vm *vm, bool run)
{
	if (vm->stopping)
		return -ESHUTDOWN;
	if (!vm->cpu) {
		vm->running = run;
		return 0;
	}
	return session_cpu_run(vm, run);
}

static void vm_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vm *vm = arg;
	char why[64];

	snprintf(why, sizeof(why), "received %s", strsignal((int)sig));
	vm_shutdown(vm, 0, why);
}

static int vm_setup_loop(struct vm *vm)
{
	static const int sigs[2] = { SIGINT, SIGTERM };
	int rc;

	signal(SIGPIPE, SIG_IGN);
	vm->base = event_base_new();
	if (!vm->base)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		vm->sig_ev[i] = evsignal_new(vm->base, sigs[i], vm_signal, vm);
		if (!vm->sig_ev[i] || evsignal_add(vm->sig_ev[i], NULL) < 0)
			return -ENOMEM;
	}
	rc = 0;
	vm->console = console_new(vm->base, vm->cfg->console, vm, &rc);
	if (!vm->console) {
		log_error("console %s: %s", vm->cfg->console,
			  unix_listen_strerror(rc));
		return rc;
	}
	if (vm->cfg->qmp && (rc = qmp_commands_start(vm)) < 0)
		return rc;
	return 0;
}

static void vm_teardown(struct vm *vm)
{
	qmp_commands_stop(vm);
	console_free(vm->console);
	fault_log_free(vm);
	fault_schedule_free(vm);
	for (size_t i = 0; i < vm->nprocs; i++)
		proc_free(vm->procs[i]);
	free(vm->procs);
	display_close(vm);
	for (int i = 0; i < 2; i++)
		if (vm->sig_ev[i])
			event_free(vm->sig_ev[i]);
	if (vm->shutdown_ev)
		event_free(vm->shutdown_ev);
	if (vm->base)
		event_base_free(vm->base);
}

int vm_run(struct vm_config *cfg, uint64_t t0_ns)
{
	struct vm vm = { .cfg = cfg, .t0_ns = t0_ns };
	int rc;

	if ((rc = vm_build_procs(&vm)) < 0 || (rc = vm_setup_loop(&vm)) < 0) {
		vm_teardown(&vm);
		return 1;
	}
	for (size_t i = 0; i < vm.nprocs; i++) {
		if (proc_start(vm.procs[i]) < 0) {
			vm_shutdown(&vm, 1, "a process could not be started");
			break;
		}
	}
	event_base_dispatch(vm.base);
	/* Only reached once no process is alive (vm_shutdown) */
	rc = vm.exit_code;
	vm_teardown(&vm);
	return rc;
}
