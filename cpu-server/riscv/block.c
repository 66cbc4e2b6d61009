/* SPDX-License-Identifier: MIT */
/*
 * Block engine: each guest basic block is decoded once into an array of
 * micro-ops (struct rv_insn), cached per hart by physical address and
 * chained to its successors.
 *
 * Invariants:
 * - A block never crosses a 4 KiB page, so one fetch translation covers it
 *   and decoding depends only on the physical bytes.
 * - Chains are keyed by (successor virtual pc, fetch key), the fetch key
 *   being h->xlate_gen (bumped by every TLB flush: satp writes,
 *   sfence.vma) combined with the privilege, so a chain is never followed
 *   under a different mapping or privilege, yet survives traps and xRETs.
 * - Self-modifying code, per page: RAM pages holding translated code are
 *   marked in vm->code_pages before their bytes are read; a store (AMO,
 *   A/D update) to a marked page clears the mark and bumps that page's
 *   vm->page_gen.  fence.i bumps the hart's code_epoch instead: device
 *   DMA writes RAM without any hook, so every block must be checked
 *   again after it (a cheap global re-check: nothing is unlinked or
 *   scanned, each block pays one compare when it next runs).  A block
 *   keeps its stamp, page_gen[its page] + code_epoch read after marking
 *   the page and before reading its bytes; a block whose stamp differs
 *   from the current one is compared with memory before it runs (the
 *   page marked again first): kept with the new stamp if its bytes are
 *   unchanged (decoding and native code too), dropped if they differ.
 *   So a store costs only the blocks of its page one compare.
 * - Engine jit: a block that has run JIT_HOT times gets native code
 *   (jit/), dropped together with the blocks by every full flush; native
 *   code compares the stamp itself at each block it enters (chained or
 *   through its jump table) and at each loop back, and leaves to this
 *   dispatcher on a mismatch.  A dropped block's chains and jump-table
 *   entries are undone (rv_jit_drop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "rv_internal.h"

#define BC_HASH 32768u
#define JC_SIZE 4096u
#define BC_ARENA (8u << 20)
#define BLOCK_MAX 64u
/* Runs before a block is translated: most code runs a few times only
 * (boot, init), and translating costs about a hundred runs' worth. */
#define JIT_HOT 32u

struct rv_block {
	uint64_t pa;
	struct rv_block *hnext;
	struct {
		uint64_t va, gen;
		struct rv_block *b;
	} succ[2];
	void *native;     /* jit: translated code, or NULL */
	uint32_t runs;    /* jit: runs so far, until translated */
	uint32_t pg;      /* index in vm->page_gen (RAM page, or the ROM's) */
	uint32_t stamp;   /* page_gen[pg] + code_epoch when last checked */
	uint8_t dead;     /* its bytes changed: unreachable, awaits a flush */
	uint8_t jmode;    /* jit: the h->dmode native was translated for */
	uint8_t remodes;  /* jit: translations dropped for another dmode */
	uint32_t n;
	struct rv_insn ops[];
};

/*
 * Jump cache: virtual pc -> block, valid while both the fetch key
 * and the cache generation (flushes) match.  It
 * skips the fetch translation and the hash walk for indirect jumps and
 * returns, whose chain slots keep changing.
 */
struct rv_jcache_entry {
	uint64_t va, xgen, cgen;
	struct rv_block *b;
};

struct rv_bcache {
	uint8_t *arena;
	size_t used;
	uint64_t gen;
	struct rv_jit *jit;     /* engine jit only */
	const void *link_req;   /* jit: the exit to chain to the next block */
	int jit_full;           /* jit: code cache full, flush at next step */
	uint32_t jit_hot;       /* jit: runs before translating */
	struct rv_block *hash[BC_HASH];
	struct rv_jcache_entry jc[JC_SIZE];
};

int rv_bcache_init(struct rv_hart *h)
{
	h->bc = calloc(1, sizeof(*h->bc));
	if (!h->bc)
		return -ENOMEM;
	h->bc->arena = malloc(BC_ARENA);
	if (!h->bc->arena) {
		free(h->bc);
		h->bc = NULL;
		return -ENOMEM;
	}
	if (h->vm->engine == RV_ENGINE_JIT) {
		/* Tests set ATOLL_RV_JIT_HOT=1 to translate every block. */
		const char *hot = getenv("ATOLL_RV_JIT_HOT");
		h->bc->jit_hot = hot && atoi(hot) > 0 ? (uint32_t)atoi(hot) :
			JIT_HOT;
		h->bc->jit = rv_jit_new();
		if (!h->bc->jit)
			fprintf(stderr, "riscv: hart %u: no jit code cache (%m); "
				"using the block engine\n", h->id);
	}
	return 0;
}

void rv_bcache_free(struct rv_hart *h)
{
	if (!h->bc)
		return;
	if (getenv("ATOLL_RV_JIT_STATS"))
		fprintf(stderr, "riscv: hart %u: %llu block re-checks, %u fence.i "
			"epochs; %llu code page stores in the VM\n", h->id,
			(unsigned long long)h->code_checks, h->code_epoch,
			(unsigned long long)__atomic_load_n(&h->vm->code_gen,
							    __ATOMIC_RELAXED));
	if (h->bc->jit && getenv("ATOLL_RV_JIT_STATS")) {
		struct rv_jit_stats s;
		rv_jit_get_stats(h->bc->jit, &s);
		fprintf(stderr, "riscv jit: hart %u: %llu blocks translated "
			"(%llu ops templated, %llu helper calls), %llu flushes, "
			"%llu dropped, %llu links, %llu code bytes in use\n",
			h->id, (unsigned long long)s.blocks,
			(unsigned long long)s.ops_templated,
			(unsigned long long)s.ops_helper,
			(unsigned long long)s.flushes,
			(unsigned long long)s.unlinks,
			(unsigned long long)s.links,
			(unsigned long long)s.bytes);
	}
	rv_jit_free(h->bc->jit);
	free(h->bc->arena);
	free(h->bc);
	h->bc = NULL;
}

/* Drops every block (arena or code cache full). */
static void full_flush(struct rv_hart *h)
{
	memset(h->bc->hash, 0, sizeof(h->bc->hash));
	h->bc->used = 0;
	h->bc->gen++;
	h->last_block = NULL;
	rv_jit_flush(h->bc->jit);
	h->bc->link_req = NULL;
	h->bc->jit_full = 0;
}

/*
 * fence.i, hart reset: a new epoch, every block's stamp is stale (see the
 * top).  Nothing is freed or patched, so a helper (fence.i) may call this
 * from a running block.
 */
void rv_bcache_flush(struct rv_hart *h)
{
	if (!h->bc)
		return;
	h->code_epoch++;
	h->last_block = NULL;
	h->bc->link_req = NULL;
}

/* The page_gen index of physical pc pa. */
static uint32_t page_of(const struct rv_vm *vm, uint64_t pa)
{
	uint64_t off = pa - vm->cfg.ram_base;

	return (uint32_t)((off < vm->cfg.ram_size ? off : vm->cfg.ram_size) >>
			  12);
}

/* The current stamp of page pg (the hart's view). */
static uint32_t stamp_of(const struct rv_hart *h, uint32_t pg)
{
	return __atomic_load_n(&h->vm->page_gen[pg], __ATOMIC_ACQUIRE) +
	       h->code_epoch;
}

/* Marks page pg as holding code and returns its stamp: the mark comes
 * first, so a store that misses it and bumps nothing can only race with
 * the bytes read after this (caught by fence.i, see the README). */
static uint32_t mark(struct rv_hart *h, uint32_t pg)
{
	struct rv_vm *vm = h->vm;

	if ((uint64_t)pg < vm->cfg.ram_size >> 12)
		__atomic_store_n(&vm->code_pages[pg], 1, __ATOMIC_SEQ_CST);
	return stamp_of(h, pg);
}

/* 1 if the block's bytes are still in memory at its pc; *stamp is the
 * stamp they were read under. */
static int verify(struct rv_hart *h, const struct rv_block *b,
		  uint32_t *stamp)
{
	struct rv_vm *vm = h->vm;
	const uint8_t *p;
	unsigned off = 0;

	h->code_checks++;
	*stamp = mark(h, b->pg);
	p = rv_phys_host(vm, b->pa, 2, 0);
	if (!p)
		return 0;
	for (uint32_t k = 0; k < b->n; k++) {
		uint32_t raw = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8;
		if (b->ops[k].len == 4)
			raw |= (uint32_t)p[off + 2] << 16 |
			       (uint32_t)p[off + 3] << 24;
		if (raw != b->ops[k].raw)
			return 0;
		off += b->ops[k].len;
	}
	return 1;
}

/* b, checked against memory if its stamp is stale; NULL if it is dead
 * (its bytes changed). */
static struct rv_block *fresh(struct rv_hart *h, struct rv_block *b)
{
	uint32_t s;

	if (likely(b->stamp == stamp_of(h, b->pg)))
		return b->dead ? NULL : b;
	if (b->dead)
		return NULL;
	if (!verify(h, b, &s)) {
		b->dead = 1;
		if (b->native) /* nothing may reach it without the dispatcher */
			rv_jit_drop(h->bc->jit, b->native);
		return NULL;
	}
	b->stamp = s;
	if (b->native)
		rv_jit_set_stamp(h->bc->jit, b->native, s);
	return b;
}

static unsigned hash_pa(uint64_t pa)
{
	return (unsigned)((pa >> 1) ^ (pa >> 13)) & (BC_HASH - 1);
}

/* Decodes up to BLOCK_MAX instructions from host bytes p (page offset off). */
static struct rv_block *build(struct rv_hart *h, uint64_t pa, const uint8_t *p,
			      uint32_t stamp)
{
	struct rv_bcache *bc = h->bc;
	size_t need = sizeof(struct rv_block) + BLOCK_MAX * sizeof(struct rv_insn);
	unsigned off = (unsigned)(pa & 4095);

	if (bc->used + need > BC_ARENA)
		full_flush(h);
	struct rv_block *b = (struct rv_block *)(bc->arena + bc->used);
	memset(b, 0, sizeof(*b));
	b->pa = pa;
	b->pg = page_of(h->vm, pa);
	b->stamp = stamp;
	while (b->n < BLOCK_MAX && off + 2 <= 4096) {
		uint32_t raw = (uint32_t)p[0] | (uint32_t)p[1] << 8;
		if ((raw & 3) == 3) {
			if (off + 4 > 4096)
				break; /* straddles the page: interpreter */
			raw |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		}
		struct rv_insn *i = &b->ops[b->n++];
		rv_decode(raw, i);
		if (unlikely(h->ls_plant))
			rv_lockstep_plant(h, i);
		off += i->len;
		p += i->len;
		if (i->ends_block)
			break;
	}
	if (b->n == 0)
		return NULL;
	bc->used += sizeof(*b) + b->n * sizeof(struct rv_insn);
	bc->used = (bc->used + 15) & ~(size_t)15;
	unsigned k = hash_pa(pa);
	b->hnext = bc->hash[k];
	bc->hash[k] = b;
	return b;
}

static struct rv_block *lookup(struct rv_hart *h, uint64_t pa)
{
	struct rv_vm *vm = h->vm;
	struct rv_block **head = &h->bc->hash[hash_pa(pa)];
	uint8_t *p;

	for (struct rv_block **pp = head; *pp;) {
		struct rv_block *b = *pp;
		if (b->pa != pa) {
			pp = &b->hnext;
			continue;
		}
		*pp = b->hnext;
		if (!fresh(h, b))
			continue; /* dead: out of the hash; rebuilt below */
		b->hnext = *head; /* move to front */
		*head = b;
		return b;
	}
	p = rv_phys_host(vm, pa, 2, 0);
	if (!p)
		return NULL; /* device memory: not cached */
	uint32_t stamp = mark(h, page_of(vm, pa));
	/* The page may end before 4 KiB only at the end of RAM/ROM. */
	if (!rv_phys_host(vm, pa | 4095, 1, 0))
		return NULL;
	return build(h, pa, p, stamp);
}

/* The last op (the only one that may read the counters: CSR ops end
 * blocks) runs with insn_count counting the ops before it. */
static int run_ops(struct rv_hart *h, struct rv_block *b)
{
	const struct rv_insn *i = b->ops, *last = b->ops + b->n - 1;
	int r;

	for (; i < last; i++) {
		r = i->fn(h, i);
		h->x[0] = 0;
		if (r) {
			h->insn_count += (uint64_t)(i - b->ops) + 1;
			return 1;
		}
		h->pc += i->len;
	}
	h->insn_count += b->n - 1;
	r = i->fn(h, i);
	h->x[0] = 0;
	h->insn_count++;
	if (!r)
		h->pc += i->len;
	return r;
}

/*
 * Engine jit: runs b's native code, translating it once hot, and links
 * the previous native exit to it if that asked for b.
 */
static int run_jit(struct rv_hart *h, struct rv_block *b)
{
	struct rv_bcache *bc = h->bc;

	if (bc->link_req) {
		if (b->native && rv_jit_link_pa(bc->link_req) == b->pa)
			rv_jit_link(bc->jit, bc->link_req, b->native);
		bc->link_req = NULL;
	}
	if (unlikely(b->native && b->jmode != h->dmode)) {
		/* its loads and stores are for another data mode (its
		 * prologue would leave at once): translated again once hot,
		 * a few times; a block that keeps switching (code run both
		 * bare and translated) stays with the block engine */
		rv_jit_drop(bc->jit, b->native);
		b->native = NULL;
		b->runs = 0;
		b->remodes++;
	}
	if (!b->native) {
		if (b->remodes > 3 || ++b->runs < bc->jit_hot)
			return run_ops(h, b);
		b->jmode = h->dmode;
		b->native = rv_jit_translate(bc->jit, h, b->pa, b->pg,
					     b->stamp, b->ops, b->n);
		if (!b->native) {
			bc->jit_full = 1; /* flushed before the next block */
			return run_ops(h, b);
		}
	}
	/* Native code leaves once insn_count reaches this: the budget, or
	 * the next timer check (only this dispatcher and WFI, which leaves
	 * native code, move next_time_check). */
	uint64_t limit = h->vm->cfg.max_insns ? h->vm->cfg.max_insns : ~0ull;
	if (h->next_time_check < limit)
		limit = h->next_time_check;
	h->last_block = NULL;
	rv_jit_note(bc->jit, h->pc, h->xlate_gen << 2 | h->priv, b->native);
	bc->link_req = rv_jit_enter(bc->jit, h, b->native, limit);
	return 0;
}

static int run_block(struct rv_hart *h, struct rv_block *b)
{
	return h->bc->jit ? run_jit(h, b) : run_ops(h, b);
}

/* Runs one block (or one interpreted instruction when no block fits). */
int rv_block_step(struct rv_hart *h)
{
	struct rv_block *prev = h->last_block, *b;
	uint64_t va = h->pc, pa;
	uint64_t key = h->xlate_gen << 2 | h->priv;
	int slot = 0;

	if (unlikely(h->bc->jit_full)) {
		full_flush(h);
		prev = NULL;
	}
	if (prev) {
		slot = prev->succ[0].va == va ? 0 : 1;
		if (prev->succ[slot].va == va &&
		    prev->succ[slot].gen == key &&
		    (b = fresh(h, prev->succ[slot].b)) != NULL) {
			h->last_block = b;
			return run_block(h, b);
		}
	}
	struct rv_jcache_entry *je = &h->bc->jc[(va >> 1) & (JC_SIZE - 1)];
	b = NULL;
	if (je->va == va && je->xgen == key && je->cgen == h->bc->gen)
		b = fresh(h, je->b);
	if (!b) {
		int c = rv_fetch_pa(h, va, &pa);
		if (c) {
			h->last_block = NULL;
			h->insn_count++; /* as in rv_interp_step */
			return rv_raise(h, (uint64_t)c, va);
		}
		/* A block is checked once, at its first parcel: where PMP
		 * entries split the page, run it one checked fetch at a time. */
		b = unlikely(rv_pmp_applies(h, h->priv)) &&
			    rv_pmp_page(h, pa & ~4095ull, h->priv) == RV_PMP_MIXED ?
			    NULL : lookup(h, pa);
		if (!b) {
			h->last_block = NULL;
			return rv_interp_step(h);
		}
		*je = (struct rv_jcache_entry){ va, key, h->bc->gen, b };
	}
	/* lookup() may have flushed the cache, freeing prev */
	if (prev && h->last_block == prev) {
		slot = prev->succ[0].b == NULL ? 0 :
		       prev->succ[1].b == NULL ? 1 : slot;
		prev->succ[slot].va = va;
		prev->succ[slot].gen = key;
		prev->succ[slot].b = b;
	}
	h->last_block = b;
	return run_block(h, b);
}
