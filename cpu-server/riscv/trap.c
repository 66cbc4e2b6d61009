/* SPDX-License-Identifier: MIT */
/* Trap entry, interrupt selection, WFI sleep. */
#include <errno.h>
#include <time.h>

#include "rv_internal.h"

#define IRQ_BIT (1ull << 63)

int rv_raise(struct rv_hart *h, uint64_t cause, uint64_t tval)
{
	int irq = !!(cause & IRQ_BIT);
	unsigned code = (unsigned)(cause & 63);
	uint64_t deleg = irq ? h->mideleg : h->medeleg;
	uint64_t st = h->mstatus;

	h->resv_valid = 0;
	if (!irq)
		h->unretired++; /* the trapping instruction does not retire */
	if (h->priv <= PRV_S && ((deleg >> code) & 1)) {
		h->scause = cause;
		h->sepc = h->pc & ~1ull;
		h->stval = tval;
		st = (st & ~(MS_SPIE | MS_SPP | MS_SIE)) |
		     ((st & MS_SIE) ? MS_SPIE : 0) |
		     (h->priv == PRV_S ? MS_SPP : 0);
		h->priv = PRV_S;
		h->pc = (h->stvec & ~3ull) +
			((irq && (h->stvec & 3) == 1) ? 4ull * code : 0);
	} else {
		h->mcause = cause;
		h->mepc = h->pc & ~1ull;
		h->mtval = tval;
		st = (st & ~(MS_MPIE | MS_MPP | MS_MIE)) |
		     ((st & MS_MIE) ? MS_MPIE : 0) |
		     ((uint64_t)h->priv << MS_MPP_SHIFT);
		h->priv = PRV_M;
		h->pc = (h->mtvec & ~3ull) +
			((irq && (h->mtvec & 3) == 1) ? 4ull * code : 0);
	}
	h->mstatus = st;
	rv_update_dctx(h);
	return 1;
}

int rv_illegal(struct rv_hart *h, const struct rv_insn *i)
{
	return rv_raise(h, EXC_ILLEGAL, i->raw);
}

uint64_t rv_mip(struct rv_hart *h)
{
	return h->mip_sw | __atomic_load_n(&h->mip_ext, __ATOMIC_ACQUIRE);
}

/* Highest-priority interrupt in a set (privileged spec 3.1.9 order). */
static int pick(uint64_t set)
{
	static const int order[] = { 11, 3, 7, 9, 1, 5 };
	for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		if (set & (1ull << order[k]))
			return order[k];
	return -1;
}

/* Takes a pending, enabled interrupt if any; returns 1 if one was taken. */
int rv_check_interrupts(struct rv_hart *h)
{
	uint64_t pending = rv_mip(h) & h->mie;
	if (likely(!pending))
		return 0;
	uint64_t m = pending & ~h->mideleg;
	if (m && (h->priv < PRV_M || (h->mstatus & MS_MIE)))
		return rv_raise(h, IRQ_BIT | (uint64_t)pick(m), 0);
	uint64_t s = pending & h->mideleg;
	if (s && (h->priv < PRV_S ||
		  (h->priv == PRV_S && (h->mstatus & MS_SIE))))
		return rv_raise(h, IRQ_BIT | (uint64_t)pick(s), 0);
	return 0;
}

void rv_update_timer(struct rv_hart *h)
{
	uint64_t cmp = __atomic_load_n(&h->mtimecmp, __ATOMIC_ACQUIRE);
	if (rv_vm_mtime(h->vm) >= cmp)
		__atomic_or_fetch(&h->mip_ext, RV_MIP_MTIP, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&h->mip_ext, ~RV_MIP_MTIP, __ATOMIC_RELEASE);
	h->next_time_check = h->insn_count + 4096;
}

void rv_hart_kick(struct rv_hart *h)
{
	__atomic_store_n(&h->kick, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&h->lock);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static void deadline_ts(struct rv_hart *h, struct timespec *ts)
{
	struct timespec now;
	uint64_t cmp = __atomic_load_n(&h->mtimecmp, __ATOMIC_ACQUIRE);
	uint64_t t = rv_vm_mtime(h->vm);
	/* Sleep at most 50 ms at a time: a safety net, not the wake path. */
	uint64_t wait_ns = 50000000ull;

	if ((h->mie & RV_MIP_MTIP) && cmp > t &&
	    (cmp - t) < wait_ns / (1000000000ull / RV_MTIME_HZ))
		wait_ns = (cmp - t) * (1000000000ull / RV_MTIME_HZ);
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t ns = (uint64_t)now.tv_nsec + wait_ns;
	ts->tv_sec = now.tv_sec + (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

/*
 * Sleeps until an interrupt is pending in mip & mie (global enables do not
 * matter for WFI) or the VM stops.
 */
int rv_wfi_sleep(struct rv_hart *h)
{
	struct timespec ts;

	pthread_mutex_lock(&h->lock);
	/* Kicks only mean "look again" here; stop is re-posted for the loop. */
	__atomic_store_n(&h->kick, 0, __ATOMIC_RELEASE);
	for (;;) {
		rv_update_timer(h);
		if (__atomic_load_n(&h->vm->stop, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&h->kick, 1, __ATOMIC_RELEASE);
			break;
		}
		if (rv_mip(h) & h->mie)
			break;
		deadline_ts(h, &ts);
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}
