/* SPDX-License-Identifier: MIT */
/*
 * Translator: a block's micro-ops (struct rv_insn) to x86-64 code.
 *
 * Register use inside translated code: rbx = the hart, r12 = instruction
 * limit (budget or next timer check), r13 = vm->page_gen, r14 = the jump
 * table (callee-saved, set by the entry trampoline); rax, rcx, rdx are scratch.  Guest registers live
 * in h->x[] (x[0] stays 0 in memory: templates never write it, and a
 * helper that names rd = 0 is followed by a store of 0, as in block.c).
 * Inside a block the guest registers its templates use most are pinned in
 * rsi, rdi, r8-r11, rbp, r15: loaded after the prologue, written back (those
 * written) before every helper call and exit, reloaded after every call
 * (most of them are caller-saved).
 *
 * Guest state is lazy, tracked at translation time: h->pc holds the block
 * start plus pc_sync, h->insn_count the count at entry plus ic_sync.  A
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

#include "../rv_internal.h"
#include "emit.h"
#include "jit_impl.h"

#if defined(__x86_64__)

#define HX(r) ((int32_t)(offsetof(struct rv_hart, x) + 8u * (r)))
#define HOFF(f) ((int32_t)offsetof(struct rv_hart, f))
#define TLB0 ((int32_t)offsetof(struct rv_hart, tlb))
#define TOFF(f) (TLB0 + (int32_t)offsetof(struct rv_tlb_entry, f))

_Static_assert(sizeof(struct rv_tlb_entry) == 32, "tlb index scaling");
_Static_assert(TLB_SIZE == 256, "tlb index mask");

#define MAX_FIX 16
#define MAX_COLD 200

enum cold_kind { C_SLOW_LOAD, C_SLOW_STORE, C_ALT_PATH, C_LINK,
		 C_SPILL_EXIT };

struct cold {
	enum cold_kind kind;
	unsigned nfix;
	uint32_t fix[MAX_FIX];  /* rel32 fields that jump here */
	unsigned idx;           /* op index */
	uint32_t dirty;         /* pinned registers to write back first */
	int32_t pc_delta;       /* to bring h->pc to the op */
	int32_t ic_delta;       /* to bring insn_count up to the op */
	uint32_t resume;        /* where the main path continues */
	/* C_ALT_PATH: the other addressing mode of a memory op */
	unsigned size, need, bare;
	struct cold *slow;
	/* C_LINK */
	uint32_t site;
	uint64_t target_pa;
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
	uint32_t stamp;
	uint32_t entry;     /* cache offset of this block's code */
	uint32_t cur;       /* byte offset of the current op in the block */
	unsigned idx;
	int32_t pc_sync;
	int32_t ic_sync;
	uint32_t exit_nl;   /* cold label: return 0 (state already synced) */
	uint32_t exit_fix[256];
	unsigned nexit_fix;
	int8_t pin[32];     /* host register of a pinned guest register, -1 */
	uint32_t pinned;    /* guest registers pinned */
	uint32_t dirty;     /* pinned and written since the last write-back */
	uint32_t written;   /* pinned registers the block writes */
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

/* Writes back the pinned registers in mask. */
static void spill(struct tr *t, uint32_t mask)
{
	for (unsigned x = 1; x < 32; x++)
		if (mask & (1u << x))
			st64(&t->e, t->pin[x], RBX, HX(x));
}

/* Loads every pinned register from h->x[]. */
static void reload(struct tr *t)
{
	for (unsigned x = 1; x < 32; x++)
		if (t->pinned & (1u << x))
			ld64(&t->e, t->pin[x], RBX, HX(x));
}

/* Brings h->pc to the current op and insn_count to the ops before it. */
static void sync_state(struct tr *t)
{
	add_mem(&t->e, HOFF(pc), (int32_t)t->cur - t->pc_sync);
	add_mem(&t->e, HOFF(insn_count), (int32_t)t->idx - t->ic_sync);
	t->pc_sync = (int32_t)t->cur;
	t->ic_sync = (int32_t)t->idx;
}

/* Calls i->fn(h, i) with the state synced; afterwards the op is counted
 * (trapped or not, as block.c does) and ZF is clear if it returned 1. */
static void call_op(struct tr *t, const struct rv_insn *i)
{
	op_rr(&t->e, 1, 0x89, RBX, RDI); /* mov rdi, rbx */
	mov_imm(&t->e, RSI, (uint64_t)(uintptr_t)i);
	call_abs(&t->e, (const void *)i->fn);
	if (i->rd == 0) { /* mov qword [rbx + x0], 0 (keeps flags) */
		rex(&t->e, 1, 0, 0, RBX, 0);
		e8(&t->e, 0xc7);
		modrm_mem(&t->e, 0, RBX, HX(0));
		e32(&t->e, 0);
	}
	alu_mi(&t->e, ALU_ADD, RBX, HOFF(insn_count), 1);
	e8(&t->e, 0x85);
	e8(&t->e, 0xc0); /* test eax, eax */
}

/* An op without a template: its function, exactly as block.c calls it. */
static void emit_helper(struct tr *t, const struct rv_insn *i)
{
	spill(t, t->dirty);
	t->dirty = 0;
	sync_state(t);
	call_op(t, i);
	t->ic_sync++;
	to_exit(t, CC_NE);
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
	add_mem(e, HOFF(insn_count), (int32_t)t->idx + 1 - t->ic_sync);
	struct cold *c = new_cold(t, C_SPILL_EXIT);
	ld64(e, RAX, RBX, HOFF(insn_count));
	alu_rr(e, 1, ALU_CMP, RAX, R12);
	add_fix(t, c, jcc32(e, CC_AE));
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
	add_mem(&t->e, HOFF(insn_count), (int32_t)t->idx + 1 - t->ic_sync);
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
	add_fix(t, c, site);
}

static void ld_x(struct tr *t, int r, unsigned x)
{
	if (t->pinned & (1u << x)) {
		op_rr(&t->e, 1, 0x89, t->pin[x], r); /* mov r, pin */
	} else if (x == 0) {
		e8(&t->e, 0x31);
		e8(&t->e, (unsigned)(0xc0 | (r & 7) << 3 | (r & 7))); /* xor */
	} else {
		ld64(&t->e, r, RBX, HX(x));
	}
}

static void st_x(struct tr *t, int r, unsigned x)
{
	if (t->pinned & (1u << x)) {
		op_rr(&t->e, 1, 0x89, r, t->pin[x]); /* mov pin, r */
		t->dirty |= 1u << x;
	} else if (x != 0) {
		st64(&t->e, r, RBX, HX(x));
	}
}

/* alu rax, x[x] (w: 64 bits, else 32) */
static void alu_x(struct tr *t, int w, int ext, unsigned x)
{
	if (t->pinned & (1u << x))
		alu_rr(&t->e, w, ext, RAX, t->pin[x]);
	else
		alu_rm(&t->e, w, ext, RAX, RBX, HX(x));
}

/* imul rax, x[x] */
static void imul_x(struct tr *t, int w, unsigned x)
{
	if (t->pinned & (1u << x))
		op_rr(&t->e, w, 0x0faf, RAX, t->pin[x]);
	else
		op_mem(&t->e, 0, w, 0x0faf, RAX, RBX, HX(x), 0);
}

/* rax = h->pc + (cur - pc_sync) + add */
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

/* ---- integer templates; return 0 if the op has none ---- */

static int emit_opimm(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	unsigned f3 = (r >> 12) & 7;
	int32_t imm = (int32_t)i->imm;
	struct emit *e = &t->e;

	if (i->rd == 0)
		return 1; /* a hint: no effect */
	ld_x(t, RAX, i->rs1);
	switch (f3) {
	case 0: if (imm) alu_ri(e, 1, ALU_ADD, RAX, imm); break;
	case 2: alu_ri(e, 1, ALU_CMP, RAX, imm); setcc_rax(e, CC_L); break;
	case 3: alu_ri(e, 1, ALU_CMP, RAX, imm); setcc_rax(e, CC_B); break;
	case 4: alu_ri(e, 1, ALU_XOR, RAX, imm); break;
	case 6: alu_ri(e, 1, ALU_OR, RAX, imm); break;
	case 7: alu_ri(e, 1, ALU_AND, RAX, imm); break;
	case 1: shift_ri(e, 1, SH_SHL, RAX, (unsigned)imm & 63); break;
	default:
		shift_ri(e, 1, (r >> 30) & 1 ? SH_SAR : SH_SHR, RAX,
			 (unsigned)imm & 63);
		break;
	}
	st_x(t, RAX, i->rd);
	return 1;
}

static int emit_opimm32(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	unsigned f3 = (r >> 12) & 7;
	int32_t imm = (int32_t)i->imm;
	struct emit *e = &t->e;

	if (i->rd == 0)
		return 1;
	ld_x(t, RAX, i->rs1);
	switch (f3) {
	case 0: if (imm) alu_ri(e, 0, ALU_ADD, RAX, imm); break;
	case 1: shift_ri(e, 0, SH_SHL, RAX, (unsigned)imm & 31); break;
	case 5:
		shift_ri(e, 0, (r >> 30) & 1 ? SH_SAR : SH_SHR, RAX,
			 (unsigned)imm & 31);
		break;
	default: return 0;
	}
	movsxd(e, RAX, RAX);
	st_x(t, RAX, i->rd);
	return 1;
}

static int emit_op(struct tr *t, const struct rv_insn *i, uint32_t r, int w32)
{
	unsigned f3 = (r >> 12) & 7, f7 = r >> 25;
	struct emit *e = &t->e;
	int w = !w32;

	if (f7 == 1 && f3 != 0)
		return 0; /* mulh*, div*, rem*: helpers */
	if (i->rd == 0)
		return 1;
	ld_x(t, RAX, i->rs1);
	if (f7 == 1) {
		imul_x(t, w, i->rs2);
	} else if (f3 == 1 || f3 == 5) {
		ld_x(t, RCX, i->rs2);
		shift_rcl(e, w, f3 == 1 ? SH_SHL : f7 ? SH_SAR : SH_SHR, RAX);
	} else if (f3 == 0) {
		alu_x(t, w, f7 ? ALU_SUB : ALU_ADD, i->rs2);
	} else if (w32) {
		return 0; /* not reached: the decoder has no other *W ops */
	} else {
		switch (f3) {
		case 2:
		case 3:
			alu_x(t, 1, ALU_CMP, i->rs2);
			setcc_rax(e, f3 == 2 ? CC_L : CC_B);
			break;
		case 4: alu_x(t, 1, ALU_XOR, i->rs2); break;
		case 6: alu_x(t, 1, ALU_OR, i->rs2); break;
		default: alu_x(t, 1, ALU_AND, i->rs2); break;
		}
	}
	if (w32)
		movsxd(e, RAX, RAX);
	st_x(t, RAX, i->rd);
	return 1;
}

#include "fp_templates.h"

/* ---- loads and stores ---- */

/* rdx = host address for va in rax through the bare RAM window. */
static void emit_bare(struct tr *t, struct cold *slow, unsigned size)
{
	struct emit *e = &t->e;
	struct rv_vm *vm = t->vm;

	op_mem(e, 0, 0, 0x80, 7, RBX, HOFF(dpmp), 0); /* cmp byte, imm8 */
	e8(e, 0);
	add_fix(t, slow, jcc32(e, CC_NE));
	if (fits32(-(int64_t)vm->cfg.ram_base)) { /* lea rdx, [rax - base] */
		e8(e, 0x48); e8(e, 0x8d); e8(e, 0x90);
		e32(e, (uint32_t)-(int64_t)vm->cfg.ram_base);
	} else {
		op_rr(e, 1, 0x89, RAX, RDX);  /* mov rdx, rax */
		mov_imm(e, RCX, vm->cfg.ram_base);
		alu_rr(e, 1, ALU_SUB, RDX, RCX);
	}
	if (vm->cfg.ram_size - size <= INT32_MAX) {
		alu_ri(e, 1, ALU_CMP, RDX, (int32_t)(vm->cfg.ram_size - size));
	} else {
		mov_imm(e, RCX, vm->cfg.ram_size - size);
		alu_rr(e, 1, ALU_CMP, RDX, RCX);
	}
	add_fix(t, slow, jcc32(e, CC_A));
	mov_imm(e, RCX, (uint64_t)(uintptr_t)vm->ram);
	alu_rr(e, 1, ALU_ADD, RDX, RCX);
}

/* rdx = host address for va in rax through the TLB (current context). */
static void emit_tlb(struct tr *t, struct cold *slow, unsigned need)
{
	struct emit *e = &t->e;

	op_rr(e, 1, 0x89, RAX, RCX);  /* mov rcx, rax */
	shift_ri(e, 1, SH_SHR, RCX, 12);
	op_rr(e, 0, 0x89, RCX, RDX);  /* mov edx, ecx */
	alu_ri(e, 0, ALU_AND, RDX, TLB_SIZE - 1);
	shift_ri(e, 0, SH_SHL, RDX, 5);
	alu_rr(e, 1, ALU_ADD, RDX, RBX);
	alu_rm(e, 1, ALU_CMP, RCX, RDX, TOFF(vpage));
	add_fix(t, slow, jcc32(e, CC_NE));
	op_mem(e, 0, 0, 0x0fb6, RCX, RBX, HOFF(dctx), 0); /* movzx ecx, b */
	op_mem(e, 0, 0, 0x3a, RCX, RDX, TOFF(ctx), 1);   /* cmp cl, [] */
	add_fix(t, slow, jcc32(e, CC_NE));
	op_mem(e, 0, 0, 0xf6, 0, RDX, TOFF(rw), 0);      /* test byte */
	e8(e, need);
	add_fix(t, slow, jcc32(e, CC_E));
	ld64(e, RDX, RDX, TOFF(host));
	op_rr(e, 1, 0x85, RDX, RDX);                     /* test rdx, rdx */
	add_fix(t, slow, jcc32(e, CC_E));
	op_rr(e, 0, 0x89, RAX, RCX);                     /* mov ecx, eax */
	alu_ri(e, 0, ALU_AND, RCX, 4095);
	alu_rr(e, 1, ALU_ADD, RDX, RCX);
}

static void emit_mem(struct tr *t, const struct rv_insn *i, uint32_t r,
		     int store)
{
	struct emit *e = &t->e;
	unsigned f3 = (r >> 12) & 7, size = 1u << (f3 & 3);
	int bare = t->h->dbare; /* inline the mode the block runs in now */
	int fp = (r & 0x5f) == 0x07; /* flw/fld/fsw/fsd: fp_templates.h */
	/* the alternative path comes first in the cold area: its jumps to
	 * the slow stub are collected before that is emitted */
	struct cold *a = new_cold(t, C_ALT_PATH);
	struct cold *s = new_cold(t, store ? C_SLOW_STORE : C_SLOW_LOAD);

	a->slow = s;
	a->size = size;
	a->need = store ? 2 : 1;
	a->bare = !bare;

	if (fp)
		fp_fs_guard(t, s);
	ld_x(t, RAX, i->rs1);
	if (i->imm)
		alu_ri(e, 1, ALU_ADD, RAX, (int32_t)i->imm);
	if (size > 1) {
		e8(e, 0xa8);
		e8(e, size - 1); /* test al, size-1 */
		add_fix(t, s, jcc32(e, CC_NE));
	}
	op_mem(e, 0, 0, 0x80, 7, RBX, HOFF(dbare), 0);
	e8(e, 0);
	add_fix(t, a, jcc32(e, bare ? CC_E : CC_NE));
	if (bare)
		emit_bare(t, s, size);
	else
		emit_tlb(t, s, a->need);
	a->resume = e->pos;
	if (store) {
		struct rv_vm *vm = t->vm;
		uint64_t th = vm->cfg.tohost_addr - vm->cfg.ram_base;

		/* a page holding translated code: the slow path's SMC work
		 * (with page-aligned RAM, code_pages - (ram >> 12) indexed by
		 * host >> 12 saves the subtraction) */
		op_rr(e, 1, 0x89, RDX, RCX);
		if (((uintptr_t)vm->ram & 4095) == 0) {
			shift_ri(e, 1, SH_SHR, RCX, 12);
			mov_imm(e, RAX, (uint64_t)(uintptr_t)vm->code_pages -
				((uint64_t)(uintptr_t)vm->ram >> 12));
		} else {
			mov_imm(e, RAX, (uint64_t)(uintptr_t)vm->ram);
			alu_rr(e, 1, ALU_SUB, RCX, RAX);
			shift_ri(e, 1, SH_SHR, RCX, 12);
			mov_imm(e, RAX, (uint64_t)(uintptr_t)vm->code_pages);
		}
		e8(e, 0x80); e8(e, 0x3c); e8(e, 0x08); e8(e, 0x00);
		add_fix(t, s, jcc32(e, CC_NE)); /* cmp byte [rax+rcx], 0 */
		if (vm->cfg.tohost_addr && th < vm->cfg.ram_size) {
			mov_imm(e, RAX, (uint64_t)(uintptr_t)(vm->ram + th));
			alu_rr(e, 1, ALU_CMP, RDX, RAX);
			add_fix(t, s, jcc32(e, CC_E));
		}
		if (fp)
			ld64(e, RCX, RBX, HF(i->rs2));
		else
			ld_x(t, RCX, i->rs2);
		switch (size) {
		case 1: op_mem(e, 0, 0, 0x88, RCX, RDX, 0, 1); break;
		case 2: op_mem(e, 0x66, 0, 0x89, RCX, RDX, 0, 0); break;
		case 4: op_mem(e, 0, 0, 0x89, RCX, RDX, 0, 0); break;
		default: op_mem(e, 0, 1, 0x89, RCX, RDX, 0, 0); break;
		}
	} else {
		static const struct { int w; unsigned opc; } ld[8] = {
			{ 1, 0x0fbe }, { 1, 0x0fbf }, { 1, 0x63 }, { 1, 0x8b },
			{ 0, 0x0fb6 }, { 0, 0x0fb7 }, { 0, 0x8b }, { 0, 0 },
		};
		if (fp)
			fp_load(t, i->rd, size, RDX);
		else {
			op_mem(e, 0, ld[f3].w, ld[f3].opc, RAX, RDX, 0, 0);
			st_x(t, RAX, i->rd);
		}
	}
	s->resume = e->pos;
}

/* ---- control transfer ---- */

static void emit_branch(struct tr *t, const struct rv_insn *i, uint32_t r)
{
	static const int cc[8] = { CC_E, CC_NE, -1, -1, CC_L, CC_GE, CC_B,
				   CC_AE };
	unsigned f3 = (r >> 12) & 7;

	ld_x(t, RAX, i->rs1);
	if (i->rs2 == 0) /* test rax, rax: the flags of cmp rax, 0 */
		op_rr(&t->e, 1, 0x85, RAX, RAX);
	else
		alu_x(t, 1, ALU_CMP, i->rs2);
	int32_t ps = t->pc_sync, is = t->ic_sync;
	uint32_t dirty = t->dirty;
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
	add_mem(e, HOFF(insn_count), (int32_t)t->idx + 1 - t->ic_sync);
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
 * to its page, fence.i: ../block.c checks it), the limit (budget, next
 * timer check) is reached or the hart was kicked (stop, interrupt line),
 * so chained loops and jump-table entries see all three.  h->pc is this
 * block's start here. */
static void emit_prologue(struct tr *t)
{
	struct emit *e = &t->e;

	stamp_load(t);
	e8(e, 0x3d);                            /* cmp eax, imm32 */
	if (e->pos - t->entry != JIT_STAMP_OFF)
		e->overflow = 1; /* not reached: the encoding is fixed */
	e32(e, t->stamp);
	to_exit(t, CC_NE);
	ld64(e, RAX, RBX, HOFF(insn_count));
	alu_rr(e, 1, ALU_CMP, RAX, R12);
	to_exit(t, CC_AE);
	op_mem(e, 0, 0, 0x83, 7, RBX, HOFF(kick), 0); /* cmp dword, 0 */
	e8(e, 0);
	to_exit(t, CC_NE);
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
		if (f3 != 7) {
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
		if (f3 < 4 && !t->h->lockstep) {
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
	case C_ALT_PATH:
		if (c->bare)
			emit_bare(t, c->slow, c->size);
		else
			emit_tlb(t, c->slow, c->need);
		patch32(e, jmp32(e), c->resume);
		break;
	case C_SLOW_LOAD:
	case C_SLOW_STORE:
		spill(t, c->dirty);
		add_mem(e, HOFF(pc), c->pc_delta);
		add_mem(e, HOFF(insn_count), c->ic_delta);
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
		add_mem(e, HOFF(insn_count), -c->ic_delta - 1);
		reload(t); /* the call clobbered them; rd is the op's result */
		patch32(e, jmp32(e), c->resume);
		break;
	case C_SPILL_EXIT: /* h->pc and insn_count are synced */
		spill(t, c->dirty);
		e8(e, 0x31);
		e8(e, 0xc0);
		jmp_epilogue(t);
		break;
	case C_LINK: {
		struct rv_jit_linkrec rec = { c->target_pa, c->site };
		/* lea rax, [rip + 5]: the record after the jmp */
		e8(e, 0x48); e8(e, 0x8d); e8(e, 0x05); e32(e, 5);
		jmp_epilogue(t);
		for (unsigned k = 0; k < sizeof(rec); k++)
			e8(e, ((const uint8_t *)&rec)[k]);
		break;
	}
	}
}

/* Pins the guest registers the block's templates use at least 3 times,
 * the most used first. */
static void choose_pins(struct tr *t)
{
	/* rbp and r15: saved by the entry trampoline, kept by helpers */
	static const int8_t pool[] = { RSI, RDI, R8, R9, R10, R11, RBP, R15 };
	unsigned uses[32] = { 0 };

	memset(t->pin, -1, sizeof(t->pin));
	for (unsigned k = 0; k < t->n; k++) {
		const struct rv_insn *i = &t->ops[k];
		uint32_t r = insn_word(i);
		switch (r & 0x7f) {
		case 0x33: case 0x3b: case 0x23: case 0x63:
			uses[i->rs2]++;
			/* fall through */
		case 0x13: case 0x1b: case 0x03: case 0x67:
			uses[i->rs1]++;
			/* fall through */
		case 0x37: case 0x17: case 0x6f:
			if ((r & 0x7f) != 0x23 && (r & 0x7f) != 0x63)
				uses[i->rd]++;
			break;
		}
	}
	uses[0] = 0;
	/* a block that loops to its own start keeps its pins across
	 * iterations: pinning a register used twice takes a store and a
	 * load off the loop's dependency chains */
	unsigned min = 3, off = 0;
	for (unsigned k = 0; k + 1 < t->n; k++)
		off += t->ops[k].len;
	if (t->n) {
		const struct rv_insn *l = &t->ops[t->n - 1];
		uint32_t r = insn_word(l);
		if (((r & 0x7f) == 0x63 || (r & 0x7f) == 0x6f) &&
		    (int64_t)off + l->imm == 0)
			min = 2;
	}
	for (unsigned p = 0; p < sizeof(pool); p++) {
		unsigned best = 0;
		for (unsigned x = 1; x < 32; x++)
			if (!(t->pinned & (1u << x)) && uses[x] > uses[best])
				best = x;
		if (uses[best] < min)
			break;
		t->pin[best] = pool[p];
		t->pinned |= 1u << best;
	}
	for (unsigned k = 0; k < t->n; k++)
		t->written |= t->pinned & (1u << t->ops[k].rd);
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
	t.stamp = stamp;
	t.entry = (j->used + 15) & ~15u;
	t.e = (struct emit){ j->rw, t.entry, j->size, 0 };

	emit_prologue(&t);
	choose_pins(&t);
	reload(&t);
	t.body = t.e.pos;
	t.dirty = t.written;
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
	if (t.e.overflow)
		return NULL;
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
