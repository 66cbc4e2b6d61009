/* SPDX-License-Identifier: MIT */
/* Builds the riscv-virt flattened device tree (QEMU virt's node layout). */
#ifndef ATOLL_MACHINE_VIRT_FDT_H
#define ATOLL_MACHINE_VIRT_FDT_H

#include <stddef.h>
#include <stdint.h>

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
};

/* Returns 0 and a malloc'd blob in *out / *len (packed; the loader keeps
 * room after it for firmware fixups), or a negative errno. */
int virt_fdt_build(const struct virt_fdt_params *p, void **out, size_t *len);

#endif
