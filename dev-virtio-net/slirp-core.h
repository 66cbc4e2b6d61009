/* SPDX-License-Identifier: MIT */
/*
 * libslirp on a libevent loop, for whoever carries the guest's frames:
 * the device process itself (net-slirp.c) or atoll-net-slirp, the
 * long-lived backend process that keeps the guest's connections while
 * the device process dies and restarts (slirp-main.c).
 */
#ifndef ATOLL_NET_SLIRP_CORE_H
#define ATOLL_NET_SLIRP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "hostfwd.h"

struct slirp_core;

/* Where slirp's frames go; called on the loop. */
struct slirp_core_host {
	/* A frame for the guest (Ethernet, correct checksums). */
	void (*deliver)(void *ctx, const uint8_t *frame, size_t len);
	/* After each cycle: the frames delivered since may be published. */
	void (*flush)(void *ctx);
	/* A guest-caused problem (the host rate-limits it). */
	void (*warn)(void *ctx, const char *msg);
};

struct slirp_core_opts {
	const struct hostfwd *fwd;
	unsigned nfwd;
	bool restricted;       /* the guest reaches only the forwards */
};

/* Starts slirp with the forwards listening. Returns 0 with *out set, or
 * -errno (a forward that cannot listen is logged and fails it). */
int slirp_core_new(struct event_base *base, const struct slirp_core_opts *o,
		   const struct slirp_core_host *host, void *ctx,
		   struct slirp_core **out);
/* A guest frame, already checked as Ethernet of a sane size. */
void slirp_core_input(struct slirp_core *s, const uint8_t *frame, size_t len);
/* After a batch of inputs: run a cycle on the next loop turn. */
void slirp_core_kick(struct slirp_core *s);
void slirp_core_free(struct slirp_core *s);

#endif
