/* SPDX-License-Identifier: MIT */
/*
 * The device side of a split virtqueue (virtio 1.x, little-endian hosts).
 *
 * Everything in guest memory is hostile and may change under us: every
 * descriptor is copied once, then checked (index, address range, length,
 * flags, chain length, nesting), and never re-read. A bad chain fails only
 * its own element (vq_elem.error); an avail index that moves by more than
 * the queue size marks the whole queue broken (vq_pop returns -EIO from
 * then on) because nothing it says can be trusted any more.
 */
#ifndef ATOLL_VIRTIO_VRING_H
#define ATOLL_VIRTIO_VRING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <atoll/watch.h>

#define VQ_MAX_SIZE 1024u
/* Most entries an indirect table may have. */
#define VQ_MAX_INDIRECT 1024u

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
#define VQ_DESC_F_INDIRECT 4u
#define VQ_AVAIL_F_NO_INTERRUPT 1u

/*
 * The in-flight log: shared memory (the memfd of QUEUE_SETUP) that
 * outlives the device process, so a restarted device can resubmit what
 * was in flight. Layout (little-endian host order), for a queue of size N:
 * a 64-byte header, then N entries of 16 bytes indexed by head.
 */
#define VQ_LOG_MAGIC 0x4c464941u     /* "AIFL" */
#define VQ_LOG_VERSION 1u

struct vq_log_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t queue_size;
	uint16_t last_avail;        /* avail entries consumed */
	uint16_t used_idx;          /* used->idx when the flags were last cleared */
	uint32_t reserved0;
	uint64_t counter;           /* pop sequence number */
	uint8_t reserved[40];
};

struct vq_log_ent {
	uint8_t inflight;           /* non-zero: popped, not completed */
	uint8_t reserved[7];
	uint64_t counter;           /* when it was popped (resubmit order) */
};

/*
 * A crash point follows every store to memory that outlives the device (the
 * in-flight log, the used ring): a compiler barrier, so the stores reach
 * memory in program order and a process killed at any instruction leaves a
 * prefix of them (the kernel makes the dead process's stores visible to the
 * next one). The crash test (tests/virtio/test-vring-crash.c) builds the ring
 * with VQ_CRASH_TEST and cuts a run at each of them.
 */
#ifdef VQ_CRASH_TEST
void vq_crash_point(void);
#define VQ_CRASH_POINT() vq_crash_point()
#else
#define VQ_CRASH_POINT() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

static inline uint64_t vq_log_bytes(unsigned size)
{
	return sizeof(struct vq_log_hdr) + (uint64_t)size * sizeof(struct vq_log_ent);
}

/* Guest memory as the ring sees it: a bounds-checked translation (NULL
 * outside guest RAM, or writing to read-only memory), and where to log. */
struct vq_mem {
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len, bool write);
	void *ctx;
	atoll_log_fn log;           /* NULL: silent */
	void *log_opaque;
};

struct vq {
	struct vq_mem mem;
	uint16_t size;
	bool event_idx;
	bool broken;
	volatile struct vq_desc *desc;
	volatile uint16_t *avail;   /* flags, idx, ring[size], used_event */
	volatile uint16_t *used;    /* flags, idx, then elems (u32 id, u32 len) */
	uint16_t last_avail;        /* next avail entry to consume */
	uint16_t used_idx;          /* shadow of used->idx (with unpublished) */
	uint16_t signalled_used;    /* used idx at the last notification */
	uint16_t published_idx;     /* used->idx as last written */
	bool signalled_valid;
	uint16_t inflight;          /* popped, not yet pushed */
	uint8_t *inflight_map;      /* per head: 1 while in flight */
	uint64_t bad_chains;        /* malformed elements seen */
	volatile struct vq_log_hdr *log;       /* NULL: no in-flight log */
	volatile struct vq_log_ent *log_ent;
	uint16_t *batch;            /* heads pushed since the last publish */
	unsigned nbatch;
	uint16_t *resubmit;         /* heads to hand out again, oldest first */
	unsigned nresubmit, resubmit_pos;
	uint64_t log_budget_ts;     /* rate-limit window start (s) */
	unsigned log_budget;
	char name[24];
};

/* What one popped element holds: n_out device-readable iovs, then n_in
 * device-writable ones, in chain order. */
struct vq_elem {
	uint16_t head;
	unsigned n_out, n_in;
	struct iovec *iov;          /* caller's array */
	unsigned max_iov;
	uint64_t out_bytes, in_bytes;
	/* Last byte of the chain's last descriptor, if that descriptor is
	 * device-writable, non-empty and mapped; else NULL. For a malformed
	 * chain this is still set when the chain structure could be walked to
	 * its end, so a device can report an error status. */
	uint8_t *footer;
	int error;                  /* 0, or the first problem (-errno) */
};

/* Checks the layout (power-of-2 size <= VQ_MAX_SIZE, alignment, all three
 * areas inside guest RAM) and resets the state; *mem is copied. Returns 0 or -EINVAL/-EFAULT
 * (with -ENOMEM if the in-flight map cannot be allocated). */
int vq_init(struct vq *vq, const struct vq_mem *mem, const char *name,
	    unsigned size, uint64_t desc, uint64_t avail, uint64_t used,
	    uint16_t last_avail, bool event_idx);
void vq_fini(struct vq *vq);
/* Attaches the in-flight log (after vq_init, before the first pop). A
 * zeroed log is initialised (fresh queue). A valid log from an earlier
 * device is a resume: last_avail comes from the log (QUEUE_SETUP's value is
 * overridden), heads already completed in the used ring are cleared, and
 * the rest are returned by vq_pop again, oldest first, before any new
 * entry. Returns the number of heads to resubmit, or -EINVAL for a log of
 * another queue size / format, -ENOMEM. */
int vq_attach_log(struct vq *vq, void *log, uint64_t len);

/* Pops the next available element into *e (whose iov/max_iov the caller
 * set). Returns 1 with *e filled (check e->error), 0 if none is available,
 * -EIO if the queue is broken. Entries whose head is out of range or
 * already in flight are consumed, logged and skipped (an out-of-range head
 * is returned at once in the used ring with len 0). */
int vq_pop(struct vq *vq, struct vq_elem *e);
/* Puts element `head` in the used ring (unpublished until vq_publish). */
void vq_push(struct vq *vq, uint16_t head, uint32_t len);
/* Makes pushed elements visible: write barrier, then used->idx. */
void vq_publish(struct vq *vq);
/* After vq_publish: must the driver be interrupted? Honours EVENT_IDX
 * (used_event) or VRING_AVAIL_F_NO_INTERRUPT, with a full barrier first. */
bool vq_need_notify(struct vq *vq);
/* Before sleeping on the kick: with EVENT_IDX, asks for a kick at the
 * next entry (avail_event); returns true if entries arrived meanwhile (the
 * caller must keep polling). */
bool vq_arm_kick(struct vq *vq);
/* Entries the driver made available and we have not popped. */
uint16_t vq_pending(const struct vq *vq);

/* Logs through vq->mem.log, if any (the ring's own diagnostics). */
void vq_msg(const struct vq *vq, enum atoll_log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Byte offsets of the split ring areas, for drivers and tests. */
static inline uint64_t vq_desc_bytes(unsigned size) { return 16ull * size; }
static inline uint64_t vq_avail_bytes(unsigned size) { return 6ull + 2ull * size; }
static inline uint64_t vq_used_bytes(unsigned size) { return 6ull + 8ull * size; }

#endif
