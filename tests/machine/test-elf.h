/* SPDX-License-Identifier: MIT */
/* Builds small RISC-V ELF64 executables in memory for the loader tests:
 * the header at 0, the program headers right after it, segment bytes from
 * TEST_ELF_DATA on, one after the other. Tests then break one field. */
#ifndef ATOLL_TEST_ELF_H
#define ATOLL_TEST_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TEST_ELF_DATA 512u

struct test_seg {
	uint64_t paddr, filesz, memsz;
	const void *data;   /* NULL: filesz bytes of fill */
	uint8_t fill;
};

/* Returns the file's length; len must hold it. */
static inline size_t test_elf(uint8_t *f, size_t len, uint64_t entry,
			      const struct test_seg *segs, unsigned n)
{
	Elf64_Ehdr eh = { 0 };
	uint64_t off = TEST_ELF_DATA;

	memset(f, 0, len);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)n;
	memcpy(f, &eh, sizeof(eh));
	for (unsigned i = 0; i < n; i++) {
		Elf64_Phdr ph = {
			.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			.p_offset = off, .p_vaddr = segs[i].paddr,
			.p_paddr = segs[i].paddr, .p_filesz = segs[i].filesz,
			.p_memsz = segs[i].memsz, .p_align = 8,
		};

		memcpy(f + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		if (segs[i].data)
			memcpy(f + off, segs[i].data, segs[i].filesz);
		else
			memset(f + off, segs[i].fill, segs[i].filesz);
		off += segs[i].filesz;
	}
	return off;
}

/* Program header i of a file built by test_elf(), for tests to break. */
static inline Elf64_Phdr *test_elf_phdr(uint8_t *f, unsigned i)
{
	return (Elf64_Phdr *)(void *)(f + sizeof(Elf64_Ehdr) +
				      i * sizeof(Elf64_Phdr));
}

static inline Elf64_Ehdr *test_elf_ehdr(uint8_t *f)
{
	return (Elf64_Ehdr *)(void *)f;
}

#endif
