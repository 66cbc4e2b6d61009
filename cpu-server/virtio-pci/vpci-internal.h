/* SPDX-License-Identifier: MIT */
/* Shared between the transport's files; see virtio-pci.h for the threads. */
#ifndef ATOLL_VPCI_INTERNAL_H
#define ATOLL_VPCI_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci-func.h"
#include "peer.h"
#include "virtio-pci.h"

#define VPCI_NO_VECTOR 0xffffu
#define VPCI_ISR_QUEUE 0x1u
#define VPCI_ISR_CONFIG 0x2u

struct vpci_queue {
	uint16_t size;             /* as the driver set it (validated on enable) */
	uint64_t desc, avail, used;
	bool enabled;              /* queue_enable reads 1 */
	atomic_bool live;          /* notify may kick (read without the lock) */
	bool replayed;             /* set up in the current device process */
	int kick_fd, call_fd;      /* ours for the transport's lifetime */
	int inflight_fd;           /* the in-flight log while enabled, or -1 */
};

struct vpci_dev {
	char name[64];
	char me[64];
	int timeout_ms;

	/* Guards everything below up to the irq part, and the peer. */
	pthread_mutex_t lock;
	struct vpci_peer *peer;    /* NULL or dead while the device is away */
	struct vpci_peer_desc desc;
	uint64_t offered;          /* features shown to the driver */
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint8_t status;
	uint16_t queue_select;
	unsigned nq;
	struct vpci_queue *q;
	unsigned cfg_errors;       /* failed device-config accesses, for logs */
	bool replay_pending;       /* a re-attached device still lacks state */
	bool features_replayed;

	/* Interrupt state: its own lock, taken after `lock` when both are. */
	pthread_mutex_t irq_lock;
	uint8_t isr;
	bool line;
	atomic_uint generation;

	struct pci_func pci;
	struct pci_host *host;
	unsigned slot;
	const uint8_t *ram;
	uint64_t ram_base, ram_size;
};

/* Common configuration (vpci-common.c), lock held. */
uint64_t vpci_common_read(struct vpci_dev *t, unsigned off, unsigned size);
void vpci_common_write(struct vpci_dev *t, unsigned off, unsigned size,
		       uint64_t val);

/* Interrupts (virtio-pci.c). Take irq_lock themselves. */
void vpci_raise(struct vpci_dev *t, uint8_t isr_bits);
uint8_t vpci_isr_take(struct vpci_dev *t);
void vpci_irq_reset(struct vpci_dev *t);
/* The device needs a reset: NEEDS_RESET + config interrupt; lock held. */
void vpci_needs_reset(struct vpci_dev *t, const char *why);

/* True if the device is connected; lock held. */
bool vpci_connected(struct vpci_dev *t);
/* After every peer call, with the lock held: delivers frames the call set
 * aside (CONFIG_CHANGED), so nobody else has to. */
void vpci_after_call(struct vpci_dev *t);

/* HELLO + DESCRIBE (checked) on a fresh connection; takes fd. Main
 * thread, without the lock (touches only *p and *d). */
int vpci_connect(struct vpci_dev *t, int fd, struct vpci_peer **p,
		 struct vpci_peer_desc *d);

/* In-flight logs (vpci-inflight.c), lock held. A zeroed log for a queue
 * being enabled (-errno: the queue runs without one); closing it; the fd
 * to pass to the current device in QUEUE_SETUP (-1 if it keeps no log). */
int vpci_inflight_fresh(struct vpci_dev *t, struct vpci_queue *q);
void vpci_inflight_drop(struct vpci_queue *q);
int vpci_inflight_for_peer(struct vpci_dev *t, struct vpci_queue *q);

/* Returns the queue behind queue_select, or NULL; lock held. */
struct vpci_queue *vpci_selected(struct vpci_dev *t);
/* Zeroes an eventfd's counter (stale kicks/calls after a reset). */
void vpci_eventfd_clear(int fd);

#endif
