/* SPDX-License-Identifier: MIT */
/* Integer ALU and multiply: 11 instructions a round, one serial chain
 * through a mul (the loop of tests/riscv/b_int.S, 400M rounds). */
	.section .rodata
	.globl bench_name
bench_name: .asciz "int"
	.text
	.globl bench_work
bench_work:
	li t0, 400000000
	li a0, 0x12345678
	li a1, 0x9abcdef
1:	xor a2, a0, a1
	slli a3, a2, 3
	add a0, a0, a3
	srli a4, a0, 7
	mul a1, a1, a4
	addi a1, a1, 17
	sub a0, a0, a1
	addiw a5, a0, 1
	or a1, a1, a5
	addi t0, t0, -1
	bnez t0, 1b
	xor a0, a0, a1
	ret
