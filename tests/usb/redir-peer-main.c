/* SPDX-License-Identifier: MIT */
/*
 * atoll-test-usbredir-peer: the tests' usbredir device (redir-peer.h) on a
 * unix socket, for guest tests that attach it to atoll-usb through the
 * manifest (`socket:`). Serves one connection at a time, and the next
 * after it closes (atoll-usb restarted).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <usbredirproto.h>

#include "redir-peer.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: atoll-test-usbredir-peer --listen=PATH [options]\n"
		"A usbredir usb-host peer emulating one vendor-class device\n"
		"(bulk OUT 0x02, bulk IN 0x81, interrupt IN 0x83, interrupt\n"
		"OUT 0x04), for tests.\n"
		"  --listen=PATH    unix socket to listen on (created; an old\n"
		"                   socket file there is replaced)\n"
		"  --vendor=HEX     idVendor (default 1d6b)\n"
		"  --product=HEX    idProduct (default 0104)\n"
		"  --speed=S        low|full|high|super (default high)\n"
		"  --pattern=N      bulk IN reads N bytes of a fixed pattern\n"
		"                   (default: loopback of what bulk OUT wrote);\n"
		"                   the byte sum is printed when the peer closes\n"
		"  --hostile=MODE   oversize|unknown-id|bad-speed|disconnect|\n"
		"                   wrong-ep|bad-status|close|stop-fails|\n"
		"                   start-fails\n"
		"                   (repeatable)\n"
		"  --once           exit after the first connection closes\n"
		"Prints \"listening on PATH\" on stdout once it accepts.\n"
		"  --help           this text\n");
}

static const struct {
	const char *name;
	unsigned bit;
} modes[] = {
	{ "oversize", PEER_OVERSIZE },   { "unknown-id", PEER_UNKNOWN_ID },
	{ "bad-speed", PEER_BAD_SPEED }, { "disconnect", PEER_DISCONNECT },
	{ "wrong-ep", PEER_WRONG_EP },   { "bad-status", PEER_BAD_STATUS },
	{ "close", PEER_CLOSE },         { "stop-fails", PEER_STOP_FAILS },
	{ "start-fails", PEER_START_FAILS },
};

static int parse_hex16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || !*s || *end || v > 0xffff)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "product", required_argument, NULL, 'p' },
		{ "speed", required_argument, NULL, 's' },
		{ "pattern", required_argument, NULL, 'n' },
		{ "hostile", required_argument, NULL, 'H' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct redir_peer_config cfg = {
		.vendor = 0x1d6b, .product = 0x0104,
		.speed = usb_redir_speed_high,
	};
	const char *path = NULL;
	bool once = false;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct event_base *base;
	int c, lfd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			path = optarg;
			break;
		case 'v':
			if (parse_hex16(optarg, &cfg.vendor) < 0)
				goto bad;
			break;
		case 'p':
			if (parse_hex16(optarg, &cfg.product) < 0)
				goto bad;
			break;
		case 's':
			if (!strcmp(optarg, "low"))
				cfg.speed = usb_redir_speed_low;
			else if (!strcmp(optarg, "full"))
				cfg.speed = usb_redir_speed_full;
			else if (!strcmp(optarg, "high"))
				cfg.speed = usb_redir_speed_high;
			else if (!strcmp(optarg, "super"))
				cfg.speed = usb_redir_speed_super;
			else
				goto bad;
			break;
		case 'n': {
			char *end;

			errno = 0;
			cfg.pattern_len = strtoull(optarg, &end, 0);
			if (errno || !*optarg || *end || !cfg.pattern_len)
				goto bad;
			break;
		}
		case 'H': {
			size_t i;

			for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
				if (!strcmp(optarg, modes[i].name))
					break;
			if (i == sizeof(modes) / sizeof(modes[0]))
				goto bad;
			cfg.hostile |= modes[i].bit;
			break;
		}
		case 'o':
			once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!path || optind != argc || strlen(path) >= sizeof(sa.sun_path))
		goto bad;
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0) {
		fprintf(stderr, "atoll-test-usbredir-peer: %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	base = event_base_new();
	if (!base)
		return 1;
	/* Tests wait for this line, not for time to pass. */
	printf("listening on %s\n", path);
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct redir_peer *peer;
		const struct redir_peer_stats *st;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("atoll-test-usbredir-peer: accept");
			return 1;
		}
		peer = redir_peer_new(fd, base, &cfg);
		if (!peer) {
			close(fd);
			return 1;
		}
		fprintf(stderr, "atoll-test-usbredir-peer: connected\n");
		while (!redir_peer_closed(peer) &&
		       event_base_loop(base, EVLOOP_ONCE) == 0)
			;
		st = redir_peer_stats(peer);
		fprintf(stderr,
			"atoll-test-usbredir-peer: closed: %u controls, %u bulk "
			"out, %u bulk in, pattern %llu bytes sum %u\n",
			st->controls, st->bulk_out, st->bulk_in,
			(unsigned long long)st->pattern_sent, st->pattern_sum);
		redir_peer_free(peer);
		if (once)
			break;
	}
	close(lfd);
	event_base_free(base);
	return 0;
bad:
	usage(stderr);
	return 2;
}
