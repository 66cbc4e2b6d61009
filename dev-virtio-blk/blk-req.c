/* SPDX-License-Identifier: MIT */
/* One virtio-blk request: parse, check, submit, complete. Every field
 * comes from the guest and is checked before use. */
#include "blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "child.h"
#include "log.h"

#define SECTOR 512u

/* Copies `len` bytes at byte offset `skip` of iov[0..n) into dst.
 * Returns false if the iovs are shorter. */
static bool iov_read(const struct iovec *iov, unsigned n, size_t skip,
		     void *dst, size_t len)
{
	uint8_t *out = dst;

	for (unsigned i = 0; i < n && len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		memcpy(out, (uint8_t *)iov[i].iov_base + skip, l);
		out += l;
		len -= l;
		skip = 0;
	}
	return len == 0;
}

/* Describes bytes [skip, skip+len) of iov[0..n) in r->data. */
static bool slice(struct blk_req *r, const struct iovec *iov, unsigned n,
		  size_t skip, size_t len)
{
	r->ndata = 0;
	for (unsigned i = 0; i < n && len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		r->data[r->ndata].iov_base = (uint8_t *)iov[i].iov_base + skip;
		r->data[r->ndata++].iov_len = l;
		len -= l;
		skip = 0;
	}
	return len == 0;
}

static size_t copy_to_data(struct blk_req *r, const void *src, size_t len)
{
	const uint8_t *in = src;
	size_t done = 0;

	for (unsigned i = 0; i < r->ndata && done < len; i++) {
		size_t l = r->data[i].iov_len;

		if (l > len - done)
			l = len - done;
		memcpy(r->data[i].iov_base, in + done, l);
		done += l;
	}
	return done;
}

/* This process's first completion, on CLOCK_MONOTONIC (which the host's
 * processes share): a test times a restart from the kill of the old
 * process to it (guest_blk.py, bench-guest-blk-restart). */
static void log_first_completion(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	log_info("first request completed at monotonic %lld.%09ld",
		 (long long)ts.tv_sec, ts.tv_nsec);
}

static void publish(struct blk_req *r, uint8_t status)
{
	struct blk_queue *bq = r->bq;
	struct blk *b = bq->blk;

	if (r->status)
		*r->status = status;
	if (status == VIRTIO_BLK_S_OK)
		b->completed++;
	else
		b->failed++;
	if (b->completed + b->failed == 1)
		log_first_completion();
	/* Used length: what the device wrote into the writable part. */
	atoll_virtio_queue_push(bq->q, r->elem.head,
		r->status ? (status == VIRTIO_BLK_S_OK ? r->in_len : 0) + 1 : 0);
	bq->dirty = true;
	free(r->bounce);
	r->bounce = NULL;
	r->next_free = bq->free;
	bq->free = r;
	bq->busy--;
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct blk_req *r = arg;
	struct blk *b = r->bq->blk;

	publish(r, r->delayed_status);
	blk_publish_dirty(b);
}

/* The injected delay of one request: between `ms` and twice that, varied
 * by head, so that requests complete out of order as on a real disk (a
 * restart must then resubmit exactly what was in flight, not a range). */
static uint32_t delay_of(const struct blk_req *r, uint32_t ms)
{
	return ms ? ms + (uint32_t)(r->elem.head * 37u) % ms : 0;
}

static void finish(struct blk_req *r, uint8_t status)
{
	struct blk *b = r->bq->blk;
	uint32_t ms = delay_of(r, child_fault_delay_ms(b->child,
				atoll_virtio_queue_index(r->bq->q)));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ms && !r->delay_ev)
		r->delay_ev = evtimer_new(child_base(b->child), delay_cb, r);
	if (!ms || !r->delay_ev || evtimer_add(r->delay_ev, &tv) < 0) {
		publish(r, status);
		return;
	}
	r->delayed_status = status;
}

void blk_queue_flush_delayed(struct blk_queue *bq)
{
	for (unsigned i = 0; bq->q && i < atoll_virtio_queue_size(bq->q); i++) {
		struct blk_req *r = &bq->reqs[i];

		if (r->delay_ev && evtimer_pending(r->delay_ev, NULL)) {
			event_del(r->delay_ev);
			publish(r, r->delayed_status);
		}
	}
}

void blk_publish_dirty(struct blk *b)
{
	for (unsigned i = 0; i < b->o.queues; i++) {
		struct blk_queue *bq = &b->queues[i];

		if (bq->dirty && bq->q) {
			bq->dirty = false;
			/* An injected fault: the completions are in the used
			 * ring, the guest is not told; a later interrupt
			 * on the queue delivers them. */
			if (child_fault_take_drop(b->child, i)) {
				log_warn("fault: interrupt of queue %u dropped", i);
				continue;
			}
			atoll_virtio_queue_notify(bq->q);
		}
	}
}

static bool range_ok(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR;

	return bytes % SECTOR == 0 && sector <= b->capacity &&
	       n <= b->capacity - sector;
}

static bool direct_aligned(const struct blk_req *r)
{
	for (unsigned i = 0; i < r->ndata; i++)
		if ((uintptr_t)r->data[i].iov_base % SECTOR ||
		    r->data[i].iov_len % SECTOR)
			return false;
	return true;
}

/* O_DIRECT needs sector-aligned buffers; guest buffers may not be. */
static int bounce(struct blk_req *r, uint64_t len, bool is_write)
{
	if (len > BLK_MAX_BOUNCE_BYTES) {
		log_warn("unaligned O_DIRECT request of %llu bytes refused",
			 (unsigned long long)len);
		return -EINVAL;
	}
	if (posix_memalign(&r->bounce, 4096, len ? len : SECTOR))
		return -ENOMEM;
	r->bounce_len = len;
	if (is_write)
		iov_read(r->data, r->ndata, 0, r->bounce, len);
	r->bounce_iov.iov_base = r->bounce;
	r->bounce_iov.iov_len = len;
	r->io.iov = &r->bounce_iov;
	r->io.niov = 1;
	return 0;
}

static int submit(struct blk_req *r)
{
	int rc = aio_submit(r->bq->blk->aio, &r->io);

	if (rc < 0)
		log_warn("I/O submission failed: %s", strerror(-rc));
	return rc;
}

static int start_rw(struct blk_req *r, uint64_t sector, bool is_write)
{
	struct blk *b = r->bq->blk;
	const struct atoll_vq_elem *e = &r->elem;
	uint64_t len;
	bool ok;

	if (is_write) {
		len = e->out_bytes - sizeof(struct virtio_blk_outhdr);
		ok = slice(r, e->iov, e->n_out, sizeof(struct virtio_blk_outhdr), len);
	} else {
		len = e->in_bytes - 1;
		ok = slice(r, e->iov + e->n_out, e->n_in, 0, len);
	}
	if (!ok || len > BLK_MAX_REQ_BYTES || !range_ok(b, sector, len) ||
	    (is_write && b->o.readonly))
		return -EIO;
	r->io.op = is_write ? AIO_WRITE : AIO_READ;
	r->io.off = sector * SECTOR;
	r->io.len = len;
	r->io.iov = r->data;
	r->io.niov = r->ndata;
	r->io.dsync = is_write && b->o.cache == BLK_CACHE_WRITETHROUGH;
	r->in_len = is_write ? 0 : (uint32_t)len;
	if (len == 0)
		return 1;    /* nothing to move */
	if (b->o.cache == BLK_CACHE_NONE && !direct_aligned(r) &&
	    bounce(r, len, is_write) < 0)
		return -EIO;
	return submit(r) < 0 ? -EIO : 0;
}

/* DISCARD and WRITE_ZEROES: one segment (max_*_seg is 1). Returns 0 when
 * submitted, 1 when done, or the status to report as -status-1. */
static int start_range_op(struct blk_req *r, bool zeroes)
{
	struct blk *b = r->bq->blk;
	const struct atoll_vq_elem *e = &r->elem;
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t sector, n;
	uint32_t flags;

	if (b->o.readonly || e->out_bytes != sizeof(struct virtio_blk_outhdr) + sizeof(seg) ||
	    !iov_read(e->iov, e->n_out, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg)))
		return -EIO;
	sector = le64toh(seg.sector);
	n = le32toh(seg.num_sectors);
	flags = le32toh(seg.flags);
	if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
		return -ENOTSUP;
	if (!zeroes && flags)
		return -ENOTSUP;     /* the spec: unmap is for write-zeroes */
	if (n > (zeroes ? BLK_MAX_WZ_SECTORS : BLK_MAX_DISCARD_SECTORS) ||
	    !range_ok(b, sector, n * SECTOR))
		return -EIO;
	if (n == 0)
		return 1;
	r->io.op = AIO_FALLOCATE;
	r->io.off = sector * SECTOR;
	r->io.len = n * SECTOR;
	r->io.mode = FALLOC_FL_KEEP_SIZE |
		     (!zeroes || flags ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
	r->wz_fallback = false;
	return submit(r) < 0 ? -EIO : 0;
}

static int start_get_id(struct blk_req *r)
{
	const struct blk *b = r->bq->blk;
	const struct atoll_vq_elem *e = &r->elem;
	char id[BLK_SERIAL_LEN] = { 0 };
	uint64_t len = e->in_bytes - 1;

	memcpy(id, b->o.serial, strnlen(b->o.serial, BLK_SERIAL_LEN));
	if (len > BLK_SERIAL_LEN)
		len = BLK_SERIAL_LEN;
	slice(r, e->iov + e->n_out, e->n_in, 0, len);
	r->in_len = (uint32_t)copy_to_data(r, id, len);
	return 1;
}

static int dispatch(struct blk_req *r, const struct virtio_blk_outhdr *h)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		return start_rw(r, le64toh(h->sector), false);
	case VIRTIO_BLK_T_OUT:
		return start_rw(r, le64toh(h->sector), true);
	case VIRTIO_BLK_T_FLUSH:
		r->io.op = AIO_FSYNC;
		return submit(r) < 0 ? -EIO : 0;
	case VIRTIO_BLK_T_GET_ID:
		return start_get_id(r);
	case VIRTIO_BLK_T_DISCARD:
		return start_range_op(r, false);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return start_range_op(r, true);
	default:
		return -ENOTSUP;
	}
}

void blk_req_start(struct blk_req *r)
{
	struct blk *b = r->bq->blk;
	struct virtio_blk_outhdr h;
	int rc;

	r->status = r->elem.footer;
	r->in_len = 0;
	r->ndata = 0;
	r->bounce = NULL;
	if (r->elem.error || !r->status ||
	    !iov_read(r->elem.iov, r->elem.n_out, 0, &h, sizeof(h))) {
		finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	r->type = le32toh(h.type);
	if (child_fault_take_error(b->child,
				   atoll_virtio_queue_index(r->bq->q))) {
		finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	rc = dispatch(r, &h);
	if (rc == 1)
		finish(r, VIRTIO_BLK_S_OK);
	else if (rc == -ENOTSUP)
		finish(r, VIRTIO_BLK_S_UNSUPP);
	else if (rc < 0)
		finish(r, VIRTIO_BLK_S_IOERR);
}

/* Write-zeroes where the filesystem cannot zero a range: write zeros. */
static bool retry_as_write(struct blk_req *r)
{
	uint64_t len = r->io.len;

	r->ndata = 0;
	for (uint64_t done = 0; done < len; done += BLK_ZERO_CHUNK) {
		r->data[r->ndata].iov_base = (void *)r->bq->blk->zeros;
		r->data[r->ndata++].iov_len =
			len - done < BLK_ZERO_CHUNK ? len - done : BLK_ZERO_CHUNK;
	}
	r->wz_fallback = true;
	r->io.op = AIO_WRITE;
	r->io.iov = r->data;
	r->io.niov = r->ndata;
	r->io.dsync = r->bq->blk->o.cache == BLK_CACHE_WRITETHROUGH;
	if (submit(r) < 0)
		return false;
	aio_commit(r->bq->blk->aio);
	return true;
}

static uint8_t io_status(struct blk_req *r)
{
	const struct aio_req *io = &r->io;

	if (io->op == AIO_FALLOCATE && io->res == -EOPNOTSUPP) {
		if (r->type == VIRTIO_BLK_T_DISCARD)
			return VIRTIO_BLK_S_OK;    /* discard is a hint */
		return retry_as_write(r) ? 0xff : VIRTIO_BLK_S_IOERR;
	}
	if (io->res < 0) {
		log_warn("disk I/O failed: %s", strerror((int)-io->res));
		return VIRTIO_BLK_S_IOERR;
	}
	/* A short transfer inside the disk is an I/O error, not a retry. */
	if ((io->op == AIO_READ || io->op == AIO_WRITE) &&
	    (uint64_t)io->res != io->len)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

void blk_io_done(struct aio_req *io, void *opaque)
{
	struct blk_req *r = (struct blk_req *)io;
	uint8_t st = io_status(r);

	if (st == 0xff)
		return;     /* resubmitted */
	if (st == VIRTIO_BLK_S_OK && r->bounce && io->op == AIO_READ) {
		r->io.iov = r->data;
		copy_to_data(r, r->bounce, r->bounce_len);
	}
	finish(r, st);
}
