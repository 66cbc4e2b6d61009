/* SPDX-License-Identifier: MIT */
/*
 * The generic device proxy (the vfio-user split, docs/machine-riscv-virt.md
 * "Generic devices"): one out-of-process device whose DEVICE_DESC is
 * MODEL_GENERIC. The device owns its registers; the cpu server only places
 * them and forwards accesses:
 *  - a PCI function: the cpu server emulates the type-0 header from the
 *    description (ids, class, BAR sizing and placement, command, interrupt
 *    pin/line; no capabilities: config space above the header reads 0);
 *    BAR accesses are forwarded;
 *  - a platform device: MMIO windows on the platform bus, a device-tree
 *    node, PLIC sources for its lines.
 * Reads are REGION_READ, synchronous for the hart with a deadline; writes
 * are posted REGION_WRITE. Lines follow IRQ_LEVEL (PLIC level sources, PCI
 * INTx). A read past its deadline completes with all ones and the device
 * is faulted: cut off, reported through the fault eventfd (the owner posts
 * DEVICE_FAULT), and every access reads all ones / is dropped until a
 * restarted device is re-attached (gdev_reattach), as virtio devices are.
 * An access that finds the device's connection gone (its process died)
 * waits up to GDEV_HOLD_MS for the restarted device's re-attach and then
 * goes to it, as a slow device holds the hart; one whose wait ran out, or
 * that the launcher gave up on (gdev_gone), reads all ones / is dropped at
 * once until a re-attach.
 *
 * Threads: hart threads make the accesses, each under the device's lock
 * for the whole peer call (a wait for a restart lets go of it: a condition
 * variable the re-attach broadcasts); the main loop delivers posted
 * frames with gdev_peer_ready (a try-lock: a hart in a call drains them
 * itself before it lets go). Lines have their own lock, so an interrupt
 * never waits for a slow device.
 */
#ifndef ATOLL_GENERIC_GDEV_H
#define ATOLL_GENERIC_GDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atoll/bus.h>

#include "gdev-desc.h"

struct gdev;
struct pci_host;
struct platform_bus;
struct vpci_peer;
struct virt_fdt_dev;

struct gdev_params {
	const char *name;          /* the device's instance name */
	const char *me;            /* ours, for HELLO */
	int timeout_ms;            /* per read; <= 0: GDEV_DEFAULT_TIMEOUT_MS */
};

#define GDEV_DEFAULT_TIMEOUT_MS 1000
/* How long an access waits for a device that went away to be restarted:
 * the launcher restarts at once, later restarts of a burst back off. */
#define GDEV_HOLD_MS 2000

/* Drives PLIC source `source` (platform devices). */
typedef void (*gdev_set_irq_fn)(void *opaque, unsigned source, bool level);

/* From a connected peer (HELLO done) and its DeviceDesc: takes the peer
 * (freed on failure). Returns 0 and *out, -EPROTO (logged) for a
 * description that is refused, or another negative errno. Main thread. */
int gdev_new(const struct gdev_params *p, struct vpci_peer *peer,
	     const Atoll__DeviceDesc *dd, struct gdev **out);
/* The caller has stopped the harts. NULL is a no-op. */
void gdev_free(struct gdev *g);

const char *gdev_name(const struct gdev *g);
const struct gdev_desc *gdev_desc(const struct gdev *g);

/* PCI: registers the function in `slot` of the host. -EBUSY if taken. */
int gdev_plug_pci(struct gdev *g, struct pci_host *h, unsigned slot);
/* Platform: maps window i at addr[i] (region order of the description)
 * and gives line j PLIC source irq[j]; posts REGION_PLACED for each
 * window. Before the harts run. */
int gdev_plug_platform(struct gdev *g, struct platform_bus *b,
		       const uint64_t *addr, const unsigned *irq,
		       gdev_set_irq_fn set_irq, void *opaque);
/* Platform: the node for the device tree; it points into g, `name`
 * (the node name, filled here) and `props` (GDEV_MAX_PROPS entries,
 * filled here). */
struct virt_fdt_prop;
void gdev_fdt_node(const struct gdev *g, struct virt_fdt_dev *n,
		   char *name, size_t name_len, struct virt_fdt_prop *props);

/* Region accesses as the guest makes them (hart threads): size 1, 2, 4 or
 * 8 inside the region. A read that cannot be served gives all ones. */
uint64_t gdev_region_read(struct gdev *g, uint32_t region, uint64_t off,
			  unsigned size);
void gdev_region_write(struct gdev *g, uint32_t region, uint64_t off,
		       unsigned size, uint64_t val);

/* Config space of a PCI function (hart threads). */
uint32_t gdev_cfg_read(struct gdev *g, unsigned off, unsigned size);
void gdev_cfg_write(struct gdev *g, unsigned off, unsigned size,
		    uint32_t val);

/* A restarted device (fd taken): HELLO, DESCRIBE, which must describe the
 * same device; then accesses reach it again, its lines start low and it
 * is told where its regions are. Main thread. 0 or a negative errno. */
int gdev_reattach(struct gdev *g, int fd);

/* Whether an access that finds the device away waits for it (on from
 * gdev_new). The owner turns it off before it stops the harts (it joins
 * them on the main loop, where a re-attach would come from: the wait
 * could only run out), which ends a wait at once (that access reads all
 * ones), and on again when they run. Any thread. */
void gdev_hold(struct gdev *g, bool on);
/* The launcher gave up on the device: accesses stop waiting for it (and
 * one waiting ends) until a re-attach. Any thread. */
void gdev_gone(struct gdev *g);
/* Waits for the device begun so far, and those that ran out (tests). */
void gdev_hold_counts(struct gdev *g, unsigned *begun, unsigned *ran_out);

/* The peer socket (-1 while away) and its readiness handler; false once
 * the connection is gone (stop watching). Main thread. */
int gdev_peer_fd(struct gdev *g);
bool gdev_peer_ready(struct gdev *g);

/* Readable when the device was faulted; gdev_take_fault reads it and
 * copies the reason (true if there was one). Main thread. */
int gdev_fault_fd(const struct gdev *g);
bool gdev_take_fault(struct gdev *g, char *why, size_t len);
bool gdev_faulted(struct gdev *g);

/* A line's level as the machine sees it (tests). */
bool gdev_line(struct gdev *g, unsigned line);

#endif
