/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-blk throughput and latency through the host-side driver,
 * beside fio on the same tmpfs file in the same run. Prints only; never
 * fails on timing. Skips (77) without /dev/shm or fio.
 */
#include <fcntl.h>
#include <sys/types.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blk-util.h"

#define IMG_BYTES (256ull << 20)
#define PHASE_NS 3000000000ull
#define MAXQD 32u

struct result {
	double iops, mbps, mean_us, p99_us;
	double cpu_us;              /* device CPU time per request */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* CPU time (user + system) of process pid so far, in ns; 0 if unknown. */
static uint64_t cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": state and 10 more fields, then utime stime. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

struct phase {
	struct drv *d;
	struct blk_slot *slots;
	uint32_t bs, type;
	bool random, write;
	uint64_t nblocks, seq;
	int slot_of[256];
	uint64_t start_ns[256];
};

static int submit_one(struct phase *p, unsigned s)
{
	uint64_t blk = p->random ? next_rand() % p->nblocks : p->seq++ % p->nblocks;
	int h = blk_submit(p->d, 0, &p->slots[s], p->type, blk * p->bs / 512,
			   p->bs, !p->write);

	if (h < 0)
		return h;
	p->slot_of[h] = (int)s;
	p->start_ns[h] = now_ns();
	return 0;
}

/* Runs one phase: qd requests of bs bytes kept in flight for PHASE_NS.
 * Like a guest driver it takes every completion one call reported,
 * refills them all and kicks once. */
static int run_phase(struct drv *d, struct blk_slot *slots, unsigned qd,
		     uint32_t bs, bool random, bool write, struct result *res)
{
	static uint64_t lat[4000000];
	static struct phase p;
	uint64_t t0, end, nlat = 0, sum = 0, done = 0, cpu0;
	unsigned outstanding = 0;
	bool stop = false;

	p = (struct phase){ .d = d, .slots = slots, .bs = bs, .random = random,
			    .write = write, .nblocks = IMG_BYTES / bs,
			    .type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN };
	cpu0 = cpu_ns(d->pid);
	t0 = now_ns();
	end = t0 + PHASE_NS;
	for (unsigned i = 0; i < qd; i++, outstanding++)
		if (submit_one(&p, i) < 0)
			return -1;
	drv_kick(d, 0);
	while (outstanding) {
		uint16_t head;
		uint32_t len;
		int rc = drv_get_used(d, 0, &head, &len, 5000);

		if (rc <= 0)
			return -1;
		do {
			uint64_t t = now_ns(), l = t - p.start_ns[head];
			unsigned s = (unsigned)p.slot_of[head];

			outstanding--;
			if (*(uint8_t *)drv_ptr(d, slots[s].status) != 0)
				return -1;
			if (nlat < sizeof(lat) / sizeof(lat[0]))
				lat[nlat++] = l;
			sum += l;
			done++;
			stop |= t >= end;
			if (!stop) {
				if (submit_one(&p, s) < 0)
					return -1;
				outstanding++;
			}
		} while (drv_get_used(d, 0, &head, &len, 0) == 1);
		if (!stop)
			drv_kick(d, 0);
	}
	double secs = (double)(now_ns() - t0) / 1e9;

	qsort(lat, nlat, sizeof(lat[0]), cmp_u64);
	res->iops = (double)done / secs;
	res->mbps = res->iops * bs / 1e6;
	res->mean_us = (double)sum / (double)done / 1000.0;
	res->p99_us = (double)lat[nlat * 99 / 100] / 1000.0;
	res->cpu_us = (double)(cpu_ns(d->pid) - cpu0) / (double)done / 1000.0;
	return 0;
}

/* fio on the same file; fills IOPS, MB/s and latency from its JSON. */
static int run_fio(const char *file, const char *rw, uint32_t bs, unsigned qd,
		   struct result *res)
{
	char cmd[512];
	FILE *p;
	json_t *root, *job;
	json_error_t err;

	snprintf(cmd, sizeof(cmd),
		 "fio --name=x --filename=%s --rw=%s --bs=%u --iodepth=%u "
		 "--ioengine=io_uring --direct=0 --runtime=3 --time_based "
		 "--size=%llu --output-format=json 2>/dev/null", file, rw, bs, qd,
		 (unsigned long long)IMG_BYTES);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	root = json_loadf(p, 0, &err);
	pclose(p);
	if (!root)
		return -1;
	job = json_array_get(json_object_get(root, "jobs"), 0);
	job = json_object_get(job, strstr(rw, "write") ? "write" : "read");
	res->iops = json_number_value(json_object_get(job, "iops"));
	res->mbps = json_number_value(json_object_get(job, "bw_bytes")) / 1e6;
	res->mean_us = json_number_value(json_object_get(
		json_object_get(job, "clat_ns"), "mean")) / 1000.0;
	res->p99_us = json_number_value(json_object_get(json_object_get(
		json_object_get(job, "clat_ns"), "percentile"), "99.000000")) / 1000.0;
	json_decref(root);
	return res->iops > 0 ? 0 : -1;
}

static void row(const char *name, const struct result *a, const struct result *f)
{
	printf("%-20s %9.0f %7.1f %7.1f %7.1f %6.2f | %9.0f %7.1f %7.1f %7.1f | %5.0f%%\n",
	       name, a->iops, a->mbps, a->mean_us, a->p99_us, a->cpu_us, f->iops,
	       f->mbps, f->mean_us, f->p99_us,
	       f->iops > 0 ? 100.0 * a->iops / f->iops : 0);
}

int main(void)
{
	static const struct {
		const char *name, *fio_rw;
		uint32_t bs;
		unsigned qd;
		bool random, write;
	} phases[] = {
		{ "4k randread qd1", "randread", 4096, 1, true, false },
		{ "4k randread qd32", "randread", 4096, 32, true, false },
		{ "128k seq read qd8", "read", 131072, 8, false, false },
		{ "128k seq write qd8", "write", 131072, 8, false, true },
	};
	char path[] = "/dev/shm/atoll-blk-bench-XXXXXX";
	struct blk_slot slots[MAXQD];
	struct drv d;
	int fd, rc = 0;
	char *buf;

	if (system("fio --version >/dev/null 2>&1") != 0) {
		printf("SKIP: fio is not installed (apt-get install fio)\n");
		return 77;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		printf("SKIP: no /dev/shm\n");
		return 77;
	}
	buf = malloc(1 << 20);
	memset(buf, 0x5a, 1 << 20);
	for (uint64_t off = 0; off < IMG_BYTES; off += 1 << 20)
		if (pwrite(fd, buf, 1 << 20, (off_t)off) != 1 << 20) {
			printf("SKIP: cannot fill a %llu MiB image in /dev/shm\n",
			       (unsigned long long)(IMG_BYTES >> 20));
			unlink(path);
			return 77;
		}
	free(buf);
	if (drv_start(&d, blk_binary(), fd, NULL, NULL) < 0 ||
	    drv_features(&d, blk_std_features(&d)) < 0 ||
	    drv_queue_setup(&d, 0, 256, true) < 0) {
		printf("device did not start\n");
		unlink(path);
		return 1;
	}
	for (unsigned i = 0; i < MAXQD; i++)
		blk_slot_init(&d, &slots[i], 131072);
	printf("atoll-virtio-blk (1 device thread, host-side driver) vs fio "
	       "io_uring, buffered, same tmpfs file (%llu MiB)\n",
	       (unsigned long long)(IMG_BYTES >> 20));
	printf("%-20s %9s %7s %7s %7s %6s | %9s %7s %7s %7s | %6s\n", "test",
	       "IOPS", "MB/s", "mean us", "p99 us", "cpu us", "fio IOPS", "MB/s",
	       "mean us", "p99 us", "ratio");
	printf("(cpu us: the device process's CPU time per request)\n");
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct result a = { 0 }, f = { 0 };

		if (run_phase(&d, slots, phases[i].qd, phases[i].bs,
			      phases[i].random, phases[i].write, &a) < 0) {
			printf("%s: device phase failed\n", phases[i].name);
			rc = 1;
			break;
		}
		if (run_fio(path, phases[i].fio_rw, phases[i].bs, phases[i].qd, &f) < 0)
			printf("%s: fio run failed\n", phases[i].name);
		row(phases[i].name, &a, &f);
	}
	drv_stop(&d);
	close(fd);
	unlink(path);
	return rc;
}
