/* SPDX-License-Identifier: MIT */
/*
 * A USB device at the other end of a usbredir stream: the "usb-guest" side
 * of the protocol (libusbredirparser without usbredirparser_fl_usb_host).
 * The peer is a usbredirserver, a SPICE client, usb-host.c's libusbredirhost
 * or a test peer: anything it sends is hostile. It may answer late, with
 * more than was asked, for ids it was never given, on other endpoints,
 * with statuses outside the enum, or vanish: each is logged and refused,
 * and the process keeps serving its other ports.
 *
 *   - Every packet the controller hands over while the device is attached
 *     is sent to the peer under a fresh id and returns USB_RET_ASYNC; its
 *     answer completes it by that id (usb_port_complete). Packets that
 *     cannot be sent (no device, an endpoint the peer did not describe,
 *     isochronous) complete at once with an error.
 *   - Interrupt IN is the exception, as usbredir makes it: the first poll
 *     of an endpoint starts interrupt receiving; the peer then pushes
 *     reports, which queue here (bounded) until the guest polls. A poll
 *     with nothing queued is USB_RET_NAK, and a report arriving wakes the
 *     endpoint up.
 *   - Ids are ours, never the controller's tags: a cancelled packet's tag
 *     may be reused at once, and a late answer to the cancelled one must
 *     not complete the new one.
 *   - The peer's stream is non-blocking (O_NONBLOCK) on the process's
 *     libevent loop: read when readable, written when libusbredirparser
 *     holds data. Plain read/write, so the sandbox needs no sendto or
 *     recvfrom; a write to a closed peer is EPIPE because atoll-usb
 *     ignores SIGPIPE (the child runtime does; tests do it themselves).
 *   - Nothing completes from inside ops->handle(): a write error there only
 *     schedules the teardown, which runs from the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <usbredirparser.h>

#include "atoll-config.h"
#include "log.h"
#include "usb-models.h"
#include "usb-redir.h"

/* Interrupt IN reports queued per endpoint while the guest is not polling
 * (the oldest is dropped past this), and the largest report kept: a
 * high-bandwidth high-speed endpoint moves 3 x 1024 bytes a microframe. */
#define INTR_QUEUE_MAX 64
#define INTR_REPORT_MAX 3072
/* Bulk lengths above this need usb_redir_cap_32bits_bulk_length on both
 * sides; the header has 16 bits otherwise. */
#define BULK_LEN16_MAX 0xffffu
/* How many packets may wait for the peer at once: the controller bounds
 * this already; this bound keeps a broken one from growing the list. */
#define PENDING_MAX 4096
/* Bytes queued for a peer that does not read: past this, new packets
 * fail at once instead of growing the queue without bound. */
#define OUTPUT_MAX (16u << 20)

enum pend_kind {
	PEND_CONTROL,
	PEND_BULK,
	PEND_INTR_OUT,
	PEND_SET_CONFIG,
	PEND_SET_ALT,
};

/* A packet sent to the peer, waiting for its answer. */
struct pend {
	struct pend *next;
	uint64_t id;             /* usbredir id, ours */
	struct usb_packet *p;
	enum pend_kind kind;
	uint8_t ep;              /* endpoint address the answer must name */
	uint32_t asked;          /* bytes asked for (IN) or sent (OUT) */
};

struct intr_report {
	struct intr_report *next;
	uint16_t len;
	uint8_t data[];
};

/* An interrupt IN endpoint's reports (indexed by endpoint number). */
struct intr_in {
	bool started;            /* start_interrupt_receiving sent */
	uint64_t start_id;       /* its id: statuses for others are stale */
	int err;                 /* a status to report at the next poll */
	unsigned count;
	struct intr_report *head, *tail;
};

struct redir {
	struct usb_device dev;
	int fd;
	struct event_base *base;
	struct event *rev, *wev;
	struct event *gone_ev;   /* the teardown, scheduled from handle() */
	struct usbredirparser *parser;
	char name[32];           /* for logs */

	bool hello;              /* the peer's hello arrived */
	bool attached;           /* the peer announced a device */
	bool gone;               /* the stream is closed */
	int busy;                /* inside the parser or a teardown */
	bool destroy_pending;    /* destroyed while busy: freed after */

	uint64_t next_id;
	struct pend *pending;
	unsigned npending;
	unsigned long refused;

	bool have_ep_info;
	bool have_if_info;
	uint32_t if_count;
	uint8_t if_num[32];      /* bInterfaceNumber of each */
	uint8_t ep_type[32];     /* usb_redir_type_*, by ep_index() */
	uint16_t ep_max_packet[32];
	struct intr_in intr[16];

	void (*fini)(void *opaque);
	void *fini_opaque;
};

static struct redir *to_redir(struct usb_device *d)
{
	return (struct redir *)((char *)d - offsetof(struct redir, dev));
}

static const struct redir *to_credir(const struct usb_device *d)
{
	return (const struct redir *)((const char *)d -
				      offsetof(struct redir, dev));
}

/* usbredir's endpoint index: OUT 0..15, IN 16..31. */
static int ep_index(uint8_t ep)
{
	return ((ep & 0x80) >> 3) | (ep & 0x0f);
}

/* A peer message refused: logged at the 1st, 2nd, 4th, 8th... so a
 * flooding peer cannot flood the log. */
__attribute__((format(printf, 2, 3)))
static void refuse(struct redir *r, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	r->refused++;
	if (r->refused & (r->refused - 1))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warn("%s: peer: %s (refusal %lu)", r->name, buf, r->refused);
}

/* ------------------------------------------------------------------ */
/* The stream */

static void schedule_gone(struct redir *r)
{
	if (!r->gone && r->gone_ev)
		event_active(r->gone_ev, 0, 0);
}

static int redir_read(void *priv, uint8_t *data, int count)
{
	struct redir *r = priv;
	ssize_t n;

	if (r->gone)
		return -1;
	n = read(r->fd, data, (size_t)count);
	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		log_info("%s: read: %s", r->name, strerror(errno));
	event_del(r->rev);   /* EOF stays readable: read no more */
	schedule_gone(r);
	return -1;
}

static int redir_write(void *priv, uint8_t *data, int count)
{
	struct redir *r = priv;
	ssize_t n;

	if (r->gone)
		return -1;
	n = write(r->fd, data, (size_t)count);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	log_info("%s: write: %s", r->name, strerror(errno));
	schedule_gone(r);
	return -1;
}

/* Writes what the parser holds; waits for writability if some is left. */
static void flush(struct redir *r)
{
	if (r->gone || !r->parser)
		return;
	if (usbredirparser_has_data_to_write(r->parser))
		usbredirparser_do_write(r->parser);
	if (r->gone)
		return;
	if (usbredirparser_has_data_to_write(r->parser))
		event_add(r->wev, NULL);
	else
		event_del(r->wev);
}

static void parser_log(void *priv, int level, const char *msg)
{
	struct redir *r = priv;
	enum atoll_log_level l;

	switch (level) {
	case usbredirparser_error:
		l = ATOLL_LOG_WARN;    /* the peer's doing, not ours */
		break;
	case usbredirparser_warning:
		l = ATOLL_LOG_WARN;
		break;
	case usbredirparser_info:
		l = ATOLL_LOG_INFO;
		break;
	default:
		l = ATOLL_LOG_DEBUG;
		break;
	}
	log_msg(l, "%s: %s", r->name, msg);
}

/* ------------------------------------------------------------------ */
/* Pending packets */

/* A fresh id: 32 bits unless both sides speak 64-bit ones; never 0. */
static uint64_t new_id(struct redir *r)
{
	r->next_id++;
	if (!usbredirparser_peer_has_cap(r->parser, usb_redir_cap_64bits_ids))
		r->next_id &= 0xffffffffu;
	if (!r->next_id)
		r->next_id = 1;
	return r->next_id;
}

static struct pend *pend_add(struct redir *r, struct usb_packet *p,
			     enum pend_kind kind, uint8_t ep, uint32_t asked)
{
	struct pend *q;

	if (r->npending >= PENDING_MAX)
		return NULL;
	if (usbredirparser_get_bufferered_output_size(r->parser) > OUTPUT_MAX) {
		refuse(r, "not reading: %" PRIu64 " bytes queued for it",
		       usbredirparser_get_bufferered_output_size(r->parser));
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->id = new_id(r);
	q->p = p;
	q->kind = kind;
	q->ep = ep;
	q->asked = asked;
	q->next = r->pending;
	r->pending = q;
	r->npending++;
	return q;
}

/* Unlinks and returns the pending packet with this id (p NULL) or for
 * packet p, or NULL. */
static struct pend *pend_take(struct redir *r, uint64_t id,
			      const struct usb_packet *p)
{
	for (struct pend **pp = &r->pending; *pp; pp = &(*pp)->next) {
		struct pend *q = *pp;

		if (p ? q->p == p : q->id == id) {
			*pp = q->next;
			r->npending--;
			return q;
		}
	}
	return NULL;
}

static void complete(struct redir *r, struct pend *q, int status,
		     size_t actual)
{
	struct usb_packet *p = q->p;

	free(q);
	p->status = status;
	p->actual = actual;
	usb_port_complete(&r->dev, p);
}

/* Completes every pending packet with `status`. The list is detached
 * first: the controller may submit or cancel from its completion. */
static void complete_all(struct redir *r, int status)
{
	struct pend *q = r->pending;

	r->pending = NULL;
	r->npending = 0;
	while (q) {
		struct pend *next = q->next;

		complete(r, q, status, 0);
		q = next;
	}
}

/* An answer's id: the pending packet of that kind, or NULL (logged). A
 * late answer to a cancelled packet lands here too; the peer says so
 * with usb_redir_cancelled, which is not worth a warning. */
static struct pend *answer(struct redir *r, uint64_t id, enum pend_kind kind,
			   uint8_t status, const char *what)
{
	struct pend *q = pend_take(r, id, NULL);

	if (!q) {
		if (status == usb_redir_cancelled)
			log_debug("%s: late %s answer, id %" PRIu64
				  " (cancelled)", r->name, what, id);
		else
			refuse(r, "%s answer for unknown id %" PRIu64, what,
			       id);
		return NULL;
	}
	if (q->kind != kind) {
		refuse(r, "%s answer for id %" PRIu64 ", which was not one",
		       what, id);
		complete(r, q, USB_RET_IOERROR, 0);
		return NULL;
	}
	return q;
}

/* An IN answer (control or bulk, `what`): its data into the packet. More
 * than the guest asked for (a descriptor longer than wLength) is BABBLE,
 * and only what fits is kept. */
static void complete_in(struct redir *r, struct pend *q, int status,
			const uint8_t *data, int data_len, const char *what)
{
	if (data_len < 0 || (uint32_t)data_len > q->asked) {
		refuse(r, "%s IN answer of %d bytes for %u asked", what,
		       data_len, q->asked);
		if (q->asked)
			memcpy(q->p->buf, data, q->asked);
		complete(r, q, USB_RET_BABBLE, q->asked);
		return;
	}
	if (data_len)
		memcpy(q->p->buf, data, (size_t)data_len);
	complete(r, q, status, (size_t)data_len);
}

/* usbredir status -> usb_ret; one outside the enum is refused. */
static int map_status(struct redir *r, uint8_t status)
{
	switch (status) {
	case usb_redir_success:
		return USB_RET_SUCCESS;
	case usb_redir_stall:
		return USB_RET_STALL;
	case usb_redir_babble:
		return USB_RET_BABBLE;
	case usb_redir_cancelled:  /* the peer unplugging: a disconnect follows */
	case usb_redir_inval:
	case usb_redir_ioerror:
	case usb_redir_timeout:
		return USB_RET_IOERROR;
	default:
		refuse(r, "status %u outside the protocol", status);
		return USB_RET_IOERROR;
	}
}

/* ------------------------------------------------------------------ */
/* Interrupt IN reports */

static void intr_clear(struct intr_in *in)
{
	struct intr_report *rep = in->head;

	while (rep) {
		struct intr_report *next = rep->next;

		free(rep);
		rep = next;
	}
	memset(in, 0, sizeof(*in));
}

/* Receiving on interrupt IN endpoint ep failed with usbredir `status`:
 * the next poll reports it (an error even if the peer said success). */
static void intr_fail(struct redir *r, struct intr_in *in, uint8_t ep,
		      uint8_t status)
{
	in->err = map_status(r, status);
	if (in->err == USB_RET_SUCCESS)
		in->err = USB_RET_IOERROR;
	usb_port_wakeup(&r->dev, ep);
}

/* Stops receiving on every interrupt IN endpoint (a new configuration or
 * alternate setting: the peer's endpoints change), or only forgets when
 * `tell_peer` is false (the peer's device is gone). */
static void intr_stop_all(struct redir *r, bool tell_peer)
{
	for (unsigned i = 0; i < 16; i++) {
		if (r->intr[i].started && tell_peer) {
			struct usb_redir_stop_interrupt_receiving_header h = {
				.endpoint = (uint8_t)(0x80 | i),
			};

			usbredirparser_send_stop_interrupt_receiving(
				r->parser, new_id(r), &h);
		}
		intr_clear(&r->intr[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The device went away or the stream closed */

static void device_gone(struct redir *r)
{
	bool was = r->attached;

	r->attached = false;
	intr_stop_all(r, false);
	r->have_ep_info = false;
	r->have_if_info = false;
	r->if_count = 0;
	complete_all(r, USB_RET_IOERROR);
	if (was)
		usb_port_connection(&r->dev, false);
}

static void stream_gone(struct redir *r)
{
	if (r->gone)
		return;
	log_info("%s: peer closed the stream: device gone", r->name);
	r->gone = true;
	event_del(r->rev);
	event_del(r->wev);
	device_gone(r);
}

static void redir_free(struct redir *r);

/* Around anything that calls into the controller from the loop: the
 * controller may destroy the device from its callback, and the free
 * waits until the stack is ours again. Returns false if it is freed. */
static void enter(struct redir *r)
{
	r->busy++;
}

static bool leave(struct redir *r)
{
	if (--r->busy == 0 && r->destroy_pending) {
		redir_free(r);
		return false;
	}
	return true;
}

static void on_gone(evutil_socket_t fd, short what, void *arg)
{
	struct redir *r = arg;

	enter(r);
	stream_gone(r);
	leave(r);
}

/* ------------------------------------------------------------------ */
/* Peer messages */

static void p_hello(void *priv, struct usb_redir_hello_header *h)
{
	struct redir *r = priv;
	char v[sizeof(h->version) + 1];

	memcpy(v, h->version, sizeof(h->version));
	v[sizeof(h->version)] = '\0';
	log_info("%s: peer %s", r->name, v);
	r->hello = true;
}

static void p_device_connect(void *priv,
			     struct usb_redir_device_connect_header *h)
{
	struct redir *r = priv;
	enum usb_speed speed;

	switch (h->speed) {
	case usb_redir_speed_low:
		speed = USB_SPEED_LOW;
		break;
	case usb_redir_speed_full:
		speed = USB_SPEED_FULL;
		break;
	case usb_redir_speed_high:
		speed = USB_SPEED_HIGH;
		break;
	case usb_redir_speed_super:
		speed = USB_SPEED_SUPER;
		break;
	default:
		refuse(r, "device_connect with speed %u", h->speed);
		return;
	}
	if (r->attached) {
		refuse(r, "device_connect while a device is connected");
		return;
	}
	log_info("%s: device %04x:%04x class %02x speed %u", r->name,
		 h->vendor_id, h->product_id, h->device_class, h->speed);
	r->dev.speed = speed;
	r->attached = true;
	usb_port_connection(&r->dev, true);
}

static void p_device_disconnect(void *priv)
{
	struct redir *r = priv;

	if (!r->attached) {
		log_debug("%s: device_disconnect without a device", r->name);
		return;
	}
	log_info("%s: device disconnected by the peer", r->name);
	device_gone(r);
}

/* The interfaces of the current configuration, for SET_INTERFACE (the
 * parser has checked the count, at most 32). */
static void p_interface_info(void *priv,
			     struct usb_redir_interface_info_header *h)
{
	struct redir *r = priv;

	r->have_if_info = true;
	r->if_count = h->interface_count <= 32 ? h->interface_count : 32;
	memcpy(r->if_num, h->interface, sizeof(r->if_num));
	for (unsigned i = 0; i < r->if_count; i++)
		log_debug("%s: interface %u class %02x/%02x/%02x", r->name,
			  h->interface[i], h->interface_class[i],
			  h->interface_subclass[i], h->interface_protocol[i]);
}

/* Did the peer list interface `num` in its current configuration? */
static bool has_interface(const struct redir *r, uint16_t num)
{
	for (unsigned i = 0; i < r->if_count; i++)
		if (r->if_num[i] == num)
			return true;
	return false;
}

static void p_ep_info(void *priv, struct usb_redir_ep_info_header *h)
{
	struct redir *r = priv;

	for (unsigned i = 0; i < 32; i++) {
		uint8_t t = h->type[i];

		if (t > usb_redir_type_interrupt && t != usb_redir_type_invalid) {
			refuse(r, "ep_info: endpoint %u of type %u", i, t);
			t = usb_redir_type_invalid;
		}
		r->ep_type[i] = t;
		r->ep_max_packet[i] = h->max_packet_size[i];
		/* An IN endpoint no longer interrupt stops being polled. */
		if (i >= 16 && t != usb_redir_type_interrupt)
			intr_clear(&r->intr[i - 16]);
	}
	r->have_ep_info = true;
}

static void p_configuration_status(
	void *priv, uint64_t id, struct usb_redir_configuration_status_header *h)
{
	struct redir *r = priv;
	struct pend *q = answer(r, id, PEND_SET_CONFIG, h->status,
				"configuration_status");

	if (q)
		complete(r, q, map_status(r, h->status), 0);
}

static void p_alt_setting_status(
	void *priv, uint64_t id, struct usb_redir_alt_setting_status_header *h)
{
	struct redir *r = priv;
	struct pend *q = answer(r, id, PEND_SET_ALT, h->status,
				"alt_setting_status");

	if (q)
		complete(r, q, map_status(r, h->status), 0);
}

static void p_interrupt_receiving_status(
	void *priv, uint64_t id,
	struct usb_redir_interrupt_receiving_status_header *h)
{
	struct redir *r = priv;
	struct intr_in *in;

	if (!(h->endpoint & 0x80)) {
		refuse(r, "interrupt_receiving_status for OUT endpoint %02x",
		       h->endpoint);
		return;
	}
	in = &r->intr[h->endpoint & 0x0f];
	if (!in->started || id != in->start_id) {
		/* The answer to a stop, or to a start before a new
		 * configuration: nothing to do with the receiving now. */
		log_debug("%s: interrupt_receiving_status for %02x, id %"
			  PRIu64 ", not the current start", r->name,
			  h->endpoint, id);
		return;
	}
	if (h->status == usb_redir_success)
		return;
	/* Receiving failed or stopped: the next poll reports it and the one
	 * after starts again. */
	in->started = false;
	intr_fail(r, in, h->endpoint, h->status);
}

static void p_control_packet(void *priv, uint64_t id,
			     struct usb_redir_control_packet_header *h,
			     uint8_t *data, int data_len)
{
	struct redir *r = priv;
	struct pend *q = answer(r, id, PEND_CONTROL, h->status,
				"control_packet");
	struct usb_packet *p;
	int status;

	if (!q)
		goto out;
	p = q->p;
	if (h->endpoint != q->ep || h->request != p->setup.bRequest ||
	    h->requesttype != p->setup.bmRequestType) {
		refuse(r, "control answer %02x/%02x on ep %02x for request "
		       "%02x/%02x", h->requesttype, h->request, h->endpoint,
		       p->setup.bmRequestType, p->setup.bRequest);
		complete(r, q, USB_RET_IOERROR, 0);
		goto out;
	}
	status = map_status(r, h->status);
	if (!(q->ep & 0x80)) {
		/* OUT: the length written, never more than was sent. */
		if (h->length > q->asked) {
			refuse(r, "control OUT answer says %u bytes of %u",
			       h->length, q->asked);
			complete(r, q, USB_RET_IOERROR, 0);
		} else {
			complete(r, q, status, status == USB_RET_SUCCESS ?
				 h->length : 0);
		}
		goto out;
	}
	complete_in(r, q, status, data, data_len, "control");
out:
	usbredirparser_free_packet_data(r->parser, data);
}

/* Do both sides speak 32-bit bulk lengths (length_high)? */
static bool bulk32(struct redir *r)
{
	return usbredirparser_have_cap(r->parser,
				       usb_redir_cap_32bits_bulk_length) &&
	       usbredirparser_peer_has_cap(r->parser,
					   usb_redir_cap_32bits_bulk_length);
}

static uint32_t bulk_len(struct redir *r,
			 const struct usb_redir_bulk_packet_header *h)
{
	uint32_t len = h->length;

	if (bulk32(r))
		len |= (uint32_t)h->length_high << 16;
	return len;
}

static void p_bulk_packet(void *priv, uint64_t id,
			  struct usb_redir_bulk_packet_header *h,
			  uint8_t *data, int data_len)
{
	struct redir *r = priv;
	struct pend *q = answer(r, id, PEND_BULK, h->status, "bulk_packet");
	uint32_t len;
	int status;

	if (!q)
		goto out;
	if (h->endpoint != q->ep) {
		refuse(r, "bulk answer on ep %02x for ep %02x", h->endpoint,
		       q->ep);
		complete(r, q, USB_RET_IOERROR, 0);
		goto out;
	}
	status = map_status(r, h->status);
	len = bulk_len(r, h);
	if (!(q->ep & 0x80)) {
		if (len > q->asked) {
			refuse(r, "bulk OUT answer says %u bytes of %u", len,
			       q->asked);
			complete(r, q, USB_RET_IOERROR, 0);
		} else {
			complete(r, q, status, len);
		}
		goto out;
	}
	complete_in(r, q, status, data, data_len, "bulk");
out:
	usbredirparser_free_packet_data(r->parser, data);
}

/* An interrupt OUT answer (our id), or an IN report pushed by the peer
 * while receiving is on (the peer's id, meaningless here). */
static void p_interrupt_packet(void *priv, uint64_t id,
			       struct usb_redir_interrupt_packet_header *h,
			       uint8_t *data, int data_len)
{
	struct redir *r = priv;
	struct intr_in *in;
	struct intr_report *rep;

	if (!(h->endpoint & 0x80)) {
		struct pend *q = answer(r, id, PEND_INTR_OUT, h->status,
					"interrupt_packet");

		if (!q)
			goto out;
		if (h->endpoint != q->ep || h->length > q->asked) {
			refuse(r, "interrupt OUT answer on ep %02x, %u bytes, "
			       "for ep %02x, %u bytes", h->endpoint, h->length,
			       q->ep, q->asked);
			complete(r, q, USB_RET_IOERROR, 0);
			goto out;
		}
		complete(r, q, map_status(r, h->status), h->length);
		goto out;
	}
	in = &r->intr[h->endpoint & 0x0f];
	if (!in->started) {
		/* Also a report in flight when receiving was stopped. */
		log_debug("%s: interrupt report on %02x, not receiving",
			  r->name, h->endpoint);
		goto out;
	}
	if (h->status != usb_redir_success) {
		intr_fail(r, in, h->endpoint, h->status);
		goto out;
	}
	if (data_len < 0 || data_len > INTR_REPORT_MAX) {
		refuse(r, "interrupt report of %d bytes on %02x", data_len,
		       h->endpoint);
		goto out;
	}
	rep = malloc(sizeof(*rep) + (size_t)data_len);
	if (!rep)
		goto out;
	rep->next = NULL;
	rep->len = (uint16_t)data_len;
	if (data_len)
		memcpy(rep->data, data, (size_t)data_len);
	if (in->count >= INTR_QUEUE_MAX) {
		struct intr_report *old = in->head;

		/* The guest is not polling: the oldest report goes. */
		in->head = old->next;
		if (!in->head)
			in->tail = NULL;
		free(old);
		in->count--;
	}
	if (in->tail)
		in->tail->next = rep;
	else
		in->head = rep;
	in->tail = rep;
	in->count++;
	usb_port_wakeup(&r->dev, h->endpoint);
out:
	usbredirparser_free_packet_data(r->parser, data);
}

static void p_iso_packet(void *priv, uint64_t id,
			 struct usb_redir_iso_packet_header *h, uint8_t *data,
			 int data_len)
{
	struct redir *r = priv;

	refuse(r, "iso packet on %02x (never asked for)", h->endpoint);
	usbredirparser_free_packet_data(r->parser, data);
}

static void p_buffered_bulk_packet(
	void *priv, uint64_t id, struct usb_redir_buffered_bulk_packet_header *h,
	uint8_t *data, int data_len)
{
	struct redir *r = priv;

	refuse(r, "buffered bulk packet on %02x (never asked for)",
	       h->endpoint);
	usbredirparser_free_packet_data(r->parser, data);
}

static void p_iso_stream_status(void *priv, uint64_t id,
				struct usb_redir_iso_stream_status_header *h)
{
	refuse(priv, "iso_stream_status (never asked for)");
}

static void p_bulk_streams_status(
	void *priv, uint64_t id, struct usb_redir_bulk_streams_status_header *h)
{
	refuse(priv, "bulk_streams_status (never asked for)");
}

static void p_bulk_receiving_status(
	void *priv, uint64_t id,
	struct usb_redir_bulk_receiving_status_header *h)
{
	refuse(priv, "bulk_receiving_status (never asked for)");
}

static void p_filter_reject(void *priv)
{
	refuse(priv, "filter_reject (no filter was sent)");
}

static void p_filter_filter(void *priv, struct usbredirfilter_rule *rules,
			    int count)
{
	/* The peer's filter says which devices it would share: this side
	 * does not choose devices, so it is only dropped (the parser hands
	 * over the array, malloc'd). */
	free(rules);
}

/* Messages only a usb-host receives: the parser refuses them on this side
 * before any callback, so these never run; they are set because old
 * parsers call every callback without checking it. */
static void p_host_only(void *priv)
{
	refuse(priv, "a message for the usb-host side");
}

static void p_host_only_id(void *priv, uint64_t id)
{
	p_host_only(priv);
}

static void p_set_configuration(void *priv, uint64_t id,
				struct usb_redir_set_configuration_header *h)
{
	p_host_only(priv);
}

static void p_set_alt_setting(void *priv, uint64_t id,
			      struct usb_redir_set_alt_setting_header *h)
{
	p_host_only(priv);
}

static void p_get_alt_setting(void *priv, uint64_t id,
			      struct usb_redir_get_alt_setting_header *h)
{
	p_host_only(priv);
}

static void p_start_iso_stream(void *priv, uint64_t id,
			       struct usb_redir_start_iso_stream_header *h)
{
	p_host_only(priv);
}

static void p_stop_iso_stream(void *priv, uint64_t id,
			      struct usb_redir_stop_iso_stream_header *h)
{
	p_host_only(priv);
}

static void p_start_interrupt_receiving(
	void *priv, uint64_t id,
	struct usb_redir_start_interrupt_receiving_header *h)
{
	p_host_only(priv);
}

static void p_stop_interrupt_receiving(
	void *priv, uint64_t id,
	struct usb_redir_stop_interrupt_receiving_header *h)
{
	p_host_only(priv);
}

static void p_alloc_bulk_streams(void *priv, uint64_t id,
				 struct usb_redir_alloc_bulk_streams_header *h)
{
	p_host_only(priv);
}

static void p_free_bulk_streams(void *priv, uint64_t id,
				struct usb_redir_free_bulk_streams_header *h)
{
	p_host_only(priv);
}

static void p_start_bulk_receiving(
	void *priv, uint64_t id, struct usb_redir_start_bulk_receiving_header *h)
{
	p_host_only(priv);
}

static void p_stop_bulk_receiving(
	void *priv, uint64_t id, struct usb_redir_stop_bulk_receiving_header *h)
{
	p_host_only(priv);
}

/* ------------------------------------------------------------------ */
/* The controller's side */

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct redir *r = arg;
	int rc;

	enter(r);
	rc = usbredirparser_do_read(r->parser);
	if (!leave(r))
		return;
	/* A parse error skips the bad packet; the rest is read when the
	 * socket is readable again (level-triggered). */
	if (rc == usbredirparser_read_parse_error)
		r->refused++;
	flush(r);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	flush(arg);
}

/* Does the peer's ep_info say `ep` is of `type`? */
static bool ep_is(struct redir *r, uint8_t ep, uint8_t type)
{
	return r->have_ep_info && r->ep_type[ep_index(ep)] == type;
}

static int done(struct usb_packet *p, int status, size_t actual)
{
	p->status = status;
	p->actual = actual;
	return status;
}

static int handle_control(struct redir *r, struct usb_packet *p)
{
	const struct usb_setup *s = &p->setup;
	bool in = s->bmRequestType & 0x80;
	struct pend *q;
	uint32_t len = s->wLength;

	if (len > p->len) {
		if (!in)
			return done(p, USB_RET_STALL, 0);
		len = (uint32_t)p->len;   /* ask only what fits */
	}
	if (s->bmRequestType == 0x00 && s->bRequest == 9) {
		/* SET_CONFIGURATION: usbredir's own message, so the peer
		 * re-claims interfaces and re-sends its endpoints. */
		struct usb_redir_set_configuration_header h = {
			.configuration = (uint8_t)s->wValue,
		};

		q = pend_add(r, p, PEND_SET_CONFIG, 0, 0);
		if (!q)
			return done(p, USB_RET_IOERROR, 0);
		intr_stop_all(r, true);
		usbredirparser_send_set_configuration(r->parser, q->id, &h);
	} else if (s->bmRequestType == 0x01 && s->bRequest == 11) {
		/* SET_INTERFACE, for an interface the peer has. */
		struct usb_redir_set_alt_setting_header h = {
			.interface = (uint8_t)s->wIndex,
			.alt = (uint8_t)s->wValue,
		};

		if (r->have_if_info && !has_interface(r, s->wIndex))
			return done(p, USB_RET_STALL, 0);
		q = pend_add(r, p, PEND_SET_ALT, 0, 0);
		if (!q)
			return done(p, USB_RET_IOERROR, 0);
		intr_stop_all(r, true);
		usbredirparser_send_set_alt_setting(r->parser, q->id, &h);
	} else {
		struct usb_redir_control_packet_header h = {
			.endpoint = in ? 0x80 : 0x00,
			.request = s->bRequest,
			.requesttype = s->bmRequestType,
			.value = s->wValue,
			.index = s->wIndex,
			.length = (uint16_t)len,
		};

		q = pend_add(r, p, PEND_CONTROL, h.endpoint, len);
		if (!q)
			return done(p, USB_RET_IOERROR, 0);
		usbredirparser_send_control_packet(r->parser, q->id, &h,
						   in ? NULL : p->buf,
						   in ? 0 : (int)len);
	}
	flush(r);
	return done(p, USB_RET_ASYNC, 0);
}

static int handle_bulk(struct redir *r, struct usb_packet *p)
{
	bool in = p->ep & 0x80;
	uint32_t max = BULK_LEN16_MAX;
	struct pend *q;

	if (!ep_is(r, p->ep, usb_redir_type_bulk))
		return done(p, USB_RET_STALL, 0);
	if (bulk32(r))
		max = INT32_MAX;   /* the parser's lengths are ints */
	if (p->len > max) {
		log_warn("%s: bulk transfer of %zu bytes on %02x: the peer "
			 "takes at most %u", r->name, p->len, p->ep, max);
		return done(p, USB_RET_IOERROR, 0);
	}
	struct usb_redir_bulk_packet_header h = {
		.endpoint = p->ep,
		.length = (uint16_t)p->len,
		.length_high = (uint16_t)(p->len >> 16),
	};

	q = pend_add(r, p, PEND_BULK, p->ep, (uint32_t)p->len);
	if (!q)
		return done(p, USB_RET_IOERROR, 0);
	usbredirparser_send_bulk_packet(r->parser, q->id, &h,
					in ? NULL : p->buf,
					in ? 0 : (int)p->len);
	flush(r);
	return done(p, USB_RET_ASYNC, 0);
}

static int handle_interrupt_in(struct redir *r, struct usb_packet *p)
{
	struct intr_in *in = &r->intr[p->ep & 0x0f];
	struct intr_report *rep;
	int status;

	if (in->err) {
		status = in->err;
		in->err = 0;
		return done(p, status, 0);
	}
	rep = in->head;
	if (rep) {
		in->head = rep->next;
		if (!in->head)
			in->tail = NULL;
		in->count--;
		if (rep->len > p->len) {
			if (p->len)
				memcpy(p->buf, rep->data, p->len);
			status = done(p, USB_RET_BABBLE, p->len);
		} else {
			if (rep->len)
				memcpy(p->buf, rep->data, rep->len);
			status = done(p, USB_RET_SUCCESS, rep->len);
		}
		free(rep);
		return status;
	}
	if (!in->started) {
		struct usb_redir_start_interrupt_receiving_header h = {
			.endpoint = p->ep,
		};

		in->start_id = new_id(r);
		usbredirparser_send_start_interrupt_receiving(r->parser,
							      in->start_id, &h);
		in->started = true;
		flush(r);
	}
	return done(p, USB_RET_NAK, 0);
}

static int handle_interrupt_out(struct redir *r, struct usb_packet *p)
{
	struct pend *q;

	if (p->len > INTR_REPORT_MAX)
		return done(p, USB_RET_STALL, 0);
	struct usb_redir_interrupt_packet_header h = {
		.endpoint = p->ep,
		.length = (uint16_t)p->len,
	};

	q = pend_add(r, p, PEND_INTR_OUT, p->ep, (uint32_t)p->len);
	if (!q)
		return done(p, USB_RET_IOERROR, 0);
	usbredirparser_send_interrupt_packet(r->parser, q->id, &h, p->buf,
					     (int)p->len);
	flush(r);
	return done(p, USB_RET_ASYNC, 0);
}

static int redir_handle(struct usb_device *d, struct usb_packet *p)
{
	struct redir *r = to_redir(d);

	if (!r->attached || r->gone)
		return done(p, USB_RET_IOERROR, 0);
	if (!p->buf && p->len)
		return done(p, USB_RET_IOERROR, 0);
	switch (p->type) {
	case USB_XFER_CONTROL:
		if (p->ep != 0)
			return done(p, USB_RET_STALL, 0);
		return handle_control(r, p);
	case USB_XFER_BULK:
		if (!(p->ep & 0x0f))
			return done(p, USB_RET_STALL, 0);
		return handle_bulk(r, p);
	case USB_XFER_INTERRUPT:
		if (!(p->ep & 0x0f) ||
		    !ep_is(r, p->ep, usb_redir_type_interrupt))
			return done(p, USB_RET_STALL, 0);
		if (p->ep & 0x80)
			return handle_interrupt_in(r, p);
		return handle_interrupt_out(r, p);
	default:
		/* Isochronous streams are not implemented. */
		return done(p, USB_RET_STALL, 0);
	}
}

static void redir_cancel(struct usb_device *d, struct usb_packet *p)
{
	struct redir *r = to_redir(d);
	struct pend *q = pend_take(r, 0, p);

	if (!q)
		return;
	/* Forgotten here; the peer's late answer finds no id. A
	 * configuration change cannot be withdrawn, only forgotten. */
	if (!r->gone && (q->kind == PEND_CONTROL || q->kind == PEND_BULK ||
			 q->kind == PEND_INTR_OUT)) {
		usbredirparser_send_cancel_data_packet(r->parser, q->id);
		flush(r);
	}
	free(q);
}

static void redir_reset(struct usb_device *d)
{
	struct redir *r = to_redir(d);

	if (r->gone || !r->attached)
		return;
	intr_stop_all(r, true);
	usbredirparser_send_reset(r->parser);
	flush(r);
}

static void redir_free(struct redir *r)
{
	struct pend *q = r->pending;

	/* The controller cancelled what it had: what is left is only
	 * forgotten, never completed into a controller that is going. */
	while (q) {
		struct pend *next = q->next;

		free(q);
		q = next;
	}
	for (unsigned i = 0; i < 16; i++)
		intr_clear(&r->intr[i]);
	if (r->rev)
		event_free(r->rev);
	if (r->wev)
		event_free(r->wev);
	if (r->gone_ev)
		event_free(r->gone_ev);
	if (r->parser)
		usbredirparser_destroy(r->parser);
	if (r->fd >= 0)
		close(r->fd);
	if (r->fini)
		r->fini(r->fini_opaque);
	free(r);
}

static void redir_destroy(struct usb_device *d)
{
	struct redir *r = to_redir(d);

	d->port = NULL;   /* nothing more reaches the controller */
	if (r->busy) {
		/* Inside the parser's callback: it must return first. */
		r->destroy_pending = true;
		r->gone = true;
		event_del(r->rev);
		event_del(r->wev);
		return;
	}
	redir_free(r);
}

static const struct usb_device_ops redir_ops = {
	.handle = redir_handle,
	.cancel = redir_cancel,
	.reset = redir_reset,
	.destroy = redir_destroy,
};

static void set_callbacks(struct usbredirparser *ps, struct redir *r)
{
	ps->priv = r;
	ps->log_func = parser_log;
	ps->read_func = redir_read;
	ps->write_func = redir_write;
	ps->hello_func = p_hello;
	ps->device_connect_func = p_device_connect;
	ps->device_disconnect_func = p_device_disconnect;
	ps->reset_func = p_host_only;
	ps->interface_info_func = p_interface_info;
	ps->ep_info_func = p_ep_info;
	ps->set_configuration_func = p_set_configuration;
	ps->get_configuration_func = p_host_only_id;
	ps->configuration_status_func = p_configuration_status;
	ps->set_alt_setting_func = p_set_alt_setting;
	ps->get_alt_setting_func = p_get_alt_setting;
	ps->alt_setting_status_func = p_alt_setting_status;
	ps->start_iso_stream_func = p_start_iso_stream;
	ps->stop_iso_stream_func = p_stop_iso_stream;
	ps->iso_stream_status_func = p_iso_stream_status;
	ps->start_interrupt_receiving_func = p_start_interrupt_receiving;
	ps->stop_interrupt_receiving_func = p_stop_interrupt_receiving;
	ps->interrupt_receiving_status_func = p_interrupt_receiving_status;
	ps->alloc_bulk_streams_func = p_alloc_bulk_streams;
	ps->free_bulk_streams_func = p_free_bulk_streams;
	ps->bulk_streams_status_func = p_bulk_streams_status;
	ps->cancel_data_packet_func = p_host_only_id;
	ps->control_packet_func = p_control_packet;
	ps->bulk_packet_func = p_bulk_packet;
	ps->iso_packet_func = p_iso_packet;
	ps->interrupt_packet_func = p_interrupt_packet;
	ps->filter_reject_func = p_filter_reject;
	ps->filter_filter_func = p_filter_filter;
	ps->device_disconnect_ack_func = p_host_only;
	ps->start_bulk_receiving_func = p_start_bulk_receiving;
	ps->stop_bulk_receiving_func = p_stop_bulk_receiving;
	ps->bulk_receiving_status_func = p_bulk_receiving_status;
	ps->buffered_bulk_packet_func = p_buffered_bulk_packet;
}

struct usb_device *usb_redir_open(int fd, struct event_base *base,
				  void (*fini)(void *opaque), void *opaque,
				  const char **why)
{
	uint32_t caps[USB_REDIR_CAPS_SIZE] = { 0 };
	struct redir *r;
	struct stat st;
	int fl;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		*why = "usbredir: the fd is not a socket";
		if (fd >= 0)
			close(fd);
		if (fini)
			fini(opaque);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		*why = "usbredir: out of memory";
		close(fd);
		if (fini)
			fini(opaque);
		return NULL;
	}
	r->fd = fd;
	r->base = base;
	r->fini = fini;
	r->fini_opaque = opaque;
	r->dev.ops = &redir_ops;
	r->dev.kind = "redir";
	r->dev.speed = USB_SPEED_FULL;
	memset(r->ep_type, usb_redir_type_invalid, sizeof(r->ep_type));
	snprintf(r->name, sizeof(r->name), "usbredir[fd %d]", fd);

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		*why = "usbredir: cannot make the socket non-blocking";
		goto fail;
	}
	r->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, r);
	r->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, r);
	r->gone_ev = event_new(base, -1, 0, on_gone, r);
	r->parser = usbredirparser_create();
	if (!r->rev || !r->wev || !r->gone_ev || !r->parser) {
		*why = "usbredir: out of memory";
		goto fail;
	}
	set_callbacks(r->parser, r);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
	/* The parser adds device_disconnect_ack and sends the ack itself;
	 * hello is queued here. */
	usbredirparser_init(r->parser, "atoll-usb " ATOLL_VERSION, caps,
			    USB_REDIR_CAPS_SIZE, 0);
	event_add(r->rev, NULL);
	flush(r);
	return &r->dev;
fail:
	r->fini = NULL;
	redir_free(r);
	if (fini)
		fini(opaque);
	return NULL;
}

struct usb_device *usb_redir_new(int fd, struct event_base *base,
				 const char **why)
{
	return usb_redir_open(fd, base, NULL, NULL, why);
}

bool usb_redir_peer_gone(const struct usb_device *d)
{
	return to_credir(d)->gone;
}

unsigned long usb_redir_refused(const struct usb_device *d)
{
	return to_credir(d)->refused;
}

bool usb_redir_peer_hello(const struct usb_device *d)
{
	return to_credir(d)->hello;
}
