/* SPDX-License-Identifier: MIT */
/*
 * A host USB device passed through: the launcher opens
 * /dev/bus/usb/BBB/DDD and hands atoll-usb the fd; libusb drives it
 * (libusb_wrap_sys_device: no scan of /dev/bus/usb, which the sandbox does
 * not have), libusbredirhost speaks usbredir for it on one end of a
 * socketpair, and usb-redir.c is the device on the other end. Both ends
 * are in this process, so the guest-facing code is the one every usbredir
 * peer meets, and the host side is the library QEMU and SPICE use.
 *
 * libusb's events run on the process's libevent loop, not in a thread:
 * libusb_get_pollfds() names its fds (the usbfs fd for reaped URBs, its
 * event fd and, on Linux, a timerfd for transfer timeouts), the pollfd
 * notifiers follow changes, and each wakeup calls
 * libusb_handle_events_timeout_completed() with a zero timeout. One
 * thread keeps the contract of usb-device.h (everything on the loop
 * thread) without locks in usbredirhost or around the controller.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <event2/event.h>
#include <libusb.h>
#include <usbredirhost.h>

#include "atoll-config.h"
#include "log.h"
#include "usb-models.h"
#include "usb-redir.h"

/* Linux's USB_DEVICE_MAJOR: the /dev/bus/usb/BBB/DDD nodes. */
#define USBFS_MAJOR 189

struct pollev {
	struct pollev *next;
	int fd;
	struct event *ev;
};

struct host {
	struct event_base *base;
	int usbfs_fd;
	int sock;                    /* usbredirhost's end of the pair */
	struct event *sock_rev, *sock_wev;
	struct event *timer;         /* only if libusb has no timerfd */
	libusb_context *ctx;
	struct usbredirhost *rh;
	struct pollev *pollevs;
	char name[32];
};

static void host_flush(struct host *h)
{
	if (!h->rh)
		return;
	if (usbredirhost_has_data_to_write(h->rh))
		usbredirhost_write_guest_data(h->rh);
	if (usbredirhost_has_data_to_write(h->rh))
		event_add(h->sock_wev, NULL);
	else
		event_del(h->sock_wev);
}

static void on_libusb(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct timeval zero = { 0, 0 };

	libusb_handle_events_timeout_completed(h->ctx, &zero, NULL);
	host_flush(h);
}

static void pollfd_added(int fd, short events, void *user)
{
	struct host *h = user;
	struct pollev *pe = calloc(1, sizeof(*pe));
	short what = EV_PERSIST;

	if (!pe) {
		log_error("%s: out of memory watching libusb fd %d", h->name,
			  fd);
		return;
	}
	if (events & POLLIN)
		what |= EV_READ;
	if (events & POLLOUT)
		what |= EV_WRITE;
	pe->fd = fd;
	pe->ev = event_new(h->base, fd, what, on_libusb, h);
	if (!pe->ev) {
		free(pe);
		log_error("%s: cannot watch libusb fd %d", h->name, fd);
		return;
	}
	event_add(pe->ev, NULL);
	pe->next = h->pollevs;
	h->pollevs = pe;
}

static void pollfd_removed(int fd, void *user)
{
	struct host *h = user;

	for (struct pollev **pp = &h->pollevs; *pp; pp = &(*pp)->next) {
		struct pollev *pe = *pp;

		if (pe->fd == fd) {
			*pp = pe->next;
			event_free(pe->ev);
			free(pe);
			return;
		}
	}
}

static int host_read(void *priv, uint8_t *data, int count)
{
	struct host *h = priv;
	ssize_t n = read(h->sock, data, (size_t)count);

	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* usb-redir.c closed its end: only at destroy, which closes this
	 * side next. */
	event_del(h->sock_rev);
	return -1;
}

static int host_write(void *priv, uint8_t *data, int count)
{
	struct host *h = priv;
	ssize_t n = write(h->sock, data, (size_t)count);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -1;
}

/* usbredirhost queued data from a libusb callback. */
static void host_flush_cb(void *priv)
{
	host_flush(priv);
}

static void host_log(void *priv, int level, const char *msg)
{
	struct host *h = priv;

	log_msg(level <= usbredirparser_warning ? ATOLL_LOG_WARN :
		level == usbredirparser_info ? ATOLL_LOG_INFO : ATOLL_LOG_DEBUG,
		"%s: %s", h->name, msg);
}

static void on_sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;

	usbredirhost_read_guest_data(h->rh);
	host_flush(h);
}

static void on_sock_write(evutil_socket_t fd, short what, void *arg)
{
	host_flush(arg);
}

static void host_free(void *opaque)
{
	struct host *h = opaque;

	if (h->sock_rev)
		event_free(h->sock_rev);
	if (h->sock_wev)
		event_free(h->sock_wev);
	if (h->timer)
		event_free(h->timer);
	h->sock_rev = h->sock_wev = NULL;
	/* Releases the interfaces, reaps the cancelled URBs and closes the
	 * libusb handle (not the fd: wrapped fds stay the caller's). */
	if (h->rh)
		usbredirhost_close(h->rh);
	h->rh = NULL;
	if (h->ctx) {
		libusb_set_pollfd_notifiers(h->ctx, NULL, NULL, NULL);
		while (h->pollevs)
			pollfd_removed(h->pollevs->fd, h);
		libusb_exit(h->ctx);
	}
	if (h->sock >= 0)
		close(h->sock);
	if (h->usbfs_fd >= 0)
		close(h->usbfs_fd);
	free(h);
}

static int libusb_setup(struct host *h, libusb_device_handle **dh,
			const char **why)
{
	const struct libusb_pollfd **fds;
	int rc;

	/* No scan of /dev/bus/usb: the sandbox has none, the launcher
	 * opened the one node this device is. */
	rc = libusb_set_option(NULL, LIBUSB_OPTION_NO_DEVICE_DISCOVERY);
	if (rc < 0 && rc != LIBUSB_ERROR_NOT_SUPPORTED)
		log_warn("%s: libusb NO_DEVICE_DISCOVERY: %s", h->name,
			 libusb_strerror(rc));
	rc = libusb_init(&h->ctx);
	if (rc < 0) {
		h->ctx = NULL;
		log_error("%s: libusb_init: %s", h->name, libusb_strerror(rc));
		*why = "usb-host: libusb_init failed";
		return -1;
	}
	rc = dh ? libusb_wrap_sys_device(h->ctx, (intptr_t)h->usbfs_fd, dh) :
		  0;
	if (rc < 0) {
		log_error("%s: libusb_wrap_sys_device: %s", h->name,
			  libusb_strerror(rc));
		*why = "usb-host: libusb refused the device fd";
		return -1;
	}
	libusb_set_pollfd_notifiers(h->ctx, pollfd_added, pollfd_removed, h);
	fds = libusb_get_pollfds(h->ctx);
	for (size_t i = 0; fds && fds[i]; i++)
		pollfd_added(fds[i]->fd, fds[i]->events, h);
	libusb_free_pollfds(fds);
	if (!libusb_pollfds_handle_timeouts(h->ctx)) {
		/* No timerfd: transfer timeouts need a periodic look. */
		struct timeval tick = { 0, 100000 };

		h->timer = event_new(h->base, -1, EV_PERSIST, on_libusb, h);
		if (!h->timer) {
			*why = "usb-host: out of memory";
			return -1;
		}
		event_add(h->timer, &tick);
	}
	return 0;
}

/* The host side with `fd` (a checked usbfs node) or, for tests, none
 * (-1): libusb, usbredirhost and the socketpair all the same, but no
 * device is handed to usbredirhost, so no device_connect follows. */
static struct usb_device *host_open(int fd, const char *name,
				    struct event_base *base, const char **why)
{
	libusb_device_handle *dh = NULL;
	struct host *h;
	int sv[2];

	h = calloc(1, sizeof(*h));
	if (!h) {
		*why = "usb-host: out of memory";
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	h->base = base;
	h->usbfs_fd = fd;
	h->sock = -1;
	snprintf(h->name, sizeof(h->name), "%s", name);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       sv) < 0) {
		*why = "usb-host: socketpair failed";
		host_free(h);
		return NULL;
	}
	h->sock = sv[0];
	h->sock_rev = event_new(base, h->sock, EV_READ | EV_PERSIST,
				on_sock_read, h);
	h->sock_wev = event_new(base, h->sock, EV_WRITE | EV_PERSIST,
				on_sock_write, h);
	if (!h->sock_rev || !h->sock_wev) {
		*why = "usb-host: out of memory";
		close(sv[1]);
		host_free(h);
		return NULL;
	}
	if (libusb_setup(h, fd >= 0 ? &dh : NULL, why) < 0) {
		close(sv[1]);
		host_free(h);
		return NULL;
	}
	/* Takes the handle (closed by it on failure); queues its hello and,
	 * once usb-redir.c's hello is in, the device's endpoints and
	 * device_connect. */
	h->rh = usbredirhost_open_full(h->ctx, dh, host_log, host_read,
				       host_write, host_flush_cb, NULL, NULL,
				       NULL, NULL, h,
				       "atoll-usb " ATOLL_VERSION,
				       usbredirparser_warning, 0);
	if (!h->rh) {
		*why = "usb-host: usbredirhost could not take the device "
		       "(claiming its interfaces failed?)";
		close(sv[1]);
		host_free(h);
		return NULL;
	}
	event_add(h->sock_rev, NULL);
	host_flush(h);
	return usb_redir_open(sv[1], base, host_free, h, why);
}

struct usb_device *usb_host_new(int fd, struct event_base *base,
				const char **why)
{
	struct stat st;
	char name[32];

	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = "usb-host: no device fd";
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* A clear refusal before libusb sees it: anything but a usbfs
	 * device node (a file, /dev/null, a memfd) is not a USB device. */
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != USBFS_MAJOR) {
		*why = "usb-host: the fd is not a /dev/bus/usb device node";
		close(fd);
		return NULL;
	}
	snprintf(name, sizeof(name), "usb-host[%u:%u]", major(st.st_rdev),
		 minor(st.st_rdev));
	return host_open(fd, name, base, why);
}

struct usb_device *usb_host_new_unplugged(struct event_base *base,
					  const char **why)
{
	return host_open(-1, "usb-host[none]", base, why);
}
