/* CLINT: mtime, mtimecmp timer interrupt through WFI, msip software IRQ. */
#include "rvt.h"
#define CLINT 0x02000000
#define MTIMECMP (CLINT + 0x4000)
#define MTIME (CLINT + 0xbff8)
TEST_BEGIN
	la t0, irq
	csrw mtvec, t0
	li s5, 0
	li s6, 0
	/* mtime advances */
	li s0, MTIME
	ld a0, 0(s0)
	li t0, 1000
1:	addi t0, t0, -1
	bnez t0, 1b
	ld a1, 0(s0)
	li t4, 1
	bgeu a0, a1, fail
	rdtime a2		/* time CSR tracks mtime */
	li t4, 2
	bltu a2, a1, fail
	/* a timer interrupt 2 ms ahead, waited for with WFI */
	ld a0, 0(s0)
	li t0, 20000
	add s2, a0, t0
	li s1, MTIMECMP
	sd s2, 0(s1)
	li t0, 0x80
	csrs mie, t0
	csrsi mstatus, 8
	/* s5 first: on a busy host the interrupt may come before the WFI
	 * (its handler sets mtimecmp to -1, so a WFI after it sleeps on) */
2:	bnez s5, 3f
	wfi
	j 2b
3:	CHECK(s5, 1, 3)
	CHECK(s6, 0x8000000000000007, 4)
	ld a1, 0(s0)
	li t4, 5
	bltu a1, s2, fail	/* not woken early */
	/* with MIE = 0, WFI still returns when MTIP is pending */
	csrci mstatus, 8
	ld a0, 0(s0)
	addi a0, a0, 1000
	sd a0, 0(s1)
	wfi
	csrr a2, mip
	andi a2, a2, 0x80
	CHECK(a2, 0x80, 6)
	li t0, -1
	sd t0, 0(s1)		/* MTIP drops at once */
	csrr a2, mip
	andi a2, a2, 0x80
	CHECK(a2, 0, 7)
	/* software interrupt through msip */
	li t0, 0x80
	csrc mie, t0
	li t0, 0x8
	csrs mie, t0
	csrsi mstatus, 8
	li s5, 0
	li t0, 1
	li t1, CLINT
	sw t0, 0(t1)
	li t0, 100000		/* delivered at the next block boundary */
3:	bnez s5, 4f
	addi t0, t0, -1
	bnez t0, 3b
4:	CHECK(s5, 1, 8)
	CHECK(s6, 0x8000000000000003, 9)
	csrci mstatus, 8
TEST_END
	.align 2
irq:
	csrr s6, mcause
	addi s5, s5, 1
	li t6, 0x8000000000000007
	bne s6, t6, 1f
	li t6, MTIMECMP
	li t5, -1
	sd t5, 0(t6)
	mret
1:	li t6, CLINT
	sw zero, 0(t6)
	mret
