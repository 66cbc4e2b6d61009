/* Self-modifying code: patch an instruction, fence.i, run it again. */
#include "rvt.h"
TEST_BEGIN
	li s1, 1
loop:
	/* patch: addi a0, zero, s1 */
	slli t0, s1, 20
	ori t0, t0, 0x513
	la t1, patch
	sw t0, 0(t1)
	fence.i
	jal ra, patch
	li t4, 1
	bne a0, s1, fail
	/* a second routine patched without any call in between */
	la t1, patch2
	slli t0, s1, 20
	ori t0, t0, 0x593	/* addi a1, zero, s1 */
	sw t0, 4(t1)
	fence.i
	jal ra, patch2
	li t4, 2
	bne a1, s1, fail
	addi s1, s1, 1
	li t0, 20
	blt s1, t0, loop
	/* code written through a virtual alias would be the same physical
	 * page: covered by the physical keying, exercised in t_vm. */
TEST_END
	.option push
	.option norvc
	.align 4
patch:
	addi a0, zero, 0
	ret
patch2:
	addi a1, zero, 0
	addi a1, zero, 0
	ret
	.option pop
