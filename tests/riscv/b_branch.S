/* Benchmark: data-dependent branches and calls driven by an LCG (the loop is in b_loops.h). */
#include "rvt.h"
#include "b_loops.h"
TEST_BEGIN
	B_BRANCH 10000000
TEST_END
