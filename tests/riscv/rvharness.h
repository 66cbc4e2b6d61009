/* SPDX-License-Identifier: MIT */
/* Test harness: a VM with RAM at 0x80000000, a tiny UART, program loading. */
#ifndef RVHARNESS_H
#define RVHARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "rv.h"

#define RVH_RAM_BASE 0x80000000ull
#define RVH_RAM_SIZE (16ull << 20)
#define RVH_TOHOST 0x80800000ull
#define RVH_UART 0x10000000ull
#define RVH_CLINT 0x02000000ull
#define RVH_FINISHER 0x100000ull

struct rvh {
	struct rv_vm *vm;
	uint8_t *ram;
	uint64_t ram_size;
	char uart[65536];  /* bytes written to the UART THR */
	size_t uart_len;
	uint8_t uart_regs[8];
	int finisher_stops;  /* set: a sifive_test poweroff stops the VM */
	volatile int powered_off;
	int reasons[RV_MAX_HARTS];
};

/* Architectural state compared by the differential tests. */
struct rvh_state {
	uint64_t x[32], f[32], pc;
	uint64_t csr[12];
	unsigned priv;
};

/* Returns the directory of the built test programs, or NULL if none. */
const char *rvh_prog_dir(void);

/* Creates the VM with RVH_RAM_SIZE of RAM; engine is an enum rv_engine.
 * Returns 0 or -errno. */
int rvh_init(struct rvh *t, unsigned nharts, int engine, uint64_t max_insns);
/* Same with a chosen RAM size (multiple of 4 KiB) and tohost address
 * (0: none, e.g. for a kernel that uses all of RAM). */
int rvh_init_ram(struct rvh *t, unsigned nharts, int engine,
		 uint64_t max_insns, uint64_t ram_size, uint64_t tohost);
void rvh_fini(struct rvh *t);

/* Loads <prog_dir>/<name>.bin at offset off of RAM.  0 or -errno. */
int rvh_load(struct rvh *t, const char *name, uint64_t off);

/* Runs all harts (one thread each, hart 0 on the caller) until they return;
 * returns hart 0's exit reason. */
int rvh_run(struct rvh *t);

void rvh_state(struct rvh *t, unsigned hart, struct rvh_state *s);

/* Runs a program to completion on 1 hart; returns the exit reason and the
 * tohost value in *tohost. */
int rvh_run_prog(const char *name, int engine, uint64_t *tohost,
		 struct rvh_state *st);

#endif
