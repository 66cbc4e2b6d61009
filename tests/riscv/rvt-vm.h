/* SPDX-License-Identifier: MIT */
/*
 * Page tables for the bare-metal paging tests (t_vm, t_sfence, t_ad):
 * PTE bits, writing and reading a PTE, and the layout they share over
 * the tables pt_root, pt_l1 and pt_l0 (PT_TABLES, in the test's .data).
 */
#ifndef RVT_VM_H
#define RVT_VM_H

#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define U 0x10
#define G 0x20
#define A 0x40
#define D 0x80

/* table[idx] = PTE for the physical address in register pa with flags
 * fl (clobbers t0-t2). */
#define SETPTE(table, idx, pa, fl) \
	la t1, table;              \
	li t2, (idx) * 8;          \
	add t1, t1, t2;            \
	srli t0, pa, 12;           \
	slli t0, t0, 10;           \
	ori t0, t0, fl;            \
	sd t0, 0(t1)

/* dst = table[idx] (clobbers t1, t2). */
#define LOADPTE(dst, table, idx) \
	la t1, table;            \
	li t2, (idx) * 8;        \
	add t1, t1, t2;          \
	ld dst, 0(t1)

/* Root entry 2: an identity gigapage over RAM (RWX, A and D set), so
 * code, data and tables stay where they are; root entry 1 -> pt_l1,
 * pt_l1[0] -> pt_l0: VA 0x40000000 + n * 4 KiB is pt_l0[n] (clobbers
 * a0, t0-t2). */
#define PT_BASE                                   \
	li a0, RAM_BASE;                          \
	SETPTE(pt_root, 2, a0, V|R|W|X|A|D);      \
	la a0, pt_l1;                             \
	SETPTE(pt_root, 1, a0, V);                \
	la a0, pt_l0;                             \
	SETPTE(pt_l1, 0, a0, V)

/* satp = Sv39 over pt_root under ASID asid, then a full sfence.vma
 * (clobbers a0, a1). */
#define SV39_ON(asid)                                \
	la a0, pt_root;                              \
	srli a0, a0, 12;                             \
	li a1, (8 << 60) | ((asid) << 44);           \
	or a0, a0, a1;                               \
	csrw satp, a0;                               \
	sfence.vma

/* The three tables, 4 KiB each and aligned: page-aligned data the test
 * puts after them stays aligned. */
#define PT_TABLES           \
	.align 12;          \
pt_root: .skip 4096;        \
pt_l1:	.skip 4096;         \
pt_l0:	.skip 4096

#endif
