/* SPDX-License-Identifier: MIT */
/*
 * Translator: a block's micro-ops (struct rv_insn) to x86-64 code.
 *
 * Register use inside translated code: rbx = the hart, r12 = instructions
 * left before the limit (budget or next timer check; insn_count is
 * h->jit_base - r12), r13 = vm->page_gen, r14 = the jump table
 * (callee-saved, set by the entry trampoline); rax, rcx, rdx are scratch.
 * Guest registers live in h->x[] and h->f[] (x[0] stays 0 in memory:
 * templates never write it, and a helper that names rd = 0 is followed by
 * a store of 0, as in block.c).  Inside a block the guest registers its
 * templates use most are pinned (pins.h) in rsi, rdi, r8-r11, rbp, r15
 * and xmm2-15: loaded by the prologue, written back (those written) before
 * every helper call and exit, reloaded after every call (most of them are
 * caller-saved).
 *
 * Guest state is lazy, tracked at translation time: h->pc holds the block
 * start plus pc_sync, r12 the count at entry plus ic_sync (insn_count in
 * memory is stored from it by the common exit and before helper calls).  A
 * block may be entered at any virtual address that maps its physical pc,
 * so pc values are always computed from h->pc, never baked in.  Before
 * anything that can look at them (a helper, a slow path, an exit) both are
 * brought up to what the interpreter has at that op: pc = the op's
 * address, insn_count = entry count + the ops before it; the op is
 * counted after it returns, trapped or not.
 *
 * Exits: to the dispatcher (rax = 0), or a chained jump to a block in the
 * same guest page (same page => the same translation applies to the target
 * under any mapping that fetched this block), initially pointing at a stub
 * that returns a link request.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "../rv_internal.h"
#include "emit.h"
#include "jit_impl.h"

#if defined(__x86_64__)

#define HX(r) ((int32_t)(offsetof(struct rv_hart, x) + 8u * (r)))
#define HF(r) ((int32_t)(offsetof(struct rv_hart, f) + 8u * (r)))
/* Register masks: bits 0-31 the x registers, 32-63 the f registers. */
#define FBIT(f) (1ull << (32 + (f)))
#define HOFF(f) ((int32_t)offsetof(struct rv_hart, f))
#define TLB0 ((int32_t)offsetof(struct rv_hart, tlb))
#define TOFF(f) (TLB0 + (int32_t)offsetof(struct rv_tlb_entry, f))

_Static_assert(sizeof(struct rv_tlb_entry) == 64, "tlb index scaling");
_Static_assert((TLB_SIZE & (TLB_SIZE - 1)) == 0, "tlb index mask");

#define MAX_FIX 16
#define MAX_COLD 200

enum cold_kind { C_SLOW_LOAD, C_SLOW_STORE, C_LINK, C_SPILL_EXIT,
		 C_MODE_EXIT, C_NAN_D };

struct cold {
	enum cold_kind kind;
	unsigned nfix;
	uint32_t fix[MAX_FIX];  /* rel32 fields that jump here */
	unsigned idx;           /* op index */
	uint64_t dirty;         /* pinned registers to write back first */
	int32_t pc_delta;       /* to bring h->pc to the op */
	int32_t ic_delta;       /* to bring insn_count up to the op */
	uint32_t resume;        /* where the main path continues */
	/* C_LINK */
	uint32_t site;
	uint64_t target_pa;
	int chain;              /* no call since the block's own checks */
};

struct tr {
	struct emit e;
	struct rv_jit *j;
	struct rv_hart *h;
	struct rv_vm *vm;
	const struct rv_insn *ops;
	unsigned n;
	uint64_t pa;
	uint32_t pg;        /* page_gen index of the block's page */
	uint8_t dmode;      /* h->dmode the memory ops inline */
	uint32_t stamp;
	uint32_t entry;     /* cache offset of this block's code */
	struct rv_jit_head head; /* written before the code */
	uint32_t cur;       /* byte offset of the current op in the block */
	unsigned idx;
	int32_t pc_sync;
	int32_t ic_sync;
	uint32_t exit_nl;   /* cold label: return 0 (state already synced) */
	uint32_t exit_fix[256];
	unsigned nexit_fix;
	/* host register of a pinned guest register (x: a gpr; f: xmm), -1 */
	int8_t pin[64];
	uint64_t pinned;    /* guest registers pinned */
	uint64_t dirty;     /* pinned and written since the last write-back */
	uint64_t written;   /* pinned registers the block writes */
	uint64_t live_in;   /* pinned registers loaded by the prologue */
	int fs_dirty;       /* this path made mstatus.FS Dirty, no call since */
	uint32_t body;      /* cache offset after the prologue and the loads */
	struct cold cold[MAX_COLD];
	unsigned ncold;
	unsigned templated, helpers;
};

static struct cold *new_cold(struct tr *t, enum cold_kind k)
{
	if (t->ncold >= MAX_COLD) {
		t->e.overflow = 1;
		t->ncold = 0;
	}
	struct cold *c = &t->cold[t->ncold++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->idx = t->idx;
	c->pc_delta = (int32_t)t->cur - t->pc_sync;
	c->ic_delta = (int32_t)t->idx - t->ic_sync;
	c->dirty = t->dirty;
	return c;
}

static void add_fix(struct tr *t, struct cold *c, uint32_t at)
{
	if (c->nfix >= MAX_FIX) {
		t->e.overflow = 1;
		return;
	}
	c->fix[c->nfix++] = at;
}

/* A jump to the "state synced, return to the dispatcher" exit. */
static void to_exit(struct tr *t, int cc)
{
	uint32_t at = cc < 0 ? jmp32(&t->e) : jcc32(&t->e, cc);
	if (t->nexit_fix < sizeof(t->exit_fix) / sizeof(t->exit_fix[0]))
		t->exit_fix[t->nexit_fix++] = at;
	else
		t->e.overflow = 1;
}

static void jmp_epilogue(struct tr *t)
{
	uint32_t at = jmp32(&t->e);
	patch32(&t->e, at, t->j->epilogue);
}

static void add_mem(struct emit *e, int32_t off, int32_t v)
{
	if (v)
		alu_mi(e, ALU_ADD, RBX, off, v);
}

/* n more instructions retired (r12 counts down) */
static void count(struct emit *e, int32_t n)
{
	if (n)
		alu_ri(e, 1, ALU_SUB, R12, n);
}

/* Writes back the pinned registers in mask. */
static void spill(struct tr *t, uint64_t mask)
{
	for (unsigned x = 1; x < 64; x++) {
		if (!(mask >> x & 1))
			continue;
		if (x < 32)
			st64(&t->e, t->pin[x], RBX, HX(x));
		else    /* movsd [f], xmm */
			op_mem(&t->e, 0xf2, 0, 0x0f11, t->pin[x], RBX,
			       HF(x - 32), 0);
	}
}

/* Loads the pinned registers in mask from h->x[] and h->f[]. */
static void load_pins(struct tr *t, uint64_t mask)
{
	for (unsigned x = 1; x < 64; x++) {
		if (!(mask >> x & 1))
			continue;
		if (x < 32)
			ld64(&t->e, t->pin[x], RBX, HX(x));
		else    /* movsd xmm, [f] */
			op_mem(&t->e, 0xf2, 0, 0x0f10, t->pin[x], RBX,
			       HF(x - 32), 0);
	}
}

/* After a call (most pins are caller-saved): every pin again. */
static void reload(struct tr *t)
{
	load_pins(t, t->pinned);
}

/* Brings h->pc to the current op and insn_count to the ops before it. */
static void sync_state(struct tr *t)
{
	add_mem(&t->e, HOFF(pc), (int32_t)t->cur - t->pc_sync);
	count(&t->e, (int32_t)t->idx - t->ic_sync);
	t->pc_sync = (int32_t)t->cur;
	t->ic_sync = (int32_t)t->idx;
}

/* Calls i->fn(h, i) with the state synced; afterwards the op is counted
 * (trapped or not, as block.c does) and ZF is clear if it returned 1. */
static void call_op(struct tr *t, const struct rv_insn *i)
{
	/* insn_count = jit_base - r12 for the op; afterwards r12 from what
	 * the op left there (a write to minstret, a trap), less the op */
	ld64(&t->e, RAX, RBX, HOFF(jit_base));
	alu_rr(&t->e, 1, ALU_SUB, RAX, R12);
	st64(&t->e, RAX, RBX, HOFF(insn_count));
	op_rr(&t->e, 1, 0x89, RBX, RDI); /* mov rdi, rbx */
	mov_imm(&t->e, RSI, (uint64_t)(uintptr_t)i);
	call_abs(&t->e, (const void *)i->fn);
	if (i->rd == 0) { /* mov qword [rbx + x0], 0 (keeps flags) */
		rex(&t->e, 1, 0, 0, RBX, 0);
		e8(&t->e, 0xc7);
		modrm_mem(&t->e, 0, RBX, HX(0));
		e32(&t->e, 0);
	}
	ld64(&t->e, R12, RBX, HOFF(jit_base));
	alu_rm(&t->e, 1, ALU_SUB, R12, RBX, HOFF(insn_count));
	count(&t->e, 1);
	e8(&t->e, 0x85);
	e8(&t->e, 0xc0); /* test eax, eax */
}

/* cmp byte [rbx + dmode], the translation's */
static void cmp_dmode(struct tr *t)
{
	op_mem(&t->e, 0, 0, 0x80, 7, RBX, HOFF(dmode), 0);
	e8(&t->e, t->dmode);
}

/* An op without a template: its function, exactly as block.c calls it. */
static void emit_helper(struct tr *t, const struct rv_insn *i)
{
	spill(t, t->dirty);
	t->dirty = 0;
	t->fs_dirty = 0; /* the op may write mstatus */
	sync_state(t);
	call_op(t, i);
	t->ic_sync++;
	to_exit(t, CC_NE);
	/* a CSR write, mret/sret (and so on) may change the data mode */
	cmp_dmode(t);
	add_fix(t, new_cold(t, C_MODE_EXIT), jcc32(&t->e, CC_NE));
	reload(t);
	t->helpers++;
}

/* eax = vm->page_gen[pg] + h->code_epoch, the block's current stamp, in
 * a fixed encoding (13 bytes, disp32 forms) so the prologue's imm32 sits
 * at JIT_STAMP_OFF. */
static void stamp_load(struct tr *t)
{
	struct emit *e = &t->e;

	e8(e, 0x41); e8(e, 0x8b); e8(e, 0x85); /* mov eax, [r13 + d32] */
	e32(e, t->pg * 4u);
	e8(e, 0x03); e8(e, 0x83);              /* add eax, [rbx + d32] */
	e32(e, (uint32_t)HOFF(code_epoch));
}

/*
 * A jump back to the block's own start: the prologue's checks, then the
 * body again with the pinned registers still live (the body is
 * translated as if the registers it writes were dirty on entry, so every
 * exit writes them back).  The last check jumps back, so a loop that
 * goes on takes one branch.
 *
 * The stamp is checked again only when the block calls an op's function
 * inline (a helper: fence.i, an AMO, a CSR write may change code or the
 * epoch and carry on).  Without one, nothing in the loop can: a store
 * that is not on the fast path (code pages included) leaves the native
 * run, and slow loads only read.  Another hart's or a device's write
 * needs a fence.i on this hart (RISC-V Zifencei), which arrives as an
 * IPI (kick) or after the next limit exit, and both leave the loop.
 */
static void loop_back(struct tr *t)
{
	struct emit *e = &t->e;

	add_mem(e, HOFF(pc), -t->pc_sync);
	struct cold *c = new_cold(t, C_SPILL_EXIT);
	alu_ri(e, 1, ALU_SUB, R12, (int32_t)t->idx + 1 - t->ic_sync);
	add_fix(t, c, jcc32(e, CC_LE));
	if (t->helpers) {
		stamp_load(t);
		/* cmp eax, [rip + the prologue's imm32] (rv_jit_set_stamp
		 * patches that one only) */
		e8(e, 0x3b); e8(e, 0x05);
		e32(e, t->entry + JIT_STAMP_OFF - (e->pos + 4));
		add_fix(t, c, jcc32(e, CC_NE));
	}
	op_mem(e, 0, 0, 0x83, 7, RBX, HOFF(kick), 0); /* cmp dword, 0 */
	e8(e, 0);
	patch32(e, jcc32(e, CC_E), t->body);
	add_fix(t, c, jmp32(e));
}

/*
 * Leaves the block for block offset target: h->pc and insn_count synced
 * (ops up to and including the current one retired), then a chained jump
 * if the target is in this page, else back to the dispatcher.
 */
static void exit_to(struct tr *t, int64_t target)
{
	uint64_t page_off = t->pa & 4095;
	int64_t abs = (int64_t)page_off + target;

	if (target == 0) {
		loop_back(t);
		return;
	}
	spill(t, t->dirty);
	add_mem(&t->e, HOFF(pc), (int32_t)(target - t->pc_sync));
	count(&t->e, (int32_t)t->idx + 1 - t->ic_sync);
	if (abs < 0 || abs >= 4096) { /* another page: the jump table */
		ld64(&t->e, RAX, RBX, HOFF(pc));
		patch32(&t->e, jmp32(&t->e), t->j->lookup);
		return;
	}
	while ((t->e.pos + 1) & 3)
		e8(&t->e, 0x90);
	uint32_t site = jmp32(&t->e);
	struct cold *c = new_cold(t, C_LINK);
	c->site = site;
	c->target_pa = (t->pa & ~4095ull) + (uint64_t)abs;
	c->chain = t->helpers == 0;
	add_fix(t, c, site);
}

/* The 32-bit form of i, or 0 if it has no template: templates follow
 * the encoding, so an op whose function is not the decoder's (lockstep's
 * planted bugs) keeps its function. */
static uint32_t insn_word(const struct rv_insn *i)
{
	struct rv_insn d;

	if (i->fn == rv_illegal)
		return 0;
	rv_decode(i->raw, &d);
	if (d.fn != i->fn)
		return 0;
	return i->len == 2 ? rv_expand_c((uint16_t)i->raw) : i->raw;
}

static int is_pinned(const struct tr *t, unsigned x)
{
	return x < 32 && ((t->pinned >> x) & 1);
}

static void ld_x(struct tr *t, int r, unsigned x)
{
	if (is_pinned(t, x)) {
		if (t->pin[x] != r)
			op_rr(&t->e, 1, 0x89, t->pin[x], r); /* mov r, pin */
	} else if (x == 0) {
		rex(&t->e, 0, r, 0, r, 0);
		e8(&t->e, 0x31);
		e8(&t->e, (unsigned)(0xc0 | (r & 7) << 3 | (r & 7))); /* xor */
	} else {
		ld64(&t->e, r, RBX, HX(x));
	}
}

static void st_x(struct tr *t, int r, unsigned x)
{
	if (is_pinned(t, x)) {
		if (t->pin[x] != r)
			op_rr(&t->e, 1, 0x89, r, t->pin[x]); /* mov pin, r */
		t->dirty |= 1ull << x;
	} else if (x != 0) {
		st64(&t->e, r, RBX, HX(x));
	}
}

/* Where an op computes x[rd]: its pinned register, else rax (stored by
 * put_rd).  avoid: a guest register the op reads after writing the
 * destination, which must not be rd's register. */
static int dest_of(const struct tr *t, unsigned rd, unsigned avoid)
{
	return is_pinned(t, rd) && rd != avoid ? t->pin[rd] : RAX;
}

static void put_rd(struct tr *t, int d, unsigned rd)
{
	st_x(t, d, rd);
}

/* alu d, x[x] (w: 64 bits, else 32) */
static void alu_x(struct tr *t, int w, int ext, int d, unsigned x)
{
	if (is_pinned(t, x))
		alu_rr(&t->e, w, ext, d, t->pin[x]);
	else
		alu_rm(&t->e, w, ext, d, RBX, HX(x));
}

/* imul d, x[x] */
static void imul_x(struct tr *t, int w, int d, unsigned x)
{
	if (is_pinned(t, x))
		op_rr(&t->e, w, 0x0faf, d, t->pin[x]);
	else
		op_mem(&t->e, 0, w, 0x0faf, d, RBX, HX(x), 0);
}

/* r = h->pc + (cur - pc_sync) + add */
static void pc_plus(struct tr *t, int r, int64_t add)
{
	int64_t d = (int64_t)t->cur - t->pc_sync + add;

	ld64(&t->e, r, RBX, HOFF(pc));
	if (fits32(d)) {
		if (d)
			alu_ri(&t->e, 1, ALU_ADD, r, (int32_t)d);
	} else {
		mov_imm(&t->e, RCX, (uint64_t)d);
		alu_rr(&t->e, 1, ALU_ADD, r, RCX);
	}
}

/* lea d, [s + imm] */
static void lea_ri(struct emit *e, int d, int s, int32_t imm)
{
	op_mem(e, 0, 1, 0x8d, d, s, imm, 0);
}

#include "int_templates.h"
#include "fp_templates.h"
#include "mem_templates.h"
#include "pins.h"

/* ---- control transfer ---- */

/* The flags of cmp x[a], x[b]. */
static void emit_cmp(struct tr *t, unsigned a, unsigned b)
{
	struct emit *e = &t->e;

	if (is_pinned(t, a) && b == 0) {
		op_rr(e, 1, 0x85, t->pin[a], t->pin[a]);  /* test a, a */
	} else if (is_pinned(t, a)) {
		alu_x(t, 1, ALU_CMP, t->pin[a], b);
	} else if (a != 0 && b == 0) {
		alu_mi(e, ALU_CMP, RBX, HX(a), 0);         /* cmp qword, 0 */
	} else if (a != 0 && is_pinned(t, b)) {
		op_mem(e, 0, 1, 0x39, t->pin[b], RBX, HX(a), 0); /* cmp [], b */
	} else {
		ld_x(t, RAX, a);
		alu_x(t, 1, ALU_CMP, RAX, b);
	}
}

static void emit_branch(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	static const int cc[8] = { CC_E, CC_NE, -1, -1, CC_L, CC_GE, CC_B,
				   CC_AE };
	unsigned f3 = (r >> 12) & 7;

	emit_cmp(t, i->rs1, i->rs2);
	int32_t ps = t->pc_sync, is = t->ic_sync;
	uint64_t dirty = t->dirty;
	int fs_dirty = t->fs_dirty;
	/* a loop branch falls into its loop-back (x86 cc ^ 1 inverts) */
	int loop = (int64_t)t->cur + i->imm == 0;
	int64_t first = loop ? 0 : (int64_t)t->cur + i->len;
	int64_t second = loop ? (int64_t)t->cur + i->len
			      : (int64_t)t->cur + i->imm;
	uint32_t skip = jcc32(&t->e, loop ? cc[f3] ^ 1 : cc[f3]);
	exit_to(t, first);
	patch32(&t->e, skip, t->e.pos);
	t->pc_sync = ps;
	t->ic_sync = is;
	t->dirty = dirty;
	t->fs_dirty = fs_dirty;
	exit_to(t, second);
}

static void emit_jal(struct tr *t, const struct rv_insn *i)
{
	if (i->rd) {
		pc_plus(t, RAX, i->len);
		st_x(t, RAX, i->rd);
	}
	exit_to(t, (int64_t)t->cur + i->imm);
}

static void emit_jalr(struct tr *t, const struct rv_insn *i)
{
	struct emit *e = &t->e;

	ld_x(t, RAX, i->rs1);
	if (i->imm)
		alu_ri(e, 1, ALU_ADD, RAX, (int32_t)i->imm);
	alu_ri(e, 1, ALU_AND, RAX, -2);
	if (i->rd) {
		pc_plus(t, RCX, i->len);
		st_x(t, RCX, i->rd);
	}
	spill(t, t->dirty);
	st64(e, RAX, RBX, HOFF(pc));
	count(e, (int32_t)t->idx + 1 - t->ic_sync);
	patch32(e, jmp32(e), t->j->lookup);
}

/* FENCE on x86-TSO: only earlier stores before later loads need a fence;
 * every other ordering holds already (the translation never reorders
 * guest memory accesses; helpers are calls, so compiler barriers). */
static void emit_fence(struct tr *t, uint32_t r)
{
	unsigned pred = (r >> 24) & 15, succ = (r >> 20) & 15;

	if ((pred & 5) && (succ & 10)) { /* W or O before R or I */
		e8(&t->e, 0x0f); e8(&t->e, 0xae); e8(&t->e, 0xf0); /* mfence */
	}
}

/* The prologue: leave at once when the block's stamp is stale (a store
 * to its page, fence.i: ../block.c checks it), the data mode is not the
 * translation's, the limit (budget, next timer check) is reached or the
 * hart was kicked (stop, interrupt line), so chained loops and jump-table
 * entries see all four; chains that may skip the first two enter at
 * JIT_CHAIN_OFF (jit_impl.h).  h->pc is this block's start here. */
static void emit_prologue(struct tr *t)
{
	struct emit *e = &t->e;

	stamp_load(t);
	e8(e, 0x3d);                            /* cmp eax, imm32 */
	if (e->pos - t->entry != JIT_STAMP_OFF)
		e->overflow = 1; /* not reached: the encoding is fixed */
	e32(e, t->stamp);
	to_exit(t, CC_NE);
	cmp_dmode(t);
	to_exit(t, CC_NE);
	if (e->pos - t->entry != JIT_CHAIN_OFF)
		e->overflow = 1; /* not reached: the encoding is fixed */
	op_rr(e, 1, 0x85, R12, R12);            /* test r12, r12 */
	to_exit(t, CC_LE);
	op_mem(e, 0, 0, 0x83, 7, RBX, HOFF(kick), 0); /* cmp dword, 0 */
	e8(e, 0);
	to_exit(t, CC_NE);
}

/* Emits op i; returns 1 if it ended the block (an unconditional exit). */
static int emit_insn(struct tr *t, const struct rv_insn *i)
{
	uint32_t r = insn_word(i);
	unsigned f3 = (r >> 12) & 7;
	int done = 0;

	switch (r & 0x7f) {
	case 0x13: done = emit_opimm(t, i, r); break;
	case 0x1b: done = emit_opimm32(t, i, r); break;
	case 0x33: done = emit_op(t, i, r, 0); break;
	case 0x3b: done = emit_op(t, i, r, 1); break;
	case 0x37:
		if (i->rd) {
			mov_imm(&t->e, RAX, (uint64_t)i->imm);
			st_x(t, RAX, i->rd);
		}
		done = 1;
		break;
	case 0x17:
		if (i->rd) {
			pc_plus(t, RAX, i->imm);
			st_x(t, RAX, i->rd);
		}
		done = 1;
		break;
	case 0x07:
		if (f3 != 2 && f3 != 3)
			break;
		/* fall through */
	case 0x03:
		if (f3 != 7 && t->dmode != RV_DMODE_PMP) {
			emit_mem(t, i, r, 0);
			done = 1;
		}
		break;
	case 0x27:
		if (f3 != 2 && f3 != 3)
			break;
		/* fall through */
	case 0x23:
		/* lockstep logs stores in the C path (set at hart creation) */
		if (f3 < 4 && !t->h->lockstep &&
		    t->dmode != RV_DMODE_PMP) {
			emit_mem(t, i, r, 1);
			done = 1;
		}
		break;
	case 0x0f:
		if (f3 == 0 && r != 0x0100000f) {
			emit_fence(t, r);
			done = 1;
		}
		break;
	case 0x53:
		done = emit_fp_arith(t, i, r) || emit_fp_misc(t, i, r);
		break;
	case 0x43: case 0x47: case 0x4b: case 0x4f:
		done = emit_fp_fma(t, i, r);
		break;
	case 0x63:
		if (f3 != 2 && f3 != 3) {
			emit_branch(t, i, r);
			t->templated++;
			return 1;
		}
		break;
	case 0x6f:
		emit_jal(t, i);
		t->templated++;
		return 1;
	case 0x67:
		if (f3 == 0) {
			emit_jalr(t, i);
			t->templated++;
			return 1;
		}
		break;
	}
	if (done) {
		t->templated++;
		return 0;
	}
	emit_helper(t, i);
	return 0;
}

static void emit_cold(struct tr *t, struct cold *c)
{
	struct emit *e = &t->e;
	const struct rv_insn *i = &t->ops[c->idx];

	for (unsigned k = 0; k < c->nfix; k++)
		patch32(e, c->fix[k], e->pos);
	switch (c->kind) {
	case C_SLOW_LOAD:
	case C_SLOW_STORE:
		spill(t, c->dirty);
		add_mem(e, HOFF(pc), c->pc_delta);
		count(e, c->ic_delta);
		call_op(t, i);
		to_exit(t, CC_NE);
		if (c->kind == C_SLOW_STORE) {
			/* MMIO, code pages, misses: leave, so a store that
			 * raised an interrupt or changed code is seen now */
			add_mem(e, HOFF(pc), i->len);
			to_exit(t, -1);
			break;
		}
		add_mem(e, HOFF(pc), -c->pc_delta);
		count(e, -c->ic_delta - 1);
		reload(t); /* the call clobbered them; rd is the op's result */
		patch32(e, jmp32(e), c->resume);
		break;
	case C_NAN_D: /* xmm0 = the canonical NaN */
		mov_imm(e, RAX, 0x7ff8000000000000ull);
		e8(e, 0x66);
		op_rr(e, 1, 0x0f6e, XMM0, RAX); /* movq xmm0, rax */
		patch32(e, jmp32(e), c->resume);
		break;
	case C_MODE_EXIT: /* after a helper: nothing dirty, op counted */
		add_mem(e, HOFF(pc), i->len);
		e8(e, 0x31);
		e8(e, 0xc0);
		jmp_epilogue(t);
		break;
	case C_SPILL_EXIT: /* h->pc and insn_count are synced */
		spill(t, c->dirty);
		e8(e, 0x31);
		e8(e, 0xc0);
		jmp_epilogue(t);
		break;
	case C_LINK: {
		if (t->head.nexits < JIT_MAX_EXITS) {
			unsigned k = t->head.nexits++;
			t->head.exit[k].site = (uint16_t)(c->site - t->entry);
			t->head.exit[k].stub = (int32_t)(e->pos - (c->site + 4));
		} else {
			e->overflow = 1; /* not reached: two exits at most */
		}
		struct rv_jit_linkrec rec = { c->target_pa, c->site,
					      (uint8_t)c->chain };
		/* lea rax, [rip + 5]: the record after the jmp */
		e8(e, 0x48); e8(e, 0x8d); e8(e, 0x05); e32(e, 5);
		jmp_epilogue(t);
		for (unsigned k = 0; k < sizeof(rec); k++)
			e8(e, ((const uint8_t *)&rec)[k]);
		break;
	}
	}
}

/* ATOLL_RV_JIT_DUMP=file appends each translation (a developer's aid:
 * scripts/jit-dump.py disassembles it): the physical pc (8 bytes), the
 * cache offset and length (4 bytes each), the code.  Unsandboxed runs
 * only (tests/riscv's programs): the cpu sandbox opens no files. */
static void dump(const struct tr *t)
{
	static const char *path;
	static int checked;

	if (!checked) {
		path = getenv("ATOLL_RV_JIT_DUMP");
		checked = 1;
	}
	FILE *f = path ? fopen(path, "ab") : NULL;
	if (!f)
		return;
	uint32_t len = t->e.pos - t->entry;
	fwrite(&t->pa, 8, 1, f);
	fwrite(&t->entry, 4, 1, f);
	fwrite(&len, 4, 1, f);
	fwrite(t->j->rw + t->entry, 1, len, f);
	fclose(f);
}

void *rv_jit_translate(struct rv_jit *j, struct rv_hart *h, uint64_t pa,
		       uint32_t pg, uint32_t stamp,
		       const struct rv_insn *ops, unsigned n)
{
	static __thread struct tr t;

	memset(&t, 0, offsetof(struct tr, cold));
	t.ncold = 0;
	t.templated = t.helpers = 0;
	t.j = j;
	t.h = h;
	t.vm = h->vm;
	t.ops = ops;
	t.n = n;
	t.pa = pa;
	t.pg = pg;
	t.dmode = h->dmode;
	t.stamp = stamp;
	t.entry = ((j->used + 15) & ~15u) + JIT_HEAD;
	t.head.nexits = 0;
	t.e = (struct emit){ j->rw, t.entry, j->size, 0 };

	emit_prologue(&t);
	choose_pins(&t);
	/* a block that loops to its start runs its body with the pins of
	 * the last round, all loaded, and exits as if every pin it writes
	 * were dirty; elsewhere a pin holds garbage until loaded or
	 * written, and only what was written is dirty */
	int loop = self_loop(&t);
	load_pins(&t, loop ? t.pinned : t.live_in);
	t.body = t.e.pos;
	t.dirty = loop ? t.written : 0;
	int ended = 0;
	for (t.idx = 0; t.idx < n && !ended; t.idx++) {
		ended = emit_insn(&t, &ops[t.idx]);
		if (!ended)
			t.cur += ops[t.idx].len;
	}
	if (!ended) { /* fell off the end (size limit, page end) */
		t.idx = n - 1;
		exit_to(&t, t.cur);
	}
	t.exit_nl = t.e.pos;
	e8(&t.e, 0x31);
	e8(&t.e, 0xc0);
	jmp_epilogue(&t);
	for (unsigned k = 0; k < t.nexit_fix; k++)
		patch32(&t.e, t.exit_fix[k], t.exit_nl);
	for (unsigned k = 0; k < t.ncold; k++) {
		unsigned before = t.nexit_fix;
		emit_cold(&t, &t.cold[k]);
		for (unsigned m = before; m < t.nexit_fix; m++)
			patch32(&t.e, t.exit_fix[m], t.exit_nl);
	}
	if (t.e.overflow || t.e.pos - t.entry > UINT16_MAX)
		return NULL;
	memcpy(j->rw + t.entry - JIT_HEAD, &t.head, sizeof(t.head));
	dump(&t);
	j->used = t.e.pos;
	j->st.blocks++;
	j->st.ops_templated += t.templated;
	j->st.ops_helper += t.helpers;
	return j->rx + t.entry;
}

#else /* !__x86_64__ */

void *rv_jit_translate(struct rv_jit *j, struct rv_hart *h, uint64_t pa,
		       uint32_t pg, uint32_t stamp,
		       const struct rv_insn *ops, unsigned n)
{
	(void)j; (void)h; (void)pa; (void)pg; (void)stamp; (void)ops; (void)n;
	return NULL;
}

#endif
