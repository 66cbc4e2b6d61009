/* SPDX-License-Identifier: MIT */
/*
 * atoll-vhost-user: bridges atoll-cpu's virtio transport to an existing
 * vhost-user back-end. The launcher connects to the back-end's socket and
 * passes the connected fd (--socket-fd); the sandboxed bridge opens
 * nothing. When the back-end goes away the bridge exits with status 1 and
 * the launcher's restart policy reconnects (docs/dev-vhost-user.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/virtio_ids.h>

#include "bridge.h"
#include "child.h"
#include "log.h"

#define DEFAULT_TIMEOUT_MS 800   /* below atoll-cpu's 1 s per request */

static const struct {
	const char *name;
	uint32_t id;
} device_names[] = {
	{ "net", VIRTIO_ID_NET }, { "blk", VIRTIO_ID_BLOCK },
	{ "console", VIRTIO_ID_CONSOLE }, { "rng", VIRTIO_ID_RNG },
	{ "scsi", VIRTIO_ID_SCSI }, { "gpu", VIRTIO_ID_GPU },
	{ "input", VIRTIO_ID_INPUT }, { "vsock", VIRTIO_ID_VSOCK },
	{ "fs", VIRTIO_ID_FS }, { "i2c", VIRTIO_ID_I2C_ADAPTER },
	{ "gpio", VIRTIO_ID_GPIO }, { "sound", VIRTIO_ID_SOUND },
};

static int parse_u32(const char *arg, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_device(const char *arg, uint32_t *id)
{
	for (size_t i = 0; i < sizeof(device_names) / sizeof(device_names[0]); i++)
		if (!strcmp(arg, device_names[i].name)) {
			*id = device_names[i].id;
			return 0;
		}
	return parse_u32(arg, 63, id) < 0 || *id == 0 ? -EINVAL : 0;
}

static int bridge_opt(int opt, const char *arg, void *state)
{
	struct bridge_opts *o = &((struct bridge *)state)->o;
	uint32_t v;

	switch (opt) {
	case 's':
		if (parse_u32(arg, 1024, &v) < 0)
			return -EINVAL;
		o->socket_fd = (int)v;
		return 0;
	case 'd':
		return parse_device(arg, &o->device_id);
	case 'c':
		return parse_u32(arg, VU_MAX_CONFIG, &o->config_size);
	case 'q':
		return parse_u32(arg, BRIDGE_MAX_QUEUES, &o->queues);
	case 'z':
		if (parse_u32(arg, BRIDGE_MAX_QUEUE_SIZE, &v) < 0 || v == 0 ||
		    (v & (v - 1)))
			return -EINVAL;
		o->queue_size = v;
		return 0;
	case 't':
		if (parse_u32(arg, 60000, &v) < 0 || v == 0)
			return -EINVAL;
		o->timeout_ms = (int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

void bridge_backend_lost(struct bridge *b)
{
	log_error("back-end connection lost (%s); exiting so the launcher "
		  "reconnects", b->vu.why[0] ? b->vu.why : "closed");
	child_exit(b->child, 1);
}

static void on_backend_readable(evutil_socket_t fd, short what, void *opaque)
{
	struct bridge *b = opaque;

	vu_conn_unsolicited(&b->vu);
	if (b->vu.broken) {
		event_del(b->vu_ev);
		bridge_backend_lost(b);
	}
}

static int bridge_setup(struct child *c)
{
	struct bridge *b = child_state(c);
	int rc;

	b->child = c;
	if (b->o.socket_fd < 0 || !b->o.device_id) {
		log_error("--socket-fd and --device are required");
		return -EINVAL;
	}
	rc = vu_conn_init(&b->vu, b->o.socket_fd, b->o.timeout_ms);
	if (rc < 0) {
		log_error("--socket-fd=%d: not a connected stream socket: %s",
			  b->o.socket_fd, strerror(-rc));
		return rc;
	}
	if ((rc = backend_start(b)) < 0) {
		log_error("back-end refused the start-up: %s%s%s", strerror(-rc),
			  b->vu.broken ? "; " : "", b->vu.why);
		return rc;
	}
	b->vu_ev = event_new(child_base(c), b->vu.fd, EV_READ | EV_PERSIST,
			     on_backend_readable, b);
	if (!b->vu_ev || event_add(b->vu_ev, NULL) < 0)
		return -ENOMEM;
	return 0;   /* READY once the back-end has the memory table */
}

static void drop_grant(struct bridge *b)
{
	for (unsigned i = 0; i < b->nmem; i++)
		close(b->mem[i].fd);
	b->nmem = 0;
	b->mem_sent = false;
}

/* A memfd must be sealed against shrinking (or sealable): the back-end
 * maps it, and a shrink would kill the back-end with SIGBUS. */
static int seal_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		return 0;
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0 ? -EPERM : 0;
}

static const char *check_region(const struct bridge *b,
				const Atoll__MemRegion *r, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;

	if (r->readonly)
		return "read-only (vhost-user has no read-only regions)";
	if (r->size == 0 || r->guest_addr + r->size < r->guest_addr ||
	    r->fd_offset + r->size < r->fd_offset ||
	    r->fd_offset % (uint64_t)page)
		return "bad size or offset";
	for (unsigned i = 0; i < b->nmem; i++)
		if (r->guest_addr < b->mem[i].guest_addr + b->mem[i].size &&
		    b->mem[i].guest_addr < r->guest_addr + r->size)
			return "overlaps another region";
	if (seal_shrink(fd) < 0)
		return "fd is not a memfd sealed (or sealable) against shrinking";
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size < r->fd_offset + r->size)
		return "fd smaller than the region";
	return NULL;
}

static int take_grant(struct bridge *b, struct atoll_msg *m)
{
	const Atoll__MemGrant *g = (const Atoll__MemGrant *)m->body;

	for (unsigned i = 0; i < BRIDGE_MAX_QUEUES; i++)
		if (b->running[i]) {
			log_error("memory grant refused: queues are running");
			return -EBUSY;
		}
	if (g->n_regions == 0 || g->n_regions > VU_MAX_REGIONS ||
	    g->n_regions != m->nfds) {
		log_error("memory grant refused: %zu regions with %u fds "
			  "(1-%u regions, one fd each)", g->n_regions, m->nfds,
			  VU_MAX_REGIONS);
		return -EINVAL;
	}
	drop_grant(b);
	for (unsigned i = 0; i < g->n_regions; i++) {
		const Atoll__MemRegion *r = g->regions[i];
		const char *why = check_region(b, r, m->fds[i]);

		if (why) {
			log_error("memory grant refused: region %u: %s", i, why);
			drop_grant(b);
			return -EINVAL;
		}
		b->mem[b->nmem++] = (struct bridge_region){
			r->guest_addr, r->size, r->fd_offset,
			atoll_msg_take_fd(m, i) };
	}
	return backend_mem_table(b);
}

static int bridge_message(struct child *c, struct atoll_msg *m)
{
	struct bridge *b = child_state(c);
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	int rc;

	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT:
		rc = take_grant(b, m);
		if (rc == 0) {
			log_info("guest memory: %u region(s) passed to the "
				 "back-end", b->nmem);
			child_post_ready(c, "memory table sent");
		}
		break;
	case ATOLL__MSG_TYPE__MSG_PEER_CONNECT:
		rc = peer_attach(b, atoll_msg_take_fd(m, 0));
		break;
	case ATOLL__MSG_TYPE__MSG_RESET:
		bridge_stop_queues(b);
		rc = 0;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (request)
		rc < 0 ? atoll_bus_reply_error(child_bus(c), m, -rc, "refused")
		       : atoll_bus_reply_ack(child_bus(c), m);
	if (b->vu.broken)
		bridge_backend_lost(b);
	return 0;
}

static void bridge_health(struct child *c, Atoll__HealthReport *r)
{
	struct bridge *b = child_state(c);
	size_t len;
	char *s = child_status_buf(c, &len);
	unsigned running = 0;

	for (unsigned i = 0; i < b->num_queues; i++)
		running += b->running[i];
	snprintf(s, len, "back-end %s, %u/%u queues running",
		 b->vu.broken ? "lost" : "connected", running, b->num_queues);
	r->status = s;
	r->ok = r->ok && !b->vu.broken;
}

static void bridge_teardown(struct child *c)
{
	struct bridge *b = child_state(c);

	peer_drop(b);
	if (b->vu_ev)
		event_free(b->vu_ev);
	b->vu_ev = NULL;
	drop_grant(b);
	vu_conn_close(&b->vu);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket-fd", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "config-size", required_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "queue-size", required_argument, NULL, 'z' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "vhost-user",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.setup = bridge_setup,
		.message = bridge_message,
		.health = bridge_health,
		.teardown = bridge_teardown,
	};
	static struct bridge b;

	b.o.socket_fd = -1;
	b.o.queue_size = 256;
	b.o.timeout_ms = DEFAULT_TIMEOUT_MS;
	b.vu.fd = -1;
	return child_main(argc, argv, &ops, &b, opts, bridge_opt,
		"  --socket-fd=N       the connected back-end socket (launcher)\n"
		"  --device=TYPE       virtio device: blk, net, scsi, fs, rng, ... or an id\n"
		"  --config-size=N     config bytes (default: by device, blk 60)\n"
		"  --queues=N          queues to use (default: GET_QUEUE_NUM, or 1)\n"
		"  --queue-size=N      largest queue offered, power of 2 (256)\n"
		"  --timeout-ms=N      wait for each back-end reply (800)\n");
}
