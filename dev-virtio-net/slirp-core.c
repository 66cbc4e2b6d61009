/* SPDX-License-Identifier: MIT */
/*
 * libslirp (user-mode TCP/IP, as QEMU's -netdev user) on a libevent loop.
 * The guest network is 10.0.2.0/24: host (gateway) 10.0.2.2, DNS
 * 10.0.2.3, DHCP from 10.0.2.15; IPv6 fec0::/64.
 *
 * slirp is driven the way a poll() loop drives it: slirp_pollfds_fill()
 * names the sockets and the longest sleep (its TCP timers), and
 * slirp_pollfds_poll() runs after every wake-up. Here a "cycle" does
 * poll(0) on the filled set, slirp_pollfds_poll(), then fills again and
 * hands the new set to libevent as one-shot events plus one timer; any
 * of them firing, or a guest frame, runs the next cycle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <glib.h>
#include <libslirp.h>

#include "log.h"
#include "net-hdr.h"
#include "slirp-core.h"

#define SLIRP_MAX_FDS 240u     /* below the profile's nofile */

struct sl_timer {
	struct slirp_core *be;
	SlirpTimerId id;
	void *cb_opaque;
	struct event *ev;
};

struct slirp_core {
	const struct slirp_core_host *host;
	void *ctx;
	struct event_base *base;
	Slirp *slirp;
	struct pollfd pfd[SLIRP_MAX_FDS];
	struct event *ev[SLIRP_MAX_FDS];
	unsigned npfd;
	bool overflow;             /* more sockets than we watch */
	struct event *timeout_ev;  /* slirp's TCP timers */
	struct event *cycle_ev;    /* a cycle on the next loop turn */
};

static int64_t clock_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_core *be = opaque;

	be->host->deliver(be->ctx, buf, len);
	/* Never an error: a frame the guest has no room for is dropped. */
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct slirp_core *be = opaque;

	char m[256];

	snprintf(m, sizeof(m), "slirp: guest error: %s", msg);
	be->host->warn(be->ctx, m);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sl_timer *t = arg;

	slirp_handle_timer(t->be->slirp, t->id, t->cb_opaque);
	event_active(t->be->cycle_ev, EV_TIMEOUT, 0);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_core *be = opaque;
	struct sl_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->be = be;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->ev = evtimer_new(be->base, timer_cb, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct sl_timer *t = timer;

	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

/* expire_time is absolute, in ms of clock_ns(). */
static void timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct sl_timer *t = timer;
	int64_t now = clock_ns(NULL) / 1000000, ms = expire_time - now;
	struct timeval tv;

	if (!t)
		return;
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->ev, &tv);
}

static void register_poll_fd(int fd, void *opaque) { }
static void unregister_poll_fd(int fd, void *opaque) { }

static void notify(void *opaque)
{
	struct slirp_core *be = opaque;

	event_active(be->cycle_ev, EV_TIMEOUT, 0);
}

/* libslirp logs through glib, whose default writer sends to journald
 * through a new AF_UNIX socket when stderr is a journal stream (a systemd
 * service's); the profile kills on that socket(), and a guest can make
 * slirp log (an ICMPv6 echo to an outside address). Same filtering as
 * the default writer (G_MESSAGES_DEBUG), always to the standard streams. */
static GLogWriterOutput log_writer(GLogLevelFlags level,
				   const GLogField *fields, gsize n,
				   gpointer user_data)
{
	const char *domain = NULL;

	for (gsize i = 0; i < n; i++)
		if (!strcmp(fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
			domain = fields[i].value;
	if (g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(level, fields, n, user_data);
}

static const SlirpCb slirp_cb = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_ns,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
	.timer_new_opaque = timer_new_opaque,
};

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_core *be = opaque;
	struct pollfd *p;

	if (be->npfd == SLIRP_MAX_FDS) {
		be->overflow = true;
		return -1;    /* slirp treats it as "no events" */
	}
	p = &be->pfd[be->npfd];
	p->fd = fd;
	p->events = (short)((events & SLIRP_POLL_IN ? POLLIN : 0) |
			    (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
			    (events & SLIRP_POLL_PRI ? POLLPRI : 0));
	p->revents = 0;
	return (int)be->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_core *be = opaque;
	short r;

	if (idx < 0 || (unsigned)idx >= be->npfd)
		return 0;
	r = be->pfd[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) |
	       (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) |
	       (r & (POLLERR | POLLNVAL) ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static void fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slirp_core *be = arg;

	event_active(be->cycle_ev, EV_TIMEOUT, 0);
}

/* Watches the set slirp just filled, and its next timer. */
static void watch(struct slirp_core *be, uint32_t timeout_ms)
{
	struct timeval tv;

	for (unsigned i = 0; i < be->npfd; i++) {
		short ev = (short)((be->pfd[i].events & (POLLIN | POLLPRI) ?
				    EV_READ : 0) |
				   (be->pfd[i].events & POLLOUT ? EV_WRITE : 0));

		if (!ev)
			continue;
		be->ev[i] = event_new(be->base, be->pfd[i].fd, ev, fd_cb, be);
		/* Out of memory: that socket is polled by the timer instead. */
		if (!be->ev[i] || event_add(be->ev[i], NULL) < 0)
			timeout_ms = timeout_ms < 10 ? timeout_ms : 10;
	}
	if (timeout_ms != UINT32_MAX) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		evtimer_add(be->timeout_ev, &tv);
	}
}

static void unwatch(struct slirp_core *be)
{
	for (unsigned i = 0; i < be->npfd; i++) {
		if (be->ev[i])
			event_free(be->ev[i]);
		be->ev[i] = NULL;
	}
	if (be->timeout_ev)      /* NULL only on a failed start */
		evtimer_del(be->timeout_ev);
}

static void cycle(struct slirp_core *be)
{
	uint32_t timeout = UINT32_MAX;
	int rc = be->npfd ? poll(be->pfd, be->npfd, 0) : 0;

	unwatch(be);
	slirp_pollfds_poll(be->slirp, rc < 0, get_revents, be);
	be->npfd = 0;
	be->overflow = false;
	slirp_pollfds_fill(be->slirp, &timeout, add_poll, be);
	if (be->overflow) {
		char m[96];

		snprintf(m, sizeof(m), "slirp: more than %u sockets; the rest "
			 "are polled every 10 ms", SLIRP_MAX_FDS);
		be->host->warn(be->ctx, m);
		if (timeout > 10)
			timeout = 10;
	}
	watch(be, timeout);
	be->host->flush(be->ctx);
}

static void cycle_cb(evutil_socket_t fd, short what, void *arg)
{
	cycle(arg);
}

void slirp_core_input(struct slirp_core *be, const uint8_t *frame, size_t len)
{
	slirp_input(be->slirp, frame, (int)len);
}

/* A frame may have opened or closed sockets: refill on the next turn,
 * once for the whole batch. */
void slirp_core_kick(struct slirp_core *be)
{
	event_active(be->cycle_ev, EV_TIMEOUT, 0);
}

void slirp_core_free(struct slirp_core *be)
{
	if (!be)
		return;
	unwatch(be);
	if (be->slirp)
		slirp_cleanup(be->slirp);
	if (be->timeout_ev)
		event_free(be->timeout_ev);
	if (be->cycle_ev)
		event_free(be->cycle_ev);
	free(be);
}

static void fill_config(SlirpConfig *cfg, const struct slirp_core_opts *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = 4;
	cfg->in_enabled = true;
	inet_pton(AF_INET, "10.0.2.0", &cfg->vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg->vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg->vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg->vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg->vnameserver);
	cfg->in6_enabled = true;
	inet_pton(AF_INET6, "fec0::", &cfg->vprefix_addr6);
	cfg->vprefix_len = 64;
	inet_pton(AF_INET6, "fec0::2", &cfg->vhost6);
	inet_pton(AF_INET6, "fec0::3", &cfg->vnameserver6);
	cfg->vhostname = "atoll";
	cfg->if_mtu = NET_MTU;
	cfg->if_mru = NET_MTU;
	/* The guest reaches the host's loopback services as 10.0.2.2, as
	 * under QEMU, unless restricted: then libslirp answers a guest TCP
	 * SYN that no forward expects with RST, drops the guest's UDP but
	 * DHCP and TFTP, and its ICMP echo beyond 10.0.2.2/10.0.2.3. */
	cfg->disable_host_loopback = false;
	cfg->restricted = o->restricted;
}

static int add_forwards(struct slirp_core *be, const struct slirp_core_opts *o)
{
	char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	for (unsigned i = 0; i < o->nfwd; i++) {
		const struct hostfwd *f = &o->fwd[i];

		inet_ntop(AF_INET, &f->host, h, sizeof(h));
		inet_ntop(AF_INET, &f->guest, g, sizeof(g));
		if (slirp_add_hostfwd(be->slirp, f->udp, f->host, f->host_port,
				      f->guest, f->guest_port) < 0) {
			int err = errno ? errno : EADDRINUSE;

			log_error("hostfwd %s:%s:%u-%s:%u: cannot listen: %s",
				  f->udp ? "udp" : "tcp", h, f->host_port, g,
				  f->guest_port, strerror(err));
			return -err;
		}
		log_info("hostfwd %s %s:%u -> %s:%u", f->udp ? "udp" : "tcp",
			 h, f->host_port, g, f->guest_port);
	}
	return 0;
}

int slirp_core_new(struct event_base *base, const struct slirp_core_opts *o,
		   const struct slirp_core_host *host, void *ctx,
		   struct slirp_core **out)
{
	static bool log_set;     /* glib allows setting the writer once */
	struct slirp_core *be = calloc(1, sizeof(*be));
	SlirpConfig cfg;
	int rc;

	if (!be)
		return -ENOMEM;
	be->host = host;
	be->ctx = ctx;
	be->base = base;
	be->timeout_ev = evtimer_new(base, cycle_cb, be);
	be->cycle_ev = event_new(base, -1, 0, cycle_cb, be);
	fill_config(&cfg, o);
	if (!log_set)
		g_log_set_writer_func(log_writer, NULL, NULL);
	log_set = true;
	if (be->timeout_ev && be->cycle_ev)
		be->slirp = slirp_new(&cfg, &slirp_cb, be);
	if (!be->slirp) {
		slirp_core_free(be);
		return -ENOMEM;
	}
	if ((rc = add_forwards(be, o)) < 0) {
		slirp_core_free(be);
		return rc;
	}
	*out = be;
	cycle(be);
	log_info("slirp %s: 10.0.2.0/24, host 10.0.2.2, dns 10.0.2.3, "
		 "dhcp from 10.0.2.15%s", slirp_version_string(),
		 o->restricted ? "; restricted: only host forwards" : "");
	return 0;
}
