/* SPDX-License-Identifier: MIT */
/*
 * A SCSI disk on an image file: the commands Linux's sd and usb-storage
 * send (TEST UNIT READY, REQUEST SENSE, INQUIRY with VPD 0x00/0x80/0x83,
 * READ CAPACITY 10/16, READ/WRITE 6/10/16, MODE SENSE 6/10, SYNCHRONIZE
 * CACHE 10/16, PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT, READ FORMAT
 * CAPACITIES, VERIFY 10). Every CDB field is the guest's: a range past the
 * capacity is LBA OUT OF RANGE, anything unknown ILLEGAL REQUEST, and an
 * I/O error MEDIUM ERROR; none of them stops the device.
 */
#include "scsi-disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define SERIAL_MAX 32

struct scsi_disk {
	int fd;
	bool readonly;
	uint64_t blocks;
	char serial[SERIAL_MAX + 1];
	uint8_t sense_key;
	uint16_t asc;
	unsigned io_errors;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffff);
}

struct scsi_disk *scsi_disk_new(int fd, bool readonly, const char *serial,
				const char **why)
{
	struct scsi_disk *d;
	off_t size = lseek(fd, 0, SEEK_END);
	int fl = fcntl(fd, F_GETFL);
	size_t n = 0;

	if (size < 0 || fl < 0) {
		*why = "cannot find the image's size";
		return NULL;
	}
	if (size == 0 || size % SCSI_BLOCK) {
		*why = "the image's size is not a positive multiple of 512";
		return NULL;
	}
	if (!readonly && (fl & O_ACCMODE) == O_RDONLY) {
		*why = "the image is open read-only for a writable disk";
		return NULL;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		*why = "out of memory";
		return NULL;
	}
	d->fd = fd;
	d->readonly = readonly;
	d->blocks = (uint64_t)size / SCSI_BLOCK;
	for (; serial && *serial && n < SERIAL_MAX; serial++)
		if (*serial > 0x20 && *serial < 0x7f)
			d->serial[n++] = *serial;
	return d;
}

void scsi_disk_free(struct scsi_disk *d)
{
	free(d);
}

uint64_t scsi_disk_blocks(const struct scsi_disk *d)
{
	return d->blocks;
}

void scsi_disk_sense(const struct scsi_disk *d, uint8_t *key, uint16_t *asc)
{
	*key = d->sense_key;
	*asc = d->asc;
}

/* The command failed: CHECK CONDITION with this sense, no data. */
static void fail(struct scsi_disk *d, struct scsi_req *r, uint8_t key,
		 uint16_t asc)
{
	d->sense_key = key;
	d->asc = asc;
	r->status = SCSI_CHECK_CONDITION;
	r->dir = SCSI_DIR_NONE;
	r->len = r->done;
}

/* IN data built here: as much of it as the allocation length allows. */
static void reply(struct scsi_req *r, size_t n, uint32_t alloc)
{
	r->len = n < alloc ? n : alloc;
	r->dir = r->len ? SCSI_DIR_IN : SCSI_DIR_NONE;
}

/* The logged I/O errors: the 1st, 2nd, 4th, 8th... */
static void io_error(struct scsi_disk *d, const char *what, uint64_t off,
		     int err)
{
	d->io_errors++;
	if (!(d->io_errors & (d->io_errors - 1)))
		log_warn("disk image %s at %llu failed: %s (%u I/O errors)",
			 what, (unsigned long long)off,
			 err ? strerror(err) : "end of file", d->io_errors);
}

static bool range_ok(struct scsi_disk *d, struct scsi_req *r, uint64_t lba,
		     uint64_t n)
{
	if (lba > d->blocks || n > d->blocks - lba) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	return true;
}

static void rw(struct scsi_disk *d, struct scsi_req *r, bool write,
	       uint64_t lba, uint64_t n)
{
	if (write && d->readonly) {
		fail(d, r, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	if (!range_ok(d, r, lba, n))
		return;
	r->image = true;
	r->offset = lba * SCSI_BLOCK;
	r->len = n * SCSI_BLOCK;
	r->dir = !n ? SCSI_DIR_NONE : write ? SCSI_DIR_OUT : SCSI_DIR_IN;
}

static void inquiry(struct scsi_disk *d, struct scsi_req *r,
		    const uint8_t *cdb)
{
	uint32_t alloc = be16(cdb + 3);
	uint8_t *b = r->buf;
	size_t n, sl = strlen(d->serial);

	/* CMDDT (obsolete) and reserved bits set: an invalid field. */
	if (cdb[1] & 0xfe || (!(cdb[1] & 1) && cdb[2])) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	memset(b, 0, SCSI_BUF_MAX);
	if (!(cdb[1] & 1)) {
		b[0] = 0x00;            /* direct access block device */
		b[1] = 0x00;            /* not removable */
		b[2] = 0x05;            /* SPC-3 */
		b[3] = 0x02;            /* response data format 2 */
		b[4] = 36 - 5;
		memcpy(b + 8, "ATOLL   ", 8);
		memcpy(b + 16, "USB DISK        ", 16);
		memcpy(b + 32, "0.1 ", 4);
		reply(r, 36, alloc);
		return;
	}
	b[1] = cdb[2];
	switch (cdb[2]) {
	case 0x00:              /* supported pages */
		b[3] = 3;
		b[4] = 0x00;
		b[5] = 0x80;
		b[6] = 0x83;
		n = 7;
		break;
	case 0x80:              /* unit serial number */
		b[3] = (uint8_t)sl;
		memcpy(b + 4, d->serial, sl);
		n = 4 + sl;
		break;
	case 0x83:              /* device identification: T10 vendor id */
		b[4] = 0x02;    /* ASCII */
		b[5] = 0x01;    /* T10 vendor id, of the logical unit */
		b[7] = (uint8_t)(8 + sl);
		memcpy(b + 8, "ATOLL   ", 8);
		memcpy(b + 16, d->serial, sl);
		n = 16 + sl;
		b[3] = (uint8_t)(n - 4);
		break;
	default:
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	reply(r, n, alloc);
}

static void request_sense(struct scsi_disk *d, struct scsi_req *r,
			  const uint8_t *cdb)
{
	uint8_t *b = r->buf;

	/* Descriptor format sense is not offered. */
	if (cdb[1] & 1) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	memset(b, 0, 18);
	b[0] = 0x70;            /* current error, fixed format */
	b[2] = d->sense_key;
	b[7] = 10;              /* additional sense length */
	b[12] = d->asc >> 8;
	b[13] = d->asc & 0xff;
	d->sense_key = SENSE_NO_SENSE;
	d->asc = ASC_NONE;
	reply(r, 18, cdb[4]);
}

static void mode_sense(struct scsi_disk *d, struct scsi_req *r,
		       const uint8_t *cdb, bool ten)
{
	bool dbd = cdb[1] & 0x08;
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f, sub = cdb[3];
	uint32_t alloc = ten ? be16(cdb + 7) : cdb[4];
	size_t hdr = ten ? 8 : 4, n = hdr;
	uint8_t *b = r->buf;

	if (pc == 3) {
		fail(d, r, SENSE_ILLEGAL_REQUEST,
		     ASC_SAVING_PARAMS_UNSUPPORTED);
		return;
	}
	if ((sub && !(page == 0x3f && sub == 0xff)) ||
	    (page != 0x08 && page != 0x0a && page != 0x3f)) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	memset(b, 0, SCSI_BUF_MAX);
	if (!dbd) {
		/* Short block descriptor: blocks (saturated), block size. */
		uint64_t blocks = d->blocks > 0xffffff ? 0xffffff : d->blocks;

		b[n + 1] = (blocks >> 16) & 0xff;
		b[n + 2] = (blocks >> 8) & 0xff;
		b[n + 3] = blocks & 0xff;
		b[n + 6] = SCSI_BLOCK >> 8;
		n += 8;
	}
	if (page == 0x08 || page == 0x3f) {
		/* Caching: the host's page cache is a write-back cache
		 * (WCE=1), so Linux sends SYNCHRONIZE CACHE on flushes. No
		 * field is changeable. */
		b[n] = 0x08;
		b[n + 1] = 0x12;
		b[n + 2] = pc == 1 ? 0 : 0x04;
		n += 20;
	}
	if (page == 0x0a || page == 0x3f) {
		b[n] = 0x0a;            /* control */
		b[n + 1] = 0x0a;
		n += 12;
	}
	if (ten) {
		put16(b, (uint16_t)(n - 2));
		b[3] = d->readonly ? 0x80 : 0;
		put16(b + 6, dbd ? 0 : 8);
	} else {
		b[0] = (uint8_t)(n - 1);
		b[2] = d->readonly ? 0x80 : 0;
		b[3] = dbd ? 0 : 8;
	}
	reply(r, n, alloc);
}

static void sync_cache(struct scsi_disk *d, struct scsi_req *r, uint64_t lba,
		       uint64_t n)
{
	int rc;

	if (!range_ok(d, r, lba, n) || d->readonly)
		return;
	do
		rc = fdatasync(d->fd);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		io_error(d, "fdatasync", 0, errno);
		fail(d, r, SENSE_MEDIUM_ERROR, ASC_WRITE_ERROR);
	}
}

/* The CDB length an opcode's group has (SPC-4 4.2.5.1); 0: none. */
static size_t cdb_len(uint8_t op)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[op >> 5];
}

void scsi_disk_begin(struct scsi_disk *d, const uint8_t *cdb_in, size_t len,
		     struct scsi_req *r)
{
	uint8_t cdb[SCSI_CDB_MAX] = { 0 }, *b = r->buf;
	uint64_t blocks;

	r->dir = SCSI_DIR_NONE;
	r->len = r->done = 0;
	r->status = SCSI_GOOD;
	r->image = false;
	r->offset = 0;
	if (len < 1 || len > SCSI_CDB_MAX) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	memcpy(cdb, cdb_in, len);
	/* REQUEST SENSE reports the last command's sense; any other
	 * command starts afresh. */
	if (cdb[0] != 0x03) {
		d->sense_key = SENSE_NO_SENSE;
		d->asc = ASC_NONE;
	}
	if (!cdb_len(cdb[0])) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (len < cdb_len(cdb[0])) {
		fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	blocks = d->blocks;
	switch (cdb[0]) {
	case 0x00:              /* TEST UNIT READY */
	case 0x1e:              /* PREVENT ALLOW MEDIUM REMOVAL */
	case 0x1b:              /* START STOP UNIT: nothing to spin */
		return;
	case 0x03:
		request_sense(d, r, cdb);
		return;
	case 0x12:
		inquiry(d, r, cdb);
		return;
	case 0x25:              /* READ CAPACITY (10) */
		put32(b, blocks - 1 > 0xffffffffu ? 0xffffffffu :
		      (uint32_t)(blocks - 1));
		put32(b + 4, SCSI_BLOCK);
		reply(r, 8, 8);
		return;
	case 0x9e:              /* SERVICE ACTION IN (16) */
		if ((cdb[1] & 0x1f) != 0x10) {  /* READ CAPACITY (16) */
			fail(d, r, SENSE_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_CDB);
			return;
		}
		memset(b, 0, 32);
		put64(b, blocks - 1);
		put32(b + 8, SCSI_BLOCK);
		reply(r, 32, be32(cdb + 10));
		return;
	case 0x23:              /* READ FORMAT CAPACITIES */
		memset(b, 0, 12);
		b[3] = 8;
		put32(b + 4, blocks > 0xffffffffu ? 0xffffffffu :
		      (uint32_t)blocks);
		b[8] = 0x02;    /* formatted media */
		b[10] = SCSI_BLOCK >> 8;
		reply(r, 12, be16(cdb + 7));
		return;
	case 0x08:              /* READ (6): 0 blocks means 256 */
	case 0x0a:              /* WRITE (6) */
		rw(d, r, cdb[0] == 0x0a,
		   (uint64_t)(cdb[1] & 0x1f) << 16 | be16(cdb + 2),
		   cdb[4] ? cdb[4] : 256);
		return;
	case 0x28:              /* READ (10) */
	case 0x2a:              /* WRITE (10) */
		rw(d, r, cdb[0] == 0x2a, be32(cdb + 2), be16(cdb + 7));
		return;
	case 0x88:              /* READ (16) */
	case 0x8a:              /* WRITE (16) */
		rw(d, r, cdb[0] == 0x8a, be64(cdb + 2), be32(cdb + 10));
		return;
	case 0x2f:              /* VERIFY (10): the medium is fine */
		if (cdb[1] & 0x06) {    /* BYTCHK: compare data, not offered */
			fail(d, r, SENSE_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_CDB);
			return;
		}
		range_ok(d, r, be32(cdb + 2), be16(cdb + 7));
		return;
	case 0x1a:
		mode_sense(d, r, cdb, false);
		return;
	case 0x5a:
		mode_sense(d, r, cdb, true);
		return;
	case 0x35:              /* SYNCHRONIZE CACHE (10) */
		sync_cache(d, r, be32(cdb + 2), be16(cdb + 7));
		return;
	case 0x91:              /* SYNCHRONIZE CACHE (16) */
		sync_cache(d, r, be64(cdb + 2), be32(cdb + 10));
		return;
	}
	fail(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

int scsi_disk_read(struct scsi_disk *d, struct scsi_req *r, uint8_t *buf,
		   size_t n)
{
	uint64_t off;
	size_t got = 0;
	ssize_t k;

	if (r->dir != SCSI_DIR_IN || n > r->len - r->done)
		return -EINVAL;
	if (!r->image) {
		memcpy(buf, r->buf + r->done, n);
		r->done += n;
		return 0;
	}
	off = r->offset + r->done;
	while (got < n) {
		k = pread(d->fd, buf + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			/* An error, or the image shrank under us. */
			io_error(d, "read", off + got, k < 0 ? errno : 0);
			fail(d, r, SENSE_MEDIUM_ERROR,
			     ASC_UNRECOVERED_READ_ERROR);
			return -EIO;
		}
		got += (size_t)k;
	}
	r->done += n;
	return 0;
}

int scsi_disk_write(struct scsi_disk *d, struct scsi_req *r,
		    const uint8_t *buf, size_t n)
{
	uint64_t off;
	size_t put = 0;
	ssize_t k;

	if (r->dir != SCSI_DIR_OUT || !r->image || n > r->len - r->done)
		return -EINVAL;
	off = r->offset + r->done;
	while (put < n) {
		k = pwrite(d->fd, buf + put, n - put, (off_t)(off + put));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			io_error(d, "write", off + put, k < 0 ? errno : ENOSPC);
			fail(d, r, SENSE_MEDIUM_ERROR, ASC_WRITE_ERROR);
			return -EIO;
		}
		put += (size_t)k;
	}
	r->done += n;
	return 0;
}
