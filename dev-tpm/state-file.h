/* SPDX-License-Identifier: MIT */
/*
 * The TPM's permanent state (libtpms' "permall" blob: NV, seeds, keys) in
 * a file the launcher opens and passes as an fd. The device has the fd and
 * no directory, so "write a new file, then rename" is not available;
 * instead the file holds two slots and every save goes to the slot that
 * does not hold the newest intact state, as one pwrite and an fdatasync.
 * A crash at any moment leaves that newest slot untouched: a torn slot
 * fails its SHA-256 and the other, older, one is used. So the file always
 * holds the old or the new state, never a mix.
 *
 * Slot i lies at offset i * STATE_SLOT_SPAN:
 *   magic "ATPMSLOT" (8), format (u32 LE, 1), tpm version (u32 LE, 12 or
 *   20), sequence (u64 LE, the newest is the highest), payload length
 *   (u32 LE), reserved (u32, 0), SHA-256 of these 32 bytes and the
 *   payload (32), then the payload.
 * An empty file (0 bytes) is a fresh TPM: it is manufactured at start.
 * A file with no intact slot is refused, never half-loaded.
 */
#ifndef ATOLL_TPM_STATE_FILE_H
#define ATOLL_TPM_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_SLOT_SPAN (1u << 20)
#define STATE_HEADER_SIZE 64u
#define STATE_PAYLOAD_MAX (STATE_SLOT_SPAN - STATE_HEADER_SIZE)
#define STATE_TPM12 12u
#define STATE_TPM2 20u

struct state_blob {
	const uint8_t *data;          /* into the image parsed */
	uint32_t len;
	uint64_t seq;
};

/*
 * The newest intact slot of a file image (`img`, `len` bytes) for a TPM of
 * `version`. Returns 0 and *out; 1 for an empty image (fresh TPM);
 * -EINVAL with a reason in why[] for an image with no intact slot, or
 * whose newest slot is another TPM version's.
 */
int state_image_parse(const uint8_t *img, size_t len, unsigned version,
		      struct state_blob *out, char *why, size_t whylen);

/*
 * Reads the file at `fd` and parses it as state_image_parse does. On 0,
 * *image holds the file (free it; out points into it).
 */
int state_file_load(int fd, unsigned version, uint8_t **image,
		    struct state_blob *out, char *why, size_t whylen);

/*
 * Writes `data` as sequence `seq` into slot seq % 2 and flushes it. The
 * caller passes the newest sequence + 1, so the newest intact slot is
 * never the one written. Returns 0, -EMSGSIZE (over STATE_PAYLOAD_MAX) or
 * -errno.
 */
int state_file_store(int fd, unsigned version, uint64_t seq,
		     const uint8_t *data, uint32_t len);

#endif
