/* SPDX-License-Identifier: MIT */
/*
 * RISC-V ELF64 executables, loaded by their PT_LOAD program headers at
 * their physical addresses (p_paddr), as QEMU's load_elf() does.
 *
 * The file comes from a user or, under the launcher, a peer: every header
 * field is checked before it is used, and nothing is written to RAM until
 * the whole file has been checked.
 */
#ifndef ATOLL_MACHINE_BOOT_ELF_H
#define ATOLL_MACHINE_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_elf_span {
	uint64_t low, high;   /* [low, high) covers every PT_LOAD (p_paddr) */
	uint64_t entry;       /* e_entry */
};

/* The file starts with the ELF magic (whatever follows). */
bool boot_is_elf(const void *file, uint64_t len);

/*
 * Checks that the file is an ELFCLASS64, ELFDATA2LSB, EM_RISCV, ET_EXEC
 * executable whose program header table lies inside the file, and that
 * every PT_LOAD has its file bytes inside the file, p_filesz <= p_memsz
 * and an address range that does not wrap; at least one PT_LOAD must be
 * non-empty. Fills *span. Returns 0 or -ENOEXEC with the reason in err.
 */
int boot_elf_check(const void *file, uint64_t len, struct boot_elf_span *span,
		   char *err, size_t errlen);

/*
 * boot_elf_check(), then refuses (-E2BIG) a span not inside [lo, hi),
 * then copies each PT_LOAD into ram (guest physical ram_base is ram[0])
 * and zeroes the rest of its p_memsz. [lo, hi) must lie inside ram.
 */
int boot_elf_load(const void *file, uint64_t len, uint8_t *ram,
		  uint64_t ram_base, uint64_t lo, uint64_t hi,
		  struct boot_elf_span *span, char *err, size_t errlen);

#endif
