/* SPDX-License-Identifier: MIT */
/* The manifest's scheduled faults (device_config.faults), injected by the
 * launcher at their times once the guest runs, as QMP inject-fault would
 * (source "manifest" in query-faults and FAULT_INJECTED). */
#ifndef ATOLL_LAUNCHER_FAULT_SCHEDULE_H
#define ATOLL_LAUNCHER_FAULT_SCHEDULE_H

#include "vm.h"

/* Arms every device's scheduled faults; at_ms counts from now. */
void fault_schedule_start(struct vm *vm);
void fault_schedule_free(struct vm *vm);

#endif
