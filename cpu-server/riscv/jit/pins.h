/* SPDX-License-Identifier: MIT */
/*
 * Register pinning, included by translate.c: which guest registers a
 * block keeps in host registers (x in gprs, f in xmm2-15) and which of
 * them its prologue loads.
 */

/* 1 if the block ends with a jump back to its own start. */
static int self_loop(const struct tr *t)
{
	unsigned off = 0;

	if (!t->n)
		return 0;
	for (unsigned k = 0; k + 1 < t->n; k++)
		off += t->ops[k].len;
	const struct rv_insn *l = &t->ops[t->n - 1];
	uint32_t r = insn_word(l);
	return ((r & 0x7f) == 0x63 || (r & 0x7f) == 0x6f) &&
	       (int64_t)off + l->imm == 0;
}

/*
 * The guest registers op i (insn word r) reads and writes, as register
 * masks.  Reads are conservative (any op but the known integer ones may
 * read x[rs1] and x[rs2]; too many loads cost little, too few read
 * garbage); writes are those of the known ops only.  uses counts what
 * templates access.
 */
static void op_regs(const struct rv_insn *i, uint32_t r, uint64_t *rd,
		    uint64_t *wr, unsigned uses[64])
{
	unsigned op = r & 0x7f, f5 = r >> 27;
	uint64_t fr = 0, fw = 0;

	*rd = (1ull << i->rs1) | (1ull << i->rs2);
	*wr = 0;
	switch (op) {
	case 0x33: case 0x3b: case 0x23: case 0x63:
		uses[i->rs2]++;
		/* fall through */
	case 0x13: case 0x1b: case 0x03: case 0x67:
		uses[i->rs1]++;
		/* fall through */
	case 0x37: case 0x17: case 0x6f:
		if (op != 0x23 && op != 0x63) {
			uses[i->rd]++;
			*wr = 1ull << i->rd;
		}
		return;
	case 0x07: fw = FBIT(i->rd); break;
	case 0x27: fr = FBIT(i->rs2); break;
	case 0x43: case 0x47: case 0x4b: case 0x4f:
		fr = FBIT(i->rs1) | FBIT(i->rs2) | FBIT(i->rs3);
		fw = FBIT(i->rd);
		break;
	case 0x53:
		if (f5 == 0x14)         /* compares */
			fr = FBIT(i->rs1) | FBIT(i->rs2);
		else if (f5 == 0x18 || f5 == 0x1c) /* to x */
			fr = FBIT(i->rs1);
		else if (f5 == 0x1a || f5 == 0x1e) /* from x */
			fw = FBIT(i->rd);
		else {
			fr = FBIT(i->rs1) | FBIT(i->rs2);
			fw = FBIT(i->rd);
		}
		break;
	default:
		return;
	}
	*rd |= fr;
	*wr |= fw;
	for (unsigned f = 0; f < 32; f++)
		uses[32 + f] += (unsigned)((fr | fw) >> (32 + f) & 1);
}

/* Picks the most used of mask's registers with at least two uses for
 * each host register in pool. */
static void pin_from(struct tr *t, const unsigned uses[64], uint64_t mask,
		     const int8_t *pool, unsigned npool)
{
	for (unsigned p = 0; p < npool; p++) {
		unsigned best = 0;
		for (unsigned x = 1; x < 64; x++)
			if ((mask >> x & 1) && !(t->pinned >> x & 1) &&
			    (best == 0 || uses[x] > uses[best]))
				best = x;
		if (best == 0 || uses[best] < 2)
			return;
		t->pin[best] = pool[p];
		t->pinned |= 1ull << best;
	}
}

/*
 * Pins the guest registers the block's templates use at least twice, the
 * most used first (a register written and read again stays off memory:
 * no store-to-load forwarding on the chain): x registers in gprs, f
 * registers in xmm2-15.  live_in: the pinned registers an op may read
 * before one writes them, which the prologue loads.
 */
static void choose_pins(struct tr *t)
{
	/* rbp and r15: saved by the entry trampoline, kept by helpers */
	static const int8_t gprs[] = { RSI, RDI, R8, R9, R10, R11, RBP, R15 };
	static const int8_t xmms[] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				       13, 14, 15 };
	unsigned uses[64] = { 0 };
	uint64_t read = 0, wrote = 0, wr_all = 0;

	memset(t->pin, -1, sizeof(t->pin));
	for (unsigned k = 0; k < t->n; k++) {
		uint64_t rd, wr;
		op_regs(&t->ops[k], insn_word(&t->ops[k]), &rd, &wr, uses);
		read |= rd & ~wrote;
		wrote |= wr;
		wr_all |= wr | 1ull << t->ops[k].rd;
	}
	pin_from(t, uses, 0xfffffffeull, gprs, sizeof(gprs));
	pin_from(t, uses, ~0ull << 32, xmms, sizeof(xmms));
	t->written = t->pinned & wr_all;
	t->live_in = t->pinned & read;
}
