/* SPDX-License-Identifier: MIT */
/* One supervised child process: spawn, watch, restart. */
#ifndef ATOLL_LAUNCHER_PROC_H
#define ATOLL_LAUNCHER_PROC_H

#include "vm.h"

struct proc *proc_new(struct vm *vm, const char *name, const char *kind,
		      Atoll__Role role, const char *binary,
		      const struct restart_config *restart, bool sandbox,
		      const struct device_config *dev);
void proc_free(struct proc *p);

/* Spawns the process with a fresh control socket at fd 3 and starts
 * watching it. Returns 0 or -errno (logged). */
int proc_start(struct proc *p);

/* Sends `sig` through the pidfd (no pid-reuse race). */
void proc_kill(struct proc *p, int sig);

/* device-restart: a running device is killed and started again at once,
 * one waiting to restart or given up on is started now; not counted
 * against its restart policy. -EPERM for mem and cpu. */
int proc_restart_now(struct proc *p);

/* Frees p on the next turn of the loop (not from inside its callbacks). */
void proc_free_later(struct proc *p);

/* True while the process has a live pid. */
bool proc_alive(const struct proc *p);

/* "exited with status 3", "killed by signal 9 (Killed)". */
void proc_describe_exit(const struct proc *p, char *buf, size_t size);

#endif
