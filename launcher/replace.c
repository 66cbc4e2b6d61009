/* SPDX-License-Identifier: MIT */
#include "replace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <atoll/bus-event.h>

#include "events.h"
#include "health.h"
#include "log.h"
#include "manifest-internal.h"
#include "proc.h"
#include "session.h"

/* A successor that is not READY by then is given up on. */
#define REPLACE_READY_MS 10000
#define REPLACE_STATE_MS 5000

struct replace {
	struct vm *vm;
	struct proc *old, *new;
	struct qmp_reply *reply;
	struct event *timer;
	uint64_t t0_ns, kill_ns;
	bool killed;             /* the old one was told to go: no way back */
};

char *replace_admit(const struct vm *vm, const char *binary, char *err,
		    size_t errlen)
{
	const struct vm_config *c = vm->cfg;
	struct mx_file_rule rule = { .dirs = c->device_dirs,
				     .ndirs = c->ndevice_dirs };
	char *canon = NULL;
	struct stat st;
	int fd;

	if (binary[0] != '/') {
		snprintf(err, errlen, "binary must be an absolute path");
		return NULL;
	}
	if (c->ndevice_dirs) {
		fd = mx_open_file(&rule, binary, O_RDONLY, &canon, err, errlen);
		if (fd >= 0) {
			close(fd);
			if (access(canon, X_OK) == 0)
				return canon;
			snprintf(err, errlen, "%s is not executable", canon);
			free(canon);
			return NULL;
		}
		if (fd != -EPERM)
			return NULL;
	}
	if (!c->allow_binary) {
		snprintf(err, errlen, "\"%s\" is not beneath a --device-dir: "
			 "running a device program is the operator's decision "
			 "(allow with --device-dir DIR or --allow-binary)",
			 binary);
		return NULL;
	}
	if (!(canon = realpath(binary, NULL)) || stat(canon, &st) < 0 ||
	    !S_ISREG(st.st_mode) || access(canon, X_OK) < 0) {
		snprintf(err, errlen, "%s: not an executable regular file%s%s",
			 binary, errno ? ": " : "", errno ? strerror(errno) : "");
		free(canon);
		return NULL;
	}
	return canon;
}

static void replace_end(struct replace *r, const char *err)
{
	if (r->timer)
		event_free(r->timer);
	r->old->replace = NULL;
	r->new->replace = NULL;
	r->vm->replacing = NULL;
	if (err)
		log_error("%s: device-replace failed: %s", r->old->name, err);
	qmp_reply_send(r->reply, NULL, err);
	free(r);
}

/* Before the old one is killed: the successor goes, the old one serves. */
static void replace_abort(struct replace *r, const char *why)
{
	struct proc *n = r->new;

	n->replace = NULL;
	if (proc_alive(n)) {
		proc_kill(n, SIGKILL);
		n->retired = true;     /* reaped by its pidfd, then freed */
	} else {
		proc_free_later(n);
	}
	replace_end(r, why);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct replace *r = arg;

	if (!r->killed)
		replace_abort(r, "the new program was not ready within 10 s");
}

/* The successor takes the old one's place in the process table and its
 * counters; the old one is killed, and freed once reaped. */
static void replace_switch(struct replace *r)
{
	struct proc *o = r->old, *n = r->new;
	struct vm *vm = r->vm;

	for (size_t i = 0; i < vm->nprocs; i++)
		if (vm->procs[i] == o)
			vm->procs[i] = n;
	n->restarts = o->restarts;
	n->burst = o->burst;
	n->burst_start_ns = o->burst_start_ns;
	snprintf(n->last_exit, sizeof(n->last_exit), "%s", o->last_exit);
	r->killed = true;
	r->kill_ns = now_ns();
	o->retired = true;
	log_info("%s: the new program is ready; stopping the old one",
		 o->name);
	health_stop(o);
	proc_kill(o, SIGKILL);
}

static void state_loaded(atoll_bus *bus, int status, struct atoll_msg *reply,
			 void *opaque)
{
	struct replace *r = opaque;
	char why[192];

	if (status == -ECANCELED)
		return;
	if (status < 0) {
		snprintf(why, sizeof(why), "the new program refused the state: "
			 "%s", strerror(-status));
		replace_abort(r, why);
		return;
	}
	replace_switch(r);
}

static void state_saved(atoll_bus *bus, int status, struct atoll_msg *reply,
			void *opaque)
{
	struct replace *r = opaque;
	char why[192];
	int rc;

	if (status == -ECANCELED)
		return;
	if (status < 0 || reply->type != ATOLL__MSG_TYPE__MSG_STATE) {
		snprintf(why, sizeof(why), "the old program could not save its "
			 "state: %s", status < 0 ? strerror(-status) :
			 "unexpected reply");
		replace_abort(r, why);
		return;
	}
	rc = atoll_bus_request(r->new->bus, ATOLL__MSG_TYPE__MSG_STATE_LOAD,
			       reply->body, NULL, 0, REPLACE_STATE_MS,
			       state_loaded, r);
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot send the state: %s",
			 strerror(-rc));
		replace_abort(r, why);
		return;
	}
	atoll_bus_event_update(r->new->bus_ev);
}

void replace_ready(struct proc *p)
{
	struct replace *r = p->replace;
	char why[192];
	int rc;

	if (p != r->new)
		return;
	if (!(r->old->caps & ATOLL__CAPABILITY__CAP_STATE) ||
	    !(p->caps & ATOLL__CAPABILITY__CAP_STATE) || !r->old->bus) {
		replace_switch(r);   /* no state of its own to hand over */
		return;
	}
	rc = atoll_bus_request(r->old->bus, ATOLL__MSG_TYPE__MSG_STATE_SAVE,
			       NULL, NULL, 0, REPLACE_STATE_MS, state_saved, r);
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot ask for the state: %s",
			 strerror(-rc));
		replace_abort(r, why);
		return;
	}
	atoll_bus_event_update(r->old->bus_ev);
}

bool replace_exited(struct proc *p)
{
	struct replace *r = p->replace;
	char how[160], why[192];

	if (p == r->new) {
		/* The successor died: before the switch, the old one serves
		 * on; after it, it is the device and its policy applies. */
		proc_describe_exit(p, how, sizeof(how));
		snprintf(why, sizeof(why), "the new program %s", how);
		if (!r->killed) {
			replace_abort(r, why);
			return true;
		}
		p->standby = false;
		replace_end(r, why);
		return false;
	}
	if (!r->killed) {
		/* The old one died on its own first: its policy applies. */
		replace_abort(r, "the device died during the replacement; "
			      "its restart policy applies");
		return false;
	}
	/* The old one is gone: connect the successor in its place. */
	p->replace = NULL;
	r->new->standby = false;
	r->new->down_ns = 0;
	r->new->downtime_ms = (unsigned)((now_ns() - r->kill_ns) / 1000000u);
	session_connect_to_cpu(r->new);
	log_info("%s: replaced by %s in %.1f ms (old process down %u ms)",
		 r->new->name, r->new->binary,
		 (double)(now_ns() - r->t0_ns) / 1e6, r->new->downtime_ms);
	event_device_replaced(r->new);
	replace_end(r, NULL);
	return false;
}

int replace_start(struct proc *old, const char *binary, struct qmp_reply *reply,
		  char *err, size_t errlen)
{
	struct vm *vm = old->vm;
	struct timeval tv = { REPLACE_READY_MS / 1000, 0 };
	struct replace *r;
	struct proc *n;
	int rc;

	if (vm->replacing) {
		snprintf(err, errlen, "another device-replace (%s) is under way",
			 vm->replacing->old->name);
		return -EBUSY;
	}
	if (old->state != PROC_READY || !proc_alive(old)) {
		snprintf(err, errlen, "%s is not running (%s): use device-restart",
			 old->name, proc_state_name(old->state));
		return -EAGAIN;
	}
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(n = proc_new(vm, old->name, old->kind, old->role, binary,
			   &old->restart, old->sandbox, old->dev))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*r = (struct replace){ .vm = vm, .old = old, .new = n, .reply = reply,
			       .t0_ns = now_ns() };
	n->standby = true;
	n->replace = r;
	old->replace = r;
	vm->replacing = r;
	r->timer = evtimer_new(vm->base, timeout_cb, r);
	if (!r->timer || evtimer_add(r->timer, &tv) < 0 ||
	    (rc = proc_start(n)) < 0) {
		snprintf(err, errlen, "cannot start %s (see the log)", binary);
		if (r->timer)
			event_free(r->timer);
		old->replace = NULL;
		vm->replacing = NULL;
		if (proc_alive(n)) {
			n->replace = NULL;
			n->retired = true;
			proc_kill(n, SIGKILL);
		} else {
			proc_free(n);
		}
		free(r);
		return -EIO;
	}
	log_info("%s: replacing %s with %s", old->name, old->binary, binary);
	return 0;
}

void replace_cancel(struct vm *vm)
{
	struct replace *r = vm->replacing;
	siginfo_t si;

	if (!r)
		return;
	if (!r->killed && proc_alive(r->new)) {
		/* The VM ends: no loop turn is left to reap it. */
		proc_kill(r->new, SIGKILL);
		waitid(P_PIDFD, (id_t)r->new->pidfd, &si, WEXITED);
		proc_free(r->new);
		r->new = NULL;
	}
	if (r->new)
		r->new->replace = NULL;
	r->old->replace = NULL;
	if (r->timer)
		event_free(r->timer);
	vm->replacing = NULL;
	qmp_reply_send(r->reply, NULL, "the VM is stopping");
	free(r);
}
