/* SPDX-License-Identifier: MIT */
#include "peer-watch.h"

#include <errno.h>

#include <event2/event.h>

#include "log.h"

static void on_peer(evutil_socket_t fd, short what, void *arg)
{
	struct peer_watch *w = arg;

	if (w->ready(w->dev))
		return;
	/* Gone: stop polling its EOF; a PEER_CONNECT brings the next one. */
	log_warn("%s: device connection lost; waiting for its restart",
		 w->name);
	peer_watch_disarm(w);
}

void peer_watch_disarm(struct peer_watch *w)
{
	if (w->ev)
		event_free(w->ev);
	w->ev = NULL;
}

int peer_watch_arm(struct peer_watch *w, struct event_base *base, int fd)
{
	peer_watch_disarm(w);
	if (fd < 0)
		return 0;
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_peer, w);
	if (!w->ev || event_add(w->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}
