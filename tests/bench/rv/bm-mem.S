/* SPDX-License-Identifier: MIT */
/* Memory: the loop of tests/riscv/b_mem.S (tests/riscv/b_loops.h), 80000
 * passes over 64 KiB; returns the running sum. */
#include "b_loops.h"
	.section .rodata
	.globl bench_name
bench_name: .asciz "mem"
	.text
	.globl bench_work
bench_work:
	B_MEM 80000, bm_buf
	ret
	.bss
	.align 12
bm_buf:	.skip 65536
