/* SPDX-License-Identifier: MIT */
/* Shared fixture of the manifest tests: a temporary directory $MT holding
 * the files manifests point at (kernel, initrd, disk.img, an executable). */
#ifndef ATOLL_TESTS_MANIFEST_TEST_H
#define ATOLL_TESTS_MANIFEST_TEST_H

#include <check.h>

#include "manifest.h"

struct launch_plan;

/* The directory created by mt_setup (also exported as $MT). */
const char *mt_dir(void);
void mt_setup(void);
void mt_teardown(void);
/* Writes `text` to $MT/rel and returns the absolute path (static buffer). */
const char *mt_write(const char *rel, const char *text);
/* "$MT/rel" canonicalised (static buffer). */
const char *mt_path(const char *rel);
/* Writes yaml to $MT/vm.yaml and loads it granting nothing; fails the
 * test with the formatted error if it does not load. */
struct vm_config *mt_load_ok(const char *yaml);
/* The same under `policy`. */
struct vm_config *mt_load_with(const char *yaml,
			       const struct manifest_policy *policy);
/* Every flag granted, and $MT as an --image-dir (for manifests elsewhere
 * that name files in $MT). */
const struct manifest_policy *mt_allow_all(void);

/* Does the plan's command line hold `arg` exactly? */
bool mt_plan_has_arg(const struct launch_plan *plan, const char *arg);
/* The fd the plan grants as `target`, or -1. */
int mt_plan_granted(const struct launch_plan *plan, int target);

/* An invalid manifest and what its error must say. */
struct mt_bad {
	const char *yaml;
	unsigned line;        /* 0: the line holding "#<" */
	unsigned col;         /* 0: not checked */
	const char *field;
	const char *words[3];
};
void mt_check_error(const struct mt_bad *b, const struct manifest_error *err);

/* The minimal valid manifest: 6 lines, no trailing devices. */
#define MT_BASE "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\n" \
		"boot:\n  kernel: ${MT}/kernel\n"

TCase *manifest_valid_tcase(void);
TCase *manifest_errors_tcase(void);
TCase *manifest_text_tcase(void);
TCase *manifest_policy_tcase(void);
TCase *manifest_kinds_tcase(void);
TCase *manifest_usb_tcase(void);

#endif
