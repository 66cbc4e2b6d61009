/* SPDX-License-Identifier: MIT */
#include "virt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "boot.h"
#include "boot-elf.h"
#include "boot-kernel.h"
#include "virt-fdt.h"
#include "pci-host.h"
#include "platform-bus.h"
#include "plic.h"
#include "rv.h"
#include "syscon.h"
#include "uart.h"
#include "virt-map.h"

#define VIRT_ISA "rv64imafdc_zicsr_zifencei_zihintpause"
/* At most this long (waits x ms) for a full console stream, per stall. */
#define VIRT_TX_WAITS 10
#define VIRT_TX_WAIT_MS 10

struct hart_thread {
	struct virt *v;
	unsigned index;
	pthread_t tid;
};

struct virt {
	struct virt_config cfg;
	struct virt_events ev;
	void *opaque;
	struct rv_vm *vm;
	struct plic *plic;
	struct uart *uart;
	struct pci_host *pci;
	struct platform_bus *pbus;
	const struct virt_fdt_dev *devs;   /* the caller's, until the boot */
	unsigned ndevs;
	uint8_t rom[VIRT_MROM_SIZE];
	uint64_t fdt_addr;
	bool booted;
	bool running;
	bool tx_stalled;           /* see uart_tx */
	struct hart_thread threads[RV_MAX_HARTS];
	pthread_mutex_t exit_lock; /* guards the three exit fields */
	enum virt_exit exit;       /* first writer wins */
	uint32_t exit_code;
	const char *exit_detail;
};

/* Records the first exit reason, stops every hart, tells the owner. */
static void set_exit(struct virt *v, enum virt_exit why, uint32_t code,
		     const char *detail)
{
	pthread_mutex_lock(&v->exit_lock);
	if (v->exit != VIRT_RUNNING) {
		pthread_mutex_unlock(&v->exit_lock);
		return;
	}
	v->exit = why;
	v->exit_code = code;
	v->exit_detail = detail;
	pthread_mutex_unlock(&v->exit_lock);
	rv_vm_stop(v->vm);
	if (v->ev.exited)
		v->ev.exited(v->opaque);
}

static void syscon_write(struct virt *v, uint64_t off, uint64_t val)
{
	uint32_t code = 0;

	switch (syscon_decode(off, val, &code)) {
	case SYSCON_ACTION_POWEROFF:
		set_exit(v, VIRT_POWEROFF, 0, "guest powered off");
		break;
	case SYSCON_ACTION_RESET:
		set_exit(v, VIRT_RESET, 0, "guest requested reset");
		break;
	case SYSCON_ACTION_FAIL:
		set_exit(v, VIRT_FAIL, code, "guest reported failure");
		break;
	default:
		break;
	}
}

static bool in(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

static int mmio_read(void *opaque, uint64_t pa, unsigned size, uint64_t *val)
{
	struct virt *v = opaque;

	if (in(pa, VIRT_UART0_BASE, VIRT_UART0_SIZE))
		return uart_read(v->uart, pa - VIRT_UART0_BASE, size, val);
	if (in(pa, VIRT_PLIC_BASE, VIRT_PLIC_SIZE))
		return plic_read(v->plic, pa - VIRT_PLIC_BASE, size, val);
	if (in(pa, VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE))
		return pci_host_ecam_read(v->pci, pa - VIRT_PCIE_ECAM_BASE,
					  size, val);
	if (in(pa, VIRT_TEST_BASE, VIRT_TEST_SIZE)) {
		*val = 0;
		return 0;
	}
	if (in(pa, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE))
		return pci_host_mmio_read(v->pci, pa, size, val);
	if (in(pa, VIRT_PLATFORM_BUS_BASE, VIRT_PLATFORM_BUS_SIZE))
		return platform_bus_read(v->pbus, pa, size, val);
	/* No I/O BARs: the PIO window reads as all ones. */
	if (in(pa, VIRT_PCIE_PIO_BASE, VIRT_PCIE_PIO_SIZE)) {
		*val = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
		return 0;
	}
	return -EFAULT;
}

static int mmio_write(void *opaque, uint64_t pa, unsigned size, uint64_t val)
{
	struct virt *v = opaque;

	if (in(pa, VIRT_UART0_BASE, VIRT_UART0_SIZE))
		return uart_write(v->uart, pa - VIRT_UART0_BASE, size, val);
	if (in(pa, VIRT_PLIC_BASE, VIRT_PLIC_SIZE))
		return plic_write(v->plic, pa - VIRT_PLIC_BASE, size, val);
	if (in(pa, VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE))
		return pci_host_ecam_write(v->pci, pa - VIRT_PCIE_ECAM_BASE,
					   size, val);
	if (in(pa, VIRT_TEST_BASE, VIRT_TEST_SIZE)) {
		syscon_write(v, pa - VIRT_TEST_BASE, val);
		return 0;
	}
	if (in(pa, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE))
		return pci_host_mmio_write(v->pci, pa, size, val);
	if (in(pa, VIRT_PLATFORM_BUS_BASE, VIRT_PLATFORM_BUS_SIZE))
		return platform_bus_write(v->pbus, pa, size, val);
	if (in(pa, VIRT_PCIE_PIO_BASE, VIRT_PCIE_PIO_SIZE))
		return 0;
	return -EFAULT;
}

static const struct rv_mmio_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

static void plic_out(void *opaque, unsigned ctx, bool level)
{
	struct virt *v = opaque;
	struct rv_hart *h = rv_vm_hart(v->vm, ctx / 2);

	if (h)
		rv_hart_set_irq(h, ctx % 2 ? RV_MIP_SEIP : RV_MIP_MEIP, level);
}

/* Runs with the UART's lock held, which the cpu server's event loop takes
 * too. A full console stream gets one bounded wait (back-pressure, as a
 * UART at line speed gives); once a wait did not help, bytes are dropped
 * without waiting until the stream takes one again, so a console peer that
 * stops reading (or a stopped launcher) costs the guest one wait, not one
 * per byte. tx_stalled is guarded by the UART's lock. */
static void uart_tx(void *opaque, uint8_t b)
{
	struct virt *v = opaque;
	struct pollfd p = { .fd = v->cfg.console_fd, .events = POLLOUT };
	int waits = v->tx_stalled ? 0 : VIRT_TX_WAITS;

	if (v->cfg.console_fd < 0)
		return;
	for (;;) {
		ssize_t n = write(v->cfg.console_fd, &b, 1);

		if (n == 1) {
			v->tx_stalled = false;
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if ((n < 0 && errno != EAGAIN) || waits-- == 0)
			break;
		poll(&p, 1, VIRT_TX_WAIT_MS);
	}
	if (!v->tx_stalled)
		fprintf(stderr, "atoll-cpu: console output is not being read; "
			"dropping guest output until it is\n");
	v->tx_stalled = true;
}

static void uart_irq(void *opaque, bool level)
{
	struct virt *v = opaque;

	plic_set_line(v->plic, VIRT_UART0_IRQ, level);
}

/* PCI INTx lines (already ORed by the host) into the PLIC. */
static void pci_irq(void *opaque, unsigned irq, bool level)
{
	struct virt *v = opaque;

	plic_set_line(v->plic, irq, level);
}

static void uart_rx_space(void *opaque)
{
	struct virt *v = opaque;

	if (v->ev.rx_space)
		v->ev.rx_space(v->opaque);
}

static const struct uart_ops uart_ops = {
	.tx = uart_tx,
	.irq = uart_irq,
	.rx_space = uart_rx_space,
};

static int create_parts(struct virt *v)
{
	struct rv_vm_config rc = {
		.ram = v->cfg.ram,
		.ram_base = VIRT_DRAM_BASE,
		.ram_size = v->cfg.ram_size,
		.rom = v->rom,
		.rom_base = VIRT_MROM_BASE,
		.rom_size = VIRT_MROM_SIZE,
		.nharts = v->cfg.nharts,
		.mmio = &mmio_ops,
		.mmio_opaque = v,
		.clint_base = VIRT_CLINT_BASE,
		.tohost_addr = v->cfg.tohost_addr,
		.engine = v->cfg.engine,
		.max_insns = v->cfg.max_insns,
	};

	v->vm = rv_vm_new(&rc);
	if (!v->vm)
		return -errno;
	v->plic = plic_new(2 * v->cfg.nharts, plic_out, v);
	if (!v->plic)
		return -errno;
	v->uart = uart_new(&uart_ops, v);
	if (!v->uart)
		return -errno;
	v->pci = pci_host_new(VIRT_PCIE_ECAM_SIZE);
	if (!v->pci)
		return -ENOMEM;
	pci_host_set_irq_handler(v->pci, pci_irq, v);
	v->pbus = platform_bus_new(VIRT_PLATFORM_BUS_BASE,
				   VIRT_PLATFORM_BUS_SIZE);
	return v->pbus ? 0 : -ENOMEM;
}

struct virt *virt_new(const struct virt_config *cfg,
		      const struct virt_events *ev, void *opaque)
{
	struct virt *v;
	int r;

	if (!cfg->ram || !cfg->ram_size || !cfg->nharts ||
	    cfg->nharts > RV_MAX_HARTS) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	pthread_mutex_init(&v->exit_lock, NULL);
	v->cfg = *cfg;
	if (!v->cfg.mmu_type)
		v->cfg.mmu_type = "riscv,sv48";
	if (ev)
		v->ev = *ev;
	v->opaque = opaque;
	r = create_parts(v);
	if (r < 0) {
		virt_free(v);
		errno = -r;
		return NULL;
	}
	return v;
}

void virt_free(struct virt *v)
{
	if (!v)
		return;
	if (v->running)
		virt_stop(v);
	pci_host_free(v->pci);
	platform_bus_free(v->pbus);
	uart_free(v->uart);
	plic_free(v->plic);
	rv_vm_free(v->vm);
	pthread_mutex_destroy(&v->exit_lock);
	free(v);
}

/*
 * Every boot gets a fresh /chosen/rng-seed, as on QEMU's virt machine: the
 * kernel seeds its CRNG from it at once, instead of running unseeded (and
 * serialising every random-number request on one lock) until it has
 * gathered entropy.
 */
#define RNG_SEED_LEN 32

static void fdt_params(const struct virt *v, const char *bootargs,
		       const uint8_t *seed, struct virt_fdt_params *fp)
{
	*fp = (struct virt_fdt_params){
		.nharts = v->cfg.nharts,
		.ram_base = VIRT_DRAM_BASE,
		.ram_size = v->cfg.ram_size,
		.bootargs = bootargs,
		.isa = VIRT_ISA,
		.mmu_type = v->cfg.mmu_type,
		.rng_seed = seed,
		.rng_seed_len = RNG_SEED_LEN,
		.devs = v->devs,
		.ndevs = v->ndevs,
	};
}

/* Builds the dtb for the given initrd range and copies it to fdt_addr. */
static int place_fdt(struct virt *v, const char *bootargs, uint64_t fdt_addr,
		     uint64_t initrd_start, uint64_t initrd_end)
{
	struct virt_fdt_params fp;
	uint8_t seed[RNG_SEED_LEN];
	void *blob;
	size_t len;

	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		return -errno;
	fdt_params(v, bootargs, seed, &fp);
	fp.initrd_start = initrd_start;
	fp.initrd_end = initrd_end;
	int r = virt_fdt_build(&fp, &blob, &len);

	if (r < 0)
		return r;
	if (fdt_addr - VIRT_DRAM_BASE + len > v->cfg.ram_size) {
		free(blob);
		return -E2BIG;
	}
	memcpy((uint8_t *)v->cfg.ram + (fdt_addr - VIRT_DRAM_BASE), blob, len);
	free(blob);
	v->fdt_addr = fdt_addr;
	return 0;
}

/* The dtb's size does not depend on the addresses or the seed in it, so it
 * is built once to size the layout and once more with the final values. */
static int fdt_size(struct virt *v, const char *bootargs, size_t *len)
{
	static const uint8_t zero_seed[RNG_SEED_LEN];
	struct virt_fdt_params fp;
	void *blob;

	fdt_params(v, bootargs, zero_seed, &fp);
	fp.initrd_start = 1;
	fp.initrd_end = 2;
	int r = virt_fdt_build(&fp, &blob, len);

	if (r == 0)
		free(blob);
	return r;
}

static void reset_harts(struct virt *v, uint64_t start, uint64_t next,
			uint64_t mode)
{
	boot_rom_build(v->rom, start, v->fdt_addr, next, mode);
	for (unsigned i = 0; i < v->cfg.nharts; i++)
		rv_hart_reset(rv_vm_hart(v->vm, i), VIRT_MROM_BASE);
	v->booted = true;
}

static void *ram_at(struct virt *v, uint64_t pa)
{
	return (uint8_t *)v->cfg.ram + (pa - VIRT_DRAM_BASE);
}

/* An Image is copied whole to its slot; an ELF by its program headers,
 * which boot_plan() has checked lie inside [kernel_addr, kernel_end). */
static int load_kernel(struct virt *v, const struct virt_linux_boot *b,
		       const struct boot_kernel *k, const struct boot_layout *l,
		       char *err, size_t errlen)
{
	struct boot_elf_span span;

	if (k->kind == BOOT_KERNEL_IMAGE) {
		memcpy(ram_at(v, l->kernel_addr), b->kernel, b->kernel_len);
		return 0;
	}
	return boot_elf_load(b->kernel, b->kernel_len, v->cfg.ram,
			     VIRT_DRAM_BASE, l->kernel_addr, l->kernel_end,
			     &span, err, errlen);
}

int virt_boot_linux(struct virt *v, const struct virt_linux_boot *b,
		    char *err, size_t errlen)
{
	struct boot_layout l;
	struct boot_kernel k;
	size_t flen;
	int r = fdt_size(v, b->bootargs, &flen);
	struct boot_inputs bi = {
		.ram_base = VIRT_DRAM_BASE, .ram_size = v->cfg.ram_size,
		.fw_size = b->fw ? b->fw_len : 0,
		.initrd_size = b->initrd ? b->initrd_len : 0,
		.fdt_size = flen,
	};

	if (r < 0) {
		snprintf(err, errlen, "cannot build the device tree: %s",
			 strerror(-r));
		return r;
	}
	r = boot_kernel_probe(b->kernel, b->kernel_len, &k, err, errlen);
	if (r < 0)
		return r;
	bi.kernel_size = bi.kernel_mem_size = k.mem_size;
	bi.kernel_fixed = k.kind == BOOT_KERNEL_ELF;
	bi.kernel_load_addr = k.load_addr;
	r = boot_plan(&bi, &l, err, errlen);
	if (r < 0)
		return r;
	if (b->fw)
		memcpy(ram_at(v, l.fw_addr), b->fw, b->fw_len);
	r = load_kernel(v, b, &k, &l, err, errlen);
	if (r < 0)
		return r;
	if (bi.initrd_size)
		memcpy(ram_at(v, l.initrd_addr), b->initrd, b->initrd_len);
	r = place_fdt(v, b->bootargs, l.fdt_addr, l.initrd_addr, l.initrd_end);
	if (r < 0) {
		snprintf(err, errlen, "cannot place the device tree: %s",
			 strerror(-r));
		return r;
	}
	reset_harts(v, l.entry, l.kernel_addr, BOOT_NEXT_MODE_S);
	return 0;
}

int virt_boot_bare(struct virt *v, const void *file, size_t len,
		   char *err, size_t errlen)
{
	uint64_t entry;
	size_t flen;
	struct boot_inputs bi = { .ram_base = VIRT_DRAM_BASE,
				  .ram_size = v->cfg.ram_size };
	struct boot_layout l;
	int r = fdt_size(v, NULL, &flen);

	if (r < 0)
		return r;
	bi.fdt_size = flen;
	r = boot_plan(&bi, &l, err, errlen);
	if (r < 0)
		return r;
	/* Below the device tree, which would overwrite the program. */
	r = boot_load_bare(file, len, v->cfg.ram, VIRT_DRAM_BASE,
			   l.fdt_addr - VIRT_DRAM_BASE, &entry, err, errlen);
	if (r < 0)
		return r;
	r = place_fdt(v, NULL, l.fdt_addr, 0, 0);
	if (r < 0)
		return r;
	reset_harts(v, entry, 0, 0);
	return 0;
}

static void *hart_main(void *arg)
{
	struct hart_thread *t = arg;
	struct virt *v = t->v;
	int why = rv_hart_run(rv_vm_hart(v->vm, t->index));

	switch (why) {
	case RV_EXIT_TOHOST_PASS:
		set_exit(v, VIRT_POWEROFF, 0, "tohost pass");
		break;
	case RV_EXIT_TOHOST_FAIL:
		set_exit(v, VIRT_FAIL, (uint32_t)(rv_vm_tohost(v->vm) >> 1),
			 "tohost fail");
		break;
	case RV_EXIT_INSN_LIMIT:
		set_exit(v, VIRT_INSN_LIMIT, 0, "instruction limit reached");
		break;
	case RV_EXIT_FATAL:
		set_exit(v, VIRT_FATAL, 0, rv_vm_error(v->vm));
		break;
	default:
		break; /* stopped by the owner or by another hart's exit */
	}
	return NULL;
}

int virt_start(struct virt *v)
{
	unsigned i;
	int r = 0;

	if (!v->booted || v->running)
		return -EINVAL;
	rv_vm_resume(v->vm);
	for (i = 0; i < v->cfg.nharts; i++) {
		v->threads[i].v = v;
		v->threads[i].index = i;
		r = -pthread_create(&v->threads[i].tid, NULL, hart_main,
				    &v->threads[i]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		rv_vm_stop(v->vm);
		while (i-- > 0)
			pthread_join(v->threads[i].tid, NULL);
		return r;
	}
	v->running = true;
	return 0;
}

void virt_stop(struct virt *v)
{
	if (!v->running)
		return;
	rv_vm_stop(v->vm);
	for (unsigned i = 0; i < v->cfg.nharts; i++)
		pthread_join(v->threads[i].tid, NULL);
	v->running = false;
}

enum virt_exit virt_exit_status(struct virt *v, uint32_t *code,
				const char **detail)
{
	enum virt_exit e;

	pthread_mutex_lock(&v->exit_lock);
	e = v->exit;
	if (code)
		*code = v->exit_code;
	if (detail)
		*detail = v->exit_detail;
	pthread_mutex_unlock(&v->exit_lock);
	return e;
}

void virt_describe_harts(struct virt *v, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < v->cfg.nharts && off < len; i++) {
		struct rv_hart *h = rv_vm_hart(v->vm, i);
		uint64_t mc = 0, mepc = 0, mtval = 0, sc = 0, sepc = 0, stval = 0;

		rv_hart_get_csr(h, 0x342, &mc);
		rv_hart_get_csr(h, 0x341, &mepc);
		rv_hart_get_csr(h, 0x343, &mtval);
		rv_hart_get_csr(h, 0x142, &sc);
		rv_hart_get_csr(h, 0x141, &sepc);
		rv_hart_get_csr(h, 0x143, &stval);
		int n = snprintf(buf + off, len - off,
				 "hart %u: pc=%#llx priv=%u insns=%llu "
				 "mcause=%#llx mepc=%#llx mtval=%#llx "
				 "scause=%#llx sepc=%#llx stval=%#llx ra=%#llx\n",
				 i, (unsigned long long)rv_hart_get_pc(h),
				 rv_hart_get_priv(h),
				 (unsigned long long)rv_hart_insn_count(h),
				 (unsigned long long)mc, (unsigned long long)mepc,
				 (unsigned long long)mtval, (unsigned long long)sc,
				 (unsigned long long)sepc,
				 (unsigned long long)stval,
				 (unsigned long long)rv_hart_get_reg(h, 1));

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

struct uart *virt_uart(struct virt *v)
{
	return v->uart;
}

void virt_set_irq(struct virt *v, unsigned source, bool level)
{
	plic_set_line(v->plic, source, level);
}

struct pci_host *virt_pci_host(struct virt *v)
{
	return v->pci;
}

struct platform_bus *virt_platform_bus(struct virt *v)
{
	return v->pbus;
}

void virt_set_platform_devices(struct virt *v, const struct virt_fdt_dev *d,
			       unsigned n)
{
	v->devs = d;
	v->ndevs = n;
}

const void *virt_fdt(struct virt *v, uint64_t *addr)
{
	if (!v->fdt_addr)
		return NULL;
	if (addr)
		*addr = v->fdt_addr;
	return ram_at(v, v->fdt_addr);
}
