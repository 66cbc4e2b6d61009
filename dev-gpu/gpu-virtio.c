/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-gpu's virtio side: queue 0 carries control commands (each
 * copied out of guest memory whole, then handled by gpu_ctrl, its
 * response copied back), queue 1 cursor commands (accepted, no cursor
 * plane). Every element is completed before the next is popped: nothing
 * is ever in flight once a kick returns, so a restarted device has none
 * to resume.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu-virtio.h"
#include "log.h"
#include "scanout.h"

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_ID_GPU 16
#define QUEUE_SIZE 256u
#define MAX_IOV 64u

static bool mem_ok(void *opaque, uint64_t gpa, uint64_t len)
{
	return atoll_dev_dma_ptr(((struct gpu_dev *)opaque)->dev, gpa, len,
				 false) != NULL;
}

static int mem_read(void *opaque, uint64_t gpa, void *dst, size_t len)
{
	return atoll_dev_dma_read(((struct gpu_dev *)opaque)->dev, gpa, dst,
				  len);
}

static const struct gpu_mem_ops mem_ops = { mem_ok, mem_read };

/* Copies the element's device-readable part into d->req; returns its
 * length, or -1 if it is larger than any command. */
static long gather(struct gpu_dev *d, const struct atoll_vq_elem *e)
{
	size_t n = 0;

	if (e->out_bytes > GPU_MAX_REQ)
		return -1;
	for (unsigned i = 0; i < e->n_out; i++) {
		memcpy(d->req + n, e->iov[i].iov_base, e->iov[i].iov_len);
		n += e->iov[i].iov_len;
	}
	return (long)n;
}

/* Copies the response into the element's device-writable part; returns
 * the bytes written. */
static uint32_t scatter(const struct atoll_vq_elem *e, const uint8_t *resp,
			size_t len)
{
	size_t done = 0;

	for (unsigned i = e->n_out; i < e->n_out + e->n_in && done < len; i++) {
		size_t n = e->iov[i].iov_len;

		if (n > len - done)
			n = len - done;
		memcpy(e->iov[i].iov_base, resp + done, n);
		done += n;
	}
	return (uint32_t)done;
}

static uint32_t handle_ctrl(struct gpu_dev *d, const struct atoll_vq_elem *e)
{
	uint8_t resp[GPU_MAX_RESP];
	long len = gather(d, e);
	size_t n;

	/* An oversized chain is a short one: the header says what failed. */
	n = gpu_ctrl(d->gpu, d->req, len < 0 ? 0 : (size_t)len, resp);
	if (e->in_bytes < n)
		log_warn("control response of %zu bytes, the driver gave %llu",
			 n, (unsigned long long)e->in_bytes);
	return scatter(e, resp, n);
}

static void gpu_queue_kick(void *opaque, atoll_virtio_queue *q)
{
	struct gpu_dev *d = opaque;
	struct iovec iov[MAX_IOV];
	struct atoll_vq_elem e = { .iov = iov, .max_iov = MAX_IOV };
	bool ctrl = atoll_virtio_queue_index(q) == 0;

	while (atoll_virtio_queue_pop(q, &e) == 1) {
		uint32_t len = 0;

		if (e.error)
			log_warn("malformed chain on queue %u: %s",
				 atoll_virtio_queue_index(q), strerror(-e.error));
		else if (ctrl)
			len = handle_ctrl(d, &e);
		else if (gather(d, &e) >= 0)
			gpu_cursor(d->gpu, d->req, (size_t)e.out_bytes);
		atoll_virtio_queue_push(q, e.head, len);
	}
}

/* Nothing to drain: every popped element is completed in the kick. */
static void gpu_queue_stop(void *opaque, atoll_virtio_queue *q)
{
	(void)opaque;
	(void)q;
}

/* What the device did and what its scanout showed, before a reset or
 * the exit forgets it (the guest test compares the hash). */
static void log_summary(struct gpu_dev *d, const char *when)
{
	struct gpu_stats s;

	gpu_stats(d->gpu, &s);
	log_info("%s: %llu commands (%llu refused), %llu transfers, %llu "
		 "flushes; scanout hash %016llx", when,
		 (unsigned long long)s.commands, (unsigned long long)s.refused,
		 (unsigned long long)s.transfers, (unsigned long long)s.flushes,
		 (unsigned long long)gpu_scanout_hash(d->gpu));
}

static void gpu_reset_cb(void *opaque)
{
	struct gpu_dev *d = opaque;

	log_summary(d, "reset");
	gpu_reset(d->gpu);
	d->events_read = 0;
}

static void gpu_get_config(void *opaque, void *buf, uint32_t size)
{
	struct gpu_dev *d = opaque;
	struct virtio_gpu_config c = {
		.events_read = d->events_read,
		.num_scanouts = 1,
	};

	memcpy(buf, &c, size < sizeof(c) ? size : sizeof(c));
}

/* Only events_clear is writable: it clears the events it names. */
static int gpu_set_config(void *opaque, uint32_t offset, const void *data,
			  uint32_t len)
{
	struct gpu_dev *d = opaque;
	uint32_t v;

	if (offset != offsetof(struct virtio_gpu_config, events_clear) ||
	    len != sizeof(v))
		return -EINVAL;
	memcpy(&v, data, sizeof(v));
	d->events_read &= ~v;
	return 0;
}

static const struct atoll_virtio_ops gpu_vops = {
	.device_id = VIRTIO_ID_GPU,
	.get_config = gpu_get_config,
	.set_config = gpu_set_config,
	.queue_kick = gpu_queue_kick,
	.queue_stop = gpu_queue_stop,
	.reset = gpu_reset_cb,
};

/* The scanout memfd: the launcher's (--scanout-fd, shared with the
 * display and kept across restarts of either), which must be sealed
 * against shrinking and as large as the mode needs; else one of its own
 * (a device run without a launcher), sealed the same way. */
static int scanout_create(struct gpu_dev *d)
{
	struct stat st;
	int seals;

	d->scanout_size = scanout_memfd_size(d->width, d->height);
	if (d->scanout_fd >= 0) {
		seals = fcntl(d->scanout_fd, F_GET_SEALS);
		if (fstat(d->scanout_fd, &st) < 0 || seals < 0)
			return -errno;
		if (!(seals & F_SEAL_SHRINK) ||
		    (uint64_t)st.st_size < d->scanout_size) {
			log_error("--scanout-fd: %lld bytes%s, %zu needed",
				  (long long)st.st_size, seals & F_SEAL_SHRINK ?
				  "" : " and not sealed", d->scanout_size);
			return -EINVAL;
		}
	} else {
		d->scanout_fd = memfd_create("atoll-scanout",
					     MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (d->scanout_fd < 0 ||
		    ftruncate(d->scanout_fd, (off_t)d->scanout_size) < 0 ||
		    fcntl(d->scanout_fd, F_ADD_SEALS, F_SEAL_SHRINK |
			  F_SEAL_GROW | F_SEAL_SEAL) < 0)
			return -errno;
	}
	d->scanout = mmap(NULL, d->scanout_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, d->scanout_fd, 0);
	if (d->scanout == MAP_FAILED) {
		d->scanout = NULL;
		return -errno;
	}
	return 0;
}

/* The display learns what changed from this, not by polling the memfd:
 * posted to the launcher, which forwards it (docs/protocol.md). A lost one
 * costs a stale region until the next flush of it, not correctness of the
 * guest, so a failure is only logged. */
static void post_dirty(void *opaque, uint32_t x, uint32_t y, uint32_t w,
		       uint32_t h)
{
	/* Warned once per outage: a flush may come 60 times a second. */
	static bool warned;
	struct gpu_dev *d = opaque;
	atoll_bus *ctl = d->dev ? atoll_dev_control(d->dev) : NULL;
	Atoll__ScanoutRect r = ATOLL__SCANOUT_RECT__INIT, *rp = &r;
	Atoll__ScanoutDirty body = ATOLL__SCANOUT_DIRTY__INIT;

	r.x = x;
	r.y = y;
	r.width = w;
	r.height = h;
	body.n_rects = 1;
	body.rects = &rp;
	if (!ctl || atoll_bus_post(ctl, ATOLL__MSG_TYPE__MSG_SCANOUT_DIRTY,
				   &body.base, NULL, 0) < 0) {
		if (!warned)
			log_warn("cannot post a dirty rectangle");
		warned = true;
	} else {
		warned = false;
	}
}

int gpu_dev_init(struct gpu_dev *d, struct child *c)
{
	struct atoll_virtio_params p = {
		.features = VIRTIO_F_VERSION_1 | (1ull << VIRTIO_GPU_F_EDID),
		.num_queues = 2,
		.max_queue_size = QUEUE_SIZE,
		.config_size = sizeof(struct virtio_gpu_config),
	};
	struct atoll_dev_config dc;
	int rc;

	d->child = c;
	if ((rc = scanout_create(d)) < 0) {
		log_error("cannot create the scanout memfd: %s", strerror(-rc));
		return rc;
	}
	if (!(d->req = malloc(GPU_MAX_REQ)))
		return -ENOMEM;
	d->gpu = gpu_new(&(struct gpu_config){
		.width = d->width, .height = d->height,
		.mem_budget = d->mem_budget,
		.scanout = d->scanout, .scanout_size = d->scanout_size,
		.mem = &mem_ops, .mem_opaque = d,
		.dirty = post_dirty, .dirty_opaque = d,
	});
	if (!d->gpu)
		return -ENOMEM;
	child_dev_config(c, &dc);
	if (!(d->dev = atoll_dev_new(&dc)))
		return -errno;
	child_set_device(c, d->dev);
	if (!(d->vdev = atoll_virtio_new(d->dev, &gpu_vops, &p, d)))
		return -errno;
	log_info("one scanout, %ux%u preferred, %llu MiB for resources",
		 d->width, d->height,
		 (unsigned long long)(d->mem_budget >> 20));
	return 0;
}

void gpu_dev_fini(struct gpu_dev *d)
{
	if (d->gpu)
		log_summary(d, "exit");
	atoll_virtio_free(d->vdev);
	d->vdev = NULL;
	atoll_dev_free(d->dev);
	d->dev = NULL;
	gpu_free(d->gpu);
	d->gpu = NULL;
	free(d->req);
	d->req = NULL;
	if (d->scanout)
		munmap(d->scanout, d->scanout_size);
	d->scanout = NULL;
	if (d->scanout_fd >= 0)
		close(d->scanout_fd);
	d->scanout_fd = -1;
}
