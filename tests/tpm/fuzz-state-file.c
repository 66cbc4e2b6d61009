/* SPDX-License-Identifier: MIT */
/* The state file's parser against any file contents: an image is refused
 * (with a reason) or yields a blob inside it. Small inputs are stretched
 * so that the second slot (at 1 MiB) is reached: the input's first byte
 * says where it lands. A slot passes only with its SHA-256 right, so
 * the fuzzer mostly exercises the header checks and the hash's bounds. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-file.h"

static uint8_t img[2 * STATE_SLOT_SPAN];

static void parse(size_t len, unsigned version)
{
	struct state_blob b;
	char why[256] = "";
	int r = state_image_parse(img, len, version, &b, why, sizeof(why));

	if (r < 0)
		assert(why[0]);
	if (r == 0)
		assert(b.data >= img && b.data + b.len <= img + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at, len;

	if (size == 0)
		return 0;
	at = data[0] & 1 ? STATE_SLOT_SPAN - 32 : 0;
	len = at + size - 1;
	memset(img, 0, len);
	memcpy(img + at, data + 1, size - 1);
	parse(len, STATE_TPM2);
	parse(len, STATE_TPM12);
	return 0;
}
