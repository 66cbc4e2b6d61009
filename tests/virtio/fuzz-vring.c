/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the split-ring walker on arbitrary guest memory. The
 * input is the guest RAM (descriptor table, avail ring, indirect tables,
 * all at once); the first bytes pick the queue size and where the device
 * resumes, and whether it resumes from an in-flight log, whose bytes are
 * the input's RAM at 0x3000 (a log left by a compromised device: its
 * flags, counters and indices are hostile too). Every iov the walker
 * returns must lie inside RAM, and every head it hands out must be in
 * range and not already in flight.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmem.h"
#include "vring.h"

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x4000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const uint8_t *ram, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (b < ram || b + len > ram + RAM_SIZE || len == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
	static uint8_t log[4096] __attribute__((aligned(64)));
	struct iovec iov[32];
	struct vq_elem e = { .iov = iov, .max_iov = 32 };
	struct vmem mem;
	struct vq_mem vqm = { vmem_map_cb, &mem, NULL, NULL };
	struct vq vq;
	unsigned qsize;
	uint16_t last;

	if (size < 4)
		return 0;
	qsize = 1u << (data[0] % 7);              /* 1..64 */
	last = (uint16_t)(data[1] | data[2] << 8);
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + 3, size - 3 < RAM_SIZE ? size - 3 : RAM_SIZE);
	vmem_init(&mem);
	vmem_add_host(&mem, ram, RAM_BASE, RAM_SIZE, false);
	/* desc at 0, avail at 0x1000, used at 0x2000 (the fuzzer owns the
	 * first two; the used ring is ours). */
	if (vq_init(&vq, &vqm, "fuzz", qsize, RAM_BASE, RAM_BASE + 0x1000,
		    RAM_BASE + 0x2000, last, data[0] & 0x80) < 0)
		abort();
	if (data[0] & 0x40) {
		/* 64 + 16 * 64 bytes at most: inside RAM's last 4 KiB. */
		memcpy(log, ram + 0x3000, sizeof(log));
		if (data[0] & 0x20)
			memset(log, 0, sizeof(log));    /* a fresh log */
		if (vq_attach_log(&vq, log, vq_log_bytes(qsize)) > (int)qsize)
			abort();
	}
	for (unsigned n = 0; n < 2 * qsize + 4; n++) {
		int rc = vq_pop(&vq, &e);

		if (rc <= 0)
			break;
		if (e.head >= qsize || e.n_out + e.n_in > e.max_iov ||
		    vq.inflight != 1)
			abort();
		for (unsigned i = 0; i < e.n_out + e.n_in; i++)
			check_inside(ram, iov[i].iov_base, iov[i].iov_len);
		if (e.footer)
			check_inside(ram, e.footer, 1);
		vq_push(&vq, e.head, 0);
	}
	vq_publish(&vq);
	vq_need_notify(&vq);
	vq_arm_kick(&vq);
	if (vq.inflight != 0)
		abort();
	vq_fini(&vq);
	return 0;
}
