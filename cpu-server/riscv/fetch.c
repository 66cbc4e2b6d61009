/* SPDX-License-Identifier: MIT */
/* Instruction fetch and the instruction-at-a-time reference interpreter. */
#include "rv_internal.h"

/*
 * Fetches the instruction at h->pc into *raw (16-bit parcels may straddle a
 * page).  Returns 0, or 1 after raising the fetch fault.
 */
int rv_fetch(struct rv_hart *h, uint32_t *raw)
{
	uint64_t pa, lo, hi;
	int c;

	if ((c = rv_fetch_pa(h, h->pc, &pa)) != 0)
		return rv_raise(h, (uint64_t)c, h->pc);
	if (rv_phys_read(h, pa, 2, &lo) < 0)
		return rv_raise(h, EXC_INSN_ACCESS, h->pc);
	if ((lo & 3) != 3) {
		*raw = (uint32_t)lo;
		return 0;
	}
	/* The second parcel may lie in another page or PMP granule. */
	if (((h->pc + 2) & 4095) != 0 && !rv_pmp_applies(h, h->priv)) {
		pa += 2;
	} else if ((c = rv_fetch_pa(h, h->pc + 2, &pa)) != 0) {
		return rv_raise(h, (uint64_t)c, h->pc + 2);
	}
	if (rv_phys_read(h, pa, 2, &hi) < 0)
		return rv_raise(h, EXC_INSN_ACCESS, h->pc + 2);
	*raw = (uint32_t)(lo | hi << 16);
	return 0;
}

int rv_interp_step(struct rv_hart *h)
{
	struct rv_insn i;
	uint32_t raw = 0; /* -O3 cannot see that rv_fetch() sets it on 0 */

	/* Faulting fetches count too, so an instruction budget always ends
	 * a run, even one stuck re-faulting on its trap vector.  The op sees
	 * the steps before it (counter reads), so count after it. */
	if (rv_fetch(h, &raw)) {
		h->insn_count++;
		return 1;
	}
	rv_decode(raw, &i);
	int r = i.fn(h, &i);
	h->insn_count++;
	h->x[0] = 0;
	if (!r)
		h->pc += i.len;
	return r;
}
