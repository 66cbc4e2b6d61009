/* SPDX-License-Identifier: MIT */
/*
 * The riscv-virt platform bus: MMIO windows of devices that are not on
 * PCI (each described by its own device-tree node), inside one fixed window
 * of the memory map (VIRT_PLATFORM_BUS_BASE, virt-map.h). An access is
 * routed to the window containing it (the whole access must fit); an
 * address no window covers is a bus error (-EFAULT), as elsewhere in the
 * map.
 *
 * Windows are added before the harts start and never removed while they
 * run, so routing takes no lock.
 */
#ifndef ATOLL_MACHINE_PLATFORM_BUS_H
#define ATOLL_MACHINE_PLATFORM_BUS_H

#include <stdint.h>

#define PLATFORM_BUS_MAX_WINDOWS 64u

struct platform_bus;

struct platform_window_ops {
	/* off is relative to the window, size 1, 2, 4 or 8, and the access
	 * lies inside the window. Return 0 or a negative errno (a bus
	 * error for the guest). */
	int (*read)(void *opaque, unsigned window, uint64_t off, unsigned size,
		    uint64_t *val);
	int (*write)(void *opaque, unsigned window, uint64_t off,
		     unsigned size, uint64_t val);
};

struct platform_bus *platform_bus_new(uint64_t base, uint64_t size);
void platform_bus_free(struct platform_bus *b);

/* Adds the window [addr, addr + size) for `ops`; `window` is passed back
 * to them. -EINVAL outside the bus or for size 0, -EBUSY if it overlaps a
 * window, -ENOSPC past PLATFORM_BUS_MAX_WINDOWS. */
int platform_bus_map(struct platform_bus *b, uint64_t addr, uint64_t size,
		     const struct platform_window_ops *ops, void *opaque,
		     unsigned window);

/* Guest accesses at physical address addr. */
int platform_bus_read(struct platform_bus *b, uint64_t addr, unsigned size,
		      uint64_t *val);
int platform_bus_write(struct platform_bus *b, uint64_t addr, unsigned size,
		       uint64_t val);

#endif
