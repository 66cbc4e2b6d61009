/* SPDX-License-Identifier: MIT */
/*
 * The RX path: frames from the backend go into the guest's RX buffers,
 * each behind a virtio_net_hdr. Buffers are taken off the ring only when
 * a frame is there to fill them; a frame that needs more buffers than the
 * ring has (VIRTIO_NET_F_MRG_RXBUF) keeps the ones already taken ("held")
 * and waits for the next RX kick. Held chains are always the oldest taken
 * and are completed first, so completions stay in avail order (a
 * restarted device resumes at used->idx). A frame that arrives while the
 * guest has no buffers waits in a bounded queue; beyond it, it is dropped,
 * as a real NIC would.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static atoll_virtio_queue *rxq(struct net *n)
{
	atoll_virtio_queue *q =
		n->vdev ? atoll_virtio_queue_get(n->vdev, NET_RXQ) : NULL;

	return q && atoll_virtio_queue_running(q) ? q : NULL;
}

/* Takes one more RX chain into the held set. Returns 1 if one was taken,
 * 0 if the ring is empty (or broken). Unusable chains are returned to the
 * guest at once with length 0 and do not count. */
static int take_buffer(struct net *n, atoll_virtio_queue *q)
{
	struct net_held *h = &n->rx.held[n->rx.nheld];
	const char *why;

	for (;;) {
		h->elem.iov = h->iov;
		h->elem.max_iov = NET_MAX_IOV;
		if (atoll_virtio_queue_pop(q, &h->elem) != 1) {
			/* Out of buffers outside a kick: with EVENT_IDX the
			 * driver kicks only past avail_event, so move it here;
			 * then look again, as it may have added buffers before
			 * it saw the new value. */
			if (!atoll_virtio_queue_arm_kick(q) ||
			    atoll_virtio_queue_pop(q, &h->elem) != 1)
				return 0;
		}
		if (h->elem.error)
			why = "malformed chain";
		else if (h->elem.n_out)
			why = "device-readable descriptor in an RX chain";
		else if (h->elem.in_bytes < NET_HDR_LEN)
			why = "buffer smaller than the virtio-net header";
		else
			break;
		n->st.bad_chains++;
		net_warn(n, "RX chain at head %u returned unused: %s",
			 h->elem.head, why);
		atoll_virtio_queue_push(q, h->elem.head, 0);
	}
	n->rx.nheld++;
	n->rx.held_bytes += h->elem.in_bytes;
	return 1;
}

/* Copies `len` bytes of src into the chain's buffers from byte `off`. */
static void scatter(struct atoll_vq_elem *e, uint64_t off, const uint8_t *src,
		    size_t len)
{
	for (unsigned i = 0; i < e->n_in && len; i++) {
		struct iovec *v = &e->iov[i];
		size_t n;

		if (off >= v->iov_len) {
			off -= v->iov_len;
			continue;
		}
		n = v->iov_len - off < len ? v->iov_len - off : len;
		memcpy((uint8_t *)v->iov_base + off, src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

/* Writes header + frame over the first k held chains (which hold enough
 * room), completes them and keeps the rest held. */
static void fill(struct net *n, atoll_virtio_queue *q, const uint8_t *frame,
		 size_t len, unsigned k)
{
	struct net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE,
			     .num_buffers = (uint16_t)k };
	uint8_t raw[NET_HDR_LEN];
	const uint8_t *stream[2] = { raw, frame };
	size_t part[2] = { NET_HDR_LEN, len }, s = 0, sofs = 0;

	if (n->backend.ops->csum_valid &&
	    net_negotiated(n, VIRTIO_NET_F_GUEST_CSUM))
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	net_hdr_encode(&h, raw);
	for (unsigned i = 0; i < k; i++) {
		struct atoll_vq_elem *e = &n->rx.held[i].elem;
		uint64_t room = e->in_bytes, used = 0;

		/* Header and frame are one stream spread over the chains. */
		while (used < room && s < 2) {
			size_t c = part[s] - sofs;

			if (c > room - used)
				c = (size_t)(room - used);
			scatter(e, used, stream[s] + sofs, c);
			used += c;
			sofs += c;
			if (sofs == part[s]) {
				s++;
				sofs = 0;
			}
		}
		atoll_virtio_queue_push(q, e->head, (uint32_t)used);
		n->rx.held_bytes -= e->in_bytes;
	}
	n->rx.nheld -= k;
	/* The chains left over stay held, oldest first. Their iov pointers
	 * move with them. */
	for (unsigned i = 0; i < n->rx.nheld; i++) {
		n->rx.held[i].elem = n->rx.held[i + k].elem;
		memcpy(n->rx.held[i].iov, n->rx.held[i + k].iov,
		       sizeof(n->rx.held[i].iov));
		n->rx.held[i].elem.iov = n->rx.held[i].iov;
	}
}

/* Gives every held chain back with length 0, oldest first. */
static void return_held(struct net *n, atoll_virtio_queue *q)
{
	for (unsigned i = 0; i < n->rx.nheld; i++)
		atoll_virtio_queue_push(q, n->rx.held[i].elem.head, 0);
	n->rx.nheld = 0;
	n->rx.held_bytes = 0;
}

/* Tries to place one frame. Returns 1 if the frame is done with
 * (delivered, or dropped because it cannot fit), 0 if it must wait for
 * buffers. */
static int place(struct net *n, atoll_virtio_queue *q, const uint8_t *frame,
		 size_t len)
{
	unsigned max = net_negotiated(n, VIRTIO_NET_F_MRG_RXBUF) ?
		       NET_MAX_MERGE : 1;
	uint64_t need = NET_HDR_LEN + len, room = 0;
	unsigned k = 0;

	/* The fewest held chains (in order) that hold the frame. */
	for (;;) {
		while (k < n->rx.nheld && room < need)
			room += n->rx.held[k++].elem.in_bytes;
		if (room >= need)
			break;
		if (n->rx.nheld == max) {
			/* The guest's buffers are too small for this frame (a
			 * driver bug): they go back unused and the frame is
			 * dropped, so the next frame starts afresh. */
			n->st.rx_dropped++;
			net_warn(n, "RX frame of %zu bytes dropped: %u buffer(s) "
				 "of %llu bytes cannot hold it; returned unused",
				 len, max, (unsigned long long)room);
			return_held(n, q);
			return 1;
		}
		if (!take_buffer(n, q))
			return 0;
	}
	fill(n, q, frame, len, k);
	n->st.rx_frames++;
	n->st.rx_bytes += len;
	return 1;
}

static bool queue_frame(struct net *n, const uint8_t *frame, size_t len)
{
	struct net_pkt *p;

	if (n->rx.count == NET_RX_PENDING)
		return false;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return false;
	p->len = (uint16_t)len;
	memcpy(p->data, frame, len);
	n->rx.pending[(n->rx.head + n->rx.count++) % NET_RX_PENDING] = p;
	n->st.rx_queued++;
	return true;
}

/* Delivers waiting frames in order until one has to wait. */
static void drain_pending(struct net *n, atoll_virtio_queue *q)
{
	while (n->rx.count) {
		struct net_pkt *p = n->rx.pending[n->rx.head];

		if (!place(n, q, p->data, p->len))
			return;
		free(p);
		n->rx.pending[n->rx.head] = NULL;
		n->rx.head = (n->rx.head + 1) % NET_RX_PENDING;
		n->rx.count--;
	}
}

void net_rx_deliver(struct net *n, const uint8_t *frame, size_t len)
{
	atoll_virtio_queue *q = rxq(n);

	if (len < NET_ETH_HLEN || len > NET_MAX_FRAME || !q) {
		/* No driver yet (or a reset): nobody to deliver to. */
		n->st.rx_dropped++;
		return;
	}
	if (n->rx.count)
		drain_pending(n, q);
	if (n->rx.count || !place(n, q, frame, len)) {
		if (!queue_frame(n, frame, len))
			n->st.rx_dropped++;
	}
	n->rx.dirty = true;
}

void net_rx_flush(struct net *n)
{
	atoll_virtio_queue *q = rxq(n);

	if (n->rx.dirty && q)
		atoll_virtio_queue_notify(q);
	n->rx.dirty = false;
}

void net_rx_kick(struct net *n, atoll_virtio_queue *q)
{
	drain_pending(n, q);
	if (!n->rx.count && n->backend.ops && n->backend.ops->rx_resume)
		n->backend.ops->rx_resume(n->backend.be);
}

bool net_rx_waiting(const struct net *n)
{
	return n->rx.count > 0;
}

void net_rx_stop(struct net *n, atoll_virtio_queue *q, bool drop_pending)
{
	/* QUEUE_STOP must leave nothing in flight: held chains go back
	 * empty (only on a stop or reset, when the driver expects no data). */
	if (q && atoll_virtio_queue_size(q))
		return_held(n, q);
	n->rx.nheld = 0;
	n->rx.held_bytes = 0;
	while (drop_pending && n->rx.count) {
		free(n->rx.pending[n->rx.head]);
		n->rx.pending[n->rx.head] = NULL;
		n->rx.head = (n->rx.head + 1) % NET_RX_PENDING;
		n->rx.count--;
		n->st.rx_dropped++;
	}
}
