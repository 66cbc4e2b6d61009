/* SPDX-License-Identifier: MIT */
/*
 * A listening unix socket at a path, under the one set of rules every
 * launcher socket follows (QMP, the console): a stale socket file left by a
 * dead server is replaced; a live socket, or anything that is not a socket
 * (a file, a folder, a symbolic link), is never removed and the call fails;
 * the socket is created with mode 0600, with no moment where it is wider.
 */
#ifndef ATOLL_LAUNCHER_UNIX_LISTEN_H
#define ATOLL_LAUNCHER_UNIX_LISTEN_H

#include <sys/types.h>

/* Which file we bound, so that removal takes ours and not a successor's. */
struct unix_listen_id {
	dev_t dev;
	ino_t ino;
};

/* Returns a listening SOCK_NONBLOCK | SOCK_CLOEXEC fd, or a negative errno:
 * -EADDRINUSE (a live server answers at path), -EEXIST (something that is
 * not a socket is there), -ENAMETOOLONG, or what a system call said. */
int unix_listen(const char *path, int backlog, struct unix_listen_id *id);

/* Why unix_listen failed, for an error message. */
const char *unix_listen_strerror(int err);

/* Removes path if it is still the socket file unix_listen created. */
void unix_listen_remove(const char *path, const struct unix_listen_id *id);

#endif
