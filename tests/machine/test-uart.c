/* SPDX-License-Identifier: MIT */
/* ns16550a: registers, DLAB, FIFO, loopback and interrupt conditions. */
#include <stdbool.h>
#include <stdint.h>

#include "test-util.h"
#include "uart.h"

static uint8_t txbuf[64];
static unsigned ntx, nspace;
static bool irq;
static struct uart *u;

static void on_tx(void *o, uint8_t b)
{
	if (ntx < sizeof(txbuf))
		txbuf[ntx] = b;
	ntx++;
}
static void on_irq(void *o, bool level) { irq = level; }
static void on_space(void *o) { nspace++; }

static const struct uart_ops ops = { on_tx, on_irq, on_space };

static void setup(void)
{
	ntx = nspace = 0;
	irq = false;
	u = uart_new(&ops, NULL);
	ck_assert_ptr_nonnull(u);
}

static void teardown(void) { uart_free(u); }

static uint8_t rd(unsigned reg)
{
	uint64_t v = ~0ull;

	CHECK_OK(uart_read(u, reg, 1, &v));
	return (uint8_t)v;
}

static void wr(unsigned reg, uint8_t v)
{
	CHECK_OK(uart_write(u, reg, 1, v));
}

START_TEST(tx_goes_out_and_lsr_empty)
{
	wr(UART_THR, 'h');
	wr(UART_THR, 'i');
	ck_assert_uint_eq(ntx, 2);
	ck_assert_uint_eq(txbuf[0], 'h');
	ck_assert_uint_eq(txbuf[1], 'i');
	ck_assert_uint_eq(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			  UART_LSR_THRE | UART_LSR_TEMT);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert(!irq); /* IER is 0 */
}
END_TEST

START_TEST(dlab_switches_registers)
{
	wr(UART_LCR, UART_LCR_DLAB | 0x03);
	wr(UART_DLL, 0x34);
	wr(UART_DLM, 0x12);
	ck_assert_uint_eq(ntx, 0);       /* DLL write is not a THR write */
	ck_assert_uint_eq(rd(UART_DLL), 0x34);
	ck_assert_uint_eq(rd(UART_DLM), 0x12);
	wr(UART_LCR, 0x03);
	ck_assert_uint_eq(rd(UART_IER), 0);
	ck_assert_uint_eq(rd(UART_LCR), 0x03);
	wr(UART_SCR, 0x5a);
	ck_assert_uint_eq(rd(UART_SCR), 0x5a);
}
END_TEST

START_TEST(rx_data_interrupt)
{
	const uint8_t in[3] = { 'a', 'b', 'c' };

	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_NO_INT);
	wr(UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(uart_rx_push(u, in, 3), 3);
	ck_assert(irq);
	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_RDI);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_uint_eq(rd(UART_RBR), 'b');
	ck_assert(irq);
	ck_assert_uint_eq(rd(UART_RBR), 'c');
	ck_assert(!irq);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(rx_fifo_never_drops)
{
	uint8_t in[40];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	ck_assert_uint_eq(uart_rx_push(u, in, sizeof(in)), UART_FIFO_SIZE);
	ck_assert_uint_eq(uart_rx_room(u), 0);
	ck_assert_uint_eq(uart_rx_push(u, in, 1), 0);
	ck_assert_uint_eq(rd(UART_RBR), 0);
	ck_assert_uint_eq(nspace, 1);    /* full -> room reported once */
	ck_assert_uint_eq(uart_rx_push(u, in + UART_FIFO_SIZE, 24), 1);
	for (unsigned i = 1; i <= UART_FIFO_SIZE; i++)
		ck_assert_uint_eq(rd(UART_RBR), i);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, 0);
}
END_TEST

START_TEST(thre_interrupt_cycle)
{
	wr(UART_IER, UART_IER_THRI);
	ck_assert(irq);                  /* enabling with THR empty raises it */
	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_THRI);
	ck_assert(!irq);                 /* reading IIR acknowledged it */
	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_NO_INT);
	wr(UART_THR, 'x');
	ck_assert(irq);                  /* THR empty again after the write */
	wr(UART_IER, 0);
	ck_assert(!irq);
}
END_TEST

START_TEST(rx_outranks_thre)
{
	const uint8_t b = 'z';

	wr(UART_IER, UART_IER_THRI | UART_IER_RDI);
	uart_rx_push(u, &b, 1);
	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_RDI);
	ck_assert_uint_eq(rd(UART_RBR), 'z');
	ck_assert_uint_eq(rd(UART_IIR) & 0x0f, UART_IIR_THRI);
}
END_TEST

START_TEST(fifo_bits_and_clear)
{
	const uint8_t in[4] = "abc";

	wr(UART_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(rd(UART_IIR) & UART_IIR_FIFO, UART_IIR_FIFO);
	uart_rx_push(u, in, 3);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(loopback)
{
	const uint8_t b = 'q';

	wr(UART_MCR, UART_MCR_LOOP | 0x0b);  /* DTR, RTS, OUT2 */
	ck_assert_uint_eq(rd(UART_MSR) & 0xf0, 0x20 | 0x10 | 0x80);
	wr(UART_THR, 'L');
	ck_assert_uint_eq(ntx, 0);
	ck_assert_uint_eq(rd(UART_RBR), 'L');
	ck_assert_uint_eq(uart_rx_push(u, &b, 1), 0); /* line disconnected */
	wr(UART_MCR, 0);
	ck_assert_uint_eq(rd(UART_MSR) & 0xf0, 0xb0);
}
END_TEST

START_TEST(bounds)
{
	uint64_t v;

	CHECK_RET(uart_read(u, UART_SIZE, 1, &v), -EINVAL);
	CHECK_RET(uart_write(u, 0, 0, 0), -EINVAL);
	CHECK_OK(uart_read(u, 0x40, 4, &v));
	ck_assert_uint_eq(v, 0);
}
END_TEST

static Suite *uart_suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tx_goes_out_and_lsr_empty);
	tcase_add_test(tc, dlab_switches_registers);
	tcase_add_test(tc, rx_data_interrupt);
	tcase_add_test(tc, rx_fifo_never_drops);
	tcase_add_test(tc, thre_interrupt_cycle);
	tcase_add_test(tc, rx_outranks_thre);
	tcase_add_test(tc, fifo_bits_and_clear);
	tcase_add_test(tc, loopback);
	tcase_add_test(tc, bounds);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(uart_suite)
