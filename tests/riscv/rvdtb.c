/* SPDX-License-Identifier: MIT */
/* Minimal QEMU-virt-like device tree for the harness machine (rvharness). */
#include <libfdt.h>
#include <stdio.h>

#include "rvdtb.h"

#define FDT(call)                                     \
	do {                                          \
		int _e = (call);                      \
		if (_e)                               \
			return _e;                    \
	} while (0)

static int cpu_node(void *fdt, unsigned i)
{
	char name[32];
	uint32_t intc = 0x100 + i;
	snprintf(name, sizeof(name), "cpu@%u", i);
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "device_type", "cpu"));
	FDT(fdt_property_u32(fdt, "reg", i));
	FDT(fdt_property_string(fdt, "status", "okay"));
	FDT(fdt_property_string(fdt, "compatible", "riscv"));
	FDT(fdt_property_string(fdt, "riscv,isa", "rv64imafdc"));
	FDT(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
	FDT(fdt_begin_node(fdt, "interrupt-controller"));
	FDT(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	FDT(fdt_property_u32(fdt, "phandle", intc));
	FDT(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int reg_node(void *fdt, const char *name, const char *compat,
		    uint64_t base, uint64_t size)
{
	uint64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	FDT(fdt_begin_node(fdt, name));
	FDT(fdt_property_string(fdt, "compatible", compat));
	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int chosen(void *fdt, const char *bootargs, uint64_t initrd_start,
		  uint64_t initrd_end)
{
	FDT(fdt_begin_node(fdt, "chosen"));
	FDT(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
	if (bootargs)
		FDT(fdt_property_string(fdt, "bootargs", bootargs));
	if (initrd_end > initrd_start) {
		FDT(fdt_property_u64(fdt, "linux,initrd-start", initrd_start));
		FDT(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
	}
	return fdt_end_node(fdt);
}

static int soc(void *fdt, unsigned nharts)
{
	uint32_t ie[4 * RV_MAX_HARTS];

	FDT(fdt_begin_node(fdt, "soc"));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "simple-bus"));
	FDT(fdt_property(fdt, "ranges", NULL, 0));
	FDT(reg_node(fdt, "clint@2000000", "riscv,clint0", RVH_CLINT,
		     RV_CLINT_SIZE));
	for (unsigned i = 0; i < nharts; i++) {
		ie[4 * i] = cpu_to_fdt32(0x100 + i);
		ie[4 * i + 1] = cpu_to_fdt32(3);
		ie[4 * i + 2] = cpu_to_fdt32(0x100 + i);
		ie[4 * i + 3] = cpu_to_fdt32(7);
	}
	FDT(fdt_property(fdt, "interrupts-extended", ie, 16 * nharts));
	FDT(fdt_end_node(fdt));
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	uint64_t treg[2] = { cpu_to_fdt64(RVH_FINISHER), cpu_to_fdt64(0x1000) };
	FDT(fdt_begin_node(fdt, "test@100000"));
	FDT(fdt_property(fdt, "compatible", test_compat, sizeof(test_compat)));
	FDT(fdt_property(fdt, "reg", treg, sizeof(treg)));
	FDT(fdt_end_node(fdt));
	FDT(reg_node(fdt, "serial@10000000", "ns16550a", RVH_UART, 0x100));
	FDT(fdt_property_u32(fdt, "clock-frequency", 3686400));
	FDT(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

int rvh_build_dtb(void *fdt, size_t size, unsigned nharts, uint64_t ram_size,
		  const char *bootargs, uint64_t initrd_start, uint64_t initrd_end)
{
	uint64_t mem[2] = { cpu_to_fdt64(RVH_RAM_BASE), cpu_to_fdt64(ram_size) };

	FDT(fdt_create(fdt, (int)size));
	FDT(fdt_finish_reservemap(fdt));
	FDT(fdt_begin_node(fdt, ""));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "riscv-virtio"));
	FDT(fdt_property_string(fdt, "model", "atoll-test"));
	FDT(chosen(fdt, bootargs, initrd_start, initrd_end));
	FDT(fdt_begin_node(fdt, "memory@80000000"));
	FDT(fdt_property_string(fdt, "device_type", "memory"));
	FDT(fdt_property(fdt, "reg", mem, sizeof(mem)));
	FDT(fdt_end_node(fdt));
	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	FDT(fdt_property_u32(fdt, "timebase-frequency", RV_MTIME_HZ));
	for (unsigned i = 0; i < nharts; i++)
		FDT(cpu_node(fdt, i));
	FDT(fdt_end_node(fdt));
	FDT(soc(fdt, nharts));
	FDT(fdt_end_node(fdt));
	return fdt_finish(fdt);
}

/* struct fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h), version 2. */
void rvh_fw_dynamic_info(uint8_t *p, uint64_t next_addr, unsigned boot_hart)
{
	uint64_t info[6] = {
		0x4942534f, /* magic "OSBI" */
		2,          /* version */
		next_addr,
		1,          /* next_mode: S */
		0,          /* options */
		boot_hart,
	};
	__builtin_memcpy(p, info, sizeof(info));
}

int rvh_boot_sbi(struct rvh *t, uint64_t dtb_off, uint64_t info_off)
{
	for (unsigned i = 0; i < rv_vm_nharts(t->vm); i++) {
		struct rv_hart *h = rv_vm_hart(t->vm, i);
		rv_hart_reset(h, RVH_RAM_BASE);
		rv_hart_set_reg(h, 10, i);
		rv_hart_set_reg(h, 11, RVH_RAM_BASE + dtb_off);
		rv_hart_set_reg(h, 12, RVH_RAM_BASE + info_off);
	}
	return 0;
}
