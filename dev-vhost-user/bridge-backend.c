/* SPDX-License-Identifier: MIT */
/* The vhost-user front-end: what the bridge tells the back-end, in the
 * order QEMU's vhost-user front-end uses. */
#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "bridge.h"
#include "log.h"

#define BIT(n) (1ull << (n))

/* What the bridge may offer atoll-cpu of the back-end's features: the
 * device-specific bits and the split-ring features atoll-cpu's transport
 * and the back-end then handle between them. Never bit 30 (vhost-user's
 * own), log bits, packed rings, or an IOMMU the back-end would expect
 * IOTLB messages for. */
#define OFFER_MASK                                                          \
	((BIT(24) - 1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |                   \
	 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_F_VERSION_1))

#define PROTOCOL_WANTED                                                     \
	(BIT(VU_PROTOCOL_F_MQ) | BIT(VU_PROTOCOL_F_REPLY_ACK) |               \
	 BIT(VU_PROTOCOL_F_CONFIG))

static int get_u64(struct bridge *b, uint32_t req, uint64_t *v)
{
	struct vu_expect e = { .request = req };
	struct vu_out o;
	struct vu_reply r;
	int rc;

	vu_out_empty(&o, req);
	rc = vu_conn_get(&b->vu, &o, &e, &r);
	*v = r.u64;
	return rc;
}

static int set_u64(struct bridge *b, uint32_t req, uint64_t v)
{
	struct vu_out o;

	vu_out_u64(&o, req, v);
	return vu_conn_set(&b->vu, &o, NULL, 0);
}

static int set_state(struct bridge *b, uint32_t req, uint32_t index,
		     uint32_t num)
{
	struct vu_out o;

	vu_out_state(&o, req, index, num);
	return vu_conn_set(&b->vu, &o, NULL, 0);
}

static int set_fd(struct bridge *b, uint32_t req, uint32_t index, int fd)
{
	struct vu_out o;

	vu_out_u64(&o, req, index);   /* bit 8 clear: an fd comes along */
	return vu_conn_set(&b->vu, &o, &fd, 1);
}

static bool has_protocol(const struct bridge *b, unsigned bit)
{
	return b->protocol_features & BIT(bit);
}

static bool negotiates_protocol(const struct bridge *b)
{
	return b->backend_features & BIT(VU_F_PROTOCOL_FEATURES);
}

/* The device-specific config size by device id, where the bridge knows
 * it: the structure sizes of the virtio specification. */
static uint32_t default_config_size(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return 60;    /* up to write_zeroes_may_unmap + padding */
	case VIRTIO_ID_NET:
		return 12;    /* mac, status, max_virtqueue_pairs, mtu */
	case VIRTIO_ID_SCSI:
		return 36;
	case VIRTIO_ID_FS:
		return 40;    /* tag[36], num_request_queues */
	default:
		return 0;
	}
}

static int negotiate_protocol(struct bridge *b)
{
	uint64_t theirs;
	int rc;

	if (!negotiates_protocol(b))
		return 0;
	if ((rc = get_u64(b, VU_GET_PROTOCOL_FEATURES, &theirs)) < 0)
		return rc;
	b->protocol_features = theirs & PROTOCOL_WANTED;
	rc = set_u64(b, VU_SET_PROTOCOL_FEATURES, b->protocol_features);
	if (rc < 0)
		return rc;
	/* From now on every SET_* is acknowledged, so a refusal is seen. */
	b->vu.reply_ack = has_protocol(b, VU_PROTOCOL_F_REPLY_ACK);
	return 0;
}

static int learn_queues(struct bridge *b)
{
	uint64_t n = 1;
	int rc;

	if (has_protocol(b, VU_PROTOCOL_F_MQ) &&
	    (rc = get_u64(b, VU_GET_QUEUE_NUM, &n)) < 0)
		return rc;
	if (n == 0) {
		log_error("back-end has no queues (GET_QUEUE_NUM 0)");
		return -EPROTO;
	}
	if (b->o.queues) {
		if (b->o.queues > n) {
			log_error("--queues=%u but the back-end serves %llu",
				  b->o.queues, (unsigned long long)n);
			return -EINVAL;
		}
		n = b->o.queues;
	}
	if (n > BRIDGE_MAX_QUEUES) {
		log_info("back-end serves %llu queues; using %u",
			 (unsigned long long)n, BRIDGE_MAX_QUEUES);
		n = BRIDGE_MAX_QUEUES;
	}
	b->num_queues = (uint32_t)n;
	return 0;
}

static int learn_config(struct bridge *b)
{
	uint8_t buf[VU_MAX_CONFIG];
	uint32_t want = b->o.config_size ? b->o.config_size
					 : default_config_size(b->o.device_id);

	b->config_size = 0;
	if (!want)
		return 0;
	if (!has_protocol(b, VU_PROTOCOL_F_CONFIG)) {
		if (b->o.config_size) {
			log_error("--config-size=%u but the back-end has no "
				  "CONFIG protocol feature", b->o.config_size);
			return -EOPNOTSUPP;
		}
		log_warn("back-end has no CONFIG protocol feature: the device "
			 "has no config space");
		return 0;
	}
	b->config_size = want;
	return backend_config_read(b, buf);
}

int backend_start(struct bridge *b)
{
	struct vu_out o;
	int rc;

	vu_out_empty(&o, VU_SET_OWNER);
	if ((rc = vu_conn_set(&b->vu, &o, NULL, 0)) < 0 ||
	    (rc = get_u64(b, VU_GET_FEATURES, &b->backend_features)) < 0)
		return rc;
	if (!(b->backend_features & BIT(VIRTIO_F_VERSION_1))) {
		log_error("back-end offers no VIRTIO_F_VERSION_1 (legacy only)");
		return -EPROTONOSUPPORT;
	}
	if ((rc = negotiate_protocol(b)) < 0 || (rc = learn_queues(b)) < 0 ||
	    (rc = learn_config(b)) < 0)
		return rc;
	b->offer = b->backend_features & OFFER_MASK;
	log_info("back-end: features %#llx (offered %#llx), protocol %#llx, "
		 "%u queue(s), config %u bytes",
		 (unsigned long long)b->backend_features,
		 (unsigned long long)b->offer,
		 (unsigned long long)b->protocol_features, b->num_queues,
		 b->config_size);
	return 0;
}

/* Ring addresses reach the back-end in the front-end's "user" address
 * space, which the memory table defines: the bridge maps no guest RAM,
 * so it makes that space the guest-physical one (user_addr = guest_addr)
 * and passes atoll-cpu's ring addresses unchanged. */
int backend_mem_table(struct bridge *b)
{
	struct vu_region r[VU_MAX_REGIONS];
	int fds[VU_MAX_REGIONS];
	struct vu_out o;
	int rc;

	for (unsigned i = 0; i < b->nmem; i++) {
		r[i] = (struct vu_region){ b->mem[i].guest_addr, b->mem[i].size,
					   b->mem[i].guest_addr,
					   b->mem[i].fd_offset };
		fds[i] = b->mem[i].fd;
	}
	if ((rc = vu_out_mem_table(&o, r, b->nmem)) < 0)
		return rc;
	rc = vu_conn_set(&b->vu, &o, fds, b->nmem);
	b->mem_sent = rc == 0;
	return rc;
}

int backend_features(struct bridge *b, uint64_t features)
{
	if (negotiates_protocol(b))
		features |= BIT(VU_F_PROTOCOL_FEATURES);
	return set_u64(b, VU_SET_FEATURES, features);
}

int backend_queue_start(struct bridge *b, const struct bridge_queue_setup *s)
{
	struct vu_vring_addr a = { .index = s->index, .desc = s->desc,
				   .used = s->used, .avail = s->avail };
	struct vu_out o;
	int rc;

	vu_out_addr(&o, &a);
	/* The call fd before the kick fd: a back-end may start serving as
	 * soon as it has the kick. */
	if ((rc = set_state(b, VU_SET_VRING_NUM, s->index, s->size)) < 0 ||
	    (rc = set_state(b, VU_SET_VRING_BASE, s->index, s->last_avail)) < 0 ||
	    (rc = vu_conn_set(&b->vu, &o, NULL, 0)) < 0 ||
	    (rc = set_fd(b, VU_SET_VRING_CALL, s->index, s->call_fd)) < 0 ||
	    (rc = set_fd(b, VU_SET_VRING_KICK, s->index, s->kick_fd)) < 0)
		return rc;
	/* With protocol features a ring starts disabled. */
	if (negotiates_protocol(b))
		rc = set_state(b, VU_SET_VRING_ENABLE, s->index, 1);
	return rc;
}

int backend_queue_stop(struct bridge *b, uint32_t index, uint32_t *last_avail)
{
	struct vu_expect e = { .request = VU_GET_VRING_BASE, .index = index };
	struct vu_out o;
	struct vu_reply r;
	int rc;

	vu_out_state(&o, VU_GET_VRING_BASE, index, 0);
	rc = vu_conn_get(&b->vu, &o, &e, &r);
	*last_avail = r.num;
	if (rc == 0 && r.num > UINT16_MAX) {
		log_warn("back-end: ring %u stopped at %u; taken modulo 2^16",
			 index, r.num);
		*last_avail = r.num & 0xffffu;
	}
	return rc;
}

/* Always the whole config from offset 0, as QEMU's front-end reads it:
 * some back-ends (qemu-storage-daemon's) ignore the offset. */
int backend_config_read(struct bridge *b, uint8_t *buf)
{
	struct vu_expect e = { .request = VU_GET_CONFIG,
			       .cfg_size = b->config_size };
	struct vu_out o;
	struct vu_reply r;
	int rc;

	if ((rc = vu_out_config(&o, VU_GET_CONFIG, 0, b->config_size,
				NULL)) < 0)
		return rc;
	if ((rc = vu_conn_get(&b->vu, &o, &e, &r)) < 0)
		return rc;
	memcpy(buf, r.config, b->config_size);
	return 0;
}

int backend_config_write(struct bridge *b, uint32_t offset,
			 const uint8_t *data, uint32_t len)
{
	struct vu_out o;
	int rc = vu_out_config(&o, VU_SET_CONFIG, offset, len, data);

	return rc < 0 ? rc : vu_conn_set(&b->vu, &o, NULL, 0);
}
