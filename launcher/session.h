/* SPDX-License-Identifier: MIT */
/* The launcher's side of each child's control bus: the session protocol
 * (docs/protocol.md) and the wiring between processes. */
#ifndef ATOLL_LAUNCHER_SESSION_H
#define ATOLL_LAUNCHER_SESSION_H

#include "vm.h"

/* Wraps `fd` (the launcher's end of p's control socket) in a bus watched
 * by the VM's event loop. Takes ownership of fd. */
int session_attach(struct proc *p, int fd);

/* The process is gone; forget what was wired to it. */
void session_proc_exited(struct proc *p);

/* Posts SHUTDOWN to the process if its bus is up. */
void session_post_shutdown(struct proc *p, const char *reason);

/* Tells the cpu server that device `dev` failed for good: the guest
 * sees NEEDS_RESET. */
void session_post_device_failed(struct proc *dev, const char *why);

/* A device that was kept apart (a device-replace successor) is
 * connected to the cpu server now. */
void session_connect_to_cpu(struct proc *dev);

/* Sends RESUME (run) or PAUSE to the cpu server. */
int session_cpu_run(struct vm *vm, bool run);

#endif
