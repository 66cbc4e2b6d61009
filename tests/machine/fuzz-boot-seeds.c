/* SPDX-License-Identifier: MIT */
/* Writes fuzz-boot's seeds into the directory argv[1]: a two-segment
 * RISC-V ELF at 0x80200000 (where U-Boot loads) and a minimal Image, so
 * the fuzzer starts from inputs that reach the loaders. */
#include <stdio.h>
#include <string.h>

#include "test-elf.h"

static int write_seed(const char *dir, const char *name, const void *p,
		      size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	static uint8_t elf[1024] __attribute__((aligned(8)));
	static uint8_t image[128];
	const struct test_seg segs[] = {
		{ 0x80200000, 64, 64, NULL, 0x13 },
		{ 0x80201000, 16, 256, NULL, 0x55 },
	};
	size_t len = test_elf(elf, sizeof(elf), 0x80200000, segs, 2);

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	memcpy(image + 56, "RSC\x05", 4);
	image[18] = 0x10;  /* image_size 1 MiB */
	return write_seed(argv[1], "boot-seed-elf", elf, len) ||
	       write_seed(argv[1], "boot-seed-image", image, sizeof(image));
}
