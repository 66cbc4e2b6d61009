/* SPDX-License-Identifier: MIT */
/*
 * libatoll-bus-event: drives an atoll_bus from a libevent loop. It watches
 * the bus fd for reading (dispatching until no frame is left) and keeps a
 * timer at the bus's next request deadline.
 */
#ifndef ATOLL_BUS_EVENT_H
#define ATOLL_BUS_EVENT_H

#include <atoll/bus.h>
#include <atoll/watch.h>

struct event_base;

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atoll_bus_event atoll_bus_event;

/*
 * Lifetime rules. The bus stays owned by the caller. Detach the watcher
 * before or while freeing the bus; both may happen from inside any bus
 * callback (the watcher is then released when its libevent callback
 * returns). Once dispatch reports the end of the connection (< 0) the
 * watcher stops its events and never touches the bus again, so freeing the
 * bus from the closed callback and detaching later is fine too.
 *
 * Each read wakeup dispatches up to 64 frames, then yields to the loop and
 * continues on the next iteration.
 *
 * Returns NULL with errno set on failure.
 */
ATOLL_BUS_API atoll_bus_event *atoll_bus_event_attach(atoll_bus *bus,
						      struct event_base *base);
/* NULL is a no-op. */
ATOLL_BUS_API void atoll_bus_event_detach(atoll_bus_event *watch);
/* Re-arms the deadline timer and schedules delivery of frames queued by
 * atoll_bus_call; call after atoll_bus_request() or atoll_bus_call() made
 * from outside a bus callback. (Those made from callbacks run by this
 * watcher are picked up automatically.) */
ATOLL_BUS_API void atoll_bus_event_update(atoll_bus_event *watch);

/*
 * struct atoll_watch_ops (<atoll/watch.h>) for a libevent loop, for the
 * device SDK (libatoll-device, libatoll-virtio): give the SDK
 * atoll_event_watch_ops() as its watch ops and an atoll_event_watch as
 * their `loop`. The watch holds one event per watched fd; free it after
 * everything that watches through it. Returns NULL with errno set.
 */
typedef struct atoll_event_watch atoll_event_watch;
ATOLL_BUS_API atoll_event_watch *atoll_event_watch_new(struct event_base *base);
/* Removes every remaining watch. NULL is a no-op. */
ATOLL_BUS_API void atoll_event_watch_free(atoll_event_watch *w);
ATOLL_BUS_API const struct atoll_watch_ops *atoll_event_watch_ops(void);

#ifdef __cplusplus
}
#endif
#endif
