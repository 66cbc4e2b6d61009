/* SPDX-License-Identifier: MIT */
/* libevent adapter: a persistent read event that dispatches, and a timer
 * kept at the bus's earliest request deadline. */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include <atoll/bus-event.h>

/* Frames handled per wakeup before yielding to other events; a flooding
 * peer must not starve the rest of the loop. */
#define DISPATCH_BUDGET 64

struct atoll_bus_event {
	atoll_bus *bus;
	struct event *rd;
	struct event *timer;
	bool busy;    /* inside a bus call that may run user callbacks */
	bool dead;    /* detached while busy; freed when the call returns */
	bool stopped; /* the bus ended: never touch it again */
};

static void watch_destroy(struct atoll_bus_event *w)
{
	if (w->rd)
		event_free(w->rd);
	if (w->timer)
		event_free(w->timer);
	free(w);
}

static void watch_stop(struct atoll_bus_event *w)
{
	w->stopped = true;
	event_del(w->rd);
	event_del(w->timer);
}

static void watch_rearm(struct atoll_bus_event *w)
{
	int ms = atoll_bus_next_timeout_ms(w->bus);

	if (ms < 0) {
		event_del(w->timer);
	} else {
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		event_add(w->timer, &tv);
	}
	/* Frames set aside by atoll_bus_call do not make the fd readable. */
	if (atoll_bus_queued(w->bus))
		event_active(w->rd, EV_READ, 0);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct atoll_bus_event *w = arg;
	int r = 0;

	if (w->stopped)
		return;
	w->busy = true;
	for (int i = 0; i < DISPATCH_BUDGET; i++) {
		r = atoll_bus_dispatch(w->bus);
		/* After r < 0 the bus may have been freed by its closed
		 * callback; after a detach the watch belongs to us alone. */
		if (r <= 0 || w->dead)
			break;
	}
	w->busy = false;
	if (w->dead) {
		watch_destroy(w);
		return;
	}
	if (r < 0) {
		watch_stop(w);
		return;
	}
	watch_rearm(w);
	if (r > 0)
		event_active(w->rd, EV_READ, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct atoll_bus_event *w = arg;

	if (w->stopped)
		return;
	w->busy = true;
	atoll_bus_expire(w->bus);
	w->busy = false;
	if (w->dead) {
		watch_destroy(w);
		return;
	}
	watch_rearm(w);
}

atoll_bus_event *atoll_bus_event_attach(atoll_bus *bus,
					struct event_base *base)
{
	struct atoll_bus_event *w;

	if (!bus || !base || atoll_bus_fd(bus) < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->bus = bus;
	w->rd = event_new(base, atoll_bus_fd(bus), EV_READ | EV_PERSIST,
			  on_read, w);
	w->timer = evtimer_new(base, on_timer, w);
	if (!w->rd || !w->timer || event_add(w->rd, NULL) < 0) {
		watch_destroy(w);
		errno = ENOMEM;
		return NULL;
	}
	watch_rearm(w);
	return w;
}

void atoll_bus_event_detach(atoll_bus_event *w)
{
	if (!w)
		return;
	event_del(w->rd);
	event_del(w->timer);
	if (w->busy)
		w->dead = true;
	else
		watch_destroy(w);
}

void atoll_bus_event_update(atoll_bus_event *w)
{
	if (w && !w->stopped && !w->dead)
		watch_rearm(w);
}
