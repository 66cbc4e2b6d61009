/* PMP: no-match default, NAPOT/NA4/TOR matching, partial matches, M-mode
 * exemption and the L bit, MPRV, page-table walks under PMP, and cached
 * translations (TLB, block chains) dropped when an entry changes. */
#include "rvt.h"
#define PR 0x01
#define PW 0x02
#define PX 0x04
#define TOR (1 << 3)
#define NA4 (2 << 3)
#define NAPOT (3 << 3)
#define LOCK 0x80
#define MS_MPRV (1 << 17)

/* pmpaddr for a NAPOT region at label of size bytes (a power of two). */
#define NAPOT_ADDR(reg, label, size) \
	la reg, label;               \
	srli reg, reg, 2;            \
	ori reg, reg, ((size) / 8 - 1)

/* Runs label in mode m; a trap there (or the ecall ending it) returns to
 * M at resume with the cause in s10 and mtval in s11. */
#define RUN_IN(m, label, resume) \
	li s7, 1;                \
	EXPECT_TRAP(resume);     \
	GOTO_MODE(m, label)

TEST_BEGIN
	/* 1: reset state: no entry but the harness's all-memory entry 15 */
	csrr a0, pmpcfg0
	CHECK(a0, 0, 1)

	/* 2: with no entry active, an S-mode fetch matches nothing: fails */
	csrw pmpcfg2, zero
	RUN_IN(1, s_nop, 1f)
1:	CHECK(s10, 1, 2)
	la t0, s_nop
	CHECKR(s11, t0, 3)
	/* 4: M mode is not restricted by the absence of entries */
	EXPECT_TRAP(1f)
	la t0, pd
	sd zero, 0(t0)
1:	CHECK(s10, -1, 4)
	PMP_ALLOW_ALL

	/* entry 0: page pd read-only (NAPOT 4 KiB);
	 * entry 1: NA4 no-access word at pd2 + 8;
	 * entry 3: TOR [pcode, pcode + 4096) readable, not executable;
	 *          (entry 2 only holds the TOR base, mode OFF) */
	NAPOT_ADDR(t0, pd, 4096)
	csrw pmpaddr0, t0
	la t0, pd2 + 8
	srli t0, t0, 2
	csrw pmpaddr1, t0
	la t0, pcode
	srli t0, t0, 2
	csrw pmpaddr2, t0
	la t0, pcode + 4096
	srli t0, t0, 2
	csrw pmpaddr3, t0
	li t0, (PR | NAPOT) | (NA4 << 8) | ((PR | PW | TOR) << 24)
	csrw pmpcfg0, t0
	csrr a0, pmpcfg0
	CHECKR(a0, t0, 5)

	/* 6..7: S loads pd, its store faults with mtval = address */
	RUN_IN(1, s_rd_pd, 1f)
1:	CHECK(s10, 9, 6)	/* reached its ecall from S: the load passed */
	RUN_IN(1, s_wr_pd, 1f)
1:	CHECK(s10, 7, 7)
	la t0, pd + 16
	CHECKR(s11, t0, 8)
	/* 9: a store just past pd is allowed (entry 15) */
	RUN_IN(1, s_wr_pd_end, 1f)
1:	CHECK(s10, 9, 9)
	/* 10: U mode is checked like S */
	RUN_IN(0, s_wr_pd, 1f)
1:	CHECK(s10, 7, 10)

	/* 11..13: NA4 splits page pd2: word 8 faults, words 0 and 12 pass,
	 * a doubleword over bytes 8..15 only partly matches entry 1: fails */
	RUN_IN(1, s_na4_hit, 1f)
1:	CHECK(s10, 5, 11)
	RUN_IN(1, s_na4_miss, 1f)
1:	CHECK(s10, 9, 12)
	RUN_IN(1, s_na4_partial, 1f)
1:	CHECK(s10, 5, 13)
	/* 27: entry 7 lets S read word 16 of pd2; a doubleword at 16 still
	 * fails, since entry 7 matches only half of it */
	la t0, pd2 + 16
	srli t0, t0, 2
	csrw pmpaddr7, t0
	li t0, (PR | NA4) << 56
	csrs pmpcfg0, t0
	RUN_IN(1, s_na4_read_ok, 1f)
1:	CHECK(s10, 9, 27)
	RUN_IN(1, s_na4_partial2, 1f)
1:	CHECK(s10, 5, 28)
	li t0, 0xffull << 56
	csrc pmpcfg0, t0
	/* 14: M mode ignores unlocked entries */
	EXPECT_TRAP(1f)
	la t0, pd2 + 8
	sw zero, 0(t0)
1:	CHECK(s10, -1, 14)

	/* 15..16: pcode is readable but not executable in S */
	RUN_IN(1, pcode, 1f)
1:	CHECK(s10, 1, 15)
	la t0, pcode
	CHECKR(s11, t0, 16)
	RUN_IN(1, s_rd_pcode, 1f)
1:	CHECK(s10, 9, 17)

	/* 18..19: a function that ran in S (translated, chained) faults once
	 * its page loses X: cached blocks must not bypass the new entry */
	RUN_IN(1, s_call_twice, 1f)
1:	CHECK(s10, 9, 18)
	NAPOT_ADDR(t0, pfunc, 4096)
	csrw pmpaddr4, t0
	li t0, (PR | NAPOT) | (NA4 << 8) | ((PR | PW | TOR) << 24) | \
	       ((PR | NAPOT) << 32)
	csrw pmpcfg0, t0
	RUN_IN(1, s_call_twice, 1f)
1:	CHECK(s10, 1, 19)
	la t0, pfunc
	CHECKR(s11, t0, 20)

	/* 21: MPRV with MPP = S checks M-mode loads/stores as S */
	li t0, 0x1800
	csrc mstatus, t0
	li t0, (1 << 11) | MS_MPRV
	csrs mstatus, t0
	EXPECT_TRAP(1f)
	la t0, pd
	sd zero, 16(t0)
1:	li t0, MS_MPRV
	csrc mstatus, t0
	CHECK(s10, 7, 21)

	/* 22: a page table in a no-access region: the walk's PTE read is an
	 * access fault of the original access type, not a page fault */
	la t0, pt_root
	srli t1, t0, 12
	li t2, (8 << 60)
	or t1, t1, t2
	csrw satp, t1
	NAPOT_ADDR(t0, pt_root, 4096)
	csrw pmpaddr5, t0
	li t0, (PR | NAPOT) | (NA4 << 8) | ((PR | PW | TOR) << 24) | \
	       ((PR | NAPOT) << 32) | (NAPOT << 40)
	csrw pmpcfg0, t0
	RUN_IN(1, s_nop, 1f)
1:	CHECK(s10, 1, 22)
	csrw satp, zero
	sfence.vma

	/* 23..26: a locked entry binds M mode and ignores writes */
	la t0, pd3
	srli t0, t0, 2
	csrw pmpaddr6, t0
	li t0, (PR | NA4 | LOCK) << 48
	csrs pmpcfg0, t0
	EXPECT_TRAP(1f)
	la t0, pd3
	sw zero, 0(t0)
1:	CHECK(s10, 7, 23)
	EXPECT_TRAP(1f)
	la t0, pd3
	lw a0, 0(t0)
1:	CHECK(s10, -1, 24)
	csrw pmpaddr6, zero
	csrr a0, pmpaddr6
	la t0, pd3
	srli t0, t0, 2
	CHECKR(a0, t0, 25)
	li t0, 0xffull << 48
	csrc pmpcfg0, t0
	csrr a0, pmpcfg0
	srli a0, a0, 48
	andi a0, a0, 0xff
	CHECK(a0, PR | NA4 | LOCK, 26)
TEST_END

s_nop:
	ecall
s_rd_pd:
	la t0, pd
	ld a0, 16(t0)
	ecall
s_wr_pd:
	la t0, pd
	sd zero, 16(t0)
	ecall
s_wr_pd_end:
	la t0, pd + 4096
	sd zero, 0(t0)
	ecall
s_na4_hit:
	la t0, pd2
	lw a0, 8(t0)
	ecall
s_na4_miss:
	la t0, pd2
	lw a0, 0(t0)
	lw a0, 12(t0)
	ecall
s_na4_partial:
	la t0, pd2
	ld a0, 8(t0)
	ecall
s_na4_read_ok:
	la t0, pd2
	lw a0, 16(t0)
	ecall
s_na4_partial2:
	la t0, pd2
	ld a0, 16(t0)
	ecall
s_rd_pcode:
	la t0, pcode
	lw a0, 0(t0)
	ecall
s_call_twice:
	call pfunc
	call pfunc
	ecall

	.align 12
pcode:
	ecall
	.align 12
pfunc:
	addi a0, a0, 1
	ret
	.align 12

	.data
	.align 12
pd:	.zero 4096
pd_end:	.zero 4096
pd2:	.zero 4096
pd3:	.zero 4096
	.align 12
/* Sv39 root with no valid entry: never read (PMP denies it). */
pt_root: .zero 4096
