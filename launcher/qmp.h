/* SPDX-License-Identifier: MIT */
/*
 * A QMP (QEMU Machine Protocol) server on a unix stream socket, driven by a
 * libevent loop: JSON objects in, JSON objects out, any number of clients.
 * docs/qmp.md describes the protocol as Atoll speaks it.
 *
 * Built-in commands: qmp_capabilities, query-commands, query-version. The
 * embedding program registers the rest. Every client is untrusted: its input
 * is parsed with jansson from a bounded buffer (QMP_MAX_INPUT), and a client
 * whose input or unread output exceeds the bounds is disconnected.
 */
#ifndef ATOLL_LAUNCHER_QMP_H
#define ATOLL_LAUNCHER_QMP_H

#include <jansson.h>

struct event_base;
struct qmp_server;

#define QMP_MAX_INPUT (64u * 1024u)      /* bytes of one pending JSON value */
#define QMP_MAX_OUTPUT (1024u * 1024u)   /* unread bytes before a disconnect */
#define QMP_MAX_CLIENTS 16u

/*
 * Runs a command. `args` is the "arguments" object (an empty object when
 * the client sent none); the handler must not keep it. On success return 0
 * and set *ret to the result (a new reference; NULL means {}). On failure
 * return a negative errno and optionally set *err_desc to a malloc'd
 * description (else strerror is used); the client gets a GenericError.
 * Handlers run on the loop thread and must not free the server.
 */
typedef int (*qmp_handler)(void *opaque, json_t *args, json_t **ret,
			   char **err_desc);

/* A handler that answers later (it waits for a child process) calls
 * qmp_server_defer() and returns QMP_DEFERRED; it must then call
 * qmp_reply_send() exactly once, even if the client or the server is gone
 * by then. The client's further commands wait for that answer, as in
 * QEMU, where a monitor runs one command at a time. */
#define QMP_DEFERRED 1
struct qmp_reply;
/* Only inside a handler; NULL when out of memory. */
struct qmp_reply *qmp_server_defer(struct qmp_server *s);
/* Sends {"return": ret} (ret stolen, NULL: {}), or a GenericError with
 * `err` when it is not NULL, and frees r. */
void qmp_reply_send(struct qmp_reply *r, json_t *ret, const char *err);

/*
 * Listens on `socket_path` under the rules of unix-listen.h (mode 0600 from
 * the start; a stale socket file is replaced; a live server's socket fails
 * with -EADDRINUSE and anything that is not a socket with -EEXIST, both
 * left in place). Returns NULL with the negative errno in *err.
 */
struct qmp_server *qmp_server_new(struct event_base *base,
				  const char *socket_path, void *opaque,
				  int *err);
/* Adds (or replaces) a command. Returns 0, -EINVAL for a built-in's name,
 * or -ENOMEM. */
int qmp_server_register(struct qmp_server *s, const char *command,
			qmp_handler fn);
/* Sends an event to every client past capabilities negotiation. `data` is
 * stolen and may be NULL (no "data" member). */
void qmp_server_event(struct qmp_server *s, const char *event, json_t *data);
/* Number of connected clients. */
unsigned qmp_server_clients(const struct qmp_server *s);
/* Flushes what it can to each client, closes them, unlinks the socket.
 * NULL is a no-op. */
void qmp_server_free(struct qmp_server *s);

#endif
