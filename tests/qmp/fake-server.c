/* SPDX-License-Identifier: MIT */
#include "fake-server.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "qmp.h"

struct fake_vm {
	struct event_base *base;
	struct qmp_server *qmp;
	bool running;
	struct qmp_reply *later;     /* "answer-later" waiting for its timer */
	struct event *later_ev;
};

static int cmd_query_status(void *opaque, json_t *args, json_t **ret,
			    char **err)
{
	struct fake_vm *vm = opaque;

	*ret = json_pack("{s:s, s:b, s:b}", "status",
			 vm->running ? "running" : "paused", "running",
			 vm->running, "singlestep", 0);
	return 0;
}

static int set_running(struct fake_vm *vm, bool run)
{
	vm->running = run;
	qmp_server_event(vm->qmp, run ? "RESUME" : "STOP", NULL);
	return 0;
}

static int cmd_stop(void *opaque, json_t *args, json_t **ret, char **err)
{
	return set_running(opaque, false);
}

static int cmd_cont(void *opaque, json_t *args, json_t **ret, char **err)
{
	return set_running(opaque, true);
}

static int cmd_fail(void *opaque, json_t *args, json_t **ret, char **err)
{
	*err = strdup("fake failure");
	return -EIO;
}

/* {"execute": "emit-event", "arguments": {"name": "X", "data": {...}}} */
static int cmd_emit(void *opaque, json_t *args, json_t **ret, char **err)
{
	struct fake_vm *vm = opaque;
	const char *name = json_string_value(json_object_get(args, "name"));
	json_t *data = json_object_get(args, "data");

	if (!name) {
		*err = strdup("emit-event needs a string 'name'");
		return -EINVAL;
	}
	qmp_server_event(vm->qmp, name, data ? json_incref(data) : NULL);
	return 0;
}

static void answer_now(evutil_socket_t fd, short what, void *opaque)
{
	struct fake_vm *vm = opaque;
	struct qmp_reply *r = vm->later;

	vm->later = NULL;
	if (r)
		qmp_reply_send(r, json_pack("{s:s}", "answered", "later"), NULL);
}

/* Answers 20 ms later (qmp_server_defer), as device-replace does. */
static int cmd_answer_later(void *opaque, json_t *args, json_t **ret,
			    char **err)
{
	struct fake_vm *vm = opaque;
	struct timeval tv = { 0, 20000 };

	if (vm->later) {
		*err = strdup("one answer-later at a time");
		return -EBUSY;
	}
	if (!vm->later_ev &&
	    !(vm->later_ev = evtimer_new(vm->base, answer_now, vm)))
		return -ENOMEM;
	if (!(vm->later = qmp_server_defer(vm->qmp)))
		return -ENOMEM;
	evtimer_add(vm->later_ev, &tv);
	return QMP_DEFERRED;
}

static int cmd_quit(void *opaque, json_t *args, json_t **ret, char **err)
{
	struct fake_vm *vm = opaque;

	event_base_loopexit(vm->base, NULL);
	return 0;
}

static void on_term(evutil_socket_t sig, short what, void *opaque)
{
	event_base_loopexit(opaque, NULL);
}

int fake_server_run(const char *path, int ready_fd)
{
	static const struct {
		const char *name;
		qmp_handler fn;
	} cmds[] = {
		{ "query-status", cmd_query_status }, { "stop", cmd_stop },
		{ "cont", cmd_cont }, { "fail", cmd_fail },
		{ "emit-event", cmd_emit }, { "quit", cmd_quit },
		{ "answer-later", cmd_answer_later },
	};
	struct fake_vm vm = { .running = true };
	struct event *term;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	vm.base = event_base_new();
	term = evsignal_new(vm.base, SIGTERM, on_term, vm.base);
	evsignal_add(term, NULL);
	vm.qmp = qmp_server_new(vm.base, path, &vm, &rc);
	if (!vm.qmp) {
		fprintf(stderr, "qmp_server_new(%s): %s\n", path, strerror(-rc));
		return 1;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (qmp_server_register(vm.qmp, cmds[i].name, cmds[i].fn) < 0)
			return 1;
	if (ready_fd >= 0 && write(ready_fd, "r", 1) != 1)
		return 1;
	event_base_dispatch(vm.base);
	qmp_server_free(vm.qmp);
	if (vm.later)   /* its client is gone with the server: only freed */
		qmp_reply_send(vm.later, NULL, "stopping");
	if (vm.later_ev)
		event_free(vm.later_ev);
	event_free(term);
	event_base_free(vm.base);
	return 0;
}
