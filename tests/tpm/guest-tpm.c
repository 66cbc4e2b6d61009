/* SPDX-License-Identifier: MIT */
/*
 * Runs in the guest (static, riscv64): raw TPM commands to /dev/tpm0, the
 * results as one "ATOLL-TPM k=v ..." line for the host to check.
 *   guest-tpm first   TPM2 GetRandom(16); PCR 16 read, extended with the
 *                     digest "atoll" (zero-padded), read again; NV index
 *                     0x01500016 defined and written with NV_DATA
 *   guest-tpm second  NV_Read of that index (a second boot)
 *   guest-tpm tpm12   TPM 1.2 GetRandom(16) and Extend of PCR 16
 *   guest-tpm loop N  NV define + write, then N GetRandom (the host kills
 *                     the device meanwhile): how many failed and with
 *                     what error, then NV_Read
 *   guest-tpm bench N TPM2 GetRandom(16) and PCR_Extend(16), N of each,
 *                     timed around write+read of /dev/tpm0: median and
 *                     99th percentile in microseconds
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm-cmd.h"

static const uint8_t NV_DATA[16] = "atoll nv 0123456";
static int fd;

static void hex(const char *key, const uint8_t *p, size_t n)
{
	printf(" %s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* One command; returns the response length, or 0 (with rc= printed) on
 * a failure. */
static size_t transact(const char *what, const struct tpm_buf *c,
		       uint8_t *r, size_t max)
{
	ssize_t n;

	if (write(fd, c->b, c->n) != (ssize_t)c->n) {
		printf(" %s=write-failed", what);
		return 0;
	}
	n = read(fd, r, max);
	if (n < 10) {
		printf(" %s=read-failed", what);
		return 0;
	}
	if (tpm_be32(r + 6) != 0) {
		printf(" %s=rc-0x%x", what, tpm_be32(r + 6));
		return 0;
	}
	return (size_t)n;
}

static void pcr16(const char *key)
{
	struct tpm_buf c;
	uint8_t r[256];

	tpm2_pcr_read(&c, 16);
	if (transact(key, &c, r, sizeof(r)) >= TPM2_PCR_READ_DIGEST + 32)
		hex(key, r + TPM2_PCR_READ_DIGEST, 32);
}

static void first(void)
{
	static const uint8_t digest[32] = { 'a', 't', 'o', 'l', 'l' };
	struct tpm_buf c;
	uint8_t r[256];

	tpm2_get_random(&c, 16);
	if (transact("random", &c, r, sizeof(r)) == 28)
		hex("random", r + 12, 16);
	pcr16("pcr_old");
	tpm2_pcr_extend(&c, 16, digest);
	if (transact("extend", &c, r, sizeof(r)))
		printf(" extend=ok");
	pcr16("pcr_new");
	tpm2_nv_define(&c);
	if (transact("nv_define", &c, r, sizeof(r)))
		printf(" nv_define=ok");
	tpm2_nv_write(&c, NV_DATA);
	if (transact("nv_write", &c, r, sizeof(r)))
		printf(" nv_write=ok");
}

static void second(void)
{
	struct tpm_buf c;
	uint8_t r[256];

	tpm2_nv_read(&c);
	if (transact("nv_read", &c, r, sizeof(r)) >= TPM2_NV_READ_DATA + 16)
		hex("nv_read", r + TPM2_NV_READ_DATA, 16);
}

/* A command in flight when the device dies fails in the driver (it polls
 * a status that never completes, then gives up): counted, not fatal. */
static void loop(int n)
{
	struct tpm_buf c;
	uint8_t r[256];
	int ok = 0, failed = 0, first_err = 0, last_ok = -1;

	first();
	printf(" loop=start\n");
	fflush(stdout);
	tpm2_get_random(&c, 16);
	for (int i = 0; i < n; i++) {
		ssize_t w = write(fd, c.b, c.n), got = -1;

		if (w == (ssize_t)c.n)
			got = read(fd, r, sizeof(r));
		if (got >= 10 && tpm_be32(r + 6) == 0) {
			ok++;
			last_ok = i;
		} else {
			if (!failed++)
				first_err = got >= 10 ? (int)tpm_be32(r + 6) : errno;
		}
	}
	printf("ATOLL-TPM ok=%d failed=%d first_err=%d last_ok=%d", ok, failed,
	       first_err, last_ok);
	second();
}

static void tpm12(void)
{
	static const uint8_t digest[20] = { 'a', 't', 'o', 'l', 'l' };
	struct tpm_buf c;
	uint8_t r[256];

	tpm12_get_random(&c, 16);
	if (transact("random", &c, r, sizeof(r)) == 30)
		hex("random", r + 14, 16);
	tpm12_extend(&c, 16, digest);
	if (transact("extend", &c, r, sizeof(r)) == 30)
		hex("pcr_new", r + 10, 20);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Times n runs of `c`; prints KEY_med_us and KEY_p99_us. */
static void time_cmd(const char *key, const struct tpm_buf *c, int n)
{
	static uint64_t t[10000];
	uint8_t r[256];

	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		if (!transact(key, c, r, sizeof(r)))
			return;
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)n, sizeof(t[0]), cmp_u64);
	printf(" %s_med_us=%llu %s_p99_us=%llu", key,
	       (unsigned long long)(t[n / 2] / 1000), key,
	       (unsigned long long)(t[n * 99 / 100] / 1000));
}

static void bench(int n)
{
	static const uint8_t digest[32] = { 'b' };
	struct tpm_buf c;

	if (n < 1 || n > 10000)
		n = 100;
	printf(" runs=%d", n);
	tpm2_get_random(&c, 16);
	time_cmd("getrandom", &c, n);
	tpm2_pcr_extend(&c, 16, digest);
	time_cmd("extend", &c, n);
}

int main(int argc, char **argv)
{
	if (argc == 3) {
		fd = open("/dev/tpm0", O_RDWR);
		if (fd < 0) {
			perror("/dev/tpm0");
			return 1;
		}
		printf("ATOLL-TPM mode=%s", argv[1]);
		if (!strcmp(argv[1], "loop"))
			loop(atoi(argv[2]));
		else
			bench(atoi(argv[2]));
		printf("\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: guest-tpm first|second|tpm12|loop N|bench N\n");
		return 2;
	}
	fd = open("/dev/tpm0", O_RDWR);
	if (fd < 0) {
		perror("/dev/tpm0");
		return 1;
	}
	printf("ATOLL-TPM mode=%s", argv[1]);
	if (!strcmp(argv[1], "first"))
		first();
	else if (!strcmp(argv[1], "second"))
		second();
	else
		tpm12();
	printf("\n");
	return 0;
}
