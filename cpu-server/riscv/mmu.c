/* SPDX-License-Identifier: MIT */
/* Sv39/Sv48 translation, the per-hart software TLB, virtual loads/stores. */
#include <string.h>

#include "rv_internal.h"

#define PAGE_SIZE 4096ull
#define PPN_MASK ((1ull << 44) - 1)
/* PTE bits 63:54 (N, PBMT, reserved) must be zero: no Svnapot/Svpbmt. */
#define PTE_HIGH_RESERVED (0x3ffull << 54)

/* The slots that may hold an entry: those filled since the last full
 * flush, or every slot once more were filled than the list holds. */
static unsigned tlb_nlive(const struct rv_hart *h)
{
	return h->tlb_nfilled > TLB_FILLED ? TLB_SIZE : h->tlb_nfilled;
}

static struct rv_tlb_entry *tlb_live(struct rv_hart *h, unsigned k)
{
	return &h->tlb[h->tlb_nfilled > TLB_FILLED ? k : h->tlb_filled[k]];
}

void rv_tlb_flush(struct rv_hart *h)
{
	if (unlikely(h->vm->ls_log != NULL))
		rv_ls_tlb_save(h);
	for (unsigned k = 0; k < tlb_nlive(h); k++)
		tlb_live(h, k)->vpage = ~0ull;
	h->tlb_nfilled = 0;
	h->tlb_super = 0;
	h->xlate_gen++;
}

static int fence_hits(const struct rv_tlb_entry *e, int by_va, uint64_t vpage,
		      int by_asid, uint16_t asid)
{
	if (e->vpage == ~0ull)
		return 0;
	/* An address names its leaf PTE: every 4 KiB entry cut from it. */
	if (by_va && ((e->vpage ^ vpage) >> (9 * e->lvl)) != 0)
		return 0;
	return !by_asid || (!e->global && e->asid == asid);
}

/*
 * sfence.vma with operands (privileged spec 4.2.1): by_va limits the flush
 * to the leaf mapping va (all ASIDs, global ones too, unless by_asid);
 * by_asid to that ASID's non-global entries.  The TLB keeps only the
 * current satp's entries (a satp write flushes it), so the ASID filter
 * matters only for the current ASID, and global entries survive it.
 *
 * xlate_gen is bumped all the same: the block engine follows chains and
 * its jump cache by virtual pc without translating, so any of them may
 * rest on the flushed mapping.  What survives is the TLB (data and fetch
 * translations of other pages need no new walk).
 */
void rv_tlb_fence(struct rv_hart *h, int by_va, uint64_t va, int by_asid,
		  uint64_t asid)
{
	uint64_t vpage = va >> 12;
	uint16_t a = (uint16_t)asid; /* ASIDLEN 16: higher bits ignored */

	if (unlikely(h->vm->ls_log != NULL))
		rv_ls_tlb_save(h);
	if (!by_va && !by_asid) {
		rv_tlb_flush(h);
		return;
	}
	if (by_va && !h->tlb_super) {
		struct rv_tlb_entry *e = &h->tlb[vpage & (TLB_SIZE - 1)];
		if (fence_hits(e, by_va, vpage, by_asid, a))
			e->vpage = ~0ull;
	} else {
		for (unsigned k = 0; k < tlb_nlive(h); k++) {
			struct rv_tlb_entry *e = tlb_live(h, k);
			if (fence_hits(e, by_va, vpage, by_asid, a))
				e->vpage = ~0ull;
		}
	}
	h->xlate_gen++;
}

#define data_priv rv_data_priv

static uint64_t page_fault_cause(enum rv_access acc)
{
	return acc == ACC_X ? EXC_INSN_PAGE :
	       acc == ACC_W ? EXC_STORE_PAGE : EXC_LOAD_PAGE;
}

static uint64_t access_fault_cause(enum rv_access acc)
{
	return acc == ACC_X ? EXC_INSN_ACCESS :
	       acc == ACC_W ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS;
}

/* Leaf permission check; D is checked separately so a write can set it. */
static int perm_ok(const struct rv_hart *h, unsigned flags, unsigned priv,
		   enum rv_access acc)
{
	if (flags & PTE_U) {
		if (priv == PRV_S && (acc == ACC_X || !(h->mstatus & MS_SUM)))
			return 0;
	} else if (priv == PRV_U) {
		return 0;
	}
	switch (acc) {
	case ACC_X: return !!(flags & PTE_X);
	case ACC_W: return !!(flags & PTE_W);
	default:
		return (flags & PTE_R) ||
		       ((h->mstatus & MS_MXR) && (flags & PTE_X));
	}
}

/*
 * Walks the page table.  A/D are set with a compare-and-swap on the PTE in
 * guest RAM so a racing hart's update is never lost; on CAS failure the walk
 * restarts.  Returns 0 or an exception cause.
 */
static int walk(struct rv_hart *h, uint64_t va, enum rv_access acc,
		unsigned priv, struct rv_tlb_entry *e)
{
	unsigned mode = (unsigned)(h->satp >> 60);
	int levels = mode == 9 ? 4 : 3;

	if (unlikely(h->vm->ls_log != NULL))
		rv_ls_tlb_save(h); /* e is about to change */
restart:;
	uint64_t base = (h->satp & PPN_MASK) << 12;
	unsigned global = 0;
	for (int lvl = levels - 1; lvl >= 0; lvl--) {
		uint64_t idx = (va >> (12 + 9 * lvl)) & 511;
		uint64_t pte_pa = base + idx * 8;
		uint64_t *pp = (uint64_t *)rv_phys_host(h->vm, pte_pa, 8, 1);
		/* Implicit page-table reads are checked by PMP as S mode. */
		if (!pp || !rv_pmp_check(h, pte_pa, 8, ACC_R, PRV_S))
			return (int)access_fault_cause(acc);
		uint64_t pte = __atomic_load_n(pp, __ATOMIC_ACQUIRE);
		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) ||
		    (pte & PTE_HIGH_RESERVED))
			return (int)page_fault_cause(acc);
		uint64_t ppn = (pte >> 10) & PPN_MASK;
		global |= (unsigned)pte & PTE_G; /* a global parent: all below */
		if (!(pte & (PTE_R | PTE_X))) {
			if (pte & (PTE_A | PTE_D | PTE_U))
				return (int)page_fault_cause(acc);
			base = ppn << 12;
			continue;
		}
		if (!perm_ok(h, (unsigned)pte, priv, acc))
			return (int)page_fault_cause(acc);
		uint64_t lowmask = (1ull << (9 * lvl)) - 1;
		if (ppn & lowmask)
			return (int)page_fault_cause(acc);
		uint64_t want = pte | PTE_A | (acc == ACC_W ? PTE_D : 0);
		if (want != pte) {
			if (!rv_pmp_check(h, pte_pa, 8, ACC_W, PRV_S))
				return (int)access_fault_cause(acc);
			if (!__atomic_compare_exchange_n(pp, &pte, want, 0,
							 __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE))
				goto restart;
			rv_note_code_write(h->vm, pte_pa);
			if (unlikely(h->vm->ls_log != NULL))
				rv_ls_store(h->vm, pte_pa, 8, pte, want);
		}
		uint64_t ppage = ppn | ((va >> 12) & lowmask);
		if (h->tlb_nfilled < TLB_FILLED)
			h->tlb_filled[h->tlb_nfilled] = (uint16_t)(e - h->tlb);
		if (h->tlb_nfilled <= TLB_FILLED)
			h->tlb_nfilled++;
		e->vpage = va >> 12;
		e->ppage = ppage;
		e->flags = (uint8_t)want;
		e->rctx = e->wctx = 0xff; /* set by rv_translate */
		e->host = rv_phys_host(h->vm, ppage << 12, PAGE_SIZE, 1);
		e->addend = (uintptr_t)e->host - (uintptr_t)(e->vpage << 12);
		e->pmp = (uint8_t)rv_pmp_page(h, ppage << 12, priv);
		e->lvl = (uint8_t)lvl;
		e->global = global != 0;
		e->asid = (uint16_t)(h->satp >> 44);
		if (lvl)
			h->tlb_super = 1;
		return 0;
	}
	return (int)page_fault_cause(acc);
}

static int va_canonical(const struct rv_hart *h, uint64_t va)
{
	unsigned bits = (h->satp >> 60) == 9 ? 48 : 39;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == va;
}

/* PMP for an access that hit TLB entry e: the page verdict, or, where
 * entries split the page, the exact check. */
static int tlb_pmp_ok(const struct rv_hart *h, const struct rv_tlb_entry *e,
		      uint64_t pa, unsigned size, enum rv_access acc,
		      unsigned priv)
{
	if ((e->pmp >> acc) & 1)
		return 1;
	return (e->pmp & RV_PMP_MIXED) && rv_pmp_check(h, pa, size, acc, priv);
}

/*
 * Translates va for an access of size bytes (within one page) and applies
 * PMP to it; fills *host with the host address of the byte if it is in
 * RAM/ROM (NULL for devices).
 * Returns 0 or an exception cause (never 0 as a cause here: causes used are
 * 1, 5, 7, 12, 13, 15).
 */
int rv_translate(struct rv_hart *h, uint64_t va, enum rv_access acc,
		 unsigned size, uint64_t *pa, uint8_t **host)
{
	unsigned priv = acc == ACC_X ? h->priv : data_priv(h);
	unsigned mode = (unsigned)(h->satp >> 60);

	if (priv == PRV_M || mode == 0) {
		if (unlikely(rv_pmp_applies(h, priv)) &&
		    !rv_pmp_check(h, va, size, acc, priv))
			return (int)access_fault_cause(acc);
		*pa = va;
		*host = rv_phys_host(h->vm, va, 1, acc == ACC_W);
		return 0;
	}
	if (!va_canonical(h, va))
		return (int)page_fault_cause(acc);
	uint64_t vpage = va >> 12;
	struct rv_tlb_entry *e = &h->tlb[vpage & (TLB_SIZE - 1)];
	if (e->vpage != vpage || !perm_ok(h, e->flags, priv, acc) ||
	    (acc == ACC_W && !(e->flags & PTE_D))) {
		int c = walk(h, va, acc, priv, e);
		if (c) {
			e->vpage = ~0ull;
			return c;
		}
	}
	*pa = (e->ppage << 12) | (va & (PAGE_SIZE - 1));
	if (!tlb_pmp_ok(h, e, *pa, size, acc, priv))
		return (int)access_fault_cause(acc);
	/* The fast paths trust rctx/wctx: only RAM pages whose whole PMP
	 * verdict allows the access get them, for the context of now. */
	if (acc != ACC_X) {
		int r = e->host && perm_ok(h, e->flags, priv, ACC_R) &&
			(e->pmp & (1u << ACC_R));
		int w = e->host && perm_ok(h, e->flags, priv, ACC_W) &&
			(e->flags & PTE_D) && (e->pmp & (1u << ACC_W));
		e->rctx = r ? h->dctx : 0xff;
		e->wctx = w ? h->dctx : 0xff;
	}
	*host = e->host ? e->host + (va & (PAGE_SIZE - 1)) : NULL;
	return 0;
}

/* Translates an instruction parcel (2 bytes) at va. */
int rv_fetch_pa(struct rv_hart *h, uint64_t va, uint64_t *pa)
{
	uint8_t *host;
	return rv_translate(h, va, ACC_X, 2, pa, &host);
}

static int xlate_or_raise(struct rv_hart *h, uint64_t va, enum rv_access acc,
			  unsigned size, uint64_t *pa)
{
	uint8_t *host;
	int c = rv_translate(h, va, acc, size, pa, &host);
	return c ? rv_raise(h, (uint64_t)c, va) : 0;
}

int rv_load(struct rv_hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t pa;

	if (likely(((va ^ (va + size - 1)) >> 12) == 0)) {
		uint8_t *p = rv_fast_host(h, va, size, 1, &pa);
		if (likely(p != NULL)) {
			*val = rv_host_read(p, size);
			return 0;
		}
		if (xlate_or_raise(h, va, ACC_R, size, &pa))
			return 1;
		if (rv_phys_read(h, pa, size, val) < 0)
			return rv_raise(h, EXC_LOAD_ACCESS, va);
		return 0;
	}
	/* Crosses a page: each byte is translated on its own. */
	uint64_t r = 0, b;
	for (unsigned k = 0; k < size; k++) {
		if (xlate_or_raise(h, va + k, ACC_R, 1, &pa))
			return 1;
		if (rv_phys_read(h, pa, 1, &b) < 0)
			return rv_raise(h, EXC_LOAD_ACCESS, va);
		r |= b << (8 * k);
	}
	*val = r;
	return 0;
}

int rv_store(struct rv_hart *h, uint64_t va, unsigned size, uint64_t val)
{
	uint64_t pa, pa2;

	if (likely(((va ^ (va + size - 1)) >> 12) == 0)) {
		uint8_t *p = rv_fast_host(h, va, size, 2, &pa);
		if (likely(p != NULL)) {
			rv_ram_write(h->vm, p, pa, size, val);
			return 0;
		}
		if (xlate_or_raise(h, va, ACC_W, size, &pa))
			return 1;
		if (rv_phys_write(h, pa, size, val) < 0)
			return rv_raise(h, EXC_STORE_ACCESS, va);
		return 0;
	}
	/* Both pages are checked before any byte is written. */
	uint64_t va2 = (va + size - 1) & ~(PAGE_SIZE - 1);
	if (xlate_or_raise(h, va, ACC_W, (unsigned)(va2 - va), &pa) ||
	    xlate_or_raise(h, va2, ACC_W, size - (unsigned)(va2 - va), &pa2))
		return 1;
	for (unsigned k = 0; k < size; k++) {
		uint64_t a = va + k < va2 ? pa + k : pa2 + (va + k - va2);
		if (rv_phys_write(h, a, 1, val >> (8 * k)) < 0)
			return rv_raise(h, EXC_STORE_ACCESS, va);
	}
	return 0;
}

/*
 * Host pointer for an AMO/SC target: aligned, writable, in RAM.  Raises the
 * trap and returns 1 on failure.
 */
int rv_amo_host(struct rv_hart *h, uint64_t va, unsigned size, uint64_t **host)
{
	uint64_t pa;
	uint8_t *p;

	if (va & (size - 1))
		return rv_raise(h, EXC_STORE_MISALIGNED, va);
	int c = rv_translate(h, va, ACC_W, size, &pa, &p);
	if (c)
		return rv_raise(h, (uint64_t)c, va);
	/* An AMO also reads: PMP must allow both. */
	if (rv_pmp_applies(h, rv_data_priv(h)) &&
	    !rv_pmp_check(h, pa, size, ACC_R, rv_data_priv(h)))
		return rv_raise(h, EXC_STORE_ACCESS, va);
	p = rv_phys_host(h->vm, pa, size, 1);
	if (!p)
		return rv_raise(h, EXC_STORE_ACCESS, va);
	rv_note_code_write(h->vm, pa);
	*host = (uint64_t *)p;
	return 0;
}
