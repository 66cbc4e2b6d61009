/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-input's config space: the driver writes select and subsel,
 * then reads size and the answer (virtio spec 5.8.4). A keyboard offers
 * EV_KEY with the keys 1..247; a tablet EV_KEY with three buttons and
 * EV_ABS X and Y over 0..32767 (as QEMU's virtio-tablet).
 */
#include <linux/input-event-codes.h>
#include <linux/virtio_input.h>
#include <string.h>

#include "input.h"

#define ABS_MAX_VALUE 32767u
#define BUS_VIRTUAL 0x06

static void set_bit(uint8_t *map, unsigned bit, uint8_t *size)
{
	map[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (bit / 8 + 1u > *size)
		*size = (uint8_t)(bit / 8 + 1u);
}

static void ev_bits(const struct input_dev *d, uint8_t type,
		    struct virtio_input_config *c)
{
	if (type == EV_KEY && !d->tablet) {
		for (unsigned k = KEY_ESC; k < KEY_MICMUTE; k++)
			set_bit(c->u.bitmap, k, &c->size);
	} else if (type == EV_KEY) {
		set_bit(c->u.bitmap, BTN_LEFT, &c->size);
		set_bit(c->u.bitmap, BTN_RIGHT, &c->size);
		set_bit(c->u.bitmap, BTN_MIDDLE, &c->size);
	} else if (type == EV_ABS && d->tablet) {
		set_bit(c->u.bitmap, ABS_X, &c->size);
		set_bit(c->u.bitmap, ABS_Y, &c->size);
	}
}

void input_config(const struct input_dev *d, uint8_t *buf, uint32_t size)
{
	struct virtio_input_config c;
	const char *name = d->tablet ? "Atoll Tablet" : "Atoll Keyboard";

	memset(&c, 0, sizeof(c));
	c.select = d->select;
	c.subsel = d->subsel;
	switch (d->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		c.size = (uint8_t)strlen(name);
		memcpy(c.u.string, name, c.size);
		break;
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		c.size = sizeof(c.u.ids);
		c.u.ids.bustype = BUS_VIRTUAL;
		c.u.ids.vendor = 0x0627;
		c.u.ids.product = d->tablet ? 2 : 1;
		c.u.ids.version = 1;
		break;
	case VIRTIO_INPUT_CFG_EV_BITS:
		ev_bits(d, d->subsel, &c);
		break;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (d->tablet && (d->subsel == ABS_X || d->subsel == ABS_Y)) {
			c.size = sizeof(c.u.abs);
			c.u.abs.max = ABS_MAX_VALUE;
		}
		break;
	default:
		break;   /* unset, ID_SERIAL, PROP_BITS: size 0 */
	}
	memcpy(buf, &c, size < sizeof(c) ? size : sizeof(c));
}
