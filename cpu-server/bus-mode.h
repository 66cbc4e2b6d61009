/* SPDX-License-Identifier: MIT */
/*
 * atoll-cpu under the launcher (--fd=N). Protocol on the bus socket:
 *   -> HELLO (request, role CPU, kind "cpu"), wait for the reply
 *   <- MEM_GRANT (posted, one memfd per region; RAM is guest_addr 0x80000000)
 *   <- CONSOLE_ATTACH (posted, one fd: the console byte stream)
 *   -> READY once both are in place and the machine is loaded
 *   <- RESUME (request): start the harts, reply ACK; PAUSE stops them
 *   -> POWER_EVENT when the guest powers off / resets / fails, then exit
 *   <- SHUTDOWN, or the socket closing: exit promptly.
 */
#ifndef ATOLL_CPU_BUS_MODE_H
#define ATOLL_CPU_BUS_MODE_H

#include "options.h"

int cpu_bus_main(const struct cpu_options *o);

#endif
