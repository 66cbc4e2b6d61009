/* SPDX-License-Identifier: MIT */
/*
 * The test's usbredir usb-host peer (redir-peer.h): libusbredirparser on
 * the host side, a device emulated in a few tables, the stream on a
 * libevent loop (non-blocking both ways, so one process can hold both
 * ends).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <usbredirparser.h>

#include "redir-peer.h"

#define EP_BULK_IN 0x81
#define EP_BULK_OUT 0x02
#define EP_INTR_IN 0x83
#define EP_INTR_OUT 0x04
#define LOOP_MAX (1u << 20)     /* loopback bytes held */

/* A bulk IN waiting for loopback data. */
struct parked {
	struct parked *next;
	uint64_t id;
	uint32_t len;
};

struct redir_peer {
	struct redir_peer_config cfg;
	int fd;
	struct event *rev, *wev;
	struct usbredirparser *parser;
	struct redir_peer_stats st;
	bool closed;
	bool receiving;         /* interrupt IN 0x83 started */
	bool unplugged;
	uint8_t *loop;
	size_t loop_len;
	struct parked *parked;
};

static const char *const strings[] = {
	NULL, "Atoll", "usbredir test peer", "ATOLL-REDIR-0001",
};

static void peer_log(void *priv, int level, const char *msg)
{
	struct redir_peer *p = priv;

	if (!p->cfg.quiet && level <= usbredirparser_warning)
		fprintf(stderr, "redir-peer: %s\n", msg);
}

static void peer_gone(struct redir_peer *p)
{
	if (p->closed)
		return;
	p->closed = true;
	if (p->rev)
		event_del(p->rev);
	if (p->wev)
		event_del(p->wev);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int peer_read(void *priv, uint8_t *data, int count)
{
	struct redir_peer *p = priv;
	ssize_t n;

	if (p->fd < 0)
		return -1;
	n = recv(p->fd, data, (size_t)count, MSG_DONTWAIT);
	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static int peer_write(void *priv, uint8_t *data, int count)
{
	struct redir_peer *p = priv;
	ssize_t n;

	if (p->fd < 0)
		return -1;
	n = send(p->fd, data, (size_t)count, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -1;
}

static void peer_flush(struct redir_peer *p)
{
	if (p->closed || !p->wev)
		return;
	if (usbredirparser_has_data_to_write(p->parser))
		usbredirparser_do_write(p->parser);
	if (usbredirparser_has_data_to_write(p->parser))
		event_add(p->wev, NULL);
	else
		event_del(p->wev);
}

/* ---- descriptors ---- */

static size_t device_desc(struct redir_peer *p, uint8_t *d)
{
	const uint8_t desc[18] = {
		18, 1, 0x00, 0x02, 0, 0, 0, 64,
		(uint8_t)p->cfg.vendor, (uint8_t)(p->cfg.vendor >> 8),
		(uint8_t)p->cfg.product, (uint8_t)(p->cfg.product >> 8),
		0x00, 0x01, 1, 2, 3, 1,
	};

	memcpy(d, desc, sizeof(desc));
	return sizeof(desc);
}

static uint16_t bulk_mps(struct redir_peer *p)
{
	return p->cfg.speed >= usb_redir_speed_high ? 512 : 64;
}

static size_t config_desc(struct redir_peer *p, uint8_t *d)
{
	uint16_t mps = bulk_mps(p);
	const uint8_t desc[46] = {
		9, 2, 46, 0, 1, 1, 0, 0x80, 50,          /* configuration */
		9, 4, 0, 0, 4, 0xff, 0, 0, 0,            /* interface 0 */
		7, 5, EP_BULK_IN, 2, (uint8_t)mps, (uint8_t)(mps >> 8), 0,
		7, 5, EP_BULK_OUT, 2, (uint8_t)mps, (uint8_t)(mps >> 8), 0,
		7, 5, EP_INTR_IN, 3, 8, 0, 4,
		7, 5, EP_INTR_OUT, 3, 8, 0, 4,
	};

	memcpy(d, desc, sizeof(desc));
	return sizeof(desc);
}

static size_t string_desc(unsigned idx, uint8_t *d)
{
	size_t n;

	if (idx == 0) {
		const uint8_t langs[4] = { 4, 3, 0x09, 0x04 };

		memcpy(d, langs, sizeof(langs));
		return sizeof(langs);
	}
	if (idx >= sizeof(strings) / sizeof(strings[0]))
		return 0;
	n = strlen(strings[idx]);
	d[0] = (uint8_t)(2 + 2 * n);
	d[1] = 3;
	for (size_t i = 0; i < n; i++) {
		d[2 + 2 * i] = (uint8_t)strings[idx][i];
		d[3 + 2 * i] = 0;
	}
	return 2 + 2 * n;
}

static void send_endpoints(struct redir_peer *p)
{
	struct usb_redir_interface_info_header ii = { .interface_count = 1 };
	struct usb_redir_ep_info_header ei;

	ii.interface_class[0] = 0xff;
	memset(&ei, 0, sizeof(ei));
	memset(ei.type, usb_redir_type_invalid, sizeof(ei.type));
	ei.type[0] = usb_redir_type_control;
	ei.type[16] = usb_redir_type_control;
	ei.max_packet_size[0] = ei.max_packet_size[16] = 64;
	if (p->st.configuration) {
		ei.type[16 + 1] = usb_redir_type_bulk;
		ei.max_packet_size[16 + 1] = bulk_mps(p);
		ei.type[2] = usb_redir_type_bulk;
		ei.max_packet_size[2] = bulk_mps(p);
		ei.type[16 + 3] = usb_redir_type_interrupt;
		ei.max_packet_size[16 + 3] = 8;
		ei.interval[16 + 3] = 4;
		ei.type[4] = usb_redir_type_interrupt;
		ei.max_packet_size[4] = 8;
		ei.interval[4] = 4;
	}
	usbredirparser_send_interface_info(p->parser, &ii);
	usbredirparser_send_ep_info(p->parser, &ei);
}

/* ---- messages from the guest ---- */

static void h_hello(void *priv, struct usb_redir_hello_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_device_connect_header dc = {
		.speed = p->cfg.speed,
		.device_class = 0,
		.vendor_id = p->cfg.vendor,
		.product_id = p->cfg.product,
		.device_version_bcd = 0x0100,
	};

	p->st.hellos++;
	send_endpoints(p);
	if (p->cfg.hostile & PEER_BAD_SPEED) {
		struct usb_redir_device_connect_header bad = dc;

		bad.speed = 9;
		usbredirparser_send_device_connect(p->parser, &bad);
	}
	usbredirparser_send_device_connect(p->parser, &dc);
}

/* An id the guest never used, for PEER_UNKNOWN_ID. */
static uint64_t bogus(uint64_t id)
{
	return id + 0x7000;
}

static void h_control(void *priv, uint64_t id,
		      struct usb_redir_control_packet_header *h, uint8_t *data,
		      int data_len)
{
	struct redir_peer *p = priv;
	uint8_t buf[512 + 16];
	size_t n = 0;
	bool ok = true;
	bool in = h->endpoint & 0x80;

	p->st.controls++;
	memset(buf, 0, sizeof(buf));
	if (h->requesttype == 0x80 && h->request == 6) {
		switch (h->value >> 8) {
		case 1:
			n = device_desc(p, buf);
			break;
		case 2:
			n = config_desc(p, buf);
			break;
		case 3:
			n = string_desc(h->value & 0xff, buf);
			ok = n > 0;
			break;
		default:
			ok = false;
		}
	} else if (h->requesttype == 0x80 && h->request == 0) {
		n = 2;   /* GET_STATUS: bus powered, no remote wakeup */
	} else if (h->requesttype == 0x80 && h->request == 8) {
		buf[0] = p->st.configuration;
		n = 1;
	} else if ((h->requesttype == 0x02 || h->requesttype == 0x00) &&
		   (h->request == 1 || h->request == 3)) {
		n = 0;   /* CLEAR_FEATURE / SET_FEATURE */
	} else {
		ok = false;
	}
	if (in) {
		if (n > h->length)
			n = h->length;
		if (ok && (p->cfg.hostile & PEER_OVERSIZE))
			n = (size_t)h->length + 16 <= sizeof(buf) ?
			    (size_t)h->length + 16 : sizeof(buf);
	} else {
		n = (size_t)data_len;
	}
	h->status = ok ? usb_redir_success : usb_redir_stall;
	if (!ok)
		n = 0;
	if (p->cfg.hostile & PEER_UNKNOWN_ID) {
		struct usb_redir_control_packet_header b = *h;

		b.length = in ? (uint16_t)n : h->length;
		usbredirparser_send_control_packet(p->parser, bogus(id), &b,
						   in ? buf : NULL,
						   in ? (int)n : 0);
	}
	h->length = (uint16_t)n;
	usbredirparser_send_control_packet(p->parser, id, h, in ? buf : NULL,
					   in ? (int)n : 0);
	usbredirparser_free_packet_data(p->parser, data);
}

static void send_bulk(struct redir_peer *p, uint64_t id, uint8_t ep,
		      uint8_t status, const uint8_t *data, uint32_t len,
		      bool with_data)
{
	struct usb_redir_bulk_packet_header h = {
		.endpoint = ep,
		.status = status,
		.length = (uint16_t)len,
		.length_high = (uint16_t)(len >> 16),
	};

	if (p->cfg.hostile & PEER_WRONG_EP)
		h.endpoint = (ep & 0x80) | 0x06;
	if (p->cfg.hostile & PEER_BAD_STATUS)
		h.status = 77;
	if (p->cfg.hostile & PEER_UNKNOWN_ID)
		usbredirparser_send_bulk_packet(p->parser, bogus(id), &h,
						with_data ? (uint8_t *)data :
						NULL, with_data ? (int)len : 0);
	usbredirparser_send_bulk_packet(p->parser, id, &h,
					with_data ? (uint8_t *)data : NULL,
					with_data ? (int)len : 0);
}

/* Answers a bulk IN of `len` from the loopback data or the pattern;
 * false if there is nothing to read yet (loopback). */
static bool answer_in(struct redir_peer *p, uint64_t id, uint32_t len)
{
	uint32_t extra = (p->cfg.hostile & PEER_OVERSIZE) ? 16 : 0;
	uint8_t *buf;
	uint32_t n;

	if (p->cfg.pattern_len) {
		uint64_t left = p->cfg.pattern_len - p->st.pattern_sent;

		n = left < len ? (uint32_t)left : len;
	} else {
		if (!p->loop_len)
			return false;
		n = p->loop_len < len ? (uint32_t)p->loop_len : len;
	}
	buf = calloc(1, (size_t)n + extra + 1);
	if (!buf)
		return true;
	if (p->cfg.pattern_len) {
		for (uint32_t i = 0; i < n; i++) {
			buf[i] = redir_peer_pattern(p->st.pattern_sent + i);
			p->st.pattern_sum += buf[i];
		}
		p->st.pattern_sent += n;
	} else {
		memcpy(buf, p->loop, n);
		memmove(p->loop, p->loop + n, p->loop_len - n);
		p->loop_len -= n;
	}
	send_bulk(p, id, EP_BULK_IN, usb_redir_success, buf, n + extra, true);
	free(buf);
	return true;
}

static void h_bulk(void *priv, uint64_t id,
		   struct usb_redir_bulk_packet_header *h, uint8_t *data,
		   int data_len)
{
	struct redir_peer *p = priv;
	uint32_t len = h->length | (uint32_t)h->length_high << 16;

	if (h->endpoint == EP_BULK_OUT) {
		uint8_t status = usb_redir_success;

		p->st.bulk_out++;
		if (p->loop_len + (size_t)data_len > LOOP_MAX) {
			status = usb_redir_stall;
			data_len = 0;
		} else if (data_len > 0) {
			if (!p->loop)
				p->loop = malloc(LOOP_MAX);
			if (p->loop) {
				memcpy(p->loop + p->loop_len, data,
				       (size_t)data_len);
				p->loop_len += (size_t)data_len;
			}
		}
		send_bulk(p, id, EP_BULK_OUT, status, NULL,
			  (uint32_t)data_len, false);
		/* Parked INs get the new data, oldest first. */
		while (p->parked && p->loop_len) {
			struct parked **pp = &p->parked, *k;

			while ((*pp)->next)
				pp = &(*pp)->next;
			k = *pp;
			*pp = NULL;
			answer_in(p, k->id, k->len);
			free(k);
		}
	} else if (h->endpoint == EP_BULK_IN) {
		p->st.bulk_in++;
		if (p->cfg.hostile & PEER_DISCONNECT) {
			redir_peer_unplug(p);
		} else if (p->cfg.hostile & PEER_CLOSE) {
			peer_gone(p);
		} else if (!answer_in(p, id, len)) {
			struct parked *k = calloc(1, sizeof(*k));

			if (k) {
				k->id = id;
				k->len = len;
				k->next = p->parked;
				p->parked = k;
			}
		}
	} else {
		send_bulk(p, id, h->endpoint, usb_redir_stall, NULL, 0, false);
	}
	usbredirparser_free_packet_data(p->parser, data);
}

static void h_cancel(void *priv, uint64_t id)
{
	struct redir_peer *p = priv;

	p->st.cancels++;
	for (struct parked **pp = &p->parked; *pp; pp = &(*pp)->next) {
		struct parked *k = *pp;

		if (k->id == id) {
			struct usb_redir_bulk_packet_header h = {
				.endpoint = EP_BULK_IN,
				.status = usb_redir_cancelled,
			};

			*pp = k->next;
			free(k);
			/* As usbredirhost does: the cancelled packet is
			 * answered, late, with status cancelled. */
			usbredirparser_send_bulk_packet(p->parser, id, &h,
							NULL, 0);
			return;
		}
	}
}

static void h_set_configuration(void *priv, uint64_t id,
				struct usb_redir_set_configuration_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_configuration_status_header s = {
		.status = h->configuration <= 1 ? usb_redir_success :
			  usb_redir_stall,
		.configuration = h->configuration,
	};

	p->st.set_configs++;
	if (h->configuration <= 1) {
		p->st.configuration = h->configuration;
		p->receiving = false;
		send_endpoints(p);
	}
	usbredirparser_send_configuration_status(p->parser, id, &s);
}

static void h_get_configuration(void *priv, uint64_t id)
{
	struct redir_peer *p = priv;
	struct usb_redir_configuration_status_header s = {
		.status = usb_redir_success,
		.configuration = p->st.configuration,
	};

	usbredirparser_send_configuration_status(p->parser, id, &s);
}

static void h_set_alt(void *priv, uint64_t id,
		      struct usb_redir_set_alt_setting_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_alt_setting_status_header s = {
		.status = h->interface == 0 && h->alt == 0 ?
			  usb_redir_success : usb_redir_inval,
		.interface = h->interface,
		.alt = h->alt,
	};

	p->st.set_alts++;
	usbredirparser_send_alt_setting_status(p->parser, id, &s);
}

static void h_get_alt(void *priv, uint64_t id,
		      struct usb_redir_get_alt_setting_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_alt_setting_status_header s = {
		.status = h->interface == 0 ? usb_redir_success :
			  usb_redir_inval,
		.interface = h->interface,
	};

	usbredirparser_send_alt_setting_status(p->parser, id, &s);
}

static void h_start_intr(void *priv, uint64_t id,
			 struct usb_redir_start_interrupt_receiving_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_interrupt_receiving_status_header s = {
		.status = usb_redir_success,
		.endpoint = h->endpoint,
	};

	p->st.intr_starts++;
	if (p->cfg.hostile & PEER_START_FAILS)
		s.status = usb_redir_stall;
	else if (h->endpoint == EP_INTR_IN && p->st.configuration)
		p->receiving = true;
	else
		s.status = usb_redir_inval;
	usbredirparser_send_interrupt_receiving_status(p->parser, id, &s);
}

static void h_stop_intr(void *priv, uint64_t id,
			struct usb_redir_stop_interrupt_receiving_header *h)
{
	struct redir_peer *p = priv;
	struct usb_redir_interrupt_receiving_status_header s = {
		.status = usb_redir_success,
		.endpoint = h->endpoint,
	};

	p->st.intr_stops++;
	if (h->endpoint == EP_INTR_IN)
		p->receiving = false;
	if (p->cfg.hostile & PEER_STOP_FAILS)
		s.status = usb_redir_ioerror;
	usbredirparser_send_interrupt_receiving_status(p->parser, id, &s);
}

static void h_reset(void *priv)
{
	struct redir_peer *p = priv;

	p->st.resets++;
	p->receiving = false;
}

static void h_interrupt(void *priv, uint64_t id,
			struct usb_redir_interrupt_packet_header *h,
			uint8_t *data, int data_len)
{
	struct redir_peer *p = priv;

	/* Interrupt OUT 0x04 keeps the last report; other endpoints stall. */
	if (h->endpoint == EP_INTR_OUT && p->st.configuration &&
	    data_len <= (int)sizeof(p->st.intr_out)) {
		memcpy(p->st.intr_out, data, (size_t)data_len);
		p->st.intr_out_len = (unsigned)data_len;
		h->status = usb_redir_success;
		h->length = (uint16_t)data_len;
	} else {
		h->status = usb_redir_stall;
		h->length = 0;
	}
	usbredirparser_send_interrupt_packet(p->parser, id, h, NULL, 0);
	usbredirparser_free_packet_data(p->parser, data);
}

static void h_nothing(void *priv)
{
}

static void h_iso_stream(void *priv, uint64_t id,
			 struct usb_redir_start_iso_stream_header *h)
{
}

static void h_stop_iso(void *priv, uint64_t id,
		       struct usb_redir_stop_iso_stream_header *h)
{
}

static void h_iso(void *priv, uint64_t id,
		  struct usb_redir_iso_packet_header *h, uint8_t *data,
		  int data_len)
{
	struct redir_peer *p = priv;

	usbredirparser_free_packet_data(p->parser, data);
}

static void h_alloc_streams(void *priv, uint64_t id,
			    struct usb_redir_alloc_bulk_streams_header *h)
{
}

static void h_free_streams(void *priv, uint64_t id,
			   struct usb_redir_free_bulk_streams_header *h)
{
}

static void h_filter(void *priv, struct usbredirfilter_rule *rules,
		     int count)
{
	free(rules);
}

static void h_start_bulk_recv(void *priv, uint64_t id,
			      struct usb_redir_start_bulk_receiving_header *h)
{
}

static void h_stop_bulk_recv(void *priv, uint64_t id,
			     struct usb_redir_stop_bulk_receiving_header *h)
{
}

/* ---- the stream ---- */

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct redir_peer *p = arg;
	int rc = usbredirparser_do_read(p->parser);

	if (rc == usbredirparser_read_io_error) {
		peer_gone(p);
		return;
	}
	peer_flush(p);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct redir_peer *p = arg;

	if (usbredirparser_do_write(p->parser) < 0 && errno != EAGAIN &&
	    !usbredirparser_has_data_to_write(p->parser))
		return;
	peer_flush(p);
}

struct redir_peer *redir_peer_new(int fd, struct event_base *base,
				  const struct redir_peer_config *cfg)
{
	uint32_t caps[USB_REDIR_CAPS_SIZE] = { 0 };
	struct redir_peer *p = calloc(1, sizeof(*p));
	struct usbredirparser *ps;

	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->fd = fd;
	p->parser = ps = usbredirparser_create();
	p->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, p);
	p->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, p);
	if (!ps || !p->rev || !p->wev) {
		redir_peer_free(p);
		return NULL;
	}
	ps->priv = p;
	ps->log_func = peer_log;
	ps->read_func = peer_read;
	ps->write_func = peer_write;
	ps->hello_func = h_hello;
	ps->reset_func = h_reset;
	ps->set_configuration_func = h_set_configuration;
	ps->get_configuration_func = h_get_configuration;
	ps->set_alt_setting_func = h_set_alt;
	ps->get_alt_setting_func = h_get_alt;
	ps->start_iso_stream_func = h_iso_stream;
	ps->stop_iso_stream_func = h_stop_iso;
	ps->start_interrupt_receiving_func = h_start_intr;
	ps->stop_interrupt_receiving_func = h_stop_intr;
	ps->alloc_bulk_streams_func = h_alloc_streams;
	ps->free_bulk_streams_func = h_free_streams;
	ps->cancel_data_packet_func = h_cancel;
	ps->control_packet_func = h_control;
	ps->bulk_packet_func = h_bulk;
	ps->iso_packet_func = h_iso;
	ps->interrupt_packet_func = h_interrupt;
	ps->filter_reject_func = h_nothing;
	ps->filter_filter_func = h_filter;
	ps->device_disconnect_ack_func = h_nothing;
	ps->start_bulk_receiving_func = h_start_bulk_recv;
	ps->stop_bulk_receiving_func = h_stop_bulk_recv;
	usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
	usbredirparser_init(ps, "atoll-test-usbredir-peer", caps,
			    USB_REDIR_CAPS_SIZE, usbredirparser_fl_usb_host);
	event_add(p->rev, NULL);
	peer_flush(p);
	return p;
}

int redir_peer_detach(struct redir_peer *p)
{
	int fd = p->fd;

	if (p->closed)
		return -1;
	event_del(p->rev);
	event_del(p->wev);
	p->closed = true;
	p->fd = -1;
	return fd;
}

void redir_peer_free(struct redir_peer *p)
{
	if (!p)
		return;
	peer_gone(p);
	while (p->parked) {
		struct parked *k = p->parked;

		p->parked = k->next;
		free(k);
	}
	if (p->rev)
		event_free(p->rev);
	if (p->wev)
		event_free(p->wev);
	if (p->parser)
		usbredirparser_destroy(p->parser);
	free(p->loop);
	free(p);
}

bool redir_peer_closed(const struct redir_peer *p)
{
	return p->closed;
}

const struct redir_peer_stats *redir_peer_stats(const struct redir_peer *p)
{
	return &p->st;
}

int redir_peer_interrupt(struct redir_peer *p, const uint8_t *data,
			 uint16_t len)
{
	struct usb_redir_interrupt_packet_header h = {
		.endpoint = EP_INTR_IN,
		.status = usb_redir_success,
		.length = len,
	};

	if (!p->receiving || p->closed)
		return -1;
	usbredirparser_send_interrupt_packet(p->parser, 0, &h,
					     (uint8_t *)data, len);
	peer_flush(p);
	return 0;
}

void redir_peer_unplug(struct redir_peer *p)
{
	if (p->closed || p->unplugged)
		return;
	p->unplugged = true;
	usbredirparser_send_device_disconnect(p->parser);
	peer_flush(p);
}
