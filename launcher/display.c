/* SPDX-License-Identifier: MIT */
/*
 * The launcher's side of atoll-display. The display faces the network, so
 * it gets only what it serves: the listening socket the launcher opened
 * (TCP on a numeric address, or a unix socket made like the QMP one), a
 * read-only open of the scanout memfd (so it cannot map it writable, let
 * alone guest RAM, which it is never granted), and its password in a
 * memfd rather than on its command line.
 */
#include "display.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/bus-event.h>

#include "kinds/virtio-gpu.h"
#include "log.h"
#include "unix-listen.h"

#define LISTEN_FD 4
#define SCANOUT_FD 5
#define PASSWORD_FD 6

struct display_listen {
	int fd;
	struct unix_listen_id id;    /* when the socket is a unix one */
};

/* "HOST:PORT" or "[V6]:PORT", checked by the manifest. */
static int tcp_listen(const char *spec)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} a;
	const char *colon = strrchr(spec, ':');
	char host[64];
	size_t n = (size_t)(colon - spec);
	socklen_t len;
	int fd, one = 1, family;

	if (spec[0] == '[')
		spec++, n -= 2;
	snprintf(host, sizeof(host), "%.*s", (int)n, spec);
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, host, &a.v4.sin_addr) == 1) {
		family = AF_INET;
		a.v4.sin_family = AF_INET;
		a.v4.sin_port = htons((uint16_t)atoi(colon + 1));
		len = sizeof(a.v4);
	} else if (inet_pton(AF_INET6, host, &a.v6.sin6_addr) == 1) {
		family = AF_INET6;
		a.v6.sin6_family = AF_INET6;
		a.v6.sin6_port = htons((uint16_t)atoi(colon + 1));
		len = sizeof(a.v6);
	} else {
		return -EINVAL;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 8) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int display_open(struct vm *vm)
{
	const struct display_config *c = &vm->cfg->display;
	struct display_listen *l;

	if (!c->vnc)
		return 0;
	if (!(l = calloc(1, sizeof(*l))))
		return -ENOMEM;
	l->fd = c->unix_path ? unix_listen(c->unix_path, 8, &l->id)
			     : tcp_listen(c->listen);
	if (l->fd < 0) {
		int rc = l->fd;

		log_error("display: cannot listen on %s: %s",
			  c->unix_path ? c->unix_path : c->listen,
			  c->unix_path ? unix_listen_strerror(rc) : strerror(-rc));
		free(l);
		return rc;
	}
	vm->display_listen = l;
	return 0;
}

void display_close(struct vm *vm)
{
	struct display_listen *l = vm->display_listen;

	if (!l)
		return;
	close(l->fd);
	if (vm->cfg->display.unix_path)
		unix_listen_remove(vm->cfg->display.unix_path, &l->id);
	free(l);
	vm->display_listen = NULL;
}

static const struct device_config *the_gpu(const struct vm_config *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].kind, "virtio-gpu"))
			return &cfg->devices[i];
	return NULL;
}

/* A new read-only open file of the memfd: mmap(PROT_WRITE) on it fails. */
static int scanout_readonly(const struct vm_config *cfg)
{
	const struct device_config *gpu = the_gpu(cfg);
	char path[64];
	int fd = gpu ? virtio_gpu_scanout_fd(gpu) : -ENODEV;

	if (fd < 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int password_memfd(const char *password)
{
	int fd = memfd_create("atoll-vnc-password", MFD_CLOEXEC);
	size_t len = strlen(password);

	if (fd < 0)
		return -errno;
	if (write(fd, password, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int display_plan(struct vm *vm, struct launch_plan *plan)
{
	const struct display_config *c = &vm->cfg->display;
	int fd, rc;

	if (!vm->display_listen)
		return -EBADF;
	if ((fd = fcntl(vm->display_listen->fd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (rc = plan_grant(plan, fd, LISTEN_FD)) < 0 ||
	    (rc = plan_arg(plan, "--listen-fd=%d", LISTEN_FD)) < 0)
		goto fail;
	if ((fd = scanout_readonly(vm->cfg)) < 0 ||
	    (rc = plan_grant(plan, fd, SCANOUT_FD)) < 0 ||
	    (rc = plan_arg(plan, "--scanout-fd=%d", SCANOUT_FD)) < 0)
		goto fail;
	if (c->password &&
	    ((fd = password_memfd(c->password)) < 0 ||
	     (rc = plan_grant(plan, fd, PASSWORD_FD)) < 0 ||
	     (rc = plan_arg(plan, "--password-fd=%d", PASSWORD_FD)) < 0))
		goto fail;
	return 0;
fail:
	rc = fd < 0 ? (fd == -1 ? -errno : fd) : rc;
	snprintf(plan->why, sizeof(plan->why), "display: %s", strerror(-rc));
	return rc;
}

/* Passed on unchanged (the display checks every rectangle itself). From
 * the display's HELLO on: it copies the whole scanout as it starts, after
 * HELLO, so a flush before then is in that copy and none after is lost.
 * The post never blocks: a display that does not keep up (its socket
 * full) loses rectangles, so the next message that gets through is
 * preceded by an empty one, which the display takes as the whole
 * scanout. Nothing queues in the launcher. */
void display_forward_dirty(struct vm *vm, const struct atoll_msg *m)
{
	struct proc *p = vm->display;

	if (!p || !p->bus || !p->hello || atoll_bus_is_closed(p->bus))
		return;
	if (vm->display_stale &&
	    atoll_bus_post(p->bus, ATOLL__MSG_TYPE__MSG_SCANOUT_DIRTY, NULL,
			   NULL, 0) == 0)
		vm->display_stale = false;
	if (vm->display_stale ||
	    atoll_bus_post(p->bus, ATOLL__MSG_TYPE__MSG_SCANOUT_DIRTY, m->body,
			   NULL, 0) < 0) {
		if (!vm->display_stale)
			log_warn("display: not keeping up with the screen: "
				 "it will copy the whole scanout next");
		vm->display_stale = true;
		return;
	}
	atoll_bus_event_update(p->bus_ev);
}
