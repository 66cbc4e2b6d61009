/* SPDX-License-Identifier: MIT */
/* The fallback backend: worker threads doing synchronous pread/pwrite.
 * Only the workers block; completions go back to the loop thread through
 * a done list and an eventfd. */
#include "aio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define AIO_MAX_WORKERS 16u

struct aio_threads {
	struct aio a;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct aio_req *queue, **queue_tail;
	struct aio_req *done;
	bool stop;
	unsigned nworkers;
	pthread_t workers[AIO_MAX_WORKERS];
};

static int64_t run_one(int fd, const struct aio_req *r)
{
	ssize_t n;

	switch (r->op) {
	case AIO_READ:
		n = preadv(fd, r->iov, (int)r->niov, (off_t)r->off);
		break;
	case AIO_WRITE:
		n = pwritev2(fd, r->iov, (int)r->niov, (off_t)r->off,
			     r->dsync ? RWF_DSYNC : 0);
		break;
	case AIO_FSYNC:
		n = fdatasync(fd);
		break;
	case AIO_FALLOCATE:
		n = fallocate(fd, r->mode, (off_t)r->off, (off_t)r->len);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 ? -errno : n;
}

static void *worker(void *arg)
{
	struct aio_threads *t = arg;
	static const uint64_t one = 1;
	struct aio_req *r;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->queue && !t->stop)
			pthread_cond_wait(&t->cond, &t->lock);
		if (t->stop)
			break;
		r = t->queue;
		t->queue = r->next;
		if (!t->queue)
			t->queue_tail = &t->queue;
		pthread_mutex_unlock(&t->lock);
		r->res = run_one(t->a.fd, r);
		pthread_mutex_lock(&t->lock);
		r->next = t->done;
		t->done = r;
		(void)!write(t->a.event_fd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int threads_submit(struct aio *a, struct aio_req *r)
{
	struct aio_threads *t = (struct aio_threads *)a;

	r->next = NULL;
	pthread_mutex_lock(&t->lock);
	*t->queue_tail = r;
	t->queue_tail = &r->next;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void threads_commit(struct aio *a) { }

static void threads_poll(struct aio *a)
{
	struct aio_threads *t = (struct aio_threads *)a;
	struct aio_req *list, *r;

	pthread_mutex_lock(&t->lock);
	list = t->done;
	t->done = NULL;
	pthread_mutex_unlock(&t->lock);
	while ((r = list)) {
		list = r->next;
		a->outstanding--;
		a->done(r, a->opaque);
	}
}

static void threads_reap(struct aio *a)
{
	uint64_t v;

	(void)!read(a->event_fd, &v, sizeof(v));
	threads_poll(a);
}

static void threads_wait(struct aio *a)
{
	struct pollfd p = { .fd = a->event_fd, .events = POLLIN };

	(void)poll(&p, 1, -1);
}

static void threads_destroy(struct aio *a)
{
	struct aio_threads *t = (struct aio_threads *)a;

	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = 0; i < t->nworkers; i++)
		pthread_join(t->workers[i], NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	close(a->event_fd);
	free(t);
}

static const struct aio_ops threads_ops = {
	.name = "threads",
	.submit = threads_submit,
	.commit = threads_commit,
	.wait = threads_wait,
	.reap = threads_reap,
	.poll = threads_poll,
	.destroy = threads_destroy,
};

int aio_threads_new(int fd, unsigned workers, aio_done_fn done, void *opaque,
		    struct aio **out)
{
	struct aio_threads *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	if (workers == 0 || workers > AIO_MAX_WORKERS)
		workers = 4;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->queue_tail = &t->queue;
	t->a.ops = &threads_ops;
	t->a.fd = fd;
	t->a.done = done;
	t->a.opaque = opaque;
	t->a.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->a.event_fd < 0) {
		rc = -errno;
		free(t);
		return rc;
	}
	for (; t->nworkers < workers; t->nworkers++) {
		rc = -pthread_create(&t->workers[t->nworkers], NULL, worker, t);
		if (rc < 0) {
			threads_destroy(&t->a);
			return rc;
		}
	}
	*out = &t->a;
	return 0;
}
