/* SPDX-License-Identifier: MIT */
/* Branches: data-dependent branches and a call driven by an LCG (the loop
 * of tests/riscv/b_branch.S), 120M rounds. */
	.section .rodata
	.globl bench_name
bench_name: .asciz "branch"
	.text
	.globl bench_work
bench_work:
	mv t3, ra
	li t0, 120000000
	li a0, 1
	li a6, 6364136223846793005
	li a7, 1442695040888963407
	li a3, 0
1:	mul a0, a0, a6
	add a0, a0, a7
	srli a1, a0, 60
	andi a2, a1, 1
	beqz a2, 2f
	addi a3, a3, 1
	j 3f
2:	andi a2, a1, 2
	bnez a2, 3f
	jal ra, leaf
3:	blt a1, a3, 4f
	addi a3, a3, -1
4:	addi t0, t0, -1
	bnez t0, 1b
	xor a0, a0, a3
	mv ra, t3
	ret
leaf:	addi a3, a3, 3
	ret
