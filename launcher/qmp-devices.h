/* SPDX-License-Identifier: MIT */
/* QMP commands for an operator's devices: device-restart, inject-fault,
 * query-faults (docs/qmp.md). */
#ifndef ATOLL_LAUNCHER_QMP_DEVICES_H
#define ATOLL_LAUNCHER_QMP_DEVICES_H

#include "vm.h"

/* Registers the commands on vm->qmp. Returns 0 or -errno. */
int qmp_devices_register(struct vm *vm);

#endif
