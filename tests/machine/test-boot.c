/* SPDX-License-Identifier: MIT */
/* Boot layout (and refusal of what does not fit), reset vector encoding,
 * Image header parsing, kernel format detection, ELF loading (each
 * malformed header refused before RAM is written), syscon and PCI host. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "boot-elf.h"
#include "boot-kernel.h"
#include "pci-host.h"
#include "syscon.h"
#include "test-elf.h"
#include "test-util.h"
#include "virt-map.h"

#define MiB (1ull << 20)

static char err[256];

static struct boot_inputs linux_inputs(void)
{
	struct boot_inputs in = {
		.ram_base = VIRT_DRAM_BASE, .ram_size = 256 * MiB,
		.fw_size = 200 * 1024, .kernel_size = 5 * MiB,
		.kernel_mem_size = 6 * MiB, .initrd_size = 1200 * 1024,
		.fdt_size = 4096,
	};
	return in;
}

START_TEST(layout_like_qemu)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_eq(l.fw_addr, VIRT_DRAM_BASE);
	ck_assert_uint_eq(l.entry, VIRT_DRAM_BASE);
	ck_assert_uint_eq(l.kernel_addr, VIRT_DRAM_BASE + 2 * MiB);
	ck_assert_uint_eq(l.kernel_end, l.kernel_addr + 6 * MiB);
	ck_assert_uint_eq(l.fdt_addr % BOOT_FDT_ALIGN, 0);
	ck_assert_uint_le(l.fdt_addr + in.fdt_size + BOOT_FDT_ROOM,
			  VIRT_DRAM_BASE + in.ram_size);
	ck_assert_uint_ge(l.fdt_addr, VIRT_DRAM_BASE + in.ram_size - 4 * MiB);
	ck_assert_uint_eq(l.initrd_addr % 4096, 0);
	ck_assert_uint_eq(l.initrd_end, l.initrd_addr + in.initrd_size);
	ck_assert_uint_le(l.initrd_end, l.fdt_addr);
	ck_assert_uint_ge(l.initrd_addr, l.kernel_end);
}
END_TEST

START_TEST(fdt_below_3g)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.ram_size = 4096 * MiB;
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_lt(l.fdt_addr, 0xc0000000ull);
}
END_TEST

START_TEST(no_firmware_kernel_at_base)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.fw_size = 0;
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_eq(l.kernel_addr, VIRT_DRAM_BASE);
	ck_assert_uint_eq(l.entry, VIRT_DRAM_BASE);
}
END_TEST

START_TEST(refuses_oversized_kernel)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.kernel_size = 300 * MiB;
	in.kernel_mem_size = 0;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "kernel") != NULL, "message: %s", err);
	/* the in-memory size counts, not just the file */
	in = linux_inputs();
	in.kernel_mem_size = 255 * MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
}
END_TEST

START_TEST(refuses_oversized_initrd)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.initrd_size = 250 * MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "initrd") != NULL, "message: %s", err);
	/* fills the gap exactly, but page alignment would make it overlap
	 * the (unaligned) end of the kernel: refused */
	in = linux_inputs();
	in.kernel_mem_size = 6 * MiB + 100;
	in.initrd_size = 0;
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	in.initrd_size = l.fdt_addr - l.kernel_end;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "overlap") != NULL, "message: %s", err);
}
END_TEST

START_TEST(refuses_oversized_firmware_and_ram)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.fw_size = 3 * MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	in = linux_inputs();
	in.ram_size = 0;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -EINVAL);
	in = linux_inputs();
	in.ram_base = ~0ull - MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(image_header_size)
{
	uint8_t img[128] = { 0 };

	ck_assert_uint_eq(boot_image_mem_size(img, sizeof(img)), sizeof(img));
	memcpy(img + 56, "RSC\x05", 4);
	img[16] = 0x00; img[17] = 0x00; img[18] = 0x40; /* 0x400000 */
	ck_assert_uint_eq(boot_image_mem_size(img, sizeof(img)), 0x400000);
	ck_assert_uint_eq(boot_image_mem_size(img, 40), 40);
}
END_TEST

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

START_TEST(reset_vector)
{
	uint8_t rom[BOOT_ROM_SIZE];

	boot_rom_build(rom, 0x80000000, 0x8fe00000, 0x80200000, 1);
	ck_assert_uint_eq(rd32(rom), 0x00000297);          /* auipc t0, 0 */
	/* addi a2, t0, imm: imm is the fw_dynamic_info offset */
	ck_assert_uint_eq(rd32(rom + 4) >> 20, BOOT_ROM_FWDYN_OFF);
	ck_assert_uint_eq(rd32(rom + 8), 0xf1402573);      /* csrr a0, mhartid */
	ck_assert_uint_eq(rd32(rom + 12) >> 20, BOOT_ROM_FDT_OFF);
	ck_assert_uint_eq(rd32(rom + 16) >> 20, BOOT_ROM_START_OFF);
	ck_assert_uint_eq(rd64(rom + BOOT_ROM_START_OFF), 0x80000000);
	ck_assert_uint_eq(rd64(rom + BOOT_ROM_FDT_OFF), 0x8fe00000);
	ck_assert_uint_eq(rd64(rom + 40), BOOT_FW_DYNAMIC_MAGIC);
	ck_assert_uint_eq(rd64(rom + 48), BOOT_FW_DYNAMIC_VERSION);
	ck_assert_uint_eq(rd64(rom + 56), 0x80200000);
	ck_assert_uint_eq(rd64(rom + 64), 1);
	ck_assert_uint_eq(rd64(rom + 80), 0);               /* boot_hart */
}
END_TEST

#define ELF_MAX 4096

static uint8_t elf[ELF_MAX] __attribute__((aligned(8)));
static uint8_t *ram;

static void ram_setup(void)
{
	ram = malloc(MiB);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0x11, MiB);
}

static void ram_teardown(void)
{
	free(ram);
}

/* Text with a bss tail and data, 8 KiB apart, as a linker lays them. */
static size_t two_segments(void)
{
	const struct test_seg segs[] = {
		{ VIRT_DRAM_BASE + 0x1000, 16, 32, NULL, 0xab },
		{ VIRT_DRAM_BASE + 0x3000, 8, 8, NULL, 0xcd },
	};

	return test_elf(elf, sizeof(elf), VIRT_DRAM_BASE + 0x1004, segs, 2);
}

static bool ram_untouched(void)
{
	for (size_t i = 0; i < MiB; i++)
		if (ram[i] != 0x11)
			return false;
	return true;
}

START_TEST(elf_placed_by_program_headers)
{
	size_t len = two_segments();
	struct boot_elf_span span;

	CHECK_OK(boot_elf_load(elf, len, ram, VIRT_DRAM_BASE, VIRT_DRAM_BASE,
			       VIRT_DRAM_BASE + MiB, &span, err, sizeof(err)));
	ck_assert_uint_eq(span.low, VIRT_DRAM_BASE + 0x1000);
	ck_assert_uint_eq(span.high, VIRT_DRAM_BASE + 0x3008);
	ck_assert_uint_eq(span.entry, VIRT_DRAM_BASE + 0x1004);
	ck_assert_uint_eq(ram[0xfff], 0x11);
	ck_assert_uint_eq(ram[0x1000], 0xab);
	ck_assert_uint_eq(ram[0x100f], 0xab);
	ck_assert_uint_eq(ram[0x1010], 0);     /* bss zeroed */
	ck_assert_uint_eq(ram[0x101f], 0);
	ck_assert_uint_eq(ram[0x1020], 0x11);
	ck_assert_uint_eq(ram[0x2fff], 0x11);  /* gap left alone */
	ck_assert_uint_eq(ram[0x3000], 0xcd);
	ck_assert_uint_eq(ram[0x3007], 0xcd);
	ck_assert_uint_eq(ram[0x3008], 0x11);
	/* the ELF header itself is nowhere in RAM */
	ck_assert_uint_ne(ram[0], 0x7f);
}
END_TEST

/* Each row breaks one thing in a valid two-segment ELF. */
struct elf_break {
	const char *what;
	void (*apply)(size_t *len);
	int ret;
	const char *msg;
};

static void truncate_header(size_t *len) { *len = 40; }
static void class32(size_t *len) { elf[EI_CLASS] = ELFCLASS32; }
static void big_endian(size_t *len) { elf[EI_DATA] = ELFDATA2MSB; }
static void x86(size_t *len) { test_elf_ehdr(elf)->e_machine = EM_X86_64; }
static void dyn(size_t *len) { test_elf_ehdr(elf)->e_type = ET_DYN; }
static void phentsize(size_t *len) { test_elf_ehdr(elf)->e_phentsize = 32; }
static void phdrs_past_end(size_t *len)
{
	test_elf_ehdr(elf)->e_phoff = *len - 8;
}
static void phnum_past_end(size_t *len)
{
	test_elf_ehdr(elf)->e_phnum = 60000;
}
static void phoff_huge(size_t *len)
{
	test_elf_ehdr(elf)->e_phoff = ~0ull - 8;
}
/* The second segment, so a loader that copies as it checks would already
 * have written the first. */
static void seg_past_end(size_t *len)
{
	test_elf_phdr(elf, 1)->p_offset = *len - 4;
}
static void seg_offset_huge(size_t *len)
{
	test_elf_phdr(elf, 1)->p_offset = ~0ull - 2;
}
static void filesz_over_memsz(size_t *len)
{
	test_elf_phdr(elf, 1)->p_memsz = 4;
}
static void wraps(size_t *len)
{
	test_elf_phdr(elf, 1)->p_paddr = ~0ull - 4;
}
static void past_ram(size_t *len)
{
	test_elf_phdr(elf, 1)->p_paddr = VIRT_DRAM_BASE + MiB - 4;
}
static void below_ram(size_t *len)
{
	test_elf_phdr(elf, 1)->p_paddr = 0x1000;
}
static void no_load(size_t *len)
{
	test_elf_phdr(elf, 0)->p_type = PT_NOTE;
	test_elf_phdr(elf, 1)->p_memsz = 0;
}

static const struct elf_break elf_breaks[] = {
	{ "truncated header", truncate_header, -ENOEXEC, "too few" },
	{ "32-bit", class32, -ENOEXEC, "32-bit" },
	{ "big-endian", big_endian, -ENOEXEC, "little-endian" },
	{ "x86-64", x86, -ENOEXEC, "machine 62 (x86-64), not RISC-V" },
	{ "ET_DYN", dyn, -ENOEXEC, "not ET_EXEC" },
	{ "phentsize", phentsize, -ENOEXEC, "program headers of 32 bytes" },
	{ "phdrs past the end", phdrs_past_end, -ENOEXEC, "outside the" },
	{ "phnum past the end", phnum_past_end, -ENOEXEC, "outside the" },
	{ "phoff overflows", phoff_huge, -ENOEXEC, "outside the" },
	{ "segment past the end", seg_past_end, -ENOEXEC, "segment 1" },
	{ "segment offset overflows", seg_offset_huge, -ENOEXEC, "segment 1" },
	{ "filesz > memsz", filesz_over_memsz, -ENOEXEC, "only 4 in memory" },
	{ "address wraps", wraps, -ENOEXEC, "wraps" },
	{ "past RAM", past_ram, -E2BIG, "outside the RAM" },
	{ "below RAM", below_ram, -E2BIG, "outside the RAM" },
	{ "no PT_LOAD", no_load, -ENOEXEC, "no non-empty PT_LOAD" },
};

START_TEST(elf_refusals)
{
	const struct elf_break *b = &elf_breaks[_i];
	struct boot_elf_span span;
	size_t len = two_segments();

	b->apply(&len);
	err[0] = 0;
	ck_assert_msg(boot_elf_load(elf, len, ram, VIRT_DRAM_BASE,
				    VIRT_DRAM_BASE, VIRT_DRAM_BASE + MiB,
				    &span, err, sizeof(err)) == b->ret,
		      "%s: not refused as wanted (%s)", b->what, err);
	ck_assert_msg(strstr(err, b->msg) != NULL, "%s: message \"%s\"",
		      b->what, err);
	ck_assert_msg(ram_untouched(), "%s: RAM written before refusal",
		      b->what);
}
END_TEST

START_TEST(bare_elf_or_raw)
{
	size_t len = two_segments();
	uint64_t entry = 0;

	CHECK_OK(boot_load_bare(elf, len, ram, VIRT_DRAM_BASE, MiB, &entry,
				err, sizeof(err)));
	ck_assert_uint_eq(entry, VIRT_DRAM_BASE + 0x1004);
	ck_assert_uint_eq(ram[0x1000], 0xab);
	/* a broken ELF is refused, not run as a raw binary */
	test_elf_ehdr(elf)->e_machine = EM_AARCH64;
	CHECK_RET(boot_load_bare(elf, len, ram, VIRT_DRAM_BASE, MiB, &entry,
				 err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, "AArch64") != NULL, "message: %s", err);
	/* raw binary: loaded at the RAM base */
	memset(elf, 0x77, sizeof(elf));
	CHECK_OK(boot_load_bare(elf, sizeof(elf), ram, VIRT_DRAM_BASE, MiB,
				&entry, err, sizeof(err)));
	ck_assert_uint_eq(entry, VIRT_DRAM_BASE);
	ck_assert_uint_eq(ram[0], 0x77);
	CHECK_RET(boot_load_bare(elf, sizeof(elf), ram, VIRT_DRAM_BASE, 100,
				 &entry, err, sizeof(err)), -E2BIG);
}
END_TEST

START_TEST(kernel_image_or_elf)
{
	struct boot_kernel k;
	uint8_t img[128] = { 0 };
	size_t len = two_segments();

	memcpy(img + 56, "RSC\x05", 4);
	img[18] = 0x40;                           /* image_size 0x400000 */
	CHECK_OK(boot_kernel_probe(img, sizeof(img), &k, err, sizeof(err)));
	ck_assert_int_eq(k.kind, BOOT_KERNEL_IMAGE);
	ck_assert_uint_eq(k.mem_size, 0x400000);
	CHECK_OK(boot_kernel_probe(elf, len, &k, err, sizeof(err)));
	ck_assert_int_eq(k.kind, BOOT_KERNEL_ELF);
	ck_assert_uint_eq(k.load_addr, VIRT_DRAM_BASE + 0x1000);
	ck_assert_uint_eq(k.mem_size, 0x2008);
}
END_TEST

static void refused_as(const void *f, size_t len, const char *msg)
{
	struct boot_kernel k;

	err[0] = 0;
	CHECK_RET(boot_kernel_probe(f, len, &k, err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, msg) != NULL, "wanted \"%s\" in \"%s\"",
		      msg, err);
}

START_TEST(kernel_junk_refused)
{
	uint8_t junk[256];
	size_t len = two_segments();

	memset(junk, 0x4b, sizeof(junk));
	refused_as(junk, sizeof(junk),
		   "neither a RISC-V Linux Image (no \"RSC\\x05\" magic at offset 56) nor an ELF: 256 bytes of raw data, starting 4b 4b 4b 4b");
	junk[0] = 0x1f;
	junk[1] = 0x8b;
	refused_as(junk, sizeof(junk), "gzip");
	refused_as(junk, 0, "(empty)");
	/* the magic in a file too short for the header is not an Image */
	memcpy(junk + 56, "RSC\x05", 4);
	refused_as(junk, 60, "neither");
	test_elf_ehdr(elf)->e_machine = EM_X86_64;
	refused_as(elf, len, "kernel: ELF is for machine 62 (x86-64)");
	refused_as(elf, 10, "kernel: not an ELF file, or its 10 bytes");
}
END_TEST

START_TEST(plan_fixed_kernel)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	in.kernel_fixed = true;
	in.kernel_load_addr = VIRT_DRAM_BASE + 2 * MiB;   /* U-Boot's */
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_eq(l.kernel_addr, VIRT_DRAM_BASE + 2 * MiB);
	ck_assert_uint_eq(l.kernel_end, l.kernel_addr + 6 * MiB);
	ck_assert_uint_eq(l.entry, VIRT_DRAM_BASE);       /* the firmware */
	ck_assert_uint_ge(l.initrd_addr, l.kernel_end);
	in.kernel_load_addr = VIRT_DRAM_BASE + 64 * MiB;
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_eq(l.kernel_addr, VIRT_DRAM_BASE + 64 * MiB);
	/* over the firmware's 2 MiB */
	in.kernel_load_addr = VIRT_DRAM_BASE + MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "firmware") != NULL, "message: %s", err);
	/* without firmware it may start at the RAM base, and runs first */
	in.fw_size = 0;
	in.kernel_load_addr = VIRT_DRAM_BASE;
	CHECK_OK(boot_plan(&in, &l, err, sizeof(err)));
	ck_assert_uint_eq(l.entry, VIRT_DRAM_BASE);
	/* below RAM, above RAM, across the device tree, under the initrd */
	in = linux_inputs();
	in.kernel_fixed = true;
	in.kernel_load_addr = 0x1000;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	in.kernel_load_addr = VIRT_DRAM_BASE + in.ram_size + MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	in.kernel_load_addr = VIRT_DRAM_BASE + in.ram_size - 7 * MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "below the device tree") != NULL,
		      "message: %s", err);
	in.kernel_load_addr = VIRT_DRAM_BASE + in.ram_size - 12 * MiB;
	in.initrd_size = 5 * MiB;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
	ck_assert_msg(strstr(err, "initrd") != NULL, "message: %s", err);
}
END_TEST

START_TEST(plan_firmware_bigger_than_ram)
{
	struct boot_inputs in = linux_inputs();
	struct boot_layout l;

	/* the device tree lands below the kernel's slot above the firmware */
	in.ram_size = 2 * MiB;
	in.kernel_size = in.kernel_mem_size = 4096;
	in.initrd_size = 0;
	CHECK_RET(boot_plan(&in, &l, err, sizeof(err)), -E2BIG);
}
END_TEST

START_TEST(syscon_actions)
{
	uint32_t code = 0;

	ck_assert_int_eq(syscon_decode(0, 0x5555, &code), SYSCON_ACTION_POWEROFF);
	ck_assert_int_eq(syscon_decode(0, 0x7777, &code), SYSCON_ACTION_RESET);
	ck_assert_int_eq(syscon_decode(0, 0x2a3333, &code), SYSCON_ACTION_FAIL);
	ck_assert_uint_eq(code, 0x2a);
	ck_assert_int_eq(syscon_decode(0, 0x1234, &code), SYSCON_ACTION_NONE);
	ck_assert_int_eq(syscon_decode(4, 0x5555, &code), SYSCON_ACTION_NONE);
}
END_TEST

static uint32_t dev_read(void *o, unsigned off, unsigned size)
{
	return off == 0 ? 0x10001af4u : 0x42;
}

static unsigned writes;
static void dev_write(void *o, unsigned off, unsigned size, uint32_t v)
{
	writes++;
}

static const struct pci_dev_ops dev_ops = { dev_read, dev_write };

START_TEST(pci_host_slots)
{
	struct pci_host *h = pci_host_new(VIRT_PCIE_ECAM_SIZE);
	uint64_t v;

	ck_assert_ptr_nonnull(h);
	CHECK_OK(pci_host_ecam_read(h, 0, 4, &v));
	ck_assert_uint_eq(v, 0x00081b36);           /* host bridge 1b36:0008 */
	CHECK_OK(pci_host_ecam_read(h, 0x8, 4, &v));
	ck_assert_uint_eq(v >> 16, 0x0600);         /* class host bridge */
	CHECK_OK(pci_host_ecam_read(h, 1u << 15, 4, &v));
	ck_assert_uint_eq(v, 0xffffffff);           /* empty slot 1 */
	CHECK_OK(pci_host_ecam_read(h, 1u << 15, 2, &v));
	ck_assert_uint_eq(v, 0xffff);
	CHECK_RET(pci_host_register(h, 0, &dev_ops, NULL), -EINVAL);
	CHECK_OK(pci_host_register(h, 1, &dev_ops, NULL));
	CHECK_RET(pci_host_register(h, 1, &dev_ops, NULL), -EBUSY);
	CHECK_OK(pci_host_ecam_read(h, 1u << 15, 4, &v));
	ck_assert_uint_eq(v, 0x10001af4);
	CHECK_OK(pci_host_ecam_write(h, (1u << 15) | 4, 2, 7));
	ck_assert_uint_eq(writes, 1);
	/* other buses and functions are empty */
	CHECK_OK(pci_host_ecam_read(h, (1u << 20) | (1u << 15), 4, &v));
	ck_assert_uint_eq(v, 0xffffffff);
	CHECK_OK(pci_host_ecam_read(h, (1u << 15) | (1u << 12), 4, &v));
	ck_assert_uint_eq(v, 0xffffffff);
	CHECK_RET(pci_host_ecam_read(h, 2, 4, &v), -EINVAL);
	CHECK_RET(pci_host_ecam_read(h, VIRT_PCIE_ECAM_SIZE, 4, &v), -EINVAL);
	ck_assert_uint_eq(pci_host_intx_irq(0, 0), 32);
	ck_assert_uint_eq(pci_host_intx_irq(1, 0), 33);
	ck_assert_uint_eq(pci_host_intx_irq(3, 3), 34);
	pci_host_free(h);
}
END_TEST

static Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("core");
	TCase *elf_tc = tcase_create("elf");

	tcase_add_test(tc, layout_like_qemu);
	tcase_add_test(tc, fdt_below_3g);
	tcase_add_test(tc, no_firmware_kernel_at_base);
	tcase_add_test(tc, refuses_oversized_kernel);
	tcase_add_test(tc, refuses_oversized_initrd);
	tcase_add_test(tc, refuses_oversized_firmware_and_ram);
	tcase_add_test(tc, image_header_size);
	tcase_add_test(tc, reset_vector);
	tcase_add_test(tc, syscon_actions);
	tcase_add_test(tc, pci_host_slots);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(elf_tc, ram_setup, ram_teardown);
	tcase_add_test(elf_tc, elf_placed_by_program_headers);
	tcase_add_loop_test(elf_tc, elf_refusals, 0,
			    sizeof(elf_breaks) / sizeof(elf_breaks[0]));
	tcase_add_test(elf_tc, bare_elf_or_raw);
	tcase_add_test(elf_tc, kernel_image_or_elf);
	tcase_add_test(elf_tc, kernel_junk_refused);
	tcase_add_test(elf_tc, plan_fixed_kernel);
	tcase_add_test(elf_tc, plan_firmware_bigger_than_ram);
	suite_add_tcase(s, elf_tc);
	return s;
}

CHECK_MAIN(boot_suite)
