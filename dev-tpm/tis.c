/* SPDX-License-Identifier: MIT */
/* The TIS register file (tis.h): TCG PC Client Platform TPM Profile,
 * FIFO interface, as Linux's tpm_tis_core.c drives it. */
#include <errno.h>
#include <string.h>

#include "tis.h"

enum {
	REG_ACCESS = 0x00, REG_INT_ENABLE = 0x08, REG_INT_STATUS = 0x10,
	REG_INTF_CAPS = 0x14, REG_STS = 0x18, REG_DATA_FIFO = 0x24,
	REG_INTERFACE_ID = 0x30, REG_XDATA_FIFO = 0x80, REG_DID_VID = 0xf00,
	REG_RID = 0xf04,
};
enum {
	ACCESS_ESTABLISHMENT = 0x01, ACCESS_REQUEST_USE = 0x02,
	ACCESS_SEIZE = 0x08, ACCESS_ACTIVE = 0x20, ACCESS_VALID = 0x80,
};
enum {
	STS_RESPONSE_RETRY = 0x02, STS_SELFTEST_DONE = 0x04,
	STS_EXPECT = 0x08, STS_DATA_AVAIL = 0x10, STS_GO = 0x20,
	STS_COMMAND_READY = 0x40, STS_VALID = 0x80,
};
#define STS_FAMILY_TPM2 (1u << 26)
/* Interface version 1.3 (for TPM 2.0: 3, else 2) in 28..30; 1 to 4-byte
 * transfers (bits 9..10 = 0: legacy, i.e. any size); burst count static
 * (bit 8); no interrupt types: the device has no line. */
#define CAPS_BURST_STATIC (1u << 8)
#define CAPS_IFACE_1_3 (2u << 28)
#define CAPS_IFACE_1_3_TPM2 (3u << 28)
#define INTERFACE_ID_TIS_1_3 0xfu     /* InterfaceType: FIFO, TIS 1.3 */
#define DID_VID 0x00011014u           /* as QEMU's tpm-tis */
#define RID 0x01u
#define LOCALITY_SIZE 0x1000u
#define SAVE_FORMAT 1u

void tis_init(struct tis *t, bool tpm2,
	      void (*execute)(void *, const uint8_t *, uint32_t), void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->tpm2 = tpm2;
	t->execute = execute;
	t->opaque = opaque;
}

void tis_reset(struct tis *t)
{
	if (t->tpm_busy)
		t->discard = true;    /* the TPM finishes it; nobody reads it */
	t->go_waiting = false;
	t->state = TIS_IDLE;
	t->active = false;
	t->int_enable = 0;
	t->cmd_len = t->resp_len = t->resp_pos = 0;
}

/* The size the command's header claims; 0 before the header's size
 * field is in. */
static uint32_t claimed_size(const struct tis *t)
{
	if (t->cmd_len < 6)
		return 0;
	return (uint32_t)t->cmd[2] << 24 | (uint32_t)t->cmd[3] << 16 |
	       (uint32_t)t->cmd[4] << 8 | t->cmd[5];
}

static bool command_complete(const struct tis *t)
{
	return t->cmd_len >= TIS_HEADER_SIZE && claimed_size(t) == t->cmd_len;
}

static uint32_t burst_count(const struct tis *t)
{
	uint32_t n = 0;

	if (t->state == TIS_READY || t->state == TIS_RECEIVING)
		n = TIS_BUFFER_SIZE - t->cmd_len;
	else if (t->state == TIS_COMPLETED)
		n = t->resp_len - t->resp_pos;
	return n > 0xffff ? 0xffff : n;
}

static uint32_t status(const struct tis *t)
{
	uint32_t s = 0;

	if (!t->active)
		return 0xff;  /* all ones, as a locality not held reads */
	switch (t->state) {
	case TIS_IDLE:
	case TIS_EXECUTING:
		s = STS_VALID;
		break;
	case TIS_READY:
		s = STS_VALID | STS_COMMAND_READY;
		break;
	case TIS_RECEIVING:
		s = STS_VALID | (command_complete(t) ? 0 : STS_EXPECT);
		break;
	case TIS_COMPLETED:
		s = STS_VALID | (t->resp_pos < t->resp_len ? STS_DATA_AVAIL : 0);
		break;
	}
	if (t->tpm2)
		s |= STS_SELFTEST_DONE | STS_FAMILY_TPM2;
	return s | burst_count(t) << 8;
}

/* Register `reg` (an offset of locality 0, 4-aligned) as 32 bits. */
static uint32_t reg32(const struct tis *t, uint64_t reg)
{
	switch (reg) {
	case REG_ACCESS:
		return ACCESS_VALID | (t->active ? ACCESS_ACTIVE : 0);
	case REG_INT_ENABLE:
		return t->int_enable;
	case REG_INTF_CAPS:
		return CAPS_BURST_STATIC |
		       (t->tpm2 ? CAPS_IFACE_1_3_TPM2 : CAPS_IFACE_1_3);
	case REG_STS:
		return status(t);
	case REG_INTERFACE_ID:
		return INTERFACE_ID_TIS_1_3;
	case REG_DID_VID:
		return DID_VID;
	case REG_RID:
		return RID;
	default:
		return 0;     /* INT_STATUS, INT_VECTOR, reserved */
	}
}

static bool in_fifo(uint64_t off)
{
	return (off >= REG_DATA_FIFO && off < REG_DATA_FIFO + 4) ||
	       (off >= REG_XDATA_FIFO && off < REG_XDATA_FIFO + 4);
}

static uint8_t fifo_pop(struct tis *t)
{
	if (!t->active || t->state != TIS_COMPLETED ||
	    t->resp_pos >= t->resp_len)
		return 0xff;
	return t->resp[t->resp_pos++];
}

uint64_t tis_read(struct tis *t, uint64_t offset, unsigned size)
{
	uint64_t v = 0;

	t->reads++;
	if (offset >= LOCALITY_SIZE)
		return 0;             /* localities 1-4 do not exist */
	if (in_fifo(offset)) {
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)fifo_pop(t) << (8 * i);
		return v;
	}
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		uint32_t r = reg32(t, off & ~3ull);

		v |= (uint64_t)(uint8_t)(r >> (8 * (off & 3))) << (8 * i);
	}
	return v;
}

static void go(struct tis *t)
{
	t->state = TIS_EXECUTING;
	if (t->tpm_busy) {            /* an abandoned command still runs */
		t->go_waiting = true;
		return;
	}
	t->tpm_busy = true;
	t->commands++;
	t->execute(t->opaque, t->cmd, t->cmd_len);
}

static void command_ready(struct tis *t)
{
	if (t->state == TIS_EXECUTING) {
		if (t->go_waiting)
			t->go_waiting = false;
		else
			t->discard = true;
	}
	t->state = TIS_READY;
	t->cmd_len = t->resp_len = t->resp_pos = 0;
}

static void sts_write(struct tis *t, uint8_t v)
{
	if (v & STS_COMMAND_READY) {
		command_ready(t);
		return;
	}
	if ((v & STS_GO) && t->state == TIS_RECEIVING && command_complete(t))
		go(t);
	if ((v & STS_RESPONSE_RETRY) && t->state == TIS_COMPLETED)
		t->resp_pos = 0;
}

static void fifo_push(struct tis *t, uint8_t b)
{
	if (t->state == TIS_READY)
		t->state = TIS_RECEIVING;
	if (t->state == TIS_RECEIVING && t->cmd_len < TIS_BUFFER_SIZE)
		t->cmd[t->cmd_len++] = b;
}

static void access_write(struct tis *t, uint8_t v)
{
	if (v & ACCESS_ACTIVE)                /* relinquish */
		t->active = false;
	else if (v & (ACCESS_REQUEST_USE | ACCESS_SEIZE))
		t->active = true;     /* one locality: granted at once */
}

/* One byte written at `off` (locality 0). */
static void write_byte(struct tis *t, uint64_t off, uint8_t b)
{
	if (off == REG_ACCESS) {
		access_write(t, b);
		return;
	}
	if (off >= REG_INT_ENABLE && off < REG_INT_ENABLE + 4) {
		unsigned sh = 8 * (unsigned)(off - REG_INT_ENABLE);

		t->int_enable = (t->int_enable & ~(0xffu << sh)) |
				(uint32_t)b << sh;
		return;
	}
	if (!t->active)
		return;               /* only the active locality commands */
	if (off == REG_STS)
		sts_write(t, b);
	else if (in_fifo(off))
		fifo_push(t, b);
}

void tis_write(struct tis *t, uint64_t offset, unsigned size, uint64_t value)
{
	t->writes++;
	if (offset >= LOCALITY_SIZE)
		return;
	if (in_fifo(offset)) {        /* every byte is a FIFO byte */
		for (unsigned i = 0; i < size; i++)
			fifo_push(t, (uint8_t)(value >> (8 * i)));
		return;
	}
	for (unsigned i = 0; i < size; i++)
		write_byte(t, offset + i, (uint8_t)(value >> (8 * i)));
}

void tis_complete(struct tis *t, const uint8_t *resp, uint32_t len)
{
	if (!t->tpm_busy)
		return;
	t->tpm_busy = false;
	if (t->discard) {
		t->discard = false;
		if (t->go_waiting) {  /* the guest's next command */
			t->go_waiting = false;
			t->tpm_busy = true;
			t->commands++;
			t->execute(t->opaque, t->cmd, t->cmd_len);
		}
		return;
	}
	if (t->state != TIS_EXECUTING)
		return;
	if (len > TIS_BUFFER_SIZE)
		len = TIS_BUFFER_SIZE;
	memcpy(t->resp, resp, len);
	t->resp_len = len;
	t->resp_pos = 0;
	t->state = TIS_COMPLETED;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* format(1) state(1) active(1) tpm2(1) int_enable(4) cmd_len(4)
 * resp_len(4) resp_pos(4), then cmd and resp bytes. */
size_t tis_save(const struct tis *t, uint8_t *buf)
{
	buf[0] = SAVE_FORMAT;
	buf[1] = (uint8_t)t->state;
	buf[2] = t->active;
	buf[3] = t->tpm2;
	put32(buf + 4, t->int_enable);
	put32(buf + 8, t->cmd_len);
	put32(buf + 12, t->resp_len);
	put32(buf + 16, t->resp_pos);
	memcpy(buf + 20, t->cmd, t->cmd_len);
	memcpy(buf + 20 + t->cmd_len, t->resp, t->resp_len);
	return 20 + (size_t)t->cmd_len + t->resp_len;
}

int tis_restore(struct tis *t, const uint8_t *buf, size_t len)
{
	uint32_t cmd_len, resp_len, resp_pos;

	if (len < 20 || buf[0] != SAVE_FORMAT || buf[1] > TIS_COMPLETED ||
	    buf[1] == TIS_EXECUTING || buf[2] > 1 || buf[3] != t->tpm2)
		return -EINVAL;
	cmd_len = get32(buf + 8);
	resp_len = get32(buf + 12);
	resp_pos = get32(buf + 16);
	if (cmd_len > TIS_BUFFER_SIZE || resp_len > TIS_BUFFER_SIZE ||
	    resp_pos > resp_len || len != 20 + (size_t)cmd_len + resp_len)
		return -EINVAL;
	if (t->tpm_busy)
		t->discard = true;
	t->go_waiting = false;
	t->state = (enum tis_state)buf[1];
	t->active = buf[2];
	t->int_enable = get32(buf + 4);
	t->cmd_len = cmd_len;
	t->resp_len = resp_len;
	t->resp_pos = resp_pos;
	memcpy(t->cmd, buf + 20, cmd_len);
	memcpy(t->resp, buf + 20 + cmd_len, resp_len);
	return 0;
}
