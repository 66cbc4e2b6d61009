/* SPDX-License-Identifier: MIT */
/*
 * The generic devices of one atoll-cpu under the launcher: one proxy per
 * peer device, re-attached on every later PEER_CONNECT of the same name
 * (a device restart), placed at RESUME (PCI functions into free slots,
 * platform devices onto the platform bus with PLIC sources 64.. and
 * device-tree nodes), and the main-loop events that serve them (peer
 * sockets for posted frames, fault eventfds). Main thread only.
 */
#ifndef ATOLL_GENERIC_GDEV_SET_H
#define ATOLL_GENERIC_GDEV_SET_H

#include <stdbool.h>

#include <atoll/bus.h>

struct event_base;
struct gdev_set;
struct virt;
struct vpci_peer;

/* A device stopped answering (the owner posts DEVICE_FAULT). */
typedef void (*gdev_set_fault_fn)(void *opaque, const char *device,
				  const char *why);

struct gdev_set *gdev_set_new(struct event_base *base, const char *me,
			      gdev_set_fault_fn fault, void *opaque);
/* The harts must be stopped. NULL is a no-op. */
void gdev_set_free(struct gdev_set *s);

bool gdev_set_has(const struct gdev_set *s, const char *name);
/* A new generic device, connected (HELLO done) and described by dd:
 * takes the peer. A device refused is logged and left out; returns 0 then
 * too, and a negative errno only when the cpu server cannot go on. */
int gdev_set_add(struct gdev_set *s, const char *name, struct vpci_peer *peer,
		 const Atoll__DeviceDesc *dd);
/* The next connection (fd taken) of device `name` after a restart. */
int gdev_set_reattach(struct gdev_set *s, const char *name, int fd);

/* gdev_hold on every device: off before the harts stop, on before they
 * run again. */
void gdev_set_hold(struct gdev_set *s, bool on);
/* The launcher gave up on device `name` (gdev_gone); false if it is not
 * a generic device here. */
bool gdev_set_gone(struct gdev_set *s, const char *name);

/* Places every device not placed yet, in name order: PCI functions into
 * free slots of the machine's host, platform devices onto its platform
 * bus; gives the machine their device-tree nodes (virt_set_platform_devices,
 * which keeps pointing into the set). The first call comes right before
 * the machine boots: platform devices described after it are left out (a
 * running guest's device tree does not change). A device that does not
 * fit is logged and left out. 0 or a negative errno. */
int gdev_set_plug(struct gdev_set *s, struct virt *v);

unsigned gdev_set_count(const struct gdev_set *s);

#endif
