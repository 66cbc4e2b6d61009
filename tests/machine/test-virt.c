/* SPDX-License-Identifier: MIT */
/* The assembled machine: a bare-metal program on the real hart core prints
 * through the UART, checks a1 points at the dtb and powers off through the
 * syscon; boot_linux runs an ELF kernel where its program headers put it
 * and refuses payloads that do not fit or are not a kernel. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "test-elf.h"
#include "test-util.h"
#include "virt-map.h"
#include "virt.h"

#define RAM (64ull << 20)

/* lui t0,0x10000; li t1,'O'; sb; li t1,'K'; sb; lwu t2,0(a1);
 * lui t0,0x100; t1 = 0x5555; t3 = 0xedfe0dd0 (dtb magic as read LE);
 * beq t2,t3,ok; t1 = 0x10003333 (fail, code 0x1000); ok: sw t1,0(t0); j . */
static const uint32_t prog[] = {
	0x100002b7, 0x04f00313, 0x00628023, 0x04b00313, 0x00628023,
	0x0005e383, 0x001002b7, 0x00005337, 0x55530313, 0x000eee37,
	0xfe1e0e1b, 0x00ce1e13, 0xdd0e0e13, 0x01c38663, 0x10003337,
	0x33330313, 0x0062a023, 0x0000006f,
};

/* A RISC-V Image header (magic, image_size 0: the file's size), which
 * makes a buffer a kernel. */
static void image_magic(uint8_t *k)
{
	memset(k + 16, 0, 8);
	memcpy(k + 56, "RSC\x05", 4);
}

static int pipefd[2];
static void *ram;
static int exited;

static void on_exit_cb(void *o) { __atomic_store_n(&exited, 1, __ATOMIC_SEQ_CST); }

static const struct virt_events ev = { .exited = on_exit_cb };

static struct virt *make(unsigned nharts)
{
	struct virt_config c = {
		.nharts = nharts, .ram = ram, .ram_size = RAM,
		.console_fd = pipefd[1], .max_insns = 10000000,
	};
	struct virt *v = virt_new(&c, &ev, NULL);

	ck_assert_ptr_nonnull(v);
	return v;
}

static void setup(void)
{
	ram = calloc(1, RAM);
	ck_assert_ptr_nonnull(ram);
	CHECK_OK(pipe2(pipefd, O_NONBLOCK));
	exited = 0;
}

static void teardown(void)
{
	free(ram);
	close(pipefd[0]);
	close(pipefd[1]);
}

static enum virt_exit run_until_exit(struct virt *v)
{
	CHECK_OK(virt_start(v));
	for (int i = 0; i < 1000 && !__atomic_load_n(&exited, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	virt_stop(v);
	return virt_exit_status(v, NULL, NULL);
}

START_TEST(bare_program_powers_off)
{
	char err[256], out[16] = { 0 };
	struct virt *v = make(1);
	const void *fdt;
	uint64_t fdt_addr;

	CHECK_OK(virt_boot_bare(v, prog, sizeof(prog), err, sizeof(err)));
	fdt = virt_fdt(v, &fdt_addr);
	ck_assert_ptr_nonnull(fdt);
	CHECK_OK(fdt_check_header(fdt));
	ck_assert_int_ge(fdt_path_offset(fdt, "/cpus/cpu@0"), 0);
	ck_assert_int_lt(fdt_path_offset(fdt, "/cpus/cpu@1"), 0);
	ck_assert_int_eq(run_until_exit(v), VIRT_POWEROFF);
	ck_assert_int_eq(read(pipefd[0], out, sizeof(out) - 1), 2);
	ck_assert_str_eq(out, "OK");
	virt_free(v);
}
END_TEST

/* Every hart runs the program; the first syscon write wins and stops the
 * others. Output interleaves, so only its alphabet and balance count. */
START_TEST(smp_bare_program_powers_off)
{
	char err[256], out[64] = { 0 };
	struct virt *v = make(4);
	int n, o = 0, k = 0;

	CHECK_OK(virt_boot_bare(v, prog, sizeof(prog), err, sizeof(err)));
	ck_assert_int_eq(run_until_exit(v), VIRT_POWEROFF);
	n = (int)read(pipefd[0], out, sizeof(out) - 1);
	ck_assert_int_ge(n, 2);
	for (int i = 0; i < n; i++) {
		ck_assert_msg(out[i] == 'O' || out[i] == 'K', "console: %s", out);
		o += out[i] == 'O';
		k += out[i] == 'K';
	}
	ck_assert_int_ge(k, 1);
	ck_assert_int_ge(o, k);
	virt_free(v);
}
END_TEST

START_TEST(linux_boot_refuses_big_kernel)
{
	char err[256] = "";
	struct virt *v = make(1);
	size_t big = RAM;
	void *k = calloc(1, big);
	struct virt_linux_boot b = {
		.fw = "fw", .fw_len = 2, .kernel = k, .kernel_len = big,
	};

	ck_assert_ptr_nonnull(k);
	image_magic(k);
	CHECK_RET(virt_boot_linux(v, &b, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "kernel") != NULL, "message: %s", err);
	CHECK_RET(virt_start(v), -EINVAL);  /* nothing was loaded */
	free(k);
	virt_free(v);
}
END_TEST

START_TEST(linux_boot_places_initrd_and_dtb)
{
	char err[256] = "";
	struct virt *v = make(1);
	static uint8_t kernel[4096], initrd[8192];
	struct virt_linux_boot b = {
		.fw = "firmware", .fw_len = 8, .kernel = kernel,
		.kernel_len = sizeof(kernel), .initrd = initrd,
		.initrd_len = sizeof(initrd), .bootargs = "console=ttyS0",
	};
	uint64_t fdt_addr;
	const void *fdt;
	const fdt64_t *start;

	memset(kernel, 0x4b, sizeof(kernel));
	image_magic(kernel);
	memset(initrd, 0x49, sizeof(initrd));
	CHECK_OK(virt_boot_linux(v, &b, err, sizeof(err)));
	ck_assert_mem_eq(ram, "firmware", 8);
	ck_assert_uint_eq(((uint8_t *)ram)[0x200000], 0x4b);
	fdt = virt_fdt(v, &fdt_addr);
	ck_assert_ptr_nonnull(fdt);
	start = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"),
			    "linux,initrd-start", NULL);
	ck_assert_ptr_nonnull(start);
	/* Properties are only 4-byte aligned in the blob. */
	fdt64_t raw;
	memcpy(&raw, start, sizeof(raw));
	uint64_t s = fdt64_to_cpu(raw);

	ck_assert_uint_ge(s, VIRT_DRAM_BASE + 0x200000 + sizeof(kernel));
	ck_assert_uint_le(s + sizeof(initrd), fdt_addr);
	ck_assert_uint_eq(((uint8_t *)ram)[s - VIRT_DRAM_BASE], 0x49);
	virt_free(v);
}
END_TEST

/* Boots a dummy kernel and copies the dtb's /chosen/rng-seed to seed. */
static void boot_seed(uint8_t seed[32])
{
	char err[256] = "";
	struct virt *v = make(1);
	static uint8_t kernel[4096];
	struct virt_linux_boot b = {
		.fw = "firmware", .fw_len = 8, .kernel = kernel,
		.kernel_len = sizeof(kernel), .bootargs = "console=ttyS0",
	};
	uint64_t fdt_addr;
	int len = 0;

	image_magic(kernel);
	CHECK_OK(virt_boot_linux(v, &b, err, sizeof(err)));
	const void *fdt = virt_fdt(v, &fdt_addr);
	ck_assert_ptr_nonnull(fdt);
	const void *p = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"),
				    "rng-seed", &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(len, 32);
	memcpy(seed, p, 32);
	virt_free(v);
}

START_TEST(linux_boot_gets_a_fresh_rng_seed)
{
	static const uint8_t zero[32];
	uint8_t a[32], b[32];

	boot_seed(a);
	boot_seed(b);
	/* 2^-256 odds of a false failure: random bytes, new every boot. */
	ck_assert_mem_ne(a, zero, 32);
	ck_assert_mem_ne(a, b, 32);
}
END_TEST

/* The test program as an ELF kernel 4 MiB into RAM, without firmware:
 * the hart must start at its first segment, not at the file's header. */
START_TEST(elf_kernel_runs_from_its_segment)
{
	static uint8_t f[1024] __attribute__((aligned(8)));
	const struct test_seg seg = {
		VIRT_DRAM_BASE + 0x400000, sizeof(prog), sizeof(prog) + 64, prog,
		0,
	};
	char err[256] = "", out[16] = { 0 };
	struct virt *v = make(1);
	size_t len = test_elf(f, sizeof(f), seg.paddr, &seg, 1);
	struct virt_linux_boot b = { .kernel = f, .kernel_len = len };

	CHECK_OK(virt_boot_linux(v, &b, err, sizeof(err)));
	ck_assert_mem_eq((uint8_t *)ram + 0x400000, prog, sizeof(prog));
	ck_assert_int_eq(run_until_exit(v), VIRT_POWEROFF);
	ck_assert_int_eq(read(pipefd[0], out, sizeof(out) - 1), 2);
	ck_assert_str_eq(out, "OK");
	virt_free(v);
}
END_TEST

START_TEST(linux_boot_refuses_what_is_not_a_kernel)
{
	static uint8_t junk[4096], f[1024] __attribute__((aligned(8)));
	const struct test_seg seg = { VIRT_DRAM_BASE + 0x200000, 64, 64,
				      NULL, 0x13 };
	char err[256] = "";
	struct virt *v = make(1);
	struct virt_linux_boot b = {
		.fw = "firmware", .fw_len = 8, .kernel = junk,
		.kernel_len = sizeof(junk),
	};

	memset(junk, 0x4b, sizeof(junk));
	CHECK_RET(virt_boot_linux(v, &b, err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, "neither") != NULL, "message: %s", err);
	/* an ELF for another machine */
	b.kernel = f;
	b.kernel_len = test_elf(f, sizeof(f), seg.paddr, &seg, 1);
	test_elf_ehdr(f)->e_machine = EM_AARCH64;
	CHECK_RET(virt_boot_linux(v, &b, err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, "AArch64") != NULL, "message: %s", err);
	/* a RISC-V ELF over the firmware */
	test_elf_ehdr(f)->e_machine = EM_RISCV;
	test_elf_phdr(f, 0)->p_paddr = VIRT_DRAM_BASE + 0x1000;
	CHECK_RET(virt_boot_linux(v, &b, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "firmware") != NULL, "message: %s", err);
	CHECK_RET(virt_start(v), -EINVAL);  /* nothing was loaded */
	virt_free(v);
}
END_TEST

static Suite *virt_suite(void)
{
	Suite *s = suite_create("virt");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bare_program_powers_off);
	tcase_add_test(tc, smp_bare_program_powers_off);
	tcase_add_test(tc, linux_boot_refuses_big_kernel);
	tcase_add_test(tc, linux_boot_places_initrd_and_dtb);
	tcase_add_test(tc, linux_boot_gets_a_fresh_rng_seed);
	tcase_add_test(tc, elf_kernel_runs_from_its_segment);
	tcase_add_test(tc, linux_boot_refuses_what_is_not_a_kernel);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(virt_suite)
