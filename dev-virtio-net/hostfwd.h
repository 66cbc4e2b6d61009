/* SPDX-License-Identifier: MIT */
/*
 * Host port forwarding rules in QEMU's `hostfwd` syntax:
 *
 *     [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 *
 * e.g. "tcp:127.0.0.1:2222-:22". An empty protocol is tcp; an empty
 * HOSTADDR is 127.0.0.1 (QEMU binds every address; Atoll exposes a guest
 * only to the host unless told otherwise); an empty GUESTADDR is the
 * address DHCP hands out (10.0.2.15). Ports are 1..65535, addresses IPv4
 * dotted quads, GUESTADDR inside the guest network 10.0.2.0/24. Pure:
 * shared by the launcher (manifest checks) and the device.
 */
#ifndef ATOLL_NET_HOSTFWD_H
#define ATOLL_NET_HOSTFWD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define HOSTFWD_MAX_LEN 64u

struct hostfwd {
	bool udp;
	struct in_addr host;        /* network order */
	uint16_t host_port;
	struct in_addr guest;
	uint16_t guest_port;
};

/* Parses one rule. Returns 0, or -EINVAL with *why set to the reason. */
int hostfwd_parse(const char *s, struct hostfwd *out, const char **why);

#endif
