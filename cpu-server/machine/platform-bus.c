/* SPDX-License-Identifier: MIT */
#include "platform-bus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct window {
	uint64_t addr, size;
	const struct platform_window_ops *ops;
	void *opaque;
	unsigned index;
};

struct platform_bus {
	uint64_t base, size;
	struct window w[PLATFORM_BUS_MAX_WINDOWS];
	unsigned n;
};

struct platform_bus *platform_bus_new(uint64_t base, uint64_t size)
{
	struct platform_bus *b = calloc(1, sizeof(*b));

	if (b) {
		b->base = base;
		b->size = size;
	}
	return b;
}

void platform_bus_free(struct platform_bus *b)
{
	free(b);
}

static bool overlaps(const struct window *w, uint64_t addr, uint64_t size)
{
	return addr < w->addr + w->size && w->addr < addr + size;
}

int platform_bus_map(struct platform_bus *b, uint64_t addr, uint64_t size,
		     const struct platform_window_ops *ops, void *opaque,
		     unsigned window)
{
	if (!size || addr < b->base || addr - b->base > b->size ||
	    size > b->size - (addr - b->base) || !ops)
		return -EINVAL;
	for (unsigned i = 0; i < b->n; i++)
		if (overlaps(&b->w[i], addr, size))
			return -EBUSY;
	if (b->n == PLATFORM_BUS_MAX_WINDOWS)
		return -ENOSPC;
	b->w[b->n++] = (struct window){ addr, size, ops, opaque, window };
	return 0;
}

/* The window holding the whole access, or NULL. */
static const struct window *route(const struct platform_bus *b, uint64_t addr,
				  unsigned size)
{
	for (unsigned i = 0; i < b->n; i++) {
		const struct window *w = &b->w[i];

		if (addr >= w->addr && addr - w->addr < w->size &&
		    size <= w->size - (addr - w->addr))
			return w;
	}
	return NULL;
}

int platform_bus_read(struct platform_bus *b, uint64_t addr, unsigned size,
		      uint64_t *val)
{
	const struct window *w = route(b, addr, size);

	if (!w || !w->ops->read)
		return -EFAULT;
	return w->ops->read(w->opaque, w->index, addr - w->addr, size, val);
}

int platform_bus_write(struct platform_bus *b, uint64_t addr, unsigned size,
		       uint64_t val)
{
	const struct window *w = route(b, addr, size);

	if (!w || !w->ops->write)
		return -EFAULT;
	return w->ops->write(w->opaque, w->index, addr - w->addr, size, val);
}
