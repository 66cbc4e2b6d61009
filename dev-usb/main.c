/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb: an xHCI controller (PCI class 0x0c0330) in its own process,
 * as a generic PCI function of libatoll-device: one 64 KiB MMIO BAR 0
 * (this platform has 32-bit BARs only) and INTA#, level-triggered. The
 * platform has no MSI or MSI-X, so Linux's xhci-pci falls back to its
 * legacy interrupt and one interrupter is all it uses.
 *
 * The devices on the root ports come from --device options, device i on
 * root port i + 1 (USB 2 ports 1-8; a SuperSpeed device goes to the USB 3
 * port paired with it, i + 9). INPUT_EVENTS from the launcher go to every
 * keyboard and tablet port (docs/dev-usb.md).
 *
 * With --state-fd, a memfd the launcher keeps across restarts, the
 * controller's state (registers, rings, slots, endpoints, ports) lives on
 * after the process: a restarted atoll-usb takes it back, sets the
 * devices' configurations again and carries on where the guest's driver
 * left it, so the guest sees no reset (xhci-state.c).
 *
 * usage: atoll-usb [--fd=N] [--name=NAME] [--state-fd=N] [--file=NAME=FD]
 *                  --device=TYPE[,key=value...]...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <atoll/device.h>

#include "child.h"
#include "log.h"
#include "usb-models.h"
#include "xhci.h"

#define MAX_DEVICES XHCI_USB2_PORTS

enum dev_type { T_KEYBOARD, T_TABLET, T_STORAGE, T_REDIR, T_HOST };

struct dev_spec {
	enum dev_type type;
	int fd;
	bool readonly;
	enum usb_speed speed;   /* storage: super (default) or high */
	struct usb_ident id;
};

struct usbctl {
	struct child *c;
	atoll_dev *dev;
	struct xhci *x;
	unsigned n;
	struct dev_spec spec[MAX_DEVICES];
	struct usb_device *hid[MAX_DEVICES];   /* keyboards and tablets */
	unsigned nhid;
	int state_fd;                          /* -1: none */
	void *state;                           /* its mapping */
	bool restored;
};

static int parse_u16(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v == 0 || v > 0xffff)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int parse_fd(const char *s, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* --device=TYPE[,key=value...]: the keys each type takes, by getsubopt. */
static int parse_device(struct usbctl *u, char *arg)
{
	static const char *const types[] = {
		"keyboard", "tablet", "storage", "redir", "host",
	};
	enum { K_FD, K_READONLY, K_VENDOR, K_PRODUCT, K_SERIAL, K_SPEED };
	static char *const keys[] = {
		"fd", "readonly", "vendor", "product", "serial", "speed", NULL,
	};
	struct dev_spec *s;
	char *type, *value;
	unsigned t;

	if (u->n == MAX_DEVICES) {
		log_error("more than %u devices", MAX_DEVICES);
		return -EINVAL;
	}
	s = &u->spec[u->n];
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->speed = USB_SPEED_SUPER;
	type = arg;
	arg = strchr(arg, ',');
	if (arg)
		*arg++ = '\0';
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		if (!strcmp(type, types[t]))
			break;
	if (t == sizeof(types) / sizeof(types[0])) {
		log_error("--device: unknown type \"%s\"", type);
		return -EINVAL;
	}
	s->type = (enum dev_type)t;
	while (arg && *arg) {
		int k = getsubopt(&arg, keys, &value);
		bool emulated = s->type != T_REDIR && s->type != T_HOST;
		int r = 0;

		switch (k) {
		case K_FD:
			r = emulated && s->type != T_STORAGE ? -EINVAL :
			    parse_fd(value, &s->fd);
			break;
		case K_READONLY:
			r = s->type == T_STORAGE && !value ? 0 : -EINVAL;
			s->readonly = true;
			break;
		case K_VENDOR:
			r = emulated ? parse_u16(value, &s->id.vendor_id) :
			    -EINVAL;
			break;
		case K_PRODUCT:
			r = emulated ? parse_u16(value, &s->id.product_id) :
			    -EINVAL;
			break;
		case K_SERIAL:
			r = emulated && value && *value ? 0 : -EINVAL;
			s->id.serial = value;
			break;
		case K_SPEED:
			r = s->type == T_STORAGE && value ? 0 : -EINVAL;
			if (!r && !strcmp(value, "high"))
				s->speed = USB_SPEED_HIGH;
			else if (!r && strcmp(value, "super"))
				r = -EINVAL;
			break;
		default:
			r = -EINVAL;
			break;
		}
		if (r < 0) {
			log_error("--device=%s: bad or misplaced key \"%s\"",
				  type, k >= 0 ? keys[k] : value);
			return -EINVAL;
		}
	}
	if ((s->type == T_STORAGE || s->type == T_REDIR || s->type == T_HOST) &&
	    s->fd < 0) {
		log_error("--device=%s needs fd=N", type);
		return -EINVAL;
	}
	u->n++;
	return 0;
}

static int usb_opt(int opt, const char *arg, void *state)
{
	struct usbctl *u = state;
	char *copy;

	if (opt == 's')
		return parse_fd(arg, &u->state_fd);
	if (opt == 'f') {
		/* --file=NAME=FD, as kind external passes its files:
		 * "state" is the state memfd; the others are named by fd in
		 * --device options. */
		const char *eq = strchr(arg, '=');
		int fd;

		if (!eq || eq == arg || parse_fd(eq + 1, &fd) < 0)
			return -EINVAL;
		if ((size_t)(eq - arg) == 5 && !strncmp(arg, "state", 5))
			u->state_fd = fd;
		return 0;
	}
	if (opt != 'd')
		return -EINVAL;
	/* getsubopt writes into its string; argv stays as it was. */
	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	return parse_device(u, copy);
}

/* ---- libatoll-device glue ---- */

static int dma_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct usbctl *u = opaque;

	return atoll_dev_dma_read(u->dev, gpa, buf, len) < 0 ? -EFAULT : 0;
}

static int dma_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct usbctl *u = opaque;

	return atoll_dev_dma_write(u->dev, gpa, buf, len) < 0 ? -EFAULT : 0;
}

static void irq(void *opaque, bool level)
{
	struct usbctl *u = opaque;

	atoll_dev_irq_set(u->dev, 0, level);
}

static void xlog(void *opaque, const char *fmt, va_list ap)
{
	(void)opaque;
	log_vmsg(ATOLL_LOG_WARN, fmt, ap);
}

static const struct xhci_host_ops host_ops = {
	.dma_read = dma_read,
	.dma_write = dma_write,
	.irq = irq,
	.log = xlog,
};

static uint64_t bar_read(void *opaque, uint32_t index, uint64_t offset,
			 unsigned size)
{
	struct usbctl *u = child_state(opaque);

	(void)index;
	return xhci_mmio_read(u->x, offset, size);
}

static void bar_write(void *opaque, uint32_t index, uint64_t offset,
		      unsigned size, uint64_t value)
{
	struct usbctl *u = child_state(opaque);

	(void)index;
	xhci_mmio_write(u->x, offset, size, value);
}

static const struct atoll_dev_region bar0 = {
	.index = 0, .size = XHCI_BAR_SIZE,
	.read = bar_read, .write = bar_write,
};

/* Red Hat's QEMU xHCI ids (1b36:000d): Linux's xhci-pci applies no
 * quirk to them that would not fit this controller. */
static const struct atoll_dev_generic xhci_desc = {
	.bus = ATOLL_DEV_BUS_PCI,
	.vendor_id = 0x1b36, .device_id = 0x000d,
	.subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
	.revision = 1,
	.class_code = 0x0c0330,
	.regions = &bar0, .num_regions = 1,
	.num_irqs = 1,
};

static struct usb_device *make_device(struct usbctl *u,
				      const struct dev_spec *s,
				      const char **why)
{
	struct usb_device *d = NULL;

	*why = "out of memory";
	switch (s->type) {
	case T_KEYBOARD:
		d = usb_keyboard_new(&s->id);
		break;
	case T_TABLET:
		d = usb_tablet_new(&s->id);
		break;
	case T_STORAGE:
		d = usb_storage_new(s->fd, s->readonly, s->speed, &s->id,
				    why);
		break;
	case T_REDIR:
		d = usb_redir_new(s->fd, child_base(u->c), why);
		break;
	case T_HOST:
		d = usb_host_new(s->fd, child_base(u->c), why);
		break;
	}
	return d;
}

/* Guest memory is mapped: a restored controller goes on with what the
 * old process left (commands, TDs, port changes). */
static void usb_memory(void *opaque)
{
	struct usbctl *u = child_state(opaque);

	if (u->restored && u->x)
		xhci_resume(u->x);
}

/* The state memfd: mapped shared, at least XHCI_STATE_SIZE bytes. */
static int state_map(struct usbctl *u)
{
	struct stat st;

	if (fstat(u->state_fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)XHCI_STATE_SIZE)
		return -EINVAL;
	u->state = mmap(NULL, XHCI_STATE_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED, u->state_fd, 0);
	if (u->state == MAP_FAILED) {
		u->state = NULL;
		return -errno;
	}
	return 0;
}

static void state_restore(struct usbctl *u)
{
	char why[128];
	int r;

	if (u->state_fd < 0)
		return;
	if ((r = state_map(u)) < 0) {
		log_warn("--state-fd=%d unusable (%s): a restart will reset "
			 "the controller", u->state_fd, strerror(-r));
		return;
	}
	xhci_state_attach(u->x, u->state, XHCI_STATE_SIZE);
	r = xhci_state_load(u->x, why, sizeof(why));
	if (r == 1) {
		u->restored = true;
		log_info("controller state restored: the guest's driver goes on");
	} else if (r < 0) {
		log_warn("controller state refused (%s): starting from reset",
			 why);
	}
}

static int usb_setup(struct child *c)
{
	struct usbctl *u = child_state(c);
	struct atoll_dev_config dc;

	u->c = c;
	child_dev_config(c, &dc);
	dc.generic = &xhci_desc;
	dc.memory = usb_memory;
	if (!(u->dev = atoll_dev_new(&dc)))
		return -errno;
	child_set_device(c, u->dev);
	if (!(u->x = xhci_new(&host_ops, u)))
		return -ENOMEM;
	for (unsigned i = 0; i < u->n; i++) {
		const struct dev_spec *s = &u->spec[i];
		const char *why;
		struct usb_device *d = make_device(u, s, &why);
		unsigned port = i + 1;
		int r;

		if (!d) {
			log_error("device %u (%s): %s", i + 1,
				  s->type == T_STORAGE ? "storage" :
				  s->type == T_REDIR ? "redir" :
				  s->type == T_HOST ? "host" : "hid", why);
			return -EINVAL;
		}
		/* An emulated device is plugged in from the start; a
		 * passthrough one once its peer announces it. */
		if (s->type == T_KEYBOARD || s->type == T_TABLET ||
		    s->type == T_STORAGE)
			d->connected = true;
		if (d->speed == USB_SPEED_SUPER)
			port += XHCI_USB2_PORTS;
		if ((r = xhci_attach(u->x, port, d)) < 0) {
			d->ops->destroy(d);
			log_error("device %u: port %u: %s", i + 1, port,
				  strerror(-r));
			return r;
		}
		if (s->type == T_KEYBOARD || s->type == T_TABLET)
			u->hid[u->nhid++] = d;
		log_info("port %u: %s", port, d->kind);
	}
	state_restore(u);
	return 0;
}

/* INPUT_EVENTS: each event to every keyboard and tablet that takes it
 * (a key means nothing to a tablet: -EINVAL there is not an error). */
static int usb_message(struct child *c, struct atoll_msg *m)
{
	struct usbctl *u = child_state(c);
	const Atoll__InputEvents *req = (const Atoll__InputEvents *)m->body;
	unsigned dropped = 0;

	if (m->type != ATOLL__MSG_TYPE__MSG_INPUT_EVENTS)
		return -EOPNOTSUPP;
	if (u->nhid == 0)
		return atoll_bus_reply_error(child_bus(c), m, ENODEV,
					     "no keyboard or tablet"), 0;
	for (size_t i = 0; i < req->n_events; i++) {
		const Atoll__InputEvent *e = req->events[i];

		if (e->type > 0xffff || e->code > 0xffff)
			return atoll_bus_reply_error(child_bus(c), m, EINVAL,
						     "event %zu: type %u code "
						     "%u", i, e->type,
						     e->code), 0;
	}
	for (size_t i = 0; i < req->n_events; i++) {
		const Atoll__InputEvent *e = req->events[i];

		for (unsigned h = 0; h < u->nhid; h++)
			if (usb_hid_input(u->hid[h], (uint16_t)e->type,
					  (uint16_t)e->code, e->value) ==
			    -ENOSPC)
				dropped++;
	}
	if (dropped)
		atoll_bus_reply_error(child_bus(c), m, ENOSPC, "the guest is "
				      "not reading its input");
	else
		atoll_bus_reply_ack(child_bus(c), m);
	return 0;
}

static void usb_health(struct child *c, Atoll__HealthReport *r)
{
	struct usbctl *u = child_state(c);
	struct xhci_stats st;

	if (!u->x)
		return;
	xhci_get_stats(u->x, &st);
	r->requests_completed = st.transfers + st.commands;
	r->requests_failed = st.refusals;
	if (xhci_failed(u->x)) {
		size_t len;
		char *buf = child_status_buf(c, &len);

		snprintf(buf, len, "host controller error (USBSTS.HCE)");
		r->status = buf;
	}
}

static void usb_teardown(struct child *c)
{
	struct usbctl *u = child_state(c);
	struct xhci_stats st;

	if (u->x) {
		/* Every register access is a round trip through atoll-cpu:
		 * the figure to watch for speed. */
		xhci_get_stats(u->x, &st);
		log_info("%llu TDs, %llu commands, %llu events, %llu register "
			 "reads, %llu writes, %llu refusals",
			 (unsigned long long)st.transfers,
			 (unsigned long long)st.commands,
			 (unsigned long long)st.events,
			 (unsigned long long)st.reads,
			 (unsigned long long)st.writes,
			 (unsigned long long)st.refusals);
	}

	/* The devices first: they may still call into the controller. */
	xhci_free(u->x);
	u->x = NULL;
	atoll_dev_free(u->dev);
	u->dev = NULL;
	if (u->state)
		munmap(u->state, XHCI_STATE_SIZE);
	u->state = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "state-fd", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct child_ops ops = {
		.kind = "usb",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.device = true,
		.setup = usb_setup,
		.message = usb_message,
		.health = usb_health,
		.teardown = usb_teardown,
	};
	static struct usbctl u = { .state_fd = -1 };

	return child_main(argc, argv, &ops, &u, opts, usb_opt,
		"  --device=TYPE[,key=value...]  a device on the next root "
		"port (repeatable, at most 8):\n"
		"      keyboard|tablet[,vendor=ID][,product=ID][,serial=S]\n"
		"      storage,fd=N[,readonly][,speed=super|high][,vendor=ID]"
		"[,product=ID]\n"
		"             [,serial=S]   a disk, SuperSpeed (on the USB 3 "
		"port\n"
		"             paired with its port, 9..16) unless speed=high\n"
		"      redir,fd=N   a connected usbredir stream socket\n"
		"      host,fd=N    an open /dev/bus/usb/BBB/DDD\n"
		"  --state-fd=N  a memfd of at least 256 KiB kept across "
		"restarts: the\n"
		"      controller's state, taken back by a restarted process\n"
		"  --file=NAME=FD  kind external's files: \"state\" is "
		"--state-fd=FD\n");
}
