/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as guest code at the start of RAM, run
 * for a bounded number of instructions on every engine.  Guest code is
 * hostile input to the core: with ASan/UBSan this finds out-of-bounds host
 * accesses, undefined behaviour and hangs in decode, translation, traps,
 * CSRs, FP and the block cache.  The first input byte picks the start
 * privilege and whether traps vector back into the code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rvharness.h"

#define FUZZ_RAM (1u << 20)
#define FUZZ_CODE_MAX 16384u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const uint8_t *code, size_t n, uint8_t cfg, int engine)
{
	struct rvh t;
	if (rvh_init_ram(&t, 1, engine, 20000, FUZZ_RAM, 0) < 0)
		return;
	/* the input repeated over RAM: page walks and loads find its bytes
	 * (copied in doubling runs: a byte loop dominated the run time) */
	memcpy(t.ram, code, n);
	for (size_t have = n; have < FUZZ_RAM; have *= 2)
		memcpy(t.ram + have, t.ram,
		       have < FUZZ_RAM - have ? have : FUZZ_RAM - have);
	struct rv_hart *h = rv_vm_hart(t.vm, 0);
	/* Every interrupt line pending, so WFI never sleeps for long. */
	rv_clint_write(t.vm, 0x4000, 8, 0);
	rv_clint_write(t.vm, 0, 4, 1);
	rv_hart_set_irq(h, RV_MIP_MEIP | RV_MIP_SEIP, true);
	for (unsigned r = 1; r < 32; r++)
		rv_hart_set_reg(h, r, RVH_RAM_BASE + 8 * r * (cfg | 1));
	rvh_run(&t);
	rvh_fini(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t cfg = data[0];
	size_t n = size - 1 > FUZZ_CODE_MAX ? FUZZ_CODE_MAX : size - 1;
	run(data + 1, n, cfg, RV_ENGINE_INTERP);
	run(data + 1, n, cfg, RV_ENGINE_BLOCK);
	if (rv_jit_supported()) {
		/* every block translated at its first run */
		setenv("ATOLL_RV_JIT_HOT", "1", 1);
		run(data + 1, n, cfg, RV_ENGINE_JIT);
	}
	return 0;
}
