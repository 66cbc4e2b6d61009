/* SPDX-License-Identifier: MIT */
/*
 * The main loop's watch on a device's peer socket, shared by the virtio
 * transport and the generic proxy. While the device lives, a readable
 * socket means posted frames, which `ready` handles. Once `ready` says the
 * connection is gone, the watch stops polling its EOF; the next
 * PEER_CONNECT re-arms it with the new socket.
 */
#ifndef ATOLL_CPU_PEER_WATCH_H
#define ATOLL_CPU_PEER_WATCH_H

#include <stdbool.h>

struct event;
struct event_base;

struct peer_watch {
	struct event *ev;             /* NULL while not armed */
	const char *name;             /* the device's, for the log */
	bool (*ready)(void *dev);     /* false: the connection is gone */
	void *dev;
};

/* Watch fd (disarm only, when fd < 0). 0 or -ENOMEM. */
int peer_watch_arm(struct peer_watch *w, struct event_base *base, int fd);
/* Stop watching; before the socket is closed or replaced. */
void peer_watch_disarm(struct peer_watch *w);

#endif
