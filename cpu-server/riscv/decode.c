/* SPDX-License-Identifier: MIT */
/* Decoder front end: compressed-instruction expansion and dispatch. */
#include <string.h>

#include "rv_internal.h"


#define BIT(v, n) (((v) >> (n)) & 1u)
#define BITS(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

static uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1,
		      int32_t imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2,
		      int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return BITS(u, 11, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       BITS(u, 4, 0) << 7 | op;
}

static uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1,
		      uint32_t rs2, uint32_t f7)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return BIT(u, 12) << 31 | BITS(u, 10, 5) << 25 | rs2 << 20 | rs1 << 15 |
	       f3 << 12 | BITS(u, 4, 1) << 8 | BIT(u, 11) << 7 | 0x63;
}

static uint32_t enc_j(uint32_t rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return BIT(u, 20) << 31 | BITS(u, 10, 1) << 21 | BIT(u, 11) << 20 |
	       BITS(u, 19, 12) << 12 | rd << 7 | 0x6f;
}

static int32_t sext(uint32_t v, unsigned bits)
{
	return (int32_t)(v << (32 - bits)) >> (32 - bits);
}

static uint32_t expand_q0(uint32_t c)
{
	uint32_t rd = 8 + BITS(c, 4, 2), rs1 = 8 + BITS(c, 9, 7);
	uint32_t uw = BITS(c, 12, 10) << 3 | BIT(c, 6) << 2 | BIT(c, 5) << 6;
	uint32_t ud = BITS(c, 12, 10) << 3 | BITS(c, 6, 5) << 6;

	switch (BITS(c, 15, 13)) {
	case 0: {
		uint32_t imm = BITS(c, 12, 11) << 4 | BITS(c, 10, 7) << 6 |
			       BIT(c, 6) << 2 | BIT(c, 5) << 3;
		return imm ? enc_i(0x13, rd, 0, 2, (int32_t)imm) : 0;
	}
	case 1: return enc_i(0x07, rd, 3, rs1, (int32_t)ud);
	case 2: return enc_i(0x03, rd, 2, rs1, (int32_t)uw);
	case 3: return enc_i(0x03, rd, 3, rs1, (int32_t)ud);
	case 5: return enc_s(0x27, 3, rs1, rd, (int32_t)ud);
	case 6: return enc_s(0x23, 2, rs1, rd, (int32_t)uw);
	case 7: return enc_s(0x23, 3, rs1, rd, (int32_t)ud);
	default: return 0;
	}
}

static uint32_t expand_alu(uint32_t c)
{
	uint32_t rd = 8 + BITS(c, 9, 7), rs2 = 8 + BITS(c, 4, 2);
	uint32_t sh = BIT(c, 12) << 5 | BITS(c, 6, 2);
	static const uint32_t f3[4] = { 0, 4, 6, 7 };

	switch (BITS(c, 11, 10)) {
	case 0: return enc_i(0x13, rd, 5, rd, (int32_t)sh);
	case 1: return enc_i(0x13, rd, 5, rd, (int32_t)(sh | 0x400));
	case 2: return enc_i(0x13, rd, 7, rd, sext(sh, 6));
	}
	uint32_t k = BITS(c, 6, 5);
	if (!BIT(c, 12))
		return enc_r(0x33, rd, f3[k], rd, rs2, k == 0 ? 0x20 : 0);
	if (k == 0)
		return enc_r(0x3b, rd, 0, rd, rs2, 0x20);
	if (k == 1)
		return enc_r(0x3b, rd, 0, rd, rs2, 0);
	return 0;
}

static uint32_t expand_q1(uint32_t c)
{
	uint32_t rd = BITS(c, 11, 7), rs1 = 8 + BITS(c, 9, 7);
	int32_t imm6 = sext(BIT(c, 12) << 5 | BITS(c, 6, 2), 6);

	switch (BITS(c, 15, 13)) {
	case 0: return enc_i(0x13, rd, 0, rd, imm6);
	case 1: return rd ? enc_i(0x1b, rd, 0, rd, imm6) : 0;
	case 2: return enc_i(0x13, rd, 0, 0, imm6);
	case 3:
		if (rd == 2) {
			int32_t imm = sext(BIT(c, 12) << 9 | BIT(c, 6) << 4 |
					   BIT(c, 5) << 6 | BITS(c, 4, 3) << 7 |
					   BIT(c, 2) << 5, 10);
			return imm ? enc_i(0x13, 2, 0, 2, imm) : 0;
		}
		if (!imm6)
			return 0;
		return ((uint32_t)imm6 << 12) | rd << 7 | 0x37;
	case 4: return expand_alu(c);
	case 5: {
		int32_t imm = sext(BIT(c, 12) << 11 | BIT(c, 11) << 4 |
				   BITS(c, 10, 9) << 8 | BIT(c, 8) << 10 |
				   BIT(c, 7) << 6 | BIT(c, 6) << 7 |
				   BITS(c, 5, 3) << 1 | BIT(c, 2) << 5, 12);
		return enc_j(0, imm);
	}
	default: {
		int32_t imm = sext(BIT(c, 12) << 8 | BITS(c, 11, 10) << 3 |
				   BITS(c, 6, 5) << 6 | BITS(c, 4, 3) << 1 |
				   BIT(c, 2) << 5, 9);
		return enc_b(BIT(c, 13) ? 1 : 0, rs1, 0, imm);
	}
	}
}

static uint32_t expand_q2(uint32_t c)
{
	uint32_t rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
	uint32_t ldsp = BIT(c, 12) << 5 | BITS(c, 6, 5) << 3 | BITS(c, 4, 2) << 6;
	uint32_t lwsp = BIT(c, 12) << 5 | BITS(c, 6, 4) << 2 | BITS(c, 3, 2) << 6;
	uint32_t sdsp = BITS(c, 12, 10) << 3 | BITS(c, 9, 7) << 6;
	uint32_t swsp = BITS(c, 12, 9) << 2 | BITS(c, 8, 7) << 6;

	switch (BITS(c, 15, 13)) {
	case 0: return enc_i(0x13, rd, 1, rd, (int32_t)(BIT(c, 12) << 5 | rs2));
	case 1: return enc_i(0x07, rd, 3, 2, (int32_t)ldsp);
	case 2: return rd ? enc_i(0x03, rd, 2, 2, (int32_t)lwsp) : 0;
	case 3: return rd ? enc_i(0x03, rd, 3, 2, (int32_t)ldsp) : 0;
	case 4:
		if (!BIT(c, 12)) {
			if (rs2)
				return enc_r(0x33, rd, 0, 0, rs2, 0);
			return rd ? enc_i(0x67, 0, 0, rd, 0) : 0;
		}
		if (rs2)
			return enc_r(0x33, rd, 0, rd, rs2, 0);
		return rd ? enc_i(0x67, 1, 0, rd, 0) : 0x00100073;
	case 5: return enc_s(0x27, 3, 2, rs2, (int32_t)sdsp);
	case 6: return enc_s(0x23, 2, 2, rs2, (int32_t)swsp);
	default: return enc_s(0x23, 3, 2, rs2, (int32_t)sdsp);
	}
}

/* Expands a 16-bit instruction to its 32-bit equivalent; 0 if illegal. */
uint32_t rv_expand_c(uint16_t c16)
{
	uint32_t c = c16;

	switch (c & 3) {
	case 0: return expand_q0(c);
	case 1: return expand_q1(c);
	case 2: return expand_q2(c);
	default: return 0;
	}
}

/*
 * Decodes raw (a 32-bit word, or a 16-bit parcel in the low half when its
 * low two bits are not 11) into i.  Unknown encodings decode to the
 * illegal-instruction op, so decoding never fails.
 */
int rv_decode(uint32_t raw, struct rv_insn *i)
{
	uint32_t r = raw;

	memset(i, 0, sizeof(*i));
	if ((raw & 3) != 3) {
		raw &= 0xffff;
		r = rv_expand_c((uint16_t)raw);
		i->len = 2;
	} else {
		i->len = 4;
	}
	i->raw = raw;
	i->rd = (uint8_t)((r >> 7) & 31);
	i->rs1 = (uint8_t)((r >> 15) & 31);
	i->rs2 = (uint8_t)((r >> 20) & 31);
	i->rs3 = (uint8_t)(r >> 27);
	i->rm = (uint8_t)((r >> 12) & 7);
	if (r == 0 || (rv_decode_int(r, i) < 0 && rv_decode_sys(r, i) < 0 &&
		       rv_decode_fp(r, i) < 0)) {
		i->fn = rv_illegal;
		i->ends_block = 1;
	}
	if (i->fn == rv_illegal)
		i->ends_block = 1;
	return 0;
}
