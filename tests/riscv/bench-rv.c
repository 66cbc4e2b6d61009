/* SPDX-License-Identifier: MIT */
/*
 * Benchmark (suite 'bench'): CPU-bound bare-metal loops under the reference
 * interpreter and the block engine, MIPS side by side with
 * qemu-system-riscv64 (TCG) running the same ELF in the same run, when it is
 * installed.  QEMU's time includes its start-up (the b_nop row); its MIPS
 * column subtracts that start-up.
 * Never fails on timing; fails only if a program does not pass.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rvharness.h"

extern char **environ;

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

static const char *find_qemu(void)
{
	static const char *const paths[] = { "/usr/bin/qemu-system-riscv64",
					     "/usr/local/bin/qemu-system-riscv64" };
	for (unsigned k = 0; k < 2; k++)
		if (access(paths[k], X_OK) == 0)
			return paths[k];
	return NULL;
}

static double run_qemu(const char *qemu, const char *name)
{
	char elf[1024];
	snprintf(elf, sizeof(elf), "%s/%s.elf", rvh_prog_dir(), name);
	char *argv[] = { (char *)qemu, "-M", "virt", "-m", "64M", "-bios", "none",
			 "-display", "none", "-serial", "none", "-monitor", "none",
			 "-kernel", elf, NULL };
	pid_t pid;
	int st;
	double t0 = now();
	if (posix_spawn(&pid, qemu, NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return now() - t0;
}

int main(void)
{
	static const char *const progs[] = { "b_nop", "b_int", "b_mem",
					     "b_branch", "b_fp" };
	const char *qemu = find_qemu();
	int bad = 0;
	double q0 = 0;

	if (!rvh_prog_dir()) {
		printf("SKIP: no riscv64 cross compiler, no benchmark programs\n");
		return 77;
	}
	printf("%-9s %12s | %8s %9s | %8s %9s | %8s %9s\n", "program",
	       "insns", "interp s", "MIPS", "block s", "MIPS",
	       qemu ? "qemu s" : "(no qemu)", "MIPS");
	for (unsigned k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		double ti, tb, tq = -1;
		uint64_t ni, nb;
		if (run_ours(progs[k], RV_ENGINE_INTERP, &ti, &ni) < 0 ||
		    run_ours(progs[k], RV_ENGINE_BLOCK, &tb, &nb) < 0) {
			printf("%s: did not pass\n", progs[k]);
			bad = 1;
			continue;
		}
		if (qemu)
			tq = run_qemu(qemu, progs[k]);
		if (k == 0)
			q0 = tq > 0 ? tq : 0;
		double qrun = tq - q0;
		printf("%-9s %12llu | %8.3f %9.1f | %8.3f %9.1f | %8.3f %9.1f\n",
		       progs[k], (unsigned long long)nb, ti, ni / ti / 1e6, tb,
		       nb / tb / 1e6, tq, k && qrun > 0 ? nb / qrun / 1e6 : 0.0);
	}
	return bad;
}
