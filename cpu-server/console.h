/* SPDX-License-Identifier: MIT */
/*
 * Console input pump: moves bytes from the console fd into the UART's
 * receive FIFO on the main loop. It reads only when the previous chunk has
 * been fully accepted, and stops watching the fd while the FIFO is full,
 * so no byte is ever dropped; console_kick() (after the UART reported room)
 * resumes it.
 */
#ifndef ATOLL_CPU_CONSOLE_H
#define ATOLL_CPU_CONSOLE_H

struct event_base;
struct uart;
struct console;

/* in_fd is not owned. Returns NULL with errno set. An fd libevent cannot
 * watch (a regular file) leaves the console without input. */
struct console *console_new(struct event_base *base, int in_fd,
			    struct uart *uart);
void console_free(struct console *c);
/* Pushes held bytes and resumes reading when they are all accepted. */
void console_kick(struct console *c);

#endif
