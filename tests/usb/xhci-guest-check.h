/* SPDX-License-Identifier: MIT */
/*
 * Check assertions over the fake guest of xhci-guest.h, shared by the
 * unit tests that drive the xHCI core (test-xhci.c, test-usb-redir-xhci.c);
 * fuzz-xhci-ring.c takes xhci-guest.h alone (no libcheck there).
 */
#ifndef ATOLL_TEST_XHCI_GUEST_CHECK_H
#define ATOLL_TEST_XHCI_GUEST_CHECK_H

#include <check.h>

#include "xhci-guest.h"

/* The next event, which must be of `type`. With no event yet, g->pump
 * (when set: an event loop the device answers on) runs once first. */
static inline struct trb g_expect_event(struct guest *g, unsigned type)
{
	struct trb ev;
	bool got = g_event(g, &ev);

	if (!got && g->pump) {
		g->pump();
		got = g_event(g, &ev);
	}
	ck_assert_msg(got, "no event (wanted type %u)", type);
	ck_assert_uint_eq(TRB_TYPE(ev.control), type);
	return ev;
}

/* No event now (g->pump is not run: what the loop would bring is not
 * there yet). */
static inline void g_expect_no_event(struct guest *g)
{
	struct trb ev;

	ck_assert_msg(!g_event(g, &ev), "unexpected event type %u code %u",
		      TRB_TYPE(ev.control), ev.status >> 24);
}

/* A command; returns its completion code, *sid the event's slot. */
static inline unsigned g_command(struct guest *g, uint64_t param,
				 uint32_t status, uint32_t control,
				 unsigned *sid)
{
	struct trb ev;

	g_cmd_post(g, param, status, control);
	ev = g_expect_event(g, TRB_EV_CMD_COMPLETE);
	if (sid)
		*sid = TRB_SLOT(ev.control);
	return ev.status >> 24;
}

static inline uint32_t g_portsc(struct guest *g, unsigned port)
{
	return g_rd(g, XHCI_PORT_BASE + 0x10 * (port - 1));
}

/* The state (EP_*) of endpoint `dci` in slot sid's output context. */
static inline unsigned g_ep_state(struct guest *g, unsigned sid,
				  unsigned dci)
{
	return get_le32(g->ram + G_OUT + 0x400 * sid + 32 * dci) & 7;
}

/* Slot context in the (cleared) input context: root port, context
 * entries, high speed. */
static inline void g_input_slot(struct guest *g, unsigned port,
				unsigned entries)
{
	put_le32(g->ram + G_IN + 32, entries << 27 |
		 (uint32_t)USB_SPEED_HIGH << 20);
	put_le32(g->ram + G_IN + 32 + 4, port << 16);
}

/* Endpoint context `dci` in the input context, over a fresh transfer
 * ring: type, max packet size, 3 errors, average TRB length 8. */
static inline void g_input_ep(struct guest *g, unsigned dci, unsigned type,
			      unsigned mps)
{
	uint8_t *c = g->ram + G_IN + 32 * (dci + 1);

	g_ring_init(g, dci);
	put_le32(c + 4, mps << 16 | type << 3 | 3u << 1);
	put_le64(c + 8, g_addr(G_RING(dci)) | 1);
	put_le32(c + 16, 8);
}

#endif
