/* SPDX-License-Identifier: MIT */
/* Built without liburing: the thread pool is the only backend. */
#include <errno.h>

#include "aio.h"

int aio_uring_new(int fd, unsigned depth, aio_done_fn done, void *opaque,
		  struct aio **out)
{
	return -ENOSYS;
}
