/* SPDX-License-Identifier: MIT */
#ifndef ATOLL_LAUNCHER_CHECK_PROCESSES_H
#define ATOLL_LAUNCHER_CHECK_PROCESSES_H

#include "manifest.h"

/* `atoll check` once the manifest loaded: each process's kind, program and
 * sandbox profile on stdout; what `atoll run` could not start (a program
 * not found, a profile that does not load) on stderr with the device's
 * line. Returns 0, or 1 when something could not run. */
int check_processes(const struct vm_config *cfg);

#endif
