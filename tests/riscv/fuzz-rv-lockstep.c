/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as guest code (as fuzz-rv-exec) on the
 * block engine or the jit in lockstep (cpu-server/riscv/lockstep.c): every
 * step is checked against the interpreter, and a difference aborts.  A
 * differential fuzzer for the engines, and a hostile-input test of the
 * lockstep machinery itself (snapshot, store undo, TLB restore).  The
 * first input byte picks the register seed and, in its top bit, the jit
 * (every block translated at once) where the host has one.
 */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "rvharness.h"

#define FUZZ_RAM (1u << 20)
#define FUZZ_CODE_MAX 16384u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rvh t;

	if (size < 2)
		return 0;
	uint8_t cfg = data[0];
	const uint8_t *code = data + 1;
	size_t n = size - 1 > FUZZ_CODE_MAX ? FUZZ_CODE_MAX : size - 1;
	int engine = (cfg & 0x80) && rv_jit_supported() ? RV_ENGINE_JIT :
		     RV_ENGINE_BLOCK;
	setenv("ATOLL_RV_LOCKSTEP", "1", 1);
	setenv("ATOLL_RV_JIT_HOT", "1", 1);
	if (rvh_init_ram(&t, 1, engine, 20000, FUZZ_RAM, 0) < 0)
		return 0;
	for (size_t k = 0; k < FUZZ_RAM; k++)
		t.ram[k] = code[k % n];
	struct rv_hart *h = rv_vm_hart(t.vm, 0);
	/* Interrupts pending, so WFI does not sleep and traps are taken
	 * between steps. */
	rv_clint_write(t.vm, 0x4000, 8, 0);
	rv_clint_write(t.vm, 0, 4, 1);
	rv_hart_set_irq(h, RV_MIP_MEIP | RV_MIP_SEIP, true);
	for (unsigned r = 1; r < 32; r++)
		rv_hart_set_reg(h, r, RVH_RAM_BASE + 8 * r * ((cfg & 0x7f) | 1));
	if (rvh_run(&t) == RV_EXIT_FATAL)
		abort(); /* lockstep printed both states */
	rvh_fini(&t);
	return 0;
}
