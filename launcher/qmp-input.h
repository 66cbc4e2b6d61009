/* SPDX-License-Identifier: MIT */
/* QMP commands of the guest's input: send-key (docs/qmp.md). */
#ifndef ATOLL_LAUNCHER_QMP_INPUT_H
#define ATOLL_LAUNCHER_QMP_INPUT_H

#include "vm.h"

/* Registers the commands on vm->qmp. Returns 0 or -errno. */
int qmp_input_register(struct vm *vm);

#endif
