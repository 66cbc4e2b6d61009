/* SPDX-License-Identifier: MIT */
/* Fuzzes the boot-file parsing a peer controls: the bare-metal ELF/raw
 * loader, the Image header and the layout planner. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "virt-map.h"

#define RAM (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	char err[256];
	uint64_t entry;
	struct boot_layout l;
	struct boot_inputs in = {
		.ram_base = VIRT_DRAM_BASE, .ram_size = 64u << 20,
		.fw_size = 300000, .kernel_size = size,
		.kernel_mem_size = boot_image_mem_size(data, size),
		.initrd_size = size * 3, .fdt_size = 4096,
	};

	if (!ram)
		ram = malloc(RAM);
	boot_load_bare(data, size, ram, VIRT_DRAM_BASE, RAM, &entry, err,
		       sizeof(err));
	if (boot_plan(&in, &l, err, sizeof(err)) == 0) {
		/* Invariants the loader relies on. */
		if (l.kernel_end > l.fdt_addr ||
		    (l.initrd_end && (l.initrd_addr < l.kernel_end ||
				      l.initrd_end > l.fdt_addr)))
			abort();
	}
	return 0;
}
