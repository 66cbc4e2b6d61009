/* SPDX-License-Identifier: MIT */
#include "fault-schedule.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fault.h"
#include "log.h"

/* One timer per scheduled fault. The device is found by name at each
 * firing: a device-replace puts another record in its place. */
struct fault_timer {
	struct vm *vm;
	const struct device_config *dev;
	const struct scheduled_fault *f;
	unsigned fired;
	struct event *ev;
	struct fault_timer *next;
};

static struct fault_timer *timers;   /* one VM per launcher */

static struct proc *find(struct vm *vm, const struct device_config *d)
{
	for (size_t i = 0; i < vm->nprocs; i++)
		if (vm->procs[i]->dev == d)
			return vm->procs[i];
	return NULL;
}

static void arm(struct fault_timer *t, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (evtimer_add(t->ev, &tv) < 0)
		log_warn("%s: cannot arm a scheduled fault", t->dev->name);
}

static void fire(evutil_socket_t fd, short what, void *arg)
{
	struct fault_timer *t = arg;
	struct fault_spec spec = {
		.kind = (enum fault_kind)t->f->kind, .count = t->f->count,
		.queue = t->f->queue, .duration_ms = t->f->duration_ms,
		.after = t->f->after,
	};
	struct proc *p = find(t->vm, t->dev);
	char why[256];

	if (t->vm->stopping || !p)
		return;
	t->fired++;
	/* A device that is not running (restarting after the last one)
	 * misses this one; the schedule goes on. */
	if (fault_inject(p, &spec, "manifest", why, sizeof(why)) < 0)
		log_warn("%s: scheduled %s %u/%u skipped: %s", p->name,
			 fault_kind_name(spec.kind), t->fired, t->f->times, why);
	if (t->f->every_ms && t->fired < t->f->times)
		arm(t, t->f->every_ms);
}

void fault_schedule_start(struct vm *vm)
{
	for (size_t i = 0; i < vm->cfg->ndevices; i++) {
		const struct device_config *d = &vm->cfg->devices[i];

		for (size_t j = 0; j < d->nfaults; j++) {
			struct fault_timer *t = calloc(1, sizeof(*t));

			if (!t || !(t->ev = evtimer_new(vm->base, fire, t))) {
				free(t);
				log_warn("%s: out of memory scheduling faults",
					 d->name);
				return;
			}
			*t = (struct fault_timer){ vm, d, &d->faults[j], 0,
						   t->ev, timers };
			timers = t;
			arm(t, d->faults[j].at_ms);
		}
	}
}

void fault_schedule_free(struct vm *vm)
{
	while (timers) {
		struct fault_timer *t = timers;

		timers = t->next;
		event_free(t->ev);
		free(t);
	}
}
