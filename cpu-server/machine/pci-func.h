/* SPDX-License-Identifier: MIT */
/*
 * A PCI type-0 function's configuration space: the standard header with
 * per-byte write masks, memory BARs with sizing (the guest writes all ones
 * and reads back the size mask), the command register's memory enable, and
 * a capability list. Whenever a BAR's address or the memory enable changes,
 * the BAR is (un)mapped in the pci-host so MMIO accesses reach the owner.
 *
 * Only the first 256 bytes are modelled (no PCIe extended capabilities):
 * reads beyond read zero, writes are dropped.
 *
 * Thread-safe: config accesses come from any hart thread (one mutex).
 */
#ifndef ATOLL_MACHINE_PCI_FUNC_H
#define ATOLL_MACHINE_PCI_FUNC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_host;

#define PCI_FUNC_CFG_SIZE 256u
#define PCI_FUNC_NUM_BARS 6u

/* Standard header offsets and bits used here. */
#define PCI_CFG_VENDOR 0x00
#define PCI_CFG_DEVICE 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS_PROG 0x09
#define PCI_CFG_HEADER_TYPE 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBSYS_VENDOR 0x2c
#define PCI_CFG_SUBSYS_ID 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INT_LINE 0x3c
#define PCI_CFG_INT_PIN 0x3d
#define PCI_CFG_CAP_START 0x40

#define PCI_CMD_MEMORY 0x0002u
#define PCI_CMD_MASTER 0x0004u
#define PCI_CMD_INTX_DISABLE 0x0400u
#define PCI_STATUS_CAP_LIST 0x0010u
#define PCI_STATUS_INTX 0x0008u

#define PCI_BAR_MEM_64 0x4u

struct pci_func {
	pthread_mutex_t lock;
	uint8_t cfg[PCI_FUNC_CFG_SIZE];
	uint8_t wmask[PCI_FUNC_CFG_SIZE];
	uint64_t bar_size[PCI_FUNC_NUM_BARS];  /* 0: not implemented */
	bool bar_64[PCI_FUNC_NUM_BARS];
	uint64_t mapped[PCI_FUNC_NUM_BARS];    /* base now mapped, or 0 */
	unsigned cap_end;                      /* next free capability byte */
	unsigned last_cap;                     /* offset of the last cap, 0 */
	struct pci_host *host;                 /* NULL until plugged */
	unsigned slot;
};

struct pci_func_ids {
	uint16_t vendor, device, subsys_vendor, subsys_id;
	uint8_t revision;
	uint32_t class_code;                   /* class << 16 | sub << 8 | prog */
	uint8_t intx_pin;                      /* 1 = INTA, 0 = none */
};

void pci_func_init(struct pci_func *f, const struct pci_func_ids *ids);
void pci_func_fini(struct pci_func *f);

/* Declares memory BAR `bar` (size: a power of two >= 16). 64-bit BARs take
 * bar and bar + 1. Before pci_func_plug only. Returns 0 or -EINVAL. */
int pci_func_add_bar(struct pci_func *f, unsigned bar, uint64_t size,
		     bool is_64);

/* Appends a capability whose body (everything after id and next) is
 * `body`/`len` bytes, read-only to the guest. Returns its config offset
 * or -ENOSPC. Before pci_func_plug only. */
int pci_func_add_cap(struct pci_func *f, uint8_t id, const void *body,
		     unsigned len);

/* Connects the function to the host at `slot`: from then on BAR changes
 * are (un)mapped there. The host's slot registration is the caller's. */
void pci_func_plug(struct pci_func *f, struct pci_host *h, unsigned slot);

/* Config accesses: off < 4096, size 1/2/4, naturally aligned. */
uint32_t pci_func_cfg_read(struct pci_func *f, unsigned off, unsigned size);
void pci_func_cfg_write(struct pci_func *f, unsigned off, unsigned size,
			uint32_t val);

/* Current command register (for the INTx disable bit). */
uint16_t pci_func_command(struct pci_func *f);
/* Reflects the INTx line in the status register's interrupt bit. */
void pci_func_set_intx_status(struct pci_func *f, bool level);

#endif
