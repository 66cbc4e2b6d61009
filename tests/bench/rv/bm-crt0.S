/* SPDX-License-Identifier: MIT */
/* Start-up for the bare-metal benchmarks: hart 0 only, M mode, FPU on,
 * a trap prints its cause and exits with failure (no trap is expected). */
	.section .text.init
	.globl _start
_start:
	csrr t0, mhartid
	bnez t0, park
	la t0, bm_trap
	csrw mtvec, t0
	li t0, (1 << 13)	/* mstatus.FS = Initial */
	csrs mstatus, t0
	csrwi fcsr, 0
	la sp, bm_stack_top
	la t0, __bss_start
	la t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, 0(t0)
	addi t0, t0, 8
	j 1b
2:	call main
	call bm_exit
park:	wfi
	j park

	.align 2
bm_trap:
	la sp, bm_stack_top
	csrr a0, mcause
	csrr a1, mepc
	csrr a2, mtval
	call bm_trap_report
3:	j 3b
