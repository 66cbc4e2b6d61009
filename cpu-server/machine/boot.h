/* SPDX-License-Identifier: MIT */
/*
 * Boot layout of riscv-virt, as QEMU does it: firmware (OpenSBI
 * fw_dynamic.bin) at the start of RAM, the kernel Image 2 MiB above (an
 * ELF kernel where its program headers say, above the firmware), the
 * device tree 2 MiB-aligned near the top of RAM (below 3 GiB) with the
 * initrd just under it, and a reset vector in the boot ROM that every hart
 * starts at: a0 = mhartid, a1 = dtb, a2 = &fw_dynamic_info, jump to RAM.
 *
 * All sizes come from files the user (or, under the launcher, a peer)
 * supplied: boot_plan() refuses anything that does not fit, with a message.
 */
#ifndef ATOLL_MACHINE_BOOT_H
#define ATOLL_MACHINE_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_KERNEL_OFFSET 0x200000ull   /* kernel base above RAM start */
#define BOOT_FDT_ALIGN 0x200000ull
#define BOOT_FDT_ROOM 0x10000ull         /* headroom for firmware fixups */
#define BOOT_FW_DYNAMIC_MAGIC 0x4942534fu /* "OSBI" */
#define BOOT_FW_DYNAMIC_VERSION 2u
#define BOOT_NEXT_MODE_S 1u

/* Offsets inside the reset vector blob. */
#define BOOT_ROM_START_OFF 24u
#define BOOT_ROM_FDT_OFF 32u
#define BOOT_ROM_FWDYN_OFF 40u
#define BOOT_ROM_SIZE 88u                /* code + 2 dwords + fw_dynamic_info */

struct boot_inputs {
	uint64_t ram_base, ram_size;
	uint64_t fw_size;          /* 0: no firmware, kernel runs from ram_base */
	uint64_t kernel_size;      /* bytes in the file */
	uint64_t kernel_mem_size;  /* bytes it occupies once running (>= file) */
	bool kernel_fixed;         /* loads at kernel_load_addr (an ELF), not
				    * BOOT_KERNEL_OFFSET above the RAM base */
	uint64_t kernel_load_addr;
	uint64_t initrd_size;      /* 0: none */
	uint64_t fdt_size;
};

struct boot_layout {
	uint64_t fw_addr;
	uint64_t kernel_addr, kernel_end;
	uint64_t initrd_addr, initrd_end;
	uint64_t fdt_addr;
	uint64_t entry;            /* where the reset vector jumps */
};

/* Formats a refusal's reason into err and returns code. */
int boot_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Returns 0, or -E2BIG / -EINVAL with a human-readable reason in err. A
 * fixed kernel must lie above the firmware's BOOT_KERNEL_OFFSET (above
 * nothing without firmware) and below the initrd and device tree. */
int boot_plan(const struct boot_inputs *in, struct boot_layout *out,
	      char *err, size_t errlen);

/* Writes the reset vector and fw_dynamic_info (BOOT_ROM_SIZE bytes) into
 * rom. next_addr/next_mode describe the stage after the firmware. */
void boot_rom_build(uint8_t *rom, uint64_t start, uint64_t fdt,
		    uint64_t next_addr, uint64_t next_mode);

/*
 * Loads a bare-metal program into ram (guest physical ram_base..+ram_size):
 * a RISC-V ELF64 executable by its program headers (boot-elf.h; *entry is
 * its e_entry) or, if the file is not an ELF, a raw binary at ram_base
 * (*entry = ram_base). Returns 0 or a negative errno with a reason in err.
 */
int boot_load_bare(const void *file, uint64_t len, void *ram,
		   uint64_t ram_base, uint64_t ram_size, uint64_t *entry,
		   char *err, size_t errlen);

#endif
