/* SPDX-License-Identifier: MIT */
#include "boot-kernel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot-elf.h"
#include "boot.h"

#define IMAGE_MAGIC_OFF 56
#define IMAGE_MAGIC "RSC\x05"
#define IMAGE_HEADER_SIZE 64

#define IMAGE_SIZE_OFF 16

static int is_image(const uint8_t *p, uint64_t len)
{
	return len >= IMAGE_HEADER_SIZE &&
	       memcmp(p + IMAGE_MAGIC_OFF, IMAGE_MAGIC, 4) == 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t boot_image_mem_size(const void *image, uint64_t len)
{
	uint64_t sz;

	if (!is_image(image, len))
		return len;
	sz = le64((const uint8_t *)image + IMAGE_SIZE_OFF);
	return sz > len ? sz : len;
}

/* A guess at the file's kind, for the refusal message. */
static const char *looks_like(const uint8_t *p, uint64_t len)
{
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "a gzip file (decompress a compressed Image first)";
	if (len >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "a PE/EFI file without the RISC-V Image header";
	if (len >= 4 && memcmp(p, "\x27\x05\x19\x56", 4) == 0)
		return "a U-Boot legacy uImage (give the Image or ELF inside it)";
	if (len >= 4 && memcmp(p, "\xd0\x0d\xfe\xed", 4) == 0)
		return "a device tree blob or FIT image";
	return "raw data";
}

static int refuse(const uint8_t *p, uint64_t len, char *err, size_t errlen)
{
	char head[3 * 8 + 1] = "";
	size_t off = 0;

	for (unsigned i = 0; i < len && i < 8; i++)
		off += (size_t)snprintf(head + off, sizeof(head) - off, "%s%02x",
					i ? " " : "", p[i]);
	return boot_fail(err, errlen, -ENOEXEC,
			 "kernel is neither a RISC-V Linux Image (no \"RSC\\x05\" magic at offset %d) nor an ELF: %llu bytes of %s, starting %s",
			 IMAGE_MAGIC_OFF, (unsigned long long)len,
			 looks_like(p, len), len ? head : "(empty)");
}

/* boot_elf_check()'s reason does not say which file it is about. */
static int kernel_prefix(int r, char *err, size_t errlen)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", err);
	return boot_fail(err, errlen, r, "kernel: %s", why);
}

int boot_kernel_probe(const void *file, uint64_t len, struct boot_kernel *k,
		      char *err, size_t errlen)
{
	const uint8_t *p = file;
	struct boot_elf_span span;
	int r;

	memset(k, 0, sizeof(*k));
	if (is_image(p, len)) {
		k->kind = BOOT_KERNEL_IMAGE;
		k->mem_size = boot_image_mem_size(file, len);
		return 0;
	}
	if (!boot_is_elf(file, len))
		return refuse(p, len, err, errlen);
	r = boot_elf_check(file, len, &span, err, errlen);
	if (r < 0)
		return kernel_prefix(r, err, errlen);
	k->kind = BOOT_KERNEL_ELF;
	k->load_addr = span.low;
	k->mem_size = span.high - span.low;
	return 0;
}
