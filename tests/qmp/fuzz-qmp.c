/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: one hostile QMP client per input. The first byte picks
 * the size of the writes (so that values arrive cut at every place), the
 * rest is the byte stream. The server must answer, survive, and close the
 * client after its EOF once the output is flushed.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *base;
static struct qmp_server *server;
static struct sockaddr_un addr = { .sun_family = AF_UNIX };

static int cmd_echo(void *opaque, json_t *args, json_t **ret, char **err)
{
	*ret = json_deep_copy(args);
	return 0;
}

static int cmd_fail(void *opaque, json_t *args, json_t **ret, char **err)
{
	*err = strdup("no");
	return -EIO;
}

static int cmd_event(void *opaque, json_t *args, json_t **ret, char **err)
{
	qmp_server_event(server, "FUZZ", json_deep_copy(args));
	return 0;
}

static char dir[] = "/tmp/atoll-fuzz-qmp-XXXXXX";

static void cleanup(void)
{
	qmp_server_free(server);   /* unlinks the socket */
	rmdir(dir);
}

static void setup(void)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		abort();
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/q", dir);
	base = event_base_new();
	server = qmp_server_new(base, addr.sun_path, NULL, &rc);
	if (!server || qmp_server_register(server, "echo", cmd_echo) ||
	    qmp_server_register(server, "fail", cmd_fail) ||
	    qmp_server_register(server, "event", cmd_event))
		abort();
	atexit(cleanup);
}

static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, off = 0;
	int fd, turns = 0;

	if (!base)
		setup();
	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] % 32) + 1;
	data++;
	size--;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		abort();
	/* Let the server accept us before anything else: a client closed
	 * before it was accepted stays in the listen backlog, and a run of
	 * inputs with no bytes to send fills it (connect: EAGAIN). */
	while (qmp_server_clients(server) == 0) {
		if (++turns > 100000) {
			fprintf(stderr, "the server never accepted a client\n");
			abort();
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	turns = 0;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t w = send(fd, data + off, n, MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			break;   /* the server cut us off (input bound) */
		event_base_loop(base, EVLOOP_NONBLOCK);
		drain(fd);
	}
	shutdown(fd, SHUT_WR);
	/* The server closes the client once the replies are out. */
	while (qmp_server_clients(server) > 0) {
		if (++turns > 100000) {
			fprintf(stderr, "client never closed after EOF\n");
			abort();
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		drain(fd);
	}
	close(fd);
	return 0;
}
