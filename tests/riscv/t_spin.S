/* Spin-wait hints: 6400 back-to-back pauses are one run (100 host yields,
 * one per 64), 100 pauses each after 1200 other instructions are 100 runs
 * of one (no yield), and 6400 WFIs that complete at once because a masked
 * interrupt is pending are another run (100 yields): the harness expects
 * exactly 200.  Also: PAUSE is a legal instruction that changes nothing. */
#include "rvt.h"
#define PAUSE .4byte 0x0100000f

TEST_BEGIN
	li a0, 42
	li t0, 6400
1:	PAUSE
	addi t0, t0, -1
	bnez t0, 1b
	CHECK(a0, 42, 1)
	CHECK(s10, -1, 2)	/* no trap: not an illegal instruction */

	li t1, 100
2:	li t0, 600
3:	addi t0, t0, -1
	bnez t0, 3b
	PAUSE
	addi t1, t1, -1
	bnez t1, 2b

	/* MSIP pending and enabled in mie, mstatus.MIE off: never taken */
	li t0, 0x02000000	/* CLINT msip[0] */
	li t1, 1
	sw t1, 0(t0)
	li t1, 8
	csrw mie, t1
	li t1, 6400
4:	wfi
	addi t1, t1, -1
	bnez t1, 4b
	sw zero, 0(t0)
	csrw mie, zero
	CHECK(s10, -1, 3)
TEST_END
