/* SPDX-License-Identifier: MIT */
/* atoll-cpu command line. */
#ifndef ATOLL_CPU_OPTIONS_H
#define ATOLL_CPU_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_options {
	const char *machine;       /* "riscv-virt" */
	unsigned cpus;
	uint64_t memory;           /* bytes */
	const char *kernel, *initrd, *firmware, *bare;
	int kernel_fd, initrd_fd, firmware_fd, bare_fd;  /* -1: none */
	bool no_firmware;          /* --bios none */
	const char *append;
	uint64_t tohost;
	int engine;                /* enum rv_engine */
	uint64_t max_insns;
	const char *name;
	const char *mmu_type;
};

#define CPU_DEFAULT_FIRMWARE \
	"/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

/* Exit statuses of atoll-cpu. */
enum cpu_exit_status {
	CPU_EXIT_POWEROFF = 0,     /* guest powered off / tohost pass */
	CPU_EXIT_ERROR = 1,        /* setup error, bad usage, lost bus */
	CPU_EXIT_RESET = 2,        /* guest asked for a reset */
	CPU_EXIT_GUEST_FAIL = 3,   /* guest reported failure */
	CPU_EXIT_FATAL = 4,        /* emulation error */
	CPU_EXIT_INSN_LIMIT = 5,   /* --max-insns used up */
};

struct option;

/* Standalone mode. Returns 0, 1 when --help was printed, or -EINVAL after
 * printing an error to stderr. */
int cpu_options_parse(struct cpu_options *o, int argc, char **argv);

/* True when argv has --fd: run under the launcher (child_main parses). */
bool cpu_options_launcher_mode(int argc, char **argv);
void cpu_options_defaults(struct cpu_options *o);
/* The machine options as a getopt_long table (values below 0x100). */
const struct option *cpu_machine_options(void);
/* Applies one machine option; state is a struct cpu_options. */
int cpu_options_apply(int opt, const char *arg, void *state);
/* Checks the combination; prints to stderr and returns -EINVAL. */
int cpu_options_validate(const struct cpu_options *o);
void cpu_options_usage(const char *prog);
/* Help text of the machine options (for the launcher-mode --help). */
const char *cpu_options_machine_usage(void);

/* Parses "256M", "1G", "4096" (bytes). Returns 0 or -EINVAL. */
int cpu_parse_size(const char *s, uint64_t *out);

#endif
