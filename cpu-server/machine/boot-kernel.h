/* SPDX-License-Identifier: MIT */
/*
 * What a kernel file is: a RISC-V Linux Image (placed BOOT_KERNEL_OFFSET
 * above the RAM base) or a RISC-V ELF64 executable (placed by its program
 * headers, boot-elf.h). Anything else cannot run on riscv-virt and is
 * refused with what was found.
 */
#ifndef ATOLL_MACHINE_BOOT_KERNEL_H
#define ATOLL_MACHINE_BOOT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

enum boot_kernel_kind {
	BOOT_KERNEL_IMAGE = 1,
	BOOT_KERNEL_ELF,
};

struct boot_kernel {
	enum boot_kernel_kind kind;
	uint64_t load_addr;   /* ELF: its lowest p_paddr; Image: 0 */
	uint64_t mem_size;    /* bytes it occupies once running */
};

/* Size an Image occupies in memory: its header's image_size when the
 * header is valid ("RSC\x05" magic), else the file size. */
uint64_t boot_image_mem_size(const void *image, uint64_t len);

/* Returns 0, or -ENOEXEC with the reason (naming what the file looks
 * like) in err. */
int boot_kernel_probe(const void *file, uint64_t len, struct boot_kernel *k,
		      char *err, size_t errlen);

#endif
