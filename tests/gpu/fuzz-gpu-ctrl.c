/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a hostile driver against atoll-virtio-gpu's control-command
 * parser (dev-gpu/gpu.h). The input is a byte N, the first 16 * N bytes
 * of guest RAM (what backings point at) and a run of commands, each a
 * 16-bit length and its bytes. Half the time a command's type is forced to one the device
 * serves, so the run gets past the header into each command's checks.
 * Aborts when a response is shorter than a header or longer than
 * GPU_MAX_RESP, the scanout header's magic changes, or what it shows
 * would not fit in the scanout memory; ASan/UBSan catch any access
 * outside the resources, the backing or the memfd.
 */
#include <linux/virtio_gpu.h>
#include <stdlib.h>

#include "gpu-fake.h"
#include "log.h"

static const uint32_t served[] = {
	VIRTIO_GPU_CMD_GET_DISPLAY_INFO, VIRTIO_GPU_CMD_GET_EDID,
	VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, VIRTIO_GPU_CMD_RESOURCE_UNREF,
	VIRTIO_GPU_CMD_SET_SCANOUT, VIRTIO_GPU_CMD_RESOURCE_FLUSH,
	VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
	VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
	VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t formats[] = {
	VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
	VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM,
	VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM,
	VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM,
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Small values in every field after the header, which the fuzzer then
 * varies around the edges (a rectangle one pixel past, a backing a few
 * bytes short). */
static void tame(uint8_t *req, size_t len, uint32_t type)
{
	size_t hdr = sizeof(struct virtio_gpu_ctrl_hdr);

	for (size_t at = hdr; at + 4 <= len; at += 4)
		put32(req + at, get32(req + at) % 72);
	if (type == VIRTIO_GPU_CMD_RESOURCE_CREATE_2D && len >= hdr + 8)
		put32(req + hdr + 4, formats[get32(req + hdr + 4) % 8]);
	if (type != VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING)
		return;
	for (size_t at = hdr + 8; at + 16 <= len; at += 16) {
		uint64_t gpa = FAKE_BASE + get32(req + at) * 64ull;

		memcpy(req + at, &gpa, sizeof(gpa));
		put32(req + at + 8, get32(req + at + 8) * 64 + 64);
	}
}

static void check_scanout(const struct fake *f)
{
	const struct scanout_header *h = (const void *)f->scanout;

	if (h->magic != SCANOUT_MAGIC)
		abort();
	if (h->enabled && (h->stride != h->width * 4 ||
			   (uint64_t)h->stride * h->height >
			   sizeof(f->scanout) - SCANOUT_PIXELS_OFFSET))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake *f;
	static uint8_t req[GPU_MAX_REQ];
	uint8_t resp[GPU_MAX_RESP];
	struct gpu *g;
	size_t ram;

	if (!f) {
		log_init("fuzz-gpu-ctrl", ATOLL_LOG_ERROR);
		f = calloc(1, sizeof(*f));
	}
	if (!size)
		return 0;
	ram = (size_t)data[0] * 16;
	if (ram > size - 1)
		ram = size - 1;
	memset(f->ram, 0, 4096);
	memcpy(f->ram, data + 1, ram);
	/* A small budget, so that creates run out of it too. */
	g = fake_gpu(f, 1u << 20);
	if (!g)
		abort();
	for (size_t at = 1 + ram; at + 2 <= size;) {
		size_t len = data[at] | (size_t)data[at + 1] << 8, n;

		at += 2;
		if (len > size - at)
			len = size - at;
		memcpy(req, data + at, len);
		at += len;
		/* The type's top byte (0 in every real command) says. */
		if (len >= 4 && (req[3] & 1)) {
			uint32_t t = served[req[1] % (sizeof(served) /
						      sizeof(served[0]))];
			bool tamed = req[3] & 2;

			memcpy(req, &t, sizeof(t));
			if (tamed)
				tame(req, len, t);
		}
		n = gpu_ctrl(g, req, len, resp);
		if (n < sizeof(struct virtio_gpu_ctrl_hdr) || n > GPU_MAX_RESP)
			abort();
		check_scanout(f);
		if (len == 1)
			gpu_reset(g);
	}
	gpu_free(g);
	check_scanout(f);
	return 0;
}
