/* SPDX-License-Identifier: MIT */
/*
 * Seccomp violations: the filter's default action is "notify", so a
 * forbidden call blocks in the kernel until the launcher reads it here,
 * names it, and answers. The launcher then kills the process: a violation
 * is never retried or tolerated outside learn mode.
 */
#include "sandbox-private.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

int sandbox_notify_handle(int notify_fd, bool learn,
			  struct sandbox_violation *v)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd pf = { notify_fd, POLLIN, 0 };
	char *name;

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
		return errno == ENOENT ? -ENOENT :
		       errno == EBADF ? -EBADF : -errno;
	v->pid = (pid_t)req.pid;
	v->nr = req.data.nr;
	name = seccomp_syscall_resolve_num_arch(req.data.arch, req.data.nr);
	if (name)
		snprintf(v->name, sizeof(v->name), "%s", name);
	else
		snprintf(v->name, sizeof(v->name), "#%d", req.data.nr);
	free(name);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (learn)
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		resp.error = -EPERM;
	/* ENOENT: the caller died meanwhile (e.g. killed); nothing to do. */
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}
