/* SPDX-License-Identifier: MIT */
/*
 * The virtio_net_hdr every frame carries (12 bytes with VIRTIO_F_VERSION_1)
 * and the frame checks and checksum help of the TX path. Pure functions on
 * byte buffers: no ring, no backend, so they are unit-tested and fuzzed on
 * their own.
 */
#ifndef ATOLL_NET_HDR_H
#define ATOLL_NET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_HDR_LEN 12u
#define NET_ETH_HLEN 14u
/* The MTU offered (VIRTIO_NET_F_MTU) and the largest frame it allows,
 * with one VLAN tag. slirp's own MTU/MRU is the same 1500. */
#define NET_MTU 1500u
#define NET_MAX_FRAME (NET_MTU + NET_ETH_HLEN + 4u)

/* The header in host order (the wire is little-endian). */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

void net_hdr_decode(const uint8_t raw[NET_HDR_LEN], struct net_hdr *h);
void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN]);

/*
 * Checks a TX frame (without its header) against its header: length in
 * [NET_ETH_HLEN, NET_MAX_FRAME], no GSO (none is offered), NEEDS_CSUM only
 * when `csum` (VIRTIO_NET_F_CSUM) was negotiated and with csum_start and
 * csum_offset inside the frame. Returns NULL if the frame may be sent, else
 * the reason to drop it.
 */
const char *net_tx_check(const struct net_hdr *h, size_t frame_len,
			 bool csum);

/*
 * Completes a partial checksum (NEEDS_CSUM): the Internet checksum of
 * frame[start..len), which already holds the pseudo-header sum in its
 * checksum field, is stored at frame + start + offset. The caller checked
 * the bounds with net_tx_check().
 */
void net_csum_complete(uint8_t *frame, size_t len, uint16_t start,
		       uint16_t offset);

/* The ones' complement sum of `len` bytes (not folded, not inverted),
 * big-endian 16-bit words; an odd last byte is padded with zero. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t net_csum_fold(uint32_t sum);

#endif
