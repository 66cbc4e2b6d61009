/* F and D: rounding modes, flags, NaN boxing, min/max, class, conversions. */
#include "rvt.h"
#define FS(f, v) li t0, v; fmv.w.x f, t0
#define FD(f, v) li t0, v; fmv.d.x f, t0
#define CHKS(f, v, n) fmv.x.w t3, f; slli t3, t3, 32; srli t3, t3, 32; CHECK(t3, v, n)
#define CHKD(f, v, n) fmv.x.d t3, f; CHECK(t3, v, n)
#define CHKFL(v, n) csrrw t3, fflags, zero; CHECK(t3, v, n)
#define ONE 0x3f800000
#define ONEUP 0x3f800001
#define HALFULP 0x33800000
TEST_BEGIN
	/* 94: reset fflags is 0, whatever host flags the thread that runs the
	 * hart had raised (rvharness raises them all before rv_hart_run) */
	csrr a0, fflags
	CHECK(a0, 0, 94)
	csrw fcsr, zero
	/* 1-5: 1 + 2^-24 is a tie between 1 and 1+ulp */
	FS(f1, ONE)
	FS(f2, HALFULP)
	fadd.s f3, f1, f2, rne
	CHKS(f3, ONE, 1)
	fadd.s f3, f1, f2, rtz
	CHKS(f3, ONE, 2)
	fadd.s f3, f1, f2, rdn
	CHKS(f3, ONE, 3)
	fadd.s f3, f1, f2, rup
	CHKS(f3, ONEUP, 4)
	fadd.s f3, f1, f2, rmm
	CHKS(f3, ONEUP, 5)
	CHKFL(1, 6)		/* NX */
	/* 7-8: negative direction */
	fneg.s f4, f1
	fsub.s f3, f4, f2, rdn
	CHKS(f3, 0xbf800001, 7)
	fsub.s f3, f4, f2, rup
	CHKS(f3, 0xbf800000, 8)
	/* 9-18: fcvt.w.s of +-2.5 in each mode */
	FS(f5, 0x40200000)
	fcvt.w.s a0, f5, rne
	CHECK(a0, 2, 9)
	fcvt.w.s a0, f5, rtz
	CHECK(a0, 2, 10)
	fcvt.w.s a0, f5, rdn
	CHECK(a0, 2, 11)
	fcvt.w.s a0, f5, rup
	CHECK(a0, 3, 12)
	fcvt.w.s a0, f5, rmm
	CHECK(a0, 3, 13)
	FS(f5, 0xc0200000)
	fcvt.w.s a0, f5, rne
	CHECK(a0, -2, 14)
	fcvt.w.s a0, f5, rtz
	CHECK(a0, -2, 15)
	fcvt.w.s a0, f5, rdn
	CHECK(a0, -3, 16)
	fcvt.w.s a0, f5, rup
	CHECK(a0, -2, 17)
	fcvt.w.s a0, f5, rmm
	CHECK(a0, -3, 18)
	CHKFL(1, 19)
	/* 20: dynamic rounding mode from frm */
	fsrmi 3			/* RUP */
	fadd.s f3, f1, f2
	CHKS(f3, ONEUP, 20)
	/* 21: frm = 5 makes dynamic-rm instructions illegal */
	fsrmi 5
	EXPECT_TRAP(1f)
	fadd.s f3, f1, f2
1:	CHECK(s10, 2, 21)
	fsrmi 0
	/* 22: static rm = 5 is illegal */
	EXPECT_TRAP(1f)
	.word 0x0020d1d3 | (5 << 12)	/* fadd.s f3, f1, f2, rm=5 */
1:	CHECK(s10, 2, 22)
	csrw fflags, zero
	/* 23-24: division by zero */
	FS(f6, 0)
	fdiv.s f3, f1, f6
	CHKS(f3, 0x7f800000, 23)
	CHKFL(8, 24)
	/* 25-26: 0/0 is invalid with the canonical NaN */
	fdiv.s f3, f6, f6
	CHKS(f3, 0x7fc00000, 25)
	CHKFL(16, 26)
	/* 27-28: overflow */
	FS(f7, 0x7f7fffff)
	fmul.s f3, f7, f7
	CHKS(f3, 0x7f800000, 27)
	CHKFL(5, 28)
	/* 29-30: underflow */
	FS(f7, 0x00800001)
	fmul.s f3, f7, f2
	CHKFL(3, 30)
	/* 31-33: NaN boxing: an unboxed single reads as canonical NaN */
	FD(f8, 0x000000003f800000)
	fadd.s f3, f8, f1
	CHKD(f3, 0xffffffff7fc00000, 31)
	fsgnj.s f3, f8, f8
	CHKD(f3, 0xffffffff7fc00000, 32)
	fmv.x.w a0, f1
	CHECK(a0, ONE, 33)
	csrw fflags, zero
	/* 34-38: fmin/fmax */
	FS(f9, 0x80000000)	/* -0 */
	fmin.s f3, f9, f6
	CHKS(f3, 0x80000000, 34)
	fmax.s f3, f9, f6
	CHKS(f3, 0, 35)
	FS(f10, 0x7fc00000)	/* qNaN */
	fmin.s f3, f10, f1
	CHKS(f3, ONE, 36)
	CHKFL(0, 37)
	FS(f11, 0x7f800001)	/* sNaN */
	fmax.s f3, f1, f11
	CHKS(f3, ONE, 38)
	CHKFL(16, 39)
	fmin.s f3, f10, f11
	CHKS(f3, 0x7fc00000, 40)
	csrw fflags, zero
	/* 41-45: fclass */
	FS(f12, 0xff800000)
	fclass.s a0, f12
	CHECK(a0, 1, 41)
	fclass.s a0, f6
	CHECK(a0, 0x10, 42)
	fclass.s a0, f11
	CHECK(a0, 0x100, 43)
	fclass.s a0, f10
	CHECK(a0, 0x200, 44)
	FD(f13, 0x0000000000000001)
	fclass.d a0, f13
	CHECK(a0, 0x20, 45)
	/* 46-55: saturating conversions */
	FS(f14, 0x4f32d05e)	/* 3e9 */
	fcvt.w.s a0, f14, rtz
	CHECK(a0, 0x7fffffff, 46)
	CHKFL(16, 47)
	fcvt.wu.s a0, f14, rtz
	CHECK(a0, 0xffffffffb2d05e00, 48)	/* 3e9 fits; sign-extended */
	CHKFL(0, 49)
	fcvt.w.s a0, f10, rtz
	CHECK(a0, 0x7fffffff, 50)
	fneg.s f15, f1
	fcvt.wu.s a0, f15, rtz
	CHECK(a0, 0, 51)
	CHKFL(16, 52)
	FS(f15, 0xbecccccd)	/* -0.4 */
	fcvt.wu.s a0, f15, rtz
	CHECK(a0, 0, 53)
	CHKFL(1, 54)
	FD(f16, 0x43e158e460913d00)	/* 1e19 */
	fcvt.l.d a0, f16, rtz
	CHECK(a0, 0x7fffffffffffffff, 55)
	fcvt.lu.d a0, f16, rtz
	CHECK(a0, 10000000000000000000, 56)
	FD(f17, 0xfff0000000000000)	/* -inf */
	fcvt.lu.d a0, f17, rtz
	CHECK(a0, 0, 57)
	CHKFL(16, 58)
	/* 59: fused multiply-add rounds once */
	FD(f18, 0x3ff0000000400000)	/* 1 + 2^-30 */
	FD(f19, 0x3fefffffff800000)	/* 1 - 2^-30 */
	FD(f20, 0xbff0000000000000)	/* -1 */
	fmadd.d f3, f18, f19, f20
	CHKD(f3, 0xbc30000000000000, 59)	/* -2^-60 */
	fnmsub.d f3, f18, f19, f20		/* -(a*b) + c */
	fneg.d f3, f3
	fmul.d f4, f18, f19
	fsub.d f4, f4, f20
	fsub.d f4, f4, f3	/* tiny: exactly the rounding of a*b */
	fclass.d a0, f4
	andi a0, a0, 0x18	/* +-0 */
	li t4, 60
	beqz a0, fail
	/* 61: fcvt.s.d with RUP */
	FD(f21, 0x3ff0000010000000)	/* 1 + 2^-24 */
	fcvt.s.d f3, f21, rup
	CHKS(f3, ONEUP, 61)
	fcvt.s.d f3, f21, rmm
	CHKS(f3, ONEUP, 62)
	fcvt.s.d f3, f21, rne
	CHKS(f3, ONE, 63)
	csrw fflags, zero
	/* 64-67: compares; flt signals on qNaN, feq does not */
	feq.s a0, f10, f1
	CHECK(a0, 0, 64)
	CHKFL(0, 65)
	flt.s a0, f10, f1
	CHKFL(16, 66)
	fle.d a0, f18, f18
	CHECK(a0, 1, 67)
	/* 68-70: loads/stores incl. compressed */
	la s0, fdata
	fsd f18, 0(s0)
	c.fld f8, 0(s0)
	fmv.x.d a0, f8
	fmv.x.d a1, f18
	CHECKR(a0, a1, 68)
	fsw f1, 8(s0)
	flw f9, 8(s0)
	CHKD(f9, 0xffffffff3f800000, 69)
	/* 70: int -> float rounding */
	li a0, 0x1000001	/* 2^24 + 1 */
	fcvt.s.w f3, a0, rtz
	CHKS(f3, 0x4b800000, 70)
	fcvt.s.w f3, a0, rup
	CHKS(f3, 0x4b800001, 71)
	fcvt.d.lu f3, a0
	fcvt.wu.d a1, f3
	CHECK(a1, 0x1000001, 72)
	/* 73: fcsr packs frm and fflags */
	csrw fcsr, zero
	fsrmi 2
	fdiv.s f3, f1, f6
	csrr a0, fcsr
	CHECK(a0, (2 << 5) | 8, 73)
	/* 74: sqrt of -1 is invalid, canonical NaN */
	csrw fcsr, zero
	fsqrt.d f3, f20
	CHKD(f3, 0x7ff8000000000000, 74)
	CHKFL(16, 75)
	/* 76: RMM tie for multiply: 1.5 * (1 + 2^-23) is 1.5 + 1.5*2^-23 */
	FS(f22, 0x3fc00000)
	FS(f23, ONEUP)
	fmul.s f3, f22, f23, rmm
	CHKS(f3, 0x3fc00002, 76)
	fmul.s f3, f22, f23, rne
	CHKS(f3, 0x3fc00002, 77)
	FS(f24, 0x3f800003)	/* 1 + 3 ulp; 1.5 * that = 1.5 + 4.5 ulp */
	fmul.s f3, f22, f24, rmm
	CHKS(f3, 0x3fc00005, 78)
	fmul.s f3, f22, f24, rne
	CHKS(f3, 0x3fc00004, 79)
	/* 80..: fused multiply-add under RMM.  1.5 * (1 + 2^-52) - 2^-52 is
	 * exactly 1.5 + 2^-53, halfway between 1.5 (even) and its successor */
	FD(f18, 0x3ff8000000000000)	/* 1.5 */
	FD(f19, 0x3ff0000000000001)	/* 1 + 2^-52 */
	FD(f20, 0xbcb0000000000000)	/* -2^-52 */
	fmadd.d f3, f18, f19, f20, rmm
	CHKD(f3, 0x3ff8000000000001, 80)
	fmadd.d f3, f18, f19, f20, rne
	CHKD(f3, 0x3ff8000000000000, 81)
	fnmadd.d f3, f18, f19, f20, rmm	/* -(a*b) - c: the negative tie */
	CHKD(f3, 0xbff8000000000001, 82)
	csrw fflags, zero
	fsrmi 4				/* dynamic rounding mode RMM */
	fmsub.d f3, f18, f19, f18	/* a*b - 1.5 = 2^-52 + 2^-53: exact */
	CHKD(f3, 0x3cb8000000000000, 83)
	CHKFL(0, 84)
	fmadd.d f3, f18, f19, f20	/* dyn: the tie again, inexact */
	CHKD(f3, 0x3ff8000000000001, 85)
	CHKFL(1, 86)
	fsrmi 0
	/* 87: just below the tie (c = -2^-52 - 2^-100): nearest is 1.5.  A
	 * redo rounded to nearest in 64 bits would see a false tie. */
	FD(f20, 0xbcb0000000000001)
	fmadd.d f3, f18, f19, f20, rmm
	CHKD(f3, 0x3ff8000000000000, 87)
	/* 88: just above the tie rounds up in both modes */
	FD(f20, 0xbcafffffffffffff)
	fmadd.d f3, f18, f19, f20, rmm
	CHKD(f3, 0x3ff8000000000001, 88)
	/* 89..91: the same for single precision: 1.5 * (1 + 2^-23) - 2^-23 */
	FS(f22, 0x3fc00000)
	FS(f23, ONEUP)
	FS(f24, 0xb4000000)		/* -2^-23 */
	fmadd.s f3, f22, f23, f24, rmm
	CHKS(f3, 0x3fc00001, 89)
	fmadd.s f3, f22, f23, f24, rne
	CHKS(f3, 0x3fc00000, 90)
	FS(f24, 0xb4000001)		/* a little more negative: below */
	fmadd.s f3, f22, f23, f24, rmm
	CHKS(f3, 0x3fc00000, 91)
	/* 92: a tie in the subnormal range: 2^-1074 * 0.5 + 0 is halfway
	 * between 0 and the smallest subnormal; RMM goes away from zero */
	FD(f18, 0x0000000000000001)	/* 2^-1074 */
	FD(f19, 0x3fe0000000000000)	/* 0.5 */
	fmv.d.x f20, zero
	fmadd.d f3, f18, f19, f20, rmm
	CHKD(f3, 0x0000000000000001, 92)
	fmadd.d f3, f18, f19, f20, rne
	CHKD(f3, 0x0000000000000000, 93)
	/* 95..: flags are folded into fflags lazily (fpu.c): they must add up
	 * across ops, reads of fflags and fcsr must see them, and a write must
	 * replace the ones not yet folded */
	csrw fcsr, zero
	FD(f18, 0x3ff0000000000000)	/* 1.0 */
	FD(f19, 0x4008000000000000)	/* 3.0 */
	fmv.d.x f20, zero
	fdiv.d f3, f18, f20		/* DZ */
	fdiv.d f3, f18, f19		/* NX */
	fadd.d f3, f18, f18		/* exact */
	csrr a0, fflags
	CHECK(a0, 9, 95)
	fdiv.d f3, f18, f19		/* NX */
	csrw fflags, zero		/* replaces the pending NX */
	fadd.d f3, f18, f18
	csrr a0, fflags
	CHECK(a0, 0, 96)
	fdiv.d f3, f18, f19		/* NX */
	csrrsi a0, fflags, 8		/* old value has NX; DZ added */
	CHECK(a0, 1, 97)
	fadd.d f3, f18, f18
	CHKFL(9, 98)
	fdiv.d f3, f18, f20		/* DZ, read through fcsr */
	csrr a0, fcsr
	CHECK(a0, 8, 99)
	csrw fcsr, zero
	/* 100: an RMM op after a pending inexact one: exact, and the flags
	 * are only the earlier NX */
	fdiv.d f3, f18, f19
	fmul.d f3, f18, f19, rmm
	CHKD(f3, 0x4008000000000000, 100)
	CHKFL(1, 101)
	/* 102: fcvt.d.s of a signalling NaN: NV, canonical NaN */
	FS(f21, 0x7f800001)
	fcvt.d.s f3, f21
	CHKD(f3, 0x7ff8000000000000, 102)
	CHKFL(16, 103)
	/* 104: flags pending across a trap (illegal csr) are kept */
	fdiv.d f3, f18, f19
	EXPECT_TRAP(1f)
	csrr a0, 0x7ff
1:	CHECK(s10, 2, 104)
	CHKFL(1, 105)
	/* 111..120: fcvt to integer (the JIT's cvt templates hand the host's
	 * "indefinite" results to fpu.c): invalid without inexact, the exact
	 * minimum without flags, inexact alone for a truncation */
	csrw fcsr, zero
	FD(f18, 0x41e65a0bc0000000)	/* 3e9 */
	fcvt.w.d a0, f18, rtz
	CHECK(a0, 0x7fffffff, 111)
	CHKFL(16, 112)
	FD(f18, 0x7ff8000000000000)	/* NaN */
	fcvt.l.d a0, f18, rtz
	CHECK(a0, 0x7fffffffffffffff, 113)
	CHKFL(16, 114)
	FD(f18, 0xc3e0000000000000)	/* -2^63 */
	fcvt.l.d a0, f18, rtz
	CHECK(a0, 0x8000000000000000, 115)
	CHKFL(0, 116)
	FD(f18, 0xc1e0000000100000)	/* -2^31 - 0.5 */
	fcvt.w.d a0, f18, rtz
	CHECK(a0, 0xffffffff80000000, 117)
	CHKFL(1, 118)
	FD(f18, 0x43e158e460913d00)	/* 1e19 */
	fcvt.l.d a0, f18
	CHECK(a0, 0x7fffffffffffffff, 119)
	CHKFL(16, 120)
	/* 121..122: FS Clean: an exact fcvt to integer leaves it, an inexact
	 * one (it raised a flag) makes it Dirty */
	FD(f18, 0x4000000000000000)	/* 2.0 */
	FD(f19, 0x4004000000000000)	/* 2.5 */
	li t0, 0x6000
	csrc mstatus, t0
	li t0, 0x4000
	csrs mstatus, t0
	fcvt.l.d a0, f18, rtz
	csrr a0, mstatus
	srli a0, a0, 13
	andi a0, a0, 3
	CHECK(a0, 2, 121)
	fcvt.l.d a0, f19, rtz
	csrr a0, mstatus
	srli a0, a0, 13
	andi a0, a0, 3
	CHECK(a0, 3, 122)
	csrw fcsr, zero
	/* 123-127: fmin.d/fmax.d of -0 and +0 either way round (the jit's
	 * minsd/maxsd return their second operand when equal) */
	FD(f20, 0x8000000000000000)
	FD(f21, 0)
	fmin.d f22, f20, f21
	CHKD(f22, 0x8000000000000000, 123)
	fmin.d f22, f21, f20
	CHKD(f22, 0x8000000000000000, 124)
	fmax.d f22, f20, f21
	CHKD(f22, 0, 125)
	fmax.d f22, f21, f20
	CHKD(f22, 0, 126)
	CHKFL(0, 127)
	/* 106..110: FS Off: F/D loads, stores and arithmetic are illegal
	 * (the JIT's templates check FS before their fast paths) */
	la t1, fdata
	li t0, 0x6000
	csrc mstatus, t0
	EXPECT_TRAP(1f)
	fld f3, 0(t1)
1:	CHECK(s10, 2, 106)
	EXPECT_TRAP(1f)
	fsd f3, 0(t1)
1:	CHECK(s10, 2, 107)
	EXPECT_TRAP(1f)
	fadd.d f3, f18, f18
1:	CHECK(s10, 2, 108)
	EXPECT_TRAP(1f)
	fmadd.d f3, f18, f18, f18
1:	CHECK(s10, 2, 109)
	EXPECT_TRAP(1f)
	flw f3, 0(t1)
1:	CHECK(s10, 2, 110)
	li t0, 0x2000
	csrs mstatus, t0
TEST_END
	.data
	.align 4
fdata:	.skip 64
