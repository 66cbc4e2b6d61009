/* SPDX-License-Identifier: MIT */
/*
 * device-replace: a running device handed over to a new program while the
 * guest runs. The successor is started with the same grants (memory, the
 * kind's files and arguments) but not connected to the cpu server; once it
 * is READY (and, when both sides have CAP_STATE, has loaded the old one's
 * STATE_SAVE), the old one is killed, and when it is gone the successor is
 * connected: atoll-cpu re-attaches it as after a restart (features, queue
 * state, config are the transport's; in-flight requests are resubmitted
 * from the in-flight records). Until the old one is killed, any failure
 * leaves it serving and the command's error says why.
 */
#ifndef ATOLL_LAUNCHER_REPLACE_H
#define ATOLL_LAUNCHER_REPLACE_H

#include "qmp.h"
#include "vm.h"

/* Starts replacing `old` with `binary` (already admitted). On success the
 * answer goes to `reply` later; on failure returns -errno with err set and
 * `reply` is untouched. */
int replace_start(struct proc *old, const char *binary, struct qmp_reply *reply,
		  char *err, size_t errlen);
/* Checks `binary` by issue 9's rule: beneath a --device-dir, or anywhere
 * with --allow-binary. Returns the canonical path (malloc'd) or NULL with
 * the reason in err. */
char *replace_admit(const struct vm *vm, const char *binary, char *err,
		    size_t errlen);

/* Hooks from the session and the supervisor. */
void replace_ready(struct proc *p);          /* p->replace: READY */
/* p->replace: its process is gone. True if nothing more is to be done
 * for it (a successor given up on); false: it is retired or its restart
 * policy applies. */
bool replace_exited(struct proc *p);
/* The VM stops: the successor, if any, is killed and forgotten. */
void replace_cancel(struct vm *vm);

#endif
