/* PAUSE (Zihintpause) as a spin-wait hint: 6400 back-to-back pauses are
 * one run (the harness expects exactly 100 host yields, one per 64), and
 * 100 pauses each after 1200 other instructions are 100 runs of one
 * (no yield).  Also: PAUSE is a legal instruction that changes nothing. */
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
TEST_END
