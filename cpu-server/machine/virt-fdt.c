/* SPDX-License-Identifier: MIT */
#include "virt-fdt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <libfdt.h>

#include "virt-map.h"

/* Room for the fixed nodes plus platform devices' extra properties. */
#define FDT_BUF_SIZE (256u * 1024)

/* Phandles: 1..nharts are the per-hart interrupt controllers. */
#define PH_CPU_INTC(i) (1u + (i))
#define PH_PLIC(n) (1u + (n))
#define PH_TEST(n) (2u + (n))
#define PH_CPU(n, i) (3u + (n) + (i))

/* Stops at the first libfdt error; r holds it. */
#define TRY(call)                                                             \
	do {                                                                  \
		if (r >= 0)                                                   \
			r = (call);                                           \
	} while (0)

static int prop_reg(void *f, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(f, "reg", reg, sizeof(reg));
}

static int prop_cells(void *f, const char *name, const uint32_t *v, unsigned n)
{
	fdt32_t buf[64];

	if (n > 64)
		return -FDT_ERR_NOSPACE;
	for (unsigned i = 0; i < n; i++)
		buf[i] = cpu_to_fdt32(v[i]);
	return fdt_property(f, name, buf, n * sizeof(fdt32_t));
}

static int add_cpu(void *f, const struct virt_fdt_params *p, unsigned i)
{
	char name[32];
	int r = 0;

	snprintf(name, sizeof(name), "cpu@%u", i);
	TRY(fdt_begin_node(f, name));
	TRY(fdt_property_u32(f, "phandle", PH_CPU(p->nharts, i)));
	TRY(fdt_property_string(f, "device_type", "cpu"));
	TRY(fdt_property_u32(f, "reg", i));
	TRY(fdt_property_string(f, "status", "okay"));
	TRY(fdt_property_string(f, "compatible", "riscv"));
	TRY(fdt_property_string(f, "riscv,isa", p->isa));
	TRY(fdt_property_string(f, "mmu-type", p->mmu_type));
	TRY(fdt_begin_node(f, "interrupt-controller"));
	TRY(fdt_property_u32(f, "#interrupt-cells", 1));
	TRY(fdt_property(f, "interrupt-controller", NULL, 0));
	TRY(fdt_property_string(f, "compatible", "riscv,cpu-intc"));
	TRY(fdt_property_u32(f, "phandle", PH_CPU_INTC(i)));
	TRY(fdt_end_node(f));
	TRY(fdt_end_node(f));
	return r;
}

static int add_cpus(void *f, const struct virt_fdt_params *p)
{
	char name[32];
	int r = 0;

	TRY(fdt_begin_node(f, "cpus"));
	TRY(fdt_property_u32(f, "#address-cells", 1));
	TRY(fdt_property_u32(f, "#size-cells", 0));
	TRY(fdt_property_u32(f, "timebase-frequency", VIRT_TIMEBASE_HZ));
	for (unsigned i = 0; i < p->nharts; i++)
		TRY(add_cpu(f, p, i));
	TRY(fdt_begin_node(f, "cpu-map"));
	TRY(fdt_begin_node(f, "cluster0"));
	for (unsigned i = 0; i < p->nharts; i++) {
		snprintf(name, sizeof(name), "core%u", i);
		TRY(fdt_begin_node(f, name));
		TRY(fdt_property_u32(f, "cpu", PH_CPU(p->nharts, i)));
		TRY(fdt_end_node(f));
	}
	TRY(fdt_end_node(f));
	TRY(fdt_end_node(f));
	TRY(fdt_end_node(f));
	return r;
}

/* interrupts-extended: <&intc_i irq_a &intc_i irq_b> for every hart. */
static int prop_irqs_ext(void *f, unsigned nharts, uint32_t a, uint32_t b)
{
	fdt32_t buf[4 * 64];

	for (unsigned i = 0; i < nharts; i++) {
		buf[4 * i + 0] = cpu_to_fdt32(PH_CPU_INTC(i));
		buf[4 * i + 1] = cpu_to_fdt32(a);
		buf[4 * i + 2] = cpu_to_fdt32(PH_CPU_INTC(i));
		buf[4 * i + 3] = cpu_to_fdt32(b);
	}
	return fdt_property(f, "interrupts-extended", buf,
			    4 * nharts * sizeof(fdt32_t));
}

static int add_clint_plic(void *f, const struct virt_fdt_params *p)
{
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	int r = 0;

	TRY(fdt_begin_node(f, "clint@2000000"));
	TRY(fdt_property(f, "compatible", clint_compat, sizeof(clint_compat)));
	TRY(prop_reg(f, VIRT_CLINT_BASE, VIRT_CLINT_SIZE));
	/* 3: machine software interrupt, 7: machine timer interrupt. */
	TRY(prop_irqs_ext(f, p->nharts, 3, 7));
	TRY(fdt_end_node(f));

	TRY(fdt_begin_node(f, "plic@c000000"));
	TRY(fdt_property_u32(f, "phandle", PH_PLIC(p->nharts)));
	TRY(fdt_property(f, "compatible", plic_compat, sizeof(plic_compat)));
	TRY(prop_reg(f, VIRT_PLIC_BASE, VIRT_PLIC_SIZE));
	TRY(fdt_property_u32(f, "#address-cells", 0));
	TRY(fdt_property_u32(f, "#interrupt-cells", 1));
	TRY(fdt_property(f, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(f, "riscv,ndev", VIRT_PLIC_NDEV));
	/* Context 2i is hart i's M-mode (11), 2i+1 its S-mode (9). */
	TRY(prop_irqs_ext(f, p->nharts, 11, 9));
	TRY(fdt_end_node(f));
	return r;
}

static int add_uart_test(void *f, const struct virt_fdt_params *p)
{
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	int r = 0;

	TRY(fdt_begin_node(f, "serial@10000000"));
	TRY(fdt_property_string(f, "compatible", "ns16550a"));
	TRY(prop_reg(f, VIRT_UART0_BASE, VIRT_UART0_SIZE));
	TRY(fdt_property_u32(f, "clock-frequency", VIRT_UART_CLOCK_HZ));
	TRY(fdt_property_u32(f, "interrupt-parent", PH_PLIC(p->nharts)));
	TRY(fdt_property_u32(f, "interrupts", VIRT_UART0_IRQ));
	TRY(fdt_end_node(f));

	TRY(fdt_begin_node(f, "test@100000"));
	TRY(fdt_property_u32(f, "phandle", PH_TEST(p->nharts)));
	TRY(fdt_property(f, "compatible", test_compat, sizeof(test_compat)));
	TRY(prop_reg(f, VIRT_TEST_BASE, VIRT_TEST_SIZE));
	TRY(fdt_end_node(f));
	return r;
}

/* Slot d pin p (1-based in the map) -> PLIC source 32 + (d + p - 1) % 4,
 * for the four slots the mask distinguishes. */
static int prop_pci_intmap(void *f, unsigned plic)
{
	uint32_t map[4 * 4 * 6];
	unsigned n = 0;

	for (unsigned slot = 0; slot < 4; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			map[n++] = slot << 11;
			map[n++] = 0;
			map[n++] = 0;
			map[n++] = pin + 1;
			map[n++] = plic;
			map[n++] = VIRT_PCIE_IRQ + (slot + pin) % 4;
		}
	}
	static const uint32_t mask[4] = { 0x1800, 0, 0, 7 };
	int r = 0;

	TRY(prop_cells(f, "interrupt-map-mask", mask, 4));
	if (r < 0)
		return r;
	fdt32_t buf[4 * 4 * 6];

	for (unsigned i = 0; i < n; i++)
		buf[i] = cpu_to_fdt32(map[i]);
	return fdt_property(f, "interrupt-map", buf, sizeof(buf));
}

static int add_pcie(void *f, const struct virt_fdt_params *p)
{
	const uint32_t bus_range[2] = { 0, VIRT_PCIE_ECAM_SIZE / (1u << 20) - 1 };
	const uint32_t ranges[] = {
		0x01000000, 0, 0, 0, (uint32_t)VIRT_PCIE_PIO_BASE, 0,
		(uint32_t)VIRT_PCIE_PIO_SIZE,
		0x02000000, 0, (uint32_t)VIRT_PCIE_MMIO_BASE, 0,
		(uint32_t)VIRT_PCIE_MMIO_BASE, 0, (uint32_t)VIRT_PCIE_MMIO_SIZE,
	};
	int r = 0;

	TRY(fdt_begin_node(f, "pci@30000000"));
	TRY(fdt_property_string(f, "compatible", "pci-host-ecam-generic"));
	TRY(fdt_property_string(f, "device_type", "pci"));
	TRY(fdt_property_u32(f, "#address-cells", 3));
	TRY(fdt_property_u32(f, "#size-cells", 2));
	TRY(fdt_property_u32(f, "#interrupt-cells", 1));
	TRY(fdt_property_u32(f, "linux,pci-domain", 0));
	TRY(prop_cells(f, "bus-range", bus_range, 2));
	TRY(fdt_property(f, "dma-coherent", NULL, 0));
	TRY(prop_reg(f, VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE));
	TRY(prop_cells(f, "ranges", ranges, sizeof(ranges) / sizeof(ranges[0])));
	TRY(prop_pci_intmap(f, PH_PLIC(p->nharts)));
	TRY(fdt_end_node(f));
	return r;
}

static int add_platform_dev(void *f, const struct virt_fdt_params *p,
			    const struct virt_fdt_dev *d)
{
	fdt64_t reg[2 * VIRT_FDT_DEV_MAX_REGS];
	char name[64];
	int r = 0;

	if (!d->nregs || d->nregs > VIRT_FDT_DEV_MAX_REGS ||
	    d->nirqs > VIRT_FDT_DEV_MAX_IRQS || !d->node_name || !d->compatible)
		return -FDT_ERR_BADVALUE;
	for (unsigned i = 0; i < d->nregs; i++) {
		reg[2 * i] = cpu_to_fdt64(d->reg[i][0]);
		reg[2 * i + 1] = cpu_to_fdt64(d->reg[i][1]);
	}
	snprintf(name, sizeof(name), "%s@%llx", d->node_name,
		 (unsigned long long)d->reg[0][0]);
	TRY(fdt_begin_node(f, name));
	TRY(fdt_property_string(f, "compatible", d->compatible));
	TRY(fdt_property(f, "reg", reg, (int)(2 * d->nregs * sizeof(fdt64_t))));
	if (d->nirqs) {
		TRY(fdt_property_u32(f, "interrupt-parent", PH_PLIC(p->nharts)));
		TRY(prop_cells(f, "interrupts", d->irq, d->nirqs));
	}
	for (unsigned i = 0; i < d->nprops; i++)
		TRY(fdt_property(f, d->props[i].name, d->props[i].value,
				 (int)d->props[i].len));
	TRY(fdt_end_node(f));
	return r;
}

static int add_soc(void *f, const struct virt_fdt_params *p)
{
	int r = 0;

	TRY(fdt_begin_node(f, "soc"));
	TRY(fdt_property_u32(f, "#address-cells", 2));
	TRY(fdt_property_u32(f, "#size-cells", 2));
	TRY(fdt_property_string(f, "compatible", "simple-bus"));
	TRY(fdt_property(f, "ranges", NULL, 0));
	TRY(add_clint_plic(f, p));
	TRY(add_uart_test(f, p));
	TRY(add_pcie(f, p));
	for (unsigned i = 0; i < p->ndevs; i++)
		TRY(add_platform_dev(f, p, &p->devs[i]));
	TRY(fdt_end_node(f));
	return r;
}

static int add_power(void *f, const struct virt_fdt_params *p)
{
	int r = 0;

	TRY(fdt_begin_node(f, "poweroff"));
	TRY(fdt_property_string(f, "compatible", "syscon-poweroff"));
	TRY(fdt_property_u32(f, "regmap", PH_TEST(p->nharts)));
	TRY(fdt_property_u32(f, "offset", 0));
	TRY(fdt_property_u32(f, "value", 0x5555));
	TRY(fdt_end_node(f));
	TRY(fdt_begin_node(f, "reboot"));
	TRY(fdt_property_string(f, "compatible", "syscon-reboot"));
	TRY(fdt_property_u32(f, "regmap", PH_TEST(p->nharts)));
	TRY(fdt_property_u32(f, "offset", 0));
	TRY(fdt_property_u32(f, "value", 0x7777));
	TRY(fdt_end_node(f));
	return r;
}

static int add_root(void *f, const struct virt_fdt_params *p)
{
	char mem[48];
	int r = 0;

	TRY(fdt_begin_node(f, ""));
	TRY(fdt_property_u32(f, "#address-cells", 2));
	TRY(fdt_property_u32(f, "#size-cells", 2));
	TRY(fdt_property_string(f, "compatible", "riscv-virtio"));
	TRY(fdt_property_string(f, "model", "riscv-virtio,atoll"));
	TRY(fdt_begin_node(f, "chosen"));
	if (p->bootargs)
		TRY(fdt_property_string(f, "bootargs", p->bootargs));
	TRY(fdt_property_string(f, "stdout-path", "/soc/serial@10000000"));
	if (p->rng_seed)
		TRY(fdt_property(f, "rng-seed", p->rng_seed,
				 (int)p->rng_seed_len));
	if (p->initrd_end > p->initrd_start) {
		TRY(fdt_property_u64(f, "linux,initrd-start", p->initrd_start));
		TRY(fdt_property_u64(f, "linux,initrd-end", p->initrd_end));
	}
	TRY(fdt_end_node(f));
	snprintf(mem, sizeof(mem), "memory@%llx",
		 (unsigned long long)p->ram_base);
	TRY(fdt_begin_node(f, mem));
	TRY(fdt_property_string(f, "device_type", "memory"));
	TRY(prop_reg(f, p->ram_base, p->ram_size));
	TRY(fdt_end_node(f));
	TRY(add_cpus(f, p));
	TRY(add_soc(f, p));
	TRY(add_power(f, p));
	TRY(fdt_end_node(f));
	return r;
}

int virt_fdt_build(const struct virt_fdt_params *p, void **out, size_t *len)
{
	void *f;
	int r = 0;

	if (!p->nharts || p->nharts > 64 || !p->isa || !p->mmu_type)
		return -EINVAL;
	f = malloc(FDT_BUF_SIZE);
	if (!f)
		return -ENOMEM;
	TRY(fdt_create(f, FDT_BUF_SIZE));
	TRY(fdt_finish_reservemap(f));
	TRY(add_root(f, p));
	TRY(fdt_finish(f));
	TRY(fdt_pack(f));
	if (r < 0) {
		free(f);
		return r == -FDT_ERR_NOSPACE ? -E2BIG : -EINVAL;
	}
	*out = f;
	*len = fdt_totalsize(f);
	return 0;
}
