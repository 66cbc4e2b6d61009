/* SPDX-License-Identifier: MIT */
/* libatoll-device's private state, shared by dev.c (the device, the
 * control session), dev-mem.c (guest memory, DMA), dev-peer.c (the peer
 * connection) and dev-generic.c (the generic model). */
#ifndef ATOLL_DEVICE_DEV_INTERNAL_H
#define ATOLL_DEVICE_DEV_INTERNAL_H

#include <atoll/device.h>

#include "vmem.h"

#define DEV_NAME_MAX 64
/* Frames handled per wakeup before yielding to the program's loop. */
#define DEV_DISPATCH_BUDGET 64

struct atoll_dev {
	struct atoll_dev_config cfg;
	char kind[DEV_NAME_MAX], name[DEV_NAME_MAX];
	bool generic;                   /* cfg.generic was given: gen is it */
	struct atoll_dev_generic gen;
	struct vmem mem;
	uint64_t start_ns;
	/* The control session (atoll_dev_start), or NULL. */
	atoll_bus *ctl;
	bool ready_posted, stopped;
	/* The peer connection to atoll-cpu, or NULL. */
	atoll_bus *peer;
	bool peer_hello;                /* HELLO received on this connection */
	bool described;                 /* DEVICE_DESC sent on this connection */
	uint32_t irq_levels;            /* bit n: line n is high */
	const struct atoll_dev_model *model;
	void *model_opaque;
};

void dev_log(const atoll_dev *dev, enum atoll_log_level level,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The bus callbacks' log hook: opaque is the device. */
void dev_bus_log(void *opaque, enum atoll_log_level level, const char *fmt,
		 va_list ap);

/* Watches bus's fd through the program's loop; on readiness, dispatches
 * up to DEV_DISPATCH_BUDGET frames. */
int dev_watch_bus(atoll_dev *dev, atoll_bus *bus);
/* Stops watching and frees the bus (NULL: no-op). */
void dev_unwatch_free(atoll_dev *dev, atoll_bus *bus);
/* Handles what is readable or queued on bus now (as a wakeup would). */
void dev_pump(atoll_bus *bus);

/* MEM_GRANT: maps the regions (the fds stay with the bus, which closes
 * them). Returns 0 or -errno; the old mapping stays on failure. */
int dev_take_grant(atoll_dev *dev, struct atoll_msg *m);

/* The peer connection (PEER_CONNECT's socket). */
int dev_peer_attach(atoll_dev *dev, int fd);
void dev_peer_drop(atoll_dev *dev);

/* The generic model's peer messages (after HELLO). */
void dev_generic_message(atoll_dev *dev, atoll_bus *peer,
			 struct atoll_msg *m);
int dev_generic_check(const struct atoll_dev_generic *g);

#endif
