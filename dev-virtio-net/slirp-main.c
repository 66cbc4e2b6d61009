/* SPDX-License-Identifier: MIT */
/*
 * atoll-net-slirp: libslirp in a process of its own, so that the guest's
 * TCP connections outlive the virtio-net device process. The launcher
 * starts one per slirp network card and keeps one end of a
 * SOCK_SEQPACKET pair; every (re)start of the device gets a copy of that
 * end (--backend=slirp-process). One datagram is one Ethernet frame.
 *
 * Frames the backend sent while no device process ran wait in the
 * launcher's end and reach the next one; a frame slirp sends while that
 * queue is full is dropped (TCP retransmits). Once every copy of the
 * device end is closed (the launcher is gone), recv() returns 0 and the
 * process exits 0. It has no control bus: it holds no guest memory and
 * the launcher restarts it at the device's next start if it died.
 *
 * After slirp is up and the forwards listen, a 1-byte datagram (no frame
 * is that short) tells the launcher it is ready; a forward that cannot
 * listen exits 1 before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hostfwd.h"
#include "log.h"
#include "net-hdr.h"
#include "slirp-core.h"

#define MAX_HOSTFWD 16u
#define READ_BUDGET 64u       /* frames per wake-up before yielding */
#define WARN_PER_SECOND 10u

struct backend {
	struct event_base *base;
	struct slirp_core *slirp;
	int fd;
	struct event *ev;
	uint64_t rx_frames, tx_frames, tx_dropped, bad_frames;
	time_t warn_sec;
	unsigned warn_budget;
	uint8_t buf[NET_MAX_FRAME + 1];   /* +1: tells an oversized frame */
};

/* Guest-caused reports, at most WARN_PER_SECOND. */
static void warn_limited(struct backend *b, const char *msg)
{
	time_t now = time(NULL);

	if (now != b->warn_sec) {
		b->warn_sec = now;
		b->warn_budget = WARN_PER_SECOND;
	}
	if (b->warn_budget) {
		b->warn_budget--;
		log_warn("%s", msg);
	}
}

static void host_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct backend *b = ctx;

	/* Never blocks: with no device reading, the queue fills and slirp's
	 * frame is dropped like on a busy wire; TCP retransmits. */
	if (send(b->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    (ssize_t)len) {
		b->tx_frames++;
		return;
	}
	b->tx_dropped++;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		warn_limited(b, "frame to the device not sent");
}

static void host_flush(void *ctx) { }

static void host_warn(void *ctx, const char *msg)
{
	warn_limited(ctx, msg);
}

static const struct slirp_core_host host = {
	.deliver = host_deliver,
	.flush = host_flush,
	.warn = host_warn,
};

static void frames_cb(evutil_socket_t fd, short what, void *arg)
{
	struct backend *b = arg;

	for (unsigned i = 0; i < READ_BUDGET; i++) {
		ssize_t len = recv(b->fd, b->buf, sizeof(b->buf), MSG_DONTWAIT);

		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (len <= 0) {
			log_info("device side closed (%s); %llu frames in, %llu "
				 "out, %llu dropped", len ? strerror(errno) :
				 "end of file",
				 (unsigned long long)b->rx_frames,
				 (unsigned long long)b->tx_frames,
				 (unsigned long long)b->tx_dropped);
			event_base_loopexit(b->base, NULL);
			return;
		}
		/* The device checked the frame; this side trusts nobody. */
		if (len < (ssize_t)NET_ETH_HLEN || (size_t)len > NET_MAX_FRAME) {
			b->bad_frames++;
			warn_limited(b, "frame of a bad size from the device dropped");
			continue;
		}
		b->rx_frames++;
		slirp_core_input(b->slirp, b->buf, (size_t)len);
	}
	slirp_core_kick(b->slirp);
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

static int usage(FILE *to, int rc)
{
	fprintf(to, "usage: atoll-net-slirp --frames-fd=N [--name=NAME] "
		"[--hostfwd=RULE]... [--restrict]\n"
		"  libslirp for atoll-virtio-net --backend=slirp-process; "
		"started by the launcher\n");
	return rc;
}

static int parse_fd(const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || !*arg || v < 3 || v > 1023)
		return -1;
	return (int)v;
}

static int run(struct backend *b, const struct slirp_core_opts *o)
{
	struct event *sigterm, *sigint;
	int flags = fcntl(b->fd, F_GETFL), rc;
	const char ready = 'R';

	if (flags < 0 || fcntl(b->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("--frames-fd=%d: %s", b->fd, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	b->base = event_base_new();
	if (!b->base)
		return 1;
	sigterm = evsignal_new(b->base, SIGTERM, stop_cb, b->base);
	sigint = evsignal_new(b->base, SIGINT, stop_cb, b->base);
	b->ev = event_new(b->base, b->fd, EV_READ | EV_PERSIST, frames_cb, b);
	if (!sigterm || !sigint || !b->ev || evsignal_add(sigterm, NULL) < 0 ||
	    evsignal_add(sigint, NULL) < 0 || event_add(b->ev, NULL) < 0)
		return 1;
	if ((rc = slirp_core_new(b->base, o, &host, b, &b->slirp)) < 0)
		return 1;
	if (send(b->fd, &ready, 1, MSG_NOSIGNAL) != 1) {
		log_error("cannot tell the launcher: %s", strerror(errno));
		return 1;
	}
	event_base_dispatch(b->base);
	slirp_core_free(b->slirp);
	event_free(b->ev);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(b->base);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames-fd", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "hostfwd", required_argument, NULL, 'h' },
		{ "restrict", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static struct backend b = { .fd = -1 };
	struct hostfwd fwd[MAX_HOSTFWD];
	struct slirp_core_opts o = { .fwd = fwd };
	char prefix[96] = "atoll-net-slirp";
	const char *why;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((b.fd = parse_fd(optarg)) < 0)
				return usage(stderr, 2);
			break;
		case 'n':
			snprintf(prefix, sizeof(prefix), "atoll-net-slirp[%.64s]",
				 optarg);
			break;
		case 'h':
			if (o.nfwd == MAX_HOSTFWD) {
				fprintf(stderr, "atoll-net-slirp: at most %u "
					"--hostfwd rules\n", MAX_HOSTFWD);
				return 2;
			}
			if (hostfwd_parse(optarg, &fwd[o.nfwd], &why) < 0) {
				fprintf(stderr, "atoll-net-slirp: --hostfwd=%s: "
					"%s\n", optarg, why);
				return 2;
			}
			o.nfwd++;
			break;
		case 'r':
			o.restricted = true;
			break;
		case 'H':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc || b.fd < 0)
		return usage(stderr, 2);
	log_init(prefix, ATOLL_LOG_INFO);
	return run(&b, &o);
}
