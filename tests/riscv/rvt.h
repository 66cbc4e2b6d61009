/* SPDX-License-Identifier: MIT */
/*
 * Assembler helpers for the bare-metal test programs (built with
 * riscv64-linux-gnu-gcc -nostdlib, see meson.build).
 * Result convention: store 1 to TOHOST for pass, (n << 1) | 1 for failure
 * of check number n.  t4 holds the current check number, t5/t6 scratch.
 * Traps: the M-mode handler installed by TEST_BEGIN records mcause in s10
 * and mtval in s11, then resumes at the address in s9 (set with EXPECT_TRAP)
 * keeping MPP, so a test can provoke a fault and inspect it; mstatus at
 * trap time goes to s8.  s_trap does the same for S mode (scause,
 * stval, sstatus, sepc = s9).
 */
#ifndef RVT_H
#define RVT_H

#define TOHOST 0x80800000
#define RAM_BASE 0x80000000

/* PMP entry 15 (lowest priority) gives S and U all of memory, as
 * firmware does: with PMP implemented, an access no entry matches fails. */
#define PMP_ALLOW_ALL                     \
	li t0, -1;                        \
	csrw pmpaddr15, t0;               \
	li t0, (0x1f << 56);              \
	csrs pmpcfg2, t0

#define TEST_BEGIN                        \
	.section .text.init;              \
	.globl _start;                    \
_start:                                   \
	la t0, m_trap;                    \
	csrw mtvec, t0;                   \
	li t0, (1 << 13);                 \
	csrs mstatus, t0; /* FS=Initial */\
	PMP_ALLOW_ALL;                    \
	li s10, -1;                       \
	li s11, -1;                       \
	li t4, 0

#define CHECK(reg, val, n) \
	li t4, n;          \
	li t5, val;        \
	bne reg, t5, fail

#define CHECKR(reg, reg2, n) \
	li t4, n;            \
	bne reg, reg2, fail

/* Resume at label after the next trap; clears the recorded cause. */
#define EXPECT_TRAP(label) \
	la s9, label;      \
	li s10, -1;        \
	li s11, -1

/* Enter privilege mode m (0 U, 1 S, 3 M) at label from M mode. */
#define GOTO_MODE(m, label)      \
	li t0, 0x1800;           \
	csrc mstatus, t0;        \
	li t0, ((m) << 11);      \
	csrs mstatus, t0;        \
	la t0, label;            \
	csrw mepc, t0;           \
	mret

/* From S or U (trap not delegated): back to M mode at label. */
#define BACK_TO_M(label)         \
	li s7, 1;                \
	la s9, label;            \
	ecall

/* QEMU virt's sifive_test finisher (0x100000): 0x5555 powers off, so the
 * benchmark programs also run under qemu-system-riscv64; the test
 * harness ignores this write. */
#define FINISHER 0x100000

#define PASS                  \
	li t6, FINISHER;      \
	li t5, 0x5555;        \
	sw t5, 0(t6);         \
	li t6, TOHOST;        \
	li t5, 1;             \
	sd t5, 0(t6);         \
1:	j 1b

#define TEST_END                  \
	PASS;                     \
fail:                             \
	slli t4, t4, 1;           \
	ori t4, t4, 1;            \
	li t6, TOHOST;            \
	sd t4, 0(t6);             \
2:	j 2b;                     \
	.align 2;                 \
m_trap:                           \
	csrr s10, mcause;         \
	csrr s11, mtval;          \
	csrr s8, mstatus;         \
	csrw mepc, s9;            \
	li t6, 1;                 \
	bne s7, t6, 3f;           \
	li t6, 0x1800;            \
	csrs mstatus, t6;         \
	li s7, 0;                 \
3:	mret;                     \
	.align 2;                 \
s_trap:                           \
	csrr s10, scause;         \
	csrr s11, stval;          \
	csrr s8, sstatus;         \
	csrw sepc, s9;            \
	sret

#endif
