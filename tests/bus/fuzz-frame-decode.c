/* SPDX-License-Identifier: MIT */
/* libFuzzer target for atoll_frame_decode, the gate every received frame
 * passes. Input: one byte giving the number of (fake) fds attached, then
 * the raw frame. A frame that decodes must re-encode to bytes that decode
 * and re-encode to the same bytes again (what a relaying process does). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atoll/bus.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void reencode_is_stable(const ProtobufCMessage *body)
{
	size_t n = protobuf_c_message_get_packed_size(body), n2;
	uint8_t *a = malloc(n + 1), *b;
	ProtobufCMessage *again;

	check(a != NULL);
	check(protobuf_c_message_pack(body, a) == n);
	again = protobuf_c_message_unpack(body->descriptor, NULL, n, a);
	check(again != NULL);
	n2 = protobuf_c_message_get_packed_size(again);
	check(n2 == n);
	b = malloc(n2 + 1);
	check(b != NULL);
	check(protobuf_c_message_pack(again, b) == n2);
	check(memcmp(a, b, n) == 0);
	protobuf_c_message_free_unpacked(again, NULL);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct atoll_msg m;
	int fds[ATOLL_BUS_MAX_FDS + 2];
	unsigned nfds;
	int r;

	if (size < 1)
		return 0;
	nfds = data[0] % (ATOLL_BUS_MAX_FDS + 2);
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = 1000 + (int)i; /* never closed: decode only copies */
	r = atoll_frame_decode(data + 1, size - 1, fds, nfds, &m);
	if (r < 0) {
		check(r == -EBADMSG || r == -EPROTO || r == -E2BIG ||
		      r == -EMSGSIZE);
		return 0;
	}
	check(m.body != NULL && m.nfds == nfds);
	check(m.body->descriptor == atoll_msg_type_descriptor(m.type));
	check(nfds <= atoll_msg_type_max_fds(m.type));
	check(m.id != 0 || m.flags == 0);
	reencode_is_stable(m.body);
	protobuf_c_message_free_unpacked(m.body, NULL);
	return 0;
}
