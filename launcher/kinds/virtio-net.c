/* SPDX-License-Identifier: MIT */
/* Kind virtio-net: a network card served by atoll-virtio-net
 * (docs/dev-virtio-net.md), with libslirp or a tap interface the launcher
 * opens (the device never needs CAP_NET_ADMIN). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hostfwd.h"
#include "kind.h"
#include "slirp-keeper.h"

#define TAP_FD 4
#define FRAMES_FD 4     /* backend slirp: the socket to atoll-net-slirp */

const struct slirp_keeper_ops *slirp_keeper;

static const char *const keys[] = { "backend", "tap", "mac", "queues",
				    "hostfwd", "restrict", NULL };
/* "none" is a known word, refused by name: the device does not have it. */
static const char *const backends[] = { "slirp", "tap", "none", NULL };

static int read_mac(struct mctx *c, const struct mval *v,
		    struct net_config *net)
{
	uint8_t mac[6];
	char *s;
	int r;

	if ((r = mx_string(c, v, &s)) < 0)
		return r;
	r = manifest_parse_mac(s, mac);
	free(s);
	if (r == -EADDRNOTAVAIL)
		return mx_fail(c, v->pos, v->field, "MAC address must be "
			       "unicast and not all zero (the low bit of the "
			       "first octet must be clear)");
	if (r < 0)
		return mx_fail(c, v->pos, v->field, "expected a MAC address "
			       "like \"52:54:00:12:34:56\"");
	if (asprintf(&net->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		     mac[1], mac[2], mac[3], mac[4], mac[5]) < 0) {
		net->mac = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int read_tap(struct mctx *c, const struct mmap *dev,
		    struct net_config *net)
{
	struct mval v;
	int r;

	mx_lookup(dev, "tap", &v);
	if (strcmp(net->backend, "tap"))
		return v.present ? mx_fail(c, v.key_pos, v.field, "only valid "
					   "with backend tap") : 0;
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_string(c, &v, &net->tap)) < 0)
		return r;
	if (!manifest_valid_ifname(net->tap))
		return mx_fail(c, v.pos, v.field, "invalid interface name; "
			       "expected 1 to 15 bytes without '/', ':' or "
			       "spaces");
	return 0;
}

/* hostfwd: [RULE, ...] in QEMU's syntax, slirp only; each rule is checked
 * by the parser the device itself runs (dev-virtio-net/hostfwd.c). */
static int read_hostfwd(struct mctx *c, const struct mmap *dev,
			struct net_config *net)
{
	struct mval v, item;
	struct hostfwd fwd;
	struct fy_node *n;
	const char *why;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "hostfwd", &v);
	if (!v.present)
		return 0;
	if (strcmp(net->backend, "slirp"))
		return mx_fail(c, v.key_pos, v.field, "only valid with backend "
			       "slirp");
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of rules "
			       "like \"tcp:127.0.0.1:2222-:22\"");
	count = fy_node_sequence_item_count(v.node);
	if (count > MANIFEST_MAX_HOSTFWD)
		return mx_fail(c, v.pos, v.field, "%d rules; at most %d are "
			       "allowed", count, MANIFEST_MAX_HOSTFWD);
	net->hostfwd = calloc((size_t)count + 1, sizeof(*net->hostfwd));
	if (!net->hostfwd)
		return -ENOMEM;
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		char **rule = &net->hostfwd[net->nhostfwd];

		if ((r = mx_list_item(&v, n, net->nhostfwd, &item)) < 0 ||
		    (r = mx_string(c, &item, rule)) < 0)
			return r;
		net->nhostfwd++;
		if (hostfwd_parse(*rule, &fwd, &why) < 0)
			return mx_fail(c, item.pos, item.field, "%s in \"%.64s\"; "
				       "expected [tcp|udp]:[HOSTADDR]:HOSTPORT-"
				       "[GUESTADDR]:GUESTPORT", why, *rule);
	}
	return 0;
}

/* restrict: true (slirp only), as QEMU's restrict=on: the guest reaches
 * the forwarded ports and nothing else, not even the host's loopback. */
static int read_restrict(struct mctx *c, const struct mmap *dev,
			 struct net_config *net)
{
	struct mval v;

	mx_lookup(dev, "restrict", &v);
	if (!v.present)
		return 0;
	if (strcmp(net->backend, "slirp"))
		return mx_fail(c, v.key_pos, v.field, "only valid with backend "
			       "slirp");
	return mx_bool(c, &v, &net->restricted);
}

static int read_backend(struct mctx *c, const struct mmap *dev,
			struct net_config *net)
{
	struct mval v;
	int backend = 0, r;

	mx_lookup(dev, "backend", &v);
	if (v.present && (r = mx_choice(c, &v, backends, &backend)) < 0)
		return r;
	if (!strcmp(backends[backend], "none"))
		return mx_fail(c, v.pos, v.field, "backend none is not "
			       "implemented: atoll-virtio-net serves slirp and "
			       "tap; atoll run could not start it");
	net->backend = strdup(backends[backend]);
	return net->backend ? 0 : -ENOMEM;
}

static int net_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	struct net_config *net = &d->net;
	struct mval v;
	int r;

	if ((r = read_backend(c, dev, net)) < 0 ||
	    (r = read_tap(c, dev, net)) < 0)
		return r;
	mx_lookup(dev, "mac", &v);
	if (v.present && (r = read_mac(c, &v, net)) < 0)
		return r;
	net->queues = 1;
	mx_lookup(dev, "queues", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 16, &net->queues)) < 0)
		return r;
	if ((r = read_hostfwd(c, dev, net)) < 0)
		return r;
	return read_restrict(c, dev, net);
}

/* Opens /dev/net/tun attached to the tap interface `name` (frames without
 * packet info) and grants it. The interface must exist and be usable by
 * the launcher (`ip tuntap add NAME mode tap user USER`), or the launcher
 * must have CAP_NET_ADMIN, which creates it. */
static int plan_tap(struct launch_plan *plan, const char *name)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(plan->why, sizeof(plan->why), "cannot open "
			 "/dev/net/tun: %s", strerror(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		snprintf(plan->why, sizeof(plan->why), "cannot attach to tap "
			 "interface %s: %s", name, strerror(err));
		close(fd);
		return -err;
	}
	if ((err = plan_grant(plan, fd, TAP_FD)) < 0)
		return err;
	return plan_arg(plan, "--tap-fd=%d", TAP_FD);
}

static int net_plan(const struct device_config *d, struct launch_plan *plan)
{
	const struct net_config *n = &d->net;
	int rc;

	if ((rc = plan_arg(plan, "--queues=%u", n->queues)) < 0 ||
	    (n->mac && (rc = plan_arg(plan, "--mac=%s", n->mac)) < 0))
		return rc;
	if (n->tap)
		return (rc = plan_arg(plan, "--backend=tap")) < 0 ? rc :
			plan_tap(plan, n->tap);
	/* slirp runs in atoll-net-slirp, which outlives this process and
	 * takes the forwards and restricted mode: the guest's connections
	 * survive a kill, a restart or a replacement of the device. */
	if ((rc = plan_arg(plan, "--backend=slirp-process")) < 0 ||
	    (rc = plan_arg(plan, "--tap-fd=%d", FRAMES_FD)) < 0)
		return rc;
	if (!slirp_keeper) {
		snprintf(plan->why, sizeof(plan->why), "no slirp keeper in "
			 "this program");
		return -ENOTSUP;
	}
	return slirp_keeper->grant(d, plan, FRAMES_FD);
}

static void net_release(struct device_config *d)
{
	if (slirp_keeper)
		slirp_keeper->forget(d->name);
	free(d->net.backend);
	free(d->net.tap);
	free(d->net.mac);
	for (size_t i = 0; d->net.hostfwd && d->net.hostfwd[i]; i++)
		free(d->net.hostfwd[i]);
	free(d->net.hostfwd);
}

const struct device_kind kind_virtio_net = {
	.name = "virtio-net",
	.program = "atoll-virtio-net",
	.build_dir = "dev-virtio-net",
	.keys = keys,
	.read = net_read,
	.plan = net_plan,
	.release = net_release,
};
