/* SPDX-License-Identifier: MIT */
/*
 * ns16550a UART (byte registers, reg-shift 0) with a 16-byte receive FIFO.
 * Transmission is instant: THR writes go straight to the tx callback, so
 * THRE/TEMT are always set. The interrupt output is level-triggered and
 * follows the IIR priority order: line status, received data, THR empty,
 * modem status.
 *
 * Thread-safe: registers are accessed from hart threads while the I/O
 * thread pushes received bytes. Callbacks run with the UART lock held and
 * must not call back into the UART.
 */
#ifndef ATOLL_MACHINE_UART_H
#define ATOLL_MACHINE_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_SIZE 0x100u
#define UART_FIFO_SIZE 16u

/* Register offsets. */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_FIFO 0xc0

#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02

struct uart;

struct uart_ops {
	/* A byte the guest transmitted. */
	void (*tx)(void *opaque, uint8_t byte);
	/* Level of the interrupt output. */
	void (*irq)(void *opaque, bool level);
	/* The receive FIFO went from full to having room (optional): the
	 * feeder may push again. */
	void (*rx_space)(void *opaque);
};

struct uart *uart_new(const struct uart_ops *ops, void *opaque);
void uart_free(struct uart *u);

/* Queues received bytes; returns how many fit (the rest must be pushed
 * again after rx_space). Never drops a byte it accepted. */
size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t len);
/* Free room in the receive FIFO. */
size_t uart_rx_room(struct uart *u);

/* Any size 1..8 at an offset < UART_SIZE; the low byte is the register
 * value. Offsets 8 and up read as zero. Returns 0 or -EINVAL. */
int uart_read(struct uart *u, uint64_t off, unsigned size, uint64_t *val);
int uart_write(struct uart *u, uint64_t off, unsigned size, uint64_t val);

#endif
