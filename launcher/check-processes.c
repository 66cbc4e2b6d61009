/* SPDX-License-Identifier: MIT */
#include "check-processes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "sandbox.h"

/* The profile `kind` runs under, as spawn.c picks it. */
static const char *profile_of(const char *kind, const struct vm_config *cfg)
{
	return !strcmp(kind, "cpu") && !strcmp(cfg->accel, "kvm") ? "cpu-kvm"
								   : kind;
}

static int check_one(const struct vm_config *cfg, const char *name,
		     const char *kind, const char *override, bool sandbox,
		     unsigned line)
{
	char searched[1024], msg[768], where[32] = "";
	char *program = override ? strdup(override)
				 : launch_find_binary(kind, searched,
						      sizeof(searched));
	const char *profile = profile_of(kind, cfg);
	struct sandbox_profile *p = NULL;
	struct sandbox_error err;
	int rc = 0;

	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	if (!program) {
		fprintf(stderr, "%s%s: %s: no program for kind %s (looked for "
			"%s)\n", cfg->path, where, name, kind, searched);
		return 1;
	}
	if (sandbox && sandbox_profile_load(NULL, profile, &p, &err) < 0) {
		sandbox_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s%s: %s: sandbox profile %s: %s\n", cfg->path,
			where, name, profile, msg);
		rc = 1;
	}
	printf("  %s: kind %s, program %s, %s%s\n", name, kind, program,
	       sandbox ? "profile " : "sandbox off", sandbox ? profile : "");
	sandbox_profile_free(p);
	free(program);
	return rc;
}

int check_processes(const struct vm_config *cfg)
{
	int rc = check_one(cfg, "mem", "mem", cfg->mem_binary, cfg->sandbox, 0);

	if (strcmp(cfg->machine, "none") || cfg->cpu_binary)
		rc |= check_one(cfg, "cpu", "cpu", cfg->cpu_binary,
				cfg->sandbox, 0);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct device_config *d = &cfg->devices[i];

		rc |= check_one(cfg, d->name, d->kind, d->binary, d->sandbox,
				d->line);
	}
	return rc;
}
