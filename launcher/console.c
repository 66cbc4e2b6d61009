/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "outq.h"
#include "unix-listen.h"
#include "vm.h"

#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */
#define CONSOLE_CHUNK 4096    /* bytes per read, either way */
/* Guest output held for a console peer that reads slower than the guest
 * writes; beyond it output is dropped (counted) so that the guest, and the
 * cpu server's UART, never wait for the peer. */
#define CONSOLE_OUT_MAX (64u * 1024u)
/* Console input is never dropped: reading from the peer stops while one
 * read's worth waits for the guest, so this bounds the queue. */
#define CONSOLE_IN_MAX (CONSOLE_CHUNK + 1)
#define CONSOLE_DROP_LOG_NS (5ull * 1000000000ull)

struct console {
	struct vm *vm;
	int guest_fd;              /* the cpu server's end */
	int host_fd;               /* ours, non-blocking */
	int in_fd;                 /* stdin or the socket client; -1: none */
	int out_fd;                /* our stdout handle or the socket client */
	int listen_fd;
	char *socket_path;
	struct unix_listen_id socket_id;
	bool escape;               /* the last input byte was Ctrl-A */
	bool raw;
	struct termios saved;
	struct outq *to_guest, *to_peer;
	uint64_t dropped, dropped_logged, next_drop_log_ns;
	struct event *host_ev, *in_ev, *listen_ev;
};

static void console_close_input(struct console *c);
static void console_close_client(struct console *c);

/* Counted, and logged at most once per CONSOLE_DROP_LOG_NS. */
static void console_dropped(struct console *c, size_t n)
{
	uint64_t now = now_ns();

	c->dropped += n;
	if (now < c->next_drop_log_ns)
		return;
	c->next_drop_log_ns = now + CONSOLE_DROP_LOG_NS;
	c->dropped_logged = c->dropped;
	log_warn("console: the peer does not keep up; %" PRIu64
		 " bytes of guest output dropped so far", c->dropped);
}

static void console_to_peer(struct console *c, const char *buf, size_t len)
{
	size_t took = outq_push(c->to_peer, buf, len);

	if (took < len && c->out_fd >= 0)
		console_dropped(c, len - took);
}

static void console_from_guest(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	char buf[CONSOLE_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	/* Without a peer (none, or no socket client) output is dropped. */
	if (n > 0)
		console_to_peer(c, buf, (size_t)n);
}

static void console_pause_input(struct console *c, bool pause)
{
	if (!c->in_ev)
		return;
	if (pause)
		event_del(c->in_ev);
	else
		event_add(c->in_ev, NULL);
}

/* Input is queued whole (the queue has room for one read) and reading
 * stops until the guest has taken it. */
static void console_to_guest(struct console *c, const char *buf, size_t len)
{
	size_t took = outq_push(c->to_guest, buf, len);

	if (took < len)
		log_warn("console: input queue overrun (%zu bytes lost)",
			 len - took);
	if (outq_pending(c->to_guest))
		console_pause_input(c, true);
}

static void console_guest_drained(void *opaque)
{
	console_pause_input(opaque, false);
}

/* The launcher holds the cpu server's end, so this is not expected; input
 * stops rather than being refused byte by byte. */
static void console_guest_failed(void *opaque, int err)
{
	struct console *c = opaque;

	log_error("console: cannot write to the guest: %s; input stops",
		  strerror(-err));
	if (c->listen_fd >= 0)
		console_close_client(c);
	else
		console_close_input(c);
}

static void console_peer_failed(void *opaque, int err)
{
	struct console *c = opaque;

	if (c->listen_fd >= 0) {
		console_close_client(c);
		return;
	}
	log_info("console: output stopped: %s", strerror(-err));
	close(c->out_fd);
	c->out_fd = -1;
}

/* Input from the user: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A h prints help; everything else goes to the guest. A Ctrl-A left
 * from the previous read adds at most one byte. */
static void console_input(struct console *c, const char *buf, size_t len)
{
	char out[CONSOLE_CHUNK + 1];
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (!c->escape && ch == CONSOLE_ESCAPE) {
			c->escape = true;
			continue;
		}
		if (c->escape) {
			c->escape = false;
			if (ch == 'x') {
				console_to_guest(c, out, o);
				vm_shutdown(c->vm, 0, "quit from the console (Ctrl-A x)");
				return;
			}
			if (ch == 'h') {
				static const char help[] =
					"\r\nC-a x    quit\r\nC-a C-a  send C-a\r\nC-a h    this help\r\n";
				console_to_peer(c, help, sizeof(help) - 1);
				continue;
			}
			if (ch != CONSOLE_ESCAPE)
				out[o++] = CONSOLE_ESCAPE;
		}
		out[o++] = ch;
	}
	console_to_guest(c, out, o);
}

static void console_close_input(struct console *c)
{
	if (c->in_ev)
		event_free(c->in_ev);
	c->in_ev = NULL;
	c->in_fd = -1;
}

static void console_close_client(struct console *c)
{
	int fd = c->in_fd;

	console_close_input(c);
	outq_set_fd(c->to_peer, -1, false);
	if (fd >= 0)
		close(fd);
	c->out_fd = -1;
}

static void console_from_user(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	char buf[CONSOLE_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		console_input(c, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EOF on stdin (e.g. </dev/null) or a client that left: the guest
	 * keeps running, we just stop reading. */
	if (c->listen_fd >= 0)
		console_close_client(c);
	else
		console_close_input(c);
}

static int console_watch_input(struct console *c, struct event_base *base)
{
	c->in_ev = event_new(base, c->in_fd, EV_READ | EV_PERSIST,
			     console_from_user, c);
	if (!c->in_ev)
		return -ENOMEM;
	/* Input waiting for the guest (from a previous client) comes first. */
	if (!outq_pending(c->to_guest) && event_add(c->in_ev, NULL) < 0)
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
	if (outq_set_fd(c->to_peer, client, true) < 0 ||
	    console_watch_input(c, event_get_base(c->listen_ev)) < 0)
		console_close_client(c);
}

static int console_listen(struct console *c, struct event_base *base,
			  const char *path)
{
	int fd = unix_listen(path, 1, &c->socket_id);

	if (fd < 0)
		return fd;
	c->listen_fd = fd;
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

/*
 * Our own handle on stdout that never blocks. O_NONBLOCK on stdout itself
 * would change the open file description the shell shares, so a terminal
 * or pipe is reopened through /proc (a new description); a socket is
 * written with MSG_DONTWAIT; a regular file does not block.
 */
static int console_stdout(bool *sock)
{
	struct stat st;
	int fd = -1;

	*sock = false;
	if (fstat(STDOUT_FILENO, &st) < 0)
		return -1;
	*sock = S_ISSOCK(st.st_mode);
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
		fd = open("/proc/self/fd/1", O_WRONLY | O_NOCTTY | O_CLOEXEC |
			  O_NONBLOCK);
	/* ENXIO: a pipe nobody reads, where writes fail rather than block. */
	if (fd < 0 && errno != ENXIO &&
	    (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		log_warn("console: cannot reopen stdout without blocking (%s); "
			 "a stalled reader can stall the launcher", strerror(errno));
	if (fd < 0)
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	return fd;
}

static int console_stdio(struct console *c, struct event_base *base)
{
	bool sock;

	c->out_fd = console_stdout(&sock);
	if (c->out_fd >= 0 && outq_set_fd(c->to_peer, c->out_fd, sock) < 0)
		return -ENOMEM;
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

static const struct outq_ops to_guest_ops = {
	.drained = console_guest_drained,
	.failed = console_guest_failed,
};

static const struct outq_ops to_peer_ops = {
	.failed = console_peer_failed,
};

/* The stream to the cpu server: both ends non-blocking, so that neither
 * side's writes can wait for the other. */
static int console_stream(struct console *c, struct event_base *base)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       sv) < 0)
		return -errno;
	c->guest_fd = sv[0];
	c->host_fd = sv[1];
	c->to_guest = outq_new(base, CONSOLE_IN_MAX, &to_guest_ops, c);
	c->to_peer = outq_new(base, CONSOLE_OUT_MAX, &to_peer_ops, c);
	c->host_ev = event_new(base, c->host_fd, EV_READ | EV_PERSIST,
			       console_from_guest, c);
	if (!c->to_guest || !c->to_peer || !c->host_ev ||
	    outq_set_fd(c->to_guest, c->host_fd, true) < 0 ||
	    event_add(c->host_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

struct console *console_new(struct event_base *base, const char *spec,
			    struct vm *vm, int *err)
{
	struct console *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->vm = vm;
	c->guest_fd = c->host_fd = c->in_fd = c->out_fd = c->listen_fd = -1;
	/* "none" still gets a stream whose output is read and dropped, so the
	 * guest's UART never blocks and the cpu server needs no special case. */
	rc = console_stream(c, base);
	if (rc == 0 && !strncmp(spec, "socket:", 7))
		rc = console_listen(c, base, spec + 7);
	else if (rc == 0 && !strcmp(spec, "stdio"))
		rc = console_stdio(c, base);
	if (rc < 0) {
		*err = rc;
		console_free(c);
		return NULL;
	}
	return c;
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
	if (c->dropped > c->dropped_logged)
		log_warn("console: %" PRIu64 " bytes of guest output dropped in all",
			 c->dropped);
	if (c->listen_fd >= 0)
		console_close_client(c);
	else
		console_close_input(c);
	/* Events go before the fds they watch. */
	outq_free(c->to_guest);
	outq_free(c->to_peer);
	if (c->listen_fd < 0 && c->out_fd >= 0)
		close(c->out_fd);
	if (c->host_ev)
		event_free(c->host_ev);
	if (c->listen_ev)
		event_free(c->listen_ev);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->socket_path)
			unix_listen_remove(c->socket_path, &c->socket_id);
	}
	free(c->socket_path);
	if (c->guest_fd >= 0)
		close(c->guest_fd);
	if (c->host_fd >= 0)
		close(c->host_fd);
	free(c);
}
