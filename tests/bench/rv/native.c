/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal workloads compiled for the host (the asm loops as C with
 * the same data dependencies, bm-mix.c as it is), so the benchmark can
 * tell a reference figure the host could not reach natively: no emulator
 * finishes a dependency chain faster than the host runs it. Prints the
 * line format of bm-main.c (ticks at 10 MHz of CPU time; no instret).
 * Usage: bench-native int|mem|branch|fp|mix
 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bm.h"

static uint64_t w_int(void)
{
	uint64_t a0 = 0x12345678, a1 = 0x9abcdef;

	for (long n = 400000000; n; n--) {
		uint64_t a3 = (a0 ^ a1) << 3;
		a0 += a3;
		a1 = a1 * (a0 >> 7) + 17;
		a0 -= a1;
		a1 |= (uint64_t)(int64_t)(int32_t)(uint32_t)(a0 + 1);
	}
	return a0 ^ a1;
}

static uint8_t buf[65536] __attribute__((aligned(4096)));

static uint64_t w_mem(void)
{
	uint64_t a5 = 0;

	for (long n = 80000; n; n--)
		for (unsigned off = 0; off < sizeof(buf); off += 8) {
			uint64_t a3;
			int32_t a4;
			memcpy(&a3, buf + off, 8);
			a5 += a3;
			a3++;
			memcpy(buf + off, &a3, 8);
			memcpy(&a4, buf + off + 4, 4);
			a5 += (uint64_t)(int64_t)a4;
			buf[off + 7] = (uint8_t)a4;
		}
	return a5;
}

static uint64_t w_branch(void)
{
	uint64_t a0 = 1;
	int64_t a3 = 0;

	for (long n = 120000000; n; n--) {
		a0 = a0 * 6364136223846793005ull + 1442695040888963407ull;
		int64_t a1 = (int64_t)(a0 >> 60);
		if (a1 & 1)
			a3++;
		else if (!(a1 & 2))
			a3 += 3;
		if (!(a1 < a3))
			a3--;
	}
	return a0 ^ (uint64_t)a3;
}

static uint64_t w_fp(void)
{
	double f0 = 1.0, f1, f2 = 0.0, f3 = 2.0;
	uint64_t bits = 0x3ff0000010000000ull, a1 = 0, a0;

	memcpy(&f1, &bits, 8);
	feclearexcept(FE_ALL_EXCEPT);
	for (long n = 108000000; n; n--) {
		f2 = fma(f1, f0, f2);
		double f5 = f2 * f1 / f3;
		f2 = f2 + f5;
		a1 += (uint64_t)(int64_t)f2;
		f2 = fmin(f2 - f0, f3);
	}
	memcpy(&a0, &f2, 8);
	/* RISC-V fflags: NV DZ OF UF NX from bit 4 down */
	unsigned fl = (fetestexcept(FE_INVALID) ? 16 : 0) |
		      (fetestexcept(FE_DIVBYZERO) ? 8 : 0) |
		      (fetestexcept(FE_OVERFLOW) ? 4 : 0) |
		      (fetestexcept(FE_UNDERFLOW) ? 2 : 0) |
		      (fetestexcept(FE_INEXACT) ? 1 : 0);
	return a0 ^ (a1 << 1) ^ fl;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint64_t (*fn)(void);
	} w[] = { { "int", w_int }, { "mem", w_mem }, { "branch", w_branch },
		  { "fp", w_fp }, { "mix", bench_work } };

	for (unsigned k = 0; argc == 2 && k < sizeof(w) / sizeof(w[0]); k++) {
		if (strcmp(argv[1], w[k].name) != 0)
			continue;
		double t0 = cpu_now();
		uint64_t sum = w[k].fn();
		double t1 = cpu_now();
		printf("BENCH name=%s ticks=%llu hz=%lu instret=0 sum=%016llx\n",
		       w[k].name, (unsigned long long)((t1 - t0) * BM_MTIME_HZ),
		       BM_MTIME_HZ, (unsigned long long)sum);
		return 0;
	}
	printf("Usage: %s int|mem|branch|fp|mix\n"
	       "Runs one bare-metal benchmark workload natively on the host and\n"
	       "prints its CPU time and checksum (the limit the emulated runs\n"
	       "are checked against).\n", argv[0]);
	return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
