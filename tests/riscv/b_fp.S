/* Benchmark: double-precision multiply-add, divide, convert (the loop is in b_loops.h). */
#include "rvt.h"
#include "b_loops.h"
TEST_BEGIN
	B_FP 10000000
TEST_END
