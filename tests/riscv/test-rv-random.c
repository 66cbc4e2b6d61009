/* SPDX-License-Identifier: MIT */
/*
 * Random-program differential test: generates straight-line programs with
 * forward branches from a seeded PRNG (integer, M, loads/stores including
 * misaligned ones, AMOs, LR/SC, F/D arithmetic with random static and
 * dynamic rounding modes, fcsr writes) and requires the reference
 * interpreter and the block engine, and the interpreter and the jit (every
 * block translated at its first run), to end in identical architectural
 * state and identical data memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rvharness.h"
#include "test-util.h"

#define NINSN 4000
#define DATA_OFF 0x100000u  /* data region: RAM + 1 MiB, 4 KiB */
#define BASE_REG 8          /* x8 = data + 2048: loads/stores use it */
#define AMO_REG 9           /* x9 = data + 256 (aligned) */
#define TOHOST_REG 31       /* x31 = tohost, x30 = 1 */

struct gen {
	uint64_t s;
	uint32_t *code;
	unsigned n;
};

static uint64_t rnd(struct gen *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return g->s;
}

static unsigned pick(struct gen *g, unsigned n) { return (unsigned)(rnd(g) % n); }

/* Destination registers avoid x8, x9, x30, x31 (kept as pointers). */
static unsigned rd_reg(struct gen *g)
{
	unsigned r;
	do {
		r = pick(g, 30);
	} while (r == BASE_REG || r == AMO_REG);
	return r;
}

static void emit(struct gen *g, uint32_t w) { g->code[g->n++] = w; }

static uint32_t r_type(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1,
		       uint32_t rs2, uint32_t f7)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t i_type(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1,
		       int32_t imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t s_type(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2,
		       int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u & 31) << 7 | op;
}

static void gen_alu(struct gen *g)
{
	static const uint32_t op[][2] = { /* f3, f7 */
		{0, 0}, {0, 0x20}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0},
		{5, 0x20}, {6, 0}, {7, 0}, {0, 1}, {1, 1}, {2, 1}, {3, 1},
		{4, 1}, {5, 1}, {6, 1}, {7, 1},
	};
	static const uint32_t op32[][2] = {
		{0, 0}, {0, 0x20}, {1, 0}, {5, 0}, {5, 0x20}, {0, 1}, {4, 1},
		{5, 1}, {6, 1}, {7, 1},
	};
	unsigned k;
	switch (pick(g, 5)) {
	case 4: { /* slli p, q, 1..3; add rd, o, p: the jit's lea (with
		   * rd = p it leaves the slli out; q = p too) */
		unsigned p = rd_reg(g), o = pick(g, 32);
		unsigned q = pick(g, 3) ? pick(g, 32) : p;
		unsigned rd = pick(g, 2) ? p : rd_reg(g);
		emit(g, i_type(0x13, p, 1, q, 1 + (int32_t)pick(g, 3)));
		emit(g, pick(g, 2) ? r_type(0x33, rd, 0, o, p, 0)
				   : r_type(0x33, rd, 0, p, o, 0));
		break;
	}
	case 0:
		k = pick(g, 18);
		emit(g, r_type(0x33, rd_reg(g), op[k][0], pick(g, 32),
			       pick(g, 32), op[k][1]));
		break;
	case 1:
		k = pick(g, 10);
		emit(g, r_type(0x3b, rd_reg(g), op32[k][0], pick(g, 32),
			       pick(g, 32), op32[k][1]));
		break;
	case 2: {
		uint32_t f3 = pick(g, 8);
		int32_t imm = (int32_t)pick(g, 4096) - 2048;
		if (f3 == 1) imm &= 63;
		if (f3 == 5) imm = (imm & 63) | (pick(g, 2) ? 0x400 : 0);
		emit(g, i_type(0x13, rd_reg(g), f3, pick(g, 32), imm));
		break;
	}
	default:
		if (pick(g, 2))
			emit(g, (uint32_t)(rnd(g) & 0xfffff000) | rd_reg(g) << 7 |
				(pick(g, 2) ? 0x37 : 0x17));
		else
			emit(g, i_type(0x1b, rd_reg(g), 0, pick(g, 32),
				       (int32_t)pick(g, 4096) - 2048));
	}
}

static void gen_mem(struct gen *g)
{
	int32_t off = (int32_t)pick(g, 4096) - 2048;
	if (pick(g, 2))
		emit(g, i_type(0x03, rd_reg(g), pick(g, 7), BASE_REG, off));
	else
		emit(g, s_type(0x23, pick(g, 4), BASE_REG, pick(g, 32), off));
}

static void gen_amo(struct gen *g)
{
	static const uint32_t f5[] = { 0, 1, 4, 12, 8, 16, 20, 24, 28 };
	uint32_t f3 = pick(g, 2) ? 2 : 3;
	if (pick(g, 4) == 0) { /* LR/SC pair */
		unsigned rd = rd_reg(g);
		emit(g, r_type(0x2f, rd, f3, AMO_REG, 0, 2 << 2));
		emit(g, r_type(0x2f, rd_reg(g), f3, AMO_REG, pick(g, 32), 3 << 2));
		return;
	}
	emit(g, r_type(0x2f, rd_reg(g), f3, AMO_REG, pick(g, 32),
		       f5[pick(g, 9)] << 2));
}

static void gen_fp(struct gen *g)
{
	static const uint32_t f7s[] = { 0x00, 0x04, 0x08, 0x0c, 0x2c, 0x10,
					0x14, 0x50, 0x60, 0x68, 0x70, 0x78,
					0x20 };
	static const uint32_t rms[] = { 0, 1, 2, 3, 4, 7 };
	uint32_t d = pick(g, 2), f7 = f7s[pick(g, 13)] | d;
	uint32_t rm = rms[pick(g, 6)], rs2 = pick(g, 32), f3 = rm;
	uint32_t rd = pick(g, 32);

	switch (f7 & ~1u) {
	case 0x2c: rs2 = 0; break;
	case 0x10: f3 = pick(g, 3); break;
	case 0x14: f3 = pick(g, 2); break;
	case 0x50: f3 = pick(g, 3); rd = rd_reg(g); break;
	case 0x60: rs2 = pick(g, 4); rd = rd_reg(g); break;
	case 0x68: rs2 = pick(g, 4); break;
	case 0x70: rs2 = 0; f3 = pick(g, 2); rd = rd_reg(g); break;
	case 0x78: rs2 = 0; f3 = 0; break;
	case 0x20: rs2 = d ? 0 : 1; break;
	}
	if (pick(g, 6) == 0) { /* fused multiply-add family */
		uint32_t op = 0x43 + 4 * pick(g, 4);
		emit(g, pick(g, 32) << 27 | d << 25 | pick(g, 32) << 20 |
			pick(g, 32) << 15 | rm << 12 | pick(g, 32) << 7 | op);
		return;
	}
	emit(g, r_type(0x53, rd, f3, pick(g, 32), rs2, f7));
}

static void gen_misc(struct gen *g)
{
	switch (pick(g, 4)) {
	case 0: /* forward branch over 1..3 instructions */
		{
			uint32_t imm = 4 * (1 + pick(g, 3)), f3 = pick(g, 6);
			if (f3 >= 2) f3 += 2;
			emit(g, ((imm >> 1) & 0xf) << 8 | ((imm >> 5) & 0x3f) << 25 |
				pick(g, 32) << 15 | pick(g, 32) << 20 | f3 << 12 | 0x63);
		}
		break;
	case 1: /* csrrwi frm, 0..4 or csrrw fflags */
		if (pick(g, 2))
			emit(g, i_type(0x73, rd_reg(g), 5, pick(g, 5), 0x002));
		else
			emit(g, i_type(0x73, rd_reg(g), 1, pick(g, 32), 0x001));
		break;
	case 2: /* fmv.d.x / fmv.w.x from a random integer register */
		emit(g, r_type(0x53, pick(g, 32), 0, pick(g, 32), 0,
			       pick(g, 2) ? 0x79 : 0x78));
		break;
	default: /* FP loads/stores */
		if (pick(g, 2))
			emit(g, i_type(0x07, pick(g, 32), 2 + pick(g, 2), BASE_REG,
				       (int32_t)pick(g, 4096) - 2048));
		else
			emit(g, s_type(0x27, 2 + pick(g, 2), BASE_REG, pick(g, 32),
				       (int32_t)pick(g, 4096) - 2048));
	}
}

static void generate(struct gen *g)
{
	/* mstatus.FS = Initial: lui x29, 0x2; csrs mstatus, x29 */
	emit(g, 0x00002eb7);
	emit(g, i_type(0x73, 0, 2, 29, 0x300));       /* csrrs x0, mstatus, x29 */
	while (g->n < NINSN) {
		switch (pick(g, 10)) {
		case 0: case 1: case 2: gen_alu(g); break;
		case 3: case 4: gen_mem(g); break;
		case 5: gen_amo(g); break;
		case 6: case 7: gen_fp(g); break;
		default: gen_misc(g); break;
		}
	}
	for (unsigned k = 0; k < 3; k++)
		emit(g, 0x00000013);                  /* branch landing pad */
	emit(g, s_type(0x23, 3, TOHOST_REG, 30, 0)); /* sd x30, 0(x31) */
	emit(g, 0x0000006f);                          /* j . */
}

static void setup(struct rvh *t, uint64_t seed, uint32_t *code)
{
	struct gen g = { seed * 0x9e3779b97f4a7c15ull + 1, code, 0 };
	generate(&g);
	memcpy(t->ram, code, g.n * 4);
	for (unsigned k = 0; k < 4096; k++)
		t->ram[DATA_OFF + k] = (uint8_t)rnd(&g);
	struct rv_hart *h = rv_vm_hart(t->vm, 0);
	for (unsigned r = 1; r < 32; r++)
		rv_hart_set_reg(h, r, rnd(&g));
	rv_hart_set_reg(h, BASE_REG, RVH_RAM_BASE + DATA_OFF + 2048);
	rv_hart_set_reg(h, AMO_REG, RVH_RAM_BASE + DATA_OFF + 256);
	rv_hart_set_reg(h, 30, 1);
	rv_hart_set_reg(h, TOHOST_REG, RVH_TOHOST);
}

/* _i: seed * 2 + (0: block, 1: jit) */
START_TEST(random_diff)
{
	static uint32_t code[NINSN + 16];
	struct rvh a, b;
	struct rvh_state sa, sb;
	int other = _i & 1 ? RV_ENGINE_JIT : RV_ENGINE_BLOCK;

	setenv("ATOLL_RV_JIT_HOT", "1", 1);
	_i /= 2;
	CHECK_OK(rvh_init(&a, 1, RV_ENGINE_INTERP, 1000000));
	CHECK_OK(rvh_init(&b, 1, other, 1000000));
	setup(&a, (uint64_t)_i, code);
	setup(&b, (uint64_t)_i, code);
	int ra = rvh_run(&a), rb = rvh_run(&b);
	ck_assert_int_eq(ra, RV_EXIT_TOHOST_PASS);
	ck_assert_int_eq(rb, RV_EXIT_TOHOST_PASS);
	rvh_state(&a, 0, &sa);
	rvh_state(&b, 0, &sb);
	for (unsigned k = 0; k < 32; k++) {
		ck_assert_msg(sa.x[k] == sb.x[k], "seed %d x%u %#llx vs %#llx",
			      _i, k, (unsigned long long)sa.x[k],
			      (unsigned long long)sb.x[k]);
		ck_assert_msg(sa.f[k] == sb.f[k], "seed %d f%u %#llx vs %#llx",
			      _i, k, (unsigned long long)sa.f[k],
			      (unsigned long long)sb.f[k]);
	}
	ck_assert_uint_eq(sa.pc, sb.pc);
	for (unsigned k = 0; k < 12; k++)
		ck_assert_msg(sa.csr[k] == sb.csr[k], "seed %d csr %u", _i, k);
	ck_assert_msg(memcmp(a.ram + DATA_OFF, b.ram + DATA_OFF, 4096) == 0,
		      "seed %d: data memory differs", _i);
	/* the program really ran: most of it retired */
	ck_assert_uint_gt(rv_hart_insn_count(rv_vm_hart(a.vm, 0)), NINSN / 2);
	rvh_fini(&a);
	rvh_fini(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-random");
	TCase *tc = tcase_create("diff");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, random_diff, 0, 80);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
