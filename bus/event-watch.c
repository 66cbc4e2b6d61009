/* SPDX-License-Identifier: MIT */
/* struct atoll_watch_ops for a libevent loop: one persistent event per
 * watched fd, found by fd on remove. */
#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include <atoll/bus-event.h>

struct fd_watch {
	struct fd_watch *next;
	int fd;
	struct event *ev;
	atoll_watch_cb cb;
	void *data;
};

struct atoll_event_watch {
	struct event_base *base;
	struct fd_watch *list;
};

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct fd_watch *w = arg;
	unsigned events = ((what & EV_READ) ? ATOLL_WATCH_IN : 0) |
			  ((what & EV_WRITE) ? ATOLL_WATCH_OUT : 0);

	/* Last: the callback may remove (free) this watch. */
	w->cb((int)fd, events, w->data);
}

static struct fd_watch **find(struct atoll_event_watch *ew, int fd)
{
	struct fd_watch **p = &ew->list;

	while (*p && (*p)->fd != fd)
		p = &(*p)->next;
	return p;
}

static void drop(struct fd_watch **p)
{
	struct fd_watch *w = *p;

	*p = w->next;
	/* event_free deletes the event first: a callback already activated
	 * in this loop iteration does not run. */
	event_free(w->ev);
	free(w);
}

static void ew_remove(void *loop, int fd)
{
	struct fd_watch **p = find(loop, fd);

	if (*p)
		drop(p);
}

static int ew_add(void *loop, int fd, unsigned events, atoll_watch_cb cb,
		  void *data)
{
	struct atoll_event_watch *ew = loop;
	short what = EV_PERSIST | ((events & ATOLL_WATCH_IN) ? EV_READ : 0) |
		     ((events & ATOLL_WATCH_OUT) ? EV_WRITE : 0);
	struct fd_watch *w;

	if (fd < 0 || !cb || !(what & (EV_READ | EV_WRITE)))
		return -EINVAL;
	ew_remove(loop, fd);   /* one watch per fd: a new one replaces it */
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->data = data;
	w->ev = event_new(ew->base, fd, what, on_event, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return -ENOMEM;
	}
	w->next = ew->list;
	ew->list = w;
	return 0;
}

atoll_event_watch *atoll_event_watch_new(struct event_base *base)
{
	struct atoll_event_watch *ew;

	if (!base) {
		errno = EINVAL;
		return NULL;
	}
	ew = calloc(1, sizeof(*ew));
	if (!ew)
		return NULL;
	ew->base = base;
	return ew;
}

void atoll_event_watch_free(atoll_event_watch *ew)
{
	if (!ew)
		return;
	while (ew->list)
		drop(&ew->list);
	free(ew);
}

const struct atoll_watch_ops *atoll_event_watch_ops(void)
{
	static const struct atoll_watch_ops ops = {
		.add = ew_add,
		.remove = ew_remove,
	};

	return &ops;
}
