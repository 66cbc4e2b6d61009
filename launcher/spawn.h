/* SPDX-License-Identifier: MIT */
/*
 * Starting a child process with exactly the fds it is granted, inside the
 * sandbox of its kind's profile (sandbox/), or with `sandbox: off` outside
 * it (said loudly).
 */
#ifndef ATOLL_LAUNCHER_SPAWN_H
#define ATOLL_LAUNCHER_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

#define SPAWN_MAX_FDS 16

struct spawn_args {
	const char *name;            /* process name, for messages */
	const char *kind;            /* selects the sandbox profile */
	const char *accel;           /* the VM's accelerator (cpu-kvm profile) */
	const char *binary;
	char **argv;                 /* NULL-terminated */
	struct sandbox_fd fds[SPAWN_MAX_FDS];
	size_t nfds;
	bool sandbox;
	/* .set: RLIMIT_FSIZE instead of the profile's (a disk's size). */
	struct sandbox_rlimit fsize;
	char error[512];             /* why spawning failed, if it did */
};

/* Starts the child; on success fills *child (pidfd and seccomp listener,
 * both close-on-exec) and returns 0. Every fd not granted is closed in the
 * child. */
int spawn_process(struct spawn_args *args, struct sandbox_child *child);

#endif
