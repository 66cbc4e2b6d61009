/* SPDX-License-Identifier: MIT */
#include "net-hdr.h"

#include <linux/virtio_net.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void net_hdr_decode(const uint8_t raw[NET_HDR_LEN], struct net_hdr *h)
{
	h->flags = raw[0];
	h->gso_type = raw[1];
	h->hdr_len = get16(raw + 2);
	h->gso_size = get16(raw + 4);
	h->csum_start = get16(raw + 6);
	h->csum_offset = get16(raw + 8);
	h->num_buffers = get16(raw + 10);
}

void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN])
{
	raw[0] = h->flags;
	raw[1] = h->gso_type;
	put16(raw + 2, h->hdr_len);
	put16(raw + 4, h->gso_size);
	put16(raw + 6, h->csum_start);
	put16(raw + 8, h->csum_offset);
	put16(raw + 10, h->num_buffers);
}

const char *net_tx_check(const struct net_hdr *h, size_t frame_len, bool csum)
{
	if (frame_len < NET_ETH_HLEN)
		return "frame shorter than an Ethernet header";
	if (frame_len > NET_MAX_FRAME)
		return "frame longer than the MTU allows";
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return "GSO frame, but no GSO feature was offered";
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return NULL;
	if (!csum)
		return "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
	/* The 2-byte field must lie inside the summed range. Computed in
	 * size_t: the u16 sum cannot overflow it. */
	if ((size_t)h->csum_start + h->csum_offset + 2u > frame_len)
		return "csum_start + csum_offset outside the frame";
	return NULL;
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	/* Fold the 64-bit accumulator so the result fits 32 bits again. */
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

void net_csum_complete(uint8_t *frame, size_t len, uint16_t start,
		       uint16_t offset)
{
	uint16_t c = (uint16_t)~net_csum_fold(net_csum_add(0, frame + start,
							    len - start));
	uint8_t *field = frame + start + offset;

	/* UDP (RFC 768): a computed zero is sent as all ones, zero meaning
	 * "no checksum"; for TCP both forms are equal in ones' complement. */
	if (c == 0)
		c = 0xffff;
	field[0] = (uint8_t)(c >> 8);
	field[1] = (uint8_t)c;
}
