/* SPDX-License-Identifier: MIT */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRV_TIMEOUT_MS 5000
/* Descriptors at the end of each table left for hand-made chains. */
#define DRV_RAW_DESCS 8u

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ctl_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct drv *d = opaque;

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO &&
	    (m->flags & ATOLL_FRAME_NEED_REPLY)) {
		Atoll__Hello h = ATOLL__HELLO__INIT;

		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_LAUNCHER;
		h.kind = (char *)"launcher";
		h.name = (char *)"test";
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL, 0);
		d->got_hello = true;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_READY) {
		d->ready = true;
	} else if (m->flags & ATOLL_FRAME_NEED_REPLY) {
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "test launcher");
	}
}

static void peer_message(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	if (m->flags & ATOLL_FRAME_NEED_REPLY)
		atoll_bus_reply_error(bus, m, EOPNOTSUPP, "test front-end");
}

static void on_closed(atoll_bus *bus, int error, void *opaque) { }

static const struct atoll_bus_callbacks drv_cb = {
	.message = ctl_message, .closed = on_closed,
};
static const struct atoll_bus_callbacks drv_peer_cb = {
	.message = peer_message, .closed = on_closed,
};

void drv_pump(struct drv *d)
{
	if (d->ctl)
		while (atoll_bus_dispatch(d->ctl) > 0)
			;
	if (d->peer)
		while (atoll_bus_dispatch(d->peer) > 0)
			;
}

static int wait_flag(struct drv *d, const bool *flag)
{
	int64_t end = now_ms() + DRV_TIMEOUT_MS;

	while (!*flag) {
		struct pollfd p = { atoll_bus_fd(d->ctl), POLLIN, 0 };
		int left = (int)(end - now_ms());

		if (left <= 0 || atoll_bus_is_closed(d->ctl))
			return -ETIMEDOUT;
		if (poll(&p, 1, left) > 0 && atoll_bus_dispatch(d->ctl) < 0)
			return -ECONNRESET;
	}
	return 0;
}

static pid_t spawn(int ctl, int disk_fd, const char *binary,
		   const char *const *args, const char *extra_env)
{
	const char *argv[40];
	const char *sandbox = getenv("ATOLL_BLK_SANDBOX_RUN");
	unsigned n = 0;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int a = fcntl(ctl, F_DUPFD_CLOEXEC, 10);
	int b = disk_fd >= 0 ? fcntl(disk_fd, F_DUPFD_CLOEXEC, 10) : -1;
	const char *base = strrchr(binary, '/');

	if (a < 0 || dup2(a, 3) < 0 || (disk_fd >= 0 && (b < 0 || dup2(b, 4) < 0)))
		_exit(127);
	if (extra_env)
		putenv((char *)extra_env);
	if (!sandbox || !*sandbox)
		sandbox = getenv("ATOLL_DRV_SANDBOX_RUN");
	base = base ? base + 1 : binary;
	if (sandbox && *sandbox) {
		/* Run it confined as the launcher would: its kind's profile,
		 * named after the binary (atoll-virtio-net -> virtio-net). */
		argv[n++] = sandbox;
		argv[n++] = strncmp(base, "atoll-", 6) ? base : base + 6;
		argv[n++] = "--";
	}
	argv[n++] = binary;
	argv[n++] = "--fd=3";
	argv[n++] = "--name=dev0";
	if (disk_fd >= 0)
		argv[n++] = "--disk-fd=4";
	for (unsigned i = 0; args && args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static int setup_ram(struct drv *d)
{
	d->ram_fd = memfd_create("guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->ram_fd < 0 || ftruncate(d->ram_fd, DRV_RAM_SIZE) < 0)
		return -errno;
	d->ram = mmap(NULL, DRV_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->ram_fd, 0);
	if (d->ram == MAP_FAILED)
		return -errno;
	d->heap = DRV_RAM_BASE + DRV_HEAP_START;
	return 0;
}

int drv_connect_peer(struct drv *d)
{
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pc.peer = (char *)"cpu";
	pc.peer_role = ATOLL__ROLE__ROLE_CPU;
	pc.peer_kind = (char *)"cpu";
	rc = atoll_bus_post(d->ctl, ATOLL__MSG_TYPE__MSG_PEER_CONNECT, &pc.base,
			    &sv[1], 1);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return rc;
	}
	atoll_bus_free(d->peer);
	d->peer = atoll_bus_new(sv[0], &drv_peer_cb, d);
	return d->peer ? 0 : -errno;
}

static int grant_and_connect(struct drv *d)
{
	Atoll__MemRegion r = ATOLL__MEM_REGION__INIT, *rp = &r;
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	int rc;

	r.name = (char *)"ram0";
	r.guest_addr = DRV_RAM_BASE;
	r.size = DRV_RAM_SIZE;
	g.regions = &rp;
	g.n_regions = 1;
	rc = atoll_bus_post(d->ctl, ATOLL__MSG_TYPE__MSG_MEM_GRANT, &g.base,
			    &d->ram_fd, 1);
	return rc < 0 ? rc : drv_connect_peer(d);
}

int drv_describe(struct drv *d)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *reply = NULL;
	const Atoll__DeviceDesc *desc;
	int rc;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	h.kind = (char *)"cpu";
	rc = atoll_bus_call(d->peer, ATOLL__MSG_TYPE__MSG_HELLO, &h.base, NULL,
			    0, DRV_TIMEOUT_MS, &reply);
	atoll_msg_free(reply);
	if (rc < 0)
		return rc;
	rc = atoll_bus_call(d->peer, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE, NULL,
			    NULL, 0, DRV_TIMEOUT_MS, &reply);
	if (rc < 0) {
		atoll_msg_free(reply);
		return rc;
	}
	desc = (const Atoll__DeviceDesc *)reply->body;
	if (desc->model != ATOLL__DEVICE_MODEL__MODEL_VIRTIO || !desc->virtio) {
		atoll_msg_free(reply);
		return -EPROTO;
	}
	d->device_id = desc->virtio->device_id;
	d->offered = desc->virtio->features;
	d->num_queues = desc->virtio->num_queues;
	d->max_queue_size = desc->virtio->max_queue_size;
	d->config_size = desc->virtio->config_size;
	atoll_msg_free(reply);
	return 0;
}

static int launch(struct drv *d, const char *binary, int disk_fd,
		  const char *const *args, const char *extra_env);

int drv_start(struct drv *d, const char *binary, int disk_fd,
	      const char *const *args, const char *extra_env)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->ram_fd = -1;
	for (unsigned i = 0; i < DRV_MAX_QUEUES; i++)
		d->q[i].kick_fd = d->q[i].call_fd = d->q[i].log_fd = -1;
	if ((rc = setup_ram(d)) < 0)
		return rc;
	return launch(d, binary, disk_fd, args, extra_env);
}

static int launch(struct drv *d, const char *binary, int disk_fd,
		  const char *const *args, const char *extra_env)
{
	int sv[2], rc;

	d->got_hello = d->ready = false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	d->pid = spawn(sv[1], disk_fd, binary, args, extra_env);
	close(sv[1]);
	if (d->pid < 0) {
		close(sv[0]);
		return -errno;
	}
	d->ctl = atoll_bus_new(sv[0], &drv_cb, d);
	if (!d->ctl)
		return -errno;
	if ((rc = wait_flag(d, &d->got_hello)) < 0 ||
	    (rc = grant_and_connect(d)) < 0 ||
	    (rc = wait_flag(d, &d->ready)) < 0)
		return rc;
	return drv_describe(d);
}

int drv_stop(struct drv *d)
{
	int status = 0, rc = -ETIMEDOUT;
	int64_t end = now_ms() + DRV_TIMEOUT_MS;

	if (d->ctl)
		atoll_bus_post(d->ctl, ATOLL__MSG_TYPE__MSG_SHUTDOWN, NULL, NULL, 0);
	while (d->pid > 0 && now_ms() < end) {
		pid_t w = waitpid(d->pid, &status, WNOHANG);

		if (w == d->pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			d->pid = 0;
			break;
		}
		usleep(2000);
	}
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
	}
	atoll_bus_free(d->peer);
	atoll_bus_free(d->ctl);
	for (unsigned i = 0; i < DRV_MAX_QUEUES; i++) {
		struct drv_queue *q = &d->q[i];

		if (q->kick_fd >= 0)
			close(q->kick_fd);
		if (q->call_fd >= 0)
			close(q->call_fd);
		if (q->log_fd >= 0)
			close(q->log_fd);
		free(q->chain_len);
		free(q->next_free);
	}
	if (d->ram && d->ram != MAP_FAILED)
		munmap(d->ram, DRV_RAM_SIZE);
	if (d->ram_fd >= 0)
		close(d->ram_fd);
	memset(d, 0, sizeof(*d));
	return rc;
}

int drv_restart(struct drv *d, const char *binary, int disk_fd,
		const char *const *args)
{
	int status;

	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	atoll_bus_free(d->peer);
	atoll_bus_free(d->ctl);
	d->peer = d->ctl = NULL;
	return launch(d, binary, disk_fd, args, NULL);
}

static int call_ack(struct drv *d, uint16_t type, const ProtobufCMessage *m,
		    const int *fds, unsigned nfds)
{
	struct atoll_msg *reply = NULL;
	int rc = atoll_bus_call(d->peer, type, m, fds, nfds, DRV_TIMEOUT_MS,
				&reply);

	atoll_msg_free(reply);
	return rc;
}

int drv_features(struct drv *d, uint64_t features)
{
	Atoll__FeaturesSet f = ATOLL__FEATURES_SET__INIT;
	int rc;

	f.features = features;
	rc = call_ack(d, ATOLL__MSG_TYPE__MSG_FEATURES_SET, &f.base, NULL, 0);
	if (rc == 0)
		d->features = features;
	return rc;
}

int drv_config_read(struct drv *d, uint32_t off, void *buf, uint32_t len)
{
	Atoll__ConfigRead r = ATOLL__CONFIG_READ__INIT;
	struct atoll_msg *reply = NULL;
	const Atoll__ConfigData *cd;
	int rc;

	r.offset = off;
	r.size = len;
	rc = atoll_bus_call(d->peer, ATOLL__MSG_TYPE__MSG_CONFIG_READ, &r.base,
			    NULL, 0, DRV_TIMEOUT_MS, &reply);
	if (rc == 0) {
		cd = (const Atoll__ConfigData *)reply->body;
		if (cd->data.len != len)
			rc = -EPROTO;
		else
			memcpy(buf, cd->data.data, len);
	}
	atoll_msg_free(reply);
	return rc;
}

uint64_t drv_alloc(struct drv *d, uint64_t len, uint64_t align)
{
	uint64_t gpa = (d->heap + align - 1) & ~(align - 1);

	if (gpa + len > DRV_RAM_BASE + DRV_RAM_SIZE)
		return 0;
	d->heap = gpa + len;
	return gpa;
}

void *drv_ptr(struct drv *d, uint64_t gpa)
{
	return d->ram + (gpa - DRV_RAM_BASE);
}

static int queue_layout(struct drv *d, unsigned qi, unsigned size,
			bool event_idx)
{
	struct drv_queue *q = &d->q[qi];
	uint64_t base = DRV_RAM_BASE + qi * DRV_RING_SLOT;

	memset(drv_ptr(d, base), 0, DRV_RING_SLOT);
	free(q->chain_len);
	free(q->next_free);
	q->size = size;
	q->event_idx = event_idx;
	q->desc_gpa = base;
	q->avail_gpa = base + 0x4000;
	q->used_gpa = base + 0x8000;
	q->desc = drv_ptr(d, q->desc_gpa);
	q->avail = drv_ptr(d, q->avail_gpa);
	q->used = drv_ptr(d, q->used_gpa);
	q->avail_idx = q->last_used = q->kicked_at = 0;
	q->chain_len = calloc(size, sizeof(uint16_t));
	q->next_free = calloc(size, sizeof(uint16_t));
	if (!q->chain_len || !q->next_free)
		return -ENOMEM;
	for (unsigned i = 0; i < size; i++)
		q->next_free[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = size > DRV_RAW_DESCS ? size - DRV_RAW_DESCS : 0;
	return 0;
}

static int setup_msg(struct drv *d, unsigned qi, bool log, uint16_t last_avail);

int drv_queue_setup(struct drv *d, unsigned qi, unsigned size, bool event_idx)
{
	int rc;

	if (qi >= DRV_MAX_QUEUES || size > 1024)
		return -EINVAL;
	if ((rc = queue_layout(d, qi, size, event_idx)) < 0)
		return rc;
	return setup_msg(d, qi, false, 0);
}

int drv_queue_resume(struct drv *d, unsigned qi)
{
	struct drv_queue *q = &d->q[qi];

	/* As the cpu server re-attaches a restarted device: same rings,
	 * resuming at the used ring's idx. */
	return setup_msg(d, qi, false,
			 __atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE));
}

int drv_queue_setup_log(struct drv *d, unsigned qi, unsigned size,
			bool event_idx, bool keep)
{
	struct drv_queue *q = &d->q[qi];
	int rc;

	if (qi >= DRV_MAX_QUEUES || size > 1024)
		return -EINVAL;
	if (!keep && (rc = queue_layout(d, qi, size, event_idx)) < 0)
		return rc;
	if (q->log_fd < 0) {
		q->log_fd = memfd_create("inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (q->log_fd < 0 || ftruncate(q->log_fd, 4096 + 16 * size) < 0)
			return -errno;
	}
	return setup_msg(d, qi, true, 0);
}

static int setup_msg(struct drv *d, unsigned qi, bool log, uint16_t last_avail)
{
	Atoll__QueueSetup s = ATOLL__QUEUE_SETUP__INIT;
	struct drv_queue *q = &d->q[qi];
	int fds[3];

	if (q->kick_fd < 0)
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->call_fd < 0)
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0 || q->call_fd < 0)
		return -errno;
	s.index = qi;
	s.size = q->size;
	s.desc_addr = q->desc_gpa;
	s.avail_addr = q->avail_gpa;
	s.used_addr = q->used_gpa;
	s.event_idx = q->event_idx;
	s.has_inflight = log;
	s.last_avail_idx = last_avail;
	fds[0] = q->kick_fd;
	fds[1] = q->call_fd;
	fds[2] = q->log_fd;
	return call_ack(d, ATOLL__MSG_TYPE__MSG_QUEUE_SETUP, &s.base, fds,
			log ? 3 : 2);
}

int drv_queue_stop(struct drv *d, unsigned qi, uint32_t *last_avail,
		   uint32_t *inflight)
{
	Atoll__QueueStop s = ATOLL__QUEUE_STOP__INIT;
	struct atoll_msg *reply = NULL;
	int rc;

	s.index = qi;
	rc = atoll_bus_call(d->peer, ATOLL__MSG_TYPE__MSG_QUEUE_STOP, &s.base,
			    NULL, 0, DRV_TIMEOUT_MS, &reply);
	if (rc == 0) {
		const Atoll__QueueState *st = (const Atoll__QueueState *)reply->body;

		if (last_avail)
			*last_avail = st->last_avail_idx;
		if (inflight)
			*inflight = st->inflight;
	}
	atoll_msg_free(reply);
	return rc;
}

void drv_add_raw(struct drv *d, unsigned qi, uint16_t head)
{
	struct drv_queue *q = &d->q[qi];

	q->avail[2 + q->avail_idx % q->size] = head;
	/* The entry (and its descriptors) before the index. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->avail_idx++;
	__atomic_store_n(&q->avail[1], q->avail_idx, __ATOMIC_RELAXED);
}

int drv_add_chain(struct drv *d, unsigned qi, const struct drv_seg *s,
		  unsigned n)
{
	struct drv_queue *q = &d->q[qi];
	uint16_t head = q->free_head, idx = head;

	if (n == 0 || n > q->nfree)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		uint16_t next = q->next_free[idx];

		q->desc[idx].addr = s[i].gpa;
		q->desc[idx].len = s[i].len;
		q->desc[idx].flags = (uint16_t)((s[i].write ? VQ_DESC_F_WRITE : 0) |
					       (i + 1 < n ? VQ_DESC_F_NEXT : 0));
		q->desc[idx].next = i + 1 < n ? next : 0;
		if (i + 1 < n)
			idx = next;
		else
			q->free_head = next;
	}
	q->nfree -= n;
	q->chain_len[head] = (uint16_t)n;
	drv_add_raw(d, qi, head);
	return head;
}

void drv_kick(struct drv *d, unsigned qi)
{
	static const uint64_t one = 1;
	struct drv_queue *q = &d->q[qi];
	uint16_t old = q->kicked_at, new = q->avail_idx, event;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_at = new;
	if (q->event_idx) {
		event = __atomic_load_n(&q->used[2 + 4 * q->size], __ATOMIC_RELAXED);
		if ((uint16_t)(new - event - 1) >= (uint16_t)(new - old))
			return;
	}
	(void)!write(q->kick_fd, &one, sizeof(one));
}

static void free_chain(struct drv_queue *q, uint16_t head)
{
	uint16_t idx = head;
	unsigned n = head < q->size ? q->chain_len[head] : 0;

	for (unsigned i = 0; i < n; i++) {
		uint16_t next = q->desc[idx].next;

		q->next_free[idx] = q->free_head;
		q->free_head = idx;
		q->nfree++;
		idx = next;
	}
	if (head < q->size)
		q->chain_len[head] = 0;
}

int drv_get_used(struct drv *d, unsigned qi, uint16_t *head, uint32_t *len,
		 int timeout_ms)
{
	struct drv_queue *q = &d->q[qi];
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		uint16_t idx = __atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE);

		if (idx != q->last_used) {
			volatile uint32_t *e = (volatile uint32_t *)&q->used[2] +
				2 * (q->last_used % q->size);

			*head = (uint16_t)e[0];
			*len = e[1];
			q->last_used++;
			free_chain(q, *head);
			return 1;
		}
		if (q->event_idx) {
			/* Ask for a call at the next entry, then re-check. */
			q->avail[2 + q->size] = q->last_used;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&q->used[1], __ATOMIC_ACQUIRE) != q->last_used)
				continue;
		}
		int left = (int)(end - now_ms());
		struct pollfd p = { q->call_fd, POLLIN, 0 };
		uint64_t v;

		if (left <= 0)
			return 0;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -errno;
		(void)!read(q->call_fd, &v, sizeof(v));
	}
}
