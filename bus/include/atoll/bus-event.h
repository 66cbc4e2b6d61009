/* SPDX-License-Identifier: MIT */
/*
 * libatoll-bus-event: drives an atoll_bus from a libevent loop. It watches
 * the bus fd for reading (dispatching until no frame is left) and keeps a
 * timer at the bus's next request deadline.
 */
#ifndef ATOLL_BUS_EVENT_H
#define ATOLL_BUS_EVENT_H

#include <atoll/bus.h>

struct event_base;

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atoll_bus_event atoll_bus_event;

/* Returns NULL with errno set on failure. The bus stays owned by the caller
 * and must outlive the watcher (detach before atoll_bus_free, or from the
 * closed callback). */
ATOLL_BUS_API atoll_bus_event *atoll_bus_event_attach(atoll_bus *bus,
						      struct event_base *base);
/* NULL is a no-op. */
ATOLL_BUS_API void atoll_bus_event_detach(atoll_bus_event *watch);
/* Re-arms the deadline timer; call after atoll_bus_request() from outside
 * a bus callback. (Requests made from callbacks are picked up
 * automatically.) */
ATOLL_BUS_API void atoll_bus_event_update(atoll_bus_event *watch);

#ifdef __cplusplus
}
#endif
#endif
