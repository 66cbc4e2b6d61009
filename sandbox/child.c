/* SPDX-License-Identifier: MIT */
/*
 * The child between clone and exec. Order (docs/sandbox.md says why):
 *   die with the launcher -> wait for uid/gid maps -> identity -> bounding
 *   set -> empty root -> fds -> rlimits -> capabilities -> no_new_privs ->
 *   seccomp (listener to the launcher) -> execveat(SANDBOX_EXEC_FD).
 * Every failure is reported as (step, errno) on the report socket and the
 * child exits 127. Nothing here allocates memory.
 */
#include "sandbox-private.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REPORT_FD (SANDBOX_EXEC_FD - 1)
#define MOVE_BASE 512                /* grants pass through here */


static _Noreturn void die(int sock, const char *what, int err)
{
	struct sbx_msg m = { .kind = SBX_MSG_ERROR, .err = err };

	snprintf(m.what, sizeof(m.what), "%s", what);
	/* write(), not send(): after the filter is loaded only the base
	 * calls are sure to be allowed. */
	(void)!write(sock, &m, sizeof(m));
	_exit(127);
}

static int raw_caps(struct __user_cap_data_struct d[2], bool set)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return (int)syscall(set ? SYS_capset : SYS_capget, &h, d);
}

static int write_self(const char *name, const char *text)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return r;
}

/* Unprivileged launcher: the child may map exactly its own uid and gid,
 * after giving up setgroups(). A launcher that changed uid is not
 * dumpable, which would leave /proc/self owned by root: undo that. */
static int map_self(const struct sbx_plan *pl, char *what, size_t len)
{
	char map[64];

	SBX_STEP(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "set dumpable");
	SBX_STEP(write_self("setgroups", "deny"), "setgroups deny");
	snprintf(map, sizeof(map), "%u %u 1\n", pl->uid, pl->uid);
	SBX_STEP(write_self("uid_map", map), "write uid_map");
	snprintf(map, sizeof(map), "%u %u 1\n", pl->gid, pl->gid);
	SBX_STEP(write_self("gid_map", map), "write gid_map");
	return 0;
}

/* Root launcher: become pl->uid/gid, keeping the capabilities the later
 * steps need (mounts); they are dropped for good in final_caps(). */
static int become(const struct sbx_plan *pl, char *what, size_t len)
{
	struct __user_cap_data_struct d[2];

	SBX_STEP(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "keepcaps");
	SBX_STEP(setgroups(0, NULL), "setgroups");
	SBX_STEP(setresgid(pl->gid, pl->gid, pl->gid), "setresgid %u", pl->gid);
	SBX_STEP(setresuid(pl->uid, pl->uid, pl->uid), "setresuid %u", pl->uid);
	SBX_STEP(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "keepcaps off");
	SBX_STEP(raw_caps(d, false), "capget");
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	SBX_STEP(raw_caps(d, true), "capset (effective)");
	return 0;
}

static bool wanted(const struct sandbox_profile *p, int cap)
{
	for (size_t i = 0; i < p->ncaps; i++)
		if (p->caps[i] == cap)
			return true;
	return false;
}

/* libcap-ng first; then every bit is checked with PR_CAPBSET_READ (and
 * dropped directly if libcap-ng could not), because capng_apply() skips
 * the bounding set silently when it cannot read /proc. */
static int bounding_set(const struct sandbox_profile *p, char *what,
			size_t len)
{
	/* pid 0 = this process: libcap-ng may have recorded the launcher's
	 * pid, and ours is 1 in the new pid namespace. */
	capng_setpid(0);
	capng_clear(CAPNG_SELECT_BOUNDS);
	for (size_t i = 0; i < p->ncaps; i++)
		capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, (unsigned)p->caps[i]);
	(void)capng_apply(CAPNG_SELECT_BOUNDS);
	for (int cap = 0; cap <= 63; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break;                       /* past the last cap */
		if (in == 1 && !wanted(p, cap))
			SBX_STEP(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0),
			     "drop capability %d from the bounding set", cap);
	}
	return 0;
}

static int final_caps(const struct sandbox_profile *p, char *what,
		      size_t len)
{
	struct __user_cap_data_struct d[2];

	capng_clear(CAPNG_SELECT_CAPS);
	for (size_t i = 0; i < p->ncaps; i++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			     CAPNG_INHERITABLE, (unsigned)p->caps[i]);
	SBX_STEP(capng_apply(CAPNG_SELECT_CAPS), "capng_apply");
	SBX_STEP(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
	     "clear ambient capabilities");
	for (size_t i = 0; i < p->ncaps; i++)
		SBX_STEP(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, p->caps[i], 0,
			   0), "raise ambient capability %d", p->caps[i]);
	SBX_STEP(raw_caps(d, false), "capget");
	for (int cap = 0; cap < 64; cap++) {
		bool has = (cap < 32 ? d[0].permitted >> cap :
			    d[1].permitted >> (cap - 32)) & 1;

		if (has && !wanted(p, cap)) {
			errno = EPERM;
			SBX_STEP(-1, "capability %d survived the drop", cap);
		}
	}
	return 0;
}

/* Grants to their targets, the report socket and the binary to the top
 * numbers (close-on-exec), everything else closed. */
static int move_fds(const struct sbx_plan *pl, char *what, size_t len)
{
	const struct sandbox_spawn_args *a = pl->a;
	int moved[64];
	bool keep[SANDBOX_EXEC_FD + 1] = { false };
	int start = -1;

	SBX_STEP(dup3(pl->exec_fd, SANDBOX_EXEC_FD, O_CLOEXEC), "move binary fd");
	for (size_t i = 0; i < a->nfds; i++)
		SBX_STEP(moved[i] = fcntl(a->fds[i].fd, F_DUPFD_CLOEXEC, MOVE_BASE),
		     "fd %d (for %d)", a->fds[i].fd, a->fds[i].target);
	for (size_t i = 0; i < a->nfds; i++) {
		SBX_STEP(dup2(moved[i], a->fds[i].target), "dup2 to %d",
		     a->fds[i].target);
		keep[a->fds[i].target] = true;
	}
	keep[REPORT_FD] = keep[SANDBOX_EXEC_FD] = true;
	for (int fd = 0; fd <= SANDBOX_EXEC_FD; fd++) {
		if (!keep[fd] && start < 0)
			start = fd;
		if ((keep[fd] || fd == SANDBOX_EXEC_FD) && start >= 0) {
			SBX_STEP(syscall(SYS_close_range, start, fd - 1, 0),
			     "close_range");
			start = -1;
		}
	}
	SBX_STEP(syscall(SYS_close_range, SANDBOX_EXEC_FD + 1, ~0u, 0),
	     "close_range");
	return 0;
}

static const int rl_resource[SANDBOX_RL_COUNT] = {
	[SANDBOX_RL_NOFILE] = RLIMIT_NOFILE, [SANDBOX_RL_AS] = RLIMIT_AS,
	[SANDBOX_RL_CORE] = RLIMIT_CORE, [SANDBOX_RL_FSIZE] = RLIMIT_FSIZE,
	[SANDBOX_RL_NPROC] = RLIMIT_NPROC, [SANDBOX_RL_MEMLOCK] = RLIMIT_MEMLOCK,
};

/* Soft = hard = the profile's value. NOFILE is always set, and below
 * SANDBOX_EXEC_FD, whatever the profile says: that is what makes the
 * exec rule in the seccomp filter unusable after exec. */
static int rlimits(const struct sandbox_profile *p, char *what, size_t len)
{
	for (int i = 0; i < SANDBOX_RL_COUNT; i++) {
		struct rlimit rl;
		rlim_t v = p->rlimits[i].value;

		if (i == SANDBOX_RL_NOFILE && (!p->rlimits[i].set ||
					       v >= SANDBOX_EXEC_FD - 1))
			v = SANDBOX_EXEC_FD - 1;
		else if (!p->rlimits[i].set)
			continue;
		/* Raising past the launcher's hard limit needs privilege we
		 * are shedding: "unlimited" means "as high as allowed". */
		SBX_STEP(getrlimit(rl_resource[i], &rl), "getrlimit %s",
		     sandbox_rlimit_name(i));
		if (v > rl.rlim_max)
			v = rl.rlim_max;
		rl.rlim_cur = rl.rlim_max = v;
		SBX_STEP(setrlimit(rl_resource[i], &rl), "setrlimit %s",
		     sandbox_rlimit_name(i));
	}
	return 0;
}

static int send_listener(int listener, char *what, size_t len)
{
	struct sbx_msg m = { .kind = SBX_MSG_LISTENER };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &listener, sizeof(int));
	SBX_STEP(sendmsg(REPORT_FD, &mh, MSG_NOSIGNAL), "send seccomp listener");
	close(listener);
	return 0;
}

static int seccomp_last(const struct sbx_plan *pl, char *what, size_t len)
{
	int listener;

	SBX_STEP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	SBX_STEP(listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				     SECCOMP_FILTER_FLAG_NEW_LISTENER,
				     &pl->prog), "load seccomp filter");
	return send_listener(listener, what, len);
}

static int isolate(const struct sbx_plan *pl, char *what, size_t len)
{
	const struct sandbox_profile *p = pl->p;

	/* A new session without a controlling terminal: with the launcher's
	 * terminal as its ctty, a process holding a tty fd could push input
	 * into the user's shell with TIOCSTI (the bubblewrap CVE-2017-5226). */
	SBX_STEP(setsid(), "setsid");
	if (pl->setid ? become(pl, what, len) < 0 :
	    (pl->clone_flags & CLONE_NEWUSER) && map_self(pl, what, len) < 0)
		return -1;
	if (bounding_set(p, what, len) < 0 || sbx_child_root(pl, what, len) < 0)
		return -1;
	if (pl->clone_flags & CLONE_NEWUTS)
		SBX_STEP(sethostname("atoll", 5), "sethostname");
	if (move_fds(pl, what, len) < 0 || rlimits(p, what, len) < 0 ||
	    final_caps(p, what, len) < 0)
		return -1;
	return seccomp_last(pl, what, len);
}

/* A launcher that takes signals through a signalfd has them blocked, and
 * blocked and ignored signals survive exec: the program must start with
 * an empty mask and default dispositions, or SIGTERM never reaches it. */
static int reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &sa) < 0 || sa.sa_handler != SIG_IGN)
			continue;
		sa.sa_handler = SIG_DFL;
		if (sigaction(sig, &sa, NULL) < 0)
			return -1;
	}
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The launcher's soft RLIMIT_NOFILE may be below the top fd numbers used
 * here; rlimits() lowers it again before exec. */
static int fd_headroom(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur > SANDBOX_EXEC_FD)
		return 0;
	if (rl.rlim_max <= SANDBOX_EXEC_FD) {
		errno = EMFILE;
		return -1;
	}
	rl.rlim_cur = SANDBOX_EXEC_FD + 1;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

_Noreturn void sbx_child_main(const struct sbx_plan *pl)
{
	char what[200] = "";
	char go;

	/* Until the parent says go, its death shows as EOF here; after,
	 * PDEATHSIG covers it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die(pl->sock, "PR_SET_PDEATHSIG", errno);
	if (read(pl->sock, &go, 1) != 1 || go != 'g')
		_exit(127);
	if (reset_signals() < 0)
		die(pl->sock, "reset signal mask and dispositions", errno);
	if (fd_headroom() < 0)
		die(pl->sock, "RLIMIT_NOFILE hard limit must exceed 1023", errno);
	if (dup3(pl->sock, REPORT_FD, O_CLOEXEC) < 0)
		die(pl->sock, "move report fd", errno);
	if (pl->p ? isolate(pl, what, sizeof(what)) < 0 :
		    move_fds(pl, what, sizeof(what)) < 0)
		die(REPORT_FD, what, errno);
	syscall(SYS_execveat, SANDBOX_EXEC_FD, "", pl->a->argv, pl->envp,
		AT_EMPTY_PATH);
	die(REPORT_FD, "exec", errno);
}
