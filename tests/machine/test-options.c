/* SPDX-License-Identifier: MIT */
/* atoll-cpu's command line: sizes, option values, mode detection. */
#include <getopt.h>
#include <stdio.h>

#include "options.h"
#include "test-util.h"

START_TEST(sizes)
{
	uint64_t v;

	CHECK_OK(cpu_parse_size("256M", &v));
	ck_assert_uint_eq(v, 256ull << 20);
	CHECK_OK(cpu_parse_size("2g", &v));
	ck_assert_uint_eq(v, 2ull << 30);
	CHECK_OK(cpu_parse_size("4096", &v));
	ck_assert_uint_eq(v, 4096);
	CHECK_OK(cpu_parse_size("0x1000k", &v));
	ck_assert_uint_eq(v, 0x1000ull << 10);
	CHECK_RET(cpu_parse_size("", &v), -EINVAL);
	CHECK_RET(cpu_parse_size("-1M", &v), -EINVAL);
	CHECK_RET(cpu_parse_size("1T", &v), -EINVAL);
	CHECK_RET(cpu_parse_size("1MB", &v), -EINVAL);
	CHECK_RET(cpu_parse_size("99999999999999999999", &v), -EINVAL);
	CHECK_RET(cpu_parse_size("17179869184G", &v), -EINVAL); /* overflow */
}
END_TEST

static int parse(struct cpu_options *o, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return cpu_options_parse(o, argc, argv);
}

START_TEST(standalone_parse)
{
	struct cpu_options o;
	char *ok[] = { "atoll-cpu", "--machine", "riscv-virt", "--cpus", "4",
		       "--memory", "512M", "--kernel", "Image", "--bios", "none",
		       "--append", "console=ttyS0", "--engine", "interp",
		       "--tohost", "0x80001000", NULL };

	CHECK_RET(parse(&o, ok), 0);
	ck_assert_uint_eq(o.cpus, 4);
	ck_assert_uint_eq(o.memory, 512ull << 20);
	ck_assert_str_eq(o.kernel, "Image");
	ck_assert(o.no_firmware);
	ck_assert_uint_eq(o.tohost, 0x80001000);
	ck_assert_int_eq(o.kernel_fd, -1);
}
END_TEST

START_TEST(standalone_rejects)
{
	struct cpu_options o;
	char *no_machine[] = { "atoll-cpu", "--kernel", "x", NULL };
	char *two_payloads[] = { "atoll-cpu", "--machine", "riscv-virt",
				 "--kernel", "x", "--bare", "y", NULL };
	char *no_payload[] = { "atoll-cpu", "--machine", "riscv-virt", NULL };
	char *cpus[] = { "atoll-cpu", "--machine", "riscv-virt", "--cpus",
			 "65", "--kernel", "x", NULL };
	char *small[] = { "atoll-cpu", "--machine", "riscv-virt", "--memory",
			  "8M", "--kernel", "x", NULL };
	char *engine[] = { "atoll-cpu", "--machine", "riscv-virt", "--engine",
			   "turbo", "--kernel", "x", NULL };
	char *stray[] = { "atoll-cpu", "--machine", "riscv-virt", "--kernel",
			  "x", "extra", NULL };

	/* getopt prints its own complaints; keep the log readable */
	CHECK_RET(parse(&o, no_machine), -EINVAL);
	CHECK_RET(parse(&o, two_payloads), -EINVAL);
	CHECK_RET(parse(&o, no_payload), -EINVAL);
	CHECK_RET(parse(&o, cpus), -EINVAL);
	CHECK_RET(parse(&o, small), -EINVAL);
	CHECK_RET(parse(&o, engine), -EINVAL);
	CHECK_RET(parse(&o, stray), -EINVAL);
}
END_TEST

START_TEST(launcher_mode_detect)
{
	char *a[] = { "atoll-cpu", "--fd=3", NULL };
	char *b[] = { "atoll-cpu", "--name", "x", "--fd", "3", NULL };
	char *c[] = { "atoll-cpu", "--kernel-fd=3", "--fdx", NULL };
	struct cpu_options o;

	ck_assert(cpu_options_launcher_mode(2, a));
	ck_assert(cpu_options_launcher_mode(5, b));
	ck_assert(!cpu_options_launcher_mode(3, c));
	cpu_options_defaults(&o);
	CHECK_OK(cpu_options_apply(cpu_machine_options()[0].val, "riscv-virt", &o));
	ck_assert_str_eq(o.machine, "riscv-virt");
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, standalone_parse);
	tcase_add_test(tc, standalone_rejects);
	tcase_add_test(tc, launcher_mode_detect);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(options_suite)
