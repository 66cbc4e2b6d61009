/* SPDX-License-Identifier: MIT */
/* Private state and helpers shared by the RISC-V core's source files. */
#ifndef ATOLL_RV_INTERNAL_H
#define ATOLL_RV_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rv.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* Exception causes. */
enum {
	EXC_INSN_MISALIGNED = 0,
	EXC_INSN_ACCESS = 1,
	EXC_ILLEGAL = 2,
	EXC_BREAKPOINT = 3,
	EXC_LOAD_MISALIGNED = 4,
	EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6,
	EXC_STORE_ACCESS = 7,
	EXC_ECALL_U = 8,
	EXC_ECALL_S = 9,
	EXC_ECALL_M = 11,
	EXC_INSN_PAGE = 12,
	EXC_LOAD_PAGE = 13,
	EXC_STORE_PAGE = 15,
};

/* mstatus fields. */
#define MS_SIE (1ull << 1)
#define MS_MIE (1ull << 3)
#define MS_SPIE (1ull << 5)
#define MS_MPIE (1ull << 7)
#define MS_SPP (1ull << 8)
#define MS_MPP_SHIFT 11
#define MS_MPP (3ull << 11)
#define MS_FS_SHIFT 13
#define MS_FS (3ull << 13)
#define MS_MPRV (1ull << 17)
#define MS_SUM (1ull << 18)
#define MS_MXR (1ull << 19)
#define MS_TVM (1ull << 20)
#define MS_TW (1ull << 21)
#define MS_TSR (1ull << 22)
#define MS_UXL (3ull << 32)
#define MS_SXL (3ull << 34)
#define MS_SD (1ull << 63)

/* Access kinds for address translation. */
enum rv_access { ACC_R = 0, ACC_W = 1, ACC_X = 2 };

/* PTE bits. */
#define PTE_V 0x01u
#define PTE_R 0x02u
#define PTE_W 0x04u
#define PTE_X 0x08u
#define PTE_U 0x10u
#define PTE_G 0x20u
#define PTE_A 0x40u
#define PTE_D 0x80u

struct rv_hart;
struct rv_insn;

/*
 * A semantic function.  On entry h->pc is the instruction's address.
 * Returns 0: fall through (the caller adds i->len to pc); 1: the function
 * set h->pc itself (jump, taken or not-taken branch, trap, serialising
 * instruction) and the current block must end.
 */
typedef int (*rv_op_fn)(struct rv_hart *h, const struct rv_insn *i);

/* A pre-decoded instruction (micro-op); the same for both engines. */
struct rv_insn {
	rv_op_fn fn;
	int64_t imm;
	uint32_t raw;  /* original bits (16-bit for compressed): mtval */
	uint8_t rd, rs1, rs2, rs3;
	uint8_t len;   /* 2 or 4 */
	uint8_t rm;    /* FP rounding mode field */
	uint8_t ends_block;
	uint8_t aux;   /* per-op extra (e.g. AMO aq/rl, csr op kind) */
};

/* How loads and stores reach RAM (h->dmode); the jit translates a block
 * for one of them. */
enum rv_dmode {
	RV_DMODE_TLB,   /* translated: the TLB */
	RV_DMODE_BARE,  /* no translation, no PMP check: the RAM window */
	RV_DMODE_PMP,   /* no translation, PMP checks: no fast path */
};

/* 64 KiB of entries: a flush clears only the slots filled since the last
 * one (tlb_filled), unless there were more than TLB_FILLED. */
#define TLB_SIZE 1024u
#define TLB_FILLED 128u
struct rv_tlb_entry {
	uint64_t vpage;  /* vaddr >> 12, or ~0 when empty */
	uint64_t ppage;  /* paddr >> 12 */
	uint8_t *host;   /* host address of the page if RAM, else NULL */
	uintptr_t addend; /* host - (vpage << 12) if RAM: host address of va
			   * is addend + va (the jit's fast path) */
	uint8_t flags;   /* PTE flags (R W X U A D) of the leaf */
	/* The data context (h->dctx) under which the fast paths (C and jit)
	 * may load / store here: RAM, the leaf's permissions, D for stores
	 * and the page's whole PMP verdict; 0xff for none. */
	uint8_t rctx, wctx;
	uint8_t pmp;     /* rv_pmp_page() of the physical page (S/U) */
	uint8_t lvl;     /* leaf level: 0 4 KiB, 1 2 MiB, 2 1 GiB, 3 512 GiB */
	uint8_t global;  /* G in the leaf or a parent: every ASID */
	uint16_t asid;   /* satp.ASID at the walk */
} __attribute__((aligned(64))); /* the jit indexes with a shift */

/* PMP: 16 entries; a decoded active entry covers bytes [lo, hi). */
#define RV_PMP_ENTRIES 16u
#define RV_PMPADDR_MASK ((1ull << 54) - 1)
#define RV_PMP_ALL 0x7u   /* 1 << ACC_R | 1 << ACC_W | 1 << ACC_X */
#define RV_PMP_MIXED 0x8u /* entries split the page: check each access */
struct rv_pmp_entry {
	uint64_t lo, hi;
	uint8_t perm;    /* 1 << ACC_* bits */
	uint8_t locked;
};

struct rv_block;
struct rv_bcache;
struct rv_lockstep;
struct rv_ls_log;

struct rv_hart {
	uint64_t x[32];
	uint64_t f[32];
	uint64_t pc;
	struct rv_vm *vm;
	unsigned id;
	unsigned priv;

	/* CSRs */
	uint64_t mstatus, misa, medeleg, mideleg, mie, mtvec, mscratch, mepc,
		mcause, mtval, mcounteren, menvcfg;
	uint64_t stvec, sscratch, sepc, scause, stval, scounteren, senvcfg,
		satp;
	uint32_t fflags, frm;
	int host_rm;            /* host rounding mode last set, -1 unknown */
	uint64_t pmpcfg[2];     /* pmpcfg0, pmpcfg2 (RV64: even numbers only) */
	uint64_t pmpaddr[RV_PMP_ENTRIES];
	struct rv_pmp_entry pmp[RV_PMP_ENTRIES]; /* decoded by rv_pmp_update */
	unsigned pmp_n;         /* active entries in pmp[] */
	uint8_t pmp_locked;     /* some active entry is locked: M is checked */
	uint64_t mip_sw;        /* SSIP/STIP/SEIP as written by software */
	uint64_t mip_ext;       /* atomic: MSIP MTIP MEIP SEIP lines */
	uint64_t mtimecmp;      /* atomic */
	/*
	 * Steps: instructions executed, including ones that trapped (so an
	 * instruction budget always ends a run).  Every engine keeps it exact
	 * whenever an op that reads the counters runs (CSR ops end their
	 * block, so they are last): it then counts the steps before that
	 * instruction.  minstret = insn_count - unretired + instret_off and
	 * mcycle = insn_count + cycle_off (csr.c).
	 */
	uint64_t insn_count;
	uint64_t unretired;     /* synchronous exceptions: did not retire */
	uint64_t instret_off, cycle_off; /* minstret/mcycle writes */
	uint64_t next_time_check;

	/* Spin-wait detection (sys.c spin_hint: PAUSE, WFI that completes at
	 * once): hints in the current run, instruction count at the last. */
	uint32_t spin_run;
	uint64_t spin_at;
	uint64_t spin_yields;

	/* LR/SC reservation; resv_valid cleared by SC, traps, and xRETs. */
	uint64_t resv_addr;
	uint64_t resv_val;
	int resv_valid;

	struct rv_tlb_entry tlb[TLB_SIZE];
	/* Data-access context, kept current by rv_update_dctx() whenever priv,
	 * mstatus, satp or PMP change: dmode (enum rv_dmode) = how loads and
	 * stores find RAM; dctx = effective priv | SUM << 2 | MXR << 3 (TLB
	 * fast-path key). */
	uint8_t dmode, dctx;
	uint64_t xlate_gen;     /* bumped by every TLB flush (mapping change) */
	uint8_t tlb_super;      /* a superpage entry may be in the TLB */
	uint16_t tlb_nfilled;   /* slots filled since the last full flush */
	uint16_t tlb_filled[TLB_FILLED]; /* which (all if nfilled is more) */

	/* Block engine */
	struct rv_bcache *bc;
	struct rv_block *last_block; /* for chaining; NULL after a flush */
	uint32_t code_epoch;    /* bumped by fence.i: every block re-checked */
	/* jit: while native code runs, insn_count is jit_base - r12 (r12:
	 * instructions left before the limit); stored at exits and before
	 * helper calls (jit/translate.c) */
	uint64_t jit_base;
	uint64_t code_checks;   /* blocks compared with memory (stats) */

	/* Lockstep (lockstep.c).  A native engine's inline stores must take
	 * the C slow path (rv_store: it logs them) while lockstep is set. */
	uint8_t lockstep;
	uint8_t ls_plant;       /* a planted bug for testing the checker */
	struct rv_lockstep *ls;

	int exit_reason;        /* -1 while running */
	int kick;               /* atomic: stop or interrupt-line change */

	pthread_mutex_t lock;   /* WFI sleep */
	pthread_cond_t cond;
};

struct rv_vm {
	struct rv_vm_config cfg;
	uint8_t *ram;
	const uint8_t *rom;
	uint8_t *code_pages;    /* one byte per RAM page: 1 = translated code */
	/* atomic, one per RAM page and one more (index ram_size >> 12: ROM,
	 * never bumped): bumped by a store that unmarks the page */
	uint32_t *page_gen;
	uint64_t code_gen;      /* atomic: stores to code pages (lockstep) */
	int stop;               /* atomic */
	uint64_t tohost;        /* atomic */
	int tohost_reason;      /* atomic, 0 or an RV_EXIT_* */
	int64_t mtime_base_ns;
	const char *error;
	int engine;
	int lockstep;           /* rv_lockstep_mode() */
	struct rv_ls_log *ls_log; /* stores are logged here while set */
	int ls_taint;           /* RV_LS_*: what made the step not comparable */
	struct rv_hart *harts[RV_MAX_HARTS];
	unsigned nharts;
};

/* trap.c */
int rv_raise(struct rv_hart *h, uint64_t cause, uint64_t tval);
int rv_illegal(struct rv_hart *h, const struct rv_insn *i);
int rv_check_interrupts(struct rv_hart *h);
uint64_t rv_mip(struct rv_hart *h);
void rv_update_timer(struct rv_hart *h);
int rv_wfi_sleep(struct rv_hart *h);
void rv_hart_kick(struct rv_hart *h);

/* csr.c */
enum { CSR_RW = 1, CSR_RS = 2, CSR_RC = 3 };
int rv_csr_op(struct rv_hart *h, unsigned csr, int op, uint64_t src,
	      int do_write, uint64_t *old);
int rv_csr_peek(struct rv_hart *h, unsigned csr, uint64_t *val);
void rv_set_fs_dirty(struct rv_hart *h);

/* pmp.c: rv_pmp_check() is 1 if the access is allowed; rv_pmp_page() is
 * the RV_PMP_* verdict for a whole 4 KiB page. */
void rv_pmp_update(struct rv_hart *h);
void rv_pmp_write_cfg(struct rv_hart *h, unsigned reg, uint64_t v);
void rv_pmp_write_addr(struct rv_hart *h, unsigned k, uint64_t v);
int rv_pmp_check(const struct rv_hart *h, uint64_t pa, unsigned size,
		 enum rv_access acc, unsigned priv);
unsigned rv_pmp_page(const struct rv_hart *h, uint64_t page, unsigned priv);

/* PMP applies to an access at priv (cheap test for the common M case). */
static inline int rv_pmp_applies(const struct rv_hart *h, unsigned priv)
{
	return priv != PRV_M || h->pmp_locked;
}

/* mmu.c: rv_translate() also applies PMP to [pa, pa + size). */
void rv_tlb_flush(struct rv_hart *h);
void rv_tlb_fence(struct rv_hart *h, int by_va, uint64_t va, int by_asid,
		  uint64_t asid);
int rv_translate(struct rv_hart *h, uint64_t va, enum rv_access acc,
		 unsigned size, uint64_t *pa, uint8_t **host);
int rv_load(struct rv_hart *h, uint64_t va, unsigned size, uint64_t *val);
int rv_store(struct rv_hart *h, uint64_t va, unsigned size, uint64_t val);
int rv_fetch_pa(struct rv_hart *h, uint64_t va, uint64_t *pa);
/* physical memory */
uint8_t *rv_phys_host(struct rv_vm *vm, uint64_t pa, unsigned size, int write);
int rv_phys_read(struct rv_hart *h, uint64_t pa, unsigned size, uint64_t *v);
int rv_phys_write(struct rv_hart *h, uint64_t pa, unsigned size, uint64_t v);
void rv_note_code_write(struct rv_vm *vm, uint64_t pa);
int rv_amo_host(struct rv_hart *h, uint64_t va, unsigned size,
		uint64_t **host);

/* decode.c */
int rv_decode(uint32_t raw, struct rv_insn *i);
uint32_t rv_expand_c(uint16_t c);

/* exec.c / fpu.c semantic function lookup */
int rv_decode_fp(uint32_t raw, struct rv_insn *i);
/* fpu.c: F/D exception flags pending in the host's sticky flags are folded
 * into fflags by rv_fp_sync (call on the hart's thread before fflags is
 * read); rv_fp_enter discards the thread's flags when the hart starts. */
void rv_fp_sync(struct rv_hart *h);
void rv_fp_enter(struct rv_hart *h);
int rv_decode_int(uint32_t raw, struct rv_insn *i);
int rv_decode_sys(uint32_t raw, struct rv_insn *i);

/* engine */
int rv_fetch(struct rv_hart *h, uint32_t *raw);
int rv_interp_step(struct rv_hart *h);
int rv_block_step(struct rv_hart *h);
int rv_bcache_init(struct rv_hart *h);
void rv_bcache_free(struct rv_hart *h);
void rv_bcache_flush(struct rv_hart *h);

/* lockstep.c */
int rv_lockstep_mode(int cfg, int engine);
int rv_lockstep_init(struct rv_hart *h, int mode);
void rv_lockstep_free(struct rv_hart *h);
const char *rv_lockstep_refusal(const struct rv_vm *vm);
int rv_lockstep_step(struct rv_hart *h);
void rv_lockstep_exit(struct rv_hart *h);
void rv_lockstep_plant(const struct rv_hart *h, struct rv_insn *i);
void rv_ls_store(struct rv_vm *vm, uint64_t pa, unsigned size, uint64_t old,
		 uint64_t val);
void rv_ls_tlb_save(struct rv_hart *h);
void rv_ls_tohost(struct rv_vm *vm, unsigned size, uint64_t v);

/* Lockstep: this step cannot be compared, for a reason RV_LS_*. */
enum { RV_LS_DEVICE = 1, RV_LS_CLOCK = 2, RV_LS_WFI = 4 };
static inline void rv_ls_taint(struct rv_vm *vm, int reason)
{
	if (unlikely(vm->ls_log != NULL))
		vm->ls_taint |= reason;
}

/* clint.c */
void rv_clint_set_msip(struct rv_vm *vm, unsigned hart, int level);

/* Requests exit from the run loop with reason r (RV_EXIT_*). */
void rv_vm_request_exit(struct rv_vm *vm, int reason);

void rv_tohost_write(struct rv_vm *vm, unsigned size, uint64_t v);

static inline unsigned rv_data_priv(const struct rv_hart *h)
{
	if ((h->mstatus & MS_MPRV) && h->priv == PRV_M)
		return (unsigned)((h->mstatus & MS_MPP) >> MS_MPP_SHIFT);
	return h->priv;
}

static inline void rv_update_dctx(struct rv_hart *h)
{
	unsigned priv = rv_data_priv(h);

	if (priv != PRV_M && (h->satp >> 60) != 0)
		h->dmode = RV_DMODE_TLB;
	else
		h->dmode = rv_pmp_applies(h, priv) ? RV_DMODE_PMP
						   : RV_DMODE_BARE;
	h->dctx = (uint8_t)(priv | ((h->mstatus & MS_SUM) ? 4 : 0) |
			    ((h->mstatus & MS_MXR) ? 8 : 0));
}

/* Aligned accesses are single relaxed atomics so racing harts never see
 * torn values; misaligned ones are byte copies (no atomicity promised). */
static inline uint64_t rv_host_read(const uint8_t *p, unsigned size)
{
	if (likely(((uintptr_t)p & (size - 1)) == 0)) {
		switch (size) {
		case 1: return __atomic_load_n(p, __ATOMIC_RELAXED);
		case 2: return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
		case 4: return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
		default: return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		}
	}
	uint64_t v = 0;
	__builtin_memcpy(&v, p, size);
	return v;
}

static inline void rv_host_write(uint8_t *p, unsigned size, uint64_t v)
{
	if (likely(((uintptr_t)p & (size - 1)) == 0)) {
		switch (size) {
		case 1: __atomic_store_n(p, (uint8_t)v, __ATOMIC_RELAXED); return;
		case 2: __atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED); return;
		case 4: __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED); return;
		default: __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); return;
		}
	}
	__builtin_memcpy(p, &v, size);
}

/* Store to RAM at host p / guest pa: code-page invalidation and tohost. */
static inline void rv_ram_write(struct rv_vm *vm, uint8_t *p, uint64_t pa,
				unsigned size, uint64_t v)
{
	uint64_t pg = (pa - vm->cfg.ram_base) >> 12;
	uint64_t pg2 = (pa + size - 1 - vm->cfg.ram_base) >> 12;

	if (unlikely(__atomic_load_n(&vm->code_pages[pg], __ATOMIC_RELAXED) |
		     __atomic_load_n(&vm->code_pages[pg2], __ATOMIC_RELAXED))) {
		rv_note_code_write(vm, pa);
		rv_note_code_write(vm, pa + size - 1);
	}
	if (unlikely(vm->ls_log != NULL))
		rv_ls_store(vm, pa, size, rv_host_read(p, size), v);
	rv_host_write(p, size, v);
	if (unlikely(pa == vm->cfg.tohost_addr) && vm->cfg.tohost_addr) {
		if (unlikely(vm->ls_log != NULL))
			rv_ls_tohost(vm, size, v); /* after the check */
		else
			rv_tohost_write(vm, size, v);
	}
}


/*
 * Fast path for loads (need 1) and stores (need 2) that stay in one page
 * and hit RAM through the bare window or a TLB entry checked for the current
 * data context.  Returns the host address and sets *pa, or NULL: take the
 * slow path (rv_load/rv_store), which also refills the TLB.
 */
static inline uint8_t *rv_fast_host(struct rv_hart *h, uint64_t va,
				    unsigned size, unsigned need, uint64_t *pa)
{
	struct rv_vm *vm = h->vm;

	if (unlikely(((va ^ (va + size - 1)) >> 12) != 0))
		return NULL;
	if (h->dmode != RV_DMODE_TLB) {
		uint64_t off = va - vm->cfg.ram_base;
		if (unlikely(h->dmode == RV_DMODE_PMP))
			return NULL;
		if (off >= vm->cfg.ram_size || vm->cfg.ram_size - off < size)
			return NULL;
		*pa = va;
		return vm->ram + off;
	}
	struct rv_tlb_entry *e = &h->tlb[(va >> 12) & (TLB_SIZE - 1)];
	if (e->vpage != va >> 12 || (need == 1 ? e->rctx : e->wctx) != h->dctx)
		return NULL;
	*pa = (e->ppage << 12) | (va & 4095);
	return e->host + (va & 4095);
}

#endif
