/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "machine/uart.h"

struct console {
	int fd;
	struct uart *uart;
	struct event *ev;
	bool watching;
	bool eof;
	uint8_t buf[4096];
	size_t off, len;   /* held bytes not yet accepted by the UART */
};

static void watch(struct console *c, bool on)
{
	if (!c->ev || on == c->watching || (on && c->eof))
		return;
	if (on ? event_add(c->ev, NULL) : event_del(c->ev)) {
		/* /dev/null and regular files cannot be polled. */
		log_debug("console: fd %d cannot be watched; no guest input",
			  c->fd);
		c->eof = true;
		return;
	}
	c->watching = on;
}

/* Returns true when nothing is held any more. */
static bool push_held(struct console *c)
{
	c->off += uart_rx_push(c->uart, c->buf + c->off, c->len - c->off);
	return c->off == c->len;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	ssize_t n;

	if (!push_held(c)) {
		watch(c, false);
		return;
	}
	n = read(c->fd, c->buf, sizeof(c->buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		log_debug("console: input closed (%s)", n ? "error" : "eof");
		watch(c, false);
		c->eof = true;
		return;
	}
	c->off = 0;
	c->len = (size_t)n;
	if (!push_held(c))
		watch(c, false);
}

struct console *console_new(struct event_base *base, int in_fd,
			    struct uart *uart)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = in_fd;
	c->uart = uart;
	if (in_fd >= 0)
		c->ev = event_new(base, in_fd, EV_READ | EV_PERSIST,
				  on_readable, c);
	if (in_fd >= 0 && !c->ev) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->eof = in_fd < 0;
	watch(c, true);
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	if (c->ev)
		event_free(c->ev);
	free(c);
}

void console_kick(struct console *c)
{
	if (push_held(c))
		watch(c, true);
}
