/* SPDX-License-Identifier: MIT */
/*
 * The size of a disk image handed over as an fd (atoll-virtio-blk, and
 * the launcher's usb kind, whose sources tests/manifest also builds
 * without libatoll-common: hence inline, in the header).
 */
#ifndef ATOLL_DISK_SIZE_H
#define ATOLL_DISK_SIZE_H

#include <errno.h>
#include <stddef.h>	/* size_t, for BLKGETSIZE64 */
#include <stdint.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

/* *bytes = the size of the regular file or block device at fd: 0, or
 * -errno, -EINVAL for any other file type. */
static inline int disk_size(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

#endif
