/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM regions of atoll-mem: one sealed memfd per region.
 *
 * Invariant: a mem_layout built by mem_layout_create() holds only regions
 * that passed mem_layout_validate(): non-empty unique names, non-zero
 * page-multiple sizes, page-aligned guest ranges that neither overlap nor
 * wrap, within the count and total limits. Each fd is sealed against
 * shrinking and growing (and against further sealing), so a mapping of it
 * can never SIGBUS on a truncated file.
 */
#ifndef ATOLL_MEM_REGIONS_H
#define ATOLL_MEM_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#include <atoll/bus.h>

#define MEM_MAX_NAME 32           /* bytes, without the NUL */
/* Huge pages are the default 2 MiB size; sizes must be multiples of it. */
#define MEM_HUGEPAGE_SIZE (2u << 20)

struct mem_region {
	char name[MEM_MAX_NAME + 1];
	uint64_t guest_addr;
	uint64_t size;
	bool hugepages;
	bool readonly;    /* every grant of this region is read-only */
	int fd;
};

struct mem_limits {
	unsigned max_regions;     /* also bounded by the fds one frame carries */
	uint64_t max_total;       /* bytes, sum of region sizes */
};

struct mem_layout {
	struct mem_region *regions;
	size_t n;
};

/* Returns 0, or -EINVAL (or -E2BIG for the limits) with a reason in err. */
int mem_layout_validate(const Atoll__MemLayout *l, const struct mem_limits *lim,
			char *err, size_t errlen);
/* Validates, then creates and seals one memfd per region. On failure
 * returns a negative errno with a reason in err and leaves *out empty. */
int mem_layout_create(const Atoll__MemLayout *l, const struct mem_limits *lim,
		      struct mem_layout *out, char *err, size_t errlen);
void mem_layout_free(struct mem_layout *m);   /* closes the fds */

const struct mem_region *mem_layout_find(const struct mem_layout *m,
					 const char *name);
uint64_t mem_layout_total(const struct mem_layout *m);
/* Bytes actually backed by pages, summed over the regions (st_blocks). */
uint64_t mem_layout_resident(const struct mem_layout *m);

/* A new fd for a read-only grant of r: the memfd reopened O_RDONLY
 * through /proc/self/fd. Returns the fd, or -EOPNOTSUPP when /proc is not
 * mounted (in a sandbox), or another negative errno. */
int mem_region_open_readonly(const struct mem_region *r);

#endif
