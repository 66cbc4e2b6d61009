/* SPDX-License-Identifier: MIT */
/* Kind virtio-blk: a disk image served by atoll-virtio-blk
 * (docs/dev-virtio-blk.md). The launcher opens the disk and grants it as
 * fd 4; the device cannot grow it (RLIMIT_FSIZE is the disk's size). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "kind.h"

#define DISK_FD 4

static const char *const keys[] = { "path", "format", "readonly", "cache",
				    "queues", "serial", NULL };
static const char *const cache_modes[] = { "writeback", "writethrough",
					   "none", NULL };

static int read_format(struct mctx *c, const struct mval *v,
		       struct disk_config *disk)
{
	static const char *const formats[] = { "raw", NULL };
	int idx, r;

	if (!v->present) {
		disk->format = strdup("raw");
		return disk->format ? 0 : -ENOMEM;
	}
	if ((r = mx_string(c, v, &disk->format)) < 0)
		return r;
	if (!strcmp(disk->format, "qcow2"))
		return mx_fail(c, v->pos, v->field, "qcow2 is not supported "
			       "yet; convert the image with qemu-img convert "
			       "-O raw");
	return mx_choice(c, v, formats, &idx);
}

static int read_serial(struct mctx *c, const struct mmap *dev,
		       struct disk_config *disk)
{
	struct mval v;
	int r;

	mx_lookup(dev, "serial", &v);
	if (!v.present)
		return 0;
	if ((r = mx_string(c, &v, &disk->serial)) < 0)
		return r;
	if (strlen(disk->serial) > 20)
		return mx_fail(c, v.pos, v.field, "serial is %zu bytes; at "
			       "most 20 fit in VIRTIO_BLK_ID_BYTES",
			       strlen(disk->serial));
	return 0;
}

static int blk_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	struct disk_config *disk = &d->disk;
	struct mval v, pv;
	int cache = CACHE_WRITEBACK, r;

	mx_lookup(dev, "readonly", &v);
	if (v.present && (r = mx_bool(c, &v, &disk->readonly)) < 0)
		return r;
	mx_lookup(dev, "path", &pv);
	if ((r = mx_require(c, &pv)) < 0 ||
	    (r = mx_existing_path(c, &pv, disk->readonly ? MX_FILE_DISK_RO :
				  MX_FILE_DISK_RW, &disk->path)) < 0)
		return r;
	mx_lookup(dev, "format", &v);
	if ((r = read_format(c, &v, disk)) < 0)
		return r;
	mx_lookup(dev, "cache", &v);
	if (v.present && (r = mx_choice(c, &v, cache_modes, &cache)) < 0)
		return r;
	disk->cache = (enum cache_mode)cache;
	disk->queues = 1;
	mx_lookup(dev, "queues", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 16, &disk->queues)) < 0)
		return r;
	return read_serial(c, dev, disk);
}

/* RLIMIT_FSIZE caps the offset of every write, so the disk's own size is
 * the smallest limit that lets the device write all of it, and keeps it
 * from growing the image. Other file types: the device refuses them. */
static int plan_disk_limit(struct launch_plan *plan, int fd)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		return 0;
	}
	plan->spawn.fsize = (struct sandbox_rlimit){ true, (rlim_t)bytes };
	return 0;
}

static int blk_plan(const struct device_config *dc, struct launch_plan *plan)
{
	const struct disk_config *d = &dc->disk;
	int flags = d->readonly ? O_RDONLY : O_RDWR;
	int rc;

	if (d->cache == CACHE_NONE)
		flags |= O_DIRECT;
	if ((rc = plan_arg(plan, "--cache=%s", cache_mode_name(d->cache))) < 0 ||
	    (rc = plan_arg(plan, "--queues=%u", d->queues)) < 0 ||
	    (d->readonly && (rc = plan_arg(plan, "--readonly")) < 0) ||
	    (d->serial && (rc = plan_arg(plan, "--serial=%s", d->serial)) < 0) ||
	    (rc = plan_open(plan, "disk", d->path, flags, true, DISK_FD)) < 0 ||
	    (rc = plan_arg(plan, "--disk-fd=%d", DISK_FD)) < 0)
		return rc;
	if ((rc = plan_disk_limit(plan, plan->opened[plan->nopened - 1])) < 0)
		snprintf(plan->why, sizeof(plan->why), "cannot size disk %s: "
			 "%s", d->path, strerror(-rc));
	return rc;
}

static void blk_release(struct device_config *d)
{
	free(d->disk.path);
	free(d->disk.format);
	free(d->disk.serial);
}

const struct device_kind kind_virtio_blk = {
	.name = "virtio-blk",
	.program = "atoll-virtio-blk",
	.build_dir = "dev-virtio-blk",
	.keys = keys,
	.read = blk_read,
	.plan = blk_plan,
	.release = blk_release,
};
