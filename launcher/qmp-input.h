/* SPDX-License-Identifier: MIT */
/* QMP commands of the guest's input: send-key (docs/qmp.md). */
#ifndef ATOLL_LAUNCHER_QMP_INPUT_H
#define ATOLL_LAUNCHER_QMP_INPUT_H

#include <atoll/bus.h>

#include "vm.h"

/* Registers the commands on vm->qmp. Returns 0 or -errno. */
int qmp_input_register(struct vm *vm);
/* The display's clients' input (INPUT_EVENTS from atoll-display) to the
 * VM's keyboard (keys) or tablet (pointer, buttons). */
void input_forward(struct vm *vm, const Atoll__InputEvents *in);

#endif
