/* Benchmark: double-precision multiply-add, divide, convert. */
#include "rvt.h"
TEST_BEGIN
	li s0, 10000000
	li t0, 0x3ff0000000000000
	fmv.d.x f0, t0		/* 1.0 */
	li t0, 0x3ff0000010000000
	fmv.d.x f1, t0
	fmv.d.x f2, zero
	li t0, 0x4000000000000000
	fmv.d.x f3, t0		/* 2.0 */
1:	fmadd.d f2, f1, f0, f2
	fmul.d f4, f2, f1
	fdiv.d f5, f4, f3
	fadd.d f2, f2, f5
	fcvt.l.d a0, f2, rtz
	fsub.d f2, f2, f0
	fmin.d f2, f2, f3
	addi s0, s0, -1
	bnez s0, 1b
TEST_END
