/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as a device process sees it: the regions of a MEM_GRANT,
 * mapped MAP_SHARED, and a bounds-checked guest-physical -> host pointer
 * translation. A range is valid only if it lies inside ONE region: the
 * translation returns one contiguous host pointer.
 */
#ifndef ATOLL_DEVICE_VMEM_H
#define ATOLL_DEVICE_VMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMEM_MAX_REGIONS 16

struct vmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
	bool readonly;
	bool mapped;      /* we own the mapping (munmap on clear) */
};

struct vmem {
	struct vmem_region r[VMEM_MAX_REGIONS];
	unsigned n;
};

void vmem_init(struct vmem *m);
/* Makes sure nobody can shrink the memfd under our mapping (which would
 * turn our accesses into SIGBUS): F_SEAL_SHRINK is there or can be added.
 * Returns 0 or -EPERM (not a sealable memfd). */
int vmem_seal_shrink(int fd);
/* Maps `size` bytes of `fd` at `fd_offset` as guest range [gpa, gpa+size).
 * Requires vmem_seal_shrink(fd), then checks fstat size, page alignment,
 * overflow and overlap. The caller keeps the fd (it may close it after
 * this returns). */
int vmem_add_fd(struct vmem *m, int fd, uint64_t gpa, uint64_t size,
		uint64_t fd_offset, bool readonly);
/* Adds host memory the caller owns (tests). Same checks, no mmap. */
int vmem_add_host(struct vmem *m, void *host, uint64_t gpa, uint64_t size,
		  bool readonly);
/* Unmaps everything this map mapped. */
void vmem_clear(struct vmem *m);
/* Host pointer for [gpa, gpa+len), or NULL if it is not inside one region
 * (or, with `write`, the region is read-only). len 0 is never valid. */
void *vmem_map(const struct vmem *m, uint64_t gpa, uint64_t len, bool write);
uint64_t vmem_total(const struct vmem *m);
/* vmem_map with the map `m` as a void pointer (struct vq_mem's map). */
void *vmem_map_cb(void *m, uint64_t gpa, uint64_t len, bool write);

#endif
