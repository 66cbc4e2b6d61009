/* SPDX-License-Identifier: MIT */
/*
 * atoll-vhost-user: a virtio device towards atoll-cpu (the peer protocol
 * of docs/virtio-device-protocol.md) that is a vhost-user front-end
 * towards an existing back-end. The bridge only configures: the kick and
 * call eventfds atoll-cpu passes go to the back-end, which then works on
 * guest RAM directly. See docs/dev-vhost-user.md.
 */
#ifndef ATOLL_VHOST_USER_BRIDGE_H
#define ATOLL_VHOST_USER_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

#include "vu-conn.h"

#define BRIDGE_MAX_QUEUES 16u
#define BRIDGE_MAX_QUEUE_SIZE 1024u   /* libvhost-user's VIRTQUEUE_MAX_SIZE */

struct event;
struct child;
typedef struct atoll_bus_event atoll_bus_event;

struct bridge_opts {
	int socket_fd;          /* the connected back-end socket */
	uint32_t device_id;     /* virtio device id; vhost-user has no query */
	uint32_t config_size;   /* 0: by device id */
	uint32_t queue_size;    /* max queue size offered */
	uint32_t queues;        /* 0: GET_QUEUE_NUM, or 1 */
	int timeout_ms;         /* per back-end reply */
};

/* One region of the memory grant: its memfd is kept (unlike other
 * devices, which keep mappings) because a back-end is given fds, on the
 * first SET_MEM_TABLE and on every later one. */
struct bridge_region {
	uint64_t guest_addr, size, fd_offset;
	int fd;
};

struct bridge {
	struct bridge_opts o;
	struct child *child;
	struct vu_conn vu;
	struct event *vu_ev;          /* the back-end socket, between calls */

	/* Learnt from the back-end at start-up. */
	uint64_t backend_features;    /* GET_FEATURES */
	uint64_t protocol_features;   /* negotiated */
	uint64_t offer;               /* what atoll-cpu is offered */
	uint32_t num_queues, config_size;

	struct bridge_region mem[VU_MAX_REGIONS];
	unsigned nmem;
	bool mem_sent;                /* SET_MEM_TABLE accepted */

	atoll_bus *peer;
	atoll_bus_event *peer_ev;
	bool peer_hello;
	uint64_t features;
	bool features_set;
	bool running[BRIDGE_MAX_QUEUES];
};

/* bridge-backend.c: the vhost-user side. Each returns 0 or -errno; a
 * transport failure leaves b->vu broken (the caller then exits). */
int backend_start(struct bridge *b);
int backend_mem_table(struct bridge *b);
int backend_features(struct bridge *b, uint64_t features);
struct bridge_queue_setup {
	uint32_t index, size, last_avail;
	uint64_t desc, avail, used;
	int kick_fd, call_fd;
};
int backend_queue_start(struct bridge *b, const struct bridge_queue_setup *s);
/* Stops a ring; *last_avail is where it stopped. */
int backend_queue_stop(struct bridge *b, uint32_t index, uint32_t *last_avail);
int backend_config_read(struct bridge *b, uint8_t *buf);
int backend_config_write(struct bridge *b, uint32_t offset,
			 const uint8_t *data, uint32_t len);

/* bridge-peer.c: the peer connection from atoll-cpu. */
int peer_attach(struct bridge *b, int fd);
void peer_drop(struct bridge *b);
void bridge_stop_queues(struct bridge *b);

/* main.c: the back-end is gone or broke the protocol: exit, so that the
 * launcher's restart policy reconnects (docs/dev-vhost-user.md). */
void bridge_backend_lost(struct bridge *b);

#endif
