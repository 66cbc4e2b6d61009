/* SPDX-License-Identifier: MIT */
#include "host-probe.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int host_read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* errno of unshare(CLONE_NEWUSER) in a child, 0 when it worked. */
static int userns_errno(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno & 0xff);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return ECHILD;
	return WEXITSTATUS(st);
}

/* The settings that commonly forbid user namespaces, when they do. */
static void userns_settings(char *buf, size_t len)
{
	int max = host_read_sysctl("/proc/sys/user/max_user_namespaces");
	int clone = host_read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	int aa = host_read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");

	snprintf(buf, len, "%s%s%s", max == 0 ? "; user.max_user_namespaces=0" :
		 "", clone == 0 ? "; kernel.unprivileged_userns_clone=0" : "",
		 aa == 1 ? "; kernel.apparmor_restrict_unprivileged_userns=1" :
		 "");
}

static const char *missing(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s: %s", what, strerror(errno));
	return buf;
}

const char *host_sandbox_unavailable(char *buf, size_t len)
{
	uint32_t notify = SECCOMP_RET_USER_NOTIF;
	char why[160];
	long fd;
	int e;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &notify) < 0)
		return missing(buf, len, "no seccomp user notification "
			       "(Linux 5.0+)");
	if ((fd = syscall(SYS_pidfd_open, getpid(), 0)) < 0)
		return missing(buf, len, "no pidfd_open (Linux 5.3+)");
	close((int)fd);
	/* Too small a size: EINVAL where clone3 exists. */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		return missing(buf, len, "no clone3 (Linux 5.3+, or a "
			       "container's seccomp policy)");
	if ((e = userns_errno()) != 0) {
		userns_settings(why, sizeof(why));
		snprintf(buf, len, "cannot create a user namespace as uid %d: "
			 "%s%s", (int)geteuid(), strerror(e), why);
		return buf;
	}
	return NULL;
}

const char *host_uring_unavailable(char *buf, size_t len)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_R_DISABLED;
	fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd >= 0) {
		close((int)fd);
		return NULL;
	}
	snprintf(buf, len, "no restricted io_uring on this host: "
		 "io_uring_setup: %s (kernel.io_uring_disabled=%d)",
		 strerror(errno),
		 host_read_sysctl("/proc/sys/kernel/io_uring_disabled"));
	return buf;
}
