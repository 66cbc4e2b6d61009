/* SPDX-License-Identifier: MIT */
/* The display process (atoll-display, docs/display.md): its listening
 * socket, opened once when the VM starts so that a restarted display
 * serves on the same address, and its command line and fds. */
#ifndef ATOLL_LAUNCHER_DISPLAY_H
#define ATOLL_LAUNCHER_DISPLAY_H

#include "plan.h"
#include "vm.h"

/* Opens the manifest's display: listen address or unix socket. Returns 0
 * (also with no display:) or a negative errno, logged. */
int display_open(struct vm *vm);
/* Closes it (and removes the unix socket file). */
void display_close(struct vm *vm);
/* atoll-display's fds: the listening socket (4), a read-only open of the
 * gpu's scanout memfd (5), the password in a memfd (6, if any). */
int display_plan(struct vm *vm, struct launch_plan *plan);
/* A gpu's SCANOUT_DIRTY, to the display if it is there to take it. */
void display_forward_dirty(struct vm *vm, const struct atoll_msg *m);

#endif
