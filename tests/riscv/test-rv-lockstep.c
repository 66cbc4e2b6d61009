/* SPDX-License-Identifier: MIT */
/*
 * Lockstep mode (cpu-server/riscv/lockstep.c): the bare-metal programs pass
 * with every step of the block engine and of the jit (every block hot at
 * once: ATOLL_RV_JIT_HOT=1) checked against the interpreter; a bug
 * planted in one op of the engine (ATOLL_RV_LOCKSTEP_PLANT) is caught and
 * reported (RV_EXIT_FATAL, both states and store logs on stderr); more
 * than one hart is refused with a reason.  The random differential
 * programs run in lockstep as the meson tests riscv-lockstep-random*.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rvharness.h"
#include "test-util.h"

static const char *const progs[] = {
	"t_int", "t_fp", "t_amo", "t_trap", "t_vm", "t_smc", "t_pmp",
	"t_csr", "t_sfence", "t_ad", "t_timer", "t_spin",
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

static const int engines[] = { RV_ENGINE_BLOCK, RV_ENGINE_JIT };
static const char *const engine_names[] = { "block", "jit" };

static void lockstep_env(const char *plant)
{
	setenv("ATOLL_RV_LOCKSTEP", "1", 1);
	setenv("ATOLL_RV_JIT_HOT", "1", 1);
	if (plant)
		setenv("ATOLL_RV_LOCKSTEP_PLANT", plant, 1);
	else
		unsetenv("ATOLL_RV_LOCKSTEP_PLANT");
}

/* _i: program * 2 + engine index */
START_TEST(progs_pass_in_lockstep)
{
	struct rvh t;
	uint64_t compared, skipped;
	const char *name = progs[_i / 2], *en = engine_names[_i & 1];

	if (engines[_i & 1] == RV_ENGINE_JIT && !rv_jit_supported())
		return;
	lockstep_env(NULL);
	CHECK_OK(rvh_init(&t, 1, engines[_i & 1], 50000000));
	CHECK_OK(rvh_load(&t, name, 0));
	int r = rvh_run(&t);
	rv_hart_lockstep_counts(rv_vm_hart(t.vm, 0), &compared, &skipped);
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS, "%s on %s: exit %d tohost %#llx (%s)",
		      name, en, r, (unsigned long long)rv_vm_tohost(t.vm),
		      rv_vm_error(t.vm) ? rv_vm_error(t.vm) : "");
	ck_assert_msg(compared > 10, "%s on %s: only %llu steps compared",
		      name, en, (unsigned long long)compared);
	printf("%s on %s: %llu steps compared, %llu not comparable\n", name,
	       en, (unsigned long long)compared, (unsigned long long)skipped);
	rvh_fini(&t);
}
END_TEST

/*
 * Runs name in lockstep with plant, stderr captured; returns the exit
 * reason and the report in buf.
 */
static int run_planted(const char *name, int engine, const char *plant,
		       char *buf, size_t len)
{
	struct rvh t;
	FILE *cap = tmpfile();
	int saved = dup(2);

	ck_assert_ptr_nonnull(cap);
	lockstep_env(plant);
	CHECK_OK(rvh_init(&t, 1, engine, 50000000));
	CHECK_OK(rvh_load(&t, name, 0));
	fflush(stderr);
	dup2(fileno(cap), 2);
	int r = rvh_run(&t);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	const char *err = rv_vm_error(t.vm);
	ck_assert_msg(r != RV_EXIT_FATAL || (err && strstr(err, "lockstep")),
		      "fatal without a lockstep reason: %s", err ? err : "none");
	rvh_fini(&t);
	rewind(cap);
	size_t n = fread(buf, 1, len - 1, cap);
	buf[n] = 0;
	fclose(cap);
	unsetenv("ATOLL_RV_LOCKSTEP_PLANT");
	return r;
}

/* addi's result is off by one bit in the engine: registers differ.
 * _i: engine index. */
START_TEST(planted_addi_is_caught)
{
	static char rep[1 << 16];

	if (engines[_i] == RV_ENGINE_JIT && !rv_jit_supported())
		return;
	int r = run_planted("t_int", engines[_i], "addi", rep, sizeof(rep));

	ck_assert_int_eq(r, RV_EXIT_FATAL);
	ck_assert_msg(strstr(rep, "engine and interpreter disagree"), "%s", rep);
	ck_assert_msg(strstr(rep, "instructions as the interpreter ran them"),
		      "%s", rep);
	ck_assert_msg(strstr(rep, "\n* x"), "no register marked: %s", rep);
}
END_TEST

/* sd stores a value one bit off: the store logs differ. */
START_TEST(planted_sd_is_caught)
{
	static char rep[1 << 16];

	if (engines[_i] == RV_ENGINE_JIT && !rv_jit_supported())
		return;
	int r = run_planted("t_int", engines[_i], "sd", rep, sizeof(rep));

	ck_assert_int_eq(r, RV_EXIT_FATAL);
	ck_assert_msg(strstr(rep, "stores by the engine: 1"), "%s", rep);
	ck_assert_msg(strstr(rep, "stores by the interpreter: 1"), "%s", rep);
}
END_TEST

/* Without lockstep the plant does nothing (it is a test of the checker). */
START_TEST(plant_needs_lockstep)
{
	uint64_t tohost;

	unsetenv("ATOLL_RV_LOCKSTEP");
	setenv("ATOLL_RV_LOCKSTEP_PLANT", "addi", 1);
	int r = rvh_run_prog("t_int", RV_ENGINE_BLOCK, &tohost, NULL);
	unsetenv("ATOLL_RV_LOCKSTEP_PLANT");
	ck_assert_int_eq(r, RV_EXIT_TOHOST_PASS);
}
END_TEST

START_TEST(two_harts_refused)
{
	struct rvh t;

	lockstep_env(NULL);
	CHECK_OK(rvh_init(&t, 2, RV_ENGINE_BLOCK, 1000000));
	CHECK_OK(rvh_load(&t, "t_smp", 0));
	int r = rvh_run(&t);
	const char *err = rv_vm_error(t.vm);
	ck_assert_int_eq(r, RV_EXIT_FATAL);
	ck_assert_msg(err && strstr(err, "exactly one hart"), "%s",
		      err ? err : "no error");
	rvh_fini(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-lockstep");
	TCase *tc = tcase_create("lockstep");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, progs_pass_in_lockstep, 0, 2 * NPROGS);
	tcase_add_loop_test(tc, planted_addi_is_caught, 0, 2);
	tcase_add_loop_test(tc, planted_sd_is_caught, 0, 2);
	tcase_add_test(tc, plant_needs_lockstep);
	tcase_add_test(tc, two_harts_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!rvh_prog_dir()) {
		printf("SKIP: riscv64-linux-gnu-gcc not found at configure time, "
		       "no test programs\n");
		return 77;
	}
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
