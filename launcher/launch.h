/* SPDX-License-Identifier: MIT */
/*
 * What each process is started with: its binary, its argv, and the files
 * the launcher opens on its behalf (a sandboxed process has no filesystem,
 * so kernel images and disk images arrive as fds). A device's part comes
 * from its kind (launcher/kinds/).
 */
#ifndef ATOLL_LAUNCHER_LAUNCH_H
#define ATOLL_LAUNCHER_LAUNCH_H

#include "plan.h"
#include "proc.h"

/* Fills `plan` for process `p`, whose control socket end is `bus_fd`.
 * Returns 0 or -errno (logged). Release the plan with launch_plan_release
 * whether or not the spawn succeeded. */
int launch_plan_build(const struct proc *p, int bus_fd, struct launch_plan *plan);

/* The binary for a built-in kind ("mem", "cpu", "virtio-blk", ...), found
 * in $ATOLL_BINDIR, the build tree (when atoll runs from it) or the
 * install's libexec directory. Returns a malloc'd path, or NULL with the
 * places searched written to `searched`. */
char *launch_find_binary(const char *kind, char *searched, size_t size);

#endif
