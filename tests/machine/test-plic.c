/* SPDX-License-Identifier: MIT */
/* PLIC: priority/threshold/claim/complete semantics and per-context enables. */
#include <stdbool.h>
#include <stdint.h>

#include "plic.h"
#include "test-util.h"

#define NCTX 4

static bool out[NCTX];
static unsigned changes;

static void on_out(void *opaque, unsigned ctx, bool level)
{
	ck_assert_uint_lt(ctx, NCTX);
	out[ctx] = level;
	changes++;
}

static struct plic *p;

static void setup(void)
{
	for (unsigned i = 0; i < NCTX; i++)
		out[i] = false;
	changes = 0;
	p = plic_new(NCTX, on_out, NULL);
	ck_assert_ptr_nonnull(p);
}

static void teardown(void)
{
	plic_free(p);
}

static void wr(uint64_t off, uint32_t v)
{
	CHECK_OK(plic_write(p, off, 4, v));
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = ~0ull;

	CHECK_OK(plic_read(p, off, 4, &v));
	return (uint32_t)v;
}

static uint64_t prio(unsigned s) { return PLIC_PRIORITY_BASE + 4 * s; }
static uint64_t enable(unsigned c, unsigned s)
{
	return PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * c + 4 * (s / 32);
}
static uint64_t thresh(unsigned c) { return PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * c; }
static uint64_t claim(unsigned c) { return thresh(c) + 4; }

START_TEST(priority_zero_never_fires)
{
	wr(enable(1, 10), 1u << 10);
	plic_set_line(p, 10, true);
	ck_assert(!out[1]);
	ck_assert_uint_eq(rd(claim(1)), 0);
	/* but it is pending */
	ck_assert_uint_eq(rd(PLIC_PENDING_BASE) & (1u << 10), 1u << 10);
}
END_TEST

START_TEST(enable_is_per_context)
{
	wr(prio(10), 1);
	wr(enable(1, 10), 1u << 10);
	plic_set_line(p, 10, true);
	ck_assert(out[1]);
	ck_assert(!out[0]);
	ck_assert(!out[2] && !out[3]);
	ck_assert_uint_eq(rd(claim(0)), 0); /* not enabled in context 0 */
	ck_assert_uint_eq(rd(claim(1)), 10);
	ck_assert(!out[1]);
}
END_TEST

START_TEST(threshold_masks_lower_or_equal)
{
	wr(prio(5), 3);
	wr(enable(0, 5), 1u << 5);
	wr(thresh(0), 3);
	plic_set_line(p, 5, true);
	ck_assert(!out[0]);
	ck_assert_uint_eq(rd(claim(0)), 0);
	wr(thresh(0), 2);
	ck_assert(out[0]);
	ck_assert_uint_eq(rd(thresh(0)), 2);
}
END_TEST

START_TEST(claim_highest_priority_then_lowest_id)
{
	wr(prio(3), 2);
	wr(prio(7), 5);
	wr(prio(9), 5);
	wr(enable(0, 0), (1u << 3) | (1u << 7) | (1u << 9));
	plic_set_line(p, 3, true);
	plic_set_line(p, 9, true);
	plic_set_line(p, 7, true);
	ck_assert_uint_eq(rd(claim(0)), 7);
	ck_assert_uint_eq(rd(claim(0)), 9);
	ck_assert_uint_eq(rd(claim(0)), 3);
	ck_assert_uint_eq(rd(claim(0)), 0);
	ck_assert(!out[0]);
}
END_TEST

START_TEST(claimed_source_waits_for_complete)
{
	wr(prio(10), 1);
	wr(enable(1, 10), 1u << 10);
	plic_set_line(p, 10, true);
	ck_assert_uint_eq(rd(claim(1)), 10);
	ck_assert(!out[1]);
	/* Line still high: nothing new until completion. */
	plic_set_line(p, 10, true);
	ck_assert(!out[1]);
	ck_assert_uint_eq(rd(claim(1)), 0);
	wr(claim(1), 10);
	ck_assert(out[1]);                /* level-triggered: pending again */
	ck_assert_uint_eq(rd(claim(1)), 10);
	plic_set_line(p, 10, false);
	wr(claim(1), 10);
	ck_assert(!out[1]);
	ck_assert_uint_eq(rd(claim(1)), 0);
}
END_TEST

START_TEST(complete_of_disabled_source_ignored)
{
	wr(prio(4), 1);
	wr(enable(0, 4), 1u << 4);
	plic_set_line(p, 4, true);
	ck_assert_uint_eq(rd(claim(0)), 4);
	/* Context 1 has not enabled source 4: its completion is ignored. */
	wr(claim(1), 4);
	ck_assert(!out[0]);
	wr(claim(0), 4);
	ck_assert(out[0]);
}
END_TEST

START_TEST(line_drop_clears_pending)
{
	wr(prio(2), 1);
	wr(enable(0, 2), 1u << 2);
	plic_set_line(p, 2, true);
	ck_assert(out[0]);
	plic_set_line(p, 2, false);
	ck_assert(!out[0]);
	ck_assert_uint_eq(rd(PLIC_PENDING_BASE), 0);
}
END_TEST

START_TEST(register_bounds)
{
	uint64_t v;

	CHECK_RET(plic_read(p, 2, 4, &v), -EINVAL);
	CHECK_RET(plic_read(p, 0, 8, &v), -EINVAL);
	CHECK_RET(plic_read(p, PLIC_SIZE, 4, &v), -EINVAL);
	CHECK_RET(plic_write(p, 0, 2, 1), -EINVAL);
	/* priorities are 3 bits, source 0 has none, enable bit 0 is fixed */
	wr(prio(1), 0xff);
	ck_assert_uint_eq(rd(prio(1)), PLIC_MAX_PRIORITY);
	wr(prio(0), 5);
	ck_assert_uint_eq(rd(prio(0)), 0);
	wr(enable(0, 0), 0xffffffff);
	ck_assert_uint_eq(rd(enable(0, 0)), 0xfffffffe);
	/* contexts beyond the configured ones read 0, ignore writes */
	wr(thresh(NCTX), 3);
	ck_assert_uint_eq(rd(thresh(NCTX)), 0);
	/* out-of-range sources are ignored */
	plic_set_line(p, 0, true);
	plic_set_line(p, PLIC_NUM_SOURCES, true);
	ck_assert_uint_eq(changes, 0);
}
END_TEST

static Suite *plic_suite(void)
{
	Suite *s = suite_create("plic");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, priority_zero_never_fires);
	tcase_add_test(tc, enable_is_per_context);
	tcase_add_test(tc, threshold_masks_lower_or_equal);
	tcase_add_test(tc, claim_highest_priority_then_lowest_id);
	tcase_add_test(tc, claimed_source_waits_for_complete);
	tcase_add_test(tc, complete_of_disabled_source_ignored);
	tcase_add_test(tc, line_drop_clears_pending);
	tcase_add_test(tc, register_bounds);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(plic_suite)
