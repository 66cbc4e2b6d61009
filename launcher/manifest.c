/* SPDX-License-Identifier: MIT */
/* The manifest's public entry points: YAML in, validated vm_config out. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest-internal.h"

static void diag_discard(struct fy_diag *diag, void *user, const char *buf,
			 size_t len)
{
}

/* libfyaml reports through a diag object; collecting its errors keeps them
 * off stderr and lets us turn the first one into a manifest_error. */
static struct fy_diag *quiet_diag(void)
{
	struct fy_diag_cfg dc;
	struct fy_diag *diag;

	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_discard;
	dc.colorize = false;
	diag = fy_diag_create(&dc);
	if (diag)
		fy_diag_set_collect_errors(diag, true);
	return diag;
}

static int syntax_error(struct mctx *c, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *it = NULL;

	while ((e = fy_diag_errors_iterate(diag, &it))) {
		if (e->type < FYET_ERROR)
			continue;
		return mx_fail(c, (struct mpos){ e->line > 0 ? (unsigned)e->line : 0,
						 e->column > 0 ? (unsigned)e->column : 0 },
			       "", "YAML syntax error: %s",
			       e->msg ? e->msg : "unknown");
	}
	return mx_fail(c, (struct mpos){ 0, 0 }, "", "YAML syntax error");
}

/* The one document of the stream; a second document is an error. */
static int parse_stream(struct mctx *c, struct fy_parser *fyp,
			struct fy_diag *diag, struct fy_document **out)
{
	struct fy_document *doc = fy_parse_load_document(fyp), *next;
	struct fy_node *root;

	if (!doc)
		return fy_diag_got_error(diag) ? syntax_error(c, diag) :
		       mx_fail(c, (struct mpos){ 1, 1 }, "", "the manifest is "
			       "empty; expected a mapping with at least "
			       "machine:");
	next = fy_parse_load_document(fyp);
	if (next || fy_diag_got_error(diag)) {
		struct mpos pos = mx_node_pos(next ? fy_document_root(next) :
					      NULL, (struct mpos){ 0, 0 });
		if (next)
			fy_parse_document_destroy(fyp, next);
		fy_parse_document_destroy(fyp, doc);
		return next ? mx_fail(c, pos, "", "only one YAML document is "
				      "allowed in a manifest") :
			      syntax_error(c, diag);
	}
	root = fy_document_root(doc);
	if (!root || !fy_node_is_mapping(root)) {
		struct mpos pos = mx_node_pos(root, (struct mpos){ 1, 1 });
		fy_parse_document_destroy(fyp, doc);
		return mx_fail(c, pos, "", "the top level must be a mapping "
			       "(machine:, memory:, ...), got %s",
			       !root ? "nothing" : fy_node_is_sequence(root) ?
			       "a list" : "a scalar");
	}
	*out = doc;
	return 0;
}

static struct vm_config *load(struct mctx *c, const char *yaml, size_t len)
{
	/* Duplicate keys are allowed here and refused by mx_check_keys,
	 * whose message names the key and the line of its first use. */
	struct fy_parse_cfg pcfg = {
		.flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS |
			 FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE,
	};
	struct fy_parser *fyp = NULL;
	struct fy_document *doc = NULL;
	struct vm_config *cfg = NULL;
	struct mmap root = { .pos = { 1, 1 } };
	struct mpos bad;
	char msg[128];
	int r = -ENOMEM;

	if (manifest_check_text(yaml, len, &bad.line, &bad.col, msg,
				sizeof(msg)) < 0) {
		mx_fail(c, bad, "", "%s", msg);
		return NULL;
	}
	pcfg.diag = quiet_diag();
	if (pcfg.diag)
		fyp = fy_parser_create(&pcfg);
	if (!fyp || fy_parser_set_string(fyp, yaml, len) < 0)
		goto out;
	r = parse_stream(c, fyp, pcfg.diag, &doc);
	if (r < 0)
		goto out;
	cfg = calloc(1, sizeof(*cfg));
	r = cfg ? 0 : -ENOMEM;
	if (r == 0 && !(cfg->dir = strdup(c->dir)))
		r = -ENOMEM;

	root.node = fy_document_root(doc);
	root.pos = mx_node_pos(root.node, root.pos);
	if (r == 0)
		r = mx_read_config(c, &root, cfg);
out:
	if (r == -ENOMEM)
		mx_fail(c, (struct mpos){ 0, 0 }, "", "out of memory");
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	fy_parser_destroy(fyp);
	fy_diag_destroy(pcfg.diag);
	if (r < 0) {
		vm_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* "dir/vm.yaml" -> "vm": the default VM name. */
static char *default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(base + n - 4, ".yml"))
		n -= 4;
	return strndup(base, n);
}

static struct vm_config *load_named(const char *name, const char *dir,
				    const char *yaml, size_t len,
				    const struct manifest_policy *policy,
				    struct manifest_error *err)
{
	char *def = default_name(name);
	struct mctx c = { .err = err, .dir = dir, .default_name = def };
	struct vm_config *cfg = NULL;

	if (policy)
		c.policy = *policy;
	if (!def)
		mx_fail(&c, (struct mpos){ 0, 0 }, "", "out of memory");
	else if (mx_file_dirs(dir, policy, &c.file_dirs, &c.nfile_dirs,
			      err->message, sizeof(err->message)) == 0 &&
		 mx_device_dirs(policy, &c.device_dirs, &c.ndevice_dirs,
				err->message, sizeof(err->message)) == 0)
		cfg = load(&c, yaml, len);
	if (cfg) {
		cfg->file_dirs = c.file_dirs;   /* cfg owns them now */
		cfg->nfile_dirs = c.nfile_dirs;
		cfg->device_dirs = c.device_dirs;
		cfg->ndevice_dirs = c.ndevice_dirs;
		cfg->block_devices = c.policy.allow_block_device;
		cfg->allow_binary = c.policy.allow_binary;
		c.file_dirs = c.device_dirs = NULL;
	}
	if (cfg && !(cfg->path = strdup(name))) {
		mx_fail(&c, (struct mpos){ 0, 0 }, "", "out of memory");
		vm_config_free(cfg);
		cfg = NULL;
	}
	mx_free_dirs(c.file_dirs);
	mx_free_dirs(c.device_dirs);
	free(def);
	return cfg;
}

static void init_error(struct manifest_error *err, const char *name)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name);
}

struct vm_config *manifest_load_string(const char *name, const char *yaml,
				       size_t len,
				       const struct manifest_policy *policy,
				       struct manifest_error *err)
{
	char cwd[PATH_MAX];

	init_error(err, name);
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(err->message, sizeof(err->message), "cannot get the "
			 "current directory: %s", strerror(errno));
		return NULL;
	}
	return load_named(name, cwd, yaml, len, policy, err);
}

/* Reads at most MANIFEST_MAX_BYTES of a regular file. */
static int read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > MANIFEST_MAX_BYTES)
		r = -EFBIG;
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	else if ((n = read(fd, buf, (size_t)st.st_size)) < 0)
		r = -errno;
	else
		*len = (size_t)n;
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

struct vm_config *manifest_load(const char *path,
				const struct manifest_policy *policy,
				struct manifest_error *err)
{
	char *yaml = NULL, *real = NULL;
	struct vm_config *cfg = NULL;
	size_t len = 0;
	int r;

	init_error(err, path);
	r = read_file(path, &yaml, &len);
	if (r == 0 && !(real = realpath(path, NULL)))
		r = -errno;
	if (r < 0) {
		snprintf(err->message, sizeof(err->message), "cannot read the "
			 "manifest: %s", r == -EINVAL ? "not a regular file" :
			 r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		goto out;
	}
	cfg = load_named(path, dirname(real), yaml, len, policy, err);
out:
	free(real);
	free(yaml);
	return cfg;
}

void manifest_error_format(const struct manifest_error *err, char *buf,
			   size_t size)
{
	char where[32] = "";

	if (err->line && err->column)
		snprintf(where, sizeof(where), ":%u:%u", err->line,
			 err->column);
	else if (err->line)
		snprintf(where, sizeof(where), ":%u", err->line);
	snprintf(buf, size, "%s%s: %s%s%s", err->file, where, err->field,
		 err->field[0] ? ": " : "", err->message);
}

void vm_config_free(struct vm_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; cfg->devices && i < cfg->ndevices; i++)
		mx_free_device(&cfg->devices[i]);
	free(cfg->devices);
	free(cfg->path);
	free(cfg->dir);
	mx_free_dirs(cfg->file_dirs);
	mx_free_dirs(cfg->device_dirs);
	free(cfg->name);
	free(cfg->machine);
	free(cfg->accel);
	free(cfg->engine);
	free(cfg->cpu_binary);
	free(cfg->mem_binary);
	free(cfg->firmware);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->console);
	free(cfg->qmp);
	free(cfg->display.listen);
	free(cfg->display.unix_path);
	free(cfg->display.password);
	free(cfg);
}

const char *restart_policy_name(enum restart_policy p)
{
	switch (p) {
	case RESTART_NEVER: return "never";
	case RESTART_ON_FAILURE: return "on-failure";
	case RESTART_ALWAYS: return "always";
	}
	return "unknown";
}

const char *cache_mode_name(enum cache_mode m)
{
	switch (m) {
	case CACHE_WRITEBACK: return "writeback";
	case CACHE_WRITETHROUGH: return "writethrough";
	case CACHE_NONE: return "none";
	}
	return "unknown";
}
