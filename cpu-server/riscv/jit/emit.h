/* SPDX-License-Identifier: MIT */
/*
 * A minimal x86-64 instruction encoder: only the forms the translator uses.
 * Writes go to the cache's writable view; positions are offsets, so
 * rel32 targets are the same in both views.  Running past the end sets
 * overflow (the translation is then discarded) instead of writing; the
 * position still advances, so loops that pad to an alignment end.
 */
#ifndef ATOLL_RV_JIT_EMIT_H
#define ATOLL_RV_JIT_EMIT_H

#include <stdint.h>
#include <string.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
       R8, R9, R10, R11, R12, R13, R14, R15 };

/* condition codes (the low nibble of Jcc / SETcc) */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
       CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf };

struct emit {
	uint8_t *buf;   /* writable view of the cache */
	uint32_t pos, cap;
	int overflow;
};

static inline void e8(struct emit *e, unsigned v)
{
	if (e->pos >= e->cap) {
		e->overflow = 1;
		e->pos++;
		return;
	}
	e->buf[e->pos++] = (uint8_t)v;
}

static inline void e32(struct emit *e, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		e8(e, (v >> (8 * k)) & 0xff);
}

static inline void e64(struct emit *e, uint64_t v)
{
	e32(e, (uint32_t)v);
	e32(e, (uint32_t)(v >> 32));
}

static inline int fits8(int64_t v) { return v >= -128 && v <= 127; }
static inline int fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* REX prefix; force: emit even when empty (byte regs sil/dil...). */
static inline void rex(struct emit *e, int w, int reg, int index, int base,
		       int force)
{
	unsigned r = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
		     ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0);
	if (r != 0x40 || force)
		e8(e, r);
}

/* ModRM (+SIB, disp) for [base + disp] with register field reg. */
static inline void modrm_mem(struct emit *e, int reg, int base, int32_t disp)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : fits8(disp) ? 1 : 2;

	e8(e, (unsigned)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == RSP)
		e8(e, 0x24);
	if (mod == 1)
		e8(e, (uint8_t)disp);
	else if (mod == 2)
		e32(e, (uint32_t)disp);
}

/* op reg, [base+disp] (or op [base+disp], reg: the opcode decides).
 * w: REX.W; the opcode may be two bytes (0x0fxx) and may have a 0x66
 * prefix given as pfx. */
static inline void op_mem(struct emit *e, int pfx, int w, unsigned opc,
			  int reg, int base, int32_t disp, int bytereg)
{
	if (pfx)
		e8(e, (unsigned)pfx);
	rex(e, w, reg, 0, base, bytereg && (reg & 7) >= 4);
	if (opc > 0xff)
		e8(e, opc >> 8);
	e8(e, opc & 0xff);
	modrm_mem(e, reg, base, disp);
}

/* op reg, [base + index << scale + disp] (index not rsp); as op_mem. */
static inline void op_sibs(struct emit *e, int pfx, int w, unsigned opc,
			   int reg, int base, int index, unsigned scale,
			   int32_t disp, int bytereg)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : fits8(disp) ? 1 : 2;

	if (pfx)
		e8(e, (unsigned)pfx);
	rex(e, w, reg, index, base, bytereg && (reg & 7) >= 4);
	if (opc > 0xff)
		e8(e, opc >> 8);
	e8(e, opc & 0xff);
	e8(e, (unsigned)(mod << 6 | (reg & 7) << 3 | 4));
	e8(e, (unsigned)(scale << 6 | (index & 7) << 3 | (base & 7)));
	if (mod == 1)
		e8(e, (uint8_t)disp);
	else if (mod == 2)
		e32(e, (uint32_t)disp);
}

/* op reg, [base + index + disp] */
static inline void op_sib(struct emit *e, int pfx, int w, unsigned opc,
			  int reg, int base, int index, int32_t disp,
			  int bytereg)
{
	op_sibs(e, pfx, w, opc, reg, base, index, 0, disp, bytereg);
}

/* op dst(rm), src(reg) register form. */
static inline void op_rr(struct emit *e, int w, unsigned opc, int reg, int rm)
{
	rex(e, w, reg, 0, rm, 0);
	if (opc > 0xff)
		e8(e, opc >> 8);
	e8(e, opc & 0xff);
	e8(e, (unsigned)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* 64-bit loads/stores of a register at [base + disp]. */
static inline void ld64(struct emit *e, int r, int base, int32_t d)
{
	op_mem(e, 0, 1, 0x8b, r, base, d, 0);
}
static inline void st64(struct emit *e, int r, int base, int32_t d)
{
	op_mem(e, 0, 1, 0x89, r, base, d, 0);
}
static inline void ld32(struct emit *e, int r, int base, int32_t d)
{
	op_mem(e, 0, 0, 0x8b, r, base, d, 0);
}

/* mov r64, imm (shortest form). */
static inline void mov_imm(struct emit *e, int r, uint64_t v)
{
	if (v <= 0xffffffffull) {
		rex(e, 0, 0, 0, r, 0);
		e8(e, 0xb8 + (r & 7));
		e32(e, (uint32_t)v);
	} else if (fits32((int64_t)v)) {
		rex(e, 1, 0, 0, r, 0);
		e8(e, 0xc7);
		e8(e, 0xc0 | (r & 7));
		e32(e, (uint32_t)v);
	} else {
		rex(e, 1, 0, 0, r, 0);
		e8(e, 0xb8 + (r & 7));
		e64(e, v);
	}
}

/* Group-1 ALU ops: ext = 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp. */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6,
       ALU_CMP = 7 };

/* alu r, imm32 (sign-extended); w selects 64 or 32 bits. */
static inline void alu_ri(struct emit *e, int w, int ext, int r, int32_t v)
{
	rex(e, w, 0, 0, r, 0);
	if (fits8(v)) {
		e8(e, 0x83);
		e8(e, (unsigned)(0xc0 | ext << 3 | (r & 7)));
		e8(e, (uint8_t)v);
	} else {
		e8(e, 0x81);
		e8(e, (unsigned)(0xc0 | ext << 3 | (r & 7)));
		e32(e, (uint32_t)v);
	}
}

/* alu qword [base+disp], imm32 */
static inline void alu_mi(struct emit *e, int ext, int base, int32_t d,
			  int32_t v)
{
	rex(e, 1, 0, 0, base, 0);
	e8(e, fits8(v) ? 0x83 : 0x81);
	modrm_mem(e, ext, base, d);
	if (fits8(v))
		e8(e, (uint8_t)v);
	else
		e32(e, (uint32_t)v);
}

/* alu r, [base+disp]: opcode ext*8 + 3. */
static inline void alu_rm(struct emit *e, int w, int ext, int r, int base,
			  int32_t d)
{
	op_mem(e, 0, w, (unsigned)(ext * 8 + 3), r, base, d, 0);
}

/* alu dst, src registers: opcode ext*8 + 1 (dst is r/m). */
static inline void alu_rr(struct emit *e, int w, int ext, int dst, int src)
{
	op_rr(e, w, (unsigned)(ext * 8 + 1), src, dst);
}

/* Shifts: ext 4 shl, 5 shr, 7 sar; by imm or by cl. */
enum { SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };
static inline void shift_ri(struct emit *e, int w, int ext, int r, unsigned n)
{
	rex(e, w, 0, 0, r, 0);
	e8(e, 0xc1);
	e8(e, (unsigned)(0xc0 | ext << 3 | (r & 7)));
	e8(e, n);
}
static inline void shift_rcl(struct emit *e, int w, int ext, int r)
{
	rex(e, w, 0, 0, r, 0);
	e8(e, 0xd3);
	e8(e, (unsigned)(0xc0 | ext << 3 | (r & 7)));
}

/* movsxd r64, r32 */
static inline void movsxd(struct emit *e, int dst, int src)
{
	op_rr(e, 1, 0x63, dst, src);
}

/* setcc al; movzx eax, al */
static inline void setcc_rax(struct emit *e, int cc)
{
	e8(e, 0x0f);
	e8(e, 0x90 + (unsigned)cc);
	e8(e, 0xc0);
	e8(e, 0x0f);
	e8(e, 0xb6);
	e8(e, 0xc0);
}

/* Jumps with rel32; return the position of the rel32 field. */
static inline uint32_t jcc32(struct emit *e, int cc)
{
	e8(e, 0x0f);
	e8(e, 0x80 + (unsigned)cc);
	uint32_t at = e->pos;
	e32(e, 0);
	return at;
}
static inline uint32_t jmp32(struct emit *e)
{
	e8(e, 0xe9);
	uint32_t at = e->pos;
	e32(e, 0);
	return at;
}
/* Points the rel32 field at `at` to position target. */
static inline void patch32(struct emit *e, uint32_t at, uint32_t target)
{
	if (at + 4 > e->cap || e->overflow)
		return;
	uint32_t rel = target - (at + 4);
	memcpy(e->buf + at, &rel, 4);
}

static inline void call_abs(struct emit *e, const void *fn)
{
	mov_imm(e, RAX, (uint64_t)(uintptr_t)fn);
	e8(e, 0xff);
	e8(e, 0xd0); /* call rax */
}

static inline void push_r(struct emit *e, int r)
{
	rex(e, 0, 0, 0, r, 0);
	e8(e, 0x50 + (r & 7));
}
static inline void pop_r(struct emit *e, int r)
{
	rex(e, 0, 0, 0, r, 0);
	e8(e, 0x58 + (r & 7));
}

#endif
