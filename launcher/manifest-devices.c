/* SPDX-License-Identifier: MIT */
/* The devices: list of the manifest: the keys common to every kind and
 * the restart policy; each kind's own keys are read by its file in
 * launcher/kinds/ (kind.h). docs/manifest.md documents each field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "manifest-internal.h"

static const char *const common_keys[] = { "name", "kind", "binary", "args",
					   "sandbox", "restart", "health",
					   "faults", NULL };
/* Kinds a manifest may name that atoll cannot run yet: refused by name,
 * with the line, rather than as unknown words. None at present. */
static const char *const planned_kinds[] = { NULL };
/* Room for the common keys plus every kind's own. */
#define MAX_KEYS 128

static const char *const policies[] = { "never", "on-failure", "always",
					NULL };

static int read_restart_map(struct mctx *c, const struct mval *v,
			    struct restart_config *rc)
{
	static const char *const keys[] = { "policy", "max", "backoff-ms",
					    "backoff-max-ms", "interval-s",
					    NULL };
	struct mval f;
	struct mmap m;
	int policy = (int)rc->policy, r;

	if ((r = mx_as_map(c, v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "policy", &f);
	if (f.present && (r = mx_choice(c, &f, policies, &policy)) < 0)
		return r;
	rc->policy = (enum restart_policy)policy;
	mx_lookup(&m, "max", &f);
	if (f.present && (r = mx_uint(c, &f, 0, 1000, &rc->max_restarts)) < 0)
		return r;
	mx_lookup(&m, "backoff-ms", &f);
	if (f.present && (r = mx_uint(c, &f, 0, 600000, &rc->backoff_ms)) < 0)
		return r;
	mx_lookup(&m, "interval-s", &f);
	if (f.present &&
	    (r = mx_uint(c, &f, 0, 31536000, &rc->interval_s)) < 0)
		return r;
	mx_lookup(&m, "backoff-max-ms", &f);
	if (f.present &&
	    (r = mx_uint(c, &f, 0, 600000, &rc->backoff_max_ms)) < 0)
		return r;
	if (rc->backoff_max_ms < rc->backoff_ms)
		return mx_fail(c, f.present ? f.pos : m.pos, f.present ?
			       f.field : m.field, "backoff-max-ms (%u) is "
			       "less than backoff-ms (%u)", rc->backoff_max_ms,
			       rc->backoff_ms);
	return 0;
}

/* `restart: on-failure` or `restart: {policy: ..., max: ..., ...}`. */
static int read_restart(struct mctx *c, const struct mmap *dev,
			struct restart_config *rc)
{
	struct mval v;
	int policy;
	int r;

	*rc = (struct restart_config){ RESTART_ON_FAILURE, 5, 100, 5000, 600 };
	mx_lookup(dev, "restart", &v);
	if (!v.present)
		return 0;
	if (v.node && fy_node_is_mapping(v.node))
		return read_restart_map(c, &v, rc);
	if ((r = mx_choice(c, &v, policies, &policy)) < 0)
		return r;
	rc->policy = (enum restart_policy)policy;
	return 0;
}

/* `health: off` or `health: {interval-ms: N, deadline-ms: N}`. */
static int read_health(struct mctx *c, const struct mmap *dev,
		       struct health_config *h)
{
	static const char *const keys[] = { "interval-ms", "deadline-ms",
					    NULL };
	static const char *const off[] = { "off", NULL };
	struct mval v, f;
	struct mmap m;
	int choice, r;

	*h = (struct health_config){ 10000, 5000 };
	mx_lookup(dev, "health", &v);
	if (!v.present)
		return 0;
	if (!v.node || !fy_node_is_mapping(v.node)) {
		if ((r = mx_choice(c, &v, off, &choice)) < 0)
			return r;
		h->interval_ms = 0;
		return 0;
	}
	if ((r = mx_as_map(c, &v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "interval-ms", &f);
	if (f.present && (r = mx_uint(c, &f, 10, 3600000, &h->interval_ms)) < 0)
		return r;
	mx_lookup(&m, "deadline-ms", &f);
	if (f.present && (r = mx_uint(c, &f, 10, 600000, &h->deadline_ms)) < 0)
		return r;
	return 0;
}

static int read_args(struct mctx *c, const struct mmap *dev,
		     struct device_config *d)
{
	struct mval v, item;
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "args", &v);
	if (!v.present)
		return 0;
	if (!d->ops->own_args &&
	    (r = mx_granted(c, v.key_pos, v.field, c->policy.allow_binary,
			    "extra arguments: the manifest would choose how "
			    "the program runs", "binary")) < 0)
		return r;
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of strings");
	count = fy_node_sequence_item_count(v.node);
	if (count > MANIFEST_MAX_ARGS)
		return mx_fail(c, v.pos, v.field, "%d arguments; at most %d "
			       "are allowed", count, MANIFEST_MAX_ARGS);
	d->args = calloc((size_t)count + 1, sizeof(*d->args));
	if (!d->args)
		return -ENOMEM;
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		if ((r = mx_list_item(&v, n, d->nargs, &item)) < 0 ||
		    (r = mx_string(c, &item, &d->args[d->nargs])) < 0)
			return r;
		d->nargs++;
	}
	return 0;
}

static int read_name(struct mctx *c, const struct mmap *dev,
		     const struct vm_config *cfg, size_t idx)
{
	struct device_config *d = &cfg->devices[idx];
	struct mval v;
	int r;

	mx_lookup(dev, "name", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_string(c, &v, &d->name)) < 0)
		return r;
	if (!manifest_valid_device_name(d->name))
		return mx_fail(c, v.pos, v.field, "invalid device name \"%.40s\";"
			       " expected [a-z0-9][a-z0-9_-]{0,31}", d->name);
	for (size_t i = 0; i < idx; i++)
		if (!strcmp(cfg->devices[i].name, d->name))
			return mx_fail(c, v.pos, v.field, "duplicate device "
				       "name \"%s\" (first used by devices[%zu] "
				       "at line %u)", d->name, i,
				       cfg->devices[i].line);
	return 0;
}

/* allowed: the common keys and the kind's; elsewhere: every kind's. */
static void kind_keys(const struct device_kind *k, const char **allowed,
		      const char **elsewhere)
{
	size_t na = 0, ne = 0;

	for (size_t i = 0; common_keys[i]; i++)
		allowed[na++] = common_keys[i];
	for (size_t i = 0; k->keys && k->keys[i] && na < MAX_KEYS - 1; i++)
		allowed[na++] = k->keys[i];
	for (size_t j = 0; device_kinds[j]; j++)
		for (size_t i = 0; device_kinds[j]->keys &&
		     device_kinds[j]->keys[i] && ne < MAX_KEYS - 1; i++)
			elsewhere[ne++] = device_kinds[j]->keys[i];
	allowed[na] = elsewhere[ne] = NULL;
}

/* `kind: gpu` (or net, blk, input) for virtio-gpu: too far from the
 * kind for an edit distance to suggest it. */
static int virtio_hint(struct mctx *c, const struct mval *v,
		       const char *const *names)
{
	char full[48], list[256], *s;
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	r = 0;
	snprintf(full, sizeof(full), "virtio-%.32s", s);
	for (size_t i = 0; names[i] && strlen(s) <= 32; i++)
		if (!strcmp(names[i], full)) {
			manifest_list_choices(names, list, sizeof(list));
			r = mx_fail(c, v->pos, v->field, "unknown value \"%s\"; "
				    "expected one of %s; did you mean \"%s\"?",
				    s, list, full);
			break;
		}
	free(s);
	return r;
}

static int read_kind(struct mctx *c, const struct mmap *dev,
		     struct device_config *d)
{
	const char *names[MAX_KEYS], *allowed[MAX_KEYS], *elsewhere[MAX_KEYS];
	size_t n = 0;
	char why[48];
	struct mval v;
	int idx, r;

	for (size_t i = 0; device_kinds[i] && n < MAX_KEYS - 8; i++)
		names[n++] = device_kinds[i]->name;
	for (size_t i = 0; planned_kinds[i]; i++)
		names[n++] = planned_kinds[i];
	names[n] = NULL;
	mx_lookup(dev, "kind", &v);
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = virtio_hint(c, &v, names)) < 0 ||
	    (r = mx_choice(c, &v, names, &idx)) < 0)
		return r;
	d->ops = device_kind_find(names[idx]);
	if (!d->ops)
		return mx_fail(c, v.pos, v.field, "kind %s is not implemented "
			       "yet: atoll run cannot start it", names[idx]);
	if (!(d->kind = strdup(names[idx])))
		return -ENOMEM;
	kind_keys(d->ops, allowed, elsewhere);
	snprintf(why, sizeof(why), "for kind %s", d->kind);
	return mx_check_keys(c, dev, allowed, elsewhere, why);
}

static int read_device(struct mctx *c, const struct mval *item,
		       struct vm_config *cfg, size_t idx)
{
	struct device_config *d = &cfg->devices[idx];
	struct mmap dev;
	struct mval v;
	int r;

	d->line = item->pos.line;
	d->sandbox = cfg->sandbox;
	if ((r = mx_as_map(c, item, &dev)) < 0 ||
	    (r = read_kind(c, &dev, d)) < 0 ||
	    (r = read_name(c, &dev, cfg, idx)) < 0 ||
	    (r = read_args(c, &dev, d)) < 0 ||
	    (r = read_restart(c, &dev, &d->restart)) < 0 ||
	    (r = read_health(c, &dev, &d->health)) < 0 ||
	    (r = mx_read_faults(c, &dev, d)) < 0)
		return r;
	mx_lookup(&dev, "binary", &v);
	if (v.present && (r = mx_binary(c, &v, &d->binary)) < 0)
		return r;
	mx_lookup(&dev, "sandbox", &v);
	if (v.present && (r = mx_sandbox(c, &v, &d->sandbox)) < 0)
		return r;
	return d->ops->read ? d->ops->read(c, &dev, d) : 0;
}

int mx_read_devices(struct mctx *c, const struct mval *v,
		    struct vm_config *cfg)
{
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	if (!v->node || !fy_node_is_sequence(v->node))
		return mx_fail(c, v->pos, v->field, "expected a list of "
			       "devices");
	count = fy_node_sequence_item_count(v->node);
	if (count > MANIFEST_MAX_DEVICES)
		return mx_fail(c, v->pos, v->field, "%d devices; at most %d are "
			       "allowed", count, MANIFEST_MAX_DEVICES);
	if (count <= 0)
		return 0;
	cfg->devices = calloc((size_t)count, sizeof(*cfg->devices));
	if (!cfg->devices)
		return -ENOMEM;
	cfg->ndevices = (size_t)count;
	for (size_t i = 0; (n = fy_node_sequence_iterate(v->node, &it)); i++) {
		struct mval item = *v;

		item.node = n;
		item.present = true;
		item.pos = item.key_pos = mx_node_pos(n, v->pos);
		snprintf(item.field, sizeof(item.field), "devices[%zu]", i);
		if ((r = read_device(c, &item, cfg, i)) < 0)
			return r;
	}
	return 0;
}

void mx_free_device(struct device_config *d)
{
	if (d->ops && d->ops->release)
		d->ops->release(d);
	for (size_t i = 0; d->args && d->args[i]; i++)
		free(d->args[i]);
	free(d->args);
	free(d->name);
	free(d->kind);
	free(d->binary);
}
