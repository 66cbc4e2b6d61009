/* Benchmark: copy and checksum a 64 KiB buffer repeatedly. */
#include "rvt.h"
TEST_BEGIN
	la s1, buf
	li s0, 3000
	li a5, 0
1:	mv a0, s1
	li t0, 65536
	add a1, s1, t0
	add a2, a1, zero
2:	ld a3, 0(a0)
	add a5, a5, a3
	addi a3, a3, 1
	sd a3, 0(a0)
	lw a4, 4(a0)
	add a5, a5, a4
	sb a4, 7(a0)
	addi a0, a0, 8
	bltu a0, a1, 2b
	addi s0, s0, -1
	bnez s0, 1b
TEST_END
	.data
	.align 12
buf:	.skip 65536
