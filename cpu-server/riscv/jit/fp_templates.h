/* SPDX-License-Identifier: MIT */
/*
 * F/D templates, included by translate.c (they use its struct tr, cold
 * stubs and emitters).  Covered: fadd/fsub/fmul/fdiv/fsqrt .s and .d, and
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

#define HF(r) ((int32_t)(offsetof(struct rv_hart, f) + 8u * (r)))
#define CC_NP 0xb
#define XMM0 0
#define XMM1 1

/* jz s if FS is Off (the op's function raises the illegal instruction) */
static void fp_fs_guard(struct tr *t, struct cold *s)
{
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

	op_mem(e, 0, size == 8, 0x8b, RAX, base, 0, 0);
	if (size == 4) {
		mov_imm(e, RCX, 0xffffffff00000000ull);
		alu_rr(e, 1, ALU_OR, RAX, RCX);
	}
	st64(e, RAX, RBX, HF(rd));
	alu_mi(e, ALU_OR, RBX, HOFF(mstatus), (int32_t)MS_FS);
}

/* jne s unless f[r] holds a NaN-boxed single (upper half all ones). */
static void fp_check_box(struct tr *t, unsigned r, struct cold *s)
{
	op_mem(&t->e, 0, 0, 0x83, 7, RBX, HF(r) + 4, 0); /* cmp dword, -1 */
	e8(&t->e, 0xff);
	add_fix(t, s, jcc32(&t->e, CC_NE));
}

/* f[rd] = xmm0 (double, or single when !d), a NaN canonical; FS Dirty. */
static void fp_writeback(struct tr *t, unsigned rd, int d)
{
	struct emit *e = &t->e;

	e8(e, 0x66);
	op_rr(e, d, 0x0f7e, XMM0, RAX);         /* movq rax / movd eax, xmm0 */
	if (d)
		e8(e, 0x66);
	op_rr(e, 0, 0x0f2e, XMM0, XMM0);        /* ucomisd/ss xmm0, xmm0 */
	e8(e, 0x70 + CC_NP);                    /* jnp over the mov */
	e8(e, d ? 10 : 5);
	if (d) {
		e8(e, 0x48); e8(e, 0xb8);       /* movabs rax, CNAN_D */
		e64(e, 0x7ff8000000000000ull);
	} else {
		e8(e, 0xb8);                    /* mov eax, CNAN_S */
		e32(e, 0x7fc00000u);
	}
	if (!d) {
		mov_imm(e, RCX, 0xffffffff00000000ull); /* NaN box */
		alu_rr(e, 1, ALU_OR, RAX, RCX);
	}
	st64(e, RAX, RBX, HF(rd));
	alu_mi(e, ALU_OR, RBX, HOFF(mstatus), (int32_t)MS_FS);
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
		op_mem(e, pfx, 0, 0x0f51, XMM0, RBX, HF(i->rs1), 0);
	} else {
		op_mem(e, pfx, 0, 0x0f10, XMM0, RBX, HF(i->rs1), 0);
		op_mem(e, pfx, 0, 0x0f00 | sse[k], XMM0, RBX, HF(i->rs2), 0);
	}
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
	return 1;
}

/* FMA3 vfm*213s[sd] xmm0, xmm1, [rbx + disp]: xmm0 = +-(xmm1 * xmm0) +- m */
static void vfma213(struct emit *e, int d, unsigned opc, int32_t disp)
{
	e8(e, 0xc4);
	e8(e, 0xe2);                            /* R X B set (none), 0F38 */
	e8(e, (d ? 0x80 : 0) | (0xe << 3) | 1); /* W, vvvv = ~xmm1, 66 */
	e8(e, opc);
	modrm_mem(e, XMM0, RBX, disp);
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
	int pfx = d ? 0xf2 : 0xf3;
	op_mem(e, pfx, 0, 0x0f10, XMM0, RBX, HF(i->rs1), 0);
	op_mem(e, pfx, 0, 0x0f10, XMM1, RBX, HF(i->rs2), 0);
	vfma213(e, d, opc[i->aux], HF(i->rs3));
	fp_writeback(t, i->rd, d);
	s->resume = e->pos;
	return 1;
}

/* rax = f[r]: 64 bits for d, else the low 32 zero-extended */
static void fp_ld_bits(struct tr *t, int reg, unsigned r, int d)
{
	op_mem(&t->e, 0, d, 0x8b, reg, RBX, HF(r), 0);
}

/* f[rd] = rax (| the NaN box for a single); FS Dirty */
static void fp_st_bits(struct tr *t, unsigned rd, int d)
{
	if (!d) {
		mov_imm(&t->e, RCX, 0xffffffff00000000ull);
		alu_rr(&t->e, 1, ALU_OR, RAX, RCX);
	}
	st64(&t->e, RAX, RBX, HF(rd));
	alu_mi(&t->e, ALU_OR, RBX, HOFF(mstatus), (int32_t)MS_FS);
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

	fp_ld_bits(t, RAX, i->rs1, d);
	fp_ld_bits(t, RCX, i->rs2, d);
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
 * allow: it is the op's own flag); equal operands combine sign bits. */
static void emit_fp_minmax(struct tr *t, const struct rv_insn *i,
			   unsigned f3, int d)
{
	struct emit *e = &t->e;
	struct cold *s = fp_stub(t, d, i->rs1, i->rs2);

	fp_ld_bits(t, RAX, i->rs1, d);
	fp_ld_bits(t, RCX, i->rs2, d);
	op_rr(e, 1, 0x89, RAX, RDX);                    /* mov rdx, rax */
	alu_rr(e, 1, f3 ? ALU_AND : ALU_OR, RDX, RCX);  /* -0 < +0 */
	op_mem(e, d ? 0xf2 : 0xf3, 0, 0x0f10, XMM0, RBX, HF(i->rs1), 0);
	op_mem(e, d ? 0x66 : 0, 0, 0x0f2e, XMM0, RBX, HF(i->rs2), 0);
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
	ld32(e, RAX, RBX, HOFF(mstatus));
	alu_ri(e, 0, ALU_AND, RAX, (int32_t)MS_FS);
	alu_ri(e, 0, ALU_CMP, RAX, (int32_t)MS_FS);
	add_fix(t, s, jcc32(e, CC_NE));
	op_mem(e, d ? 0xf2 : 0xf3, w, i->rm == 1 ? 0x0f2c : 0x0f2d, RAX, RBX,
	       HF(i->rs1), 0);
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
	op_mem(e, d ? 0xf3 : 0xf2, 0, 0x0f5a, XMM0, RBX, HF(i->rs1), 0);
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
		if (d)
			ld64(e, RAX, RBX, HF(i->rs1));
		else                                    /* movsxd rax, [] */
			op_mem(e, 0, 1, 0x63, RAX, RBX, HF(i->rs1), 0);
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
