/* SPDX-License-Identifier: MIT */
/*
 * test-device: the smallest process built on the child runtime
 * (common/child.c), for its tests. CONFIG_READ answers with the --tag
 * string and honours the injected delay and error faults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

struct tdev {
	const char *tag;
	bool ready_later;
	uint64_t served, failed;
};

static int tdev_setup(struct child *c)
{
	struct tdev *d = child_state(c);

	if (!d->ready_later)
		return 1;
	return child_post_ready(c, "posted by setup");
}

static int tdev_message(struct child *c, struct atoll_msg *m)
{
	struct tdev *d = child_state(c);
	Atoll__ConfigData out = ATOLL__CONFIG_DATA__INIT;
	uint32_t delay;

	if (m->type != ATOLL__MSG_TYPE__MSG_CONFIG_READ ||
	    !(m->flags & ATOLL_FRAME_NEED_REPLY))
		return -EOPNOTSUPP;
	if (child_fault_take_error(c, 0)) {
		d->failed++;
		atoll_bus_reply_error(child_bus(c), m, EIO, "injected error");
		return 0;
	}
	delay = child_fault_delay_ms(c, 0);
	if (delay)
		usleep(delay * 1000u);
	out.data.data = (uint8_t *)d->tag;
	out.data.len = strlen(d->tag);
	atoll_bus_reply(child_bus(c), m, ATOLL__MSG_TYPE__MSG_CONFIG_DATA,
			&out.base, NULL, 0);
	d->served++;
	return 0;
}

static void tdev_health(struct child *c, Atoll__HealthReport *r)
{
	struct tdev *d = child_state(c);
	size_t len;
	char *buf = child_status_buf(c, &len);

	snprintf(buf, len, "tag=%s", d->tag);
	r->status = buf;
	r->requests_completed = d->served;
	r->requests_failed = d->failed;
}

enum { OPT_TAG = 1, OPT_READY_LATER };

static int tdev_opt(int opt, const char *arg, void *state)
{
	struct tdev *d = state;

	if (opt == OPT_TAG) {
		if (strlen(arg) > 64)
			return -EINVAL;
		d->tag = arg;
	} else {
		d->ready_later = true;
	}
	return 0;
}

static const struct option tdev_opts[] = {
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "ready-later", no_argument, NULL, OPT_READY_LATER },
	{ NULL, 0, NULL, 0 },
};

static const struct child_ops tdev_ops = {
	.kind = "test-dev",
	.role = ATOLL__ROLE__ROLE_DEVICE,
	.capabilities = ATOLL__CAPABILITY__CAP_FAULTS,
	.setup = tdev_setup,
	.message = tdev_message,
	.health = tdev_health,
};

int main(int argc, char **argv)
{
	struct tdev d = { .tag = "none" };

	return child_main(argc, argv, &tdev_ops, &d, tdev_opts, tdev_opt,
			  "  --tag=STR       CONFIG_READ answers with STR (up to 64 bytes)\n"
			  "  --ready-later   post READY from setup instead of returning 1\n");
}
