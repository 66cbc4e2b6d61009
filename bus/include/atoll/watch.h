/* SPDX-License-Identifier: MIT */
/*
 * How a library of the Atoll SDK (libatoll-virtio, libatoll-device) asks
 * its caller's event loop to watch a file descriptor. No SDK library runs
 * a loop of its own (libvhost-user's set_watch/remove_watch): the device
 * program supplies these callbacks for whatever loop it uses, or takes
 * the libevent ones from <atoll/bus-event.h>.
 *
 * Logging follows the bus: an optional callback of type atoll_log_fn
 * (<atoll/bus.h>'s enum atoll_log_level); the libraries print nothing.
 */
#ifndef ATOLL_WATCH_H
#define ATOLL_WATCH_H

#include <stdarg.h>

#include <atoll/bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Events, as a bit mask. */
#define ATOLL_WATCH_IN  0x1u     /* readable (or hung up: read to find out) */
#define ATOLL_WATCH_OUT 0x4u     /* writable */

/* Runs on the loop's thread each time `fd` is ready for one of the
 * events it was added with; `events` says which. */
typedef void (*atoll_watch_cb)(int fd, unsigned events, void *data);

struct atoll_watch_ops {
	/* Start watching fd (persistently, level-triggered) until remove.
	 * One watch per fd: adding an fd already watched replaces its
	 * watch. Returns 0 or a negative errno. */
	int (*add)(void *loop, int fd, unsigned events, atoll_watch_cb cb,
		   void *data);
	/* Stop watching fd; no callback for it runs afterwards, even one
	 * already pending in this loop iteration. Unknown fds are ignored. */
	void (*remove)(void *loop, int fd);
};

/* Diagnostics from an SDK library, formatted by the caller. */
typedef void (*atoll_log_fn)(void *opaque, enum atoll_log_level level,
			     const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif

#endif
