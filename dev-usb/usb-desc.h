/* SPDX-License-Identifier: MIT */
/*
 * Descriptors and the standard requests (USB 2.0 chapter 9) of atoll-usb's
 * emulated devices: one configuration, alternate setting 0 only, string
 * descriptors in US English. A model describes itself with a struct
 * usb_desc (its tables are static const) and keeps a struct usb_desc_state
 * per device; usb_desc_handle() answers the standard requests and leaves
 * class and vendor requests to the model.
 */
#ifndef ATOLL_USB_DESC_H
#define ATOLL_USB_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb-device.h"
#include "usb-models.h"

/* Standard requests and descriptor types (USB 2.0 tables 9-4, 9-5). */
#define USB_REQ_GET_STATUS 0x00
#define USB_REQ_CLEAR_FEATURE 0x01
#define USB_REQ_SET_FEATURE 0x03
#define USB_REQ_GET_DESCRIPTOR 0x06
#define USB_REQ_SET_DESCRIPTOR 0x07
#define USB_REQ_GET_CONFIGURATION 0x08
#define USB_REQ_SET_CONFIGURATION 0x09
#define USB_REQ_GET_INTERFACE 0x0a
#define USB_REQ_SET_INTERFACE 0x0b
#define USB_REQ_SET_SEL 0x30            /* USB 3.x 9.4.12 */
#define USB_REQ_SET_ISOCH_DELAY 0x31    /* USB 3.x 9.4.11 */

#define USB_DT_DEVICE 0x01
#define USB_DT_CONFIG 0x02
#define USB_DT_STRING 0x03
#define USB_DT_INTERFACE 0x04
#define USB_DT_ENDPOINT 0x05
#define USB_DT_DEVICE_QUALIFIER 0x06
#define USB_DT_OTHER_SPEED_CONFIG 0x07
#define USB_DT_BOS 0x0f
#define USB_DT_DEVICE_CAPABILITY 0x10
#define USB_DT_SS_EP_COMPANION 0x30
#define USB_DT_HID 0x21
#define USB_DT_REPORT 0x22

#define USB_FEAT_ENDPOINT_HALT 0
#define USB_FEAT_REMOTE_WAKEUP 1
#define USB_FEAT_U1_ENABLE 48           /* SuperSpeed devices only */
#define USB_FEAT_U2_ENABLE 49

/* bmRequestType: direction, type and recipient fields. */
#define USB_DIR_IN 0x80
#define USB_TYPE_MASK 0x60
#define USB_TYPE_STANDARD 0x00
#define USB_TYPE_CLASS 0x20
#define USB_RECIP_MASK 0x1f
#define USB_RECIP_DEVICE 0x00
#define USB_RECIP_INTERFACE 0x01
#define USB_RECIP_ENDPOINT 0x02

/* String indexes every model uses (0 is the language list). */
enum { USB_STR_MANUFACTURER = 1, USB_STR_PRODUCT, USB_STR_SERIAL,
       USB_STR_COUNT };

#define USB_DESC_SERIAL_MAX 64

/* A model's descriptors. `device` is 18 bytes whose idVendor/idProduct
 * (bytes 8..11) are replaced by the device's identity; `config` is the
 * whole configuration (configuration, interfaces, class descriptors,
 * endpoints) with wTotalLength filled in. A high-speed model also gives
 * its device qualifier; other-speed configuration is derived from
 * `config` (bulk endpoints at 64 bytes). A SuperSpeed model gives its BOS
 * descriptor (and no qualifier: a SuperSpeed device stalls that request,
 * USB 3.x 9.6.2) and answers the USB 3 requests SET_SEL, SET_ISOCH_DELAY
 * and the U1/U2 features. `report` is interface 0's HID report
 * descriptor, NULL for other classes. */
struct usb_desc {
	const uint8_t *device;
	const uint8_t *config;
	size_t config_len;
	const uint8_t *qualifier;   /* 10 bytes, NULL: full speed only */
	const uint8_t *bos;         /* BOS and its capabilities, NULL: none */
	size_t bos_len;
	const uint8_t *report;
	size_t report_len;
	const char *manufacturer;
	const char *product;
	const char *serial;         /* the default iSerialNumber */
};

struct usb_desc_state {
	const struct usb_desc *desc;
	uint16_t vendor_id;
	uint16_t product_id;
	char serial[USB_DESC_SERIAL_MAX + 1];
	uint8_t config;             /* 0: unconfigured (address state) */
	bool remote_wakeup;
	uint8_t u12;                /* SuperSpeed: bit 0 U1, bit 1 U2 enabled */
	uint32_t halted;            /* bit n: OUT endpoint n; 16 + n: IN */
};

/* Sets up `s` for `desc` with the manifest's identity (NULL or zero
 * fields keep the model's). A serial is cut at USB_DESC_SERIAL_MAX and
 * keeps only printable ASCII (it becomes a UTF-16 string descriptor). */
void usb_desc_init(struct usb_desc_state *s, const struct usb_desc *desc,
		   const struct usb_ident *id);
/* Port reset: unconfigured, no halts, remote wakeup off. */
void usb_desc_reset(struct usb_desc_state *s);

/*
 * Answers a control transfer if it is a standard request (or a HID
 * class GET_DESCRIPTOR): sets p->status and p->actual and returns true.
 * Returns false, touching nothing, for requests the model must answer
 * (class and vendor requests). IN data is cut to wLength and p->len.
 */
bool usb_desc_handle(struct usb_desc_state *s, struct usb_packet *p);

/* Whether endpoint address `ep` (0x80 = IN) is an endpoint of the
 * configuration, and its transfer type (USB_XFER_*) if so. */
bool usb_desc_endpoint(const struct usb_desc_state *s, uint8_t ep,
		       uint8_t *type);
bool usb_desc_halted(const struct usb_desc_state *s, uint8_t ep);
void usb_desc_set_halt(struct usb_desc_state *s, uint8_t ep, bool halt);

/* Completes p with status (USB_RET_*) and `actual` bytes; returns status. */
static inline int usb_packet_done(struct usb_packet *p, int status,
				  size_t actual)
{
	p->status = status;
	p->actual = actual;
	return status;
}

#endif
