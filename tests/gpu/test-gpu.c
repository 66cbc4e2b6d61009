/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-gpu's command set (dev-gpu/gpu.h) against fake guest RAM:
 * the display info and EDID, a resource drawn through a split backing
 * and shown on the scanout memfd pixel for pixel (a whole and a partial
 * transfer), unref blanking the scanout, and every hostile value refused
 * with the right error and nothing changed; the screendump writer's PPM
 * is the scanout's pixels as RGB, and a blank or inconsistent scanout
 * header is refused.
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_gpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu-fake.h"
#include "screendump.h"
#include "test-util.h"

static struct fake *f;
static struct gpu *g;

static void setup(void)
{
	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	g = fake_gpu(f, 1u << 20);
	ck_assert_ptr_nonnull(g);
}

static void teardown(void)
{
	gpu_free(g);
	free(f);
}

static uint32_t send(const void *cmd, size_t len)
{
	uint8_t resp[GPU_MAX_RESP];
	struct virtio_gpu_ctrl_hdr h;

	ck_assert_uint_ge(gpu_ctrl(g, cmd, len, resp), sizeof(h));
	memcpy(&h, resp, sizeof(h));
	return h.type;
}

static uint32_t create(uint32_t id, uint32_t fmt, uint32_t w, uint32_t h)
{
	struct virtio_gpu_resource_create_2d c = {
		.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
		.resource_id = id, .format = fmt, .width = w, .height = h,
	};
	return send(&c, sizeof(c));
}

/* Backing of n entries, each `len` bytes, at gpa, gpa + step, ... */
static uint32_t attach(uint32_t id, uint32_t n, uint64_t gpa, uint32_t len,
		       uint64_t step)
{
	struct {
		struct virtio_gpu_resource_attach_backing c;
		struct virtio_gpu_mem_entry e[8];
	} m = { .c = { .hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
		       .resource_id = id, .nr_entries = n } };

	for (uint32_t i = 0; i < n && i < 8; i++)
		m.e[i] = (struct virtio_gpu_mem_entry){ gpa + i * step, len, 0 };
	return send(&m, sizeof(m.c) + (n < 8 ? n : 8) * sizeof(m.e[0]));
}

static uint32_t transfer(uint32_t id, uint32_t x, uint32_t y, uint32_t w,
			 uint32_t h, uint64_t off)
{
	struct virtio_gpu_transfer_to_host_2d c = {
		.hdr.type = VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
		.r = { x, y, w, h }, .offset = off, .resource_id = id,
	};
	return send(&c, sizeof(c));
}

static uint32_t scanout(uint32_t sid, uint32_t id, uint32_t x, uint32_t y,
			uint32_t w, uint32_t h)
{
	struct virtio_gpu_set_scanout c = {
		.hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT,
		.r = { x, y, w, h }, .scanout_id = sid, .resource_id = id,
	};
	return send(&c, sizeof(c));
}

static uint32_t flush(uint32_t id, uint32_t x, uint32_t y, uint32_t w,
		      uint32_t h)
{
	struct virtio_gpu_resource_flush c = {
		.hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH,
		.r = { x, y, w, h }, .resource_id = id,
	};
	return send(&c, sizeof(c));
}

static uint32_t unref(uint32_t id)
{
	struct virtio_gpu_resource_unref c = {
		.hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF, .resource_id = id,
	};
	return send(&c, sizeof(c));
}

static const struct scanout_header *hdr(void)
{
	return (const struct scanout_header *)f->scanout;
}

static uint32_t shown(uint32_t x, uint32_t y)
{
	uint32_t v;

	memcpy(&v, f->scanout + SCANOUT_PIXELS_OFFSET +
	       (y * hdr()->width + x) * 4, 4);
	return v;
}

#define OKND VIRTIO_GPU_RESP_OK_NODATA
#define BGRX VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM
/* A 16x8 resource's backing: two 256-byte pieces 4 KiB apart. */
#define W 16u
#define H 8u
#define PIECE (W * H * 4 / 2)

static uint32_t pattern(uint32_t x, uint32_t y)
{
	return 0x01000000u * (x + 1) + 0x10000u * (y + 1) + 0x55;
}

/* Guest pixels at (x, y) of the backing, whose two pieces are 4 KiB
 * apart in guest RAM. */
static void guest_draw(uint32_t (*px)(uint32_t, uint32_t))
{
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			uint32_t off = (y * W + x) * 4, v = px(x, y);

			memcpy(f->ram + (off < PIECE ? off : off - PIECE + 4096),
			       &v, 4);
		}
}

static void show_resource(void)
{
	ck_assert_uint_eq(create(7, BGRX, W, H), OKND);
	ck_assert_uint_eq(attach(7, 2, FAKE_BASE, PIECE, 4096), OKND);
	guest_draw(pattern);
	ck_assert_uint_eq(transfer(7, 0, 0, W, H, 0), OKND);
	ck_assert_uint_eq(scanout(0, 7, 0, 0, W, H), OKND);
	ck_assert_uint_eq(flush(7, 0, 0, W, H), OKND);
}

START_TEST(display_info_and_edid)
{
	struct virtio_gpu_ctrl_hdr q = { .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO };
	struct virtio_gpu_cmd_get_edid e = { .hdr.type = VIRTIO_GPU_CMD_GET_EDID };
	struct virtio_gpu_resp_display_info d;
	struct virtio_gpu_resp_edid ed;
	uint8_t resp[GPU_MAX_RESP], sum = 0;

	ck_assert_uint_eq(gpu_ctrl(g, (void *)&q, sizeof(q), resp), sizeof(d));
	memcpy(&d, resp, sizeof(d));
	ck_assert_uint_eq(d.hdr.type, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	ck_assert_uint_eq(d.pmodes[0].r.width, 1024);
	ck_assert_uint_eq(d.pmodes[0].r.height, 768);
	ck_assert_uint_eq(d.pmodes[0].enabled, 1);
	ck_assert_uint_eq(d.pmodes[1].enabled, 0);
	ck_assert_uint_eq(gpu_ctrl(g, (void *)&e, sizeof(e), resp), sizeof(ed));
	memcpy(&ed, resp, sizeof(ed));
	ck_assert_uint_eq(ed.hdr.type, VIRTIO_GPU_RESP_OK_EDID);
	ck_assert_uint_eq(ed.size, 128);
	for (int i = 0; i < 128; i++)
		sum += ed.edid[i];
	ck_assert_uint_eq(sum, 0);
	ck_assert_uint_eq(ed.edid[0], 0);
	ck_assert_uint_eq(ed.edid[1], 0xff);
	/* Preferred timing: 1024 x 768 active. */
	ck_assert_uint_eq(ed.edid[56] | (ed.edid[58] >> 4) << 8, 1024);
	ck_assert_uint_eq(ed.edid[59] | (ed.edid[61] >> 4) << 8, 768);
	e.scanout = 1;
	ck_assert_uint_eq(send(&e, sizeof(e)),
			  VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
}
END_TEST

START_TEST(draw_and_show)
{
	show_resource();
	ck_assert_uint_eq(hdr()->magic, SCANOUT_MAGIC);
	ck_assert_uint_eq(hdr()->enabled, 1);
	ck_assert_uint_eq(hdr()->width, W);
	ck_assert_uint_eq(hdr()->height, H);
	ck_assert_uint_eq(hdr()->stride, W * 4);
	ck_assert_uint_eq(hdr()->format, BGRX);
	ck_assert_uint_eq(hdr()->seq % 2, 0);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			ck_assert_uint_eq(shown(x, y), pattern(x, y));
}
END_TEST

static uint32_t other(uint32_t x, uint32_t y)
{
	return ~pattern(x, y);
}

/* The guest's offset points at the rectangle's first pixel (as Linux
 * sends it); rows step by the resource's stride. Outside the rectangle
 * nothing changes, and a flush of part of it shows only that part. */
START_TEST(partial_transfer_and_flush)
{
	show_resource();
	guest_draw(other);
	ck_assert_uint_eq(transfer(7, 4, 2, 4, 3, 2 * W * 4 + 4 * 4), OKND);
	ck_assert_uint_eq(flush(7, 4, 2, 4, 2), OKND);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			bool in = x >= 4 && x < 8 && y >= 2 && y < 4;

			ck_assert_uint_eq(shown(x, y), in ? other(x, y) :
					  pattern(x, y));
		}
	ck_assert_uint_eq(flush(7, 0, 0, W, H), OKND);
	ck_assert_uint_eq(shown(5, 4), other(5, 4));
	ck_assert_uint_eq(shown(5, 5), pattern(5, 5));
}
END_TEST

struct dirty_log {
	unsigned n;
	uint32_t r[8][4];
};

static void record_dirty(void *opaque, uint32_t x, uint32_t y, uint32_t w,
			 uint32_t h)
{
	struct dirty_log *l = opaque;

	ck_assert_uint_lt(l->n, 8);
	l->r[l->n][0] = x;
	l->r[l->n][1] = y;
	l->r[l->n][2] = w;
	l->r[l->n][3] = h;
	l->n++;
}

#define ck_dirty(l, i, x, y, w, h) do { \
	ck_assert_uint_eq((l)->r[i][0], x); ck_assert_uint_eq((l)->r[i][1], y); \
	ck_assert_uint_eq((l)->r[i][2], w); ck_assert_uint_eq((l)->r[i][3], h); \
} while (0)

/* What the display is told (SCANOUT_DIRTY): SET_SCANOUT the whole
 * scanout; a flush the flushed rectangle in scanout pixels, clipped to the
 * part shown; nothing for a flush outside it or a refused one. */
START_TEST(flush_reports_dirty)
{
	struct dirty_log l = { 0 };

	gpu_free(g);
	g = gpu_new(&(struct gpu_config){
		.width = 1024, .height = 768, .mem_budget = 1u << 20,
		.scanout = f->scanout, .scanout_size = sizeof(f->scanout),
		.mem = &fake_mem, .mem_opaque = f,
		.dirty = record_dirty, .dirty_opaque = &l,
	});
	ck_assert_ptr_nonnull(g);
	show_resource();
	ck_assert_uint_eq(l.n, 2);
	ck_dirty(&l, 0, 0, 0, W, H);
	ck_dirty(&l, 1, 0, 0, W, H);
	ck_assert_uint_eq(scanout(0, 7, 2, 1, 8, 4), OKND);
	ck_assert_uint_eq(flush(7, 4, 2, 4, 2), OKND);
	ck_assert_uint_eq(flush(7, 0, 3, W, 5), OKND);
	ck_assert_uint_eq(l.n, 5);
	ck_dirty(&l, 2, 0, 0, 8, 4);
	ck_dirty(&l, 3, 2, 1, 4, 2);
	ck_dirty(&l, 4, 0, 2, 8, 2);
	ck_assert_uint_eq(flush(7, 12, 0, 4, 1), OKND);
	ck_assert_uint_eq(flush(7, 10, 0, 8, 1),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(l.n, 5);
}
END_TEST

START_TEST(scanout_of_part)
{
	show_resource();
	ck_assert_uint_eq(scanout(0, 7, 2, 1, 8, 4), OKND);
	ck_assert_uint_eq(flush(7, 0, 0, W, H), OKND);
	ck_assert_uint_eq(hdr()->width, 8);
	ck_assert_uint_eq(hdr()->height, 4);
	ck_assert_uint_eq(shown(0, 0), pattern(2, 1));
	ck_assert_uint_eq(shown(7, 3), pattern(9, 4));
}
END_TEST

START_TEST(unref_blanks)
{
	struct gpu_stats s;

	show_resource();
	ck_assert_uint_ne(gpu_scanout_hash(g), 0);
	ck_assert_uint_eq(unref(7), OKND);
	ck_assert_uint_eq(hdr()->enabled, 0);
	ck_assert_uint_eq(gpu_scanout_hash(g), 0);
	gpu_stats(g, &s);
	ck_assert_uint_eq(s.resources, 0);
	ck_assert_uint_eq(s.mem_used, 0);
	ck_assert_uint_eq(flush(7, 0, 0, 1, 1),
			  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
}
END_TEST

START_TEST(hostile_create)
{
	struct gpu_stats s;

	ck_assert_uint_eq(create(0, BGRX, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(create(1, BGRX, 4, 4), OKND);
	ck_assert_uint_eq(create(1, BGRX, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(create(2, 99, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(create(2, BGRX, 0, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(create(2, BGRX, 4, GPU_MAX_DIM + 1),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* 1 MiB budget: 512x512x4 fits exactly, not with 4x4 already used. */
	ck_assert_uint_eq(create(2, BGRX, 512, 512),
			  VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	ck_assert_uint_eq(create(2, BGRX, 0xffffffffu, 0xffffffffu),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	gpu_stats(g, &s);
	ck_assert_uint_eq(s.resources, 1);
	ck_assert_uint_eq(s.mem_used, 64);
	ck_assert_uint_eq(s.refused, 7);
}
END_TEST

START_TEST(hostile_backing)
{
	struct {
		struct virtio_gpu_resource_attach_backing c;
		struct virtio_gpu_mem_entry e;
	} m = { .c = { .hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
		       .resource_id = 1, .nr_entries = 2 },
		.e = { FAKE_BASE, 64, 0 } };

	ck_assert_uint_eq(attach(1, 1, FAKE_BASE, 64, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(create(1, BGRX, 4, 4), OKND);
	/* Claims 2 entries, carries 1. */
	ck_assert_uint_eq(send(&m, sizeof(m)),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	m.c.nr_entries = 0xffffffffu;
	ck_assert_uint_eq(send(&m, sizeof(m)),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(attach(1, 0, FAKE_BASE, 64, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(attach(1, 1, FAKE_BASE - 4096, 64, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(attach(1, 1, FAKE_BASE + FAKE_RAM - 32, 64, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(attach(1, 1, 0xfffffffffffffff0ull, 64, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(attach(1, 2, FAKE_BASE, 0, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 0, 0, 4, 4, 0), VIRTIO_GPU_RESP_ERR_UNSPEC);
	/* 32 bytes of backing for 64 bytes of pixels. */
	ck_assert_uint_eq(attach(1, 1, FAKE_BASE, 32, 0), OKND);
	ck_assert_uint_eq(attach(1, 1, FAKE_BASE, 64, 0),
			  VIRTIO_GPU_RESP_ERR_UNSPEC);
	ck_assert_uint_eq(transfer(1, 0, 0, 4, 4, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 0, 0, 4, 2, 0), OKND);
	ck_assert_uint_eq(transfer(1, 0, 0, 4, 2, 1),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 0, 0, 4, 1, 0xffffffffffffffffull),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 1, 0, 4, 1, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 0xfffffffeu, 0, 4, 1, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(transfer(1, 0, 0, 0, 1, 0),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
}
END_TEST

START_TEST(hostile_scanout_and_commands)
{
	struct virtio_gpu_ctrl_hdr h = { .type = 0x0999 };
	struct virtio_gpu_resource_detach_backing d = {
		.hdr.type = VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
		.resource_id = 1,
	};

	ck_assert_uint_eq(create(1, BGRX, 4, 4), OKND);
	ck_assert_uint_eq(scanout(1, 1, 0, 0, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	ck_assert_uint_eq(scanout(0, 2, 0, 0, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(scanout(0, 1, 1, 0, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(scanout(0, 1, 0, 0xffffffffu, 4, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(hdr()->enabled, 0);
	ck_assert_uint_eq(flush(1, 0, 0, 5, 4),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(unref(2), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(send(&d, sizeof(d)), VIRTIO_GPU_RESP_ERR_UNSPEC);
	ck_assert_uint_eq(send(&h, sizeof(h)), VIRTIO_GPU_RESP_ERR_UNSPEC);
	ck_assert_uint_eq(send(&h, 3), VIRTIO_GPU_RESP_ERR_UNSPEC);
	/* A create cut short is refused, not read past its end. */
	struct virtio_gpu_resource_create_2d c = {
		.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
		.resource_id = 3, .format = BGRX, .width = 4, .height = 4,
	};
	ck_assert_uint_eq(send(&c, sizeof(c) - 1), VIRTIO_GPU_RESP_ERR_UNSPEC);
	ck_assert_uint_eq(unref(3), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* The scanout wider than its memory (64x64 pixels here). */
	ck_assert_uint_eq(create(4, BGRX, 128, 64), OKND);
	ck_assert_uint_eq(scanout(0, 4, 0, 0, 128, 64),
			  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	ck_assert_uint_eq(scanout(0, 4, 0, 0, 64, 64), OKND);
}
END_TEST

/* The fence flag, id and context come back on the response. */
START_TEST(fence_echoed)
{
	struct virtio_gpu_resource_unref c = {
		.hdr = { .type = VIRTIO_GPU_CMD_RESOURCE_UNREF,
			 .flags = VIRTIO_GPU_FLAG_FENCE, .fence_id = 0x1234,
			 .ctx_id = 5 },
		.resource_id = 9,
	};
	uint8_t resp[GPU_MAX_RESP];
	struct virtio_gpu_ctrl_hdr h;

	gpu_ctrl(g, (void *)&c, sizeof(c), resp);
	memcpy(&h, resp, sizeof(h));
	ck_assert_uint_eq(h.type, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	ck_assert_uint_eq(h.flags & VIRTIO_GPU_FLAG_FENCE, VIRTIO_GPU_FLAG_FENCE);
	ck_assert_uint_eq(h.fence_id, 0x1234);
	ck_assert_uint_eq(h.ctx_id, 5);
}
END_TEST

START_TEST(reset_forgets)
{
	struct gpu_stats s;

	show_resource();
	gpu_reset(g);
	gpu_stats(g, &s);
	ck_assert_uint_eq(s.resources, 0);
	ck_assert_uint_eq(s.mem_used, 0);
	ck_assert_uint_eq(hdr()->enabled, 0);
	ck_assert_uint_eq(create(7, BGRX, W, H), OKND);
}
END_TEST

/* The PPM of the shown resource: header, then R, G, B of each BGRX
 * pixel. */
START_TEST(screendump_ppm)
{
	char why[128], head[32];
	uint8_t buf[64 + W * H * 3];
	int fd = memfd_create("dump", MFD_CLOEXEC);
	int n = snprintf(head, sizeof(head), "P6\n%u %u\n255\n", W, H);

	show_resource();
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(screendump_write(fd, SCREENDUMP_PPM, f->scanout,
					  sizeof(f->scanout), why,
					  sizeof(why)), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), n + W * H * 3);
	ck_assert_mem_eq(buf, head, (size_t)n);
	for (uint32_t i = 0; i < W * H; i++) {
		uint32_t v = pattern(i % W, i / W);

		ck_assert_uint_eq(buf[n + i * 3], (v >> 16) & 0xff);
		ck_assert_uint_eq(buf[n + i * 3 + 1], (v >> 8) & 0xff);
		ck_assert_uint_eq(buf[n + i * 3 + 2], v & 0xff);
	}
	close(fd);
}
END_TEST

START_TEST(screendump_refused)
{
	struct scanout_header *h = (struct scanout_header *)f->scanout;
	char why[128];

	ck_assert_int_eq(screendump_write(-1, SCREENDUMP_PNG, f->scanout,
					  sizeof(f->scanout), why,
					  sizeof(why)), -ENODATA);
	show_resource();
	h->height = 100000;   /* a writer gone wrong: past the mapping */
	ck_assert_int_eq(screendump_write(-1, SCREENDUMP_PNG, f->scanout,
					  sizeof(f->scanout), why,
					  sizeof(why)), -EINVAL);
	h->height = H;
	h->format = 99;
	ck_assert_int_eq(screendump_write(-1, SCREENDUMP_PPM, f->scanout,
					  sizeof(f->scanout), why,
					  sizeof(why)), -EINVAL);
	h->format = BGRX;
	ck_assert_int_eq(screendump_write(-1, SCREENDUMP_PPM, f->scanout,
					  sizeof(f->scanout), why,
					  sizeof(why)), -EBADF);
}
END_TEST

static Suite *gpu_suite(void)
{
	Suite *s = suite_create("gpu");
	TCase *tc = tcase_create("commands");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, display_info_and_edid);
	tcase_add_test(tc, draw_and_show);
	tcase_add_test(tc, partial_transfer_and_flush);
	tcase_add_test(tc, scanout_of_part);
	tcase_add_test(tc, flush_reports_dirty);
	tcase_add_test(tc, unref_blanks);
	tcase_add_test(tc, hostile_create);
	tcase_add_test(tc, hostile_backing);
	tcase_add_test(tc, hostile_scanout_and_commands);
	tcase_add_test(tc, fence_echoed);
	tcase_add_test(tc, reset_forgets);
	tcase_add_test(tc, screendump_ppm);
	tcase_add_test(tc, screendump_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(gpu_suite)
