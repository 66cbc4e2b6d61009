/* SPDX-License-Identifier: MIT */
/* A device's `faults:` list: faults the launcher injects by itself at
 * given times, for unattended runs (docs/manifest.md). */
#include <stdint.h>
#include <string.h>

#include "manifest-internal.h"

/* The order of enum fault_kind in launcher/fault.h. */
static const char *const kinds[] = { "crash", "hang", "delay", "io-error",
				     "drop-interrupt", NULL };

static int read_queue(struct mctx *c, const struct mval *v, uint32_t *queue)
{
	static const char *const all[] = { "all", NULL };
	unsigned q;
	int choice, r;

	if (v->node && fy_node_is_scalar(v->node) &&
	    !strcmp(fy_node_get_scalar0(v->node) ?: "", "all"))
		return mx_choice(c, v, all, &choice);
	if ((r = mx_uint(c, v, 0, 65535, &q)) < 0)
		return r;
	*queue = q;
	return 0;
}

static int read_fault(struct mctx *c, const struct mval *item,
		      struct scheduled_fault *f)
{
	static const char *const keys[] = { "kind", "at-ms", "every-ms",
					    "times", "count", "queue",
					    "duration-ms", "after", NULL };
	struct mval v;
	struct mmap m;
	int kind, r;

	*f = (struct scheduled_fault){ .times = 1, .count = 1,
				       .queue = UINT32_MAX };
	if ((r = mx_as_map(c, item, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "kind", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_choice(c, &v, kinds, &kind)) < 0)
		return r;
	f->kind = (unsigned)kind;
	mx_lookup(&m, "at-ms", &v);
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_uint(c, &v, 0, 86400000, &f->at_ms)) < 0)
		return r;
	mx_lookup(&m, "every-ms", &v);
	if (v.present && (r = mx_uint(c, &v, 10, 86400000, &f->every_ms)) < 0)
		return r;
	mx_lookup(&m, "times", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 100000, &f->times)) < 0)
		return r;
	if (f->times > 1 && !f->every_ms)
		return mx_fail(c, v.pos, v.field, "times needs every-ms");
	mx_lookup(&m, "count", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 1000000, &f->count)) < 0)
		return r;
	mx_lookup(&m, "queue", &v);
	if (v.present && (r = read_queue(c, &v, &f->queue)) < 0)
		return r;
	mx_lookup(&m, "after", &v);
	if (v.present && (r = mx_uint(c, &v, 0, 1000000, &f->after)) < 0)
		return r;
	mx_lookup(&m, "duration-ms", &v);
	if (v.present && (r = mx_uint(c, &v, 0, 3600000, &f->duration_ms)) < 0)
		return r;
	return 0;
}

int mx_read_faults(struct mctx *c, const struct mmap *dev,
		   struct device_config *d)
{
	struct mval v, item;
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "faults", &v);
	if (!v.present)
		return 0;
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of faults");
	count = fy_node_sequence_item_count(v.node);
	if (count > MANIFEST_MAX_FAULTS)
		return mx_fail(c, v.pos, v.field, "%d faults; at most %d are "
			       "allowed", count, MANIFEST_MAX_FAULTS);
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		if ((r = mx_list_item(&v, n, d->nfaults, &item)) < 0 ||
		    (r = read_fault(c, &item, &d->faults[d->nfaults])) < 0)
			return r;
		d->nfaults++;
	}
	return 0;
}
