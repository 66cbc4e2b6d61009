/* SPDX-License-Identifier: MIT */
/*
 * Bare-metal benchmark programs for the QEMU-virt memory map, which
 * atoll-cpu --machine riscv-virt --bios none --bare and qemu-system-riscv64
 * -M virt -bios none -kernel both provide: ns16550a UART at 0x10000000,
 * CLINT mtime (10 MHz) at 0x0200bff8, sifive_test finisher at 0x100000.
 * Each program defines bench_name and bench_work(); bm-main.c times the
 * work with mtime inside the guest (so emulator start-up is not counted)
 * and prints one line the host parses:
 *   BENCH name=NAME ticks=T hz=10000000 instret=I sum=HEX
 * instret is the minstret delta; it is exact only on an emulator that
 * counts retired instructions (atoll); QEMU without -icount returns host
 * cycles there, so the host takes the count from an atoll run.
 */
#ifndef BM_H
#define BM_H

#include <stdint.h>

#define BM_UART 0x10000000ul
#define BM_MTIME 0x0200bff8ul
#define BM_FINISHER 0x100000ul
#define BM_MTIME_HZ 10000000ul

extern const char bench_name[];
uint64_t bench_work(void);

void bm_puts(const char *s);
void bm_putu(uint64_t v);
void bm_putx(uint64_t v);
uint64_t bm_mtime(void);
uint64_t bm_instret(void);
void bm_exit(int code) __attribute__((noreturn));

#endif
