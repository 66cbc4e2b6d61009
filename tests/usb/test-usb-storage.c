/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's mass storage device (dev-usb/usb-storage.c over
 * scsi-disk.c), driven only through usb-device.h as the controller does:
 * CBWs, data and CSWs in bulk packets of assorted sizes, on a temporary
 * image file. Enumeration, the SCSI commands Linux uses, write then read
 * back (and the data in the image file once the CSW is there), range and
 * write-protect errors as sense data, invalid CBWs and the BOT cases where
 * host and device disagree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scsi-disk.h"
#include "usb-test.h"

#define EP_IN 0x81
#define EP_OUT 0x02
#define BULK USB_XFER_BULK
#define BLOCKS 2048u
#define SENSE_KEY(s) ((s)[2] & 0x0f)
#define SENSE_ASC(s) ((s)[12] << 8 | (s)[13])

static struct usb_device *d;
static struct test_port port;
static int fd = -1;
static char path[] = "/tmp/atoll-test-usb-storage-XXXXXX";
static uint32_t tag = 1;
/* Packet size the controller uses for data phases in a test. */
static size_t chunk = 4096;
/* The speed new_device() makes the disk at: tcase "bot" high, "bot-ss"
 * SuperSpeed. */
static enum usb_speed speed = USB_SPEED_HIGH;

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static void fill_image(void)
{
	static uint8_t b[BLOCKS * SCSI_BLOCK];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = pattern(i);
	ck_assert_int_eq(pwrite(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
}

static struct usb_device *new_device(int f, bool ro)
{
	const char *why = NULL;
	struct usb_device *dev = usb_storage_new(f, ro, speed, NULL, &why);

	ck_assert_msg(dev, "usb_storage_new: %s", why);
	usb_port_attach(dev, &test_port_ops, &port);
	return dev;
}

static void setup(void)
{
	memset(&port, 0, sizeof(port));
	strcpy(path, "/tmp/atoll-test-usb-storage-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	fill_image();
	d = new_device(fd, false);
	set_config(d, 1);
	chunk = 4096;
}

static void setup_ss(void)
{
	speed = USB_SPEED_SUPER;
	setup();
}

static void teardown(void)
{
	d->ops->destroy(d);
	close(fd);
}

static int out(const void *buf, size_t len)
{
	return xfer(d, EP_OUT, BULK, (uint8_t *)buf, len, NULL);
}

static int in(void *buf, size_t len, size_t *actual)
{
	return xfer(d, EP_IN, BULK, buf, len, actual);
}

static void clear_halt(uint8_t ep)
{
	ck_assert_int_eq(ctrl(d, 0x02, USB_REQ_CLEAR_FEATURE,
			      USB_FEAT_ENDPOINT_HALT, ep, 0, NULL, NULL),
			 USB_RET_SUCCESS);
}

static int send_cbw(uint32_t len, bool dir_in, const uint8_t *cdb,
		    size_t cdb_len)
{
	uint8_t c[31] = { 0x55, 0x53, 0x42, 0x43 };

	memcpy(c + 4, &tag, 4);         /* little-endian host */
	memcpy(c + 8, &len, 4);
	c[12] = dir_in ? 0x80 : 0;
	c[14] = (uint8_t)cdb_len;
	memcpy(c + 15, cdb, cdb_len);
	return out(c, sizeof(c));
}

struct csw {
	uint32_t tag, residue;
	uint8_t status;
};

static struct csw read_csw(void)
{
	uint8_t c[512];
	size_t n;
	struct csw s;

	ck_assert_int_eq(in(c, sizeof(c), &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(memcmp(c, "USBS", 4), 0);
	memcpy(&s.tag, c + 4, 4);
	memcpy(&s.residue, c + 8, 4);
	s.status = c[12];
	ck_assert_uint_eq(s.tag, tag);
	tag++;
	return s;
}

/*
 * One command as Linux's usb-storage runs it: CBW, the data phase in
 * `chunk`-byte packets until a short packet, the host's length or a
 * STALL (then CLEAR_FEATURE), and the CSW. *moved: data bytes moved.
 */
static struct csw command(const uint8_t *cdb, size_t cdb_len, bool dir_in,
			  uint8_t *data, uint32_t len, size_t *moved)
{
	size_t done = 0, n;
	int rc;

	ck_assert_int_eq(send_cbw(len, dir_in, cdb, cdb_len),
			 USB_RET_SUCCESS);
	while (done < len) {
		size_t want = len - done < chunk ? len - done : chunk;

		if (dir_in) {
			rc = in(data + done, want, &n);
		} else {
			rc = out(data + done, want);
			n = want;
		}
		if (rc == USB_RET_STALL) {
			clear_halt(dir_in ? EP_IN : EP_OUT);
			break;
		}
		ck_assert_int_eq(rc, USB_RET_SUCCESS);
		done += n;
		if (n < want)
			break;
	}
	if (moved)
		*moved = done;
	return read_csw();
}

/* REQUEST SENSE: the sense key and ASC/ASCQ of the last command. */
static void expect_sense(uint8_t key, uint16_t asc)
{
	uint8_t cdb[6] = { 0x03, 0, 0, 0, 18, 0 }, s[18];
	size_t n;
	struct csw c = command(cdb, 6, true, s, 18, &n);

	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 18);
	ck_assert_int_eq(s[0], 0x70);
	ck_assert_msg(SENSE_KEY(s) == key && SENSE_ASC(s) == asc,
		      "sense %#x/%#06x, wanted %#x/%#06x", SENSE_KEY(s),
		      SENSE_ASC(s), key, asc);
}

static void rw10(uint8_t op, uint32_t lba, uint16_t blocks, uint8_t *cdb)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[2] = lba >> 24;
	cdb[3] = lba >> 16;
	cdb[4] = lba >> 8;
	cdb[5] = lba & 0xff;
	cdb[7] = blocks >> 8;
	cdb[8] = blocks & 0xff;
}

static void rw16(uint8_t op, uint64_t lba, uint32_t blocks, uint8_t *cdb)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	for (int i = 0; i < 8; i++)
		cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		cdb[10 + i] = (uint8_t)(blocks >> (24 - 8 * i));
}

START_TEST(storage_enumerates)
{
	uint8_t cfg[256], b[64];
	size_t total, n, off;
	const uint8_t *iface = NULL;
	unsigned bulk = 0;
	char s[64];

	ck_assert_int_eq(d->speed, USB_SPEED_HIGH);
	ck_assert_str_eq(d->kind, "storage");
	total = check_enumeration(d, cfg, sizeof(cfg), 0x1209, 0x0003);
	for (off = 0; off < total; off += cfg[off]) {
		if (cfg[off + 1] == USB_DT_INTERFACE)
			iface = cfg + off;
		if (cfg[off + 1] == USB_DT_ENDPOINT) {
			ck_assert_int_eq(cfg[off + 3] & 3, USB_XFER_BULK);
			ck_assert_int_eq(cfg[off + 4] | cfg[off + 5] << 8, 512);
			ck_assert(cfg[off + 2] == EP_IN ||
				  cfg[off + 2] == EP_OUT);
			bulk++;
		}
	}
	ck_assert_uint_eq(bulk, 2);
	ck_assert_ptr_nonnull(iface);
	ck_assert_int_eq(iface[5], 0x08);
	ck_assert_int_eq(iface[6], 0x06);
	ck_assert_int_eq(iface[7], 0x50);
	/* High speed: a device qualifier, and the other speed's bulk
	 * endpoints at 64 bytes. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10,
			      b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(b[1], USB_DT_DEVICE_QUALIFIER);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0700, 0, 64,
			      b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, total);
	ck_assert_int_eq(b[1], USB_DT_OTHER_SPEED_CONFIG);
	ck_assert_int_eq(b[18 + 4], 64);
	ck_assert_int_eq(b[25 + 4], 64);
	/* Get Max LUN: 0; other class requests stall. */
	b[0] = 0xee;
	ck_assert_int_eq(ctrl(d, 0xa1, 0xfe, 0, 0, 1, b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(ctrl(d, 0xa1, 0xfd, 0, 0, 1, b, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x21, 0xff, 0, 1, 0, NULL, NULL),
			 USB_RET_STALL);
	get_string(d, USB_STR_SERIAL, s, sizeof(s));
	ck_assert_str_eq(s, "ATOLL0000001");
}
END_TEST

/* Device capability `type` in the BOS `bos` of `total` bytes, or NULL;
 * checks the framing on the way. */
static const uint8_t *bos_cap(const uint8_t *bos, size_t total, uint8_t type)
{
	const uint8_t *found = NULL;
	size_t off, caps = 0;

	for (off = 5; off < total; off += bos[off]) {
		ck_assert_uint_ge(bos[off], 3);
		ck_assert_uint_le(off + bos[off], total);
		ck_assert_int_eq(bos[off + 1], USB_DT_DEVICE_CAPABILITY);
		if (bos[off + 2] == type)
			found = bos + off;
		caps++;
	}
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(caps, bos[4]);
	return found;
}

START_TEST(ss_enumerates)
{
	uint8_t cfg[256], b[256];
	const uint8_t *cap;
	size_t total, n, off;
	unsigned bulk = 0;

	ck_assert_int_eq(d->speed, USB_SPEED_SUPER);
	total = check_enumeration(d, cfg, sizeof(cfg), 0x1209, 0x0003);
	/* USB 3.0, EP0 of 2^9 = 512 bytes. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18,
			      b, &n), USB_RET_SUCCESS);
	ck_assert_int_eq(b[2] | b[3] << 8, 0x0300);
	ck_assert_int_eq(b[7], 9);
	/* Each bulk endpoint of 1024 bytes, its companion right after it:
	 * bursts of 16, no streams. */
	for (off = 0; off < total; off += cfg[off]) {
		if (cfg[off + 1] != USB_DT_ENDPOINT)
			continue;
		ck_assert_int_eq(cfg[off + 3] & 3, USB_XFER_BULK);
		ck_assert_int_eq(cfg[off + 4] | cfg[off + 5] << 8, 1024);
		ck_assert_uint_le(off + 7 + 6, total);
		ck_assert_int_eq(cfg[off + 7], 6);
		ck_assert_int_eq(cfg[off + 8], USB_DT_SS_EP_COMPANION);
		ck_assert_int_eq(cfg[off + 9], 15);
		ck_assert_int_eq(cfg[off + 10], 0);
		bulk++;
	}
	ck_assert_uint_eq(bulk, 2);
	/* BOS: the header first (as Linux reads it), then all of it. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0, 5,
			      b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(b[0], 5);
	ck_assert_int_eq(b[1], USB_DT_BOS);
	total = b[2] | b[3] << 8;
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0,
			      sizeof(b), b, &n), USB_RET_SUCCESS);
	ck_assert_uint_eq(n, total);
	/* USB 2.0 Extension with LPM; SuperSpeed USB: speeds full, high
	 * and super, U1/U2 exit latencies not zero. */
	cap = bos_cap(b, total, 0x02);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(cap[0], 7);
	ck_assert_int_eq(cap[3] & 2, 2);
	cap = bos_cap(b, total, 0x03);
	ck_assert_ptr_nonnull(cap);
	ck_assert_int_eq(cap[0], 10);
	ck_assert_int_eq(cap[4] | cap[5] << 8, 0x0e);
	ck_assert(cap[7] || cap[8] || cap[9]);
	/* No device qualifier or other-speed configuration at SuperSpeed. */
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10,
			      b, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0700, 0, 64,
			      b, NULL), USB_RET_STALL);
	/* SET_SEL (6 bytes), SET_ISOCH_DELAY, U1/U2 enable. */
	memset(b, 0, 6);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_SEL, 0, 0, 6, b, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_SEL, 0, 0, 5, b, NULL),
			 USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_ISOCH_DELAY, 40, 0, 0,
			      NULL, NULL), USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_FEATURE,
			      USB_FEAT_U1_ENABLE, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_STATUS, 0, 0, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 1 << 2);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_CLEAR_FEATURE,
			      USB_FEAT_U1_ENABLE, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_STATUS, 0, 0, 2, b, &n),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(b[0], 0);
	/* U1/U2 are features of the configured state only. */
	set_config(d, 0);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_FEATURE,
			      USB_FEAT_U2_ENABLE, 0, 0, NULL, NULL),
			 USB_RET_STALL);
}
END_TEST

/* A high-speed disk has no BOS and no USB 3 requests; a disk is high
 * speed or SuperSpeed only. */
START_TEST(hs_no_usb3_requests)
{
	uint8_t b[64] = { 0 };
	const char *why = NULL;

	ck_assert_int_eq(ctrl(d, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0, 5,
			      b, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_SEL, 0, 0, 6, b, NULL),
			 USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_ISOCH_DELAY, 40, 0, 0,
			      NULL, NULL), USB_RET_STALL);
	ck_assert_int_eq(ctrl(d, 0x00, USB_REQ_SET_FEATURE,
			      USB_FEAT_U1_ENABLE, 0, 0, NULL, NULL),
			 USB_RET_STALL);
	ck_assert_ptr_null(usb_storage_new(fd, false, USB_SPEED_FULL, NULL,
					   &why));
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(inquiry_and_capacity)
{
	uint8_t cdb[16] = { 0x12, 0, 0, 0, 36, 0 }, b[512];
	size_t n;
	struct csw c;

	c = command(cdb, 6, true, b, 36, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.residue, 0);
	ck_assert_uint_eq(n, 36);
	ck_assert_int_eq(b[0], 0);
	ck_assert_int_eq(memcmp(b + 8, "ATOLL   ", 8), 0);
	/* READ CAPACITY (10): the last block and the block size. */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x25;
	c = command(cdb, 10, true, b, 8, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_uint_eq((uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3],
			  BLOCKS - 1);
	ck_assert_uint_eq(b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7], 512);
	/* READ CAPACITY (16) */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x9e;
	cdb[1] = 0x10;
	cdb[13] = 32;
	c = command(cdb, 16, true, b, 32, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 32);
	ck_assert_uint_eq(b[6] << 8 | b[7], BLOCKS - 1);
	ck_assert_uint_eq(b[10] << 8 | b[11], 512);
	/* VPD: the supported pages, the serial (the USB serial). */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x12;
	cdb[1] = 1;
	cdb[4] = 255;
	c = command(cdb, 6, true, b, 255, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(c.residue, 255 - 7);
	ck_assert_int_eq(b[5], 0x80);
	cdb[2] = 0x80;
	c = command(cdb, 6, true, b, 255, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 4 + 12);
	ck_assert_int_eq(memcmp(b + 4, "ATOLL0000001", 12), 0);
	cdb[2] = 0x83;
	c = command(cdb, 6, true, b, 255, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, (size_t)(b[3] + 4));
	/* Any other page: ILLEGAL REQUEST, INVALID FIELD IN CDB. */
	cdb[2] = 0xb0;
	c = command(cdb, 6, true, b, 255, &n);
	ck_assert_int_eq(c.status, 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.residue, 255);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* Sense is read once, then cleared. */
	expect_sense(SENSE_NO_SENSE, ASC_NONE);
}
END_TEST

START_TEST(write_read_back)
{
	static uint8_t w[64 * 1024], r[64 * 1024];
	uint8_t cdb[16];
	size_t n;
	struct csw c;
	static const size_t chunks[] = { 512, 4096, 1000, 65536, 31 };

	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		uint32_t lba = 100 + 128 * (uint32_t)k;

		chunk = chunks[k];
		for (size_t i = 0; i < sizeof(w); i++)
			w[i] = (uint8_t)(i * 13 + k + 1);
		if (k % 2)
			rw16(0x8a, lba, sizeof(w) / 512, cdb);
		else
			rw10(0x2a, lba, sizeof(w) / 512, cdb);
		c = command(cdb, k % 2 ? 16 : 10, false, w, sizeof(w), &n);
		ck_assert_int_eq(c.status, 0);
		ck_assert_uint_eq(c.residue, 0);
		/* The CSW is the acknowledgement: the image has it. */
		ck_assert_int_eq(pread(fd, r, sizeof(r), lba * 512),
				 (ssize_t)sizeof(r));
		ck_assert_int_eq(memcmp(r, w, sizeof(w)), 0);
		memset(r, 0, sizeof(r));
		if (k % 2)
			rw16(0x88, lba, sizeof(r) / 512, cdb);
		else
			rw10(0x28, lba, sizeof(r) / 512, cdb);
		c = command(cdb, k % 2 ? 16 : 10, true, r, sizeof(r), &n);
		ck_assert_int_eq(c.status, 0);
		ck_assert_uint_eq(c.residue, 0);
		ck_assert_uint_eq(n, sizeof(r));
		ck_assert_int_eq(memcmp(r, w, sizeof(w)), 0);
	}
	/* Blocks around the writes are untouched. */
	rw10(0x28, 99, 1, cdb);
	c = command(cdb, 10, true, r, 512, &n);
	ck_assert_int_eq(c.status, 0);
	for (size_t i = 0; i < 512; i++)
		ck_assert_int_eq(r[i], pattern(99 * 512 + i));
	/* READ (6), WRITE (6) and SYNCHRONIZE CACHE (10) and (16). */
	memset(w, 0x5a, 512);
	c = command((const uint8_t[]){ 0x0a, 0, 0, 7, 1, 0 }, 6, false, w,
		    512, NULL);
	ck_assert_int_eq(c.status, 0);
	c = command((const uint8_t[]){ 0x08, 0, 0, 7, 1, 0 }, 6, true, r, 512,
		    &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_int_eq(memcmp(r, w, 512), 0);
	c = command((const uint8_t[]){ 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 10,
		    false, NULL, 0, NULL);
	ck_assert_int_eq(c.status, 0);
	rw16(0x91, 0, 0, cdb);
	c = command(cdb, 16, false, NULL, 0, NULL);
	ck_assert_int_eq(c.status, 0);
}
END_TEST

START_TEST(out_of_range)
{
	uint8_t cdb[16], b[1024];
	size_t n;
	struct csw c;

	/* The last block reads; one past it does not. */
	rw10(0x28, BLOCKS - 1, 1, cdb);
	c = command(cdb, 10, true, b, 512, &n);
	ck_assert_int_eq(c.status, 0);
	rw10(0x28, BLOCKS - 1, 2, cdb);
	c = command(cdb, 10, true, b, 1024, &n);
	ck_assert_int_eq(c.status, 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.residue, 1024);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	/* An LBA near 2^64 does not wrap. */
	rw16(0x88, ~0ull, 2, cdb);
	c = command(cdb, 16, true, b, 1024, &n);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	rw16(0x8a, BLOCKS, 1, cdb);
	c = command(cdb, 16, false, b, 512, &n);
	ck_assert_int_eq(c.status, 1);
	ck_assert_uint_eq(c.residue, 512);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	rw10(0x2f, BLOCKS, 1, cdb);
	c = command(cdb, 10, false, NULL, 0, NULL);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	rw10(0x2f, 0, 1, cdb);
	c = command(cdb, 10, false, NULL, 0, NULL);
	ck_assert_int_eq(c.status, 0);
	/* Unknown opcode; a CDB shorter than its opcode's group. */
	c = command((const uint8_t[]){ 0x04, 0, 0, 0, 0, 0 }, 6, false, NULL,
		    0, NULL);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	c = command((const uint8_t[]){ 0x28, 0, 0, 0, 0, 0 }, 6, true, b, 512,
		    NULL);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}
END_TEST

START_TEST(readonly_data_protect)
{
	uint8_t cdb[16], b[512], before[512];
	size_t n;
	struct csw c;
	const char *why = NULL;
	char p[64];
	int f;

	d->ops->destroy(d);
	d = new_device(fd, true);
	set_config(d, 1);
	ck_assert_int_eq(pread(fd, before, 512, 0), 512);
	memset(b, 0xa5, sizeof(b));
	rw10(0x2a, 0, 1, cdb);
	c = command(cdb, 10, false, b, 512, &n);
	ck_assert_int_eq(c.status, 1);
	ck_assert_uint_eq(c.residue, 512);
	expect_sense(SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
	ck_assert_int_eq(pread(fd, b, 512, 0), 512);
	ck_assert_int_eq(memcmp(b, before, 512), 0);
	/* MODE SENSE says so (WP, device-specific parameter bit 7). */
	c = command((const uint8_t[]){ 0x1a, 0, 0x3f, 0, 192, 0 }, 6, true, b,
		    192, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_int_eq(b[2] & 0x80, 0x80);
	/* A writable disk needs a writable image. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	f = open(p, O_RDONLY);
	ck_assert_int_ge(f, 0);
	ck_assert_ptr_null(usb_storage_new(f, false, speed, NULL, &why));
	ck_assert_ptr_nonnull(why);
	close(f);
}
END_TEST

START_TEST(bad_images_refused)
{
	const char *why = NULL;
	char p[] = "/tmp/atoll-test-usb-storage-XXXXXX";
	int f = mkstemp(p);

	ck_assert_int_ge(f, 0);
	unlink(p);
	ck_assert_ptr_null(usb_storage_new(f, false, speed, NULL, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(ftruncate(f, 1000), 0);
	why = NULL;
	ck_assert_ptr_null(usb_storage_new(f, false, speed, NULL, &why));
	ck_assert_ptr_nonnull(why);
	close(f);
}
END_TEST

START_TEST(mode_sense_pages)
{
	uint8_t b[256];
	size_t n;
	struct csw c;

	/* All pages, as sd asks: header, block descriptor, caching with
	 * WCE set, control. */
	c = command((const uint8_t[]){ 0x1a, 0, 0x3f, 0, 192, 0 }, 6, true, b,
		    192, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, (size_t)b[0] + 1);
	ck_assert_int_eq(b[2] & 0x80, 0);
	ck_assert_int_eq(b[3], 8);
	ck_assert_int_eq(b[4 + 8], 0x08);
	ck_assert_int_eq(b[4 + 8 + 2] & 0x04, 0x04);
	/* MODE SENSE (10), caching page alone, no block descriptor. */
	c = command((const uint8_t[]){ 0x5a, 0x08, 0x08, 0, 0, 0, 0, 0, 255,
				       0 }, 10, true, b, 255, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 8 + 20);
	ck_assert_uint_eq(b[0] << 8 | b[1], n - 2);
	ck_assert_int_eq(b[8], 0x08);
	ck_assert_int_eq(b[10] & 0x04, 0x04);
	/* An allocation length shorter than the data cuts it. */
	c = command((const uint8_t[]){ 0x1a, 0, 0x08, 0, 4, 0 }, 6, true, b,
		    4, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 4);
	/* Pages not offered, saved values. */
	c = command((const uint8_t[]){ 0x1a, 0, 0x1c, 0, 192, 0 }, 6, true, b,
		    192, &n);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	c = command((const uint8_t[]){ 0x1a, 0, 0xc8, 0, 192, 0 }, 6, true, b,
		    192, &n);
	ck_assert_int_eq(c.status, 1);
	expect_sense(SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUPPORTED);
	/* The rest of what Linux sends at probe. */
	c = command((const uint8_t[]){ 0x00, 0, 0, 0, 0, 0 }, 6, false, NULL,
		    0, NULL);
	ck_assert_int_eq(c.status, 0);
	c = command((const uint8_t[]){ 0x1e, 0, 0, 0, 1, 0 }, 6, false, NULL,
		    0, NULL);
	ck_assert_int_eq(c.status, 0);
	c = command((const uint8_t[]){ 0x1b, 0, 0, 0, 1, 0 }, 6, false, NULL,
		    0, NULL);
	ck_assert_int_eq(c.status, 0);
	c = command((const uint8_t[]){ 0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0 }, 10,
		    true, b, 252, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_uint_eq(b[6] << 8 | b[7], BLOCKS);
	ck_assert_int_eq(b[8], 0x02);
}
END_TEST

START_TEST(bad_cbw_stalls_until_reset)
{
	uint8_t c[31] = { 0x55, 0x53, 0x42, 0x44 }, b[512];
	uint8_t tur[6] = { 0 };

	/* A wrong signature: both bulk endpoints stall ... */
	ck_assert_int_eq(out(c, sizeof(c)), USB_RET_STALL);
	ck_assert_int_eq(in(b, sizeof(b), NULL), USB_RET_STALL);
	/* ... and stay stalled after CLEAR_FEATURE alone ... */
	clear_halt(EP_IN);
	clear_halt(EP_OUT);
	ck_assert_int_eq(send_cbw(0, false, tur, 6), USB_RET_STALL);
	/* ... until Reset Recovery: the class reset, then both halts. */
	ck_assert_int_eq(ctrl(d, 0x21, 0xff, 0, 0, 0, NULL, NULL),
			 USB_RET_SUCCESS);
	ck_assert_int_eq(send_cbw(0, false, tur, 6), USB_RET_STALL);
	clear_halt(EP_OUT);
	clear_halt(EP_IN);
	ck_assert_int_eq(command(tur, 6, false, NULL, 0, NULL).status, 0);
	/* Not meaningful: a LUN, a CB length of 0 or 17, 30 bytes. */
	for (int i = 0; i < 4; i++) {
		uint8_t g[32] = { 0x55, 0x53, 0x42, 0x43 };
		size_t len = 31;

		g[14] = 6;
		if (i == 0)
			g[13] = 1;
		if (i == 1)
			g[14] = 0;
		if (i == 2)
			g[14] = 17;
		if (i == 3)
			len = 30;
		ck_assert_int_eq(out(g, len), USB_RET_STALL);
		ck_assert_int_eq(ctrl(d, 0x21, 0xff, 0, 0, 0, NULL, NULL),
				 USB_RET_SUCCESS);
		clear_halt(EP_OUT);
		clear_halt(EP_IN);
		ck_assert_int_eq(command(tur, 6, false, NULL, 0, NULL).status,
				 0);
	}
	/* A port reset also ends it. */
	ck_assert_int_eq(out(c, sizeof(c)), USB_RET_STALL);
	d->ops->reset(d);
	set_config(d, 1);
	ck_assert_int_eq(command(tur, 6, false, NULL, 0, NULL).status, 0);
	/* Out of step: IN while a CBW is awaited, OUT while a CSW is. */
	ck_assert_int_eq(in(b, sizeof(b), NULL), USB_RET_STALL);
	clear_halt(EP_IN);
	ck_assert_int_eq(send_cbw(0, false, tur, 6), USB_RET_SUCCESS);
	ck_assert_int_eq(send_cbw(0, false, tur, 6), USB_RET_STALL);
	clear_halt(EP_OUT);
	ck_assert_int_eq(read_csw().status, 0);
}
END_TEST

/* BOT 6.7: host and device disagree about the data phase. */
START_TEST(phase_errors)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, cdb[16], b[4096], img[1024];
	size_t n;
	struct csw c;

	/* Case 2 (Hn < Di): INQUIRY with no data phase. */
	c = command(inq, 6, true, b, 0, &n);
	ck_assert_int_eq(c.status, 2);
	/* Case 3 (Hn < Do): WRITE with no data phase. */
	rw10(0x2a, 0, 1, cdb);
	c = command(cdb, 10, false, NULL, 0, NULL);
	ck_assert_int_eq(c.status, 2);
	/* Case 8 (Hi <> Do): the IN phase stalls, the CSW says so. */
	ck_assert_int_eq(pread(fd, img, sizeof(img), 0), (ssize_t)sizeof(img));
	rw10(0x2a, 0, 1, cdb);
	c = command(cdb, 10, true, b, 512, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(c.status, 2);
	/* Case 10 (Ho <> Di): the OUT phase stalls. */
	c = command(inq, 6, false, b, 36, &n);
	ck_assert_int_eq(c.status, 2);
	/* Case 13 (Ho < Do): 1 KiB of a 2-block WRITE: nothing written. */
	memset(b, 0x77, sizeof(b));
	rw10(0x2a, 0, 2, cdb);
	c = command(cdb, 10, false, b, 512, &n);
	ck_assert_int_eq(c.status, 2);
	ck_assert_int_eq(pread(fd, b, sizeof(img), 0), (ssize_t)sizeof(img));
	ck_assert_int_eq(memcmp(b, img, sizeof(img)), 0);
	/* Case 7 (Hi < Di): 512 bytes of a 2-block READ, then Phase Error. */
	rw10(0x28, 0, 2, cdb);
	c = command(cdb, 10, true, b, 512, &n);
	ck_assert_uint_eq(n, 512);
	ck_assert_int_eq(c.status, 2);
	ck_assert_int_eq(memcmp(b, img, 512), 0);
	/* The device goes on. */
	c = command(inq, 6, true, b, 36, &n);
	ck_assert_int_eq(c.status, 0);
}
END_TEST

/* BOT 6.7: the device moves less than the host expected. */
START_TEST(short_data_phases)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, tur[6] = { 0 }, cdb[16];
	static uint8_t b[8192];
	size_t n;
	struct csw c;

	/* Case 5 (Hi > Di): a short packet ends the phase. */
	c = command(inq, 6, true, b, 100, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 36);
	ck_assert_uint_eq(c.residue, 100 - 36);
	/* Case 5 at a packet boundary: the data fills whole packets, then
	 * the next IN stalls. */
	chunk = 512;
	rw10(0x28, 0, 2, cdb);
	c = command(cdb, 10, true, b, 2048, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 1024);
	ck_assert_uint_eq(c.residue, 1024);
	/* Case 4 (Hi > Dn): the IN phase stalls at once. */
	c = command(tur, 6, true, b, 512, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.residue, 512);
	/* Case 9 (Ho > Dn): the OUT phase stalls. */
	c = command(tur, 6, false, b, 512, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.residue, 512);
	/* Case 11 (Ho > Do): the block is written, the rest stalls. */
	memset(b, 0x3c, sizeof(b));
	rw10(0x2a, 5, 1, cdb);
	c = command(cdb, 10, false, b, 2048, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.residue, 2048 - 512);
	ck_assert_int_eq(pread(fd, b + 4096, 512, 5 * 512), 512);
	ck_assert_int_eq(memcmp(b, b + 4096, 512), 0);
	/* Case 11 inside one packet: the excess is dropped. */
	chunk = 8192;
	memset(b, 0x4d, sizeof(b));
	rw10(0x2a, 6, 1, cdb);
	c = command(cdb, 10, false, b, 1024, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.residue, 512);
	ck_assert_int_eq(pread(fd, b + 4096, 1024, 6 * 512), 1024);
	ck_assert_int_eq(memcmp(b, b + 4096, 512), 0);
	ck_assert_int_ne(b[4096 + 512], 0x4d);
	/* A CSW into a buffer too small for it. */
	ck_assert_int_eq(send_cbw(0, false, tur, 6), USB_RET_SUCCESS);
	ck_assert_int_eq(in(b, 8, &n), USB_RET_BABBLE);
	ck_assert_uint_eq(n, 8);
	tag++;
	ck_assert_int_eq(command(tur, 6, false, NULL, 0, NULL).status, 0);
}
END_TEST

START_TEST(io_error_is_medium_error)
{
	uint8_t cdb[16], b[1024];
	size_t n;
	struct csw c;

	/* The image shrinks under the device: reads past its end fail. */
	ck_assert_int_eq(ftruncate(fd, BLOCKS * 512 / 2), 0);
	rw10(0x28, BLOCKS - 2, 2, cdb);
	c = command(cdb, 10, true, b, 1024, &n);
	ck_assert_int_eq(c.status, 1);
	ck_assert_uint_eq(n, 0);
	expect_sense(SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
	rw10(0x28, 0, 2, cdb);
	c = command(cdb, 10, true, b, 1024, &n);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(n, 1024);
}
END_TEST

START_TEST(unconfigured_and_wrong_endpoints)
{
	uint8_t b[512];

	ck_assert_int_eq(xfer(d, 0x83, BULK, b, 512, NULL), USB_RET_STALL);
	ck_assert_int_eq(xfer(d, EP_IN, USB_XFER_INTERRUPT, b, 512, NULL),
			 USB_RET_STALL);
	set_config(d, 0);
	ck_assert_int_eq(in(b, 512, NULL), USB_RET_STALL);
	ck_assert_int_eq(out(b, 31), USB_RET_STALL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("usb-storage");
	TCase *t = tcase_create("bot");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, storage_enumerates);
	tcase_add_test(t, inquiry_and_capacity);
	tcase_add_test(t, write_read_back);
	tcase_add_test(t, out_of_range);
	tcase_add_test(t, readonly_data_protect);
	tcase_add_test(t, bad_images_refused);
	tcase_add_test(t, mode_sense_pages);
	tcase_add_test(t, bad_cbw_stalls_until_reset);
	tcase_add_test(t, phase_errors);
	tcase_add_test(t, short_data_phases);
	tcase_add_test(t, io_error_is_medium_error);
	tcase_add_test(t, unconfigured_and_wrong_endpoints);
	tcase_add_test(t, hs_no_usb3_requests);
	suite_add_tcase(s, t);
	/* SuperSpeed: its descriptors, and the data path unchanged. */
	t = tcase_create("bot-ss");
	tcase_add_checked_fixture(t, setup_ss, teardown);
	tcase_add_test(t, ss_enumerates);
	tcase_add_test(t, inquiry_and_capacity);
	tcase_add_test(t, write_read_back);
	tcase_add_test(t, bad_cbw_stalls_until_reset);
	tcase_add_test(t, short_data_phases);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
