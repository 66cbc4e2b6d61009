/* SPDX-License-Identifier: MIT */
#include "health.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <atoll/bus-event.h>

#include "log.h"
#include "proc.h"

/* Which incarnation was asked: a late answer must not touch the next. */
struct health_ask {
	struct proc *p;
	unsigned gen;
};

static void health_reply(atoll_bus *bus, int status, struct atoll_msg *reply,
			 void *opaque)
{
	struct health_ask *a = opaque;
	struct proc *p = a->p;

	if (status == -ECANCELED || p->gen != a->gen || !proc_alive(p))
		goto out;    /* the bus or the process is gone already */
	p->health_pending = false;
	if (status == -ETIMEDOUT) {
		log_error("%s: no answer to HEALTH within %u ms; killing it "
			  "as hung", p->name, p->health.deadline_ms);
		snprintf(p->fault, sizeof(p->fault), "as hung: no answer "
			 "to HEALTH within %u ms", p->health.deadline_ms);
		proc_kill(p, SIGKILL);
	} else if (status < 0) {
		/* An answer, if an error: the loop turns; not a hang. */
		log_debug("%s: HEALTH answered with %s", p->name,
			  strerror(-status));
	}
out:
	free(a);
}

static void health_tick(evutil_socket_t fd, short what, void *arg)
{
	struct proc *p = arg;
	struct health_ask *a;
	int rc;

	if (p->health_pending || !p->bus || p->state != PROC_READY ||
	    p->vm->stopping)
		return;
	if (!(a = malloc(sizeof(*a))))
		return;
	*a = (struct health_ask){ p, p->gen };
	rc = atoll_bus_request(p->bus, ATOLL__MSG_TYPE__MSG_HEALTH, NULL, NULL,
			       0, p->health.deadline_ms, health_reply, a);
	if (rc < 0) {
		free(a);
		return;
	}
	p->health_pending = true;
	atoll_bus_event_update(p->bus_ev);
}

void health_start(struct proc *p)
{
	struct timeval tv = { p->health.interval_ms / 1000,
			      (p->health.interval_ms % 1000) * 1000 };

	if (!p->health.interval_ms)
		return;
	if (!p->health_ev)
		p->health_ev = event_new(p->vm->base, -1, EV_PERSIST,
					 health_tick, p);
	if (!p->health_ev || event_add(p->health_ev, &tv) < 0)
		log_warn("%s: cannot arm the heartbeat", p->name);
	p->health_pending = false;
}

void health_stop(struct proc *p)
{
	if (p->health_ev)
		event_del(p->health_ev);
	p->health_pending = false;
}
