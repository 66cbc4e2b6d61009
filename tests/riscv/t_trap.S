/* Privileged architecture: ecall/ebreak, delegation, xRET, CSR access. */
#include "rvt.h"
#define MS_MPIE (1 << 7)
#define MS_SPIE (1 << 5)
#define MS_TVM (1 << 20)
#define MS_TW (1 << 21)
#define MS_TSR (1 << 22)
TEST_BEGIN
	li s7, 0
	la t0, s_trap
	csrw stvec, t0
	/* 1: ecall from M */
	EXPECT_TRAP(1f)
	ecall
1:	CHECK(s10, 11, 1)
	/* 2: ebreak, mtval = pc */
	EXPECT_TRAP(1f)
2:	ebreak
1:	CHECK(s10, 3, 2)
	la t0, 2b
	CHECKR(s11, t0, 3)
	/* 4: mret to S with MPIE=1: MIE restored, then ecall from S -> M */
	li t0, MS_MPIE
	csrs mstatus, t0
	GOTO_MODE(1, s_mode1)
s_mode1:
	EXPECT_TRAP(1f)
	ecall
1:	CHECK(s10, 9, 4)
	/* at trap: MPP = S, MPIE = MIE(1, restored by mret) */
	srli t0, s8, 11
	andi t0, t0, 3
	CHECK(t0, 1, 5)
	andi t0, s8, MS_MPIE
	CHECK(t0, MS_MPIE, 6)
	/* 7: S mode may not read mstatus */
	EXPECT_TRAP(1f)
	csrr a0, mstatus
1:	CHECK(s10, 2, 7)
	/* 8: rdcycle from S with mcounteren = 0 is illegal */
	EXPECT_TRAP(1f)
	rdcycle a0
1:	CHECK(s10, 2, 8)
	BACK_TO_M(m_mode1)
m_mode1:
	csrr a0, mstatus	/* legal again: we are in M */
	li t0, 7
	csrw mcounteren, t0
	/* delegate U ecall and illegal-instruction to S */
	li t0, (1 << 8) | (1 << 2)
	csrw medeleg, t0
	GOTO_MODE(1, s_mode2)
s_mode2:
	rdtime a0		/* 9: allowed now */
	/* S -> U with sret: SPP=U, SPIE=1 */
	li t0, 0x100
	csrc sstatus, t0
	li t0, MS_SPIE
	csrs sstatus, t0
	la t0, u_mode1
	csrw sepc, t0
	sret
u_mode1:
	EXPECT_TRAP(1f)
	ecall			/* delegated: S handler */
1:	CHECK(s10, 8, 10)
	andi t0, s8, 0x100	/* SPP = U */
	CHECK(t0, 0, 11)
	andi t0, s8, MS_SPIE	/* SPIE = SIE at trap (restored 1) */
	CHECK(t0, MS_SPIE, 12)
	/* 13: illegal in U, delegated, stval = bits */
	EXPECT_TRAP(1f)
	csrr a0, sstatus
1:	CHECK(s10, 2, 13)
	li t0, 0x10002573	/* csrr a0, sstatus */
	CHECKR(s11, t0, 14)
	/* 15: counters from U need scounteren */
	EXPECT_TRAP(1f)
	rdcycle a0
1:	CHECK(s10, 2, 15)
	/* 16: wfi in U is illegal */
	EXPECT_TRAP(1f)
	wfi
1:	CHECK(s10, 2, 16)
	/* back to M: clear delegation of ecall-from-U first needs M; an
	 * ebreak is not delegated and reaches M */
	li s7, 1
	la s9, m_mode2
	ebreak
m_mode2:
	CHECK(s10, 3, 17)
	csrw medeleg, zero
	/* 18..20: TSR, TVM, TW make S-mode sret/satp/wfi illegal */
	li t0, MS_TSR | MS_TVM | MS_TW
	csrs mstatus, t0
	GOTO_MODE(1, s_mode3)
s_mode3:
	EXPECT_TRAP(1f)
	sret
1:	CHECK(s10, 2, 18)
	EXPECT_TRAP(1f)
	csrw satp, zero
1:	CHECK(s10, 2, 19)
	EXPECT_TRAP(1f)
	wfi
1:	CHECK(s10, 2, 20)
	EXPECT_TRAP(1f)
	sfence.vma
1:	CHECK(s10, 2, 21)
	BACK_TO_M(m_mode3)
m_mode3:
	li t0, MS_TSR | MS_TVM | MS_TW
	csrc mstatus, t0
	/* 22: FS=Off makes FP instructions and fcsr illegal, mtval = bits */
	li t0, (3 << 13)
	csrc mstatus, t0
	EXPECT_TRAP(1f)
2:	fadd.d f1, f2, f3
1:	CHECK(s10, 2, 22)
	la t0, 2b
	lwu t0, 0(t0)
	CHECKR(s11, t0, 23)
	EXPECT_TRAP(1f)
	csrr a0, fcsr
1:	CHECK(s10, 2, 24)
	/* 25: FS=Initial, an FP write makes it Dirty and sets SD */
	li t0, (1 << 13)
	csrs mstatus, t0
	fmv.d.x f1, zero
	csrr a0, mstatus
	srli a1, a0, 13
	andi a1, a1, 3
	CHECK(a1, 3, 25)
	srli a1, a0, 63
	CHECK(a1, 1, 26)
	/* 27: vectored stvec, delegated SSIP taken in U at base + 4*1 */
	li t0, 2
	csrw mideleg, t0
	csrs mie, t0
	la t0, s_vec
	ori t0, t0, 1
	csrw stvec, t0
	li a5, 0
	li t0, 2
	csrs mip, t0		/* SSIP pending, taken once we are in U */
	la s9, u_back
	GOTO_MODE(0, u_mode2)
u_mode2:
	nop
	j fail
u_back:	CHECK(a5, 1, 27)
	li t0, 0x8000000000000001
	CHECKR(s10, t0, 28)
	/* 29: mret from M to M (MPP=M) leaves MPRV; mepc bit 0 cleared */
	BACK_TO_M(m_mode4)
m_mode4:
	li t0, 0x80000003
	csrw mepc, t0
	csrr a0, mepc
	CHECK(a0, 0x80000002, 29)
	/* 30: MPP=2 (reserved) reads back as a legal value */
	li t0, 0x1000
	csrc mstatus, t0
	li t0, 0x1000
	csrs mstatus, t0
	csrr a0, mstatus
	srli a0, a0, 11
	andi a0, a0, 3
	li t4, 30
	li t5, 2
	beq a0, t5, fail
TEST_END
	.align 6
	.option push
	.option norvc
s_vec:
	j fail			/* 0: exceptions not expected here */
	j s_ssi			/* 1: SSI */
	j fail
	.option pop
s_ssi:
	li a5, 1
	csrr s10, scause
	li t0, 2
	csrc sip, t0
	csrw sepc, s9
	sret
