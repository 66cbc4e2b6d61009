/* SPDX-License-Identifier: MIT */
/* Whether a sandbox-OFF control run failed for a reason of the host's
 * own (a kernel without IA32 emulation, a sysctl), never the sandbox's:
 * such a row of the isolation table is "not applicable on this host". */
#ifndef ATOLL_TEST_SANDBOX_HOST_CONTROL_H
#define ATOLL_TEST_SANDBOX_HOST_CONTROL_H

#include <stddef.h>
#include "harness.h"

/* Host settings that decide whether a control can work; -1: unknown
 * (the sysctl does not exist, so the kernel predates the restriction). */
struct host_facts {
	int legacy_tiocsti;          /* dev.tty.legacy_tiocsti */
	int memfd_noexec;            /* vm.memfd_noexec */
};

void host_facts_read(struct host_facts *h);

/* The reason `off` (the attempt's run with the sandbox off) could not
 * work on this host, in buf, or NULL when nothing on the host explains
 * its failure. Only outcomes the host alone produces count: a seccomp
 * kill (SIGSYS, a named violation) or a failed spawn never does. */
const char *host_control_na(const char *attempt, const struct run_result *off,
			    const struct host_facts *h, char *buf, size_t len);

#endif
