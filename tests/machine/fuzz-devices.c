/* SPDX-License-Identifier: MIT */
/* Fuzzes guest-driven register traffic into the PLIC and the UART, plus
 * line changes and console input, checking the PLIC output invariant. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "plic.h"
#include "uart.h"

#define NCTX 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool out[NCTX];
static void plic_out(void *o, unsigned ctx, bool level)
{
	if (ctx >= NCTX)
		abort();
	out[ctx] = level;
}
static void tx(void *o, uint8_t b) { (void)b; }
static void irq(void *o, bool level) { plic_set_line(o, 10, level); }

static uint64_t get(const uint8_t **p, const uint8_t *end, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plic *p = plic_new(NCTX, plic_out, NULL);
	const struct uart_ops ops = { tx, irq, NULL };
	struct uart *u = uart_new(&ops, p);
	const uint8_t *end = data + size;
	uint64_t v;

	for (unsigned i = 0; i < NCTX; i++)
		out[i] = false;
	while (data < end) {
		unsigned op = (unsigned)get(&data, end, 1);
		unsigned sz = 1u << (op >> 6);
		uint64_t off = get(&data, end, 3), val = get(&data, end, 4);

		switch (op & 7) {
		case 0: plic_read(p, off * 4 % PLIC_SIZE, sz, &v); break;
		case 1: plic_write(p, off * 4 % PLIC_SIZE, sz, val); break;
		case 2: plic_read(p, PLIC_CONTEXT_BASE + (off % 8) * PLIC_CONTEXT_STRIDE + 4, 4, &v); break;
		case 3: plic_set_line(p, (unsigned)(off % 100), val & 1); break;
		case 4: uart_read(u, off % UART_SIZE, sz, &v); break;
		case 5: uart_write(u, off % UART_SIZE, sz, val); break;
		case 6: { uint8_t b = (uint8_t)val; uart_rx_push(u, &b, 1); break; }
		default: uart_rx_room(u); break;
		}
	}
	uart_free(u);
	plic_free(p);
	return 0;
}
