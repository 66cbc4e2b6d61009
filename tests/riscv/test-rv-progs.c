/* SPDX-License-Identifier: MIT */
/*
 * Bare-metal programs (tests/riscv/t_*.S) run on the core under every
 * engine: each must report pass through tohost, t_fail must report its
 * failure code, and the block engine and the jit must end in the same
 * architectural state as the interpreter.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rvharness.h"
#include "test-util.h"

static const char *const progs[] = {
	"t_int", "t_fp", "t_amo", "t_trap", "t_vm", "t_smc", "t_pmp", "t_csr",
	"t_sfence", "t_smcpage", "t_dmode",
	/* last: they depend on wall-clock time, so not differential */
	"t_tloop", "t_timer",
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))
#define NDIFF (NPROGS - 2)

static void run_expect_pass(const char *name, int engine)
{
	uint64_t tohost = 0;
	int r = rvh_run_prog(name, engine, &tohost, NULL);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS,
		      "%s engine %d: exit %d tohost %#llx (failed check %llu)",
		      name, engine, r, (unsigned long long)tohost,
		      (unsigned long long)(tohost >> 1));
}

START_TEST(prog_interp)
{
	run_expect_pass(progs[_i], RV_ENGINE_INTERP);
}
END_TEST

START_TEST(prog_block)
{
	run_expect_pass(progs[_i], RV_ENGINE_BLOCK);
}
END_TEST

START_TEST(prog_jit)
{
	if (!rv_jit_supported())
		return;
	run_expect_pass(progs[_i], RV_ENGINE_JIT);
}
END_TEST

/* A 16 KiB jit code cache: translations overflow it and it is flushed
 * over and over, mid-block too; every program still passes. */
START_TEST(prog_jit_small_cache)
{
	if (!rv_jit_supported())
		return;
	setenv("ATOLL_RV_JIT_CACHE_KB", "16", 1);
	run_expect_pass(progs[_i], RV_ENGINE_JIT);
}
END_TEST

/* The failure path must work: t_fail fails check 5 on purpose. */
START_TEST(prog_fail_is_reported)
{
	for (int e = RV_ENGINE_INTERP; e <= RV_ENGINE_JIT; e++) {
		uint64_t tohost = 0;
		int r = rvh_run_prog("t_fail", e, &tohost, NULL);
		ck_assert_int_eq(r, RV_EXIT_TOHOST_FAIL);
		ck_assert_uint_eq(tohost >> 1, 5);
	}
}
END_TEST

/* _i: program index * 2 + (0: block, 1: jit) against the interpreter */
START_TEST(prog_differential)
{
	struct rvh_state a, b;
	uint64_t ta, tb;
	int other = _i & 1 ? RV_ENGINE_JIT : RV_ENGINE_BLOCK;
	int ra = rvh_run_prog(progs[_i / 2], RV_ENGINE_INTERP, &ta, &a);
	int rb = rvh_run_prog(progs[_i / 2], other, &tb, &b);

	ck_assert_int_eq(ra, RV_EXIT_TOHOST_PASS);
	ck_assert_int_eq(ra, rb);
	ck_assert_uint_eq(ta, tb);
	for (unsigned k = 0; k < 32; k++) {
		ck_assert_msg(a.x[k] == b.x[k], "%s x%u: %#llx vs %#llx",
			      progs[_i / 2], k, (unsigned long long)a.x[k],
			      (unsigned long long)b.x[k]);
		ck_assert_msg(a.f[k] == b.f[k], "%s f%u differs", progs[_i / 2], k);
	}
	ck_assert_uint_eq(a.pc, b.pc);
	ck_assert_uint_eq(a.priv, b.priv);
	for (unsigned k = 0; k < 12; k++)
		ck_assert_msg(a.csr[k] == b.csr[k], "%s csr[%u] %#llx vs %#llx",
			      progs[_i / 2], k, (unsigned long long)a.csr[k],
			      (unsigned long long)b.csr[k]);
}
END_TEST

/* Two harts on two threads hammer shared counters with AMOs and LR/SC. */
START_TEST(smp_counters)
{
	struct rvh t;
	CHECK_OK(rvh_init(&t, 2, _i, 0));
	CHECK_OK(rvh_load(&t, "t_smp", 0));
	int r = rvh_run(&t);
	uint64_t th = rv_vm_tohost(t.vm);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "engine %d exit %d tohost %#llx",
		      _i, r, (unsigned long long)th);
	ck_assert_uint_gt(rv_hart_insn_count(rv_vm_hart(t.vm, 1)), 600000);
	rvh_fini(&t);
}
END_TEST

struct irq_driver {
	struct rvh *t;
	volatile int done;
};

/* Raises MEIP after a delay (the hart sleeps in WFI meanwhile), then SEIP
 * once the guest reports it reached S mode through the `ready` word. */
static void *irq_thread(void *p)
{
	struct irq_driver *d = p;
	struct rv_hart *h = rv_vm_hart(d->t->vm, 0);
	const volatile uint64_t *ready = (const volatile uint64_t *)(d->t->ram + 0x1000);

	usleep(20000);
	rv_hart_set_irq(h, RV_MIP_MEIP, true);
	for (int k = 0; k < 5000 && !*ready; k++)
		usleep(1000);
	rv_hart_set_irq(h, RV_MIP_SEIP, true);
	d->done = 1;
	return NULL;
}

START_TEST(external_irq_lines)
{
	struct rvh t;
	struct irq_driver d = { &t, 0 };
	pthread_t th;

	CHECK_OK(rvh_init(&t, 1, _i, 0));
	CHECK_OK(rvh_load(&t, "t_ext", 0));
	pthread_create(&th, NULL, irq_thread, &d);
	int r = rvh_run(&t);
	pthread_join(th, NULL);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "engine %d exit %d tohost %#llx",
		      _i, r, (unsigned long long)rv_vm_tohost(t.vm));
	ck_assert_int_eq(d.done, 1);
	rvh_fini(&t);
}
END_TEST

/* Rewrites t_dma's `patch` (RAM + 0x800) directly in host memory. */
static void *dma_thread(void *p)
{
	struct rvh *t = p;
	uint32_t want = 0x00200513; /* addi a0, zero, 2 */

	usleep(20000);
	__atomic_store_n((uint32_t *)(t->ram + 0x800), want, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(dma_code_write_then_fence_i)
{
	struct rvh t;
	pthread_t th;

	CHECK_OK(rvh_init(&t, 1, _i, 0));
	CHECK_OK(rvh_load(&t, "t_dma", 0));
	uint32_t old;
	memcpy(&old, t.ram + 0x800, 4);
	ck_assert_uint_eq(old, 0x00100513); /* the program's layout holds */
	pthread_create(&th, NULL, dma_thread, &t);
	int r = rvh_run(&t);
	pthread_join(th, NULL);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "engine %d exit %d tohost %#llx",
		      _i, r, (unsigned long long)rv_vm_tohost(t.vm));
	rvh_fini(&t);
}
END_TEST

/*
 * A store into a code page costs only that page's blocks a check against
 * memory: t_smcpage stores 1000 times into the page of a routine it
 * calls, so about 1000 re-checks (that routine's block); with a VM-wide
 * code generation every block of the loop was checked again after each
 * store (about 5000).
 */
START_TEST(smc_store_checks_its_page_only)
{
	struct rvh t;

	if (_i == RV_ENGINE_JIT && !rv_jit_supported())
		return;
	CHECK_OK(rvh_init(&t, 1, _i, 0));
	CHECK_OK(rvh_load(&t, "t_smcpage", 0));
	int r = rvh_run(&t);
	uint64_t n = rv_hart_code_checks(rv_vm_hart(t.vm, 0));
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "engine %d exit %d tohost %#llx",
		      _i, r, (unsigned long long)rv_vm_tohost(t.vm));
	ck_assert_msg(n >= 900 && n <= 1100,
		      "engine %d: %llu re-checks for 1000 stores", _i,
		      (unsigned long long)n);
	rvh_fini(&t);
}
END_TEST

static double thread_secs(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A hart waiting in WFI sleeps: 200 ms of guest wait costs little CPU. */
START_TEST(wfi_sleeps)
{
	struct rvh t;

	CHECK_OK(rvh_init(&t, 1, _i, 0));
	CHECK_OK(rvh_load(&t, "t_idle", 0));
	double w0 = thread_secs(CLOCK_MONOTONIC);
	double c0 = thread_secs(CLOCK_THREAD_CPUTIME_ID);
	int r = rvh_run(&t);
	double wall = thread_secs(CLOCK_MONOTONIC) - w0;
	double cpu = thread_secs(CLOCK_THREAD_CPUTIME_ID) - c0;
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "exit %d tohost %#llx", r,
		      (unsigned long long)rv_vm_tohost(t.vm));
	ck_assert_msg(wall >= 0.19, "woke after %.3f s", wall);
	ck_assert_msg(cpu < 0.05, "spent %.3f s CPU in %.3f s", cpu, wall);
	rvh_fini(&t);
}
END_TEST

/* Runs of spin hints (PAUSE, WFI that completes at once) yield the host
 * CPU once per 64; spaced hints never do. */
START_TEST(pause_runs_yield)
{
	struct rvh t;

	CHECK_OK(rvh_init(&t, 1, _i, 0));
	CHECK_OK(rvh_load(&t, "t_spin", 0));
	int r = rvh_run(&t);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "exit %d tohost %#llx", r,
		      (unsigned long long)rv_vm_tohost(t.vm));
	ck_assert_uint_eq(rv_hart_spin_yields(rv_vm_hart(t.vm, 0)), 200);
	rvh_fini(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-progs");
	TCase *tc = tcase_create("progs");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, prog_interp, 0, NPROGS);
	tcase_add_loop_test(tc, prog_block, 0, NPROGS);
	tcase_add_test(tc, prog_fail_is_reported);
	tcase_add_loop_test(tc, prog_jit, 0, NPROGS);
	tcase_add_loop_test(tc, prog_jit_small_cache, 0, NPROGS);
	tcase_add_loop_test(tc, prog_differential, 0, 2 * NDIFF);
	tcase_add_loop_test(tc, dma_code_write_then_fence_i, RV_ENGINE_INTERP,
			    RV_ENGINE_JIT + 1);
	tcase_add_loop_test(tc, smc_store_checks_its_page_only,
			    RV_ENGINE_BLOCK, RV_ENGINE_JIT + 1);
	tcase_add_loop_test(tc, wfi_sleeps, RV_ENGINE_INTERP, RV_ENGINE_JIT + 1);
	tcase_add_loop_test(tc, pause_runs_yield, RV_ENGINE_INTERP,
			    RV_ENGINE_JIT + 1);
	tcase_add_loop_test(tc, external_irq_lines, RV_ENGINE_INTERP,
			    RV_ENGINE_JIT + 1);
	tcase_add_loop_test(tc, smp_counters, RV_ENGINE_INTERP,
			    RV_ENGINE_JIT + 1);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	if (!rvh_prog_dir()) {
		printf("SKIP: riscv64-linux-gnu-gcc not found at configure time, "
		       "no test programs\n");
		return 77;
	}
	/* jit: translate every block at its first run, not once hot, so
	 * these short programs run (nearly) all their code translated */
	setenv("ATOLL_RV_JIT_HOT", "1", 0);
	if (only) { /* debugging aid: run one program on every engine */
		for (int e = RV_ENGINE_INTERP; e <= RV_ENGINE_JIT; e++) {
			uint64_t th = 0;
			int r = rvh_run_prog(only, e, &th, NULL);
			printf("%s engine %d: exit %d tohost %#llx\n", only, e, r,
			       (unsigned long long)th);
		}
		return 0;
	}
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
