/* The generic-mmio benchmark's guest: N timed 4-byte reads of the platform
 * device's window (each one a REGION_READ round trip), then N timed
 * batches of 16 one-byte reads of the UART's LSR (served inside the cpu
 * server), as time-CSR ticks (10 MHz) in u32 words from RESULT: first the
 * N generic samples, then the N UART batches. Then it powers off. */
#define PB 0x4000000
#define UART_LSR 0x10000005
#define RESULT 0x80200000
#define SYSCON 0x100000
#define N 2000
	.section .text.init
	.globl _start
_start:
	li s0, PB
	li s1, RESULT
	li s2, N
	lw t0, 0(s0)            /* warm-up: the first access translates */
1:	rdtime t1
	lw t0, 0(s0)
	rdtime t2
	sub t2, t2, t1
	sw t2, 0(s1)
	addi s1, s1, 4
	addi s2, s2, -1
	bnez s2, 1b
	li s0, UART_LSR
	li s2, N
	lb t0, 0(s0)
2:	rdtime t1
	.rept 16
	lb t0, 0(s0)
	.endr
	rdtime t2
	sub t2, t2, t1
	sw t2, 0(s1)
	addi s1, s1, 4
	addi s2, s2, -1
	bnez s2, 2b
	li t0, SYSCON
	li t1, 0x5555
	sw t1, 0(t0)
3:	j 3b
