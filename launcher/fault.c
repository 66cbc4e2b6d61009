/* SPDX-License-Identifier: MIT */
#include "fault.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <atoll/bus-event.h>

#include "events.h"
#include "log.h"
#include "proc.h"

/* query-faults keeps the newest records only: a long run that injects a
 * fault a minute must not grow the launcher. */
#define FAULT_LOG_MAX 64

struct fault_record {
	char device[64];
	struct fault_spec spec;
	char source[16];
	uint64_t at_ns;         /* since the launcher started */
	char how[24];           /* "device", "SIGKILL", "SIGSTOP", ... */
};

struct fault_log {
	struct fault_record rec[FAULT_LOG_MAX];
	size_t next;            /* ring index */
	size_t count;
};

static const char *const kind_names[] = {
	[FAULT_KIND_CRASH] = "crash",
	[FAULT_KIND_HANG] = "hang",
	[FAULT_KIND_DELAY] = "delay",
	[FAULT_KIND_IO_ERROR] = "io-error",
	[FAULT_KIND_DROP_INTERRUPT] = "drop-interrupt",
	[FAULT_KIND_CLEAR] = "clear",
};

int fault_kind_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}

const char *fault_kind_name(enum fault_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0])
	       ? kind_names[k] : "?";
}

static int post_to_device(struct proc *p, Atoll__FaultKind kind,
			  const struct fault_spec *f, char *err, size_t errlen)
{
	Atoll__FaultInject msg = ATOLL__FAULT_INJECT__INIT;
	int rc;

	if (!(p->caps & ATOLL__CAPABILITY__CAP_FAULTS)) {
		snprintf(err, errlen, "%s (%s) does not accept injected faults "
			 "(no CAP_FAULTS)", p->name, p->kind);
		return -EOPNOTSUPP;
	}
	msg.kind = kind;
	msg.count = f->count;
	msg.queue = f->queue;
	msg.duration_ms = f->duration_ms;
	msg.after = f->after;
	rc = atoll_bus_post(p->bus, ATOLL__MSG_TYPE__MSG_FAULT_INJECT,
			    &msg.base, NULL, 0);
	if (rc < 0) {
		snprintf(err, errlen, "cannot send the fault to %s: %s",
			 p->name, strerror(-rc));
		return rc;
	}
	atoll_bus_event_update(p->bus_ev);
	return 0;
}

static void hang_over(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;

	log_info("%s: injected hang over", p->name);
	proc_kill(p, SIGCONT);
}

/* SIGSTOP: every thread stops, the control bus goes unanswered, and the
 * heartbeat finds it as it would a real hang. */
static int hang(struct proc *p, const struct fault_spec *f, char *err,
		size_t errlen)
{
	struct timeval tv = { f->duration_ms / 1000,
			      (f->duration_ms % 1000) * 1000 };

	if (f->duration_ms) {
		if (!p->cont_ev)
			p->cont_ev = evtimer_new(p->vm->base, hang_over, p);
		if (!p->cont_ev || evtimer_add(p->cont_ev, &tv) < 0) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	proc_kill(p, SIGSTOP);
	return 0;
}

static int apply(struct proc *p, const struct fault_spec *f, char *how,
		 size_t howlen, char *err, size_t errlen)
{
	int rc;

	switch (f->kind) {
	case FAULT_KIND_CRASH:
		if ((p->caps & ATOLL__CAPABILITY__CAP_FAULTS) || f->after) {
			snprintf(how, howlen, "device aborts");
			return post_to_device(p, ATOLL__FAULT_KIND__FAULT_CRASH,
					      f, err, errlen);
		}
		snprintf(how, howlen, "SIGKILL");
		proc_kill(p, SIGKILL);
		return 0;
	case FAULT_KIND_HANG:
		snprintf(how, howlen, "SIGSTOP");
		return hang(p, f, err, errlen);
	case FAULT_KIND_DELAY:
		snprintf(how, howlen, "device");
		return post_to_device(p, ATOLL__FAULT_KIND__FAULT_DELAY, f, err,
				      errlen);
	case FAULT_KIND_IO_ERROR:
		snprintf(how, howlen, "device");
		return post_to_device(p, ATOLL__FAULT_KIND__FAULT_ERROR, f, err,
				      errlen);
	case FAULT_KIND_CLEAR:
		snprintf(how, howlen, "device, SIGCONT");
		if (p->cont_ev)
			evtimer_del(p->cont_ev);
		proc_kill(p, SIGCONT);
		if (!(p->caps & ATOLL__CAPABILITY__CAP_FAULTS))
			return 0;
		rc = post_to_device(p, ATOLL__FAULT_KIND__FAULT_CLEAR, f, err,
				    errlen);
		return rc;
	case FAULT_KIND_DROP_INTERRUPT:
		snprintf(how, howlen, "device");
		return post_to_device(p, ATOLL__FAULT_KIND__FAULT_DROP_INTERRUPT,
				      f, err, errlen);
	}
	snprintf(err, errlen, "fault '%s' is not implemented yet",
		 fault_kind_name(f->kind));
	return -EOPNOTSUPP;
}

static void record(struct proc *p, const struct fault_spec *f,
		   const char *source, const char *how)
{
	struct vm *vm = p->vm;
	struct fault_record *r;

	if (!vm->faults && !(vm->faults = calloc(1, sizeof(*vm->faults))))
		return;
	r = &vm->faults->rec[vm->faults->next];
	vm->faults->next = (vm->faults->next + 1) % FAULT_LOG_MAX;
	if (vm->faults->count < FAULT_LOG_MAX)
		vm->faults->count++;
	snprintf(r->device, sizeof(r->device), "%s", p->name);
	snprintf(r->source, sizeof(r->source), "%s", source);
	snprintf(r->how, sizeof(r->how), "%s", how);
	r->spec = *f;
	r->at_ns = now_ns() - vm->t0_ns;
}

static json_t *spec_json(const struct fault_spec *f)
{
	json_t *o = json_pack("{s:s}", "kind", fault_kind_name(f->kind));

	if (!o)
		return NULL;
	if (f->kind == FAULT_KIND_IO_ERROR ||
	    f->kind == FAULT_KIND_DROP_INTERRUPT)
		json_object_set_new(o, "count", json_integer(f->count));
	if (f->kind == FAULT_KIND_IO_ERROR || f->kind == FAULT_KIND_DELAY ||
	    f->kind == FAULT_KIND_DROP_INTERRUPT)
		json_object_set_new(o, "queue", f->queue == FAULT_ALL_QUEUES ?
				    json_string("all") : json_integer(f->queue));
	if (f->kind == FAULT_KIND_HANG || f->kind == FAULT_KIND_DELAY)
		json_object_set_new(o, "duration", json_integer(f->duration_ms));
	if (f->after)
		json_object_set_new(o, "after", json_integer(f->after));
	return o;
}

int fault_inject(struct proc *p, const struct fault_spec *f,
		 const char *source, char *err, size_t errlen)
{
	char how[24] = "";
	json_t *ev;
	int rc;

	if (!p->dev) {
		snprintf(err, errlen, "%s is not a device: faults go to devices "
			 "only", p->name);
		return -EPERM;
	}
	if (f->after && f->kind != FAULT_KIND_CRASH &&
	    f->kind != FAULT_KIND_IO_ERROR &&
	    f->kind != FAULT_KIND_DROP_INTERRUPT) {
		snprintf(err, errlen, "after applies to crash, io-error and "
			 "drop-interrupt only");
		return -EINVAL;
	}
	if (!proc_alive(p) || p->state != PROC_READY || !p->bus) {
		snprintf(err, errlen, "%s is not running (%s)", p->name,
			 proc_state_name(p->state));
		return -EAGAIN;
	}
	if ((rc = apply(p, f, how, sizeof(how), err, errlen)) < 0)
		return rc;
	log_warn("%s: fault injected (%s): %s via %s", p->name, source,
		 fault_kind_name(f->kind), how);
	record(p, f, source, how);
	if ((ev = spec_json(f))) {
		json_object_set_new(ev, "source", json_string(source));
		event_fault_injected(p, ev);
	}
	return 0;
}

json_t *fault_log_json(const struct vm *vm)
{
	const struct fault_log *l = vm->faults;
	json_t *list = json_array();

	for (size_t i = 0; l && list && i < l->count; i++) {
		const struct fault_record *r =
			&l->rec[(l->next + FAULT_LOG_MAX - l->count + i) % FAULT_LOG_MAX];
		json_t *o = spec_json(&r->spec);

		if (o && (json_object_set_new(o, "device", json_string(r->device)) < 0 ||
			  json_object_set_new(o, "source", json_string(r->source)) < 0 ||
			  json_object_set_new(o, "how", json_string(r->how)) < 0 ||
			  json_object_set_new(o, "at-ms", json_integer(
				  (json_int_t)(r->at_ns / 1000000u))) < 0)) {
			json_decref(o);
			o = NULL;
		}
		/* json_array_append_new takes o, even when it fails */
		if (!o || json_array_append_new(list, o) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

void fault_log_free(struct vm *vm)
{
	free(vm->faults);
	vm->faults = NULL;
}
