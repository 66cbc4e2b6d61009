/* SPDX-License-Identifier: MIT */
/* Resuming from the in-flight log (see struct vq_log_hdr in vring.h). The
 * log comes from an untrusted front-end or a dead device: every field is
 * treated as a hint that cannot make us index out of bounds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vring.h"

struct flagged {
	uint64_t counter;
	uint16_t head;
};

static int by_counter(const void *a, const void *b)
{
	const struct flagged *x = a, *y = b;

	return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* Heads published in the used ring after the log's used_idx were
 * completed by the dead device just before it died: not in flight. */
static void clear_completed(struct vq *vq)
{
	volatile uint32_t *ring = (volatile uint32_t *)&vq->used[2];
	uint16_t from = vq->log->used_idx, to = vq->used_idx;

	if ((uint16_t)(to - from) > vq->size)
		return;     /* inconsistent: trust the flags */
	for (uint16_t i = from; i != to; i++) {
		uint32_t head = ring[2 * (i % vq->size)];

		if (head < vq->size) {
			vq->log_ent[head].inflight = 0;
			VQ_CRASH_POINT();
		}
	}
	vq->log->used_idx = to;
	VQ_CRASH_POINT();
}

static unsigned collect(struct vq *vq, struct flagged *f)
{
	unsigned n = 0;

	for (unsigned h = 0; h < vq->size; h++)
		if (vq->log_ent[h].inflight)
			f[n++] = (struct flagged){ vq->log_ent[h].counter, (uint16_t)h };
	qsort(f, n, sizeof(*f), by_counter);
	return n;
}

static void init_fresh(struct vq *vq)
{
	memset((void *)vq->log, 0, vq_log_bytes(vq->size));
	vq->log->queue_size = vq->size;
	vq->log->version = VQ_LOG_VERSION;
	vq->log->last_avail = vq->last_avail;
	vq->log->used_idx = vq->used_idx;
	VQ_CRASH_POINT();
	vq->log->magic = VQ_LOG_MAGIC;
	VQ_CRASH_POINT();
}

/* The flagged heads, oldest first, into vq->resubmit; *newest is the
 * counter of the last one. Holds no allocation across a crash point (the
 * crash test would see it leak). Returns their number or -ENOMEM. */
static int resubmit_order(struct vq *vq, uint64_t *newest)
{
	struct flagged *f = calloc(vq->size, sizeof(*f));
	unsigned n;

	if (!f)
		return -ENOMEM;
	n = collect(vq, f);
	for (unsigned i = 0; i < n; i++)
		vq->resubmit[i] = f[i].head;
	*newest = n ? f[n - 1].counter : 0;
	free(f);
	return (int)n;
}

int vq_attach_log(struct vq *vq, void *mem, uint64_t len)
{
	volatile struct vq_log_hdr *h = mem;
	uint64_t newest;
	int n;

	if (len < vq_log_bytes(vq->size))
		return -EINVAL;
	free(vq->batch);
	free(vq->resubmit);
	vq->batch = calloc(vq->size, sizeof(uint16_t));
	vq->resubmit = calloc(vq->size, sizeof(uint16_t));
	if (!vq->batch || !vq->resubmit)
		return -ENOMEM;
	vq->log = h;
	vq->log_ent = (volatile struct vq_log_ent *)(h + 1);
	if (h->magic == 0) {
		init_fresh(vq);
		return 0;
	}
	if (h->magic != VQ_LOG_MAGIC || h->version != VQ_LOG_VERSION ||
	    h->queue_size != vq->size) {
		vq->log = NULL;
		return -EINVAL;
	}
	clear_completed(vq);
	if ((n = resubmit_order(vq, &newest)) < 0) {
		vq->log = NULL;
		return n;
	}
	vq->last_avail = h->last_avail;
	/* Crash between flagging the newest head and advancing last_avail. */
	if (n && newest == h->counter &&
	    vq->avail[2 + vq->last_avail % vq->size] == vq->resubmit[n - 1] &&
	    (uint16_t)(vq->avail[1] - vq->last_avail) != 0) {
		vq->last_avail++;
		h->last_avail = vq->last_avail;
		VQ_CRASH_POINT();
	}
	vq->nresubmit = (unsigned)n;
	vq->resubmit_pos = 0;
	if (n)
		vq_msg(vq, ATOLL_LOG_INFO, "%s: resuming at avail %u with %u request(s) to "
			 "resubmit", vq->name, vq->last_avail, n);
	return n;
}
