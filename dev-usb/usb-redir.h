/* SPDX-License-Identifier: MIT */
/*
 * usb-redir.c's private entry points: usb-host.c puts a libusbredirhost
 * at the other end of the stream and must be told when the device is
 * destroyed; tests and the fuzzer ask whether the peer is gone.
 */
#ifndef ATOLL_USB_REDIR_H
#define ATOLL_USB_REDIR_H

#include <stdbool.h>

#include "usb-device.h"

struct event_base;

/* As usb_redir_new(); `fini(opaque)` runs once when the device is
 * destroyed, after the stream is closed (NULL: nothing to run). The fd is
 * the device's from here on, also when this fails. */
struct usb_device *usb_redir_open(int fd, struct event_base *base,
				  void (*fini)(void *opaque), void *opaque,
				  const char **why);

/* The stream is closed (EOF, an error) and the device gone for good. */
bool usb_redir_peer_gone(const struct usb_device *d);

/* Peer messages refused so far (hostile or broken peers: each is logged
 * at the 1st, 2nd, 4th, 8th... refusal). */
unsigned long usb_redir_refused(const struct usb_device *d);

/* True once the peer's hello arrived (its version is logged). */
bool usb_redir_peer_hello(const struct usb_device *d);

/* usb-host.c for tests: libusb (no device discovery), usbredirhost and the
 * socketpair to usb-redir.c as usb_host_new() sets them up, with no
 * device: the hello exchange and teardown run, no device_connect. */
struct usb_device *usb_host_new_unplugged(struct event_base *base,
					  const char **why);

#endif
