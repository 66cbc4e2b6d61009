/* SPDX-License-Identifier: MIT */
#include "plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int plan_arg(struct launch_plan *plan, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (plan->argc + 1 >= LAUNCH_MAX_ARGS) {
		snprintf(plan->why, sizeof(plan->why), "more than %d arguments",
			 LAUNCH_MAX_ARGS - 1);
		return -E2BIG;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(plan->why, sizeof(plan->why), "out of memory");
		return -ENOMEM;
	}
	plan->argv[plan->argc++] = s;
	return 0;
}

int plan_grant(struct launch_plan *plan, int fd, int target)
{
	if (plan->spawn.nfds >= SPAWN_MAX_FDS ||
	    plan->nopened >= SPAWN_MAX_FDS) {
		close(fd);
		snprintf(plan->why, sizeof(plan->why), "more than %d fds",
			 SPAWN_MAX_FDS);
		return -E2BIG;
	}
	plan->opened[plan->nopened++] = fd;
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ fd, target };
	return 0;
}

int plan_open(struct launch_plan *plan, const char *what, const char *path,
	      int flags, bool disk, int target)
{
	char why[sizeof(plan->why) - 32];
	int fd = manifest_open_file(plan->cfg, path, flags, disk, why,
				    sizeof(why));

	if (fd < 0) {
		snprintf(plan->why, sizeof(plan->why), "cannot open %s: %s",
			 what, why);
		return fd;
	}
	return plan_grant(plan, fd, target);
}

void launch_plan_release(struct launch_plan *plan)
{
	for (size_t i = 0; i < plan->argc; i++)
		free(plan->argv[i]);
	plan->argc = 0;
	for (size_t i = 0; i < plan->nopened; i++)
		close(plan->opened[i]);
	plan->nopened = 0;
}
