/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-blk: a virtio block device in its own process. The launcher
 * opens the disk image (fd 4) and passes guest memory (MEM_GRANT) and a
 * bus socket to the cpu server (PEER_CONNECT); the cpu server drives the
 * virtio queues through the peer protocol. See docs/dev-virtio-blk.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "child.h"
#include "log.h"

static int blk_opt(int opt, const char *arg, void *state)
{
	struct blk *b = state;
	char *end;
	unsigned long v;

	switch (opt) {
	case 'd':
	case 'q':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || !*arg)
			return -EINVAL;
		if (opt == 'd') {
			if (v > 1024)
				return -EINVAL;
			b->o.disk_fd = (int)v;
		} else {
			if (v == 0 || v > BLK_MAX_QUEUES)
				return -EINVAL;
			b->o.queues = (unsigned)v;
		}
		return 0;
	case 'c':
		if (!strcmp(arg, "writeback"))
			b->o.cache = BLK_CACHE_WRITEBACK;
		else if (!strcmp(arg, "writethrough"))
			b->o.cache = BLK_CACHE_WRITETHROUGH;
		else if (!strcmp(arg, "none"))
			b->o.cache = BLK_CACHE_NONE;
		else
			return -EINVAL;
		return 0;
	case 'r':
		b->o.readonly = true;
		return 0;
	case 's':
		if (strlen(arg) > BLK_SERIAL_LEN)
			return -EINVAL;
		snprintf(b->o.serial, sizeof(b->o.serial), "%s", arg);
		return 0;
	case 'a':
		if (strcmp(arg, "uring") && strcmp(arg, "threads"))
			return -EINVAL;
		b->o.force_threads = !strcmp(arg, "threads");
		return 0;
	default:
		return -EINVAL;
	}
}

static int blk_setup(struct child *c)
{
	struct blk *b = child_state(c);
	const char *env = getenv("ATOLL_BLK_AIO");

	if (b->o.disk_fd < 0) {
		log_error("--disk-fd is required");
		return -EINVAL;
	}
	if (env && !strcmp(env, "threads"))
		b->o.force_threads = true;
	return blk_init(b, c);   /* the SDK posts READY once memory is mapped */
}

static void blk_health(struct child *c, Atoll__HealthReport *r)
{
	struct blk *b = child_state(c);
	size_t len;
	char *s = child_status_buf(c, &len);
	unsigned running = 0;

	for (unsigned i = 0; i < b->o.queues; i++)
		running += atoll_virtio_queue_running(
			atoll_virtio_queue_get(b->vdev, i));
	snprintf(s, len, "%u/%u queues serving, aio %s", running, b->o.queues,
		 b->aio->ops->name);
	r->status = s;
	r->requests_completed = b->completed;
	r->requests_failed = b->failed;
}

static void blk_teardown(struct child *c)
{
	blk_fini(child_state(c));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "disk-fd", required_argument, NULL, 'd' },
		{ "cache", required_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "serial", required_argument, NULL, 's' },
		{ "aio", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "virtio-blk",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.capabilities = ATOLL__CAPABILITY__CAP_FAULTS |
				ATOLL__CAPABILITY__CAP_INFLIGHT,
		.device = true,
		.setup = blk_setup,
		.health = blk_health,
		.teardown = blk_teardown,
	};
	static struct blk b;

	/* The launcher sets RLIMIT_FSIZE to the disk's size: a log line past
	 * it (stderr on a bigger regular file) must fail, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	b.o.disk_fd = -1;
	b.o.queues = 1;
	return child_main(argc, argv, &ops, &b, opts, blk_opt,
		"  --disk-fd=N         the disk image, opened by the launcher\n"
		"  --cache=MODE        writeback (default), writethrough, none (O_DIRECT)\n"
		"  --queues=N          virtqueues, 1-16 (1)\n"
		"  --readonly          offer VIRTIO_BLK_F_RO and fail writes\n"
		"  --serial=S          GET_ID string, up to 20 bytes\n"
		"  --aio=uring|threads I/O backend (uring; env ATOLL_BLK_AIO=threads)\n");
}
