/* SPDX-License-Identifier: MIT */
/* Frame encoding and the validating decoder every received frame goes
 * through. Pure functions: no socket, no allocation beyond the body. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-private.h"

void bus_close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void bus_msg_clear(struct atoll_msg *msg)
{
	if (msg->body)
		protobuf_c_message_free_unpacked(msg->body, NULL);
	msg->body = NULL;
	bus_close_fds(msg->fds, msg->nfds);
	msg->nfds = 0;
}

/* Header rules that need no payload: magic, reserved, flags, ids, type. */
static int check_header(const struct atoll_frame_header *h)
{
	if (h->magic != ATOLL_BUS_MAGIC || h->reserved != 0)
		return -EPROTO;
	if (h->flags & ~ATOLL_FRAME_FLAGS_MASK)
		return -EPROTO;
	if ((h->flags & ATOLL_FRAME_NEED_REPLY) && (h->flags & ATOLL_FRAME_REPLY))
		return -EPROTO;
	/* Requests and replies are matched by id, 0 is never allocated;
	 * posted frames carry 0. */
	if ((h->flags != 0) != (h->id != 0))
		return -EPROTO;
	if (!atoll_msg_type_descriptor(h->type))
		return -EPROTO;
	return 0;
}

/* protobuf-c accepts an over-long encoding of field number 0 and keeps it
 * as an unknown field, which it then re-encodes into bytes it rejects. No
 * valid message has field 0 anywhere, so refuse it up front. */
static bool body_is_valid(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > 32)
		return false;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return false;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		ProtobufCMessage *const *sub;
		size_t n = 1;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&sub, base + f->offset, sizeof(sub));
		} else {
			sub = (ProtobufCMessage *const *)(base + f->offset);
		}
		for (size_t j = 0; j < n; j++)
			if (sub[j] && !body_is_valid(sub[j], depth + 1))
				return false;
	}
	return true;
}

int atoll_frame_decode(const void *buf, size_t len, const int *fds,
		       unsigned nfds, struct atoll_msg *msg)
{
	struct atoll_frame_header h;
	ProtobufCMessage *body;
	int r;

	if (!buf || !msg || (nfds && !fds))
		return -EINVAL;
	if (len < ATOLL_FRAME_HEADER_SIZE)
		return -EBADMSG;
	if (len > ATOLL_BUS_MAX_FRAME)
		return -EMSGSIZE;
	memcpy(&h, buf, sizeof(h));
	r = check_header(&h);
	if (r < 0)
		return r;
	if (h.size != len - ATOLL_FRAME_HEADER_SIZE)
		return -EBADMSG;
	if (nfds > ATOLL_BUS_MAX_FDS || nfds > atoll_msg_type_max_fds(h.type))
		return -E2BIG;
	body = protobuf_c_message_unpack(atoll_msg_type_descriptor(h.type),
					 NULL, h.size,
					 (const uint8_t *)buf +
						 ATOLL_FRAME_HEADER_SIZE);
	if (!body)
		return -EBADMSG;
	if (!body_is_valid(body, 0)) {
		protobuf_c_message_free_unpacked(body, NULL);
		return -EBADMSG;
	}

	memset(msg, 0, sizeof(*msg));
	msg->type = h.type;
	msg->flags = h.flags;
	msg->id = h.id;
	msg->body = body;
	for (unsigned i = 0; i < ATOLL_BUS_MAX_FDS; i++)
		msg->fds[i] = i < nfds ? fds[i] : -1;
	msg->nfds = nfds;
	return 0;
}

int bus_check_outgoing(uint16_t type, const ProtobufCMessage *body,
		       const int *fds, unsigned nfds)
{
	const ProtobufCMessageDescriptor *desc = atoll_msg_type_descriptor(type);

	if (!desc || (body && body->descriptor != desc))
		return -EINVAL;
	if (nfds > atoll_msg_type_max_fds(type) || (nfds && !fds))
		return -EINVAL;
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return -EBADF;
	return 0;
}

long bus_frame_encode(void *buf, uint16_t type, uint16_t flags, uint64_t id,
		      const ProtobufCMessage *body)
{
	struct atoll_frame_header h = {
		.magic = ATOLL_BUS_MAGIC,
		.type = type,
		.flags = flags,
		.id = id,
	};
	size_t size = body ? protobuf_c_message_get_packed_size(body) : 0;

	if (size > ATOLL_BUS_MAX_PAYLOAD)
		return -EMSGSIZE;
	h.size = (uint32_t)size;
	memcpy(buf, &h, sizeof(h));
	if (body && protobuf_c_message_pack(body, (uint8_t *)buf +
					    ATOLL_FRAME_HEADER_SIZE) != size)
		return -EINVAL;
	return (long)(ATOLL_FRAME_HEADER_SIZE + size);
}

int atoll_msg_take_fd(struct atoll_msg *msg, unsigned i)
{
	int fd;

	if (!msg || i >= msg->nfds || i >= ATOLL_BUS_MAX_FDS)
		return -1;
	fd = msg->fds[i];
	msg->fds[i] = -1;
	return fd;
}

void atoll_msg_free(struct atoll_msg *msg)
{
	if (!msg)
		return;
	bus_msg_clear(msg);
	free(msg);
}
