/* SPDX-License-Identifier: MIT */
/* Connecting to a unix socket a manifest names (kind vhost-user's
 * back-end, kind usb's usbredir peers), for a kind's plan. */
#ifndef ATOLL_LAUNCHER_KIND_SOCKET_CONNECT_H
#define ATOLL_LAUNCHER_KIND_SOCKET_CONNECT_H

#include <stddef.h>

#include "manifest.h"

/* Connects a stream socket to `path`, a unix socket beneath one of
 * cfg->file_dirs (the rule the manifest was checked with), through an
 * O_PATH fd of it. A peer restarting (socket not there yet, or refusing)
 * is waited for up to 2 s. Returns the connected fd (close-on-exec) or a
 * negative errno with the reason in why. */
int kind_connect_socket(const struct vm_config *cfg, const char *path,
			char *why, size_t whysz);

#endif
