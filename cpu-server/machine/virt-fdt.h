/* SPDX-License-Identifier: MIT */
/* Builds the riscv-virt flattened device tree (QEMU virt's node layout). */
#ifndef ATOLL_MACHINE_VIRT_FDT_H
#define ATOLL_MACHINE_VIRT_FDT_H

#include <stddef.h>
#include <stdint.h>

#define VIRT_FDT_DEV_MAX_REGS 8u
#define VIRT_FDT_DEV_MAX_IRQS 8u

/* One extra property, its value exactly as it goes into the blob. */
struct virt_fdt_prop {
	const char *name;
	const void *value;
	size_t len;
};

/* A platform device's node under /soc: <node_name>@<first reg address>
 * with compatible, reg, interrupts and interrupt-parent (the PLIC), then
 * its extra properties. */
struct virt_fdt_dev {
	const char *node_name;     /* [a-z0-9,._+-], 1..31 characters */
	const char *compatible;
	unsigned nregs;            /* 1..VIRT_FDT_DEV_MAX_REGS */
	uint64_t reg[VIRT_FDT_DEV_MAX_REGS][2];    /* address, size */
	unsigned nirqs;            /* 0..VIRT_FDT_DEV_MAX_IRQS */
	uint32_t irq[VIRT_FDT_DEV_MAX_IRQS];       /* PLIC sources */
	unsigned nprops;
	const struct virt_fdt_prop *props;
};

struct virt_fdt_params {
	unsigned nharts;
	uint64_t ram_base, ram_size;
	const char *bootargs;      /* NULL: none */
	uint64_t initrd_start;     /* both 0: no initrd */
	uint64_t initrd_end;
	const char *isa;           /* "rv64imafdc_zicsr_zifencei" */
	const char *mmu_type;      /* "riscv,sv48" */
	const uint8_t *rng_seed;   /* /chosen/rng-seed; NULL: none */
	size_t rng_seed_len;
	const struct virt_fdt_dev *devs;   /* platform devices */
	unsigned ndevs;
};

/* Returns 0 and a malloc'd blob in *out / *len (packed; the loader keeps
 * room after it for firmware fixups), or a negative errno. */
int virt_fdt_build(const struct virt_fdt_params *p, void **out, size_t *len);

#endif
