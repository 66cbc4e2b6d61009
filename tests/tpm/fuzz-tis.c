/* SPDX-License-Identifier: MIT */
/* The TIS register file against any guest access sequence: each 4 input
 * bytes are one access (offset anywhere in the window, size 1/2/4/8 within
 * it, read or write with a value), and commands complete at once or
 * later, with responses of any length, bursts of FIFO bytes up to 16 KiB
 * (past the 4 KiB buffer), interleaved with save/restore of
 * the registers. Invariants: the buffers' lengths stay within bounds and
 * the TPM is handed at most one command at a time, each complete (its
 * header's size is its length). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "tis.h"

static struct tis t;
static int in_tpm;             /* commands handed and not completed */

static void execute(void *opaque, const uint8_t *cmd, uint32_t len)
{
	(void)opaque;
	assert(in_tpm == 0);
	assert(len >= TIS_HEADER_SIZE && len <= TIS_BUFFER_SIZE);
	assert(((uint32_t)cmd[2] << 24 | (uint32_t)cmd[3] << 16 |
		(uint32_t)cmd[4] << 8 | cmd[5]) == len);
	in_tpm++;
}

static void complete(uint32_t len)
{
	static uint8_t resp[TIS_BUFFER_SIZE + 64];

	memset(resp, 0xa5, sizeof(resp));
	if (in_tpm)
		in_tpm--;
	tis_complete(&t, resp, len % sizeof(resp));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	static uint8_t saved[TIS_SAVED_MAX];
	size_t saved_len = 0;

	tis_init(&t, size && (data[0] & 1), execute, NULL);
	in_tpm = 0;
	for (size_t i = 1; i + 4 <= size; i += 4) {
		const uint8_t *a = data + i;
		unsigned sz = sizes[a[0] & 3];
		/* Offsets near the registers Linux uses, or anywhere. */
		uint64_t off = (a[0] & 0x80) ?
			       (uint64_t)((a[1] | a[2] << 8) % TIS_WINDOW_SIZE) :
			       (uint64_t)(a[1] & 0x3f) + (a[0] & 0x40 ? 0xf00 : 0);

		if (off + sz > TIS_WINDOW_SIZE)
			off = TIS_WINDOW_SIZE - sz;
		switch ((a[0] >> 2) & 7) {
		case 0: case 1:
			tis_write(&t, off, sz, a[3] * 0x01010101ull);
			break;
		case 2:       /* a burst into the FIFO: reaches its end */
			for (unsigned n = 0; n < a[3] * 8u; n++)
				tis_write(&t, 0x24, 8, n * 0x0101010101010101ull);
			break;
		case 3: case 4:
			(void)tis_read(&t, off, sz);
			break;
		case 5:
			complete((uint32_t)a[3] * 17);
			break;
		case 6:
			if (!t.tpm_busy)
				saved_len = tis_save(&t, saved);
			break;
		case 7:
			if (saved_len)
				(void)tis_restore(&t, saved, saved_len);
			else
				(void)tis_restore(&t, a, 4);
			break;
		}
		assert(t.cmd_len <= TIS_BUFFER_SIZE);
		assert(t.resp_pos <= t.resp_len && t.resp_len <= TIS_BUFFER_SIZE);
		assert(in_tpm <= 1 && (in_tpm == 1) == t.tpm_busy);
	}
	/* Any bytes as a saved register file: refused or within bounds. */
	if (tis_restore(&t, data, size) == 0)
		assert(t.resp_pos <= t.resp_len && t.cmd_len <= TIS_BUFFER_SIZE);
	return 0;
}
