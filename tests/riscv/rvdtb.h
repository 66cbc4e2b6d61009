/* SPDX-License-Identifier: MIT */
/* Device tree and OpenSBI fw_dynamic helpers for the harness machine. */
#ifndef RVDTB_H
#define RVDTB_H

#include <stddef.h>
#include <stdint.h>

#include "rvharness.h"

#define RVH_OPENSBI "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

/* Writes a DTB (CPUs, RAM, CLINT, 16550 UART without IRQ, sifive_test) of
 * at most size bytes.  Returns 0 or a negative libfdt error. */
int rvh_build_dtb(void *fdt, size_t size, unsigned nharts, uint64_t ram_size,
		  const char *bootargs, uint64_t initrd_start, uint64_t initrd_end);

/* Fills a struct fw_dynamic_info (version 2) for an S-mode next stage. */
void rvh_fw_dynamic_info(uint8_t *p, uint64_t next_addr, unsigned boot_hart);

/* Resets every hart to the firmware entry with a0 = hartid, a1 = DTB,
 * a2 = fw_dynamic_info (offsets into RAM). */
int rvh_boot_sbi(struct rvh *t, uint64_t dtb_off, uint64_t info_off);

#endif
