/*
 * Code changed behind the core's back (as device DMA would) becomes
 * visible after fence.i: the test harness rewrites `patch` from another
 * thread while this loop runs; only fence.i makes the block engine see it.
 */
#include "rvt.h"
TEST_BEGIN
	li s1, 20000000
1:	jal ra, patch
	li t0, 2
	beq a0, t0, 2f
	fence.i
	addi s1, s1, -1
	bnez s1, 1b
	li t4, 1
	j fail
2:
TEST_END
	.option push
	.option norvc
	.balign 2048		/* patch is at RAM + 0x800, known to the test */
patch:
	addi a0, zero, 1
	ret
	.option pop
