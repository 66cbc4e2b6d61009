/* SPDX-License-Identifier: MIT */
/*
 * samples/virtio-rng: a virtio entropy device (virtio device ID 4) written
 * the way a vendor writes one, against the installed Atoll SDK alone:
 * libatoll-virtio serves the virtio protocol and the ring, libevent runs
 * the loop (through <atoll/bus-event.h>'s watch ops).
 *
 * The guest's driver (Linux virtio-rng, behind /dev/hwrng) makes
 * device-writable buffers available on the device's one queue; the device
 * fills each and gives it back. The bytes are a deterministic stream from
 * --seed (splitmix64, each 64-bit word little-endian), so that a test can
 * predict what the guest reads. That makes this a sample, not a source of
 * entropy: a real device fills the buffers with getrandom(2).
 *
 * Restarted, the device starts the stream again from the seed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <atoll/bus-event.h>
#include <atoll/virtio.h>

#define VIRTIO_ID_RNG 4
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define QUEUE_SIZE 64u
/* Buffers per element; a longer chain fails only its own element. */
#define MAX_IOV 16u
/* Bytes one element may take, so that a guest posting a huge buffer does
 * not hold the loop: the driver gets fewer bytes and asks again. */
#define MAX_FILL 65536u

struct rng {
	uint64_t state;              /* splitmix64 state */
	uint64_t word;               /* the word being handed out */
	unsigned left;               /* its bytes not yet handed out */
	uint64_t served;             /* bytes given to the guest */
	struct event_base *base;
	int status;                  /* exit status, once the session ends */
};

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_fill(struct rng *r, uint8_t *p, size_t len)
{
	while (len--) {
		if (!r->left) {
			r->word = splitmix64(&r->state);
			r->left = 8;
		}
		*p++ = (uint8_t)(r->word >> (8 * (8 - r->left--)));
	}
}

/* Fills the element's device-writable buffers (iov[n_out..]); returns the
 * bytes written. The library has checked every buffer lies in guest RAM
 * the device may write; the guest may still be changing it: it is only
 * written, never read back. */
static uint32_t fill_elem(struct rng *r, const struct atoll_vq_elem *e)
{
	uint32_t done = 0;

	for (unsigned i = e->n_out; i < e->n_out + e->n_in; i++) {
		size_t len = e->iov[i].iov_len;

		if (len > MAX_FILL - done)
			len = MAX_FILL - done;
		rng_fill(r, e->iov[i].iov_base, len);
		done += (uint32_t)len;
	}
	r->served += done;
	return done;
}

static void rng_queue_kick(void *opaque, atoll_virtio_queue *q)
{
	struct rng *r = opaque;
	struct iovec iov[MAX_IOV];
	struct atoll_vq_elem e = { .iov = iov, .max_iov = MAX_IOV };

	/* Every element is completed before the next pop: nothing is ever
	 * in flight once this returns. A malformed chain (e.error) goes back
	 * empty; device-readable buffers (a confused driver) are ignored. */
	while (atoll_virtio_queue_pop(q, &e) == 1)
		atoll_virtio_queue_push(q, e.head, e.error ? 0 : fill_elem(r, &e));
}

/* Nothing to drain: rng_queue_kick completes every element it pops. */
static void rng_queue_stop(void *opaque, atoll_virtio_queue *q)
{
	(void)opaque;
	(void)q;
}

static const struct atoll_virtio_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.queue_kick = rng_queue_kick,
	.queue_stop = rng_queue_stop,
};

static void rng_health(void *opaque, Atoll__HealthReport *rep)
{
	rep->requests_completed = ((struct rng *)opaque)->served;
}

/* SHUTDOWN (0) or the launcher gone (1). */
static void rng_stop(void *opaque, int status)
{
	struct rng *r = opaque;

	r->status = status;
	event_base_loopbreak(r->base);
}

static void log_stderr(void *opaque, enum atoll_log_level level,
		       const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	if (level > ATOLL_LOG_INFO)
		return;
	fprintf(stderr, "%s: %s: ", (const char *)opaque, names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: atoll-sample-rng [--fd=N] [--name=NAME] [--seed=N]\n"
		"  --fd=N     the control bus socket (default 3)\n"
		"  --name=S   instance name (default virtio-rng)\n"
		"  --seed=N   start of the byte stream (default 0)\n");
}

static int parse_args(int argc, char **argv, int *fd, const char **name,
		      uint64_t *seed)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			*fd = (int)strtol(optarg, &end, 10);
			if (*end || *fd < 0)
				return -1;
			break;
		case 'n':
			*name = optarg;
			break;
		case 's':
			errno = 0;
			*seed = strtoull(optarg, &end, 0);
			if (*end || errno)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct rng r = { .status = 1 };
	const char *name = "virtio-rng";
	int fd = 3;
	struct atoll_virtio_params params = {
		.features = VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = QUEUE_SIZE,
	};

	if (parse_args(argc, argv, &fd, &name, &r.state) < 0) {
		usage(stderr);
		return 2;
	}
	r.base = event_base_new();
	atoll_event_watch *watch = r.base ? atoll_event_watch_new(r.base) : NULL;
	struct atoll_dev_config cfg = {
		.kind = "virtio-rng", .name = name,
		.watch = atoll_event_watch_ops(), .loop = watch,
		.log = log_stderr, .log_opaque = (void *)name,
		.opaque = &r, .stop = rng_stop, .health = rng_health,
	};
	atoll_dev *dev = watch ? atoll_dev_new(&cfg) : NULL;
	atoll_virtio *v = dev ? atoll_virtio_new(dev, &rng_ops, &params, &r) : NULL;

	if (!v) {
		fprintf(stderr, "%s: cannot set up: %s\n", name, strerror(errno));
	} else if ((errno = -atoll_dev_start(dev, fd)) != 0) {
		fprintf(stderr, "%s: no session with the launcher: %s\n", name,
			strerror(errno));
	} else {
		event_base_dispatch(r.base);
	}
	atoll_virtio_free(v);
	atoll_dev_free(dev);
	atoll_event_watch_free(watch);
	if (r.base)
		event_base_free(r.base);
	return r.status;
}
