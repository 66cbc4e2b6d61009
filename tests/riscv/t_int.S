/* RV64IM(C) arithmetic, branches, loads/stores incl. misaligned, CSRs. */
#include "rvt.h"
TEST_BEGIN
	li a0, 7
	li a1, -3
	add a2, a0, a1
	CHECK(a2, 4, 1)
	sub a2, a1, a0
	CHECK(a2, -10, 2)
	mul a2, a0, a1
	CHECK(a2, -21, 3)
	div a2, a0, a1
	CHECK(a2, -2, 4)
	rem a2, a0, a1
	CHECK(a2, 1, 5)
	divu a2, a0, zero
	CHECK(a2, -1, 6)
	rem a2, a0, zero
	CHECK(a2, 7, 7)
	li a3, 0x8000000000000000
	li a4, -1
	div a2, a3, a4
	CHECKR(a2, a3, 8)
	rem a2, a3, a4
	CHECK(a2, 0, 9)
	mulh a2, a3, a3
	CHECK(a2, 0x4000000000000000, 10)
	mulhu a2, a4, a4
	CHECK(a2, -2, 11)
	mulhsu a2, a4, a4
	CHECK(a2, -1, 12)
	li a5, 0x7fffffff
	addiw a2, a5, 1
	CHECK(a2, -2147483648, 13)
	li a5, 0xffffffff80000000
	li a6, -1
	divw a2, a5, a6
	CHECKR(a2, a5, 14)
	divuw a2, a5, a6
	CHECK(a2, 0, 15)
	remuw a2, a5, zero
	CHECKR(a2, a5, 16)
	sraiw a2, a5, 4
	CHECK(a2, 0xfffffffff8000000, 17)
	srliw a2, a5, 4
	CHECK(a2, 0x08000000, 18)
	sra a2, a3, a0
	CHECK(a2, 0xff00000000000000, 19)
	slt a2, a1, a0
	CHECK(a2, 1, 20)
	sltu a2, a1, a0
	CHECK(a2, 0, 21)
	/* compressed forms (assembler picks c.* with rv64gc) */
	c.li a0, 5
	c.addi a0, -1
	c.slli a0, 3
	CHECK(a0, 32, 22)
	c.mv a1, a0
	c.add a1, a0
	CHECK(a1, 64, 23)
	c.srai a1, 2
	c.andi a1, 0x1c
	CHECK(a1, 16, 24)
	c.lui a2, 0x1f
	CHECK(a2, 0x1f000, 25)
	/* loads/stores, sign extension, misaligned (handled transparently) */
	la s0, data
	li a0, 0x8877665544332211
	sd a0, 0(s0)
	lb a1, 7(s0)
	CHECK(a1, 0xffffffffffffff88, 26)
	lhu a1, 6(s0)
	CHECK(a1, 0x8877, 27)
	lw a1, 4(s0)
	CHECK(a1, 0xffffffff88776655, 28)
	lwu a1, 4(s0)
	CHECK(a1, 0x88776655, 29)
	ld a1, 1(s0)
	li a2, 0x0088776655443322
	li t4, 30
	srli a1, a1, 0
	slli a1, a1, 8
	srli a1, a1, 8
	bne a1, a2, fail
	sw a0, 3(s0)
	lw a1, 3(s0)
	CHECK(a1, 0x44332211, 31)
	/* a misaligned doubleword across a page boundary */
	la s1, data + 4096 - 3
	sd a0, 0(s1)
	ld a1, 0(s1)
	CHECKR(a1, a0, 32)
	/* jal/jalr link values */
	jal ra, 1f
	j fail
1:	la a2, 1f
	jalr ra, 0(a2)
1:	la a3, 1b
	CHECKR(ra, a3, 33)
	/* CSR: mscratch swap, misa, mhartid */
	li a0, 0x1234
	csrrw a1, mscratch, a0
	csrrs a1, mscratch, zero
	CHECK(a1, 0x1234, 34)
	csrrci a1, mscratch, 4
	csrr a1, mscratch
	CHECK(a1, 0x1230, 35)
	csrr a1, misa
	li a2, 0x800000000014112d
	CHECKR(a1, a2, 36)
	csrr a1, mhartid
	CHECK(a1, 0, 37)
	/* an illegal instruction: mtval holds its bits */
	EXPECT_TRAP(1f)
	.word 0xffffffff
1:	CHECK(s10, 2, 38)
	CHECK(s11, 0xffffffff, 39)
	/* compressed illegal (all zero parcel) */
	EXPECT_TRAP(1f)
	.half 0
	.half 0
1:	CHECK(s10, 2, 40)
	CHECK(s11, 0, 41)
	/* unknown CSR traps */
	EXPECT_TRAP(1f)
	csrr a0, 0x7ff
1:	CHECK(s10, 2, 42)
	/* writing a read-only CSR traps */
	EXPECT_TRAP(1f)
	csrw mhartid, a0
1:	CHECK(s10, 2, 43)
TEST_END
	.data
	.align 12
data:	.skip 8192
