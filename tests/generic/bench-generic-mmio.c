/* SPDX-License-Identifier: MIT */
/*
 * Benchmark (suite 'bench', prints only): the round trip of one guest MMIO
 * read of a generic platform device (REGION_READ to a device on another
 * thread and back, the hart waiting) against an MMIO read atoll-cpu serves
 * itself (the UART's LSR), in the same run of the same guest (b_gmmio.S).
 * The guest times with the time CSR (10 MHz, 0.1 us ticks): each generic
 * read alone, UART reads in batches of 16 (one is below a tick). The
 * device is fake-gdev.c on raw libatoll-bus, so the figure is the
 * proxy's and the bus's cost, not a device's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpu-launch.h"
#include "fake-gdev.h"

#define RESULT 0x80200000ull
#define N 2000
#define UART_BATCH 16

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *us, unsigned n)
{
	qsort(us, n, sizeof(*us), cmp);
	printf("%-34s median %8.2f us   p99 %8.2f us   (%u samples)\n", what,
	       us[n / 2], us[n * 99 / 100], n);
}

int main(void)
{
	const char *cpu = getenv("ATOLL_CPU"), *prog = getenv("BGMMIO_BIN");
	Atoll__DeviceDesc desc;
	Atoll__GenericDesc gen;
	Atoll__RegionDesc reg[1], *regp[1];
	Atoll__DtProperty prop, *propp[1];
	static double gen_us[N], uart_us[N];
	struct cpu_launch l;
	struct fake_gdev fake;
	const uint32_t *ticks;
	int sv[2];

	if (!cpu || !prog) {
		printf("ATOLL_CPU or BGMMIO_BIN not set; skipped\n");
		return 77;
	}
	fake_gdev_platform_desc(&desc, &gen, reg, regp, &prop, propp);
	if (cpu_launch_start(&l, cpu, prog) < 0)
		return 1;
	cpu_launch_pump(&l, &l.hello, 10);
	if (!l.hello || cpu_launch_setup(&l) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    fake_gdev_start(&fake, sv[1], &desc) < 0 ||
	    cpu_launch_connect(&l, "gen0", sv[0]) < 0)
		return 1;
	close(sv[0]);
	cpu_launch_pump(&l, &l.ready, 10);
	if (!l.ready || cpu_launch_resume(&l) < 0)
		return 1;
	cpu_launch_pump(&l, &l.powered, 120);
	if (!l.powered) {
		fprintf(stderr, "the guest did not finish\n");
		return 1;
	}
	ticks = cpu_launch_at(&l, RESULT);
	for (unsigned i = 0; i < N; i++) {
		gen_us[i] = ticks[i] * 0.1;
		uart_us[i] = ticks[N + i] * 0.1 / UART_BATCH;
	}
	printf("guest MMIO read round trip, %u reads each, same run:\n", N);
	report("generic platform device (4 B)", gen_us, N);
	report("UART LSR, served in atoll-cpu (1 B)", uart_us, N);
	fake_gdev_stop(&fake);
	return cpu_launch_finish(&l) == 0 ? 0 : 1;
}
