/* sfence.vma with operands: an address flushes that leaf mapping (all of
 * a superpage, global ones too), an ASID only its non-global entries,
 * and a code page remapped under a cached, chained block runs the new
 * code.  Checks 4, 8, 10 and 11 read a stale translation on purpose: they
 * show that the fence kept the entries it need not flush (implementation
 * behaviour, allowed by the ISA; a full flush fails them). */
#include "rvt.h"
#include "rvt-vm.h"
#define ASID 5
/* Virtual pages whose TLB slots (vpage % 256) no code or table page uses */
#define P1 0x40010000
#define P2 0x40011000
#define G3 0x40012000
#define P4 0x40013000
#define CODE 0x40030000
#define MEGA 0x40200000
#define MEGA_PA1 0x80400000
#define MEGA_PA2 0x80600000

#define LOAD(dst, va) \
	li t3, va;    \
	ld dst, 0(t3)

TEST_BEGIN
	li s7, 0
	PT_BASE
	li a0, MEGA_PA1
	SETPTE(pt_l1, 1, a0, V|R|W|A|D)
	la a0, page_a
	SETPTE(pt_l0, 0x10, a0, V|R|W|A|D)
	la a0, page_b
	SETPTE(pt_l0, 0x11, a0, V|R|W|A|D)
	la a0, page_a
	SETPTE(pt_l0, 0x12, a0, V|R|W|A|D|G)
	SETPTE(pt_l0, 0x13, a0, V|R|W|A|D)
	la a0, page_c
	SETPTE(pt_l0, 0x30, a0, V|R|X|A)
	/* values */
	la a0, page_a
	li a1, 0x1111
	sd a1, 0(a0)
	la a0, page_b
	li a1, 0x2222
	sd a1, 0(a0)
	li a0, MEGA_PA1 + 0x20000
	li a1, 0xa1
	sd a1, 0(a0)
	li a0, MEGA_PA1 + 0x21000
	li a1, 0xa2
	sd a1, 0(a0)
	li a0, MEGA_PA2 + 0x20000
	li a1, 0xb1
	sd a1, 0(a0)
	li a0, MEGA_PA2 + 0x21000
	li a1, 0xb2
	sd a1, 0(a0)
	/* page_c: li a0, 1; ret   page_d: li a0, 2; ret */
	la a0, page_c
	li a1, 0x00100513
	sw a1, 0(a0)
	li a1, 0x00008067
	sw a1, 4(a0)
	la a0, page_d
	li a1, 0x00200513
	sw a1, 0(a0)
	li a1, 0x00008067
	sw a1, 4(a0)
	fence.i
	/* Sv39, ASID 5 */
	SV39_ON(ASID)
	GOTO_MODE(1, s_mode)
s_mode:
	/* -- by address -- */
	LOAD(a1, P1)
	CHECK(a1, 0x1111, 1)
	LOAD(a1, P2)
	CHECK(a1, 0x2222, 2)
	la a0, page_b
	SETPTE(pt_l0, 0x10, a0, V|R|W|A|D)
	la a0, page_a
	SETPTE(pt_l0, 0x11, a0, V|R|W|A|D)
	li s0, P1
	sfence.vma s0, zero
	LOAD(a1, P1)
	CHECK(a1, 0x2222, 3)	/* flushed: the new mapping */
	LOAD(a1, P2)
	CHECK(a1, 0x2222, 4)	/* kept: still the old one */
	sfence.vma
	LOAD(a1, P2)
	CHECK(a1, 0x1111, 5)

	/* -- by ASID -- */
	LOAD(a1, G3)
	CHECK(a1, 0x1111, 6)
	LOAD(a1, P4)
	CHECK(a1, 0x1111, 7)
	la a0, page_b
	SETPTE(pt_l0, 0x12, a0, V|R|W|A|D|G)
	SETPTE(pt_l0, 0x13, a0, V|R|W|A|D)
	li a2, ASID + 1
	sfence.vma zero, a2	/* another ASID: none of ours goes */
	LOAD(a1, P4)
	CHECK(a1, 0x1111, 8)
	li a2, ASID
	sfence.vma zero, a2	/* ours, but not the global one */
	LOAD(a1, P4)
	CHECK(a1, 0x2222, 9)
	LOAD(a1, G3)
	CHECK(a1, 0x1111, 10)
	li s0, G3
	sfence.vma s0, a2	/* address + ASID: still not global */
	LOAD(a1, G3)
	CHECK(a1, 0x1111, 11)
	sfence.vma s0, zero	/* address alone: global too */
	LOAD(a1, G3)
	CHECK(a1, 0x2222, 12)

	/* -- a superpage: one address flushes every piece of the leaf -- */
	LOAD(a1, MEGA + 0x20000)
	CHECK(a1, 0xa1, 13)
	LOAD(a1, MEGA + 0x21000)
	CHECK(a1, 0xa2, 14)
	li a0, MEGA_PA2
	SETPTE(pt_l1, 1, a0, V|R|W|A|D)
	li s0, MEGA + 0x20000
	sfence.vma s0, zero
	LOAD(a1, MEGA + 0x20000)
	CHECK(a1, 0xb1, 15)
	LOAD(a1, MEGA + 0x21000)
	CHECK(a1, 0xb2, 16)

	/* -- a remapped code page: no chain or jump cache survives -- */
	li s0, CODE
	li a0, 0
	jalr s0
	CHECK(a0, 1, 17)
	li a0, 0
	jalr s0
	CHECK(a0, 1, 18)
	la a0, page_d
	SETPTE(pt_l0, 0x30, a0, V|R|X|A)
	li s0, CODE
	sfence.vma s0, zero
	li a0, 0
	jalr s0
	CHECK(a0, 2, 19)

	/* -- a full flush clears what was filled since the last one (the
	 * TLB clears only those slots): the entry P1's load fills, right
	 * before the PTE changes, goes -- */
	la a0, page_a
	SETPTE(pt_l0, 0x10, a0, V|R|W|A|D)
	la a0, page_b
	li s1, P1
	sfence.vma
	ld a1, 0(s1)
	SETPTE(pt_l0, 0x10, a0, V|R|W|A|D)
	sfence.vma
	ld a2, 0(s1)
	CHECK(a1, 0x1111, 20)
	CHECK(a2, 0x2222, 21)
	BACK_TO_M(m_end)
m_end:
	csrw satp, zero
TEST_END
	.data
	PT_TABLES
page_a:	.skip 4096
page_b:	.skip 4096
page_c:	.skip 4096
page_d:	.skip 4096
