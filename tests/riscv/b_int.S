/* Benchmark: integer ALU and multiply in a tight loop. */
#include "rvt.h"
TEST_BEGIN
	li s0, 15000000
	li a0, 0x12345678
	li a1, 0x9abcdef
1:	xor a2, a0, a1
	slli a3, a2, 3
	add a0, a0, a3
	srli a4, a0, 7
	mul a1, a1, a4
	addi a1, a1, 17
	sub a0, a0, a1
	addiw a5, a0, 1
	or a1, a1, a5
	addi s0, s0, -1
	bnez s0, 1b
TEST_END
