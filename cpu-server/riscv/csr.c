/* SPDX-License-Identifier: MIT */
/* Control and status registers: access checks, WARL masks, side effects. */
#include <errno.h>

#include "rv_internal.h"

#define MSTATUS_WMASK (MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | \
		       MS_FS | MS_MPRV | MS_SUM | MS_MXR | MS_TVM | MS_TW | \
		       MS_TSR)
#define SSTATUS_MASK (MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR | \
		      MS_UXL | MS_SD)
#define S_INTS (RV_MIP_SSIP | RV_MIP_STIP | RV_MIP_SEIP)
#define ALL_INTS (S_INTS | RV_MIP_MSIP | RV_MIP_MTIP | RV_MIP_MEIP)
/* Exceptions S-mode may handle: everything but ecall-from-M (11), 10, 14. */
#define MEDELEG_MASK 0xb3ffull

void rv_set_fs_dirty(struct rv_hart *h)
{
	h->mstatus |= MS_FS;
}

static uint64_t mstatus_read(const struct rv_hart *h)
{
	uint64_t v = h->mstatus | (2ull << 32) | (2ull << 34);
	if ((v & MS_FS) == MS_FS)
		v |= MS_SD;
	return v;
}

/*
 * Counters.  A read sees the instructions retired before the reading one
 * (insn_count counts the steps before the running op, see rv_internal.h);
 * a write takes precedence over the writing instruction's own increment,
 * so the next instruction reads the value written.  Instructions that
 * trap do not retire (ECALL, EBREAK and faults included); cycle counts
 * every step, trapping ones too.
 */
static uint64_t instret(const struct rv_hart *h)
{
	return h->insn_count - h->unretired + h->instret_off;
}

static uint64_t cycle(const struct rv_hart *h)
{
	return h->insn_count + h->cycle_off;
}

/*
 * Sdtrig without triggers, as the enumeration in the debug spec (Sdtrig,
 * "Enumeration") reads it: tselect holds only 0, tinfo reads 1 ("this
 * trigger doesn't exist") and tdata1 reads type 0 (no trigger); writes are
 * ignored (all WARL).  Probes (OpenSBI, Linux, conformance tests) get a
 * defined answer instead of a trap.
 */
#define CSR_TSELECT 0x7a0
#define CSR_TINFO 0x7a4

/* Read without checks.  Returns 0 or -ENOENT. */
int rv_csr_peek(struct rv_hart *h, unsigned csr, uint64_t *val)
{
	uint64_t v = 0;

	switch (csr) {
	case 0x001: v = h->fflags; break;
	case 0x002: v = h->frm; break;
	case 0x003: v = h->fflags | (h->frm << 5); break;
	case 0xc00: case 0xb00: v = cycle(h); break;
	case 0xc02: case 0xb02: v = instret(h); break;
	case CSR_TSELECT: case 0x7a1: case 0x7a2: case 0x7a3: v = 0; break;
	case CSR_TINFO: v = 1; break;
	case 0xc01: v = rv_vm_mtime(h->vm); rv_ls_taint(h->vm, RV_LS_CLOCK); break;
	case 0x100: v = mstatus_read(h) & SSTATUS_MASK; break;
	case 0x104: v = h->mie & h->mideleg; break;
	case 0x105: v = h->stvec; break;
	case 0x106: v = h->scounteren; break;
	case 0x10a: v = h->senvcfg; break;
	case 0x140: v = h->sscratch; break;
	case 0x141: v = h->sepc; break;
	case 0x142: v = h->scause; break;
	case 0x143: v = h->stval; break;
	case 0x144:
		v = rv_mip(h) & h->mideleg;
		rv_ls_taint(h->vm, RV_LS_CLOCK);
		break;
	case 0x180: v = h->satp; break;
	case 0xf11: case 0xf12: case 0xf13: case 0xf15: v = 0; break;
	case 0xf14: v = h->id; break;
	case 0x300: v = mstatus_read(h); break;
	case 0x301: v = h->misa; break;
	case 0x302: v = h->medeleg; break;
	case 0x303: v = h->mideleg; break;
	case 0x304: v = h->mie; break;
	case 0x305: v = h->mtvec; break;
	case 0x306: v = h->mcounteren; break;
	case 0x30a: v = h->menvcfg; break;
	case 0x320: v = 0; break;
	case 0x340: v = h->mscratch; break;
	case 0x341: v = h->mepc; break;
	case 0x342: v = h->mcause; break;
	case 0x343: v = h->mtval; break;
	case 0x344: v = rv_mip(h); rv_ls_taint(h->vm, RV_LS_CLOCK); break;
	case 0x3a0: v = h->pmpcfg[0]; break;
	case 0x3a2: v = h->pmpcfg[1]; break;
	default:
		if ((csr >= 0xc03 && csr <= 0xc1f) ||
		    (csr >= 0xb03 && csr <= 0xb1f) ||
		    (csr >= 0x323 && csr <= 0x33f) ||
		    (csr >= 0x3a4 && csr <= 0x3ae && !(csr & 1)) ||
		    (csr >= 0x3c0 && csr <= 0x3ef))
			v = 0;
		else if (csr >= 0x3b0 && csr <= 0x3bf)
			v = h->pmpaddr[csr - 0x3b0];
		else
			return -ENOENT;
	}
	*val = v;
	return 0;
}

static void write_satp(struct rv_hart *h, uint64_t v)
{
	uint64_t mode = v >> 60;

	if (mode != 0 && mode != 8 && mode != 9)
		return; /* WARL: an unsupported mode leaves satp unchanged */
	/* 16 ASID bits are stored; the TLB is not tagged, so flush. */
	h->satp = v & ((0xfull << 60) | (0xffffull << 44) | ((1ull << 44) - 1));
	rv_tlb_flush(h);
	rv_update_dctx(h);
}

static void write_mstatus(struct rv_hart *h, uint64_t v, uint64_t mask)
{
	uint64_t st = (h->mstatus & ~mask) | (v & mask);

	if (((st & MS_MPP) >> MS_MPP_SHIFT) == 2)
		st &= ~MS_MPP; /* WARL: reserved MPP reads back as U */
	h->mstatus = st & MSTATUS_WMASK;
	rv_update_dctx(h);
}

static int csr_write(struct rv_hart *h, unsigned csr, uint64_t v)
{
	switch (csr) {
	case 0x001: h->fflags = v & 0x1f; rv_set_fs_dirty(h); break;
	case 0x002: h->frm = v & 7; rv_set_fs_dirty(h); break;
	case 0x003: h->fflags = v & 0x1f; h->frm = (v >> 5) & 7;
		rv_set_fs_dirty(h); break;
	/* The next instruction reads v: this one's step comes after. */
	case 0xb00: h->cycle_off = v - (h->insn_count + 1); break;
	case 0xb02: h->instret_off = v - (h->insn_count + 1 - h->unretired);
		break;
	case 0x100: write_mstatus(h, v, SSTATUS_MASK & MSTATUS_WMASK); break;
	case 0x104: h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg); break;
	case 0x105: h->stvec = v & ~2ull; break;
	case 0x106: h->scounteren = v & 0xffffffffu; break;
	case 0x10a: break; /* senvcfg: no optional features, reads 0 */
	case 0x140: h->sscratch = v; break;
	case 0x141: h->sepc = v & ~1ull; break;
	case 0x142: h->scause = v; break;
	case 0x143: h->stval = v; break;
	case 0x144: {
		uint64_t m = h->mideleg & RV_MIP_SSIP;
		h->mip_sw = (h->mip_sw & ~m) | (v & m);
		break;
	}
	case 0x180: write_satp(h, v); break;
	case 0x300: write_mstatus(h, v, MSTATUS_WMASK); break;
	case 0x301: break; /* misa is fixed */
	case 0x302: h->medeleg = v & MEDELEG_MASK; break;
	case 0x303: h->mideleg = v & S_INTS; break;
	case 0x304: h->mie = v & ALL_INTS; break;
	case 0x305: h->mtvec = v & ~2ull; break;
	case 0x306: h->mcounteren = v & 0xffffffffu; break;
	case 0x30a: break; /* menvcfg: no Sstc/Zicbom/Svpbmt, reads 0 */
	case 0x320: break;
	case 0x340: h->mscratch = v; break;
	case 0x341: h->mepc = v & ~1ull; break;
	case 0x342: h->mcause = v; break;
	case 0x343: h->mtval = v; break;
	case 0x344: h->mip_sw = (h->mip_sw & ~S_INTS) | (v & S_INTS); break;
	case 0x3a0: rv_pmp_write_cfg(h, 0, v); break;
	case 0x3a2: rv_pmp_write_cfg(h, 1, v); break;
	default:
		if (csr >= 0x3b0 && csr <= 0x3bf)
			rv_pmp_write_addr(h, csr - 0x3b0, v);
		/* other known CSRs are read-only zero or WARL zero */
		break;
	}
	return 0;
}

/* Counter access from S/U: mcounteren (and scounteren for U) gate it. */
static int counter_allowed(const struct rv_hart *h, unsigned csr)
{
	unsigned bit = csr & 31;
	if (h->priv < PRV_M && !((h->mcounteren >> bit) & 1))
		return 0;
	if (h->priv == PRV_U && !((h->scounteren >> bit) & 1))
		return 0;
	return 1;
}

static int allowed(const struct rv_hart *h, unsigned csr, int do_write)
{
	if (h->priv < ((csr >> 8) & 3))
		return 0;
	if (do_write && (csr >> 10) == 3)
		return 0;
	if (csr <= 0x003 && !(h->mstatus & MS_FS))
		return 0;
	if (csr >= 0xc00 && csr <= 0xc1f && !counter_allowed(h, csr))
		return 0;
	if (csr == 0x180 && h->priv == PRV_S && (h->mstatus & MS_TVM))
		return 0;
	return 1;
}

/*
 * CSRRW/CSRRS/CSRRC core.  Returns 0 with *old set, or -EPERM when the access
 * is illegal (the caller raises the illegal-instruction trap).
 */
int rv_csr_op(struct rv_hart *h, unsigned csr, int op, uint64_t src,
	      int do_write, uint64_t *old)
{
	uint64_t v;

	/* fflags, fcsr: fold the flags F/D ops left in the host (fpu.c); a
	 * write then replaces them all.  Not in rv_csr_peek, which other
	 * threads may call on a stopped hart (their flags are not its). */
	if (csr == 0x001 || csr == 0x003)
		rv_fp_sync(h);
	if (!allowed(h, csr, do_write) || rv_csr_peek(h, csr, &v) < 0)
		return -EPERM;
	*old = v;
	if (!do_write)
		return 0;
	if ((csr == 0x344 || csr == 0x144) && op != CSR_RW)
		v = h->mip_sw; /* read-modify-write uses the sw SEIP bit only */
	uint64_t nv = op == CSR_RW ? src : op == CSR_RS ? v | src : v & ~src;
	return csr_write(h, csr, nv);
}
