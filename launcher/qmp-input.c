/* SPDX-License-Identifier: MIT */
/*
 * QMP send-key, as QEMU 7.2's schema: {keys: [{type: "qcode", data:
 * NAME}, ...], hold-time?}. The keys are pressed in order and released in
 * the reverse order, each change followed by EV_SYN, and go to the VM's
 * keyboard as one INPUT_EVENTS; the reply follows its Ack. The whole
 * sequence is queued at once: hold-time is accepted and not waited for.
 * Key names are QEMU's qcodes (the common ones below); type "number" (a
 * raw scancode) is refused.
 *
 * The VM's keyboard is its first device, in manifest order, that has one:
 * a virtio-input keyboard, or a usb controller with a keyboard port (the
 * controller hands the events to each of its keyboard and tablet ports).
 * Its tablet likewise: a virtio-input tablet or a usb controller with a
 * tablet port. The display's clients (input_forward) reach the same two.
 */
#include "qmp-input.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atoll/bus-event.h>
#include <jansson.h>

#include "kinds/usb.h"
#include "kinds/virtio-input.h"
#include "log.h"
#include "proc.h"
#include "qmp.h"

#define MAX_KEYS 16
#define INPUT_DEADLINE_MS 5000

static const struct {
	const char *qcode;
	unsigned short key;
} qcodes[] = {
	{ "a", KEY_A }, { "b", KEY_B }, { "c", KEY_C }, { "d", KEY_D },
	{ "e", KEY_E }, { "f", KEY_F }, { "g", KEY_G }, { "h", KEY_H },
	{ "i", KEY_I }, { "j", KEY_J }, { "k", KEY_K }, { "l", KEY_L },
	{ "m", KEY_M }, { "n", KEY_N }, { "o", KEY_O }, { "p", KEY_P },
	{ "q", KEY_Q }, { "r", KEY_R }, { "s", KEY_S }, { "t", KEY_T },
	{ "u", KEY_U }, { "v", KEY_V }, { "w", KEY_W }, { "x", KEY_X },
	{ "y", KEY_Y }, { "z", KEY_Z },
	{ "1", KEY_1 }, { "2", KEY_2 }, { "3", KEY_3 }, { "4", KEY_4 },
	{ "5", KEY_5 }, { "6", KEY_6 }, { "7", KEY_7 }, { "8", KEY_8 },
	{ "9", KEY_9 }, { "0", KEY_0 },
	{ "ret", KEY_ENTER }, { "esc", KEY_ESC }, { "spc", KEY_SPACE },
	{ "tab", KEY_TAB }, { "backspace", KEY_BACKSPACE },
	{ "minus", KEY_MINUS }, { "equal", KEY_EQUAL },
	{ "bracket_left", KEY_LEFTBRACE }, { "bracket_right", KEY_RIGHTBRACE },
	{ "semicolon", KEY_SEMICOLON }, { "apostrophe", KEY_APOSTROPHE },
	{ "grave_accent", KEY_GRAVE }, { "backslash", KEY_BACKSLASH },
	{ "comma", KEY_COMMA }, { "dot", KEY_DOT }, { "slash", KEY_SLASH },
	{ "shift", KEY_LEFTSHIFT }, { "shift_r", KEY_RIGHTSHIFT },
	{ "ctrl", KEY_LEFTCTRL }, { "ctrl_r", KEY_RIGHTCTRL },
	{ "alt", KEY_LEFTALT }, { "alt_r", KEY_RIGHTALT },
	{ "meta_l", KEY_LEFTMETA }, { "meta_r", KEY_RIGHTMETA },
	{ "caps_lock", KEY_CAPSLOCK }, { "menu", KEY_COMPOSE },
	{ "f1", KEY_F1 }, { "f2", KEY_F2 }, { "f3", KEY_F3 }, { "f4", KEY_F4 },
	{ "f5", KEY_F5 }, { "f6", KEY_F6 }, { "f7", KEY_F7 }, { "f8", KEY_F8 },
	{ "f9", KEY_F9 }, { "f10", KEY_F10 }, { "f11", KEY_F11 },
	{ "f12", KEY_F12 },
	{ "up", KEY_UP }, { "down", KEY_DOWN }, { "left", KEY_LEFT },
	{ "right", KEY_RIGHT }, { "home", KEY_HOME }, { "end", KEY_END },
	{ "pgup", KEY_PAGEUP }, { "pgdn", KEY_PAGEDOWN },
	{ "insert", KEY_INSERT }, { "delete", KEY_DELETE },
};

static int fail(char **err, int rc, const char *fmt, const char *arg)
{
	if (asprintf(err, fmt, arg) < 0)
		*err = NULL;
	return rc;
}

static int key_of(json_t *kv, unsigned short *key, char **err)
{
	const char *type, *data;
	json_error_t je;

	if (json_unpack_ex(kv, &je, JSON_STRICT, "{s:s, s:s}", "type", &type,
			   "data", &data) < 0)
		return fail(err, -EINVAL, "send-key: %s (only {type: qcode, "
			    "data: NAME} keys)", je.text);
	if (strcmp(type, "qcode"))
		return fail(err, -EINVAL, "send-key: key type '%s': only qcode",
			    type);
	for (size_t i = 0; i < sizeof(qcodes) / sizeof(qcodes[0]); i++)
		if (!strcmp(qcodes[i].qcode, data)) {
			*key = qcodes[i].key;
			return 0;
		}
	return fail(err, -EINVAL, "send-key: unknown qcode '%s'", data);
}

static bool has_keyboard(const struct device_config *d)
{
	return virtio_input_is_keyboard(d) ||
	       usb_has_port(d, USB_PORT_KEYBOARD);
}

static bool has_tablet(const struct device_config *d)
{
	return (!strcmp(d->kind, "virtio-input") &&
		!virtio_input_is_keyboard(d)) ||
	       usb_has_port(d, USB_PORT_TABLET);
}

/* The first process, in manifest order, whose device passes `has`. */
static struct proc *first(struct vm *vm,
			  bool (*has)(const struct device_config *))
{
	for (size_t i = 0; i < vm->nprocs; i++)
		if (vm->procs[i]->dev && has(vm->procs[i]->dev))
			return vm->procs[i];
	return NULL;
}

static struct proc *keyboard(struct vm *vm)
{
	return first(vm, has_keyboard);
}

static struct proc *tablet(struct vm *vm)
{
	return first(vm, has_tablet);
}

static void sent(atoll_bus *bus, int status, struct atoll_msg *m,
		 void *opaque)
{
	const Atoll__Error *e = m && m->type == ATOLL__MSG_TYPE__MSG_ERROR ?
		(const Atoll__Error *)m->body : NULL;
	char why[200];

	(void)bus;
	if (status == 0) {
		qmp_reply_send(opaque, NULL, NULL);
		return;
	}
	snprintf(why, sizeof(why), "send-key failed: %s",
		 e && e->message ? e->message : strerror(-status));
	qmp_reply_send(opaque, NULL, why);
}

static void add(Atoll__InputEvent *ev, Atoll__InputEvent **ptr, size_t *n,
		unsigned type, unsigned code, int value)
{
	atoll__input_event__init(&ev[*n]);
	ev[*n].type = type;
	ev[*n].code = code;
	ev[*n].value = value;
	ptr[*n] = &ev[*n];
	(*n)++;
}

static int cmd_send_key(void *opaque, json_t *args, json_t **ret, char **err)
{
	struct vm *vm = opaque;
	Atoll__InputEvent ev[MAX_KEYS * 4], *ptr[MAX_KEYS * 4];
	Atoll__InputEvents body = ATOLL__INPUT_EVENTS__INIT;
	unsigned short keys[MAX_KEYS];
	json_int_t hold = 0;
	json_error_t je;
	json_t *list, *kv;
	struct qmp_reply *reply;
	struct proc *p;
	size_t i, n = 0, nkeys;
	int rc;

	if (json_unpack_ex(args, &je, JSON_STRICT, "{s:o, s?I}", "keys", &list,
			   "hold-time", &hold) < 0 || !json_is_array(list))
		return fail(err, -EINVAL, "send-key: %s",
			    json_is_array(list) ? je.text : "keys: a list");
	nkeys = json_array_size(list);
	if (!nkeys || nkeys > MAX_KEYS)
		return fail(err, -EINVAL, "send-key: 1 to %s keys", "16");
	json_array_foreach(list, i, kv)
		if ((rc = key_of(kv, &keys[i], err)) < 0)
			return rc;
	if (!(p = keyboard(vm)))
		return fail(err, -ENOENT, "send-key: %s", "this VM has no "
			    "keyboard (virtio-input, or a usb keyboard port)");
	if (!p->bus || p->state != PROC_READY)
		return fail(err, -EAGAIN, "'%s' is not running", p->name);
	for (i = 0; i < nkeys; i++) {
		add(ev, ptr, &n, EV_KEY, keys[i], 1);
		add(ev, ptr, &n, EV_SYN, SYN_REPORT, 0);
	}
	for (i = nkeys; i-- > 0;) {
		add(ev, ptr, &n, EV_KEY, keys[i], 0);
		add(ev, ptr, &n, EV_SYN, SYN_REPORT, 0);
	}
	body.n_events = n;
	body.events = ptr;
	if (!(reply = qmp_server_defer(vm->qmp)))
		return -ENOMEM;
	rc = atoll_bus_request(p->bus, ATOLL__MSG_TYPE__MSG_INPUT_EVENTS,
			       &body.base, NULL, 0, INPUT_DEADLINE_MS, sent,
			       reply);
	if (rc < 0)
		qmp_reply_send(reply, NULL, "cannot reach the keyboard");
	else
		atoll_bus_event_update(p->bus_ev);
	*ret = NULL;
	return QMP_DEFERRED;
}

static void forwarded(atoll_bus *bus, int status, struct atoll_msg *m,
		      void *opaque)
{
	(void)bus;
	(void)m;
	(void)opaque;
	if (status < 0)
		log_debug("input event not delivered: %s", strerror(-status));
}

/* Keys (EV_KEY below BTN_MISC) to the keyboard, the rest (EV_ABS, the
 * buttons) to the tablet; SYN goes with the batch. A device missing or
 * not running drops them. */
void input_forward(struct vm *vm, const Atoll__InputEvents *in)
{
	bool keys = false;
	struct proc *p;

	for (size_t i = 0; i < in->n_events; i++)
		if (in->events[i]->type == EV_KEY &&
		    in->events[i]->code < BTN_MISC)
			keys = true;
	p = keys ? keyboard(vm) : tablet(vm);
	if (!p || !p->bus || p->state != PROC_READY)
		return;
	if (atoll_bus_request(p->bus, ATOLL__MSG_TYPE__MSG_INPUT_EVENTS,
			      &in->base, NULL, 0, INPUT_DEADLINE_MS, forwarded,
			      NULL) == 0)
		atoll_bus_event_update(p->bus_ev);
}

/* One input-send-event event into the keyboard's or the tablet's list. */
static int one_event(json_t *e, Atoll__InputEvent *kev, Atoll__InputEvent **kp,
		     size_t *nk, Atoll__InputEvent *tev, Atoll__InputEvent **tp,
		     size_t *nt, char **err)
{
	static const struct {
		const char *name;
		unsigned short code;
	} buttons[] = { { "left", BTN_LEFT }, { "middle", BTN_MIDDLE },
			{ "right", BTN_RIGHT } };
	const char *type, *axis, *button;
	json_t *data, *key;
	json_int_t value;
	unsigned short code;
	int down, rc;

	if (json_unpack(e, "{s:s, s:o}", "type", &type, "data", &data) < 0)
		return fail(err, -EINVAL, "input-send-event: %s",
			    "each event is {type, data}");
	if (!strcmp(type, "key")) {
		if (json_unpack(data, "{s:o, s:b}", "key", &key, "down", &down) < 0)
			return fail(err, -EINVAL, "input-send-event: %s",
				    "key: {key, down}");
		if ((rc = key_of(key, &code, err)) < 0)
			return rc;
		add(kev, kp, nk, EV_KEY, code, down);
		return 0;
	}
	if (!strcmp(type, "btn")) {
		if (json_unpack(data, "{s:s, s:b}", "button", &button,
				"down", &down) < 0)
			return fail(err, -EINVAL, "input-send-event: %s",
				    "btn: {button, down}");
		for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++)
			if (!strcmp(buttons[i].name, button)) {
				add(tev, tp, nt, EV_KEY, buttons[i].code, down);
				return 0;
			}
		return fail(err, -EINVAL, "input-send-event: button '%s': "
			    "left, middle or right", button);
	}
	if (!strcmp(type, "abs")) {
		if (json_unpack(data, "{s:s, s:I}", "axis", &axis, "value",
				&value) < 0 || (strcmp(axis, "x") && strcmp(axis, "y")))
			return fail(err, -EINVAL, "input-send-event: %s",
				    "abs: {axis: x|y, value}");
		if (value < 0 || value > 32767)
			return fail(err, -EINVAL, "input-send-event: abs value "
				    "%s", "outside 0..32767");
		add(tev, tp, nt, EV_ABS, axis[0] == 'x' ? ABS_X : ABS_Y,
		    (int)value);
		return 0;
	}
	return fail(err, -EINVAL, "input-send-event: event type '%s': key, "
		    "btn or abs (there is no relative mouse)", type);
}

static void send_batch(struct proc *p, Atoll__InputEvent *ev,
		       Atoll__InputEvent **ptr, size_t n)
{
	Atoll__InputEvents body = ATOLL__INPUT_EVENTS__INIT;

	add(ev, ptr, &n, EV_SYN, SYN_REPORT, 0);
	body.n_events = n;
	body.events = ptr;
	if (atoll_bus_request(p->bus, ATOLL__MSG_TYPE__MSG_INPUT_EVENTS,
			      &body.base, NULL, 0, INPUT_DEADLINE_MS, forwarded,
			      NULL) == 0)
		atoll_bus_event_update(p->bus_ev);
}

/* The device `name` for input-send-event's `device`: it must have a
 * keyboard if there are keys (nk), a tablet if there are pointer events
 * (nt). */
static int named(struct vm *vm, const char *name, size_t nk, size_t nt,
		 struct proc **out, char **err)
{
	char why[160];

	for (size_t i = 0; i < vm->nprocs; i++) {
		struct proc *p = vm->procs[i];

		if (!p->dev || strcmp(p->dev->name, name))
			continue;
		if ((nk && !has_keyboard(p->dev)) ||
		    (nt && !has_tablet(p->dev))) {
			snprintf(why, sizeof(why), "input-send-event: device "
				 "'%.40s' has no %s", name, nk &&
				 !has_keyboard(p->dev) ? "keyboard" : "tablet");
			return fail(err, -EINVAL, "%s", why);
		}
		*out = p;
		return 0;
	}
	return fail(err, -ENOENT, "input-send-event: no device '%.40s'", name);
}

/* input-send-event {events, device?, head?}, as QEMU 7.2: key events to
 * the VM's keyboard, btn and abs (0..32767) to its tablet, or all to
 * `device` (a device's manifest name) when given; each batch ends in
 * EV_SYN; answered once sent (QEMU does not wait for the guest either).
 * head is accepted and not used. */
static int cmd_input_send_event(void *opaque, json_t *args, json_t **ret,
				char **err)
{
	struct vm *vm = opaque;
	Atoll__InputEvent kev[MAX_KEYS + 1], *kp[MAX_KEYS + 1];
	Atoll__InputEvent tev[MAX_KEYS + 1], *tp[MAX_KEYS + 1];
	const char *device = NULL;
	json_int_t head = 0;
	size_t nk = 0, nt = 0, i;
	json_error_t je;
	json_t *list, *e;
	struct proc *kbd, *tab;
	int rc;

	if (json_unpack_ex(args, &je, JSON_STRICT, "{s:o, s?s, s?I}", "events",
			   &list, "device", &device, "head", &head) < 0 ||
	    !json_is_array(list))
		return fail(err, -EINVAL, "input-send-event: %s",
			    json_is_array(list) ? je.text : "events: a list");
	if (!json_array_size(list) || json_array_size(list) > MAX_KEYS)
		return fail(err, -EINVAL, "input-send-event: 1 to %s events",
			    "16");
	json_array_foreach(list, i, e)
		if ((rc = one_event(e, kev, kp, &nk, tev, tp, &nt, err)) < 0)
			return rc;
	if (device) {
		if ((rc = named(vm, device, nk, nt, &kbd, err)) < 0)
			return rc;
		tab = kbd;
	} else {
		kbd = keyboard(vm);
		tab = tablet(vm);
	}
	if ((nk && (!kbd || !kbd->bus || kbd->state != PROC_READY)) ||
	    (nt && (!tab || !tab->bus || tab->state != PROC_READY)))
		return fail(err, -ENOENT, "input-send-event: %s", nk ?
			    "no keyboard running (virtio-input or usb)" :
			    "no tablet running (virtio-input or usb)");
	if (nk)
		send_batch(kbd, kev, kp, nk);
	if (nt)
		send_batch(tab, tev, tp, nt);
	*ret = NULL;
	return 0;
}

int qmp_input_register(struct vm *vm)
{
	int rc = qmp_server_register(vm->qmp, "send-key", cmd_send_key);

	return rc < 0 ? rc : qmp_server_register(vm->qmp, "input-send-event",
						 cmd_input_send_event);
}
