/* SPDX-License-Identifier: MIT */
/* virtio-blk requests over the test driver, shared by tests and bench. */
#ifndef ATOLL_TEST_BLK_UTIL_H
#define ATOLL_TEST_BLK_UTIL_H

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "driver.h"

/* A request slot: header, status byte and a data buffer in guest RAM. */
struct blk_slot {
	uint64_t hdr, status, data;
	uint32_t data_size;
};

int blk_slot_init(struct drv *d, struct blk_slot *s, uint32_t data_size);
/* Makes a request available (header + data (if len) + status); no kick.
 * Returns the head or -errno. data_write: device writes the data (IN). */
int blk_submit(struct drv *d, unsigned qi, const struct blk_slot *s,
	       uint32_t type, uint64_t sector, uint32_t len, bool data_write);
/* Submits, kicks, waits. Returns the status byte (0 OK, 1 IOERR, 2
 * UNSUPP), or -errno; *used_len gets the used length if non-NULL. */
int blk_do(struct drv *d, unsigned qi, const struct blk_slot *s,
	   uint32_t type, uint64_t sector, uint32_t len, bool data_write,
	   uint32_t *used_len);
/* The usual driver feature set (VERSION_1 + ring + blk features offered). */
uint64_t blk_std_features(const struct drv *d);
/* The device binary: $ATOLL_VIRTIO_BLK. */
const char *blk_binary(void);

#endif
