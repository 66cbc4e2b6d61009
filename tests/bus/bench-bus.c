/* SPDX-License-Identifier: MIT */
/* Benchmark: bus request/reply round trip and one-way message rate, printed
 * beside a raw SOCK_SEQPACKET exchange of the same frame sizes measured in
 * the same run. Never fails on timing. */
#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atoll/bus.h>

#define ROUND_TRIPS 20000
#define WARMUP 2000
#define ONE_WAY 50000

#define T_CONFIG_READ ATOLL__MSG_TYPE__MSG_CONFIG_READ
#define T_CONFIG_DATA ATOLL__MSG_TYPE__MSG_CONFIG_DATA
#define T_CONFIG_WRITE ATOLL__MSG_TYPE__MSG_CONFIG_WRITE

struct server {
	int fd;
	size_t req_len, reply_len; /* raw mode: frame sizes to mimic */
	unsigned long posted;      /* bus mode: one-way frames seen */
	pthread_t tid;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-bus: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ---- bus server: CONFIG_READ -> CONFIG_DATA of the requested size;
 * CONFIG_WRITE posted frames are counted, and the last one (offset 1)
 * is answered by a posted CONFIG_DATA. ---- */

static void serve(atoll_bus *bus, struct atoll_msg *msg, void *opaque)
{
	static uint8_t zeros[65536];
	struct server *s = opaque;
	Atoll__ConfigData d = ATOLL__CONFIG_DATA__INIT;

	if (msg->type == T_CONFIG_WRITE) {
		s->posted++;
		if (((Atoll__ConfigWrite *)msg->body)->offset == 1)
			atoll_bus_post(bus, T_CONFIG_DATA, &d.base, NULL, 0);
		return;
	}
	d.data.data = zeros;
	d.data.len = ((Atoll__ConfigRead *)msg->body)->size;
	if (atoll_bus_reply(bus, msg, T_CONFIG_DATA, &d.base, NULL, 0) < 0)
		die("reply", EIO);
}

static void *bus_server(void *arg)
{
	struct server *s = arg;
	const struct atoll_bus_callbacks cbs = { .message = serve };
	atoll_bus *bus = atoll_bus_new(s->fd, &cbs, s);
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	if (!bus)
		die("atoll_bus_new", errno);
	for (;;) {
		int r = atoll_bus_dispatch(bus);

		if (r < 0)
			break;
		if (r == 0)
			poll(&p, 1, -1);
	}
	atoll_bus_free(bus);
	return NULL;
}

/* ---- raw server: echoes reply_len bytes per frame; a 1-byte frame is
 * the end of a one-way burst and gets a 1-byte answer. ---- */

static void *raw_server(void *arg)
{
	struct server *s = arg;
	static uint8_t buf[70000];
	ssize_t n;

	while ((n = recv(s->fd, buf, sizeof(buf), 0)) > 0) {
		if ((size_t)n == s->req_len &&
		    send(s->fd, buf, s->reply_len, MSG_NOSIGNAL) < 0)
			break;
		if (n == 1 && send(s->fd, buf, 1, MSG_NOSIGNAL) < 0)
			break;
	}
	close(s->fd);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct figures {
	double median_us, p99_us, per_s;
};

static struct figures summarize(uint64_t *lat, unsigned n, uint64_t total)
{
	struct figures f;

	qsort(lat, n, sizeof(*lat), cmp_u64);
	f.median_us = (double)lat[n / 2] / 1000.0;
	f.p99_us = (double)lat[n * 99 / 100] / 1000.0;
	f.per_s = (double)n * 1e9 / (double)total;
	return f;
}

static void start(struct server *s, int sv[2], void *(*fn)(void *))
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair", errno);
	s->fd = sv[1];
	if (pthread_create(&s->tid, NULL, fn, s) != 0)
		die("pthread_create", EAGAIN);
}

/* Both kinds of round trip run in alternating rounds over connections that
 * stay open, so that load from other processes hits both alike. */
struct rtt_run {
	atoll_bus *bus;
	int raw;
	struct server bus_srv, raw_srv;
	Atoll__ConfigRead rd;
	size_t req_len;
	uint64_t bus_ns, raw_ns;
};

static void bus_rounds(struct rtt_run *t, uint64_t *lat, unsigned n)
{
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++) {
		struct atoll_msg *reply;
		uint64_t a = now_ns();
		int r = atoll_bus_call(t->bus, T_CONFIG_READ, &t->rd.base, NULL,
				       0, 5000, &reply);

		if (r < 0)
			die("atoll_bus_call", -r);
		atoll_msg_free(reply);
		if (lat)
			lat[i] = now_ns() - a;
	}
	if (lat)
		t->bus_ns += now_ns() - start;
}

static void raw_rounds(struct rtt_run *t, uint64_t *lat, unsigned n)
{
	static uint8_t buf[70000];
	uint64_t start = now_ns();

	for (unsigned i = 0; i < n; i++) {
		uint64_t a = now_ns();

		if (send(t->raw, buf, t->req_len, MSG_NOSIGNAL) < 0 ||
		    recv(t->raw, buf, sizeof(buf), 0) <= 0)
			die("raw ping-pong", errno);
		if (lat)
			lat[i] = now_ns() - a;
	}
	if (lat)
		t->raw_ns += now_ns() - start;
}

#define ROUNDS 10

static void bench_rtt(uint32_t size, size_t req_len, size_t reply_len,
		      uint64_t *bus_lat, uint64_t *raw_lat,
		      struct figures *b, struct figures *r)
{
	struct rtt_run t = { .rd = ATOLL__CONFIG_READ__INIT,
			     .req_len = req_len };
	const unsigned chunk = ROUND_TRIPS / ROUNDS;
	int sv[2];

	start(&t.bus_srv, sv, bus_server);
	t.bus = atoll_bus_new(sv[0], NULL, NULL);
	if (!t.bus)
		die("atoll_bus_new", errno);
	t.raw_srv.req_len = req_len;
	t.raw_srv.reply_len = reply_len;
	start(&t.raw_srv, sv, raw_server);
	t.raw = sv[0];
	t.rd.size = size;
	bus_rounds(&t, NULL, WARMUP);
	raw_rounds(&t, NULL, WARMUP);
	for (unsigned i = 0; i < ROUNDS; i++) {
		bus_rounds(&t, bus_lat + i * chunk, chunk);
		raw_rounds(&t, raw_lat + i * chunk, chunk);
	}
	*b = summarize(bus_lat, chunk * ROUNDS, t.bus_ns);
	*r = summarize(raw_lat, chunk * ROUNDS, t.raw_ns);
	atoll_bus_free(t.bus);
	close(t.raw);
	pthread_join(t.bus_srv.tid, NULL);
	pthread_join(t.raw_srv.tid, NULL);
}

/* One-way posted frames: messages per second until the server has seen
 * them all (it answers the last). */
static double bench_bus_oneway(uint32_t size)
{
	static uint8_t zeros[65536];
	struct server s = { 0 };
	Atoll__ConfigWrite w = ATOLL__CONFIG_WRITE__INIT;
	struct pollfd p;
	int sv[2], r;
	uint64_t t0;
	atoll_bus *bus;

	start(&s, sv, bus_server);
	bus = atoll_bus_new(sv[0], NULL, NULL);
	p = (struct pollfd){ .fd = sv[0], .events = POLLOUT };
	w.data.data = zeros;
	w.data.len = size;
	t0 = now_ns();
	for (unsigned i = 0; i < ONE_WAY; i++) {
		w.offset = i == ONE_WAY - 1;
		while ((r = atoll_bus_post(bus, T_CONFIG_WRITE, &w.base, NULL,
					   0)) == -EAGAIN)
			poll(&p, 1, -1);
		if (r < 0)
			die("atoll_bus_post", -r);
	}
	p.events = POLLIN;
	while ((r = atoll_bus_dispatch(bus)) == 0)
		poll(&p, 1, -1);
	if (r < 0)
		die("atoll_bus_dispatch", -r);
	double rate = (double)ONE_WAY * 1e9 / (double)(now_ns() - t0);
	atoll_bus_free(bus);
	pthread_join(s.tid, NULL);
	if (s.posted != ONE_WAY)
		die("one-way count", EPROTO);
	return rate;
}

static double bench_raw_oneway(size_t len)
{
	static uint8_t buf[70000];
	struct server s = { .req_len = 0 };
	int sv[2];
	uint64_t t0;

	start(&s, sv, raw_server);
	t0 = now_ns();
	for (unsigned i = 0; i < ONE_WAY; i++)
		if (send(sv[0], buf, i == ONE_WAY - 1 ? 1 : len, MSG_NOSIGNAL) < 0)
			die("raw send", errno);
	if (recv(sv[0], buf, sizeof(buf), 0) != 1)
		die("raw recv", errno);
	double rate = (double)ONE_WAY * 1e9 / (double)(now_ns() - t0);
	close(sv[0]);
	pthread_join(s.tid, NULL);
	return rate;
}

static size_t frame_len(const ProtobufCMessage *m)
{
	return sizeof(struct atoll_frame_header) +
	       protobuf_c_message_get_packed_size(m);
}

static void run(uint32_t size, uint64_t *lat, uint64_t *lat2)
{
	Atoll__ConfigRead rd = ATOLL__CONFIG_READ__INIT;
	Atoll__ConfigData d = ATOLL__CONFIG_DATA__INIT;
	Atoll__ConfigWrite w = ATOLL__CONFIG_WRITE__INIT;
	static uint8_t zeros[65536];
	size_t req, rep, wlen;

	rd.size = size;
	d.data.data = zeros;
	d.data.len = size;
	w.data.data = zeros;
	w.data.len = size;
	w.offset = 0;
	req = frame_len(&rd.base);
	rep = frame_len(&d.base);
	wlen = frame_len(&w.base);

	struct figures b, r;

	bench_rtt(size, req, rep, lat, lat2, &b, &r);
	double bo = bench_bus_oneway(size), ro = bench_raw_oneway(wlen);

	printf("\npayload %u B: request frame %zu B, reply frame %zu B, "
	       "one-way frame %zu B\n", size, req, rep, wlen);
	printf("  %-22s %10s %10s %14s %14s\n", "", "rtt median", "rtt p99",
	       "round trips/s", "one-way msg/s");
	printf("  %-22s %8.1fus %8.1fus %14.0f %14.0f\n", "atoll bus",
	       b.median_us, b.p99_us, b.per_s, bo);
	printf("  %-22s %8.1fus %8.1fus %14.0f %14.0f\n", "raw SOCK_SEQPACKET",
	       r.median_us, r.p99_us, r.per_s, ro);
	printf("  %-22s %9.2fx %9.2fx %13.2fx %13.2fx   (goal: latency "
	       "within 2x)\n", "bus / raw", b.median_us / r.median_us,
	       b.p99_us / r.p99_us, b.per_s / r.per_s, bo / ro);
}

/* Cross-CPU wakeups on a shared VM are bimodal (about 10 us or 45 us per
 * round trip, whichever way the scheduler places the threads), which
 * swamps the difference being measured. Pinning client and server to one
 * CPU gives both sides the same, stable conditions. ATOLL_BENCH_NO_PIN=1
 * turns it off. Returns the CPU, or -1 if not pinned. */
static int pin_to_one_cpu(void)
{
	cpu_set_t set;

	if (getenv("ATOLL_BENCH_NO_PIN") ||
	    sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		return sched_setaffinity(0, sizeof(set), &set) < 0 ? -1 : cpu;
	}
	return -1;
}

int main(void)
{
	uint64_t *lat = calloc(ROUND_TRIPS, sizeof(*lat));
	uint64_t *lat2 = calloc(ROUND_TRIPS, sizeof(*lat2));

	int cpu = pin_to_one_cpu();

	if (!lat || !lat2)
		die("calloc", ENOMEM);
	if (cpu >= 0)
		printf("client and server threads pinned to CPU %d "
		       "(ATOLL_BENCH_NO_PIN=1 to not pin)\n", cpu);
	else
		printf("threads not pinned: expect noisy figures\n");
	printf("atoll bus benchmark: %d round trips each (after %d warm-up) "
	       "in %d alternating bus/raw rounds, %d one-way frames; peer in "
	       "a second thread\n", ROUND_TRIPS, WARMUP, ROUNDS, ONE_WAY);
	run(64, lat, lat2);
	run(1024, lat, lat2);
	run(4096, lat, lat2);
	free(lat);
	free(lat2);
	return 0;
}
