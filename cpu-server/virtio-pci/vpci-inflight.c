/* SPDX-License-Identifier: MIT */
/*
 * The queues' in-flight logs (docs/virtio-device-protocol.md, "In-flight
 * tracking and device restart"). atoll-cpu creates one memfd per enabled
 * queue and keeps it for the queue's life; a device that advertised
 * CAP_INFLIGHT records in it which heads it took and has not completed,
 * so that after a crash the restarted process resubmits exactly those, in
 * order, and resumes at the avail entry the log names. A queue enable or a
 * device reset starts from a zeroed log (a new queue); only a re-attach
 * passes the same one again.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vpci-internal.h"

/* struct vq_log_hdr + size * struct vq_log_ent (virtio/vring.h). */
static uint64_t log_bytes(unsigned size)
{
	return 64u + 16ull * size;
}

void vpci_inflight_drop(struct vpci_queue *q)
{
	if (q->inflight_fd >= 0)
		close(q->inflight_fd);
	q->inflight_fd = -1;
}

int vpci_inflight_fresh(struct vpci_dev *t, struct vpci_queue *q)
{
	/* Sealable: the device adds F_SEAL_SHRINK before it maps the log. */
	int fd = memfd_create("atoll-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	vpci_inflight_drop(q);
	if (fd < 0 || ftruncate(fd, (off_t)log_bytes(q->size)) < 0) {
		int e = errno;

		log_warn("%s: in-flight log: %s; a restart resumes at the used "
			 "ring's idx", t->name, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	q->inflight_fd = fd;
	return 0;
}

int vpci_inflight_for_peer(struct vpci_dev *t, struct vpci_queue *q)
{
	if (vpci_peer_has_inflight(t->peer))
		return q->inflight_fd;
	/* This device keeps no log: once it has run the queue, what the old
	 * log says is stale, so the next device that keeps one starts afresh
	 * (at the used ring's idx). */
	if (q->inflight_fd >= 0)
		vpci_inflight_fresh(t, q);
	return -1;
}
