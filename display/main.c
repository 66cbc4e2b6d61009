/* SPDX-License-Identifier: MIT */
/*
 * atoll-display: the guest's screen to the network, in a sandboxed process
 * of its own (docs/display.md), because a VNC server faces the network and
 * libvncserver has a history of memory-safety bugs. It maps nothing of the
 * guest's but the scanout memfd, read-only (the launcher passes a
 * read-only open of it), and serves VNC on a listening socket the launcher
 * opened. Killed, it is restarted by the launcher on the same socket and
 * memfd; clients reconnect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "scanout.h"
#include "vnc.h"

struct display {
	int scanout_fd, listen_fd, password_fd;
	uint8_t *scanout;
	size_t scanout_size;
	char password[64];
	struct vnc *vnc;
};

static int display_opt(int opt, const char *arg, void *state)
{
	struct display *d = state;
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || !*arg || v < 0 || v > 1024)
		return -EINVAL;
	switch (opt) {
	case 's':
		d->scanout_fd = (int)v;
		return 0;
	case 'l':
		d->listen_fd = (int)v;
		return 0;
	case 'p':
		d->password_fd = (int)v;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The VNC password, from the fd the launcher filled (never argv, which
 * other processes can read); a trailing newline is not part of it. */
static int read_password(struct display *d)
{
	ssize_t n = pread(d->password_fd, d->password,
			  sizeof(d->password) - 1, 0);

	close(d->password_fd);
	if (n < 0)
		return -errno;
	d->password[n] = 0;
	d->password[strcspn(d->password, "\n")] = 0;
	return 0;
}

static int map_scanout(struct display *d)
{
	struct stat st;

	if (fstat(d->scanout_fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size < SCANOUT_PIXELS_OFFSET) {
		log_error("the scanout memfd is %lld bytes",
			  (long long)st.st_size);
		return -EINVAL;
	}
	d->scanout_size = (size_t)st.st_size;
	d->scanout = mmap(NULL, d->scanout_size, PROT_READ, MAP_SHARED,
			  d->scanout_fd, 0);
	close(d->scanout_fd);
	if (d->scanout == MAP_FAILED) {
		d->scanout = NULL;
		return -errno;
	}
	return 0;
}

/* The clients' input goes to the launcher, which hands it to the VM's
 * virtio-input devices (posted: a lost event is not worth a reply). */
static void post_input(void *opaque, const struct vnc_input *ev, unsigned n)
{
	struct child *c = opaque;
	Atoll__InputEvent e[8], *ptr[8];
	Atoll__InputEvents body = ATOLL__INPUT_EVENTS__INIT;

	for (unsigned i = 0; i < n && i < 8; i++) {
		atoll__input_event__init(&e[i]);
		e[i].type = ev[i].type;
		e[i].code = ev[i].code;
		e[i].value = ev[i].value;
		ptr[i] = &e[i];
	}
	body.n_events = n < 8 ? n : 8;
	body.events = ptr;
	if (atoll_bus_post(child_bus(c), ATOLL__MSG_TYPE__MSG_INPUT_EVENTS,
			   &body.base, NULL, 0) < 0)
		log_warn("cannot pass input to the launcher");
}

static int display_setup(struct child *c)
{
	struct display *d = child_state(c);
	int rc;

	if (d->scanout_fd < 0 || d->listen_fd < 0) {
		log_error("--scanout-fd and --listen-fd are required");
		return -EINVAL;
	}
	if ((rc = map_scanout(d)) < 0 ||
	    (d->password_fd >= 0 && (rc = read_password(d)) < 0)) {
		log_error("setup: %s", strerror(-rc));
		return rc;
	}
	d->vnc = vnc_new(child_base(c), &(struct vnc_config){
		.listen_fd = d->listen_fd, .scanout = d->scanout,
		.scanout_size = d->scanout_size,
		.password = d->password_fd >= 0 ? d->password : NULL,
		.input = post_input, .input_opaque = c,
	});
	if (!d->vnc)
		return -ENOMEM;
	log_info("serving VNC%s", d->password_fd >= 0 ? " with a password" : "");
	return 1;
}

/* SCANOUT_DIRTY: what the gpu wrote, forwarded by the launcher (posted:
 * nothing to answer). vnc_dirty checks each rectangle; a message of more
 * than DIRTY_MAX (the gpu sends one), or of none (the launcher's "some
 * were dropped": docs/protocol.md), is taken as the whole scanout. */
#define DIRTY_MAX 64

static int display_message(struct child *c, struct atoll_msg *m)
{
	struct display *d = child_state(c);
	const Atoll__ScanoutDirty *in = (const Atoll__ScanoutDirty *)m->body;
	struct vnc_rect r[DIRTY_MAX];
	size_t n = 0;

	if (m->type != ATOLL__MSG_TYPE__MSG_SCANOUT_DIRTY)
		return -EOPNOTSUPP;
	if (!d->vnc)
		return 0;    /* before setup: its whole copy comes after */
	if (in->n_rects == 0 || in->n_rects > DIRTY_MAX) {
		vnc_refresh(d->vnc);
		return 0;
	}
	for (size_t i = 0; i < in->n_rects; i++)
		r[n++] = (struct vnc_rect){ in->rects[i]->x, in->rects[i]->y,
					    in->rects[i]->width,
					    in->rects[i]->height };
	vnc_dirty(d->vnc, r, n);
	return 0;
}

static void display_health(struct child *c, Atoll__HealthReport *r)
{
	struct display *d = child_state(c);
	unsigned clients;
	uint64_t frames;
	size_t len;
	char *buf = child_status_buf(c, &len);

	vnc_stats(d->vnc, &clients, &frames);
	snprintf(buf, len, "%u VNC client(s), %llu frames", clients,
		 (unsigned long long)frames);
	r->status = buf;
	r->requests_completed = frames;
}

static void display_teardown(struct child *c)
{
	struct display *d = child_state(c);

	vnc_free(d->vnc);
	d->vnc = NULL;
	if (d->scanout)
		munmap(d->scanout, d->scanout_size);
	d->scanout = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scanout-fd", required_argument, NULL, 's' },
		{ "listen-fd", required_argument, NULL, 'l' },
		{ "password-fd", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "display",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.setup = display_setup,
		.message = display_message,
		.health = display_health,
		.teardown = display_teardown,
	};
	static struct display d = {
		.scanout_fd = -1, .listen_fd = -1, .password_fd = -1,
	};

	return child_main(argc, argv, &ops, &d, opts, display_opt,
		"  --scanout-fd=N      the scanout memfd, opened read-only\n"
		"  --listen-fd=N       the listening VNC socket\n"
		"  --password-fd=N     a file holding the VNC password\n");
}
