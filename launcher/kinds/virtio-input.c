/* SPDX-License-Identifier: MIT */
/* Kind virtio-input: a keyboard or tablet served by atoll-virtio-input
 * (docs/dev-input.md). It is granted no file; QMP send-key and
 * input-send-event reach it as INPUT_EVENTS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "virtio-input.h"

static const char *const keys[] = { "type", NULL };
static const char *const types[] = { "keyboard", "tablet", NULL };

static int input_read(struct mctx *c, const struct mmap *dev,
		      struct device_config *d)
{
	int *type = calloc(1, sizeof(*type));
	struct mval v;

	if (!type)
		return -ENOMEM;
	d->data = type;
	mx_lookup(dev, "type", &v);
	return v.present ? mx_choice(c, &v, types, type) : 0;
}

bool virtio_input_is_keyboard(const struct device_config *d)
{
	return !strcmp(d->kind, "virtio-input") && d->data &&
	       *(const int *)d->data == 0;
}

static int input_plan(const struct device_config *d, struct launch_plan *plan)
{
	return plan_arg(plan, "--type=%s", types[*(const int *)d->data]);
}

static void input_release(struct device_config *d)
{
	free(d->data);
	d->data = NULL;
}

const struct device_kind kind_virtio_input = {
	.name = "virtio-input",
	.program = "atoll-virtio-input",
	.build_dir = "dev-input",
	.keys = keys,
	.read = input_read,
	.plan = input_plan,
	.release = input_release,
};
