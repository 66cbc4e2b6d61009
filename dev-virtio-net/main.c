/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-net: a virtio network device in its own process, with a
 * libslirp user-mode network behind it. The launcher passes guest memory
 * (MEM_GRANT) and a bus socket to the cpu server (PEER_CONNECT); the cpu
 * server drives the RX and TX queues through the peer protocol. See
 * docs/dev-virtio-net.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "log.h"
#include "net.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly xx:xx:xx:xx:xx:xx, unicast and not all zero, as the manifest
 * requires. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

static int net_opt(int opt, const char *arg, void *state)
{
	struct net *n = state;
	const char *why;

	switch (opt) {
	case 'm':
		return parse_mac(arg, n->o.mac);
	case 'b':
		if (strcmp(arg, "slirp") && strcmp(arg, "tap") &&
		    strcmp(arg, "slirp-process") && strcmp(arg, "none"))
			return -EINVAL;
		n->o.backend = arg;
		return 0;
	case 'q':
		if (strcmp(arg, "1")) {
			fprintf(stderr, "atoll-virtio-net: --queues=%s: only one "
				"queue pair is supported\n", arg);
			return -EINVAL;
		}
		n->o.queues = 1;
		return 0;
	case 't': {
		char *end;
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || !*arg || v < 3 || v > 1023)
			return -EINVAL;
		n->o.tap_fd = (int)v;
		return 0;
	}
	case 'f':
		if (n->o.nfwd == NET_MAX_HOSTFWD) {
			fprintf(stderr, "atoll-virtio-net: at most %u --hostfwd "
				"rules\n", NET_MAX_HOSTFWD);
			return -E2BIG;
		}
		if (hostfwd_parse(arg, &n->o.fwd[n->o.nfwd], &why) < 0) {
			fprintf(stderr, "atoll-virtio-net: --hostfwd=%s: %s\n",
				arg, why);
			return -EINVAL;
		}
		n->o.nfwd++;
		return 0;
	case 'r':
		n->o.restricted = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static int net_setup(struct child *c)
{
	struct net *n = child_state(c);

	if (!strcmp(n->o.backend, "none")) {
		log_error("backend none is not supported; use backend slirp");
		return -ENOTSUP;
	}
	if (strcmp(n->o.backend, "slirp")) {    /* tap or slirp-process */
		if (n->o.tap_fd < 0) {
			log_error("backend %s needs --tap-fd (the launcher opens "
				  "the tap interface or the socket to "
				  "atoll-net-slirp)", n->o.backend);
			return -EINVAL;
		}
		if (n->o.nfwd || n->o.restricted) {
			log_error("--hostfwd and --restrict are slirp features; "
				  "not with backend %s (atoll-net-slirp takes "
				  "them)", n->o.backend);
			return -EINVAL;
		}
	}
	return net_init(n, c);   /* the SDK posts READY once memory is mapped */
}

static void net_health(struct child *c, Atoll__HealthReport *r)
{
	struct net *n = child_state(c);
	const struct net_stats *s = &n->st;
	size_t len;
	char *buf = child_status_buf(c, &len);

	snprintf(buf, len, "backend %s; tx %llu frames %llu bytes %llu dropped; "
		 "rx %llu frames %llu bytes %llu dropped; %llu bad chains",
		 n->backend.ops ? n->backend.ops->name : "-",
		 (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
		 (unsigned long long)s->tx_dropped,
		 (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		 (unsigned long long)s->rx_dropped,
		 (unsigned long long)s->bad_chains);
	r->status = buf;
	r->requests_completed = s->tx_frames + s->rx_frames;
	r->requests_failed = s->tx_dropped + s->rx_dropped;
}

static void net_teardown(struct child *c)
{
	net_fini(child_state(c));
}

/* vhost-user convention: what this back-end can do, as JSON, then exit. */
static int print_capabilities(void)
{
	printf("{\n"
	       "  \"type\": \"net\",\n"
	       "  \"kind\": \"virtio-net\",\n"
	       "  \"virtio_device_id\": 1,\n"
	       "  \"features\": [\"VERSION_1\", \"RING_EVENT_IDX\", "
	       "\"RING_INDIRECT_DESC\", \"NET_MAC\", \"NET_STATUS\", \"NET_MTU\", "
	       "\"NET_MRG_RXBUF\", \"NET_CSUM\", \"NET_GUEST_CSUM\"],\n"
	       "  \"queue_pairs\": 1,\n"
	       "  \"max_queue_size\": %u,\n"
	       "  \"mtu\": %u,\n"
	       "  \"backends\": [\"slirp\", \"tap\", \"slirp-process\"],\n"
	       "  \"inflight\": true\n"
	       "}\n", NET_MAX_QUEUE_SIZE, NET_MTU);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mac", required_argument, NULL, 'm' },
		{ "backend", required_argument, NULL, 'b' },
		{ "queues", required_argument, NULL, 'q' },
		{ "hostfwd", required_argument, NULL, 'f' },
		{ "tap-fd", required_argument, NULL, 't' },
		{ "restrict", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "virtio-net",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.capabilities = ATOLL__CAPABILITY__CAP_INFLIGHT,
		.device = true,
		.setup = net_setup,
		.health = net_health,
		.teardown = net_teardown,
	};
	static const uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static struct net n;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--print-capabilities"))
			return print_capabilities();
	memcpy(n.o.mac, default_mac, sizeof(n.o.mac));
	n.o.backend = "slirp";
	n.o.queues = 1;
	n.o.tap_fd = -1;
	return child_main(argc, argv, &ops, &n, opts, net_opt,
		"  --mac=XX:XX:XX:XX:XX:XX  the guest's MAC (52:54:00:12:34:56)\n"
		"  --backend=slirp|tap|slirp-process  user-mode network (libslirp, default),\n"
		"                      a host tap, or atoll-net-slirp's socket\n"
		"  --tap-fd=N          tap: the tap fd the launcher opened (TUNSETIFF);\n"
		"                      slirp-process: the socket to atoll-net-slirp\n"
		"  --queues=1          queue pairs (only 1)\n"
		"  --hostfwd=RULE      [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT,\n"
		"                      HOSTADDR default 127.0.0.1; repeatable (16)\n"
		"  --restrict          slirp: the guest reaches nothing but --hostfwd\n"
		"                      connections (no host loopback, no outside)\n"
		"  --print-capabilities  print a JSON description and exit\n");
}
