/* SPDX-License-Identifier: MIT */
/*
 * atoll-display's VNC server. The scanout memfd is polled (its seq) every
 * POLL_MS; a new frame is copied whole (seq even and unchanged across the
 * copy, header checked against the mapping), converted to the server's
 * 32-bit RGB, and the rows that changed are marked modified. Clients are
 * accepted here on the launcher's socket and handed to libvncserver,
 * which reads and answers them from rfbProcessEvents on the same timer.
 * Nothing of the guest's is mapped but the scanout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <gcrypt.h>
#include <rfb/rfb.h>

#include "log.h"
#include "scanout.h"
#include "keysym.h"
#include "screendump.h"
#include "vnc.h"
#include <linux/input-event-codes.h>

#define POLL_MS 15
#define BPP 4
/* The server's framebuffer before the guest shows anything. */
#define BLANK_W 640
#define BLANK_H 480

struct vnc {
	struct vnc_config cfg;
	rfbScreenInfoPtr screen;
	uint8_t *fb;                 /* the server's framebuffer */
	uint32_t width, height;
	uint64_t seq;                /* the last frame copied */
	uint64_t frames;
	int buttons;                 /* the pointer's last button mask */
	char *passwords[2];          /* rfbCheckPasswordByList's list */
	struct event *accept_ev, *tick_ev;
};

static void log_rfb(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(ATOLL_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static void log_rfb_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(ATOLL_LOG_WARN, fmt, ap);
	va_end(ap);
}

/* A framebuffer of w x h for the server and every client. */
static int resize(struct vnc *v, uint32_t w, uint32_t h)
{
	uint8_t *fb = calloc((size_t)w * h, BPP);

	if (!fb)
		return -ENOMEM;
	if (v->screen->frameBuffer)
		rfbNewFramebuffer(v->screen, (char *)fb, (int)w, (int)h, 8, 3,
				  BPP);
	else
		v->screen->frameBuffer = (char *)fb;
	free(v->fb);
	v->fb = fb;
	v->width = w;
	v->height = h;
	return 0;
}

/* Converts the scanout's frame (header h, checked) into the framebuffer;
 * [*y0, *y1) are the rows that changed. */
static void copy_frame(struct vnc *v, const struct scanout_header *h,
		       struct rgb_at at, uint32_t *y0, uint32_t *y1)
{
	const uint8_t *px = v->cfg.scanout + SCANOUT_PIXELS_OFFSET;

	*y0 = h->height;
	*y1 = 0;
	for (uint32_t y = 0; y < h->height; y++) {
		const uint8_t *in = px + (size_t)y * h->stride;
		uint8_t *out = v->fb + (size_t)y * h->width * BPP;
		bool changed = false;

		for (uint32_t x = 0; x < h->width; x++, in += 4, out += 4) {
			uint8_t rgb[4] = { in[at.r], in[at.g], in[at.b], 0 };

			if (memcmp(out, rgb, 4)) {
				memcpy(out, rgb, 4);
				changed = true;
			}
		}
		if (changed) {
			*y0 = y < *y0 ? y : *y0;
			*y1 = y + 1;
		}
	}
}

static void poll_scanout(struct vnc *v)
{
	const struct scanout_header *live =
		(const struct scanout_header *)v->cfg.scanout;
	struct scanout_header h;
	struct rgb_at at;
	uint32_t y0, y1;
	uint64_t seq = __atomic_load_n(&live->seq, __ATOMIC_ACQUIRE);

	if (seq == v->seq || seq & 1)
		return;
	memcpy(&h, live, sizeof(h));
	if (h.magic != SCANOUT_MAGIC || !h.enabled)
		return;
	if (!h.width || !h.height || h.stride / 4 < h.width ||
	    (uint64_t)h.stride * h.height >
	    v->cfg.scanout_size - SCANOUT_PIXELS_OFFSET ||
	    scanout_rgb_offsets(h.format, &at) < 0) {
		log_warn("scanout header inconsistent (%ux%u stride %u format "
			 "%u); frame skipped", h.width, h.height, h.stride,
			 h.format);
		v->seq = seq;
		return;
	}
	if (h.width != v->width || h.height != v->height) {
		if (resize(v, h.width, h.height) < 0)
			return;
		log_info("showing %ux%u (virtio-gpu format %u)", h.width,
			 h.height, h.format);
	}
	copy_frame(v, &h, at, &y0, &y1);
	/* Torn (the writer moved on meanwhile): the next tick copies again;
	 * what changed so far is sent now all the same. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&live->seq, __ATOMIC_RELAXED) == seq)
		v->seq = seq;
	if (y0 < y1)
		rfbMarkRectAsModified(v->screen, 0, (int)y0, (int)h.width,
				      (int)y1);
	v->frames++;
}

/* The screen's vnc: libvncserver's callbacks get only the client. */
static struct vnc *vnc_of(rfbClientPtr cl)
{
	return cl->screen->screenData;
}

static void on_key(rfbBool down, rfbKeySym sym, rfbClientPtr cl)
{
	struct vnc *v = vnc_of(cl);
	unsigned key = keysym_to_linux((uint32_t)sym);
	struct vnc_input ev[2] = {
		{ EV_KEY, (uint16_t)key, down ? 1 : 0 },
		{ EV_SYN, SYN_REPORT, 0 },
	};

	if (!key) {
		log_debug("keysym %#x has no key", (unsigned)sym);
		return;
	}
	v->cfg.input(v->cfg.input_opaque, ev, 2);
}

/* Client coordinates (checked against the framebuffer by libvncserver)
 * scaled to the tablet's 0..32767, and each button that changed. */
static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	static const uint16_t buttons[3] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };
	struct vnc *v = vnc_of(cl);
	struct vnc_input ev[6];
	unsigned n = 0;
	int w = v->width > 1 ? (int)v->width - 1 : 1;
	int h = v->height > 1 ? (int)v->height - 1 : 1;

	x = x < 0 ? 0 : x > w ? w : x;
	y = y < 0 ? 0 : y > h ? h : y;
	ev[n++] = (struct vnc_input){ EV_ABS, ABS_X, x * 32767 / w };
	ev[n++] = (struct vnc_input){ EV_ABS, ABS_Y, y * 32767 / h };
	for (int b = 0; b < 3; b++)
		if ((mask ^ v->buttons) & (1 << b))
			ev[n++] = (struct vnc_input){ EV_KEY, buttons[b],
						      !!(mask & (1 << b)) };
	ev[n++] = (struct vnc_input){ EV_SYN, SYN_REPORT, 0 };
	v->buttons = mask;
	v->cfg.input(v->cfg.input_opaque, ev, n);
}

void vnc_step(struct vnc *v)
{
	poll_scanout(v);
	rfbProcessEvents(v->screen, 0);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	vnc_step(arg);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct vnc *v = arg;
	int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)what;
	if (s < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	if (!rfbNewClient(v->screen, s)) {
		log_warn("libvncserver refused a client");
		close(s);
		return;
	}
	log_info("VNC client connected");
}

static int start_events(struct vnc *v, struct event_base *base)
{
	struct timeval tv = { 0, POLL_MS * 1000 };

	v->accept_ev = event_new(base, v->cfg.listen_fd, EV_READ | EV_PERSIST,
				 on_accept, v);
	v->tick_ev = event_new(base, -1, EV_PERSIST, tick, v);
	if (!v->accept_ev || !v->tick_ev || event_add(v->accept_ev, NULL) ||
	    event_add(v->tick_ev, &tv))
		return -ENOMEM;
	return 0;
}

struct vnc *vnc_new(struct event_base *base, const struct vnc_config *cfg)
{
	struct vnc *v = calloc(1, sizeof(*v));
	int argc = 0;

	if (!v)
		return NULL;
	v->cfg = *cfg;
	/* libvncserver's VNC authentication (DES) is libgcrypt's, which
	 * otherwise complains through syslog (a socket) at its first use. */
	if (!gcry_check_version(NULL)) {
		vnc_free(v);
		return NULL;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	rfbLog = log_rfb;
	rfbErr = log_rfb_err;
	v->screen = rfbGetScreen(&argc, NULL, BLANK_W, BLANK_H, 8, 3, BPP);
	if (!v->screen || resize(v, BLANK_W, BLANK_H) < 0) {
		vnc_free(v);
		return NULL;
	}
	v->screen->desktopName = "atoll";
	/* No cursor drawn into the picture: a client sees the guest's pixels
	 * only (the guest draws its own pointer, if any). */
	v->screen->cursor = NULL;
	/* Clients come from on_accept: libvncserver listens on nothing. */
	v->screen->autoPort = FALSE;
	v->screen->port = 0;
	v->screen->ipv6port = 0;
	v->screen->httpPort = 0;
	v->screen->alwaysShared = TRUE;
	v->screen->screenData = v;
	if (cfg->input) {
		v->screen->kbdAddEvent = on_key;
		v->screen->ptrAddEvent = on_pointer;
	}
	if (cfg->password) {
		v->passwords[0] = (char *)cfg->password;
		v->screen->authPasswdData = v->passwords;
		v->screen->passwordCheck = rfbCheckPasswordByList;
	}
	rfbInitServer(v->screen);
	if (start_events(v, base) < 0) {
		vnc_free(v);
		return NULL;
	}
	return v;
}

void vnc_free(struct vnc *v)
{
	if (!v)
		return;
	if (v->accept_ev)
		event_free(v->accept_ev);
	if (v->tick_ev)
		event_free(v->tick_ev);
	if (v->screen) {
		rfbShutdownServer(v->screen, TRUE);
		rfbScreenCleanup(v->screen);
	}
	free(v->fb);
	free(v);
}

void vnc_stats(const struct vnc *v, unsigned *clients, uint64_t *frames)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(v->screen);
	unsigned n = 0;

	while (rfbClientIteratorNext(it))
		n++;
	rfbReleaseClientIterator(it);
	*clients = n;
	*frames = v->frames;
}
