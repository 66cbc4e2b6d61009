/* Sv39 and Sv48: walks, A/D updates, superpages, faults, SUM, MXR, MPRV. */
#include "rvt.h"
#include "rvt-vm.h"
#define MEGA_PA 0x80400000

TEST_BEGIN
	li s7, 0
	PT_BASE				/* identity gigapage, tables */
	li a0, MEGA_PA
	SETPTE(pt_l1, 1, a0, V|R|W|A|D)
	li a0, MEGA_PA + 0x1000
	SETPTE(pt_l1, 2, a0, V|R|W|A|D)	/* misaligned megapage */
	la a0, page_a
	SETPTE(pt_l0, 1, a0, V|R|W)		/* A, D clear */
	la a0, page_b
	SETPTE(pt_l0, 2, a0, V|R|A|D)
	la a0, page_a
	SETPTE(pt_l0, 3, a0, V|R|W|U|A|D)
	la a0, page_b
	SETPTE(pt_l0, 4, a0, V|X|A)
	la a0, page_a
	SETPTE(pt_l0, 6, a0, V|W|A|D)	/* W without R: reserved */
	la a0, page_c
	SETPTE(pt_l0, 7, a0, V|R|X|A)
	/* page_c ends with the low half of addi a0, a0, 1 (0x00150513); the
	 * high half and a ret start page_d, mapped at 0x40008000 later */
	la a0, page_c
	li t0, 0x0513
	li t1, 4094
	add t1, a0, t1
	sh t0, 0(t1)
	la a0, page_d
	li t0, 0x0015
	sh t0, 0(a0)
	li t0, 0x00008067
	sh t0, 2(a0)
	srli t0, t0, 16
	sh t0, 4(a0)
	la a0, page_a
	SETPTE(sv48_root, 0, a0, 0)	/* overwritten below */
	la a0, pt_root
	SETPTE(sv48_root, 0, a0, V)
	SETPTE(sv48_root, 1, a0, V)
	/* values */
	la a0, page_a
	li a1, 0x1111
	sd a1, 0(a0)
	la a0, page_b
	li a1, 0x2222
	sd a1, 0(a0)
	li a0, MEGA_PA
	li a1, 0x3333
	sd a1, 8(a0)
	/* Sv39 on */
	SV39_ON(0)
	GOTO_MODE(1, s39)
s39:
	li s0, 0x40001000
	ld a1, 0(s0)
	CHECK(a1, 0x1111, 1)
	LOADPTE(a2, pt_l0, 1)
	andi a3, a2, A
	CHECK(a3, A, 2)		/* A set by the walk */
	andi a3, a2, D
	CHECK(a3, 0, 3)		/* D still clear after a load */
	sd a1, 8(s0)
	LOADPTE(a2, pt_l0, 1)
	andi a3, a2, D
	CHECK(a3, D, 4)		/* D set by the store */
	/* megapage */
	li s0, 0x40200008
	ld a1, 0(s0)
	CHECK(a1, 0x3333, 5)
	/* misaligned megapage: load page fault */
	li s0, 0x40400000
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 6)
	CHECKR(s11, s0, 7)
	/* store to read-only page: store page fault, tval = va */
	li s0, 0x40002010
	EXPECT_TRAP(1f)
	sd a1, 0(s0)
1:	CHECK(s10, 15, 8)
	CHECKR(s11, s0, 9)
	/* unmapped */
	li s0, 0x40005008
	EXPECT_TRAP(1f)
	lw a1, 0(s0)
1:	CHECK(s10, 13, 10)
	CHECKR(s11, s0, 11)
	/* W without R is reserved */
	li s0, 0x40006000
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 12)
	/* fetch from a non-executable page */
	li s0, 0x40002000
	EXPECT_TRAP(1f)
	jalr s0
1:	CHECK(s10, 12, 13)
	CHECKR(s11, s0, 14)
	/* U page from S: fault unless SUM */
	li s0, 0x40003000
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 15)
	li t0, (1 << 18)
	csrs sstatus, t0
	ld a1, 0(s0)
	CHECK(a1, 0x1111, 16)
	csrc sstatus, t0
	/* execute-only page: load faults unless MXR */
	li s0, 0x40004000
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 17)
	li t0, (1 << 19)
	csrs sstatus, t0
	ld a1, 0(s0)
	CHECK(a1, 0x2222, 18)
	csrc sstatus, t0
	/* non-canonical address */
	li s0, 0x0000004000000000
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 19)
	/* remap va 0x40001000 to page_b; sfence.vma makes it visible */
	la a0, page_b
	SETPTE(pt_l0, 1, a0, V|R|W|A|D)
	sfence.vma
	li s0, 0x40001000
	ld a1, 0(s0)
	CHECK(a1, 0x2222, 20)
	/* misaligned access crossing into an unmapped page faults on the
	 * second page with tval inside it */
	li s0, 0x40004ffc
	li t0, (1 << 19)
	csrs sstatus, t0
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 21)
	csrc sstatus, t0
	/* an instruction straddling into an unmapped page: fetch page fault
	 * on the second half */
	li s0, 0x40007ffe
	EXPECT_TRAP(1f)
	jalr s0
1:	CHECK(s10, 12, 30)
	li t0, 0x40008000
	CHECKR(s11, t0, 31)
	/* map the second page: the straddling instruction runs */
	la a0, page_d
	SETPTE(pt_l0, 8, a0, V|R|X|A)
	sfence.vma
	li a0, 41
	li s0, 0x40007ffe
	jalr s0
	CHECK(a0, 42, 32)
	jalr s0			/* again, now possibly from the block cache */
	CHECK(a0, 43, 33)
	BACK_TO_M(m1)
m1:
	/* MPRV: M-mode loads translated as S */
	li t0, (1 << 17) | (1 << 11)
	csrs mstatus, t0
	li s0, 0x40200008
	ld a1, 0(s0)
	CHECK(a1, 0x3333, 22)
	li t0, (1 << 17)
	csrc mstatus, t0
	/* Sv48 */
	la a0, sv48_root
	srli a0, a0, 12
	li a1, 9 << 60
	or a0, a0, a1
	csrw satp, a0
	csrr a2, satp
	CHECKR(a2, a0, 23)
	sfence.vma
	GOTO_MODE(1, s48)
s48:
	li s0, 0x40200008
	ld a1, 0(s0)
	CHECK(a1, 0x3333, 24)
	li s0, 0x8040001000	/* vpn3 = 1 -> same L2 table */
	ld a1, 0(s0)
	CHECK(a1, 0x2222, 25)
	li s0, 0x10000000000	/* vpn3 = 2: unmapped */
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 26)
	CHECKR(s11, s0, 27)
	li s0, 0x0000800000000000	/* non-canonical for Sv48 */
	EXPECT_TRAP(1f)
	ld a1, 0(s0)
1:	CHECK(s10, 13, 28)
	BACK_TO_M(m2)
m2:
	/* unsupported satp mode (Sv57) leaves satp unchanged */
	csrr a0, satp
	li a1, 10 << 60
	csrw satp, a1
	csrr a2, satp
	CHECKR(a2, a0, 29)
	csrw satp, zero
TEST_END
	.data
	PT_TABLES
sv48_root: .skip 4096
page_a:	.skip 4096
page_b:	.skip 4096
page_c:	.skip 4096
page_d:	.skip 4096
