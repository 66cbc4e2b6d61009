/* SPDX-License-Identifier: MIT */
/*
 * atoll-cpu under the launcher (--fd=N), on the common child runtime
 * (common/child.h: HELLO, SHUTDOWN, HEALTH, FAULT_INJECT, signals).
 * Protocol beyond that:
 *   <- MEM_GRANT (posted, one memfd per region; RAM is guest_addr 0x80000000)
 *   <- CONSOLE_ATTACH (posted, one fd: the console byte stream)
 *   <- PEER_CONNECT (posted, one fd per device): HELLO, DEVICE_DESCRIBE
 *   -> READY once RAM and console are in place and the machine is created
 *   <- RESUME (request): the first one places the devices, builds the
 *      device tree with their nodes and boots; then start the harts,
 *      reply ACK; PAUSE stops them
 *   -> DEVICE_FAULT (posted) when a generic device stops answering
 *   -> POWER_EVENT when the guest powers off / resets / fails, then exit
 *      with the status of cpu_exit_status().
 */
#ifndef ATOLL_CPU_BUS_MODE_H
#define ATOLL_CPU_BUS_MODE_H

int cpu_bus_main(int argc, char **argv);

#endif
