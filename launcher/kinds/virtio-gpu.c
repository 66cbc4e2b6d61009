/* SPDX-License-Identifier: MIT */
/* Kind virtio-gpu: a virtio-gpu 2D display adapter served by
 * atoll-virtio-gpu (docs/dev-gpu.md). It is granted no file: the scanout
 * is a memfd the device makes itself. */
#include <errno.h>
#include <stdlib.h>

#include "kind.h"

struct gpu_kind_config {
	unsigned width, height;      /* the preferred mode */
	unsigned max_memory;         /* MiB of host resources */
};

static const char *const keys[] = { "width", "height", "max-memory", NULL };

static int gpu_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	struct gpu_kind_config *g = calloc(1, sizeof(*g));
	struct mval v;
	int r;

	if (!g)
		return -ENOMEM;
	*g = (struct gpu_kind_config){ 1024, 768, 256 };
	d->data = g;
	/* The EDID's detailed timing holds 12 bits of each. */
	mx_lookup(dev, "width", &v);
	if (v.present && (r = mx_uint(c, &v, 16, 4095, &g->width)) < 0)
		return r;
	mx_lookup(dev, "height", &v);
	if (v.present && (r = mx_uint(c, &v, 16, 4095, &g->height)) < 0)
		return r;
	mx_lookup(dev, "max-memory", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 4096, &g->max_memory)) < 0)
		return r;
	return 0;
}

static int gpu_plan(const struct device_config *d, struct launch_plan *plan)
{
	const struct gpu_kind_config *g = d->data;
	int rc;

	if ((rc = plan_arg(plan, "--width=%u", g->width)) < 0 ||
	    (rc = plan_arg(plan, "--height=%u", g->height)) < 0 ||
	    (rc = plan_arg(plan, "--max-memory=%u", g->max_memory)) < 0)
		return rc;
	return 0;
}

static void gpu_release(struct device_config *d)
{
	free(d->data);
	d->data = NULL;
}

const struct device_kind kind_virtio_gpu = {
	.name = "virtio-gpu",
	.program = "atoll-virtio-gpu",
	.build_dir = "dev-gpu",
	.keys = keys,
	.read = gpu_read,
	.plan = gpu_plan,
	.release = gpu_release,
};
