/* SPDX-License-Identifier: MIT */
/*
 * struct virtio_pci_common_cfg (virtio 1.x, 4.1.4.3). Every access must
 * start at a field and have its width; 64-bit queue addresses may also be
 * accessed as two 32-bit halves (what Linux does). Anything else reads 0
 * and is dropped.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "vpci-internal.h"

struct vpci_queue *vpci_selected(struct vpci_dev *t)
{
	return t->queue_select < t->nq ? &t->q[t->queue_select] : NULL;
}

/* Width of the field starting at off, or 0 if no field starts there. */
static unsigned field_width(unsigned off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT: case VIRTIO_PCI_COMMON_GF:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX: case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT: case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX: case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS: case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return 8;
	default:
		return 0;
	}
}

static bool access_ok(unsigned off, unsigned size)
{
	unsigned w = field_width(off);

	if (w == size || (w == 8 && size == 4))
		return true;
	/* The high half of a queue address. */
	return size == 4 && off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
	       off < VIRTIO_PCI_COMMON_Q_NDATA && (off & 7) == 4;
}

static uint64_t *queue_addr(struct vpci_queue *q, unsigned off)
{
	switch ((off - VIRTIO_PCI_COMMON_Q_DESCLO) / 8) {
	case 0: return &q->desc;
	case 1: return &q->avail;
	default: return &q->used;
	}
}

static uint32_t half(uint64_t v, unsigned sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

static uint64_t queue_read(struct vpci_dev *t, unsigned off, unsigned size)
{
	struct vpci_queue *q = vpci_selected(t);
	uint64_t v;

	if (!q)
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VPCI_NO_VECTOR : 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX: return VPCI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE: return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF: return t->queue_select;
	default:
		v = *queue_addr(q, off & ~7u);
		if (size == 8)
			return v;
		return (off & 4) ? v >> 32 : (uint32_t)v;
	}
}

uint64_t vpci_common_read(struct vpci_dev *t, unsigned off, unsigned size)
{
	if (!access_ok(off, size))
		return 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return t->dfselect;
	case VIRTIO_PCI_COMMON_DF: return half(t->offered, t->dfselect);
	case VIRTIO_PCI_COMMON_GFSELECT: return t->gfselect;
	case VIRTIO_PCI_COMMON_GF: return half(t->driver_features, t->gfselect);
	/* No MSI-X capability yet: every vector mapping fails. */
	case VIRTIO_PCI_COMMON_MSIX: return VPCI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_NUMQ: return t->nq;
	case VIRTIO_PCI_COMMON_STATUS: return t->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return (uint8_t)atomic_load(&t->generation);
	case VIRTIO_PCI_COMMON_Q_SELECT: return t->queue_select;
	default: return queue_read(t, off, size);
	}
}

/* Forgets everything negotiated; the device is told first. */
static void device_reset(struct vpci_dev *t)
{
	if (vpci_connected(t)) {
		vpci_peer_reset(t->peer, t->timeout_ms);
		vpci_after_call(t);
	}
	for (unsigned i = 0; i < t->nq; i++) {
		struct vpci_queue *q = &t->q[i];

		atomic_store(&q->live, false);
		q->enabled = false;
		q->size = (uint16_t)t->desc.max_queue_size;
		q->desc = q->avail = q->used = 0;
		vpci_eventfd_clear(q->kick_fd);
		vpci_eventfd_clear(q->call_fd);
		vpci_inflight_drop(q);
	}
	t->dfselect = t->gfselect = 0;
	t->driver_features = 0;
	t->queue_select = 0;
	t->status = 0;
	t->replay_pending = false;    /* nothing left to bring across */
	vpci_irq_reset(t);
}

/* FEATURES_OK stays set only if the device accepts what the driver chose.
 * With the device away the choice is checked here and replayed later. */
static bool features_ok(struct vpci_dev *t)
{
	uint64_t f = t->driver_features;
	int rc;

	if (f & ~t->offered) {
		log_warn("%s: driver accepted features %#llx not offered",
			 t->name, (unsigned long long)(f & ~t->offered));
		return false;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		log_warn("%s: driver without VIRTIO_F_VERSION_1 (legacy) refused",
			 t->name);
		return false;
	}
	if (!vpci_connected(t))
		return true;
	rc = vpci_peer_features(t->peer, f, t->timeout_ms);
	vpci_after_call(t);
	return rc == 0 || !vpci_connected(t);
}

static void status_write(struct vpci_dev *t, uint8_t val)
{
	if (val == 0) {
		device_reset(t);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(t->status & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(t))
		val &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	/* NEEDS_RESET is the device's to set; only a reset clears it. */
	t->status = val | (t->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static const char *queue_check(const struct vpci_dev *t,
			       const struct vpci_queue *q)
{
	if (!(t->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return "before FEATURES_OK";
	if (q->size == 0 || (q->size & (q->size - 1)) ||
	    q->size > t->desc.max_queue_size)
		return "bad queue size";
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return "misaligned ring";
	return NULL;
}

static void queue_enable(struct vpci_dev *t, unsigned index)
{
	struct vpci_queue *q = &t->q[index];
	const char *why = queue_check(t, q);
	struct vpci_queue_setup s = {
		.index = index, .size = q->size, .desc = q->desc,
		.avail = q->avail, .used = q->used, .last_avail_idx = 0,
		.event_idx = t->driver_features &
			     (1ull << VIRTIO_RING_F_EVENT_IDX),
		.kick_fd = q->kick_fd, .call_fd = q->call_fd,
		.inflight_fd = -1,
	};

	if (why) {
		log_warn("%s: queue %u not enabled: %s", t->name, index, why);
		return;
	}
	/* A new queue: a zeroed log, kept even while the device keeps none
	 * (a restarted or replacing device may). */
	vpci_inflight_fresh(t, q);
	if (vpci_connected(t)) {
		int rc;

		s.inflight_fd = vpci_inflight_for_peer(t, q);
		rc = vpci_peer_queue_setup(t->peer, &s, t->timeout_ms);

		vpci_after_call(t);
		if (rc < 0 && vpci_connected(t)) {
			vpci_needs_reset(t, "queue setup refused");
			return;
		}
	}
	q->enabled = true;
	atomic_store(&q->live, true);
}

static void queue_write(struct vpci_dev *t, unsigned off, unsigned size,
			uint64_t val)
{
	struct vpci_queue *q = vpci_selected(t);
	uint64_t *a;

	/* The driver may not touch a queue once enabled (4.1.4.3.2). */
	if (!q || q->enabled)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		q->size = (uint16_t)val;
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			queue_enable(t, t->queue_select);
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return;
	default:
		a = queue_addr(q, off & ~7u);
		if (size == 8)
			*a = val;
		else if (off & 4)
			*a = (*a & 0xffffffffull) | val << 32;
		else
			*a = (*a & ~0xffffffffull) | (uint32_t)val;
	}
}

void vpci_common_write(struct vpci_dev *t, unsigned off, unsigned size,
		       uint64_t val)
{
	unsigned shift;

	if (!access_ok(off, size))
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: t->dfselect = (uint32_t)val; return;
	case VIRTIO_PCI_COMMON_GFSELECT: t->gfselect = (uint32_t)val; return;
	case VIRTIO_PCI_COMMON_GF:
		if (t->gfselect > 1 || (t->status & VIRTIO_CONFIG_S_FEATURES_OK))
			return;
		shift = 32 * t->gfselect;
		t->driver_features = (t->driver_features &
				      ~(0xffffffffull << shift)) |
				     (uint64_t)(uint32_t)val << shift;
		return;
	case VIRTIO_PCI_COMMON_STATUS: status_write(t, (uint8_t)val); return;
	case VIRTIO_PCI_COMMON_Q_SELECT: t->queue_select = (uint16_t)val; return;
	case VIRTIO_PCI_COMMON_DF: case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ: case VIRTIO_PCI_COMMON_CFGGENERATION:
		return;    /* read-only, or MSI-X (not implemented) */
	default:
		queue_write(t, off, size, val);
	}
}
