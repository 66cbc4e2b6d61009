/* SPDX-License-Identifier: MIT */
#include "plic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define WORDS ((PLIC_NUM_SOURCES + 31) / 32)

struct plic {
	pthread_mutex_t lock;
	unsigned ncontexts;
	plic_output_fn out;
	void *opaque;
	uint32_t priority[PLIC_NUM_SOURCES];
	uint32_t line[WORDS];      /* current input levels */
	uint32_t pending[WORDS];
	uint32_t claimed[WORDS];   /* claimed and not yet completed */
	uint32_t enable[PLIC_MAX_CONTEXTS][WORDS];
	uint32_t threshold[PLIC_MAX_CONTEXTS];
	bool output[PLIC_MAX_CONTEXTS];
};

static bool bit(const uint32_t *w, unsigned i)
{
	return (w[i / 32] >> (i % 32)) & 1u;
}

static void set_bit(uint32_t *w, unsigned i, bool v)
{
	if (v)
		w[i / 32] |= 1u << (i % 32);
	else
		w[i / 32] &= ~(1u << (i % 32));
}

/* Highest-priority pending, enabled source above the context's threshold;
 * ties go to the lowest source id. 0 if none. Called with the lock held. */
static unsigned best_source(const struct plic *p, unsigned ctx)
{
	unsigned best = 0, best_prio = p->threshold[ctx];

	for (unsigned s = 1; s < PLIC_NUM_SOURCES; s++) {
		if (!bit(p->pending, s) || !bit(p->enable[ctx], s))
			continue;
		if (p->priority[s] > best_prio) {
			best = s;
			best_prio = p->priority[s];
		}
	}
	return best;
}

static void update(struct plic *p)
{
	for (unsigned c = 0; c < p->ncontexts; c++) {
		bool level = best_source(p, c) != 0;

		if (level != p->output[c]) {
			p->output[c] = level;
			p->out(p->opaque, c, level);
		}
	}
}

struct plic *plic_new(unsigned ncontexts, plic_output_fn out, void *opaque)
{
	struct plic *p;

	if (ncontexts == 0 || ncontexts > PLIC_MAX_CONTEXTS || !out) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->ncontexts = ncontexts;
	p->out = out;
	p->opaque = opaque;
	return p;
}

void plic_free(struct plic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void plic_set_line(struct plic *p, unsigned source, bool level)
{
	if (source == 0 || source >= PLIC_NUM_SOURCES)
		return;
	pthread_mutex_lock(&p->lock);
	set_bit(p->line, source, level);
	set_bit(p->pending, source, level && !bit(p->claimed, source));
	update(p);
	pthread_mutex_unlock(&p->lock);
}

static uint32_t claim(struct plic *p, unsigned ctx)
{
	unsigned s = best_source(p, ctx);

	if (s) {
		set_bit(p->pending, s, false);
		set_bit(p->claimed, s, true);
		update(p);
	}
	return s;
}

/* Completion of a source the context has not enabled is ignored, as the
 * spec allows and QEMU does. */
static void complete(struct plic *p, unsigned ctx, uint32_t s)
{
	if (s == 0 || s >= PLIC_NUM_SOURCES || !bit(p->enable[ctx], s))
		return;
	set_bit(p->claimed, s, false);
	if (bit(p->line, s))
		set_bit(p->pending, s, true);
	update(p);
}

static int check_access(const struct plic *p, uint64_t off, unsigned size)
{
	if (size != 4 || (off & 3) || off >= PLIC_SIZE)
		return -EINVAL;
	return 0;
}

static uint32_t read_locked(struct plic *p, uint64_t off)
{
	if (off < PLIC_PENDING_BASE) {
		unsigned s = (unsigned)(off / 4);

		return s < PLIC_NUM_SOURCES ? p->priority[s] : 0;
	}
	if (off < PLIC_ENABLE_BASE) {
		unsigned w = (unsigned)((off - PLIC_PENDING_BASE) / 4);

		return w < WORDS ? p->pending[w] : 0;
	}
	if (off < PLIC_CONTEXT_BASE) {
		uint64_t rel = off - PLIC_ENABLE_BASE;
		unsigned c = (unsigned)(rel / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);

		return c < p->ncontexts && w < WORDS ? p->enable[c][w] : 0;
	}
	uint64_t rel = off - PLIC_CONTEXT_BASE;
	unsigned c = (unsigned)(rel / PLIC_CONTEXT_STRIDE);

	if (c >= p->ncontexts)
		return 0;
	switch (rel % PLIC_CONTEXT_STRIDE) {
	case 0:
		return p->threshold[c];
	case 4:
		return claim(p, c);
	default:
		return 0;
	}
}

int plic_read(struct plic *p, uint64_t off, unsigned size, uint64_t *val)
{
	int r = check_access(p, off, size);

	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	*val = read_locked(p, off);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void write_locked(struct plic *p, uint64_t off, uint32_t v)
{
	if (off < PLIC_PENDING_BASE) {
		unsigned s = (unsigned)(off / 4);

		if (s > 0 && s < PLIC_NUM_SOURCES)
			p->priority[s] = v & PLIC_MAX_PRIORITY;
	} else if (off < PLIC_ENABLE_BASE) {
		return; /* pending bits are read-only */
	} else if (off < PLIC_CONTEXT_BASE) {
		uint64_t rel = off - PLIC_ENABLE_BASE;
		unsigned c = (unsigned)(rel / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);

		if (c >= p->ncontexts || w >= WORDS)
			return;
		p->enable[c][w] = w == 0 ? v & ~1u : v; /* source 0 does not exist */
	} else {
		uint64_t rel = off - PLIC_CONTEXT_BASE;
		unsigned c = (unsigned)(rel / PLIC_CONTEXT_STRIDE);

		if (c >= p->ncontexts)
			return;
		if (rel % PLIC_CONTEXT_STRIDE == 0)
			p->threshold[c] = v & PLIC_MAX_PRIORITY;
		else if (rel % PLIC_CONTEXT_STRIDE == 4)
			complete(p, c, v);
		return;
	}
	update(p);
}

int plic_write(struct plic *p, uint64_t off, unsigned size, uint64_t val)
{
	int r = check_access(p, off, size);

	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	write_locked(p, off, (uint32_t)val);
	update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}
