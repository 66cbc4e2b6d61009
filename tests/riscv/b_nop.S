/* Benchmark baseline: finishes at once (measures emulator start-up). */
#include "rvt.h"
TEST_BEGIN
TEST_END
