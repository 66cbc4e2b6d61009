/* SPDX-License-Identifier: MIT */
/* host_control_na(): a sandbox-off control is excused only by an outcome
 * the host alone produces, never by anything the sandbox does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "host-control.h"
#include "test-util.h"

static const struct host_facts plain = { 1, 0 };

static struct run_result killed(int sig)
{
	struct run_result r = { .spawned = true, .exited = false,
				.code = sig };

	return r;
}

static struct run_result failed(const char *attempt, int err)
{
	struct run_result r = { .spawned = true, .exited = true };

	snprintf(r.out, sizeof(r.out), "RESULT %s errno=%d %s\n", attempt,
		 err, strerror(err));
	return r;
}

static const char *na(const char *attempt, const struct run_result *r,
		      const struct host_facts *h)
{
	static char buf[256];

	return host_control_na(attempt, r, h, buf, sizeof(buf));
}

/* No IA32 emulation: int 0x80 faults with SIGSEGV even unsandboxed. */
START_TEST(int80_segv_is_the_host)
{
	struct run_result r = killed(SIGSEGV);
	const char *why = na("int80", &r, &plain);

	ck_assert_msg(why && strstr(why, "IA32 emulation"), "%s",
		      why ? why : "(none)");
}
END_TEST

/* What a sandbox does (a filter's SIGSYS, a named violation, a refused
 * spawn), a result line, or another attempt's SIGSEGV never excuses. */
START_TEST(sandbox_outcomes_never_excuse)
{
	struct run_result r = killed(SIGSYS);

	ck_assert_ptr_null(na("int80", &r, &plain));
	r = killed(SIGKILL);
	ck_assert_ptr_null(na("int80", &r, &plain));
	r = killed(SIGSEGV);
	snprintf(r.violation, sizeof(r.violation), "getpid");
	ck_assert_ptr_null(na("int80", &r, &plain));
	r = killed(SIGSEGV);
	r.spawned = false;
	ck_assert_ptr_null(na("int80", &r, &plain));
	r = killed(SIGSEGV);
	snprintf(r.out, sizeof(r.out), "RESULT int80 errno=38 x\n");
	ck_assert_ptr_null(na("int80", &r, &plain));
	r = killed(SIGSEGV);
	ck_assert_ptr_null(na("socket-inet", &r, &plain));
	ck_assert_ptr_null(na("exec-sh", &r, &plain));
}
END_TEST

/* A sysctl excuses only the errno it causes, and only when it is set. */
START_TEST(sysctls_excuse_their_errno_only)
{
	struct host_facts strict = { 0, 1 };
	struct run_result r = failed("tiocsti", EIO);
	const char *why;

	ck_assert_ptr_null(na("tiocsti", &r, &plain));
	why = na("tiocsti", &r, &strict);
	ck_assert_msg(why && strstr(why, "legacy_tiocsti=0"), "%s",
		      why ? why : "(none)");
	r = failed("tiocsti", EPERM);
	ck_assert_ptr_null(na("tiocsti", &r, &strict));

	r = failed("exec-memfd", EACCES);
	ck_assert_ptr_null(na("exec-memfd", &r, &plain));
	why = na("exec-memfd", &r, &strict);
	ck_assert_msg(why && strstr(why, "memfd_noexec=1"), "%s",
		      why ? why : "(none)");
	r = failed("exec-memfd", EPERM);
	ck_assert_ptr_null(na("exec-memfd", &r, &strict));
}
END_TEST

static Suite *host_control_suite(void)
{
	Suite *s = suite_create("sandbox-host-control");
	TCase *tc = tcase_create("na");

	tcase_add_test(tc, int80_segv_is_the_host);
	tcase_add_test(tc, sandbox_outcomes_never_excuse);
	tcase_add_test(tc, sysctls_excuse_their_errno_only);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(host_control_suite)
