/* SPDX-License-Identifier: MIT */
/*
 * The cpu-server end of the device peer protocol (docs/virtio-pci.md,
 * docs/virtio-device-protocol.md, docs/protocol.md): one bus connection to
 * one out-of-process device. The cpu server is the front-end: it sends
 * HELLO, then DEVICE_DESCRIBE, and for a virtio device FEATURES_SET,
 * QUEUE_SETUP, CONFIG_READ/WRITE, RESET, for a generic device REGION_READ,
 * every one a synchronous call with a deadline, and posts REGION_WRITE and
 * REGION_PLACED. The device may post CONFIG_CHANGED (virtio) or IRQ_LEVEL
 * (generic).
 *
 * Not thread-safe on its own: the owner serializes every call on one peer
 * (virtio-pci.c holds the transport's lock, generic/gdev.c the device's),
 * including vpci_peer_drain.
 */
#ifndef ATOLL_VPCI_PEER_H
#define ATOLL_VPCI_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

struct vpci_peer;

struct vpci_peer_desc {
	uint32_t device_id;
	uint64_t features;
	uint32_t num_queues;
	uint32_t max_queue_size;
	uint32_t config_size;
};

struct vpci_queue_setup {
	uint32_t index, size;
	uint64_t desc, avail, used;
	uint16_t last_avail_idx;
	bool event_idx;
	int kick_fd, call_fd;
	int inflight_fd;           /* the queue's in-flight log, or -1 */
};

/* Called (from vpci_peer_drain, on the caller's thread) when the device
 * posts CONFIG_CHANGED. */
typedef void (*vpci_config_changed_fn)(void *opaque);
/* Called (from vpci_peer_drain) when the device posts IRQ_LEVEL. Returns
 * false if the line does not exist: the peer is then cut off. */
typedef bool (*vpci_irq_level_fn)(void *opaque, uint32_t line, bool level);

/* Takes ownership of `fd` (a connected SOCK_SEQPACKET bus socket; closed
 * on failure). `me` is our instance name for HELLO, `peer` the device's
 * name for logs. Runs the HELLO exchange with timeout_ms. Returns 0 and
 * *out, or a negative errno. */
int vpci_peer_open(int fd, const char *me, const char *peer, int timeout_ms,
		   vpci_config_changed_fn changed, void *opaque,
		   struct vpci_peer **out);
void vpci_peer_free(struct vpci_peer *p);
/* Who handles CONFIG_CHANGED from now on (replaces vpci_peer_open's). */
void vpci_peer_set_config_changed(struct vpci_peer *p,
				  vpci_config_changed_fn fn, void *opaque);
/* Who handles IRQ_LEVEL (NULL: it is logged and ignored, as from a virtio
 * device). */
void vpci_peer_set_irq_level(struct vpci_peer *p, vpci_irq_level_fn fn,
			     void *opaque);
/* Ends the connection now (a protocol violation or an unanswered read):
 * the socket is shut down, so the device reads EOF and the owner's poll
 * sees the end; the peer stays allocated until vpci_peer_free. */
void vpci_peer_cut_off(struct vpci_peer *p, const char *why);

/* False once the connection ended or was cut off. */
bool vpci_peer_alive(const struct vpci_peer *p);
/* The socket, to poll for posted frames; -1 once closed. */
int vpci_peer_fd(const struct vpci_peer *p);
/* Handles every frame waiting (read or set aside by a call). Returns 0, or
 * a negative errno once the connection has ended. */
int vpci_peer_drain(struct vpci_peer *p);

/* Did the device's HELLO advertise CAP_INFLIGHT (it keeps an in-flight log
 * and resumes from it)? */
bool vpci_peer_has_inflight(const struct vpci_peer *p);

/* Each returns 0 or a negative errno (-ETIMEDOUT, -ECONNRESET, the
 * device's Error code, -EPROTO for a malformed answer). */
int vpci_peer_describe(struct vpci_peer *p, int timeout_ms,
		       struct vpci_peer_desc *d);
/* DEVICE_DESCRIBE, any model: on 0 the caller owns *reply (its body is an
 * Atoll__DeviceDesc) and frees it with atoll_msg_free. */
int vpci_peer_describe_msg(struct vpci_peer *p, int timeout_ms,
			   struct atoll_msg **reply);
/* A virtio DeviceDesc into *d; -EPROTO (logged) for any other model. */
int vpci_peer_virtio_desc(const struct vpci_peer *p,
			  const Atoll__DeviceDesc *dd, struct vpci_peer_desc *d);
/* REGION_READ: exactly `size` bytes into buf, or -EPROTO for an answer of
 * another length. */
int vpci_peer_region_read(struct vpci_peer *p, uint32_t region, uint64_t off,
			  uint32_t size, void *buf, int timeout_ms);
/* Posted: REGION_WRITE and REGION_PLACED. */
int vpci_peer_region_write(struct vpci_peer *p, uint32_t region, uint64_t off,
			   const void *data, uint32_t size);
int vpci_peer_region_placed(struct vpci_peer *p, uint32_t region,
			    uint64_t addr);
int vpci_peer_config_read(struct vpci_peer *p, uint32_t off, uint32_t size,
			  void *buf, int timeout_ms);
int vpci_peer_config_write(struct vpci_peer *p, uint32_t off,
			   const void *data, uint32_t size, int timeout_ms);
int vpci_peer_features(struct vpci_peer *p, uint64_t features,
		       int timeout_ms);
int vpci_peer_queue_setup(struct vpci_peer *p,
			  const struct vpci_queue_setup *s, int timeout_ms);
int vpci_peer_reset(struct vpci_peer *p, int timeout_ms);

#endif
