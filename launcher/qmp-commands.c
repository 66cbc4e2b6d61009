/* SPDX-License-Identifier: MIT */
#include "qmp-commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "proc.h"
#include "qmp.h"
#include "qmp-devices.h"
#include "qmp-display.h"
#include "qmp-input.h"
#include "unix-listen.h"
#include "vm.h"

static int cmd_query_status(void *opaque, json_t *args, json_t **ret,
			    char **err)
{
	struct vm *vm = opaque;

	*ret = json_pack("{s:s, s:b, s:b}",
			 "status", vm->stopping ? "shutdown" :
				   vm->running ? "running" : "paused",
			 "running", vm->running, "singlestep", 0);
	return *ret ? 0 : -ENOMEM;
}

static int cmd_run(struct vm *vm, bool run, json_t **ret, char **err)
{
	int rc = vm_set_running(vm, run);

	if (rc < 0) {
		if (asprintf(err, "cannot %s the guest: %s", run ? "resume" : "stop",
			     strerror(-rc)) < 0)
			*err = NULL;
		return rc;
	}
	*ret = json_object();
	return 0;
}

static int cmd_stop(void *opaque, json_t *args, json_t **ret, char **err)
{
	return cmd_run(opaque, false, ret, err);
}

static int cmd_cont(void *opaque, json_t *args, json_t **ret, char **err)
{
	return cmd_run(opaque, true, ret, err);
}

static int cmd_quit(void *opaque, json_t *args, json_t **ret, char **err)
{
	vm_shutdown(opaque, 0, "quit requested over QMP");
	*ret = json_object();
	return 0;
}

/* VmRSS of a live process in bytes, 0 if it cannot be read. */
static long long proc_rss_bytes(pid_t pid)
{
	char path[64], line[256];
	long long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

static int cmd_query_processes(void *opaque, json_t *args, json_t **ret,
			       char **err)
{
	struct vm *vm = opaque;
	json_t *list = json_array();

	for (size_t i = 0; list && i < vm->nprocs; i++) {
		const struct proc *p = vm->procs[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:i, s:I, s:b, s:s, s:i}",
				      "name", p->name, "kind", p->kind,
				      "pid", (json_int_t)(proc_alive(p) ? p->pid : 0),
				      "state", proc_state_name(p->state),
				      "restarts", (int)p->restarts,
				      "rss", (json_int_t)(proc_alive(p) ? proc_rss_bytes(p->pid) : 0),
				      "sandbox", p->sandbox,
				      "last-exit", p->last_exit,
				      "downtime-ms", (int)p->downtime_ms);

		if (!o || json_array_append_new(list, o) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	*ret = list;
	return list ? 0 : -ENOMEM;
}

int qmp_commands_start(struct vm *vm)
{
	static const struct {
		const char *name;
		qmp_handler fn;
	} cmds[] = {
		{ "query-status", cmd_query_status },
		{ "stop", cmd_stop },
		{ "cont", cmd_cont },
		{ "quit", cmd_quit },
		{ "query-processes", cmd_query_processes },
	};
	int rc = 0;

	vm->qmp = qmp_server_new(vm->base, vm->cfg->qmp, vm, &rc);
	if (!vm->qmp) {
		log_error("QMP socket %s: %s", vm->cfg->qmp,
			  unix_listen_strerror(rc));
		return rc ? rc : -EINVAL;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((rc = qmp_server_register(vm->qmp, cmds[i].name, cmds[i].fn)) < 0)
			return rc;
	if ((rc = qmp_devices_register(vm)) < 0)
		return rc;
	if ((rc = qmp_display_register(vm)) < 0)
		return rc;
	return qmp_input_register(vm);
}

void qmp_commands_stop(struct vm *vm)
{
	qmp_server_free(vm->qmp);
	vm->qmp = NULL;
}
