/* SPDX-License-Identifier: MIT */
/* Kind external: a device program from outside the tree (a vendor's, or an
 * SDK sample), docs/device-kinds.md. Running it is the operator's decision:
 * `program:` must lie beneath a --device-dir, or anywhere with
 * --allow-binary. It runs under sandbox/profiles/external.yaml and gets
 * nothing of the host but the files its entry names, each opened by the
 * launcher by the rule of every manifest file and passed as an fd the
 * device learns from `--file=NAME=FD`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "external.h"
#include "kind.h"

static const char *const keys[] = { "program", "files", NULL };

/* `program:`, or the older `binary:` (read with the common keys). */
static int read_program(struct mctx *c, const struct mmap *dev,
			struct device_config *d, struct external_config *x)
{
	struct mval pv, bv;
	int r;

	mx_lookup(dev, "program", &pv);
	mx_lookup(dev, "binary", &bv);
	if (bv.present)
		return pv.present ? mx_fail(c, pv.key_pos, pv.field, "program: "
					    "and binary: both name the program; "
					    "give one") : 0;
	if ((r = mx_require(c, &pv)) < 0)
		return r;
	return mx_program(c, &pv, &d->binary, &x->program_beneath);
}

static int read_mode(struct mctx *c, const struct mmap *m, bool *rw)
{
	static const char *const modes[] = { "ro", "rw", NULL };
	struct mval v;
	int mode = 0, r;

	mx_lookup(m, "mode", &v);
	if (v.present && (r = mx_choice(c, &v, modes, &mode)) < 0)
		return r;
	*rw = mode == 1;
	return 0;
}

static int read_file_name(struct mctx *c, const struct mmap *m,
			  const struct external_config *x, char **out)
{
	struct mval v;
	int r;

	mx_lookup(m, "name", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_string(c, &v, out)) < 0)
		return r;
	if (!manifest_valid_device_name(*out))
		return mx_fail(c, v.pos, v.field, "invalid file name "
			       "\"%.40s\"; expected [a-z0-9][a-z0-9_-]{0,31}",
			       *out);
	for (size_t i = 0; i < x->nfiles; i++)
		if (!strcmp(x->files[i].name, *out))
			return mx_fail(c, v.pos, v.field, "duplicate file name "
				       "\"%s\"", *out);
	return 0;
}

/* One {name, path, mode} of `files:`. */
static int read_one_file(struct mctx *c, const struct mval *item,
			 struct external_config *x)
{
	static const char *const file_keys[] = { "name", "path", "mode", NULL };
	struct external_file *f = &x->files[x->nfiles];
	struct mval v;
	struct mmap m;
	int r;

	if ((r = mx_as_map(c, item, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, file_keys, NULL, NULL)) < 0 ||
	    (r = read_file_name(c, &m, x, &f->name)) < 0)
		goto out;
	if ((r = read_mode(c, &m, &f->rw)) < 0)
		goto out;
	mx_lookup(&m, "path", &v);
	if ((r = mx_require(c, &v)) == 0)
		r = mx_existing_path(c, &v, f->rw ? MX_FILE_RW : MX_FILE_READ,
				     &f->path);
out:
	x->nfiles++;    /* counted even half-read: released with the rest */
	return r;
}

static int read_files(struct mctx *c, const struct mmap *dev,
		      struct external_config *x)
{
	struct mval v, item;
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "files", &v);
	if (!v.present)
		return 0;
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of {name, "
			       "path, mode}");
	count = fy_node_sequence_item_count(v.node);
	if (count > EXTERNAL_MAX_FILES)
		return mx_fail(c, v.pos, v.field, "%d files; at most %d are "
			       "allowed", count, EXTERNAL_MAX_FILES);
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		if ((r = mx_list_item(&v, n, x->nfiles, &item)) < 0 ||
		    (r = read_one_file(c, &item, x)) < 0)
			return r;
	}
	return 0;
}

static int external_read(struct mctx *c, const struct mmap *dev,
			 struct device_config *d)
{
	struct external_config *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	d->data = x;
	if ((r = read_program(c, dev, d, x)) < 0)
		return r;
	return read_files(c, dev, x);
}

/* The program is checked again by the rule that admitted it: it may have
 * been replaced or moved since `atoll check`. */
static int recheck_program(const struct device_config *d,
			   const struct external_config *x,
			   struct launch_plan *plan)
{
	struct mx_file_rule rule = { .dirs = plan->cfg->device_dirs,
				     .ndirs = plan->cfg->ndevice_dirs };
	char why[sizeof(plan->why) - 32];
	int fd;

	if (!x->program_beneath)
		return 0;
	fd = mx_open_file(&rule, d->binary, O_RDONLY, NULL, why, sizeof(why));
	if (fd < 0) {
		snprintf(plan->why, sizeof(plan->why), "program: %s", why);
		return fd;
	}
	close(fd);
	return 0;
}

static int external_plan(const struct device_config *d,
			 struct launch_plan *plan)
{
	const struct external_config *x = d->data;
	int rc = recheck_program(d, x, plan);

	for (size_t i = 0; rc == 0 && i < x->nfiles; i++) {
		const struct external_file *f = &x->files[i];
		int target = EXTERNAL_FIRST_FD + (int)i;
		char what[64];

		snprintf(what, sizeof(what), "file %s", f->name);
		if ((rc = plan_open(plan, what, f->path, f->rw ? O_RDWR :
				    O_RDONLY, false, target)) == 0)
			rc = plan_arg(plan, "--file=%s=%d", f->name, target);
	}
	return rc;
}

static void external_release(struct device_config *d)
{
	struct external_config *x = d->data;

	for (size_t i = 0; x && i < x->nfiles; i++) {
		free(x->files[i].name);
		free(x->files[i].path);
	}
	free(x);
	d->data = NULL;
}

const struct device_kind kind_external = {
	.name = "external",
	.program = NULL,     /* the manifest's program: */
	/* It runs with nothing of the host but its fds: its arguments
	 * cannot reach further than the program itself. */
	.own_args = true,
	.keys = keys,
	.read = external_read,
	.plan = external_plan,
	.release = external_release,
};
