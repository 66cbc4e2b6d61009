/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: hostile CDBs and data into dev-usb/scsi-disk.c on a 64-block
 * memfd image. The input is a list of commands, each:
 *   byte 0: CDB length (mod 20: lengths past 16 must be refused too);
 *           bit 7 of byte 1 makes the disk read-only for this input
 *   byte 1: bits 0..2 the size of the data pieces (67-byte units),
 *           bit 6 shrinks the image under the disk (reads past the end
 *           must fail with MEDIUM ERROR, never crash)
 *   then the CDB; an OUT command's data is taken from the rest.
 * Aborts if the disk asks for data past the image or larger than its
 * buffer, or a piece is accepted beyond req.len; ASan/UBSan catch the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "scsi-disk.h"

#define BLOCKS 64u
#define IMAGE (BLOCKS * SCSI_BLOCK)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int image(void)
{
	static int fd = -1;

	if (fd < 0) {
		/* Refusals are logged (rate-limited) per device: noise here. */
		log_init("fuzz-scsi", ATOLL_LOG_ERROR);
		fd = memfd_create("fuzz-scsi", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	if (ftruncate(fd, IMAGE) < 0)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = image();
	const char *why;
	struct scsi_disk *d;
	struct scsi_req r;
	bool ro = size > 1 && (data[1] & 0x80), shrunk = false;

	if (!(d = scsi_disk_new(fd, ro, "FUZZ", &why)))
		abort();
	while (size >= 2) {
		size_t cl = data[0] % 20, step = ((data[1] & 7) + 1) * 67;

		if (data[1] & 0x40 && !shrunk) {
			shrunk = true;
			if (ftruncate(fd, IMAGE / 2) < 0)
				abort();
		}
		data += 2;
		size -= 2;
		if (cl > size)
			cl = size;
		scsi_disk_begin(d, data, cl, &r);
		data += cl;
		size -= cl;
		if (r.dir == SCSI_DIR_NONE ? r.len != 0 : r.len == 0)
			abort();
		if (r.image ? r.offset + r.len > IMAGE : r.len > SCSI_BUF_MAX)
			abort();
		if (r.status != SCSI_GOOD && r.dir != SCSI_DIR_NONE)
			abort();
		while (r.done < r.len) {
			size_t n = r.len - r.done < step ? r.len - r.done : step;
			uint8_t *b = malloc(n);
			int rc;

			if (!b)
				abort();
			if (r.dir == SCSI_DIR_IN) {
				rc = scsi_disk_read(d, &r, b, n);
			} else {
				size_t k = n < size ? n : size;

				memset(b, 0, n);
				memcpy(b, data, k);
				data += k;
				size -= k;
				rc = scsi_disk_write(d, &r, b, n);
			}
			free(b);
			if (rc < 0) {
				if (r.status != SCSI_CHECK_CONDITION)
					abort();
				break;
			}
		}
		if (r.done > r.len)
			abort();
		/* A piece past the end is refused. */
		if (r.dir != SCSI_DIR_NONE) {
			uint8_t b[1];

			if (r.dir == SCSI_DIR_IN ?
			    scsi_disk_read(d, &r, b, 1) == 0 :
			    scsi_disk_write(d, &r, b, 1) == 0)
				abort();
		}
	}
	scsi_disk_free(d);
	return 0;
}
