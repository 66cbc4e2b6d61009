/* SPDX-License-Identifier: MIT */
/*
 * Resources of atoll-virtio-gpu: 2D images in host memory, the guest
 * pages backing each (kept as guest-physical ranges, read through the
 * memory grant at every transfer), and the one scanout, copied into the
 * scanout memfd on RESOURCE_FLUSH. Every value reaching here has been
 * decoded by gpu-cmd.c but not otherwise checked: all of it is checked
 * here against the resource it names.
 */
#include <stdlib.h>
#include <string.h>

#include "gpu-internal.h"
#include "scanout.h"

#define BPP 4u

static bool format_ok(uint32_t f)
{
	switch (f) {
	case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
	case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
	case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
	case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM:
		return true;
	default:
		return false;
	}
}

static struct gpu_res *res_find(struct gpu *g, uint32_t id)
{
	if (!id)
		return NULL;
	for (unsigned i = 0; i < GPU_MAX_RESOURCES; i++)
		if (g->res[i].id == id)
			return &g->res[i];
	return NULL;
}

/* Inside a w x h resource, computed without overflow. */
static bool rect_inside(const struct virtio_gpu_rect *r, uint32_t w,
			uint32_t h)
{
	return r->width && r->height && r->x <= w && r->width <= w - r->x &&
	       r->y <= h && r->height <= h - r->y;
}

uint32_t res_create(struct gpu *g, uint32_t id, uint32_t format,
		    uint32_t width, uint32_t height)
{
	struct gpu_res *slot = NULL;
	uint64_t bytes = (uint64_t)width * height * BPP;

	if (!id || res_find(g, id))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "create: resource id %u is %s", id,
				  id ? "taken" : "0");
	if (!format_ok(format))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "create: format %u is not a 32-bit one",
				  format);
	if (!width || !height || width > GPU_MAX_DIM || height > GPU_MAX_DIM)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "create: size %ux%u", width, height);
	if (bytes > g->cfg.mem_budget - g->stats.mem_used)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
				  "create: %ux%u needs %llu bytes, %llu left",
				  width, height, (unsigned long long)bytes,
				  (unsigned long long)(g->cfg.mem_budget -
						       g->stats.mem_used));
	for (unsigned i = 0; i < GPU_MAX_RESOURCES && !slot; i++)
		if (!g->res[i].id)
			slot = &g->res[i];
	if (!slot)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
				  "create: %u resources already",
				  GPU_MAX_RESOURCES);
	slot->pixels = calloc(1, bytes);
	if (!slot->pixels)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
				  "create: no host memory for %ux%u", width,
				  height);
	slot->id = id;
	slot->format = format;
	slot->width = width;
	slot->height = height;
	g->stats.mem_used += bytes;
	g->stats.resources++;
	return OK;
}

static void scanout_blank(struct gpu *g)
{
	struct scanout_header *h = (struct scanout_header *)g->cfg.scanout;

	g->scanout_res = 0;
	h->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	h->enabled = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	h->seq++;
}

static void res_drop(struct gpu *g, struct gpu_res *r)
{
	if (g->scanout_res == r->id)
		scanout_blank(g);
	g->stats.mem_used -= (uint64_t)r->width * r->height * BPP;
	g->stats.resources--;
	free(r->pixels);
	free(r->backing);
	memset(r, 0, sizeof(*r));
}

uint32_t res_unref(struct gpu *g, uint32_t id)
{
	struct gpu_res *r = res_find(g, id);

	if (!r)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "unref: no resource %u", id);
	res_drop(g, r);
	return OK;
}

void res_free_all(struct gpu *g)
{
	for (unsigned i = 0; i < GPU_MAX_RESOURCES; i++)
		if (g->res[i].id)
			res_drop(g, &g->res[i]);
	scanout_blank(g);
}

/* `entries` holds n struct virtio_gpu_mem_entry, unaligned, as the guest
 * sent them. */
uint32_t res_attach(struct gpu *g, uint32_t id, const uint8_t *entries,
		    uint32_t n)
{
	struct gpu_res *r = res_find(g, id);
	struct gpu_backing *b;
	uint64_t total = 0;

	if (!r)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "attach: no resource %u", id);
	if (r->backing)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				  "attach: resource %u has a backing already",
				  id);
	if (!n || n > GPU_MAX_ENTRIES)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "attach: %u entries", n);
	if (!(b = calloc(n, sizeof(*b))))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
				  "attach: no host memory for %u entries", n);
	for (uint32_t i = 0; i < n; i++) {
		struct virtio_gpu_mem_entry e;

		memcpy(&e, entries + (size_t)i * sizeof(e), sizeof(e));
		if (!e.length || !g->cfg.mem->ok(g->cfg.mem_opaque, e.addr,
						 e.length)) {
			free(b);
			return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
					  "attach: entry %u [%#llx, +%u) is not "
					  "guest RAM", i,
					  (unsigned long long)e.addr, e.length);
		}
		b[i] = (struct gpu_backing){ e.addr, e.length };
		total += e.length;   /* < 2^46: no overflow */
	}
	r->backing = b;
	r->nbacking = n;
	r->backing_bytes = total;
	return OK;
}

uint32_t res_detach(struct gpu *g, uint32_t id)
{
	struct gpu_res *r = res_find(g, id);

	if (!r)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "detach: no resource %u", id);
	if (!r->backing)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				  "detach: resource %u has no backing", id);
	free(r->backing);
	r->backing = NULL;
	r->nbacking = 0;
	r->backing_bytes = 0;
	return OK;
}

/* Copies len bytes at offset `off` of r's backing (inside it: checked by
 * the caller) into dst. The guest may have unmapped nothing: every entry
 * was checked at attach and the grant does not shrink; a read that still
 * fails leaves dst as it was. */
static int backing_read(struct gpu *g, const struct gpu_res *r, uint64_t off,
			uint8_t *dst, uint64_t len)
{
	uint32_t i = 0;

	while (i < r->nbacking && off >= r->backing[i].len)
		off -= r->backing[i++].len;
	while (len && i < r->nbacking) {
		uint64_t n = r->backing[i].len - off;
		int rc;

		if (n > len)
			n = len;
		rc = g->cfg.mem->read(g->cfg.mem_opaque, r->backing[i].gpa + off,
				      dst, n);
		if (rc < 0)
			return rc;
		dst += n;
		len -= n;
		off = 0;
		i++;
	}
	return len ? -1 : 0;
}

/* As QEMU: row h of the rectangle comes from offset + h * stride of the
 * backing (the guest's offset already points at the rectangle's first
 * pixel) and goes to its place in the resource. */
uint32_t res_transfer(struct gpu *g, uint32_t id,
		      const struct virtio_gpu_rect *rect, uint64_t offset)
{
	struct gpu_res *r = res_find(g, id);
	uint64_t stride, row, last;

	if (!r)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "transfer: no resource %u", id);
	if (!r->backing)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				  "transfer: resource %u has no backing", id);
	if (!rect_inside(rect, r->width, r->height))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "transfer: rect %ux%u+%u+%u outside %ux%u",
				  rect->width, rect->height, rect->x, rect->y,
				  r->width, r->height);
	stride = (uint64_t)r->width * BPP;
	row = (uint64_t)rect->width * BPP;
	/* The last row's end, below 2^30 (stride <= 2^16, height <= 2^14);
	 * the offset is compared on its own first, so nothing overflows. */
	last = stride * (rect->height - 1) + row;
	if (offset > r->backing_bytes || last > r->backing_bytes - offset)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "transfer: offset %llu + %llu bytes past the "
				  "backing's %llu", (unsigned long long)offset,
				  (unsigned long long)last,
				  (unsigned long long)r->backing_bytes);
	for (uint32_t h = 0; h < rect->height; h++) {
		uint8_t *dst = r->pixels + (rect->y + h) * stride +
			       (uint64_t)rect->x * BPP;

		if (backing_read(g, r, offset + h * stride, dst, row) < 0)
			return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
					  "transfer: guest memory unreadable");
	}
	g->stats.transfers++;
	return OK;
}

/* The largest width x height the memfd's pixel area holds. */
static bool scanout_fits(const struct gpu *g, uint32_t w, uint32_t h)
{
	return (uint64_t)w * h * BPP <=
	       g->cfg.scanout_size - SCANOUT_PIXELS_OFFSET;
}

uint32_t res_set_scanout(struct gpu *g, uint32_t scanout, uint32_t id,
			 const struct virtio_gpu_rect *rect)
{
	struct scanout_header *h = (struct scanout_header *)g->cfg.scanout;
	struct gpu_res *r;

	if (scanout != 0)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
				  "set_scanout: scanout %u (there is one)",
				  scanout);
	if (!id) {
		scanout_blank(g);
		return OK;
	}
	if (!(r = res_find(g, id)))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "set_scanout: no resource %u", id);
	if (!rect_inside(rect, r->width, r->height))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "set_scanout: rect %ux%u+%u+%u outside %ux%u",
				  rect->width, rect->height, rect->x, rect->y,
				  r->width, r->height);
	if (!scanout_fits(g, rect->width, rect->height))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "set_scanout: %ux%u is larger than the "
				  "scanout memory", rect->width, rect->height);
	g->scanout_res = id;
	g->scanout_rect = *rect;
	h->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	h->enabled = 1;
	h->width = rect->width;
	h->height = rect->height;
	h->stride = rect->width * BPP;
	h->format = r->format;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	h->seq++;
	if (g->cfg.dirty)
		g->cfg.dirty(g->cfg.dirty_opaque, 0, 0, rect->width,
			     rect->height);
	return OK;
}

/* Copies the part of `rect` (resource coordinates) that the scanout shows
 * into the memfd. */
static void scanout_copy(struct gpu *g, const struct gpu_res *r,
			 const struct virtio_gpu_rect *rect)
{
	struct scanout_header *h = (struct scanout_header *)g->cfg.scanout;
	const struct virtio_gpu_rect *s = &g->scanout_rect;
	uint64_t x0 = rect->x > s->x ? rect->x : s->x;
	uint64_t y0 = rect->y > s->y ? rect->y : s->y;
	uint64_t x1 = (uint64_t)rect->x + rect->width;
	uint64_t y1 = (uint64_t)rect->y + rect->height;
	uint8_t *px = g->cfg.scanout + SCANOUT_PIXELS_OFFSET;

	if (x1 > (uint64_t)s->x + s->width)
		x1 = (uint64_t)s->x + s->width;
	if (y1 > (uint64_t)s->y + s->height)
		y1 = (uint64_t)s->y + s->height;
	if (x0 >= x1 || y0 >= y1)
		return;
	h->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (uint64_t y = y0; y < y1; y++)
		memcpy(px + (y - s->y) * s->width * BPP + (x0 - s->x) * BPP,
		       r->pixels + (y * r->width + x0) * BPP, (x1 - x0) * BPP);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	h->seq++;
	if (g->cfg.dirty)
		g->cfg.dirty(g->cfg.dirty_opaque, (uint32_t)(x0 - s->x),
			     (uint32_t)(y0 - s->y), (uint32_t)(x1 - x0),
			     (uint32_t)(y1 - y0));
}

uint32_t res_flush(struct gpu *g, uint32_t id,
		   const struct virtio_gpu_rect *rect)
{
	struct gpu_res *r = res_find(g, id);

	if (!r)
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
				  "flush: no resource %u", id);
	if (!rect_inside(rect, r->width, r->height))
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
				  "flush: rect %ux%u+%u+%u outside %ux%u",
				  rect->width, rect->height, rect->x, rect->y,
				  r->width, r->height);
	if (g->scanout_res == id)
		scanout_copy(g, r, rect);
	g->stats.flushes++;
	return OK;
}
