/* SPDX-License-Identifier: MIT */
/* CLINT (QEMU virt layout): msip, mtimecmp per hart and a 10 MHz mtime. */
#include <errno.h>
#include <time.h>

#include "rv_internal.h"

#define CLINT_MSIP 0x0000u
#define CLINT_MTIMECMP 0x4000u
#define CLINT_MTIME 0xbff8u

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t rv_vm_mtime(const struct rv_vm *vm)
{
	return (uint64_t)(mono_ns() - vm->mtime_base_ns) /
	       (1000000000u / RV_MTIME_HZ);
}

void rv_clint_set_msip(struct rv_vm *vm, unsigned hart, int level)
{
	struct rv_hart *h = vm->harts[hart];
	if (level)
		__atomic_or_fetch(&h->mip_ext, RV_MIP_MSIP, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&h->mip_ext, ~RV_MIP_MSIP, __ATOMIC_RELEASE);
	rv_hart_kick(h);
}

static uint64_t part(uint64_t v, uint64_t off, unsigned size)
{
	return size == 8 ? v : (v >> (8 * (off & 4))) & 0xffffffffu;
}

int rv_clint_read(struct rv_vm *vm, uint64_t off, unsigned size, uint64_t *val)
{
	if ((size != 4 && size != 8) || (off & (size - 1)))
		return -EINVAL;
	if (off < CLINT_MTIMECMP) {
		uint64_t hart = off / 4;
		if (hart >= vm->nharts || size != 4)
			return -EINVAL;
		*val = !!(__atomic_load_n(&vm->harts[hart]->mip_ext,
					  __ATOMIC_ACQUIRE) & RV_MIP_MSIP);
		return 0;
	}
	if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
		*val = part(rv_vm_mtime(vm), off, size);
		return 0;
	}
	uint64_t hart = (off - CLINT_MTIMECMP) / 8;
	if (off >= CLINT_MTIME || hart >= vm->nharts)
		return -EINVAL;
	*val = part(__atomic_load_n(&vm->harts[hart]->mtimecmp, __ATOMIC_ACQUIRE),
		    off, size);
	return 0;
}

static void write_mtimecmp(struct rv_vm *vm, unsigned hart, uint64_t off,
			   unsigned size, uint64_t val)
{
	struct rv_hart *h = vm->harts[hart];
	uint64_t old = __atomic_load_n(&h->mtimecmp, __ATOMIC_ACQUIRE), nv;

	if (size == 8)
		nv = val;
	else if (off & 4)
		nv = (old & 0xffffffffu) | (val << 32);
	else
		nv = (old & ~0xffffffffull) | (val & 0xffffffffu);
	__atomic_store_n(&h->mtimecmp, nv, __ATOMIC_RELEASE);
	/* MTIP follows the comparison at once, as OpenSBI expects. */
	if (rv_vm_mtime(vm) >= nv)
		__atomic_or_fetch(&h->mip_ext, RV_MIP_MTIP, __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&h->mip_ext, ~RV_MIP_MTIP, __ATOMIC_RELEASE);
	rv_hart_kick(h);
}

int rv_clint_write(struct rv_vm *vm, uint64_t off, unsigned size, uint64_t val)
{
	if ((size != 4 && size != 8) || (off & (size - 1)))
		return -EINVAL;
	if (off < CLINT_MTIMECMP) {
		uint64_t hart = off / 4;
		if (hart >= vm->nharts || size != 4)
			return -EINVAL;
		rv_clint_set_msip(vm, (unsigned)hart, (int)(val & 1));
		return 0;
	}
	if (off >= CLINT_MTIME && off < CLINT_MTIME + 8)
		return 0; /* mtime is read-only here */
	uint64_t hart = (off - CLINT_MTIMECMP) / 8;
	if (off >= CLINT_MTIME || hart >= vm->nharts)
		return -EINVAL;
	write_mtimecmp(vm, (unsigned)hart, off, size, val);
	return 0;
}
