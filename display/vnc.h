/* SPDX-License-Identifier: MIT */
/* atoll-display's VNC side: libvncserver serving a copy of the scanout
 * memfd (dev-gpu/scanout.h), mapped read-only, to the clients accepted on
 * the socket the launcher opened. */
#ifndef ATOLL_DISPLAY_VNC_H
#define ATOLL_DISPLAY_VNC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct vnc;

/* One Linux input event, for the guest's virtio-input devices. */
struct vnc_input {
	uint16_t type, code;
	int32_t value;
};

struct vnc_config {
	int listen_fd;               /* listening, opened by the launcher */
	/* The clients' keys and pointer as Linux input events (keys to a
	 * keyboard, EV_ABS 0..32767 and buttons to a tablet). */
	void (*input)(void *opaque, const struct vnc_input *ev, unsigned n);
	void *input_opaque;
	const uint8_t *scanout;      /* the memfd, mapped read-only */
	size_t scanout_size;
	const char *password;        /* NULL: no authentication */
};

struct vnc *vnc_new(struct event_base *base, const struct vnc_config *cfg);
void vnc_free(struct vnc *v);
/* One pass of the timer's work: the scanout polled, the clients read and
 * answered (the fuzzer drives it directly). */
void vnc_step(struct vnc *v);
/* Clients connected, frames sent to the framebuffer. */
void vnc_stats(const struct vnc *v, unsigned *clients, uint64_t *frames);

#endif
