/* A timer interrupt reaches a hart spinning in loops that never leave
 * the engine (no CSR, MMIO or WFI inside): a block branching to itself,
 * then two blocks branching to each other.  The jit must check the
 * timer in chained native code, not only between dispatches: the
 * interrupt must come while the loop still counts (t0 != 0), not when it
 * ends. */
#include "rvt.h"
#define CLINT 0x02000000
#define MTIMECMP (CLINT + 0x4000)
#define MTIME (CLINT + 0xbff8)
TEST_BEGIN
	la t0, irq
	csrw mtvec, t0
	li s0, MTIME
	li s1, MTIMECMP
	li t0, 0x80
	csrs mie, t0
	/* a block that jumps to its own start */
	li s5, 0
	li s6, 0
	ld a0, 0(s0)
	addi a0, a0, 100	/* 10 us ahead */
	sd a0, 0(s1)
	li t0, 5000000
	csrsi mstatus, 8
1:	addi t0, t0, -1
	bnez t0, 1b
	csrci mstatus, 8
	CHECK(s5, 1, 1)
	li t4, 3
	beqz s6, fail		/* taken only once the loop was over */
	/* two blocks chained to each other */
	li s5, 0
	li s6, 0
	ld a0, 0(s0)
	addi a0, a0, 100
	sd a0, 0(s1)
	li t0, 5000000
	csrsi mstatus, 8
2:	addi t0, t0, -1
	beqz t0, 3f
	addi t1, t1, 1
	j 2b
3:	csrci mstatus, 8
	CHECK(s5, 1, 2)
	li t4, 4
	beqz s6, fail
TEST_END
	.align 2
irq:
	addi s5, s5, 1
	mv s6, t0		/* the loop count left */
	li t6, MTIMECMP
	li t5, -1
	sd t5, 0(t6)
	mret
