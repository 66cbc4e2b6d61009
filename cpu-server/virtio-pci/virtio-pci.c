/* SPDX-License-Identifier: MIT */
#include "virtio-pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "log.h"
#include "pci-host.h"
#include "vpci-internal.h"

#define DEFAULT_TIMEOUT_MS 1000
#define CFG_ERROR_LOGS 8   /* device-config failures logged before silence */

/* Transport features this transport does not implement: never offered. */
#define TRANSPORT_UNSUPPORTED                                                \
	((1ull << 37) /* SR_IOV */ | (1ull << 39) /* NOTIF_CONFIG_DATA */ |  \
	 (1ull << 40) /* RING_RESET */ | (1ull << 41) /* ADMIN_VQ */)

bool vpci_connected(struct vpci_dev *t)
{
	return vpci_peer_alive(t->peer);
}

void vpci_after_call(struct vpci_dev *t)
{
	if (t->peer)
		vpci_peer_drain(t->peer);
}

void vpci_eventfd_clear(int fd)
{
	uint64_t n;

	if (fd >= 0 && read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("eventfd read: %s", strerror(errno));
}

/* --- interrupts ------------------------------------------------------- */

/* INTx follows ISR unless the guest disabled INTx; irq_lock held. */
static void line_update(struct vpci_dev *t)
{
	bool level = t->isr != 0 &&
		     !(pci_func_command(&t->pci) & PCI_CMD_INTX_DISABLE);

	pci_func_set_intx_status(&t->pci, t->isr != 0);
	if (level == t->line || !t->host)
		return;
	t->line = level;
	pci_host_set_intx(t->host, t->slot, 0, level);
}

void vpci_raise(struct vpci_dev *t, uint8_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->isr |= bits;
	line_update(t);
	pthread_mutex_unlock(&t->irq_lock);
}

uint8_t vpci_isr_take(struct vpci_dev *t)
{
	uint8_t v;

	pthread_mutex_lock(&t->irq_lock);
	v = t->isr;
	t->isr = 0;
	line_update(t);
	pthread_mutex_unlock(&t->irq_lock);
	return v;
}

void vpci_irq_reset(struct vpci_dev *t)
{
	vpci_isr_take(t);
}

static void config_changed(void *opaque)
{
	struct vpci_dev *t = opaque;

	atomic_fetch_add(&t->generation, 1);
	vpci_raise(t, VPCI_ISR_CONFIG);
}

void vpci_needs_reset(struct vpci_dev *t, const char *why)
{
	log_error("%s: %s; the device needs a reset", t->name, why);
	t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	config_changed(t);
}

void vpci_dev_call(struct vpci_dev *t, unsigned q)
{
	if (q >= t->nq)
		return;
	vpci_eventfd_clear(t->q[q].call_fd);
	vpci_raise(t, VPCI_ISR_QUEUE);
}

/* --- BAR 0 ------------------------------------------------------------ */

static void notify(struct vpci_dev *t, uint64_t off)
{
	uint64_t one = 1;
	unsigned q = (unsigned)(off / VPCI_NOTIFY_MULT);

	if (q >= t->nq || !atomic_load(&t->q[q].live))
		return;
	/* Fails only if the counter would overflow: the device is woken. */
	if (write(t->q[q].kick_fd, &one, sizeof(one)) < 0)
		return;
}

static bool device_cfg_ok(const struct vpci_dev *t, uint64_t off,
			  unsigned size)
{
	return off < t->desc.config_size && size <= t->desc.config_size - off &&
	       (size == 1 || size == 2 || size == 4 || size == 8);
}

static void cfg_failed(struct vpci_dev *t, const char *what, uint64_t off,
		       int rc)
{
	if (++t->cfg_errors <= CFG_ERROR_LOGS)
		log_warn("%s: device config %s at %#llx failed: %s%s", t->name,
			 what, (unsigned long long)off, strerror(-rc),
			 t->cfg_errors == CFG_ERROR_LOGS ? " (no more logs)" : "");
}

/* Forwarded to the device every time: nothing here is cached. */
static uint64_t device_cfg_read(struct vpci_dev *t, uint64_t off,
				unsigned size)
{
	uint64_t v = 0;
	int rc = -ENOTCONN;

	if (!device_cfg_ok(t, off, size))
		return 0;
	pthread_mutex_lock(&t->lock);
	if (vpci_connected(t)) {
		rc = vpci_peer_config_read(t->peer, (uint32_t)off, size, &v,
					   t->timeout_ms);
		vpci_after_call(t);
	}
	if (rc < 0) {
		cfg_failed(t, "read", off, rc);
		v = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return v;
}

static void device_cfg_write(struct vpci_dev *t, uint64_t off, unsigned size,
			     uint64_t val)
{
	int rc = -ENOTCONN;

	if (!device_cfg_ok(t, off, size))
		return;
	pthread_mutex_lock(&t->lock);
	if (vpci_connected(t)) {
		rc = vpci_peer_config_write(t->peer, (uint32_t)off, &val, size,
					    t->timeout_ms);
		vpci_after_call(t);
	}
	if (rc < 0)
		cfg_failed(t, "write", off, rc);
	pthread_mutex_unlock(&t->lock);
}

int vpci_dev_bar_read(struct vpci_dev *t, uint64_t off, unsigned size,
		      uint64_t *val)
{
	*val = 0;
	if (off >= VPCI_BAR_SIZE || size > VPCI_BAR_SIZE - off)
		return -EINVAL;
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		pthread_mutex_lock(&t->lock);
		*val = vpci_common_read(t, (unsigned)off, size);
		pthread_mutex_unlock(&t->lock);
	} else if (off == VPCI_ISR_OFF && size == 1) {
		*val = vpci_isr_take(t);
	} else if (off >= VPCI_DEVICE_OFF && off < VPCI_NOTIFY_OFF) {
		*val = device_cfg_read(t, off - VPCI_DEVICE_OFF, size);
	}
	return 0;
}

int vpci_dev_bar_write(struct vpci_dev *t, uint64_t off, unsigned size,
		       uint64_t val)
{
	if (off >= VPCI_BAR_SIZE || size > VPCI_BAR_SIZE - off)
		return -EINVAL;
	if (off >= VPCI_NOTIFY_OFF) {
		if (size <= 4 && !((off - VPCI_NOTIFY_OFF) % VPCI_NOTIFY_MULT))
			notify(t, off - VPCI_NOTIFY_OFF);
	} else if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		pthread_mutex_lock(&t->lock);
		vpci_common_write(t, (unsigned)off, size, val);
		pthread_mutex_unlock(&t->lock);
	} else if (off >= VPCI_DEVICE_OFF) {
		device_cfg_write(t, off - VPCI_DEVICE_OFF, size, val);
	}
	return 0;
}

/* --- config space ----------------------------------------------------- */

uint32_t vpci_dev_cfg_read(struct vpci_dev *t, unsigned off, unsigned size)
{
	return pci_func_cfg_read(&t->pci, off, size);
}

void vpci_dev_cfg_write(struct vpci_dev *t, unsigned off, unsigned size,
			uint32_t val)
{
	pci_func_cfg_write(&t->pci, off, size, val);
	/* The INTx disable bit may have changed. */
	if (off <= PCI_CFG_COMMAND + 1 && off + size > PCI_CFG_COMMAND + 1) {
		pthread_mutex_lock(&t->irq_lock);
		line_update(t);
		pthread_mutex_unlock(&t->irq_lock);
	}
}

static uint32_t class_code(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK: return 0x018000;  /* storage, other */
	case VIRTIO_ID_NET: return 0x020000;    /* network, ethernet */
	default: return 0xff0000;               /* unclassified */
	}
}

/* A struct virtio_pci_cap without its first two bytes (id, next). */
static int add_vcap(struct vpci_dev *t, uint8_t type, uint32_t off,
		    uint32_t len, const uint32_t *mult)
{
	uint8_t b[18] = { 0 };
	unsigned blen = mult ? 18 : 14;

	b[0] = (uint8_t)(blen + 2);   /* cap_len */
	b[1] = type;
	b[2] = VPCI_BAR;
	memcpy(b + 6, &off, 4);
	memcpy(b + 10, &len, 4);
	if (mult)
		memcpy(b + 14, mult, 4);
	return pci_func_add_cap(&t->pci, 0x09 /* vendor specific */, b, blen);
}

/* Config space per virtio 1.x 4.1.2: 1af4:1040+id, revision 1. An MSI-X
 * capability (and table/PBA in BAR 0) would be appended here. */
static int build_config(struct vpci_dev *t)
{
	const struct pci_func_ids ids = {
		.vendor = VPCI_VENDOR,
		.device = (uint16_t)(VPCI_DEVICE_BASE + t->desc.device_id),
		.subsys_vendor = VPCI_VENDOR,
		.subsys_id = (uint16_t)(VPCI_DEVICE_BASE + t->desc.device_id),
		.revision = 1,
		.class_code = class_code(t->desc.device_id),
		.intx_pin = 1,
	};
	const uint32_t mult = VPCI_NOTIFY_MULT;
	int rc;

	pci_func_init(&t->pci, &ids);
	rc = pci_func_add_bar(&t->pci, VPCI_BAR, VPCI_BAR_SIZE, true);
	if (rc == 0)
		rc = add_vcap(t, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
			      VPCI_COMMON_LEN, NULL);
	if (rc >= 0)
		rc = add_vcap(t, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
			      t->nq * VPCI_NOTIFY_MULT, &mult);
	if (rc >= 0)
		rc = add_vcap(t, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF,
			      VPCI_ISR_LEN, NULL);
	if (rc >= 0 && t->desc.config_size)
		rc = add_vcap(t, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
			      t->desc.config_size, NULL);
	return rc < 0 ? rc : 0;
}

/* --- lifecycle -------------------------------------------------------- */

static const char *desc_check(const struct vpci_peer_desc *d)
{
	if (!(d->features & (1ull << VIRTIO_F_VERSION_1)))
		return "does not offer VIRTIO_F_VERSION_1 (modern transport only)";
	if (d->num_queues == 0 || d->num_queues > VPCI_MAX_QUEUES)
		return "num_queues out of range (1..64)";
	if (d->max_queue_size == 0 || d->max_queue_size > VPCI_MAX_QUEUE_SIZE ||
	    (d->max_queue_size & (d->max_queue_size - 1)))
		return "max_queue_size not a power of two up to 32768";
	if (d->config_size > VPCI_DEVICE_MAX)
		return "config_size over 4096";
	if (d->device_id == 0 || d->device_id > 0xffff - VPCI_DEVICE_BASE)
		return "bad virtio device id";
	return NULL;
}

int vpci_connect(struct vpci_dev *t, int fd, struct vpci_peer **p,
			struct vpci_peer_desc *d)
{
	const char *why;
	int rc = vpci_peer_open(fd, t->me, t->name, t->timeout_ms,
				config_changed, t, p);

	if (rc < 0)
		return rc;
	rc = vpci_peer_describe(*p, t->timeout_ms, d);
	if (rc == 0 && (why = desc_check(d))) {
		log_error("%s: %s", t->name, why);
		rc = -EPROTO;
	}
	if (rc < 0) {
		vpci_peer_free(*p);
		*p = NULL;
	}
	return rc;
}

static int queues_new(struct vpci_dev *t)
{
	t->q = calloc(t->nq, sizeof(*t->q));
	if (!t->q)
		return -ENOMEM;
	for (unsigned i = 0; i < t->nq; i++)
		t->q[i].kick_fd = t->q[i].call_fd = t->q[i].inflight_fd = -1;
	for (unsigned i = 0; i < t->nq; i++) {
		struct vpci_queue *q = &t->q[i];

		q->size = (uint16_t)t->desc.max_queue_size;
		atomic_init(&q->live, false);
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0 || q->call_fd < 0)
			return -errno;
	}
	return 0;
}

static struct vpci_dev *dev_alloc(const struct vpci_dev_params *p)
{
	struct vpci_dev *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", p->name ? p->name : "virtio");
	snprintf(t->me, sizeof(t->me), "%s", p->me ? p->me : "cpu");
	t->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->irq_lock, NULL);
	atomic_init(&t->generation, 0);
	return t;
}

/* Queues and config space from the checked descriptor in t->desc. */
static int dev_build(struct vpci_dev *t, struct vpci_dev **out)
{
	int rc;

	t->nq = t->desc.num_queues;
	t->offered = t->desc.features & ~TRANSPORT_UNSUPPORTED;
	rc = queues_new(t);
	if (rc == 0)
		rc = build_config(t);
	if (rc < 0) {
		vpci_dev_free(t);
		return rc;
	}
	log_info("%s: virtio device %u, %u queue(s) of up to %u, %u config "
		 "bytes, features %#llx", t->name, t->desc.device_id, t->nq,
		 t->desc.max_queue_size, t->desc.config_size,
		 (unsigned long long)t->offered);
	*out = t;
	return 0;
}

int vpci_dev_new(const struct vpci_dev_params *p, int fd,
		 struct vpci_dev **out)
{
	struct vpci_dev *t = dev_alloc(p);
	int rc;

	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	rc = vpci_connect(t, fd, &t->peer, &t->desc);
	if (rc < 0) {
		vpci_dev_free(t);
		return rc;
	}
	return dev_build(t, out);
}

int vpci_dev_new_peer(const struct vpci_dev_params *p, struct vpci_peer *peer,
		      const struct vpci_peer_desc *d, struct vpci_dev **out)
{
	struct vpci_dev *t = dev_alloc(p);
	const char *why = desc_check(d);

	if (!t || why) {
		if (why)
			log_error("%s: %s", p->name ? p->name : "virtio", why);
		vpci_peer_free(peer);
		free(t);
		return t ? -EPROTO : -ENOMEM;
	}
	t->peer = peer;
	t->desc = *d;
	vpci_peer_set_config_changed(peer, config_changed, t);
	return dev_build(t, out);
}

void vpci_dev_free(struct vpci_dev *t)
{
	if (!t)
		return;
	vpci_peer_free(t->peer);
	for (unsigned i = 0; t->q && i < t->nq; i++) {
		if (t->q[i].kick_fd >= 0)
			close(t->q[i].kick_fd);
		if (t->q[i].call_fd >= 0)
			close(t->q[i].call_fd);
		vpci_inflight_drop(&t->q[i]);
	}
	free(t->q);
	if (t->pci.cap_end)    /* build_config ran */
		pci_func_fini(&t->pci);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->irq_lock);
	free(t);
}

void vpci_dev_set_ram(struct vpci_dev *t, const void *ram, uint64_t base,
		      uint64_t size)
{
	pthread_mutex_lock(&t->lock);
	t->ram = ram;
	t->ram_base = base;
	t->ram_size = size;
	pthread_mutex_unlock(&t->lock);
}

static uint32_t ops_cfg_read(void *opaque, unsigned off, unsigned size)
{
	return vpci_dev_cfg_read(opaque, off, size);
}

static void ops_cfg_write(void *opaque, unsigned off, unsigned size,
			  uint32_t val)
{
	vpci_dev_cfg_write(opaque, off, size, val);
}

static int ops_bar_read(void *opaque, unsigned bar, uint64_t off,
			unsigned size, uint64_t *val)
{
	return bar == VPCI_BAR ? vpci_dev_bar_read(opaque, off, size, val)
			       : -EINVAL;
}

static int ops_bar_write(void *opaque, unsigned bar, uint64_t off,
			 unsigned size, uint64_t val)
{
	return bar == VPCI_BAR ? vpci_dev_bar_write(opaque, off, size, val)
			       : -EINVAL;
}

static const struct pci_dev_ops vpci_pci_ops = {
	.cfg_read = ops_cfg_read,
	.cfg_write = ops_cfg_write,
	.bar_read = ops_bar_read,
	.bar_write = ops_bar_write,
};

int vpci_dev_plug(struct vpci_dev *t, struct pci_host *h, unsigned slot)
{
	int rc = pci_host_register(h, slot, &vpci_pci_ops, t);

	if (rc < 0)
		return rc;
	pci_func_plug(&t->pci, h, slot);
	pthread_mutex_lock(&t->irq_lock);
	t->host = h;
	t->slot = slot;
	pthread_mutex_unlock(&t->irq_lock);
	return 0;
}

const char *vpci_dev_name(const struct vpci_dev *t)
{
	return t->name;
}

uint32_t vpci_dev_device_id(const struct vpci_dev *t)
{
	return t->desc.device_id;
}

unsigned vpci_dev_num_queues(const struct vpci_dev *t)
{
	return t->nq;
}

int vpci_dev_call_fd(const struct vpci_dev *t, unsigned q)
{
	return q < t->nq ? t->q[q].call_fd : -1;
}

int vpci_dev_kick_fd(const struct vpci_dev *t, unsigned q)
{
	return q < t->nq ? t->q[q].kick_fd : -1;
}

int vpci_dev_peer_fd(struct vpci_dev *t)
{
	int fd;

	pthread_mutex_lock(&t->lock);
	fd = vpci_peer_fd(t->peer);
	pthread_mutex_unlock(&t->lock);
	return fd;
}

bool vpci_dev_peer_ready(struct vpci_dev *t)
{
	bool alive;

	/* A hart in a call drains before it unlocks: nothing is lost, and
	 * the main loop never waits out a slow device. */
	if (pthread_mutex_trylock(&t->lock) != 0)
		return true;
	if (t->peer)
		vpci_peer_drain(t->peer);
	alive = vpci_connected(t);
	pthread_mutex_unlock(&t->lock);
	return alive;
}
