/* SPDX-License-Identifier: MIT */
#include "host-control.h"
#include "host-probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void host_facts_read(struct host_facts *h)
{
	h->legacy_tiocsti = host_read_sysctl("/proc/sys/dev/tty/legacy_tiocsti");
	h->memfd_noexec = host_read_sysctl("/proc/sys/vm/memfd_noexec");
}

/* The errno of the attempt's "RESULT <attempt> errno=<n>" line, or 0. */
static int result_errno(const char *attempt, const struct run_result *r)
{
	char key[96];
	const char *line;

	snprintf(key, sizeof(key), "RESULT %s errno=", attempt);
	line = strstr(r->out, key);
	return line ? atoi(line + strlen(key)) : 0;
}

/* With IA32 emulation absent or disabled, vector 0x80 is no gate: the
 * CPU faults and the kernel sends SIGSEGV before any system call runs. */
static bool no_ia32(const struct run_result *off)
{
	return !off->exited && off->code == SIGSEGV &&
	       !strstr(off->out, "RESULT int80 ");
}

const char *host_control_na(const char *attempt, const struct run_result *off,
			    const struct host_facts *h, char *buf, size_t len)
{
	int e = result_errno(attempt, off);

	if (!off->spawned || off->violation[0])
		return NULL;
	if (!strcmp(attempt, "int80") && no_ia32(off))
		snprintf(buf, len, "int 0x80 is killed by SIGSEGV with no "
			 "sandbox: the kernel has no IA32 emulation "
			 "(CONFIG_IA32_EMULATION off or ia32_emulation=0)");
	else if (!strcmp(attempt, "tiocsti") && h->legacy_tiocsti == 0 &&
		 e == EIO)
		snprintf(buf, len, "dev.tty.legacy_tiocsti=0: the kernel "
			 "refuses TIOCSTI without CAP_SYS_ADMIN (EIO)");
	else if (!strcmp(attempt, "exec-memfd") && h->memfd_noexec >= 1 &&
		 (e == EACCES || e == EINVAL))
		snprintf(buf, len, "vm.memfd_noexec=%d: memfds are not "
			 "executable on this host (%s)", h->memfd_noexec,
			 strerror(e));
	else
		return NULL;
	return buf;
}
