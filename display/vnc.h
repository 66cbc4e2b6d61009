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

/* A rectangle of the scanout, in its pixels. */
struct vnc_rect {
	uint32_t x, y, width, height;
};

struct vnc *vnc_new(struct event_base *base, const struct vnc_config *cfg);
void vnc_free(struct vnc *v);
/* One pass of the timer's work: the clients read and answered (the
 * fuzzer drives it directly). */
void vnc_step(struct vnc *v);
/* The gpu wrote these rectangles of the scanout: each inside the current
 * scanout is copied and sent to the clients; the others are refused
 * (logged at a limited rate). A new scanout size is followed with a whole
 * copy. Returns how many were refused. */
unsigned vnc_dirty(struct vnc *v, const struct vnc_rect *rects, size_t n);
/* Copies all of the scanout (vnc_new does, once). */
void vnc_refresh(struct vnc *v);
/* The server's framebuffer (32-bit RGB, width * 4 bytes a row; tests). */
const uint8_t *vnc_framebuffer(const struct vnc *v, uint32_t *width,
			       uint32_t *height);
/* Clients connected, frames sent to the framebuffer. */
void vnc_stats(const struct vnc *v, unsigned *clients, uint64_t *frames);

#endif
