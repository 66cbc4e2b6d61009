/* SPDX-License-Identifier: MIT */
/*
 * Seccomp violations: the filter's default action is "notify", so a
 * forbidden call blocks in the kernel until the launcher reads it here.
 * Outside learn mode the process is killed while the call is still
 * blocked, and the notification is never answered: a task with SIGKILL
 * pending leaves the user-notification wait only to die, so the
 * forbidden call never returns to the program (not even with an error)
 * and no instruction after it runs.
 */
#include "sandbox-private.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void name_call(const struct seccomp_notif *req,
		      struct sandbox_violation *v)
{
	char *name = seccomp_syscall_resolve_num_arch(req->data.arch,
						      req->data.nr);

	v->pid = (pid_t)req->pid;
	v->nr = req->data.nr;
	/* Under `wx: deny` these calls are allowed with any other prot:
	 * say why this one was not (the launcher logs the name). */
	if (name && req->data.arch == seccomp_arch_native() &&
	    sbx_wx_call(req->data.nr) &&
	    (req->data.args[SBX_WX_PROT_ARG] & (PROT_WRITE | PROT_EXEC)) ==
	    (PROT_WRITE | PROT_EXEC))
		snprintf(v->name, sizeof(v->name), "%s(PROT_WRITE|PROT_EXEC)",
			 name);
	else if (name)
		snprintf(v->name, sizeof(v->name), "%s", name);
	else
		snprintf(v->name, sizeof(v->name), "#%d", req->data.nr);
	free(name);
}

/* Every task on the filter is in the pidfd's thread group outside learn
 * mode (the filter lets clone through only with CLONE_THREAD and fork,
 * vfork and clone3 never), so this kill reaches the caller. ESRCH: the
 * whole process is gone already, which is as good. */
static int kill_caller(int pidfd)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 &&
	    errno != ESRCH)
		return -errno;
	return 0;
}

/* Learn mode only: the call runs as if allowed. ENOENT: the caller died
 * meanwhile; nothing to do. */
static int let_run(int notify_fd, const struct seccomp_notif *req)
{
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.id = req->id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int sandbox_notify_handle(int notify_fd, int pidfd, bool learn,
			  struct sandbox_violation *v)
{
	struct seccomp_notif req;
	struct pollfd pf = { notify_fd, POLLIN, 0 };

	/* NOTIF_RECV blocks while nothing is pending, and event loops report
	 * a hung-up listener (no process left) as readable: look first. */
	if (poll(&pf, 1, 0) < 0)
		return -errno;
	if (!(pf.revents & POLLIN))
		return pf.revents & (POLLHUP | POLLERR | POLLNVAL) ?
		       -ECONNRESET : -EAGAIN;
	/* The kernel insists on a zeroed request buffer. */
	memset(&req, 0, sizeof(req));
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -errno;
	name_call(&req, v);
	/* A failed kill leaves the call unanswered, so blocked: still never
	 * returning to the program. */
	return learn ? let_run(notify_fd, &req) : kill_caller(pidfd);
}
