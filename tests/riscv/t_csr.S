/* Counters and the debug-trigger probe: minstret/mcycle counts, writes,
 * the user aliases, and Sdtrig's no-trigger answers.  Every engine must
 * give the same values at every instruction (checked absolutely). */
#include "rvt.h"

	.section .text.init
	.globl _start
_start:
	/* From reset: three nops retire, then the reads (a read does not
	 * count the reading instruction). */
	nop
	nop
	nop
	csrr s0, instret
	csrr s1, cycle
	csrr s2, minstret
	/* TEST_BEGIN's body (without its _start) */
	la t0, m_trap
	csrw mtvec, t0
	li t0, (1 << 13)
	csrs mstatus, t0
	PMP_ALLOW_ALL
	li s10, -1
	li s11, -1
	li t4, 0
	CHECK(s0, 3, 1)
	CHECK(s1, 4, 2)
	CHECK(s2, 5, 3)

	/* A write takes precedence over the writer's own increment */
	csrw minstret, zero
	csrr a0, minstret
	CHECK(a0, 0, 4)
	csrw minstret, zero
	nop
	nop
	nop
	csrr a0, minstret
	csrr a1, instret	/* the user alias follows the write */
	CHECK(a0, 3, 5)
	CHECK(a1, 4, 6)
	li a2, 1000000
	csrw mcycle, a2
	csrr a0, mcycle
	csrr a1, cycle
	CHECK(a0, 1000000, 7)
	CHECK(a1, 1000001, 8)
	/* writes wrap: -1 then one instruction reads 0 */
	li a2, -1
	csrw minstret, a2
	csrr a0, minstret
	csrr a1, minstret
	CHECKR(a0, a2, 9)
	CHECK(a1, 0, 10)

	/* ECALL does not retire; the handler's 7 instructions do */
	EXPECT_TRAP(1f)
	li s7, 0
	csrw minstret, zero
	ecall
1:	csrr a0, minstret
	CHECK(a0, 7, 11)
	CHECK(s10, 11, 12)
	/* a faulting load does not retire either */
	EXPECT_TRAP(1f)
	li t0, 0x10
	csrw minstret, zero
	ld a1, 0(t0)
1:	csrr a0, minstret
	CHECK(a0, 7, 13)
	CHECK(s10, 5, 14)
	/* ... while it costs a cycle */
	EXPECT_TRAP(1f)
	li t0, 0x10
	csrw mcycle, zero
	ld a1, 0(t0)
1:	csrr a0, mcycle
	CHECK(a0, 8, 15)
	/* a taken branch in the same block as the read counts too */
	csrw minstret, zero
	li a1, 2
2:	addi a1, a1, -1
	bnez a1, 2b
	csrr a0, minstret
	CHECK(a0, 5, 16)

	/* RV64 has no cycleh/instreth: illegal instruction */
	EXPECT_TRAP(1f)
	csrr a0, 0xc80
1:	CHECK(s10, 2, 17)
	EXPECT_TRAP(1f)
	csrr a0, 0xc82
1:	CHECK(s10, 2, 18)
	/* user counter access from S needs mcounteren */
	csrw mcounteren, zero
	GOTO_MODE(1, s_no_cnt)
s_no_cnt:
	EXPECT_TRAP(1f)
	csrr a0, instret
1:	CHECK(s10, 2, 19)
	BACK_TO_M(m_cnt)
m_cnt:
	li t0, 7
	csrw mcounteren, t0
	GOTO_MODE(1, s_cnt)
s_cnt:
	EXPECT_TRAP(1f)
	li s10, 0
	csrr a0, instret
	csrr a1, instret
1:	CHECK(s10, 0, 20)
	sub a2, a1, a0
	CHECK(a2, 1, 21)
	BACK_TO_M(m_trig)
m_trig:
	/* Sdtrig enumeration: tselect 0 reads back, tinfo 1 = no trigger */
	csrw tselect, zero
	csrr a0, tselect
	CHECK(a0, 0, 22)
	csrr a1, tinfo
	CHECK(a1, 1, 23)
	csrr a2, tdata1
	CHECK(a2, 0, 24)	/* type 0: no trigger */
	li t0, 5
	csrw tselect, t0
	csrr a0, tselect
	CHECK(a0, 0, 25)	/* WARL: only 0 */
	li t0, -1
	csrw tdata1, t0
	csrr a2, tdata1
	CHECK(a2, 0, 26)
	csrw tdata2, t0
	csrr a2, tdata2
	CHECK(a2, 0, 27)
	/* debug-mode CSRs (dcsr) trap outside Debug Mode */
	EXPECT_TRAP(1f)
	csrr a0, 0x7b0
1:	CHECK(s10, 2, 28)
	/* the trigger CSRs are M-mode only */
	GOTO_MODE(1, s_trig)
s_trig:
	EXPECT_TRAP(1f)
	csrr a0, tselect
1:	CHECK(s10, 2, 29)
	BACK_TO_M(m_end)
m_end:
TEST_END
