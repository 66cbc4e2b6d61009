/* SPDX-License-Identifier: MIT */
/*
 * Re-attaching a restarted device. The transport's state (features,
 * status, queue addresses, eventfds) is the source of truth; the new
 * device process is brought up to it: FEATURES_SET, then QUEUE_SETUP for
 * every enabled queue with the same eventfds and the same in-flight log
 * (vpci-inflight.c). A device that keeps the log resumes from it: it
 * resubmits exactly the requests the old process took and did not
 * complete, in the order it took them, and continues at the avail entry
 * after the last one taken, whatever order completions came in. One that
 * keeps none resumes at the used ring's idx read from guest RAM, which is
 * right only for a device that completes in order. Every enabled queue is
 * then kicked (requests queued meanwhile) and signalled: the old process
 * may have published completions and died before it wrote the call
 * eventfd, and the driver would wait for them forever; an interrupt with
 * nothing new is harmless.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "vpci-internal.h"

/* The used ring's idx (u16 at used + 2) as the driver sees it now. */
static uint16_t used_idx(struct vpci_dev *t, const struct vpci_queue *q)
{
	uint64_t pa = q->used + 2;

	if (!t->ram || pa < t->ram_base || pa - t->ram_base > t->ram_size - 2) {
		log_warn("%s: used ring %#llx outside guest RAM; resuming at 0",
			 t->name, (unsigned long long)q->used);
		return 0;
	}
	return __atomic_load_n((const uint16_t *)(t->ram + (pa - t->ram_base)),
			       __ATOMIC_ACQUIRE);
}

static const char *compatible(const struct vpci_dev *t,
			      const struct vpci_peer_desc *d)
{
	if (d->device_id != t->desc.device_id)
		return "the device id changed";
	if (d->num_queues != t->desc.num_queues)
		return "the number of queues changed";
	if (d->config_size != t->desc.config_size)
		return "the config size changed";
	if ((t->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (t->driver_features & ~d->features))
		return "negotiated features are no longer offered";
	return NULL;
}

/* Brings the device up to the negotiated state, skipping what an earlier
 * try already got across; lock held. */
static int replay(struct vpci_dev *t)
{
	uint64_t one = 1;
	int rc = 0;

	if (!(t->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return 0;
	if (!t->features_replayed) {
		rc = vpci_peer_features(t->peer, t->driver_features,
					t->timeout_ms);
		t->features_replayed = rc == 0;
	}
	for (unsigned i = 0; i < t->nq && rc == 0; i++) {
		struct vpci_queue *q = &t->q[i];
		struct vpci_queue_setup s = {
			.index = i, .size = q->size, .desc = q->desc,
			.avail = q->avail, .used = q->used,
			.event_idx = t->driver_features &
				     (1ull << VIRTIO_RING_F_EVENT_IDX),
			.kick_fd = q->kick_fd, .call_fd = q->call_fd,
			.inflight_fd = -1,
		};

		if (!q->enabled || q->replayed)
			continue;
		s.last_avail_idx = used_idx(t, q);
		s.inflight_fd = vpci_inflight_for_peer(t, q);
		rc = vpci_peer_queue_setup(t->peer, &s, t->timeout_ms);
		q->replayed = rc == 0;
		if (rc == 0)
			log_info("%s: queue %u resumes %s", t->name, i,
				 s.inflight_fd >= 0 ? "from its in-flight log" :
				 "at the used ring's idx");
	}
	vpci_after_call(t);
	/* Requests queued while the device was away: look at the rings. */
	for (unsigned i = 0; i < t->nq && rc == 0; i++)
		if (t->q[i].enabled && (write(t->q[i].kick_fd, &one, 8) < 0 ||
					write(t->q[i].call_fd, &one, 8) < 0))
			log_debug("%s: kick/call: %s", t->name, strerror(errno));
	return rc;
}

/* One replay try; lock held. */
static int replay_try(struct vpci_dev *t)
{
	int rc = replay(t);

	if (rc == 0) {
		t->replay_pending = false;
		log_info("%s: device re-attached (status %#x)", t->name,
			 t->status);
		return 0;
	}
	if (!vpci_connected(t)) {
		/* Gone again: the next PEER_CONNECT starts over. */
		t->replay_pending = false;
		return rc;
	}
	t->replay_pending = true;
	return -EAGAIN;
}

/* The restarted device went away during its handshake (killed, or
 * replaced again at once by the launcher): nothing it did wrong. The
 * next PEER_CONNECT starts over; the launcher's restart policy decides
 * when to give up (DEVICE_FAULT), not this transport. */
static bool peer_gone(int rc)
{
	return rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN ||
	       rc == -ECONNABORTED;
}

int vpci_dev_reattach(struct vpci_dev *t, int fd)
{
	struct vpci_peer *p = NULL;
	struct vpci_peer_desc d;
	const char *why;
	int rc;

	rc = vpci_connect(t, fd, &p, &d);
	pthread_mutex_lock(&t->lock);
	if (rc == 0 && (why = compatible(t, &d))) {
		log_error("%s: restarted device is not the same: %s", t->name,
			  why);
		rc = -EPROTO;
	}
	if (rc < 0) {
		vpci_peer_free(p);
		if (peer_gone(rc))
			log_warn("%s: the restarted device went away during "
				 "its handshake; waiting for the next one",
				 t->name);
		else
			vpci_needs_reset(t, "re-attach failed");
		pthread_mutex_unlock(&t->lock);
		return rc;
	}
	vpci_peer_free(t->peer);
	t->peer = p;
	t->cfg_errors = 0;
	t->features_replayed = false;
	for (unsigned i = 0; i < t->nq; i++)
		t->q[i].replayed = false;
	rc = replay_try(t);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int vpci_dev_replay(struct vpci_dev *t)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->replay_pending)
		rc = replay_try(t);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void vpci_dev_replay_give_up(struct vpci_dev *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->replay_pending)
		vpci_needs_reset(t, "restarted device refused the queue state");
	t->replay_pending = false;
	pthread_mutex_unlock(&t->lock);
}
