/* SPDX-License-Identifier: MIT */
/*
 * Integer templates, included by translate.c (they use its struct tr and
 * operand helpers): OP-IMM, OP, the *W forms, M (mul, mulh, div, rem) and
 * the slli+add lea.
 */

/* ---- integer templates; return 0 if the op has none ----
 * An op whose destination is pinned computes in that register (two-
 * operand x86 forms: mov d, rs1; op d, rs2), else in rax. */

/* r = x[x]: its pinned register, else loaded into scratch. */
static int src_reg(struct tr *t, unsigned x, int scratch)
{
	if (is_pinned(t, x))
		return t->pin[x];
	ld_x(t, scratch, x);
	return scratch;
}

/*
 * slli p, q, k (k 1-3) and right after it add rd, o, p: the add is
 * lea rd, [o + q << k], one step off the dependency chain of an address
 * or index computation.  Returns k, or 0 if they do not pair.  *skip: the
 * add overwrites p (and o is not p), so the slli's result is never seen
 * and it is not emitted at all; otherwise the slli runs and q must
 * survive it (q not p).
 */
static unsigned shift_add(const struct rv_insn *s, const struct rv_insn *i,
			  int *skip)
{
	unsigned k = (unsigned)s->imm & 63;

	if ((insn_word(s) & 0x707f) != 0x1013 || k < 1 || k > 3 ||
	    s->rd == 0 || (insn_word(i) & 0xfe00707f) != 0x33 ||
	    (i->rs1 != s->rd && i->rs2 != s->rd))
		return 0;
	unsigned o = i->rs1 == s->rd ? i->rs2 : i->rs1;
	*skip = i->rd == s->rd && o != s->rd;
	return *skip || s->rs1 != s->rd ? k : 0;
}

/* 1 if op i is an slli that the next op's lea makes unnecessary */
static int shift_skipped(const struct tr *t, const struct rv_insn *i)
{
	int skip;

	return t->idx + 1 < t->n && shift_add(i, i + 1, &skip) && skip;
}

/* add rd, o, p after slli p, q, k: lea rd, [o + q << k] */
static int emit_shift_add(struct tr *t, const struct rv_insn *i)
{
	int skip;

	if (t->idx == 0)
		return 0;
	const struct rv_insn *s = &t->ops[t->idx - 1];
	unsigned k = shift_add(s, i, &skip);
	if (!k)
		return 0;
	unsigned o = i->rs1 == s->rd ? i->rs2 : i->rs1;
	int base = src_reg(t, o, RAX);
	int index = src_reg(t, s->rs1, RCX);
	int d = dest_of(t, i->rd, 0);
	op_sibs(&t->e, 0, 1, 0x8d, d, base, index, k, 0, 0);
	put_rd(t, d, i->rd);
	return 1;
}

static int emit_opimm(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	unsigned f3 = (r >> 12) & 7;
	int32_t imm = (int32_t)i->imm;
	struct emit *e = &t->e;

	if (i->rd == 0 || shift_skipped(t, i))
		return 1; /* a hint: no effect; or the next op's lea */
	if (f3 == 2 || f3 == 3) { /* slti, sltiu: setcc needs rax */
		ld_x(t, RAX, i->rs1);
		alu_ri(e, 1, ALU_CMP, RAX, imm);
		setcc_rax(e, f3 == 2 ? CC_L : CC_B);
		put_rd(t, RAX, i->rd);
		return 1;
	}
	int d = dest_of(t, i->rd, 0);
	if (i->rs1 == 0 && (f3 == 0 || f3 == 4 || f3 == 6 || f3 == 7)) {
		mov_imm(e, d, f3 == 7 ? 0 : (uint64_t)(int64_t)imm); /* li */
		put_rd(t, d, i->rd);
		return 1;
	}
	if (f3 == 0 && is_pinned(t, i->rs1) && d != t->pin[i->rs1]) {
		lea_ri(e, d, t->pin[i->rs1], imm); /* mv, addi to another */
		put_rd(t, d, i->rd);
		return 1;
	}
	ld_x(t, d, i->rs1);
	switch (f3) {
	case 0: if (imm) alu_ri(e, 1, ALU_ADD, d, imm); break;
	case 4: alu_ri(e, 1, ALU_XOR, d, imm); break;
	case 6: alu_ri(e, 1, ALU_OR, d, imm); break;
	case 7: alu_ri(e, 1, ALU_AND, d, imm); break;
	case 1: shift_ri(e, 1, SH_SHL, d, (unsigned)imm & 63); break;
	default:
		shift_ri(e, 1, (r >> 30) & 1 ? SH_SAR : SH_SHR, d,
			 (unsigned)imm & 63);
		break;
	}
	put_rd(t, d, i->rd);
	return 1;
}

static int emit_opimm32(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	unsigned f3 = (r >> 12) & 7;
	int32_t imm = (int32_t)i->imm;
	struct emit *e = &t->e;

	if (i->rd == 0)
		return 1;
	if (f3 != 0 && f3 != 1 && f3 != 5)
		return 0;
	int d = dest_of(t, i->rd, 0);
	ld_x(t, d, i->rs1);
	switch (f3) {
	case 0: if (imm) alu_ri(e, 0, ALU_ADD, d, imm); break;
	case 1: shift_ri(e, 0, SH_SHL, d, (unsigned)imm & 31); break;
	default:
		shift_ri(e, 0, (r >> 30) & 1 ? SH_SAR : SH_SHR, d,
			 (unsigned)imm & 31);
		break;
	}
	movsxd(e, d, d);
	put_rd(t, d, i->rd);
	return 1;
}

/* grp3 (F7 /ext) on r: ext 3 neg, 4 mul, 5 imul, 6 div, 7 idiv */
static void grp3(struct emit *e, int w, unsigned ext, int r)
{
	rex(e, w, 0, 0, r, 0);
	e8(e, 0xf7);
	e8(e, (unsigned)(0xc0 | ext << 3 | (r & 7)));
}

/*
 * mulh/mulhsu/mulhu (f3 1-3) and div/divu/rem/remu (4-7), *W forms for
 * the last four.  x86 division faults where RISC-V defines a result, so
 * those cases are taken inline first: by zero the quotient is all ones
 * and the remainder the dividend; the most negative dividend over -1
 * (signed) gives itself (neg) and 0.  rd is written last, so it may be a
 * source.
 */
static int emit_muldiv(struct tr *t, const struct rv_insn *i, unsigned f3,
		       int w32)
{
	struct emit *e = &t->e;
	int w = !w32, sgn = f3 == 4 || f3 == 6, rem = f3 >= 6;

	if (w32 && f3 < 4)
		return 0; /* not reached: no *W mulh */
	ld_x(t, RAX, i->rs1);
	int b = src_reg(t, i->rs2, RCX);
	if (f3 < 4) {
		grp3(e, 1, f3 == 1 ? 5 : 4, b);                /* rdx:rax */
		if (f3 == 2) { /* signed rs1: less rs2 when rs1 < 0 */
			ld_x(t, RAX, i->rs1); /* the low half is not needed */
			shift_ri(e, 1, SH_SAR, RAX, 63);
			alu_rr(e, 1, ALU_AND, RAX, b);
			alu_rr(e, 1, ALU_SUB, RDX, RAX);
		}
		put_rd(t, RDX, i->rd);
		return 1;
	}
	op_rr(e, w, 0x85, b, b);                               /* test b, b */
	uint32_t zero = jcc32(e, CC_E), minus1 = 0;
	if (sgn) {
		alu_ri(e, w, ALU_CMP, b, -1);
		minus1 = jcc32(e, CC_E);
	}
	if (sgn) {
		if (w)
			e8(e, 0x48);
		e8(e, 0x99);                                   /* cqo/cdq */
	} else {
		e8(e, 0x31); e8(e, 0xd2);                      /* xor edx */
	}
	grp3(e, w, sgn ? 7 : 6, b);
	if (rem)
		op_rr(e, 1, 0x89, RDX, RAX);                   /* mov rax, rdx */
	uint32_t done = jmp32(e), done2 = 0;
	patch32(e, zero, e->pos);
	if (!rem)
		mov_imm(e, RAX, ~0ull);     /* by zero: all ones; rem: rax */
	if (sgn) {
		done2 = jmp32(e);
		patch32(e, minus1, e->pos);
		if (rem) {
			e8(e, 0x31);
			e8(e, 0xc0);                           /* xor eax */
		} else {
			grp3(e, w, 3, RAX);                    /* neg */
		}
		patch32(e, done2, e->pos);
	}
	patch32(e, done, e->pos);
	if (w32)
		movsxd(e, RAX, RAX);
	put_rd(t, RAX, i->rd);
	return 1;
}

static int emit_op(struct tr *t, const struct rv_insn *i, uint32_t r, int w32)
{
	unsigned f3 = (r >> 12) & 7, f7 = r >> 25;
	struct emit *e = &t->e;
	int w = !w32;

	if (i->rd == 0)
		return 1;
	if (f7 == 1 && f3 != 0)
		return emit_muldiv(t, i, f3, w32);
	if (!w32 && (f3 == 2 || f3 == 3)) { /* slt, sltu: setcc needs rax */
		ld_x(t, RAX, i->rs1);
		alu_x(t, 1, ALU_CMP, RAX, i->rs2);
		setcc_rax(e, f3 == 2 ? CC_L : CC_B);
		put_rd(t, RAX, i->rd);
		return 1;
	}
	if (f3 == 1 || f3 == 5) { /* shifts by cl: rcx first, rd may be rs2 */
		int d = dest_of(t, i->rd, 0);
		ld_x(t, RCX, i->rs2);
		ld_x(t, d, i->rs1);
		shift_rcl(e, w, f3 == 1 ? SH_SHL : f7 ? SH_SAR : SH_SHR, d);
		if (w32)
			movsxd(e, d, d);
		put_rd(t, d, i->rd);
		return 1;
	}
	if (w32 && f3 != 0)
		return 0; /* not reached: the decoder has no other *W ops */
	if (!w32 && f3 == 0 && f7 == 0 && emit_shift_add(t, i))
		return 1;
	/* add, mul, xor, or, and commute: rd == rs2 computes rs2 op rs1 */
	unsigned a = i->rs1, b = i->rs2;
	int sub = f3 == 0 && f7 == 0x20;
	if (b == i->rd && a != i->rd && !sub) {
		a = i->rs2;
		b = i->rs1;
	}
	int d = dest_of(t, i->rd, b);
	ld_x(t, d, a);
	if (f7 == 1) {
		imul_x(t, w, d, b);
	} else {
		static const int ext[8] = { ALU_ADD, 0, 0, 0, ALU_XOR, 0,
					    ALU_OR, ALU_AND };
		alu_x(t, w, sub ? ALU_SUB : ext[f3], d, b);
	}
	if (w32)
		movsxd(e, d, d);
	put_rd(t, d, i->rd);
	return 1;
}
