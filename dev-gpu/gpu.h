/* SPDX-License-Identifier: MIT */
/*
 * The virtio-gpu 2D command set of atoll-virtio-gpu, apart from virtio and
 * the bus so that the unit test and the fuzzer drive exactly what the
 * device runs: one control command in (the bytes of its device-readable
 * buffers), one response out. Guest memory is reached only through
 * struct gpu_mem_ops, which checks every range against the memory grant.
 *
 * Every guest-supplied value is checked before use: command sizes,
 * resource ids (0, unknown, taken), formats (the 32-bit ones), sizes
 * (width and height up to GPU_MAX_DIM, host memory within the budget),
 * rectangles (inside their resource), backing entries (count, length,
 * inside guest RAM) and transfer offsets (inside the backing). A bad
 * command gets an error response, is counted and logged, and changes
 * nothing.
 */
#ifndef ATOLL_GPU_H
#define ATOLL_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPU_MAX_DIM 16384u
/* Backing entries one ATTACH_BACKING may carry (as QEMU). */
#define GPU_MAX_ENTRIES 16384u
/* The largest control command: ATTACH_BACKING with every entry. */
#define GPU_MAX_REQ (32u + GPU_MAX_ENTRIES * 16u)
/* The largest response (RESP_OK_EDID). */
#define GPU_MAX_RESP 1100u
#define GPU_MAX_RESOURCES 1024u

struct gpu_mem_ops {
	/* True if guest-physical [gpa, gpa + len) is readable guest RAM. */
	bool (*ok)(void *opaque, uint64_t gpa, uint64_t len);
	/* Copies len bytes from gpa; 0 or a negative errno. */
	int (*read)(void *opaque, uint64_t gpa, void *dst, size_t len);
};

struct gpu_config {
	uint32_t width, height;      /* the display mode offered */
	uint64_t mem_budget;         /* bytes of host resources allowed */
	/* The scanout memfd's mapping (struct scanout_header, then pixels). */
	uint8_t *scanout;
	size_t scanout_size;
	const struct gpu_mem_ops *mem;
	void *mem_opaque;
	/* Optional: [x, x + w) x [y, y + h) of the scanout (its pixels) was
	 * just written to the memfd (RESOURCE_FLUSH, SET_SCANOUT). */
	void (*dirty)(void *opaque, uint32_t x, uint32_t y, uint32_t w,
		      uint32_t h);
	void *dirty_opaque;
};

struct gpu_stats {
	uint64_t commands, refused, flushes, transfers;
	uint64_t mem_used;           /* bytes of host resources */
	unsigned resources;
};

struct gpu;

struct gpu *gpu_new(const struct gpu_config *cfg);
void gpu_free(struct gpu *g);

/* Handles one control command of `len` bytes; writes its response to
 * resp (GPU_MAX_RESP bytes) and returns the response's length. */
size_t gpu_ctrl(struct gpu *g, const uint8_t *req, size_t len, uint8_t *resp);
/* A cursor-queue command: checked for its size and otherwise ignored (no
 * cursor plane). */
void gpu_cursor(struct gpu *g, const uint8_t *req, size_t len);
/* Forgets every resource and blanks the scanout (device reset). */
void gpu_reset(struct gpu *g);
void gpu_stats(const struct gpu *g, struct gpu_stats *s);
/* A 64-bit FNV-1a of the scanout's visible pixels (rows of width * 4
 * bytes), 0 when it is blank: the shut-down log line, which the guest
 * test compares with the pattern it wrote. */
uint64_t gpu_scanout_hash(const struct gpu *g);

/* The EDID 1.4 base block for a width x height display (gpu-edid.c). */
void gpu_edid(uint8_t out[128], uint32_t width, uint32_t height);

#endif
