/* SPDX-License-Identifier: MIT */
/*
 * Loads and stores, included by translate.c (they use its struct tr, cold
 * stubs and operand helpers): the bare RAM window, the TLB fast path, the
 * store checks (code pages, tohost); the op's function out of line.
 */

/* ---- loads and stores ----
 * A translation inlines the data mode (h->dmode) the hart had when it was
 * made: the prologue and every helper's return leave when it changed, and
 * the dispatcher translates the block again (../block.c).  Under
 * RV_DMODE_PMP memory ops call their functions (no template). */

/* rdx = the host address of x[rs1] + imm through the bare RAM window;
 * anything outside RAM (MMIO, tohost's page or not) goes to slow. */
static void emit_bare(struct tr *t, struct cold *slow, const struct rv_insn *i,
		      unsigned size)
{
	struct emit *e = &t->e;
	struct rv_vm *vm = t->vm;
	int64_t off = (int64_t)i->imm - (int64_t)vm->cfg.ram_base;

	if (fits32(off) && is_pinned(t, i->rs1)) {
		lea_ri(e, RDX, t->pin[i->rs1], (int32_t)off);
	} else {
		ld_x(t, RDX, i->rs1);
		if (fits32(off)) {
			alu_ri(e, 1, ALU_ADD, RDX, (int32_t)off);
		} else {
			mov_imm(e, RCX, (uint64_t)off);
			alu_rr(e, 1, ALU_ADD, RDX, RCX);
		}
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

/* rdx + rax = the host address of x[rs1] + imm (in rax) through the TLB
 * entry for the current data context; need 1 load, 2 store.  A hit
 * implies RAM, the permissions, D and PMP (rctx/wctx, ../mmu.c); page
 * crossings (any misaligned access) go to slow. */
static void emit_tlb(struct tr *t, struct cold *slow, const struct rv_insn *i,
		     unsigned size, unsigned need)
{
	struct emit *e = &t->e;

	if (i->imm && is_pinned(t, i->rs1)) {
		lea_ri(e, RAX, t->pin[i->rs1], (int32_t)i->imm);
	} else {
		ld_x(t, RAX, i->rs1);
		if (i->imm)
			alu_ri(e, 1, ALU_ADD, RAX, (int32_t)i->imm);
	}
	if (size > 1) {
		e8(e, 0xa8);
		e8(e, size - 1); /* test al, size-1 */
		add_fix(t, slow, jcc32(e, CC_NE));
	}
	/* rdx = index * 64 = (va >> 6) & ((TLB_SIZE - 1) << 6) */
	op_rr(e, 0, 0x89, RAX, RDX);                      /* mov edx, eax */
	shift_ri(e, 0, SH_SHR, RDX, 6);
	alu_ri(e, 0, ALU_AND, RDX, (TLB_SIZE - 1) << 6);
	op_rr(e, 1, 0x89, RAX, RCX);                      /* mov rcx, rax */
	shift_ri(e, 1, SH_SHR, RCX, 12);
	op_sib(e, 0, 1, 0x3b, RCX, RBX, RDX, TOFF(vpage), 0); /* cmp rcx */
	add_fix(t, slow, jcc32(e, CC_NE));
	op_mem(e, 0, 0, 0x0fb6, RCX, RBX, HOFF(dctx), 0);     /* movzx ecx */
	op_sib(e, 0, 0, 0x3a, RCX, RBX, RDX,
	       need == 1 ? TOFF(rctx) : TOFF(wctx), 1);       /* cmp cl */
	add_fix(t, slow, jcc32(e, CC_NE));
	op_sib(e, 0, 1, 0x8b, RDX, RBX, RDX, TOFF(addend), 0); /* mov rdx */
}

/* jne slow if the store at host rdx hits a page holding translated code
 * (the slow path's SMC work) or tohost; clobbers rax, rcx. */
static void emit_store_checks(struct tr *t, struct cold *slow)
{
	struct emit *e = &t->e;
	struct rv_vm *vm = t->vm;
	uint64_t th = vm->cfg.tohost_addr - vm->cfg.ram_base;

	/* with page-aligned RAM, code_pages - (ram >> 12) indexed by
	 * host >> 12 saves the subtraction */
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
	add_fix(t, slow, jcc32(e, CC_NE)); /* cmp byte [rax+rcx], 0 */
	if (vm->cfg.tohost_addr && th < vm->cfg.ram_size) {
		mov_imm(e, RAX, (uint64_t)(uintptr_t)(vm->ram + th));
		alu_rr(e, 1, ALU_CMP, RDX, RAX);
		add_fix(t, slow, jcc32(e, CC_E));
	}
}

static void emit_mem(struct tr *t, const struct rv_insn *i, uint32_t r,
		     int store)
{
	struct emit *e = &t->e;
	unsigned f3 = (r >> 12) & 7, size = 1u << (f3 & 3);
	int fp = (r & 0x5f) == 0x07; /* flw/fld/fsw/fsd: fp_templates.h */
	struct cold *s = new_cold(t, store ? C_SLOW_STORE : C_SLOW_LOAD);
	int index = -1; /* a load's address is rdx + index */

	if (fp)
		fp_fs_guard(t, s);
	if (t->dmode == RV_DMODE_BARE) {
		emit_bare(t, s, i, size);
		/* a misaligned store may reach a code page after its own */
		if (store && size > 1) {
			e8(e, 0xf6); e8(e, 0xc2);
			e8(e, size - 1); /* test dl, size-1 */
			add_fix(t, s, jcc32(e, CC_NE));
		}
	} else {
		emit_tlb(t, s, i, size, store ? 2 : 1);
		if (store)
			alu_rr(e, 1, ALU_ADD, RDX, RAX);
		else
			index = RAX;
	}
	if (store) {
		emit_store_checks(t, s);
		int v = RCX;
		if (fp)
			fp_bits_in(t, RCX, i->rs2, 1);
		else if (is_pinned(t, i->rs2))
			v = t->pin[i->rs2];
		else
			ld_x(t, RCX, i->rs2);
		switch (size) {
		case 1: op_mem(e, 0, 0, 0x88, v, RDX, 0, 1); break;
		case 2: op_mem(e, 0x66, 0, 0x89, v, RDX, 0, 0); break;
		case 4: op_mem(e, 0, 0, 0x89, v, RDX, 0, 0); break;
		default: op_mem(e, 0, 1, 0x89, v, RDX, 0, 0); break;
		}
	} else {
		static const struct { int w; unsigned opc; } ld[8] = {
			{ 1, 0x0fbe }, { 1, 0x0fbf }, { 1, 0x63 }, { 1, 0x8b },
			{ 0, 0x0fb6 }, { 0, 0x0fb7 }, { 0, 0x8b }, { 0, 0 },
		};
		if (fp) {
			if (index >= 0)
				alu_rr(e, 1, ALU_ADD, RDX, index);
			fp_load(t, i->rd, size, RDX);
		} else {
			int d = dest_of(t, i->rd, 0);
			if (index >= 0)
				op_sib(e, 0, ld[f3].w, ld[f3].opc, d, RDX,
				       index, 0, 0);
			else
				op_mem(e, 0, ld[f3].w, ld[f3].opc, d, RDX, 0,
				       0);
			put_rd(t, d, i->rd);
		}
	}
	s->resume = e->pos;
}
