/* SPDX-License-Identifier: MIT */
/* SYSTEM (ecall, xRET, WFI, sfence.vma, Zicsr), fences and the A extension. */
#include <sched.h>

#include "rv_internal.h"

#define X(r) (h->x[i->r])
#define OP(name) static int name(struct rv_hart *h, const struct rv_insn *i)

/* Serialising instructions end the block with pc at the next instruction. */
static int next(struct rv_hart *h, const struct rv_insn *i)
{
	h->pc += i->len;
	return 1;
}

OP(op_ecall) { return rv_raise(h, EXC_ECALL_U + h->priv, 0); }
OP(op_ebreak) { return rv_raise(h, EXC_BREAKPOINT, h->pc); }

OP(op_mret)
{
	uint64_t st = h->mstatus;
	unsigned mpp = (unsigned)((st & MS_MPP) >> MS_MPP_SHIFT);

	if (h->priv != PRV_M)
		return rv_illegal(h, i);
	st = (st & ~(MS_MIE | MS_MPP)) | ((st & MS_MPIE) ? MS_MIE : 0) |
	     MS_MPIE;
	if (mpp != PRV_M)
		st &= ~MS_MPRV;
	h->mstatus = st;
	h->priv = mpp;
	rv_update_dctx(h);
	h->pc = h->mepc;
	h->resv_valid = 0;
	return 1;
}

OP(op_sret)
{
	uint64_t st = h->mstatus;

	if (h->priv < PRV_S || (h->priv == PRV_S && (st & MS_TSR)))
		return rv_illegal(h, i);
	unsigned spp = (st & MS_SPP) ? PRV_S : PRV_U;
	st = (st & ~(MS_SIE | MS_SPP | MS_MPRV)) |
	     ((st & MS_SPIE) ? MS_SIE : 0) | MS_SPIE;
	h->mstatus = st;
	h->priv = spp;
	rv_update_dctx(h);
	h->pc = h->sepc;
	h->resv_valid = 0;
	return 1;
}

/*
 * Spin-wait hints.  A hart spinning on a lock whose holder's host thread is
 * descheduled would burn a whole host time slice; like KVM's pause-loop
 * exiting, a run of hints yields the host CPU instead.  Hints count as one
 * run while fewer than SPIN_GAP instructions separate them (insn_count
 * advances per block, so the gap is approximate).
 */
#define SPIN_YIELD_RUN 64u
#define SPIN_GAP 512u
static void spin_hint(struct rv_hart *h)
{
	if (h->insn_count - h->spin_at > SPIN_GAP)
		h->spin_run = 0;
	h->spin_at = h->insn_count;
	if (++h->spin_run >= SPIN_YIELD_RUN) {
		h->spin_run = 0;
		h->spin_yields++;
		sched_yield();
	} else {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

OP(op_wfi)
{
	if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TW)))
		return rv_illegal(h, i);
	h->pc += i->len;
	rv_ls_taint(h->vm, RV_LS_WFI); /* sleeps on mip, moved by others */
	/* WFI completes at once (a hint, as the spec allows) when an enabled
	 * interrupt is pending, or when none is enabled in mie, so nothing
	 * could wake the hart.  A caller that runs it again soon is polling
	 * (OpenSBI waits for hart start so, with an old IPI pending). */
	if (h->mie && !(rv_mip(h) & h->mie))
		rv_wfi_sleep(h);
	else
		spin_hint(h);
	return 1;
}

OP(op_sfence_vma)
{
	if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TVM)))
		return rv_illegal(h, i);
	rv_tlb_fence(h, i->rs1 != 0, X(rs1), i->rs2 != 0, X(rs2));
	return next(h, i);
}

OP(op_fence)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

/* PAUSE (Zihintpause: FENCE with pred = W and succ = 0; Linux's
 * cpu_relax) marks a spin-wait loop. */
OP(op_pause)
{
	spin_hint(h);
	return 0;
}

OP(op_fence_i)
{
	rv_bcache_flush(h);
	return next(h, i);
}

/* aux: CSR_RW/RS/RC; bit 4 set = immediate form (rs1 field is uimm). */
OP(op_csr)
{
	int op = i->aux & 3;
	uint64_t src = (i->aux & 16) ? i->rs1 : X(rs1);
	int do_write = op == CSR_RW || i->rs1 != 0;
	uint64_t old;

	if (rv_csr_op(h, (unsigned)i->imm, op, src, do_write, &old) < 0)
		return rv_illegal(h, i);
	X(rd) = old;
	return next(h, i);
}

/* ---- A extension ---- */
static uint64_t sext(uint64_t v, unsigned size)
{
	return size == 4 ? (uint64_t)(int32_t)v : v;
}

OP(op_lr)
{
	unsigned size = i->aux;
	uint64_t va = X(rs1), pa;
	uint8_t *host;

	if (va & (size - 1))
		return rv_raise(h, EXC_LOAD_MISALIGNED, va);
	int c = rv_translate(h, va, ACC_R, size, &pa, &host);
	if (c)
		return rv_raise(h, (uint64_t)c, va);
	host = rv_phys_host(h->vm, pa, size, 1);
	if (!host)
		return rv_raise(h, EXC_LOAD_ACCESS, va);
	uint64_t v = size == 4 ?
		__atomic_load_n((uint32_t *)host, __ATOMIC_ACQUIRE) :
		__atomic_load_n((uint64_t *)host, __ATOMIC_ACQUIRE);
	h->resv_addr = pa;
	h->resv_val = v;
	h->resv_valid = 1;
	X(rd) = sext(v, size);
	return 0;
}

/*
 * SC succeeds iff the reservation is for this address and memory still
 * holds the value LR saw (compare-and-swap).  Caveat (ABA): if another hart
 * wrote a different value and then the original back between LR and SC,
 * the SC still succeeds; this is harmless for lock-free algorithms built on
 * LR/SC over values, which is what guests use.
 */
OP(op_sc)
{
	unsigned size = i->aux;
	uint64_t *p;

	if (rv_amo_host(h, X(rs1), size, &p))
		return 1;
	uint64_t pa = (uint64_t)((uint8_t *)p - h->vm->ram) + h->vm->cfg.ram_base;
	int ok = 0;
	if (h->resv_valid && h->resv_addr == pa) {
		if (size == 4) {
			uint32_t exp = (uint32_t)h->resv_val;
			ok = __atomic_compare_exchange_n((uint32_t *)p, &exp,
				(uint32_t)X(rs2), 0, __ATOMIC_SEQ_CST,
				__ATOMIC_SEQ_CST);
		} else {
			uint64_t exp = h->resv_val;
			ok = __atomic_compare_exchange_n(p, &exp, X(rs2), 0,
				__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
	}
	h->resv_valid = 0;
	if (unlikely(h->vm->ls_log != NULL) && ok)
		rv_ls_store(h->vm, pa, size, h->resv_val, X(rs2));
	X(rd) = !ok;
	return 0;
}

enum { AMO_ADD, AMO_SWAP, AMO_XOR, AMO_AND, AMO_OR, AMO_MIN, AMO_MAX,
       AMO_MINU, AMO_MAXU };

static uint64_t amo_apply(int op, uint64_t a, uint64_t b, unsigned size)
{
	int64_t sa = (int64_t)sext(a, size), sb = (int64_t)sext(b, size);
	uint64_t ua = size == 4 ? (uint32_t)a : a, ub = size == 4 ? (uint32_t)b : b;

	switch (op) {
	case AMO_MIN: return sa < sb ? a : b;
	case AMO_MAX: return sa > sb ? a : b;
	case AMO_MINU: return ua < ub ? a : b;
	default: return ua > ub ? a : b;
	}
}

#define AMO_FETCH(p, op, v)                                                   \
	(op == AMO_ADD ? __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST) :         \
	 op == AMO_SWAP ? __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST) :       \
	 op == AMO_XOR ? __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST) :         \
	 op == AMO_AND ? __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST) :         \
			 __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST))

/* aux: size (4/8); imm: AMO_* op. */
OP(op_amo)
{
	unsigned size = i->aux;
	int op = (int)i->imm;
	uint64_t *p, src = X(rs2), old;

	if (rv_amo_host(h, X(rs1), size, &p))
		return 1;
	if (op <= AMO_OR) {
		if (size == 4)
			old = AMO_FETCH((uint32_t *)p, op, (uint32_t)src);
		else
			old = AMO_FETCH(p, op, src);
	} else if (size == 4) {
		uint32_t cur = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n((uint32_t *)p, &cur,
			(uint32_t)amo_apply(op, cur, src, 4), 0,
			__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		old = cur;
	} else {
		uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(p, &cur,
			amo_apply(op, cur, src, 8), 0,
			__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		old = cur;
	}
	if (unlikely(h->vm->ls_log != NULL)) /* one hart: p holds the result */
		rv_ls_store(h->vm, (uint64_t)((uint8_t *)p - h->vm->ram) +
			    h->vm->cfg.ram_base, size, old,
			    size == 4 ? *(uint32_t *)p : *p);
	X(rd) = sext(old, size);
	return 0;
}

static rv_op_fn dec_system(uint32_t r, struct rv_insn *i)
{
	uint32_t f3 = (r >> 12) & 7;

	i->ends_block = 1;
	if (f3 == 0) {
		if (r == 0x00000073) return op_ecall;
		if (r == 0x00100073) return op_ebreak;
		if (r == 0x30200073) return op_mret;
		if (r == 0x10200073) return op_sret;
		if (r == 0x10500073) return op_wfi;
		if ((r >> 25) == 0x09 && ((r >> 7) & 31) == 0)
			return op_sfence_vma;
		return NULL;
	}
	if (f3 == 4)
		return NULL;
	i->imm = r >> 20;
	i->aux = (uint8_t)((f3 & 3) | ((f3 & 4) ? 16 : 0));
	return op_csr;
}

static rv_op_fn dec_amo(uint32_t r, struct rv_insn *i)
{
	uint32_t f3 = (r >> 12) & 7, f5 = r >> 27;
	static const signed char ops[32] = {
		[0] = AMO_ADD, [1] = AMO_SWAP, [4] = AMO_XOR, [12] = AMO_AND,
		[8] = AMO_OR, [16] = AMO_MIN, [20] = AMO_MAX, [24] = AMO_MINU,
		[28] = AMO_MAXU, [2] = -2, [3] = -3,
		[5] = -1, [6] = -1, [7] = -1, [9] = -1, [10] = -1, [11] = -1,
		[13] = -1, [14] = -1, [15] = -1, [17] = -1, [18] = -1,
		[19] = -1, [21] = -1, [22] = -1, [23] = -1, [25] = -1,
		[26] = -1, [27] = -1, [29] = -1, [30] = -1, [31] = -1,
	};

	if (f3 != 2 && f3 != 3)
		return NULL;
	i->aux = f3 == 2 ? 4 : 8;
	switch (ops[f5]) {
	case -1: return NULL;
	case -2: return i->rs2 == 0 ? op_lr : NULL;
	case -3: return op_sc;
	default: i->imm = ops[f5]; return op_amo;
	}
}

/* SYSTEM, MISC-MEM and AMO opcodes; returns -1 if not one of them. */
int rv_decode_sys(uint32_t r, struct rv_insn *i)
{
	rv_op_fn fn;

	switch (r & 0x7f) {
	case 0x73: fn = dec_system(r, i); break;
	case 0x2f: fn = dec_amo(r, i); break;
	case 0x0f: {
		uint32_t f3 = (r >> 12) & 7;
		fn = r == 0x0100000f ? op_pause : f3 == 0 ? op_fence : NULL;
		if (f3 == 1) {
			fn = op_fence_i;
			i->ends_block = 1;
		}
		break;
	}
	default: return -1;
	}
	i->fn = fn ? fn : rv_illegal;
	return 0;
}
