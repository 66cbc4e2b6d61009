/* SPDX-License-Identifier: MIT */
#include "gdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gdev-internal.h"
#include "log.h"
#include "peer.h"

#define ERROR_LOGS 8    /* failed accesses logged before silence */

static uint64_t all_ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static bool access_ok(const struct gdev *g, uint32_t region, uint64_t off,
		      unsigned size)
{
	const struct gdev_region *r = gdev_desc_region(&g->desc, region);

	return r && (size == 1 || size == 2 || size == 4 || size == 8) &&
	       off < r->size && size <= r->size - off;
}

static void access_failed(struct gdev *g, const char *what, uint32_t region,
			  uint64_t off, int rc)
{
	if (++g->errors <= ERROR_LOGS)
		log_warn("%s: %s of region %u at %#llx failed: %s%s", g->name,
			 what, region, (unsigned long long)off, strerror(-rc),
			 g->errors == ERROR_LOGS ? " (no more logs)" : "");
}

/* --- lines ----------------------------------------------------------- */

static void lines_lower(struct gdev *g)
{
	pthread_mutex_lock(&g->irq_lock);
	memset(g->level, 0, sizeof(g->level));
	gdev_lines_update(g);
	pthread_mutex_unlock(&g->irq_lock);
}

static void fault(struct gdev *g, const char *why);

/* IRQ_LEVEL from the device (from a drain, with `lock` held). A line it
 * does not have is a protocol violation: cut off and reported. */
static bool on_irq_level(void *opaque, uint32_t line, bool level)
{
	struct gdev *g = opaque;

	if (line >= g->desc.nirqs) {
		fault(g, "IRQ_LEVEL for a line it does not have");
		return false;
	}
	pthread_mutex_lock(&g->irq_lock);
	g->level[line] = level;
	gdev_lines_update(g);
	pthread_mutex_unlock(&g->irq_lock);
	return true;
}

bool gdev_line(struct gdev *g, unsigned line)
{
	bool v;

	if (line >= GDEV_MAX_IRQS)
		return false;
	pthread_mutex_lock(&g->irq_lock);
	v = g->out[line];
	pthread_mutex_unlock(&g->irq_lock);
	return v;
}

/* --- faults ---------------------------------------------------------- */

/* The device stopped answering: cut it off, lower its lines (a dead
 * device must not hold the guest in an interrupt storm) and tell the
 * main loop. Lock held. */
static void fault(struct gdev *g, const char *why)
{
	uint64_t one = 1;

	if (atomic_exchange(&g->faulted, true))
		return;
	log_error("%s: %s; its accesses read all ones until it is restarted",
		  g->name, why);
	pthread_mutex_lock(&g->fault_lock);
	snprintf(g->fault_why, sizeof(g->fault_why), "%s", why);
	pthread_mutex_unlock(&g->fault_lock);
	vpci_peer_cut_off(g->peer, why);
	lines_lower(g);
	/* Fails only if the counter would overflow: already signalled. */
	if (write(g->fault_fd, &one, sizeof(one)) < 0)
		return;
}

int gdev_fault_fd(const struct gdev *g)
{
	return g->fault_fd;
}

bool gdev_take_fault(struct gdev *g, char *why, size_t len)
{
	uint64_t n;
	bool had;

	if (read(g->fault_fd, &n, sizeof(n)) < 0)
		return false;
	pthread_mutex_lock(&g->fault_lock);
	had = g->fault_why[0] != 0;
	snprintf(why, len, "%s", g->fault_why);
	g->fault_why[0] = 0;
	pthread_mutex_unlock(&g->fault_lock);
	return had;
}

bool gdev_faulted(struct gdev *g)
{
	return atomic_load(&g->faulted);
}

/* --- accesses -------------------------------------------------------- */

/* The device is away: waits (lock released) for its re-attach, up to
 * GDEV_HOLD_MS. True if a live peer is there now. Once a wait ran out
 * (or the launcher gave up on the device), accesses do not wait again
 * until a re-attach: a device that is not coming back costs one wait,
 * and harts waiting with it give up with it. No wait while the harts are
 * being stopped: that joins them on the main loop, which is where the
 * re-attach would come from. Lock held. */
static bool wait_back(struct gdev *g)
{
	struct timespec from, until;

	/* A send to a dead peer fails before anything read its EOF: read
	 * it now (and what the device posted before it died). */
	if (vpci_peer_alive(g->peer))
		vpci_peer_drain(g->peer);
	if (vpci_peer_alive(g->peer))
		return true;
	if (g->given_up || g->no_hold || atomic_load(&g->faulted))
		return false;
	g->holds++;
	clock_gettime(CLOCK_MONOTONIC, &from);
	until = from;
	until.tv_sec += GDEV_HOLD_MS / 1000;
	until.tv_nsec += (long)(GDEV_HOLD_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!vpci_peer_alive(g->peer) && !g->given_up && !g->no_hold &&
	       !atomic_load(&g->faulted)) {
		if (pthread_cond_timedwait(&g->back, &g->lock, &until) ==
		    ETIMEDOUT && !vpci_peer_alive(g->peer)) {
			log_warn("%s: the device was not back within %d ms; "
				 "its accesses read all ones until it is",
				 g->name, GDEV_HOLD_MS);
			g->given_up = true;
			g->holds_out++;
			pthread_cond_broadcast(&g->back);
		}
	}
	if (!vpci_peer_alive(g->peer))
		return false;
	clock_gettime(CLOCK_MONOTONIC, &until);
	log_info("%s: an access waited %lld ms for the restarted device",
		 g->name, (long long)(until.tv_sec - from.tv_sec) * 1000 +
		 (until.tv_nsec - from.tv_nsec) / 1000000);
	return true;
}

/* An access failed because the device's connection is gone (not a slow
 * or malformed answer, which fault it). */
static bool gone(int rc)
{
	return rc == -ENOTCONN || rc == -EPIPE || rc == -ECONNRESET;
}

uint64_t gdev_region_read(struct gdev *g, uint32_t region, uint64_t off,
			  unsigned size)
{
	uint64_t v = 0;
	int rc = -ENOTCONN;

	if (!access_ok(g, region, off, size) || atomic_load(&g->faulted))
		return all_ones(size);
	pthread_mutex_lock(&g->lock);
	if (vpci_peer_alive(g->peer))
		rc = vpci_peer_region_read(g->peer, region, off, size, &v,
					   g->timeout_ms);
	/* The device died (with this read in flight, or before it): the
	 * read waits for its restart and goes to the new process. */
	if (gone(rc) && wait_back(g))
		rc = vpci_peer_region_read(g->peer, region, off, size, &v,
					   g->timeout_ms);
	if (rc == -ETIMEDOUT)
		fault(g, "a register read got no answer in time");
	else if (rc == -EPROTO)
		fault(g, "a register read got a malformed answer");
	else if (rc < 0)
		access_failed(g, "read", region, off, rc);
	/* IRQ_LEVEL frames the call set aside take effect before the hart
	 * sees the value (a read-to-clear lowers the line first). */
	vpci_peer_drain(g->peer);
	pthread_mutex_unlock(&g->lock);
	return rc < 0 ? all_ones(size) : v;
}

void gdev_region_write(struct gdev *g, uint32_t region, uint64_t off,
		       unsigned size, uint64_t val)
{
	int rc = -ENOTCONN;

	if (!access_ok(g, region, off, size) || atomic_load(&g->faulted))
		return;
	pthread_mutex_lock(&g->lock);
	if (vpci_peer_alive(g->peer))
		rc = vpci_peer_region_write(g->peer, region, off, &val, size);
	if (gone(rc) && wait_back(g))
		rc = vpci_peer_region_write(g->peer, region, off, &val, size);
	if (rc < 0)
		access_failed(g, "write", region, off, rc);
	pthread_mutex_unlock(&g->lock);
}

void gdev_hold(struct gdev *g, bool on)
{
	pthread_mutex_lock(&g->lock);
	g->no_hold = !on;
	pthread_cond_broadcast(&g->back);
	pthread_mutex_unlock(&g->lock);
}

void gdev_gone(struct gdev *g)
{
	pthread_mutex_lock(&g->lock);
	g->given_up = true;
	pthread_cond_broadcast(&g->back);
	pthread_mutex_unlock(&g->lock);
}

void gdev_hold_counts(struct gdev *g, unsigned *begun, unsigned *ran_out)
{
	pthread_mutex_lock(&g->lock);
	*begun = g->holds;
	*ran_out = g->holds_out;
	pthread_mutex_unlock(&g->lock);
}

/* --- lifecycle ------------------------------------------------------- */

/* The hold's deadline is on CLOCK_MONOTONIC: a clock change must not
 * stretch or cut it. */
static void init_cond(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

static int adopt(struct gdev *g, struct vpci_peer *peer,
		 const Atoll__DeviceDesc *dd, struct gdev_desc *d)
{
	const char *why;

	if (gdev_desc_parse(dd, d, &why) < 0) {
		log_error("%s: generic device description refused: %s",
			  g->name, why);
		return -EPROTO;
	}
	vpci_peer_set_irq_level(peer, on_irq_level, g);
	return 0;
}

int gdev_new(const struct gdev_params *p, struct vpci_peer *peer,
	     const Atoll__DeviceDesc *dd, struct gdev **out)
{
	struct gdev *g = calloc(1, sizeof(*g));
	int rc;

	if (!g) {
		vpci_peer_free(peer);
		return -ENOMEM;
	}
	snprintf(g->name, sizeof(g->name), "%s", p->name ? p->name : "generic");
	snprintf(g->me, sizeof(g->me), "%s", p->me ? p->me : "cpu");
	g->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms
					  : GDEV_DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&g->lock, NULL);
	init_cond(&g->back);
	pthread_mutex_init(&g->irq_lock, NULL);
	pthread_mutex_init(&g->fault_lock, NULL);
	atomic_init(&g->faulted, false);
	g->peer = peer;
	g->fault_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rc = g->fault_fd < 0 ? -errno : adopt(g, peer, dd, &g->desc);
	if (rc == 0 && g->desc.bus == GDEV_BUS_PCI)
		rc = gdev_pci_build(g);
	if (rc < 0) {
		gdev_free(g);
		return rc;
	}
	log_info("%s: generic %s device, %u region(s), %u line(s)", g->name,
		 g->desc.bus == GDEV_BUS_PCI ? "PCI" : "platform",
		 g->desc.nregions, g->desc.nirqs);
	*out = g;
	return 0;
}

void gdev_free(struct gdev *g)
{
	if (!g)
		return;
	vpci_peer_free(g->peer);
	if (g->fault_fd >= 0)
		close(g->fault_fd);
	if (g->pci_built)
		pci_func_fini(&g->pci);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->back);
	pthread_mutex_destroy(&g->irq_lock);
	pthread_mutex_destroy(&g->fault_lock);
	free(g);
}

const char *gdev_name(const struct gdev *g)
{
	return g->name;
}

const struct gdev_desc *gdev_desc(const struct gdev *g)
{
	return &g->desc;
}

int gdev_reattach(struct gdev *g, int fd)
{
	struct vpci_peer *p = NULL;
	struct atoll_msg *r = NULL;
	struct gdev_desc d;
	int rc = vpci_peer_open(fd, g->me, g->name, g->timeout_ms, NULL, NULL,
				&p);

	if (rc == 0)
		rc = vpci_peer_describe_msg(p, g->timeout_ms, &r);
	if (rc == 0)
		rc = adopt(g, p, (const Atoll__DeviceDesc *)r->body, &d);
	if (rc == 0 && !gdev_desc_same(&g->desc, &d)) {
		log_error("%s: restarted device is not the same device",
			  g->name);
		rc = -EPROTO;
	}
	atoll_msg_free(r);
	if (rc < 0) {
		vpci_peer_free(p);
		return rc;
	}
	pthread_mutex_lock(&g->lock);
	vpci_peer_free(g->peer);
	g->peer = p;
	g->errors = 0;
	g->given_up = false;
	pthread_cond_broadcast(&g->back);
	lines_lower(g);
	if (g->plugged)
		gdev_post_placed(g);
	atomic_store(&g->faulted, false);
	pthread_mutex_unlock(&g->lock);
	log_info("%s: device re-attached", g->name);
	return 0;
}

int gdev_peer_fd(struct gdev *g)
{
	int fd;

	pthread_mutex_lock(&g->lock);
	fd = vpci_peer_fd(g->peer);
	pthread_mutex_unlock(&g->lock);
	return fd;
}

bool gdev_peer_ready(struct gdev *g)
{
	bool alive;

	/* A hart in a call drains before it unlocks: nothing is lost, and
	 * the main loop never waits out a slow device. */
	if (pthread_mutex_trylock(&g->lock) != 0)
		return true;
	vpci_peer_drain(g->peer);
	alive = vpci_peer_alive(g->peer);
	pthread_mutex_unlock(&g->lock);
	return alive;
}
