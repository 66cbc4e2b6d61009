/* SPDX-License-Identifier: MIT */
/*
 * atoll-sandbox-run: runs one program under a kind's profile, the way the
 * launcher would, passing down every fd it inherited (0..63) under the
 * same number. For deriving and checking profiles:
 *
 *   atoll-sandbox-run [--learn] [--off] [--path DIR]... KIND -- BIN ARGS
 *
 * --learn lets forbidden calls run and lists them at exit (the profile's
 * missing entries); without it a forbidden call kills the program and is
 * reported by name, exactly as in production. Exit status: the program's
 * (128+signal if killed), 127 if it could not be started.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

struct learned {
	char names[256][48];
	size_t n;
};

static void remember(struct learned *l, const struct sandbox_violation *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], v->name))
			return;
	if (l->n < 256)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", v->name);
	fprintf(stderr, "sandbox-run: learn: %s (%d)\n", v->name, v->nr);
}

static int collect_fds(struct sandbox_fd *fds)
{
	int n = 0;

	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fds[n++] = (struct sandbox_fd){ fd, fd };
	return n;
}

static int wait_child(struct sandbox_child *c, const char *kind, bool learn,
		      struct learned *l, int sfd)
{
	struct sandbox_violation v;
	siginfo_t si = { 0 };

	for (;;) {
		struct pollfd pf[3] = { { c->pidfd, POLLIN, 0 },
					{ c->notify_fd, POLLIN, 0 },
					{ sfd, POLLIN, 0 } };

		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			return 127;
		if (pf[1].revents & POLLIN &&
		    sandbox_notify_handle(c->notify_fd, c->pidfd, learn,
					  &v) == 0) {
			if (learn)
				remember(l, &v);
			else
				fprintf(stderr, "sandbox-run: %s: killed: forbidden "
					"system call %s (%d)\n", kind, v.name, v.nr);
		} else if (pf[1].revents) {
			close(c->notify_fd);
			c->notify_fd = -1;
		}
		if (pf[2].revents & POLLIN) {
			struct signalfd_siginfo ss;

			if (read(sfd, &ss, sizeof(ss)) == sizeof(ss))
				syscall(SYS_pidfd_send_signal, c->pidfd,
					(int)ss.ssi_signo, NULL, 0);
		}
		if ((pf[0].revents & POLLIN) &&
		    waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) == 0)
			return si.si_code == CLD_EXITED ? si.si_status :
			       128 + si.si_status;
	}
}

int main(int argc, char **argv)
{
	struct sandbox_spawn_args a = { .name = "sandbox-run", .envp = environ };
	const char *paths[16], *kind = NULL;
	struct sandbox_fd fds[64];
	struct sandbox_profile *p = NULL;
	struct sandbox_child c;
	struct sandbox_error e;
	static struct learned l;
	char msg[700];
	sigset_t set;
	int i, rc, sfd, nfds = collect_fds(fds);

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--learn"))
			a.learn = true;
		else if (!strcmp(argv[i], "--off"))
			a.off = true;
		else if (!strcmp(argv[i], "--path") && i + 1 < argc &&
			 a.npaths < 16)
			paths[a.npaths++] = argv[++i];
		else if (argv[i][0] != '-' && !kind)
			kind = argv[i];
		else
			break;
	}
	if (i + 1 >= argc || strcmp(argv[i], "--") || !kind) {
		fprintf(stderr, "usage: %s [--learn] [--off] [--path DIR]... "
			"KIND -- BINARY [ARGS...]\n", argv[0]);
		return 127;
	}
	if (sandbox_profile_load(NULL, kind, &p, &e) < 0) {
		sandbox_error_format(&e, msg, sizeof(msg));
		fprintf(stderr, "sandbox-run: %s\n", msg);
		return 127;
	}
	a.binary = argv[i + 1];
	a.argv = argv + i + 1;
	a.fds = fds;
	a.nfds = (size_t)nfds;
	a.profile = p;
	a.paths = paths;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sandbox_spawn(&a, &c, &e) < 0) {
		sandbox_error_format(&e, msg, sizeof(msg));
		fprintf(stderr, "sandbox-run: %s\n", msg);
		return 127;
	}
	if (c.warning)
		fprintf(stderr, "sandbox-run: WARNING: %s\n", c.warning);
	rc = wait_child(&c, kind, a.learn, &l, sfd);
	if (a.learn) {
		fprintf(stderr, "sandbox-run: learn: %s needs %zu more:", kind,
			l.n);
		for (size_t k = 0; k < l.n; k++)
			fprintf(stderr, " %s", l.names[k]);
		fprintf(stderr, "\n");
	}
	sandbox_profile_free(p);
	return rc;
}
