/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-input: a virtio-input keyboard or tablet in its own process
 * (docs/dev-input.md). The launcher sends it Linux input events
 * (INPUT_EVENTS, from QMP send-key and input-send-event); it hands them to
 * the guest's driver, which shows them in /dev/input/eventN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "log.h"

static int input_opt(int opt, const char *arg, void *state)
{
	struct input_dev *d = state;

	if (opt != 't')
		return -EINVAL;
	if (!strcmp(arg, "tablet"))
		d->tablet = true;
	else if (strcmp(arg, "keyboard"))
		return -EINVAL;
	return 0;
}

static int input_setup(struct child *c)
{
	return input_init(child_state(c), c);
}

/* INPUT_EVENTS: every event's type and code fit 16 bits, or none is
 * queued. */
static int input_message(struct child *c, struct atoll_msg *m)
{
	struct input_dev *d = child_state(c);
	const Atoll__InputEvents *req = (const Atoll__InputEvents *)m->body;
	struct input_event_le ev[64];
	int rc;

	if (m->type != ATOLL__MSG_TYPE__MSG_INPUT_EVENTS)
		return -EOPNOTSUPP;
	if (req->n_events > sizeof(ev) / sizeof(ev[0]))
		return atoll_bus_reply_error(child_bus(c), m, E2BIG,
					     "%zu events, at most 64",
					     req->n_events), 0;
	for (size_t i = 0; i < req->n_events; i++) {
		const Atoll__InputEvent *e = req->events[i];

		if (e->type > 0xffff || e->code > 0xffff)
			return atoll_bus_reply_error(child_bus(c), m, EINVAL,
						     "event %zu: type %u code "
						     "%u", i, e->type,
						     e->code), 0;
		ev[i] = (struct input_event_le){ (uint16_t)e->type,
						 (uint16_t)e->code,
						 (uint32_t)e->value };
	}
	rc = input_send(d, ev, (unsigned)req->n_events);
	if (rc < 0)
		atoll_bus_reply_error(child_bus(c), m, -rc, "the guest is not "
				      "reading its input");
	else
		atoll_bus_reply_ack(child_bus(c), m);
	return 0;
}

static void input_health(struct child *c, Atoll__HealthReport *r)
{
	struct input_dev *d = child_state(c);

	r->requests_completed = d->delivered;
	r->requests_failed = d->dropped;
}

static void input_teardown(struct child *c)
{
	input_fini(child_state(c));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "virtio-input",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.device = true,
		.setup = input_setup,
		.message = input_message,
		.health = input_health,
		.teardown = input_teardown,
	};
	static struct input_dev d;

	return child_main(argc, argv, &ops, &d, opts, input_opt,
		"  --type=keyboard|tablet   what it is (keyboard)\n");
}
