/* SPDX-License-Identifier: MIT */
/*
 * Boots Debian's OpenSBI fw_dynamic on the core (1 and 2 harts, both
 * engines) with a minimal device tree (CPUs, memory, CLINT, 16550 UART) and
 * the t_sbi payload in S-mode, which prints through SBI, takes an SBI timer
 * interrupt and reports through tohost.  Skips if OpenSBI is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rvdtb.h"
#include "test-util.h"

#define FW_PATH RVH_OPENSBI
#define PAYLOAD_OFF 0x200000u
#define INFO_OFF 0xe00000u
#define DTB_OFF 0xf00000u

static int load_file(struct rvh *t, const char *path, uint64_t off)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(t->ram + off, 1, t->ram_size - off, f);
	fclose(f);
	return n ? 0 : -1;
}

static void boot(unsigned nharts, int engine)
{
	struct rvh t;
	CHECK_OK(rvh_init(&t, nharts, engine, 0));
	CHECK_OK(load_file(&t, FW_PATH, 0));
	CHECK_OK(rvh_load(&t, "t_sbi", PAYLOAD_OFF));
	ck_assert_int_eq(rvh_build_dtb(t.ram + DTB_OFF, 0x10000, nharts, t.ram_size, NULL,
				       0, 0), 0);
	rvh_fw_dynamic_info(t.ram + INFO_OFF, RVH_RAM_BASE + PAYLOAD_OFF, 0);
	rvh_boot_sbi(&t, DTB_OFF, INFO_OFF);
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
START_TEST(opensbi_1hart_jit) { boot(1, RV_ENGINE_JIT); }
END_TEST
START_TEST(opensbi_2harts_jit) { boot(2, RV_ENGINE_JIT); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("riscv-opensbi");
	TCase *tc = tcase_create("boot");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, opensbi_1hart_interp);
	tcase_add_test(tc, opensbi_1hart_block);
	tcase_add_test(tc, opensbi_2harts_block);
	tcase_add_test(tc, opensbi_1hart_jit);
	tcase_add_test(tc, opensbi_2harts_jit);
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
