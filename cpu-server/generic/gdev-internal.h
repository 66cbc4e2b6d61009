/* SPDX-License-Identifier: MIT */
/* Shared between gdev.c and gdev-plug.c; see gdev.h for the threads. */
#ifndef ATOLL_GENERIC_GDEV_INTERNAL_H
#define ATOLL_GENERIC_GDEV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "gdev.h"
#include "pci-func.h"

struct gdev {
	char name[64];
	char me[64];
	int timeout_ms;
	struct gdev_desc desc;

	/* Guards the peer and every call on it. */
	pthread_mutex_t lock;
	struct vpci_peer *peer;    /* dead while the device is away */
	unsigned errors;           /* failed accesses, for rate-limited logs */
	/* Broadcast (with `lock`) when a restarted device re-attaches, or
	 * a wait must end: a hart whose access found the device away waits
	 * on it up to GDEV_HOLD_MS (CLOCK_MONOTONIC). */
	pthread_cond_t back;
	bool given_up;             /* a wait ran out, or the launcher gave
				    * up on it: no more waits until back */
	bool no_hold;              /* harts stopping: accesses do not wait */
	unsigned holds, holds_out; /* waits begun, ran out (tests) */

	/* Set when a read went unanswered; cleared by a re-attach. */
	atomic_bool faulted;
	int fault_fd;              /* eventfd, written once per fault */
	pthread_mutex_t fault_lock;
	char fault_why[128];

	/* Lines: their own lock, taken after `lock` when both are. */
	pthread_mutex_t irq_lock;
	bool level[GDEV_MAX_IRQS]; /* as the device last set them */
	bool out[GDEV_MAX_IRQS];   /* as the machine sees them */
	unsigned source[GDEV_MAX_IRQS];     /* platform: PLIC sources */
	gdev_set_irq_fn set_irq;
	void *irq_opaque;
	struct pci_host *host;     /* PCI, once plugged */
	unsigned slot;

	struct pci_func pci;       /* PCI only */
	bool pci_built;
	uint64_t placed[GDEV_MAX_REGIONS];  /* platform: window addresses */
	bool plugged;
};

/* Brings the machine's view of every line in line with `level` (and the
 * INTx disable bit); irq_lock held. */
void gdev_lines_update(struct gdev *g);
/* Builds the PCI config space from the description. */
int gdev_pci_build(struct gdev *g);
/* Tells the device where its regions are (REGION_PLACED); lock held. */
void gdev_post_placed(struct gdev *g);

#endif
