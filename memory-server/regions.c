/* SPDX-License-Identifier: MIT */
#include "regions.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MEM_MAX_NAME)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

static int check_region(const Atoll__MemRegion *r, unsigned i, char *err,
			size_t errlen)
{
	uint64_t page = r->hugepages ? MEM_HUGEPAGE_SIZE
				     : (uint64_t)sysconf(_SC_PAGESIZE);

	if (!r->name || !name_ok(r->name))
		return fail(-EINVAL, err, errlen,
			    "region %u: name must be 1..%u printable characters",
			    i, MEM_MAX_NAME);
	if (r->size == 0 || r->size % page)
		return fail(-EINVAL, err, errlen,
			    "region '%s': size %" PRIu64 " is not a non-zero multiple of %" PRIu64,
			    r->name, r->size, page);
	if (r->guest_addr % page)
		return fail(-EINVAL, err, errlen,
			    "region '%s': guest address 0x%" PRIx64 " is not %" PRIu64 "-aligned",
			    r->name, r->guest_addr, page);
	if (r->guest_addr + (r->size - 1) < r->guest_addr)
		return fail(-EINVAL, err, errlen,
			    "region '%s': guest range wraps around", r->name);
	if (r->fd_offset)
		return fail(-EINVAL, err, errlen,
			    "region '%s': fd_offset must be 0 (each region is its own memfd)",
			    r->name);
	return 0;
}

/* Guest ranges [a, a+size) of two regions, both already checked. */
static bool overlap(const Atoll__MemRegion *a, const Atoll__MemRegion *b)
{
	return a->guest_addr <= b->guest_addr + (b->size - 1) &&
	       b->guest_addr <= a->guest_addr + (a->size - 1);
}

int mem_layout_validate(const Atoll__MemLayout *l, const struct mem_limits *lim,
			char *err, size_t errlen)
{
	uint64_t total = 0;
	int r;

	if (l->n_regions == 0)
		return fail(-EINVAL, err, errlen, "layout has no regions");
	if (l->n_regions > lim->max_regions)
		return fail(-E2BIG, err, errlen,
			    "layout has %zu regions; at most %u", l->n_regions,
			    lim->max_regions);
	for (size_t i = 0; i < l->n_regions; i++) {
		const Atoll__MemRegion *a = l->regions[i];

		r = check_region(a, (unsigned)i, err, errlen);
		if (r < 0)
			return r;
		if (a->size > lim->max_total - total)
			return fail(-E2BIG, err, errlen,
				    "layout exceeds the limit of %" PRIu64 " bytes",
				    lim->max_total);
		total += a->size;
		for (size_t j = 0; j < i; j++) {
			const Atoll__MemRegion *b = l->regions[j];

			if (!strcmp(a->name, b->name))
				return fail(-EINVAL, err, errlen,
					    "region name '%s' is used twice", a->name);
			if (overlap(a, b))
				return fail(-EINVAL, err, errlen,
					    "regions '%s' and '%s' overlap in guest memory",
					    b->name, a->name);
		}
	}
	return 0;
}

/* Huge pages are reserved up front so that a shortage is an error here
 * rather than a SIGBUS in whichever process first touches the page. */
static int reserve_hugepages(int fd, const struct mem_region *m, char *err,
			     size_t errlen)
{
	int r = fallocate(fd, 0, 0, (off_t)m->size);

	if (r == 0)
		return 0;
	r = errno;
	return fail(-r, err, errlen,
		    "region '%s': cannot reserve %" PRIu64 " MiB of 2 MiB huge pages: %s%s",
		    m->name, m->size >> 20, strerror(r),
		    r == ENOSPC ? " (reserve more with sysctl vm.nr_hugepages)" : "");
}

static int create_one(struct mem_region *m, char *err, size_t errlen)
{
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd, r;

	if (m->hugepages)
		flags |= MFD_HUGETLB;
	fd = memfd_create(m->name, flags);
	if (fd < 0) {
		r = errno;
		return fail(-r, err, errlen, "region '%s': memfd_create%s: %s",
			    m->name, m->hugepages ? " with huge pages" : "",
			    strerror(r));
	}
	if (ftruncate(fd, (off_t)m->size) < 0) {
		r = -errno;
		fail(r, err, errlen, "region '%s': cannot size to %" PRIu64 ": %s",
		     m->name, m->size, strerror(-r));
		goto out;
	}
	if (m->hugepages && (r = reserve_hugepages(fd, m, err, errlen)) < 0)
		goto out;
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
		r = -errno;
		fail(r, err, errlen, "region '%s': cannot seal: %s", m->name,
		     strerror(-r));
		goto out;
	}
	m->fd = fd;
	return 0;
out:
	close(fd);
	return r;
}

int mem_layout_create(const Atoll__MemLayout *l, const struct mem_limits *lim,
		      struct mem_layout *out, char *err, size_t errlen)
{
	struct mem_layout m = { 0 };
	int r = mem_layout_validate(l, lim, err, errlen);

	if (r < 0)
		return r;
	m.regions = calloc(l->n_regions, sizeof(*m.regions));
	if (!m.regions)
		return fail(-ENOMEM, err, errlen, "out of memory");
	for (size_t i = 0; i < l->n_regions; i++) {
		struct mem_region *d = &m.regions[m.n];

		snprintf(d->name, sizeof(d->name), "%s", l->regions[i]->name);
		d->guest_addr = l->regions[i]->guest_addr;
		d->size = l->regions[i]->size;
		d->hugepages = l->regions[i]->hugepages;
		d->readonly = l->regions[i]->readonly;
		d->fd = -1;
		r = create_one(d, err, errlen);
		if (r < 0) {
			mem_layout_free(&m);
			return r;
		}
		m.n++;
	}
	*out = m;
	return 0;
}

void mem_layout_free(struct mem_layout *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->regions[i].fd >= 0)
			close(m->regions[i].fd);
	free(m->regions);
	m->regions = NULL;
	m->n = 0;
}

const struct mem_region *mem_layout_find(const struct mem_layout *m,
					 const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->regions[i].name, name))
			return &m->regions[i];
	return NULL;
}

uint64_t mem_layout_total(const struct mem_layout *m)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->n; i++)
		t += m->regions[i].size;
	return t;
}

uint64_t mem_layout_resident(const struct mem_layout *m)
{
	uint64_t t = 0;
	struct stat st;

	for (size_t i = 0; i < m->n; i++)
		if (fstat(m->regions[i].fd, &st) == 0)
			t += (uint64_t)st.st_blocks * 512u;
	return t;
}

int mem_region_open_readonly(const struct mem_region *r)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return errno == ENOENT ? -EOPNOTSUPP : -errno;
}
