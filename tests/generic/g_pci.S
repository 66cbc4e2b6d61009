/* A guest of the generic-cpu-bus test: finds the generic PCI function in
 * slot 1 of the ECAM host, stores its vendor/device word at RESULT + 16,
 * places BAR 0 at 0x40000000, enables memory decoding, reads BAR 0 at
 * offset 8 (4 bytes) into RESULT, then powers off. */
#define ECAM_SLOT1 (0x30000000 + (1 << 15))
#define BAR0 0x40000000
#define RESULT 0x80200000
#define SYSCON 0x100000
	.section .text.init
	.globl _start
_start:
	li s0, ECAM_SLOT1
	li s1, RESULT
	lwu t0, 0(s0)
	sd t0, 16(s1)
	li t0, BAR0
	sw t0, 0x10(s0)
	li t0, 2
	sh t0, 4(s0)
	li s2, BAR0
	lwu t0, 8(s2)
	sd t0, 0(s1)
	li t0, SYSCON
	li t1, 0x5555
	sw t1, 0(t0)
1:	j 1b
