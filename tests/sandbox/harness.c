/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void drain(int *fd, char *buf, size_t size)
{
	size_t len = strlen(buf);
	ssize_t n = read(*fd, buf + len, size - 1 - len);

	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	buf[len + (size_t)n] = '\0';
}

/* Until the child is reaped and both pipes hit EOF (10 s at most). */
static void watch(struct sandbox_child *c, int out, int fd3,
		  struct run_result *res)
{
	struct sandbox_violation v;
	bool reaped = false;
	double deadline = now_us() + 10e6;

	while (!reaped || out >= 0 || fd3 >= 0) {
		struct pollfd pf[4] = { { c->pidfd, POLLIN, 0 },
					{ c->notify_fd, POLLIN, 0 },
					{ out, POLLIN, 0 }, { fd3, POLLIN, 0 } };

		if (now_us() > deadline) {
			syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
			deadline += 10e6;
		}
		if (poll(pf, 4, 1000) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & POLLIN) {
			if (sandbox_notify_handle(c->notify_fd, c->pidfd, false,
						  &v) == 0)
				snprintf(res->violation, sizeof(res->violation),
					 "%s", v.name);
		} else if (pf[1].revents) {
			close(c->notify_fd);
			c->notify_fd = -1;
		}
		if (pf[2].revents)
			drain(&out, res->out, sizeof(res->out));
		if (pf[3].revents)
			drain(&fd3, res->fd3, sizeof(res->fd3));
		if (!reaped && (pf[0].revents & POLLIN)) {
			siginfo_t si = { 0 };

			if (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) == 0) {
				reaped = true;
				res->exited = si.si_code == CLD_EXITED;
				res->code = si.si_status;
			}
		}
	}
}

int harness_run(const struct sandbox_profile *p, bool off,
		char *const argv[], struct run_result *res)
{
	return harness_run_in(p, off, argv, -1, res);
}

int harness_run_in(const struct sandbox_profile *p, bool off,
		   char *const argv[], int in_fd, struct run_result *res)
{
	int out[2], f3[2];
	char *envp[] = { "ATOLL_TEST=1", NULL };
	struct sandbox_fd fds[4];
	struct sandbox_spawn_args a = {
		.name = "hostile", .binary = argv[0], .argv = argv,
		.envp = envp, .fds = fds, .nfds = 3, .profile = p, .off = off,
	};
	struct sandbox_child c;
	struct sandbox_error err;
	double t0;
	int r;

	memset(res, 0, sizeof(*res));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(f3, O_CLOEXEC) < 0)
		return -errno;
	fds[0] = (struct sandbox_fd){ out[1], 1 };
	fds[1] = (struct sandbox_fd){ 2, 2 };
	fds[2] = (struct sandbox_fd){ f3[1], 3 };
	if (in_fd >= 0)
		fds[a.nfds++] = (struct sandbox_fd){ in_fd, 0 };
	t0 = now_us();
	r = sandbox_spawn(&a, &c, &err);
	res->spawn_us = now_us() - t0;
	close(out[1]);
	close(f3[1]);
	if (r < 0) {
		sandbox_error_format(&err, res->error, sizeof(res->error));
		close(out[0]);
		close(f3[0]);
		return 0;
	}
	res->spawned = true;
	watch(&c, out[0], f3[0], res);
	close(c.pidfd);
	if (c.notify_fd >= 0)
		close(c.notify_fd);
	return 0;
}
