/*
 * S-mode payload for the OpenSBI boot test (loaded at 0x80200000; all
 * addressing is pc-relative).  Prints through the legacy SBI console,
 * checks the SBI spec version call, arms a timer with the SBI TIME
 * extension and waits for the supervisor timer interrupt, then passes.
 */
#include "rvt.h"
	.section .text.init
	.globl _start
_start:
	la s0, msg
1:	lbu a0, 0(s0)
	beqz a0, 2f
	li a7, 1		/* legacy console_putchar */
	ecall
	addi s0, s0, 1
	j 1b
2:	li a7, 0x10		/* BASE */
	li a6, 0		/* get_spec_version */
	ecall
	CHECK(a0, 0, 1)
	li t4, 2
	beqz a1, fail
	la t0, s_irq
	csrw stvec, t0
	li s5, 0
	li t0, 0x20		/* STIE */
	csrs sie, t0
	csrsi sstatus, 2	/* SIE */
	rdtime a0
	li t0, 10000		/* 1 ms */
	add a0, a0, t0
	li a7, 0x54494d45	/* TIME */
	li a6, 0		/* set_timer */
	ecall
3:	wfi
	beqz s5, 3b
	CHECK(s6, 0x8000000000000005, 3)
	PASS
fail:
	slli t4, t4, 1
	ori t4, t4, 1
	li t6, TOHOST
	sd t4, 0(t6)
4:	j 4b
	.align 2
s_irq:
	csrr s6, scause
	addi s5, s5, 1
	li a0, -1		/* push the timer far away: clears STIP */
	li a7, 0x54494d45
	li a6, 0
	ecall
	sret
msg:	.asciz "payload: hello from S-mode\n"
