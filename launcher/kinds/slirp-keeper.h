/* SPDX-License-Identifier: MIT */
/*
 * The long-lived slirp of a virtio-net card with backend slirp: one
 * atoll-net-slirp process per card, started at the card's first start and
 * kept across the device process's deaths, restarts and replacements, so
 * that the guest's TCP connections (host sockets held by slirp) survive
 * them. The launcher keeps one end of the SOCK_SEQPACKET pair between the
 * two; each device process gets a copy (docs/dev-virtio-net.md).
 */
#ifndef ATOLL_LAUNCHER_SLIRP_KEEPER_H
#define ATOLL_LAUNCHER_SLIRP_KEEPER_H

#include "manifest.h"
#include "plan.h"

struct slirp_keeper_ops {
	/* Grants the device of `d` its end of the frames socket as fd
	 * `target`, starting (or, if it died, restarting) its
	 * atoll-net-slirp first, in the sandbox the plan's process gets,
	 * and waiting until it is ready. Returns 0 or -errno with
	 * plan->why set. */
	int (*grant)(const struct device_config *d, struct launch_plan *plan,
		     int target);
	/* The card is gone: its atoll-net-slirp is stopped and reaped. */
	void (*forget)(const char *name);
};

/* Set before main() by launcher/slirp-keeper.c, which starts processes
 * and so is the launcher's alone; NULL where only manifests are read and
 * planned (tests/manifest), where a slirp card's plan then fails. */
extern const struct slirp_keeper_ops *slirp_keeper;

#endif
