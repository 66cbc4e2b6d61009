/* SPDX-License-Identifier: MIT */
#include "sandbox-report.h"

#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "sandbox.h"

static int report_one(const char *name, const char *kind, bool on)
{
	struct sandbox_profile *p = NULL;
	struct sandbox_error err;
	char msg[768];
	int rc;

	if (!on) {
		sandbox_report_print(stdout, name, NULL, true);
		return 0;
	}
	rc = sandbox_profile_load(NULL, kind, &p, &err);
	if (rc < 0) {
		sandbox_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s (%s): %s\n", name, kind, msg);
		return 1;
	}
	sandbox_report_print(stdout, name, p, false);
	sandbox_profile_free(p);
	return 0;
}

int sandbox_report_main(const char *path,
			const struct manifest_policy *policy)
{
	struct manifest_error merr;
	struct vm_config *cfg = manifest_load(path, policy, &merr);
	int rc = 0;

	if (!cfg) {
		char msg[1024];

		manifest_error_format(&merr, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	printf("VM '%s' (%s)\n\n", cfg->name, path);
	rc |= report_one("mem", "mem", cfg->sandbox);
	if (strcmp(cfg->machine, "none") || cfg->cpu_binary)
		rc |= report_one("cpu", "cpu", cfg->sandbox);
	for (size_t i = 0; i < cfg->ndevices; i++)
		rc |= report_one(cfg->devices[i].name, cfg->devices[i].kind,
				 cfg->devices[i].sandbox);
	vm_config_free(cfg);
	return rc;
}
