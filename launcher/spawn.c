/* SPDX-License-Identifier: MIT */
#include "spawn.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atoll-config.h"
#include "log.h"

/* The environment a child sees: only what changes how Atoll itself logs
 * or how a sanitizer build reports, and the cpu's default engine and
 * lockstep check (so a whole test suite can run on another engine, or
 * checked against the interpreter). */
static void child_env(char **envp, size_t max)
{
	static const char *const keep[] = {
		"ATOLL_LOG", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
		"ATOLL_RV_ENGINE", "ATOLL_RV_LOCKSTEP",
	};
	static char level[32];
	size_t n = 0;

	/* Children log at the launcher's level unless ATOLL_LOG says. */
	if (!getenv("ATOLL_LOG")) {
		snprintf(level, sizeof(level), "ATOLL_LOG=%s",
			 log_level_name(log_level_get()));
		envp[n++] = level;
	}
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]) && n + 1 < max; i++) {
		for (char **e = environ; *e; e++)
			if (!strncmp(*e, keep[i], strlen(keep[i])) &&
			    (*e)[strlen(keep[i])] == '=')
				envp[n++] = *e;
	}
	envp[n] = NULL;
}

/* Every kind has a profile of its own name ("external" for devices built
 * out of tree), except the cpu server under KVM, which needs /dev/kvm. */
static const char *profile_kind(const char *kind, const char *accel)
{
	if (!strcmp(kind, "cpu") && accel && !strcmp(accel, "kvm"))
		return "cpu-kvm";
	return kind;
}

int spawn_process(struct spawn_args *a, struct sandbox_child *child)
{
	struct sandbox_spawn_args sa = { 0 };
	struct sandbox_profile *profile = NULL;
	struct sandbox_error err = { 0 };
	char bindir[PATH_MAX], *envp[8];
	const char *paths[2];
	size_t npaths = 0;
	int rc;

	child_env(envp, sizeof(envp) / sizeof(envp[0]));
	if (a->sandbox) {
		rc = sandbox_profile_load(NULL, profile_kind(a->kind, a->accel),
					  &profile, &err);
		if (rc < 0) {
			sandbox_error_format(&err, a->error, sizeof(a->error));
			return rc;
		}
		if (a->fsize.set)
			profile->rlimits[SANDBOX_RL_FSIZE] = a->fsize;
	}
	/* The binary's own folder (its libraries in the build tree) is the
	 * one host path every process needs beyond the profile's. */
	snprintf(bindir, sizeof(bindir), "%s", a->binary);
	paths[npaths++] = dirname(bindir);
	if (!strncmp(a->binary, ATOLL_BUILD_ROOT "/", strlen(ATOLL_BUILD_ROOT) + 1))
		paths[npaths++] = ATOLL_BUILD_ROOT;
	sa.name = a->name;
	sa.binary = a->binary;
	sa.argv = a->argv;
	sa.envp = envp;
	sa.fds = a->fds;
	sa.nfds = a->nfds;
	sa.profile = profile;
	sa.off = !a->sandbox;
	sa.paths = paths;
	sa.npaths = npaths;
	rc = sandbox_spawn(&sa, child, &err);
	sandbox_profile_free(profile);
	if (rc < 0) {
		sandbox_error_format(&err, a->error, sizeof(a->error));
		return rc;
	}
	if (child->warning)
		log_warn("%s: %s", a->name, child->warning);
	return 0;
}
