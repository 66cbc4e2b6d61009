/* SPDX-License-Identifier: MIT */
/*
 * The slirp backend inside the device process (--backend=slirp): slirp
 * (slirp-core.c) on the device's own loop. Its connections die with the
 * process; the launcher runs slirp in atoll-net-slirp instead (backend
 * slirp-process) so that they outlive it (docs/dev-virtio-net.md).
 */
#include <errno.h>

#include "net.h"
#include "slirp-core.h"

static void host_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	/* A frame the guest has no room for is dropped: TCP retransmits. */
	net_rx_deliver(ctx, frame, len);
}

static void host_flush(void *ctx)
{
	net_rx_flush(ctx);
}

static void host_warn(void *ctx, const char *msg)
{
	net_warn(ctx, "%s", msg);
}

static const struct slirp_core_host device_host = {
	.deliver = host_deliver,
	.flush = host_flush,
	.warn = host_warn,
};

static void be_send(void *be, const uint8_t *frame, size_t len)
{
	slirp_core_input(be, frame, len);
}

static void be_flush(void *be)
{
	slirp_core_kick(be);
}

static void be_free(void *be)
{
	slirp_core_free(be);
}

static const struct net_backend_ops slirp_ops = {
	.name = "slirp",
	.send = be_send,
	.flush = be_flush,
	.free = be_free,
	.csum_valid = true,
};

int net_slirp_new(struct net *n, struct event_base *base,
		  struct net_backend *out)
{
	struct slirp_core_opts o = {
		.fwd = n->o.fwd, .nfwd = n->o.nfwd, .restricted = n->o.restricted,
	};
	struct slirp_core *s;
	int rc = slirp_core_new(base, &o, &device_host, n, &s);

	if (rc < 0)
		return rc;
	out->ops = &slirp_ops;
	out->be = s;
	return 0;
}
