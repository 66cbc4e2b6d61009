/* WFI for 200 ms of mtime with the timer as the only wake-up source:
 * the test checks the host thread slept instead of spinning. */
#include "rvt.h"
#define CLINT 0x02000000
TEST_BEGIN
	la t0, irq
	csrw mtvec, t0
	li s5, 0
	li s0, CLINT + 0xbff8
	li s1, CLINT + 0x4000
	ld a0, 0(s0)
	li t0, 2000000		/* 200 ms at 10 MHz */
	add s2, a0, t0
	sd s2, 0(s1)
	li t0, 0x80
	csrs mie, t0
	csrsi mstatus, 8
1:	wfi
	beqz s5, 1b
	ld a1, 0(s0)
	li t4, 1
	bltu a1, s2, fail
TEST_END
	.align 2
irq:	addi s5, s5, 1
	li t6, -1
	sd t6, 0(s1)
	mret
