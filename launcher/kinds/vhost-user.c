/* SPDX-License-Identifier: MIT */
/* Kind vhost-user: an existing vhost-user back-end (qemu-storage-daemon,
 * a vendor's) behind atoll-vhost-user, a bridge to atoll-cpu's virtio
 * transport (docs/dev-vhost-user.md). The manifest names the back-end's
 * unix socket, under the rule of every file a manifest names: beneath the
 * manifest's directory or an --image-dir. The launcher connects to it,
 * through an O_PATH fd opened beneath that directory, and passes the
 * connected socket as fd 4: the sandboxed bridge has no filesystem. Each
 * restart connects anew, which is how the bridge reconnects after the
 * back-end went away (the bridge then exits with status 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "socket-connect.h"

#define SOCKET_FD 4

struct vhost_user_config {
	char *socket;        /* absolute, folder canonical */
	char *device;        /* virtio device name, as --device takes it */
	unsigned queues;     /* 0: what the back-end serves */
	unsigned queue_size;
	unsigned config_size;   /* 0: by device */
};

static const char *const keys[] = { "socket", "device", "queues",
				    "queue-size", "config-size", NULL };
static const char *const devices[] = { "blk", "net", "scsi", "fs", "rng",
				       "console", "gpu", "input", "vsock",
				       "i2c", "gpio", "sound", NULL };

static int read_device(struct mctx *c, const struct mmap *dev,
		       struct vhost_user_config *x)
{
	struct mval v;
	int idx, r;

	mx_lookup(dev, "device", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_choice(c, &v, devices,
							   &idx)) < 0)
		return r;
	x->device = strdup(devices[idx]);
	return x->device ? 0 : -ENOMEM;
}

static int read_queue_size(struct mctx *c, const struct mmap *dev,
			   struct vhost_user_config *x)
{
	struct mval v;
	int r;

	x->queue_size = 256;
	mx_lookup(dev, "queue-size", &v);
	if (!v.present)
		return 0;
	if ((r = mx_uint(c, &v, 1, 1024, &x->queue_size)) < 0)
		return r;
	if (x->queue_size & (x->queue_size - 1))
		return mx_fail(c, v.pos, v.field, "queue-size %u is not a "
			       "power of two", x->queue_size);
	return 0;
}

static int vu_read(struct mctx *c, const struct mmap *dev,
		   struct device_config *d)
{
	struct vhost_user_config *x = calloc(1, sizeof(*x));
	struct mval v;
	int r;

	if (!x)
		return -ENOMEM;
	d->data = x;
	mx_lookup(dev, "socket", &v);
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_existing_path(c, &v, MX_FILE_SOCKET, &x->socket)) < 0 ||
	    (r = read_device(c, dev, x)) < 0 ||
	    (r = read_queue_size(c, dev, x)) < 0)
		return r;
	mx_lookup(dev, "queues", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 16, &x->queues)) < 0)
		return r;
	mx_lookup(dev, "config-size", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 256, &x->config_size)) < 0)
		return r;
	return 0;
}

static int vu_plan(const struct device_config *d, struct launch_plan *plan)
{
	const struct vhost_user_config *x = d->data;
	char why[sizeof(plan->why) - 32];
	int fd, rc;

	fd = kind_connect_socket(plan->cfg, x->socket, why, sizeof(why));
	if (fd < 0) {
		snprintf(plan->why, sizeof(plan->why), "back-end socket: %s",
			 why);
		return fd;
	}
	if ((rc = plan_grant(plan, fd, SOCKET_FD)) < 0 ||
	    (rc = plan_arg(plan, "--socket-fd=%d", SOCKET_FD)) < 0 ||
	    (rc = plan_arg(plan, "--device=%s", x->device)) < 0 ||
	    (rc = plan_arg(plan, "--queue-size=%u", x->queue_size)) < 0 ||
	    (x->queues && (rc = plan_arg(plan, "--queues=%u", x->queues)) < 0) ||
	    (x->config_size &&
	     (rc = plan_arg(plan, "--config-size=%u", x->config_size)) < 0))
		return rc;
	return 0;
}

static void vu_release(struct device_config *d)
{
	struct vhost_user_config *x = d->data;

	if (x) {
		free(x->socket);
		free(x->device);
	}
	free(x);
	d->data = NULL;
}

const struct device_kind kind_vhost_user = {
	.name = "vhost-user",
	.program = "atoll-vhost-user",
	.build_dir = "dev-vhost-user",
	.keys = keys,
	.read = vu_read,
	.plan = vu_plan,
	.release = vu_release,
};
