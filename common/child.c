/* SPDX-License-Identifier: MIT */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <atoll/bus-event.h>

#include "log.h"

#define HELLO_TIMEOUT_MS 10000
#define MAX_NAME 64
/* getopt values of the common options, above any kind's own (< 0x100). */
enum { OPT_FD = 0x100, OPT_NAME, OPT_HELP };
#define MAX_OPTS 32

struct child {
	const struct child_ops *ops;
	void *state;
	char name[MAX_NAME];
	int fd;
	struct event_base *base;
	atoll_bus *bus;
	atoll_bus_event *watch;
	atoll_event_watch *ewatch;   /* device programs: the SDK's loop */
	atoll_dev *dev;              /* device programs: the SDK device */
	struct event *sig_term, *sig_int;
	uint64_t start_ns;
	bool ready_posted, setup_done, done;
	int status;
	struct child_fault fault;
	char status_buf[256];
};

atoll_bus *child_bus(struct child *c) { return c->bus; }
struct event_base *child_base(struct child *c) { return c->base; }
void *child_state(struct child *c) { return c->state; }
const char *child_name(struct child *c) { return c->name; }
const struct child_fault *child_fault(struct child *c) { return &c->fault; }

char *child_status_buf(struct child *c, size_t *len)
{
	*len = sizeof(c->status_buf);
	return c->status_buf;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void child_exit(struct child *c, int status)
{
	if (c->done)
		return;
	c->done = true;
	c->status = status;
	event_base_loopbreak(c->base);
}

uint64_t child_rss_bytes(bool *is_peak)
{
	unsigned long size, resident;
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		int n = fscanf(f, "%lu %lu", &size, &resident);

		fclose(f);
		if (n == 2) {
			*is_peak = false;
			return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
		}
	}
	*is_peak = true;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024u;   /* ru_maxrss is in KiB */
}

int child_post_ready(struct child *c, const char *detail)
{
	Atoll__Ready ready = ATOLL__READY__INIT;
	int r;

	if (c->ready_posted || c->ops->device)   /* devices: the SDK posts */
		return 0;
	ready.detail = (char *)(detail ? detail : "");
	r = atoll_bus_post(c->bus, ATOLL__MSG_TYPE__MSG_READY, &ready.base,
			   NULL, 0);
	if (r < 0) {
		log_error("cannot post READY: %s", strerror(-r));
		return r;
	}
	c->ready_posted = true;
	log_debug("ready%s%s", detail ? ": " : "", detail ? detail : "");
	return 0;
}

static void arm(struct child *c, int kind, uint32_t count, uint32_t queue)
{
	switch (kind) {
	case ATOLL__FAULT_KIND__FAULT_CRASH:
		log_warn("fault injected: crashing");
		abort();
	case ATOLL__FAULT_KIND__FAULT_ERROR:
		c->fault.errors_left = count;
		c->fault.error_queue = queue;
		break;
	case ATOLL__FAULT_KIND__FAULT_DROP_INTERRUPT:
		c->fault.drops_left = count;
		c->fault.drop_queue = queue;
		break;
	default:
		break;
	}
}

bool child_fault_take_error(struct child *c, uint32_t queue)
{
	bool fail = false;

	if (c->fault.errors_left && (c->fault.error_queue == UINT32_MAX ||
				     c->fault.error_queue == queue)) {
		c->fault.errors_left--;
		fail = true;
	}
	/* This request counts towards `after`; what it arms applies from
	 * the next one (a crash: now, with this one in flight). */
	if (c->fault.after_left && --c->fault.after_left == 0) {
		log_info("fault: %s now, after the requests asked for",
			 c->fault.pending_kind == ATOLL__FAULT_KIND__FAULT_CRASH ?
			 "crashing" : "armed");
		arm(c, c->fault.pending_kind, c->fault.pending_count,
		    c->fault.pending_queue);
	}
	return fail;
}

bool child_fault_take_drop(struct child *c, uint32_t queue)
{
	if (!c->fault.drops_left)
		return false;
	if (c->fault.drop_queue != UINT32_MAX && c->fault.drop_queue != queue)
		return false;
	c->fault.drops_left--;
	return true;
}

uint32_t child_fault_delay_ms(struct child *c, uint32_t queue)
{
	if (c->fault.delay_queue != UINT32_MAX && c->fault.delay_queue != queue)
		return 0;
	return c->fault.delay_ms;
}

/* ---- built-in messages ---- */

static void handle_health(struct child *c, struct atoll_msg *m)
{
	Atoll__HealthReport r = ATOLL__HEALTH_REPORT__INIT;
	bool peak;

	r.ok = true;
	r.uptime_ns = now_ns() - c->start_ns;
	r.rss_bytes = child_rss_bytes(&peak);
	snprintf(c->status_buf, sizeof(c->status_buf), "%s",
		 peak ? "rss is the peak (no /proc)" : "");
	r.status = c->status_buf;
	if (c->ops->health)
		c->ops->health(c, &r);
	if (!r.status)
		r.status = (char *)"";
	atoll_bus_reply(c->bus, m, ATOLL__MSG_TYPE__MSG_HEALTH_REPORT, &r.base,
			NULL, 0);
}

/* A hang is a process that stops serving: block the loop itself. */
static void fault_hang(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	log_warn("fault injected: hanging for %s",
		 ms ? "the given time" : "ever");
	if (!ms)
		for (;;)
			pause();
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void handle_fault(struct child *c, atoll_bus *bus, struct atoll_msg *m)
{
	const Atoll__FaultInject *f = (const Atoll__FaultInject *)m->body;

	if (f->after && (f->kind == ATOLL__FAULT_KIND__FAULT_CRASH ||
			 f->kind == ATOLL__FAULT_KIND__FAULT_ERROR ||
			 f->kind == ATOLL__FAULT_KIND__FAULT_DROP_INTERRUPT)) {
		c->fault.after_left = f->after;
		c->fault.pending_kind = f->kind;
		c->fault.pending_count = f->count;
		c->fault.pending_queue = f->queue;
		log_info("fault %d armed after %u more requests", f->kind,
			 f->after);
		goto ack;
	}
	switch (f->kind) {
	case ATOLL__FAULT_KIND__FAULT_CRASH:
		log_warn("fault injected: crashing");
		abort();
	case ATOLL__FAULT_KIND__FAULT_HANG:
		fault_hang(f->duration_ms);
		log_info("fault: hang over");
		goto ack;
	case ATOLL__FAULT_KIND__FAULT_DELAY:
		c->fault.delay_ms = f->duration_ms;
		c->fault.delay_queue = f->queue;
		break;
	case ATOLL__FAULT_KIND__FAULT_ERROR:
	case ATOLL__FAULT_KIND__FAULT_DROP_INTERRUPT:
		arm(c, f->kind, f->count, f->queue);
		break;
	case ATOLL__FAULT_KIND__FAULT_CLEAR:
		memset(&c->fault, 0, sizeof(c->fault));
		break;
	default:
		if (m->flags & ATOLL_FRAME_NEED_REPLY)
			atoll_bus_reply_error(bus, m, EINVAL,
					      "unknown fault kind %d", f->kind);
		return;
	}
	log_info("faults armed: delay %u ms (queue %d), %u errors (queue %d), "
		 "%u interrupts dropped (queue %d)",
		 c->fault.delay_ms, (int)c->fault.delay_queue,
		 c->fault.errors_left, (int)c->fault.error_queue,
		 c->fault.drops_left, (int)c->fault.drop_queue);
ack:
	if (m->flags & ATOLL_FRAME_NEED_REPLY)
		atoll_bus_reply_ack(bus, m);
}

static void on_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct child *c = opaque;
	const char *tn = atoll_msg_type_name(m->type);
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;

	if (c->done) {   /* leaving: refuse what the same wakeup read */
		if (request)
			atoll_bus_reply_error(bus, m, ESHUTDOWN, "shutting down");
		return;
	}
	if (!c->setup_done) {
		log_warn("%s before the session is set up; refused",
			 tn ? tn : "message");
		if (request)
			atoll_bus_reply_error(bus, m, EAGAIN,
					      "session not set up yet");
		return;
	}
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_SHUTDOWN:
		log_info("shutdown requested");
		if (request)
			atoll_bus_reply_ack(bus, m);
		child_exit(c, 0);
		return;
	case ATOLL__MSG_TYPE__MSG_HEALTH:
		if (request)
			handle_health(c, m);
		return;
	case ATOLL__MSG_TYPE__MSG_FAULT_INJECT:
		if (c->ops->capabilities & ATOLL__CAPABILITY__CAP_FAULTS) {
			handle_fault(c, bus, m);
			return;
		}
		break;
	default:
		if (c->ops->message && c->ops->message(c, m) != -EOPNOTSUPP)
			return;
	}
	log_warn("unsupported %s %s", request ? "request" : "message",
		 tn ? tn : "?");
	if (request)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP,
				      "%s is not supported by %s",
				      tn ? tn : "?", c->ops->kind);
}

static void on_closed(atoll_bus *bus, int error, void *opaque)
{
	struct child *c = opaque;

	/* The watcher must not poll a dead socket; the bus goes after the
	 * loop. */
	atoll_bus_event_detach(c->watch);
	c->watch = NULL;
	if (c->done)
		return;
	if (error)
		log_error("control bus cut off (%s); exiting", strerror(-error));
	else
		log_error("control bus closed by the launcher; exiting");
	child_exit(c, 1);
}

/* ---- device programs: the control session is libatoll-device's ---- */

static void dev_stop(void *opaque, int status)
{
	struct child *c = opaque;

	if (status)
		log_error("control bus lost; exiting");
	child_exit(c, status);
}

static int dev_control(void *opaque, atoll_bus *bus, struct atoll_msg *m)
{
	struct child *c = opaque;
	int rc = -EOPNOTSUPP;

	if (m->type == ATOLL__MSG_TYPE__MSG_FAULT_INJECT) {
		if (!(c->ops->capabilities & ATOLL__CAPABILITY__CAP_FAULTS))
			return -EOPNOTSUPP;
		handle_fault(c, bus, m);
		return 0;
	}
	if (c->ops->message) {
		c->bus = bus;   /* child_bus() inside ops->message */
		rc = c->ops->message(c, m);
		c->bus = NULL;
	}
	return rc;
}

static void dev_health(void *opaque, Atoll__HealthReport *r)
{
	struct child *c = opaque;
	bool peak;

	r->rss_bytes = child_rss_bytes(&peak);
	snprintf(c->status_buf, sizeof(c->status_buf), "%s",
		 peak ? "rss is the peak (no /proc)" : "");
	r->status = c->status_buf;
	if (c->ops->health)
		c->ops->health(c, r);
}

void child_dev_config(struct child *c, struct atoll_dev_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = c->ops->kind;
	cfg->name = c->name;
	cfg->watch = atoll_event_watch_ops();
	cfg->loop = c->ewatch;
	cfg->log = log_bus_cb;
	cfg->opaque = c;
	cfg->stop = dev_stop;
	cfg->control_message = dev_control;
	cfg->health = dev_health;
	cfg->capabilities = c->ops->capabilities;
}

void child_set_device(struct child *c, atoll_dev *dev)
{
	c->dev = dev;
}

static int start_device(struct child *c)
{
	int r;

	c->ewatch = atoll_event_watch_new(c->base);
	if (!c->ewatch)
		return -ENOMEM;
	r = c->ops->setup ? c->ops->setup(c) : 0;
	c->setup_done = true;
	if (r < 0) {
		log_error("setup failed: %s", strerror(-r));
		return r;
	}
	if (!c->dev) {
		log_error("setup created no device");
		return -EINVAL;
	}
	r = atoll_dev_start(c->dev, c->fd);
	c->fd = -1;   /* owned (or closed) by atoll_dev_start */
	return r;
}

/* ---- session start ---- */

static int run_setup(struct child *c)
{
	int r = c->ops->setup ? c->ops->setup(c) : 1;

	c->setup_done = true;
	if (r < 0) {
		log_error("setup failed: %s", strerror(-r));
		return r;
	}
	return r == 1 ? child_post_ready(c, NULL) : 0;
}

static void on_hello_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
			   void *opaque)
{
	struct child *c = opaque;
	const Atoll__Hello *h;

	if (status == -ECANCELED)
		return;
	if (status < 0) {
		const Atoll__Error *e = reply && reply->type ==
			ATOLL__MSG_TYPE__MSG_ERROR ? (void *)reply->body : NULL;

		log_error("HELLO refused: %s%s%s", strerror(-status),
			  e ? ": " : "", e ? e->message : "");
		child_exit(c, 1);
		return;
	}
	if (reply->type != ATOLL__MSG_TYPE__MSG_HELLO) {
		log_error("HELLO answered with %s; expected HELLO",
			  atoll_msg_type_name(reply->type) ?: "?");
		child_exit(c, 1);
		return;
	}
	h = (const Atoll__Hello *)reply->body;
	if (h->protocol_version != ATOLL_BUS_PROTOCOL_VERSION) {
		log_error("launcher speaks bus protocol %u; this is %u",
			  h->protocol_version, ATOLL_BUS_PROTOCOL_VERSION);
		child_exit(c, 1);
		return;
	}
	if (run_setup(c) < 0)
		child_exit(c, 1);
}

static int send_hello(struct child *c)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = c->ops->role;
	h.kind = (char *)c->ops->kind;
	h.name = c->name;
	h.pid = (uint32_t)getpid();
	h.sdk_version = (char *)atoll_bus_version();
	h.capabilities = c->ops->capabilities;
	return atoll_bus_request(c->bus, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				 NULL, 0, HELLO_TIMEOUT_MS, on_hello_reply, c);
}

static void on_signal(evutil_socket_t sig, short what, void *opaque)
{
	struct child *c = opaque;

	log_info("%s: exiting", strsignal((int)sig));
	child_exit(c, 0);
}

static int check_bus_fd(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (fcntl(fd, F_GETFD) < 0) {
		log_error("--fd=%d: not an open file descriptor", fd);
		return -EBADF;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		log_error("--fd=%d: not a SOCK_SEQPACKET socket", fd);
		return -ENOTSOCK;
	}
	return 0;
}

static int start(struct child *c)
{
	static const struct atoll_bus_callbacks cb = {
		.message = on_message, .closed = on_closed, .log = log_bus_cb,
	};
	int r = check_bus_fd(c->fd);

	if (r < 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	c->base = event_base_new();
	if (!c->base)
		return -ENOMEM;
	c->sig_term = evsignal_new(c->base, SIGTERM, on_signal, c);
	c->sig_int = evsignal_new(c->base, SIGINT, on_signal, c);
	if (!c->sig_term || !c->sig_int || evsignal_add(c->sig_term, NULL) ||
	    evsignal_add(c->sig_int, NULL))
		return -ENOMEM;
	if (c->ops->device)
		return start_device(c);
	c->bus = atoll_bus_new(c->fd, &cb, c);
	c->fd = -1;   /* owned (or closed) by atoll_bus_new */
	if (!c->bus)
		return -errno;
	c->watch = atoll_bus_event_attach(c->bus, c->base);
	if (!c->watch)
		return -errno;
	r = send_hello(c);
	if (r < 0)
		return r;
	atoll_bus_event_update(c->watch);
	return 0;
}

static void stop(struct child *c)
{
	if (c->setup_done && c->ops->teardown)
		c->ops->teardown(c);   /* frees a device program's SDK device */
	atoll_event_watch_free(c->ewatch);
	atoll_bus_event_detach(c->watch);
	atoll_bus_free(c->bus);
	if (c->sig_term)
		event_free(c->sig_term);
	if (c->sig_int)
		event_free(c->sig_int);
	if (c->base)
		event_base_free(c->base);
	if (c->fd >= 0)
		close(c->fd);
}

/* ---- options ---- */

static void usage(FILE *f, const char *argv0, const struct child_ops *ops,
		  const char *usage_extra)
{
	fprintf(f,
		"Usage: %s --fd=N [--name=NAME] [options]\n"
		"An Atoll %s process; the launcher starts it.\n\n"
		"  --fd=N       the control bus socket (SOCK_SEQPACKET) inherited as fd N\n"
		"  --name=NAME  instance name (default: %s)\n"
		"  -h, --help   this help\n"
		"Environment: ATOLL_LOG=error|warn|info|debug\n",
		argv0, ops->kind, ops->kind);
	if (usage_extra)
		fprintf(f, "\n%s", usage_extra);
}

static int build_opts(struct option *all, const struct option *extra)
{
	static const struct option common[] = {
		{ "fd", required_argument, NULL, OPT_FD },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "help", no_argument, NULL, OPT_HELP },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		all[n++] = common[i];
	for (; extra && extra->name; extra++) {
		if (n + 1 >= MAX_OPTS || extra->val >= 0x100 || extra->flag)
			return -EINVAL;
		all[n++] = *extra;
	}
	memset(&all[n], 0, sizeof(all[n]));
	return 0;
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

/* Returns -1 to continue, or the exit status. */
static int parse_args(struct child *c, int argc, char **argv,
		      const struct option *extra_opts,
		      int (*extra_opt)(int, const char *, void *),
		      const char *usage_extra)
{
	struct option all[MAX_OPTS];
	int opt;

	if (build_opts(all, extra_opts) < 0) {
		fprintf(stderr, "%s: bad option table\n", argv[0]);
		return 2;
	}
	while ((opt = getopt_long(argc, argv, "h", all, NULL)) != -1) {
		switch (opt) {
		case OPT_FD:
			c->fd = parse_fd(optarg);
			if (c->fd < 0) {
				fprintf(stderr, "%s: bad --fd '%s'\n", argv[0],
					optarg);
				return 2;
			}
			break;
		case OPT_NAME:
			if (!*optarg || strlen(optarg) >= sizeof(c->name)) {
				fprintf(stderr, "%s: --name must be 1..%zu bytes\n",
					argv[0], sizeof(c->name) - 1);
				return 2;
			}
			snprintf(c->name, sizeof(c->name), "%s", optarg);
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout, argv[0], c->ops, usage_extra);
			return 0;
		case '?':
			usage(stderr, argv[0], c->ops, usage_extra);
			return 2;
		default:
			if (!extra_opt || extra_opt(opt, optarg, c->state) < 0) {
				fprintf(stderr, "%s: bad value for an option: '%s'\n",
					argv[0], optarg ? optarg : "");
				return 2;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0],
			argv[optind]);
		return 2;
	}
	if (c->fd < 0) {
		fprintf(stderr, "%s: --fd=N is required (see --help)\n", argv[0]);
		return 2;
	}
	return -1;
}

int child_main(int argc, char **argv, const struct child_ops *ops,
	       void *state, const struct option *extra_opts,
	       int (*extra_opt)(int opt, const char *arg, void *state),
	       const char *usage_extra)
{
	struct child c = { .ops = ops, .state = state, .fd = -1 };
	char prefix[MAX_NAME + 32];
	int r;

	snprintf(c.name, sizeof(c.name), "%s", ops->kind);
	r = parse_args(&c, argc, argv, extra_opts, extra_opt, usage_extra);
	if (r >= 0)
		return r;
	snprintf(prefix, sizeof(prefix), "atoll-%s[%s]", ops->kind, c.name);
	log_init(prefix, ATOLL_LOG_INFO);
	c.start_ns = now_ns();
	r = start(&c);
	if (r < 0) {
		log_error("cannot start: %s", strerror(-r));
		c.status = 1;
	} else {
		/* EVLOOP_ONCE returns 1 when nothing is left to wait for,
		 * which cannot happen while the signal events exist. */
		while (!c.done)
			if (event_base_loop(c.base, EVLOOP_ONCE) != 0) {
				log_error("event loop failed");
				c.status = 1;
				break;
			}
	}
	stop(&c);
	return c.status;
}
