/* SPDX-License-Identifier: MIT */
/*
 * A minimal launcher for tests: starts a child process with a bus socket at
 * fd 3, answers its HELLO, and drives it with synchronous requests.
 */
#ifndef ATOLL_TEST_STUB_H
#define ATOLL_TEST_STUB_H

#include <stdbool.h>
#include <sys/types.h>

#include <atoll/bus.h>

struct stub {
	pid_t pid;
	atoll_bus *bus;
	uint32_t reply_version;   /* protocol_version of our HELLO reply */
	bool hello_seen, closed;
	unsigned ready;           /* READY messages received */
	/* From the child's HELLO. */
	Atoll__Role role;
	char kind[32], name[64];
	uint32_t pid_said;
	uint64_t caps;
};

/* Starts `exe --fd=3 --name=NAME args...` (args NULL-terminated, may be
 * NULL). Returns 0 or a negative errno. */
int stub_spawn(struct stub *s, const char *exe, const char *name,
	       const char *const *args);
/* Dispatches frames until cond(s) is true or timeout_ms passes. Returns 0
 * if the condition holds, else -ETIMEDOUT (or -ECONNRESET once closed). */
int stub_pump(struct stub *s, bool (*cond)(const struct stub *), int timeout_ms);
bool stub_hello_seen(const struct stub *s);
bool stub_ready_seen(const struct stub *s);
/* Spawn, then wait for the HELLO exchange. */
int stub_start(struct stub *s, const char *exe, const char *name,
	       const char *const *args);
/* Waits for the child to exit; returns its wait status, or -ETIMEDOUT
 * (after which the child is killed). */
int stub_wait(struct stub *s, int timeout_ms);
/* Frees the bus (the child sees its control bus close) and reaps it. */
void stub_stop(struct stub *s);

#endif
