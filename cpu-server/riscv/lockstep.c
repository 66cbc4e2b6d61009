/* SPDX-License-Identifier: MIT */
/*
 * Lockstep mode (ATOLL_RV_LOCKSTEP=1, rv_vm_config.lockstep): every step of
 * the configured engine (one call of rv_block_step: a block, or the chain
 * of blocks native code ran) is checked against the reference interpreter.
 *
 * A step: snapshot the hart's architectural state; run the engine with the
 * store log on (every RAM store, AMO, SC and page-walk A/D update:
 * address, size, old and new value); undo its stores in reverse order and
 * restore the snapshot (and the TLB, saved before its first change); run
 * the interpreter for as many instructions as the engine ran (insn_count
 * counts trapping steps alike in both), logging again; compare registers,
 * pc, privilege, CSRs, the counters and the two store logs.  The
 * interpreter's result stands.  On a mismatch both states, the step's
 * instructions and both logs go to stderr and the VM stops with
 * RV_EXIT_FATAL (rv_vm_error() says why).
 *
 * Not comparable, so the engine's result is kept unchecked: steps that
 * touched a device (MMIO, the CLINT: side effects cannot be undone), read
 * time or mip/sip (another thread moves them), ran WFI (sleeps), or stored
 * into translated code (the engine may run the bytes it decoded before, as
 * the ISA allows until fence.i).  cycle and instret are deterministic here
 * (csr.c), so steps reading them are compared.  Interrupts are taken
 * between steps only.
 *
 * One hart only: another hart (or a device's DMA) writing RAM between the
 * two runs would make them differ for no fault of the engine.
 *
 * Planted bugs for testing the checker (ATOLL_RV_LOCKSTEP_PLANT=addi|sd):
 * the block engine decodes every addi (sd) into an op that flips a bit of
 * its result (of the value stored); the interpreter is untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rv_internal.h"

/* Architectural scalars: saved, restored and compared. */
#define LS_SCALARS(F)                                                     \
	F(pc) F(priv) F(mstatus) F(misa) F(medeleg) F(mideleg) F(mie)     \
	F(mtvec) F(mscratch) F(mepc) F(mcause) F(mtval) F(mcounteren)     \
	F(menvcfg) F(stvec) F(sscratch) F(sepc) F(scause) F(stval)        \
	F(scounteren) F(senvcfg) F(satp) F(fflags) F(frm) F(mip_sw)       \
	F(insn_count) F(unretired) F(instret_off) F(cycle_off)            \
	F(resv_valid) F(resv_addr) F(resv_val)
/* Saved and restored so the replay starts alike, not compared (spin-wait
 * bookkeeping and the timer poll are not architectural). */
#define LS_HIDDEN(F) F(spin_run) F(spin_at) F(spin_yields) F(next_time_check)

struct ls_state {
#define F(n) uint64_t n;
	LS_SCALARS(F)
	LS_HIDDEN(F)
#undef F
	uint64_t x[32], f[32];
	uint64_t pmpcfg[2], pmpaddr[RV_PMP_ENTRIES];
	uint64_t xlate_gen;
};

struct ls_store {
	uint64_t pa, old, val;
	unsigned size;
};

struct rv_ls_log {
	struct ls_store *e;
	size_t n, cap;
	int oom;
	/* A tohost store ends the run: held until the step is judged. */
	int tohost_set;
	unsigned tohost_size;
	uint64_t tohost_val;
};

#define LS_PCS 64u /* instructions listed in a mismatch report */

struct rv_lockstep {
	struct ls_state before, engine, interp;
	/* The TLB as the engine's step found it, saved at its first flush. */
	struct rv_tlb_entry tlb[TLB_SIZE];
	uint8_t tlb_super;
	uint16_t tlb_nfilled;
	uint16_t tlb_filled[TLB_FILLED];
	int tlb_saved;
	struct rv_ls_log log[2]; /* 0: engine, 1: interpreter */
	uint64_t pcs[LS_PCS];
	uint64_t compared, skipped;
	/* Not comparable, by reason: RV_LS_DEVICE, _CLOCK, _WFI, code store,
	 * no instruction. */
	uint64_t why[5];
	int verbose;
};

enum { PLANT_NONE, PLANT_ADDI, PLANT_SD };

void rv_ls_store(struct rv_vm *vm, uint64_t pa, unsigned size, uint64_t old,
		 uint64_t val)
{
	struct rv_ls_log *l = vm->ls_log;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct ls_store *e = realloc(l->e, cap * sizeof(*e));
		if (!e) {
			l->oom = 1;
			return;
		}
		l->e = e;
		l->cap = cap;
	}
	if (size < 8) {
		old &= (1ull << (8 * size)) - 1;
		val &= (1ull << (8 * size)) - 1;
	}
	l->e[l->n++] = (struct ls_store){ pa, old, val, size };
}

void rv_ls_tohost(struct rv_vm *vm, unsigned size, uint64_t v)
{
	vm->ls_log->tohost_set = 1;
	vm->ls_log->tohost_size = size;
	vm->ls_log->tohost_val = v;
}

static void tohost_flush(struct rv_vm *vm, struct rv_ls_log *l)
{
	if (l->tohost_set)
		rv_tohost_write(vm, l->tohost_size, l->tohost_val);
	l->tohost_set = 0;
}

static void save(struct rv_hart *h, struct ls_state *s)
{
	rv_fp_sync(h); /* fflags complete (its pending part is in the host) */
#define F(n) s->n = (uint64_t)h->n;
	LS_SCALARS(F)
	LS_HIDDEN(F)
#undef F
	memcpy(s->x, h->x, sizeof(s->x));
	memcpy(s->f, h->f, sizeof(s->f));
	memcpy(s->pmpcfg, h->pmpcfg, sizeof(s->pmpcfg));
	memcpy(s->pmpaddr, h->pmpaddr, sizeof(s->pmpaddr));
	s->xlate_gen = h->xlate_gen;
}

/* Called before the TLB changes (flush, fence, walk): the first change in
 * the engine's step saves it, so the replay starts from the same
 * translations (and redoes the same walks and A/D updates). */
void rv_ls_tlb_save(struct rv_hart *h)
{
	struct rv_lockstep *ls = h->ls;

	if (!ls || h->vm->ls_log != &ls->log[0] || ls->tlb_saved)
		return;
	memcpy(ls->tlb, h->tlb, sizeof(ls->tlb));
	ls->tlb_super = h->tlb_super;
	ls->tlb_nfilled = h->tlb_nfilled;
	memcpy(ls->tlb_filled, h->tlb_filled, sizeof(ls->tlb_filled));
	ls->tlb_saved = 1;
}

/* Back to s, the TLB too: the replay starts where the engine did. */
static void restore(struct rv_hart *h, const struct ls_state *s)
{
	struct rv_lockstep *ls = h->ls;
	int pmp = memcmp(s->pmpcfg, h->pmpcfg, sizeof(s->pmpcfg)) ||
		  memcmp(s->pmpaddr, h->pmpaddr, sizeof(s->pmpaddr));

#define F(n) h->n = (__typeof__(h->n))s->n;
	LS_SCALARS(F)
	LS_HIDDEN(F)
#undef F
	memcpy(h->x, s->x, sizeof(h->x));
	memcpy(h->f, s->f, sizeof(h->f));
	memcpy(h->pmpcfg, s->pmpcfg, sizeof(h->pmpcfg));
	memcpy(h->pmpaddr, s->pmpaddr, sizeof(h->pmpaddr));
	if (pmp)
		rv_pmp_update(h); /* flushes the TLB */
	if (ls->tlb_saved) {
		memcpy(h->tlb, ls->tlb, sizeof(h->tlb));
		h->tlb_super = ls->tlb_super;
		h->tlb_nfilled = ls->tlb_nfilled;
		memcpy(h->tlb_filled, ls->tlb_filled, sizeof(h->tlb_filled));
		h->xlate_gen = s->xlate_gen; /* the replay bumps it alike */
	}
	rv_update_dctx(h);
}

/* Puts back the bytes the logged stores overwrote, newest first. */
static void undo(struct rv_vm *vm, const struct rv_ls_log *l)
{
	for (size_t k = l->n; k-- > 0;) {
		const struct ls_store *e = &l->e[k];
		uint8_t *p = rv_phys_host(vm, e->pa, e->size, 1);
		if (p)
			rv_host_write(p, e->size, e->old);
	}
}

static void log_on(struct rv_hart *h, struct rv_ls_log *l)
{
	struct rv_vm *vm = h->vm;

	l->n = 0;
	l->tohost_set = 0;
	h->ls->tlb_saved = 0;
	l->oom = 0;
	vm->ls_taint = 0;
	vm->ls_log = l;
}

static int logs_equal(const struct rv_ls_log *a, const struct rv_ls_log *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t k = 0; k < a->n; k++)
		if (a->e[k].pa != b->e[k].pa || a->e[k].size != b->e[k].size ||
		    a->e[k].old != b->e[k].old || a->e[k].val != b->e[k].val)
			return 0;
	return 1;
}

static int states_equal(const struct ls_state *a, const struct ls_state *b)
{
#define F(n) if (a->n != b->n) return 0;
	LS_SCALARS(F)
#undef F
	return !memcmp(a->x, b->x, sizeof(a->x)) &&
	       !memcmp(a->f, b->f, sizeof(a->f)) &&
	       !memcmp(a->pmpcfg, b->pmpcfg, sizeof(a->pmpcfg)) &&
	       !memcmp(a->pmpaddr, b->pmpaddr, sizeof(a->pmpaddr));
}

static void row(FILE *o, const char *name, unsigned idx, uint64_t a,
		uint64_t b)
{
	char n[24];

	if (idx != ~0u)
		snprintf(n, sizeof(n), "%s%u", name, idx);
	else
		snprintf(n, sizeof(n), "%s", name);
	fprintf(o, "%c %-12s %#18llx %#18llx\n", a != b ? '*' : ' ', n,
		(unsigned long long)a, (unsigned long long)b);
}

static void print_states(FILE *o, const struct ls_state *a,
			 const struct ls_state *b)
{
	fprintf(o, "  %-12s %18s %18s\n", "", "engine", "interpreter");
#define F(n) row(o, #n, ~0u, a->n, b->n);
	LS_SCALARS(F)
#undef F
	for (unsigned k = 0; k < 32; k++)
		row(o, "x", k, a->x[k], b->x[k]);
	for (unsigned k = 0; k < 32; k++)
		row(o, "f", k, a->f[k], b->f[k]);
	for (unsigned k = 0; k < 2; k++)
		row(o, "pmpcfg", 2 * k, a->pmpcfg[k], b->pmpcfg[k]);
	for (unsigned k = 0; k < RV_PMP_ENTRIES; k++)
		row(o, "pmpaddr", k, a->pmpaddr[k], b->pmpaddr[k]);
}

static void print_log(FILE *o, const char *who, const struct rv_ls_log *l)
{
	fprintf(o, "  stores by the %s: %zu\n", who, l->n);
	for (size_t k = 0; k < l->n; k++)
		fprintf(o, "    [%zu] pa %#llx size %u: %#llx -> %#llx\n", k,
			(unsigned long long)l->e[k].pa, l->e[k].size,
			(unsigned long long)l->e[k].old,
			(unsigned long long)l->e[k].val);
}

/* The instruction word at va as the interpreter would fetch it, or 0. */
static uint32_t peek_insn(struct rv_hart *h, uint64_t va)
{
	uint64_t pa;
	uint8_t *p;
	uint32_t w = 0;

	if (rv_fetch_pa(h, va, &pa) || !(p = rv_phys_host(h->vm, pa, 2, 0)))
		return 0;
	w = (uint32_t)p[0] | (uint32_t)p[1] << 8;
	if ((w & 3) == 3 && ((pa + 2) & 4095) && rv_phys_host(h->vm, pa + 2, 2, 0))
		w |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return w;
}

static void report(struct rv_hart *h, uint64_t n, const char *why)
{
	struct rv_lockstep *ls = h->ls;
	FILE *o = stderr;

	fprintf(o, "riscv lockstep: hart %u: %s, step at pc %#llx (priv %llu,"
		" %llu instructions, %llu executed before)\n", h->id, why,
		(unsigned long long)ls->before.pc,
		(unsigned long long)ls->before.priv, (unsigned long long)n,
		(unsigned long long)ls->before.insn_count);
	fprintf(o, "  instructions as the interpreter ran them:\n");
	for (uint64_t k = 0; k < n && k < LS_PCS; k++) {
		uint32_t w = peek_insn(h, ls->pcs[k]);
		fprintf(o, "    %#llx: %0*x\n", (unsigned long long)ls->pcs[k],
			(w & 3) == 3 ? 8 : 4, (w & 3) == 3 ? w : w & 0xffff);
	}
	print_states(o, &ls->engine, &ls->interp);
	print_log(o, "engine", &ls->log[0]);
	print_log(o, "interpreter", &ls->log[1]);
	fflush(o);
}

static void fatal(struct rv_hart *h, const char *msg)
{
	h->vm->error = msg;
	rv_vm_request_exit(h->vm, RV_EXIT_FATAL);
}

int rv_lockstep_step(struct rv_hart *h)
{
	struct rv_vm *vm = h->vm;
	struct rv_lockstep *ls = h->ls;
	uint64_t cg = __atomic_load_n(&vm->code_gen, __ATOMIC_ACQUIRE);

	save(h, &ls->before);
	log_on(h, &ls->log[0]);
	int r = rv_block_step(h);
	vm->ls_log = NULL;
	uint64_t n = h->insn_count - ls->before.insn_count;
	if (ls->log[0].oom) {
		fatal(h, "lockstep: out of memory for the store log");
		return r;
	}
	int code = cg != __atomic_load_n(&vm->code_gen, __ATOMIC_ACQUIRE);
	if (vm->ls_taint || n == 0 || code) {
		ls->skipped++;
		ls->why[vm->ls_taint & RV_LS_DEVICE ? 0 :
			vm->ls_taint & RV_LS_CLOCK ? 1 :
			vm->ls_taint & RV_LS_WFI ? 2 : code ? 3 : 4]++;
		tohost_flush(vm, &ls->log[0]);
		return r;
	}
	save(h, &ls->engine);
	undo(vm, &ls->log[0]);
	restore(h, &ls->before);

	log_on(h, &ls->log[1]);
	for (uint64_t k = 0; k < n; k++) {
		if (k < LS_PCS)
			ls->pcs[k] = h->pc;
		r = rv_interp_step(h);
	}
	vm->ls_log = NULL;
	save(h, &ls->interp);
	ls->compared++;
	if (ls->log[1].oom) {
		fatal(h, "lockstep: out of memory for the store log");
	} else if (vm->ls_taint) {
		report(h, n, "the interpreter touched a device, time/mip or WFI "
		       "and the engine did not");
		fatal(h, "lockstep: engine and interpreter disagree");
	} else if (!states_equal(&ls->engine, &ls->interp) ||
		   !logs_equal(&ls->log[0], &ls->log[1])) {
		report(h, n, "engine and interpreter disagree");
		fatal(h, "lockstep: engine and interpreter disagree");
	} else {
		tohost_flush(vm, &ls->log[1]);
	}
	return r;
}

/* ---- planted bugs (tests of the checker itself) ---- */

static int planted_addi(struct rv_hart *h, const struct rv_insn *i)
{
	struct rv_insn real;

	rv_decode(i->raw, &real);
	int r = real.fn(h, &real);
	if (!r && i->rd)
		h->x[i->rd] ^= 1ull << 7;
	return r;
}

static int planted_sd(struct rv_hart *h, const struct rv_insn *i)
{
	struct rv_insn real;
	uint64_t v = h->x[i->rs2];

	rv_decode(i->raw, &real);
	if (i->rs2 && i->rs2 != i->rs1)
		h->x[i->rs2] ^= 1ull << 7;
	int r = real.fn(h, &real);
	if (i->rs2)
		h->x[i->rs2] = v;
	return r;
}

void rv_lockstep_plant(const struct rv_hart *h, struct rv_insn *i)
{
	uint32_t r = (i->raw & 3) == 3 ? i->raw : rv_expand_c((uint16_t)i->raw);

	if (h->ls_plant == PLANT_ADDI && (r & 0x707f) == 0x13)
		i->fn = planted_addi;
	else if (h->ls_plant == PLANT_SD && (r & 0x707f) == 0x3023)
		i->fn = planted_sd;
}

/* ---- set-up ---- */

/* 0 off, 1 on, 2 on and counts at exit; the config wins over the env.
 * The interpreter is the reference: with it lockstep has nothing to do. */
int rv_lockstep_mode(int cfg, int engine)
{
	const char *e = getenv("ATOLL_RV_LOCKSTEP");

	if (engine == RV_ENGINE_INTERP)
		return 0;
	if (cfg)
		return cfg;
	if (!e || !*e || !strcmp(e, "0"))
		return 0;
	return !strcmp(e, "verbose") || !strcmp(e, "2") ? 2 : 1;
}

int rv_lockstep_init(struct rv_hart *h, int mode)
{
	const char *p = getenv("ATOLL_RV_LOCKSTEP_PLANT");

	h->ls = calloc(1, sizeof(*h->ls));
	if (!h->ls)
		return -ENOMEM;
	h->ls->verbose = mode >= 2;
	h->lockstep = 1;
	h->ls_plant = !p ? PLANT_NONE : !strcmp(p, "addi") ? PLANT_ADDI :
		      !strcmp(p, "sd") ? PLANT_SD : PLANT_NONE;
	return 0;
}

void rv_lockstep_free(struct rv_hart *h)
{
	if (!h->ls)
		return;
	free(h->ls->log[0].e);
	free(h->ls->log[1].e);
	free(h->ls);
	h->ls = NULL;
}

/* Why this VM cannot run in lockstep, or NULL. */
const char *rv_lockstep_refusal(const struct rv_vm *vm)
{
	if (vm->nharts != 1)
		return "lockstep needs exactly one hart (another hart's stores "
		       "would make the engine and the interpreter differ)";
	return NULL;
}

void rv_lockstep_exit(struct rv_hart *h)
{
	const uint64_t *w = h->ls ? h->ls->why : NULL;

	if (h->ls && h->ls->verbose)
		fprintf(stderr, "riscv lockstep: hart %u: %llu steps compared, "
			"%llu not comparable (%llu device, %llu time/mip read, "
			"%llu WFI, %llu code store, %llu empty)\n", h->id,
			(unsigned long long)h->ls->compared,
			(unsigned long long)h->ls->skipped,
			(unsigned long long)w[0], (unsigned long long)w[1],
			(unsigned long long)w[2], (unsigned long long)w[3],
			(unsigned long long)w[4]);
}

void rv_hart_lockstep_counts(const struct rv_hart *h, uint64_t *compared,
			     uint64_t *skipped)
{
	*compared = h->ls ? h->ls->compared : 0;
	*skipped = h->ls ? h->ls->skipped : 0;
}
