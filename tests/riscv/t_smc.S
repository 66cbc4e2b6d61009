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
	/* a chained jump into modified code: patch3 runs twice from the
	 * same block, so that block's native jump is linked to patch3's
	 * code, then patch3 changes: the chained jump must not run the
	 * old code (the jit checks the target's stamp on entry, or, for a
	 * chain that skips those checks, undoes the chain when the source
	 * block is stamped again after fence.i) */
	li s1, 1
outer:
	li s3, 2
	j inner
inner:
	jal ra, patch3
	li t4, 3
	bne a2, s1, fail
	addi s3, s3, -1
	bnez s3, inner
	addi s1, s1, 1
	la t1, patch3
	slli t0, s1, 20
	ori t0, t0, 0x613	/* addi a2, zero, s1 */
	sw t0, 0(t1)
	fence.i
	li t0, 20
	blt s1, t0, outer
	/* check 4: a block that loops to its own start and rewrites itself
	 * through a helper (an AMO adds 1 to patch4's immediate) sees the
	 * new code on the next iteration: the jit's loop-back re-checks
	 * the stamp when the block calls a helper */
	li s1, 8
	la t1, patch4
	li t2, 1 << 20
	.balign 4	/* the AMO below: an aligned word */
	.option push
	.option norvc
loop4:
patch4:
	addi a3, zero, 0
	amoadd.w zero, t2, (t1)
	addi s1, s1, -1
	bnez s1, loop4
	.option pop
	li t4, 4
	li t0, 7
	bne a3, t0, fail
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
patch3:
	addi a2, zero, 1
	ret
	.option pop
