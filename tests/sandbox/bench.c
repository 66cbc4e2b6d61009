/* SPDX-License-Identifier: MIT */
/* Cost of spawning a trivial process (the hostile binary's "noop") with
 * the sandbox on (virtio-blk profile) and off, side by side. Prints; never
 * fails on timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RUNS 40

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* spawn[] = sandbox_spawn() until exec; total[] = until the exit is
 * reaped. */
static int measure(const struct sandbox_profile *p, bool off, char *bin,
		   double *spawn, double *total)
{
	char *argv[] = { bin, "noop", NULL };
	struct run_result r;

	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		if (harness_run(p, off, argv, &r) < 0 || !r.spawned ||
		    !r.exited || r.code) {
			fprintf(stderr, "run failed: %s\n", r.error);
			return -1;
		}
		total[i] = now_us() - t0;
		spawn[i] = r.spawn_us;
	}
	return 0;
}

static void stats(const char *what, double *on, double *off)
{
	double mon = 0, moff = 0;

	for (int i = 0; i < RUNS; i++) {
		mon += on[i];
		moff += off[i];
	}
	qsort(on, RUNS, sizeof(double), cmp);
	qsort(off, RUNS, sizeof(double), cmp);
	printf("%-26s | %9.0f | %9.0f | %9.0f | %9.0f\n", what, mon / RUNS,
	       on[RUNS / 2], moff / RUNS, off[RUNS / 2]);
}

int main(int argc, char **argv)
{
	static double son[RUNS], ton[RUNS], soff[RUNS], toff[RUNS];
	struct sandbox_profile *p;
	struct sandbox_error e;

	if (argc != 2 || sandbox_profile_load(NULL, "virtio-blk", &p, &e) < 0)
		return fprintf(stderr, "usage: %s HOSTILE (profile: %s)\n",
			       argv[0], e.message), 1;
	/* Interleaving would be fairer to caches; both warm up first. */
	if (measure(p, true, argv[1], soff, toff) < 0 ||
	    measure(p, false, argv[1], son, ton) < 0 ||
	    measure(p, true, argv[1], soff, toff) < 0)
		return 1;
	printf("spawn cost, %d runs each, uid %d (microseconds)\n", RUNS,
	       (int)geteuid());
	printf("%-26s | %9s | %9s | %9s | %9s\n", "", "on mean", "on median",
	       "off mean", "off median");
	stats("sandbox_spawn() to exec", son, soff);
	stats("spawn to exit reaped", ton, toff);
	printf("(launcher start-to-ready and virtio-blk IOPS on/off: not yet, "
	       "those programs do not exist)\n");
	sandbox_profile_free(p);
	return 0;
}
