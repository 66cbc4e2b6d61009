/* SPDX-License-Identifier: MIT */
/* X11 keysyms (what a VNC client sends) to Linux key codes. */
#ifndef ATOLL_DISPLAY_KEYSYM_H
#define ATOLL_DISPLAY_KEYSYM_H

#include <stdint.h>

/* The Linux KEY_* for `keysym`, or 0 for one not mapped. A shifted
 * symbol ('A', '!') maps to its key: the client sends Shift itself. */
unsigned keysym_to_linux(uint32_t keysym);

#endif
