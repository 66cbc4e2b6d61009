/* SPDX-License-Identifier: MIT */
/*
 * Decoding of atoll-virtio-gpu's control commands: the header, each
 * command's exact size, the response and its fence. What a command names
 * is checked by gpu-res.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu-internal.h"
#include "log.h"
#include "scanout.h"

/* The first refusals are logged, then one in LOG_EVERY: a guest that
 * sends nothing else must not fill the log. */
#define LOG_FIRST 20u
#define LOG_EVERY 1000u

uint32_t gpu_refuse(struct gpu *g, uint32_t err, const char *fmt, ...)
{
	uint64_t n = ++g->stats.refused;

	if (n <= LOG_FIRST || n % LOG_EVERY == 0) {
		char msg[200];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_warn("refused guest command (%llu so far): %s",
			 (unsigned long long)n, msg);
	}
	return err;
}

struct gpu *gpu_new(const struct gpu_config *cfg)
{
	struct gpu *g;

	if (cfg->scanout_size < SCANOUT_PIXELS_OFFSET)
		return NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return NULL;
	g->cfg = *cfg;
	memset(cfg->scanout, 0, SCANOUT_PIXELS_OFFSET);
	((struct scanout_header *)cfg->scanout)->magic = SCANOUT_MAGIC;
	return g;
}

void gpu_free(struct gpu *g)
{
	if (!g)
		return;
	res_free_all(g);
	free(g);
}

void gpu_reset(struct gpu *g)
{
	res_free_all(g);
}

void gpu_stats(const struct gpu *g, struct gpu_stats *s)
{
	*s = g->stats;
}

uint64_t gpu_scanout_hash(const struct gpu *g)
{
	const struct scanout_header *h =
		(const struct scanout_header *)g->cfg.scanout;
	const uint8_t *p = g->cfg.scanout + SCANOUT_PIXELS_OFFSET;
	uint64_t hash = 0xcbf29ce484222325ull;

	if (!h->enabled)
		return 0;
	for (uint64_t i = 0; i < (uint64_t)h->stride * h->height; i++)
		hash = (hash ^ p[i]) * 0x100000001b3ull;
	return hash;
}

static size_t display_info(const struct gpu *g, uint8_t *resp)
{
	struct virtio_gpu_resp_display_info d = { 0 };

	d.hdr.type = VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
	d.pmodes[0].r.width = g->cfg.width;
	d.pmodes[0].r.height = g->cfg.height;
	d.pmodes[0].enabled = 1;
	memcpy(resp, &d, sizeof(d));
	return sizeof(d);
}

static size_t edid(struct gpu *g, const uint8_t *req, uint8_t *resp)
{
	struct virtio_gpu_cmd_get_edid c;
	struct virtio_gpu_resp_edid e = { 0 };

	memcpy(&c, req, sizeof(c));
	if (c.scanout != 0) {
		e.hdr.type = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
					"get_edid: scanout %u", c.scanout);
		memcpy(resp, &e.hdr, sizeof(e.hdr));
		return sizeof(e.hdr);
	}
	e.hdr.type = VIRTIO_GPU_RESP_OK_EDID;
	e.size = 128;
	gpu_edid(e.edid, g->cfg.width, g->cfg.height);
	memcpy(resp, &e, sizeof(e));
	return sizeof(e);
}

/* Runs a command with no data in its response; returns the type. */
static uint32_t run_nodata(struct gpu *g, uint32_t type, const uint8_t *req,
			   size_t len)
{
	switch (type) {
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: {
		struct virtio_gpu_resource_create_2d c;

		memcpy(&c, req, sizeof(c));
		return res_create(g, c.resource_id, c.format, c.width, c.height);
	}
	case VIRTIO_GPU_CMD_RESOURCE_UNREF: {
		struct virtio_gpu_resource_unref c;

		memcpy(&c, req, sizeof(c));
		return res_unref(g, c.resource_id);
	}
	case VIRTIO_GPU_CMD_SET_SCANOUT: {
		struct virtio_gpu_set_scanout c;

		memcpy(&c, req, sizeof(c));
		return res_set_scanout(g, c.scanout_id, c.resource_id, &c.r);
	}
	case VIRTIO_GPU_CMD_RESOURCE_FLUSH: {
		struct virtio_gpu_resource_flush c;

		memcpy(&c, req, sizeof(c));
		return res_flush(g, c.resource_id, &c.r);
	}
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: {
		struct virtio_gpu_transfer_to_host_2d c;

		memcpy(&c, req, sizeof(c));
		return res_transfer(g, c.resource_id, &c.r, c.offset);
	}
	case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: {
		struct virtio_gpu_resource_attach_backing c;

		memcpy(&c, req, sizeof(c));
		/* The entries follow the command, all of them in this request. */
		if (c.nr_entries > (len - sizeof(c)) /
				   sizeof(struct virtio_gpu_mem_entry))
			return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
					  "attach: %u entries, %zu bytes sent",
					  c.nr_entries, len - sizeof(c));
		return res_attach(g, c.resource_id, req + sizeof(c),
				  c.nr_entries);
	}
	case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: {
		struct virtio_gpu_resource_detach_backing c;

		memcpy(&c, req, sizeof(c));
		return res_detach(g, c.resource_id);
	}
	default:
		return gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				  "command %#x is not supported", type);
	}
}

/* The size of command `type`'s struct; 0 for a type not served. */
static size_t cmd_size(uint32_t type)
{
	switch (type) {
	case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
		return sizeof(struct virtio_gpu_ctrl_hdr);
	case VIRTIO_GPU_CMD_GET_EDID:
		return sizeof(struct virtio_gpu_cmd_get_edid);
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
		return sizeof(struct virtio_gpu_resource_create_2d);
	case VIRTIO_GPU_CMD_RESOURCE_UNREF:
		return sizeof(struct virtio_gpu_resource_unref);
	case VIRTIO_GPU_CMD_SET_SCANOUT:
		return sizeof(struct virtio_gpu_set_scanout);
	case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
		return sizeof(struct virtio_gpu_resource_flush);
	case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
		return sizeof(struct virtio_gpu_transfer_to_host_2d);
	case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
		return sizeof(struct virtio_gpu_resource_attach_backing);
	case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
		return sizeof(struct virtio_gpu_resource_detach_backing);
	default:
		return sizeof(struct virtio_gpu_ctrl_hdr);
	}
}

/* The response carries the request's fence (flag, id and context), so the
 * driver can match it. */
static void fence(const struct virtio_gpu_ctrl_hdr *in, uint8_t *resp)
{
	struct virtio_gpu_ctrl_hdr out;

	memcpy(&out, resp, sizeof(out));
	if (in->flags & VIRTIO_GPU_FLAG_FENCE) {
		out.flags |= VIRTIO_GPU_FLAG_FENCE;
		out.fence_id = in->fence_id;
		out.ctx_id = in->ctx_id;
	}
	memcpy(resp, &out, sizeof(out));
}

size_t gpu_ctrl(struct gpu *g, const uint8_t *req, size_t len, uint8_t *resp)
{
	struct virtio_gpu_ctrl_hdr in = { 0 }, out = { 0 };
	size_t n = sizeof(out);

	g->stats.commands++;
	memset(resp, 0, sizeof(out));
	if (len < sizeof(in)) {
		out.type = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				      "command of %zu bytes", len);
		memcpy(resp, &out, sizeof(out));
		return n;
	}
	memcpy(&in, req, sizeof(in));
	if (len < cmd_size(in.type)) {
		out.type = gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
				      "command %#x of %zu bytes, wanted %zu",
				      in.type, len, cmd_size(in.type));
		memcpy(resp, &out, sizeof(out));
	} else if (in.type == VIRTIO_GPU_CMD_GET_DISPLAY_INFO) {
		n = display_info(g, resp);
	} else if (in.type == VIRTIO_GPU_CMD_GET_EDID) {
		n = edid(g, req, resp);
	} else {
		out.type = run_nodata(g, in.type, req, len);
		memcpy(resp, &out, sizeof(out));
	}
	fence(&in, resp);
	return n;
}

void gpu_cursor(struct gpu *g, const uint8_t *req, size_t len)
{
	(void)req;
	if (len < sizeof(struct virtio_gpu_update_cursor))
		gpu_refuse(g, VIRTIO_GPU_RESP_ERR_UNSPEC,
			   "cursor command of %zu bytes", len);
}
