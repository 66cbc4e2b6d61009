/* The jit translates loads and stores for the data mode a block first ran
 * in (bare RAM window or TLB).  VA 0x80200000 is RAM both ways: bare it is
 * PA 0x80200000 (holding A), under this test's Sv39 tables PA 0x80400000
 * (holding B), so a load or store run with the other mode's code gives
 * the wrong value.
 * 1. MPRV switches the mode inside one block (csrs, then loads and a
 *    store): the code after the csrs must use the TLB, after the csrc the
 *    window again, on every round.
 * 2. One function runs in M mode (bare) and S mode (Sv39) alternately,
 *    more often than the jit translates a block again for a new mode. */
#include "rvt.h"
#include "rvt-vm.h"
#define VA 0x80200000
#define PA_B 0x80400000
#define A_VAL 0xaaaa
#define B_VAL 0xbbbb
#define MPRV (1 << 17)
#define ROUNDS 12

TEST_BEGIN
	li s7, 0
	/* root[2] -> pt_l1: 2 MiB identity pages over RAM, but VA 0x80200000
	 * -> PA 0x80400000 */
	la a0, pt_l1
	SETPTE(pt_root, 2, a0, V)
	li s0, 0
	li s1, RAM_BASE
1:	la t1, pt_l1
	slli t0, s0, 3
	add t1, t1, t0
	srli t0, s1, 12
	slli t0, t0, 10
	ori t0, t0, V|R|W|X|A|D
	sd t0, 0(t1)
	li t0, 0x200000
	add s1, s1, t0
	addi s0, s0, 1
	li t0, 32
	bltu s0, t0, 1b
	li a0, PA_B
	SETPTE(pt_l1, 1, a0, V|R|W|A|D)
	SV39_ON(0)
	li s2, VA
	li s3, PA_B
	li a1, A_VAL
	sd a1, 0(s2)
	li a1, B_VAL
	sd a1, 0(s3)

	/* 1: MPRV with MPP = S, inside one block */
	li t0, 0x1800
	csrc mstatus, t0
	li t0, 1 << 11
	csrs mstatus, t0
	li s0, ROUNDS
	li t0, MPRV
2:	csrs mstatus, t0
	ld a1, 0(s2)            /* B */
	addi a3, a1, 1
	sd a3, 8(s2)            /* to PA_B + 8 */
	csrc mstatus, t0
	ld a2, 0(s2)            /* A */
	ld a4, 8(s3)
	li t4, 1
	li t5, B_VAL
	bne a1, t5, fail
	li t4, 2
	li t5, A_VAL
	bne a2, t5, fail
	li t4, 3
	li t5, B_VAL + 1
	bne a4, t5, fail
	sd zero, 8(s3)
	addi s0, s0, -1
	bnez s0, 2b

	/* 2: the same function bare (M) and translated (S), alternately */
	li s0, ROUNDS
3:	mv a0, s2
	jal ra, load_at
	CHECK(a0, A_VAL, 4)
	GOTO_MODE(1, 4f)
4:	mv a0, s2
	jal ra, load_at
	CHECK(a0, B_VAL, 5)
	BACK_TO_M(5f)
5:	addi s0, s0, -1
	bnez s0, 3b
TEST_END

load_at:
	ld a0, 0(a0)
	ret

	.data
PT_TABLES
