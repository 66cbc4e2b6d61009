/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-blk end to end, without a guest: the real device process,
 * driven by tests/blk/driver.c over the real control and peer protocols,
 * on a temporary image whose contents the test checks from the host.
 * The I/O backend is whatever ATOLL_BLK_AIO selects (meson runs this
 * twice: io_uring and the thread pool).
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>

#include "blk-util.h"
#include "host-probe.h"
#include "test-util.h"

#define IMG_SECTORS 16384u        /* 8 MiB */
#define SECTOR 512u

static struct drv d;
static char img[64];
static int img_fd = -1;
static struct blk_slot slot;

static void make_image(void)
{
	snprintf(img, sizeof(img), "/tmp/atoll-blk-XXXXXX");
	img_fd = mkstemp(img);
	ck_assert_int_ge(img_fd, 0);
	CHECK_OK(ftruncate(img_fd, (off_t)IMG_SECTORS * SECTOR));
}

static void open_image(int flags)
{
	int fd = open(img, flags);

	CHECK_OK(fd);
	close(img_fd);
	img_fd = fd;
}

/* Starts the device on the image with args; negotiates and sets up nq
 * queues of 128 entries with EVENT_IDX. */
static void start_fd(const char *const *args, unsigned nq, int fd)
{
	CHECK_RET(drv_start(&d, blk_binary(), fd, args, NULL), 0);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	for (unsigned i = 0; i < nq; i++)
		CHECK_RET(drv_queue_setup(&d, i, 128, true), 0);
	CHECK_RET(blk_slot_init(&d, &slot, 1 << 20), 0);
}

static void start(const char *const *args, unsigned nq)
{
	start_fd(args, nq, img_fd);
}

static void setup(void)
{
	make_image();
}

static void teardown(void)
{
	if (d.pid)
		ck_assert_int_eq(drv_stop(&d), 0);
	if (img_fd >= 0)
		close(img_fd);
	unlink(img);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void check_file(uint64_t sector, const void *want, size_t n)
{
	uint8_t *buf = malloc(n);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(img_fd, buf, n, (off_t)(sector * SECTOR)), (ssize_t)n);
	ck_assert_msg(!memcmp(buf, want, n), "file differs at sector %llu",
		      (unsigned long long)sector);
	free(buf);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint8_t *data(void) { return drv_ptr(&d, slot.data); }

/* Writes a pattern through the device, reads it back through the device
 * and from the host file. */
static void rw_roundtrip(unsigned qi, uint64_t sector, uint32_t len, unsigned seed)
{
	uint8_t *want = malloc(len);
	uint32_t used = 0;

	fill(want, len, seed);
	memcpy(data(), want, len);
	CHECK_RET(blk_do(&d, qi, &slot, VIRTIO_BLK_T_OUT, sector, len, false, &used),
		  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1);
	memset(data(), 0, len);
	CHECK_RET(blk_do(&d, qi, &slot, VIRTIO_BLK_T_IN, sector, len, true, &used),
		  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, len + 1);
	ck_assert(!memcmp(data(), want, len));
	check_file(sector, want, len);
	free(want);
}

START_TEST(describe_config)
{
	struct virtio_blk_config c;
	uint64_t f;

	start(NULL, 1);
	ck_assert_uint_eq(d.device_id, 2);
	f = d.offered;
	ck_assert(f & (1ull << VIRTIO_F_VERSION_1));
	ck_assert(f & (1ull << VIRTIO_RING_F_EVENT_IDX));
	ck_assert(f & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert(f & (1ull << VIRTIO_BLK_F_FLUSH));
	ck_assert(f & (1ull << VIRTIO_BLK_F_DISCARD));
	ck_assert(f & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	ck_assert(!(f & (1ull << VIRTIO_BLK_F_RO)));
	ck_assert(!(f & (1ull << VIRTIO_BLK_F_MQ)));
	ck_assert_uint_eq(d.num_queues, 1);
	ck_assert_uint_eq(d.config_size, sizeof(c));
	CHECK_RET(drv_config_read(&d, 0, &c, sizeof(c)), 0);
	ck_assert_uint_eq(le64toh(c.capacity), IMG_SECTORS);
	ck_assert_uint_eq(le32toh(c.seg_max), 126);
	ck_assert_uint_eq(le32toh(c.blk_size), 512);
	ck_assert_uint_eq(le32toh(c.max_discard_seg), 1);
	/* Reads past the end, or straddling it, are refused. */
	CHECK_RET(drv_config_read(&d, d.config_size, &c, 1), -EINVAL);
	CHECK_RET(drv_config_read(&d, d.config_size - 4, &c, 8), -EINVAL);
	CHECK_RET(drv_config_read(&d, UINT32_MAX, &c, 4), -EINVAL);
	/* Features not offered, or without VERSION_1, are refused. */
	CHECK_RET(drv_features(&d, blk_std_features(&d) | 1ull << 50), -EINVAL);
	CHECK_RET(drv_features(&d, blk_std_features(&d) &
			       ~(1ull << VIRTIO_F_VERSION_1)), -EINVAL);
}
END_TEST

START_TEST(read_write_verify)
{
	start(NULL, 1);
	rw_roundtrip(0, 0, 4096, 1);
	rw_roundtrip(0, 7, 512, 2);                 /* odd sector */
	rw_roundtrip(0, 1000, 128 * 1024, 3);
	rw_roundtrip(0, IMG_SECTORS - 8, 4096, 4);  /* the last 4 KiB */
}
END_TEST

START_TEST(read_write_writethrough)
{
	static const char *const args[] = { "--cache=writethrough", NULL };

	start(args, 1);
	rw_roundtrip(0, 16, 65536, 5);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		  VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(read_write_direct)
{
	static const char *const args[] = { "--cache=none", NULL };
	struct drv_seg seg[4];
	uint64_t odd;
	uint8_t want[1000];
	int fd = open(img, O_RDWR | O_DIRECT);

	if (fd < 0) {
		printf("SKIP read_write_direct: O_DIRECT not supported in /tmp\n");
		return;
	}
	/* The device gets the O_DIRECT fd; the checks read img_fd. */
	start_fd(args, 1, fd);
	close(fd);
	rw_roundtrip(0, 64, 8192, 6);
	/* Unaligned guest buffers go through a bounce buffer: 1000 + 24
	 * bytes split across two descriptors at odd addresses. */
	odd = drv_alloc(&d, 2048, 4096) + 3;
	fill(want, sizeof(want), 9);
	memcpy(drv_ptr(&d, odd), want, 1000);
	memset(drv_ptr(&d, odd + 1000), 0x5a, 24);
	seg[0] = (struct drv_seg){ slot.hdr, 16, false };
	seg[1] = (struct drv_seg){ odd, 1000, false };
	seg[2] = (struct drv_seg){ odd + 1000, 24, false };
	seg[3] = (struct drv_seg){ slot.status, 1, true };
	struct virtio_blk_outhdr *h = drv_ptr(&d, slot.hdr);

	h->type = htole32(VIRTIO_BLK_T_OUT);
	h->sector = htole64(100);
	ck_assert_int_ge(drv_add_chain(&d, 0, seg, 4), 0);
	drv_kick(&d, 0);
	uint16_t head;
	uint32_t len;

	CHECK_RET(drv_get_used(&d, 0, &head, &len, 5000), 1);
	ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, slot.status), VIRTIO_BLK_S_OK);
	check_file(100, want, 1000);
}
END_TEST

START_TEST(get_id)
{
	static const char *const args[] = { "--serial=atoll-sn-42", NULL };
	uint32_t used = 0;

	start(args, 1);
	memset(data(), 0xff, 64);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_GET_ID, 0, 20, true, &used),
		  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 21);
	ck_assert(!memcmp(data(), "atoll-sn-42", 11));
	ck_assert(all_zero(data() + 11, 9));
	ck_assert_uint_eq(data()[20], 0xff);   /* nothing past the buffer */
}
END_TEST

START_TEST(flush_and_unsupported)
{
	start(NULL, 1);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		  VIRTIO_BLK_S_OK);
	CHECK_RET(blk_do(&d, 0, &slot, 99, 0, 512, true, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_RET(blk_do(&d, 0, &slot, 10 /* GET_LIFETIME */, 0, 16, true, NULL),
		  VIRTIO_BLK_S_UNSUPP);
}
END_TEST

static int range_op(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes *s = (void *)data();

	s->sector = htole64(sector);
	s->num_sectors = htole32(n);
	s->flags = htole32(flags);
	return blk_do(&d, 0, &slot, type, 0, sizeof(*s), false, NULL);
}

static bool host_can_punch(void)
{
	return fallocate(img_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)(IMG_SECTORS - 1) * SECTOR, SECTOR) == 0;
}

START_TEST(discard)
{
	uint8_t zero[8192] = { 0 };

	start(NULL, 1);
	rw_roundtrip(0, 256, 8192, 7);
	CHECK_RET(range_op(VIRTIO_BLK_T_DISCARD, 256, 16, 0), VIRTIO_BLK_S_OK);
	if (host_can_punch())
		check_file(256, zero, sizeof(zero));
	else
		printf("discard: the host fs cannot punch holes; zeros not checked\n");
	/* The unmap flag is for write-zeroes only; unknown flags too. */
	CHECK_RET(range_op(VIRTIO_BLK_T_DISCARD, 256, 16, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK_RET(range_op(VIRTIO_BLK_T_DISCARD, 256, 16, 4), VIRTIO_BLK_S_UNSUPP);
	CHECK_RET(range_op(VIRTIO_BLK_T_DISCARD, IMG_SECTORS - 8, 16, 0),
		  VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(write_zeroes)
{
	uint8_t zero[16384] = { 0 };
	uint8_t want[4096];

	start(NULL, 1);
	for (unsigned flags = 0; flags < 2; flags++) {
		rw_roundtrip(0, 512, sizeof(zero), 8 + flags);
		CHECK_RET(range_op(VIRTIO_BLK_T_WRITE_ZEROES, 516, 16, flags),
			  VIRTIO_BLK_S_OK);
		fill(want, sizeof(want), 8 + flags);
		check_file(512, want, 2048);                 /* before: kept */
		check_file(516, zero, 8192);                 /* zeroed */
		memset(data(), 0xaa, 8192);
		CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 516, 8192, true, NULL),
			  VIRTIO_BLK_S_OK);
		ck_assert(all_zero(data(), 8192));
	}
	/* Too many sectors for one request, and past the end. */
	CHECK_RET(range_op(VIRTIO_BLK_T_WRITE_ZEROES, 0, 1u << 30, 0),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(range_op(VIRTIO_BLK_T_WRITE_ZEROES, IMG_SECTORS, 1, 0),
		  VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(out_of_range)
{
	start(NULL, 1);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, IMG_SECTORS, 512, true, NULL),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true, NULL),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 4096, false, NULL),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_OUT, 0, 100, false, NULL),
		  VIRTIO_BLK_S_IOERR);   /* not a multiple of 512 */
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 512, true, NULL),
		  VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(readonly)
{
	static const char *const args[] = { "--readonly", NULL };
	uint8_t before[4096];

	fill(before, sizeof(before), 11);
	CHECK_OK(pwrite(img_fd, before, sizeof(before), 0));
	open_image(O_RDONLY);
	start(args, 1);
	ck_assert(d.offered & (1ull << VIRTIO_BLK_F_RO));
	memset(data(), 0x77, 4096);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_OUT, 0, 4096, false, NULL),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(range_op(VIRTIO_BLK_T_DISCARD, 0, 8, 0), VIRTIO_BLK_S_IOERR);
	CHECK_RET(range_op(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0), VIRTIO_BLK_S_IOERR);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 0, 4096, true, NULL),
		  VIRTIO_BLK_S_OK);
	ck_assert(!memcmp(data(), before, 4096));
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		  VIRTIO_BLK_S_OK);
	check_file(0, before, sizeof(before));
}
END_TEST

/* Hand-made chains in the descriptors the driver keeps free. */
static void raw_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d.q[0].desc[i] = (struct vq_desc){ addr, len, flags, next };
}

static uint32_t raw_submit(uint16_t head, uint16_t *got)
{
	uint32_t len = 0;

	drv_add_raw(&d, 0, head);
	drv_kick(&d, 0);
	CHECK_RET(drv_get_used(&d, 0, got, &len, 5000), 1);
	return len;
}

START_TEST(malformed_chain)
{
	struct virtio_blk_outhdr *h;
	uint16_t got;
	uint8_t *st;

	start(NULL, 1);
	h = drv_ptr(&d, slot.hdr);
	h->type = htole32(VIRTIO_BLK_T_IN);
	h->sector = 0;
	st = drv_ptr(&d, slot.status);
	/* Data buffer outside guest RAM, status fine: IOERR in the status. */
	*st = 0xee;
	raw_desc(120, slot.hdr, 16, VQ_DESC_F_NEXT, 121);
	raw_desc(121, DRV_RAM_BASE + DRV_RAM_SIZE - 256, 4096,
		 VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 122);
	raw_desc(122, slot.status, 1, VQ_DESC_F_WRITE, 0);
	ck_assert_uint_eq(raw_submit(120, &got), 1);
	ck_assert_uint_eq(got, 120);
	ck_assert_uint_eq(*st, VIRTIO_BLK_S_IOERR);
	/* A loop: no status byte can be trusted; returned with length 0. */
	*st = 0xee;
	raw_desc(123, slot.hdr, 16, VQ_DESC_F_NEXT, 124);
	raw_desc(124, slot.status, 1, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, 123);
	ck_assert_uint_eq(raw_submit(123, &got), 0);
	ck_assert_uint_eq(got, 123);
	ck_assert_uint_eq(*st, 0xee);
	/* A header that is too short, and a chain with no writable byte. */
	raw_desc(125, slot.hdr, 8, VQ_DESC_F_NEXT, 126);
	raw_desc(126, slot.status, 1, VQ_DESC_F_WRITE, 0);
	ck_assert_uint_eq(raw_submit(125, &got), 1);
	ck_assert_uint_eq(*st, VIRTIO_BLK_S_IOERR);
	raw_desc(127, slot.hdr, 16, 0, 0);
	ck_assert_uint_eq(raw_submit(127, &got), 0);
	/* The queue still serves the next valid request. */
	rw_roundtrip(0, 40, 4096, 12);
}
END_TEST

START_TEST(indirect_request)
{
	struct vq_desc *t;
	uint64_t table;
	uint16_t got;
	uint8_t want[4096];
	struct virtio_blk_outhdr *h;

	start(NULL, 1);
	table = drv_alloc(&d, 4 * 16, 16);
	t = drv_ptr(&d, table);
	h = drv_ptr(&d, slot.hdr);
	h->type = htole32(VIRTIO_BLK_T_OUT);
	h->sector = htole64(300);
	fill(want, sizeof(want), 13);
	memcpy(data(), want, sizeof(want));
	t[0] = (struct vq_desc){ slot.hdr, 16, VQ_DESC_F_NEXT, 1 };
	t[1] = (struct vq_desc){ slot.data, 2048, VQ_DESC_F_NEXT, 2 };
	t[2] = (struct vq_desc){ slot.data + 2048, 2048, VQ_DESC_F_NEXT, 3 };
	t[3] = (struct vq_desc){ slot.status, 1, VQ_DESC_F_WRITE, 0 };
	raw_desc(120, table, 4 * 16, VQ_DESC_F_INDIRECT, 0);
	ck_assert_uint_eq(raw_submit(120, &got), 1);
	ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, slot.status), VIRTIO_BLK_S_OK);
	check_file(300, want, sizeof(want));
}
END_TEST

START_TEST(broken_avail_idx)
{
	uint32_t last = 0, inflight = 0;

	start(NULL, 1);
	rw_roundtrip(0, 0, 512, 14);
	/* The driver claims 500 new entries in a 128-entry ring. */
	d.q[0].avail[1] = (uint16_t)(d.q[0].avail_idx + 500);
	drv_kick(&d, 0);
	usleep(50000);
	drv_pump(&d);
	/* The device is alive: it answers the peer and stops the queue. */
	CHECK_RET(drv_queue_stop(&d, 0, &last, &inflight), 0);
	ck_assert_uint_eq(last, 2);
	ck_assert_uint_eq(inflight, 0);
	/* And a fresh queue works. */
	CHECK_RET(drv_queue_setup(&d, 0, 128, true), 0);
	rw_roundtrip(0, 8, 512, 15);
}
END_TEST

START_TEST(many_in_flight)
{
	struct blk_slot s[40];
	bool seen[128] = { false };
	uint8_t want[4096];

	start(NULL, 1);
	for (unsigned i = 0; i < 40; i++) {
		CHECK_RET(blk_slot_init(&d, &s[i], 4096), 0);
		fill(drv_ptr(&d, s[i].data), 4096, 100 + i);
		ck_assert_int_ge(blk_submit(&d, 0, &s[i], VIRTIO_BLK_T_OUT,
					    i * 8, 4096, false), 0);
	}
	drv_kick(&d, 0);
	for (unsigned i = 0; i < 40; i++) {
		uint16_t head;
		uint32_t len;

		CHECK_RET(drv_get_used(&d, 0, &head, &len, 5000), 1);
		ck_assert_uint_lt(head, 128);
		ck_assert(!seen[head]);
		seen[head] = true;
	}
	for (unsigned i = 0; i < 40; i++) {
		ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, s[i].status), VIRTIO_BLK_S_OK);
		fill(want, sizeof(want), 100 + i);
		check_file(i * 8, want, sizeof(want));
	}
}
END_TEST

START_TEST(multi_queue)
{
	static const char *const args[] = { "--queues=4", NULL };
	struct blk_slot s[4];
	uint8_t want[8192];

	start(args, 4);
	ck_assert(d.offered & (1ull << VIRTIO_BLK_F_MQ));
	ck_assert_uint_eq(d.num_queues, 4);
	for (unsigned q = 0; q < 4; q++) {
		CHECK_RET(blk_slot_init(&d, &s[q], 8192), 0);
		fill(drv_ptr(&d, s[q].data), 8192, 200 + q);
		ck_assert_int_ge(blk_submit(&d, q, &s[q], VIRTIO_BLK_T_OUT,
					    1000 + q * 16, 8192, false), 0);
	}
	for (unsigned q = 0; q < 4; q++)
		drv_kick(&d, q);
	for (unsigned q = 0; q < 4; q++) {
		uint16_t head;
		uint32_t len;

		CHECK_RET(drv_get_used(&d, q, &head, &len, 5000), 1);
		ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, s[q].status), VIRTIO_BLK_S_OK);
		fill(want, sizeof(want), 200 + q);
		check_file(1000 + q * 16, want, sizeof(want));
	}
	for (unsigned q = 0; q < 4; q++)
		rw_roundtrip(q, 2000 + q * 64, 4096, 300 + q);
}
END_TEST

START_TEST(peer_misuse)
{
	Atoll__QueueSetup qs = ATOLL__QUEUE_SETUP__INIT;
	struct atoll_msg *reply = NULL;
	int fds[2] = { d.q[0].kick_fd, d.q[0].call_fd };

	CHECK_RET(drv_start(&d, blk_binary(), img_fd, NULL, NULL), 0);
	/* QUEUE_SETUP before FEATURES_SET. */
	CHECK_RET(drv_queue_setup(&d, 0, 128, false), -EINVAL);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup(&d, 0, 100, false), -EINVAL);   /* not 2^n */
	CHECK_RET(drv_queue_setup(&d, 0, 512, false), -EINVAL);   /* > max */
	CHECK_RET(drv_queue_setup(&d, 1, 128, false), -EINVAL);   /* no queue 1 */
	/* Rings outside guest RAM; and a setup with one fd only. */
	fds[0] = d.q[0].kick_fd;
	fds[1] = d.q[0].call_fd;
	qs.index = 0;
	qs.size = 128;
	qs.desc_addr = DRV_RAM_BASE + DRV_RAM_SIZE - 1024;
	qs.avail_addr = DRV_RAM_BASE + 0x4000;
	qs.used_addr = DRV_RAM_BASE + 0x8000;
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_QUEUE_SETUP, &qs.base,
				 fds, 2, 5000, &reply), -EFAULT);
	atoll_msg_free(reply);
	reply = NULL;
	qs.desc_addr = DRV_RAM_BASE;
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_QUEUE_SETUP, &qs.base,
				 fds, 1, 5000, &reply), -EINVAL);
	atoll_msg_free(reply);
	/* A second PEER_CONNECT replaces the first: start over on it. */
	CHECK_RET(drv_connect_peer(&d), 0);
	CHECK_RET(drv_describe(&d), 0);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup(&d, 0, 64, true), 0);
	CHECK_RET(blk_slot_init(&d, &slot, 65536), 0);
	rw_roundtrip(0, 0, 4096, 16);
	/* Features cannot change under a running queue. */
	CHECK_RET(drv_features(&d, blk_std_features(&d)), -EBUSY);
}
END_TEST

START_TEST(fault_inject)
{
	Atoll__FaultInject f = ATOLL__FAULT_INJECT__INIT;
	struct atoll_msg *reply = NULL;

	start(NULL, 1);
	f.kind = ATOLL__FAULT_KIND__FAULT_ERROR;
	f.count = 1;
	f.queue = UINT32_MAX;
	CHECK_RET(atoll_bus_call(d.ctl, ATOLL__MSG_TYPE__MSG_FAULT_INJECT, &f.base,
				 NULL, 0, 5000, &reply), 0);
	atoll_msg_free(reply);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		  VIRTIO_BLK_S_IOERR);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		  VIRTIO_BLK_S_OK);
}
END_TEST

static void fault(Atoll__FaultKind kind, uint32_t ms, uint32_t count)
{
	Atoll__FaultInject f = ATOLL__FAULT_INJECT__INIT;
	struct atoll_msg *reply = NULL;

	f.kind = kind;
	f.duration_ms = ms;
	f.count = count;
	f.queue = UINT32_MAX;
	CHECK_RET(atoll_bus_call(d.ctl, ATOLL__MSG_TYPE__MSG_FAULT_INJECT, &f.base,
				 NULL, 0, 5000, &reply), 0);
	atoll_msg_free(reply);
}

/* QUEUE_STOP completes what is in flight before it reports the state. */
START_TEST(queue_stop_drains)
{
	struct blk_slot s[4];
	uint32_t last = 0, inflight = 9;
	uint64_t t0;

	start(NULL, 1);
	fault(ATOLL__FAULT_KIND__FAULT_DELAY, 300, 0);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_RET(blk_slot_init(&d, &s[i], 4096), 0);
		ck_assert_int_ge(blk_submit(&d, 0, &s[i], VIRTIO_BLK_T_IN, i * 8,
					    4096, true), 0);
	}
	drv_kick(&d, 0);
	usleep(20000);
	ck_assert_uint_eq(d.q[0].used[1], 0);   /* held back by the delay */
	t0 = (uint64_t)time(NULL);
	CHECK_RET(drv_queue_stop(&d, 0, &last, &inflight), 0);
	ck_assert_uint_eq(last, 4);
	ck_assert_uint_eq(inflight, 0);
	ck_assert_uint_eq(d.q[0].used[1], 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, s[i].status), VIRTIO_BLK_S_OK);
	ck_assert_uint_le((uint64_t)time(NULL) - t0, 2);
	/* A stopped queue is not served. */
	ck_assert_int_ge(blk_submit(&d, 0, &s[0], VIRTIO_BLK_T_IN, 0, 512, true), 0);
	drv_kick(&d, 0);
	usleep(50000);
	ck_assert_uint_eq(d.q[0].used[1], 4);
}
END_TEST

/* The device dies with requests in flight; a new one on the same rings
 * and in-flight log finishes them without the driver posting them again. */
START_TEST(restart_resubmits)
{
	struct blk_slot s[3];
	uint8_t want[4096];
	bool seen[3] = { false };
	int heads[3];

	CHECK_RET(drv_start(&d, blk_binary(), img_fd, NULL, NULL), 0);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup_log(&d, 0, 128, true, false), 0);
	fault(ATOLL__FAULT_KIND__FAULT_DELAY, 60000, 0);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_RET(blk_slot_init(&d, &s[i], 4096), 0);
		fill(drv_ptr(&d, s[i].data), 4096, 400 + i);
		heads[i] = blk_submit(&d, 0, &s[i], VIRTIO_BLK_T_OUT, 64 + i * 8,
				      4096, false);
		ck_assert_int_ge(heads[i], 0);
	}
	drv_kick(&d, 0);
	usleep(50000);
	ck_assert_uint_eq(d.q[0].used[1], 0);
	/* The front-end does not know the device consumed 3 entries. */
	CHECK_RET(drv_restart(&d, blk_binary(), img_fd, NULL), 0);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup_log(&d, 0, 128, true, true), 0);
	for (unsigned n = 0; n < 3; n++) {
		uint16_t head;
		uint32_t len;

		CHECK_RET(drv_get_used(&d, 0, &head, &len, 5000), 1);
		for (unsigned i = 0; i < 3; i++)
			if (heads[i] == head) {
				ck_assert(!seen[i]);
				seen[i] = true;
			}
	}
	for (unsigned i = 0; i < 3; i++) {
		ck_assert(seen[i]);
		ck_assert_uint_eq(*(uint8_t *)drv_ptr(&d, s[i].status), VIRTIO_BLK_S_OK);
		fill(want, sizeof(want), 400 + i);
		check_file(64 + i * 8, want, sizeof(want));
	}
	CHECK_RET(blk_slot_init(&d, &slot, 65536), 0);
	rw_roundtrip(0, 200, 4096, 19);
	ck_assert_uint_eq(d.q[0].used[1], 5);
}
END_TEST

START_TEST(fault_delay)
{
	struct timespec a, b;

	start(NULL, 1);
	fault(ATOLL__FAULT_KIND__FAULT_DELAY, 100, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		  VIRTIO_BLK_S_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_ge((b.tv_sec - a.tv_sec) * 1000 +
			 (b.tv_nsec - a.tv_nsec) / 1000000, 95);
	fault(ATOLL__FAULT_KIND__FAULT_CLEAR, 0, 0);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
		  VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(peer_protocol_rules)
{
	Atoll__ConfigWrite cw = ATOLL__CONFIG_WRITE__INIT;
	struct atoll_msg *reply = NULL;
	uint8_t byte = 1;

	start(NULL, 1);
	/* Config space is read-only for virtio-blk (no CONFIG_WCE). */
	cw.offset = 0;
	cw.data.data = &byte;
	cw.data.len = 1;
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_CONFIG_WRITE, &cw.base,
				 NULL, 0, 5000, &reply), -EPERM);
	atoll_msg_free(reply);
	reply = NULL;
	cw.offset = d.config_size;
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_CONFIG_WRITE, &cw.base,
				 NULL, 0, 5000, &reply), -EINVAL);
	atoll_msg_free(reply);
	reply = NULL;
	/* RESET stops the queues and forgets the features. */
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_RESET, NULL, NULL, 0,
				 5000, &reply), 0);
	atoll_msg_free(reply);
	reply = NULL;
	CHECK_RET(drv_queue_setup(&d, 0, 128, true), -EINVAL);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup(&d, 0, 128, true), 0);
	rw_roundtrip(0, 0, 512, 18);
	/* A new connection must say HELLO before anything else. */
	CHECK_RET(drv_connect_peer(&d), 0);
	CHECK_RET(atoll_bus_call(d.peer, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL,
				 NULL, 0, 5000, &reply), -EPROTO);
	atoll_msg_free(reply);
	CHECK_RET(drv_describe(&d), 0);
}
END_TEST

/* The device process itself: d.pid, or under atoll-sandbox-run its child
 * (seen from here with its host pid). 0 if not found. */
static pid_t device_pid(void)
{
	const char *run = getenv("ATOLL_BLK_SANDBOX_RUN");
	char path[64], line[128];
	struct dirent *e;
	pid_t found = 0;
	DIR *dir;

	if (!run || !*run)
		return d.pid;
	if (!(dir = opendir("/proc")))
		return 0;
	while (!found && (e = readdir(dir))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%.16s/status", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "PPid:", 5) &&
			    atoi(line + 5) == (int)d.pid)
				found = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	closedir(dir);
	return found;
}

/* Counts the device's fds that are memfds; the first one's name goes to
 * `name`. -errno if its fd table cannot be read. */
static int count_memfds(pid_t pid, char *name, size_t len)
{
	char dirpath[64], path[96], target[256];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	if (!(dir = opendir(dirpath)))
		return -errno;
	while ((e = readdir(dir))) {
		ssize_t l;

		snprintf(path, sizeof(path), "%s/%.16s", dirpath, e->d_name);
		l = readlink(path, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = '\0';
		if (!strncmp(target, "/memfd:", 7) && n++ == 0)
			snprintf(name, len, "fd %.16s -> %.200s", e->d_name, target);
	}
	closedir(dir);
	return n;
}

/* A device keeps mappings of guest RAM and of the in-flight log, never
 * their fds: with an fd, a compromised device could resize or punch
 * holes in them (fallocate is in its profile for DISCARD). */
START_TEST(no_memfd_kept)
{
	char first[300] = "";
	pid_t pid;
	int n;

	CHECK_RET(drv_start(&d, blk_binary(), img_fd, NULL, NULL), 0);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup_log(&d, 0, 128, true, false), 0);
	CHECK_RET(blk_slot_init(&d, &slot, 4096), 0);
	rw_roundtrip(0, 0, 4096, 20);
	pid = device_pid();
	ck_assert_msg(pid > 0, "device process not found");
	n = count_memfds(pid, first, sizeof(first));
	if (n == -EACCES || n == -EPERM) {
		printf("no_memfd_kept: /proc/%d/fd unreadable here; not "
		       "checked\n", (int)pid);
		return;
	}
	ck_assert_int_ge(n, 0);
	ck_assert_msg(n == 0, "the device holds %d memfd(s): %s", n, first);
}
END_TEST

START_TEST(health_backend)
{
	Atoll__HealthRequest hr = ATOLL__HEALTH_REQUEST__INIT;
	struct atoll_msg *reply = NULL;
	const char *want = getenv("ATOLL_BLK_AIO");
	const Atoll__HealthReport *r;

	start(NULL, 1);
	rw_roundtrip(0, 0, 512, 17);
	CHECK_RET(atoll_bus_call(d.ctl, ATOLL__MSG_TYPE__MSG_HEALTH, &hr.base,
				 NULL, 0, 5000, &reply), 0);
	r = (const Atoll__HealthReport *)reply->body;
	printf("health: %s, %llu completed\n", r->status,
	       (unsigned long long)r->requests_completed);
	ck_assert_uint_eq(r->requests_completed, 2);
	if (want && !strcmp(want, "threads"))
		ck_assert_ptr_nonnull(strstr(r->status, "aio threads"));
	/* main() skipped where the host or build has no io_uring: a silent
	 * fallback to the thread pool would test the wrong backend. */
	if (want && !strcmp(want, "uring"))
		ck_assert_msg(strstr(r->status, "aio io_uring"), "%s",
			      r->status);
	atoll_msg_free(reply);
}
END_TEST

static Suite *blk_suite(void)
{
	Suite *s = suite_create("virtio-blk");
	TCase *t = tcase_create("device");

	tcase_set_timeout(t, 30);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, describe_config);
	tcase_add_test(t, read_write_verify);
	tcase_add_test(t, read_write_writethrough);
	tcase_add_test(t, read_write_direct);
	tcase_add_test(t, get_id);
	tcase_add_test(t, flush_and_unsupported);
	tcase_add_test(t, discard);
	tcase_add_test(t, write_zeroes);
	tcase_add_test(t, out_of_range);
	tcase_add_test(t, readonly);
	tcase_add_test(t, malformed_chain);
	tcase_add_test(t, indirect_request);
	tcase_add_test(t, broken_avail_idx);
	tcase_add_test(t, many_in_flight);
	tcase_add_test(t, multi_queue);
	tcase_add_test(t, peer_misuse);
	tcase_add_test(t, fault_inject);
	tcase_add_test(t, queue_stop_drains);
	tcase_add_test(t, fault_delay);
	tcase_add_test(t, restart_resubmits);
	tcase_add_test(t, peer_protocol_rules);
	tcase_add_test(t, health_backend);
	tcase_add_test(t, no_memfd_kept);
	suite_add_tcase(s, t);
	return s;
}

/* Why this variant cannot run here, or NULL. Probed on the host and the
 * build, never through the sandbox or the device, so a broken one fails. */
static const char *unmet_need(char *buf, size_t len)
{
	const char *run = getenv("ATOLL_BLK_SANDBOX_RUN");
	const char *aio = getenv("ATOLL_BLK_AIO");

	if (run && *run)
		return build_sandbox_unavailable() ? build_sandbox_unavailable() :
		       host_sandbox_unavailable(buf, len);
	if (aio && !strcmp(aio, "uring") && getenv("ATOLL_BLK_NO_URING"))
		return "atoll-virtio-blk is built without liburing";
	if (aio && !strcmp(aio, "uring"))
		return host_uring_unavailable(buf, len);
	return NULL;
}

int main(void)
{
	SRunner *sr;
	char buf[300];
	const char *why = unmet_need(buf, sizeof(buf));
	int failed;

	if (why) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	sr = srunner_create(blk_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
