/* SPDX-License-Identifier: MIT */
/*
 * Decoder unit tests.  The compressed-expansion table was produced by GNU as
 * (riscv64-linux-gnu-as -march=rv64gc), assembling each instruction once
 * with and once without .option rvc, so it is an independent reference.
 */
#include <stdint.h>

#include "rv_internal.h"
#include "test-util.h"

static const struct {
	uint16_t c;
	uint32_t full;
} pairs[] = {
	{ 0x1fe8, 0x3fc10513 },
	{ 0x3fe8, 0x0f87b507 },
	{ 0x5cf0, 0x07c4a603 },
	{ 0x7f74, 0x0f873683 },
	{ 0xa500, 0x00853427 },
	{ 0xc03c, 0x04f42023 },
	{ 0xe5c4, 0x0895b423 },
	{ 0x1281, 0xfe028293 },
	{ 0x257d, 0x01f5051b },
	{ 0x5dbd, 0xfef00d93 },
	{ 0x7101, 0xe0010113 },
	{ 0x617d, 0x1f010113 },
	{ 0x7305, 0xfffe1337 },
	{ 0x637d, 0x0001f337 },
	{ 0x917d, 0x03f55513 },
	{ 0x8585, 0x4015d593 },
	{ 0x9a7d, 0xfff67613 },
	{ 0x8c05, 0x40940433 },
	{ 0x8f3d, 0x00f74733 },
	{ 0x8d4d, 0x00b56533 },
	{ 0x8e75, 0x00d67633 },
	{ 0x9d1d, 0x40f5053b },
	{ 0x9db1, 0x00c585bb },
	{ 0x1086, 0x02109093 },
	{ 0x30fe, 0x1f813087 },
	{ 0x51fe, 0x0fc12183 },
	{ 0x6fa2, 0x00813f83 },
	{ 0x8082, 0x00008067 }, /* c.jr ra (ret) */
	{ 0x856e, 0x01b00533 },
	{ 0x9002, 0x00100073 },
	{ 0x9382, 0x000380e7 }, /* c.jalr t2 */
	{ 0x952e, 0x00b50533 },
	{ 0xa26e, 0x11b13027 },
	{ 0xc22a, 0x00a12223 },
	{ 0xff86, 0x1e113c23 },
};

START_TEST(expand_matches_assembler)
{
	for (unsigned k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
		ck_assert_msg(rv_expand_c(pairs[k].c) == pairs[k].full,
			      "c %#06x: got %#010x want %#010x", pairs[k].c,
			      rv_expand_c(pairs[k].c), pairs[k].full);
}
END_TEST

/* Offsets from GNU as: beqz a0,-2; bnez s1,+10; j -6; j +6. */
START_TEST(compressed_branch_offsets)
{
	static const struct { uint16_t c; int64_t imm; } t[] = {
		{ 0xdd7d, -2 }, { 0xe489, 10 }, { 0xbfed, -6 }, { 0xa019, 6 },
	};
	struct rv_insn i;
	for (unsigned k = 0; k < 4; k++) {
		rv_decode(t[k].c, &i);
		ck_assert_int_eq(i.len, 2);
		ck_assert_int_eq(i.imm, t[k].imm);
		ck_assert_int_eq(i.ends_block, 1);
		ck_assert_ptr_ne(i.fn, rv_illegal);
	}
}
END_TEST

/* Reserved compressed encodings decode to the illegal instruction. */
START_TEST(compressed_reserved)
{
	static const uint16_t bad[] = {
		0x0000, /* all zero (c.addi4spn imm 0) */
		0x6081, /* c.lui ra, 0 */
		0x6101, /* c.addi16sp 0 */
		0x8002, /* c.jr x0 */
		0x4002, /* c.lwsp x0 */
		0x8000, /* quadrant 0 funct3 100 */
		0x2001, /* c.addiw x0 */
		0x9c41, /* c.subw funct reserved (q1 100 1 11 10) */
	};
	struct rv_insn i;
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		rv_decode(bad[k], &i);
		ck_assert_msg(i.fn == rv_illegal, "%#06x decoded", bad[k]);
		ck_assert_uint_eq(i.raw, bad[k]);
	}
}
END_TEST

START_TEST(full_width_illegal)
{
	static const uint32_t bad[] = {
		0x00000000, 0xffffffff,
		0x0000007f,             /* 48-bit+ prefix */
		0x44005013,             /* shift-right with funct6 0x11 */
		0x4000403b,             /* (not subw) funct7 0x20 f3 4 OP-32 */
		0x10200073 | (1u << 20),/* sret with rs2=3 bits -> unknown */
		0x0000c02f,             /* AMO funct3 4 */
		0x0600f053,             /* OP-FP fmt=Q (fadd.q) */
	};
	struct rv_insn i;
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		rv_decode(bad[k], &i);
		ck_assert_msg(i.fn == rv_illegal, "%#010x decoded", bad[k]);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-decode");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, expand_matches_assembler);
	tcase_add_test(tc, compressed_branch_offsets);
	tcase_add_test(tc, compressed_reserved);
	tcase_add_test(tc, full_width_illegal);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
