/* SPDX-License-Identifier: MIT */
#include "boot-elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "boot.h"

#define ULL(x) ((unsigned long long)(x))

bool boot_is_elf(const void *file, uint64_t len)
{
	return len >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return " (i386)";
	case EM_ARM: return " (32-bit Arm)";
	case EM_X86_64: return " (x86-64)";
	case EM_AARCH64: return " (AArch64)";
	default: return "";
	}
}

/* The identification bytes and the header fields the loader relies on. */
static int check_header(const Elf64_Ehdr *eh, uint64_t len, char *err,
			size_t errlen)
{
	const unsigned char *id = eh->e_ident;

	if (id[EI_CLASS] != ELFCLASS64)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF class %u is not ELFCLASS64: a 32-bit ELF cannot run on this riscv64 machine",
				 id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
				 id[EI_DATA]);
	if (eh->e_machine != EM_RISCV)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF is for machine %u%s, not RISC-V (%u)",
				 eh->e_machine, machine_name(eh->e_machine),
				 EM_RISCV);
	/* A position-independent ELF's addresses are link-time offsets, not
	 * the physical addresses this loader places segments at. */
	if (eh->e_type != ET_EXEC)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF type %u is not ET_EXEC (%u): only an executable has physical load addresses",
				 eh->e_type, ET_EXEC);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == PN_XNUM)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF program headers of %u bytes (x%u); wanted %zu-byte headers, fewer than %u",
				 eh->e_phentsize, eh->e_phnum,
				 sizeof(Elf64_Phdr), PN_XNUM);
	if (eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF program header table (offset %llu, %u entries) is outside the %llu-byte file",
				 ULL(eh->e_phoff), eh->e_phnum, ULL(len));
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, unsigned i, uint64_t len,
			 char *err, size_t errlen)
{
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF segment %u (offset %llu, %llu bytes) is outside the %llu-byte file",
				 i, ULL(ph->p_offset), ULL(ph->p_filesz), ULL(len));
	if (ph->p_filesz > ph->p_memsz)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF segment %u has %llu file bytes but only %llu in memory",
				 i, ULL(ph->p_filesz), ULL(ph->p_memsz));
	if (ph->p_memsz > UINT64_MAX - ph->p_paddr)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF segment %u at %#llx (%llu bytes) wraps around the address space",
				 i, ULL(ph->p_paddr), ULL(ph->p_memsz));
	return 0;
}

static void read_phdr(const uint8_t *f, const Elf64_Ehdr *eh, unsigned i,
		      Elf64_Phdr *ph)
{
	memcpy(ph, f + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static bool loadable(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz != 0;
}

int boot_elf_check(const void *file, uint64_t len, struct boot_elf_span *span,
		   char *err, size_t errlen)
{
	const uint8_t *f = file;
	Elf64_Ehdr eh;
	int r;

	if (!boot_is_elf(file, len) || len < sizeof(eh))
		return boot_fail(err, errlen, -ENOEXEC,
				 "not an ELF file, or its %llu bytes are too few for an ELF64 header",
				 ULL(len));
	memcpy(&eh, f, sizeof(eh));
	r = check_header(&eh, len, err, errlen);
	if (r < 0)
		return r;
	span->low = UINT64_MAX;
	span->high = 0;
	span->entry = eh.e_entry;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		read_phdr(f, &eh, i, &ph);
		if (!loadable(&ph))
			continue;
		r = check_segment(&ph, i, len, err, errlen);
		if (r < 0)
			return r;
		if (ph.p_paddr < span->low)
			span->low = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > span->high)
			span->high = ph.p_paddr + ph.p_memsz;
	}
	if (span->high == 0)
		return boot_fail(err, errlen, -ENOEXEC,
				 "ELF has no non-empty PT_LOAD segment");
	return 0;
}

int boot_elf_load(const void *file, uint64_t len, uint8_t *ram,
		  uint64_t ram_base, uint64_t lo, uint64_t hi,
		  struct boot_elf_span *span, char *err, size_t errlen)
{
	const uint8_t *f = file;
	Elf64_Ehdr eh;
	int r = boot_elf_check(file, len, span, err, errlen);

	if (r < 0)
		return r;
	if (span->low < lo || span->high > hi)
		return boot_fail(err, errlen, -E2BIG,
				 "ELF loads at [%#llx, %#llx), outside the RAM free for it [%#llx, %#llx)",
				 ULL(span->low), ULL(span->high), ULL(lo), ULL(hi));
	memcpy(&eh, f, sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		read_phdr(f, &eh, i, &ph);
		if (!loadable(&ph))
			continue;
		dst = ram + (ph.p_paddr - ram_base);
		memcpy(dst, f + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}
