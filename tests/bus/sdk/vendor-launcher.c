/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the installed SDK: plays the launcher's side of a session
 * with the vendor device over a socketpair (the device gets it as fd 3),
 * and checks every step. Built, like the device, only with
 * pkg-config --cflags --libs atoll-bus.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atoll/bus.h>

#define FAIL(...)                                                            \
	do {                                                                 \
		fprintf(stderr, "vendor-launcher: " __VA_ARGS__);            \
		fprintf(stderr, "\n");                                       \
		exit(1);                                                     \
	} while (0)

struct session {
	int hello, ready;
};

static void on_message(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	struct session *s = opaque;
	Atoll__Hello me = ATOLL__HELLO__INIT;

	if (msg->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		Atoll__Hello *h = (Atoll__Hello *)msg->body;

		if (!(msg->flags & ATOLL_FRAME_NEED_REPLY) ||
		    strcmp(h->kind, "acme-widget") != 0)
			FAIL("bad HELLO (kind %s)", h->kind);
		me.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		me.role = ATOLL__ROLE__ROLE_LAUNCHER;
		if (atoll_bus_reply(bus, msg, ATOLL__MSG_TYPE__MSG_HELLO,
				    &me.base, NULL, 0) < 0)
			FAIL("HELLO reply failed");
		s->hello++;
	} else if (msg->type == ATOLL__MSG_TYPE__MSG_READY) {
		s->ready++;
	}
}

static void dispatch_until(atoll_bus *bus, const int *flag)
{
	struct pollfd p = { .fd = atoll_bus_fd(bus), .events = POLLIN };

	while (!*flag) {
		if (poll(&p, 1, 5000) != 1)
			FAIL("timed out waiting for the device");
		if (atoll_bus_dispatch(bus) < 0)
			FAIL("device hung up early");
	}
}

static pid_t spawn(const char *device, int sock)
{
	pid_t pid = fork();

	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		/* dup2 clears close-on-exec on fd 3. */
		if (dup2(sock, 3) < 0)
			_exit(127);
		execl(device, device, "--fd=3", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	static const struct atoll_bus_callbacks cbs = { .message = on_message };
	struct session s = { 0 };
	Atoll__Shutdown bye = ATOLL__SHUTDOWN__INIT;
	struct atoll_msg *reply = NULL;
	int sv[2], st, r;
	pid_t pid;
	atoll_bus *bus;

	if (argc != 2)
		FAIL("usage: vendor-launcher PATH-TO-DEVICE");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		FAIL("socketpair: %s", strerror(errno));
	pid = spawn(argv[1], sv[1]);
	close(sv[1]);
	bus = atoll_bus_new(sv[0], &cbs, &s);
	if (!bus)
		FAIL("atoll_bus_new: %s", strerror(errno));

	dispatch_until(bus, &s.hello);
	dispatch_until(bus, &s.ready);
	r = atoll_bus_call(bus, ATOLL__MSG_TYPE__MSG_HEALTH, NULL, NULL, 0,
			   5000, &reply);
	if (r < 0 || !((Atoll__HealthReport *)reply->body)->ok)
		FAIL("HEALTH: %s", strerror(-r));
	printf("health: %s\n", ((Atoll__HealthReport *)reply->body)->status);
	atoll_msg_free(reply);
	r = atoll_bus_call(bus, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL,
			   NULL, 0, 5000, &reply);
	if (r < 0 || ((Atoll__DeviceDesc *)reply->body)->generic->vendor_id !=
			     0x1234)
		FAIL("DEVICE_DESCRIBE: %s", strerror(-r));
	atoll_msg_free(reply);
	r = atoll_bus_call(bus, ATOLL__MSG_TYPE__MSG_PAUSE, NULL, NULL, 0, 5000,
			   &reply);
	if (r != -ENOTSUP)
		FAIL("PAUSE: wanted ENOTSUP, got %d", r);
	atoll_msg_free(reply);
	bye.reason = "test over";
	if (atoll_bus_post(bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &bye.base, NULL,
			   0) < 0)
		FAIL("SHUTDOWN failed");
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("device did not exit cleanly (status %#x)", st);
	atoll_bus_free(bus);
	printf("vendor device session OK (sdk %s)\n", atoll_bus_version());
	return 0;
}
