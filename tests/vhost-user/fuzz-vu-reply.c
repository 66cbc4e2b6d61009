/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: vhost-user replies as a hostile back-end could send them.
 * The first 13 bytes pick what the bridge asked (request, ring index,
 * config offset/size, whether a REPLY_ACK status is awaited); the rest is
 * the reply (header + payload) in an allocation of its exact size, so a
 * read past it is an ASan report. A reply the parser accepts must match
 * the request in every field the bridge relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vu-msg.h"

static const uint32_t requests[] = {
	VU_GET_FEATURES, VU_GET_PROTOCOL_FEATURES, VU_GET_QUEUE_NUM,
	VU_GET_VRING_BASE, VU_GET_CONFIG, VU_SET_MEM_TABLE, VU_SET_FEATURES,
	VU_SET_VRING_KICK, VU_SET_CONFIG,
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_expect e = { 0 };
	struct vu_reply r;
	uint8_t *buf;
	size_t len;
	int rc, hdr;

	if (size < 13)
		return 0;
	e.request = requests[data[0] % (sizeof(requests) / sizeof(requests[0]))];
	e.index = data[1] % 4;
	e.cfg_offset = data[2];
	e.cfg_size = 1 + (uint32_t)data[3] % VU_MAX_CONFIG;
	e.ack = e.request == VU_SET_MEM_TABLE || e.request == VU_SET_FEATURES ||
		e.request == VU_SET_VRING_KICK || e.request == VU_SET_CONFIG ||
		(data[4] & 1);
	unsigned nfds = (data[4] >> 1) & 1;
	len = size - 13;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 13, len);
	if (len >= VU_HDR_SIZE) {
		hdr = vu_hdr_check(&e, buf, nfds);
		if (hdr >= 0 && (uint32_t)hdr > VU_MAX_REPLY)
			abort();
	}
	rc = vu_reply_parse(&e, buf, len, nfds, &r);
	if (rc == 0) {
		uint32_t psize = get32(buf + 8);

		if (nfds || get32(buf) != e.request ||
		    len != VU_HDR_SIZE + psize)
			abort();
		if (e.ack && r.u64 != 0)
			abort();
		if (!e.ack && e.request == VU_GET_CONFIG &&
		    psize != VU_CONFIG_HDR + e.cfg_size)
			abort();
		if (!e.ack && e.request == VU_GET_VRING_BASE &&
		    get32(buf + VU_HDR_SIZE) != e.index)
			abort();
	}
	free(buf);
	return 0;
}
