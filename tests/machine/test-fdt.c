/* SPDX-License-Identifier: MIT */
/* The riscv-virt device tree, parsed back with libfdt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "virt-fdt.h"
#include "test-util.h"
#include "virt-map.h"

static void *blob;

static void build(unsigned nharts, uint64_t initrd_start, uint64_t initrd_end)
{
	struct virt_fdt_params p = {
		.nharts = nharts, .ram_base = VIRT_DRAM_BASE,
		.ram_size = 256ull << 20, .bootargs = "console=ttyS0 quiet",
		.initrd_start = initrd_start, .initrd_end = initrd_end,
		.isa = "rv64imafdc_zicsr_zifencei", .mmu_type = "riscv,sv48",
	};
	size_t len;

	CHECK_OK(virt_fdt_build(&p, &blob, &len));
	CHECK_OK(fdt_check_header(blob));
	ck_assert_uint_eq(len, fdt_totalsize(blob));
}

static void teardown(void)
{
	free(blob);
	blob = NULL;
}

static int node(const char *path)
{
	int off = fdt_path_offset(blob, path);

	ck_assert_msg(off >= 0, "node %s: %s", path, fdt_strerror(off));
	return off;
}

static const char *str(const char *path, const char *prop)
{
	const char *s = fdt_getprop(blob, node(path), prop, NULL);

	ck_assert_msg(s != NULL, "%s:%s missing", path, prop);
	return s;
}

static const fdt32_t *cells(const char *path, const char *prop, int *n)
{
	int len;
	const fdt32_t *c = fdt_getprop(blob, node(path), prop, &len);

	ck_assert_msg(c != NULL, "%s:%s missing", path, prop);
	*n = len / 4;
	return c;
}

static uint64_t cell64(const fdt32_t *c)
{
	return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

START_TEST(chosen_and_memory)
{
	int n;
	const fdt32_t *c;

	build(2, 0x8f000000, 0x8f123456);
	ck_assert_str_eq(str("/chosen", "bootargs"), "console=ttyS0 quiet");
	ck_assert_str_eq(str("/chosen", "stdout-path"), "/soc/serial@10000000");
	c = cells("/chosen", "linux,initrd-start", &n);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(cell64(c), 0x8f000000);
	c = cells("/chosen", "linux,initrd-end", &n);
	ck_assert_uint_eq(cell64(c), 0x8f123456);
	ck_assert_str_eq(str("/memory@80000000", "device_type"), "memory");
	c = cells("/memory@80000000", "reg", &n);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(cell64(c), VIRT_DRAM_BASE);
	ck_assert_uint_eq(cell64(c + 2), 256ull << 20);
}
END_TEST

START_TEST(no_initrd_no_props)
{
	build(1, 0, 0);
	ck_assert_ptr_null(fdt_getprop(blob, node("/chosen"),
				       "linux,initrd-start", NULL));
}
END_TEST

START_TEST(cpus)
{
	int n;
	const fdt32_t *c;

	build(3, 0, 0);
	c = cells("/cpus", "timebase-frequency", &n);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), VIRT_TIMEBASE_HZ);
	for (unsigned i = 0; i < 3; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
		ck_assert_str_eq(str(path, "riscv,isa"), "rv64imafdc_zicsr_zifencei");
		ck_assert_str_eq(str(path, "mmu-type"), "riscv,sv48");
		ck_assert_str_eq(str(path, "device_type"), "cpu");
		c = cells(path, "reg", &n);
		ck_assert_uint_eq(fdt32_to_cpu(c[0]), i);
		snprintf(path, sizeof(path), "/cpus/cpu@%u/interrupt-controller", i);
		ck_assert_str_eq(str(path, "compatible"), "riscv,cpu-intc");
		snprintf(path, sizeof(path), "/cpus/cpu-map/cluster0/core%u", i);
		node(path);
	}
	ck_assert_int_lt(fdt_path_offset(blob, "/cpus/cpu@3"), 0);
}
END_TEST

/* interrupts-extended of the PLIC: per hart, <intc 11> (M) then <intc 9> (S),
 * the intc phandle being that hart's interrupt controller. */
START_TEST(plic_contexts)
{
	int n;
	const fdt32_t *c;

	build(2, 0, 0);
	c = cells("/soc/plic@c000000", "interrupts-extended", &n);
	ck_assert_int_eq(n, 8);
	for (unsigned h = 0; h < 2; h++) {
		char path[64];

		snprintf(path, sizeof(path), "/cpus/cpu@%u/interrupt-controller", h);
		uint32_t ph = fdt_get_phandle(blob, node(path));

		ck_assert_uint_ne(ph, 0);
		ck_assert_uint_eq(fdt32_to_cpu(c[4 * h + 0]), ph);
		ck_assert_uint_eq(fdt32_to_cpu(c[4 * h + 1]), 11);
		ck_assert_uint_eq(fdt32_to_cpu(c[4 * h + 2]), ph);
		ck_assert_uint_eq(fdt32_to_cpu(c[4 * h + 3]), 9);
	}
	c = cells("/soc/clint@2000000", "interrupts-extended", &n);
	ck_assert_int_eq(n, 8);
	ck_assert_uint_eq(fdt32_to_cpu(c[1]), 3);
	ck_assert_uint_eq(fdt32_to_cpu(c[3]), 7);
	c = cells("/soc/plic@c000000", "riscv,ndev", &n);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), VIRT_PLIC_NDEV);
}
END_TEST

START_TEST(uart_and_power)
{
	int n, plic, test;
	const fdt32_t *c;

	build(1, 0, 0);
	ck_assert_str_eq(str("/soc/serial@10000000", "compatible"), "ns16550a");
	c = cells("/soc/serial@10000000", "interrupts", &n);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), VIRT_UART0_IRQ);
	plic = (int)fdt_get_phandle(blob, node("/soc/plic@c000000"));
	c = cells("/soc/serial@10000000", "interrupt-parent", &n);
	ck_assert_int_eq((int)fdt32_to_cpu(c[0]), plic);
	test = (int)fdt_get_phandle(blob, node("/soc/test@100000"));
	ck_assert_int_ne(test, 0);
	ck_assert_int_eq(fdt_node_check_compatible(blob, node("/soc/test@100000"),
						   "syscon"), 0);
	ck_assert_str_eq(str("/poweroff", "compatible"), "syscon-poweroff");
	c = cells("/poweroff", "value", &n);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), 0x5555);
	c = cells("/poweroff", "regmap", &n);
	ck_assert_int_eq((int)fdt32_to_cpu(c[0]), test);
	c = cells("/reboot", "value", &n);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), 0x7777);
}
END_TEST

START_TEST(pcie)
{
	int n;
	const fdt32_t *c;
	const char *p = "/soc/pci@30000000";

	build(1, 0, 0);
	ck_assert_str_eq(str(p, "compatible"), "pci-host-ecam-generic");
	c = cells(p, "reg", &n);
	ck_assert_uint_eq(cell64(c), VIRT_PCIE_ECAM_BASE);
	ck_assert_uint_eq(cell64(c + 2), VIRT_PCIE_ECAM_SIZE);
	c = cells(p, "ranges", &n);
	ck_assert_int_eq(n, 14);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), 0x01000000);   /* I/O */
	ck_assert_uint_eq(cell64(c + 3), VIRT_PCIE_PIO_BASE);
	ck_assert_uint_eq(fdt32_to_cpu(c[7]), 0x02000000);   /* MMIO32 */
	ck_assert_uint_eq(cell64(c + 10), VIRT_PCIE_MMIO_BASE);
	ck_assert_uint_eq(cell64(c + 12), VIRT_PCIE_MMIO_SIZE);
	c = cells(p, "interrupt-map", &n);
	ck_assert_int_eq(n, 16 * 6);
	/* slot 1, INTA (entry 4) swizzles to source 33; slot 3 INTD to 32+2 */
	ck_assert_uint_eq(fdt32_to_cpu(c[4 * 6 + 0]), 1u << 11);
	ck_assert_uint_eq(fdt32_to_cpu(c[4 * 6 + 3]), 1);
	ck_assert_uint_eq(fdt32_to_cpu(c[4 * 6 + 5]), 33);
	ck_assert_uint_eq(fdt32_to_cpu(c[15 * 6 + 5]), 34);
}
END_TEST

START_TEST(rejects_bad_params)
{
	struct virt_fdt_params p = { .nharts = 0, .isa = "x", .mmu_type = "y" };
	size_t len;

	CHECK_RET(virt_fdt_build(&p, &blob, &len), -EINVAL);
	p.nharts = 65;
	CHECK_RET(virt_fdt_build(&p, &blob, &len), -EINVAL);
}
END_TEST

static Suite *fdt_suite(void)
{
	Suite *s = suite_create("fdt");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, chosen_and_memory);
	tcase_add_test(tc, no_initrd_no_props);
	tcase_add_test(tc, cpus);
	tcase_add_test(tc, plic_contexts);
	tcase_add_test(tc, uart_and_power);
	tcase_add_test(tc, pcie);
	tcase_add_test(tc, rejects_bad_params);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(fdt_suite)
