/* SPDX-License-Identifier: MIT */
/*
 * A minimal launcher for atoll-cpu in tests: starts it with the bus on
 * fd 3 and a bare-metal program, answers HELLO, grants RAM (kept mapped
 * here so the test can read what the guest wrote), attaches a console,
 * connects devices (PEER_CONNECT), resumes, and records READY,
 * POWER_EVENT and DEVICE_FAULT. Functions return 0 or a negative errno.
 */
#ifndef ATOLL_TEST_CPU_LAUNCH_H
#define ATOLL_TEST_CPU_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

#include <atoll/bus.h>

#define CPU_LAUNCH_RAM (64ull << 20)
#define CPU_LAUNCH_RAM_BASE 0x80000000ull

struct cpu_launch {
	atoll_bus *bus;
	pid_t pid;
	int console;
	uint8_t *ram;              /* CPU_LAUNCH_RAM bytes of guest RAM */
	int hello, ready, powered, closed, faults;
	char fault_device[64], fault_reason[128];
};

/* Spawns `cpu` (atoll-cpu) running the bare-metal ELF at `prog`. */
int cpu_launch_start(struct cpu_launch *l, const char *cpu, const char *prog);
/* Dispatches until *flag is set, the bus closes, or `secs` pass. */
void cpu_launch_pump(struct cpu_launch *l, const int *flag, int secs);
/* After HELLO: RAM, console. */
int cpu_launch_setup(struct cpu_launch *l);
/* Hands atoll-cpu one end of a device connection (fd kept by caller). */
int cpu_launch_connect(struct cpu_launch *l, const char *name, int fd);
/* RESUME, synchronously. */
int cpu_launch_resume(struct cpu_launch *l);
/* Waits for the exit (kills after 10 s); the exit status or -1. */
int cpu_launch_finish(struct cpu_launch *l);

/* Guest RAM at guest-physical address pa. */
static inline void *cpu_launch_at(struct cpu_launch *l, uint64_t pa)
{
	return l->ram + (pa - CPU_LAUNCH_RAM_BASE);
}

#endif
