/* SPDX-License-Identifier: MIT */
#include "slirp-keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"
#include "manifest-internal.h"
#include "spawn.h"

#define KEEPER_MAX 16
/* atoll-net-slirp is ready in milliseconds; a forward that cannot
 * listen makes it exit at once. */
#define READY_TIMEOUT_MS 5000

struct keeper {
	char *name;          /* the card's instance name; NULL: free slot */
	int dev_end;         /* the launcher's copy of the device's end */
	int pidfd;
	pid_t pid;
};

static struct keeper keepers[KEEPER_MAX];

static struct keeper *keeper_find(const char *name)
{
	for (int i = 0; i < KEEPER_MAX; i++)
		if (keepers[i].name && !strcmp(keepers[i].name, name))
			return &keepers[i];
	return NULL;
}

/* Closes the slot; the process is reaped (SIGTERM first if `stop`). */
static void keeper_close(struct keeper *k, bool stop)
{
	siginfo_t info;

	if (stop)
		syscall(SYS_pidfd_send_signal, k->pidfd, SIGTERM, NULL, 0);
	close(k->dev_end);
	/* Without the launcher's end it sees end of file and exits, if
	 * SIGTERM did not end it already. */
	memset(&info, 0, sizeof(info));
	waitid(P_PIDFD, (id_t)k->pidfd, &info, WEXITED);
	close(k->pidfd);
	free(k->name);
	memset(k, 0, sizeof(*k));
}

static bool keeper_alive(const struct keeper *k)
{
	struct pollfd p = { .fd = k->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* Waits for atoll-net-slirp's 1-byte "ready" datagram. */
static int wait_ready(int fd, struct launch_plan *plan)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[2];
	ssize_t n;

	for (;;) {
		int rc = poll(&p, 1, READY_TIMEOUT_MS);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			snprintf(plan->why, sizeof(plan->why), "atoll-net-slirp "
				 "not ready after %d ms", READY_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == 1)
			return 0;
		if (n > 1)       /* no frame comes before ready; ignore it */
			continue;
		snprintf(plan->why, sizeof(plan->why), "atoll-net-slirp exited "
			 "before it was ready (its log above says why)");
		return -EIO;
	}
}

static int slirp_argv(const struct device_config *d, const char *binary,
		      char **argv, size_t max)
{
	const struct net_config *n = &d->net;
	size_t c = 0;

	if (n->nhostfwd + 5 > max)
		return -E2BIG;
	if (!(argv[c++] = strdup(binary)) ||
	    asprintf(&argv[c++], "--frames-fd=3") < 0 ||
	    asprintf(&argv[c++], "--name=%s", d->name) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n->nhostfwd; i++)
		if (asprintf(&argv[c++], "--hostfwd=%s", n->hostfwd[i]) < 0)
			return -ENOMEM;
	if (n->restricted && !(argv[c++] = strdup("--restrict")))
		return -ENOMEM;
	return 0;
}

/* atoll-net-slirp lies beside the built-in atoll-virtio-net, wherever
 * the device's own program comes from (device-replace may name another). */
static int slirp_binary(char *binary, size_t size, struct launch_plan *plan)
{
	char searched[1024];
	char *dev = launch_find_binary("virtio-net", searched, sizeof(searched));

	if (!dev) {
		snprintf(plan->why, sizeof(plan->why), "atoll-net-slirp: not "
			 "found (searched %.400s)", searched);
		return -ENOENT;
	}
	snprintf(binary, size, "%s/atoll-net-slirp", dirname(dev));
	free(dev);
	return 0;
}

/* Starts atoll-net-slirp beside the device's program, in the virtio-net
 * profile's sandbox (the same grants as slirp inside the device: host
 * sockets, nothing else), with its end of a new pair at fd 3. */
static int keeper_start(struct keeper *k, const struct device_config *d,
			struct launch_plan *plan)
{
	char binary[PATH_MAX], name[160];
	char *argv[MANIFEST_MAX_HOSTFWD + 8] = { 0 };
	struct spawn_args sa = { 0 };
	struct sandbox_child child;
	int sv[2], rc;

	if ((rc = slirp_binary(binary, sizeof(binary), plan)) < 0)
		return rc;
	snprintf(name, sizeof(name), "%s-slirp", d->name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(plan->why, sizeof(plan->why), "socketpair: %s",
			 strerror(-rc));
		return rc;
	}
	rc = slirp_argv(d, binary, argv, sizeof(argv) / sizeof(argv[0]) - 1);
	sa.name = name;
	sa.kind = "virtio-net";
	sa.binary = binary;
	sa.argv = argv;
	sa.sandbox = plan->spawn.sandbox;
	sa.fds[sa.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 1 };
	sa.fds[sa.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 2 };
	sa.fds[sa.nfds++] = (struct sandbox_fd){ sv[1], 3 };
	if (rc == 0 && (rc = spawn_process(&sa, &child)) < 0)
		snprintf(plan->why, sizeof(plan->why), "atoll-net-slirp: %.400s",
			 sa.error[0] ? sa.error : strerror(-rc));
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return rc;
	}
	/* No learn-mode reader here: a syscall the profile lacks fails. */
	if (child.notify_fd >= 0)
		close(child.notify_fd);
	k->name = strdup(d->name);
	k->dev_end = sv[0];
	k->pidfd = child.pidfd;
	k->pid = child.pid;
	if (!k->name) {
		keeper_close(k, true);
		return -ENOMEM;
	}
	if ((rc = wait_ready(k->dev_end, plan)) < 0) {
		keeper_close(k, true);
		return rc;
	}
	log_info("%s: atoll-net-slirp pid %d keeps the guest's connections",
		 d->name, (int)k->pid);
	return 0;
}

static struct keeper *keeper_slot(void)
{
	for (int i = 0; i < KEEPER_MAX; i++)
		if (!keepers[i].name)
			return &keepers[i];
	return NULL;
}

static int keeper_grant(const struct device_config *d, struct launch_plan *plan,
			int target)
{
	struct keeper *k = keeper_find(d->name);
	int fd, rc;

	if (k && !keeper_alive(k)) {
		log_warn("%s: atoll-net-slirp pid %d had exited; starting a "
			 "new one (the guest's connections are lost)", d->name,
			 (int)k->pid);
		keeper_close(k, false);
		k = NULL;
	}
	if (!k) {
		if (!(k = keeper_slot())) {
			snprintf(plan->why, sizeof(plan->why), "more than %d "
				 "slirp network cards", KEEPER_MAX);
			return -E2BIG;
		}
		if ((rc = keeper_start(k, d, plan)) < 0)
			return rc;
	}
	fd = fcntl(k->dev_end, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		rc = -errno;
		snprintf(plan->why, sizeof(plan->why), "dup: %s", strerror(-rc));
		return rc;
	}
	return plan_grant(plan, fd, target);
}

static void keeper_forget(const char *name)
{
	struct keeper *k = name ? keeper_find(name) : NULL;

	if (k)
		keeper_close(k, true);
}

static const struct slirp_keeper_ops keeper_ops = {
	.grant = keeper_grant,
	.forget = keeper_forget,
};

__attribute__((constructor)) static void keeper_register(void)
{
	slirp_keeper = &keeper_ops;
}
