/* SPDX-License-Identifier: MIT */
/*
 * The guest console as the launcher relays it: the cpu server's UART is a
 * byte stream (a socketpair); the launcher connects its other end to stdio
 * (raw mode on a terminal, Ctrl-A x quits as in QEMU) or to clients of a
 * unix socket ("socket:PATH"), or reads and drops it ("none").
 */
#ifndef ATOLL_LAUNCHER_CONSOLE_H
#define ATOLL_LAUNCHER_CONSOLE_H

struct event_base;
struct console;
struct vm;

/* spec: "stdio" | "none" | "socket:PATH". Returns NULL with *err set. */
struct console *console_new(struct event_base *base, const char *spec,
			    struct vm *vm, int *err);
/* A new fd for the guest side (for CONSOLE_ATTACH), or -1 with errno set.
 * The caller closes it after passing it on. */
int console_guest_fd(struct console *c);
/* Restores the terminal, closes sockets, removes the socket file. NULL ok. */
void console_free(struct console *c);

#endif
