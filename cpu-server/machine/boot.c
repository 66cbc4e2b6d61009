/* SPDX-License-Identifier: MIT */
#include "boot.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define GIB3 0xc0000000ull

static int fail(char *err, size_t errlen, int code, const char *msg,
		uint64_t a, uint64_t b)
{
	snprintf(err, errlen, msg, (unsigned long long)a, (unsigned long long)b);
	return code;
}

/* The dtb goes 2 MiB-aligned at the top of RAM, capped below 3 GiB so a
 * 32-bit pointer reaches it, with BOOT_FDT_ROOM above it for firmware. */
static int place_fdt(const struct boot_inputs *in, struct boot_layout *out,
		     char *err, size_t errlen)
{
	uint64_t end = in->ram_base + in->ram_size;
	uint64_t top = in->ram_base < GIB3 && end > GIB3 ? GIB3 : end;
	uint64_t need = in->fdt_size + BOOT_FDT_ROOM;

	if (need > in->ram_size || top - in->ram_base < need)
		return fail(err, errlen, -E2BIG,
			    "device tree (%llu bytes) does not fit in RAM (%llu bytes)",
			    in->fdt_size, in->ram_size);
	out->fdt_addr = ALIGN_DOWN(top - need, BOOT_FDT_ALIGN);
	return 0;
}

int boot_plan(const struct boot_inputs *in, struct boot_layout *out,
	      char *err, size_t errlen)
{
	uint64_t kmem = in->kernel_mem_size > in->kernel_size ?
			in->kernel_mem_size : in->kernel_size;
	int r;

	memset(out, 0, sizeof(*out));
	if (!in->ram_size || in->ram_base + in->ram_size < in->ram_base)
		return fail(err, errlen, -EINVAL, "bad RAM range %llx+%llx",
			    in->ram_base, in->ram_size);
	if (in->fw_size > BOOT_KERNEL_OFFSET)
		return fail(err, errlen, -E2BIG,
			    "firmware is %llu bytes; at most %llu fit below the kernel",
			    in->fw_size, BOOT_KERNEL_OFFSET);
	r = place_fdt(in, out, err, errlen);
	if (r < 0)
		return r;
	out->fw_addr = in->ram_base;
	out->kernel_addr = in->fw_size ? in->ram_base + BOOT_KERNEL_OFFSET :
			   in->ram_base;
	out->entry = in->fw_size ? out->fw_addr : out->kernel_addr;
	if (kmem > out->fdt_addr - out->kernel_addr)
		return fail(err, errlen, -E2BIG,
			    "kernel needs %llu bytes but only %llu are free below the device tree",
			    kmem, out->fdt_addr - out->kernel_addr);
	out->kernel_end = out->kernel_addr + kmem;
	if (!in->initrd_size)
		return 0;
	if (in->initrd_size > out->fdt_addr - out->kernel_end)
		return fail(err, errlen, -E2BIG,
			    "initrd is %llu bytes but only %llu are free between kernel and device tree",
			    in->initrd_size, out->fdt_addr - out->kernel_end);
	out->initrd_addr = ALIGN_DOWN(out->fdt_addr - in->initrd_size, 4096);
	if (out->initrd_addr < ALIGN_UP(out->kernel_end, 4096))
		return fail(err, errlen, -E2BIG,
			    "initrd (%llu bytes) would overlap the kernel ending at %llx",
			    in->initrd_size, out->kernel_end);
	out->initrd_end = out->initrd_addr + in->initrd_size;
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t boot_image_mem_size(const void *image, uint64_t len)
{
	const uint8_t *p = image;
	uint64_t sz;

	/* Header: image_size at 16, magic2 "RSC\x05" at 56. */
	if (len < 64 || memcmp(p + 56, "RSC\x05", 4) != 0)
		return len;
	sz = le64(p + 16);
	return sz > len ? sz : len;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

void boot_rom_build(uint8_t *rom, uint64_t start, uint64_t fdt,
		    uint64_t next_addr, uint64_t next_mode)
{
	static const uint32_t code[6] = {
		0x00000297, /* 1: auipc t0, 0               t0 = rom base     */
		0x02828613, /*    addi  a2, t0, 40          &fw_dynamic_info  */
		0xf1402573, /*    csrr  a0, mhartid                           */
		0x0202b583, /*    ld    a1, 32(t0)          dtb               */
		0x0182b283, /*    ld    t0, 24(t0)          start             */
		0x00028067, /*    jr    t0                                    */
	};
	uint8_t *dyn = rom + BOOT_ROM_FWDYN_OFF;

	memset(rom, 0, BOOT_ROM_SIZE);
	for (unsigned i = 0; i < 6; i++)
		put32(rom + 4 * i, code[i]);
	put64(rom + BOOT_ROM_START_OFF, start);
	put64(rom + BOOT_ROM_FDT_OFF, fdt);
	/* struct fw_dynamic_info: magic, version, next_addr, next_mode,
	 * options, boot_hart; each an unsigned long. */
	put64(dyn + 0, BOOT_FW_DYNAMIC_MAGIC);
	put64(dyn + 8, BOOT_FW_DYNAMIC_VERSION);
	put64(dyn + 16, next_addr);
	put64(dyn + 24, next_mode);
	put64(dyn + 32, 0);
	put64(dyn + 40, 0);
}

static int load_segment(const uint8_t *f, uint64_t len, const Elf64_Phdr *ph,
			uint8_t *ram, uint64_t base, uint64_t size,
			char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
	    ph->p_filesz > len - ph->p_offset)
		return fail(err, errlen, -EINVAL,
			    "ELF segment at offset %llu (size %llu) is outside the file",
			    ph->p_offset, ph->p_filesz);
	if (ph->p_paddr < base || ph->p_paddr - base > size ||
	    ph->p_memsz > size - (ph->p_paddr - base))
		return fail(err, errlen, -E2BIG,
			    "ELF segment at %llx (size %llu) is outside RAM",
			    ph->p_paddr, ph->p_memsz);
	memcpy(ram + (ph->p_paddr - base), f + ph->p_offset, ph->p_filesz);
	memset(ram + (ph->p_paddr - base) + ph->p_filesz, 0,
	       ph->p_memsz - ph->p_filesz);
	return 0;
}

int boot_load_bare(const void *file, uint64_t len, void *ram,
		   uint64_t ram_base, uint64_t ram_size, uint64_t *entry,
		   char *err, size_t errlen)
{
	const uint8_t *f = file;
	Elf64_Ehdr eh;

	if (len < sizeof(eh) || memcmp(f, ELFMAG, SELFMAG) != 0) {
		if (len > ram_size)
			return fail(err, errlen, -E2BIG,
				    "binary is %llu bytes, RAM %llu", len, ram_size);
		memcpy(ram, f, len);
		*entry = ram_base;
		return 0;
	}
	memcpy(&eh, f, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_RISCV ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(err, errlen, -EINVAL,
			    "not a well-formed RISC-V ELF64 (machine %llu, %llu program headers)",
			    eh.e_machine, eh.e_phnum);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		int r;

		memcpy(&ph, f + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		r = load_segment(f, len, &ph, ram, ram_base, ram_size, err, errlen);
		if (r < 0)
			return r;
	}
	*entry = eh.e_entry;
	return 0;
}
