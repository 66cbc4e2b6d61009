/* SPDX-License-Identifier: MIT */
/* Private to the jit: the code cache shared by cache.c and translate.c. */
#ifndef ATOLL_RV_JIT_IMPL_H
#define ATOLL_RV_JIT_IMPL_H

#include <stdint.h>

#include "jit.h"

typedef void *(*rv_jit_entry_fn)(struct rv_hart *h, void *code,
				 uint64_t limit, const uint64_t *code_gen);

struct rv_jit {
	int fd;
	uint8_t *rw;        /* writable view (emitting, patching) */
	uint8_t *rx;        /* executable view (running) */
	uint32_t size;
	uint32_t used;      /* bytes in use; [0, prefix) is never flushed */
	uint32_t prefix;
	uint32_t epilogue;  /* offset of the common exit */
	rv_jit_entry_fn entry;
	struct rv_jit_stats st;
};

/* A link request, emitted after its stub: the chained jump's rel32 field
 * (an offset in the cache) and the physical pc it is meant to reach. */
struct rv_jit_linkrec {
	uint64_t pa;
	uint32_t site;
} __attribute__((packed));

#endif
