/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "vm.h"

#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */

struct console {
	struct vm *vm;
	int guest_fd;              /* the cpu server's end */
	int host_fd;               /* ours */
	int in_fd, out_fd;         /* stdio, or the socket client */
	int listen_fd;
	char *socket_path;
	bool escape;               /* the last input byte was Ctrl-A */
	bool raw;
	struct termios saved;
	struct event *host_ev, *in_ev, *listen_ev;
};

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;    /* reader gone: console output is best effort */
		buf += n;
		len -= (size_t)n;
	}
}

static void console_from_guest(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0 && c->out_fd >= 0)
		write_all(c->out_fd, buf, (size_t)n);
}

/* Input from the user: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A h prints help; everything else goes to the guest. */
static void console_input(struct console *c, const char *buf, size_t len)
{
	char out[4096];
	size_t o = 0;

	for (size_t i = 0; i < len && o < sizeof(out) - 1; i++) {
		char ch = buf[i];

		if (!c->escape && ch == CONSOLE_ESCAPE) {
			c->escape = true;
			continue;
		}
		if (c->escape) {
			c->escape = false;
			if (ch == 'x') {
				write_all(c->host_fd, out, o);
				vm_shutdown(c->vm, 0, "quit from the console (Ctrl-A x)");
				return;
			}
			if (ch == 'h') {
				static const char help[] =
					"\r\nC-a x    quit\r\nC-a C-a  send C-a\r\nC-a h    this help\r\n";
				if (c->out_fd >= 0)
					write_all(c->out_fd, help, sizeof(help) - 1);
				continue;
			}
			if (ch != CONSOLE_ESCAPE)
				out[o++] = CONSOLE_ESCAPE;
		}
		out[o++] = ch;
	}
	write_all(c->host_fd, out, o);
}

static void console_close_client(struct console *c)
{
	if (c->in_ev)
		event_free(c->in_ev);
	c->in_ev = NULL;
	if (c->listen_fd >= 0 && c->in_fd >= 0)
		close(c->in_fd);   /* a socket client (stdio stays open) */
	c->in_fd = c->out_fd = -1;
}

static void console_from_user(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		console_input(c, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF on stdin (e.g. </dev/null) or a client that left: the guest
	 * keeps running, we just stop reading. */
	if (c->listen_fd >= 0) {
		console_close_client(c);
	} else {
		event_del(c->in_ev);
	}
}

static int console_watch_input(struct console *c, struct event_base *base)
{
	c->in_ev = event_new(base, c->in_fd, EV_READ | EV_PERSIST,
			     console_from_user, c);
	if (!c->in_ev || event_add(c->in_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void console_accept(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (client < 0)
		return;
	console_close_client(c);    /* one client at a time: newest wins */
	c->in_fd = c->out_fd = client;
	if (console_watch_input(c, event_get_base(c->listen_ev)) < 0)
		console_close_client(c);
}

static int console_listen(struct console *c, struct event_base *base,
			  const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0)
		return -errno;
	unlink(path);
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(c->listen_fd, 1) < 0)
		return -errno;
	c->socket_path = strdup(path);
	c->listen_ev = event_new(base, c->listen_fd, EV_READ | EV_PERSIST,
				 console_accept, c);
	if (!c->socket_path || !c->listen_ev || event_add(c->listen_ev, NULL) < 0)
		return -ENOMEM;
	log_info("console on %s", path);
	return 0;
}

/* Regular files and /dev/null cannot be polled: such a stdin has no input
 * for the guest worth waiting for. */
static bool pollable(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok = ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;

	if (ep >= 0)
		close(ep);
	return ok;
}

static int console_stdio(struct console *c, struct event_base *base)
{
	c->out_fd = STDOUT_FILENO;
	if (!pollable(STDIN_FILENO))
		return 0;
	c->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved) == 0) {
		struct termios raw = c->saved;

		/* Raw, so that Ctrl-C and friends reach the guest. */
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			c->raw = true;
	}
	return console_watch_input(c, base);
}

struct console *console_new(struct event_base *base, const char *spec,
			    struct vm *vm, int *err)
{
	struct console *c = calloc(1, sizeof(*c));
	int sv[2], rc = 0;

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->vm = vm;
	c->guest_fd = c->host_fd = c->in_fd = c->out_fd = c->listen_fd = -1;
	/* "none" still gets a stream whose output is read and dropped, so the
	 * guest's UART never blocks and the cpu server needs no special case. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto fail;
	}
	c->guest_fd = sv[0];
	c->host_fd = sv[1];
	c->host_ev = event_new(base, c->host_fd, EV_READ | EV_PERSIST,
			       console_from_guest, c);
	if (!c->host_ev || event_add(c->host_ev, NULL) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!strncmp(spec, "socket:", 7))
		rc = console_listen(c, base, spec + 7);
	else if (!strcmp(spec, "stdio"))
		rc = console_stdio(c, base);
	if (rc < 0)
		goto fail;
	return c;
fail:
	*err = rc;
	console_free(c);
	return NULL;
}

int console_guest_fd(struct console *c)
{
	if (!c || c->guest_fd < 0)
		return -1;
	return fcntl(c->guest_fd, F_DUPFD_CLOEXEC, 0);
}

void console_free(struct console *c)
{
	if (!c)
		return;
	if (c->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	console_close_client(c);
	if (c->host_ev)
		event_free(c->host_ev);
	if (c->listen_ev)
		event_free(c->listen_ev);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->socket_path) {
		unlink(c->socket_path);
		free(c->socket_path);
	}
	if (c->guest_fd >= 0)
		close(c->guest_fd);
	if (c->host_fd >= 0)
		close(c->host_fd);
	free(c);
}
