/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci devices of one atoll-cpu under the launcher: one transport
 * per peer device, created on its first PEER_CONNECT and re-attached on
 * every later one (a device restart), plugged into PCI slots at RESUME,
 * and the main-loop events (call eventfds, peer sockets) that serve them.
 * Main thread only.
 */
#ifndef ATOLL_VPCI_SET_H
#define ATOLL_VPCI_SET_H

#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

struct event_base;
struct pci_host;
struct vpci_set;

/* `me`: the cpu server's instance name (HELLO on the peer buses). */
struct vpci_set *vpci_set_new(struct event_base *base, const char *me);
/* Frees every transport; the harts must be stopped. NULL is a no-op. */
void vpci_set_free(struct vpci_set *s);

/* True if a device of this name was added (its next connection is a
 * restart). */
bool vpci_set_has(const struct vpci_set *s, const char *name);
/* The launcher gave up on device `name` (its restart policy is spent):
 * the guest sees DEVICE_NEEDS_RESET and a configuration interrupt.
 * -ENOENT if no virtio device has that name. */
int vpci_set_needs_reset(struct vpci_set *s, const char *name,
			 const char *why);
/* A new virtio device, connected (HELLO done) and described as `d`:
 * takes the peer. A device refused is logged and left out (its supervisor
 * restarts it); returns 0 then too, and a negative errno only when the
 * cpu server itself cannot go on (-ENOMEM). */
struct vpci_peer;
struct vpci_peer_desc;
int vpci_set_add(struct vpci_set *s, const char *name, struct vpci_peer *peer,
		 const struct vpci_peer_desc *d);
/* The next connection (fd taken) of device `name` after a restart. Blocks
 * for at most a few peer call deadlines. Same returns as vpci_set_add. */
int vpci_set_reattach(struct vpci_set *s, const char *name, int fd);

/* Guest RAM (for re-attach); before or after the devices connect. */
void vpci_set_ram(struct vpci_set *s, const void *ram, uint64_t base,
		  uint64_t size);

/* Plugs every device not plugged yet into free slots 1.., in name order
 * so that guest device names do not depend on start-up races. Call before
 * the harts start. Returns 0 or a negative errno. */
int vpci_set_plug(struct vpci_set *s, struct pci_host *h);

/* Devices described so far (plugged or not). */
unsigned vpci_set_count(const struct vpci_set *s);

#endif
