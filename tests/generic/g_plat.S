/* A guest of the generic-cpu-bus test: reads the platform device's window
 * at offset 0x10 (4 bytes), stores the value at RESULT and the device
 * tree's address (a1 at entry) at RESULT + 8, then powers off. */
#define PB 0x4000000
#define RESULT 0x80200000
#define SYSCON 0x100000
	.section .text.init
	.globl _start
_start:
	li s0, PB
	li s1, RESULT
	lwu t0, 0x10(s0)
	sd t0, 0(s1)
	sd a1, 8(s1)
	li t0, SYSCON
	li t1, 0x5555
	sw t1, 0(t0)
1:	j 1b
