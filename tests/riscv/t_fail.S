/* Deliberately fails check 5: proves the tohost failure path works. */
#include "rvt.h"
TEST_BEGIN
	li a0, 2
	addi a0, a0, 2
	CHECK(a0, 4, 1)
	CHECK(a0, 5, 5)
TEST_END
