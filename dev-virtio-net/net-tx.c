/* SPDX-License-Identifier: MIT */
/*
 * The TX path: each chain is a virtio_net_hdr plus one frame, all
 * device-readable. It is checked, linearised into one buffer (the backend
 * takes one), its partial checksum completed if asked, and handed to the
 * backend. Every chain is completed at once with used length 0, good or
 * bad, so the guest never loses a buffer; completions are therefore in
 * avail order, which is what a restarted device resumes from (the cpu
 * server restarts the queue at used->idx).
 */
#include <linux/virtio_net.h>
#include <string.h>

#include "net.h"

/* Copies the chain's readable bytes into n->txbuf. */
static void gather(struct net *n, const struct atoll_vq_elem *e)
{
	size_t off = 0;

	for (unsigned i = 0; i < e->n_out; i++) {
		memcpy(n->txbuf + off, e->iov[i].iov_base, e->iov[i].iov_len);
		off += e->iov[i].iov_len;
	}
}

/* Returns the reason to drop the chain, or NULL once it was sent. */
static const char *tx_one(struct net *n, const struct atoll_vq_elem *e)
{
	bool csum = net_negotiated(n, VIRTIO_NET_F_CSUM);
	struct net_hdr h;
	const char *why;
	size_t len;

	if (e->error)
		return "malformed chain";
	if (e->n_in)
		return "device-writable descriptor in a TX chain";
	if (e->out_bytes < NET_HDR_LEN)
		return "chain shorter than the virtio-net header";
	/* Checked before copying: txbuf holds exactly the largest frame. */
	if (e->out_bytes > NET_HDR_LEN + NET_MAX_FRAME)
		return "frame longer than the MTU allows";
	gather(n, e);
	len = (size_t)e->out_bytes - NET_HDR_LEN;
	net_hdr_decode(n->txbuf, &h);
	if ((why = net_tx_check(&h, len, csum)))
		return why;
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		net_csum_complete(n->txbuf + NET_HDR_LEN, len, h.csum_start,
				  h.csum_offset);
	n->st.tx_frames++;
	n->st.tx_bytes += len;
	n->backend.ops->send(n->backend.be, n->txbuf + NET_HDR_LEN, len);
	return NULL;
}

void net_tx_kick(struct net *n, atoll_virtio_queue *q)
{
	struct atoll_vq_elem e = { .iov = n->tx_iov, .max_iov = NET_MAX_IOV };
	unsigned budget = atoll_virtio_queue_size(q), sent = 0;
	const char *why;

	/* At most a ring's worth per call; the library calls again while the
	 * driver keeps adding (and yields to the loop after a few rounds). */
	while (budget-- && atoll_virtio_queue_pop(q, &e) == 1) {
		if ((why = tx_one(n, &e))) {
			n->st.tx_dropped++;
			if (e.error)
				n->st.bad_chains++;
			net_warn(n, "TX chain at head %u (%llu bytes) dropped: %s",
				 e.head, (unsigned long long)e.out_bytes, why);
		} else {
			sent++;
		}
		atoll_virtio_queue_push(q, e.head, 0);
	}
	if (sent && n->backend.ops->flush)
		n->backend.ops->flush(n->backend.be);
	net_rx_flush(n);
}
