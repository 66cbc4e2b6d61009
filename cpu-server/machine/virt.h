/* SPDX-License-Identifier: MIT */
/*
 * The riscv-virt machine: RV64GC harts (cpu-server/riscv) plus boot ROM,
 * CLINT (served inside the core), PLIC, ns16550a UART, sifive_test syscon
 * and a PCIe ECAM host, at QEMU virt's addresses (virt-map.h).
 *
 * The owner (atoll-cpu's main loop) supplies RAM and a console fd, loads a
 * boot payload, starts one thread per hart and is told through `exited`
 * (from a hart thread) when the guest powers off, resets, fails or the
 * emulation stops on an error.
 */
#ifndef ATOLL_MACHINE_VIRT_H
#define ATOLL_MACHINE_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uart;
struct pci_host;
struct platform_bus;
struct virt_fdt_dev;

enum virt_exit {
	VIRT_RUNNING = 0,
	VIRT_POWEROFF,     /* syscon 0x5555, or tohost pass */
	VIRT_RESET,        /* syscon 0x7777 */
	VIRT_FAIL,         /* syscon 0x3333 or tohost fail; code set */
	VIRT_FATAL,        /* emulation error */
	VIRT_INSN_LIMIT,   /* a hart used up its instruction budget */
};

struct virt_events {
	/* The VM stopped for good (first exit only). Called on a hart
	 * thread; must only wake the owner. */
	void (*exited)(void *opaque);
	/* The UART has room for more input. Called on a hart thread. */
	void (*rx_space)(void *opaque);
};

struct virt_config {
	unsigned nharts;
	void *ram;                 /* guest RAM at VIRT_DRAM_BASE */
	uint64_t ram_size;
	int console_fd;            /* guest output is written here; -1 drops */
	uint64_t tohost_addr;      /* 0: none */
	int engine;                /* enum rv_engine */
	uint64_t max_insns;        /* per hart, 0: unlimited */
	const char *mmu_type;      /* NULL: "riscv,sv48" */
};

struct virt_linux_boot {
	const void *fw;            /* NULL: no firmware (kernel runs in M) */
	size_t fw_len;
	const void *kernel;
	size_t kernel_len;
	const void *initrd;        /* NULL: none */
	size_t initrd_len;
	const char *bootargs;      /* NULL: none */
};

struct virt;

/* Returns NULL with errno set. */
struct virt *virt_new(const struct virt_config *cfg,
		      const struct virt_events *ev, void *opaque);
/* Stops and joins the harts if running. Accepts NULL. */
void virt_free(struct virt *v);

/* Loads firmware + kernel + initrd + dtb and points every hart at the
 * reset vector. Returns 0 or a negative errno with a reason in err. */
int virt_boot_linux(struct virt *v, const struct virt_linux_boot *b,
		    char *err, size_t errlen);
/* Loads a bare-metal ELF or raw binary (see boot_load_bare); harts start
 * at its entry through the reset vector, a1 = dtb. */
int virt_boot_bare(struct virt *v, const void *file, size_t len,
		   char *err, size_t errlen);

/* Starts one thread per hart. Returns 0 or a negative errno. */
int virt_start(struct virt *v);
/* Makes every hart return and joins the threads (pause). */
void virt_stop(struct virt *v);

/* How the VM ended (VIRT_RUNNING while it has not); *code for FAIL. */
enum virt_exit virt_exit_status(struct virt *v, uint32_t *code,
				const char **detail);

struct uart *virt_uart(struct virt *v);

/* The PCIe host, for device models to register slots (before
 * virt_start). */
struct pci_host *virt_pci_host(struct virt *v);

/* The platform bus (VIRT_PLATFORM_BUS_BASE), for platform devices to map
 * their windows (before virt_start). */
struct platform_bus *virt_platform_bus(struct virt *v);

/* The platform devices' device-tree nodes, for the next virt_boot_*: the
 * device tree is built at the boot, once every device has described
 * itself. d[0..n) must stay valid until that boot returns. */
void virt_set_platform_devices(struct virt *v, const struct virt_fdt_dev *d,
			       unsigned n);

/* Drives PLIC source 1..95 (e.g. pci_host_intx_irq() of a slot) from any
 * thread. */
void virt_set_irq(struct virt *v, unsigned source, bool level);

/* Writes one line per hart (pc, privilege, instructions retired) into
 * buf, for diagnostics after a stop. */
void virt_describe_harts(struct virt *v, char *buf, size_t len);

/* For tests: the dtb as loaded into RAM (NULL before a boot). */
const void *virt_fdt(struct virt *v, uint64_t *addr);

#endif
