/* SPDX-License-Identifier: MIT */
#include "stub.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct stub *s = opaque;

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO &&
	    (m->flags & ATOLL_FRAME_NEED_REPLY)) {
		const Atoll__Hello *h = (const Atoll__Hello *)m->body;
		Atoll__Hello r = ATOLL__HELLO__INIT;

		s->hello_seen = true;
		s->role = h->role;
		snprintf(s->kind, sizeof(s->kind), "%s", h->kind);
		snprintf(s->name, sizeof(s->name), "%s", h->name);
		s->pid_said = h->pid;
		s->caps = h->capabilities;
		r.protocol_version = s->reply_version;
		r.role = ATOLL__ROLE__ROLE_LAUNCHER;
		r.kind = (char *)"launcher";
		r.name = (char *)"test";
		r.pid = (uint32_t)getpid();
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &r.base,
				NULL, 0);
	} else if (m->type == ATOLL__MSG_TYPE__MSG_READY) {
		s->ready++;
	}
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	((struct stub *)opaque)->closed = true;
}

int stub_spawn(struct stub *s, const char *exe, const char *name,
	       const char *const *args)
{
	static const struct atoll_bus_callbacks cb = {
		.message = on_message, .closed = on_closed,
	};
	const char *argv[32] = { exe, "--fd=3" };
	char namearg[80];
	int sv[2], n = 2;

	if (!s->reply_version)
		s->reply_version = ATOLL_BUS_PROTOCOL_VERSION;
	snprintf(namearg, sizeof(namearg), "--name=%s", name);
	argv[n++] = namearg;
	for (; args && *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		/* dup2 clears close-on-exec on the new fd 3. */
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	s->bus = atoll_bus_new(sv[0], &cb, s);
	return s->bus ? 0 : -errno;
}

int stub_pump(struct stub *s, bool (*cond)(const struct stub *), int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (!cond(s)) {
		struct pollfd p = { .fd = atoll_bus_fd(s->bus), .events = POLLIN };
		long left = end - now_ms();

		if (s->closed)
			return -ECONNRESET;
		/* Frames queued during atoll_bus_call are not on the socket. */
		if (atoll_bus_dispatch(s->bus) > 0)
			continue;
		if (left <= 0)
			return -ETIMEDOUT;
		poll(&p, 1, (int)left);
	}
	return 0;
}

bool stub_hello_seen(const struct stub *s) { return s->hello_seen; }
bool stub_ready_seen(const struct stub *s) { return s->ready > 0; }

int stub_start(struct stub *s, const char *exe, const char *name,
	       const char *const *args)
{
	int r = stub_spawn(s, exe, name, args);
	int st;

	if (r < 0)
		return r;
	r = stub_pump(s, stub_hello_seen, 5000);
	if (r < 0 && waitpid(s->pid, &st, WNOHANG) == s->pid) {
		s->pid = 0;
		fprintf(stderr, "stub: %s exited (status 0x%x) before HELLO\n",
			exe, st);
		return -ECHILD;
	}
	return r;
}

int stub_wait(struct stub *s, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	int status;

	while (now_ms() < end) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid) {
			s->pid = 0;
			return status;
		}
		usleep(5000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return -ETIMEDOUT;
}

void stub_stop(struct stub *s)
{
	atoll_bus_free(s->bus);
	s->bus = NULL;
	if (s->pid > 0)
		stub_wait(s, 2000);
}
