/* SPDX-License-Identifier: MIT */
/* Branches: the loop of tests/riscv/b_branch.S
 * (tests/riscv/b_loops.h), 120M rounds. */
#include "b_loops.h"
	.section .rodata
	.globl bench_name
bench_name: .asciz "branch"
	.text
	.globl bench_work
bench_work:
	B_BRANCH 120000000
	ret
