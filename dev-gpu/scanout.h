/* SPDX-License-Identifier: MIT */
/*
 * The scanout memfd: what atoll-virtio-gpu shows on its one scanout, laid
 * out for a reader in another process (the display) that maps it
 * read-only. The gpu device is its only writer. The memfd is sealed
 * against shrinking and growing, so a mapping of its whole size stays
 * valid.
 *
 * A reader copies the header, checks magic and that stride * height fits
 * in the pixel area (it must not trust the writer either), then reads the
 * pixels; `seq` is odd while the writer changes the header or pixels, so a
 * reader that saw the same even seq before and after its copy has a whole
 * frame.
 */
#ifndef ATOLL_GPU_SCANOUT_H
#define ATOLL_GPU_SCANOUT_H

#include <stdint.h>

#define SCANOUT_MAGIC 0x3142464c4c4f5441ull   /* "ATOLLFB1" little-endian */
/* Pixels start one page in, so the header never shares their page. */
#define SCANOUT_PIXELS_OFFSET 4096u

/* The memfd holds at least this many pixels, so a guest may set a mode
 * up to 3840x2160 whatever the preferred one is. */
#define SCANOUT_MIN_PIXELS (3840ull * 2160ull)

/* The memfd's size for a width x height preferred mode: the launcher
 * makes it so, the device checks it. */
static inline uint64_t scanout_memfd_size(uint32_t width, uint32_t height)
{
	uint64_t px = (uint64_t)width * height;

	return SCANOUT_PIXELS_OFFSET +
	       (px < SCANOUT_MIN_PIXELS ? SCANOUT_MIN_PIXELS : px) * 4;
}

struct scanout_header {
	uint64_t magic;
	uint64_t seq;        /* odd: an update is being written */
	uint32_t enabled;    /* 0: no resource on the scanout (blank) */
	uint32_t width;      /* pixels */
	uint32_t height;
	uint32_t stride;     /* bytes per row, width * 4 */
	uint32_t format;     /* VIRTIO_GPU_FORMAT_*, 4 bytes per pixel */
	uint32_t reserved[9];
};

#endif
