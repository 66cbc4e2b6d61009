/* Benchmark: data-dependent branches and calls driven by an LCG. */
#include "rvt.h"
TEST_BEGIN
	li s0, 10000000
	li a0, 1
	li a6, 6364136223846793005
	li a7, 1442695040888963407
	li a3, 0
1:	mul a0, a0, a6
	add a0, a0, a7
	srli a1, a0, 60
	andi a2, a1, 1
	beqz a2, 2f
	addi a3, a3, 1
	j 3f
2:	andi a2, a1, 2
	bnez a2, 3f
	jal ra, leaf
3:	blt a1, a3, 4f
	addi a3, a3, -1
4:	addi s0, s0, -1
	bnez s0, 1b
TEST_END
leaf:	addi a3, a3, 3
	ret
