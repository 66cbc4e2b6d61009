/* SPDX-License-Identifier: MIT */
/* common/child.c, through test-device: options, session start, READY,
 * kind-specific requests, stored faults, health counters, SHUTDOWN. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stub.h"
#include "test-util.h"

#define TIMEOUT_MS 5000

static struct stub S;

static const char *dev_exe(void)
{
	const char *p = getenv("ATOLL_TEST_DEVICE_EXE");

	ck_assert_msg(p, "ATOLL_TEST_DEVICE_EXE is not set");
	return p;
}

/* Runs the device with argv (no bus) and returns its exit status; its
 * stdout goes to out. */
static int run_plain(const char *const *argv, char *out, size_t len)
{
	int p[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(p[1], 1);
		dup2(null, 2);
		dup2(null, 3);   /* fd 3 is open but not a socket */
		execv(dev_exe(), (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "device died: status 0x%x", st);
	return WEXITSTATUS(st);
}

START_TEST(test_options)
{
	const char *help[] = { dev_exe(), "--help", NULL };
	const char *nofd[] = { dev_exe(), "--name=x", NULL };
	const char *badopt[] = { dev_exe(), "--fd=3", "--bogus", NULL };
	const char *badfd[] = { dev_exe(), "--fd=3x", NULL };
	const char *extra[] = { dev_exe(), "--fd=3", "stray", NULL };
	const char *longtag[] = { dev_exe(), "--fd=3", "--tag="
		"01234567890123456789012345678901234567890123456789012345678901234",
		NULL };
	const char *notsock[] = { dev_exe(), "--fd=3", NULL };
	char out[4096];

	ck_assert_int_eq(run_plain(help, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "--fd=N") && strstr(out, "--tag=STR"),
		      "help lacks the options: %s", out);
	ck_assert_int_eq(run_plain(nofd, out, sizeof(out)), 2);
	ck_assert_int_eq(run_plain(badopt, out, sizeof(out)), 2);
	ck_assert_int_eq(run_plain(badfd, out, sizeof(out)), 2);
	ck_assert_int_eq(run_plain(extra, out, sizeof(out)), 2);
	ck_assert_int_eq(run_plain(longtag, out, sizeof(out)), 2);
	ck_assert_int_eq(run_plain(notsock, out, sizeof(out)), 1);
}
END_TEST

static void start(const char *const *args)
{
	memset(&S, 0, sizeof(S));
	CHECK_OK(stub_start(&S, dev_exe(), "dev0", args));
}

static void shutdown_by_request(void)
{
	Atoll__Shutdown sd = ATOLL__SHUTDOWN__INIT;
	struct atoll_msg *r = NULL;
	int st;

	CHECK_RET(atoll_bus_call(S.bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &sd.base,
				 NULL, 0, TIMEOUT_MS, &r), 0);
	ck_assert_int_eq(r->type, ATOLL__MSG_TYPE__MSG_ACK);
	atoll_msg_free(r);
	st = stub_wait(&S, TIMEOUT_MS);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "status %d", st);
	stub_stop(&S);
}

/* CONFIG_READ; returns the status and copies the data or error text. */
static int config_read(char *out, size_t len)
{
	Atoll__ConfigRead q = ATOLL__CONFIG_READ__INIT;
	struct atoll_msg *r = NULL;
	int rc;

	q.size = 4;
	rc = atoll_bus_call(S.bus, ATOLL__MSG_TYPE__MSG_CONFIG_READ, &q.base, NULL,
			    0, TIMEOUT_MS, &r);
	if (rc == 0) {
		const Atoll__ConfigData *d = (const Atoll__ConfigData *)r->body;

		snprintf(out, len, "%.*s", (int)d->data.len, (const char *)d->data.data);
	} else if (r && r->type == ATOLL__MSG_TYPE__MSG_ERROR) {
		snprintf(out, len, "%s", ((Atoll__Error *)r->body)->message);
	}
	atoll_msg_free(r);
	return rc;
}

static int fault_after(Atoll__FaultKind kind, uint32_t ms, uint32_t count,
		       uint32_t queue, uint32_t after)
{
	Atoll__FaultInject f = ATOLL__FAULT_INJECT__INIT;
	struct atoll_msg *r = NULL;
	int rc;

	f.kind = kind;
	f.duration_ms = ms;
	f.count = count;
	f.queue = queue;
	f.after = after;
	rc = atoll_bus_call(S.bus, ATOLL__MSG_TYPE__MSG_FAULT_INJECT, &f.base,
			    NULL, 0, TIMEOUT_MS, &r);
	atoll_msg_free(r);
	return rc;
}

static int fault(Atoll__FaultKind kind, uint32_t ms, uint32_t count,
		 uint32_t queue)
{
	return fault_after(kind, ms, count, queue, 0);
}

START_TEST(test_session)
{
	const char *args[] = { "--tag=hello", NULL };
	char out[128];

	start(args);
	ck_assert_str_eq(S.kind, "test-dev");
	ck_assert_str_eq(S.name, "dev0");
	ck_assert_int_eq(S.role, ATOLL__ROLE__ROLE_DEVICE);
	CHECK_OK(stub_pump(&S, stub_ready_seen, TIMEOUT_MS));   /* setup: 1 */
	CHECK_RET(config_read(out, sizeof(out)), 0);
	ck_assert_str_eq(out, "hello");
	shutdown_by_request();
}
END_TEST

START_TEST(test_ready_later)
{
	const char *args[] = { "--ready-later", NULL };

	start(args);
	CHECK_OK(stub_pump(&S, stub_ready_seen, TIMEOUT_MS));
	ck_assert_uint_eq(S.ready, 1);
	shutdown_by_request();
}
END_TEST

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

START_TEST(test_faults_and_health)
{
	Atoll__HealthRequest hq = ATOLL__HEALTH_REQUEST__INIT;
	const Atoll__HealthReport *h;
	struct atoll_msg *r;
	struct timespec t0;
	char out[128];

	start(NULL);
	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_ERROR, 0, 2, UINT32_MAX), 0);
	CHECK_RET(config_read(out, sizeof(out)), -EIO);
	ck_assert_str_eq(out, "injected error");
	CHECK_RET(config_read(out, sizeof(out)), -EIO);
	CHECK_RET(config_read(out, sizeof(out)), 0);   /* count used up */
	/* A fault aimed at another queue leaves queue 0 alone. */
	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_ERROR, 0, 1, 5), 0);
	CHECK_RET(config_read(out, sizeof(out)), 0);
	/* after: two requests go by, the third fails, then none */
	CHECK_RET(fault_after(ATOLL__FAULT_KIND__FAULT_ERROR, 0, 1, UINT32_MAX,
			      2), 0);
	CHECK_RET(config_read(out, sizeof(out)), 0);
	CHECK_RET(config_read(out, sizeof(out)), 0);
	CHECK_RET(config_read(out, sizeof(out)), -EIO);
	CHECK_RET(config_read(out, sizeof(out)), 0);

	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_DELAY, 200, 0, UINT32_MAX), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET(config_read(out, sizeof(out)), 0);
	ck_assert_int_ge(elapsed_ms(&t0), 190);
	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_CLEAR, 0, 0, 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RET(config_read(out, sizeof(out)), 0);
	ck_assert_int_lt(elapsed_ms(&t0), 150);
	CHECK_RET(fault((Atoll__FaultKind)77, 0, 0, 0), -EINVAL);

	CHECK_RET(atoll_bus_call(S.bus, ATOLL__MSG_TYPE__MSG_HEALTH, &hq.base, NULL,
				 0, TIMEOUT_MS, &r), 0);
	h = (const Atoll__HealthReport *)r->body;
	ck_assert(h->ok);
	ck_assert_uint_eq(h->requests_completed, 7);
	ck_assert_uint_eq(h->requests_failed, 3);
	ck_assert_str_eq(h->status, "tag=none");
	ck_assert_uint_gt(h->rss_bytes, 0);
	atoll_msg_free(r);
	shutdown_by_request();
}
END_TEST

/* Posted messages nobody handles are dropped; the process keeps going. */
START_TEST(test_posted_unknown_ignored)
{
	Atoll__ConfigChanged cc = ATOLL__CONFIG_CHANGED__INIT;
	char out[128];

	start(NULL);
	CHECK_OK(atoll_bus_post(S.bus, ATOLL__MSG_TYPE__MSG_CONFIG_CHANGED,
				&cc.base, NULL, 0));
	CHECK_RET(config_read(out, sizeof(out)), 0);
	shutdown_by_request();
}
END_TEST

static Suite *child_suite(void)
{
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("runtime");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_ready_later);
	tcase_add_test(tc, test_faults_and_health);
	tcase_add_test(tc, test_posted_unknown_ignored);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(child_suite)
