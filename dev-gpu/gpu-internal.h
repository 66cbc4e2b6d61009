/* SPDX-License-Identifier: MIT */
/* atoll-virtio-gpu's state, shared by gpu-cmd.c (decoding) and gpu-res.c
 * (resources, backing, the scanout). */
#ifndef ATOLL_GPU_INTERNAL_H
#define ATOLL_GPU_INTERNAL_H

#include <linux/virtio_gpu.h>

#include "gpu.h"

struct gpu_backing {
	uint64_t gpa;
	uint32_t len;
};

struct gpu_res {
	uint32_t id;                 /* 0: free slot */
	uint32_t format, width, height;
	uint8_t *pixels;             /* width * height * 4, host memory */
	struct gpu_backing *backing; /* NULL: none attached */
	uint32_t nbacking;
	uint64_t backing_bytes;      /* sum of the entries' lengths */
};

struct gpu {
	struct gpu_config cfg;
	struct gpu_res res[GPU_MAX_RESOURCES];
	/* The scanout: a resource and the rectangle of it shown. */
	uint32_t scanout_res;        /* 0: disabled */
	struct virtio_gpu_rect scanout_rect;
	struct gpu_stats stats;
};

/* Response types, which gpu-res.c returns and gpu-cmd.c sends. */
#define OK VIRTIO_GPU_RESP_OK_NODATA

/* Counts and logs (rate-limited: a guest may send nothing else) a
 * refused command; returns err, the response type to send. */
uint32_t gpu_refuse(struct gpu *g, uint32_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint32_t res_create(struct gpu *g, uint32_t id, uint32_t format,
		    uint32_t width, uint32_t height);
uint32_t res_unref(struct gpu *g, uint32_t id);
uint32_t res_attach(struct gpu *g, uint32_t id, const uint8_t *entries,
		    uint32_t n);
uint32_t res_detach(struct gpu *g, uint32_t id);
uint32_t res_transfer(struct gpu *g, uint32_t id,
		      const struct virtio_gpu_rect *r, uint64_t offset);
uint32_t res_set_scanout(struct gpu *g, uint32_t scanout, uint32_t id,
			 const struct virtio_gpu_rect *r);
uint32_t res_flush(struct gpu *g, uint32_t id,
		   const struct virtio_gpu_rect *r);
void res_free_all(struct gpu *g);

#endif
