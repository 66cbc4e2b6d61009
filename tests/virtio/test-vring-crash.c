/* SPDX-License-Identifier: MIT */
/*
 * The in-flight log against a device killed at every store it makes to
 * memory that outlives it (vring.h, VQ_CRASH_POINT). A model driver posts
 * requests and reaps completions the way Linux's virtio_blk does (a head it
 * does not have outstanding is "not a head"); a model device completes
 * them out of order, and every third one (GET_ID) at once. Each run is cut
 * at crash point k, a new device attaches the same rings and log (itself
 * cut at crash point j of its recovery), and a third one runs to the end.
 * Every request must complete exactly once, and each device must take the
 * requests in submission order (resubmitted ones first).
 *
 * Built with the ring's sources and -DVQ_CRASH_TEST; the same scenario
 * resumed without the log at used->idx (what atoll-cpu did before) must
 * fail, which shows the model driver sees the audit's bug.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "vmem.h"
#include "vring.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE (1u << 16)
#define QSZ 8u
#define DESC (RAM_BASE)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define DATA (RAM_BASE + 0x4000)
#define NREQ 24          /* requests the driver issues in one run */
#define MAX_OUT 6        /* the driver keeps at most this many posted */
#define RECOVERY_CUTS 24 /* crash points tried in the second device */

static uint8_t *ram;
static struct vmem mem;
static const struct vq_mem vqm = { vmem_map_cb, &mem, NULL, NULL };
static struct vq vq;
static uint8_t log_mem[4096];

/* --- crash points ------------------------------------------------------ */

static jmp_buf crash_env;
static long crash_budget = -1;   /* points left before the crash; -1 none */
static long crash_points;        /* points passed in this device's life */

void vq_crash_point(void)
{
	crash_points++;
	if (crash_budget >= 0 && crash_budget-- == 0)
		longjmp(crash_env, 1);
}

/* --- the driver -------------------------------------------------------- */

static struct {
	int req_of_head[QSZ];    /* -1: the head is free */
	unsigned next_req, out;
	uint16_t seen_used;
	unsigned done[NREQ];     /* completions seen per request */
	unsigned not_a_head;     /* completions of heads not outstanding */
	unsigned out_of_order;   /* pops not in submission order, any life */
} drv;

static uint16_t *avail(void) { return (void *)(ram + (AVAIL - RAM_BASE)); }
static uint16_t *used16(void) { return (void *)(ram + (USED - RAM_BASE)); }

static void driver_post(void)
{
	for (unsigned h = 0; h < QSZ && drv.next_req < NREQ &&
	     drv.out < MAX_OUT; h++) {
		struct vq_desc *d = (struct vq_desc *)(ram + (DESC - RAM_BASE));
		uint16_t idx = avail()[1];

		if (drv.req_of_head[h] >= 0)
			continue;
		d[h] = (struct vq_desc){ DATA + 16 * h, 1, VQ_DESC_F_WRITE, 0 };
		drv.req_of_head[h] = (int)drv.next_req++;
		drv.out++;
		avail()[2 + idx % QSZ] = (uint16_t)h;
		avail()[1] = (uint16_t)(idx + 1);
	}
}

static void driver_reap(void)
{
	while (drv.seen_used != used16()[1]) {
		uint32_t *e = (uint32_t *)(used16() + 2) + 2 * (drv.seen_used % QSZ);
		uint32_t h = e[0];

		drv.seen_used++;
		if (h >= QSZ || drv.req_of_head[h] < 0) {
			drv.not_a_head++;
			continue;
		}
		drv.done[drv.req_of_head[h]]++;
		drv.req_of_head[h] = -1;
		drv.out--;
	}
	driver_post();
}

/* --- the device -------------------------------------------------------- */

static struct {
	uint16_t pending[QSZ];
	unsigned npending;
	int last_req;            /* the last request popped, for the order */
} dev;

static void complete(uint16_t head)
{
	vq_push(&vq, head, 1);
	vq_publish(&vq);
	driver_reap();
}

/* One turn: take everything available (GET_ID at once), then complete
 * the pending ones newest first, two per publish. */
static void device_turn(void)
{
	struct iovec iov[4];
	struct vq_elem el = { .iov = iov, .max_iov = 4 };

	while (vq_pop(&vq, &el) == 1) {
		int req = drv.req_of_head[el.head];

		ck_assert_int_eq(el.error, 0);
		if (req <= dev.last_req)
			drv.out_of_order++;
		dev.last_req = req;
		if (req % 3 == 0)
			complete(el.head);
		else
			dev.pending[dev.npending++] = el.head;
	}
	while (dev.npending) {
		vq_push(&vq, dev.pending[--dev.npending], 1);
		if (dev.npending)
			vq_push(&vq, dev.pending[--dev.npending], 1);
		vq_publish(&vq);
		driver_reap();
	}
}

/* A new device process on the same rings: what it kept in memory is gone. */
static void device_start(bool with_log)
{
	vq_fini(&vq);
	memset(&dev, 0, sizeof(dev));
	dev.last_req = -1;
	crash_points = 0;
	/* Without the log, the front-end's guess: the used ring's idx. */
	CHECK_RET(vq_init(&vq, &vqm, "t", QSZ, DESC, AVAIL, USED, used16()[1],
			  false), 0);
	if (with_log)
		ck_assert_int_ge(vq_attach_log(&vq, log_mem, sizeof(log_mem)), 0);
}

static void run_to_end(void)
{
	for (unsigned turns = 0; turns < 4 * NREQ; turns++) {
		if (drv.next_req == NREQ && drv.out == 0)
			return;
		device_turn();
	}
}

static void world_reset(void)
{
	memset(ram, 0, RAM_SIZE);
	memset(log_mem, 0, sizeof(log_mem));
	memset(&drv, 0, sizeof(drv));
	for (unsigned h = 0; h < QSZ; h++)
		drv.req_of_head[h] = -1;
	driver_post();
}

/* One device life cut at crash point `at` (-1: never). Returns whether it
 * crashed; *points is how many it passed. */
static bool life(long at, bool with_log, long *points)
{
	volatile bool crashed = false;

	crash_budget = -1;
	if (setjmp(crash_env) == 0) {
		crash_budget = at;
		device_start(with_log);
		run_to_end();
	} else {
		crashed = true;
	}
	crash_budget = -1;
	*points = crash_points;
	/* The driver sees whatever the dead device published. */
	driver_reap();
	return crashed;
}

/* Did every request complete exactly once, in submission order? */
static bool outcome_ok(char *why, size_t len)
{
	if (drv.not_a_head) {
		snprintf(why, len, "%u completion(s) of a head not in flight",
			 drv.not_a_head);
		return false;
	}
	for (unsigned r = 0; r < NREQ; r++)
		if (drv.done[r] != 1) {
			snprintf(why, len, "request %u completed %u times", r,
				 drv.done[r]);
			return false;
		}
	if (drv.out_of_order) {
		snprintf(why, len, "%u request(s) taken out of order",
			 drv.out_of_order);
		return false;
	}
	return true;
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	vmem_init(&mem);
	CHECK_RET(vmem_add_host(&mem, ram, RAM_BASE, RAM_SIZE, false), 0);
	ck_assert_uint_ge(sizeof(log_mem), vq_log_bytes(QSZ));
}

static void teardown(void)
{
	vq_fini(&vq);
	free(ram);
}

/* The scenario without a crash passes, and has crash points to cut. */
START_TEST(uncut_run)
{
	char why[96];
	long points;

	world_reset();
	ck_assert(!life(-1, true, &points));
	ck_assert_msg(outcome_ok(why, sizeof(why)), "%s", why);
	ck_assert_int_gt(points, 8 * NREQ);
}
END_TEST

/* Cut at every point, then (with the log) at each of the first points of
 * the next device's life, its recovery included. */
START_TEST(cut_everywhere)
{
	char why[96];
	long total, points;

	world_reset();
	life(-1, true, &total);
	for (long k = 0; k < total; k++)
		for (long j = -1; j < RECOVERY_CUTS; j++) {
			bool cut_again;

			world_reset();
			ck_assert(life(k, true, &points));
			cut_again = life(j, true, &points);
			if (cut_again)
				life(-1, true, &points);
			ck_assert_msg(outcome_ok(why, sizeof(why)),
				      "cut at %ld, then %ld: %s", k, j, why);
			if (j >= 0 && !cut_again)
				break;      /* the second life ended first */
		}
}
END_TEST

/* The old resume (no log, at used->idx) completes a head twice or never
 * once completions are out of order: the model driver notices. */
START_TEST(no_log_fails)
{
	char why[96];
	long total, points;
	unsigned failed = 0;

	world_reset();
	life(-1, false, &total);
	for (long k = 0; k < total; k++) {
		world_reset();
		life(k, false, &points);
		life(-1, false, &points);
		failed += !outcome_ok(why, sizeof(why));
	}
	ck_assert_uint_gt(failed, 0);
}
END_TEST

static Suite *crash_suite(void)
{
	Suite *s = suite_create("vring-crash");
	TCase *t = tcase_create("cut");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, uncut_run);
	tcase_add_test(t, cut_everywhere);
	tcase_add_test(t, no_log_fails);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(crash_suite)
