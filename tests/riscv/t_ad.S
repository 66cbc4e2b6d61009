/* Page-walk A/D updates inside one block: the PTE read before and after
 * the walk that sets A (and D) in the same basic block.  Under lockstep the
 * walker's writes must be undone with the step's stores, or the replay
 * reads A already set (riscv-lockstep). */
#include "rvt.h"
#include "rvt-vm.h"
#define VA 0x40010000

TEST_BEGIN
	li s7, 0
	PT_BASE
	la a0, page
	SETPTE(pt_l0, 0x10, a0, V|R|W)	/* A and D clear */
	la a0, page
	li a1, 0x5a5a
	sd a1, 0(a0)
	SV39_ON(0)
	GOTO_MODE(1, s_mode)
s_mode:
	la s1, pt_l0 + 0x10 * 8
	li s0, VA
	li a3, 0x1234
	/* one basic block: PTE, load (walk sets A), PTE, store (sets D), PTE */
	ld a0, 0(s1)
	ld a1, 0(s0)
	ld a2, 0(s1)
	sd a3, 8(s0)
	ld a4, 0(s1)
	andi a0, a0, A|D
	CHECK(a0, 0, 1)
	CHECK(a1, 0x5a5a, 2)
	andi a2, a2, A|D
	CHECK(a2, A, 3)
	andi a4, a4, A|D
	CHECK(a4, A|D, 4)
	BACK_TO_M(m_end)
m_end:
	csrw satp, zero
TEST_END
	.data
	PT_TABLES
page:	.skip 4096
