/* SPDX-License-Identifier: MIT */
/*
 * Sandbox profiles: YAML (libfyaml) into a struct sandbox_profile, merged
 * over the base profile. Every error names the file and line.
 */
#include "sandbox.h"
#include "profile-parse.h"

#include <cap-ng.h>
#include <errno.h>
#include <inttypes.h>
#include <libfyaml.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const ns_names[] = {
	"mount", "pid", "net", "ipc", "uts", "user", "cgroup",
};

static const char *const rl_names[SANDBOX_RL_COUNT] = {
	[SANDBOX_RL_NOFILE] = "nofile", [SANDBOX_RL_AS] = "as",
	[SANDBOX_RL_CORE] = "core", [SANDBOX_RL_FSIZE] = "fsize",
	[SANDBOX_RL_NPROC] = "nproc", [SANDBOX_RL_MEMLOCK] = "memlock",
};

const char *sandbox_ns_name(enum sandbox_ns ns)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++)
		if (ns == 1u << i)
			return ns_names[i];
	return "?";
}

const char *sandbox_rlimit_name(enum sandbox_rlimit_id id)
{
	return (unsigned)id < SANDBOX_RL_COUNT ? rl_names[id] : "?";
}

void sandbox_error_format(const struct sandbox_error *e, char *buf,
			  size_t size)
{
	if (e->line)
		snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->message);
	else if (e->file[0])
		snprintf(buf, size, "%s: %s", e->file, e->message);
	else
		snprintf(buf, size, "%s", e->message);
}

int sbx_fail(struct sandbox_error *e, const char *file, unsigned line,
	     int err, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
		e->line = line;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return -err;
}

unsigned sbx_node_line(struct fy_node *n)
{
	struct fy_token *t = NULL;
	void *it = NULL;
	struct fy_node_pair *pr;

	if (!n)
		return 0;
	if (fy_node_is_scalar(n)) {
		t = fy_node_get_scalar_token(n);
	} else if (fy_node_is_mapping(n)) {
		pr = fy_node_mapping_iterate(n, &it);
		return pr ? sbx_node_line(fy_node_pair_key(pr)) : 0;
	} else if (fy_node_is_sequence(n)) {
		return sbx_node_line(fy_node_sequence_iterate(n, &it));
	}
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	return m ? (unsigned)m->line + 1 : 0;
}

int sbx_scalar(struct pctx *c, struct fy_node *n, const char *what,
	       const char **out)
{
	if (!n || !fy_node_is_scalar(n) || fy_node_is_alias(n) ||
	    !(*out = fy_node_get_scalar0(n)))
		return FAIL(c, n, "%s must be a plain value", what);
	return 0;
}

static int boolean(struct pctx *c, struct fy_node *n, const char *what,
		   bool *out)
{
	const char *s;
	int r = sbx_scalar(c, n, what, &s);

	if (r < 0)
		return r;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*out = false;
	else
		return FAIL(c, n, "%s must be true or false, got '%s'", what, s);
	return 0;
}

/* Calls `item` for each scalar of a sequence (an empty value is []). */
static int each_item(struct pctx *c, struct fy_node *seq, const char *what,
		     int (*item)(struct pctx *, struct fy_node *, const char *))
{
	struct fy_node *n;
	void *it = NULL;
	const char *s;
	int r;

	if (!seq || !fy_node_is_sequence(seq))
		return FAIL(c, seq, "%s must be a list, e.g. %s: []", what, what);
	while ((n = fy_node_sequence_iterate(seq, &it))) {
		if ((r = sbx_scalar(c, n, what, &s)) < 0 ||
		    (r = item(c, n, s)) < 0)
			return r;
	}
	return 0;
}

static int add_ns(struct pctx *c, struct fy_node *n, const char *s)
{
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		if (!strcmp(s, ns_names[i])) {
			c->p->namespaces |= 1u << i;
			return 0;
		}
	}
	return FAIL(c, n, "unknown namespace '%s' (known: mount, pid, net, "
		    "ipc, uts, user, cgroup)", s);
}

static int add_cap(struct pctx *c, struct fy_node *n, const char *s)
{
	int cap = capng_name_to_capability(!strncasecmp(s, "cap_", 4) ?
					   s + 4 : s);
	int *v;

	if (cap < 0)
		return FAIL(c, n, "unknown capability '%s'", s);
	if (!(v = realloc(c->p->caps, (c->p->ncaps + 1) * sizeof(*v))))
		return -ENOMEM;
	v[c->p->ncaps++] = cap;
	c->p->caps = v;
	return 0;
}

static int add_syscall(struct pctx *c, struct fy_node *n, const char *s)
{
	int nr = seccomp_syscall_resolve_name(s);

	if (nr == __NR_SCMP_ERROR)
		return FAIL(c, n, "unknown system call '%s'", s);
	/* Negative numbers are calls this architecture lacks: accepted so
	 * that one profile serves several architectures, never loaded. */
	if (nr < 0)
		return 0;
	return sbx_int_add(&c->p->syscalls, &c->p->nsyscalls, nr);
}

/* Plain names (any arguments) and {CALL: RULES} items (some arguments). */
static int syscall_list(struct pctx *c, struct fy_node *seq)
{
	struct fy_node *n;
	void *it = NULL;
	const char *s;
	int r;

	if (!seq || !fy_node_is_sequence(seq))
		return FAIL(c, seq, "syscalls must be a list, e.g. syscalls: []");
	while ((n = fy_node_sequence_iterate(seq, &it))) {
		if (fy_node_is_mapping(n))
			r = sbx_parse_call_args(c, n);
		else if ((r = sbx_scalar(c, n, "a system call", &s)) == 0)
			r = add_syscall(c, n, s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_abs_path(struct pctx *c, struct fy_node *n, const char *s,
			char ***v, size_t *count, const char *prefix)
{
	if (s[0] != '/' || strstr(s, "/../") || strstr(s, "/./") ||
	    strlen(s) >= 512)
		return FAIL(c, n, "'%s' must be an absolute path without . or "
			    ".. components", s);
	if (prefix && strncmp(s, prefix, strlen(prefix)))
		return FAIL(c, n, "'%s' must be under %s", s, prefix);
	return sbx_str_add(v, count, s);
}

static int add_device(struct pctx *c, struct fy_node *n, const char *s)
{
	return add_abs_path(c, n, s, &c->p->devices, &c->p->ndevices, "/dev/");
}

static int add_path(struct pctx *c, struct fy_node *n, const char *s)
{
	return add_abs_path(c, n, s, &c->p->paths, &c->p->npaths, NULL);
}

static int rlimit_value(struct pctx *c, struct fy_node *n, const char *what,
			struct sandbox_rlimit *rl)
{
	const char *s;
	char *end;
	unsigned long long v;
	int r = sbx_scalar(c, n, what, &s);

	if (r < 0)
		return r;
	if (!strcmp(s, "unlimited")) {
		rl->value = RLIM_INFINITY;
	} else {
		errno = 0;
		v = strtoull(s, &end, 0);
		if (errno || end == s || *end || s[0] == '-' ||
		    v >= (unsigned long long)RLIM_INFINITY)
			return FAIL(c, n, "%s must be a number or 'unlimited', "
				    "got '%s'", what, s);
		rl->value = (rlim_t)v;
	}
	rl->set = true;
	return 0;
}

static int parse_rlimits(struct pctx *c, struct fy_node *m)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	const char *key;
	int r;

	if (!fy_node_is_mapping(m))
		return FAIL(c, m, "rlimits must be a mapping, e.g. "
			    "{nofile: 64, core: 0}");
	while ((pr = fy_node_mapping_iterate(m, &it))) {
		size_t i;

		if ((r = sbx_scalar(c, fy_node_pair_key(pr), "an rlimit name",
				&key)) < 0)
			return r;
		for (i = 0; i < SANDBOX_RL_COUNT; i++)
			if (!strcmp(key, rl_names[i]))
				break;
		if (i == SANDBOX_RL_COUNT)
			return FAIL(c, fy_node_pair_key(pr), "unknown rlimit '%s'"
				    " (known: nofile, as, core, fsize, nproc, "
				    "memlock)", key);
		if ((r = rlimit_value(c, fy_node_pair_value(pr), key,
				      &c->p->rlimits[i])) < 0)
			return r;
	}
	if (c->p->rlimits[SANDBOX_RL_NOFILE].set &&
	    c->p->rlimits[SANDBOX_RL_NOFILE].value >= SANDBOX_EXEC_FD)
		return FAIL(c, m, "rlimits.nofile must be below %d",
			    SANDBOX_EXEC_FD);
	return 0;
}

/* `wx: deny` or `wx: allow` (W+X mappings, see sandbox.h). */
static int wx_value(struct pctx *c, struct fy_node *n)
{
	const char *s;
	int r = sbx_scalar(c, n, "wx", &s);

	if (r < 0)
		return r;
	if (!strcmp(s, "deny"))
		c->p->wx = SANDBOX_WX_DENY;
	else if (!strcmp(s, "allow"))
		c->p->wx = SANDBOX_WX_ALLOW;
	else
		return FAIL(c, n, "wx must be deny or allow, got '%s'", s);
	return 0;
}

static int parse_key(struct pctx *c, const char *key, struct fy_node *v,
		     struct fy_node *kn)
{
	const char *s;
	int r;

	if (!strcmp(key, "kind")) {
		if ((r = sbx_scalar(c, v, "kind", &s)) < 0)
			return r;
		free(c->p->kind);
		return (c->p->kind = strdup(s)) ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "namespaces"))
		return each_item(c, v, key, add_ns);
	if (!strcmp(key, "capabilities"))
		return each_item(c, v, key, add_cap);
	if (!strcmp(key, "syscalls"))
		return syscall_list(c, v);
	if (!strcmp(key, "devices"))
		return each_item(c, v, key, add_device);
	if (!strcmp(key, "paths"))
		return each_item(c, v, key, add_path);
	if (!strcmp(key, "rlimits"))
		return parse_rlimits(c, v);
	if (!strcmp(key, "proc"))
		return boolean(c, v, key, &c->p->proc);
	if (!strcmp(key, "threads"))
		return boolean(c, v, key, &c->p->threads);
	if (!strcmp(key, "wx"))
		return wx_value(c, v);
	return FAIL(c, kn, "unknown key '%s' (known: kind, namespaces, "
		    "capabilities, rlimits, devices, paths, proc, threads, "
		    "wx, syscalls)", key);
}

static int parse_root(struct pctx *c, struct fy_node *root)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	const char *key;
	int r;

	if (!root || !fy_node_is_mapping(root))
		return FAIL(c, root, "a profile must be a mapping with kind: "
			    "and syscalls:");
	while ((pr = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *kn = fy_node_pair_key(pr);

		if ((r = sbx_scalar(c, kn, "a key", &key)) < 0)
			return r;
		if (fy_node_mapping_lookup_pair(root, kn) != pr)
			return FAIL(c, kn, "duplicate key '%s'", key);
		if ((r = parse_key(c, key, fy_node_pair_value(pr), kn)) < 0)
			return r;
	}
	if (!c->p->kind)
		return FAIL(c, root, "missing kind:");
	return 0;
}

static void diag_discard(struct fy_diag *d, void *user, const char *buf,
			 size_t len)
{
}

/* Profiles are printable ASCII without tabs. Checked before libfyaml
 * sees the text: its 0.7 releases hang on some invalid UTF-8 (e.g.
 * "%\xfe\n" loops in fy_scan_directive) and crash on some tabs ("? a:\t:"
 * in fy_parser_destroy, libfyaml#57), and no profile needs either. */
static int check_text(struct pctx *c, const char *yaml, size_t len)
{
	unsigned line = 1, quotes = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)yaml[i];

		if (ch == '\n')
			line++;
		else if (ch != '\r' && (ch < 0x20 || ch > 0x7e))
			return sbx_fail(c->err, c->name, line, EILSEQ, "byte 0x%02x:"
					" a profile must be printable ASCII "
					"without tabs", ch);
		/* libfyaml 0.7 misdecodes adjacent '' escapes and leaks an
		 * iterator's buffer (fuzz-sandbox-profile; the manifest
		 * refuses the same, launcher/manifest-text.c). */
		quotes = ch == '\'' ? quotes + 1 : 0;
		if (quotes == 4)
			return sbx_fail(c->err, c->name, line, EILSEQ, "four ' in "
					"a row: libfyaml 0.7 misreads adjacent "
					"'' escapes");
	}
	return 0;
}

static struct fy_document *parse_doc(struct pctx *c, const char *yaml,
				     size_t len, int *r)
{
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc = {
		.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
			 FYPCF_JSON_NONE | FYPCF_ALLOW_DUPLICATE_KEYS,
	};
	struct fy_document *doc;
	struct fy_diag_error *de;
	void *it = NULL;

	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_discard;
	dc.colorize = false;
	if (!(pc.diag = fy_diag_create(&dc))) {
		*r = -ENOMEM;
		return NULL;
	}
	fy_diag_set_collect_errors(pc.diag, true);
	doc = fy_document_build_from_string(&pc, yaml, len);
	if (!doc) {
		*r = sbx_fail(c->err, c->name, 0, EINVAL, "YAML syntax error");
		while ((de = fy_diag_errors_iterate(pc.diag, &it))) {
			if (de->type < FYET_ERROR)
				continue;
			*r = sbx_fail(c->err, c->name,
				      de->line > 0 ? (unsigned)de->line : 0,
				      EINVAL, "YAML syntax error: %s",
				      de->msg ? de->msg : "?");
			break;
		}
	}
	fy_diag_destroy(pc.diag);
	return doc;
}

static int merge_base(struct sandbox_profile *p,
		      const struct sandbox_profile *b)
{
	int r = 0;

	for (size_t i = 0; i < b->nsyscalls && r >= 0; i++)
		r = sbx_int_add(&p->syscalls, &p->nsyscalls, b->syscalls[i]);
	for (size_t i = 0; i < b->narg_rules && r >= 0; i++)
		r = sbx_arg_rule_add(p, &b->arg_rules[i]);
	for (size_t i = 0; i < b->npaths && r >= 0; i++)
		r = sbx_str_add(&p->paths, &p->npaths, b->paths[i]);
	for (size_t i = 0; i < b->ndevices && r >= 0; i++)
		r = sbx_str_add(&p->devices, &p->ndevices, b->devices[i]);
	for (size_t i = 0; i < SANDBOX_RL_COUNT; i++)
		if (!p->rlimits[i].set)
			p->rlimits[i] = b->rlimits[i];
	p->proc |= b->proc;
	p->threads |= b->threads;
	/* The kind's own word wins: `wx: allow` undoes the base's deny. */
	if (p->wx == SANDBOX_WX_UNSET)
		p->wx = b->wx;
	return r;
}

int sandbox_profile_parse(const char *name, const char *yaml, size_t len,
			  const struct sandbox_profile *base,
			  struct sandbox_profile **out, struct sandbox_error *e)
{
	struct pctx c = { .name = name, .err = e };
	struct fy_document *doc = NULL;
	int r = -ENOMEM;

	*out = NULL;
	if (e)
		memset(e, 0, sizeof(*e));
	if (!(c.p = calloc(1, sizeof(*c.p))) || !(c.p->file = strdup(name)))
		goto out;
	if ((r = check_text(&c, yaml, len)) < 0 ||
	    !(doc = parse_doc(&c, yaml, len, &r)))
		goto out;
	if ((r = parse_root(&c, fy_document_root(doc))) < 0 ||
	    (r = sbx_check_arg_rules(&c, false)) < 0)
		goto out;
	if (base && ((r = merge_base(c.p, base)) < 0 ||
		     (r = sbx_check_arg_rules(&c, true)) < 0))
		goto out;
	/* The empty root is what everything else stands on. */
	if (base && !(c.p->namespaces & SANDBOX_NS_MOUNT)) {
		r = sbx_fail(e, name, 0, EINVAL, "namespaces: must include mount "
			     "(the empty root is not optional)");
		goto out;
	}
	sbx_int_sort(c.p->syscalls, c.p->nsyscalls);
	*out = c.p;
	c.p = NULL;
	r = 0;
out:
	if (r == -ENOMEM && e && !e->message[0])
		sbx_fail(e, name, 0, ENOMEM, "out of memory");
	fy_document_destroy(doc);
	sandbox_profile_free(c.p);
	return r;
}

void sandbox_profile_free(struct sandbox_profile *p)
{
	if (!p)
		return;
	free(p->kind);
	free(p->file);
	free(p->caps);
	sbx_str_free(p->devices, p->ndevices);
	sbx_str_free(p->paths, p->npaths);
	free(p->syscalls);
	free(p->arg_rules);
	free(p);
}
