/* Benchmark: load, add, store over a 64 KiB buffer repeatedly (the loop
 * is in b_loops.h). */
#include "rvt.h"
#include "b_loops.h"
TEST_BEGIN
	B_MEM 3000, buf
TEST_END
	.data
	.align 12
buf:	.skip 65536
