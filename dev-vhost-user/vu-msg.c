/* SPDX-License-Identifier: MIT */
#include "vu-msg.h"

#include <errno.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint8_t *begin(struct vu_out *o, uint32_t req, uint32_t size)
{
	memset(o->buf, 0, sizeof(o->buf));
	put32(o->buf, req);
	put32(o->buf + 4, VU_FLAG_VERSION);
	put32(o->buf + 8, size);
	o->len = VU_HDR_SIZE + size;
	return o->buf + VU_HDR_SIZE;
}

void vu_out_empty(struct vu_out *o, uint32_t req)
{
	begin(o, req, 0);
}

void vu_out_u64(struct vu_out *o, uint32_t req, uint64_t v)
{
	put64(begin(o, req, 8), v);
}

void vu_out_state(struct vu_out *o, uint32_t req, uint32_t index,
		  uint32_t num)
{
	uint8_t *p = begin(o, req, 8);

	put32(p, index);
	put32(p + 4, num);
}

void vu_out_addr(struct vu_out *o, const struct vu_vring_addr *a)
{
	uint8_t *p = begin(o, VU_SET_VRING_ADDR, 40);

	put32(p, a->index);
	put32(p + 4, a->flags);
	put64(p + 8, a->desc);
	put64(p + 16, a->used);
	put64(p + 24, a->avail);
	put64(p + 32, a->log);
}

int vu_out_mem_table(struct vu_out *o, const struct vu_region *r,
		     unsigned n)
{
	uint8_t *p;

	if (n > VU_MAX_REGIONS)
		return -EINVAL;
	/* nregions, padding, then one 32-byte record per region. */
	p = begin(o, VU_SET_MEM_TABLE, 8 + 32 * n);
	put32(p, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *q = p + 8 + 32 * i;

		put64(q, r[i].guest_addr);
		put64(q + 8, r[i].size);
		put64(q + 16, r[i].user_addr);
		put64(q + 24, r[i].mmap_offset);
	}
	return 0;
}

int vu_out_config(struct vu_out *o, uint32_t req, uint32_t offset,
		  uint32_t size, const void *data)
{
	uint8_t *p;

	if (size == 0 || size > VU_MAX_CONFIG)
		return -EINVAL;
	p = begin(o, req, VU_CONFIG_HDR + size);
	put32(p, offset);
	put32(p + 4, size);
	put32(p + 8, 0);   /* flags: a front-end write, not a migration */
	if (data)
		memcpy(p + VU_CONFIG_HDR, data, size);
	return 0;
}

void vu_out_need_reply(struct vu_out *o)
{
	put32(o->buf + 4, get32(o->buf + 4) | VU_FLAG_NEED_REPLY);
}

int vu_hdr_check(const struct vu_expect *e, const uint8_t *hdr,
		 unsigned nfds)
{
	uint32_t req = get32(hdr), flags = get32(hdr + 4);
	uint32_t size = get32(hdr + 8);

	/* The bridge asks for nothing that comes with fds. */
	if (nfds)
		return -EPROTO;
	if (flags != (VU_FLAG_VERSION | VU_FLAG_REPLY) || req != e->request)
		return -EPROTO;
	if (size > VU_MAX_REPLY)
		return -EMSGSIZE;
	return (int)size;
}

/* The payload size a well-formed reply to `e` has. */
static uint32_t want_size(const struct vu_expect *e)
{
	if (e->ack)
		return 8;
	switch (e->request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		return 8;
	case VU_GET_VRING_BASE:
		return 8;
	case VU_GET_CONFIG:
		return VU_CONFIG_HDR + e->cfg_size;
	default:
		return UINT32_MAX;   /* nothing else has a reply */
	}
}

static int parse_config(const struct vu_expect *e, const uint8_t *p,
			uint32_t size, struct vu_reply *r)
{
	if (size == 0)
		return -EIO;   /* the back-end's "could not" */
	if (e->cfg_size == 0 || e->cfg_size > VU_MAX_CONFIG ||
	    size != VU_CONFIG_HDR + e->cfg_size)
		return -EBADMSG;
	if (get32(p) != e->cfg_offset || get32(p + 4) != e->cfg_size)
		return -EBADMSG;
	memcpy(r->config, p + VU_CONFIG_HDR, e->cfg_size);
	return 0;
}

int vu_reply_parse(const struct vu_expect *e, const uint8_t *buf, size_t len,
		   unsigned nfds, struct vu_reply *r)
{
	const uint8_t *p = buf + VU_HDR_SIZE;
	int size;

	memset(r, 0, sizeof(*r));
	if (len < VU_HDR_SIZE)
		return -EBADMSG;
	size = vu_hdr_check(e, buf, nfds);
	if (size < 0)
		return size;
	if ((size_t)size != len - VU_HDR_SIZE)
		return -EBADMSG;
	if (!e->ack && e->request == VU_GET_CONFIG)
		return parse_config(e, p, (uint32_t)size, r);
	if ((uint32_t)size != want_size(e))
		return -EBADMSG;
	if (e->ack) {
		r->u64 = get64(p);
		return r->u64 ? -EIO : 0;
	}
	if (e->request == VU_GET_VRING_BASE) {
		if (get32(p) != e->index)
			return -EBADMSG;
		r->num = get32(p + 4);
		return 0;
	}
	r->u64 = get64(p);
	return 0;
}

const char *vu_request_name(uint32_t req)
{
	static const char *const names[] = {
		[VU_GET_FEATURES] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[VU_SET_OWNER] = "SET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VU_GET_CONFIG] = "GET_CONFIG",
		[VU_SET_CONFIG] = "SET_CONFIG",
	};

	if (req < sizeof(names) / sizeof(names[0]) && names[req])
		return names[req];
	return "?";
}
