/* SPDX-License-Identifier: MIT */
/*
 * Boots Debian's OpenSBI fw_dynamic on the core (1 and 2 harts, both
 * engines) with a minimal device tree (CPUs, memory, CLINT, 16550 UART) and
 * the t_sbi payload in S-mode, which prints through SBI, takes an SBI timer
 * interrupt and reports through tohost.  Skips if OpenSBI is not installed.
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rvharness.h"
#include "test-util.h"

#define FW_PATH "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
#define PAYLOAD_OFF 0x200000u
#define INFO_OFF 0xe00000u
#define DTB_OFF 0xf00000u

static int load_file(struct rvh *t, const char *path, uint64_t off)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(t->ram + off, 1, RVH_RAM_SIZE - off, f);
	fclose(f);
	return n ? 0 : -1;
}

#define FDT(call) ck_assert_int_eq((call), 0)

static void cpu_node(void *fdt, unsigned i)
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
	FDT(fdt_end_node(fdt));
}

static void build_dtb(void *fdt, size_t size, unsigned nharts)
{
	uint32_t ie[4 * RV_MAX_HARTS];
	FDT(fdt_create(fdt, (int)size));
	FDT(fdt_finish_reservemap(fdt));
	FDT(fdt_begin_node(fdt, ""));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "riscv-virtio"));
	FDT(fdt_property_string(fdt, "model", "atoll-test"));
	FDT(fdt_begin_node(fdt, "chosen"));
	FDT(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
	FDT(fdt_end_node(fdt));
	FDT(fdt_begin_node(fdt, "memory@80000000"));
	FDT(fdt_property_string(fdt, "device_type", "memory"));
	uint64_t mem[2] = { cpu_to_fdt64(RVH_RAM_BASE), cpu_to_fdt64(RVH_RAM_SIZE) };
	FDT(fdt_property(fdt, "reg", mem, sizeof(mem)));
	FDT(fdt_end_node(fdt));
	FDT(fdt_begin_node(fdt, "cpus"));
	FDT(fdt_property_u32(fdt, "#address-cells", 1));
	FDT(fdt_property_u32(fdt, "#size-cells", 0));
	FDT(fdt_property_u32(fdt, "timebase-frequency", RV_MTIME_HZ));
	for (unsigned i = 0; i < nharts; i++)
		cpu_node(fdt, i);
	FDT(fdt_end_node(fdt));
	FDT(fdt_begin_node(fdt, "soc"));
	FDT(fdt_property_u32(fdt, "#address-cells", 2));
	FDT(fdt_property_u32(fdt, "#size-cells", 2));
	FDT(fdt_property_string(fdt, "compatible", "simple-bus"));
	FDT(fdt_property(fdt, "ranges", NULL, 0));
	FDT(fdt_begin_node(fdt, "clint@2000000"));
	FDT(fdt_property_string(fdt, "compatible", "riscv,clint0"));
	uint64_t creg[2] = { cpu_to_fdt64(RVH_CLINT), cpu_to_fdt64(RV_CLINT_SIZE) };
	FDT(fdt_property(fdt, "reg", creg, sizeof(creg)));
	for (unsigned i = 0; i < nharts; i++) {
		ie[4 * i] = cpu_to_fdt32(0x100 + i);
		ie[4 * i + 1] = cpu_to_fdt32(3);
		ie[4 * i + 2] = cpu_to_fdt32(0x100 + i);
		ie[4 * i + 3] = cpu_to_fdt32(7);
	}
	FDT(fdt_property(fdt, "interrupts-extended", ie, 16 * nharts));
	FDT(fdt_end_node(fdt));
	FDT(fdt_begin_node(fdt, "serial@10000000"));
	FDT(fdt_property_string(fdt, "compatible", "ns16550a"));
	uint64_t ureg[2] = { cpu_to_fdt64(RVH_UART), cpu_to_fdt64(0x100) };
	FDT(fdt_property(fdt, "reg", ureg, sizeof(ureg)));
	FDT(fdt_property_u32(fdt, "clock-frequency", 3686400));
	FDT(fdt_end_node(fdt));
	FDT(fdt_end_node(fdt));
	FDT(fdt_end_node(fdt));
	FDT(fdt_finish(fdt));
}

/* struct fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h), version 2. */
static void write_info(uint8_t *p, unsigned boot_hart)
{
	uint64_t info[6] = {
		0x4942534f,                       /* magic "OSBI" */
		2,                                /* version */
		RVH_RAM_BASE + PAYLOAD_OFF,       /* next_addr */
		1,                                /* next_mode: S */
		0,                                /* options */
		boot_hart,
	};
	memcpy(p, info, sizeof(info));
}

static void boot(unsigned nharts, int engine)
{
	struct rvh t;
	CHECK_OK(rvh_init(&t, nharts, engine, 0));
	CHECK_OK(load_file(&t, FW_PATH, 0));
	CHECK_OK(rvh_load(&t, "t_sbi", PAYLOAD_OFF));
	build_dtb(t.ram + DTB_OFF, 0x10000, nharts);
	write_info(t.ram + INFO_OFF, 0);
	for (unsigned i = 0; i < nharts; i++) {
		struct rv_hart *h = rv_vm_hart(t.vm, i);
		rv_hart_reset(h, RVH_RAM_BASE);
		rv_hart_set_reg(h, 10, i);
		rv_hart_set_reg(h, 11, RVH_RAM_BASE + DTB_OFF);
		rv_hart_set_reg(h, 12, RVH_RAM_BASE + INFO_OFF);
	}
	int r = rvh_run(&t);
	t.uart[t.uart_len] = 0;
	ck_assert_msg(r == RV_EXIT_TOHOST_PASS,
		      "harts %u engine %d: exit %d tohost %#llx, console:\n%s",
		      nharts, engine, r,
		      (unsigned long long)rv_vm_tohost(t.vm), t.uart);
	ck_assert_ptr_nonnull(strstr(t.uart, "OpenSBI"));
	ck_assert_ptr_nonnull(strstr(t.uart, "payload: hello from S-mode"));
	if (getenv("RV_SHOW_CONSOLE"))
		fputs(t.uart, stdout);
	rvh_fini(&t);
}

START_TEST(opensbi_1hart_interp) { boot(1, RV_ENGINE_INTERP); }
END_TEST
START_TEST(opensbi_1hart_block) { boot(1, RV_ENGINE_BLOCK); }
END_TEST
START_TEST(opensbi_2harts_block) { boot(2, RV_ENGINE_BLOCK); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-opensbi");
	TCase *tc = tcase_create("boot");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, opensbi_1hart_interp);
	tcase_add_test(tc, opensbi_1hart_block);
	tcase_add_test(tc, opensbi_2harts_block);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	FILE *f = fopen(FW_PATH, "rb");
	if (!f) {
		printf("SKIP: %s not installed (Debian package opensbi)\n", FW_PATH);
		return 77;
	}
	fclose(f);
	if (!rvh_prog_dir()) {
		printf("SKIP: no riscv64 cross compiler for the payload\n");
		return 77;
	}
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
