/* SPDX-License-Identifier: MIT */
/*
 * The Linux-guest side of the RISC-V CPU benchmark (a static riscv64
 * program put into the guest's initramfs by tests/bench/bench-rv-linux.py).
 * Every figure is timed inside the guest with CLOCK_MONOTONIC and printed
 * as one line the host parses:
 *   BENCH name=NAME ns=N sum=CHECKSUM
 * Usage:
 *   guest-bench mix               sieve, CRC32, qsort (function-pointer
 *                                 compare), matmul, pointer chase; one line
 *                                 each and one for the whole mix
 *   guest-bench gen FILE MB       MB MiB of xorshift output into FILE
 *   guest-bench time NAME CMD...  runs CMD, prints its time (its own output
 *                                 is its checksum, e.g. sha256sum's)
 *   guest-bench forkexec N PATH   N fork + exec of PATH, one after another;
 *                                 sum = how many exited 0
 *   guest-bench boot              CLOCK_BOOTTIME now (the kernel's view of
 *                                 the time to init)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Built for the host as the native limit, the figures are CPU time:
 * the host may be busy; in the guest, nothing else runs. */
#ifndef BENCH_CLOCK
#define BENCH_CLOCK CLOCK_MONOTONIC
#endif

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The host reads the emulator's CPU time at this line and at the report. */
static void begin(const char *name)
{
	printf("BENCH-BEGIN name=%s\n", name);
	fflush(stdout);
}

static void report(const char *name, uint64_t ns, uint64_t sum)
{
	printf("BENCH name=%s ns=%llu sum=%016llx\n", name,
	       (unsigned long long)ns, (unsigned long long)sum);
	fflush(stdout);
}

static uint64_t xs = 88172645463325252ull;

static uint64_t xorshift(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

#define SIEVE_N 4000000
#define SIEVE_ROUNDS 40

static uint64_t sieve(void)
{
	static uint8_t comp[SIEVE_N];
	uint64_t count = 0;

	for (int r = 0; r < SIEVE_ROUNDS; r++) {
		memset(comp, 0, sizeof(comp));
		count = 0;
		for (uint64_t i = 2; i < SIEVE_N; i++) {
			if (comp[i])
				continue;
			count++;
			for (uint64_t j = i * i; j < SIEVE_N; j += i)
				comp[j] = 1;
		}
	}
	return count;
}

#define CRC_BYTES (4u << 20)
#define CRC_ROUNDS 40

static uint64_t crc32_bench(void)
{
	static uint32_t table[256];
	static uint8_t data[CRC_BYTES];
	uint32_t crc = 0;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
		table[i] = c;
	}
	for (uint32_t i = 0; i < CRC_BYTES; i += 8) {
		uint64_t v = xorshift();
		memcpy(data + i, &v, 8);
	}
	for (int r = 0; r < CRC_ROUNDS; r++) {
		crc = ~crc;
		for (uint32_t i = 0; i < CRC_BYTES; i++)
			crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
		crc = ~crc;
	}
	return crc;
}

#define QS_N 300000
#define QS_ROUNDS 9

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint64_t qsort_bench(void)
{
	uint32_t *v = malloc(QS_N * sizeof(*v));
	uint64_t h = 0;

	if (!v)
		return 0;
	for (int r = 0; r < QS_ROUNDS; r++) {
		for (int i = 0; i < QS_N; i++)
			v[i] = (uint32_t)xorshift();
		qsort(v, QS_N, sizeof(*v), cmp_u32);
		for (int i = 0; i < QS_N; i++)
			h = h * 1000003u + v[i];
	}
	free(v);
	return h;
}

#define MM 160
#define MM_ROUNDS 60

static uint64_t matmul(void)
{
	static double a[MM][MM], b[MM][MM], c[MM][MM];
	uint64_t h = 0;

	for (int r = 0; r < MM_ROUNDS; r++) {
		for (int i = 0; i < MM; i++)
			for (int j = 0; j < MM; j++) {
				a[i][j] = (double)((i * 31 + j * 17 + r) % 101) / 7.0;
				b[i][j] = (double)((i * 13 + j * 29) % 97) / 3.0;
			}
		for (int i = 0; i < MM; i++)
			for (int j = 0; j < MM; j++) {
				double s = 0;
				for (int k = 0; k < MM; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
		for (int i = 0; i < MM; i++) {
			uint64_t bits;
			memcpy(&bits, &c[i][(i * 7) % MM], 8);
			h = h * 31 + bits;
		}
	}
	return h;
}

#define CHASE_N (1u << 18)
#define CHASE_STEPS 96000000u

/* A random single cycle over CHASE_N slots (Sattolo), followed for
 * CHASE_STEPS loads: each load depends on the one before. */
static uint64_t chase(void)
{
	uint32_t *next = malloc(CHASE_N * sizeof(*next));
	uint32_t p = 0;
	uint64_t h = 0;

	if (!next)
		return 0;
	for (uint32_t i = 0; i < CHASE_N; i++)
		next[i] = i;
	for (uint32_t i = CHASE_N - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(xorshift() % i), t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	for (uint32_t s = 0; s < CHASE_STEPS; s++) {
		p = next[p];
		h += p;
	}
	free(next);
	return h;
}

static int mix(void)
{
	static const struct {
		const char *name;
		uint64_t (*fn)(void);
	} parts[] = { { "mix-sieve", sieve }, { "mix-crc32", crc32_bench },
		      { "mix-qsort", qsort_bench }, { "mix-matmul", matmul },
		      { "mix-chase", chase } };
	uint64_t total = 0, sum = 0;

	begin("mix");
	for (unsigned k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		begin(parts[k].name);
		uint64_t t0 = now_ns(BENCH_CLOCK);
		uint64_t s = parts[k].fn();
		uint64_t t = now_ns(BENCH_CLOCK) - t0;

		report(parts[k].name, t, s);
		total += t;
		sum = sum * 0x100000001b3ull ^ s;
	}
	report("mix", total, sum);
	return 0;
}

static int gen(const char *path, long mb)
{
	static uint64_t block[8192];
	FILE *f = fopen(path, "wb");

	if (!f || mb <= 0 || mb > 1024) {
		perror(path);
		return 1;
	}
	for (long n = 0; n < mb * (1 << 20) / (long)sizeof(block); n++) {
		for (unsigned i = 0; i < sizeof(block) / 8; i++)
			block[i] = xorshift();
		if (fwrite(block, sizeof(block), 1, f) != 1) {
			perror(path);
			return 1;
		}
	}
	return fclose(f) != 0;
}

static int spawn_wait(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int time_cmd(const char *name, char **argv)
{
	begin(name);
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int rc = spawn_wait(argv);

	report(name, now_ns(CLOCK_MONOTONIC) - t0, (uint64_t)rc);
	return rc != 0;
}

static int forkexec(long n, char *path)
{
	char *argv[] = { path, NULL };
	begin("forkexec");
	uint64_t ok = 0, t0 = now_ns(CLOCK_MONOTONIC);

	for (long i = 0; i < n; i++)
		ok += spawn_wait(argv) == 0;
	report("forkexec", now_ns(CLOCK_MONOTONIC) - t0, ok);
	return ok != (uint64_t)n;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "mix") == 0)
		return mix();
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], atol(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "time") == 0)
		return time_cmd(argv[2], argv + 3);
	if (argc == 4 && strcmp(argv[1], "forkexec") == 0)
		return forkexec(atol(argv[2]), argv[3]);
	if (argc == 2 && strcmp(argv[1], "boot") == 0) {
		report("boot-guest", now_ns(CLOCK_BOOTTIME), 0);
		return 0;
	}
	fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
		"Usage: %s mix | gen FILE MB | time NAME CMD... |"
		" forkexec N PATH | boot\n"
		"The Linux-guest workloads of the RISC-V CPU benchmark; each prints\n"
		"'BENCH name=NAME ns=N sum=CHECKSUM' timed in the guest.\n",
		argv[0]);
	return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
