/* SPDX-License-Identifier: MIT */
/* The io_uring attempts of atoll-testdev-hostile (hostile-uring.c). */
#ifndef ATOLL_TEST_HOSTILE_URING_H
#define ATOLL_TEST_HOSTILE_URING_H

#include <stddef.h>

/* Runs attempt `name` ("uring-..."); as the other attempts: >= 0 worked,
 * -1 with errno refused; `detail` says which step. */
long hostile_uring(const char *name, const char *arg, char *detail,
		   size_t len);

#endif
