/* SPDX-License-Identifier: MIT */
#include "uring-lockout.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define LOCKOUT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define LOCKOUT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define LOCKOUT_ARCH AUDIT_ARCH_RISCV64
#else
#error "uring_lockout: no audit arch for this architecture"
#endif

/* Bit 30 of an x86-64 system call number selects the x32 ABI, whose
 * numbers would not match the native ones below. */
#define X32_BIT 0x40000000u

/* On every thread: a thread pool started earlier is covered too. */
static int install(const struct sock_fprog *prog)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			 SECCOMP_FILTER_FLAG_TSYNC, prog);

	/* A positive result is a thread that could not be synchronised. */
	return r == 0 ? 0 : r < 0 ? -errno : -ESRCH;
}

int uring_lockout(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LOCKOUT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int rc = install(&prog);

	/* Sandboxed, no_new_privs is already set (and prctl is not in the
	 * profile); with `sandbox: off` it is set here. */
	if (rc == -EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
		rc = install(&prog);
	}
	return rc;
}
