/* SPDX-License-Identifier: MIT */
#include "qmp-devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fault.h"
#include "proc.h"
#include "qmp.h"
#include "replace.h"

static int fail(char **err, int rc, const char *fmt, const char *arg)
{
	if (asprintf(err, fmt, arg) < 0)
		*err = NULL;
	return rc;
}

/* The device named by the "id" argument; NULL with *err set. */
static struct proc *find_device(struct vm *vm, const char *id, char **err)
{
	for (size_t i = 0; i < vm->nprocs; i++)
		if (!strcmp(vm->procs[i]->name, id)) {
			if (vm->procs[i]->dev)
				return vm->procs[i];
			fail(err, 0, "'%s' is not a device (mem and cpu hold "
			     "what no restart recovers)", id);
			return NULL;
		}
	fail(err, 0, "no device '%s' in this VM", id);
	return NULL;
}

static int cmd_device_restart(void *opaque, json_t *args, json_t **ret,
			      char **err)
{
	struct vm *vm = opaque;
	const char *id;
	json_error_t je;
	struct proc *p;
	int rc;

	if (json_unpack_ex(args, &je, JSON_STRICT, "{s:s}", "id", &id) < 0)
		return fail(err, -EINVAL, "device-restart: %s", je.text);
	if (!(p = find_device(vm, id, err)))
		return -ENOENT;
	if ((rc = proc_restart_now(p)) < 0)
		return fail(err, rc, "cannot restart '%s': the VM is stopping",
			    id);
	*ret = json_object();
	return 0;
}

/* count, queue, duration, after: optional non-negative integers; queue
 * also "all". */
static int read_fault_args(json_t *args, struct fault_spec *f, char **err)
{
	json_t *count = NULL, *queue = NULL, *duration = NULL, *after = NULL;
	const char *id, *kind;
	json_error_t je;
	int k;

	if (json_unpack_ex(args, &je, JSON_STRICT,
			   "{s:s, s:s, s?o, s?o, s?o, s?o}",
			   "id", &id, "kind", &kind, "count", &count,
			   "queue", &queue, "duration", &duration,
			   "after", &after) < 0)
		return fail(err, -EINVAL, "inject-fault: %s", je.text);
	if ((k = fault_kind_from_name(kind)) < 0)
		return fail(err, -EINVAL, "inject-fault: unknown kind '%s' "
			    "(crash, hang, delay, io-error, drop-interrupt, "
			    "clear)", kind);
	*f = (struct fault_spec){ (enum fault_kind)k, 1, FAULT_ALL_QUEUES, 0 };
	if (count && (!json_is_integer(count) || json_integer_value(count) < 1 ||
		      json_integer_value(count) > 1000000))
		return fail(err, -EINVAL, "inject-fault: %s must be an "
			    "integer 1..1000000", "count");
	if (count)
		f->count = (unsigned)json_integer_value(count);
	if (queue && !(json_is_string(queue) && !strcmp(json_string_value(queue), "all")) &&
	    (!json_is_integer(queue) || json_integer_value(queue) < 0 ||
	     json_integer_value(queue) > 65535))
		return fail(err, -EINVAL, "inject-fault: %s must be a queue "
			    "index 0..65535 or \"all\"", "queue");
	if (queue && json_is_integer(queue))
		f->queue = (uint32_t)json_integer_value(queue);
	if (duration && (!json_is_integer(duration) ||
			 json_integer_value(duration) < 0 ||
			 json_integer_value(duration) > 3600000))
		return fail(err, -EINVAL, "inject-fault: %s must be 0..3600000 "
			    "ms", "duration");
	if (duration)
		f->duration_ms = (unsigned)json_integer_value(duration);
	if (after && (!json_is_integer(after) || json_integer_value(after) < 0 ||
		      json_integer_value(after) > 1000000))
		return fail(err, -EINVAL, "inject-fault: %s must be 0..1000000 "
			    "requests", "after");
	if (after)
		f->after = (unsigned)json_integer_value(after);
	return 0;
}

static int cmd_inject_fault(void *opaque, json_t *args, json_t **ret,
			    char **err)
{
	struct vm *vm = opaque;
	struct fault_spec f;
	char why[256];
	struct proc *p;
	int rc;

	if ((rc = read_fault_args(args, &f, err)) < 0)
		return rc;
	if (!(p = find_device(vm, json_string_value(json_object_get(args, "id")),
			      err)))
		return -ENOENT;
	if ((rc = fault_inject(p, &f, "qmp", why, sizeof(why))) < 0)
		return fail(err, rc, "%s", why);
	*ret = json_object();
	return 0;
}

static int cmd_device_replace(void *opaque, json_t *args, json_t **ret,
			      char **err)
{
	struct vm *vm = opaque;
	const char *id, *binary;
	struct qmp_reply *reply;
	char why[384];
	json_error_t je;
	struct proc *p;
	char *canon;

	if (json_unpack_ex(args, &je, JSON_STRICT, "{s:s, s:s}", "id", &id,
			   "binary", &binary) < 0)
		return fail(err, -EINVAL, "device-replace: %s", je.text);
	if (!(p = find_device(vm, id, err)))
		return -ENOENT;
	if (vm->stopping)
		return fail(err, -ESHUTDOWN, "cannot replace '%s': the VM is "
			    "stopping", id);
	if (!(canon = replace_admit(vm, binary, why, sizeof(why))))
		return fail(err, -EPERM, "%s", why);
	if (!(reply = qmp_server_defer(vm->qmp))) {
		free(canon);
		return -ENOMEM;
	}
	if (replace_start(p, canon, reply, why, sizeof(why)) < 0)
		qmp_reply_send(reply, NULL, why);
	free(canon);
	return QMP_DEFERRED;
}

static int cmd_query_faults(void *opaque, json_t *args, json_t **ret,
			    char **err)
{
	*ret = fault_log_json(opaque);
	return *ret ? 0 : -ENOMEM;
}

int qmp_devices_register(struct vm *vm)
{
	static const struct {
		const char *name;
		qmp_handler fn;
	} cmds[] = {
		{ "device-restart", cmd_device_restart },
		{ "device-replace", cmd_device_replace },
		{ "inject-fault", cmd_inject_fault },
		{ "query-faults", cmd_query_faults },
	};
	int rc;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((rc = qmp_server_register(vm->qmp, cmds[i].name, cmds[i].fn)) < 0)
			return rc;
	return 0;
}
