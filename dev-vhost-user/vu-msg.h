/* SPDX-License-Identifier: MIT */
/*
 * vhost-user messages, as the front-end (master) side writes requests and
 * reads replies. Written from the vhost-user specification (QEMU's
 * docs/interop/vhost-user.rst); only the messages the bridge sends.
 *
 * A message is a 12-byte header (request, flags, size: host byte order,
 * both ends share a host) and `size` payload bytes, on a SOCK_STREAM unix
 * socket; fds ride on the header's bytes with SCM_RIGHTS.
 *
 * Replies come from a back-end nobody here wrote: vu_reply_parse() checks
 * every field before the bridge uses a value. Pure functions, no I/O.
 */
#ifndef ATOLL_VHOST_USER_MSG_H
#define ATOLL_VHOST_USER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VU_HDR_SIZE 12u
#define VU_FLAG_VERSION 0x1u       /* bits 0-1: protocol version 1 */
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY 0x4u
#define VU_FLAG_NEED_REPLY 0x8u

#define VU_MAX_REGIONS 8u          /* SET_MEM_TABLE baseline */
#define VU_MAX_CONFIG 256u         /* GET_CONFIG/SET_CONFIG region */
#define VU_CONFIG_HDR 12u          /* offset, size, flags */
/* The largest reply the bridge accepts: a GET_CONFIG with a full region. */
#define VU_MAX_REPLY (VU_CONFIG_HDR + VU_MAX_CONFIG)
/* The largest request it sends: SET_MEM_TABLE with every region. */
#define VU_MAX_REQUEST (8u + 32u * VU_MAX_REGIONS)

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
};

/* Virtio feature bit 30: the back-end speaks the protocol-feature
 * messages; negotiated, rings start disabled until SET_VRING_ENABLE. */
#define VU_F_PROTOCOL_FEATURES 30u

/* Protocol feature bits the bridge uses. */
#define VU_PROTOCOL_F_MQ 0u
#define VU_PROTOCOL_F_REPLY_ACK 3u
#define VU_PROTOCOL_F_CONFIG 9u

struct vu_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;    /* the key ring addresses are given in */
	uint64_t mmap_offset;  /* offset of guest_addr in the region's fd */
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

/* A request ready to send: header + payload in buf[0..len). */
struct vu_out {
	uint8_t buf[VU_HDR_SIZE + VU_MAX_REQUEST];
	size_t len;
};

void vu_out_u64(struct vu_out *o, uint32_t req, uint64_t v);
void vu_out_state(struct vu_out *o, uint32_t req, uint32_t index,
		  uint32_t num);
void vu_out_empty(struct vu_out *o, uint32_t req);
void vu_out_addr(struct vu_out *o, const struct vu_vring_addr *a);
/* -EINVAL for more than VU_MAX_REGIONS regions. */
int vu_out_mem_table(struct vu_out *o, const struct vu_region *r,
		     unsigned n);
/* GET_CONFIG (data NULL: the region is zeros) or SET_CONFIG; -EINVAL for
 * size 0 or over VU_MAX_CONFIG. */
int vu_out_config(struct vu_out *o, uint32_t req, uint32_t offset,
		  uint32_t size, const void *data);
/* Sets VU_FLAG_NEED_REPLY (the REPLY_ACK protocol feature). */
void vu_out_need_reply(struct vu_out *o);

/* What the bridge expects in reply to the request it sent. */
struct vu_expect {
	uint32_t request;
	uint32_t index;       /* GET_VRING_BASE: the ring asked about */
	uint32_t cfg_offset;  /* GET_CONFIG: as asked */
	uint32_t cfg_size;
	bool ack;             /* a REPLY_ACK u64 status, for a SET_* */
};

struct vu_reply {
	uint64_t u64;         /* features, queue count, ack status */
	uint32_t num;         /* GET_VRING_BASE: the ring's next avail index */
	uint8_t config[VU_MAX_CONFIG];
};

/* Checks a received header against what was asked. Returns the payload
 * size (0..VU_MAX_REPLY) or -EPROTO (version, flags, request) or
 * -EMSGSIZE. `nfds` is how many fds came with it: any is -EPROTO. */
int vu_hdr_check(const struct vu_expect *e, const uint8_t *hdr,
		 unsigned nfds);
/* Checks and decodes a whole reply (header + payload, `len` bytes).
 * Returns 0; -EPROTO/-EMSGSIZE/-EBADMSG when the back-end broke the
 * protocol (wrong sizes, ring index, config offset/size); -EIO when it
 * answered with a failure (a non-zero REPLY_ACK status, or GET_CONFIG
 * with an empty payload, libvhost-user's error reply). */
int vu_reply_parse(const struct vu_expect *e, const uint8_t *buf, size_t len,
		   unsigned nfds, struct vu_reply *r);

const char *vu_request_name(uint32_t req);

#endif
