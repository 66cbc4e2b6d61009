/* SPDX-License-Identifier: MIT */
/*
 * A generic platform device through the whole of atoll-cpu: this test plays
 * the launcher (cpu-launch.c) and the device (fake-gdev.c), and a bare
 * guest (g_plat.S) reads the device's window and powers off. Checks that
 * the read reaches the device, that the device tree the guest booted with
 * has the device's node (it is built after the device described itself),
 * that the device was told where its window went, and that a device that
 * never answers gives the guest all ones and the launcher DEVICE_FAULT;
 * and a generic PCI function a bare guest finds on the ECAM host (g_pci.S),
 * places and reads; and a read that waits for a restarted device.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "cpu-launch.h"
#include "fake-gdev.h"
#include "test-util.h"

#define RESULT 0x80200000ull
#define PB 0x4000000ull

static Atoll__DeviceDesc desc;
static Atoll__GenericDesc gen;
static Atoll__RegionDesc reg[1], *regp[1];
static Atoll__DtProperty prop, *propp[1];

static struct cpu_launch l;
static struct fake_gdev fake;

static Atoll__RegionDesc pci_reg[2], *pci_regp[2];

/* Starts guest `prog_env` with the device connected (platform or PCI),
 * the device misbehaving as `misbehave` says; returns once it runs. */
static void start_guest(const char *prog_env, bool pci, int misbehave)
{
	const char *cpu = getenv("ATOLL_CPU"), *prog = getenv(prog_env);
	int sv[2];

	ck_assert_msg(cpu && prog, "ATOLL_CPU or %s not set", prog_env);
	if (pci)
		fake_gdev_pci_desc(&desc, &gen, pci_reg, pci_regp);
	else
		fake_gdev_platform_desc(&desc, &gen, reg, regp, &prop, propp);
	CHECK_OK(cpu_launch_start(&l, cpu, prog));
	cpu_launch_pump(&l, &l.hello, 10);
	ck_assert_int_eq(l.hello, 1);
	CHECK_OK(cpu_launch_setup(&l));
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(&fake, sv[1], &desc));
	atomic_store(&fake.misbehave, misbehave);
	CHECK_OK(cpu_launch_connect(&l, "gen0", sv[0]));
	close(sv[0]);
	cpu_launch_pump(&l, &l.ready, 10);
	ck_assert_int_eq(l.ready, 1);
	CHECK_OK(cpu_launch_resume(&l));
}

/* Boots guest `prog_env` with the device connected, to its poweroff. */
static int run_guest(const char *prog_env, bool pci, int misbehave)
{
	start_guest(prog_env, pci, misbehave);
	cpu_launch_pump(&l, &l.powered, 20);
	ck_assert_int_eq(l.powered, 1);
	return 0;
}

static int run(int misbehave)
{
	return run_guest("GPLAT_BIN", false, misbehave);
}

static void teardown(void)
{
	fake_gdev_stop(&fake);
}

START_TEST(platform_device_end_to_end)
{
	uint64_t dtb;
	const void *fdt;
	int off;

	run(FAKE_GDEV_OK);
	ck_assert_uint_eq(*(uint64_t *)cpu_launch_at(&l, RESULT), 0x13121110);
	ck_assert_uint_eq(fake.last_region, 0);
	ck_assert_uint_eq(fake.last_off, 0x10);
	ck_assert_uint_eq(fake.last_size, 4);
	ck_assert_uint_eq(fake.placed, 1);
	ck_assert_uint_eq(fake.placed_addr[0], PB);
	dtb = *(uint64_t *)cpu_launch_at(&l, RESULT + 8);
	ck_assert_uint_ge(dtb, CPU_LAUNCH_RAM_BASE);
	ck_assert_uint_lt(dtb, CPU_LAUNCH_RAM_BASE + CPU_LAUNCH_RAM - 4096);
	fdt = cpu_launch_at(&l, dtb);
	CHECK_OK(fdt_check_header(fdt));
	off = fdt_path_offset(fdt, "/soc/goldfish-rtc@4000000");
	ck_assert_int_ge(off, 0);
	ck_assert_str_eq(fdt_getprop(fdt, off, "compatible", NULL),
			 "google,goldfish-rtc");
	ck_assert_ptr_nonnull(fdt_getprop(fdt, off, "interrupts", NULL));
	ck_assert_int_eq(l.faults, 0);
	ck_assert_int_eq(cpu_launch_finish(&l), 0);
}
END_TEST

START_TEST(silent_device_posts_device_fault)
{
	run(FAKE_GDEV_HANG);
	ck_assert_uint_eq(*(uint64_t *)cpu_launch_at(&l, RESULT), 0xffffffff);
	cpu_launch_pump(&l, &l.faults, 10);
	ck_assert_int_eq(l.faults, 1);
	ck_assert_str_eq(l.fault_device, "gen0");
	ck_assert_ptr_nonnull(strstr(l.fault_reason, "no answer"));
	ck_assert_int_eq(cpu_launch_finish(&l), 0);
}
END_TEST

START_TEST(pci_function_end_to_end)
{
	run_guest("GPCI_BIN", true, FAKE_GDEV_OK);
	ck_assert_uint_eq(*(uint64_t *)cpu_launch_at(&l, RESULT + 16),
			  0x56781234);
	ck_assert_uint_eq(*(uint64_t *)cpu_launch_at(&l, RESULT), 0x0b0a0908);
	ck_assert_uint_eq(fake.last_region, 0);
	ck_assert_uint_eq(fake.last_off, 8);
	ck_assert_int_eq(cpu_launch_finish(&l), 0);
}
END_TEST

/* The device's process dies at the guest's read (unanswered); its
 * restart is connected (PEER_CONNECT of the same name: a re-attach) while
 * the read waits, and the read gets the new device's value, not all
 * ones. */
START_TEST(read_waits_for_a_restarted_device)
{
	const struct timespec moment = { 0, 200 * 1000000L };
	struct fake_gdev f2;
	int sv[2], rc;

	start_guest("GPLAT_BIN", false, FAKE_GDEV_DIE);
	/* Any time within the hold (GDEV_HOLD_MS, 2 s) of the read. */
	nanosleep(&moment, NULL);
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(&f2, sv[1], &desc));
	/* Fails if the guest already read all ones and powered off. */
	rc = cpu_launch_connect(&l, "gen0", sv[0]);
	close(sv[0]);
	cpu_launch_pump(&l, &l.powered, 20);
	ck_assert_int_eq(l.powered, 1);
	ck_assert_uint_eq(*(uint64_t *)cpu_launch_at(&l, RESULT), 0x13121110);
	CHECK_OK(rc);
	ck_assert_uint_eq(fake.reads, 1);
	ck_assert_uint_eq(f2.reads, 1);
	ck_assert_uint_eq(f2.last_off, 0x10);
	ck_assert_int_eq(l.faults, 0);
	ck_assert_int_eq(cpu_launch_finish(&l), 0);
	fake_gdev_stop(&f2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("generic-cpu");
	TCase *tc = tcase_create("cpu");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, platform_device_end_to_end);
	tcase_add_test(tc, silent_device_posts_device_fault);
	tcase_add_test(tc, pci_function_end_to_end);
	tcase_add_test(tc, read_waits_for_a_restarted_device);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite)
