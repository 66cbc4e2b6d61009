/* SPDX-License-Identifier: MIT */
#include "vpci-set.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "peer.h"
#include "peer-watch.h"
#include "pci-host.h"
#include "virtio-pci.h"
#include "vpci-internal.h"   /* vpci_needs_reset, for the launcher's word */

#define VPCI_SET_MAX 31u           /* PCI slots 1..31 */
#define REPLAY_RETRY_MS 50
#define REPLAY_TRIES 60            /* 3 s for a restarted device to settle */

struct vpci_call_ev {
	struct vpci_entry *e;
	unsigned q;
	struct event *ev;
};

struct vpci_entry {
	struct vpci_set *set;
	char name[64];
	struct vpci_dev *dev;
	struct peer_watch peer;
	struct vpci_call_ev *calls;
	struct event *retry_ev;    /* replay retries after a re-attach */
	unsigned tries;
	unsigned slot;             /* 0: not plugged */
};

struct vpci_set {
	struct event_base *base;
	char me[64];
	struct vpci_entry *e[VPCI_SET_MAX];
	unsigned n;
	const void *ram;
	uint64_t ram_base, ram_size;
};

struct vpci_set *vpci_set_new(struct event_base *base, const char *me)
{
	struct vpci_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = base;
	snprintf(s->me, sizeof(s->me), "%s", me ? me : "cpu");
	return s;
}

static void entry_free(struct vpci_entry *e)
{
	if (!e)
		return;
	peer_watch_disarm(&e->peer);
	if (e->retry_ev)
		event_free(e->retry_ev);
	for (unsigned i = 0; e->calls && i < vpci_dev_num_queues(e->dev); i++)
		if (e->calls[i].ev)
			event_free(e->calls[i].ev);
	free(e->calls);
	vpci_dev_free(e->dev);
	free(e);
}

void vpci_set_free(struct vpci_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		entry_free(s->e[i]);
	free(s);
}

static void on_call(evutil_socket_t fd, short what, void *arg)
{
	struct vpci_call_ev *c = arg;

	vpci_dev_call(c->e->dev, c->q);
}

static bool peer_ready(void *dev)
{
	return vpci_dev_peer_ready(dev);
}

static int watch_peer(struct vpci_entry *e)
{
	return peer_watch_arm(&e->peer, e->set->base,
			      vpci_dev_peer_fd(e->dev));
}

static int watch_calls(struct vpci_entry *e)
{
	unsigned nq = vpci_dev_num_queues(e->dev);

	e->calls = calloc(nq, sizeof(*e->calls));
	if (!e->calls)
		return -ENOMEM;
	for (unsigned i = 0; i < nq; i++) {
		struct vpci_call_ev *c = &e->calls[i];

		c->e = e;
		c->q = i;
		c->ev = event_new(e->set->base, vpci_dev_call_fd(e->dev, i),
				  EV_READ | EV_PERSIST, on_call, c);
		if (!c->ev || event_add(c->ev, NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

static struct vpci_entry *find(struct vpci_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->e[i]->name, name))
			return s->e[i];
	return NULL;
}

bool vpci_set_has(const struct vpci_set *s, const char *name)
{
	return find((struct vpci_set *)s, name) != NULL;
}

int vpci_set_needs_reset(struct vpci_set *s, const char *name,
			 const char *why)
{
	struct vpci_entry *e = find(s, name);

	if (!e || !e->dev)
		return -ENOENT;
	pthread_mutex_lock(&e->dev->lock);
	vpci_needs_reset(e->dev, why);
	pthread_mutex_unlock(&e->dev->lock);
	return 0;
}

int vpci_set_add(struct vpci_set *s, const char *name, struct vpci_peer *peer,
		 const struct vpci_peer_desc *d)
{
	const struct vpci_dev_params p = { .name = name, .me = s->me };
	struct vpci_entry *e;
	int rc;

	if (s->n == VPCI_SET_MAX) {
		vpci_peer_free(peer);
		log_error("%s: no free PCI slot; device left out", name);
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		vpci_peer_free(peer);
		return -ENOMEM;
	}
	e->set = s;
	snprintf(e->name, sizeof(e->name), "%s", name);
	rc = vpci_dev_new_peer(&p, peer, d, &e->dev);
	if (rc < 0) {
		log_error("%s: cannot set up the device: %s; left out", name,
			  strerror(-rc));
		free(e);
		return 0;
	}
	e->peer = (struct peer_watch){ .name = e->name, .ready = peer_ready,
				       .dev = e->dev };
	if (s->ram)
		vpci_dev_set_ram(e->dev, s->ram, s->ram_base, s->ram_size);
	rc = watch_calls(e);
	if (rc == 0)
		rc = watch_peer(e);
	if (rc < 0) {
		entry_free(e);
		return rc;
	}
	s->e[s->n++] = e;
	return 0;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct vpci_entry *e = arg;
	const struct timeval tv = { 0, REPLAY_RETRY_MS * 1000 };
	int rc = vpci_dev_replay(e->dev);

	if (rc != -EAGAIN)
		return;
	if (++e->tries < REPLAY_TRIES) {
		event_add(e->retry_ev, &tv);
		return;
	}
	log_error("%s: restarted device still refuses the queue state after "
		  "%u tries", e->name, e->tries);
	vpci_dev_replay_give_up(e->dev);
}

/* The device refused the replay for now: try again shortly. */
static int retry_later(struct vpci_entry *e)
{
	const struct timeval tv = { 0, REPLAY_RETRY_MS * 1000 };

	if (!e->retry_ev)
		e->retry_ev = evtimer_new(e->set->base, on_retry, e);
	if (!e->retry_ev || evtimer_add(e->retry_ev, &tv) < 0)
		return -ENOMEM;
	e->tries = 0;
	return 0;
}

int vpci_set_reattach(struct vpci_set *s, const char *name, int fd)
{
	struct vpci_entry *e = find(s, name);
	int rc;

	if (!e) {
		close(fd);
		return 0;
	}
	log_info("%s: device restarted; re-attaching", e->name);
	if (e->retry_ev)
		evtimer_del(e->retry_ev);
	/* Unwatch the old socket before the re-attach closes it. */
	peer_watch_disarm(&e->peer);
	rc = vpci_dev_reattach(e->dev, fd);
	if (rc == -EAGAIN) {
		log_info("%s: restarted device not ready for its queues yet; "
			 "retrying", e->name);
		rc = retry_later(e);
		if (rc < 0)
			return rc;
	} else if (rc < 0) {
		log_error("%s: re-attach failed: %s", e->name, strerror(-rc));
	}
	return watch_peer(e);
}

void vpci_set_ram(struct vpci_set *s, const void *ram, uint64_t base,
		  uint64_t size)
{
	s->ram = ram;
	s->ram_base = base;
	s->ram_size = size;
	for (unsigned i = 0; i < s->n; i++)
		vpci_dev_set_ram(s->e[i]->dev, ram, base, size);
}

static int by_name(const void *a, const void *b)
{
	const struct vpci_entry *x = *(struct vpci_entry *const *)a;
	const struct vpci_entry *y = *(struct vpci_entry *const *)b;

	return strcmp(x->name, y->name);
}

int vpci_set_plug(struct vpci_set *s, struct pci_host *h)
{
	struct vpci_entry *order[VPCI_SET_MAX];
	unsigned slot = 1;
	int rc;

	memcpy(order, s->e, s->n * sizeof(order[0]));
	qsort(order, s->n, sizeof(order[0]), by_name);
	for (unsigned i = 0; i < s->n; i++) {
		struct vpci_entry *e = order[i];

		if (e->slot)
			continue;
		for (;;) {
			rc = vpci_dev_plug(e->dev, h, slot);
			if (rc != -EBUSY)
				break;
			slot++;
		}
		if (rc < 0) {
			log_error("%s: cannot plug into PCI slot %u: %s",
				  e->name, slot, strerror(-rc));
			return rc;
		}
		e->slot = slot++;
		log_info("%s: virtio-pci device %u in slot 00:%02x.0, INT%c -> "
			 "PLIC %u", e->name, vpci_dev_device_id(e->dev), e->slot,
			 'A', pci_host_intx_irq(e->slot, 0));
	}
	return 0;
}

unsigned vpci_set_count(const struct vpci_set *s)
{
	return s->n;
}
