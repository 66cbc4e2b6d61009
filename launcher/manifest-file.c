/* SPDX-License-Identifier: MIT */
/* Files a manifest names (kernel, initrd, firmware, disks) must lie beneath
 * a directory the operator allows: the manifest's own and each
 * --image-dir. The walk from that directory is the kernel's (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so no "..", absolute symlink,
 * /proc magic link or component swapped in meanwhile leads out of it.
 * Only a regular file, or a disk's block device with --allow-block-device,
 * is opened for real: the type is checked on an O_PATH descriptor first,
 * and the real open must give the same inode. A unix socket (kind
 * vhost-user's back-end, rule->socket) is returned as that O_PATH
 * descriptor, for the caller to connect through. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "manifest-internal.h"

static int openat2_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* "/a, /b" into buf, cut short with "..." if it does not fit. */
static void dir_list(const struct mx_file_rule *rule, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rule->ndirs && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
				 rule->dirs[i]);
		if (n < 0 || (size_t)n >= size - used) {
			snprintf(buf + (size > 4 ? size - 4 : 0),
				 size > 4 ? 4 : size, "...");
			return;
		}
		used += (size_t)n;
	}
}

/* Which allowed directory the folder of `path` (absolute) is beneath once
 * canonical, and the rest: *rel is relative to rule->dirs[*root], *canon
 * the canonical folder plus the last component. */
static int locate(const struct mx_file_rule *rule, const char *path,
		  size_t *root, char **rel, char **canon, char *why,
		  size_t whysz)
{
	char *folder = strdup(path), *slash, *real = NULL, list[256];
	const char *base;
	int r = -EPERM;

	if (!folder)
		return -ENOMEM;
	slash = strrchr(folder, '/');
	base = path + (slash - folder) + 1;
	*slash = '\0';
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(why, whysz, "\"%s\" names a directory, not a file",
			 path);
		r = -EISDIR;
		goto out;
	}
	real = realpath(*folder ? folder : "/", NULL);
	if (!real) {
		r = -errno;
		snprintf(why, whysz, "\"%s\": %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < rule->ndirs && r == -EPERM; i++) {
		const char *d = rule->dirs[i], *rest;
		size_t n = strlen(d);

		if (strncmp(real, d, n) ||
		    (real[n] && real[n] != '/' && strcmp(d, "/")))
			continue;
		rest = real + n + (real[n] == '/');
		*root = i;
		if (asprintf(rel, "%s%s%s", rest, *rest ? "/" : "", base) < 0 ||
		    asprintf(canon, "%s%s%s", real, strcmp(real, "/") ? "/" :
			     "", base) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = 0;
	}
	if (r == -EPERM) {
		dir_list(rule, list, sizeof(list));
		snprintf(why, whysz, "\"%s\" is outside the directories a "
			 "manifest may name files in (%s) (allow with "
			 "--image-dir DIR)", path, list);
	}
out:
	free(real);
	free(folder);
	return r;
}

static const char *access_words(int flags)
{
	return (flags & O_ACCMODE) == O_RDWR ? "readable and writable" :
	       (flags & O_ACCMODE) == O_WRONLY ? "writable" : "readable";
}

static int open_error(int r, const char *path, const char *dir, int flags,
		      char *why, size_t whysz)
{
	if (r == -EXDEV)
		snprintf(why, whysz, "\"%s\" leads out of %s through a symlink "
			 "or \"..\"", path, dir);
	else if (r == -ELOOP)
		snprintf(why, whysz, "\"%s\": too many symlinks, or a /proc "
			 "magic link", path);
	else if (r == -ENOSYS)
		snprintf(why, whysz, "\"%s\": openat2 is not available; Linux "
			 "5.6 or later is needed", path);
	else if (r == -EACCES || r == -EPERM || r == -EROFS)
		snprintf(why, whysz, "\"%s\" is not %s: %s", path,
			 access_words(flags), strerror(-r));
	else
		snprintf(why, whysz, "\"%s\": %s", path, strerror(-r));
	return r;
}

static int check_type(const struct mx_file_rule *rule, const struct stat *st,
		      const char *path, char *why, size_t whysz)
{
	if (rule->socket) {
		if (S_ISSOCK(st->st_mode))
			return 0;
		snprintf(why, whysz, "\"%s\" is not a unix socket", path);
		return -ENOTSOCK;
	}
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISBLK(st->st_mode) && rule->disk) {
		if (rule->block_ok)
			return 0;
		snprintf(why, whysz, "\"%s\" is a block device (allow with "
			 "--allow-block-device)", path);
		return -EPERM;
	}
	snprintf(why, whysz, "\"%s\" is not a regular file%s", path,
		 rule->disk && rule->block_ok ? " or block device" : "");
	return -EINVAL;
}

/* The type is checked before the real open, which for a fifo or a device
 * node could block or act; the real open must then find the same inode. */
static int open_beneath(const struct mx_file_rule *rule, int dirfd,
			const char *rel, const char *path, int flags,
			char *why, size_t whysz)
{
	struct stat st, st2;
	int pfd, fd, fl;

	pfd = openat2_beneath(dirfd, rel, O_PATH);
	if (pfd < 0)
		return open_error(pfd, path, rule->dirs[0], flags, why, whysz);
	fd = fstat(pfd, &st) < 0 ? -errno : 0;
	if (fd == 0 && rule->socket) {
		/* The O_PATH fd is the socket: the caller connects through
		 * it (/proc/self/fd/N), so no other inode can be reached. */
		if ((fd = check_type(rule, &st, path, why, whysz)) < 0) {
			close(pfd);
			return fd;
		}
		return pfd;
	}
	close(pfd);
	if (fd < 0)
		return open_error(fd, path, rule->dirs[0], flags, why, whysz);
	if ((fd = check_type(rule, &st, path, why, whysz)) < 0)
		return fd;
	fd = openat2_beneath(dirfd, rel, flags | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return open_error(fd, path, rule->dirs[0], flags, why, whysz);
	if (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev ||
	    st2.st_ino != st.st_ino) {
		close(fd);
		snprintf(why, whysz, "\"%s\" changed while it was opened",
			 path);
		return -EAGAIN;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		close(fd);
		return open_error(-errno, path, rule->dirs[0], flags, why,
				  whysz);
	}
	return fd;
}

int mx_open_file(const struct mx_file_rule *rule, const char *path,
		 int flags, char **canon, char *why, size_t whysz)
{
	char *rel = NULL, *name = NULL;
	size_t root = 0;
	int dirfd, r;

	if (path[0] != '/') {
		snprintf(why, whysz, "\"%s\" is not an absolute path", path);
		return -EINVAL;
	}
	r = locate(rule, path, &root, &rel, &name, why, whysz);
	if (r < 0)
		goto out;
	dirfd = open(rule->dirs[root], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = -errno;
		snprintf(why, whysz, "directory \"%s\": %s", rule->dirs[root],
			 strerror(errno));
		goto out;
	}
	{
		struct mx_file_rule one = *rule;

		one.dirs = &rule->dirs[root];   /* named in messages */
		r = open_beneath(&one, dirfd, rel, path, flags, why, whysz);
	}
	close(dirfd);
	if (r >= 0 && canon) {
		*canon = name;
		name = NULL;
	}
out:
	if (r == -ENOMEM)
		snprintf(why, whysz, "out of memory");
	free(name);
	free(rel);
	return r;
}

int manifest_open_file(const struct vm_config *cfg, const char *path,
		       int flags, bool disk, char *why, size_t whysz)
{
	struct mx_file_rule rule = {
		.dirs = cfg->file_dirs, .ndirs = cfg->nfile_dirs,
		.disk = disk, .block_ok = disk && cfg->block_devices,
	};

	return mx_open_file(&rule, path, flags, NULL, why, whysz);
}

/* `first` (already canonical; may be NULL) then each of `more`, made
 * canonical and checked to be directories. */
static int canonical_dirs(const char *first, const char *const *more,
			  size_t nmore, const char *flag, char ***out,
			  size_t *n, char *why, size_t whysz)
{
	size_t k = first ? 1 : 0;
	char **dirs = calloc(nmore + k + 1, sizeof(*dirs));
	struct stat st;
	int r = 0;

	if (!dirs || (first && !(dirs[0] = strdup(first))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < nmore; i++) {
		dirs[i + k] = realpath(more[i], NULL);
		if (!dirs[i + k] || stat(dirs[i + k], &st) < 0) {
			r = -errno;
			snprintf(why, whysz, "%s \"%s\": %s", flag, more[i],
				 strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			r = -ENOTDIR;
			snprintf(why, whysz, "%s \"%s\": not a directory",
				 flag, more[i]);
		}
	}
	if (r == -ENOMEM)
		snprintf(why, whysz, "out of memory");
	if (r < 0) {
		mx_free_dirs(dirs);
		return r;
	}
	*out = dirs;
	*n = nmore + k;
	return 0;
}

/* The canonical, existing directories files may lie beneath: `dir` (the
 * manifest's, already canonical) and each --image-dir. */
int mx_file_dirs(const char *dir, const struct manifest_policy *policy,
		 char ***out, size_t *n, char *why, size_t whysz)
{
	return canonical_dirs(dir, policy ? policy->image_dirs : NULL,
			      policy ? policy->nimage_dirs : 0, "--image-dir",
			      out, n, why, whysz);
}

int mx_device_dirs(const struct manifest_policy *policy, char ***out,
		   size_t *n, char *why, size_t whysz)
{
	return canonical_dirs(NULL, policy ? policy->device_dirs : NULL,
			      policy ? policy->ndevice_dirs : 0,
			      "--device-dir", out, n, why, whysz);
}

void mx_free_dirs(char **dirs)
{
	for (size_t i = 0; dirs && dirs[i]; i++)
		free(dirs[i]);
	free(dirs);
}
