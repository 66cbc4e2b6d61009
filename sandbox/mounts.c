/* SPDX-License-Identifier: MIT */
/*
 * The empty root: a tmpfs holding read-only bind mounts of exactly the
 * paths the program needs to load (and the device nodes its profile
 * lists), pivoted into, with the host's root detached.
 *
 * The parent canonicalises every path (realpath) so the child never
 * follows a host symlink while binding; symlinks that are themselves
 * listed (/lib64 -> usr/lib64) are recreated as symlinks inside, and
 * their target is exposed too.
 */
#include "sandbox-private.h"

#include "atoll-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STAGE "/tmp"                 /* exists everywhere; shadowed only
				      * inside our own mount namespace */
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static int plan_add(struct sbx_plan *pl, enum sbx_mount_type type,
		    const char *path, const char *link)
{
	struct sbx_mount *m;

	for (size_t i = 0; i < pl->nmounts; i++)
		if (!strcmp(pl->mounts[i].path, path))
			return 0;
	m = realloc(pl->mounts, (pl->nmounts + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	pl->mounts = m;
	m += pl->nmounts;
	m->type = type;
	m->path = strdup(path);
	m->link = link ? strdup(link) : NULL;
	if (!m->path || (link && !m->link)) {
		free(m->path);
		free(m->link);
		return -ENOMEM;
	}
	pl->nmounts++;
	return 0;
}

/* Adds `path` (and, for a symlink, its canonical target). Missing
 * optional paths are skipped: base.yaml lists /lib64 and friends, which
 * not every host has. */
static int plan_path(struct sbx_plan *pl, const char *path, bool device,
		     bool required, struct sandbox_error *e)
{
	char real[PATH_MAX], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	if (lstat(path, &st) < 0 || !realpath(path, real)) {
		if (errno == ENOENT && !required)
			return 0;
		return sbx_fail(e, NULL, 0, errno, "sandbox: cannot expose %s: "
				"%s", path, strerror(errno));
	}
	if (S_ISLNK(st.st_mode) && strcmp(path, real)) {
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			return sbx_fail(e, NULL, 0, EINVAL, "sandbox: cannot read "
					"link %s", path);
		link[n] = '\0';
		if ((r = plan_add(pl, SBX_M_LINK, path, link)) < 0)
			return r;
		if (stat(real, &st) < 0)
			return sbx_fail(e, NULL, 0, errno, "sandbox: %s", real);
	}
	if (device && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return sbx_fail(e, NULL, 0, EINVAL, "sandbox: device %s is not a "
				"device node", path);
	if (!device && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return sbx_fail(e, NULL, 0, EINVAL, "sandbox: %s is neither a "
				"directory nor a regular file", path);
	return plan_add(pl, device ? SBX_M_DEV : S_ISDIR(st.st_mode) ?
			SBX_M_DIR : SBX_M_FILE, real, NULL);
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || dir[n - 1] == '/');
}

static int cmp_mount(const void *a, const void *b)
{
	return strcmp(((const struct sbx_mount *)a)->path,
		      ((const struct sbx_mount *)b)->path);
}

/* Parents before children; anything inside an exposed directory is
 * already visible and dropped (a bind on a read-only bind would fail). */
static void plan_prune(struct sbx_plan *pl)
{
	size_t out = 0;

	qsort(pl->mounts, pl->nmounts, sizeof(*pl->mounts), cmp_mount);
	for (size_t i = 0; i < pl->nmounts; i++) {
		bool covered = false;

		for (size_t j = 0; j < out && !covered; j++)
			covered = pl->mounts[j].type == SBX_M_DIR &&
				  under(pl->mounts[i].path, pl->mounts[j].path);
		if (covered) {
			free(pl->mounts[i].path);
			free(pl->mounts[i].link);
			continue;
		}
		pl->mounts[out++] = pl->mounts[i];
	}
	pl->nmounts = out;
}

int sbx_mounts_plan(struct sbx_plan *pl, struct sandbox_error *e)
{
	const struct sandbox_profile *p = pl->p;
	char dir[PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < p->npaths && r >= 0; i++)
		r = plan_path(pl, p->paths[i], false, false, e);
	for (size_t i = 0; i < pl->a->npaths && r >= 0; i++)
		r = plan_path(pl, pl->a->paths[i], false, true, e);
	for (size_t i = 0; i < p->ndevices && r >= 0; i++)
		r = plan_path(pl, p->devices[i], true, true, e);
	if (r < 0)
		return r;
	/* Uninstalled programs find the project's libraries through
	 * $ORIGIN/../bus rpaths: expose the build tree they run from. */
	if (!strncmp(pl->a->binary, ATOLL_BUILD_ROOT "/",
		     strlen(ATOLL_BUILD_ROOT) + 1) &&
	    (r = plan_path(pl, ATOLL_BUILD_ROOT, false, true, e)) < 0)
		return r;
	/* The binary's own directory: $ORIGIN rpaths point there. */
	if (!realpath(pl->a->binary, dir))
		return sbx_fail(e, NULL, 0, errno, "sandbox: %s: %s",
				pl->a->binary, strerror(errno));
	*strrchr(dir, '/') = '\0';
	if ((r = plan_path(pl, dir[0] ? dir : "/", false, true, e)) < 0)
		return r;
	plan_prune(pl);
	return 0;
}

void sbx_mounts_free(struct sbx_plan *pl)
{
	for (size_t i = 0; i < pl->nmounts; i++) {
		free(pl->mounts[i].path);
		free(pl->mounts[i].link);
	}
	free(pl->mounts);
	pl->mounts = NULL;
	pl->nmounts = 0;
}

/* ---- child side: system calls only, no allocation ---- */


static int mkdir_p(char *path, char *what, size_t len)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir(path, 0755);
		*s = '/';
		SBX_STEP(r < 0 && errno != EEXIST ? -1 : 0, "mkdir %s", path);
	}
	SBX_STEP(mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0, "mkdir %s",
	    path);
	return 0;
}

/* Flags the kernel locks on a mount seen from a user namespace must be
 * kept on remount, or the remount fails with EPERM. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int bind_one(const struct sbx_mount *m, char *what, size_t len)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 16];
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID;
	int fd;

	snprintf(src, sizeof(src), OLDROOT "%s", m->path);
	snprintf(dst, sizeof(dst), NEWROOT "%s", m->path);
	if (m->type == SBX_M_DIR) {
		if (mkdir_p(dst, what, len) < 0)
			return -1;
	} else {
		char *slash = strrchr(dst, '/');

		*slash = '\0';
		if (mkdir_p(dst, what, len) < 0)
			return -1;
		*slash = '/';
		if (m->type == SBX_M_LINK) {
			SBX_STEP(symlink(m->link, dst), "symlink %s", m->path);
			return 0;
		}
		fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		SBX_STEP(fd, "create mount point %s", m->path);
		close(fd);
	}
	/* Not MS_REC: mounts below an exposed path stay hidden. */
	SBX_STEP(mount(src, dst, NULL, MS_BIND, NULL), "bind %s", m->path);
	/* Not MS_NOEXEC: the loader maps libraries executable from here. */
	if (m->type != SBX_M_DEV)
		flags |= MS_NODEV;
	SBX_STEP(mount(NULL, dst, NULL, flags | locked_flags(dst), NULL),
	    "remount %s read-only", m->path);
	return 0;
}

/* Stage 1: a scratch tmpfs with the host root under /oldroot and the new
 * root under /newroot; stage 2: pivot into /newroot, detach the rest. */
int sbx_child_root(const struct sbx_plan *pl, char *what, size_t len)
{
	SBX_STEP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
	    "make / private");
	SBX_STEP(mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0700,size=64k"), "mount staging tmpfs on " STAGE);
	SBX_STEP(mkdir(STAGE NEWROOT, 0755), "mkdir newroot");
	SBX_STEP(mkdir(STAGE OLDROOT, 0755), "mkdir oldroot");
	SBX_STEP(mount("tmpfs", STAGE NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=256k"), "mount root tmpfs");
	SBX_STEP(syscall(SYS_pivot_root, STAGE, STAGE OLDROOT), "pivot_root 1");
	SBX_STEP(chdir("/"), "chdir /");
	for (size_t i = 0; i < pl->nmounts; i++)
		if (bind_one(&pl->mounts[i], what, len) < 0)
			return -1;
	if (pl->p->proc) {
		SBX_STEP(mkdir(NEWROOT "/proc", 0555), "mkdir /proc");
		SBX_STEP(mount("proc", NEWROOT "/proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount proc");
	}
	SBX_STEP(chdir(NEWROOT), "chdir newroot");
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then removes it with everything below it. */
	SBX_STEP(syscall(SYS_pivot_root, ".", "."), "pivot_root 2");
	SBX_STEP(umount2(".", MNT_DETACH), "detach the host root");
	SBX_STEP(chdir("/"), "chdir /");
	SBX_STEP(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		  MS_NOSUID | MS_NODEV, NULL), "remount / read-only");
	return 0;
}
