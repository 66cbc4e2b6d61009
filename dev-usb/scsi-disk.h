/* SPDX-License-Identifier: MIT */
/*
 * A SCSI direct-access disk (SBC-3 / SPC-4 subset, the commands Linux's sd
 * and usb-storage drivers send) on an image file, 512-byte blocks. Apart
 * from any transport: usb-storage.c carries its CDBs and data in bulk-only
 * transport, the fuzzer feeds it directly.
 *
 * A command is begun with its CDB (scsi_disk_begin), which says which way
 * and how many bytes of data it moves (its allocation length or its
 * blocks); the transport then moves the data in pieces of any size with
 * scsi_disk_read / scsi_disk_write (never more than req.len in all) and
 * reports req.status. Sense data of a failed command is kept for the next
 * REQUEST SENSE; any other command clears it.
 *
 * Durability: scsi_disk_write returns once pwrite has returned for its
 * bytes (the data is in the host's page cache: a crash of this process
 * loses nothing acknowledged); SYNCHRONIZE CACHE is fdatasync.
 */
#ifndef ATOLL_SCSI_DISK_H
#define ATOLL_SCSI_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCSI_BLOCK 512u
#define SCSI_CDB_MAX 16u
#define SCSI_BUF_MAX 256u

/* Status codes (SAM-5) */
#define SCSI_GOOD 0x00
#define SCSI_CHECK_CONDITION 0x02

/* Sense keys */
#define SENSE_NO_SENSE 0x0
#define SENSE_NOT_READY 0x2
#define SENSE_MEDIUM_ERROR 0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define SENSE_DATA_PROTECT 0x7

/* Additional sense codes (ASC << 8 | ASCQ) */
#define ASC_NONE 0x0000
#define ASC_WRITE_ERROR 0x0c00
#define ASC_UNRECOVERED_READ_ERROR 0x1100
#define ASC_INVALID_OPCODE 0x2000
#define ASC_LBA_OUT_OF_RANGE 0x2100
#define ASC_INVALID_FIELD_IN_CDB 0x2400
#define ASC_WRITE_PROTECTED 0x2700
#define ASC_SAVING_PARAMS_UNSUPPORTED 0x3900

enum scsi_dir {
	SCSI_DIR_NONE,
	SCSI_DIR_IN,            /* device to host */
	SCSI_DIR_OUT,           /* host to device */
};

struct scsi_disk;

/* One command in progress. */
struct scsi_req {
	enum scsi_dir dir;      /* SCSI_DIR_NONE when len is 0 */
	uint64_t len;           /* bytes of data the command moves */
	uint64_t done;          /* bytes moved so far */
	uint8_t status;         /* SCSI_GOOD or SCSI_CHECK_CONDITION */
	/* private to scsi-disk.c */
	bool image;             /* the data is the image at `offset` */
	uint64_t offset;
	uint8_t buf[SCSI_BUF_MAX];
};

/* A disk on `fd` (not taken: the caller closes it after freeing). Its
 * size must be a positive multiple of 512. `serial` (printable ASCII, cut
 * at 32) is the unit serial number (VPD page 0x80). NULL and *why set on
 * failure. */
struct scsi_disk *scsi_disk_new(int fd, bool readonly, const char *serial,
				const char **why);
void scsi_disk_free(struct scsi_disk *d);
uint64_t scsi_disk_blocks(const struct scsi_disk *d);

/* Begins the command in cdb[0..len) (len 1..16; a shorter CDB than its
 * opcode needs is an invalid field). A command without data has run when
 * this returns; r->status says how it went. */
void scsi_disk_begin(struct scsi_disk *d, const uint8_t *cdb, size_t len,
		     struct scsi_req *r);
/* Copies the next n bytes of IN data (n <= r->len - r->done). Returns 0,
 * or -EIO: the image could not be read, the command failed with MEDIUM
 * ERROR and moves no more data. */
int scsi_disk_read(struct scsi_disk *d, struct scsi_req *r, uint8_t *buf,
		   size_t n);
/* Takes the next n bytes of OUT data (n <= r->len - r->done) and writes
 * them to the image. Returns 0 once written, or -EIO (MEDIUM ERROR, the
 * command takes no more data). */
int scsi_disk_write(struct scsi_disk *d, struct scsi_req *r,
		    const uint8_t *buf, size_t n);

/* The sense of the last failed command (fixed format, 18 bytes), for
 * tests: key, ASC << 8 | ASCQ. */
void scsi_disk_sense(const struct scsi_disk *d, uint8_t *key, uint16_t *asc);

#endif
