/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a hostile VNC client against atoll-display's server
 * (display/vnc.c: libvncserver as atoll-display sets it up, on a 64x48
 * scanout). Byte 0 picks password authentication or none; the rest is
 * what the client sends, after which it closes its end. The server is
 * stepped until the client is gone. With byte 0's bit 1 set, the rest is
 * instead a hostile scanout header (width, height, stride: the gpu is not
 * trusted either) and SCANOUT_DIRTY rectangles (x, y, width, height, 32
 * bits each) for vnc_dirty, which must copy nothing outside the mapping
 * or the framebuffer. Aborts if an input event leaves the
 * tablet's range (ABS 0..32767) or names a key past KEY_MAX; ASan/UBSan
 * (in atoll's code) catch the rest. libvncserver itself is not
 * instrumented: this checks what atoll's callbacks make of any client
 * message, and that a hostile client ends without taking the server down.
 */
#include <linux/input-event-codes.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "scanout.h"
#include "vnc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define W 64
#define H 48

static uint8_t scanout[SCANOUT_PIXELS_OFFSET + W * H * 4];

static void check_input(void *opaque, const struct vnc_input *ev, unsigned n)
{
	(void)opaque;
	for (unsigned i = 0; i < n; i++) {
		if (ev[i].type == EV_ABS && (ev[i].value < 0 || ev[i].value > 32767))
			abort();
		if (ev[i].type == EV_KEY && ev[i].code > KEY_MAX)
			abort();
	}
}

struct server {
	struct event_base *base;
	struct vnc *vnc[2];          /* no password, a password */
	struct sockaddr_un addr[2];
};

static int listen_abstract(struct sockaddr_un *a, int which)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
		 "atoll-fuzz-display-%d-%d", (int)getpid(), which);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    listen(fd, 4) < 0)
		abort();
	return fd;
}

static struct server *server(void)
{
	static struct server s;
	struct scanout_header *h = (struct scanout_header *)scanout;

	if (s.base)
		return &s;
	log_init("fuzz-display-client", ATOLL_LOG_ERROR);
	h->magic = SCANOUT_MAGIC;
	h->seq = 2;
	h->enabled = 1;
	h->width = W;
	h->height = H;
	h->stride = W * 4;
	h->format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;
	for (size_t i = 0; i < W * H * 4; i++)
		scanout[SCANOUT_PIXELS_OFFSET + i] = (uint8_t)(i * 7);
	s.base = event_base_new();
	for (int i = 0; i < 2; i++) {
		s.vnc[i] = vnc_new(s.base, &(struct vnc_config){
			.listen_fd = listen_abstract(&s.addr[i], i),
			.scanout = scanout, .scanout_size = sizeof(scanout),
			.password = i ? "pw" : NULL,
			.input = check_input,
		});
		if (!s.vnc[i])
			abort();
	}
	return &s;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Byte 0 bit 1: a header and rectangles (see the top of the file). */
static void fuzz_dirty(struct server *s, const uint8_t *data, size_t size)
{
	struct scanout_header *h = (struct scanout_header *)scanout;
	struct vnc_rect r[64];
	size_t n = 0;

	if (size < 12)
		return;
	h->width = u32_at(data);
	h->height = u32_at(data + 4);
	h->stride = u32_at(data + 8);
	for (data += 12, size -= 12; size >= 16 && n < 64;
	     data += 16, size -= 16, n++)
		r[n] = (struct vnc_rect){ u32_at(data), u32_at(data + 4),
					  u32_at(data + 8), u32_at(data + 12) };
	vnc_dirty(s->vnc[0], r, n);
	h->width = W;
	h->height = H;
	h->stride = W * 4;
	vnc_step(s->vnc[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server *s = server();
	int which, c;
	unsigned clients;
	uint64_t frames;

	if (!size)
		return 0;
	if (data[0] & 2) {
		fuzz_dirty(s, data + 1, size - 1);
		return 0;
	}
	which = data[0] & 1;
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&s->addr[which],
			     sizeof(s->addr[which])) < 0)
		abort();
	/* Sent before the accept: libvncserver waits up to 100 ms for a
	 * new client's first bytes (its WebSocket check). What does not fit
	 * the socket's buffer is not sent: the server stops reading a client
	 * that breaks the protocol anyway. */
	if (size > 1 && send(c, data + 1, size - 1, MSG_DONTWAIT) < 0) {
		/* a full buffer: keep what went */
	}
	shutdown(c, SHUT_WR);
	event_base_loop(s->base, EVLOOP_NONBLOCK);   /* accept */
	for (int i = 0; i < 64; i++) {
		vnc_step(s->vnc[which]);
		vnc_stats(s->vnc[which], &clients, &frames);
		if (!clients)
			break;
	}
	close(c);
	for (int i = 0; i < 4; i++)
		vnc_step(s->vnc[which]);
	return 0;
}
