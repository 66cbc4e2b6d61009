/* SPDX-License-Identifier: MIT */
/* Double precision: multiply-add, divide, convert, min (the loop of
 * tests/riscv/b_fp.S), 36M rounds; returns the bits of the result and the
 * last conversion, so a rounding difference changes the checksum. */
	.section .rodata
	.globl bench_name
bench_name: .asciz "fp"
	.text
	.globl bench_work
bench_work:
	li t0, 36000000
	li t1, 0x3ff0000000000000
	fmv.d.x f0, t1		/* 1.0 */
	li t1, 0x3ff0000010000000
	fmv.d.x f1, t1
	fmv.d.x f2, zero
	li t1, 0x4000000000000000
	fmv.d.x f3, t1		/* 2.0 */
	li a1, 0
1:	fmadd.d f2, f1, f0, f2
	fmul.d f4, f2, f1
	fdiv.d f5, f4, f3
	fadd.d f2, f2, f5
	fcvt.l.d a0, f2, rtz
	fsub.d f2, f2, f0
	fmin.d f2, f2, f3
	add a1, a1, a0
	addi t0, t0, -1
	bnez t0, 1b
	fmv.x.d a0, f2
	slli a1, a1, 1
	xor a0, a0, a1
	frflags a1
	xor a0, a0, a1
	ret
