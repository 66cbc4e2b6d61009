/* SPDX-License-Identifier: MIT */
/*
 * A process's launch plan being built: its argv and the fds it is granted.
 * The launcher opens every file a process gets (a sandboxed process has no
 * filesystem), by the rule the manifest was checked with.
 *
 * Builders return 0 or a negative errno with the reason in plan->why.
 */
#ifndef ATOLL_LAUNCHER_PLAN_H
#define ATOLL_LAUNCHER_PLAN_H

#include <stdbool.h>

#include "manifest.h"
#include "spawn.h"

#define LAUNCH_MAX_ARGS 96

struct launch_plan {
	const struct vm_config *cfg;  /* whose files the plan opens */
	struct spawn_args spawn;
	char *argv[LAUNCH_MAX_ARGS];
	size_t argc;
	int opened[SPAWN_MAX_FDS];   /* fds this plan opened and must close */
	size_t nopened;
	char why[512];               /* why building failed */
};

/* One argv word, printf-style. */
int plan_arg(struct launch_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Grants `fd`, which the plan now owns (closed by launch_plan_release,
 * or at once on failure), to the child as fd `target`. */
int plan_grant(struct launch_plan *plan, int fd, int target);
/* Opens `path`, a file of the manifest, with open(2) `flags` by the rule it
 * was checked with (beneath an allowed directory; a block device only for
 * a `disk` with --allow-block-device) and grants it as fd `target`. `what`
 * names it in plan->why. */
int plan_open(struct launch_plan *plan, const char *what, const char *path,
	      int flags, bool disk, int target);
/* Closes what the plan opened and frees its argv. */
void launch_plan_release(struct launch_plan *plan);

#endif
