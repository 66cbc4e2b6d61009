/* SPDX-License-Identifier: MIT */
/*
 * F/D templates, included by translate.c (they use its struct tr, cold
 * stubs and emitters).  f registers a block uses twice or more live in
 * xmm2-15 (translate.c's choose_pins); the fp_in/fp_op/fp_bits_* accessors
 * below take either place.  Covered: fadd/fsub/fmul/fdiv/fsqrt .s and .d, and
 * fmadd/fmsub/fnmsub/fnmadd .s and .d on hosts with FMA3, and the FS
 * check and f-register side of flw/fld/fsw/fsd (translate.c's emit_mem
 * does the address, its fast path and slow stub).  Each is the
 * SSE instruction on h->f[] plus what ../fpu.c does around it: canonical
 * NaN results, NaN-boxed single results, FS made Dirty, and the exception
 * flags left in MXCSR (fpu.c's lazy flags: folded by rv_fp_sync).
 *
 * The fast path runs only when its result is certainly fpu.c's: FS on,
 * single operands properly NaN-boxed, and a rounding mode that the host
 * already has (h->host_rm, set by fpu.c when it last changed) other than
 * RMM; a dynamic rm is taken only when frm is RNE.  Anything else calls the
 * op's own function out of line (a C_SLOW_LOAD stub: state synced, the op
 * counted, registers reloaded), which raises the illegal instruction,
 * changes the host's rounding mode or does RMM's tie handling.
 */
#include <fenv.h>

#define CC_NP 0xb
#define XMM0 0
#define XMM1 1

static int fpinned(const struct tr *t, unsigned f)
{
	return (t->pinned >> (32 + f)) & 1;
}

/* mstatus.FS = Dirty, once per path between calls */
static void fp_set_dirty(struct tr *t)
{
	if (!t->fs_dirty)
		alu_mi(&t->e, ALU_OR, RBX, HOFF(mstatus), (int32_t)MS_FS);
	t->fs_dirty = 1;
}

/* xmm = f[f]: the pinned register's 64 bits, or the scalar (d: double)
 * from h->f[] */
static void fp_in(struct tr *t, int xmm, unsigned f, int d)
{
	if (!fpinned(t, f)) {
		op_mem(&t->e, d ? 0xf2 : 0xf3, 0, 0x0f10, xmm, RBX, HF(f), 0);
	} else if (t->pin[32 + f] != xmm) {
		e8(&t->e, 0x66);
		op_rr(&t->e, 0, 0x0f28, xmm, t->pin[32 + f]); /* movapd */
	}
}

/* [pfx] 0f opc xmm, f[f] (an SSE op with f[f] as its source operand) */
static void fp_op(struct tr *t, int pfx, unsigned opc, int w, int reg,
		  unsigned f)
{
	if (fpinned(t, f)) {
		if (pfx)
			e8(&t->e, (unsigned)pfx);
		op_rr(&t->e, w, opc, reg, t->pin[32 + f]);
	} else {
		op_mem(&t->e, pfx, w, opc, reg, RBX, HF(f), 0);
	}
}

/* f[f] = xmm's low 64 bits; FS Dirty */
static void fp_xmm_out(struct tr *t, unsigned f, int xmm)
{
	if (!fpinned(t, f)) {
		op_mem(&t->e, 0xf2, 0, 0x0f11, xmm, RBX, HF(f), 0);
	} else {
		if (t->pin[32 + f] != xmm) {
			e8(&t->e, 0x66);
			op_rr(&t->e, 0, 0x0f28, t->pin[32 + f], xmm);
		}
		t->dirty |= FBIT(f);
	}
	fp_set_dirty(t);
}

/* reg = the bits of f[f] (d: 64, else the low 32 zero-extended) */
static void fp_bits_in(struct tr *t, int reg, unsigned f, int d)
{
	if (fpinned(t, f)) {
		e8(&t->e, 0x66);
		op_rr(&t->e, d, 0x0f7e, t->pin[32 + f], reg); /* movq/movd */
	} else {
		op_mem(&t->e, 0, d, 0x8b, reg, RBX, HF(f), 0);
	}
}

/* f[f] = the 64 bits of reg; FS Dirty */
static void fp_bits_out(struct tr *t, unsigned f, int reg)
{
	if (fpinned(t, f)) {
		e8(&t->e, 0x66);
		op_rr(&t->e, 1, 0x0f6e, t->pin[32 + f], reg); /* movq */
		t->dirty |= FBIT(f);
	} else {
		st64(&t->e, reg, RBX, HF(f));
	}
	fp_set_dirty(t);
}

/* f[rd] = rax (| the NaN box for a single); FS Dirty */
static void fp_st_bits(struct tr *t, unsigned rd, int d)
{
	if (!d) {
		mov_imm(&t->e, RCX, 0xffffffff00000000ull);
		alu_rr(&t->e, 1, ALU_OR, RAX, RCX);
	}
	fp_bits_out(t, rd, RAX);
}

/* jz s if FS is Off (the op's function raises the illegal instruction);
 * nothing once this path made it Dirty */
static void fp_fs_guard(struct tr *t, struct cold *s)
{
	if (t->fs_dirty)
		return;
	op_mem(&t->e, 0, 0, 0xf7, 0, RBX, HOFF(mstatus), 0); /* test dword */
	e32(&t->e, (uint32_t)MS_FS);
	add_fix(t, s, jcc32(&t->e, CC_E));
}

/* host_rm value fpu.c stores for RISC-V rm 0..3 (RNE, RTZ, RDN, RUP) */
static int fp_host_rm(unsigned rm)
{
	static const int map[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD,
				    FE_UPWARD };
	return map[rm];
}

/* rm 4 (RMM) and the reserved modes have no template. */
static int fp_rm_ok(const struct rv_insn *i)
{
	return i->rm <= 3 || i->rm == 7;
}

/* Guards common to every template: FS on, the rounding mode in place. */
static void fp_guards(struct tr *t, const struct rv_insn *i, struct cold *s)
{
	struct emit *e = &t->e;
	unsigned rm = i->rm;

	if (rm == 7) { /* dynamic: frm must be RNE (else the helper) */
		op_mem(e, 0, 0, 0x83, 7, RBX, HOFF(frm), 0); /* cmp dword */
		e8(e, 0);
		add_fix(t, s, jcc32(e, CC_NE));
		rm = 0;
	}
	fp_fs_guard(t, s);
	op_mem(e, 0, 0, 0x81, 7, RBX, HOFF(host_rm), 0); /* cmp dword */
	e32(e, (uint32_t)fp_host_rm(rm));
	add_fix(t, s, jcc32(e, CC_NE));
}

/* flw/fld's result: f[rd] = [base] (a single NaN-boxed); FS Dirty. */
static void fp_load(struct tr *t, unsigned rd, unsigned size, int base)
{
	struct emit *e = &t->e;

	if (size == 8 && fpinned(t, rd)) { /* movsd xmm, [base] */
		op_mem(e, 0xf2, 0, 0x0f10, t->pin[32 + rd], base, 0, 0);
		t->dirty |= FBIT(rd);
		fp_set_dirty(t);
		return;
	}
	op_mem(e, 0, size == 8, 0x8b, RAX, base, 0, 0);
	fp_st_bits(t, rd, size == 8);
}

/* jne s unless f[r] holds a NaN-boxed single (upper half all ones);
 * clobbers rax. */
static void fp_check_box(struct tr *t, unsigned r, struct cold *s)
{
	if (fpinned(t, r)) {
		fp_bits_in(t, RAX, r, 1);
		shift_ri(&t->e, 1, SH_SHR, RAX, 32);
		alu_ri(&t->e, 0, ALU_CMP, RAX, -1);
	} else {
		op_mem(&t->e, 0, 0, 0x83, 7, RBX, HF(r) + 4, 0); /* cmp */
		e8(&t->e, 0xff);
	}
	add_fix(t, s, jcc32(&t->e, CC_NE));
}

/* f[rd] = xmm0 (double, or single when !d), a NaN canonical; FS Dirty.
 * A double stays in xmm registers (a NaN is fixed out of line). */
static void fp_writeback(struct tr *t, unsigned rd, int d)
{
	struct emit *e = &t->e;

	if (d) {
		e8(e, 0x66);
		op_rr(e, 0, 0x0f2e, XMM0, XMM0);        /* ucomisd */
		struct cold *c = new_cold(t, C_NAN_D);
		add_fix(t, c, jcc32(e, 0xa));           /* jp */
		c->resume = e->pos;
		fp_xmm_out(t, rd, XMM0);
		return;
	}
	e8(e, 0x66);
	op_rr(e, 0, 0x0f7e, XMM0, RAX);         /* movd eax, xmm0 */
	op_rr(e, 0, 0x0f2e, XMM0, XMM0);        /* ucomiss xmm0, xmm0 */
	e8(e, 0x70 + CC_NP);                    /* jnp over the mov */
	e8(e, 5);
	e8(e, 0xb8);                            /* mov eax, CNAN_S */
	e32(e, 0x7fc00000u);
	fp_st_bits(t, rd, 0);
}

/* OP-FP: fadd/fsub/fmul/fdiv/fsqrt; 0 if no template. */
static int emit_fp_arith(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	static const uint8_t sse[12] = { [0] = 0x58, [1] = 0x5c, [2] = 0x59,
					 [3] = 0x5e, [11] = 0x51 };
	unsigned f7 = r >> 25, k = f7 >> 2;
	int d = f7 & 1;
	struct emit *e = &t->e;

	if ((f7 & 2) || k >= 12 || !sse[k] || !fp_rm_ok(i))
		return 0;
	struct cold *s = new_cold(t, C_SLOW_LOAD);
	fp_guards(t, i, s);
	int pfx = d ? 0xf2 : 0xf3;
	if (!d) {
		fp_check_box(t, i->rs1, s);
		if (k != 11)
			fp_check_box(t, i->rs2, s);
	}
	if (k == 11) {
		fp_op(t, pfx, 0x0f51, 0, XMM0, i->rs1);
	} else {
		fp_in(t, XMM0, i->rs1, d);
		fp_op(t, pfx, 0x0f00 | sse[k], 0, XMM0, i->rs2);
	}
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
	return 1;
}

/* FMA3 vfm*213s[sd] xmm0, xmm1, f[f]: xmm0 = +-(xmm1 * xmm0) +- f[f] */
static void vfma213(struct tr *t, int d, unsigned opc, unsigned f)
{
	struct emit *e = &t->e;
	int reg = fpinned(t, f) ? t->pin[32 + f] : -1;

	e8(e, 0xc4);
	/* inverted R X B (B: an xmm8-15 operand), map 0F38 */
	e8(e, reg >= 8 ? 0xc2 : 0xe2);
	e8(e, (d ? 0x80 : 0) | (0xe << 3) | 1); /* W, vvvv = ~xmm1, 66 */
	e8(e, opc);
	if (reg >= 0)
		e8(e, (unsigned)(0xc0 | (XMM0 << 3) | (reg & 7)));
	else
		modrm_mem(e, XMM0, RBX, HF(f));
}

/* fmadd/fmsub/fnmsub/fnmadd (aux 0..3); 0 if no template. */
static int emit_fp_fma(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	/* RISC-V fnmsub is -(a*b) + c: x86's vfnmadd; fnmadd: vfnmsub */
	static const uint8_t opc[4] = { 0xa9, 0xab, 0xad, 0xaf };
	unsigned fmt = (r >> 25) & 3;
	int d = fmt == 1;
	struct emit *e = &t->e;

	if (fmt > 1 || i->aux > 3 || !fp_rm_ok(i) ||
	    !__builtin_cpu_supports("fma"))
		return 0;
	struct cold *s = new_cold(t, C_SLOW_LOAD);
	fp_guards(t, i, s);
	if (!d) {
		fp_check_box(t, i->rs1, s);
		fp_check_box(t, i->rs2, s);
		fp_check_box(t, i->rs3, s);
	}
	fp_in(t, XMM0, i->rs1, d);
	fp_in(t, XMM1, i->rs2, d);
	vfma213(t, d, opc[i->aux], i->rs3);
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
	return 1;
}

/* A stub for the op's function and the FS guard (plus the NaN-box checks
 * of single operands ra, rb; 32 = none). */
static struct cold *fp_stub(struct tr *t, int d, unsigned ra, unsigned rb)
{
	struct cold *s = new_cold(t, C_SLOW_LOAD);

	fp_fs_guard(t, s);
	if (!d && ra < 32)
		fp_check_box(t, ra, s);
	if (!d && rb < 32)
		fp_check_box(t, rb, s);
	return s;
}

/* fsgnj/fsgnjn/fsgnjx (f3 0..2) */
static void emit_fp_sgnj(struct tr *t, const struct rv_insn *i, unsigned f3,
			 int d)
{
	struct emit *e = &t->e;
	struct cold *s = fp_stub(t, d, i->rs1, i->rs2);

	fp_bits_in(t, RAX, i->rs1, d);
	fp_bits_in(t, RCX, i->rs2, d);
	mov_imm(e, RDX, d ? 1ull << 63 : 1ull << 31);
	if (f3 == 1)
		op_rr(e, 1, 0xf7, 2, RCX);      /* not rcx */
	alu_rr(e, 1, ALU_AND, RCX, RDX);        /* rcx = the sign to use */
	if (f3 != 2) {
		op_rr(e, 1, 0xf7, 2, RDX);      /* not rdx */
		alu_rr(e, 1, ALU_AND, RAX, RDX);
		alu_rr(e, 1, ALU_OR, RAX, RCX);
	} else {
		alu_rr(e, 1, ALU_XOR, RAX, RCX);
	}
	fp_st_bits(t, i->rd, d);
	s->resume = e->pos;
}

/* fmin/fmax (f3 0, 1): a NaN operand goes to the helper (sNaN raises
 * invalid there; the ucomis* here raised it too, which fpu.c's lazy flags
 * allow: it is the op's own flag); equal operands combine sign bits (-0
 * is below +0).  x86's minsd/maxsd return the second operand when the
 * two are equal, so a double takes min(a, a | b) there. */
static void emit_fp_minmax(struct tr *t, const struct rv_insn *i,
			   unsigned f3, int d)
{
	struct emit *e = &t->e;
	struct cold *s = fp_stub(t, d, i->rs1, i->rs2);

	if (d) { /* in xmm: equal operands give min(a, a | b) / max(a, a & b) */
		fp_in(t, XMM0, i->rs1, 1);
		fp_in(t, XMM1, i->rs2, 1);
		e8(e, 0x66);
		op_rr(e, 0, 0x0f2e, XMM0, XMM1);        /* ucomisd */
		add_fix(t, s, jcc32(e, 0xa));           /* jp: a NaN */
		e8(e, 0x70 + CC_NE);                    /* jne over: */
		e8(e, 4);
		e8(e, 0x66);                            /* orpd / andpd */
		op_rr(e, 0, f3 ? 0x0f54 : 0x0f56, XMM1, XMM0);
		e8(e, 0xf2);                            /* minsd / maxsd */
		op_rr(e, 0, f3 ? 0x0f5f : 0x0f5d, XMM0, XMM1);
		fp_xmm_out(t, i->rd, XMM0);
		s->resume = e->pos;
		return;
	}
	fp_bits_in(t, RAX, i->rs1, d);
	fp_bits_in(t, RCX, i->rs2, d);
	op_rr(e, 1, 0x89, RAX, RDX);                    /* mov rdx, rax */
	alu_rr(e, 1, f3 ? ALU_AND : ALU_OR, RDX, RCX);  /* -0 < +0 */
	fp_in(t, XMM0, i->rs1, d);
	fp_op(t, d ? 0x66 : 0, 0x0f2e, 0, XMM0, i->rs2);
	add_fix(t, s, jcc32(e, 0xa));                   /* jp: a NaN */
	op_rr(e, 1, 0x0f40 | (f3 ? CC_BE : CC_AE), RAX, RCX);
	op_rr(e, 1, 0x0f40 | CC_E, RAX, RDX);
	fp_st_bits(t, i->rd, d);
	s->resume = e->pos;
}

/* fcvt.w/l.s/d (signed): cvtt* for RTZ, cvt* under a rounding mode the
 * host has.  The host's "integer indefinite" result (NaN, out of range,
 * and exactly the minimum) goes to the helper; the invalid flag the host
 * raised then is one RISC-V raises too (the minimum raises none).  fpu.c
 * makes FS Dirty only when the conversion raised a flag, which the host
 * left in MXCSR unseen: the template runs only when FS is Dirty already. */
static void emit_fp_cvt_int(struct tr *t, const struct rv_insn *i,
			    unsigned kind, int d)
{
	struct emit *e = &t->e;
	struct cold *s = fp_stub(t, d, i->rs1, 32);
	int w = kind == 2;

	if (i->rm != 1)
		fp_guards(t, i, s);
	if (!t->fs_dirty) {
		ld32(e, RAX, RBX, HOFF(mstatus));
		alu_ri(e, 0, ALU_AND, RAX, (int32_t)MS_FS);
		alu_ri(e, 0, ALU_CMP, RAX, (int32_t)MS_FS);
		add_fix(t, s, jcc32(e, CC_NE));
	}
	fp_op(t, d ? 0xf2 : 0xf3, i->rm == 1 ? 0x0f2c : 0x0f2d, w, RAX,
	      i->rs1);
	if (w) {
		mov_imm(e, RCX, 1ull << 63);
		alu_rr(e, 1, ALU_CMP, RAX, RCX);
	} else {
		alu_ri(e, 0, ALU_CMP, RAX, INT32_MIN);
	}
	add_fix(t, s, jcc32(e, CC_E));
	if (!w)
		movsxd(e, RAX, RAX);
	st_x(t, RAX, i->rd);
	s->resume = e->pos;
}

/* fcvt.s/d.w/l (signed; kind 0 W, 2 L): cvtsi2s* under the host's mode */
static void emit_fp_cvt_from_int(struct tr *t, const struct rv_insn *i,
				 unsigned kind, int d)
{
	struct emit *e = &t->e;
	struct cold *s = new_cold(t, C_SLOW_LOAD);

	fp_guards(t, i, s);
	ld_x(t, RAX, i->rs1);
	e8(e, d ? 0xf2 : 0xf3);
	op_rr(e, kind == 2, 0x0f2a, XMM0, RAX); /* cvtsi2sd/ss xmm0, r */
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
}

/* fcvt.s.d (rounds under the host's mode) and fcvt.d.s */
static void emit_fp_cvt_fp(struct tr *t, const struct rv_insn *i, int d)
{
	struct emit *e = &t->e;
	struct cold *s = new_cold(t, C_SLOW_LOAD);

	fp_guards(t, i, s);
	if (d)
		fp_check_box(t, i->rs1, s);
	/* cvtss2sd (F3) / cvtsd2ss (F2) xmm0, [f[rs1]] */
	fp_op(t, d ? 0xf3 : 0xf2, 0x0f5a, 0, XMM0, i->rs1);
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
}

/* fmv.x.w/d, fmv.w/d.x */
static void emit_fp_mv(struct tr *t, const struct rv_insn *i, int to_f,
		       int d)
{
	struct emit *e = &t->e;
	struct cold *s = fp_stub(t, 1, 32, 32);

	if (to_f) {
		ld_x(t, RAX, i->rs1);
		if (!d)
			op_rr(e, 0, 0x89, RAX, RAX);    /* mov eax, eax */
		fp_st_bits(t, i->rd, d);
	} else {
		fp_bits_in(t, RAX, i->rs1, d);
		if (!d)
			movsxd(e, RAX, RAX);
		st_x(t, RAX, i->rd);
	}
	s->resume = e->pos;
}

/* The other OP-FP ops with templates; 0 if none. */
static int emit_fp_misc(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	unsigned f7 = r >> 25, k = f7 >> 2, f3 = (r >> 12) & 7;
	unsigned rs2 = (r >> 20) & 31;
	int d = f7 & 1;

	if (f7 & 2)
		return 0;
	switch (k) {
	case 0x04:
		if (f3 > 2)
			return 0;
		emit_fp_sgnj(t, i, f3, d);
		return 1;
	case 0x05:
		if (f3 > 1)
			return 0;
		emit_fp_minmax(t, i, f3, d);
		return 1;
	case 0x18:
		if ((rs2 != 0 && rs2 != 2) || !(i->rm == 1 || fp_rm_ok(i)))
			return 0;
		emit_fp_cvt_int(t, i, rs2, d);
		return 1;
	case 0x1a:
		if ((rs2 != 0 && rs2 != 2) || !fp_rm_ok(i))
			return 0;
		emit_fp_cvt_from_int(t, i, rs2, d);
		return 1;
	case 0x08:
		if (rs2 != (d ? 0u : 1u) || !fp_rm_ok(i))
			return 0;
		emit_fp_cvt_fp(t, i, d);
		return 1;
	case 0x1c:
		if (f3 || rs2)
			return 0;
		emit_fp_mv(t, i, 0, d);
		return 1;
	case 0x1e:
		if (f3 || rs2)
			return 0;
		emit_fp_mv(t, i, 1, d);
		return 1;
	}
	return 0;
}
