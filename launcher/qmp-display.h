/* SPDX-License-Identifier: MIT */
/* QMP commands of the guest's screen: screendump (docs/qmp.md). */
#ifndef ATOLL_LAUNCHER_QMP_DISPLAY_H
#define ATOLL_LAUNCHER_QMP_DISPLAY_H

#include "vm.h"

/* Registers the commands on vm->qmp. Returns 0 or -errno. */
int qmp_display_register(struct vm *vm);

#endif
