/* SPDX-License-Identifier: MIT */
/* The riscv-virt memory map and interrupt numbers: QEMU virt's, so that
 * firmware and kernels built for it run unchanged. The one place they are
 * written down: the machine, the device tree and the launcher (which lays
 * out guest RAM at VIRT_DRAM_BASE) all take them from here. */
#ifndef ATOLL_MACHINE_VIRT_MAP_H
#define ATOLL_MACHINE_VIRT_MAP_H

#define VIRT_MROM_BASE 0x1000ull
#define VIRT_MROM_SIZE 0xf000ull
#define VIRT_TEST_BASE 0x100000ull
#define VIRT_TEST_SIZE 0x1000ull
#define VIRT_CLINT_BASE 0x2000000ull
#define VIRT_CLINT_SIZE 0x10000ull
#define VIRT_PCIE_PIO_BASE 0x3000000ull
#define VIRT_PCIE_PIO_SIZE 0x10000ull
/* QEMU virt's platform bus (dynamic sysbus devices): generic platform
 * devices' MMIO windows are placed here, their lines on sources 64..95. */
#define VIRT_PLATFORM_BUS_BASE 0x4000000ull
#define VIRT_PLATFORM_BUS_SIZE 0x2000000ull
#define VIRT_PLIC_BASE 0xc000000ull
#define VIRT_PLIC_SIZE 0x600000ull
#define VIRT_UART0_BASE 0x10000000ull
#define VIRT_UART0_SIZE 0x100ull
#define VIRT_PCIE_ECAM_BASE 0x30000000ull
#define VIRT_PCIE_ECAM_SIZE 0x10000000ull
#define VIRT_PCIE_MMIO_BASE 0x40000000ull
#define VIRT_PCIE_MMIO_SIZE 0x40000000ull
#define VIRT_DRAM_BASE 0x80000000ull

#define VIRT_UART0_IRQ 10u
#define VIRT_PCIE_IRQ 32u          /* INTA..INTD are 32..35 */
#define VIRT_PLATFORM_BUS_IRQ 64u
#define VIRT_PLATFORM_BUS_NUM_IRQS 32u
#define VIRT_PLIC_NDEV 95u         /* sources 1..95 */

#define VIRT_TIMEBASE_HZ 10000000u
#define VIRT_UART_CLOCK_HZ 3686400u

#endif
