/* SPDX-License-Identifier: MIT */
/* Profile parsing: valid profiles, every kind of error with its line,
 * merging over the base, and the real profile files of every kind. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "test-util.h"

static struct sandbox_profile *parse(const char *yaml,
				     const struct sandbox_profile *base,
				     struct sandbox_error *e)
{
	struct sandbox_profile *p = NULL;

	memset(e, 0, sizeof(*e));
	sandbox_profile_parse("t.yaml", yaml, strlen(yaml), base, &p, e);
	return p;
}

static void expect_error(const char *yaml, unsigned line, const char *needle)
{
	struct sandbox_error e;
	struct sandbox_profile *p = parse(yaml, NULL, &e);

	ck_assert_msg(!p, "accepted: %s", yaml);
	ck_assert_msg(strstr(e.message, needle), "message '%s' lacks '%s'",
		      e.message, needle);
	ck_assert_msg(e.line == line, "line %u, wanted %u (%s)", e.line, line,
		      e.message);
	ck_assert_str_eq(e.file, "t.yaml");
}

static bool has_syscall(const struct sandbox_profile *p, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	for (size_t i = 0; i < p->nsyscalls; i++)
		if (p->syscalls[i] == nr)
			return true;
	return false;
}

START_TEST(valid)
{
	struct sandbox_error e;
	struct sandbox_profile *p = parse(
		"kind: mem\n"
		"namespaces: [mount, pid, net, ipc, uts, user]\n"
		"capabilities: [net_bind_service]\n"
		"rlimits: {nofile: 64, core: 0, fsize: unlimited, as: 4096}\n"
		"devices: [/dev/kvm]\n"
		"paths: [/usr/lib]\n"
		"threads: true\n"
		"syscalls: [read, write, read, memfd_create]\n", NULL, &e);

	ck_assert_msg(p, "%s", e.message);
	ck_assert_str_eq(p->kind, "mem");
	ck_assert_uint_eq(p->namespaces, SANDBOX_NS_MOUNT | SANDBOX_NS_PID |
			  SANDBOX_NS_NET | SANDBOX_NS_IPC | SANDBOX_NS_UTS |
			  SANDBOX_NS_USER);
	ck_assert_uint_eq(p->ncaps, 1);
	ck_assert_uint_eq(p->rlimits[SANDBOX_RL_NOFILE].value, 64);
	ck_assert(p->rlimits[SANDBOX_RL_FSIZE].value == RLIM_INFINITY);
	ck_assert_uint_eq(p->rlimits[SANDBOX_RL_AS].value, 4096);
	ck_assert(!p->rlimits[SANDBOX_RL_NPROC].set);
	ck_assert_uint_eq(p->ndevices, 1);
	ck_assert(p->threads);
	/* duplicates collapse, list is sorted */
	ck_assert_uint_eq(p->nsyscalls, 3);
	ck_assert(p->syscalls[0] < p->syscalls[1]);
	ck_assert(has_syscall(p, "memfd_create"));
	sandbox_profile_free(p);
}
END_TEST

START_TEST(errors)
{
	expect_error("kind: x\nsyscalls: [read,\n  no_such_call]\n", 3,
		     "unknown system call 'no_such_call'");
	expect_error("kind: x\nnamespaces: [mount, time]\n", 2,
		     "unknown namespace 'time'");
	expect_error("kind: x\ncapabilities: [sys_godmode]\n", 2,
		     "unknown capability");
	expect_error("kind: x\nrlimits: {nofile: lots}\n", 2,
		     "nofile must be a number");
	expect_error("kind: x\nrlimits: {nofile: 5000}\n", 2,
		     "below 1023");
	expect_error("kind: x\nrlimits: {stack: 1}\n", 2,
		     "unknown rlimit 'stack'");
	expect_error("kind: x\ndevices: [/etc/passwd]\n", 2, "under /dev/");
	expect_error("kind: x\npaths: [relative/dir]\n", 2, "absolute");
	expect_error("kind: x\nsyscall: [read]\n", 2, "unknown key 'syscall'");
	expect_error("kind: x\nkind: y\n", 2, "duplicate key 'kind'");
	expect_error("syscalls: []\n", 1, "missing kind");
	expect_error("kind: x\nsyscalls: read\n", 2, "must be a list");
	expect_error("kind: x\nthreads: maybe\n", 2, "true or false");
	expect_error("kind: x\nsyscalls: [read\n", 3, "YAML syntax error");
	expect_error("kind: x\n%\xfe\n", 2, "printable ASCII");
	expect_error("kind: x\n? a:\t:\n", 2, "without tabs");
}
END_TEST

START_TEST(merge)
{
	struct sandbox_error e;
	struct sandbox_profile *b = parse("kind: base\nrlimits: {core: 0, "
					  "nofile: 32}\npaths: [/usr/lib]\n"
					  "syscalls: [read, write]\n", NULL, &e);
	struct sandbox_profile *p;

	ck_assert_msg(b, "%s", e.message);
	p = parse("kind: k\nnamespaces: [mount]\nrlimits: {nofile: 16}\n"
		  "paths: [/opt]\nsyscalls: [openat]\n", b, &e);
	ck_assert_msg(p, "%s", e.message);
	ck_assert_uint_eq(p->nsyscalls, 3);
	ck_assert(has_syscall(p, "read") && has_syscall(p, "openat"));
	ck_assert_uint_eq(p->npaths, 2);
	ck_assert_uint_eq(p->rlimits[SANDBOX_RL_NOFILE].value, 16);
	ck_assert(p->rlimits[SANDBOX_RL_CORE].set);
	sandbox_profile_free(p);
	/* a kind profile without a mount namespace is refused */
	ck_assert(!parse("kind: k\nnamespaces: [pid]\n", b, &e));
	ck_assert_msg(strstr(e.message, "mount"), "%s", e.message);
	sandbox_profile_free(b);
}
END_TEST

/* Every shipped profile loads, and stays within the rules. */
START_TEST(shipped)
{
	static const char *const kinds[] = { "mem", "cpu", "cpu-kvm", "virtio-blk",
					     "virtio-net", "testdev", "external" };
	struct sandbox_profile *p;
	struct sandbox_error e;
	char msg[700];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int r = sandbox_profile_load(NULL, kinds[i], &p, &e);

		sandbox_error_format(&e, msg, sizeof(msg));
		ck_assert_msg(r == 0, "%s: %s", kinds[i], msg);
		ck_assert_str_eq(p->kind, kinds[i]);
		ck_assert(has_syscall(p, "openat") && has_syscall(p, "mmap"));
		ck_assert(!has_syscall(p, "execve"));
		ck_assert(p->rlimits[SANDBOX_RL_CORE].set &&
			  p->rlimits[SANDBOX_RL_CORE].value == 0);
		sandbox_profile_free(p);
	}
	CHECK_RET(sandbox_profile_load(NULL, "../etc", &p, &e), -EINVAL);
	CHECK_RET(sandbox_profile_load(NULL, "no-such-kind", &p, &e), -ENOENT);
}
END_TEST

static Suite *sandbox_profile_suite(void)
{
	Suite *s = suite_create("sandbox-profile");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, merge);
	tcase_add_test(tc, shipped);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sandbox_profile_suite)
