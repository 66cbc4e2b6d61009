/* SPDX-License-Identifier: MIT */
/* sandbox_spawn(): what the child gets (fds, pid namespace), and that
 * every refusal names its cause; sandbox_report_print()'s table. */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "host-probe.h"
#include "test-util.h"

static const char *hostile;

static struct sandbox_profile *blk(void)
{
	struct sandbox_profile *p = NULL;
	struct sandbox_error e;
	int r = sandbox_profile_load(NULL, "virtio-blk", &p, &e);

	ck_assert_msg(r == 0, "%s", e.message);
	return p;
}

static struct sandbox_profile *from_text(const char *yaml, bool with_base)
{
	struct sandbox_profile *base = NULL, *p = NULL;
	struct sandbox_error e;
	char dir[4096], path[4200], *text;
	FILE *f;
	long n;

	if (with_base) {
		CHECK_OK(sandbox_profile_dir(dir, sizeof(dir)));
		snprintf(path, sizeof(path), "%s/base.yaml", dir);
		ck_assert((f = fopen(path, "re")));
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		text = calloc(1, (size_t)n + 1);
		ck_assert(fread(text, 1, (size_t)n, f) == (size_t)n);
		fclose(f);
		ck_assert_msg(sandbox_profile_parse(path, text, (size_t)n, NULL,
						    &base, &e) == 0, "%s",
			      e.message);
		free(text);
	}
	ck_assert_msg(sandbox_profile_parse("t.yaml", yaml, strlen(yaml),
					    base, &p, &e) == 0, "%s",
		      e.message);
	sandbox_profile_free(base);
	return p;
}

static void run(const struct sandbox_profile *p, bool off,
		const char *attempt, struct run_result *r)
{
	char *argv[] = { (char *)hostile, (char *)attempt, NULL };

	CHECK_OK(harness_run(p, off, argv, r));
}

/* Only the granted fds (1, 2, 3) exist in the child: not an fd the
 * launcher leaked without O_CLOEXEC, not the exec or report fds. */
START_TEST(only_granted_fds)
{
	struct sandbox_profile *p = blk();
	int leak = open("/dev/null", O_RDONLY);   /* no O_CLOEXEC */
	struct run_result r;

	ck_assert_int_ge(leak, 0);
	run(p, false, "list-fds", &r);
	ck_assert_msg(strstr(r.out, "RESULT list-fds ok 1,2,3\n"), "%s%s",
		      r.out, r.error);
	run(p, true, "list-fds", &r);
	ck_assert_msg(strstr(r.out, "RESULT list-fds ok 1,2,3\n"), "off: %s",
		      r.out);
	close(leak);
	sandbox_profile_free(p);
}
END_TEST

/* The virtio-blk profile allows threads: creating one must work (glibc
 * falls back from clone3 to clone(CLONE_THREAD)). */
START_TEST(threads_work)
{
	struct sandbox_profile *p = blk();
	struct run_result r;

	run(p, false, "thread", &r);
	ck_assert_msg(strstr(r.out, "RESULT thread ok"), "%s%s%s", r.out,
		      r.error, r.violation);
	sandbox_profile_free(p);
}
END_TEST

START_TEST(pid_namespace_and_uid)
{
	struct sandbox_profile *p = blk();
	struct run_result r;
	char want[64];

	run(p, false, "whoami", &r);
	snprintf(want, sizeof(want), "pid=1 uid=%d",
		 geteuid() == 0 ? SANDBOX_NOBODY : (int)geteuid());
	ck_assert_msg(strstr(r.out, want), "got %s%s, want %s", r.out, r.error,
		      want);
	sandbox_profile_free(p);
}
END_TEST

/* After the program exits, the listener is hung up: the handler must say
 * so at once, not block in the kernel (an event loop calls it then). */
START_TEST(notify_after_exit)
{
	struct sandbox_profile *p = blk();
	char *argv[] = { (char *)hostile, "noop", NULL }, *envp[] = { NULL };
	struct sandbox_spawn_args a = { .name = "t", .binary = hostile,
					.argv = argv, .envp = envp,
					.profile = p };
	struct sandbox_violation v;
	struct sandbox_child c;
	struct sandbox_error e;

	ck_assert_msg(sandbox_spawn(&a, &c, &e) == 0, "%s", e.message);
	ck_assert_int_ge(c.notify_fd, 0);
	ck_assert(waitid(P_PIDFD, (id_t)c.pidfd, &(siginfo_t){ 0 },
			 WEXITED) == 0);
	CHECK_RET(sandbox_notify_handle(c.notify_fd, c.pidfd, false, &v),
		  -ECONNRESET);
	close(c.notify_fd);
	close(c.pidfd);
	sandbox_profile_free(p);
}
END_TEST

START_TEST(off_warns)
{
	char *argv[] = { (char *)hostile, "noop", NULL }, *envp[] = { NULL };
	struct sandbox_spawn_args a = { .name = "t", .binary = hostile,
					.argv = argv, .envp = envp, .off = true };
	struct sandbox_child c;
	struct sandbox_error e;

	CHECK_OK(sandbox_spawn(&a, &c, &e));
	ck_assert_msg(c.warning && strstr(c.warning, "SANDBOX OFF"), "%s",
		      c.warning ? c.warning : "(none)");
	ck_assert_int_eq(c.notify_fd, -1);
	ck_assert(waitid(P_PIDFD, (id_t)c.pidfd, &(siginfo_t){ 0 },
			 WEXITED) == 0);
	close(c.pidfd);
}
END_TEST

static void expect_refusal(const struct sandbox_profile *p, const char *bin,
			   const char *needle)
{
	char *argv[] = { (char *)bin, "noop", NULL }, *envp[] = { NULL };
	struct sandbox_spawn_args a = { .name = "t", .binary = bin,
					.argv = argv, .envp = envp,
					.profile = p };
	struct sandbox_child c;
	struct sandbox_error e;
	char msg[700];

	ck_assert(sandbox_spawn(&a, &c, &e) < 0);
	sandbox_error_format(&e, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, needle), "'%s' lacks '%s'", msg, needle);
	ck_assert_int_eq(c.pidfd, -1);
}

START_TEST(refusals_name_the_cause)
{
	struct sandbox_profile *p = from_text("kind: t\nnamespaces: [mount, "
					      "pid, user]\ndevices: "
					      "[/dev/no-such-node]\n", true);
	char junk[] = "/tmp/atoll-sbx-junk-XXXXXX";
	int fd;

	expect_refusal(p, hostile, "/dev/no-such-node");
	sandbox_profile_free(p);

	/* a file that is no program: the exec step fails in the child */
	p = blk();
	ck_assert_int_ge(fd = mkstemp(junk), 0);
	ck_assert(write(fd, "junk\n", 5) == 5);
	fchmod(fd, 0755);
	close(fd);
	expect_refusal(p, junk, "exec: Exec format error");
	unlink(junk);
	sandbox_profile_free(p);

}
END_TEST

/* A profile without the loader's calls: the program starts (the calls
 * the mechanism needs before exec are implied), then dies on its first
 * forbidden call, which the launcher side sees by name. */
START_TEST(violation_named)
{
	struct sandbox_profile *p = from_text("kind: t\nnamespaces: [mount, "
					      "pid, user]\npaths: [/usr/lib, "
					      "/usr/lib64, /lib, /lib64]\n"
					      "syscalls: []\n", false);
	struct run_result r;

	run(p, false, "noop", &r);
	ck_assert_msg(r.spawned, "%s", r.error);
	ck_assert_msg(r.violation[0] && strcmp(r.violation, "?") &&
		      r.violation[0] != '#', "violation '%s'", r.violation);
	ck_assert_msg(!r.exited && r.code == SIGKILL, "exited %d code %d",
		      r.exited, r.code);
	ck_assert(!strstr(r.out, "RESULT"));
	sandbox_profile_free(p);
}
END_TEST

/* A forbidden call never returns to the program: the process is dead
 * before the call could come back (with EPERM or anything else), so the
 * marker it writes right after the call never appears. The old order
 * (answer EPERM, then kill) lost this race now and then: many runs. */
START_TEST(forbidden_call_never_returns)
{
	struct sandbox_profile *p = blk();
	struct run_result r;

	for (int i = 0; i < 100; i++) {
		run(p, false, "run-on", &r);
		ck_assert_msg(r.spawned, "%s", r.error);
		ck_assert_msg(!r.fd3[0], "run %d: the program ran on after "
			      "its forbidden call: fd 3 got '%s'", i, r.fd3);
		ck_assert_msg(!strcmp(r.violation, "syslog"), "run %d: "
			      "violation '%s'", i, r.violation);
		ck_assert_msg(!r.exited && r.code == SIGKILL, "run %d: exited "
			      "%d code %d", i, r.exited, r.code);
	}
	sandbox_profile_free(p);
}
END_TEST

START_TEST(bad_grants)
{
	struct sandbox_profile *p = blk();
	char *argv[] = { (char *)hostile, "noop", NULL }, *envp[] = { NULL };
	struct sandbox_fd fds[2] = { { 1, 3 }, { 2, 3 } };
	struct sandbox_spawn_args a = { .name = "t", .binary = hostile,
					.argv = argv, .envp = envp, .fds = fds,
					.nfds = 2, .profile = p };
	struct sandbox_child c;
	struct sandbox_error e;

	CHECK_RET(sandbox_spawn(&a, &c, &e), -EINVAL);  /* duplicate target */
	fds[1].target = 64;                           /* = rlimit nofile */
	CHECK_RET(sandbox_spawn(&a, &c, &e), -EINVAL);
	ck_assert_msg(strstr(e.message, "nofile 64"), "%s", e.message);
	a.profile = NULL;
	CHECK_RET(sandbox_spawn(&a, &c, &e), -EINVAL);  /* no profile, not off */
	sandbox_profile_free(p);
}
END_TEST

START_TEST(report_table)
{
	struct sandbox_profile *p = blk();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sandbox_report_print(f, "disk0", p, false);
	sandbox_report_print(f, "net0", NULL, true);
	fclose(f);
	ck_assert_msg(strstr(buf, "disk0\n") && strstr(buf, " mount pid net") &&
		      strstr(buf, "nofile=64") && strstr(buf, "core=0") &&
		      strstr(buf, "none (bounding set empty)") &&
		      strstr(buf, " pwrite64") && strstr(buf, "/usr/lib") &&
		      strstr(buf, "W+X maps       denied"),
		      "%s", buf);
	ck_assert_msg(strstr(buf, "net0\n  sandbox        OFF"), "%s", buf);
	free(buf);
	sandbox_profile_free(p);
}
END_TEST

static Suite *sandbox_spawn_suite(void)
{
	Suite *s = suite_create("sandbox-spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_test(tc, only_granted_fds);
	tcase_add_test(tc, pid_namespace_and_uid);
	tcase_add_test(tc, threads_work);
	tcase_add_test(tc, off_warns);
	tcase_add_test(tc, notify_after_exit);
	tcase_add_test(tc, refusals_name_the_cause);
	tcase_add_test(tc, violation_named);
	tcase_add_test(tc, forbidden_call_never_returns);
	tcase_add_test(tc, bad_grants);
	tcase_add_test(tc, report_table);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	char why[300];
	int failed;

	if (argc != 3)
		return fprintf(stderr, "usage: %s root|unprivileged HOSTILE\n",
			       argv[0]), 2;
	hostile = argv[2];
	if (!strcmp(argv[1], "root") && geteuid() != 0) {
		printf("SKIP: the root variant needs root\n");
		return 77;
	}
	if (!strcmp(argv[1], "unprivileged") && geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	     setresuid(65534, 65534, 65534) < 0)) {
		printf("SKIP: cannot drop to uid 65534\n");
		return 77;
	}
	if (host_sandbox_unavailable(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	sr = srunner_create(sandbox_spawn_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
