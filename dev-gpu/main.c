/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-gpu: a virtio-gpu 2D device (one scanout) in its own
 * process (docs/dev-gpu.md). The guest's driver draws into resources
 * backed by its own pages; the device copies them into host resources on
 * TRANSFER_TO_HOST_2D and shows the scanout's in a memfd on
 * RESOURCE_FLUSH. It holds the scanout, so it answers SCREENDUMP (QMP
 * screendump). No 3D (virgl), no blob resources.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu-virtio.h"
#include "log.h"
#include "screendump.h"

static int parse_u32(const char *arg, unsigned long min, unsigned long max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || !*arg || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int gpu_opt(int opt, const char *arg, void *state)
{
	struct gpu_dev *d = state;
	uint64_t v;
	int rc;

	switch (opt) {
	case 'W':
	case 'H':
		/* EDID's detailed timing holds 12 bits. */
		if ((rc = parse_u32(arg, 16, 4095, &v)) < 0)
			return rc;
		*(opt == 'W' ? &d->width : &d->height) = (uint32_t)v;
		return 0;
	case 'm':
		if ((rc = parse_u32(arg, 1, 4096, &v)) < 0)
			return rc;
		d->mem_budget = v << 20;
		return 0;
	case 's':
		if ((rc = parse_u32(arg, 0, 1024, &v)) < 0)
			return rc;
		d->scanout_fd = (int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

static int gpu_setup(struct child *c)
{
	return gpu_dev_init(child_state(c), c);
}

static void gpu_health(struct child *c, Atoll__HealthReport *r)
{
	struct gpu_dev *d = child_state(c);
	struct gpu_stats s;
	size_t len;
	char *buf = child_status_buf(c, &len);

	gpu_stats(d->gpu, &s);
	snprintf(buf, len, "%u resources, %llu KiB, %llu flushes", s.resources,
		 (unsigned long long)(s.mem_used >> 10),
		 (unsigned long long)s.flushes);
	r->status = buf;
	r->requests_completed = s.commands - s.refused;
	r->requests_failed = s.refused;
}

/* SCREENDUMP (QMP screendump): the image goes to the one fd the launcher
 * opened; the bus closes it after this returns. Written here, between two
 * queue kicks, so it is one whole frame. */
static int gpu_message(struct child *c, struct atoll_msg *m)
{
	struct gpu_dev *d = child_state(c);
	Atoll__Screendump *req = (Atoll__Screendump *)m->body;
	char why[160];
	int rc;

	if (m->type != ATOLL__MSG_TYPE__MSG_SCREENDUMP)
		return -EOPNOTSUPP;
	if (m->nfds != 1)
		return atoll_bus_reply_error(child_bus(c), m, EINVAL,
					     "SCREENDUMP needs one fd"), 0;
	rc = screendump_write(m->fds[0], req->format ==
			      ATOLL__SCREENDUMP_FORMAT__SCREENDUMP_PNG ?
			      SCREENDUMP_PNG : SCREENDUMP_PPM, d->scanout,
			      d->scanout_size, why, sizeof(why));
	if (rc < 0) {
		log_warn("screendump: %s", why);
		atoll_bus_reply_error(child_bus(c), m, -rc, "%s", why);
	} else {
		atoll_bus_reply_ack(child_bus(c), m);
	}
	return 0;
}

static void gpu_teardown(struct child *c)
{
	gpu_dev_fini(child_state(c));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "width", required_argument, NULL, 'W' },
		{ "height", required_argument, NULL, 'H' },
		{ "max-memory", required_argument, NULL, 'm' },
		{ "scanout-fd", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "virtio-gpu",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.capabilities = ATOLL__CAPABILITY__CAP_FAULTS,
		.device = true,
		.setup = gpu_setup,
		.message = gpu_message,
		.health = gpu_health,
		.teardown = gpu_teardown,
	};
	static struct gpu_dev d = {
		.width = 1024, .height = 768, .mem_budget = 256ull << 20,
		.scanout_fd = -1,
	};

	return child_main(argc, argv, &ops, &d, opts, gpu_opt,
		"  --width=N           preferred mode's width, 16-4095 (1024)\n"
		"  --height=N          preferred mode's height, 16-4095 (768)\n"
		"  --max-memory=MIB    host memory for the guest's resources (256)\n"
		"  --scanout-fd=N      the launcher's scanout memfd (default: its own)\n");
}
