/* SPDX-License-Identifier: MIT */
/* Runs bench_work() once, timed by mtime inside the guest, and reports. */
#include "bm.h"

#define REG8(a) (*(volatile uint8_t *)(a))

void bm_puts(const char *s)
{
	for (; *s; s++) {
		while (!(REG8(BM_UART + 5) & 0x20))
			;
		REG8(BM_UART) = (uint8_t)*s;
	}
}

void bm_putu(uint64_t v)
{
	char b[24];
	int i = 23;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	bm_puts(b + i);
}

void bm_putx(uint64_t v)
{
	char b[17];

	for (int i = 15; i >= 0; i--, v >>= 4)
		b[i] = "0123456789abcdef"[v & 15];
	b[16] = 0;
	bm_puts(b);
}

uint64_t bm_mtime(void)
{
	return *(volatile uint64_t *)BM_MTIME;
}

uint64_t bm_instret(void)
{
	uint64_t v;

	__asm__ volatile("csrr %0, minstret" : "=r"(v));
	return v;
}

/* sifive_test: 0x5555 powers off; (code << 16) | 0x3333 fails with code. */
void bm_exit(int code)
{
	*(volatile uint32_t *)BM_FINISHER =
		code ? ((uint32_t)code << 16) | 0x3333 : 0x5555;
	for (;;)
		__asm__ volatile("wfi");
}

void bm_trap_report(uint64_t cause, uint64_t epc, uint64_t tval);
void bm_trap_report(uint64_t cause, uint64_t epc, uint64_t tval)
{
	bm_puts("BENCH-TRAP mcause=");
	bm_putx(cause);
	bm_puts(" mepc=");
	bm_putx(epc);
	bm_puts(" mtval=");
	bm_putx(tval);
	bm_puts("\n");
	bm_exit(3);
}

/* gcc may call these even in freestanding code (struct copies). */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

void *memset(void *d, int c, unsigned long n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int main(void);
int main(void)
{
	uint64_t t0, t1, i0, i1, sum;

	bm_puts("BENCH-START\n");
	i0 = bm_instret();
	t0 = bm_mtime();
	sum = bench_work();
	t1 = bm_mtime();
	i1 = bm_instret();
	bm_puts("BENCH name=");
	bm_puts(bench_name);
	bm_puts(" ticks=");
	bm_putu(t1 - t0);
	bm_puts(" hz=");
	bm_putu(BM_MTIME_HZ);
	bm_puts(" instret=");
	bm_putu(i1 - i0);
	bm_puts(" sum=");
	bm_putx(sum);
	bm_puts("\n");
	return 0;
}
