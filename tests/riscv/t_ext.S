/* External interrupt lines driven by the host (rv_hart_set_irq from another
 * thread): MEIP wakes WFI and is taken in M; SEIP delegated is taken in S. */
#include "rvt.h"
TEST_BEGIN
	la t0, m_irq
	csrw mtvec, t0
	li s5, 0
	li t0, 0x800		/* MEIE */
	csrs mie, t0
	csrsi mstatus, 8
1:	wfi
	beqz s5, 1b
	CHECK(s6, 0x800000000000000b, 1)
	/* SEIP delegated to S, taken while in S with SIE */
	li t0, 0x200
	csrw mideleg, t0
	csrs mie, t0
	la t0, s_irq
	csrw stvec, t0
	li s5, 0
	li t0, 0x2		/* SIE */
	csrs mstatus, t0
	GOTO_MODE(1, s_mode)
s_mode:
	li t0, 1
	la t1, ready
	sd t0, 0(t1)		/* host raises SEIP after seeing this */
2:	beqz s5, 2b
	CHECK(s6, 0x8000000000000009, 2)
	PASS
TEST_END
	.align 2
m_irq:
	csrr s6, mcause
	addi s5, s5, 1
	li t6, 0x800
	csrc mie, t6		/* the line stays high: mask it */
	mret
	.align 2
s_irq:
	csrr s6, scause
	addi s5, s5, 1
	li t6, 0x200
	csrc sie, t6
	sret
	.data
	.align 3
	/* first .data object: RAM + 0x1000 (text is < 4 KiB), read by the test */
	.globl ready
ready:	.dword 0
