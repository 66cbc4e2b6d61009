/* SPDX-License-Identifier: MIT */
#include "events.h"

#include <jansson.h>

#include "qmp.h"

static void emit(struct proc *p, const char *name, json_t *data)
{
	if (!p->vm->qmp || !data) {
		json_decref(data);
		return;
	}
	qmp_server_event(p->vm->qmp, name, data);
}

void event_device_crashed(struct proc *p, const char *how)
{
	emit(p, "DEVICE_CRASHED",
	     json_pack("{s:s, s:s, s:s}", "device", p->name, "kind", p->kind,
		       "reason", how));
}

void event_device_restarted(struct proc *p)
{
	emit(p, "DEVICE_RESTARTED",
	     json_pack("{s:s, s:I, s:i, s:i}", "device", p->name,
		       "pid", (json_int_t)p->pid, "restarts", (int)p->restarts,
		       "downtime-ms", (int)p->downtime_ms));
}

void event_device_needs_reset(struct proc *p, const char *why)
{
	emit(p, "DEVICE_NEEDS_RESET",
	     json_pack("{s:s, s:s}", "device", p->name, "reason", why));
}

void event_fault_injected(struct proc *p, json_t *data)
{
	if (data && json_object_set_new(data, "device",
					json_string(p->name)) < 0) {
		json_decref(data);
		data = NULL;
	}
	emit(p, "FAULT_INJECTED", data);
}

void event_device_replaced(struct proc *p)
{
	emit(p, "DEVICE_REPLACED",
	     json_pack("{s:s, s:s, s:I, s:i}", "device", p->name,
		       "binary", p->binary, "pid", (json_int_t)p->pid,
		       "downtime-ms", (int)p->downtime_ms));
}
