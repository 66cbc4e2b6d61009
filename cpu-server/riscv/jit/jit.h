/* SPDX-License-Identifier: MIT */
/*
 * The native x86-64 code generator (engine "jit"): a per-hart code cache
 * of translated hot blocks, entered from the block engine's dispatcher.
 *
 * Contract with block.c:
 * - rv_jit_translate() turns a block's micro-ops into native code; ops
 *   without a template call their rv_op_fn exactly as the block engine
 *   does, so every block translates.
 * - Native code runs until an exit: h->pc and h->insn_count are then as
 *   after the block engine's run of the same instructions.  It may have
 *   followed direct chains to other blocks of the same guest page.
 * - rv_jit_enter() returns NULL, or a link request: the exit that was
 *   taken is a chainable jump to the block at rv_jit_link_pa(); once that
 *   block has code, rv_jit_link() patches the jump to it.
 * - Native code compares its block's stamp (page generation + the hart's
 *   fence.i epoch) on every entry and loop back, and leaves on a mismatch.
 * - Code is only emitted or patched by the dispatcher, never while native
 *   code is on the stack, so a helper that flushes (fence.i) never frees
 *   the code it returns into: flushing only rewinds the allocation.
 */
#ifndef ATOLL_RV_JIT_H
#define ATOLL_RV_JIT_H

#include <stdint.h>

struct rv_hart;
struct rv_insn;
struct rv_jit;

/* 1 if this host can run the jit (x86-64). */
int rv_jit_supported(void);

/* A code cache for one hart; NULL with errno set on failure. */
struct rv_jit *rv_jit_new(void);
void rv_jit_free(struct rv_jit *j);
/* Drops every translation (the block cache was flushed). */
void rv_jit_flush(struct rv_jit *j);
/* The block of code was dropped (its guest bytes changed): undoes the
 * chains to it and its jump-table entries, so it is reached through the
 * dispatcher only (its own stamp check keeps it from running even if a
 * chain could not be undone). */
void rv_jit_drop(struct rv_jit *j, void *code);
/* Sets the stamp code compares on entry (../block.c) after its block
 * was checked again. */
void rv_jit_set_stamp(struct rv_jit *j, void *code, uint32_t stamp);

/* Native code for the block of n ops at physical pc pa, whose stamp is
 * vm->page_gen[pg] + h->code_epoch == stamp; NULL: cache full. */
void *rv_jit_translate(struct rv_jit *j, struct rv_hart *h, uint64_t pa,
		       uint32_t pg, uint32_t stamp,
		       const struct rv_insn *ops, unsigned n);

/* Native code for virtual pc va under fetch key key (see jit_impl.h). */
void rv_jit_note(struct rv_jit *j, uint64_t va, uint64_t key, void *code);

/* Runs native code until insn_count reaches limit at the latest;
 * returns NULL or a link request. */
void *rv_jit_enter(struct rv_jit *j, struct rv_hart *h, void *code,
		   uint64_t limit);
uint64_t rv_jit_link_pa(const void *req);
void rv_jit_link(struct rv_jit *j, const void *req, void *target);

/* Counters for tests and the benchmark. */
struct rv_jit_stats {
	uint64_t blocks, bytes, flushes, unlinks, links;
	uint64_t ops_templated, ops_helper;
};
void rv_jit_get_stats(const struct rv_jit *j, struct rv_jit_stats *s);

#endif
