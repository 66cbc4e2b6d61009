/* SPDX-License-Identifier: MIT */
#include "vmem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void vmem_init(struct vmem *m)
{
	memset(m, 0, sizeof(*m));
}

static int check_new(const struct vmem *m, uint64_t gpa, uint64_t size)
{
	if (m->n >= VMEM_MAX_REGIONS)
		return -ENOSPC;
	if (size == 0 || gpa + size < gpa)
		return -EINVAL;
	for (unsigned i = 0; i < m->n; i++) {
		const struct vmem_region *r = &m->r[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EEXIST;
	}
	return 0;
}

int vmem_add_host(struct vmem *m, void *host, uint64_t gpa, uint64_t size,
		  bool readonly)
{
	int rc = check_new(m, gpa, size);

	if (rc < 0)
		return rc;
	m->r[m->n++] = (struct vmem_region){ gpa, size, host, readonly, false };
	return 0;
}

int vmem_add_fd(struct vmem *m, int fd, uint64_t gpa, uint64_t size,
		uint64_t fd_offset, bool readonly)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	void *p;
	int rc = check_new(m, gpa, size);

	if (rc < 0)
		return rc;
	if (size > SIZE_MAX || fd_offset % (uint64_t)page ||
	    fd_offset + size < fd_offset)
		return -EINVAL;
	if ((rc = vmem_seal_shrink(fd)) < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size < fd_offset + size)
		return -ERANGE;
	p = mmap(NULL, (size_t)size, PROT_READ | (readonly ? 0 : PROT_WRITE),
		 MAP_SHARED, fd, (off_t)fd_offset);
	if (p == MAP_FAILED)
		return -errno;
	m->r[m->n++] = (struct vmem_region){ gpa, size, p, readonly, true };
	return 0;
}

void vmem_clear(struct vmem *m)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].mapped)
			munmap(m->r[i].host, (size_t)m->r[i].size);
	vmem_init(m);
}

void *vmem_map(const struct vmem *m, uint64_t gpa, uint64_t len, bool write)
{
	if (len == 0)
		return NULL;
	for (unsigned i = 0; i < m->n; i++) {
		const struct vmem_region *r = &m->r[i];
		uint64_t off;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		off = gpa - r->gpa;
		/* len <= size - off cannot overflow, unlike off + len. */
		if (len > r->size - off || (write && r->readonly))
			return NULL;
		return r->host + off;
	}
	return NULL;
}

uint64_t vmem_total(const struct vmem *m)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < m->n; i++)
		t += m->r[i].size;
	return t;
}

void *vmem_map_cb(void *m, uint64_t gpa, uint64_t len, bool write)
{
	return vmem_map(m, gpa, len, write);
}
