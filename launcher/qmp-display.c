/* SPDX-License-Identifier: MIT */
/*
 * QMP screendump, as QEMU 7.2's schema: {filename, device?, head?,
 * format?: "ppm" | "png"}. The launcher opens the file (the operator's
 * path, as QEMU does: relative to the launcher's folder) and passes it to
 * the process holding the scanout (a virtio-gpu device) with SCREENDUMP;
 * that process writes the image and the reply follows its answer. A dump
 * that fails leaves no file behind.
 */
#include "qmp-display.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atoll/bus-event.h>
#include <jansson.h>

#include "proc.h"
#include "qmp.h"

/* How long the scanout holder may take to write a full-screen PNG. */
#define SCREENDUMP_DEADLINE_MS 10000

struct dump {
	struct qmp_reply *reply;
	char *path;
};

static int fail(char **err, int rc, const char *fmt, const char *arg)
{
	if (asprintf(err, fmt, arg) < 0)
		*err = NULL;
	return rc;
}

/* The virtio-gpu device named `device`, or the VM's first one. */
static struct proc *scanout_holder(struct vm *vm, const char *device,
				   char **err)
{
	for (size_t i = 0; i < vm->nprocs; i++) {
		struct proc *p = vm->procs[i];

		if (!p->dev || (device && strcmp(p->name, device)))
			continue;
		if (!strcmp(p->dev->kind, "virtio-gpu"))
			return p;
		fail(err, 0, "'%s' has no display", device);
		return NULL;
	}
	fail(err, 0, device ? "no device '%s' in this VM" :
	     "this VM has no display%s", device ? device : "");
	return NULL;
}

static void dump_done(atoll_bus *bus, int status, struct atoll_msg *m,
		      void *opaque)
{
	struct dump *d = opaque;
	char why[300];

	(void)bus;
	if (status == 0) {
		qmp_reply_send(d->reply, NULL, NULL);
	} else {
		const Atoll__Error *e = m && m->type == ATOLL__MSG_TYPE__MSG_ERROR ?
			(const Atoll__Error *)m->body : NULL;

		snprintf(why, sizeof(why), "screendump failed: %s",
			 e && e->message && *e->message ? e->message :
			 strerror(-status));
		unlink(d->path);
		qmp_reply_send(d->reply, NULL, why);
	}
	free(d->path);
	free(d);
}

static int read_args(json_t *args, const char **path, const char **device,
		     Atoll__ScreendumpFormat *format, char **err)
{
	const char *fmt = "ppm";
	json_int_t head = 0;
	json_error_t je;

	*device = NULL;
	if (json_unpack_ex(args, &je, JSON_STRICT, "{s:s, s?s, s?I, s?s}",
			   "filename", path, "device", device, "head", &head,
			   "format", &fmt) < 0)
		return fail(err, -EINVAL, "screendump: %s", je.text);
	if (head != 0)
		return fail(err, -EINVAL, "screendump: head %s: there is one "
			    "scanout, head 0", "is not 0");
	if (!strcmp(fmt, "png"))
		*format = ATOLL__SCREENDUMP_FORMAT__SCREENDUMP_PNG;
	else if (!strcmp(fmt, "ppm"))
		*format = ATOLL__SCREENDUMP_FORMAT__SCREENDUMP_PPM;
	else
		return fail(err, -EINVAL, "screendump: format '%s': ppm or png",
			    fmt);
	return 0;
}

static int send_dump(struct proc *p, Atoll__ScreendumpFormat format,
		     int fd, struct dump *d)
{
	Atoll__Screendump body = ATOLL__SCREENDUMP__INIT;
	int rc;

	body.format = format;
	rc = atoll_bus_request(p->bus, ATOLL__MSG_TYPE__MSG_SCREENDUMP,
			       &body.base, &fd, 1, SCREENDUMP_DEADLINE_MS,
			       dump_done, d);
	if (rc == 0)
		atoll_bus_event_update(p->bus_ev);
	return rc;
}

static int cmd_screendump(void *opaque, json_t *args, json_t **ret,
			  char **err)
{
	struct vm *vm = opaque;
	const char *path, *device;
	Atoll__ScreendumpFormat format;
	struct dump *d;
	struct proc *p;
	int fd, rc;

	if ((rc = read_args(args, &path, &device, &format, err)) < 0)
		return rc;
	if (!(p = scanout_holder(vm, device, err)))
		return -ENOENT;
	if (!p->bus || p->state != PROC_READY)
		return fail(err, -EAGAIN, "'%s' is not running", p->name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0) {
		rc = -errno;
		if (asprintf(err, "cannot open '%s': %s", path,
			     strerror(-rc)) < 0)
			*err = NULL;
		return rc;
	}
	if (!(d = calloc(1, sizeof(*d))) || !(d->path = strdup(path)) ||
	    !(d->reply = qmp_server_defer(vm->qmp))) {
		if (d)
			free(d->path);
		free(d);
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	rc = send_dump(p, format, fd, d);
	close(fd);   /* the bus sent its own copy */
	if (rc < 0) {
		unlink(path);
		qmp_reply_send(d->reply, NULL, "cannot reach the display");
		free(d->path);
		free(d);
	}
	*ret = NULL;
	return QMP_DEFERRED;
}

int qmp_display_register(struct vm *vm)
{
	return qmp_server_register(vm->qmp, "screendump", cmd_screendump);
}
