/* SPDX-License-Identifier: MIT */
/* Profile parsing: valid profiles, every kind of error with its line,
 * merging over the base, and the real profile files of every kind. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
	expect_error("kind: x\nsyscalls: ['a''''b']\n", 2, "four ' in a row");
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

/* Argument rules: named and positional arguments, constants and numbers,
 * a list of alternatives, and the report line. */
START_TEST(args_valid)
{
	struct sandbox_error e;
	struct sandbox_profile *p;

	p = parse("kind: k\n"
		  "syscalls: [read,\n"
		  "  socket: {domain: [AF_INET, AF_INET6], type: [SOCK_STREAM]},\n"
		  "  {socket: [{domain: [AF_INET], type: [SOCK_DGRAM],\n"
		  "            protocol: [IPPROTO_ICMP]}]},\n"
		  "  prctl: {arg0: [0x26], arg1: [1, 2]},\n"
		  "  ]\n", NULL, &e);
	ck_assert_msg(p, "%s", e.message);
	ck_assert_uint_eq(p->nsyscalls, 1);
	ck_assert(!has_syscall(p, "socket"));
	ck_assert_uint_eq(p->narg_rules, 3);

	const struct sandbox_arg_rule *r = &p->arg_rules[0];
	char buf[256];

	ck_assert_int_eq(r->nr, seccomp_syscall_resolve_name("socket"));
	ck_assert_uint_eq(r->line, 3);
	ck_assert_uint_eq(r->arg[0].nvalues, 2);
	ck_assert_uint_eq(r->arg[0].values[0], AF_INET);
	ck_assert_uint_eq(r->arg[0].values[1], AF_INET6);
	ck_assert_uint_eq(r->arg[0].mask, 0xffffffffu);
	/* SOCK_NONBLOCK and SOCK_CLOEXEC are not compared */
	ck_assert_uint_eq(r->arg[1].mask & (SOCK_NONBLOCK | SOCK_CLOEXEC), 0);
	ck_assert_uint_eq(r->arg[1].mask & 0xff, 0xff);
	ck_assert_uint_eq(r->arg[2].nvalues, 0);
	ck_assert_uint_eq(p->arg_rules[1].arg[2].values[0], IPPROTO_ICMP);
	ck_assert_uint_eq(p->arg_rules[2].arg[0].mask, UINT64_MAX);
	ck_assert_uint_eq(p->arg_rules[2].arg[1].values[1], 2);
	sandbox_arg_rule_format(r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "socket(domain AF_INET|AF_INET6, type SOCK_STREAM)");
	sandbox_arg_rule_format(&p->arg_rules[2], buf, sizeof(buf));
	ck_assert_str_eq(buf, "prctl(arg0 38, arg1 1|2)");
	sandbox_profile_free(p);
}
END_TEST

START_TEST(args_errors)
{
	expect_error("kind: x\nsyscalls: [read,\n  socket: {family: [1]}]\n", 3,
		     "socket has no argument 'family' (known: domain, type, "
		     "protocol, arg0..arg5)");
	expect_error("kind: x\nsyscalls: [\n  socket: {domain: [AF_INTE]}]\n",
		     3, "unknown domain 'AF_INTE'");
	/* a constant of another argument is not a value of this one */
	expect_error("kind: x\nsyscalls: [\n  socket: {domain: [SOCK_RAW]}]\n",
		     3, "unknown domain 'SOCK_RAW'");
	expect_error("kind: x\nsyscalls: [socket: {type: [SOCK_NONBLOCK]}]\n",
		     2, "unknown type");
	expect_error("kind: x\nsyscalls: [socket: {type: [0x800]}]\n", 2,
		     "bits the comparison ignores");
	expect_error("kind: x\nsyscalls: [socket: {domain: [0x100000000]}]\n",
		     2, "bits the comparison ignores");
	expect_error("kind: x\nsyscalls: [prctl: {arg0: [PR_X]}]\n", 2,
		     "arg0 takes numbers");
	expect_error("kind: x\nsyscalls: [prctl: {arg0: [12z]}]\n", 2,
		     "not a number");
	expect_error("kind: x\nsyscalls: [socket: {domain: []}]\n", 2,
		     "must be a list of allowed values");
	expect_error("kind: x\nsyscalls: [socket: {domain: AF_INET}]\n", 2,
		     "must be a list of allowed values");
	expect_error("kind: x\nsyscalls: [socket: {}]\n", 2,
		     "list the call by name to allow any arguments");
	expect_error("kind: x\nsyscalls: [socket: []]\n", 2,
		     "an empty list of rules");
	expect_error("kind: x\nsyscalls: [socket: {arg0: [1], domain: [2]}]\n",
		     2, "argument domain given twice");
	expect_error("kind: x\nsyscalls: [{socket: {arg0: [1]}, bind: "
		     "{arg0: [1]}}]\n", 2, "one call");
	expect_error("kind: x\nsyscalls: [\n  sockit: {arg0: [1]}]\n", 3,
		     "unknown system call 'sockit'");
	expect_error("kind: x\nsyscalls: [execve: {arg0: [1]}]\n", 2,
		     "cannot have argument rules: the filter makes");
	expect_error("kind: x\nsyscalls: [write: {arg0: [1]}]\n", 2,
		     "always allowed");
	expect_error("kind: x\nsyscalls: [prctl: {arg0: [1, 2, 3, 4, 5, 6, 7, "
		     "8, 9]}]\n", 2, "at most 8 values");
	expect_error("kind: x\nsyscalls: [prctl: {arg0: [1, 2, 3, 4, 5, 6, 7, "
		     "8], arg1: [1, 2, 3, 4, 5, 6, 7, 8], arg2: [1, 2]}]\n", 2,
		     "128 combinations");
	expect_error("kind: x\nsyscalls: [socket,\n  socket: {domain: "
		     "[AF_INET]}]\n", 3, "listed both plainly");
	expect_error("kind: x\nsyscalls: [socket: {domain: [AF_INET]},\n"
		     "  socket]\n", 2, "listed both plainly");
}
END_TEST

/* Rules from the base come along; a kind may not allow plainly what the
 * base restricts (nor the reverse). */
START_TEST(args_merge)
{
	struct sandbox_error e;
	struct sandbox_profile *b = parse("kind: base\nsyscalls: [read, "
					  "socket: {domain: [AF_INET]}]\n",
					  NULL, &e);
	struct sandbox_profile *p;

	ck_assert_msg(b, "%s", e.message);
	p = parse("kind: k\nnamespaces: [mount]\nsyscalls: [socket: "
		  "{domain: [AF_INET6]}]\n", b, &e);
	ck_assert_msg(p, "%s", e.message);
	ck_assert_uint_eq(p->narg_rules, 2);
	sandbox_profile_free(p);
	ck_assert(!parse("kind: k\nnamespaces: [mount]\nsyscalls: [socket]\n",
			 b, &e));
	ck_assert_msg(strstr(e.message, "counting the base profile"), "%s",
		      e.message);
	sandbox_profile_free(b);
}
END_TEST

/* wx: deny|allow; the kind's word wins over the base's; the prot calls
 * take no argument rules under deny (their prot is what W^X checks). */
START_TEST(wx)
{
	struct sandbox_error e;
	struct sandbox_profile *b = parse("kind: base\nwx: deny\n"
					  "syscalls: [mmap, mprotect]\n",
					  NULL, &e);
	struct sandbox_profile *p;

	ck_assert_msg(b, "%s", e.message);
	ck_assert_int_eq(b->wx, SANDBOX_WX_DENY);
	p = parse("kind: k\nnamespaces: [mount]\n", b, &e);
	ck_assert_msg(p, "%s", e.message);
	ck_assert_int_eq(p->wx, SANDBOX_WX_DENY);
	sandbox_profile_free(p);
	p = parse("kind: k\nnamespaces: [mount]\nwx: allow\n", b, &e);
	ck_assert_msg(p, "%s", e.message);
	ck_assert_int_eq(p->wx, SANDBOX_WX_ALLOW);
	sandbox_profile_free(p);
	/* a rule from the kind meets the base's deny */
	ck_assert(!parse("kind: k\nnamespaces: [mount]\nsyscalls: "
			 "[pkey_mprotect: {arg2: [1]}]\n", b, &e));
	ck_assert_msg(strstr(e.message, "'pkey_mprotect' cannot have argument "
			     "rules under wx: deny, counting the base"),
		      "%s", e.message);
	p = parse("kind: k\nnamespaces: [mount]\nwx: allow\nsyscalls: "
		  "[pkey_mprotect: {arg2: [1]}]\n", b, &e);
	ck_assert_msg(p, "%s", e.message);
	sandbox_profile_free(p);
	sandbox_profile_free(b);
	p = parse("kind: k\n", NULL, &e);
	ck_assert_int_eq(p->wx, SANDBOX_WX_UNSET);
	sandbox_profile_free(p);
	expect_error("kind: x\nwx: no\n", 2, "wx must be deny or allow, "
		     "got 'no'");
	expect_error("kind: x\nwx: [deny]\n", 2, "wx must be a plain value");
	expect_error("kind: x\nwx: deny\nsyscalls: [\n  mmap: {arg3: [0x22]}]\n",
		     4, "'mmap' cannot have argument rules under wx: deny");
}
END_TEST

/* virtio-net: socket() only for slirp's families and types. */
START_TEST(shipped_net_socket)
{
	struct sandbox_profile *p;
	struct sandbox_error e;
	char buf[256];
	bool inet_stream = false, unix_any = false;

	CHECK_RET(sandbox_profile_load(NULL, "virtio-net", &p, &e), 0);
	ck_assert(!has_syscall(p, "socket"));
	ck_assert(!has_syscall(p, "socketpair"));
	ck_assert_uint_ge(p->narg_rules, 1);
	for (size_t i = 0; i < p->narg_rules; i++) {
		const struct sandbox_arg_match *d = &p->arg_rules[i].arg[0];

		sandbox_arg_rule_format(&p->arg_rules[i], buf, sizeof(buf));
		ck_assert_msg(d->nvalues, "%s: domain unchecked", buf);
		for (unsigned j = 0; j < d->nvalues; j++)
			unix_any |= d->values[j] != AF_INET &&
				    d->values[j] != AF_INET6;
		inet_stream |= strstr(buf, "AF_INET") &&
			       strstr(buf, "SOCK_STREAM");
	}
	ck_assert(inet_stream && !unix_any);
	sandbox_profile_free(p);
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
		/* W^X for every kind (base.yaml) */
		ck_assert_msg(p->wx == SANDBOX_WX_DENY, "%s: wx", kinds[i]);
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
	tcase_add_test(tc, args_valid);
	tcase_add_test(tc, args_errors);
	tcase_add_test(tc, args_merge);
	tcase_add_test(tc, shipped_net_socket);
	tcase_add_test(tc, wx);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sandbox_profile_suite)
