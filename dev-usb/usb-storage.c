/* SPDX-License-Identifier: MIT */
/*
 * atoll-usb's mass storage device: USB Mass Storage Class Bulk-Only
 * Transport 1.0 (class 8, subclass 6 SCSI transparent, protocol 0x50),
 * SuperSpeed (bulk IN 0x81 and bulk OUT 0x02 of 1024 bytes, bursts of 16)
 * or high speed (the same endpoints of 512 bytes), one LUN, the SCSI
 * commands of scsi-disk.c. The speed is the model's, not negotiated: a
 * SuperSpeed disk goes on a USB 3 root port, a high-speed one on USB 2.
 * (Linux's usb-storage asks for up to 1 MiB per command at SuperSpeed,
 * 120 KiB at high speed.)
 *
 * Each command is a 31-byte CBW on bulk OUT, a data phase of up to
 * dCBWDataTransferLength bytes, and a 13-byte CSW on bulk IN. The
 * controller hands data in packets of any size (not one per command): the
 * data phase is tracked in bytes. The host's and the device's views are
 * compared as BOT 6.7's thirteen cases:
 *   - the device moves less than the host expects (cases 4, 5, 9, 11): an
 *     IN phase ends with a short packet, or with a STALL when the device
 *     has nothing more at a packet boundary; an OUT phase takes the
 *     device's bytes and STALLs the rest; the CSW's residue says how much
 *     was not moved;
 *   - the host expects less than the device means to move, or the other
 *     direction (cases 2, 3, 7, 8, 10, 13): Phase Error in the CSW; a data
 *     phase the device cannot serve is STALLed; no image data is written;
 * An invalid or not meaningful CBW (length, signature, LUN, CB length,
 * reserved bits) STALLs both bulk endpoints until the host's Reset
 * Recovery (Bulk-Only Mass Storage Reset, then CLEAR_FEATURE on both).
 *
 * Durability: a WRITE's data is pwritten as each packet arrives, so its
 * CSW (the guest's acknowledgement) exists only after the image has it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scsi-disk.h"
#include "usb-desc.h"
#include "usb-models.h"

#define EP_IN 0x81
#define EP_OUT 0x02

#define CBW_LEN 31
#define CSW_LEN 13
#define CBW_SIG 0x43425355
#define CSW_SIG 0x53425355
#define CSW_GOOD 0
#define CSW_FAILED 1
#define CSW_PHASE_ERROR 2

/* Class requests (BOT 3.1, 3.2) */
#define BOT_RESET 0xff
#define BOT_GET_MAX_LUN 0xfe

#define ATOLL_USB_VENDOR 0x1209

static const uint8_t storage_device[18] = {
	18, USB_DT_DEVICE, 0x00, 0x02, 0, 0, 0, 64,
	ATOLL_USB_VENDOR & 0xff, ATOLL_USB_VENDOR >> 8, 0x03, 0,
	0x00, 0x01, USB_STR_MANUFACTURER, USB_STR_PRODUCT, USB_STR_SERIAL, 1,
};

/* Configuration 1: interface 0 (8/6/0x50) with bulk IN and OUT of 512
 * bytes; bus powered, 100 mA. */
static const uint8_t storage_config[32] = {
	9, USB_DT_CONFIG, 32, 0, 1, 1, 0, 0x80, 50,
	9, USB_DT_INTERFACE, 0, 0, 2, 0x08, 0x06, 0x50, 0,
	7, USB_DT_ENDPOINT, EP_IN, USB_XFER_BULK, 0x00, 0x02, 0,
	7, USB_DT_ENDPOINT, EP_OUT, USB_XFER_BULK, 0x00, 0x02, 0,
};

static const uint8_t storage_qualifier[10] = {
	10, USB_DT_DEVICE_QUALIFIER, 0x00, 0x02, 0, 0, 0, 64, 1, 0,
};

static const struct usb_desc storage_desc_hs = {
	.device = storage_device,
	.config = storage_config,
	.config_len = sizeof(storage_config),
	.qualifier = storage_qualifier,
	.manufacturer = "Atoll",
	.product = "Atoll USB Disk",
	.serial = "ATOLL0000001",
};

/* SuperSpeed: bcdUSB 3.0, bMaxPacketSize0 2^9 = 512. */
static const uint8_t storage_device_ss[18] = {
	18, USB_DT_DEVICE, 0x00, 0x03, 0, 0, 0, 9,
	ATOLL_USB_VENDOR & 0xff, ATOLL_USB_VENDOR >> 8, 0x03, 0,
	0x00, 0x01, USB_STR_MANUFACTURER, USB_STR_PRODUCT, USB_STR_SERIAL, 1,
};

/* The same configuration at SuperSpeed: endpoints of 1024 bytes, each
 * followed by its companion (bMaxBurst 15: bursts of 16 packets, no
 * streams); bMaxPower in units of 8 mA (96 mA). */
static const uint8_t storage_config_ss[44] = {
	9, USB_DT_CONFIG, 44, 0, 1, 1, 0, 0x80, 12,
	9, USB_DT_INTERFACE, 0, 0, 2, 0x08, 0x06, 0x50, 0,
	7, USB_DT_ENDPOINT, EP_IN, USB_XFER_BULK, 0x00, 0x04, 0,
	6, USB_DT_SS_EP_COMPANION, 15, 0, 0, 0,
	7, USB_DT_ENDPOINT, EP_OUT, USB_XFER_BULK, 0x00, 0x04, 0,
	6, USB_DT_SS_EP_COMPANION, 15, 0, 0, 0,
};

/* BOS (USB 3.x 9.6.2): the USB 2.0 Extension (LPM, which a SuperSpeed
 * device must set) and the SuperSpeed USB device capability: speeds
 * full, high and super, full speed the lowest that works, U1 exit 10 us,
 * U2 exit 32 us (QEMU's figures; a host that enables no link power
 * management, as Linux on this controller, never uses them; zero would
 * make Linux log that it disables LPM). */
static const uint8_t storage_bos[22] = {
	5, USB_DT_BOS, 22, 0, 2,
	7, USB_DT_DEVICE_CAPABILITY, 0x02, 0x02, 0, 0, 0,
	10, USB_DT_DEVICE_CAPABILITY, 0x03, 0x00, 0x0e, 0x00, 0x01, 0x0a,
	0x20, 0x00,
};

static const struct usb_desc storage_desc_ss = {
	.device = storage_device_ss,
	.config = storage_config_ss,
	.config_len = sizeof(storage_config_ss),
	.bos = storage_bos,
	.bos_len = sizeof(storage_bos),
	.manufacturer = "Atoll",
	.product = "Atoll USB Disk",
	.serial = "ATOLL0000001",
};

enum bot_state {
	BOT_CBW,                /* waiting for a CBW on bulk OUT */
	BOT_DATA_IN,
	BOT_DATA_OUT,
	BOT_CSW,                /* the CSW waits for bulk IN */
};

struct storage {
	struct usb_device dev;
	struct usb_desc_state desc;
	struct scsi_disk *disk;
	enum bot_state state;
	bool needs_reset;       /* an invalid CBW: stall until Reset Recovery */
	uint32_t tag;
	uint32_t host_len;      /* dCBWDataTransferLength */
	uint32_t host_done;     /* bytes of the data phase moved */
	uint64_t dev_len;       /* bytes of the command's data to move */
	uint32_t dev_done;
	bool phase_error;
	bool discard;           /* OUT data is taken and dropped */
	uint32_t residue;       /* set when the data phase ends */
	unsigned bad_cbws;
	struct scsi_req req;
};

static const struct usb_device_ops storage_ops;

static struct storage *to_storage(struct usb_device *d)
{
	return (struct storage *)d;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static int stall(struct storage *s, struct usb_packet *p, uint8_t ep)
{
	usb_desc_set_halt(&s->desc, ep, true);
	return usb_packet_done(p, USB_RET_STALL, 0);
}

static void bot_reset(struct storage *s)
{
	s->state = BOT_CBW;
	s->needs_reset = false;
	s->phase_error = false;
	s->discard = false;
}

/* The data phase is over: the CSW is next. */
static void to_csw(struct storage *s)
{
	s->state = BOT_CSW;
	s->residue = s->host_len - (s->phase_error ? 0 : s->dev_done);
}

static int invalid_cbw(struct storage *s, struct usb_packet *p,
		       const char *why)
{
	/* The 1st, 2nd, 4th... are logged: a guest may send many. */
	s->bad_cbws++;
	if (!(s->bad_cbws & (s->bad_cbws - 1)))
		log_warn("usb-storage: invalid CBW (%s), %u so far", why,
			 s->bad_cbws);
	s->needs_reset = true;
	usb_desc_set_halt(&s->desc, EP_IN, true);
	return stall(s, p, EP_OUT);
}

static int cbw(struct storage *s, struct usb_packet *p)
{
	const uint8_t *c = p->buf;
	bool host_in;
	uint8_t cb_len;

	if (p->len != CBW_LEN)
		return invalid_cbw(s, p, "not 31 bytes");
	if (le32(c) != CBW_SIG)
		return invalid_cbw(s, p, "signature");
	cb_len = c[14];
	/* Meaningful: flags' reserved bits, LUN 0, CB length 1..16. */
	if ((c[12] & 0x7f) || c[13] != 0 || cb_len < 1 || cb_len > 16)
		return invalid_cbw(s, p, "not meaningful");
	s->tag = le32(c + 4);
	s->host_len = le32(c + 8);
	host_in = c[12] & 0x80;
	s->host_done = 0;
	s->dev_done = 0;
	s->phase_error = false;
	s->discard = false;
	usb_packet_done(p, USB_RET_SUCCESS, CBW_LEN);

	scsi_disk_begin(s->disk, c + 15, cb_len, &s->req);
	s->dev_len = s->req.len;
	if (s->host_len == 0) {
		/* Cases 1 (Hn = Dn), 2 and 3 (Hn < Di, Hn < Do). */
		s->phase_error = s->req.dir != SCSI_DIR_NONE;
		to_csw(s);
	} else if (host_in) {
		if (s->req.dir == SCSI_DIR_OUT) {
			/* Case 8 (Hi <> Do). */
			s->phase_error = true;
			usb_desc_set_halt(&s->desc, EP_IN, true);
			to_csw(s);
		} else if (s->req.dir == SCSI_DIR_NONE) {
			/* Case 4 (Hi > Dn): nothing to send. */
			usb_desc_set_halt(&s->desc, EP_IN, true);
			to_csw(s);
		} else {
			/* Cases 5, 6, 7: at most Hi bytes, and Hi < Di
			 * is a phase error. */
			s->phase_error = s->dev_len > s->host_len;
			if (s->phase_error)
				s->dev_len = s->host_len;
			s->state = BOT_DATA_IN;
		}
	} else {
		if (s->req.dir == SCSI_DIR_IN) {
			/* Case 10 (Ho <> Di). */
			s->phase_error = true;
			usb_desc_set_halt(&s->desc, EP_OUT, true);
			to_csw(s);
		} else if (s->req.dir == SCSI_DIR_NONE) {
			/* Case 9 (Ho > Dn). */
			usb_desc_set_halt(&s->desc, EP_OUT, true);
			to_csw(s);
		} else {
			/* Cases 11, 12, 13: Ho < Do is a phase error and
			 * nothing of it reaches the image. */
			s->phase_error = s->dev_len > s->host_len;
			s->discard = s->phase_error;
			if (s->phase_error)
				s->dev_len = s->host_len;
			s->state = BOT_DATA_OUT;
		}
	}
	return p->status;
}

static int data_out(struct storage *s, struct usb_packet *p)
{
	size_t take, use;

	/* The device has all its data and the host sends more (case 11):
	 * stall the rest. */
	if (s->dev_done == s->dev_len) {
		to_csw(s);
		return stall(s, p, EP_OUT);
	}
	take = p->len < s->host_len - s->host_done ? p->len :
	       s->host_len - s->host_done;
	use = take < s->dev_len - s->dev_done ? take :
	      (size_t)(s->dev_len - s->dev_done);
	if (!s->discard && use &&
	    scsi_disk_write(s->disk, &s->req, p->buf, use) < 0) {
		/* MEDIUM ERROR: the rest of the phase is taken, dropped. */
		s->discard = true;
		s->dev_len = s->dev_done;
		use = 0;
	}
	s->dev_done += (uint32_t)use;
	s->host_done += (uint32_t)take;
	/* Bytes past dCBWDataTransferLength are not the host's to send;
	 * they are taken and ignored. */
	usb_packet_done(p, USB_RET_SUCCESS, p->len);
	if (s->host_done == s->host_len)
		to_csw(s);
	return p->status;
}

static int data_in(struct storage *s, struct usb_packet *p)
{
	size_t n = p->len;

	if (n > s->dev_len - s->dev_done)
		n = (size_t)(s->dev_len - s->dev_done);
	if (n && scsi_disk_read(s->disk, &s->req, p->buf, n) < 0) {
		/* MEDIUM ERROR: what the image gave is all there is. */
		s->dev_len = s->dev_done;
		n = 0;
	}
	s->dev_done += (uint32_t)n;
	s->host_done += (uint32_t)n;
	if (!n && s->dev_done == s->dev_len) {
		/* Nothing more at a packet boundary (cases 4, 5). */
		to_csw(s);
		return stall(s, p, EP_IN);
	}
	usb_packet_done(p, USB_RET_SUCCESS, n);
	/* A short packet ends the phase, as does the host's length. */
	if (n < p->len || s->host_done == s->host_len)
		to_csw(s);
	return p->status;
}

static int csw(struct storage *s, struct usb_packet *p)
{
	uint8_t c[CSW_LEN];
	size_t n = p->len < CSW_LEN ? p->len : CSW_LEN;

	put_le32(c, CSW_SIG);
	put_le32(c + 4, s->tag);
	put_le32(c + 8, s->residue);
	c[12] = s->phase_error ? CSW_PHASE_ERROR :
		s->req.status == SCSI_GOOD ? CSW_GOOD : CSW_FAILED;
	if (n)
		memcpy(p->buf, c, n);
	s->state = BOT_CBW;
	/* A buffer shorter than a CSW: the device sent more. */
	return usb_packet_done(p, n < CSW_LEN ? USB_RET_BABBLE :
			       USB_RET_SUCCESS, n);
}

static int class_request(struct storage *s, struct usb_packet *p)
{
	const struct usb_setup *st = &p->setup;
	uint8_t zero = 0;

	if (st->bmRequestType == 0x21 && st->bRequest == BOT_RESET &&
	    st->wValue == 0 && st->wIndex == 0 && st->wLength == 0) {
		/* Ready for a CBW; the halts stay until CLEAR_FEATURE. */
		bot_reset(s);
		return usb_packet_done(p, USB_RET_SUCCESS, 0);
	}
	if (st->bmRequestType == 0xa1 && st->bRequest == BOT_GET_MAX_LUN &&
	    st->wValue == 0 && st->wIndex == 0 && st->wLength >= 1 &&
	    p->len >= 1) {
		memcpy(p->buf, &zero, 1);
		return usb_packet_done(p, USB_RET_SUCCESS, 1);
	}
	return usb_packet_done(p, USB_RET_STALL, 0);
}

static int storage_handle(struct usb_device *d, struct usb_packet *p)
{
	struct storage *s = to_storage(d);

	if (p->ep == 0) {
		if (p->type != USB_XFER_CONTROL)
			return usb_packet_done(p, USB_RET_STALL, 0);
		if (!usb_desc_handle(&s->desc, p))
			return class_request(s, p);
		if (p->setup.bmRequestType == 0 &&
		    p->setup.bRequest == USB_REQ_SET_CONFIGURATION &&
		    p->status == USB_RET_SUCCESS)
			bot_reset(s);
		return p->status;
	}
	if ((p->ep != EP_IN && p->ep != EP_OUT) || p->type != USB_XFER_BULK ||
	    !s->desc.config)
		return usb_packet_done(p, USB_RET_STALL, 0);
	if (usb_desc_halted(&s->desc, p->ep) || s->needs_reset)
		return stall(s, p, p->ep);
	if (p->ep == EP_OUT) {
		switch (s->state) {
		case BOT_CBW:
			return cbw(s, p);
		case BOT_DATA_OUT:
			return data_out(s, p);
		default:
			/* OUT while the device has data or a CSW to
			 * send: the host is out of step. */
			return stall(s, p, EP_OUT);
		}
	}
	switch (s->state) {
	case BOT_DATA_IN:
		return data_in(s, p);
	case BOT_CSW:
		return csw(s, p);
	case BOT_DATA_OUT:
		/* The host ended its OUT phase short of the device's
		 * length only if the device had all it wanted. */
		if (s->dev_done == s->dev_len) {
			to_csw(s);
			return csw(s, p);
		}
		return stall(s, p, EP_IN);
	default:
		return stall(s, p, EP_IN);
	}
}

static void storage_reset(struct usb_device *d)
{
	struct storage *s = to_storage(d);

	usb_desc_reset(&s->desc);
	bot_reset(s);
}

static void storage_destroy(struct usb_device *d)
{
	struct storage *s = to_storage(d);

	scsi_disk_free(s->disk);
	free(s);
}

static const struct usb_device_ops storage_ops = {
	.handle = storage_handle,
	.reset = storage_reset,
	.destroy = storage_destroy,
};

struct usb_device *usb_storage_new(int fd, bool readonly,
				   enum usb_speed speed,
				   const struct usb_ident *id,
				   const char **why)
{
	struct storage *s;

	if (speed != USB_SPEED_HIGH && speed != USB_SPEED_SUPER) {
		*why = "a disk is high speed or SuperSpeed";
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		*why = "out of memory";
		return NULL;
	}
	usb_desc_init(&s->desc, speed == USB_SPEED_SUPER ? &storage_desc_ss :
		      &storage_desc_hs, id);
	/* The USB serial is also the SCSI unit serial number. */
	if (!(s->disk = scsi_disk_new(fd, readonly, s->desc.serial, why))) {
		free(s);
		return NULL;
	}
	s->dev.ops = &storage_ops;
	s->dev.kind = "storage";
	s->dev.speed = speed;
	storage_reset(&s->dev);
	return &s->dev;
}
