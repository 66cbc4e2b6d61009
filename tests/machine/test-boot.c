/* SPDX-License-Identifier: MIT */
/* Boot layout (and refusal of what does not fit), reset vector encoding,
 * Image header parsing, bare-metal ELF loading, syscon and PCI host. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "pci-host.h"
#include "syscon.h"
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

static void make_elf(uint8_t *f, size_t len, uint64_t paddr, uint64_t filesz,
		     uint64_t memsz)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };

	memset(f, 0, len);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_machine = EM_RISCV;
	eh.e_entry = paddr + 4;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_offset = 256;
	ph.p_paddr = paddr;
	ph.p_filesz = filesz;
	ph.p_memsz = memsz;
	memcpy(f, &eh, sizeof(eh));
	memcpy(f + sizeof(eh), &ph, sizeof(ph));
	for (size_t i = 256; i < len; i++)
		f[i] = 0xab;
}

START_TEST(bare_elf)
{
	uint8_t f[512], *ram = malloc(MiB);
	uint64_t entry = 0;

	memset(ram, 0x11, MiB);
	make_elf(f, sizeof(f), VIRT_DRAM_BASE + 0x1000, 16, 32);
	CHECK_OK(boot_load_bare(f, sizeof(f), ram, VIRT_DRAM_BASE, MiB, &entry,
				err, sizeof(err)));
	ck_assert_uint_eq(entry, VIRT_DRAM_BASE + 0x1004);
	ck_assert_uint_eq(ram[0x1000], 0xab);
	ck_assert_uint_eq(ram[0x100f], 0xab);
	ck_assert_uint_eq(ram[0x1010], 0);     /* bss zeroed */
	ck_assert_uint_eq(ram[0x101f], 0);
	ck_assert_uint_eq(ram[0x1020], 0x11);
	/* hostile: segment past RAM, past the file, wrong machine */
	make_elf(f, sizeof(f), VIRT_DRAM_BASE + MiB - 8, 16, 16);
	CHECK_RET(boot_load_bare(f, sizeof(f), ram, VIRT_DRAM_BASE, MiB, &entry,
				 err, sizeof(err)), -E2BIG);
	make_elf(f, sizeof(f), VIRT_DRAM_BASE, 1000, 1000);
	CHECK_RET(boot_load_bare(f, sizeof(f), ram, VIRT_DRAM_BASE, MiB, &entry,
				 err, sizeof(err)), -EINVAL);
	make_elf(f, sizeof(f), VIRT_DRAM_BASE, 16, 16);
	f[18] = EM_X86_64;
	CHECK_RET(boot_load_bare(f, sizeof(f), ram, VIRT_DRAM_BASE, MiB, &entry,
				 err, sizeof(err)), -EINVAL);
	/* raw binary: loaded at the RAM base */
	memset(f, 0x77, sizeof(f));
	CHECK_OK(boot_load_bare(f, sizeof(f), ram, VIRT_DRAM_BASE, MiB, &entry,
				err, sizeof(err)));
	ck_assert_uint_eq(entry, VIRT_DRAM_BASE);
	ck_assert_uint_eq(ram[0], 0x77);
	free(ram);
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

	tcase_add_test(tc, layout_like_qemu);
	tcase_add_test(tc, fdt_below_3g);
	tcase_add_test(tc, no_firmware_kernel_at_base);
	tcase_add_test(tc, refuses_oversized_kernel);
	tcase_add_test(tc, refuses_oversized_initrd);
	tcase_add_test(tc, refuses_oversized_firmware_and_ram);
	tcase_add_test(tc, image_header_size);
	tcase_add_test(tc, reset_vector);
	tcase_add_test(tc, bare_elf);
	tcase_add_test(tc, syscon_actions);
	tcase_add_test(tc, pci_host_slots);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(boot_suite)
