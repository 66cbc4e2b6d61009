/* SPDX-License-Identifier: MIT */
/* The split-ring walker fed hostile rings: every case asserts the exact
 * outcome (error code, iov counts, footer, used ring contents). */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "vmem.h"
#include "vring.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE (1u << 20)
#define QSZ 16u
#define DESC (RAM_BASE)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define DATA (RAM_BASE + 0x10000)
#define TABLE (RAM_BASE + 0x8000)

static uint8_t *ram;
static struct vmem mem;
/* The ring translates through the test's map. */
static const struct vq_mem vqm = { vmem_map_cb, &mem, NULL, NULL };
static struct vq vq;
static struct vq_elem el;
static struct iovec iov[64];

static struct vq_desc *desc_at(uint64_t gpa) { return (void *)(ram + (gpa - RAM_BASE)); }
static uint16_t *avail(void) { return (void *)(ram + (AVAIL - RAM_BASE)); }
static uint16_t *used16(void) { return (void *)(ram + (USED - RAM_BASE)); }
static uint32_t *used_elem(unsigned i) { return (uint32_t *)(used16() + 2) + 2 * (i % QSZ); }

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	desc_at(table)[i] = (struct vq_desc){ addr, len, flags, next };
}

static void post(uint16_t head)
{
	uint16_t idx = avail()[1];

	avail()[2 + idx % QSZ] = head;
	avail()[1] = (uint16_t)(idx + 1);
}

static void setup_q(uint16_t last_avail, bool event_idx)
{
	memset(ram, 0, RAM_SIZE);
	avail()[1] = last_avail;
	used16()[1] = last_avail;
	CHECK_RET(vq_init(&vq, &vqm, "t", QSZ, DESC, AVAIL, USED, last_avail,
			  event_idx), 0);
	el.iov = iov;
	el.max_iov = 64;
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	vmem_init(&mem);
	CHECK_RET(vmem_add_host(&mem, ram, RAM_BASE, RAM_SIZE, false), 0);
	setup_q(0, false);
}

static void *log_mem;

static void teardown(void)
{
	vq_fini(&vq);
	free(log_mem);
	log_mem = NULL;
	free(ram);
}

/* Pops one element and asserts its error. */
static void pop_expect(int err)
{
	CHECK_RET(vq_pop(&vq, &el), 1);
	CHECK_RET(el.error, err);
}

START_TEST(good_chain)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, DATA + 512, 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 2);
	set_desc(DESC, 2, DATA + 2048, 1, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 0);
	ck_assert_uint_eq(el.n_out, 1);
	ck_assert_uint_eq(el.n_in, 2);
	ck_assert_uint_eq(el.out_bytes, 16);
	ck_assert_uint_eq(el.in_bytes, 513);
	ck_assert_ptr_eq(iov[0].iov_base, ram + 0x10000);
	ck_assert_ptr_eq(el.footer, ram + 0x10000 + 2048);
	ck_assert_uint_eq(vq.inflight, 1);
	CHECK_RET(vq_pop(&vq, &el), 0);
	vq_push(&vq, 0, 513);
	ck_assert_uint_eq(used16()[1], 0);   /* not published yet */
	vq_publish(&vq);
	ck_assert_uint_eq(used16()[1], 1);
	ck_assert_uint_eq(used_elem(0)[0], 0);
	ck_assert_uint_eq(used_elem(0)[1], 513);
	ck_assert_uint_eq(vq.inflight, 0);
}
END_TEST

START_TEST(addr_beyond_ram)
{
	set_desc(DESC, 0, RAM_BASE + RAM_SIZE, 16, 0, 0);
	post(0);
	pop_expect(-EFAULT);
	ck_assert_uint_eq(el.n_out + el.n_in, 0);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(addr_below_ram)
{
	set_desc(DESC, 0, RAM_BASE - 16, 16, 0, 0);
	post(0);
	pop_expect(-EFAULT);
}
END_TEST

START_TEST(addr_straddles_end)
{
	set_desc(DESC, 0, RAM_BASE + RAM_SIZE - 8, 16, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(-EFAULT);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(addr_u64_overflow)
{
	set_desc(DESC, 0, UINT64_MAX - 4, 16, 0, 1);
	set_desc(DESC, 1, RAM_BASE + RAM_SIZE - 16, 0xffffffffu, 0, 0);
	post(0);
	pop_expect(-EFAULT);
	ck_assert_uint_eq(el.n_out, 0);
}
END_TEST

/* A bad buffer fails the element, but the walk still finds the status
 * byte so the device can report the error. */
START_TEST(bad_middle_keeps_footer)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, RAM_BASE + RAM_SIZE, 512, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 2);
	set_desc(DESC, 2, DATA + 100, 1, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(-EFAULT);
	ck_assert_ptr_eq(el.footer, ram + 0x10000 + 100);
	ck_assert_uint_eq(el.n_out, 1);
	ck_assert_uint_eq(el.n_in, 1);
}
END_TEST

START_TEST(next_out_of_range)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT, QSZ);
	post(0);
	pop_expect(-EINVAL);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(loop_self)
{
	set_desc(DESC, 3, DATA, 16, VQ_DESC_F_NEXT, 3);
	post(3);
	pop_expect(-ELOOP);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(loop_via_chain)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT, 5);
	set_desc(DESC, 5, DATA, 16, VQ_DESC_F_NEXT, 9);
	set_desc(DESC, 9, DATA, 1, VQ_DESC_F_NEXT, 5);
	post(0);
	pop_expect(-ELOOP);
}
END_TEST

START_TEST(chain_full_table_ok)
{
	/* A chain through every descriptor is legal: QSZ links, no loop. */
	for (unsigned i = 0; i < QSZ; i++)
		set_desc(DESC, i, DATA + i * 16, 16,
			 i + 1 < QSZ ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	post(0);
	pop_expect(0);
	ck_assert_uint_eq(el.n_out, QSZ);
}
END_TEST

START_TEST(chain_longer_than_iovs)
{
	for (unsigned i = 0; i < QSZ; i++)
		set_desc(DESC, i, DATA + i * 16, 16,
			 i + 1 < QSZ ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	el.max_iov = 8;
	post(0);
	pop_expect(-E2BIG);
	ck_assert_uint_eq(el.n_out, 8);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(zero_length)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(DESC, 1, 0xdeadbeef00ull, 0, VQ_DESC_F_NEXT, 2);   /* skipped */
	set_desc(DESC, 2, DATA + 64, 1, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(0);
	ck_assert_uint_eq(el.n_out, 1);
	ck_assert_uint_eq(el.n_in, 1);
	ck_assert_ptr_eq(el.footer, ram + 0x10000 + 64);
	/* An empty last descriptor leaves no status byte. */
	set_desc(DESC, 4, DATA, 16, VQ_DESC_F_NEXT, 5);
	set_desc(DESC, 5, DATA + 64, 0, VQ_DESC_F_WRITE, 0);
	post(4);
	pop_expect(0);
	ck_assert_ptr_null(el.footer);
}
END_TEST

START_TEST(readable_after_writable)
{
	set_desc(DESC, 0, DATA, 16, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 1);
	set_desc(DESC, 1, DATA + 16, 16, VQ_DESC_F_NEXT, 2);
	set_desc(DESC, 2, DATA + 64, 1, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(-EPROTO);
	ck_assert_uint_eq(el.n_out, 0);
	ck_assert_uint_eq(el.n_in, 2);
}
END_TEST

START_TEST(indirect_ok)
{
	set_desc(TABLE, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, DATA + 512, 4096, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 2);
	set_desc(TABLE, 2, DATA + 8192, 1, VQ_DESC_F_WRITE, 0);
	set_desc(DESC, 7, TABLE, 3 * 16, VQ_DESC_F_INDIRECT, 0);
	post(7);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 7);
	ck_assert_uint_eq(el.n_out, 1);
	ck_assert_uint_eq(el.n_in, 2);
	ck_assert_ptr_eq(el.footer, ram + 0x10000 + 8192);
}
END_TEST

START_TEST(indirect_bad_len)
{
	set_desc(DESC, 0, TABLE, 40, VQ_DESC_F_INDIRECT, 0);
	set_desc(DESC, 1, TABLE, 0, VQ_DESC_F_INDIRECT, 0);
	set_desc(DESC, 2, TABLE, (VQ_MAX_INDIRECT + 1) * 16, VQ_DESC_F_INDIRECT, 0);
	post(0);
	post(1);
	post(2);
	pop_expect(-EINVAL);
	pop_expect(-EINVAL);
	pop_expect(-EINVAL);
}
END_TEST

START_TEST(indirect_outside_ram)
{
	set_desc(DESC, 0, RAM_BASE + RAM_SIZE - 32, 64, VQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_expect(-EFAULT);
}
END_TEST

START_TEST(indirect_nested)
{
	set_desc(TABLE, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	set_desc(DESC, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_expect(-EPROTO);
}
END_TEST

START_TEST(indirect_with_next)
{
	set_desc(TABLE, 0, DATA, 1, VQ_DESC_F_WRITE, 0);
	set_desc(DESC, 0, TABLE, 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	post(0);
	pop_expect(-EPROTO);
}
END_TEST

START_TEST(indirect_loop_and_range)
{
	set_desc(TABLE, 0, DATA, 16, VQ_DESC_F_NEXT, 1);
	set_desc(TABLE, 1, DATA, 16, VQ_DESC_F_NEXT, 0);
	set_desc(DESC, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	post(0);
	pop_expect(-ELOOP);
	/* next beyond the table's 2 entries (but inside the ring's size) */
	set_desc(TABLE, 1, DATA, 16, VQ_DESC_F_NEXT, 2);
	post(0);
	CHECK_RET(vq_pop(&vq, &el), 0);   /* head 0 is still in flight */
	vq_push(&vq, 0, 0);
	post(0);
	pop_expect(-EINVAL);
}
END_TEST

START_TEST(head_out_of_range)
{
	set_desc(DESC, 1, DATA, 1, VQ_DESC_F_WRITE, 0);
	post(QSZ + 3);
	post(1);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 1);
	ck_assert_uint_eq(vq.bad_chains, 1);
	vq_publish(&vq);
	/* The bogus head went back unused, with length 0. */
	ck_assert_uint_eq(used16()[1], 1);
	ck_assert_uint_eq(used_elem(0)[0], QSZ + 3);
	ck_assert_uint_eq(used_elem(0)[1], 0);
}
END_TEST

START_TEST(head_in_flight_twice)
{
	set_desc(DESC, 2, DATA, 1, VQ_DESC_F_WRITE, 0);
	post(2);
	post(2);
	pop_expect(0);
	CHECK_RET(vq_pop(&vq, &el), 0);
	ck_assert_uint_eq(vq.inflight, 1);
	ck_assert_uint_eq(vq.bad_chains, 1);
}
END_TEST

START_TEST(wrapped_indices)
{
	vq_fini(&vq);
	setup_q(65534, false);
	for (unsigned i = 0; i < 4; i++) {
		set_desc(DESC, i, DATA + i * 16, 1, VQ_DESC_F_WRITE, 0);
		post((uint16_t)i);
	}
	ck_assert_uint_eq(avail()[1], 2);   /* wrapped */
	ck_assert_uint_eq(vq_pending(&vq), 4);
	for (unsigned i = 0; i < 4; i++) {
		pop_expect(0);
		ck_assert_uint_eq(el.head, i);
		vq_push(&vq, el.head, 1);
	}
	CHECK_RET(vq_pop(&vq, &el), 0);
	vq_publish(&vq);
	ck_assert_uint_eq(used16()[1], 2);
	ck_assert_uint_eq(used_elem(65534)[0], 0);
	ck_assert_uint_eq(used_elem(65535)[0], 1);
	ck_assert_uint_eq(used_elem(0)[0], 2);
	ck_assert_uint_eq(used_elem(1)[0], 3);
}
END_TEST

START_TEST(avail_jump)
{
	set_desc(DESC, 0, DATA, 1, VQ_DESC_F_WRITE, 0);
	avail()[1] = QSZ + 1;
	CHECK_RET(vq_pop(&vq, &el), -EIO);
	ck_assert(vq.broken);
	/* Once broken, always broken, even if the index looks sane again. */
	avail()[1] = 1;
	CHECK_RET(vq_pop(&vq, &el), -EIO);
	ck_assert(!vq_arm_kick(&vq));
}
END_TEST

START_TEST(avail_jump_exact_size_ok)
{
	for (unsigned i = 0; i < QSZ; i++) {
		set_desc(DESC, i, DATA + i, 1, VQ_DESC_F_WRITE, 0);
		post((uint16_t)i);
	}
	for (unsigned i = 0; i < QSZ; i++)
		pop_expect(0);
	ck_assert(!vq.broken);
}
END_TEST

START_TEST(layout_checks)
{
	struct vq v2;
	struct vmem romem;
	struct vq_mem romap;

	CHECK_RET(vq_init(&v2, &vqm, "x", 12, DESC, AVAIL, USED, 0, false), -EINVAL);
	CHECK_RET(vq_init(&v2, &vqm, "x", 2048, DESC, AVAIL, USED, 0, false), -EINVAL);
	CHECK_RET(vq_init(&v2, &vqm, "x", 16, DESC + 8, AVAIL, USED, 0, false), -EINVAL);
	CHECK_RET(vq_init(&v2, &vqm, "x", 16, DESC, AVAIL + 1, USED, 0, false), -EINVAL);
	CHECK_RET(vq_init(&v2, &vqm, "x", 16, DESC, AVAIL, USED + 2, 0, false), -EINVAL);
	CHECK_RET(vq_init(&v2, &vqm, "x", 16, DESC, AVAIL,
			  RAM_BASE + RAM_SIZE - 64, 0, false), -EFAULT);
	CHECK_RET(vq_init(&v2, &vqm, "x", 16, UINT64_MAX - 15, AVAIL, USED, 0,
			  false), -EFAULT);
	vmem_init(&romem);
	CHECK_RET(vmem_add_host(&romem, ram, RAM_BASE, RAM_SIZE, true), 0);
	romap = (struct vq_mem){ vmem_map_cb, &romem, NULL, NULL };
	CHECK_RET(vq_init(&v2, &romap, "x", 16, DESC, AVAIL, USED, 0, false), -EFAULT);
}
END_TEST

START_TEST(event_idx_notify)
{
	vq_fini(&vq);
	setup_q(0, true);
	avail()[2 + QSZ] = 0;          /* used_event: notify after entry 0 */
	vq_push(&vq, 0, 1);
	vq_publish(&vq);
	ck_assert(vq_need_notify(&vq));
	/* used_event 4: notify when entry 4 is used (idx goes 4 -> 5). */
	avail()[2 + QSZ] = 4;
	for (unsigned i = 1; i < 4; i++) {
		vq_push(&vq, 0, 1);
		vq_publish(&vq);
		ck_assert_msg(!vq_need_notify(&vq), "notified at %u", i);
	}
	vq_push(&vq, 0, 1);
	vq_publish(&vq);
	ck_assert(vq_need_notify(&vq));
	/* avail_event tells the driver where to kick next. */
	set_desc(DESC, 0, DATA, 1, VQ_DESC_F_WRITE, 0);
	post(0);
	pop_expect(0);
	ck_assert(!vq_arm_kick(&vq));
	ck_assert_uint_eq(used16()[2 + 4 * QSZ], 1);
}
END_TEST

START_TEST(no_interrupt_flag)
{
	vq_push(&vq, 0, 1);
	vq_publish(&vq);
	ck_assert(vq_need_notify(&vq));
	avail()[0] = VQ_AVAIL_F_NO_INTERRUPT;
	vq_push(&vq, 0, 1);
	vq_publish(&vq);
	ck_assert(!vq_need_notify(&vq));
}
END_TEST

START_TEST(vmem_checks)
{
	uint8_t other[64];

	CHECK_RET(vmem_add_host(&mem, other, RAM_BASE + RAM_SIZE - 4096, 8192, false),
		  -EEXIST);
	CHECK_RET(vmem_add_host(&mem, other, UINT64_MAX - 10, 64, false), -EINVAL);
	CHECK_RET(vmem_add_host(&mem, other, 0, 0, false), -EINVAL);
	ck_assert_ptr_eq(vmem_map(&mem, RAM_BASE, RAM_SIZE, true), ram);
	ck_assert_ptr_null(vmem_map(&mem, RAM_BASE, RAM_SIZE + 1, true));
	ck_assert_ptr_null(vmem_map(&mem, RAM_BASE + 1, UINT64_MAX, true));
	ck_assert_ptr_null(vmem_map(&mem, RAM_BASE, 0, false));
	CHECK_RET(vmem_add_host(&mem, other, RAM_BASE + RAM_SIZE, 64, true), 0);
	/* Adjacent regions do not merge: one range, one region. */
	ck_assert_ptr_null(vmem_map(&mem, RAM_BASE + RAM_SIZE - 8, 16, false));
	ck_assert_ptr_null(vmem_map(&mem, RAM_BASE + RAM_SIZE, 8, true));
	ck_assert_ptr_eq(vmem_map(&mem, RAM_BASE + RAM_SIZE, 8, false), other);
}
END_TEST

static void *fresh_log(void)
{
	free(log_mem);
	log_mem = calloc(1, vq_log_bytes(QSZ));
	ck_assert_ptr_nonnull(log_mem);
	CHECK_RET(vq_attach_log(&vq, log_mem, vq_log_bytes(QSZ)), 0);
	return log_mem;
}

/* A new device on the same rings and log: vq_init + vq_attach_log. */
static int restart(uint16_t front_end_last_avail)
{
	vq_fini(&vq);
	CHECK_RET(vq_init(&vq, &vqm, "t", QSZ, DESC, AVAIL, USED,
			  front_end_last_avail, false), 0);
	return vq_attach_log(&vq, log_mem, vq_log_bytes(QSZ));
}

START_TEST(log_resubmits_in_order)
{
	struct vq_log_hdr *h = fresh_log();
	struct vq_log_ent *ent = (struct vq_log_ent *)(h + 1);

	ck_assert_uint_eq(h->magic, VQ_LOG_MAGIC);
	ck_assert_uint_eq(h->queue_size, QSZ);
	for (unsigned i = 0; i < 4; i++) {
		set_desc(DESC, i, DATA + i * 16, 1, VQ_DESC_F_WRITE, 0);
		post((uint16_t)(3 - i));     /* heads 3, 2, 1, 0 */
	}
	for (unsigned i = 0; i < 3; i++)
		pop_expect(0);
	vq_push(&vq, 2, 1);
	vq_publish(&vq);
	ck_assert(ent[3].inflight && !ent[2].inflight && ent[1].inflight);
	ck_assert(!ent[0].inflight);
	ck_assert_uint_eq(h->last_avail, 3);
	ck_assert_uint_eq(h->used_idx, 1);
	/* The front-end does not know what we consumed; the log does. */
	CHECK_RET(restart(1), 2);
	ck_assert_uint_eq(vq.last_avail, 3);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 3);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 1);
	pop_expect(0);                       /* then the unconsumed entry */
	ck_assert_uint_eq(el.head, 0);
	CHECK_RET(vq_pop(&vq, &el), 0);
	ck_assert_uint_eq(vq.inflight, 3);
}
END_TEST

START_TEST(log_crash_after_publish)
{
	struct vq_log_hdr *h = fresh_log();

	set_desc(DESC, 5, DATA, 1, VQ_DESC_F_WRITE, 0);
	post(5);
	pop_expect(0);
	vq_push(&vq, 5, 1);
	/* Published in the used ring, but the device died before it
	 * cleared the flag. */
	used16()[1] = 1;
	ck_assert_uint_eq(h->used_idx, 0);
	CHECK_RET(restart(0), 0);
	CHECK_RET(vq_pop(&vq, &el), 0);
	ck_assert_uint_eq(h->used_idx, 1);
}
END_TEST

START_TEST(log_crash_before_last_avail)
{
	struct vq_log_hdr *h = fresh_log();

	set_desc(DESC, 6, DATA, 1, VQ_DESC_F_WRITE, 0);
	post(6);
	pop_expect(0);
	h->last_avail = 0;          /* died between the flag and last_avail */
	CHECK_RET(restart(0), 1);
	ck_assert_uint_eq(vq.last_avail, 1);
	pop_expect(0);
	ck_assert_uint_eq(el.head, 6);
	CHECK_RET(vq_pop(&vq, &el), 0);      /* not handed out twice */
}
END_TEST

START_TEST(log_rejects_foreign)
{
	struct vq_log_hdr *h = fresh_log();

	CHECK_RET(vq_attach_log(&vq, log_mem, vq_log_bytes(QSZ) - 1), -EINVAL);
	h->queue_size = 2 * QSZ;
	CHECK_RET(restart(0), -EINVAL);
	h->queue_size = QSZ;
	h->magic = 0x12345678;
	CHECK_RET(restart(0), -EINVAL);
	h->magic = VQ_LOG_MAGIC;
	/* Garbage flags and counters only ever name heads < size. */
	memset(h + 1, 0xff, QSZ * sizeof(struct vq_log_ent));
	h->used_idx = 0;
	CHECK_RET(restart(0), (int)QSZ);
	for (unsigned i = 0; i < QSZ; i++)
		set_desc(DESC, i, DATA, 1, VQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < QSZ; i++) {
		pop_expect(0);
		ck_assert_uint_lt(el.head, QSZ);
	}
	CHECK_RET(vq_pop(&vq, &el), 0);
}
END_TEST

/* A driver re-posting one head faster than completions are published. */
START_TEST(log_same_head_flood)
{
	fresh_log();
	set_desc(DESC, 0, DATA, 1, VQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 3 * QSZ; i++) {
		post(0);
		pop_expect(0);
		vq_push(&vq, 0, 1);
	}
	vq_publish(&vq);
	ck_assert_uint_eq(vq.inflight, 0);
	ck_assert_uint_eq(used16()[1], (uint16_t)(3 * QSZ));
}
END_TEST

/* Grants must be memfds nobody can shrink under the mapping. */
START_TEST(vmem_fd_needs_seal)
{
	struct vmem m;
	int plain = memfd_create("plain", MFD_CLOEXEC);
	int sealable = memfd_create("sealable", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK_OK(plain);
	CHECK_OK(sealable);
	CHECK_OK(ftruncate(plain, 65536));
	CHECK_OK(ftruncate(sealable, 65536));
	vmem_init(&m);
	CHECK_RET(vmem_add_fd(&m, plain, 0, 65536, 0, false), -EPERM);
	CHECK_RET(vmem_add_fd(&m, sealable, 0, 131072, 0, false), -ERANGE);
	CHECK_RET(vmem_add_fd(&m, sealable, 0, 65536, 4096, false), -ERANGE);
	CHECK_RET(vmem_add_fd(&m, sealable, 0, 65536, 0, false), 0);
	ck_assert(fcntl(sealable, F_GET_SEALS) & F_SEAL_SHRINK);
	ck_assert_int_lt(ftruncate(sealable, 4096), 0);
	*(volatile uint8_t *)vmem_map(&m, 65535, 1, true) = 1;
	vmem_clear(&m);
	close(plain);
	close(sealable);
}
END_TEST

static Suite *vring_suite(void)
{
	Suite *s = suite_create("vring");
	TCase *t = tcase_create("hostile");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, good_chain);
	tcase_add_test(t, addr_beyond_ram);
	tcase_add_test(t, addr_below_ram);
	tcase_add_test(t, addr_straddles_end);
	tcase_add_test(t, addr_u64_overflow);
	tcase_add_test(t, bad_middle_keeps_footer);
	tcase_add_test(t, next_out_of_range);
	tcase_add_test(t, loop_self);
	tcase_add_test(t, loop_via_chain);
	tcase_add_test(t, chain_full_table_ok);
	tcase_add_test(t, chain_longer_than_iovs);
	tcase_add_test(t, zero_length);
	tcase_add_test(t, readable_after_writable);
	tcase_add_test(t, indirect_ok);
	tcase_add_test(t, indirect_bad_len);
	tcase_add_test(t, indirect_outside_ram);
	tcase_add_test(t, indirect_nested);
	tcase_add_test(t, indirect_with_next);
	tcase_add_test(t, indirect_loop_and_range);
	tcase_add_test(t, head_out_of_range);
	tcase_add_test(t, head_in_flight_twice);
	tcase_add_test(t, wrapped_indices);
	tcase_add_test(t, avail_jump);
	tcase_add_test(t, avail_jump_exact_size_ok);
	tcase_add_test(t, layout_checks);
	tcase_add_test(t, event_idx_notify);
	tcase_add_test(t, no_interrupt_flag);
	tcase_add_test(t, vmem_checks);
	tcase_add_test(t, vmem_fd_needs_seal);
	tcase_add_test(t, log_resubmits_in_order);
	tcase_add_test(t, log_crash_after_publish);
	tcase_add_test(t, log_crash_before_last_avail);
	tcase_add_test(t, log_rejects_foreign);
	tcase_add_test(t, log_same_head_flood);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(vring_suite)
