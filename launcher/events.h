/* SPDX-License-Identifier: MIT */
/* The QMP events of a device's life (docs/qmp.md, "Events"). Each is a
 * no-op when the VM has no QMP socket. */
#ifndef ATOLL_LAUNCHER_EVENTS_H
#define ATOLL_LAUNCHER_EVENTS_H

#include <jansson.h>

#include "vm.h"

/* The process died without being asked to: `how` as proc_describe_exit. */
void event_device_crashed(struct proc *p, const char *how);
/* A new process of p is READY; p->downtime_ms is how long it was down. */
void event_device_restarted(struct proc *p);
/* p is served by a new program (device-replace). */
void event_device_replaced(struct proc *p);
/* p's restart policy is exhausted; the guest was told NEEDS_RESET. */
void event_device_needs_reset(struct proc *p, const char *why);
/* A fault was injected into p; `data` (stolen) describes it. */
void event_fault_injected(struct proc *p, json_t *data);

#endif
