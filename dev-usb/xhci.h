/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's xHCI controller core (xHCI 1.0 as Linux's xhci-hcd drives
 * it), with no bus: the program gives it guest-memory accessors and an
 * interrupt line, and forwards the guest's MMIO accesses to BAR 0.
 *
 * Everything the guest controls (registers, rings, contexts, data
 * pointers) is checked; a hostile value is refused, logged (rate-limited)
 * and answered with an error completion code or USBSTS.HCE. The core
 * never blocks and never loops without a bound.
 *
 * Single-threaded: every entry point and every device callback runs on
 * the caller's one thread.
 */
#ifndef ATOLL_USB_XHCI_H
#define ATOLL_USB_XHCI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb-device.h"

#define XHCI_BAR_SIZE 0x10000u
/* Root ports 1..8 speak USB 2 (low, full, high speed), 9..16 USB 3. */
#define XHCI_USB2_PORTS 8u
#define XHCI_USB3_PORTS 8u
#define XHCI_PORTS (XHCI_USB2_PORTS + XHCI_USB3_PORTS)
#define XHCI_SLOTS 32u

struct xhci;

struct xhci_host_ops {
	/* Guest-physical copies: 0, or -EFAULT outside guest memory. */
	int (*dma_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t gpa, const void *buf,
			 size_t len);
	/* The interrupt line's level (INTx, level-triggered). */
	void (*irq)(void *opaque, bool level);
	/* Diagnostics; may be NULL. */
	void (*log)(void *opaque, const char *fmt, va_list ap);
};

struct xhci *xhci_new(const struct xhci_host_ops *ops, void *opaque);
/* Destroys the devices still plugged in. NULL is a no-op. */
void xhci_free(struct xhci *x);

/* BAR 0 accesses: offset + size <= XHCI_BAR_SIZE, size 1, 2, 4 or 8. */
uint64_t xhci_mmio_read(struct xhci *x, uint64_t offset, unsigned size);
void xhci_mmio_write(struct xhci *x, uint64_t offset, unsigned size,
		     uint64_t value);

/* Plugs `d` into root port `port` (1..XHCI_PORTS); the controller owns it
 * from now on (destroys it in xhci_free). Returns 0, -EINVAL for a bad
 * port or a speed the port cannot carry, -EBUSY if the port is taken or
 * the device is already plugged in. A passthrough device whose speed
 * turns out not to fit (SuperSpeed on a USB 2 port, or the reverse) moves
 * to the paired port (i <-> i + 8) when it connects. */
int xhci_attach(struct xhci *x, unsigned port, struct usb_device *d);
/* The first free port for a device of `speed` (0: none). */
unsigned xhci_free_port(const struct xhci *x, enum usb_speed speed);

/*
 * Keeping the controller across a restart of the process (xhci-state.c).
 * `mem` (XHCI_STATE_SIZE bytes, a shared mapping of a memfd the launcher
 * keeps) receives the controller's state, plain data in two alternating
 * copies, at the end of every entry point. xhci_state_load() takes back
 * the newest intact copy after the devices are attached again: 1 if one
 * was loaded, 0 if there was none (a fresh start), or -EINVAL if it was
 * refused (why says what; the controller stays at reset). Either way the
 * controller keeps saving into `mem`. xhci_resume() then runs the command
 * ring and every running endpoint again once guest memory is mapped: TDs
 * the old process left unfinished start over.
 */
#define XHCI_STATE_SIZE (256u * 1024u)
int xhci_state_attach(struct xhci *x, void *mem, size_t len);
int xhci_state_load(struct xhci *x, char *why, size_t why_len);
void xhci_resume(struct xhci *x);
/* For tests: the bytes of one copy (two follow each other from offset
 * 0), of which the first 24 and the last 8 are its framing. */
size_t xhci_state_copy_size(void);

/* Counters for HEALTH reports. */
struct xhci_stats {
	uint64_t transfers, commands, events, refusals;
	uint64_t reads, writes;      /* register accesses (round trips) */
};
void xhci_get_stats(const struct xhci *x, struct xhci_stats *s);
/* True while USBSTS.HCE (Host Controller Error) is set. */
bool xhci_failed(const struct xhci *x);

#endif
