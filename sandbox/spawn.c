/* SPDX-License-Identifier: MIT */
/*
 * The launcher's side of sandbox_spawn(): prepare everything the child
 * needs, clone3 into the profile's namespaces, write the user namespace
 * maps, then wait on the report socket until EOF (exec succeeded) or an
 * error record (which step failed, errno).
 */
#include "sandbox-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GRANTS 64
#define SPAWN_TIMEOUT_MS 10000

static int check_args(const struct sandbox_spawn_args *a,
		      struct sandbox_error *e)
{
	const struct sandbox_profile *p = a->profile;
	rlim_t nofile = SANDBOX_EXEC_FD - 1;
	bool seen[512] = { false };

	if (!a->binary || a->binary[0] != '/' || !a->argv || !a->argv[0] ||
	    !a->envp)
		return sbx_fail(e, NULL, 0, EINVAL, "sandbox: binary must be an "
				"absolute path, argv and envp non-empty");
	if (!a->off && !p)
		return sbx_fail(e, NULL, 0, EINVAL, "sandbox: %s: no profile "
				"(and sandbox is not off)", a->name);
	if (!a->off && p->rlimits[SANDBOX_RL_NOFILE].set)
		nofile = p->rlimits[SANDBOX_RL_NOFILE].value;
	if (a->nfds > MAX_GRANTS)
		return sbx_fail(e, NULL, 0, EINVAL, "sandbox: too many fds");
	for (size_t i = 0; i < a->nfds; i++) {
		int fd = a->fds[i].fd, t = a->fds[i].target;

		/* 1022 and 1023 are the child's report and exec fds. */
		if (fd < 0 || fd >= SANDBOX_EXEC_FD - 1 || t < 0 || t >= 512 ||
		    seen[t] || (rlim_t)t >= nofile)
			return sbx_fail(e, NULL, 0, EINVAL, "sandbox: %s: bad fd "
					"grant %d -> %d (sources below 1022; "
					"targets unique, below 512 and rlimit "
					"nofile %llu)", a->name, fd, t,
					(unsigned long long)nofile);
		seen[t] = true;
	}
	return 0;
}

static unsigned long clone_flags(unsigned ns)
{
	unsigned long f = 0;

	f |= ns & SANDBOX_NS_MOUNT ? CLONE_NEWNS : 0;
	f |= ns & SANDBOX_NS_PID ? CLONE_NEWPID : 0;
	f |= ns & SANDBOX_NS_NET ? CLONE_NEWNET : 0;
	f |= ns & SANDBOX_NS_IPC ? CLONE_NEWIPC : 0;
	f |= ns & SANDBOX_NS_UTS ? CLONE_NEWUTS : 0;
	f |= ns & SANDBOX_NS_USER ? CLONE_NEWUSER : 0;
	f |= ns & SANDBOX_NS_CGROUP ? CLONE_NEWCGROUP : 0;
	return f;
}

/* The loader expands $ORIGIN from /proc/self/exe, which does not exist
 * in the sandbox; LD_ORIGIN_PATH is its documented fallback. */
static int plan_env(struct sbx_plan *pl)
{
	char dir[PATH_MAX];
	size_t n = 0;

	for (char *const *v = pl->a->envp; *v; v++, n++)
		if (!strncmp(*v, "LD_ORIGIN_PATH=", 15))
			return 0;
	if (!realpath(pl->a->binary, dir))
		return -errno;
	*strrchr(dir, '/') = '\0';
	if (asprintf(&pl->origin_env, "LD_ORIGIN_PATH=%s", dir[0] ? dir : "/") < 0)
		return -ENOMEM;
	if (!(pl->env_copy = calloc(n + 2, sizeof(char *))))
		return -ENOMEM;
	memcpy(pl->env_copy, pl->a->envp, n * sizeof(char *));
	pl->env_copy[n] = pl->origin_env;
	pl->envp = pl->env_copy;
	return 0;
}

static int plan_build(struct sbx_plan *pl, struct sandbox_error *e)
{
	const struct sandbox_profile *p = pl->p;
	int r;

	pl->clone_flags = clone_flags(p->namespaces);
	if (geteuid() == 0) {
		/* Host device nodes here are root-only (0600): a profile that
		 * needs one keeps uid 0, without any capability. */
		pl->setid = true;
		pl->uid = p->ndevices ? 0 : pl->a->uid ? pl->a->uid :
						SANDBOX_NOBODY;
		pl->gid = p->ndevices ? 0 : pl->a->gid ? pl->a->gid :
						SANDBOX_NOBODY;
	} else if (!(pl->clone_flags & CLONE_NEWUSER)) {
		return sbx_fail(e, p->file, 0, EPERM, "sandbox: profile '%s' has "
				"no user namespace, which an unprivileged "
				"launcher needs", p->kind);
	} else {
		pl->uid = geteuid();
		pl->gid = getegid();
	}
	if ((r = plan_env(pl)) < 0)
		return sbx_fail(e, NULL, 0, -r, "sandbox: %s: %s", pl->a->binary,
				strerror(-r));
	if ((r = sbx_filter_build(p, pl->a->learn, &pl->prog, e)) < 0)
		return r;
	return sbx_mounts_plan(pl, e);
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	size_t n = strlen(text);
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		r = -errno;
	close(fd);
	return r;
}

/* Root launcher: map the ids the child switches to (only root may map
 * ids other than its own). An unprivileged launcher's child maps itself:
 * see sbx_child_main(). */
static int write_maps(const struct sbx_plan *pl, pid_t pid,
		      struct sandbox_error *e)
{
	char map[64];
	int r;

	snprintf(map, sizeof(map), "%u %u 1\n", pl->uid, pl->uid);
	if ((r = write_file(pid, "uid_map", map)) < 0)
		return sbx_fail(e, NULL, 0, -r, "sandbox: uid_map: %s",
				strerror(-r));
	snprintf(map, sizeof(map), "%u %u 1\n", pl->gid, pl->gid);
	if ((r = write_file(pid, "gid_map", map)) < 0)
		return sbx_fail(e, NULL, 0, -r, "sandbox: gid_map: %s",
				strerror(-r));
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One record from the child: 1 = EOF (exec done), 0 = listener taken,
 * negative = the child's failure, already described in e. */
static int read_report(const struct sandbox_spawn_args *a, int sock,
		       int *listener, struct sandbox_error *e)
{
	struct sbx_msg m;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	int fd = -1;

	if (n < 0)
		return sbx_fail(e, NULL, 0, errno, "sandbox: %s: report: %s",
				a->name, strerror(errno));
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return 1;
	if (n == sizeof(m) && m.kind == SBX_MSG_LISTENER && fd >= 0 &&
	    *listener < 0) {
		*listener = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	if (n == sizeof(m) && m.kind == SBX_MSG_ERROR) {
		m.what[sizeof(m.what) - 1] = '\0';
		return sbx_fail(e, NULL, 0, m.err > 0 ? m.err : EIO,
				"sandbox: %s: cannot start %s: %s: %s", a->name,
				a->binary, m.what, strerror(m.err));
	}
	return sbx_fail(e, NULL, 0, EPROTO, "sandbox: %s: malformed report",
			a->name);
}

/* Until exec: report records, and any seccomp notification (a call the
 * profile forgot, made before exec). */
static int wait_exec(const struct sbx_plan *pl, int pidfd, int sock,
		     int *listener, struct sandbox_error *e)
{
	long deadline = now_ms() + SPAWN_TIMEOUT_MS;
	struct sandbox_violation v;
	int r;

	for (;;) {
		struct pollfd pf[2] = { { sock, POLLIN, 0 },
					{ *listener, POLLIN, 0 } };
		long left = deadline - now_ms();

		if (left <= 0)
			return sbx_fail(e, NULL, 0, ETIMEDOUT, "sandbox: %s: "
					"child did not exec within %d ms",
					pl->a->name, SPAWN_TIMEOUT_MS);
		if (poll(pf, *listener >= 0 ? 2 : 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* The report socket first: exec closes it before the new
		 * program runs, so a notification seen together with EOF is
		 * the program's (the caller's business), not a pre-exec one. */
		if (pf[0].revents) {
			r = read_report(pl->a, sock, listener, e);
			if (r != 0)
				return r < 0 ? r : 0;
			continue;
		}
		if (*listener >= 0 && (pf[1].revents & POLLIN)) {
			r = sandbox_notify_handle(*listener, pidfd,
						  pl->a->learn, &v);
			if (pl->a->learn)
				continue;
			return sbx_fail(e, NULL, 0, EPERM, "sandbox: %s: forbidden "
					"system call %s (%d) before exec%s",
					pl->a->name, r == 0 ? v.name : "?",
					r == 0 ? v.nr : -1,
					r == 0 ? "" : " (unreadable)");
		}
	}
}

static int parent_side(struct sbx_plan *pl, pid_t pid, int pidfd, int sock,
		       int *listener, struct sandbox_error *e)
{
	int r;

	if (pl->p && pl->setid && (pl->clone_flags & CLONE_NEWUSER) &&
	    (r = write_maps(pl, pid, e)) < 0)
		return r;
	if (send(sock, "g", 1, MSG_NOSIGNAL) != 1)
		return sbx_fail(e, NULL, 0, errno, "sandbox: %s: child gone "
				"before start", pl->a->name);
	if ((r = wait_exec(pl, pidfd, sock, listener, e)) < 0)
		return r;
	if (pl->p && *listener < 0)
		return sbx_fail(e, NULL, 0, EPROTO, "sandbox: %s: exec'd without "
				"handing over its seccomp listener", pl->a->name);
	return 0;
}

static int do_clone(struct sbx_plan *pl, int sv[2], int *pidfd)
{
	struct clone_args ca = {
		.flags = CLONE_PIDFD | pl->clone_flags,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));

	if (pid == 0) {
		close(sv[0]);
		pl->sock = sv[1];
		sbx_child_main(pl);
	}
	return pid < 0 ? -errno : (int)pid;
}

static void reap(int pidfd)
{
	siginfo_t si;

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 &&
	       errno == EINTR)
		;
}

int sandbox_spawn(const struct sandbox_spawn_args *a,
		  struct sandbox_child *child, struct sandbox_error *e)
{
	struct sbx_plan pl = { .a = a, .p = a->off ? NULL : a->profile,
			       .exec_fd = -1, .sock = -1, .envp = a->envp };
	int sv[2] = { -1, -1 }, pidfd = -1, listener = -1, pid = -1, r;

	*child = (struct sandbox_child){ .pid = -1, .pidfd = -1,
					 .notify_fd = -1 };
	if (e)
		memset(e, 0, sizeof(*e));
	if ((r = check_args(a, e)) < 0)
		return r;
	if (pl.p && (r = plan_build(&pl, e)) < 0)
		goto out;
	if ((pl.exec_fd = open(a->binary, O_PATH | O_CLOEXEC)) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = sbx_fail(e, NULL, 0, errno, "sandbox: %s: %s: %s", a->name,
			     a->binary, strerror(errno));
		goto out;
	}
	if ((pid = do_clone(&pl, sv, &pidfd)) < 0) {
		r = sbx_fail(e, NULL, 0, -pid, "sandbox: %s: clone3 (%s): %s",
			     a->name, pl.p ? "namespaces" : "plain",
			     strerror(-pid));
		goto out;
	}
	close(sv[1]);
	sv[1] = -1;
	if ((r = parent_side(&pl, pid, pidfd, sv[0], &listener, e)) < 0) {
		reap(pidfd);
		goto out;
	}
	*child = (struct sandbox_child){ .pid = pid, .pidfd = pidfd,
					 .notify_fd = listener };
	if (a->off)
		child->warning = "SANDBOX OFF: this process runs with the "
				 "launcher's uid, capabilities, namespaces and "
				 "no seccomp filter or rlimits";
	pidfd = listener = -1;
out:
	if (pidfd >= 0)
		close(pidfd);
	if (listener >= 0)
		close(listener);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (pl.exec_fd >= 0)
		close(pl.exec_fd);
	free(pl.prog.filter);
	free(pl.env_copy);
	free(pl.origin_env);
	sbx_mounts_free(&pl);
	return r;
}
