/* SPDX-License-Identifier: MIT */
/*
 * A generic device's DEVICE_DESC (docs/protocol.md, GenericDesc), checked
 * and copied out of the hostile message into plain limits-checked fields.
 * What a description may say (docs/machine-riscv-virt.md, "Generic
 * devices"):
 *  - PCI: regions are memory BARs 0..5 (32-bit, no port I/O), each at most
 *    256 MiB; at most one line (INTA#); the ids as given.
 *  - platform: 1..8 MMIO windows of at most 16 MiB each, at most 8 lines,
 *    a compatible string, and at most 16 extra device-tree properties
 *    (values of at most 256 bytes) whose names are not ones the cpu server
 *    writes itself (compatible, reg, interrupts, interrupt-parent,
 *    interrupts-extended, phandle, status, name).
 */
#ifndef ATOLL_GENERIC_GDEV_DESC_H
#define ATOLL_GENERIC_GDEV_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atoll/bus.h>

#define GDEV_MAX_REGIONS 8u
#define GDEV_MAX_IRQS 8u
#define GDEV_MAX_PROPS 16u
#define GDEV_PROP_NAME_MAX 31u
#define GDEV_PROP_VALUE_MAX 256u
#define GDEV_COMPAT_MAX 127u
#define GDEV_PCI_BARS 6u
#define GDEV_PCI_REGION_MAX (256ull << 20)
#define GDEV_PLATFORM_REGION_MAX (16ull << 20)

enum gdev_bus { GDEV_BUS_PCI, GDEV_BUS_PLATFORM };

struct gdev_region {
	uint32_t index;            /* BAR number or window number */
	uint64_t size;
};

struct gdev_prop {
	char name[GDEV_PROP_NAME_MAX + 1];
	uint8_t value[GDEV_PROP_VALUE_MAX];
	size_t len;
};

struct gdev_desc {
	enum gdev_bus bus;
	uint16_t vendor, device, subsys_vendor, subsys_id;
	uint8_t revision;
	uint32_t class_code;
	unsigned nregions;
	struct gdev_region region[GDEV_MAX_REGIONS];
	unsigned nirqs;
	char compatible[GDEV_COMPAT_MAX + 1];
	unsigned nprops;
	struct gdev_prop prop[GDEV_MAX_PROPS];
};

/* Fills *d from a DeviceDesc, or returns -EPROTO with *why saying what is
 * wrong (a static string). */
int gdev_desc_parse(const Atoll__DeviceDesc *dd, struct gdev_desc *d,
		    const char **why);

/* The region whose index is `index`, or NULL. */
const struct gdev_region *gdev_desc_region(const struct gdev_desc *d,
					   uint32_t index);

/* True if a restarted device describes the same guest-visible device:
 * same bus, ids, regions, lines and node. */
bool gdev_desc_same(const struct gdev_desc *a, const struct gdev_desc *b);

#endif
