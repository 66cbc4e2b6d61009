/* SPDX-License-Identifier: MIT */
/*
 * atoll-cpu under a launcher: this test plays the launcher on the bus
 * (HELLO reply, MEM_GRANT, CONSOLE_ATTACH, RESUME) around a bare-metal
 * program that prints "OK" and powers off, and checks READY, POWER_EVENT,
 * the console bytes and the exit status; plus a bus that closes early and a
 * RAM grant smaller than it claims.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atoll/bus.h>

#include "test-util.h"

#define RAM (64ull << 20)

static const uint32_t prog[] = {  /* see test-virt.c */
	0x100002b7, 0x04f00313, 0x00628023, 0x04b00313, 0x00628023,
	0x0005e383, 0x001002b7, 0x00005337, 0x55530313, 0x000eee37,
	0xfe1e0e1b, 0x00ce1e13, 0xdd0e0e13, 0x01c38663, 0x10003337,
	0x33330313, 0x0062a023, 0x0000006f,
};

struct launcher {
	atoll_bus *bus;
	pid_t pid;
	int console;       /* our end of the console stream */
	int hello, ready, power_action, closed;
};

static void on_msg(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct launcher *l = opaque;

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		const Atoll__Hello *h = (const Atoll__Hello *)m->body;
		Atoll__Hello r = ATOLL__HELLO__INIT;

		ck_assert_int_eq(h->role, ATOLL__ROLE__ROLE_CPU);
		ck_assert_str_eq(h->kind, "cpu");
		ck_assert_str_eq(h->name, "cpu0");
		r.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		r.role = ATOLL__ROLE__ROLE_LAUNCHER;
		r.kind = "launcher";
		r.name = "test";
		CHECK_OK(atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO,
					 &r.base, NULL, 0));
		l->hello = 1;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_READY) {
		l->ready = 1;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_POWER_EVENT) {
		l->power_action = ((Atoll__PowerEvent *)m->body)->action;
	}
}

static void on_closed(atoll_bus *bus, int err, void *opaque)
{
	((struct launcher *)opaque)->closed = 1;
}

static const struct atoll_bus_callbacks cbs = { on_msg, on_closed, NULL };

static int memfd_with(const void *data, size_t len, uint64_t size)
{
	int fd = memfd_create("t", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	CHECK_OK(ftruncate(fd, (off_t)size));
	if (len)
		ck_assert_int_eq(pwrite(fd, data, len, 0), (ssize_t)len);
	return fd;
}

/* Starts atoll-cpu with the bus on fd 3 and the program on fd 4. */
static void spawn(struct launcher *l)
{
	const char *cpu = getenv("ATOLL_CPU");
	int sv[2], prog_fd = memfd_with(prog, sizeof(prog), sizeof(prog));

	ck_assert_msg(cpu != NULL, "ATOLL_CPU not set");
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	l->pid = fork();
	ck_assert_int_ge(l->pid, 0);
	if (l->pid == 0) {
		int b = fcntl(sv[1], F_DUPFD, 10), p = fcntl(prog_fd, F_DUPFD, 10);

		dup2(b, 3);
		dup2(p, 4);
		execl(cpu, cpu, "--fd=3", "--name=cpu0", "--machine", "riscv-virt",
		      "--cpus", "1", "--memory", "64M", "--bare-fd=4", NULL);
		_exit(127);
	}
	close(sv[1]);
	close(prog_fd);
	l->bus = atoll_bus_new(sv[0], &cbs, l);
	ck_assert_ptr_nonnull(l->bus);
}

/* Dispatches until *flag is set or 10 s pass. */
static void pump(struct launcher *l, int *flag)
{
	time_t end = time(NULL) + 10;

	while (!*flag && !l->closed && time(NULL) < end) {
		struct pollfd p = { .fd = atoll_bus_fd(l->bus), .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			while (atoll_bus_dispatch(l->bus) > 0 && !*flag)
				;
	}
}

static int wait_exit(pid_t pid)
{
	int st;

	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void grant_ram(struct launcher *l, uint64_t claimed, uint64_t real)
{
	Atoll__MemRegion reg = ATOLL__MEM_REGION__INIT, *regs[1] = { &reg };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	int fd = memfd_with(NULL, 0, real);

	reg.name = "ram0";
	reg.guest_addr = 0x80000000ull;
	reg.size = claimed;
	g.n_regions = 1;
	g.regions = regs;
	CHECK_OK(atoll_bus_post(l->bus, ATOLL__MSG_TYPE__MSG_MEM_GRANT, &g.base,
				&fd, 1));
	close(fd);
}

static void attach_console(struct launcher *l)
{
	Atoll__ConsoleAttach ca = ATOLL__CONSOLE_ATTACH__INIT;
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ca.name = "serial0";
	CHECK_OK(atoll_bus_post(l->bus, ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH,
				&ca.base, &sv[1], 1));
	close(sv[1]);
	l->console = sv[0];
}

START_TEST(full_session_powers_off)
{
	struct launcher l = { 0 };
	Atoll__Resume res = ATOLL__RESUME__INIT;
	struct atoll_msg *reply = NULL;
	char out[8] = { 0 };

	spawn(&l);
	pump(&l, &l.hello);
	ck_assert_int_eq(l.hello, 1);
	grant_ram(&l, RAM, RAM);
	attach_console(&l);
	pump(&l, &l.ready);
	ck_assert_msg(l.ready, "no READY");
	CHECK_OK(atoll_bus_call(l.bus, ATOLL__MSG_TYPE__MSG_RESUME, &res.base,
				NULL, 0, 5000, &reply));
	ck_assert_int_eq(reply->type, ATOLL__MSG_TYPE__MSG_ACK);
	atoll_msg_free(reply);
	pump(&l, &l.power_action);
	ck_assert_int_eq(l.power_action, ATOLL__POWER_ACTION__POWER_OFF);
	ck_assert_int_eq(wait_exit(l.pid), 0);
	ck_assert_int_ge(read(l.console, out, 2), 2);
	ck_assert_str_eq(out, "OK");
	close(l.console);
	atoll_bus_free(l.bus);
}
END_TEST

START_TEST(bus_close_exits)
{
	struct launcher l = { 0 };

	spawn(&l);
	pump(&l, &l.hello);
	atoll_bus_free(l.bus);
	ck_assert_int_eq(wait_exit(l.pid), 1);
}
END_TEST

START_TEST(shutdown_exits_zero)
{
	struct launcher l = { 0 };
	Atoll__Shutdown sd = ATOLL__SHUTDOWN__INIT;

	spawn(&l);
	pump(&l, &l.hello);
	grant_ram(&l, RAM, RAM);
	attach_console(&l);
	pump(&l, &l.ready);
	ck_assert(l.ready);
	sd.reason = "test";
	CHECK_OK(atoll_bus_post(l.bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &sd.base,
				NULL, 0));
	ck_assert_int_eq(wait_exit(l.pid), 0);
	ck_assert_int_eq(l.power_action, 0);  /* harts never ran */
	close(l.console);
	atoll_bus_free(l.bus);
}
END_TEST

START_TEST(short_memfd_refused)
{
	struct launcher l = { 0 };

	spawn(&l);
	pump(&l, &l.hello);
	grant_ram(&l, RAM, RAM / 2);   /* claims 64M, backs 32M */
	pump(&l, &l.closed);
	ck_assert_int_eq(l.ready, 0);
	ck_assert_int_eq(wait_exit(l.pid), 1);
	atoll_bus_free(l.bus);
}
END_TEST

static Suite *cpu_bus_suite(void)
{
	Suite *s = suite_create("cpu-bus");
	TCase *tc = tcase_create("launcher");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_session_powers_off);
	tcase_add_test(tc, bus_close_exits);
	tcase_add_test(tc, shutdown_exits_zero);
	tcase_add_test(tc, short_memfd_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cpu_bus_suite)
