/* SPDX-License-Identifier: MIT */
/* The heartbeat: HEALTH to each running device every interval; one that
 * has not answered by the deadline is hung, and is killed so that its
 * restart policy applies as after a crash. */
#ifndef ATOLL_LAUNCHER_HEALTH_H
#define ATOLL_LAUNCHER_HEALTH_H

#include "vm.h"

/* p is READY: start its heartbeat (no-op when its health is off). */
void health_start(struct proc *p);
/* p is gone or going: stop asking. */
void health_stop(struct proc *p);

#endif
