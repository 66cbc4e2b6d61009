/* SPDX-License-Identifier: MIT */
/*
 * Physical memory protection (privileged spec 1.12, section 3.7): 16
 * entries, granularity 4 bytes (G = 0), OFF/TOR/NA4/NAPOT, the L bit.
 *
 * The CSRs are decoded into h->pmp[] (active entries only, in priority
 * order) on every write, so a check is a short scan.  Every write also
 * flushes the TLB: TLB entries and the block engine's chains cache PMP
 * verdicts per page and are keyed by h->xlate_gen.
 *
 * Rules, as the spec states them:
 * - the lowest-numbered entry that matches any byte of the access decides;
 *   it must match all of them, else the access fails;
 * - M mode is checked only against locked entries; no match: allowed;
 * - S and U modes: no match fails (16 entries are implemented).
 */
#include "rv_internal.h"

#define CFG_R 0x01u
#define CFG_W 0x02u
#define CFG_X 0x04u
#define CFG_A 0x18u
#define CFG_L 0x80u
enum { A_OFF = 0, A_TOR = 1, A_NA4 = 2, A_NAPOT = 3 };

static unsigned cfg_byte(const struct rv_hart *h, unsigned k)
{
	return (unsigned)(h->pmpcfg[k / 8] >> (8 * (k % 8))) & 0xff;
}

static unsigned cfg_mode(unsigned cfg)
{
	return (cfg & CFG_A) >> 3;
}

/* Byte range [*lo, *hi) that entry k covers; 0 if it covers nothing. */
static int entry_range(const struct rv_hart *h, unsigned k, uint64_t *lo,
		       uint64_t *hi)
{
	uint64_t a = h->pmpaddr[k];

	switch (cfg_mode(cfg_byte(h, k))) {
	case A_TOR:
		*lo = k ? h->pmpaddr[k - 1] << 2 : 0;
		*hi = a << 2;
		return *lo < *hi;
	case A_NA4:
		*lo = a << 2;
		*hi = *lo + 4;
		return 1;
	case A_NAPOT: {
		/* Trailing ones t: a region of 2^(t+3) bytes.  pmpaddr holds
		 * 54 bits, so t <= 53 and the size stays below 2^57. */
		unsigned t = (unsigned)__builtin_ctzll(~a);
		uint64_t size = 8ull << t;
		*lo = (a << 2) & ~(size - 1);
		*hi = *lo + size;
		return 1;
	}
	default:
		return 0;
	}
}

void rv_pmp_update(struct rv_hart *h)
{
	unsigned n = 0;

	h->pmp_locked = 0;
	for (unsigned k = 0; k < RV_PMP_ENTRIES; k++) {
		unsigned cfg = cfg_byte(h, k);
		struct rv_pmp_entry *e = &h->pmp[n];
		if (!entry_range(h, k, &e->lo, &e->hi))
			continue;
		/* R=0 W=1 is reserved; treat it as no access to be safe. */
		e->perm = (uint8_t)((cfg & CFG_R ? 1u << ACC_R : 0) |
				    ((cfg & (CFG_R | CFG_W)) == (CFG_R | CFG_W) ?
					     1u << ACC_W : 0) |
				    (cfg & CFG_X ? 1u << ACC_X : 0));
		e->locked = !!(cfg & CFG_L);
		h->pmp_locked |= e->locked;
		n++;
	}
	h->pmp_n = n;
	rv_tlb_flush(h);
	rv_update_dctx(h);
}

/* A locked entry ignores writes to its cfg and address, and a locked TOR
 * entry also protects the address register below it. */
static int addr_locked(const struct rv_hart *h, unsigned k)
{
	if (cfg_byte(h, k) & CFG_L)
		return 1;
	if (k + 1 < RV_PMP_ENTRIES) {
		unsigned up = cfg_byte(h, k + 1);
		return (up & CFG_L) && cfg_mode(up) == A_TOR;
	}
	return 0;
}

void rv_pmp_write_cfg(struct rv_hart *h, unsigned reg, uint64_t v)
{
	uint64_t cur = h->pmpcfg[reg];

	for (unsigned b = 0; b < 8; b++) {
		uint64_t m = 0xffull << (8 * b);
		if (!((cur >> (8 * b)) & CFG_L))
			cur = (cur & ~m) | (v & m & ~(0x60ull << (8 * b)));
	}
	h->pmpcfg[reg] = cur;
	rv_pmp_update(h);
}

void rv_pmp_write_addr(struct rv_hart *h, unsigned k, uint64_t v)
{
	if (addr_locked(h, k))
		return;
	h->pmpaddr[k] = v & RV_PMPADDR_MASK;
	rv_pmp_update(h);
}

int rv_pmp_check(const struct rv_hart *h, uint64_t pa, unsigned size,
		 enum rv_access acc, unsigned priv)
{
	uint64_t last = pa + size - 1;

	for (unsigned k = 0; k < h->pmp_n; k++) {
		const struct rv_pmp_entry *e = &h->pmp[k];
		if (last < e->lo || pa >= e->hi)
			continue;
		if (pa < e->lo || last >= e->hi)
			return 0; /* partial match fails */
		if (priv == PRV_M && !e->locked)
			return 1;
		return (e->perm >> acc) & 1;
	}
	return priv == PRV_M;
}

unsigned rv_pmp_page(const struct rv_hart *h, uint64_t page, unsigned priv)
{
	uint64_t end = page + 4096;

	for (unsigned k = 0; k < h->pmp_n; k++) {
		const struct rv_pmp_entry *e = &h->pmp[k];
		if (end <= e->lo || page >= e->hi)
			continue;
		if (page < e->lo || end > e->hi)
			return RV_PMP_MIXED;
		if (priv == PRV_M && !e->locked)
			return RV_PMP_ALL;
		return e->perm;
	}
	return priv == PRV_M ? RV_PMP_ALL : 0;
}
