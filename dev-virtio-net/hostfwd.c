/* SPDX-License-Identifier: MIT */
#include "hostfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* The guest network slirp is set up with (net-slirp.c uses the same). */
#define GUEST_NET 0x0a000200u       /* 10.0.2.0/24 */
#define GUEST_DEFAULT 0x0a00020fu   /* 10.0.2.15 */

/* Copies s[0..len) into buf as a string; false if it does not fit. */
static bool take(char *buf, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

static bool parse_port(const char *s, uint16_t *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 5)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "ADDR:PORT" with ADDR possibly empty. */
static int parse_end(const char *s, size_t len, uint32_t dflt,
		     struct in_addr *addr, uint16_t *port, const char **why,
		     const char *what_addr, const char *what_port)
{
	char a[16], p[8];
	const char *colon = memchr(s, ':', len);

	if (!colon) {
		*why = what_port;
		return -EINVAL;
	}
	if (!take(a, sizeof(a), s, (size_t)(colon - s)) ||
	    !take(p, sizeof(p), colon + 1, len - (size_t)(colon - s) - 1)) {
		*why = colon - s >= (long)sizeof(a) ? what_addr : what_port;
		return -EINVAL;
	}
	if (!a[0])
		addr->s_addr = htonl(dflt);
	else if (inet_pton(AF_INET, a, addr) != 1) {
		*why = what_addr;
		return -EINVAL;
	}
	if (!parse_port(p, port)) {
		*why = what_port;
		return -EINVAL;
	}
	return 0;
}

int hostfwd_parse(const char *s, struct hostfwd *out, const char **why)
{
	const char *colon, *dash;
	size_t len = strnlen(s, HOSTFWD_MAX_LEN + 1);
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > HOSTFWD_MAX_LEN) {
		*why = "rule too long";
		return -EINVAL;
	}
	colon = strchr(s, ':');
	if (!colon) {
		*why = "expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT";
		return -EINVAL;
	}
	if (colon == s || (colon - s == 3 && !strncmp(s, "tcp", 3)))
		out->udp = false;
	else if (colon - s == 3 && !strncmp(s, "udp", 3))
		out->udp = true;
	else {
		*why = "protocol must be tcp or udp";
		return -EINVAL;
	}
	s = colon + 1;
	dash = strchr(s, '-');
	if (!dash) {
		*why = "missing '-' between the host and the guest side";
		return -EINVAL;
	}
	rc = parse_end(s, (size_t)(dash - s), INADDR_LOOPBACK, &out->host,
		       &out->host_port, why, "bad host address",
		       "bad host port (1-65535)");
	if (rc < 0)
		return rc;
	rc = parse_end(dash + 1, strlen(dash + 1), GUEST_DEFAULT, &out->guest,
		       &out->guest_port, why, "bad guest address",
		       "bad guest port (1-65535)");
	if (rc < 0)
		return rc;
	if ((ntohl(out->guest.s_addr) & 0xffffff00u) != GUEST_NET) {
		*why = "guest address outside the guest network 10.0.2.0/24";
		return -EINVAL;
	}
	return 0;
}
