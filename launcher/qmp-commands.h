/* SPDX-License-Identifier: MIT */
/* The launcher's QMP commands, served by qmp.c on the manifest's socket. */
#ifndef ATOLL_LAUNCHER_QMP_COMMANDS_H
#define ATOLL_LAUNCHER_QMP_COMMANDS_H

struct vm;

int qmp_commands_start(struct vm *vm);
/* NULL-safe: a VM without QMP is fine. */
void qmp_commands_stop(struct vm *vm);

#endif
