/* SPDX-License-Identifier: MIT */
/* Guest RAM and the scanout memory for driving dev-gpu's command set
 * (gpu.h) without a guest: the unit test and the fuzzer. */
#ifndef ATOLL_TEST_GPU_FAKE_H
#define ATOLL_TEST_GPU_FAKE_H

#include <string.h>

#include "gpu.h"
#include "scanout.h"

#define FAKE_BASE 0x80000000ull
#define FAKE_RAM (1u << 20)

struct fake {
	uint8_t ram[FAKE_RAM];
	uint8_t scanout[SCANOUT_PIXELS_OFFSET + 64 * 64 * 4];
};

static inline bool fake_ok(void *o, uint64_t gpa, uint64_t len)
{
	(void)o;
	return len && gpa >= FAKE_BASE && gpa - FAKE_BASE <= FAKE_RAM &&
	       len <= FAKE_RAM - (gpa - FAKE_BASE);
}

static inline int fake_read(void *o, uint64_t gpa, void *dst, size_t len)
{
	struct fake *f = o;

	if (!fake_ok(o, gpa, len))
		return -14;   /* -EFAULT */
	memcpy(dst, f->ram + (gpa - FAKE_BASE), len);
	return 0;
}

static const struct gpu_mem_ops fake_mem = { fake_ok, fake_read };

static inline struct gpu *fake_gpu(struct fake *f, uint64_t budget)
{
	return gpu_new(&(struct gpu_config){
		.width = 1024, .height = 768, .mem_budget = budget,
		.scanout = f->scanout, .scanout_size = sizeof(f->scanout),
		.mem = &fake_mem, .mem_opaque = f,
	});
}

#endif
