/* SPDX-License-Identifier: MIT */
/*
 * samples/goldfish-rtc as the launcher and atoll-cpu see it, over the bus,
 * while it runs under the external sandbox profile (atoll-sandbox-run,
 * which kills it on a call the profile lacks): its description; the clock
 * (the host's, and set by the guest); the alarm, already due and in the
 * future, and its level line following pending && enabled; hostile
 * accesses (wrong size, unaligned, outside the window) ignored or refused
 * while the device keeps serving; HEALTH; SHUTDOWN ends it with status 0.
 * The guest test (tests/guest-samples) shows Linux's driver using it; this
 * one reaches the alarm, which the guest's busybox cannot set.
 *
 * usage: test-sample-rtc SANDBOX_RUN PROGRAM   (the sample, built out of
 * tree by samples-rtc-test.sh)
 */
#include <errno.h>
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

enum {
	TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c,
	IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18,
	CLEAR_INTERRUPT = 0x1c,
};
#define NS 1000000000ull
#define CALL_MS 5000           /* a hang guard, not a measurement */

static const char *sandbox_run, *program;

static struct {
	pid_t pid;
	atoll_bus *ctl, *cpu;
	bool hello, ready;
	int levels[64];        /* IRQ_LEVEL values of line 0, in order */
	unsigned nlevels;
} t;

static void ctl_message(atoll_bus *bus, struct atoll_msg *m, void *o)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;

	(void)o;
	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_LAUNCHER;
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0);
		t.hello = true;
	}
	if (m->type == ATOLL__MSG_TYPE__MSG_READY)
		t.ready = true;
}

static void cpu_message(atoll_bus *bus, struct atoll_msg *m, void *o)
{
	const Atoll__IrqLevel *l = (const Atoll__IrqLevel *)m->body;

	(void)bus;
	(void)o;
	if (m->type != ATOLL__MSG_TYPE__MSG_IRQ_LEVEL)
		return;
	ck_assert_uint_eq(l->line, 0);
	if (t.nlevels < 64)
		t.levels[t.nlevels++] = l->level;
}

static void closed(atoll_bus *bus, int error, void *o)
{
	(void)bus;
	(void)error;
	(void)o;
}

/* Dispatches what arrived (and what a call set aside) on `bus`, waiting
 * up to `ms` for the first frame. */
static void pump(atoll_bus *bus, int ms)
{
	struct pollfd p = { .fd = atoll_bus_fd(bus), .events = POLLIN };

	if (!atoll_bus_queued(bus))
		poll(&p, 1, ms);
	while (atoll_bus_dispatch(bus) > 0 || atoll_bus_queued(bus))
		;
}

static int last_level(void)
{
	pump(t.cpu, 0);
	return t.nlevels ? t.levels[t.nlevels - 1] : 0;
}

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* A register read as atoll-cpu sends it; -errno if refused. */
static int64_t rd_size(uint64_t off, uint32_t size)
{
	Atoll__RegionRead rr = ATOLL__REGION_READ__INIT;
	struct atoll_msg *reply = NULL;
	uint64_t v = 0;
	int r;

	rr.offset = off;
	rr.size = size;
	r = atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_REGION_READ, &rr.base,
			   NULL, 0, CALL_MS, &reply);
	if (r < 0) {
		atoll_msg_free(reply);
		return r;
	}
	const Atoll__RegionData *d = (const Atoll__RegionData *)reply->body;
	ck_assert_uint_eq(d->data.len, size);
	for (size_t i = 0; i < d->data.len; i++)
		v |= (uint64_t)d->data.data[i] << (8 * i);
	atoll_msg_free(reply);
	return (int64_t)v;
}

static uint32_t rd(uint64_t off)
{
	int64_t v = rd_size(off, 4);

	ck_assert_msg(v >= 0, "read at 0x%llx: %s", (unsigned long long)off,
		      strerror((int)-v));
	return (uint32_t)v;
}

/* A posted register write. */
static void wr(uint64_t off, uint32_t value)
{
	Atoll__RegionWrite w = ATOLL__REGION_WRITE__INIT;
	uint8_t b[4] = { value, value >> 8, value >> 16, value >> 24 };

	w.offset = off;
	w.data.data = b;
	w.data.len = 4;
	CHECK_OK(atoll_bus_post(t.cpu, ATOLL__MSG_TYPE__MSG_REGION_WRITE,
				&w.base, NULL, 0));
}

static uint64_t rtc_ns(void)
{
	uint64_t lo = rd(TIME_LOW);

	return (uint64_t)rd(TIME_HIGH) << 32 | lo;
}

static void set_alarm(uint64_t ns)
{
	wr(ALARM_HIGH, (uint32_t)(ns >> 32));
	wr(ALARM_LOW, (uint32_t)ns);       /* arms it */
}

static void spawn(int fd)
{
	t.pid = fork();
	ck_assert_int_ge(t.pid, 0);
	if (t.pid == 0) {
		if (dup2(fd, 3) < 0)
			_exit(127);
		execl(sandbox_run, "atoll-sandbox-run", "external", "--",
		      program, "--fd=3", "--name=rtc0", (char *)NULL);
		_exit(127);
	}
	close(fd);
}

/* atoll-cpu describes every device before anything else (the library
 * posts no line level to a peer that has not). */
static void describe(void)
{
	struct atoll_msg *reply = NULL;

	CHECK_OK(atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE,
				NULL, NULL, 0, CALL_MS, &reply));
	const Atoll__DeviceDesc *d = (const Atoll__DeviceDesc *)reply->body;
	ck_assert_int_eq(d->model, ATOLL__DEVICE_MODEL__MODEL_GENERIC);
	ck_assert_ptr_nonnull(d->generic);
	ck_assert_int_eq(d->generic->bus, ATOLL__GENERIC_BUS__BUS_PLATFORM);
	ck_assert_str_eq(d->generic->dt_compatible, "google,goldfish-rtc");
	ck_assert_uint_eq(d->generic->num_irqs, 1);
	ck_assert_uint_eq(d->generic->n_regions, 1);
	ck_assert_uint_eq(d->generic->regions[0]->size, 0x1000);
	atoll_msg_free(reply);
}

/* The launcher's part: HELLO, a memory grant (READY follows), and the
 * peer connection; then atoll-cpu's: HELLO and DEVICE_DESCRIBE. */
static void session(void)
{
	static const struct atoll_bus_callbacks ctl_cb = {
		.message = ctl_message, .closed = closed,
	}, cpu_cb = { .message = cpu_message, .closed = closed };
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, *rs[] = { &r0 };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *reply = NULL;
	int ctl[2], peer[2], ram = memfd_create("ram", MFD_ALLOW_SEALING);

	ck_assert_int_ge(ram, 0);
	CHECK_OK(ftruncate(ram, 1 << 20));
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl));
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, peer));
	memset(&t, 0, sizeof(t));
	t.ctl = atoll_bus_new(ctl[0], &ctl_cb, NULL);
	ck_assert_ptr_nonnull(t.ctl);
	spawn(ctl[1]);
	for (int i = 0; i < 50 && !t.hello; i++)
		pump(t.ctl, 100);
	ck_assert_msg(t.hello, "no HELLO from the sample");
	r0.guest_addr = 0x80000000;
	r0.size = 1 << 20;
	g.regions = rs;
	g.n_regions = 1;
	CHECK_OK(atoll_bus_post(t.ctl, ATOLL__MSG_TYPE__MSG_MEM_GRANT, &g.base,
				&ram, 1));
	for (int i = 0; i < 50 && !t.ready; i++)
		pump(t.ctl, 100);
	ck_assert_msg(t.ready, "no READY after the memory grant");
	close(ram);
	pc.peer = "cpu";
	pc.peer_role = ATOLL__ROLE__ROLE_CPU;
	CHECK_OK(atoll_bus_post(t.ctl, ATOLL__MSG_TYPE__MSG_PEER_CONNECT,
				&pc.base, &peer[1], 1));
	close(peer[1]);
	t.cpu = atoll_bus_new(peer[0], &cpu_cb, NULL);
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	CHECK_OK(atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0, CALL_MS, &reply));
	atoll_msg_free(reply);
	describe();
}

START_TEST(describes_a_platform_rtc)
{
	session();      /* which checks the description */
}
END_TEST

START_TEST(clock_is_the_hosts_and_settable)
{
	uint64_t set = 1000000000ull * NS;      /* 2001-09-09 */

	session();
	/* Values, not timing: 5 s is far more than one round trip. */
	ck_assert_uint_lt(llabs((long long)(rtc_ns() - host_ns())), 5 * NS);
	wr(TIME_HIGH, (uint32_t)(set >> 32));
	wr(TIME_LOW, (uint32_t)set);
	ck_assert_uint_lt(rtc_ns() - set, 5 * NS);
}
END_TEST

START_TEST(alarm_due_raises_the_line_only_when_enabled)
{
	session();
	wr(IRQ_ENABLED, 0);
	set_alarm(rtc_ns() - NS);          /* already due: fires at once */
	ck_assert_uint_eq(rd(ALARM_STATUS), 0);
	ck_assert_int_eq(last_level(), 0);  /* pending, but not enabled */
	wr(IRQ_ENABLED, 1);
	ck_assert_uint_eq(rd(IRQ_ENABLED), 1);
	ck_assert_int_eq(last_level(), 1);
	wr(CLEAR_INTERRUPT, 1);
	rd(ALARM_STATUS);                   /* orders the line before this */
	ck_assert_int_eq(last_level(), 0);
}
END_TEST

START_TEST(alarm_in_the_future_fires_later)
{
	session();
	wr(IRQ_ENABLED, 1);
	set_alarm(rtc_ns() + NS / 5);
	ck_assert_uint_eq(rd(ALARM_STATUS), 1);
	/* Waits for the line; the bound only keeps a broken device from
	 * hanging the test. */
	for (int i = 0; i < 100 && last_level() != 1; i++)
		pump(t.cpu, 100);
	ck_assert_int_eq(last_level(), 1);
	ck_assert_uint_eq(rd(ALARM_STATUS), 0);
	wr(CLEAR_INTERRUPT, 1);
	rd(ALARM_STATUS);
	ck_assert_int_eq(last_level(), 0);

	set_alarm(rtc_ns() + 86400 * NS);  /* tomorrow, then cancelled */
	ck_assert_uint_eq(rd(ALARM_STATUS), 1);
	wr(CLEAR_ALARM, 1);
	ck_assert_uint_eq(rd(ALARM_STATUS), 0);
	set_alarm(UINT64_MAX);             /* centuries away: armed, quiet */
	ck_assert_uint_eq(rd(ALARM_STATUS), 1);
	ck_assert_int_eq(last_level(), 0);
}
END_TEST

START_TEST(hostile_accesses_then_health_and_shutdown)
{
	struct atoll_msg *reply = NULL;
	int status;

	session();
	wr(IRQ_ENABLED, 1);
	ck_assert_int_eq(rd_size(TIME_LOW, 2), 0);   /* only 32-bit exists */
	ck_assert_int_eq(rd_size(TIME_LOW + 2, 4), 0);
	ck_assert_int_eq(rd_size(0xffc, 4), 0);      /* no register there */
	ck_assert_int_lt(rd_size(0x1000, 4), 0);     /* outside: refused */
	ck_assert_uint_eq(rd(IRQ_ENABLED), 1);       /* still serving */

	CHECK_OK(atoll_bus_call(t.ctl, ATOLL__MSG_TYPE__MSG_HEALTH, NULL,
				NULL, 0, CALL_MS, &reply));
	const Atoll__HealthReport *h = (const Atoll__HealthReport *)reply->body;
	ck_assert(h->ok);
	ck_assert_uint_eq(h->requests_failed, 2);   /* size 2, unaligned */
	atoll_msg_free(reply);

	CHECK_OK(atoll_bus_post(t.ctl, ATOLL__MSG_TYPE__MSG_SHUTDOWN, NULL,
				NULL, 0));
	ck_assert_int_eq(waitpid(t.pid, &status, 0), t.pid);
	t.pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the sample ended with status 0x%x, wanted exit 0", status);
}
END_TEST

static void teardown(void)
{
	int status;

	atoll_bus_free(t.cpu);
	atoll_bus_free(t.ctl);     /* the launcher is gone: the device exits */
	if (t.pid > 0 && waitpid(t.pid, &status, 0) == t.pid)
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
			      "the sample ended with status 0x%x, wanted exit "
			      "1 (launcher gone; 128+31 would be a seccomp "
			      "kill)", status);
	memset(&t, 0, sizeof(t));
}

static Suite *rtc_suite(void)
{
	Suite *s = suite_create("sample-goldfish-rtc");
	TCase *tc = tcase_create("bus");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, describes_a_platform_rtc);
	tcase_add_test(tc, clock_is_the_hosts_and_settable);
	tcase_add_test(tc, alarm_due_raises_the_line_only_when_enabled);
	tcase_add_test(tc, alarm_in_the_future_fires_later);
	tcase_add_test(tc, hostile_accesses_then_health_and_shutdown);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SANDBOX_RUN PROGRAM\n", argv[0]);
		return 2;
	}
	sandbox_run = argv[1];
	program = argv[2];
	signal(SIGPIPE, SIG_IGN);
	SRunner *sr = srunner_create(rtc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
