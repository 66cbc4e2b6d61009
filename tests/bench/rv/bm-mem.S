/* SPDX-License-Identifier: MIT */
/* Memory: load, add, store over a 64 KiB buffer (the loop of
 * tests/riscv/b_mem.S), 80000 passes; returns the running sum. */
	.section .rodata
	.globl bench_name
bench_name: .asciz "mem"
	.text
	.globl bench_work
bench_work:
	la a6, bm_buf
	li t1, 80000
	li a5, 0
1:	mv a0, a6
	li t0, 65536
	add a1, a6, t0
2:	ld a3, 0(a0)
	add a5, a5, a3
	addi a3, a3, 1
	sd a3, 0(a0)
	lw a4, 4(a0)
	add a5, a5, a4
	sb a4, 7(a0)
	addi a0, a0, 8
	bltu a0, a1, 2b
	addi t1, t1, -1
	bnez t1, 1b
	mv a0, a5
	ret
	.bss
	.align 12
bm_buf:	.skip 65536
