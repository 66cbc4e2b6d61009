/* SPDX-License-Identifier: MIT */
/*
 * The jit's code cache: one memfd per hart mapped twice, a writable view
 * for emitting and patching and a read+execute view for running, so no
 * page is ever writable and executable at once (W^X, also under the
 * sandbox: cpu-server/sandbox.yaml).  The first bytes hold the entry
 * trampoline and the common exit; translations follow and are dropped
 * all at once by a flush.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../rv_internal.h"
#include "emit.h"
#include "jit_impl.h"

#define JIT_CACHE_SIZE (16u << 20)

#if defined(__x86_64__)

int rv_jit_supported(void)
{
	return 1;
}

/*
 * entry(h, code, left, page_gen, jtab): saves the callee-saved registers
 * and jumps to code with rbx = h, r12 = instructions left before the limit,
 * r13 = vm->page_gen, r14 = the jump table.
 * The common exit stores insn_count (h->jit_base - r12), restores the
 * registers and returns rax (NULL or a link request).
 * After the pushes and the pad rsp is 16-byte aligned, as helper calls
 * need.
 * The lookup stub: h->pc (also in rax) is a jump target, insn_count is
 * synced; continue in its code if the jump table has it for the current
 * fetch key, else return to the dispatcher.
 */
static void emit_prefix(struct rv_jit *j)
{
	struct emit e = { j->rw, 0, j->size, 0 };
	static const int saved[] = { RBX, RBP, R12, R13, R14, R15 };

	for (unsigned k = 0; k < 6; k++)
		push_r(&e, saved[k]);
	alu_ri(&e, 1, ALU_SUB, RSP, 8);
	op_rr(&e, 1, 0x89, RDI, RBX); /* mov rbx, rdi */
	op_rr(&e, 1, 0x89, RDX, R12); /* mov r12, rdx */
	op_rr(&e, 1, 0x89, RCX, R13); /* mov r13, rcx */
	op_rr(&e, 1, 0x89, R8, R14);  /* mov r14, r8 */
	e8(&e, 0xff);
	e8(&e, 0xe6);                 /* jmp rsi */
	while (e.pos & 15)
		e8(&e, 0xcc);
	j->epilogue = e.pos;
	ld64(&e, RCX, RBX, (int32_t)offsetof(struct rv_hart, jit_base));
	alu_rr(&e, 1, ALU_SUB, RCX, R12);
	st64(&e, RCX, RBX, (int32_t)offsetof(struct rv_hart, insn_count));
	alu_ri(&e, 1, ALU_ADD, RSP, 8);
	for (int k = 5; k >= 0; k--)
		pop_r(&e, saved[k]);
	e8(&e, 0xc3);
	while (e.pos & 15)
		e8(&e, 0xcc);

	_Static_assert(sizeof(struct rv_jit_jtab) == 24, "jtab scaling");
	j->lookup = e.pos;
	op_rr(&e, 0, 0x89, RAX, RCX);           /* mov ecx, eax */
	shift_ri(&e, 0, SH_SHR, RCX, 1);
	alu_ri(&e, 0, ALU_AND, RCX, JTAB_SIZE - 1);
	op_sibs(&e, 0, 1, 0x8d, RCX, RCX, RCX, 1, 0, 0); /* lea rcx, [rcx+rcx*2] */
	shift_ri(&e, 1, SH_SHL, RCX, 3);
	alu_rr(&e, 1, ALU_ADD, RCX, R14);
	alu_rm(&e, 1, ALU_CMP, RAX, RCX, 0);
	e8(&e, 0x75); e8(&e, 0);                /* jne miss */
	uint32_t miss1 = e.pos;
	ld64(&e, RDX, RBX, (int32_t)offsetof(struct rv_hart, xlate_gen));
	shift_ri(&e, 1, SH_SHL, RDX, 2);
	ld32(&e, RSI, RBX, (int32_t)offsetof(struct rv_hart, priv));
	alu_rr(&e, 1, ALU_OR, RDX, RSI);
	alu_rm(&e, 1, ALU_CMP, RDX, RCX, 8);
	e8(&e, 0x75); e8(&e, 0);                /* jne miss */
	uint32_t miss2 = e.pos;
	op_mem(&e, 0, 0, 0xff, 4, RCX, 16, 0);  /* jmp [rcx + 16] */
	j->rw[miss1 - 1] = (uint8_t)(e.pos - miss1);
	j->rw[miss2 - 1] = (uint8_t)(e.pos - miss2);
	e8(&e, 0x31); e8(&e, 0xc0);             /* miss: xor eax, eax */
	patch32(&e, jmp32(&e), j->epilogue);
	while (e.pos & 15)
		e8(&e, 0xcc);
	j->prefix = j->used = e.pos;
	j->entry = (rv_jit_entry_fn)(void *)j->rx;
}

struct rv_jit *rv_jit_new(void)
{
	struct rv_jit *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return NULL;
	j->fd = -1;
	j->size = JIT_CACHE_SIZE;
	/* tests: a small cache fills and flushes often */
	const char *kb = getenv("ATOLL_RV_JIT_CACHE_KB");
	if (kb && atoi(kb) >= 16 && (unsigned)atoi(kb) < JIT_CACHE_SIZE >> 10)
		j->size = (uint32_t)atoi(kb) << 10;
	j->fd = memfd_create("atoll-jit", MFD_CLOEXEC);
	if (j->fd < 0)
		goto fail;
	if (ftruncate(j->fd, j->size) < 0)
		goto fail;
	j->rw = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     j->fd, 0);
	if (j->rw == MAP_FAILED) {
		j->rw = NULL;
		goto fail;
	}
	j->rx = mmap(NULL, j->size, PROT_READ | PROT_EXEC, MAP_SHARED,
		     j->fd, 0);
	if (j->rx == MAP_FAILED) {
		j->rx = NULL;
		goto fail;
	}
	/* the mappings keep the memory: no descriptor per hart stays open
	 * (the sandbox allows 128) */
	close(j->fd);
	j->fd = -1;
	emit_prefix(j);
	rv_jit_flush(j);
	j->st.flushes = 0;
	return j;
fail:
	err = errno;
	rv_jit_free(j);
	errno = err;
	return NULL;
}

void rv_jit_free(struct rv_jit *j)
{
	if (!j)
		return;
	if (j->rx)
		munmap(j->rx, j->size);
	if (j->rw)
		munmap(j->rw, j->size);
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

void rv_jit_flush(struct rv_jit *j)
{
	if (!j)
		return;
	j->used = j->prefix;
	j->st.flushes++;
	j->nlinks = 0;
	j->links_lost = 0;
	for (unsigned k = 0; k < JTAB_SIZE; k++)
		j->jtab[k].va = 1;
}

/* Called by the dispatcher only (no native code on the stack), so the
 * patches need no atomicity against this hart's own execution. */
void rv_jit_drop(struct rv_jit *j, void *code)
{
	if (!j)
		return;
	for (uint32_t k = 0; k < j->nlinks;) {
		int32_t *p = (int32_t *)(void *)(j->rw + j->linked[k].site);
		uint8_t *to = j->rx + j->linked[k].site + 4 + *p;
		if (to != (uint8_t *)code && to != (uint8_t *)code + JIT_CHAIN_OFF) {
			k++;
			continue;
		}
		*p = j->linked[k].old; /* back to its link stub */
		j->linked[k] = j->linked[--j->nlinks];
	}
	for (unsigned k = 0; k < JTAB_SIZE; k++)
		if (j->jtab[k].code == code)
			j->jtab[k].va = 1;
	j->st.unlinks++;
}

void rv_jit_set_stamp(struct rv_jit *j, void *code, uint32_t stamp)
{
	uint32_t off = (uint32_t)((uint8_t *)code - j->rx) + JIT_STAMP_OFF;

	if (off < j->prefix + JIT_HEAD || off + 4 > j->used)
		return;
	memcpy(j->rw + off, &stamp, 4);
	/* its chains go back to their link stubs: the next exit through
	 * each asks the dispatcher, which links to a checked target */
	struct rv_jit_head hd;
	uint32_t code_off = off - JIT_STAMP_OFF;
	memcpy(&hd, j->rw + code_off - JIT_HEAD, sizeof(hd));
	for (unsigned k = 0; k < hd.nexits && k < JIT_MAX_EXITS; k++) {
		uint32_t site = code_off + hd.exit[k].site;
		if (site + 4 <= j->used)
			__atomic_store_n((int32_t *)(void *)(j->rw + site),
					 hd.exit[k].stub, __ATOMIC_RELEASE);
	}
}

void rv_jit_note(struct rv_jit *j, uint64_t va, uint64_t key, void *code)
{
	struct rv_jit_jtab *t = &j->jtab[(va >> 1) & (JTAB_SIZE - 1)];

	t->va = va;
	t->key = key;
	t->code = code;
}

void *rv_jit_enter(struct rv_jit *j, struct rv_hart *h, void *code,
		   uint64_t limit)
{
	/* r12 counts down to 0 at the limit; clamped so it stays positive
	 * as a signed number (an unlimited run leaves after 2^62) */
	uint64_t left = limit > h->insn_count ? limit - h->insn_count : 0;
	if (left > 1ull << 62)
		left = 1ull << 62;
	h->jit_base = h->insn_count + left;
	return j->entry(h, code, left, h->vm->page_gen, j->jtab);
}

uint64_t rv_jit_link_pa(const void *req)
{
	struct rv_jit_linkrec r;

	memcpy(&r, req, sizeof(r));
	return r.pa;
}

/* The rel32 fields are 4-byte aligned, so the jump changes in one store
 * (the hart that patches is the only one running this cache). */
void rv_jit_link(struct rv_jit *j, const void *req, void *target)
{
	struct rv_jit_linkrec r;

	memcpy(&r, req, sizeof(r));
	if (r.site < j->prefix || r.site + 4 > j->used || (r.site & 3))
		return;
	/* past the target's stamp and mode checks only while the link is
	 * recorded: a dropped block's unrecorded chains must meet them */
	if (r.chain && j->nlinks < JIT_MAX_LINKS)
		target = (uint8_t *)target + JIT_CHAIN_OFF;
	int32_t rel = (int32_t)((uint8_t *)target - (j->rx + r.site + 4));
	int32_t *p = (int32_t *)(void *)(j->rw + r.site);
	if (j->nlinks < JIT_MAX_LINKS) {
		j->linked[j->nlinks].site = r.site;
		j->linked[j->nlinks].old = *p;
		j->nlinks++;
	} else {
		j->links_lost = 1;
	}
	__atomic_store_n(p, rel, __ATOMIC_RELEASE);
	j->st.links++;
}

void rv_jit_get_stats(const struct rv_jit *j, struct rv_jit_stats *s)
{
	*s = j->st;
	s->bytes = j->used - j->prefix;
}

#else /* !__x86_64__ */

int rv_jit_supported(void)
{
	return 0;
}

struct rv_jit *rv_jit_new(void)
{
	errno = ENOTSUP;
	return NULL;
}

void rv_jit_free(struct rv_jit *j) { (void)j; }
void rv_jit_note(struct rv_jit *j, uint64_t va, uint64_t key, void *code)
{
	(void)j; (void)va; (void)key; (void)code;
}
void rv_jit_flush(struct rv_jit *j) { (void)j; }
void rv_jit_drop(struct rv_jit *j, void *code) { (void)j; (void)code; }
void rv_jit_set_stamp(struct rv_jit *j, void *code, uint32_t stamp)
{
	(void)j; (void)code; (void)stamp;
}

void *rv_jit_enter(struct rv_jit *j, struct rv_hart *h, void *code,
		   uint64_t limit)
{
	(void)j; (void)h; (void)code; (void)limit;
	return NULL;
}

uint64_t rv_jit_link_pa(const void *req)
{
	(void)req;
	return ~0ull;
}

void rv_jit_link(struct rv_jit *j, const void *req, void *target)
{
	(void)j; (void)req; (void)target;
}

void rv_jit_get_stats(const struct rv_jit *j, struct rv_jit_stats *s)
{
	(void)j;
	memset(s, 0, sizeof(*s));
}

#endif
