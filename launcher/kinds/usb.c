/* SPDX-License-Identifier: MIT */
/* Kind usb: atoll-usb (dev-usb/), an xHCI controller with a device on
 * each root port, in the order of `ports:` (docs/dev-usb.md). What a port
 * needs of the host arrives as an fd, made anew at every (re)start:
 *   - storage: its image, opened by the rule every manifest file is
 *     checked with (beneath the manifest's directory or an --image-dir);
 *   - redir: a connection to the usbredir peer at `socket:` (the launcher
 *     connects, as for kind vhost-user: the sandboxed process has no
 *     filesystem), so a restart reconnects;
 *   - host: /dev/bus/usb/BBB/DDD, only with --allow-usb-host: a manifest
 *     must not take the host's hardware on its own.
 * Keyboards and tablets need nothing: QMP send-key and input-send-event
 * and the display's clients reach them as INPUT_EVENTS (qmp-input.c).
 *
 * The controller's state memfd (fd 4, --state-fd=4) is made at the first
 * start and handed to every later one, so a restarted atoll-usb takes the
 * controller back where the guest's driver left it (dev-usb/xhci.h,
 * xhci_state_load: the new process checks what the old one wrote). */
#include "usb.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../common/disk-size.h"
#include "../../dev-usb/xhci.h"
#include "kind.h"
#include "socket-connect.h"

/* After stdout, stderr and the bus: the state memfd, then the ports' fds
 * in port order. */
#define STATE_FD 4
#define FIRST_FD 5
/* The manifest's ports are atoll-usb's --device options, one per USB 2
 * root port. */
_Static_assert(USB_MAX_PORTS == XHCI_USB2_PORTS, "ports: one per USB 2 port");
/* usbfs device nodes (USB_DEVICE_MAJOR, the kernel's devices.txt). */
#define USBFS_MAJOR 189
#define SERIAL_MAX 32

static const char *const keys[] = { "ports", NULL };
static const char *const types[] = { "keyboard", "tablet", "storage", "redir",
				     "host", NULL };
/* Every key a port may have, and each type's own. */
static const char *const port_keys[] = { "type", "vendor", "product",
					 "serial", "image", "readonly",
					 "speed", "socket", "device", NULL };
static const char *const hid_keys[] = { "type", "vendor", "product",
					"serial", NULL };
static const char *const storage_keys[] = { "type", "vendor", "product",
					    "serial", "image", "readonly",
					    "speed", NULL };
/* A disk's speed: SuperSpeed on a USB 3 port, or high speed on USB 2. */
static const char *const speeds[] = { "super", "high", NULL };
static const char *const redir_keys[] = { "type", "socket", NULL };
static const char *const host_keys[] = { "type", "device", NULL };
static const char *const *const type_keys[] = {
	[USB_PORT_KEYBOARD] = hid_keys,
	[USB_PORT_TABLET] = hid_keys,
	[USB_PORT_STORAGE] = storage_keys,
	[USB_PORT_REDIR] = redir_keys,
	[USB_PORT_HOST] = host_keys,
};

/* At most `n` characters of `s` for a message, unprintable ones as '?'. */
static const char *shown(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* vendor:, product:: 0x0001..0xffff (hex with 0x, or decimal). */
static int read_id(struct mctx *c, const struct mmap *m, const char *key,
		   unsigned *out)
{
	char *s, *end = NULL, buf[24];
	unsigned long n = 0;
	const char *digits;
	bool hex, ok;
	struct mval v;
	int r;

	mx_lookup(m, key, &v);
	if (!v.present)
		return 0;
	if ((r = mx_string(c, &v, &s)) < 0)
		return r;
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	digits = hex ? s + 2 : s;
	errno = 0;
	ok = hex ? isxdigit((unsigned char)*digits) :
		   isdigit((unsigned char)*digits);
	if (ok)
		n = strtoul(digits, &end, hex ? 16 : 10);
	ok = ok && !*end && !errno;
	shown(s, buf, sizeof(buf));
	free(s);
	if (!ok)
		return mx_fail(c, v.pos, v.field, "expected a 16-bit USB id "
			       "such as 0x1d6b, got \"%s\"", buf);
	if (n < 1 || n > 0xffff)
		return mx_fail(c, v.pos, v.field, "%s is out of range; "
			       "expected 0x0001..0xffff", buf);
	*out = (unsigned)n;
	return 0;
}

/* serial:: the iSerialNumber string; it travels in atoll-usb's
 * comma-separated --device option, hence the narrow alphabet. */
static int read_serial(struct mctx *c, const struct mmap *m,
		       struct usb_port_config *p)
{
	char buf[SERIAL_MAX + 8];
	struct mval v;
	size_t n;
	int r;

	mx_lookup(m, "serial", &v);
	if (!v.present)
		return 0;
	if ((r = mx_string(c, &v, &p->serial)) < 0)
		return r;
	n = strspn(p->serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		   "wxyz0123456789._-");
	if (!n || n > SERIAL_MAX || p->serial[n])
		return mx_fail(c, v.pos, v.field, "serial \"%s\": 1 to %d of "
			       "A-Z, a-z, 0-9, '.', '_' and '-'",
			       shown(p->serial, buf, sizeof(buf)), SERIAL_MAX);
	return 0;
}

/* vendor, product, serial: the identity of an emulated device. */
static int read_ident(struct mctx *c, const struct mmap *m,
		      struct usb_port_config *p)
{
	int r;

	if ((r = read_id(c, m, "vendor", &p->vendor)) < 0 ||
	    (r = read_id(c, m, "product", &p->product)) < 0)
		return r;
	return read_serial(c, m, p);
}

/* A disk of n bytes the storage model takes: a whole number of 512-byte
 * blocks, at least one. */
static bool disk_size_ok(uint64_t n)
{
	return n && !(n % 512);
}

static int read_storage(struct mctx *c, const struct mmap *m,
			struct usb_port_config *p)
{
	struct mval v;
	struct stat st;
	int r, speed = 0;

	mx_lookup(m, "readonly", &v);
	if (v.present && (r = mx_bool(c, &v, &p->readonly)) < 0)
		return r;
	mx_lookup(m, "speed", &v);
	if (v.present && (r = mx_choice(c, &v, speeds, &speed)) < 0)
		return r;
	p->high_speed = speed == 1;
	mx_lookup(m, "image", &v);
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_existing_path(c, &v, p->readonly ? MX_FILE_DISK_RO :
				  MX_FILE_DISK_RW, &p->image)) < 0)
		return r;
	/* Told now rather than at the start; a block device is always
	 * whole blocks. The plan checks it again on the fd it grants. */
	if (stat(p->image, &st) == 0 && S_ISREG(st.st_mode) &&
	    !disk_size_ok((uint64_t)st.st_size))
		return mx_fail(c, v.pos, v.field, "image is %lld bytes; a USB "
			       "disk is a positive multiple of 512 bytes",
			       (long long)st.st_size);
	return 0;
}

/* device: "BBB/DDD", the bus and device numbers of /dev/bus/usb (as
 * lsusb shows them). */
static int read_host(struct mctx *c, const struct mmap *m,
		     struct usb_port_config *p)
{
	unsigned bus, addr;
	char *s, buf[24];
	struct mval v;
	int n = 0, r;

	mx_lookup(m, "device", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_string(c, &v, &s)) < 0)
		return r;
	if (strspn(s, "0123456789/") != strlen(s) ||
	    sscanf(s, "%3u/%3u%n", &bus, &addr, &n) != 2 || s[n] ||
	    bus < 1 || bus > 255 || addr < 1 || addr > 127) {
		r = mx_fail(c, v.pos, v.field, "device \"%s\": expected "
			    "\"BUS/DEVICE\" as lsusb shows them, such as "
			    "\"001/004\" (bus 1..255, device 1..127)",
			    shown(s, buf, sizeof(buf)));
		free(s);
		return r;
	}
	free(s);
	p->bus = bus;
	p->addr = addr;
	return 0;
}

static int read_port(struct mctx *c, const struct mval *item,
		     struct usb_port_config *p)
{
	char why[40];
	struct mmap m;
	struct mval t;
	int type, r;

	if ((r = mx_as_map(c, item, &m)) < 0)
		return r;
	mx_lookup(&m, "type", &t);
	if ((r = mx_require(c, &t)) < 0 || (r = mx_choice(c, &t, types,
							   &type)) < 0)
		return r;
	p->type = (enum usb_port_type)type;
	snprintf(why, sizeof(why), "for port type %s", types[type]);
	if ((r = mx_check_keys(c, &m, type_keys[type], port_keys, why)) < 0)
		return r;
	switch (p->type) {
	case USB_PORT_STORAGE:
		if ((r = read_storage(c, &m, p)) < 0)
			return r;
		return read_ident(c, &m, p);
	case USB_PORT_KEYBOARD:
	case USB_PORT_TABLET:
		return read_ident(c, &m, p);
	case USB_PORT_REDIR:
		mx_lookup(&m, "socket", &t);
		if ((r = mx_require(c, &t)) < 0)
			return r;
		return mx_existing_path(c, &t, MX_FILE_SOCKET, &p->socket);
	case USB_PORT_HOST:
		if ((r = mx_granted(c, t.pos, t.field,
				    c->policy.allow_usb_host, "a host USB "
				    "device: the manifest would take the "
				    "host's hardware", "usb-host")) < 0)
			return r;
		return read_host(c, &m, p);
	}
	return -EINVAL;
}

static int usb_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	struct usb_config *x = calloc(1, sizeof(*x));
	struct mval v, item;
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	if (!x)
		return -ENOMEM;
	x->state_fd = -1;
	d->data = x;
	mx_lookup(dev, "ports", &v);
	if ((r = mx_require(c, &v)) < 0)
		return r;
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of ports, "
			       "each {type: keyboard|tablet|storage|redir|host"
			       ", ...}");
	count = fy_node_sequence_item_count(v.node);
	if (count < 1 || count > USB_MAX_PORTS)
		return mx_fail(c, v.pos, v.field, "%d ports; the controller "
			       "has 1 to %d", count, USB_MAX_PORTS);
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		/* counted first: release() frees a half-read port too */
		struct usb_port_config *p = &x->ports[x->nports++];

		if ((r = mx_list_item(&v, n, x->nports - 1, &item)) < 0 ||
		    (r = read_port(c, &item, p)) < 0)
			return r;
	}
	return 0;
}

bool usb_has_port(const struct device_config *d, enum usb_port_type t)
{
	const struct usb_config *x = d->data;

	if (strcmp(d->kind, "usb") || !x)
		return false;
	for (size_t i = 0; i < x->nports; i++)
		if (x->ports[i].type == t)
			return true;
	return false;
}

/* ",vendor=0x1234,product=0x5678,serial=S", as set. */
static void ident(char *buf, size_t size, const struct usb_port_config *p)
{
	size_t n = strlen(buf);

	if (p->vendor && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",vendor=0x%04x",
				      p->vendor);
	if (p->product && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",product=0x%04x",
				      p->product);
	if (p->serial && n < size)
		snprintf(buf + n, size - n, ",serial=%s", p->serial);
}

static int plan_storage(struct launch_plan *plan, size_t i,
			const struct usb_port_config *p, int fd,
			uint64_t *limit)
{
	char what[32];
	uint64_t bytes;
	int rc;

	snprintf(what, sizeof(what), "port %zu image", i + 1);
	if ((rc = plan_open(plan, what, p->image, p->readonly ? O_RDONLY :
			    O_RDWR, true, fd)) < 0)
		return rc;
	rc = disk_size(plan->opened[plan->nopened - 1], &bytes);
	if (rc == 0 && !disk_size_ok(bytes))
		rc = -EINVAL;
	if (rc < 0) {
		snprintf(plan->why, sizeof(plan->why), "%s %s: %s", what,
			 p->image, rc == -EINVAL ? "not a positive multiple "
			 "of 512 bytes" : strerror(-rc));
		return rc;
	}
	if (!p->readonly && bytes > *limit)
		*limit = bytes;
	return 0;
}

static int open_host(const struct usb_port_config *p, char *why, size_t whysz)
{
	char path[32];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "/dev/bus/usb/%03u/%03u", p->bus,
		 p->addr);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whysz, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) != USBFS_MAJOR) {
		close(fd);
		snprintf(why, whysz, "%s is not a USB device node", path);
		return -ENODEV;
	}
	return fd;
}

/* Port i's host fd (redir, host) granted as `fd`. */
static int plan_peer(struct launch_plan *plan, size_t i,
		     const struct usb_port_config *p, int fd)
{
	char why[sizeof(plan->why) - 32];
	int peer = p->type == USB_PORT_REDIR ?
		kind_connect_socket(plan->cfg, p->socket, why, sizeof(why)) :
		open_host(p, why, sizeof(why));

	if (peer < 0) {
		snprintf(plan->why, sizeof(plan->why), "port %zu: %s", i + 1,
			 why);
		return peer;
	}
	return plan_grant(plan, peer, fd);
}

int usb_state_fd(const struct device_config *d)
{
	struct usb_config *x = d->data;
	int fd;

	if (x->state_fd >= 0)
		return x->state_fd;
	fd = memfd_create("atoll-usb-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Sealed: a device cannot resize what its successor maps. */
	if (ftruncate(fd, XHCI_STATE_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return x->state_fd = fd;
}

static int plan_state(const struct device_config *d,
		      struct launch_plan *plan)
{
	int rc, fd = usb_state_fd(d);

	if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		rc = fd < 0 ? fd : -errno;
		snprintf(plan->why, sizeof(plan->why), "cannot make the "
			 "controller's state memfd: %s", strerror(-rc));
		return rc;
	}
	if ((rc = plan_grant(plan, fd, STATE_FD)) < 0)
		return rc;
	return plan_arg(plan, "--state-fd=%d", STATE_FD);
}

/* --state-fd=4, then --device=TYPE[,fd=N][,readonly][,vendor=...] for each
 * port, in order, the ports' fds from 5 up. */
static int usb_plan(const struct device_config *d, struct launch_plan *plan)
{
	const struct usb_config *x = d->data;
	uint64_t limit = 0;
	int fd = FIRST_FD, rc;

	if ((rc = plan_state(d, plan)) < 0)
		return rc;
	for (size_t i = 0; i < x->nports; i++) {
		const struct usb_port_config *p = &x->ports[i];
		char arg[128];

		snprintf(arg, sizeof(arg), "%s", types[p->type]);
		if (p->type == USB_PORT_STORAGE) {
			if ((rc = plan_storage(plan, i, p, fd, &limit)) < 0)
				return rc;
			snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg),
				 ",fd=%d%s%s", fd++, p->readonly ? ",readonly" :
				 "", p->high_speed ? ",speed=high" : "");
		} else if (p->type == USB_PORT_REDIR ||
			   p->type == USB_PORT_HOST) {
			if ((rc = plan_peer(plan, i, p, fd)) < 0)
				return rc;
			snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg),
				 ",fd=%d", fd++);
		}
		ident(arg, sizeof(arg), p);
		if ((rc = plan_arg(plan, "--device=%s", arg)) < 0)
			return rc;
	}
	/* RLIMIT_FSIZE caps every write's offset: the largest writable disk
	 * is the least that lets each disk be written whole, and keeps the
	 * process from growing an image past it. */
	if (limit)
		plan->spawn.fsize = (struct sandbox_rlimit){ true,
							     (rlim_t)limit };
	return 0;
}

static void usb_release(struct device_config *d)
{
	struct usb_config *x = d->data;

	for (size_t i = 0; x && i < x->nports; i++) {
		free(x->ports[i].serial);
		free(x->ports[i].image);
		free(x->ports[i].socket);
	}
	if (x && x->state_fd >= 0)
		close(x->state_fd);
	free(x);
	d->data = NULL;
}

const struct device_kind kind_usb = {
	.name = "usb",
	.program = "atoll-usb",
	.build_dir = "dev-usb",
	.keys = keys,
	.read = usb_read,
	.plan = usb_plan,
	.release = usb_release,
};
