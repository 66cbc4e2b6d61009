/* SPDX-License-Identifier: MIT */
/* atoll-virtio-net: the network device model on top of the virtio library,
 * with one backend (libslirp) behind a small ops table. */
#ifndef ATOLL_NET_H
#define ATOLL_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hostfwd.h"
#include "net-hdr.h"
#include <atoll/virtio.h>

struct event_base;


struct child;
struct event;

#define NET_RXQ 0u
#define NET_TXQ 1u
#define NET_NUM_QUEUES 2u
#define NET_MAX_QUEUE_SIZE 256u
/* Descriptors one chain may have: Linux uses up to MAX_SKB_FRAGS + 2. */
#define NET_MAX_IOV 64u
/* RX buffers one frame may be spread over (VIRTIO_NET_F_MRG_RXBUF).
 * Linux posts buffers of at least 1530 bytes, so 1 is the norm; this
 * bounds what tiny hostile buffers can make us hold. */
#define NET_MAX_MERGE 16u
/* Frames kept while the guest has no RX buffers; more are dropped
 * (TCP retransmits; slirp is told nothing). */
#define NET_RX_PENDING 256u
#define NET_MAX_HOSTFWD 16u

/* What a backend offers the device: where guest frames go. */
struct net_backend_ops {
	const char *name;
	/* A guest frame (no virtio header), already checked. */
	void (*send)(void *be, const uint8_t *frame, size_t len);
	/* After a batch of send()s: let the backend run its own work. */
	void (*flush)(void *be);
	/* Frames no longer wait for RX buffers: a backend that stopped
	 * reading (backpressure) may go on. Optional. */
	void (*rx_resume)(void *be);
	void (*free)(void *be);
	/* Its frames carry correct checksums (slirp computes them): the
	 * guest may skip checking (VIRTIO_NET_HDR_F_DATA_VALID). */
	bool csum_valid;
};

struct net_backend {
	const struct net_backend_ops *ops;
	void *be;
};

struct net_opts {
	uint8_t mac[6];
	unsigned queues;
	const char *backend;
	int tap_fd;                 /* tap / slirp-process: the launcher's fd */
	struct hostfwd fwd[NET_MAX_HOSTFWD];
	unsigned nfwd;
	bool restricted;            /* slirp: the guest reaches only forwards */
};

struct net_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped;
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_queued;
	uint64_t bad_chains;
};

/* A frame waiting for RX buffers. */
struct net_pkt {
	uint16_t len;
	uint8_t data[];
};

/* An RX chain taken off the ring but not filled yet. */
struct net_held {
	struct atoll_vq_elem elem;
	struct iovec iov[NET_MAX_IOV];
};

struct net_rx {
	struct net_pkt *pending[NET_RX_PENDING];
	unsigned head, count;
	struct net_held held[NET_MAX_MERGE];
	unsigned nheld;
	uint64_t held_bytes;        /* writable bytes of the held chains */
	bool dirty;                 /* used entries pushed, guest not told */
};

struct net {
	struct net_opts o;
	struct child *child;
	atoll_dev *dev;
	atoll_virtio *vdev;
	struct net_backend backend;
	uint64_t features;          /* offered */
	struct net_rx rx;
	struct net_stats st;
	/* A TX frame is linearised here (slirp takes one buffer). */
	uint8_t txbuf[NET_HDR_LEN + NET_MAX_FRAME];
	struct iovec tx_iov[NET_MAX_IOV];
	uint64_t log_ts;            /* rate limit of drop reports */
	unsigned log_budget;
};

int net_init(struct net *n, struct child *c);
void net_fini(struct net *n);
extern const struct atoll_virtio_ops net_vdev_ops;

/* Logs a guest-caused problem, at most 10 per second. */
void net_warn(struct net *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool net_negotiated(const struct net *n, unsigned bit);

/* TX (net-tx.c): the TX queue's kick handler. */
void net_tx_kick(struct net *n, atoll_virtio_queue *q);

/* RX (net-rx.c). A frame from the backend, copied if it has to wait;
 * the guest is told at the next net_rx_flush(), once per batch. */
void net_rx_deliver(struct net *n, const uint8_t *frame, size_t len);
/* Publishes delivered frames and interrupts the guest if it asked. The
 * backend calls it after each batch; the TX path after each kick (slirp
 * answers some frames at once: ARP, ACKs). */
void net_rx_flush(struct net *n);
/* The guest posted buffers: deliver what waits. */
void net_rx_kick(struct net *n, atoll_virtio_queue *q);
/* Queue stop: held chains are returned unused; pending frames dropped
 * with `drop_pending`. */
void net_rx_stop(struct net *n, atoll_virtio_queue *q, bool drop_pending);

/* Frames are waiting for RX buffers (a backend may hold off). */
bool net_rx_waiting(const struct net *n);

/* Backends. */
int net_slirp_new(struct net *n, struct event_base *base,
		  struct net_backend *out);
/* Frames on a launcher-granted fd: a tap, or (`slirp_process`) the
 * socket to atoll-net-slirp, whose frames carry correct checksums. On
 * success the backend owns fd (its free closes it). */
int net_tap_new(struct net *n, struct event_base *base, int fd,
		bool slirp_process, struct net_backend *out);

#endif
