/* SPDX-License-Identifier: MIT */
/*
 * atoll-display's VNC server. The scanout memfd is not polled: the gpu
 * posts each rectangle it wrote (SCANOUT_DIRTY, through the launcher), and
 * exactly that rectangle, checked against the scanout's header (itself
 * checked against the mapping), is converted to the server's 32-bit RGB
 * and marked modified. The whole scanout is copied once at start. Clients
 * are accepted here on the launcher's socket and handed to libvncserver,
 * which reads and answers them from rfbProcessEvents on a timer.
 * Nothing of the guest's is mapped but the scanout.
 */
#include <errno.h>
#include <stdbool.h>
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

/* libvncserver reads and answers its clients from this timer. */
#define CLIENT_MS 15
#define BPP 4
/* The server's framebuffer before the guest shows anything. */
#define BLANK_W 640
#define BLANK_H 480

struct vnc {
	struct vnc_config cfg;
	rfbScreenInfoPtr screen;
	uint8_t *fb;                 /* the server's framebuffer */
	uint32_t width, height;
	uint64_t frames;             /* updates copied in */
	uint64_t refused;            /* dirty rectangles refused */
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

/* The scanout's header, checked against the mapping (the writer is not
 * trusted either). Read without waiting for an even seq: the gpu posts a
 * rectangle after writing it, so if it is writing again meanwhile, that
 * write's own rectangle follows (a torn header comes only from SET_SCANOUT,
 * which posts the whole scanout after). 0, or -EAGAIN: nothing to show. */
static int read_header(struct vnc *v, struct scanout_header *h,
		       struct rgb_at *at)
{
	memcpy(h, v->cfg.scanout, sizeof(*h));
	if (h->magic != SCANOUT_MAGIC || !h->enabled)
		return -EAGAIN;
	if (!h->width || !h->height || h->stride / 4 < h->width ||
	    (uint64_t)h->stride * h->height >
	    v->cfg.scanout_size - SCANOUT_PIXELS_OFFSET ||
	    scanout_rgb_offsets(h->format, at) < 0) {
		log_warn("scanout header inconsistent (%ux%u stride %u format "
			 "%u); update skipped", h->width, h->height, h->stride,
			 h->format);
		return -EAGAIN;
	}
	return 0;
}

/* Converts [x, x + w) x [y, y + h) (inside the header's size) into the
 * framebuffer, which has the header's size. */
static void copy_rect(struct vnc *v, const struct scanout_header *h,
		      struct rgb_at at, const struct vnc_rect *r)
{
	const uint8_t *px = v->cfg.scanout + SCANOUT_PIXELS_OFFSET;

	for (uint32_t y = r->y; y < r->y + r->height; y++) {
		const uint8_t *in = px + (size_t)y * h->stride +
				    (size_t)r->x * 4;
		uint8_t *out = v->fb + ((size_t)y * h->width + r->x) * BPP;

		for (uint32_t x = 0; x < r->width; x++, in += 4, out += 4) {
			out[0] = in[at.r];
			out[1] = in[at.g];
			out[2] = in[at.b];
			out[3] = 0;
		}
	}
	rfbMarkRectAsModified(v->screen, (int)r->x, (int)r->y,
			      (int)(r->x + r->width), (int)(r->y + r->height));
}

/* Follows a new mode: the framebuffer resized and all of it copied. */
static int follow_size(struct vnc *v, const struct scanout_header *h,
		       struct rgb_at at)
{
	if (h->width == v->width && h->height == v->height)
		return 0;
	if (resize(v, h->width, h->height) < 0)
		return -ENOMEM;
	log_info("showing %ux%u (virtio-gpu format %u)", h->width, h->height,
		 h->format);
	copy_rect(v, h, at, &(struct vnc_rect){ 0, 0, h->width, h->height });
	v->frames++;
	return 1;
}

void vnc_refresh(struct vnc *v)
{
	struct scanout_header h;
	struct rgb_at at;

	if (read_header(v, &h, &at) < 0 || follow_size(v, &h, at) != 0)
		return;
	copy_rect(v, &h, at, &(struct vnc_rect){ 0, 0, h.width, h.height });
	v->frames++;
}

/* A rectangle from the bus: the gpu's, forwarded by the launcher, neither
 * trusted. Inside the scanout's current size and not empty, or refused. */
static bool rect_ok(const struct scanout_header *h, const struct vnc_rect *r)
{
	return r->width && r->height && r->x < h->width && r->y < h->height &&
	       r->width <= h->width - r->x && r->height <= h->height - r->y;
}

unsigned vnc_dirty(struct vnc *v, const struct vnc_rect *rects, size_t n)
{
	struct scanout_header h;
	struct rgb_at at;
	unsigned refused = 0;
	int rc;

	if (read_header(v, &h, &at) < 0 || (rc = follow_size(v, &h, at)) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!rect_ok(&h, &rects[i])) {
			refused++;
			v->refused++;
			/* Logged 1, 2, 4, 8, ... times: a flood stays short. */
			if (!(v->refused & (v->refused - 1)))
				log_warn("dirty rectangle %ux%u+%u+%u outside "
					 "the %ux%u scanout refused (%llu so "
					 "far)", rects[i].width,
					 rects[i].height, rects[i].x,
					 rects[i].y, h.width, h.height,
					 (unsigned long long)v->refused);
			continue;
		}
		if (rc == 0)   /* after a resize, all of it was copied */
			copy_rect(v, &h, at, &rects[i]);
	}
	if (rc == 0 && refused < n)
		v->frames++;
	return refused;
}

const uint8_t *vnc_framebuffer(const struct vnc *v, uint32_t *width,
			       uint32_t *height)
{
	*width = v->width;
	*height = v->height;
	return v->fb;
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
	struct timeval tv = { 0, CLIENT_MS * 1000 };

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
	/* What the scanout shows already (a restarted display): the gpu
	 * posts only what changes from now on. */
	vnc_refresh(v);
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
