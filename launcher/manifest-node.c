/* SPDX-License-Identifier: MIT */
/* Located YAML values: positions, key checks and typed scalar readers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manifest-internal.h"

int mx_fail(struct mctx *c, struct mpos pos, const char *field,
	    const char *fmt, ...)
{
	va_list ap;

	c->err->line = pos.line;
	c->err->column = pos.col;
	snprintf(c->err->field, sizeof(c->err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
	/* values quoted in messages come from the file: no terminal escapes */
	for (char *p = c->err->message; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

static struct mpos token_pos(struct fy_token *t, struct mpos fallback)
{
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;

	if (!m || m->line < 0 || m->column < 0)
		return fallback;
	return (struct mpos){ (unsigned)m->line + 1, (unsigned)m->column + 1 };
}

/* libfyaml 0.7 has no start mark for collections: a mapping is where its
 * first key is, a list where its first item is; empty ones use fallback. */
struct mpos mx_node_pos(struct fy_node *n, struct mpos fallback)
{
	void *it = NULL;

	for (int depth = 0; n && depth < 8; depth++) {
		if (fy_node_is_scalar(n))
			return token_pos(fy_node_get_scalar_token(n), fallback);
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
			n = p ? fy_node_pair_key(p) : NULL;
		} else {
			n = fy_node_sequence_iterate(n, &it);
		}
		it = NULL;
	}
	return fallback;
}

/* Field paths are for messages: a long one is cut, never overflowed. */
void mx_join_field(char *out, const char *prefix, const char *key)
{
	int n = snprintf(out, MANIFEST_FIELD_MAX, "%s%s%s", prefix,
			 *prefix ? "." : "", key);

	if (n >= MANIFEST_FIELD_MAX)
		memcpy(out + MANIFEST_FIELD_MAX - 4, "...", 4);
}

/* Copies text for a message: at most 40 bytes, non-printables as '?'. */
static const char *printable(const char *s, size_t len, char buf[48])
{
	size_t n = len > 40 ? 40 : len, i;

	for (i = 0; i < n; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (len > n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static bool empty_scalar(struct fy_node *n)
{
	return fy_node_is_scalar(n) && !fy_node_is_alias(n) &&
	       !fy_node_get_scalar_token(n);
}

static const char *describe(struct fy_node *n)
{
	if (!n || empty_scalar(n))
		return "an empty value";
	if (fy_node_is_alias(n))
		return "an alias";
	if (fy_node_is_mapping(n))
		return "a mapping";
	if (fy_node_is_sequence(n))
		return "a list";
	return "a scalar";
}

static int wrong_type(struct mctx *c, const struct mval *v, const char *want)
{
	if (v->node && fy_node_is_alias(v->node))
		return mx_fail(c, v->pos, v->field, "YAML aliases are not "
			       "supported; expected %s", want);
	return mx_fail(c, v->pos, v->field, "expected %s, got %s", want,
		       describe(v->node));
}

int mx_as_map(struct mctx *c, const struct mval *v, struct mmap *m)
{
	if (!v->node || !fy_node_is_mapping(v->node))
		return wrong_type(c, v, "a mapping");
	m->node = v->node;
	/* "missing field" errors point at "machine:", not its first key */
	m->pos = v->key_pos;
	snprintf(m->field, sizeof(m->field), "%s", v->field);
	return 0;
}

int mx_list_item(const struct mval *list, struct fy_node *n, size_t idx,
		 struct mval *item)
{
	*item = *list;
	item->node = n;
	item->present = true;
	item->pos = item->key_pos = mx_node_pos(n, list->pos);
	if (snprintf(item->field, sizeof(item->field), "%s[%zu]", list->field,
		     idx) >= (int)sizeof(item->field))
		return -EOVERFLOW;   /* "devices[N].KEY" is short */
	return 0;
}

static bool key_text(struct fy_node_pair *p, const char **s, size_t *len)
{
	struct fy_node *k = fy_node_pair_key(p);

	if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k))
		return false;
	*s = fy_node_get_scalar(k, len);
	return *s != NULL;
}

static bool in_list(const char *s, size_t len, const char *const *list)
{
	for (; list && *list; list++)
		if (strlen(*list) == len && !memcmp(*list, s, len))
			return true;
	return false;
}

static int unknown_key(struct mctx *c, const struct mmap *m, struct mpos pos,
		       const char *key, size_t len,
		       const char *const *allowed)
{
	char buf[48], field[MANIFEST_FIELD_MAX], list[256];
	const char *near;

	printable(key, len, buf);
	mx_join_field(field, m->field, buf);
	near = memchr(key, '\0', len) ? NULL : manifest_suggest(buf, allowed);
	if (near)
		return mx_fail(c, pos, field, "unknown key \"%s\"; did you "
			       "mean \"%s\"?", buf, near);
	manifest_list_choices(allowed, list, sizeof(list));
	return mx_fail(c, pos, field, "unknown key \"%s\"; expected one of "
		       "%s", buf, list);
}

/* Earlier keys are all distinct members of `allowed`, so this scan is
 * bounded by the schema, not by the input. */
static int duplicate_key(struct mctx *c, const struct mmap *m,
			 struct fy_node_pair *upto, const char *key,
			 size_t len, struct mpos pos)
{
	void *it = NULL;
	struct fy_node_pair *p;

	while ((p = fy_node_mapping_iterate(m->node, &it)) && p != upto) {
		const char *s;
		size_t n;
		char field[MANIFEST_FIELD_MAX], buf[48];

		if (!key_text(p, &s, &n) || n != len || memcmp(s, key, len))
			continue;
		mx_join_field(field, m->field, printable(key, len, buf));
		return mx_fail(c, pos, field, "duplicate key \"%s\" (first "
			       "given at line %u)", buf,
			       mx_node_pos(fy_node_pair_key(p), m->pos).line);
	}
	return 0;
}

/* Every key must be a plain string from `allowed`, and appear once. Keys in
 * `elsewhere` exist in the schema but not here: `why` says so. */
int mx_check_keys(struct mctx *c, const struct mmap *m,
		  const char *const *allowed, const char *const *elsewhere,
		  const char *why)
{
	void *it = NULL;
	struct fy_node_pair *p;

	while ((p = fy_node_mapping_iterate(m->node, &it))) {
		struct mpos pos = mx_node_pos(fy_node_pair_key(p), m->pos);
		char buf[48], field[MANIFEST_FIELD_MAX];
		const char *key;
		size_t len;
		int r;

		if (!key_text(p, &key, &len))
			return mx_fail(c, pos, m->field, "keys must be plain "
				       "strings, got %s",
				       describe(fy_node_pair_key(p)));
		if (in_list(key, len, elsewhere) && !in_list(key, len, allowed)) {
			mx_join_field(field, m->field, printable(key, len, buf));
			return mx_fail(c, pos, field, "not valid %s", why);
		}
		if (!in_list(key, len, allowed))
			return unknown_key(c, m, pos, key, len, allowed);
		r = duplicate_key(c, m, p, key, len, pos);
		if (r < 0)
			return r;
	}
	return 0;
}

void mx_lookup(const struct mmap *m, const char *key, struct mval *v)
{
	void *it = NULL;
	struct fy_node_pair *p;

	memset(v, 0, sizeof(*v));
	v->pos = v->key_pos = v->parent = m->pos;
	mx_join_field(v->field, m->field, key);
	snprintf(v->key, sizeof(v->key), "%s", key);
	while ((p = fy_node_mapping_iterate(m->node, &it))) {
		const char *s;
		size_t n;

		if (!key_text(p, &s, &n) || n != strlen(key) ||
		    memcmp(s, key, n))
			continue;
		v->present = true;
		v->node = fy_node_pair_value(p);
		v->key_pos = mx_node_pos(fy_node_pair_key(p), m->pos);
		v->pos = mx_node_pos(v->node, v->key_pos);
		return;
	}
}

int mx_require(struct mctx *c, const struct mval *v)
{
	char parent[MANIFEST_FIELD_MAX];
	size_t plen = strlen(v->field) - strlen(v->key);

	if (v->present)
		return 0;
	snprintf(parent, sizeof(parent), "%.*s",
		 (int)(plen ? plen - 1 : 0), v->field);
	return mx_fail(c, v->parent, parent, "missing required field \"%s\"",
		       v->key);
}

int mx_scalar(struct mctx *c, const struct mval *v, const char **s,
	      size_t *len)
{
	if (!v->node || !fy_node_is_scalar(v->node) ||
	    fy_node_is_alias(v->node) || empty_scalar(v->node))
		return wrong_type(c, v, "a scalar value");
	*s = fy_node_get_scalar(v->node, len);
	if (!*s)
		return wrong_type(c, v, "a scalar value");
	return 0;
}

int mx_string(struct mctx *c, const struct mval *v, char **out)
{
	char msg[256];
	const char *s;
	size_t len;
	int r = mx_scalar(c, v, &s, &len);

	if (r < 0)
		return r;
	r = manifest_expand(s, len, out, msg, sizeof(msg));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return mx_fail(c, v->pos, v->field, "%s", msg);
	return 0;
}

static int parse_uint(const char *s, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

int mx_uint(struct mctx *c, const struct mval *v, unsigned min,
	    unsigned max, unsigned *out)
{
	unsigned long long n;
	char *s, buf[48];
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	r = parse_uint(s, &n);
	printable(s, strlen(s), buf);
	free(s);
	if (r == -EINVAL)
		return mx_fail(c, v->pos, v->field, "expected an integer from "
			       "%u to %u, got \"%s\"", min, max, buf);
	if (r < 0 || n < min || n > max)
		return mx_fail(c, v->pos, v->field, "%s is out of range; "
			       "expected %u..%u", buf, min, max);
	*out = (unsigned)n;
	return 0;
}

int mx_bool(struct mctx *c, const struct mval *v, bool *out)
{
	static const char *const yes[] = { "true", "on", "yes", NULL };
	static const char *const no[] = { "false", "off", "no", NULL };
	char *s, buf[48];
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	for (int i = 0; yes[i]; i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			free(s);
			return 0;
		}
	}
	printable(s, strlen(s), buf);
	free(s);
	return mx_fail(c, v->pos, v->field, "expected a boolean (true, false, "
		       "on or off), got \"%s\"", buf);
}

int mx_choice(struct mctx *c, const struct mval *v,
	      const char *const *choices, int *out)
{
	char *s, buf[48], list[256];
	const char *near;
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(s, choices[i])) {
			*out = i;
			free(s);
			return 0;
		}
	}
	printable(s, strlen(s), buf);
	near = manifest_suggest(s, choices);
	free(s);
	manifest_list_choices(choices, list, sizeof(list));
	if (near)
		return mx_fail(c, v->pos, v->field, "unknown value \"%s\"; "
			       "expected one of %s; did you mean \"%s\"?",
			       buf, list, near);
	return mx_fail(c, v->pos, v->field, "unknown value \"%s\"; expected "
		       "one of %s", buf, list);
}

int mx_size(struct mctx *c, const struct mval *v, uint64_t *out)
{
	char *s, buf[48];
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	r = manifest_parse_size(s, out);
	printable(s, strlen(s), buf);
	free(s);
	if (r == -ERANGE)
		return mx_fail(c, v->pos, v->field, "size \"%s\" is too large",
			       buf);
	if (r < 0)
		return mx_fail(c, v->pos, v->field, "bad size \"%s\"; expected "
			       "a number of bytes with an optional unit K, M "
			       "or G (powers of 1024), e.g. 256M", buf);
	return 0;
}

int mx_granted(struct mctx *c, struct mpos pos, const char *field,
	       bool granted, const char *what, const char *flag)
{
	if (granted)
		return 0;
	return mx_fail(c, pos, field, "%s (allow with --allow-%s)", what,
		       flag);
}

int mx_sandbox(struct mctx *c, const struct mval *v, bool *out)
{
	int r = mx_bool(c, v, out);

	if (r < 0 || *out)
		return r;
	return mx_granted(c, v->pos, v->field, c->policy.allow_unsandboxed,
			  "sandbox off: the process would run with all of the "
			  "launcher's rights", "unsandboxed");
}
