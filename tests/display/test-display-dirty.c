/* SPDX-License-Identifier: MIT */
/*
 * atoll-display's side of SCANOUT_DIRTY (display/vnc.c): the whole
 * scanout is copied at start; afterwards a changed pixel reaches the VNC
 * framebuffer only when a rectangle holding it is posted, and exactly that
 * rectangle is copied; a rectangle that is empty or reaches past the
 * scanout (also by overflow) is refused and copies nothing; a new scanout
 * size is followed with a whole copy.
 */
#include <check.h>
#include <linux/virtio_gpu.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "scanout.h"
#include "vnc.h"
#include "test-util.h"

#define W 64u
#define H 48u

static uint8_t scanout[SCANOUT_PIXELS_OFFSET + W * H * 4];
static struct event_base *base;
static struct vnc *v;
static int lfd;

/* BGRX pixel (x, y) of the scanout, as the gpu writes it. */
static void put(uint32_t x, uint32_t y, uint8_t b, uint8_t g, uint8_t r)
{
	uint8_t *p = scanout + SCANOUT_PIXELS_OFFSET +
		     ((size_t)y * ((struct scanout_header *)scanout)->stride +
		      x * 4);

	p[0] = b;
	p[1] = g;
	p[2] = r;
	p[3] = 0xff;
}

static void fill(uint8_t shade)
{
	const struct scanout_header *h = (const struct scanout_header *)scanout;

	for (uint32_t y = 0; y < h->height; y++)
		for (uint32_t x = 0; x < h->width; x++)
			put(x, y, shade, (uint8_t)x, (uint8_t)y);
}

/* Red of the VNC framebuffer's pixel (x, y) (RGB0). */
static int red(uint32_t x, uint32_t y)
{
	uint32_t w, h;
	const uint8_t *fb = vnc_framebuffer(v, &w, &h);

	ck_assert_uint_lt(x, w);
	ck_assert_uint_lt(y, h);
	return fb[((size_t)y * w + x) * 4];
}

static int blue(uint32_t x, uint32_t y)
{
	uint32_t w, h;
	const uint8_t *fb = vnc_framebuffer(v, &w, &h);

	return fb[((size_t)y * w + x) * 4 + 2];
}

static void mode(uint32_t w, uint32_t h)
{
	struct scanout_header *hd = (struct scanout_header *)scanout;

	hd->magic = SCANOUT_MAGIC;
	hd->seq = 2;
	hd->enabled = 1;
	hd->width = w;
	hd->height = h;
	hd->stride = w * 4;
	hd->format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
}

static void setup(void)
{
	log_init("test-display-dirty", ATOLL_LOG_ERROR);
	memset(scanout, 0, sizeof(scanout));
	mode(W, H);
	fill(1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	base = event_base_new();
	v = vnc_new(base, &(struct vnc_config){
		.listen_fd = lfd, .scanout = scanout,
		.scanout_size = sizeof(scanout),
	});
	ck_assert_ptr_nonnull(v);
}

static void teardown(void)
{
	vnc_free(v);
	event_base_free(base);
	close(lfd);
}

START_TEST(start_copies_all)
{
	uint32_t w, h;

	vnc_framebuffer(v, &w, &h);
	ck_assert_uint_eq(w, W);
	ck_assert_uint_eq(h, H);
	ck_assert_int_eq(blue(0, 0), 1);
	ck_assert_int_eq(blue(W - 1, H - 1), 1);
	ck_assert_int_eq(red(3, 7), 7);
}
END_TEST

START_TEST(exactly_the_rectangle)
{
	fill(2);   /* all of it changed; only (5, 3) 10x4 is posted */
	ck_assert_uint_eq(vnc_dirty(v, &(struct vnc_rect){ 5, 3, 10, 4 }, 1), 0);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			bool in = x >= 5 && x < 15 && y >= 3 && y < 7;

			ck_assert_msg(blue(x, y) == (in ? 2 : 1),
				      "(%u, %u) is %d", x, y, blue(x, y));
		}
	vnc_step(v);   /* libvncserver takes the marked region */
}
END_TEST

START_TEST(hostile_rectangles_refused)
{
	static const struct vnc_rect bad[] = {
		{ 0, 0, 0, 4 }, { 0, 0, 4, 0 },           /* empty */
		{ W, 0, 1, 1 }, { 0, H, 1, 1 },           /* past the edge */
		{ W - 4, 0, 5, 1 }, { 0, H - 2, 1, 3 },   /* reaching past */
		{ 8, 0, UINT32_MAX - 4, 1 },              /* x + w overflows */
		{ 0, 8, 1, UINT32_MAX - 4 },
		{ UINT32_MAX, UINT32_MAX, 2, 2 },
	};
	const size_t n = sizeof(bad) / sizeof(bad[0]);

	fill(3);
	ck_assert_uint_eq(vnc_dirty(v, bad, n), n);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++)
			ck_assert_int_eq(blue(x, y), 1);
	/* Refused ones do not stop the good one beside them. */
	ck_assert_uint_eq(vnc_dirty(v, (struct vnc_rect[]){ bad[2],
		{ W - 1, H - 1, 1, 1 } }, 2), 1);
	ck_assert_int_eq(blue(W - 1, H - 1), 3);
	ck_assert_int_eq(blue(W - 2, H - 1), 1);
}
END_TEST

START_TEST(new_size_copied_whole)
{
	uint32_t w, h;

	mode(32, 16);
	fill(4);
	ck_assert_uint_eq(vnc_dirty(v, &(struct vnc_rect){ 0, 0, 1, 1 }, 1), 0);
	vnc_framebuffer(v, &w, &h);
	ck_assert_uint_eq(w, 32);
	ck_assert_uint_eq(h, 16);
	ck_assert_int_eq(blue(31, 15), 4);
	/* Checked against the new size, not the old one. */
	ck_assert_uint_eq(vnc_dirty(v, &(struct vnc_rect){ 40, 0, 1, 1 }, 1), 1);
}
END_TEST

static Suite *dirty_suite(void)
{
	Suite *s = suite_create("display-dirty");
	TCase *tc = tcase_create("dirty");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, start_copies_all);
	tcase_add_test(tc, exactly_the_rectangle);
	tcase_add_test(tc, hostile_rectangles_refused);
	tcase_add_test(tc, new_size_copied_whole);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(dirty_suite)
