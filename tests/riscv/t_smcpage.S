/*
 * Self-modifying code is tracked per page: the loop stores a data word
 * into the page of a routine it calls (as a kernel writes data next to
 * code, or reuses a page that held code) 1000 times, while the loop and a
 * routine on a third page run on.  Only the stored page's block needs
 * checking again; test-rv-progs counts the re-checks
 * (rv_hart_code_checks).  No fence.i: it starts a new epoch for all.
 */
#include "rvt.h"
TEST_BEGIN
	li s1, 1000
	li s2, 0
1:	jal ra, pageb
	jal ra, pagec
	li t4, 1
	li t0, 7
	bne a1, t0, fail
	la t1, cword
	sw s1, 0(t1)
	add s2, s2, a0
	addi s1, s1, -1
	bnez s1, 1b
	li t4, 2
	li t0, 5000
	bne s2, t0, fail
	la t1, cword
	lw t0, 0(t1)
	li t4, 3
	li t5, 1
	bne t0, t5, fail
TEST_END
	.balign 4096
pageb:
	li a0, 5
	ret
	.balign 4096
pagec:
	li a1, 7
	ret
cword:
	.word 0
