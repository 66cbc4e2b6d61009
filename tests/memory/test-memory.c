/* SPDX-License-Identifier: MIT */
/* atoll-mem driven as a child over its control bus, as the launcher does. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stub.h"
#include "test-util.h"

#define MiB (1ull << 20)
#define TIMEOUT_MS 5000

struct reg {
	const char *name;
	uint64_t addr, size, fd_offset;
	bool huge, ro;
};

static struct stub S;

static const char *mem_exe(void)
{
	const char *p = getenv("ATOLL_MEM_EXE");

	ck_assert_msg(p, "ATOLL_MEM_EXE is not set");
	return p;
}

static void start(void)
{
	memset(&S, 0, sizeof(S));
	CHECK_OK(stub_start(&S, mem_exe(), "mem0", NULL));
}

static void finish(void)
{
	Atoll__Shutdown sd = ATOLL__SHUTDOWN__INIT;
	int st;

	CHECK_OK(atoll_bus_post(S.bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &sd.base,
				NULL, 0));
	st = stub_wait(&S, TIMEOUT_MS);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "atoll-mem did not exit 0 after SHUTDOWN (status %d)", st);
	stub_stop(&S);
}

/* Sends a request; returns the bus status and leaves the reply in *out
 * (freed by the caller) or frees it when out is NULL. */
static int call(uint16_t type, const ProtobufCMessage *body,
		struct atoll_msg **out)
{
	struct atoll_msg *reply = NULL;
	int r = atoll_bus_call(S.bus, type, body, NULL, 0, TIMEOUT_MS, &reply);

	if (out)
		*out = reply;
	else
		atoll_msg_free(reply);
	return r;
}

/* MEM_CREATE with n regions; *msg gets the Error text on failure. */
static int create(const struct reg *regs, size_t n, char *msg, size_t len)
{
	Atoll__MemRegion r[20], *p[20];
	Atoll__MemLayout l = ATOLL__MEM_LAYOUT__INIT;
	struct atoll_msg *reply;
	int rc;

	ck_assert(n <= 20);
	for (size_t i = 0; i < n; i++) {
		atoll__mem_region__init(&r[i]);
		r[i].name = (char *)regs[i].name;
		r[i].guest_addr = regs[i].addr;
		r[i].size = regs[i].size;
		r[i].fd_offset = regs[i].fd_offset;
		r[i].hugepages = regs[i].huge;
		r[i].readonly = regs[i].ro;
		p[i] = &r[i];
	}
	l.n_regions = n;
	l.regions = p;
	rc = call(ATOLL__MSG_TYPE__MSG_MEM_CREATE, &l.base, &reply);
	if (msg && len)
		snprintf(msg, len, "%s", reply && reply->type == ATOLL__MSG_TYPE__MSG_ERROR ?
			 ((Atoll__Error *)reply->body)->message : "");
	if (rc == 0)
		ck_assert_int_eq(reply->type, ATOLL__MSG_TYPE__MSG_ACK);
	atoll_msg_free(reply);
	return rc;
}

static const struct reg two[] = {
	{ "ram0", 0x80000000ull, 4 * MiB },
	{ "ram1", 0x100000000ull, 2 * MiB },
};

static void create_two(void)
{
	char msg[256];

	CHECK_RET(create(two, 2, msg, sizeof(msg)), 0);
}

/* MEM_GRANT for `name` (NULL: all); returns the reply. */
static struct atoll_msg *grant(const char *name, bool ro, int *rc)
{
	Atoll__MemGrantRequest q = ATOLL__MEM_GRANT_REQUEST__INIT;
	char *names[1] = { (char *)name };
	struct atoll_msg *reply;

	q.for_process = (char *)"test";
	q.readonly = ro;
	if (name) {
		q.n_regions = 1;
		q.regions = names;
	}
	*rc = call(ATOLL__MSG_TYPE__MSG_MEM_GRANT_REQUEST, &q.base, &reply);
	return reply;
}

static Atoll__MemUsage *usage(struct atoll_msg **keep)
{
	Atoll__MemUsageRequest q = ATOLL__MEM_USAGE_REQUEST__INIT;

	CHECK_RET(call(ATOLL__MSG_TYPE__MSG_MEM_USAGE_REQUEST, &q.base, keep), 0);
	ck_assert_int_eq((*keep)->type, ATOLL__MSG_TYPE__MSG_MEM_USAGE);
	return (Atoll__MemUsage *)(*keep)->body;
}

START_TEST(test_hello)
{
	start();
	ck_assert_str_eq(S.kind, "mem");
	ck_assert_str_eq(S.name, "mem0");
	ck_assert_int_eq(S.role, ATOLL__ROLE__ROLE_MEMORY);
	ck_assert_int_eq(S.pid_said, S.pid);
	ck_assert(S.caps & ATOLL__CAPABILITY__CAP_FAULTS);
	/* No READY before the layout exists. */
	CHECK_RET(stub_pump(&S, stub_ready_seen, 200), -ETIMEDOUT);
	finish();
}
END_TEST

START_TEST(test_hello_bad_version)
{
	int st;

	memset(&S, 0, sizeof(S));
	S.reply_version = ATOLL_BUS_PROTOCOL_VERSION + 1;
	CHECK_OK(stub_start(&S, mem_exe(), "mem0", NULL));
	st = stub_wait(&S, TIMEOUT_MS);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
		      "wanted exit 1 on a version mismatch, got status %d", st);
	stub_stop(&S);
}
END_TEST

START_TEST(test_create_ready_once)
{
	char msg[256];

	start();
	create_two();
	CHECK_OK(stub_pump(&S, stub_ready_seen, TIMEOUT_MS));
	CHECK_RET(create(two, 2, msg, sizeof(msg)), -EEXIST);
	ck_assert_msg(strstr(msg, "already"), "message: %s", msg);
	ck_assert_uint_eq(S.ready, 1);
	finish();
}
END_TEST

static const struct {
	struct reg r[3];
	size_t n;
	int err;
	const char *words;
} bad[] = {
	{ { { "a", 0, 0 } }, 1, -EINVAL, "size" },
	{ { { "a", 0, 4096 + 1 } }, 1, -EINVAL, "multiple" },
	{ { { "a", 0x1001, 4096 } }, 1, -EINVAL, "aligned" },
	{ { { "", 0, 4096 } }, 1, -EINVAL, "name" },
	{ { { "bad name", 0, 4096 } }, 1, -EINVAL, "name" },
	{ { { "waaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay-too-long", 0, 4096 } }, 1,
	  -EINVAL, "name" },
	{ { { "a", 0xfffffffffffff000ull, 2 * 4096 } }, 1, -EINVAL, "wraps" },
	{ { { "a", 0, 4096, 4096 } }, 1, -EINVAL, "fd_offset" },
	{ { { "a", 0, 8192 }, { "b", 4096, 4096 } }, 2, -EINVAL, "overlap" },
	{ { { "a", 0, 4096 }, { "a", 8192, 4096 } }, 2, -EINVAL, "twice" },
	{ { { "a", 0, 1ull << 40 }, { "b", 1ull << 41, 1ull << 40 } }, 2, -E2BIG,
	  "limit" },
	{ { { "h", 0, 4096, 0, true } }, 1, -EINVAL, "2097152" },
	{ { { 0 } }, 0, -EINVAL, "no regions" },
};

START_TEST(test_invalid_layouts)
{
	struct reg many[17];
	char names[17][8], msg[256];

	start();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_RET(create(bad[i].r, bad[i].n, msg, sizeof(msg)), bad[i].err);
		ck_assert_msg(strstr(msg, bad[i].words),
			      "case %zu: '%s' does not mention '%s'", i, msg,
			      bad[i].words);
	}
	for (int i = 0; i < 17; i++) {
		snprintf(names[i], sizeof(names[i]), "r%d", i);
		many[i] = (struct reg){ names[i], (uint64_t)i << 20, 4096 };
	}
	CHECK_RET(create(many, 17, msg, sizeof(msg)), -E2BIG);
	ck_assert_msg(strstr(msg, "at most 16"), "message: %s", msg);
	/* Still serving, and the failures left nothing behind. */
	create_two();
	CHECK_OK(stub_pump(&S, stub_ready_seen, TIMEOUT_MS));
	finish();
}
END_TEST

static void *map(int fd, size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

START_TEST(test_grant_shared)
{
	struct atoll_msg *g1, *g2;
	const Atoll__MemGrant *b;
	unsigned char *p1, *p2;
	int rc;

	start();
	create_two();
	g1 = grant(NULL, false, &rc);
	CHECK_RET(rc, 0);
	ck_assert_int_eq(g1->type, ATOLL__MSG_TYPE__MSG_MEM_GRANT);
	b = (const Atoll__MemGrant *)g1->body;
	ck_assert_uint_eq(b->n_regions, 2);
	ck_assert_uint_eq(g1->nfds, 2);
	ck_assert_str_eq(b->regions[1]->name, "ram1");
	ck_assert_uint_eq(b->regions[1]->guest_addr, two[1].addr);
	ck_assert_uint_eq(b->regions[1]->size, two[1].size);
	g2 = grant("ram1", false, &rc);
	CHECK_RET(rc, 0);
	ck_assert_uint_eq(g2->nfds, 1);
	p1 = map(g1->fds[1], two[1].size, PROT_READ | PROT_WRITE);
	p2 = map(g2->fds[0], two[1].size, PROT_READ);
	p1[12345] = 0xa5;
	p1[two[1].size - 1] = 0x5a;
	ck_assert_uint_eq(p2[12345], 0xa5);
	ck_assert_uint_eq(p2[two[1].size - 1], 0x5a);
	munmap(p1, two[1].size);
	munmap(p2, two[1].size);
	atoll_msg_free(g1);
	atoll_msg_free(g2);
	finish();
}
END_TEST

START_TEST(test_seals)
{
	struct atoll_msg *g;
	int rc, seals;

	start();
	create_two();
	g = grant("ram0", false, &rc);
	CHECK_RET(rc, 0);
	seals = fcntl(g->fds[0], F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	ck_assert_int_eq(ftruncate(g->fds[0], 4096), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(g->fds[0], (off_t)(8 * MiB)), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fcntl(g->fds[0], F_ADD_SEALS, F_SEAL_WRITE), -1);
	ck_assert_int_eq(errno, EPERM);
	atoll_msg_free(g);
	finish();
}
END_TEST

START_TEST(test_grant_errors)
{
	struct atoll_msg *g;
	int rc;

	start();
	g = grant(NULL, false, &rc);
	CHECK_RET(rc, -EAGAIN);
	ck_assert_uint_eq(g->nfds, 0);
	atoll_msg_free(g);
	create_two();
	g = grant("nope", false, &rc);
	CHECK_RET(rc, -ENOENT);
	ck_assert_msg(strstr(((Atoll__Error *)g->body)->message, "nope"),
		      "message: %s", ((Atoll__Error *)g->body)->message);
	atoll_msg_free(g);
	finish();
}
END_TEST

START_TEST(test_readonly_grant)
{
	struct atoll_msg *g;
	void *p;
	int rc;

	start();
	create_two();
	g = grant("ram0", true, &rc);
	if (rc == -EOPNOTSUPP) {
		printf("read-only grants unavailable here: %s\n",
		       ((Atoll__Error *)g->body)->message);
		atoll_msg_free(g);
		finish();
		return;
	}
	CHECK_RET(rc, 0);
	ck_assert(((Atoll__MemGrant *)g->body)->regions[0]->readonly);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g->fds[0], 0);
	ck_assert_msg(p == MAP_FAILED && errno == EACCES,
		      "a writable mapping of a read-only grant succeeded");
	munmap(map(g->fds[0], 4096, PROT_READ), 4096);
	ck_assert_int_eq(mprotect(map(g->fds[0], 4096, PROT_READ), 4096,
				  PROT_READ | PROT_WRITE), -1);
	atoll_msg_free(g);
	finish();
}
END_TEST

START_TEST(test_usage)
{
	struct atoll_msg *g, *u0, *u1;
	Atoll__MemUsage *a, *b;
	unsigned char *p;
	int rc;

	start();
	create_two();
	a = usage(&u0);
	ck_assert_uint_eq(a->total_bytes, 6 * MiB);
	ck_assert_uint_eq(a->regions, 2);
	ck_assert_uint_eq(a->grants, 0);
	ck_assert_uint_gt(a->rss_bytes, 0);
	g = grant("ram0", false, &rc);
	CHECK_RET(rc, 0);
	p = map(g->fds[0], 4 * MiB, PROT_READ | PROT_WRITE);
	memset(p, 1, 2 * MiB);   /* touch half of ram0 */
	b = usage(&u1);
	ck_assert_uint_eq(b->grants, 1);
	ck_assert_msg(b->resident_bytes >= a->resident_bytes + 2 * MiB,
		      "resident %llu -> %llu after touching 2 MiB",
		      (unsigned long long)a->resident_bytes,
		      (unsigned long long)b->resident_bytes);
	ck_assert_uint_le(b->resident_bytes, b->total_bytes);
	munmap(p, 4 * MiB);
	atoll_msg_free(g);
	atoll_msg_free(u0);
	atoll_msg_free(u1);
	finish();
}
END_TEST

/* A grantee that dies after writing: RAM outlives it, a new grant sees it. */
START_TEST(test_survives_grantee_restart)
{
	struct atoll_msg *g;
	unsigned char *p;
	pid_t pid;
	int rc, st;

	start();
	create_two();
	g = grant("ram0", false, &rc);
	CHECK_RET(rc, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
			 g->fds[0], 0);
		if (p == MAP_FAILED)
			_exit(2);
		for (size_t i = 0; i < 4 * MiB; i += 4096)
			p[i] = (unsigned char)(i >> 12);
		abort();   /* the "device" crashes */
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	atoll_msg_free(g);   /* our copy of the fd goes too */
	g = grant("ram0", false, &rc);
	CHECK_RET(rc, 0);
	p = map(g->fds[0], 4 * MiB, PROT_READ);
	for (size_t i = 0; i < 4 * MiB; i += 4096)
		ck_assert_uint_eq(p[i], (unsigned char)(i >> 12));
	munmap(p, 4 * MiB);
	atoll_msg_free(g);
	finish();
}
END_TEST

START_TEST(test_health)
{
	Atoll__HealthRequest q = ATOLL__HEALTH_REQUEST__INIT;
	const Atoll__HealthReport *h;
	struct atoll_msg *r;

	start();
	create_two();
	usleep(10000);
	CHECK_RET(call(ATOLL__MSG_TYPE__MSG_HEALTH, &q.base, &r), 0);
	ck_assert_int_eq(r->type, ATOLL__MSG_TYPE__MSG_HEALTH_REPORT);
	h = (const Atoll__HealthReport *)r->body;
	ck_assert(h->ok);
	ck_assert_uint_ge(h->uptime_ns, 10000000);
	ck_assert_uint_gt(h->rss_bytes, 0);
	ck_assert_msg(strstr(h->status, "2 regions"), "status: %s", h->status);
	atoll_msg_free(r);
	finish();
}
END_TEST

START_TEST(test_unsupported_request)
{
	Atoll__DeviceDescribe q = ATOLL__DEVICE_DESCRIBE__INIT;
	struct atoll_msg *r, *u;

	start();
	CHECK_RET(call(ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, &q.base, &r),
		  -EOPNOTSUPP);
	ck_assert_msg(strstr(((Atoll__Error *)r->body)->message, "DEVICE_DESCRIBE"),
		      "message: %s", ((Atoll__Error *)r->body)->message);
	atoll_msg_free(r);
	usage(&u);   /* still serving */
	atoll_msg_free(u);
	finish();
}
END_TEST

START_TEST(test_bus_closed_exits_1)
{
	pid_t pid;
	int st;

	start();
	pid = S.pid;
	atoll_bus_free(S.bus);
	S.bus = NULL;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	S.pid = 0;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
}
END_TEST

START_TEST(test_sigterm)
{
	int st;

	start();
	create_two();
	kill(S.pid, SIGTERM);
	st = stub_wait(&S, TIMEOUT_MS);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "status %d", st);
	stub_stop(&S);
}
END_TEST

static int fault(Atoll__FaultKind kind, uint32_t ms)
{
	Atoll__FaultInject f = ATOLL__FAULT_INJECT__INIT;

	f.kind = kind;
	f.duration_ms = ms;
	f.queue = UINT32_MAX;
	return call(ATOLL__MSG_TYPE__MSG_FAULT_INJECT, &f.base, NULL);
}

START_TEST(test_fault_crash)
{
	int st;

	start();
	ck_assert_int_lt(fault(ATOLL__FAULT_KIND__FAULT_CRASH, 0), 0);
	st = stub_wait(&S, TIMEOUT_MS);
	ck_assert_msg(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		      "status %d", st);
	stub_stop(&S);
}
END_TEST

START_TEST(test_fault_hang)
{
	struct timespec a, b;
	struct atoll_msg *u;
	long ms;

	start();
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_HANG, 300), 0);
	usage(&u);
	clock_gettime(CLOCK_MONOTONIC, &b);
	atoll_msg_free(u);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_msg(ms >= 290, "hang lasted %ld ms, wanted 300", ms);
	CHECK_RET(fault(ATOLL__FAULT_KIND__FAULT_CLEAR, 0), 0);
	finish();
}
END_TEST

START_TEST(test_hugepages)
{
	static const struct reg huge[] = { { "huge0", 0, 2 * MiB, 0, true } };
	char msg[256];
	int rc;

	start();
	rc = create(huge, 1, msg, sizeof(msg));
	if (rc == 0) {
		printf("huge pages: 2 MiB region created\n");
	} else {
		printf("huge pages unavailable: %s\n", msg);
		ck_assert_msg(strstr(msg, "huge") && strstr(msg, "huge0"),
			      "unclear message: %s", msg);
		create_two();   /* the failure left the server usable */
	}
	finish();
}
END_TEST

static Suite *memory_suite(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_hello_bad_version);
	tcase_add_test(tc, test_create_ready_once);
	tcase_add_test(tc, test_invalid_layouts);
	tcase_add_test(tc, test_grant_shared);
	tcase_add_test(tc, test_seals);
	tcase_add_test(tc, test_grant_errors);
	tcase_add_test(tc, test_readonly_grant);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_survives_grantee_restart);
	tcase_add_test(tc, test_health);
	tcase_add_test(tc, test_unsupported_request);
	tcase_add_test(tc, test_bus_closed_exits_1);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_fault_crash);
	tcase_add_test(tc, test_fault_hang);
	tcase_add_test(tc, test_hugepages);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(memory_suite)
