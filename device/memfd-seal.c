/* SPDX-License-Identifier: MIT */
/* Sealing a shared memfd before mapping it: guest RAM (vmem.c) and
 * virtio's in-flight logs (libatoll-virtio) alike. */
#include "vmem.h"

#include <errno.h>
#include <fcntl.h>

int vmem_seal_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		return 0;
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0 ? -EPERM : 0;
}
