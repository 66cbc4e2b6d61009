/* SPDX-License-Identifier: MIT */
/* Physical memory: RAM and ROM direct, CLINT inside, the rest via mmio ops. */
#include <errno.h>
#include <string.h>

#include "rv_internal.h"

#define PAGE_SHIFT 12

uint8_t *rv_phys_host(struct rv_vm *vm, uint64_t pa, unsigned size, int write)
{
	uint64_t off = pa - vm->cfg.ram_base;

	if (off < vm->cfg.ram_size && size <= vm->cfg.ram_size - off)
		return vm->ram + off;
	off = pa - vm->cfg.rom_base;
	if (!write && vm->rom && off < vm->cfg.rom_size &&
	    size <= vm->cfg.rom_size - off)
		return (uint8_t *)(uintptr_t)(vm->rom + off);
	return NULL;
}

void rv_note_code_write(struct rv_vm *vm, uint64_t pa)
{
	uint64_t pg = (pa - vm->cfg.ram_base) >> PAGE_SHIFT;

	if (pa - vm->cfg.ram_base >= vm->cfg.ram_size)
		return;
	if (__atomic_load_n(&vm->code_pages[pg], __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&vm->code_pages[pg], 0, __ATOMIC_ACQ_REL)) {
		__atomic_add_fetch(&vm->page_gen[pg], 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&vm->code_gen, 1, __ATOMIC_RELEASE);
	}
}

static int in_clint(struct rv_vm *vm, uint64_t pa)
{
	return vm->cfg.clint_base && pa - vm->cfg.clint_base < RV_CLINT_SIZE;
}

/* Device access of one naturally aligned unit, or bytewise if misaligned. */
static int dev_read(struct rv_vm *vm, uint64_t pa, unsigned size, uint64_t *v)
{
	rv_ls_taint(vm, RV_LS_DEVICE);
	if (pa & (size - 1)) {
		uint64_t r = 0, b;
		for (unsigned k = 0; k < size; k++) {
			if (dev_read(vm, pa + k, 1, &b) < 0)
				return -EFAULT;
			r |= (b & 0xff) << (8 * k);
		}
		*v = r;
		return 0;
	}
	if (in_clint(vm, pa))
		return rv_clint_read(vm, pa - vm->cfg.clint_base, size, v);
	if (!vm->cfg.mmio || !vm->cfg.mmio->read)
		return -EFAULT;
	*v = 0;
	if (vm->cfg.mmio->read(vm->cfg.mmio_opaque, pa, size, v) < 0)
		return -EFAULT;
	if (size < 8)
		*v &= (1ull << (8 * size)) - 1;
	return 0;
}

static int dev_write(struct rv_vm *vm, uint64_t pa, unsigned size, uint64_t v)
{
	rv_ls_taint(vm, RV_LS_DEVICE);
	if (pa & (size - 1)) {
		for (unsigned k = 0; k < size; k++)
			if (dev_write(vm, pa + k, 1, v >> (8 * k)) < 0)
				return -EFAULT;
		return 0;
	}
	if (in_clint(vm, pa))
		return rv_clint_write(vm, pa - vm->cfg.clint_base, size, v);
	if (!vm->cfg.mmio || !vm->cfg.mmio->write)
		return -EFAULT;
	if (size < 8)
		v &= (1ull << (8 * size)) - 1;
	return vm->cfg.mmio->write(vm->cfg.mmio_opaque, pa, size, v) < 0 ?
		       -EFAULT : 0;
}

int rv_phys_read(struct rv_hart *h, uint64_t pa, unsigned size, uint64_t *v)
{
	uint8_t *p = rv_phys_host(h->vm, pa, size, 0);

	if (p) {
		*v = rv_host_read(p, size);
		return 0;
	}
	return dev_read(h->vm, pa, size, v);
}

int rv_phys_write(struct rv_hart *h, uint64_t pa, unsigned size, uint64_t v)
{
	struct rv_vm *vm = h->vm;
	uint8_t *p = rv_phys_host(vm, pa, size, 1);

	if (!p)
		return dev_write(vm, pa, size, v);
	rv_ram_write(vm, p, pa, size, v);
	return 0;
}

void rv_tohost_write(struct rv_vm *vm, unsigned size, uint64_t v)
{
	uint64_t val = size < 8 ? v & ((1ull << (8 * size)) - 1) : v;

	if (val) {
		__atomic_store_n(&vm->tohost, val, __ATOMIC_RELEASE);
		rv_vm_request_exit(vm, val == 1 ? RV_EXIT_TOHOST_PASS :
					   RV_EXIT_TOHOST_FAIL);
	}
}
