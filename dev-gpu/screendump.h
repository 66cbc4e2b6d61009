/* SPDX-License-Identifier: MIT */
/* Writes what a scanout memfd (scanout.h) shows as a PPM or PNG image:
 * QMP screendump, served by whoever holds the scanout. */
#ifndef ATOLL_GPU_SCREENDUMP_H
#define ATOLL_GPU_SCREENDUMP_H

#include <stddef.h>
#include <stdint.h>

enum screendump_format { SCREENDUMP_PPM, SCREENDUMP_PNG };

/* Where red, green and blue sit in a pixel's 4 bytes, by virtio-gpu
 * format. */
struct rgb_at {
	uint8_t r, g, b;
};

/* 0, or -EINVAL for a format that is not one of the eight 32-bit ones. */
int scanout_rgb_offsets(uint32_t format, struct rgb_at *at);

/* Writes the image to fd (from its current offset). Returns 0, or a
 * negative errno with why (whylen bytes) saying what failed: -ENODATA when
 * the scanout shows nothing, -EINVAL for a header that does not fit the
 * mapping, -EIO or the write's errno. */
int screendump_write(int fd, enum screendump_format fmt,
		     const uint8_t *scanout, size_t size, char *why,
		     size_t whylen);

#endif
