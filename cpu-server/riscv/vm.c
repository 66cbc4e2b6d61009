/* SPDX-License-Identifier: MIT */
/* VM and hart lifetime, the run loop, stop/irq entry points. */
#include <errno.h>
#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit/jit.h"
#include "rv_internal.h"

#define MISA_RV64IMAFDCSU ((2ull << 62) | (1u << 0) | (1u << 2) | (1u << 3) | \
			   (1u << 5) | (1u << 8) | (1u << 12) | (1u << 18) |  \
			   (1u << 20))

static int pick_engine(int engine)
{
	const char *e = getenv("ATOLL_RV_ENGINE");

	if (engine == RV_ENGINE_DEFAULT && e && strcmp(e, "interp") == 0)
		engine = RV_ENGINE_INTERP;
	else if (engine == RV_ENGINE_DEFAULT && e && strcmp(e, "block") == 0)
		engine = RV_ENGINE_BLOCK;
	else if (engine == RV_ENGINE_DEFAULT && e && strcmp(e, "jit") == 0)
		engine = RV_ENGINE_JIT;
	if (engine == RV_ENGINE_JIT && !rv_jit_supported()) {
		fprintf(stderr, "riscv: the jit engine needs an x86-64 host; "
			"using the block engine\n");
		engine = RV_ENGINE_BLOCK;
	}
	/* default: jit where it runs (the guest suite passes on it) */
	if (engine == RV_ENGINE_DEFAULT)
		engine = rv_jit_supported() ? RV_ENGINE_JIT : RV_ENGINE_BLOCK;
	return engine;
}

static int config_ok(const struct rv_vm_config *c)
{
	if (!c || !c->ram || !c->ram_size || (c->ram_size & 4095) ||
	    (c->ram_base & 4095) || c->ram_base + c->ram_size < c->ram_base)
		return 0;
	if (c->nharts == 0 || c->nharts > RV_MAX_HARTS)
		return 0;
	if (c->rom && (!c->rom_size || c->rom_base + c->rom_size < c->rom_base))
		return 0;
	return c->engine >= RV_ENGINE_DEFAULT && c->engine <= RV_ENGINE_JIT;
}

static void hart_free(struct rv_hart *h)
{
	if (!h)
		return;
	rv_lockstep_free(h);
	rv_bcache_free(h);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static struct rv_hart *hart_new(struct rv_vm *vm, unsigned id)
{
	struct rv_hart *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return NULL;
	h->vm = vm;
	h->id = id;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rv_bcache_init(h) < 0 ||
	    (vm->lockstep && rv_lockstep_init(h, vm->lockstep) < 0)) {
		hart_free(h);
		return NULL;
	}
	rv_hart_reset(h, vm->cfg.ram_base);
	return h;
}

struct rv_vm *rv_vm_new(const struct rv_vm_config *cfg)
{
	struct timespec ts;

	if (!config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	struct rv_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		goto nomem;
	vm->cfg = *cfg;
	vm->ram = cfg->ram;
	vm->rom = cfg->rom;
	vm->nharts = cfg->nharts;
	vm->engine = pick_engine(cfg->engine);
	vm->lockstep = rv_lockstep_mode(cfg->lockstep, vm->engine);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	vm->mtime_base_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	vm->code_pages = calloc(cfg->ram_size >> 12, 1);
	vm->page_gen = calloc((cfg->ram_size >> 12) + 1, sizeof(uint32_t));
	if (!vm->code_pages || !vm->page_gen)
		goto nomem;
	for (unsigned k = 0; k < cfg->nharts; k++)
		if (!(vm->harts[k] = hart_new(vm, k)))
			goto nomem;
	return vm;
nomem:
	rv_vm_free(vm);
	errno = ENOMEM;
	return NULL;
}

void rv_vm_free(struct rv_vm *vm)
{
	if (!vm)
		return;
	for (unsigned k = 0; k < RV_MAX_HARTS; k++)
		hart_free(vm->harts[k]);
	free(vm->code_pages);
	free(vm->page_gen);
	free(vm);
}

struct rv_hart *rv_vm_hart(struct rv_vm *vm, unsigned i)
{
	return i < vm->nharts ? vm->harts[i] : NULL;
}

unsigned rv_vm_nharts(const struct rv_vm *vm)
{
	return vm->nharts;
}

void rv_hart_reset(struct rv_hart *h, uint64_t pc)
{
	memset(h->x, 0, sizeof(h->x));
	memset(h->f, 0, sizeof(h->f));
	h->pc = pc;
	h->priv = PRV_M;
	h->mstatus = 0;
	h->misa = MISA_RV64IMAFDCSU;
	h->medeleg = h->mideleg = h->mie = h->mtvec = h->mscratch = 0;
	h->mepc = h->mcause = h->mtval = h->mcounteren = h->menvcfg = 0;
	h->stvec = h->sscratch = h->sepc = h->scause = h->stval = 0;
	h->scounteren = h->senvcfg = h->satp = 0;
	h->fflags = h->frm = 0;
	h->host_rm = -1;
	memset(h->pmpcfg, 0, sizeof(h->pmpcfg));
	memset(h->pmpaddr, 0, sizeof(h->pmpaddr));
	h->mip_sw = 0;
	__atomic_store_n(&h->mip_ext, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&h->mtimecmp, ~0ull, __ATOMIC_RELEASE);
	h->insn_count = 0;
	h->unretired = h->instret_off = h->cycle_off = 0;
	h->next_time_check = 0;
	h->resv_valid = 0;
	h->spin_run = 0;
	h->spin_at = 0;
	h->spin_yields = 0;
	h->tlb_nfilled = TLB_FILLED + 1; /* unknown slots: clear them all */
	rv_pmp_update(h); /* also flushes the TLB and updates dctx */
	rv_bcache_flush(h);
	h->exit_reason = -1;
}

void rv_hart_set_reg(struct rv_hart *h, unsigned reg, uint64_t val)
{
	if (reg > 0 && reg < 32)
		h->x[reg] = val;
}

uint64_t rv_hart_get_reg(const struct rv_hart *h, unsigned reg)
{
	return reg < 32 ? h->x[reg] : 0;
}

uint64_t rv_hart_get_freg(const struct rv_hart *h, unsigned reg)
{
	return reg < 32 ? h->f[reg] : 0;
}

uint64_t rv_hart_get_pc(const struct rv_hart *h) { return h->pc; }
void rv_hart_set_pc(struct rv_hart *h, uint64_t pc) { h->pc = pc; }
unsigned rv_hart_get_priv(const struct rv_hart *h) { return h->priv; }

int rv_hart_get_csr(struct rv_hart *h, unsigned csr, uint64_t *val)
{
	return rv_csr_peek(h, csr, val);
}

uint64_t rv_hart_insn_count(const struct rv_hart *h)
{
	return h->insn_count;
}

uint64_t rv_hart_spin_yields(const struct rv_hart *h)
{
	return h->spin_yields;
}

uint64_t rv_hart_code_checks(const struct rv_hart *h)
{
	return h->code_checks;
}

void rv_vm_request_exit(struct rv_vm *vm, int reason)
{
	int zero = 0;

	__atomic_compare_exchange_n(&vm->tohost_reason, &zero, reason, 0,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	rv_vm_stop(vm);
}

void rv_vm_stop(struct rv_vm *vm)
{
	__atomic_store_n(&vm->stop, 1, __ATOMIC_RELEASE);
	for (unsigned k = 0; k < vm->nharts; k++)
		rv_hart_kick(vm->harts[k]);
}

void rv_vm_resume(struct rv_vm *vm)
{
	__atomic_store_n(&vm->tohost_reason, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->stop, 0, __ATOMIC_RELEASE);
}

uint64_t rv_vm_tohost(const struct rv_vm *vm)
{
	return __atomic_load_n(&vm->tohost, __ATOMIC_ACQUIRE);
}

const char *rv_vm_error(const struct rv_vm *vm)
{
	return vm->error;
}

void rv_hart_set_irq(struct rv_hart *h, uint64_t mip_bit, bool level)
{
	mip_bit &= RV_MIP_MEIP | RV_MIP_SEIP | RV_MIP_MSIP | RV_MIP_MTIP;
	if (level)
		__atomic_or_fetch(&h->mip_ext, mip_bit, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&h->mip_ext, ~mip_bit, __ATOMIC_RELEASE);
	rv_hart_kick(h);
}

static int stop_reason(struct rv_vm *vm)
{
	int r = __atomic_load_n(&vm->tohost_reason, __ATOMIC_ACQUIRE);
	return r ? r : RV_EXIT_STOPPED;
}

/* The FP emulation changes the host rounding mode; give the caller's
 * thread back the default one. */
static int leave(struct rv_hart *h, int reason)
{
	rv_fp_sync(h); /* fflags complete for the caller */
	if (unlikely(h->lockstep))
		rv_lockstep_exit(h);
	fesetround(FE_TONEAREST);
	h->host_rm = -1;
	return reason;
}

int rv_hart_run(struct rv_hart *h)
{
	struct rv_vm *vm = h->vm;
	uint64_t limit = vm->cfg.max_insns;
	int block = vm->engine != RV_ENGINE_INTERP; /* block or jit */

	h->last_block = NULL;
	h->host_rm = -1;
	rv_fp_enter(h); /* the caller's FP flags are not the guest's */
	if (unlikely(vm->lockstep) && rv_lockstep_refusal(vm)) {
		vm->error = rv_lockstep_refusal(vm);
		return leave(h, RV_EXIT_FATAL);
	}
	for (;;) {
		if (unlikely(__atomic_load_n(&h->kick, __ATOMIC_ACQUIRE))) {
			__atomic_store_n(&h->kick, 0, __ATOMIC_RELEASE);
			if (__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE))
				return leave(h, stop_reason(vm));
		}
		if (unlikely(h->insn_count >= h->next_time_check))
			rv_update_timer(h);
		if (unlikely(rv_mip(h) & h->mie))
			rv_check_interrupts(h);
		if (unlikely(h->lockstep))
			rv_lockstep_step(h); /* the engine, checked */
		else if (block)
			rv_block_step(h);
		else
			rv_interp_step(h);
		if (unlikely(limit && h->insn_count >= limit))
			return leave(h, RV_EXIT_INSN_LIMIT);
	}
}
