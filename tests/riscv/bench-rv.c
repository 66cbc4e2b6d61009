/* SPDX-License-Identifier: MIT */
/*
 * Benchmark (suite 'bench'): short CPU-bound bare-metal loops under the
 * reference interpreter, the block engine and the jit (x86-64), in this process (no
 * start-up counted).  The comparison with qemu-system-riscv64 is
 * bench-rv-bare (tests/bench/bench-rv-bare.py): these loops last well
 * under a second under QEMU, where its start-up dominated and gave
 * impossible figures (7,270 MIPS for a chain the host runs at ~3,200).
 * Never fails on timing; fails only if a program does not pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rvharness.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_ours(const char *name, int engine, double *secs, uint64_t *insns)
{
	struct rvh t;
	if (rvh_init(&t, 1, engine, 0) < 0 || rvh_load(&t, name, 0) < 0)
		return -1;
	double t0 = now();
	int r = rvh_run(&t);
	*secs = now() - t0;
	*insns = rv_hart_insn_count(rv_vm_hart(t.vm, 0));
	rvh_fini(&t);
	return r == RV_EXIT_TOHOST_PASS ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char *const progs[] = { "b_nop", "b_int", "b_mem",
					     "b_branch", "b_fp" };
	int bad = 0;

	if (argc > 1) {
		printf("Usage: %s\n"
		       "Runs the b_* loops under the interpreter and the block "
		       "engine in this\nprocess and prints MIPS; QEMU figures: "
		       "tests/bench/bench-rv-bare.py.\n", argv[0]);
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}

	if (!rvh_prog_dir()) {
		printf("SKIP: no riscv64 cross compiler, no benchmark programs\n");
		return 77;
	}
	printf("%-9s %12s | %8s %9s | %8s %9s | %8s %9s\n", "program",
	       "insns", "interp s", "MIPS", "block s", "MIPS", "jit s", "MIPS");
	for (unsigned k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		double ti, tb, tj = 0;
		uint64_t ni, nb, nj = 0;
		if (run_ours(progs[k], RV_ENGINE_INTERP, &ti, &ni) < 0 ||
		    run_ours(progs[k], RV_ENGINE_BLOCK, &tb, &nb) < 0 ||
		    (rv_jit_supported() &&
		     run_ours(progs[k], RV_ENGINE_JIT, &tj, &nj) < 0)) {
			printf("%s: did not pass\n", progs[k]);
			bad = 1;
			continue;
		}
		printf("%-9s %12llu | %8.3f %9.1f | %8.3f %9.1f | %8.3f %9.1f\n",
		       progs[k], (unsigned long long)nb, ti, ni / ti / 1e6, tb,
		       nb / tb / 1e6, tj, tj > 0 ? nj / tj / 1e6 : 0);
	}
	return bad;
}
