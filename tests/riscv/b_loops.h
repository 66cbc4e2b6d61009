/* SPDX-License-Identifier: MIT */
/*
 * The benchmark loops, one copy for riscv-bench (tests/riscv/b_*.S, short
 * runs in-process) and bench-rv-bare (tests/bench/rv/bm-*.S, seconds
 * under atoll-cpu and QEMU). Each macro runs `rounds` rounds and leaves a
 * checksum in a0; tests/bench/rv/native.c does the same work in C and
 * must reach the same checksum, so change both together.
 * Only a*, t* and ra are written (ra is put back), and f0-f5 by B_FP, so
 * a macro is also a C-ABI function body.
 */
#ifndef B_LOOPS_H
#define B_LOOPS_H

/* Integer ALU and multiply: 11 instructions a round, one serial chain
 * through a mul. */
.macro B_INT rounds
	li t0, \rounds
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
.endm

/* Memory: load, add, store over the 64 KiB buffer at buf (4 KiB
 * aligned), `passes` times; the checksum is the running sum. */
.macro B_MEM passes, buf
	la a6, \buf
	li t1, \passes
	li a5, 0
1:	mv a0, a6
	li t0, 65536
	add a1, a6, t0
2:	ld a3, 0(a0)
	add a5, a5, a3
	addi a3, a3, 1
	sd a3, 0(a0)
	lw a4, 4(a0)
	add a5, a5, a4
	sb a4, 7(a0)
	addi a0, a0, 8
	bltu a0, a1, 2b
	addi t1, t1, -1
	bnez t1, 1b
	mv a0, a5
.endm

/* Branches: data-dependent branches and a call driven by an LCG. */
.macro B_BRANCH rounds
	mv t3, ra
	li t0, \rounds
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
	jal ra, 5f
3:	blt a1, a3, 4f
	addi a3, a3, -1
4:	addi t0, t0, -1
	bnez t0, 1b
	xor a0, a0, a3
	mv ra, t3
	j 6f
5:	addi a3, a3, 3	/* the callee */
	ret
6:
.endm

/* Double precision: multiply-add, divide, convert, min; the checksum
 * holds the bits of the result, the sum of the conversions and fflags,
 * so a rounding or flag difference changes it. */
.macro B_FP rounds
	li t0, \rounds
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
.endm

#endif
