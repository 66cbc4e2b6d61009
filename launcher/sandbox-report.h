/* SPDX-License-Identifier: MIT */
#ifndef ATOLL_LAUNCHER_SANDBOX_REPORT_H
#define ATOLL_LAUNCHER_SANDBOX_REPORT_H

#include "manifest.h"

/* `atoll sandbox-report FILE`: each process's effective sandbox profile,
 * for the manifest as `policy` admits it. Returns the exit status. */
int sandbox_report_main(const char *manifest,
			const struct manifest_policy *policy);

#endif
