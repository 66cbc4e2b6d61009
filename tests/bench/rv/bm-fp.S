/* SPDX-License-Identifier: MIT */
/* Double precision: the loop of tests/riscv/b_fp.S
 * (tests/riscv/b_loops.h), 108M rounds; the checksum holds the result's
 * bits, the conversions and fflags. */
#include "b_loops.h"
	.section .rodata
	.globl bench_name
bench_name: .asciz "fp"
	.text
	.globl bench_work
bench_work:
	B_FP 108000000
	ret
