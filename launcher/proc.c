/* SPDX-License-Identifier: MIT */
/*
 * Supervision of one child: it is spawned with its control socket at fd 3,
 * watched through a pidfd in the event loop (no SIGCHLD races, no pid
 * reuse), and restarted per its restart policy with exponential backoff.
 */
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <atoll/bus-event.h>

#include "events.h"
#include "health.h"
#include "launch.h"
#include "log.h"
#include "replace.h"
#include "session.h"
#include "spawn.h"

struct proc *proc_new(struct vm *vm, const char *name, const char *kind,
		      Atoll__Role role, const char *binary,
		      const struct restart_config *restart, bool sandbox,
		      const struct device_config *dev)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->vm = vm;
	p->name = strdup(name);
	p->kind = strdup(kind);
	p->binary = strdup(binary);
	if (!p->name || !p->kind || !p->binary) {
		proc_free(p);
		return NULL;
	}
	p->role = role;
	p->restart = *restart;
	p->sandbox = sandbox;
	p->dev = dev;
	if (dev)
		p->health = dev->health;
	p->pid = -1;
	p->pidfd = -1;
	p->notify_fd = -1;
	return p;
}

static void proc_close_bus(struct proc *p)
{
	atoll_bus_event_detach(p->bus_ev);
	p->bus_ev = NULL;
	atoll_bus_free(p->bus);
	p->bus = NULL;
	p->hello = false;
}

static void proc_unwatch_notify(struct proc *p)
{
	if (p->notify_ev)
		event_free(p->notify_ev);
	p->notify_ev = NULL;
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	p->notify_fd = -1;
}

static void proc_unwatch(struct proc *p)
{
	proc_unwatch_notify(p);
	if (p->pidfd_ev)
		event_free(p->pidfd_ev);
	p->pidfd_ev = NULL;
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->pid = -1;
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	proc_close_bus(p);
	proc_unwatch(p);
	if (p->backoff_ev)
		event_free(p->backoff_ev);
	health_stop(p);
	if (p->health_ev)
		event_free(p->health_ev);
	if (p->cont_ev)
		event_free(p->cont_ev);
	free(p->name);
	free(p->kind);
	free(p->binary);
	free(p);
}

bool proc_alive(const struct proc *p)
{
	return p->pidfd >= 0;
}

void proc_kill(struct proc *p, int sig)
{
	if (p->pidfd >= 0 && pidfd_send_signal(p->pidfd, sig, NULL, 0) < 0 &&
	    errno != ESRCH)
		log_warn("%s: cannot send signal %d: %s", p->name, sig,
			 strerror(errno));
}

void proc_describe_exit(const struct proc *p, char *buf, size_t size)
{
	int code = p->last_status >> 8, val = p->last_status & 0xff;

	if (p->violation[0])
		snprintf(buf, size, "was killed for the forbidden system call %s",
			 p->violation);
	else if (p->fault[0])
		snprintf(buf, size, "was killed %s", p->fault);
	else if (code == CLD_EXITED)
		snprintf(buf, size, "exited with status %d", val);
	else
		snprintf(buf, size, "%s by signal %d (%s)",
			 code == CLD_DUMPED ? "crashed" : "killed", val,
			 strsignal(val));
}

static void proc_free_cb(evutil_socket_t fd, short what, void *arg)
{
	proc_free(arg);
}

void proc_free_later(struct proc *p)
{
	if (event_base_once(p->vm->base, -1, EV_TIMEOUT, proc_free_cb, p,
			    NULL) < 0)
		log_warn("%s: a retired process record is leaked", p->name);
}

static bool proc_should_restart(const struct proc *p)
{
	bool failed = (p->last_status >> 8) != CLD_EXITED ||
		      (p->last_status & 0xff) != 0;

	switch (p->restart.policy) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return failed;
	case RESTART_NEVER:
		break;
	}
	return false;
}

static void proc_backoff_cb(evutil_socket_t fd, short what, void *arg);

/* Starts p on the next turn of the loop, or after delay_ms. */
static void proc_arm_start(struct proc *p, unsigned delay_ms)
{
	struct timeval tv = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	p->state = PROC_BACKOFF;
	if (!p->backoff_ev)
		p->backoff_ev = evtimer_new(p->vm->base, proc_backoff_cb, p);
	if (!p->backoff_ev || evtimer_add(p->backoff_ev, &tv) < 0)
		vm_shutdown(p->vm, 1, "out of memory arming a restart");
}

/* The policy is spent. A device's guest is told NEEDS_RESET and the VM
 * runs on (the guest may reset the device, the operator may restart it);
 * mem and cpu hold what no restart recovers, so the VM ends. */
static void proc_give_up(struct proc *p, const char *why)
{
	if (!p->dev) {
		vm_shutdown(p->vm, 1, why);
		return;
	}
	p->state = PROC_FAILED;
	log_error("%s; the guest sees NEEDS_RESET, the VM keeps running", why);
	session_post_device_failed(p, why);
	event_device_needs_reset(p, why);
}

/* systemd's start limit: at most max_restarts within interval_s, counted
 * from the first restart of the window; a device that ran well for the
 * interval starts a new window. The first restart of a window is
 * immediate (a new process is ready in milliseconds; waiting only adds
 * downtime), later ones back off exponentially, capped. */
static void proc_apply_policy(struct proc *p, const char *how)
{
	uint64_t now = now_ns();
	unsigned delay = 0;
	char why[384];

	if (p->restart.interval_s &&
	    now - p->burst_start_ns >= p->restart.interval_s * 1000000000ull)
		p->burst = 0;
	if (p->burst == 0)
		p->burst_start_ns = now;
	if (p->burst >= p->restart.max_restarts) {
		snprintf(why, sizeof(why), "%s (%s) %s; gave up after %u "
			 "restarts within %u s", p->name, p->kind, how,
			 p->burst, p->restart.interval_s);
		proc_give_up(p, why);
		return;
	}
	if (p->burst > 0) {
		delay = p->restart.backoff_ms;
		for (unsigned i = 1; i < p->burst && delay < p->restart.backoff_max_ms; i++)
			delay *= 2;
		if (delay > p->restart.backoff_max_ms)
			delay = p->restart.backoff_max_ms;
	}
	p->burst++;
	p->restarts++;
	log_warn("%s (%s) %s; restart %u/%u in %u ms", p->name, p->kind, how,
		 p->burst, p->restart.max_restarts, delay);
	proc_arm_start(p, delay);
}

/* A restart whose process could not even be spawned counts as a failed
 * run under the policy, like a crash. */
static void proc_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	char how[sizeof(p->last_exit)];

	if (p->vm->stopping)
		return;
	if (proc_start(p) == 0 || proc_alive(p))
		return;    /* a started process that fails is reaped as usual */
	snprintf(how, sizeof(how), "could not be started (%.150s)", p->binary);
	snprintf(p->last_exit, sizeof(p->last_exit), "%s", how);
	proc_apply_policy(p, how);
}

/* The process is gone: decide between restart, end of VM, or nothing (we
 * are shutting down). */
static void proc_exited(struct proc *p)
{
	char how[192];

	proc_describe_exit(p, how, sizeof(how));
	snprintf(p->last_exit, sizeof(p->last_exit), "%s", how);
	session_proc_exited(p);
	health_stop(p);
	if (p->cont_ev)
		evtimer_del(p->cont_ev);   /* an injected hang died with it */
	proc_close_bus(p);
	proc_unwatch(p);
	p->state = PROC_EXITED;
	if (p->replace && replace_exited(p))
		return;
	if (p->retired) {
		log_debug("%s (retired) %s", p->name, how);
		proc_free_later(p);
		return;
	}
	if (!p->down_ns)
		p->down_ns = now_ns();
	if (p->vm->stopping) {
		log_debug("%s %s", p->name, how);
		vm_shutdown(p->vm, p->vm->exit_code, NULL);
		return;
	}
	if (p->operator_restart) {
		/* device-restart: asked for, so neither a crash nor counted */
		p->operator_restart = false;
		p->restarts++;
		log_info("%s (%s) restarted by the operator", p->name, p->kind);
		proc_arm_start(p, 0);
		return;
	}
	event_device_crashed(p, how);
	if (!proc_should_restart(p)) {
		char why[384];

		snprintf(why, sizeof(why), "%s (%s) %s; restart policy '%s'",
			 p->name, p->kind, how,
			 restart_policy_name(p->restart.policy));
		vm_shutdown(p->vm, 1, why);
		return;
	}
	proc_apply_policy(p, how);
}

int proc_restart_now(struct proc *p)
{
	if (!p->dev)
		return -EPERM;
	if (p->vm->stopping)
		return -ESHUTDOWN;
	p->burst = 0;    /* the operator's call: a fresh start-limit window */
	if (proc_alive(p)) {
		p->operator_restart = true;
		p->down_ns = now_ns();
		proc_kill(p, SIGKILL);
		return 0;
	}
	if (p->backoff_ev)
		evtimer_del(p->backoff_ev);
	if (p->state == PROC_FAILED || p->state == PROC_EXITED)
		p->restarts++;
	proc_arm_start(p, 0);
	return 0;
}

static void proc_pidfd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	siginfo_t si = { 0 };

	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0) {
		log_error("%s: waitid: %s", p->name, strerror(errno));
		return;
	}
	if (si.si_pid == 0)
		return;    /* spurious wake-up: not exited yet */
	p->last_status = (si.si_code << 8) | (si.si_status & 0xff);
	proc_exited(p);
}

/* The seccomp listener: a forbidden system call. The process is hostile
 * or broken either way; the handler kills it before the call can return,
 * and the call is named here. */
static void proc_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	struct sandbox_violation v;
	int rc = sandbox_notify_handle(p->notify_fd, p->pidfd, false, &v);

	if (rc == -ECONNRESET) {
		proc_unwatch_notify(p);
		return;
	}
	if (rc == -EAGAIN || rc == -ENOENT)
		return;    /* the caller died first; the pidfd tells the rest */
	if (rc < 0) {
		/* The call, if read, stays blocked unanswered. */
		log_error("%s: seccomp notification: %s", p->name,
			  strerror(-rc));
		return;
	}
	log_error("%s: killed: forbidden system call %s (%d)", p->name, v.name,
		  v.nr);
	snprintf(p->violation, sizeof(p->violation), "%s", v.name);
}

static int proc_watch(struct proc *p)
{
	p->pidfd_ev = event_new(p->vm->base, p->pidfd, EV_READ | EV_PERSIST,
				proc_pidfd_cb, p);
	if (!p->pidfd_ev || event_add(p->pidfd_ev, NULL) < 0)
		return -ENOMEM;
	if (p->notify_fd < 0)
		return 0;
	p->notify_ev = event_new(p->vm->base, p->notify_fd, EV_READ | EV_PERSIST,
				 proc_notify_cb, p);
	if (!p->notify_ev || event_add(p->notify_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int proc_start(struct proc *p)
{
	struct sandbox_child child;
	struct launch_plan plan;
	int sv[2] = { -1, -1 };
	int rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		log_error("%s: socketpair: %s", p->name, strerror(errno));
		return rc;
	}
	rc = launch_plan_build(p, sv[1], &plan);
	if (rc < 0)
		goto out;
	rc = spawn_process(&plan.spawn, &child);
	launch_plan_release(&plan);
	if (rc < 0) {
		log_error("%s: cannot start %s: %s", p->name, p->binary,
			  plan.spawn.error[0] ? plan.spawn.error : strerror(-rc));
		goto out;
	}
	close(sv[1]);
	sv[1] = -1;
	p->pid = child.pid;
	p->pidfd = child.pidfd;
	p->notify_fd = child.notify_fd;
	p->violation[0] = '\0';
	p->fault[0] = '\0';
	p->state = PROC_STARTING;
	p->gen++;
	p->started_ns = now_ns();
	if ((rc = proc_watch(p)) < 0) {
		proc_kill(p, SIGKILL);
		goto out;
	}
	rc = session_attach(p, sv[0]);   /* takes sv[0] */
	sv[0] = -1;
	if (rc < 0)
		proc_kill(p, SIGKILL);   /* reaped by the pidfd watch */
	else
		log_debug("%s: started %s as pid %d", p->name, p->binary,
			  (int)p->pid);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return rc;
}
