/* SPDX-License-Identifier: MIT */
/* Guest memory: MEM_GRANT's regions mapped (the fds are not kept: a
 * device holds mappings, never RAM fds), and DMA checked against them. */
#include "dev-internal.h"

#include <errno.h>
#include <string.h>

int dev_take_grant(atoll_dev *dev, struct atoll_msg *m)
{
	const Atoll__MemGrant *g = (const Atoll__MemGrant *)m->body;
	struct vmem fresh;
	int rc = 0;

	if (g->n_regions != m->nfds || !g->n_regions ||
	    g->n_regions > ATOLL_DEV_MAX_MEM_REGIONS)
		return -EPROTO;
	if (dev->model && dev->model->memory_changing &&
	    (rc = dev->model->memory_changing(dev->model_opaque)) < 0)
		return rc;
	vmem_init(&fresh);
	/* The fds are not taken: the bus closes them when the handler
	 * returns, and the device keeps only the mappings. */
	for (size_t i = 0; i < g->n_regions && rc == 0; i++) {
		const Atoll__MemRegion *r = g->regions[i];

		rc = vmem_add_fd(&fresh, m->fds[i], r->guest_addr, r->size,
				 r->fd_offset, r->readonly);
	}
	if (rc < 0) {
		vmem_clear(&fresh);
		return rc;
	}
	vmem_clear(&dev->mem);
	dev->mem = fresh;
	return 0;
}

ATOLL_DEVICE_API bool atoll_dev_has_memory(const atoll_dev *dev)
{
	return dev->mem.n > 0;
}

ATOLL_DEVICE_API uint64_t atoll_dev_memory_size(const atoll_dev *dev)
{
	return vmem_total(&dev->mem);
}

ATOLL_DEVICE_API void *atoll_dev_dma_ptr(atoll_dev *dev, uint64_t gpa,
					 uint64_t len, bool write)
{
	return vmem_map(&dev->mem, gpa, len, write);
}

ATOLL_DEVICE_API int atoll_dev_dma_read(atoll_dev *dev, uint64_t gpa,
					void *buf, size_t len)
{
	const void *p;

	if (!len)
		return -EINVAL;
	p = vmem_map(&dev->mem, gpa, len, false);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

ATOLL_DEVICE_API int atoll_dev_dma_write(atoll_dev *dev, uint64_t gpa,
					 const void *buf, size_t len)
{
	void *p;

	if (!len)
		return -EINVAL;
	p = vmem_map(&dev->mem, gpa, len, true);
	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}
