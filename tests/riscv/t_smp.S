/* Two harts on two host threads: amoadd and LR/SC increments sum exactly. */
#include "rvt.h"
#define N 200000
TEST_BEGIN
	csrr s0, mhartid
	la s1, counters
	li s2, N
	li a1, 1
1:	amoadd.d zero, a1, 0(s1)
	addi s2, s2, -1
	bnez s2, 1b
	li s2, N
	addi s3, s1, 8
2:	lr.d a2, (s3)
	addi a2, a2, 1
	sc.d a3, a2, (s3)
	bnez a3, 2b
	addi s2, s2, -1
	bnez s2, 2b
	/* 32-bit LR/SC in the same word pair */
	li s2, N
	addi s4, s1, 16
3:	lr.w a2, (s4)
	addi a2, a2, 1
	sc.w a3, a2, (s4)
	bnez a3, 3b
	addi s2, s2, -1
	bnez s2, 3b
	addi s5, s1, 24
	amoadd.d zero, a1, (s5)
	bnez s0, park
4:	ld a0, 24(s1)
	li t0, 2
	bne a0, t0, 4b
	ld a0, 0(s1)
	CHECK(a0, 2 * N, 1)
	ld a0, 8(s1)
	CHECK(a0, 2 * N, 2)
	lw a0, 16(s1)
	CHECK(a0, 2 * N, 3)
	j 5f
park:	wfi
	j park
5:
TEST_END
	.data
	.align 6
counters: .skip 64
