/* SPDX-License-Identifier: MIT */
/* Private to the jit: the code cache shared by cache.c and translate.c. */
#ifndef ATOLL_RV_JIT_IMPL_H
#define ATOLL_RV_JIT_IMPL_H

#include <stdint.h>

#include "jit.h"

struct rv_jit_jtab;
typedef void *(*rv_jit_entry_fn)(struct rv_hart *h, void *code,
				 uint64_t limit, const uint32_t *page_gen,
				 struct rv_jit_jtab *jtab);

/*
 * Jump table: virtual pc -> native code, valid under one fetch key
 * (h->xlate_gen << 2 | h->priv, as block.c's jump cache).  jalr and jumps
 * out of the page look it up in native code (the lookup stub); the
 * dispatcher fills it on every entry; a flush empties it (va 1: no jump
 * target is odd).
 */
#define JTAB_SIZE 1024u
#define JIT_MAX_LINKS 32768u
struct rv_jit_jtab {
	uint64_t va, key;
	void *code;
};

struct rv_jit {
	int fd;
	uint8_t *rw;        /* writable view (emitting, patching) */
	uint8_t *rx;        /* executable view (running) */
	uint32_t size;
	uint32_t used;      /* bytes in use; [0, prefix) is never flushed */
	uint32_t prefix;
	uint32_t epilogue;  /* offset of the common exit */
	uint32_t lookup;    /* offset of the jump-table lookup stub */
	rv_jit_entry_fn entry;
	struct rv_jit_stats st;
	struct rv_jit_jtab jtab[JTAB_SIZE];
	/* patched chains: the rel32 field and its value before (the stub) */
	uint32_t nlinks;
	int links_lost;     /* more than JIT_MAX_LINKS: rv_jit_drop cannot undo
			     * every chain (the stamp check still holds) */
	struct { uint32_t site; int32_t old; } linked[JIT_MAX_LINKS];
};

/* Every translation starts with its stamp check, the imm32 of
 * "cmp eax, imm32" at this offset, then its data-mode check
 * (translate.c, emit_prologue).  A jump from a block of the same page
 * that called no op function since its own checks may enter at
 * JIT_CHAIN_OFF, after both: the page, the fence.i epoch and the data
 * mode cannot have changed in between (a store to a code page or a trap
 * leaves native code; a helper's return checks the mode). */
#define JIT_STAMP_OFF 14u
#define JIT_CHAIN_OFF 37u

/* Before each translation (JIT_HEAD bytes): its chainable exits, each a
 * rel32 field (offset from the code) and its value pointing at the
 * exit's link stub.  A new stamp puts them back (rv_jit_set_stamp): a
 * chain that skips the target's checks is only valid while the source
 * runs under the stamp it had when linked. */
#define JIT_HEAD 16u
#define JIT_MAX_EXITS 2u
struct rv_jit_head {
	uint8_t nexits;
	struct {
		uint16_t site;
		int32_t stub;
	} __attribute__((packed)) exit[JIT_MAX_EXITS];
} __attribute__((packed));
_Static_assert(sizeof(struct rv_jit_head) <= JIT_HEAD, "jit head size");

/* A link request, emitted after its stub: the chained jump's rel32 field
 * (an offset in the cache) and the physical pc it is meant to reach. */
struct rv_jit_linkrec {
	uint64_t pa;
	uint32_t site;
	uint8_t chain; /* may enter at JIT_CHAIN_OFF */
} __attribute__((packed));

#endif
