/* SPDX-License-Identifier: MIT */
#ifndef ATOLL_LAUNCHER_SANDBOX_REPORT_H
#define ATOLL_LAUNCHER_SANDBOX_REPORT_H

/* `atoll sandbox-report FILE`: each process's effective sandbox profile.
 * Returns the exit status. */
int sandbox_report_main(const char *manifest);

#endif
