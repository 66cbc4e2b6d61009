/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci modern transport (virtio 1.x, no legacy interface) for one
 * out-of-process virtio device, emulated from its DEVICE_DESC.
 *
 * Threads (docs/virtio-pci.md):
 *  - hart threads make BAR and config-space accesses. Common config and
 *    device config run under the transport's lock; the ones that need the
 *    device (reset, FEATURES_OK, queue_enable, device config) make a
 *    synchronous peer call with a deadline while holding it. A notify
 *    write takes no lock: it writes the queue's kick eventfd directly.
 *  - the main loop watches each queue's call eventfd (vpci_dev_call) and
 *    the peer socket for posted frames (vpci_dev_peer_ready), and handles
 *    a device restart (vpci_dev_reattach).
 *  - ISR and the INTx line have their own lock, so an interrupt is never
 *    held up by a slow device call on another hart.
 *
 * The kick and call eventfds belong to the transport and live as long as
 * it does: a restarted device gets the same ones.
 */
#ifndef ATOLL_VPCI_VIRTIO_PCI_H
#define ATOLL_VPCI_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_host;
struct vpci_dev;

/* BAR 0 layout (64-bit memory BAR). */
#define VPCI_BAR 0u
#define VPCI_BAR_SIZE 0x4000u
#define VPCI_COMMON_OFF 0x0000u
#define VPCI_COMMON_LEN 0x38u        /* up to queue_device; no 1.2 fields */
#define VPCI_ISR_OFF 0x1000u
#define VPCI_ISR_LEN 4u
#define VPCI_DEVICE_OFF 0x2000u
#define VPCI_DEVICE_MAX 0x1000u
#define VPCI_NOTIFY_OFF 0x3000u
#define VPCI_NOTIFY_MULT 4u          /* queue_notify_off = queue index */

#define VPCI_MAX_QUEUES 64u
#define VPCI_MAX_QUEUE_SIZE 32768u
#define VPCI_VENDOR 0x1af4u
#define VPCI_DEVICE_BASE 0x1040u

struct vpci_dev_params {
	const char *name;          /* the device's instance name (logs) */
	const char *me;            /* ours, for HELLO */
	int timeout_ms;            /* per peer call; <= 0: 1000 */
};

/* Opens the device's bus socket `fd` (taken, closed on failure): HELLO,
 * DEVICE_DESCRIBE, and builds config space and eventfds from the
 * descriptor. Main thread. Returns 0 and *out, or a negative errno. */
int vpci_dev_new(const struct vpci_dev_params *p, int fd,
		 struct vpci_dev **out);
/* The same from a peer already connected (HELLO done) that described
 * itself as `d`: takes the peer (freed on failure). */
struct vpci_peer;
struct vpci_peer_desc;
int vpci_dev_new_peer(const struct vpci_dev_params *p, struct vpci_peer *peer,
		      const struct vpci_peer_desc *d, struct vpci_dev **out);
/* Stops using the device; the caller has stopped the harts. */
void vpci_dev_free(struct vpci_dev *t);

/* Guest RAM, for reading the used rings on a re-attach. */
void vpci_dev_set_ram(struct vpci_dev *t, const void *ram, uint64_t base,
		      uint64_t size);

/* Registers the function in `slot` of the host (before the harts run). */
int vpci_dev_plug(struct vpci_dev *t, struct pci_host *h, unsigned slot);

/* A new connection to a restarted device (fd taken): HELLO, DESCRIBE,
 * then FEATURES_SET and a QUEUE_SETUP for every enabled queue with the
 * same eventfds, resuming at the used ring's idx. Main thread. Returns 0
 * or a negative errno (the device is then marked NEEDS_RESET). */
int vpci_dev_reattach(struct vpci_dev *t, int fd);
/* A freshly restarted device may refuse the replay for a moment (its
 * guest-memory grant can arrive after the peer connection): then
 * vpci_dev_reattach returns -EAGAIN with the new connection in place, the
 * caller retries with vpci_dev_replay (0: done, -EAGAIN: still refused),
 * and after its last try calls vpci_dev_replay_give_up, which marks the
 * device NEEDS_RESET. Main thread. */
int vpci_dev_replay(struct vpci_dev *t);
void vpci_dev_replay_give_up(struct vpci_dev *t);

const char *vpci_dev_name(const struct vpci_dev *t);
uint32_t vpci_dev_device_id(const struct vpci_dev *t);
unsigned vpci_dev_num_queues(const struct vpci_dev *t);
/* Queue q's call eventfd, for the main loop to watch. */
int vpci_dev_call_fd(const struct vpci_dev *t, unsigned q);
/* Queue q's kick eventfd (tests). */
int vpci_dev_kick_fd(const struct vpci_dev *t, unsigned q);
/* The call eventfd of q is readable: consume it, raise the interrupt. */
void vpci_dev_call(struct vpci_dev *t, unsigned q);

/* The peer socket (-1 while the device is away) and its readiness
 * handler: delivers posted frames unless a hart holds the transport (it
 * then drains them itself before letting go). Returns false once the
 * connection is gone, so the caller stops watching the fd. */
int vpci_dev_peer_fd(struct vpci_dev *t);
bool vpci_dev_peer_ready(struct vpci_dev *t);

/* BAR and config-space accesses as the pci-host makes them (exposed for
 * tests; they are what the plugged function's ops call). */
int vpci_dev_bar_read(struct vpci_dev *t, uint64_t off, unsigned size,
		      uint64_t *val);
int vpci_dev_bar_write(struct vpci_dev *t, uint64_t off, unsigned size,
		       uint64_t val);
uint32_t vpci_dev_cfg_read(struct vpci_dev *t, unsigned off, unsigned size);
void vpci_dev_cfg_write(struct vpci_dev *t, unsigned off, unsigned size,
			uint32_t val);

#endif
