/* SPDX-License-Identifier: MIT */
#include "aio.h"

void aio_drain(struct aio *a)
{
	aio_commit(a);
	while (a->outstanding) {
		a->ops->wait(a);
		aio_reap(a);
	}
}
