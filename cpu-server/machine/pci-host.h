/* SPDX-License-Identifier: MIT */
/*
 * Generic PCIe host bridge ("pci-host-ecam-generic") on bus 0: an ECAM
 * window (bus << 20 | device << 15 | function << 12 | register) and the
 * MMIO and PIO windows BARs live in. Empty slots read as all ones and ignore
 * writes, as a master abort does on real hardware. Device models register a
 * slot with config-space callbacks; slot 0 holds the host bridge itself
 * (Red Hat 1b36:0008, like QEMU's gpex).
 *
 * INTx: slot d pin p (0 = INTA) raises PLIC source
 * PCI_INTX_IRQ_BASE + (d + p) % 4, the swizzle the device tree's
 * interrupt-map describes.
 *
 * Thread-safe for config accesses (slots are registered before the harts
 * start and never removed while they run).
 */
#ifndef ATOLL_MACHINE_PCI_HOST_H
#define ATOLL_MACHINE_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_SLOTS 32u
#define PCI_INTX_IRQ_BASE 32u

struct pci_host;

struct pci_dev_ops {
	/* off < 4096, size 1, 2 or 4, naturally aligned. */
	uint32_t (*cfg_read)(void *opaque, unsigned off, unsigned size);
	void (*cfg_write)(void *opaque, unsigned off, unsigned size, uint32_t val);
	/* Optional: accesses to a BAR mapped with pci_host_bar_map(). off is
	 * relative to the BAR, size 1, 2, 4 or 8. Return 0 or -EINVAL (the
	 * access then reads as all ones / is dropped). */
	int (*bar_read)(void *opaque, unsigned bar, uint64_t off, unsigned size,
			uint64_t *val);
	int (*bar_write)(void *opaque, unsigned bar, uint64_t off,
			 unsigned size, uint64_t val);
};

/* ecam_size: bytes of the ECAM window (limits the bus count). */
struct pci_host *pci_host_new(uint64_t ecam_size);
void pci_host_free(struct pci_host *h);

/* Registers function 0 of slot 1..31 on bus 0. -EBUSY if taken, -EINVAL
 * for slot 0 or out of range. */
int pci_host_register(struct pci_host *h, unsigned slot,
		      const struct pci_dev_ops *ops, void *opaque);

/* ECAM accesses: off relative to the window. Returns 0 or -EINVAL
 * (misaligned, bad size, outside the window). */
int pci_host_ecam_read(struct pci_host *h, uint64_t off, unsigned size,
		       uint64_t *val);
int pci_host_ecam_write(struct pci_host *h, uint64_t off, unsigned size,
			uint64_t val);

/* PLIC source for slot/pin (pin 0..3 = INTA..INTD). */
unsigned pci_host_intx_irq(unsigned slot, unsigned pin);

/*
 * BAR decode. A device maps (size != 0) or unmaps (size 0) its BAR `bar`
 * of `slot` at guest-physical `base` whenever the guest reprograms the BAR
 * or the command register's memory enable. pci_host_mmio_read/write route
 * an access in the MMIO window to the BAR containing it (the whole access
 * must fit); nothing mapped reads as all ones and drops writes (master
 * abort). Thread-safe: mapping and routing may run on different harts.
 */
int pci_host_bar_map(struct pci_host *h, unsigned slot, unsigned bar,
		     uint64_t base, uint64_t size);
int pci_host_mmio_read(struct pci_host *h, uint64_t addr, unsigned size,
		       uint64_t *val);
int pci_host_mmio_write(struct pci_host *h, uint64_t addr, unsigned size,
			uint64_t val);

/*
 * INTx. The machine installs set_irq (PLIC source, level); devices drive
 * their pin with pci_host_set_intx. Pins sharing a PLIC source through the
 * swizzle are ORed. Thread-safe.
 */
void pci_host_set_irq_handler(struct pci_host *h,
			      void (*set_irq)(void *opaque, unsigned irq,
					      bool level),
			      void *opaque);
void pci_host_set_intx(struct pci_host *h, unsigned slot, unsigned pin,
		       bool level);

/* The machine's PCI host (defined in virt.c), for device transports. */
struct virt;
struct pci_host *virt_pci_host(struct virt *v);

#endif
