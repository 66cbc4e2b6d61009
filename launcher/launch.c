/* SPDX-License-Identifier: MIT */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atoll-config.h"
#include "log.h"

/* Built-in kinds: binary name and its folder in the build tree. */
static const struct {
	const char *kind;
	const char *binary;
	const char *build_dir;
} builtin_binaries[] = {
	{ "mem", "atoll-mem", "memory-server" },
	{ "cpu", "atoll-cpu", "cpu-server" },
	{ "virtio-blk", "atoll-virtio-blk", "dev-virtio-blk" },
	{ "virtio-net", "atoll-virtio-net", "dev-virtio-net" },
	{ "gpu", "atoll-gpu", "dev-gpu" },
	{ "tpm", "atoll-tpm", "dev-tpm" },
	{ "usb", "atoll-usb", "dev-usb" },
};

static bool running_from_build_tree(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t root = strlen(ATOLL_BUILD_ROOT);

	if (n <= 0)
		return false;
	self[n] = '\0';
	return !strncmp(self, ATOLL_BUILD_ROOT, root) && self[root] == '/';
}

static char *try_path(const char *dir, const char *sub, const char *bin,
		      char *searched, size_t size)
{
	char path[PATH_MAX];
	size_t used = strlen(searched);

	snprintf(path, sizeof(path), "%s%s%s/%s", dir, sub ? "/" : "",
		 sub ? sub : "", bin);
	if (access(path, X_OK) == 0)
		return strdup(path);
	snprintf(searched + used, size - used, "%s%s", used ? ", " : "", path);
	return NULL;
}

char *launch_find_binary(const char *kind, char *searched, size_t size)
{
	const char *bindir = getenv("ATOLL_BINDIR");
	char *found = NULL;

	searched[0] = '\0';
	for (size_t i = 0; i < sizeof(builtin_binaries) / sizeof(builtin_binaries[0]); i++) {
		if (strcmp(kind, builtin_binaries[i].kind))
			continue;
		if (bindir)
			found = try_path(bindir, NULL, builtin_binaries[i].binary,
					 searched, size);
		if (!found && running_from_build_tree())
			found = try_path(ATOLL_BUILD_ROOT, builtin_binaries[i].build_dir,
					 builtin_binaries[i].binary, searched, size);
		if (!found)
			found = try_path(ATOLL_LIBEXECDIR, NULL,
					 builtin_binaries[i].binary, searched, size);
		return found;
	}
	snprintf(searched, size, "(no built-in binary for kind '%s')", kind);
	return NULL;
}

static int plan_arg(struct launch_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int plan_arg(struct launch_plan *plan, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (plan->argc + 1 >= LAUNCH_MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	plan->argv[plan->argc++] = s;
	return 0;
}

/* Opens `path`, a file of the manifest, for the child by the rule the
 * manifest was checked with (beneath an allowed directory; a block device
 * only for a disk and with --allow-block-device), and grants it as fd
 * `target`. */
static int plan_file(const struct proc *p, struct launch_plan *plan,
		     const char *what, const char *path, int flags, int target)
{
	char why[512];
	int fd;

	if (plan->spawn.nfds >= SPAWN_MAX_FDS)
		return -E2BIG;
	fd = manifest_open_file(p->vm->cfg, path, flags, !strcmp(what, "disk"),
				why, sizeof(why));
	if (fd < 0) {
		log_error("%s: cannot open %s: %s", plan->spawn.name, what, why);
		return fd;
	}
	plan->opened[plan->nopened++] = fd;
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ fd, target };
	return plan_arg(plan, "--%s-fd=%d", what, target);
}

static int plan_cpu(const struct proc *p, struct launch_plan *plan)
{
	const struct vm_config *c = p->vm->cfg;
	int rc = 0;

	rc |= plan_arg(plan, "--machine=%s", c->machine);
	rc |= plan_arg(plan, "--cpus=%u", c->cpus);
	if (c->engine)
		rc |= plan_arg(plan, "--engine=%s", c->engine);
	rc |= plan_arg(plan, "--memory=%" PRIu64, c->memory_bytes);
	if (c->cmdline)
		rc |= plan_arg(plan, "--append=%s", c->cmdline);
	if (rc)
		return -ENOMEM;
	if (c->kernel && (rc = plan_file(p, plan, "kernel", c->kernel, O_RDONLY, 4)))
		return rc;
	if (c->initrd && (rc = plan_file(p, plan, "initrd", c->initrd, O_RDONLY, 5)))
		return rc;
	if (c->firmware && (rc = plan_file(p, plan, "firmware", c->firmware, O_RDONLY, 6)))
		return rc;
	return 0;
}

/* RLIMIT_FSIZE caps the offset of every write, so the disk's own size is
 * the smallest limit that lets the device write all of it, and keeps it
 * from growing the image. Other file types: the device refuses them. */
static int plan_disk_limit(struct launch_plan *plan, int fd)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		return 0;
	}
	plan->spawn.fsize = (struct sandbox_rlimit){ true, (rlim_t)bytes };
	return 0;
}

static int plan_blk(const struct proc *p, struct launch_plan *plan)
{
	const struct disk_config *d = &p->dev->disk;
	int flags = d->readonly ? O_RDONLY : O_RDWR;
	int rc = 0;

	if (d->cache == CACHE_NONE)
		flags |= O_DIRECT;
	rc |= plan_arg(plan, "--cache=%s", cache_mode_name(d->cache));
	rc |= plan_arg(plan, "--queues=%u", d->queues);
	if (d->readonly)
		rc |= plan_arg(plan, "--readonly");
	if (d->serial)
		rc |= plan_arg(plan, "--serial=%s", d->serial);
	if (rc)
		return -ENOMEM;
	if ((rc = plan_file(p, plan, "disk", d->path, flags, 4)) < 0)
		return rc;
	if ((rc = plan_disk_limit(plan, plan->opened[plan->nopened - 1])) < 0)
		log_error("%s: cannot size disk %s: %s", plan->spawn.name,
			  d->path, strerror(-rc));
	return rc;
}

/* Opens /dev/net/tun attached to the tap interface `name` (frames without
 * packet info) and grants it as fd `target`: the device never needs
 * CAP_NET_ADMIN. The interface must exist and be usable by the launcher
 * (`ip tuntap add NAME mode tap user USER`), or the launcher must have
 * CAP_NET_ADMIN, which creates it. */
static int plan_tap(struct launch_plan *plan, const char *name, int target)
{
	struct ifreq ifr;
	int fd, err;

	if (plan->spawn.nfds >= SPAWN_MAX_FDS)
		return -E2BIG;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_error("%s: cannot open /dev/net/tun: %s", plan->spawn.name,
			  strerror(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		log_error("%s: cannot attach to tap interface %s: %s",
			  plan->spawn.name, name, strerror(err));
		close(fd);
		return -err;
	}
	plan->opened[plan->nopened++] = fd;
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ fd, target };
	return plan_arg(plan, "--tap-fd=%d", target);
}

static int plan_net(const struct proc *p, struct launch_plan *plan)
{
	const struct net_config *n = &p->dev->net;
	int rc = 0;

	rc |= plan_arg(plan, "--backend=%s", n->backend);
	rc |= plan_arg(plan, "--queues=%u", n->queues);
	if (n->mac)
		rc |= plan_arg(plan, "--mac=%s", n->mac);
	for (size_t i = 0; i < n->nhostfwd; i++)
		rc |= plan_arg(plan, "--hostfwd=%s", n->hostfwd[i]);
	if (n->restricted)
		rc |= plan_arg(plan, "--restrict");
	if (rc)
		return -ENOMEM;
	return n->tap ? plan_tap(plan, n->tap, 4) : 0;
}

int launch_plan_build(const struct proc *p, int bus_fd, struct launch_plan *plan)
{
	int rc = 0;

	memset(plan, 0, sizeof(*plan));
	plan->spawn.name = p->name;
	plan->spawn.kind = p->kind;
	plan->spawn.accel = p->vm->cfg->accel;
	plan->spawn.binary = p->binary;
	plan->spawn.argv = plan->argv;
	plan->spawn.sandbox = p->sandbox;
	/* Children log to the launcher's stderr. It is also their stdout, so
	 * that no fd a child opens later can take number 1 and receive a
	 * stray printf. */
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 1 };
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 2 };
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ bus_fd, 3 };
	rc |= plan_arg(plan, "%s", p->binary);
	rc |= plan_arg(plan, "--fd=3");
	rc |= plan_arg(plan, "--name=%s", p->name);
	if (rc)
		goto fail;
	if (p->role == ATOLL__ROLE__ROLE_CPU)
		rc = plan_cpu(p, plan);
	else if (p->dev && !strcmp(p->kind, "virtio-blk"))
		rc = plan_blk(p, plan);
	else if (p->dev && !strcmp(p->kind, "virtio-net"))
		rc = plan_net(p, plan);
	for (size_t i = 0; rc == 0 && p->dev && i < p->dev->nargs; i++)
		rc = plan_arg(plan, "%s", p->dev->args[i]);
	if (rc)
		goto fail;
	return 0;
fail:
	launch_plan_release(plan);
	return rc;
}

void launch_plan_release(struct launch_plan *plan)
{
	for (size_t i = 0; i < plan->argc; i++)
		free(plan->argv[i]);
	plan->argc = 0;
	for (size_t i = 0; i < plan->nopened; i++)
		close(plan->opened[i]);
	plan->nopened = 0;
}
