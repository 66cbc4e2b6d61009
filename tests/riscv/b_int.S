/* Benchmark: integer ALU and multiply in a tight loop (the loop is in b_loops.h). */
#include "rvt.h"
#include "b_loops.h"
TEST_BEGIN
	B_INT 15000000
TEST_END
