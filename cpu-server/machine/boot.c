/* SPDX-License-Identifier: MIT */
#include "boot.h"

#include "boot-elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define GIB3 0xc0000000ull

int boot_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

#define fail(err, errlen, code, msg, a, b)                                  \
	boot_fail(err, errlen, code, msg, (unsigned long long)(a),          \
		  (unsigned long long)(b))

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

/* [kernel_addr, kernel_end): the Image's slot above the firmware, or where
 * an ELF's program headers put it, which must be inside that same room. */
static int place_kernel(const struct boot_inputs *in, struct boot_layout *out,
			char *err, size_t errlen)
{
	uint64_t kmem = in->kernel_mem_size > in->kernel_size ?
			in->kernel_mem_size : in->kernel_size;
	uint64_t room = in->fw_size ? in->ram_base + BOOT_KERNEL_OFFSET :
			in->ram_base;

	out->kernel_addr = in->kernel_fixed ? in->kernel_load_addr : room;
	if (out->kernel_addr < room || out->kernel_addr > out->fdt_addr)
		return boot_fail(err, errlen, -E2BIG,
				 "kernel at %#llx is outside the RAM free for it [%#llx, %#llx)%s",
				 (unsigned long long)out->kernel_addr,
				 (unsigned long long)room,
				 (unsigned long long)out->fdt_addr,
				 in->fw_size ? " (the firmware owns the first 2 MiB)" : "");
	if (kmem > out->fdt_addr - out->kernel_addr)
		return fail(err, errlen, -E2BIG,
			    "kernel needs %llu bytes but only %llu are free below the device tree",
			    kmem, out->fdt_addr - out->kernel_addr);
	out->kernel_end = out->kernel_addr + kmem;
	return 0;
}

int boot_plan(const struct boot_inputs *in, struct boot_layout *out,
	      char *err, size_t errlen)
{
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
	r = place_kernel(in, out, err, errlen);
	if (r < 0)
		return r;
	out->fw_addr = in->ram_base;
	out->entry = in->fw_size ? out->fw_addr : out->kernel_addr;
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

int boot_load_bare(const void *file, uint64_t len, void *ram,
		   uint64_t ram_base, uint64_t ram_size, uint64_t *entry,
		   char *err, size_t errlen)
{
	struct boot_elf_span span;
	int r;

	if (!boot_is_elf(file, len)) {
		if (len > ram_size)
			return fail(err, errlen, -E2BIG,
				    "binary is %llu bytes, RAM %llu", len, ram_size);
		memcpy(ram, file, len);
		*entry = ram_base;
		return 0;
	}
	r = boot_elf_load(file, len, ram, ram_base, ram_base,
			  ram_base + ram_size, &span, err, errlen);
	if (r == 0)
		*entry = span.entry;
	return r;
}
