/* SPDX-License-Identifier: MIT */
#include "uart.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct uart {
	pthread_mutex_t lock;
	struct uart_ops ops;
	void *opaque;
	uint8_t fifo[UART_FIFO_SIZE];
	unsigned head, count;
	uint8_t ier, lcr, mcr, lsr_err, msr, scr, fcr, dll, dlm;
	bool thr_ipending;  /* THR-empty interrupt armed, not yet read via IIR */
	bool irq_level;
};

/* MSR with no loopback: carrier, data set ready and clear to send. */
#define MSR_DEFAULT 0xb0

struct uart *uart_new(const struct uart_ops *ops, void *opaque)
{
	struct uart *u;

	if (!ops || !ops->tx || !ops->irq) {
		errno = EINVAL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->ops = *ops;
	u->opaque = opaque;
	u->msr = MSR_DEFAULT;
	u->dll = 12; /* 9600 baud at 1.8432 MHz: what firmware expects at reset */
	return u;
}

void uart_free(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static uint8_t lsr(const struct uart *u)
{
	return UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err |
	       (u->count ? UART_LSR_DR : 0);
}

static uint8_t iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_err)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & 0x0f))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	bool level = iir_id(u) != UART_IIR_NO_INT;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops.irq(u->opaque, level);
	}
}

/* Locked. Returns how many bytes were queued. */
static size_t rx_queue(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && u->count < UART_FIFO_SIZE) {
		u->fifo[(u->head + u->count) % UART_FIFO_SIZE] = buf[n++];
		u->count++;
	}
	return n;
}

size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	/* In loopback mode the line is disconnected from the outside. */
	n = (u->mcr & UART_MCR_LOOP) ? 0 : rx_queue(u, buf, len);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart_rx_room(struct uart *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = UART_FIFO_SIZE - u->count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t b;
	bool was_full = u->count == UART_FIFO_SIZE;

	if (!u->count)
		return 0;
	b = u->fifo[u->head];
	u->head = (u->head + 1) % UART_FIFO_SIZE;
	u->count--;
	if (was_full && u->ops.rx_space)
		u->ops.rx_space(u->opaque);
	return b;
}

/* In loopback, MCR's DTR/RTS/OUT1/OUT2 appear as MSR's DSR/CTS/RI/DCD. */
static uint8_t msr_read(struct uart *u)
{
	uint8_t v;

	if (u->mcr & UART_MCR_LOOP) {
		uint8_t m = u->mcr;

		return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) |
				 ((m & 0x04) << 4) | ((m & 0x08) << 4));
	}
	v = u->msr;
	u->msr &= 0xf0; /* delta bits clear on read */
	return v;
}

static uint8_t reg_read(struct uart *u, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		return (u->lcr & UART_LCR_DLAB) ? u->dll : rx_pop(u);
	case UART_IER:
		return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = iir_id(u);
		if (v == UART_IIR_THRI)
			u->thr_ipending = false;
		return v | ((u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = lsr(u);
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		return msr_read(u);
	case UART_SCR:
		return u->scr;
	default:
		return 0;
	}
}

static void thr_write(struct uart *u, uint8_t b)
{
	if (u->mcr & UART_MCR_LOOP) {
		if (rx_queue(u, &b, 1) == 0)
			u->lsr_err |= UART_LSR_OE;
	} else {
		u->ops.tx(u->opaque, b);
	}
	/* The byte left at once, so THR is empty again. */
	u->thr_ipending = true;
}

static void reg_write(struct uart *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = v;
		else
			thr_write(u, v);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling THRI while THR is empty raises it, as on a 16550. */
		if (!(u->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR:
		if ((v & UART_FCR_CLEAR_RX) && u->count) {
			bool was_full = u->count == UART_FIFO_SIZE;

			u->count = 0;
			if (was_full && u->ops.rx_space)
				u->ops.rx_space(u->opaque);
		}
		u->fcr = v & 0xc9;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

static int check(uint64_t off, unsigned size)
{
	return (off >= UART_SIZE || size == 0 || size > 8) ? -EINVAL : 0;
}

int uart_read(struct uart *u, uint64_t off, unsigned size, uint64_t *val)
{
	if (check(off, size) < 0)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	*val = off < 8 ? reg_read(u, (unsigned)off) : 0;
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

int uart_write(struct uart *u, uint64_t off, unsigned size, uint64_t val)
{
	if (check(off, size) < 0)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	if (off < 8)
		reg_write(u, (unsigned)off, (uint8_t)val);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}
