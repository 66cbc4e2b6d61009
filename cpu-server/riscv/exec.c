/* SPDX-License-Identifier: MIT */
/* RV64IM semantics (ALU, branches, jumps, loads, stores) and their decoder. */
#include "rv_internal.h"

#define X(r) (h->x[i->r])
#define SX(r) ((int64_t)h->x[i->r])
#define OP(name) static int name(struct rv_hart *h, const struct rv_insn *i)

/* ---- ALU ---- */
#define ALU_RR(name, expr) OP(name) { X(rd) = (expr); return 0; }
ALU_RR(op_add, X(rs1) + X(rs2))
ALU_RR(op_sub, X(rs1) - X(rs2))
ALU_RR(op_sll, X(rs1) << (X(rs2) & 63))
ALU_RR(op_slt, SX(rs1) < SX(rs2))
ALU_RR(op_sltu, X(rs1) < X(rs2))
ALU_RR(op_xor, X(rs1) ^ X(rs2))
ALU_RR(op_srl, X(rs1) >> (X(rs2) & 63))
ALU_RR(op_sra, (uint64_t)(SX(rs1) >> (X(rs2) & 63)))
ALU_RR(op_or, X(rs1) | X(rs2))
ALU_RR(op_and, X(rs1) & X(rs2))
ALU_RR(op_addw, (uint64_t)(int32_t)(uint32_t)(X(rs1) + X(rs2)))
ALU_RR(op_subw, (uint64_t)(int32_t)(uint32_t)(X(rs1) - X(rs2)))
ALU_RR(op_sllw, (uint64_t)(int32_t)((uint32_t)X(rs1) << (X(rs2) & 31)))
ALU_RR(op_srlw, (uint64_t)(int32_t)((uint32_t)X(rs1) >> (X(rs2) & 31)))
ALU_RR(op_sraw, (uint64_t)((int32_t)X(rs1) >> (X(rs2) & 31)))
ALU_RR(op_addi, X(rs1) + (uint64_t)i->imm)
ALU_RR(op_slti, SX(rs1) < i->imm)
ALU_RR(op_sltiu, X(rs1) < (uint64_t)i->imm)
ALU_RR(op_xori, X(rs1) ^ (uint64_t)i->imm)
ALU_RR(op_ori, X(rs1) | (uint64_t)i->imm)
ALU_RR(op_andi, X(rs1) & (uint64_t)i->imm)
ALU_RR(op_slli, X(rs1) << i->imm)
ALU_RR(op_srli, X(rs1) >> i->imm)
ALU_RR(op_srai, (uint64_t)(SX(rs1) >> i->imm))
ALU_RR(op_addiw, (uint64_t)(int32_t)(uint32_t)(X(rs1) + (uint64_t)i->imm))
ALU_RR(op_slliw, (uint64_t)(int32_t)((uint32_t)X(rs1) << i->imm))
ALU_RR(op_srliw, (uint64_t)(int32_t)((uint32_t)X(rs1) >> i->imm))
ALU_RR(op_sraiw, (uint64_t)((int32_t)X(rs1) >> i->imm))
ALU_RR(op_lui, (uint64_t)i->imm)
OP(op_auipc) { X(rd) = h->pc + (uint64_t)i->imm; return 0; }

/* ---- M ---- */
static uint64_t mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}
static uint64_t mulh(int64_t a, int64_t b)
{
	return (uint64_t)(((__int128)a * b) >> 64);
}
static uint64_t mulhsu(int64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)a * (__int128)(unsigned __int128)b) >> 64);
}
static int64_t sdiv(int64_t a, int64_t b)
{
	if (b == 0) return -1;
	if (a == INT64_MIN && b == -1) return a;
	return a / b;
}
static int64_t srem(int64_t a, int64_t b)
{
	if (b == 0) return a;
	if (a == INT64_MIN && b == -1) return 0;
	return a % b;
}
static int32_t sdivw(int32_t a, int32_t b)
{
	if (b == 0) return -1;
	if (a == INT32_MIN && b == -1) return a;
	return a / b;
}
static int32_t sremw(int32_t a, int32_t b)
{
	if (b == 0) return a;
	if (a == INT32_MIN && b == -1) return 0;
	return a % b;
}
ALU_RR(op_mul, X(rs1) * X(rs2))
ALU_RR(op_mulh, mulh(SX(rs1), SX(rs2)))
ALU_RR(op_mulhsu, mulhsu(SX(rs1), X(rs2)))
ALU_RR(op_mulhu, mulhu(X(rs1), X(rs2)))
ALU_RR(op_div, (uint64_t)sdiv(SX(rs1), SX(rs2)))
ALU_RR(op_divu, X(rs2) ? X(rs1) / X(rs2) : ~0ull)
ALU_RR(op_rem, (uint64_t)srem(SX(rs1), SX(rs2)))
ALU_RR(op_remu, X(rs2) ? X(rs1) % X(rs2) : X(rs1))
ALU_RR(op_mulw, (uint64_t)(int32_t)(uint32_t)(X(rs1) * X(rs2)))
ALU_RR(op_divw, (uint64_t)(int64_t)sdivw((int32_t)X(rs1), (int32_t)X(rs2)))
ALU_RR(op_divuw, (uint64_t)(int32_t)((uint32_t)X(rs2) ?
	(uint32_t)X(rs1) / (uint32_t)X(rs2) : ~0u))
ALU_RR(op_remw, (uint64_t)(int64_t)sremw((int32_t)X(rs1), (int32_t)X(rs2)))
ALU_RR(op_remuw, (uint64_t)(int32_t)((uint32_t)X(rs2) ?
	(uint32_t)X(rs1) % (uint32_t)X(rs2) : (uint32_t)X(rs1)))

/* ---- control transfer ---- */
OP(op_jal)
{
	X(rd) = h->pc + i->len;
	h->pc += (uint64_t)i->imm;
	return 1;
}
OP(op_jalr)
{
	uint64_t t = (X(rs1) + (uint64_t)i->imm) & ~1ull;
	X(rd) = h->pc + i->len;
	h->pc = t;
	return 1;
}
#define BRANCH(name, cond)                                             \
	OP(name)                                                       \
	{                                                              \
		h->pc += (cond) ? (uint64_t)i->imm : i->len;           \
		return 1;                                              \
	}
BRANCH(op_beq, X(rs1) == X(rs2))
BRANCH(op_bne, X(rs1) != X(rs2))
BRANCH(op_blt, SX(rs1) < SX(rs2))
BRANCH(op_bge, SX(rs1) >= SX(rs2))
BRANCH(op_bltu, X(rs1) < X(rs2))
BRANCH(op_bgeu, X(rs1) >= X(rs2))

/* ---- loads / stores ---- */
#define LOAD(name, size, conv)                                         \
	OP(name)                                                       \
	{                                                              \
		uint64_t v, pa, va = X(rs1) + (uint64_t)i->imm;        \
		uint8_t *p = rv_fast_host(h, va, size, 1, &pa);        \
		if (likely(p != NULL))                                 \
			v = rv_host_read(p, size);                     \
		else if (rv_load(h, va, size, &v))                     \
			return 1;                                      \
		X(rd) = (uint64_t)(conv)v;                             \
		return 0;                                              \
	}
LOAD(op_lb, 1, int8_t)
LOAD(op_lh, 2, int16_t)
LOAD(op_lw, 4, int32_t)
LOAD(op_ld, 8, uint64_t)
LOAD(op_lbu, 1, uint8_t)
LOAD(op_lhu, 2, uint16_t)
LOAD(op_lwu, 4, uint32_t)
#define STORE(name, size)                                                  \
	OP(name)                                                           \
	{                                                                  \
		uint64_t pa, va = X(rs1) + (uint64_t)i->imm;               \
		uint8_t *p = rv_fast_host(h, va, size, 2, &pa);            \
		if (likely(p != NULL)) {                                   \
			rv_ram_write(h->vm, p, pa, size, X(rs2));          \
			return 0;                                          \
		}                                                          \
		return rv_store(h, va, size, X(rs2));                      \
	}
STORE(op_sb, 1)
STORE(op_sh, 2)
STORE(op_sw, 4)
STORE(op_sd, 8)

/* ---- decoder ---- */
static int64_t imm_i(uint32_t r) { return (int32_t)r >> 20; }
static int64_t imm_s(uint32_t r)
{
	return (int32_t)(((uint32_t)((int32_t)r >> 25) << 5) | ((r >> 7) & 31));
}
static int64_t imm_b(uint32_t r)
{
	return (int32_t)(((uint32_t)((int32_t)r >> 31) << 12) |
			 ((r << 4) & 0x800) | ((r >> 20) & 0x7e0) |
			 ((r >> 7) & 0x1e));
}
static int64_t imm_j(uint32_t r)
{
	return (int32_t)(((uint32_t)((int32_t)r >> 31) << 20) | (r & 0xff000) |
			 ((r >> 9) & 0x800) | ((r >> 20) & 0x7fe));
}

static rv_op_fn dec_op(uint32_t f3, uint32_t f7)
{
	static const rv_op_fn base[8] = { op_add, op_sll, op_slt, op_sltu,
					  op_xor, op_srl, op_or, op_and };
	static const rv_op_fn mul[8] = { op_mul, op_mulh, op_mulhsu, op_mulhu,
					 op_div, op_divu, op_rem, op_remu };
	if (f7 == 0)
		return base[f3];
	if (f7 == 1)
		return mul[f3];
	if (f7 == 0x20 && f3 == 0)
		return op_sub;
	if (f7 == 0x20 && f3 == 5)
		return op_sra;
	return NULL;
}

static rv_op_fn dec_op32(uint32_t f3, uint32_t f7)
{
	if (f7 == 0) {
		switch (f3) {
		case 0: return op_addw;
		case 1: return op_sllw;
		case 5: return op_srlw;
		}
	} else if (f7 == 1) {
		switch (f3) {
		case 0: return op_mulw;
		case 4: return op_divw;
		case 5: return op_divuw;
		case 6: return op_remw;
		case 7: return op_remuw;
		}
	} else if (f7 == 0x20) {
		if (f3 == 0) return op_subw;
		if (f3 == 5) return op_sraw;
	}
	return NULL;
}

static rv_op_fn dec_opimm(uint32_t r, struct rv_insn *i)
{
	static const rv_op_fn tab[8] = { op_addi, NULL, op_slti, op_sltiu,
					 op_xori, NULL, op_ori, op_andi };
	uint32_t f3 = (r >> 12) & 7, hi = r >> 26;

	i->imm = imm_i(r);
	if (f3 == 1 || f3 == 5) {
		i->imm &= 63;
		if (f3 == 1)
			return hi == 0 ? op_slli : NULL;
		return hi == 0 ? op_srli : hi == 0x10 ? op_srai : NULL;
	}
	return tab[f3];
}

static rv_op_fn dec_opimm32(uint32_t r, struct rv_insn *i)
{
	uint32_t f3 = (r >> 12) & 7, f7 = r >> 25;

	i->imm = imm_i(r);
	if (f3 == 0)
		return op_addiw;
	i->imm &= 31;
	if (f3 == 1)
		return f7 == 0 ? op_slliw : NULL;
	if (f3 == 5)
		return f7 == 0 ? op_srliw : f7 == 0x20 ? op_sraiw : NULL;
	return NULL;
}

/* Fills i->fn for the base-integer opcodes; returns -1 if not one. */
int rv_decode_int(uint32_t r, struct rv_insn *i)
{
	static const rv_op_fn br[8] = { op_beq, op_bne, NULL, NULL,
					op_blt, op_bge, op_bltu, op_bgeu };
	static const rv_op_fn ld[8] = { op_lb, op_lh, op_lw, op_ld,
					op_lbu, op_lhu, op_lwu, NULL };
	static const rv_op_fn st[8] = { op_sb, op_sh, op_sw, op_sd };
	uint32_t f3 = (r >> 12) & 7;
	rv_op_fn fn = NULL;

	switch (r & 0x7f) {
	case 0x37: fn = op_lui; i->imm = (int32_t)(r & 0xfffff000); break;
	case 0x17: fn = op_auipc; i->imm = (int32_t)(r & 0xfffff000); break;
	case 0x6f: fn = op_jal; i->imm = imm_j(r); i->ends_block = 1; break;
	case 0x67:
		fn = f3 == 0 ? op_jalr : NULL;
		i->imm = imm_i(r);
		i->ends_block = 1;
		break;
	case 0x63: fn = br[f3]; i->imm = imm_b(r); i->ends_block = 1; break;
	case 0x03: fn = ld[f3]; i->imm = imm_i(r); break;
	case 0x23: fn = f3 < 4 ? st[f3] : NULL; i->imm = imm_s(r); break;
	case 0x13: fn = dec_opimm(r, i); break;
	case 0x1b: fn = dec_opimm32(r, i); break;
	case 0x33: fn = dec_op(f3, r >> 25); break;
	case 0x3b: fn = dec_op32(f3, r >> 25); break;
	default: return -1;
	}
	i->fn = fn ? fn : rv_illegal;
	return 0;
}
