/* SPDX-License-Identifier: MIT */
/*
 * SiFive PLIC as on QEMU's virt machine: source priorities at 0x0, pending
 * bits at 0x1000, enable bits per context at 0x2000 + 0x80 * ctx, threshold
 * and claim/complete per context at 0x200000 + 0x1000 * ctx. Context 2h is
 * hart h's M-mode, 2h + 1 its S-mode.
 *
 * Sources are level-triggered: a source is pending while its line is high
 * and it is not claimed; completing a source whose line is still high makes
 * it pending again. Thread-safe (one internal mutex): lines are driven from
 * device code on any thread, registers are accessed from hart threads.
 */
#ifndef ATOLL_MACHINE_PLIC_H
#define ATOLL_MACHINE_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#define PLIC_SIZE 0x600000u
#define PLIC_NUM_SOURCES 96u     /* source 0 is "no interrupt" */
#define PLIC_MAX_CONTEXTS 128u   /* 2 per hart, RV_MAX_HARTS harts */

#define PLIC_PRIORITY_BASE 0x0u
#define PLIC_PENDING_BASE 0x1000u
#define PLIC_ENABLE_BASE 0x2000u
#define PLIC_ENABLE_STRIDE 0x80u
#define PLIC_CONTEXT_BASE 0x200000u
#define PLIC_CONTEXT_STRIDE 0x1000u
#define PLIC_MAX_PRIORITY 7u

struct plic;

/* Drives context ctx's interrupt output (MEIP or SEIP of hart ctx / 2). */
typedef void (*plic_output_fn)(void *opaque, unsigned ctx, bool level);

/* Returns NULL with errno set. ncontexts is 1..PLIC_MAX_CONTEXTS. */
struct plic *plic_new(unsigned ncontexts, plic_output_fn out, void *opaque);
void plic_free(struct plic *p);

/* Sets the line level of source 1..PLIC_NUM_SOURCES-1. */
void plic_set_line(struct plic *p, unsigned source, bool level);

/* Register access at offset off (< PLIC_SIZE), 4-byte accesses only.
 * Returns 0 or -EINVAL for a bad size/alignment/offset; unknown but valid
 * offsets read as zero and ignore writes. */
int plic_read(struct plic *p, uint64_t off, unsigned size, uint64_t *val);
int plic_write(struct plic *p, uint64_t off, unsigned size, uint64_t val);

#endif
