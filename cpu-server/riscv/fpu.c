/* SPDX-License-Identifier: MIT */
/*
 * F and D extensions on the host FPU.  Rounding modes come from fesetround
 * and exception flags from the host's sticky flags, folded in lazily (see
 * rv_fp_sync); RISC-V specifics (NaN boxing, canonical NaNs, fmin/fmax,
 * saturating conversions, RMM) are done here.
 * Compiled with -frounding-math; FBAR() pins operations between the fenv
 * calls so the compiler cannot move them.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "rv_internal.h"

#define OP(name) static int name(struct rv_hart *h, const struct rv_insn *i)
#define FBAR(v) __asm__ volatile("" : "+m"(v))

#define CNAN_S 0x7fc00000u
#define CNAN_D 0x7ff8000000000000ull
#define BOX 0xffffffff00000000ull
enum { RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM, RM_DYN = 7 };
enum { FL_NX = 1, FL_UF = 2, FL_OF = 4, FL_DZ = 8, FL_NV = 16 };

static float f32(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static double f64(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint32_t b32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static uint64_t b64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/* An improperly NaN-boxed single reads as the canonical NaN. */
static uint32_t rs_bits(const struct rv_hart *h, unsigned r)
{
	uint64_t v = h->f[r];
	return (v >> 32) == 0xffffffffu ? (uint32_t)v : CNAN_S;
}
static float rs(const struct rv_hart *h, unsigned r) { return f32(rs_bits(h, r)); }
static double rd_(const struct rv_hart *h, unsigned r) { return f64(h->f[r]); }

static void ws(struct rv_hart *h, unsigned r, float v)
{
	h->f[r] = BOX | (isnan(v) ? CNAN_S : b32(v));
	rv_set_fs_dirty(h);
}
static void wd(struct rv_hart *h, unsigned r, double v)
{
	h->f[r] = isnan(v) ? CNAN_D : b64(v);
	rv_set_fs_dirty(h);
}

static int issnan_s(uint32_t b)
{
	return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) &&
	       !(b & 0x400000u);
}
static int issnan_d(uint64_t b)
{
	return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
	       (b & 0xfffffffffffffull) && !(b & 0x8000000000000ull);
}

/*
 * Host rounding mode: set with fesetround (x87 and SSE together, so libm's
 * fma/sqrt and the long double RMM path agree) only when it changes.
 */
static void set_host_rm(struct rv_hart *h, int rm)
{
	static const int map[5] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD,
				    FE_UPWARD, FE_TONEAREST };
	if (h->host_rm != map[rm]) {
		fesetround(map[rm]);
		h->host_rm = map[rm];
	}
}

/*
 * Exception flags.  On x86-64 float/double arithmetic is SSE, so clearing
 * and reading MXCSR directly is enough and much cheaper than the fenv calls
 * (which also save/restore the x87 environment).
 */
#if defined(__x86_64__) && defined(__SSE2__)
static inline void host_clear_flags(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	m &= ~0x3fu;
	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}
static inline uint32_t host_flags(void)
{
	uint32_t m, f = 0;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	if (m & 0x01) f |= FL_NV;
	if (m & 0x04) f |= FL_DZ;
	if (m & 0x08) f |= FL_OF;
	if (m & 0x10) f |= FL_UF;
	if (m & 0x20) f |= FL_NX;
	return f;
}
#else
static inline void host_clear_flags(void)
{
	feclearexcept(FE_ALL_EXCEPT);
}
static inline uint32_t host_flags(void)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	uint32_t f = 0;
	if (e & FE_INVALID) f |= FL_NV;
	if (e & FE_DIVBYZERO) f |= FL_DZ;
	if (e & FE_OVERFLOW) f |= FL_OF;
	if (e & FE_UNDERFLOW) f |= FL_UF;
	if (e & FE_INEXACT) f |= FL_NX;
	return f;
}
#endif

/*
 * Lazy exception flags.  Ops that take their flags from the host (fp_begin
 * ... fp_end) leave them in the host's sticky flags, which accumulate across
 * ops; rv_fp_sync() ORs them into h->fflags where fflags can be observed:
 * a CSR instruction on fflags/fcsr (csr.c), a lockstep snapshot, leaving
 * rv_hart_run (vm.c).  Reading and clearing the flags around every op cost
 * most of an op's time.
 *
 * Invariant, on the hart's thread while it runs: the host's flags hold only
 * flags that this hart's F/D ops raised since the last sync.  Hence:
 * - rv_hart_run discards the caller's flags on entry (rv_fp_enter) and
 *   syncs before returning, so the caller's own FP never mixes in;
 * - an op that needs its own flags (RMM's tie detection) syncs first, and
 *   clears afterwards what its fix-up's host arithmetic raised;
 * - ops with explicit flags (compares, fmin/fmax, fcvt to integer) may
 *   leave host flags only for what they raise anyway: invalid for a
 *   signalling NaN operand (the float-to-double widening, ucomis*);
 *   their integral rounding (trunc, floor, ...) raises nothing.
 * FS: every op that leaves host flags also writes an f register, which
 * makes FS Dirty right away, so the sync itself does not touch mstatus.
 */
void rv_fp_sync(struct rv_hart *h)
{
	uint32_t f = host_flags();

	if (f) {
		h->fflags |= f;
		host_clear_flags();
	}
}

void rv_fp_enter(struct rv_hart *h)
{
	(void)h;
	host_clear_flags();
}

/*
 * Common prologue: FS must be on and the rounding mode valid, else the
 * instruction is illegal (returns -1 after raising).  Under RMM the op's
 * own flags are needed (fp_end_rmm): the pending ones are synced first.
 */
static int fp_begin(struct rv_hart *h, const struct rv_insn *i, int *rm)
{
	int m = i->rm == RM_DYN ? (int)h->frm : i->rm;

	if (unlikely(!(h->mstatus & MS_FS) || m > RM_RMM)) {
		rv_illegal(h, i);
		return -1;
	}
	set_host_rm(h, m);
	if (unlikely(m == RM_RMM))
		rv_fp_sync(h);
	*rm = m;
	return 0;
}

static int fs_on(struct rv_hart *h, const struct rv_insn *i)
{
	if (h->mstatus & MS_FS)
		return 0;
	rv_illegal(h, i);
	return -1;
}

/*
 * RMM only: the flags of the op since fp_begin's sync, folded now, since
 * the fix-up that follows clobbers the host's flags; fp_rmm_done() then
 * drops whatever the fix-up raised.
 */
static uint32_t fp_end_rmm(struct rv_hart *h)
{
	uint32_t f = host_flags();

	if (f) {
		h->fflags |= f;
		rv_set_fs_dirty(h);
	}
	return f;
}
static void fp_rmm_done(void)
{
	host_clear_flags();
}

static void raise_flags(struct rv_hart *h, uint32_t f)
{
	if (f) {
		h->fflags |= f;
		rv_set_fs_dirty(h);
	}
}

/*
 * RMM (ties to max magnitude): the host has no such mode.  The result
 * differs from RNE only on an exact tie, and a tie value has at most 54
 * significant bits, so redoing the operation in x87 extended precision
 * (64-bit significand) is exact whenever a tie is possible.  If the redo was
 * exact and lies halfway between two neighbours, step away from zero.
 * Without an extended long double, RMM falls back to RNE.
 */
#if LDBL_MANT_DIG >= 64
#define HAVE_RMM 1
static float rmm_s(float rne, long double x, int exact)
{
	if (!exact || isnan(rne) || isinf(x))
		return rne;
	int save = fegetround();
	fesetround(FE_TOWARDZERO);
	volatile float t = (float)x;
	fesetround(save);
	float a = nextafterf(t, signbit(x) ? -INFINITY : INFINITY);
	if ((long double)t != x && x - t == (long double)a - x)
		return a;
	return rne;
}
static double rmm_d(double rne, long double x, int exact)
{
	if (!exact || isnan(rne) || isinf(x))
		return rne;
	int save = fegetround();
	fesetround(FE_TOWARDZERO);
	volatile double t = (double)x;
	fesetround(save);
	double a = nextafter(t, signbit(x) ? -INFINITY : INFINITY);
	if ((long double)t != x && x - t == (long double)a - x)
		return a;
	return rne;
}
/*
 * a * b + c rounded to odd in long double: truncate, then set the lowest
 * significand bit if anything was cut off.  64 bits are at least two more
 * than double's 53, so rounding this once more to float or double (here:
 * with ties away, by rmm_s/rmm_d) gives the correctly rounded result; a tie
 * is reported only when the exact value is one, since an inexact x has its
 * lowest bit set and a tie never does.  The exponent range of long double
 * holds every product and sum of doubles exactly scaled, so x is never 0,
 * subnormal or infinite when it is inexact.
 */
static long double fma_odd(long double a, long double b, long double c)
{
	int save = fegetround();
	fesetround(FE_TOWARDZERO);
	feclearexcept(FE_ALL_EXCEPT);
	volatile long double x = fmal(a, b, c);
	int inexact = fetestexcept(FE_INEXACT);
	fesetround(save);
	long double r = x;
	if (inexact) {
		uint64_t mant;
		memcpy(&mant, &r, sizeof(mant)); /* x87: significand first */
		mant |= 1;
		memcpy(&r, &mant, sizeof(mant));
	}
	return r;
}
#else
#define HAVE_RMM 0
static float rmm_s(float rne, long double x, int exact) { return rne; }
static double rmm_d(double rne, long double x, int exact) { return rne; }
static long double fma_odd(long double a, long double b, long double c)
{
	return 0;
}
#endif

/* Redo expression e in long double under RNE; 1 if it was exact. */
#define REDO_EXACT(res, e)                                                    \
	do {                                                                  \
		int _save = fegetround();                                     \
		fesetround(FE_TONEAREST);                                     \
		feclearexcept(FE_ALL_EXCEPT);                                 \
		long double _la = a, _lb = b;                                 \
		FBAR(_la); FBAR(_lb);                                         \
		res = (e);                                                    \
		FBAR(res);                                                    \
		_exact = !fetestexcept(FE_INEXACT);                           \
		fesetround(_save);                                            \
	} while (0)

#define ARITH(name, T, RD, WR, RMMF, expr, lexpr)                            \
	OP(name)                                                              \
	{                                                                     \
		int rm;                                                       \
		if (fp_begin(h, i, &rm)) return 1;                            \
		T a = RD(h, i->rs1), b = RD(h, i->rs2);                       \
		FBAR(a); FBAR(b);                                             \
		T r = (expr);                                                 \
		FBAR(r);                                                      \
		if (unlikely(rm == RM_RMM)) {                                 \
			if (HAVE_RMM && (fp_end_rmm(h) & FL_NX)) {            \
				long double _x;                               \
				int _exact;                                   \
				REDO_EXACT(_x, lexpr);                        \
				r = RMMF(r, _x, _exact);                      \
			}                                                     \
			fp_rmm_done();                                        \
		}                                                             \
		WR(h, i->rd, r);                                              \
		return 0;                                                     \
	}
ARITH(op_fadd_s, float, rs, ws, rmm_s, a + b, _la + _lb)
ARITH(op_fsub_s, float, rs, ws, rmm_s, a - b, _la - _lb)
ARITH(op_fmul_s, float, rs, ws, rmm_s, a * b, _la * _lb)
ARITH(op_fdiv_s, float, rs, ws, rmm_s, a / b, _la / _lb)
ARITH(op_fsqrt_s, float, rs, ws, rmm_s, sqrtf(a), sqrtl(_la))
ARITH(op_fadd_d, double, rd_, wd, rmm_d, a + b, _la + _lb)
ARITH(op_fsub_d, double, rd_, wd, rmm_d, a - b, _la - _lb)
ARITH(op_fmul_d, double, rd_, wd, rmm_d, a * b, _la * _lb)
ARITH(op_fdiv_d, double, rd_, wd, rmm_d, a / b, _la / _lb)
ARITH(op_fsqrt_d, double, rd_, wd, rmm_d, sqrt(a), sqrtl(_la))

/* FMA: aux 0 fmadd, 1 fmsub, 2 fnmsub, 3 fnmadd. */
static void fma_signs(unsigned k, int *na, int *nc)
{
	*na = k >= 2;
	*nc = k == 1 || k == 3;
}
OP(op_fma_s)
{
	int rm, na, nc;
	if (fp_begin(h, i, &rm)) return 1;
	fma_signs(i->aux, &na, &nc);
	float a = rs(h, i->rs1), b = rs(h, i->rs2), c = rs(h, i->rs3);
	if (na) a = -a;
	if (nc) c = -c;
	FBAR(a); FBAR(b); FBAR(c);
	float r = fmaf(a, b, c);
	FBAR(r);
	if (unlikely(rm == RM_RMM)) {
		if (HAVE_RMM && (fp_end_rmm(h) & FL_NX))
			r = rmm_s(r, fma_odd(a, b, c), 1);
		fp_rmm_done();
	}
	ws(h, i->rd, r);
	return 0;
}
OP(op_fma_d)
{
	int rm, na, nc;
	if (fp_begin(h, i, &rm)) return 1;
	fma_signs(i->aux, &na, &nc);
	double a = rd_(h, i->rs1), b = rd_(h, i->rs2), c = rd_(h, i->rs3);
	if (na) a = -a;
	if (nc) c = -c;
	FBAR(a); FBAR(b); FBAR(c);
	double r = fma(a, b, c);
	FBAR(r);
	if (unlikely(rm == RM_RMM)) {
		if (HAVE_RMM && (fp_end_rmm(h) & FL_NX))
			r = rmm_d(r, fma_odd(a, b, c), 1);
		fp_rmm_done();
	}
	wd(h, i->rd, r);
	return 0;
}

/* ---- sign injection (aux: 0 J, 1 JN, 2 JX) ---- */
static uint64_t sgnj(uint64_t a, uint64_t b, unsigned k, uint64_t sign)
{
	uint64_t s = k == 0 ? b & sign : k == 1 ? ~b & sign : (a ^ b) & sign;
	return (a & ~sign) | s;
}
OP(op_fsgnj_s)
{
	if (fs_on(h, i)) return 1;
	uint32_t r = (uint32_t)sgnj(rs_bits(h, i->rs1), rs_bits(h, i->rs2),
				    i->aux, 0x80000000u);
	h->f[i->rd] = BOX | r;
	rv_set_fs_dirty(h);
	return 0;
}
OP(op_fsgnj_d)
{
	if (fs_on(h, i)) return 1;
	h->f[i->rd] = sgnj(h->f[i->rs1], h->f[i->rs2], i->aux, 1ull << 63);
	rv_set_fs_dirty(h);
	return 0;
}

/* ---- min/max (aux 0 min, 1 max): -0 < +0, one NaN yields the other ---- */
OP(op_fminmax_s)
{
	if (fs_on(h, i)) return 1;
	uint32_t ab = rs_bits(h, i->rs1), bb = rs_bits(h, i->rs2);
	float a = f32(ab), b = f32(bb);
	uint32_t r;
	if (issnan_s(ab) || issnan_s(bb))
		raise_flags(h, FL_NV);
	if (isnan(a) && isnan(b))
		r = CNAN_S;
	else if (isnan(a))
		r = bb;
	else if (isnan(b))
		r = ab;
	else if (a == b)
		r = i->aux ? (ab & bb) : (ab | bb); /* +0/-0 by sign bit */
	else
		r = (i->aux ? a > b : a < b) ? ab : bb;
	h->f[i->rd] = BOX | r;
	rv_set_fs_dirty(h);
	return 0;
}
OP(op_fminmax_d)
{
	if (fs_on(h, i)) return 1;
	uint64_t ab = h->f[i->rs1], bb = h->f[i->rs2];
	double a = f64(ab), b = f64(bb);
	uint64_t r;
	if (issnan_d(ab) || issnan_d(bb))
		raise_flags(h, FL_NV);
	if (isnan(a) && isnan(b))
		r = CNAN_D;
	else if (isnan(a))
		r = bb;
	else if (isnan(b))
		r = ab;
	else if (a == b)
		r = i->aux ? (ab & bb) : (ab | bb);
	else
		r = (i->aux ? a > b : a < b) ? ab : bb;
	h->f[i->rd] = r;
	rv_set_fs_dirty(h);
	return 0;
}

/* ---- compares (aux 0 le, 1 lt, 2 eq); feq is quiet, flt/fle signal ---- */
static uint64_t fcmp(struct rv_hart *h, double a, double b, int snan,
		     unsigned k)
{
	if (isnan(a) || isnan(b)) {
		if (k != 2 || snan)
			raise_flags(h, FL_NV);
		return 0;
	}
	return k == 0 ? a <= b : k == 1 ? a < b : a == b;
}
OP(op_fcmp_s)
{
	if (fs_on(h, i)) return 1;
	uint32_t ab = rs_bits(h, i->rs1), bb = rs_bits(h, i->rs2);
	h->x[i->rd] = fcmp(h, f32(ab), f32(bb), issnan_s(ab) || issnan_s(bb),
			   i->aux);
	return 0;
}
OP(op_fcmp_d)
{
	if (fs_on(h, i)) return 1;
	uint64_t ab = h->f[i->rs1], bb = h->f[i->rs2];
	h->x[i->rd] = fcmp(h, f64(ab), f64(bb), issnan_d(ab) || issnan_d(bb),
			   i->aux);
	return 0;
}

/* ---- fclass ---- */
static uint64_t fclass(int neg, int exp_max, int exp_zero, int frac_zero,
		       int quiet)
{
	if (exp_max)
		return frac_zero ? (neg ? 1u << 0 : 1u << 7) :
		       quiet ? 1u << 9 : 1u << 8;
	if (exp_zero)
		return frac_zero ? (neg ? 1u << 3 : 1u << 4) :
				   (neg ? 1u << 2 : 1u << 5);
	return neg ? 1u << 1 : 1u << 6;
}
OP(op_fclass_s)
{
	if (fs_on(h, i)) return 1;
	uint32_t b = rs_bits(h, i->rs1), e = (b >> 23) & 0xff;
	h->x[i->rd] = fclass(b >> 31, e == 0xff, e == 0, !(b & 0x7fffff),
			     !!(b & 0x400000));
	return 0;
}
OP(op_fclass_d)
{
	if (fs_on(h, i)) return 1;
	uint64_t b = h->f[i->rs1], e = (b >> 52) & 0x7ff;
	h->x[i->rd] = fclass((int)(b >> 63), e == 0x7ff, e == 0,
			     !(b & 0xfffffffffffffull),
			     !!(b & 0x8000000000000ull));
	return 0;
}

/* ---- moves ---- */
OP(op_fmv_x_w)
{
	if (fs_on(h, i)) return 1;
	h->x[i->rd] = (uint64_t)(int32_t)(uint32_t)h->f[i->rs1];
	return 0;
}
OP(op_fmv_x_d)
{
	if (fs_on(h, i)) return 1;
	h->x[i->rd] = h->f[i->rs1];
	return 0;
}
OP(op_fmv_w_x)
{
	if (fs_on(h, i)) return 1;
	h->f[i->rd] = BOX | (uint32_t)h->x[i->rs1];
	rv_set_fs_dirty(h);
	return 0;
}
OP(op_fmv_d_x)
{
	if (fs_on(h, i)) return 1;
	h->f[i->rd] = h->x[i->rs1];
	rv_set_fs_dirty(h);
	return 0;
}

/* ---- float -> integer, saturating (aux: 0 W, 1 WU, 2 L, 3 LU) ---- */
static double round_rm(double x, int rm)
{
	switch (rm) {
	case RM_RTZ: return trunc(x);
	case RM_RDN: return floor(x);
	case RM_RUP: return ceil(x);
	case RM_RMM: return round(x);
	default: return roundeven(x);
	}
}

static uint64_t to_int(struct rv_hart *h, double x, int rm, unsigned kind)
{
	static const double lo[4] = { -2147483648.0, 0.0,
				      -9223372036854775808.0, 0.0 };
	static const double hi[4] = { 2147483648.0, 4294967296.0,
				      9223372036854775808.0,
				      18446744073709551616.0 };
	static const uint64_t maxv[4] = { 0x7fffffffull, ~0ull,
					  0x7fffffffffffffffull, ~0ull };
	static const uint64_t minv[4] = { 0xffffffff80000000ull, 0,
					  0x8000000000000000ull, 0 };

	if (isnan(x)) {
		raise_flags(h, FL_NV);
		return maxv[kind];
	}
	double r = round_rm(x, rm);
	if (r < lo[kind] || r >= hi[kind]) {
		raise_flags(h, FL_NV);
		return r < 0 ? minv[kind] : maxv[kind];
	}
	if (r != x)
		raise_flags(h, FL_NX);
	switch (kind) {
	case 0: return (uint64_t)(int64_t)(int32_t)r;
	case 1: return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
	case 2: return (uint64_t)(int64_t)r;
	default: return (uint64_t)r;
	}
}
static int fcvt_rm(struct rv_hart *h, const struct rv_insn *i)
{
	int m = i->rm == RM_DYN ? (int)h->frm : i->rm;
	if (!(h->mstatus & MS_FS) || m > RM_RMM) {
		rv_illegal(h, i);
		return -1;
	}
	return m;
}
OP(op_fcvt_i_s)
{
	int rm = fcvt_rm(h, i);
	if (rm < 0) return 1;
	h->x[i->rd] = to_int(h, (double)rs(h, i->rs1), rm, i->aux);
	return 0;
}
OP(op_fcvt_i_d)
{
	int rm = fcvt_rm(h, i);
	if (rm < 0) return 1;
	h->x[i->rd] = to_int(h, rd_(h, i->rs1), rm, i->aux);
	return 0;
}

/* ---- integer -> float (aux as above) ---- */
static long double int_val(uint64_t v, unsigned kind)
{
	switch (kind) {
	case 0: return (long double)(int32_t)v;
	case 1: return (long double)(uint32_t)v;
	case 2: return (long double)(int64_t)v;
	default: return (long double)v;
	}
}
#define FROM_INT(name, T, W, RMMF)                                           \
	OP(name)                                                              \
	{                                                                     \
		int rm;                                                       \
		if (fp_begin(h, i, &rm)) return 1;                            \
		uint64_t v = h->x[i->rs1];                                    \
		FBAR(v);                                                      \
		T r;                                                          \
		switch (i->aux) {                                             \
		case 0: r = (T)(int32_t)v; break;                             \
		case 1: r = (T)(uint32_t)v; break;                            \
		case 2: r = (T)(int64_t)v; break;                             \
		default: r = (T)v; break;                                     \
		}                                                             \
		FBAR(r);                                                      \
		if (unlikely(rm == RM_RMM)) {                                 \
			if (fp_end_rmm(h) & FL_NX)                            \
				r = RMMF(r, int_val(v, i->aux), 1);           \
			fp_rmm_done();                                        \
		}                                                             \
		W(h, i->rd, r);                                               \
		return 0;                                                     \
	}
FROM_INT(op_fcvt_s_i, float, ws, rmm_s)
FROM_INT(op_fcvt_d_i, double, wd, rmm_d)

OP(op_fcvt_s_d)
{
	int rm;
	if (fp_begin(h, i, &rm)) return 1;
	double a = rd_(h, i->rs1);
	FBAR(a);
	float r = (float)a;
	FBAR(r);
	if (unlikely(rm == RM_RMM)) {
		if (fp_end_rmm(h) & FL_NX)
			r = rmm_s(r, a, 1);
		fp_rmm_done();
	}
	ws(h, i->rd, r);
	return 0;
}
OP(op_fcvt_d_s)
{
	int rm;
	if (fp_begin(h, i, &rm)) return 1;
	float a = rs(h, i->rs1);
	FBAR(a);
	double r = a;
	FBAR(r);
	wd(h, i->rd, r); /* exact: only invalid (sNaN), left pending */
	return 0;
}

/* ---- loads / stores ---- */
OP(op_flw)
{
	uint64_t v;
	if (fs_on(h, i)) return 1;
	if (rv_load(h, h->x[i->rs1] + (uint64_t)i->imm, 4, &v)) return 1;
	h->f[i->rd] = BOX | (uint32_t)v;
	rv_set_fs_dirty(h);
	return 0;
}
OP(op_fld)
{
	uint64_t v;
	if (fs_on(h, i)) return 1;
	if (rv_load(h, h->x[i->rs1] + (uint64_t)i->imm, 8, &v)) return 1;
	h->f[i->rd] = v;
	rv_set_fs_dirty(h);
	return 0;
}
OP(op_fsw)
{
	if (fs_on(h, i)) return 1;
	return rv_store(h, h->x[i->rs1] + (uint64_t)i->imm, 4, h->f[i->rs2]);
}
OP(op_fsd)
{
	if (fs_on(h, i)) return 1;
	return rv_store(h, h->x[i->rs1] + (uint64_t)i->imm, 8, h->f[i->rs2]);
}

/* ---- decoder ---- */
static rv_op_fn dec_opfp(uint32_t r, struct rv_insn *i)
{
	uint32_t f7 = r >> 25, f3 = (r >> 12) & 7, rs2 = (r >> 20) & 31;
	int d = f7 & 1;

	if (f7 & 2)
		return NULL; /* fmt H/Q */
	switch (f7 >> 2) {
	case 0x00: return d ? op_fadd_d : op_fadd_s;
	case 0x01: return d ? op_fsub_d : op_fsub_s;
	case 0x02: return d ? op_fmul_d : op_fmul_s;
	case 0x03: return d ? op_fdiv_d : op_fdiv_s;
	case 0x0b: return rs2 ? NULL : d ? op_fsqrt_d : op_fsqrt_s;
	case 0x04:
		i->aux = (uint8_t)f3;
		return f3 > 2 ? NULL : d ? op_fsgnj_d : op_fsgnj_s;
	case 0x05:
		i->aux = (uint8_t)f3;
		return f3 > 1 ? NULL : d ? op_fminmax_d : op_fminmax_s;
	case 0x08:
		if (d && rs2 == 0) return op_fcvt_d_s;
		if (!d && rs2 == 1) return op_fcvt_s_d;
		return NULL;
	case 0x14:
		i->aux = (uint8_t)f3;
		return f3 > 2 ? NULL : d ? op_fcmp_d : op_fcmp_s;
	case 0x18:
		i->aux = (uint8_t)rs2;
		return rs2 > 3 ? NULL : d ? op_fcvt_i_d : op_fcvt_i_s;
	case 0x1a:
		i->aux = (uint8_t)rs2;
		return rs2 > 3 ? NULL : d ? op_fcvt_d_i : op_fcvt_s_i;
	case 0x1c:
		if (rs2) return NULL;
		if (f3 == 0) return d ? op_fmv_x_d : op_fmv_x_w;
		if (f3 == 1) return d ? op_fclass_d : op_fclass_s;
		return NULL;
	case 0x1e:
		return rs2 || f3 ? NULL : d ? op_fmv_d_x : op_fmv_w_x;
	default: return NULL;
	}
}

/* F/D opcodes; returns -1 if not one of them. */
int rv_decode_fp(uint32_t r, struct rv_insn *i)
{
	uint32_t f3 = (r >> 12) & 7, fmt = (r >> 25) & 3;
	rv_op_fn fn = NULL;

	switch (r & 0x7f) {
	case 0x07:
		fn = f3 == 2 ? op_flw : f3 == 3 ? op_fld : NULL;
		i->imm = (int32_t)r >> 20;
		break;
	case 0x27:
		fn = f3 == 2 ? op_fsw : f3 == 3 ? op_fsd : NULL;
		i->imm = (int32_t)(((uint32_t)((int32_t)r >> 25) << 5) |
				   ((r >> 7) & 31));
		break;
	case 0x43: case 0x47: case 0x4b: case 0x4f:
		i->aux = (uint8_t)(((r & 0x7f) - 0x43) >> 2);
		fn = fmt == 0 ? op_fma_s : fmt == 1 ? op_fma_d : NULL;
		break;
	case 0x53: fn = dec_opfp(r, i); break;
	default: return -1;
	}
	i->fn = fn ? fn : rv_illegal;
	return 0;
}
