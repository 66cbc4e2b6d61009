/* SPDX-License-Identifier: MIT */
/*
 * QMP screendump's image: the scanout's pixels as 8-bit RGB, in a binary
 * PPM (P6) or a PNG (libpng). The header is copied and checked against
 * the mapping's size first: the writer of the memfd is another process.
 */
#include <errno.h>
#include <linux/virtio_gpu.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanout.h"
#include "screendump.h"

int scanout_rgb_offsets(uint32_t format, struct rgb_at *at)
{
	switch (format) {
	case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
	case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
		*at = (struct rgb_at){ 2, 1, 0 };
		return 0;
	case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
		*at = (struct rgb_at){ 1, 2, 3 };
		return 0;
	case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM:
		*at = (struct rgb_at){ 0, 1, 2 };
		return 0;
	case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
		*at = (struct rgb_at){ 3, 2, 1 };
		return 0;
	default:
		return -EINVAL;
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void row_rgb(uint8_t *out, const uint8_t *in, uint32_t width,
		    struct rgb_at at)
{
	for (uint32_t x = 0; x < width; x++, in += 4) {
		*out++ = in[at.r];
		*out++ = in[at.g];
		*out++ = in[at.b];
	}
}

struct image {
	struct scanout_header h;
	const uint8_t *pixels;
	struct rgb_at at;
	uint8_t *row;                /* width * 3 */
};

static int write_ppm(int fd, const struct image *im)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "P6\n%u %u\n255\n", im->h.width,
			 im->h.height), rc;

	if ((rc = write_all(fd, head, (size_t)n)) < 0)
		return rc;
	for (uint32_t y = 0; y < im->h.height; y++) {
		row_rgb(im->row, im->pixels + (size_t)y * im->h.stride,
			im->h.width, im->at);
		if ((rc = write_all(fd, im->row, (size_t)im->h.width * 3)) < 0)
			return rc;
	}
	return 0;
}

struct png_sink {
	int fd;
	int err;
};

static void png_sink_write(png_structp png, png_bytep data, size_t len)
{
	struct png_sink *s = png_get_io_ptr(png);

	if (!s->err)
		s->err = write_all(s->fd, data, len);
	if (s->err)
		png_error(png, "write failed");
}

static void png_sink_flush(png_structp png)
{
	(void)png;
}

static int write_png(int fd, const struct image *im)
{
	struct png_sink sink = { fd, 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return sink.err ? sink.err : -EIO;
	}
	png_set_write_fn(png, &sink, png_sink_write, png_sink_flush);
	/* Fast over small: a dump is taken while the guest runs. */
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, im->h.width, im->h.height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < im->h.height; y++) {
		row_rgb(im->row, im->pixels + (size_t)y * im->h.stride,
			im->h.width, im->at);
		png_write_row(png, im->row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int screendump_write(int fd, enum screendump_format fmt,
		     const uint8_t *scanout, size_t size, char *why,
		     size_t whylen)
{
	struct image im;
	int rc;

	if (size < SCANOUT_PIXELS_OFFSET) {
		snprintf(why, whylen, "no scanout memory");
		return -EINVAL;
	}
	memcpy(&im.h, scanout, sizeof(im.h));
	if (im.h.magic != SCANOUT_MAGIC || !im.h.enabled) {
		snprintf(why, whylen, "the guest shows nothing on the scanout");
		return -ENODATA;
	}
	if (!im.h.width || !im.h.height || im.h.stride / 4 < im.h.width ||
	    (uint64_t)im.h.stride * im.h.height > size - SCANOUT_PIXELS_OFFSET ||
	    scanout_rgb_offsets(im.h.format, &im.at) < 0) {
		snprintf(why, whylen, "the scanout header is inconsistent "
			 "(%ux%u, stride %u, format %u)", im.h.width,
			 im.h.height, im.h.stride, im.h.format);
		return -EINVAL;
	}
	im.pixels = scanout + SCANOUT_PIXELS_OFFSET;
	if (!(im.row = malloc((size_t)im.h.width * 3))) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	rc = fmt == SCREENDUMP_PNG ? write_png(fd, &im) : write_ppm(fd, &im);
	free(im.row);
	if (rc < 0)
		snprintf(why, whylen, "cannot write the image: %s",
			 strerror(-rc));
	return rc;
}
