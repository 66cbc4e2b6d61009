/* SPDX-License-Identifier: MIT */
#include "blk-util.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int blk_slot_init(struct drv *d, struct blk_slot *s, uint32_t data_size)
{
	s->hdr = drv_alloc(d, 16, 16);
	s->status = drv_alloc(d, 1, 1);
	s->data = drv_alloc(d, data_size ? data_size : 512, 4096);
	s->data_size = data_size;
	return s->hdr && s->status && s->data ? 0 : -ENOMEM;
}

int blk_submit(struct drv *d, unsigned qi, const struct blk_slot *s,
	       uint32_t type, uint64_t sector, uint32_t len, bool data_write)
{
	struct virtio_blk_outhdr *h = drv_ptr(d, s->hdr);
	struct drv_seg seg[3];
	unsigned n = 0;

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = htole64(sector);
	*(uint8_t *)drv_ptr(d, s->status) = 0xee;
	seg[n++] = (struct drv_seg){ s->hdr, 16, false };
	if (len)
		seg[n++] = (struct drv_seg){ s->data, len, data_write };
	seg[n++] = (struct drv_seg){ s->status, 1, true };
	return drv_add_chain(d, qi, seg, n);
}

int blk_do(struct drv *d, unsigned qi, const struct blk_slot *s,
	   uint32_t type, uint64_t sector, uint32_t len, bool data_write,
	   uint32_t *used_len)
{
	int head = blk_submit(d, qi, s, type, sector, len, data_write);
	uint16_t h;
	uint32_t l;
	int rc;

	if (head < 0)
		return head;
	drv_kick(d, qi);
	rc = drv_get_used(d, qi, &h, &l, 5000);
	if (rc <= 0)
		return rc < 0 ? rc : -ETIMEDOUT;
	if (h != head)
		return -EPROTO;
	if (used_len)
		*used_len = l;
	return *(uint8_t *)drv_ptr(d, s->status);
}

uint64_t blk_std_features(const struct drv *d)
{
	uint64_t want = 1ull << VIRTIO_F_VERSION_1 |
			1ull << VIRTIO_RING_F_EVENT_IDX |
			1ull << VIRTIO_RING_F_INDIRECT_DESC |
			1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
			1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_DISCARD |
			1ull << VIRTIO_BLK_F_WRITE_ZEROES | 1ull << VIRTIO_BLK_F_MQ |
			1ull << VIRTIO_BLK_F_RO;

	return want & d->offered;
}

const char *blk_binary(void)
{
	const char *b = getenv("ATOLL_VIRTIO_BLK");

	return b ? b : "atoll-virtio-blk";
}
