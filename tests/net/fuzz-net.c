/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what atoll-virtio-net parses from untrusted input:
 * hostfwd rules (manifest text) and TX headers + frames (guest memory).
 * Invariants: no out-of-bounds access (ASan), a parsed rule round-trips
 * its ports inside 1..65535 and its guest address inside 10.0.2.0/24, and
 * a frame net_tx_check() accepts never makes net_csum_complete() write
 * outside it.
 */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostfwd.h"
#include "net-hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_rule(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct hostfwd f;
	const char *why = NULL;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hostfwd_parse(s, &f, &why) == 0) {
		if (!f.host_port || !f.guest_port ||
		    (ntohl(f.guest.s_addr) & 0xffffff00u) != 0x0a000200u)
			abort();
	} else if (!why) {
		abort();
	}
	free(s);
}

static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct net_hdr h;
	uint8_t *frame;
	size_t len;

	if (size < NET_HDR_LEN)
		return;
	net_hdr_decode(data, &h);
	len = size - NET_HDR_LEN;
	/* An exact-size copy, so ASan sees any write past the frame. */
	frame = malloc(len ? len : 1);
	if (!frame)
		return;
	memcpy(frame, data + NET_HDR_LEN, len);
	if (!net_tx_check(&h, len, true) &&
	    (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		net_csum_complete(frame, len, h.csum_start, h.csum_offset);
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	/* The first byte picks the parser. */
	if (data[0] & 1)
		fuzz_rule(data + 1, size - 1);
	else
		fuzz_frame(data + 1, size - 1);
	return 0;
}
