/* SPDX-License-Identifier: MIT */
/* Device setup and the vdev ops: config space, queues. */
#include "blk.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "child.h"
#include "disk-size.h"
#include "log.h"
#include "uring-lockout.h"

static uint64_t offered_features(const struct blk_opts *o)
{
	uint64_t f = 1ull << VIRTIO_F_VERSION_1 |
		     1ull << VIRTIO_RING_F_EVENT_IDX |
		     1ull << VIRTIO_RING_F_INDIRECT_DESC |
		     1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE |
		     1ull << VIRTIO_BLK_F_FLUSH |
		     1ull << VIRTIO_BLK_F_DISCARD |
		     1ull << VIRTIO_BLK_F_WRITE_ZEROES;

	if (o->queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (o->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	return f;
}

static void blk_get_config(void *opaque, void *buf, uint32_t size)
{
	struct blk *b = opaque;
	struct virtio_blk_config c;

	memset(&c, 0, sizeof(c));
	c.capacity = htole64(b->capacity);
	c.seg_max = htole32(BLK_SEG_MAX);
	c.blk_size = htole32(512);
	c.num_queues = htole16((uint16_t)b->o.queues);
	c.max_discard_sectors = htole32(BLK_MAX_DISCARD_SECTORS);
	c.max_discard_seg = htole32(1);
	c.discard_sector_alignment = htole32(1);
	c.max_write_zeroes_sectors = htole32(BLK_MAX_WZ_SECTORS);
	c.max_write_zeroes_seg = htole32(1);
	c.write_zeroes_may_unmap = 1;
	memcpy(buf, &c, size < sizeof(c) ? size : sizeof(c));
}

static int blk_queue_start(void *opaque, atoll_virtio_queue *q)
{
	struct blk *b = opaque;
	struct blk_queue *bq = &b->queues[atoll_virtio_queue_index(q)];
	unsigned n = atoll_virtio_queue_size(q);

	bq->blk = b;
	bq->q = q;
	bq->reqs = calloc(n, sizeof(*bq->reqs));
	if (!bq->reqs)
		return -ENOMEM;
	bq->free = NULL;
	for (unsigned i = n; i-- > 0;) {
		bq->reqs[i].bq = bq;
		bq->reqs[i].next_free = bq->free;
		bq->free = &bq->reqs[i];
	}
	bq->busy = 0;
	return 0;
}

static void blk_queue_kick(void *opaque, atoll_virtio_queue *q)
{
	struct blk *b = opaque;
	struct blk_queue *bq = &b->queues[atoll_virtio_queue_index(q)];
	struct blk_req *r;
	unsigned budget = atoll_virtio_queue_size(q);
	int rc;

	/* Requests that complete at once (errors, GET_ID) free their slot
	 * immediately; the budget bounds one pass all the same. */
	while ((r = bq->free) && budget--) {
		r->elem.iov = r->iov;
		r->elem.max_iov = BLK_MAX_IOV;
		rc = atoll_virtio_queue_pop(q, &r->elem);
		if (rc <= 0)
			break;
		bq->free = r->next_free;
		bq->busy++;
		blk_req_start(r);
	}
	aio_commit(b->aio);
	/* io_uring often completes page-cache I/O inline at submit. */
	aio_poll(b->aio);
	blk_publish_dirty(b);
}

static void blk_queue_stop(void *opaque, atoll_virtio_queue *q)
{
	struct blk *b = opaque;
	unsigned index = atoll_virtio_queue_index(q);
	struct blk_queue *bq = &b->queues[index];

	if (!bq->reqs)
		return;
	while (bq->busy) {
		/* Delayed completions (FAULT_DELAY) are published now. */
		blk_queue_flush_delayed(bq);
		if (!bq->busy)
			break;
		if (!b->aio->outstanding) {
			log_error("queue %u: %u requests lost track of; "
				  "abandoned", index, bq->busy);
			break;
		}
		aio_drain(b->aio);
	}
	blk_publish_dirty(b);
	for (unsigned i = 0; i < atoll_virtio_queue_size(q); i++)
		if (bq->reqs[i].delay_ev)
			event_free(bq->reqs[i].delay_ev);
	free(bq->reqs);
	bq->reqs = NULL;
	bq->free = NULL;
	bq->q = NULL;
}

const struct atoll_virtio_ops blk_vdev_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.get_config = blk_get_config,
	.queue_start = blk_queue_start,
	.queue_kick = blk_queue_kick,
	.queue_stop = blk_queue_stop,
};

static void aio_cb(evutil_socket_t fd, short what, void *arg)
{
	struct blk *b = arg;

	aio_reap(b->aio);
	blk_publish_dirty(b);
}

static int start_aio(struct blk *b, unsigned depth)
{
	int rc = -ENOSYS;

	if (!b->o.force_threads) {
		rc = aio_uring_new(b->o.disk_fd, depth, blk_io_done, b, &b->aio);
		if (rc < 0)
			log_warn("restricted io_uring unavailable (%s); using "
				 "the thread pool", strerror(-rc));
	}
	if (rc < 0)
		rc = aio_threads_new(b->o.disk_fd, 4, blk_io_done, b, &b->aio);
	if (rc < 0)
		return rc;
	b->aio_ev = event_new(child_base(b->child), b->aio->event_fd,
			      EV_READ | EV_PERSIST, aio_cb, b);
	if (!b->aio_ev || event_add(b->aio_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int blk_init(struct blk *b, struct child *c)
{
	struct atoll_virtio_params p = { 0 };
	struct atoll_dev_config dc;
	uint64_t bytes = 0;
	unsigned depth = 1;
	int rc;

	b->child = c;
	if ((rc = disk_size(b->o.disk_fd, &bytes)) < 0) {
		log_error("cannot size the disk (fd %d): %s", b->o.disk_fd,
			  strerror(-rc));
		return rc;
	}
	b->capacity = bytes / 512;
	if (bytes % 512)
		log_warn("disk size %llu is not a multiple of 512; the tail "
			 "is not visible", (unsigned long long)bytes);
	b->zeros = calloc(1, BLK_ZERO_CHUNK);
	if (!b->zeros)
		return -ENOMEM;
	while (depth < b->o.queues * BLK_MAX_QUEUE_SIZE && depth < 4096)
		depth <<= 1;
	if ((rc = start_aio(b, depth)) < 0)
		return rc;
	/* Before the device exists: no peer message or guest data has been seen. */
	if ((rc = uring_lockout()) < 0) {
		log_error("cannot forbid new io_uring instances: %s",
			  strerror(-rc));
		return rc;
	}
	b->features = offered_features(&b->o);
	p.features = b->features;
	p.num_queues = b->o.queues;
	p.max_queue_size = BLK_MAX_QUEUE_SIZE;
	p.config_size = sizeof(struct virtio_blk_config);
	child_dev_config(c, &dc);
	b->dev = atoll_dev_new(&dc);
	if (!b->dev)
		return -errno;
	child_set_device(c, b->dev);
	b->vdev = atoll_virtio_new(b->dev, &blk_vdev_ops, &p, b);
	if (!b->vdev)
		return -errno;
	log_info("%llu sectors, %u queue(s), cache %s%s, aio %s",
		 (unsigned long long)b->capacity, b->o.queues,
		 b->o.cache == BLK_CACHE_NONE ? "none" :
		 b->o.cache == BLK_CACHE_WRITETHROUGH ? "writethrough" : "writeback",
		 b->o.readonly ? ", read-only" : "", b->aio->ops->name);
	return 0;
}

void blk_fini(struct blk *b)
{
	atoll_virtio_free(b->vdev);
	b->vdev = NULL;
	atoll_dev_free(b->dev);
	b->dev = NULL;
	if (b->aio_ev)
		event_free(b->aio_ev);
	b->aio_ev = NULL;
	aio_destroy(b->aio);
	b->aio = NULL;
	free((void *)b->zeros);
	b->zeros = NULL;
}
