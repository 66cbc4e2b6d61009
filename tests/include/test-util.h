/* SPDX-License-Identifier: MIT */
/* Assertion helpers for Check tests: print the call, its result and errno. */
#ifndef ATOLL_TEST_UTIL_H
#define ATOLL_TEST_UTIL_H

#include <check.h>
#include <errno.h>
#include <string.h>

/* Asserts that a call returning an int (or ssize_t) is >= 0. */
#define CHECK_OK(call)                                                        \
	do {                                                                  \
		long _r = (long)(call);                                       \
		int _e = errno;                                               \
		ck_assert_msg(_r >= 0, "%s returned %ld (errno %d: %s)",      \
			      #call, _r, _e, strerror(_e));                   \
	} while (0)

/* Asserts that a call returns exactly `want` (e.g. -EPROTO). */
#define CHECK_RET(call, want)                                                 \
	do {                                                                  \
		long _r = (long)(call);                                       \
		long _w = (long)(want);                                       \
		ck_assert_msg(_r == _w, "%s returned %ld (%s), wanted %ld (%s)", \
			      #call, _r, _r < 0 ? strerror((int)-_r) : "ok",  \
			      _w, _w < 0 ? strerror((int)-_w) : "ok");        \
	} while (0)

/* Runs a suite built by `make_suite` and returns the process exit code. */
#define CHECK_MAIN(make_suite)                                                \
	int main(void)                                                        \
	{                                                                     \
		SRunner *_sr = srunner_create(make_suite());                  \
		srunner_run_all(_sr, CK_NORMAL);                              \
		int _failed = srunner_ntests_failed(_sr);                     \
		srunner_free(_sr);                                            \
		return _failed ? 1 : 0;                                       \
	}

#endif
