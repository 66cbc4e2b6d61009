/* A extension: AMOs, LR/SC success and failure, misaligned traps. */
#include "rvt.h"
TEST_BEGIN
	la s0, mem
	li a0, 5
	sd a0, 0(s0)
	li a1, 3
	amoadd.d a2, a1, (s0)
	CHECK(a2, 5, 1)
	ld a2, 0(s0)
	CHECK(a2, 8, 2)
	li a1, 0xffffffff
	sw a1, 8(s0)
	li a1, 1
	addi s2, s0, 8
	amoadd.w a2, a1, (s2)	/* returns old value sign-extended */
	CHECK(a2, -1, 3)
	lw a2, 8(s0)
	CHECK(a2, 0, 4)
	li a1, -7
	amoswap.d a2, a1, (s0)
	CHECK(a2, 8, 5)
	li a1, 4
	amomin.d a2, a1, (s0)
	ld a2, 0(s0)
	CHECK(a2, -7, 6)
	amominu.d a2, a1, (s0)
	ld a2, 0(s0)
	CHECK(a2, 4, 7)
	li a1, -1
	amomax.d a2, a1, (s0)
	ld a2, 0(s0)
	CHECK(a2, 4, 8)
	amomaxu.d a2, a1, (s0)
	ld a2, 0(s0)
	CHECK(a2, -1, 9)
	li a1, 0x0f0f
	amoand.d a2, a1, (s0)
	amoor.d a2, a1, (s0)
	li a1, 0xff
	amoxor.d a2, a1, (s0)
	ld a2, 0(s0)
	CHECK(a2, 0x0ff0, 10)
	/* 32-bit signed min compares as 32-bit */
	li a1, 0x80000000
	sw zero, 16(s0)
	addi s3, s0, 16
	amomin.w a2, a1, (s3)
	lw a2, 16(s0)
	CHECK(a2, 0xffffffff80000000, 11)
	amomaxu.w a2, zero, (s3)
	lwu a2, 16(s0)
	CHECK(a2, 0x80000000, 12)
	/* LR/SC success */
	lr.d a2, (s0)
	addi a2, a2, 1
	sc.d a3, a2, (s0)
	CHECK(a3, 0, 13)
	ld a2, 0(s0)
	CHECK(a2, 0x0ff1, 14)
	/* SC without a reservation fails (the previous SC consumed it) */
	sc.d a3, a2, (s0)
	CHECK(a3, 1, 15)
	/* SC after an intervening store of a different value fails */
	lr.w a2, (s2)
	li a4, 77
	sw a4, 8(s0)
	sc.w a3, a2, (s2)
	CHECK(a3, 1, 16)
	lw a2, 8(s0)
	CHECK(a2, 77, 17)
	/* SC to another address than the reservation fails */
	lr.d a2, (s0)
	addi s4, s0, 24
	sc.d a3, a2, (s4)
	CHECK(a3, 1, 18)
	/* a trap between LR and SC drops the reservation */
	lr.d a2, (s0)
	EXPECT_TRAP(1f)
	ecall
1:	sc.d a3, a2, (s0)
	CHECK(a3, 1, 19)
	/* misaligned AMO: store/AMO address misaligned, tval = address */
	addi s1, s0, 4
	EXPECT_TRAP(1f)
	amoadd.d a2, a1, (s1)
1:	CHECK(s10, 6, 20)
	CHECKR(s11, s1, 21)
	addi s1, s0, 2
	EXPECT_TRAP(1f)
	lr.w a2, (s1)
1:	CHECK(s10, 4, 22)
	EXPECT_TRAP(1f)
	sc.w a3, a2, (s1)
1:	CHECK(s10, 6, 23)
	/* AMO outside RAM (UART window rejects) : access fault */
	li s1, 0x10000000
	EXPECT_TRAP(1f)
	amoadd.w a2, a1, (s1)
1:	CHECK(s10, 7, 24)
	/* a load from an unmapped physical address: load access fault */
	li s1, 0x40000000
	EXPECT_TRAP(1f)
	ld a2, 0(s1)
1:	CHECK(s10, 5, 25)
	CHECKR(s11, s1, 26)
	/* fetch from unmapped physical address: instruction access fault */
	EXPECT_TRAP(1f)
	jalr s1
1:	CHECK(s10, 1, 27)
TEST_END
	.data
	.align 6
mem:	.skip 64
