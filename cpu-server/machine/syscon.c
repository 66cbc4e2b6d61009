/* SPDX-License-Identifier: MIT */
#include "syscon.h"

enum syscon_action syscon_decode(uint64_t off, uint64_t val, uint32_t *code)
{
	if (off != 0)
		return SYSCON_ACTION_NONE;
	*code = (uint32_t)(val >> 16) & 0xffff;
	switch (val & 0xffff) {
	case SYSCON_PASS:
		return SYSCON_ACTION_POWEROFF;
	case SYSCON_RESET:
		return SYSCON_ACTION_RESET;
	case SYSCON_FAIL:
		return SYSCON_ACTION_FAIL;
	default:
		return SYSCON_ACTION_NONE;
	}
}
