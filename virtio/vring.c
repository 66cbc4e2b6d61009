/* SPDX-License-Identifier: MIT */
#include "vring.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* At most this many problem reports per queue per second. */
#define VQ_LOG_PER_SEC 10u

void vq_msg(const struct vq *vq, enum atoll_log_level level,
	    const char *fmt, ...)
{
	va_list ap;

	if (!vq->mem.log)
		return;
	va_start(ap, fmt);
	vq->mem.log(vq->mem.log_opaque, level, fmt, ap);
	va_end(ap);
}

static void vq_log(struct vq *vq, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vq_log(struct vq *vq, const char *fmt, ...)
{
	uint64_t now = (uint64_t)time(NULL);
	char buf[160];
	va_list ap;

	if (now != vq->log_budget_ts) {
		vq->log_budget_ts = now;
		vq->log_budget = VQ_LOG_PER_SEC;
	}
	if (!vq->log_budget)
		return;
	vq->log_budget--;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vq_msg(vq, ATOLL_LOG_WARN, "%s: %s%s", vq->name, buf,
		 vq->log_budget ? "" : " (further reports this second dropped)");
}

static inline uint16_t load16(volatile uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store16(volatile uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#define AVAIL_FLAGS(vq) (&(vq)->avail[0])
#define AVAIL_IDX(vq) (&(vq)->avail[1])
#define AVAIL_RING(vq, i) (&(vq)->avail[2 + (i)])
#define USED_EVENT(vq) (&(vq)->avail[2 + (vq)->size])
#define USED_IDX(vq) (&(vq)->used[1])
#define AVAIL_EVENT(vq) (&(vq)->used[2 + 4 * (vq)->size])

int vq_init(struct vq *vq, const struct vq_mem *mem, const char *name,
	    unsigned size, uint64_t desc, uint64_t avail, uint64_t used,
	    uint16_t last_avail, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	snprintf(vq->name, sizeof(vq->name), "%s", name);
	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	if (desc % 16 || avail % 2 || used % 4)
		return -EINVAL;
	vq->desc = mem->map(mem->ctx, desc, vq_desc_bytes(size), false);
	vq->avail = mem->map(mem->ctx, avail, vq_avail_bytes(size), false);
	/* The used ring is written by us: it must be writable RAM. */
	vq->used = mem->map(mem->ctx, used, vq_used_bytes(size), true);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	vq->inflight_map = calloc(size, 1);
	if (!vq->inflight_map)
		return -ENOMEM;
	vq->mem = *mem;
	vq->size = (uint16_t)size;
	vq->event_idx = event_idx;
	vq->last_avail = last_avail;
	/* Resuming: what we already returned is what the ring says. */
	vq->used_idx = load16(USED_IDX(vq));
	vq->published_idx = vq->used_idx;
	return 0;
}

void vq_fini(struct vq *vq)
{
	free(vq->inflight_map);
	free(vq->batch);
	free(vq->resubmit);
	vq->batch = vq->resubmit = NULL;
	vq->log = NULL;
	vq->log_ent = NULL;
	vq->inflight_map = NULL;
	vq->desc = NULL;
	vq->avail = vq->used = NULL;
	vq->size = 0;
}

uint16_t vq_pending(const struct vq *vq)
{
	return (uint16_t)(load16(AVAIL_IDX(vq)) - vq->last_avail);
}

static void read_desc(volatile struct vq_desc *table, unsigned i,
		      struct vq_desc *d)
{
	/* One copy: the guest may rewrite the descriptor behind our back. */
	d->addr = table[i].addr;
	d->len = table[i].len;
	d->flags = table[i].flags;
	d->next = table[i].next;
}

static void elem_fail(struct vq_elem *e, int err)
{
	if (!e->error)
		e->error = err;
}

/* Adds one non-empty data descriptor. Returns false if the element has no
 * room for more iovs (a structural stop). */
static bool add_buf(const struct vq *vq, struct vq_elem *e,
		    const struct vq_desc *d)
{
	bool w = d->flags & VQ_DESC_F_WRITE;
	void *p = vq->mem.map(vq->mem.ctx, d->addr, d->len, w);
	struct iovec *v;

	e->footer = NULL;
	if (!p) {
		elem_fail(e, -EFAULT);
		return true;
	}
	if (!w && e->n_in) {
		/* Readable after writable: the spec forbids it. */
		elem_fail(e, -EPROTO);
		return true;
	}
	if (e->n_out + e->n_in >= e->max_iov) {
		elem_fail(e, -E2BIG);
		return false;
	}
	v = &e->iov[e->n_out + e->n_in];
	v->iov_base = p;
	v->iov_len = d->len;
	if (w) {
		e->n_in++;
		e->in_bytes += d->len;
		e->footer = (uint8_t *)p + d->len - 1;
	} else {
		e->n_out++;
		e->out_bytes += d->len;
	}
	return true;
}

/* Switches the walk to an indirect table. Returns 0 or -errno. */
static int enter_indirect(const struct vq *vq, const struct vq_desc *d,
			  volatile struct vq_desc **table, unsigned *tsize)
{
	if (d->flags & VQ_DESC_F_NEXT)
		return -EPROTO;     /* INDIRECT and NEXT together */
	if (d->len == 0 || d->len % 16 || d->len / 16 > VQ_MAX_INDIRECT)
		return -EINVAL;
	*table = vq->mem.map(vq->mem.ctx, d->addr, d->len, false);
	if (!*table)
		return -EFAULT;
	*tsize = d->len / 16;
	return 0;
}

/* Walks the chain from e->head. A structural error (bad index, loop,
 * too long, bad indirect table) ends the walk; a bad buffer (address,
 * order) is recorded and the walk goes on so the footer is still found. */
static void walk_chain(struct vq *vq, struct vq_elem *e)
{
	volatile struct vq_desc *table = vq->desc;
	unsigned tsize = vq->size, i = e->head, count = 0;
	bool indirect = false;
	struct vq_desc d;
	int rc;

	for (;;) {
		if (i >= tsize)
			goto structural;
		/* More links than the table has entries means a loop. */
		if (++count > tsize) {
			elem_fail(e, -ELOOP);
			goto stop;
		}
		read_desc(table, i, &d);
		if (d.flags & VQ_DESC_F_INDIRECT) {
			if (indirect) {
				elem_fail(e, -EPROTO);
				goto stop;
			}
			if ((rc = enter_indirect(vq, &d, &table, &tsize)) < 0) {
				elem_fail(e, rc);
				goto stop;
			}
			indirect = true;
			i = 0;
			count = 0;
			continue;
		}
		if (d.len == 0)
			e->footer = NULL;   /* an empty last descriptor has no byte */
		else if (!add_buf(vq, e, &d))
			goto stop;
		if (!(d.flags & VQ_DESC_F_NEXT))
			return;
		i = d.next;
	}
structural:
	elem_fail(e, -EINVAL);
stop:
	e->footer = NULL;
}

/* An avail entry was consumed: the log says so, so that a restarted device
 * neither takes it again nor skips one. */
static void log_consumed(struct vq *vq)
{
	if (!vq->log)
		return;
	vq->log->last_avail = vq->last_avail;
	VQ_CRASH_POINT();
}

static void inflight_begin(struct vq *vq, uint16_t head, bool resubmitted)
{
	vq->inflight_map[head] = 1;
	vq->inflight++;
	if (!vq->log || resubmitted)
		return;
	/* The flag first, then last_avail: a crash in between leaves a
	 * flagged head whose avail entry looks unconsumed, which
	 * vq_attach_log recognises (newest counter, same avail entry). */
	vq->log->counter++;
	VQ_CRASH_POINT();
	vq->log_ent[head].counter = vq->log->counter;
	VQ_CRASH_POINT();
	vq->log_ent[head].inflight = 1;
	VQ_CRASH_POINT();
	log_consumed(vq);
}

/* Fills `e` from the chain at `head` and marks it in flight. A malformed
 * chain still comes back (with e->error) so that only its own request
 * fails. */
static int pop_head(struct vq *vq, struct vq_elem *e, uint16_t head,
		    bool resubmitted)
{
	e->head = head;
	e->n_out = e->n_in = 0;
	e->out_bytes = e->in_bytes = 0;
	e->footer = NULL;
	e->error = 0;
	walk_chain(vq, e);
	if (e->error) {
		vq->bad_chains++;
		vq_log(vq, "malformed %schain at head %u: %s",
		       resubmitted ? "resubmitted " : "", head,
		       strerror(-e->error));
	}
	inflight_begin(vq, head, resubmitted);
	return 1;
}

int vq_pop(struct vq *vq, struct vq_elem *e)
{
	uint16_t avail_idx, head;

	if (vq->broken)
		return -EIO;
	if (vq->resubmit_pos < vq->nresubmit)
		return pop_head(vq, e, vq->resubmit[vq->resubmit_pos++], true);
	for (;;) {
		avail_idx = load16(AVAIL_IDX(vq));
		if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
			vq->broken = true;
			vq_msg(vq, ATOLL_LOG_ERROR, "%s: avail idx %u is %u entries ahead of %u "
				  "(queue size %u); queue stopped", vq->name,
				  avail_idx, (uint16_t)(avail_idx - vq->last_avail),
				  vq->last_avail, vq->size);
			return -EIO;
		}
		if (avail_idx == vq->last_avail)
			return 0;
		/* The ring entry and descriptors were written before idx. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		head = load16(AVAIL_RING(vq, vq->last_avail % vq->size));
		vq->last_avail++;
		if (head >= vq->size) {
			vq->bad_chains++;
			vq_log(vq, "avail head %u >= queue size %u; returned "
			       "unused", head, vq->size);
			vq_push(vq, head, 0);
			log_consumed(vq);
			continue;
		}
		if (vq->inflight_map[head]) {
			vq->bad_chains++;
			vq_log(vq, "head %u made available while in flight; "
			       "ignored", head);
			log_consumed(vq);
			continue;
		}
		return pop_head(vq, e, head, false);
	}
}

void vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	volatile uint32_t *elem =
		(volatile uint32_t *)&vq->used[2] + 2 * (vq->used_idx % vq->size);

	if (head < vq->size && vq->inflight_map[head]) {
		vq->inflight_map[head] = 0;
		vq->inflight--;
		/* A driver re-posting a head before we published its completion
		 * could overfill the batch: publish early instead. */
		if (vq->log && vq->nbatch == vq->size)
			vq_publish(vq);
		if (vq->log)
			vq->batch[vq->nbatch++] = head;
	}
	elem[0] = head;
	VQ_CRASH_POINT();
	elem[1] = len;
	VQ_CRASH_POINT();
	vq->used_idx++;
}

void vq_publish(struct vq *vq)
{
	/* The elements must be visible before the index that covers them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store16(USED_IDX(vq), vq->used_idx);
	VQ_CRASH_POINT();
	if (!vq->log)
		return;
	/* Completed only once published; a crash before used_idx below is
	 * repaired by vq_attach_log from the used ring itself (the entries
	 * between the log's used_idx and used->idx are this batch). */
	for (unsigned i = 0; i < vq->nbatch; i++) {
		vq->log_ent[vq->batch[i]].inflight = 0;
		VQ_CRASH_POINT();
	}
	vq->nbatch = 0;
	vq->log->used_idx = vq->used_idx;
	VQ_CRASH_POINT();
}

bool vq_need_notify(struct vq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	/* Our used->idx store must be ordered before reading the driver's
	 * used_event / flags, or both sides may decide not to notify. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(AVAIL_FLAGS(vq)) & VQ_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(USED_EVENT(vq));
	/* vring_need_event(): did new pass event since old? */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool vq_arm_kick(struct vq *vq)
{
	if (vq->broken)
		return false;
	if (vq->event_idx) {
		store16(AVAIL_EVENT(vq), vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return vq_pending(vq) != 0;
}
