/* SPDX-License-Identifier: MIT */
/* Device setup and the virtio ops: features, config space, queues. */
#include "net.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "child.h"
#include "log.h"

/* At most this many drop reports per second (a hostile guest can make
 * one per frame). */
#define NET_LOG_PER_SEC 10u

/* The config space up to mtu: speed/duplex and RSS are not offered. */
#define NET_CONFIG_SIZE offsetof(struct virtio_net_config, speed)

static uint64_t offered_features(void)
{
	return 1ull << VIRTIO_F_VERSION_1 |
	       1ull << VIRTIO_RING_F_EVENT_IDX |
	       1ull << VIRTIO_RING_F_INDIRECT_DESC |
	       1ull << VIRTIO_NET_F_MAC |
	       1ull << VIRTIO_NET_F_STATUS |
	       1ull << VIRTIO_NET_F_MTU |
	       1ull << VIRTIO_NET_F_MRG_RXBUF |
	       1ull << VIRTIO_NET_F_CSUM |
	       1ull << VIRTIO_NET_F_GUEST_CSUM;
}

void net_warn(struct net *n, const char *fmt, ...)
{
	uint64_t now = (uint64_t)time(NULL);
	char buf[200];
	va_list ap;

	if (now != n->log_ts) {
		n->log_ts = now;
		n->log_budget = NET_LOG_PER_SEC;
	}
	if (!n->log_budget)
		return;
	n->log_budget--;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warn("%s%s", buf, n->log_budget ? "" :
		 " (further reports this second dropped)");
}

bool net_negotiated(const struct net *n, unsigned bit)
{
	return atoll_virtio_features(n->vdev) & (1ull << bit);
}

static void net_get_config(void *opaque, void *buf, uint32_t size)
{
	struct net *n = opaque;
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, n->o.mac, sizeof(c.mac));
	c.status = htole16(VIRTIO_NET_S_LINK_UP);
	c.max_virtqueue_pairs = htole16(1);
	c.mtu = htole16(NET_MTU);
	memcpy(buf, &c, size < sizeof(c) ? size : sizeof(c));
}

static void net_queue_kick(void *opaque, atoll_virtio_queue *q)
{
	struct net *n = opaque;

	if (atoll_virtio_queue_index(q) == NET_TXQ)
		net_tx_kick(n, q);
	else
		net_rx_kick(n, q);
}

static void net_queue_stop(void *opaque, atoll_virtio_queue *q)
{
	/* TX completes synchronously: nothing is in flight there. */
	if (atoll_virtio_queue_index(q) == NET_RXQ)
		net_rx_stop(opaque, q, true);
}

static void net_reset(void *opaque)
{
	net_rx_stop(opaque, NULL, true);
}

const struct atoll_virtio_ops net_vdev_ops = {
	.device_id = VIRTIO_ID_NET,
	.get_config = net_get_config,
	.queue_kick = net_queue_kick,
	.queue_stop = net_queue_stop,
	.reset = net_reset,
};

int net_init(struct net *n, struct child *c)
{
	struct atoll_virtio_params p = { 0 };
	struct atoll_dev_config dc;
	int rc;

	n->child = c;
	n->features = offered_features();
	p.features = n->features;
	p.num_queues = NET_NUM_QUEUES;
	p.max_queue_size = NET_MAX_QUEUE_SIZE;
	p.config_size = NET_CONFIG_SIZE;
	child_dev_config(c, &dc);
	n->dev = atoll_dev_new(&dc);
	if (!n->dev)
		return -errno;
	child_set_device(c, n->dev);
	n->vdev = atoll_virtio_new(n->dev, &net_vdev_ops, &p, n);
	if (!n->vdev)
		return -errno;
	if (strcmp(n->o.backend, "slirp")) {   /* tap or slirp-process */
		rc = net_tap_new(n, child_base(c), n->o.tap_fd,
				 !strcmp(n->o.backend, "slirp-process"),
				 &n->backend);
		if (rc == 0)
			n->o.tap_fd = -1;   /* the backend owns it */
	} else {
		rc = net_slirp_new(n, child_base(c), &n->backend);
	}
	if (rc < 0)
		return rc;
	log_info("mac %02x:%02x:%02x:%02x:%02x:%02x, backend %s, mtu %u, "
		 "%u host forward(s)", n->o.mac[0], n->o.mac[1], n->o.mac[2],
		 n->o.mac[3], n->o.mac[4], n->o.mac[5], n->backend.ops->name,
		 NET_MTU, n->o.nfwd);
	return 0;
}

void net_fini(struct net *n)
{
	atoll_virtio_free(n->vdev);
	n->vdev = NULL;
	atoll_dev_free(n->dev);
	n->dev = NULL;
	net_rx_stop(n, NULL, true);
	if (n->backend.ops)
		n->backend.ops->free(n->backend.be);
	n->backend.ops = NULL;
}
