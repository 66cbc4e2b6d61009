/* SPDX-License-Identifier: MIT */
/* Kind virtio-gpu: a virtio-gpu 2D display adapter served by
 * atoll-virtio-gpu (docs/dev-gpu.md). It is granted no file, only the
 * scanout memfd (fd 4): the launcher makes it once, sealed against
 * resizing, and hands the same one to every start of the device and,
 * read-only, of the display (atoll-display), so either may restart
 * without the other. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../dev-gpu/scanout.h"
#include "kind.h"
#include "virtio-gpu.h"

#define SCANOUT_FD 4

struct gpu_kind_config {
	unsigned width, height;      /* the preferred mode */
	unsigned max_memory;         /* MiB of host resources */
	int scanout_fd;              /* -1 until the first start */
};

int virtio_gpu_scanout_fd(const struct device_config *d)
{
	struct gpu_kind_config *g = d->data;
	int fd;

	if (g->scanout_fd >= 0)
		return g->scanout_fd;
	fd = memfd_create("atoll-scanout", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)scanout_memfd_size(g->width, g->height)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return g->scanout_fd = fd;
}

static const char *const keys[] = { "width", "height", "max-memory", NULL };

static int gpu_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	struct gpu_kind_config *g = calloc(1, sizeof(*g));
	struct mval v;
	int r;

	if (!g)
		return -ENOMEM;
	*g = (struct gpu_kind_config){ 1024, 768, 256, -1 };
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
	int rc, fd = virtio_gpu_scanout_fd(d);

	if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		rc = fd < 0 ? fd : -errno;
		snprintf(plan->why, sizeof(plan->why), "cannot make the scanout "
			 "memfd: %s", strerror(-rc));
		return rc;
	}
	if ((rc = plan_grant(plan, fd, SCANOUT_FD)) < 0 ||
	    (rc = plan_arg(plan, "--scanout-fd=%d", SCANOUT_FD)) < 0 ||
	    (rc = plan_arg(plan, "--width=%u", g->width)) < 0 ||
	    (rc = plan_arg(plan, "--height=%u", g->height)) < 0 ||
	    (rc = plan_arg(plan, "--max-memory=%u", g->max_memory)) < 0)
		return rc;
	return 0;
}

static void gpu_release(struct device_config *d)
{
	struct gpu_kind_config *g = d->data;

	if (g && g->scanout_fd >= 0)
		close(g->scanout_fd);
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
