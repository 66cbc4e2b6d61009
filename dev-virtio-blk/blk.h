/* SPDX-License-Identifier: MIT */
/* atoll-virtio-blk: the block device model on top of the virtio library. */
#ifndef ATOLL_BLK_H
#define ATOLL_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "aio.h"
#include <atoll/virtio.h>

struct child;
struct event;

/* Data segments a request may have (advertised as seg_max), plus the
 * header and the status descriptors. */
#define BLK_SEG_MAX 126u
#define BLK_MAX_IOV (BLK_SEG_MAX + 2u)
#define BLK_MAX_QUEUE_SIZE 256u
#define BLK_MAX_QUEUES 16u
#define BLK_SERIAL_LEN 20u           /* VIRTIO_BLK_ID_BYTES */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
#define BLK_ZERO_CHUNK (64u * 1024u)
/* Largest read/write: the kernel shortens single transfers near 2 GiB,
 * and the used length is 32 bits. */
#define BLK_MAX_REQ_BYTES (1u << 30)
/* Largest request that may need an O_DIRECT bounce buffer (guests align
 * their buffers to blk_size; this bounds what a hostile one can make us
 * allocate: queue size x this). */
#define BLK_MAX_BOUNCE_BYTES (4u << 20)
/* Write-zeroes falls back to writing BLK_SEG_MAX chunks of a zero buffer. */
#define BLK_MAX_WZ_SECTORS (BLK_SEG_MAX * BLK_ZERO_CHUNK / 512u)

enum blk_cache { BLK_CACHE_WRITEBACK, BLK_CACHE_WRITETHROUGH, BLK_CACHE_NONE };

struct blk_queue;

struct blk_req {
	struct aio_req io;          /* first: completions hand us &io */
	struct blk_queue *bq;
	struct atoll_vq_elem elem;
	uint32_t type;
	uint8_t *status;
	uint32_t in_len;            /* bytes for the guest, besides status */
	bool wz_fallback;           /* write-zeroes done by writing zeros */
	void *bounce;               /* O_DIRECT alignment copy */
	size_t bounce_len;
	struct iovec bounce_iov;
	struct event *delay_ev;     /* FAULT_DELAY */
	uint8_t delayed_status;
	struct blk_req *next_free;
	struct iovec iov[BLK_MAX_IOV];     /* the chain */
	struct iovec data[BLK_MAX_IOV];    /* its payload part */
	unsigned ndata;
};

struct blk_queue {
	struct blk *blk;
	atoll_virtio_queue *q;
	struct blk_req *reqs;
	struct blk_req *free;
	unsigned busy;              /* taken from the pool */
	bool dirty;                 /* used entries pushed, not published */
};

struct blk_opts {
	int disk_fd;
	enum blk_cache cache;
	unsigned queues;
	bool readonly;
	bool force_threads;
	char serial[BLK_SERIAL_LEN + 1];
};

struct blk {
	struct blk_opts o;
	struct child *child;
	atoll_dev *dev;
	atoll_virtio *vdev;
	struct aio *aio;
	struct event *aio_ev;
	uint64_t capacity;          /* sectors */
	uint64_t features;          /* offered */
	const uint8_t *zeros;       /* BLK_ZERO_CHUNK zero bytes */
	struct blk_queue queues[BLK_MAX_QUEUES];
	uint64_t completed, failed;
};

/* Sizes the disk, starts the I/O backend, builds the SDK device. */
int blk_init(struct blk *b, struct child *c);
void blk_fini(struct blk *b);
extern const struct atoll_virtio_ops blk_vdev_ops;

/* Request handling (blk-req.c). */
void blk_req_start(struct blk_req *r);
void blk_io_done(struct aio_req *io, void *opaque);
void blk_publish_dirty(struct blk *b);
/* Publishes requests held back by FAULT_DELAY at once (queue stop). */
void blk_queue_flush_delayed(struct blk_queue *bq);

#endif
