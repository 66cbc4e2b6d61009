/* SPDX-License-Identifier: MIT */
/* Runs one program through sandbox_spawn() the way the launcher does:
 * watch its pidfd and seccomp listener, kill it on a violation, collect
 * its stdout (fd 1) and granted fd 3. */
#ifndef ATOLL_TEST_SANDBOX_HARNESS_H
#define ATOLL_TEST_SANDBOX_HARNESS_H

#include <stdbool.h>
#include "sandbox.h"

struct run_result {
	bool spawned;            /* false: sandbox_spawn refused (error) */
	char error[512];
	bool exited;             /* else killed by a signal */
	int code;                /* exit code or signal number */
	char violation[48];      /* seccomp: forbidden call's name, or "" */
	char out[4096];          /* fd 1 */
	char fd3[256];           /* granted fd 3 */
	double spawn_us;         /* sandbox_spawn() wall time */
};

int harness_run(const struct sandbox_profile *p, bool off,
		char *const argv[], struct run_result *res);
/* Same, with in_fd granted as the child's fd 0. */
int harness_run_in(const struct sandbox_profile *p, bool off,
		   char *const argv[], int in_fd, struct run_result *res);

#endif
