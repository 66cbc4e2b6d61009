/* SPDX-License-Identifier: MIT */
/* Integer ALU and multiply: the loop of tests/riscv/b_int.S
 * (tests/riscv/b_loops.h), 400M rounds. */
#include "b_loops.h"
	.section .rodata
	.globl bench_name
bench_name: .asciz "int"
	.text
	.globl bench_work
bench_work:
	B_INT 400000000
	ret
