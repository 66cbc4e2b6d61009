/* SPDX-License-Identifier: MIT */
/*
 * A device kind: everything the launcher knows about one `kind:` of the
 * manifest's devices, in the kind's own file (launcher/kinds/KIND.c):
 *   - its manifest keys beyond the common ones, and how they are read and
 *     checked (errors through mx_fail: file:line:col, field, message);
 *   - its program (found like every built-in binary) or none, when the
 *     manifest names it (kind external);
 *   - its sandbox profile: sandbox/profiles/KIND.yaml, listed with the kind
 *     in launcher/kinds/meson.build;
 *   - its command line and the files and fds it is granted, opened by the
 *     launcher under the rule the manifest was checked with.
 *
 * Adding a kind: write launcher/kinds/KIND.c defining
 * `const struct device_kind kind_KIND` (KIND with '-' as '_'), give its
 * program a folder and its profile a file, and add one line to the list in
 * launcher/kinds/meson.build. docs/device-kinds.md walks through it.
 */
#ifndef ATOLL_LAUNCHER_KIND_H
#define ATOLL_LAUNCHER_KIND_H

#include "kind-list.h"
#include "manifest-internal.h"
#include "plan.h"

struct device_kind {
	const char *name;            /* the manifest's `kind:` */
	/* The installed program and its folder in the build tree; NULL when
	 * the manifest names the program (device_config.binary). */
	const char *program;
	const char *build_dir;
	/* The manifest's args: go to a program the operator admitted
	 * (--device-dir), not to a built-in one: no --allow-binary needed. */
	bool own_args;
	/* Keys of this kind beyond the common ones; NULL-terminated. */
	const char *const *keys;
	/* Reads and checks this kind's keys of `dev` into `d`. Optional. */
	int (*read)(struct mctx *c, const struct mmap *dev,
		    struct device_config *d);
	/* Adds this kind's arguments and granted files to `plan`, after the
	 * launcher's own (--fd=3 --name=NAME) and before the manifest's
	 * `args:`. Returns 0 or a negative errno with plan->why set.
	 * Optional. */
	int (*plan)(const struct device_config *d, struct launch_plan *plan);
	/* Frees what read() stored in `d` (half-read too). Optional. */
	void (*release)(struct device_config *d);
};

#define KIND_DECLARE(k) extern const struct device_kind k;
DEVICE_KINDS(KIND_DECLARE)
#undef KIND_DECLARE

/* Every kind, in the order of launcher/kinds/meson.build; NULL-ended. */
extern const struct device_kind *const device_kinds[];

/* The kind called `name`, or NULL. */
const struct device_kind *device_kind_find(const char *name);

#endif
