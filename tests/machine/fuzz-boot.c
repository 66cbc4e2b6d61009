/* SPDX-License-Identifier: MIT */
/* Fuzzes the boot-file parsing a peer controls: kernel format detection,
 * the ELF loader, the Image header, the layout planner and the bare-metal
 * loader. RAM is exactly RAM bytes, so a write outside it is an ASan
 * report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot-elf.h"
#include "boot-kernel.h"
#include "boot.h"
#include "virt-map.h"

#define RAM (8u << 20)
#define FW_SIZE 300000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the loaders rely on from a layout boot_plan() accepted. */
static void check_layout(const struct boot_layout *l)
{
	if (l->kernel_addr < VIRT_DRAM_BASE + BOOT_KERNEL_OFFSET ||
	    l->kernel_end < l->kernel_addr || l->kernel_end > l->fdt_addr ||
	    l->fdt_addr >= VIRT_DRAM_BASE + RAM ||
	    (l->initrd_end && (l->initrd_addr < l->kernel_end ||
			       l->initrd_end > l->fdt_addr)))
		abort();
}

static void boot_kernel(const uint8_t *data, size_t size, uint8_t *ram)
{
	char err[256];
	struct boot_kernel k;
	struct boot_layout l;
	struct boot_elf_span span;
	struct boot_inputs in = {
		.ram_base = VIRT_DRAM_BASE, .ram_size = RAM,
		.fw_size = FW_SIZE, .initrd_size = size * 3, .fdt_size = 4096,
	};

	if (boot_kernel_probe(data, size, &k, err, sizeof(err)) < 0)
		return;
	in.kernel_size = in.kernel_mem_size = k.mem_size;
	in.kernel_fixed = k.kind == BOOT_KERNEL_ELF;
	in.kernel_load_addr = k.load_addr;
	if (boot_plan(&in, &l, err, sizeof(err)) < 0)
		return;
	check_layout(&l);
	/* A probed ELF that the plan placed must load, inside its slot. */
	if (k.kind == BOOT_KERNEL_ELF &&
	    boot_elf_load(data, size, ram, VIRT_DRAM_BASE, l.kernel_addr,
			  l.kernel_end, &span, err, sizeof(err)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	char err[256];
	uint64_t entry;

	if (!ram)
		ram = malloc(RAM);
	if (!ram)
		abort();
	boot_load_bare(data, size, ram, VIRT_DRAM_BASE, RAM, &entry, err,
		       sizeof(err));
	boot_kernel(data, size, ram);
	return 0;
}
