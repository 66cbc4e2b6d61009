/* SPDX-License-Identifier: MIT */
/* What a test needs from the host or the build, probed directly (never
 * through the code under test, so a broken sandbox or device still fails
 * its test): each returns NULL when the need is met, else the reason to
 * print with the skip (exit 77). */
#ifndef ATOLL_TEST_HOST_PROBE_H
#define ATOLL_TEST_HOST_PROBE_H

#include <stddef.h>

/* A sysctl's integer value (path under /proc/sys), -1 if unreadable. */
int host_read_sysctl(const char *path);

/* The kernel features every sandboxed process needs, for the calling
 * user: seccomp user notification, pidfd_open, clone3, and a new user
 * namespace (root too: every profile has one). */
const char *host_sandbox_unavailable(char *buf, size_t len);

/* A restricted io_uring as atoll-virtio-blk sets one up (a ring created
 * disabled, IORING_SETUP_R_DISABLED, Linux 5.10+). */
const char *host_uring_unavailable(char *buf, size_t len);

/* Sanitizer runtimes need /proc, fork and ptrace, which no profile grants:
 * an instrumented program of this build cannot run sandboxed. */
static inline const char *build_sandbox_unavailable(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return "sanitizer build: instrumented programs cannot run sandboxed";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
	return "sanitizer build: instrumented programs cannot run sandboxed";
#else
	return NULL;
#endif
#else
	return NULL;
#endif
}

#endif
