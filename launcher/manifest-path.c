/* SPDX-License-Identifier: MIT */
/* Paths in the manifest: resolved against its directory, checked, made
 * absolute. A binary (allowed by the operator) is checked with stat() and
 * access() only; every other file is opened by the rule of
 * manifest-file.c, which never opens anything but a regular file or an
 * allowed block device. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

#include "manifest-internal.h"

char *mx_resolve(const char *dir, const char *path)
{
	char *out;

	size_t n = strlen(dir);

	if (path[0] == '/')
		return strdup(path);
	/* dir is "/" for a manifest in the root directory */
	if (asprintf(&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
		     path) < 0)
		return NULL;
	return out;
}

static int check_exec(struct mctx *c, const struct mval *v, const char *abs)
{
	struct stat st;

	if (stat(abs, &st) < 0)
		return mx_fail(c, v->pos, v->field, "\"%s\": %s", abs,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mx_fail(c, v->pos, v->field, "\"%s\" is not an "
			       "executable regular file", abs);
	if (faccessat(AT_FDCWD, abs, X_OK, AT_EACCESS) < 0)
		return mx_fail(c, v->pos, v->field, "\"%s\" is not "
			       "executable: %s", abs, strerror(errno));
	return 0;
}

/* An executable: stored canonical (realpath). */
static int exec_path(struct mctx *c, const struct mval *v, const char *abs,
		     char **out)
{
	int r = check_exec(c, v, abs);

	if (r < 0)
		return r;
	*out = realpath(abs, NULL);
	if (!*out)
		return mx_fail(c, v->pos, v->field, "\"%s\": %s", abs,
			       strerror(errno));
	return 0;
}

/* Any other file: opened once by the rule the launcher opens it with. */
static int data_path(struct mctx *c, const struct mval *v, const char *abs,
		     enum mx_file kind, char **out)
{
	struct mx_file_rule rule = {
		.dirs = c->file_dirs, .ndirs = c->nfile_dirs,
		.disk = kind == MX_FILE_DISK_RO || kind == MX_FILE_DISK_RW,
		.block_ok = c->policy.allow_block_device,
		.socket = kind == MX_FILE_SOCKET,
	};
	bool rw = kind == MX_FILE_DISK_RW || kind == MX_FILE_RW;
	char why[sizeof(c->err->message)];
	int fd = mx_open_file(&rule, abs, rule.socket ? O_PATH :
			      rw ? O_RDWR : O_RDONLY, out, why, sizeof(why));

	if (fd == -ENOMEM)
		return fd;
	if (fd < 0)
		return mx_fail(c, v->pos, v->field, "%s", why);
	close(fd);
	return 0;
}

/* A path that must exist: stored with its folder canonical. */
int mx_existing_path(struct mctx *c, const struct mval *v, enum mx_file kind,
		     char **out)
{
	char *s, *abs = NULL;
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	if (!*s) {
		r = mx_fail(c, v->pos, v->field, "expected a path, got an "
			    "empty string");
		goto out;
	}
	abs = mx_resolve(c->dir, s);
	if (!abs)
		r = -ENOMEM;
	else if (kind == MX_FILE_EXEC)
		r = exec_path(c, v, abs, out);
	else
		r = data_path(c, v, abs, kind, out);
out:
	free(abs);
	free(s);
	return r;
}

int mx_binary(struct mctx *c, const struct mval *v, char **out)
{
	int r = mx_granted(c, v->key_pos, v->field, c->policy.allow_binary,
			   "a binary override: the manifest would choose the "
			   "program that runs", "binary");

	return r < 0 ? r : mx_existing_path(c, v, MX_FILE_EXEC, out);
}

/* Beneath a --device-dir: opened by the file rule (openat2, regular file),
 * then executable. -EPERM when outside every one of them. */
static int program_beneath(struct mctx *c, const struct mval *v,
			   const char *abs, char **out)
{
	struct mx_file_rule rule = { .dirs = c->device_dirs,
				     .ndirs = c->ndevice_dirs };
	char why[sizeof(c->err->message)];
	char *canon = NULL;
	int fd = mx_open_file(&rule, abs, O_RDONLY, &canon, why, sizeof(why));

	if (fd == -EPERM || fd == -ENOMEM)
		return fd;
	if (fd < 0)
		return mx_fail(c, v->pos, v->field, "%s", why);
	close(fd);
	fd = check_exec(c, v, canon);
	if (fd < 0)
		free(canon);
	else
		*out = canon;
	return fd;
}

int mx_program(struct mctx *c, const struct mval *v, char **out,
	       bool *beneath)
{
	char *s, *abs = NULL;
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	*beneath = false;
	if (!*s) {
		r = mx_fail(c, v->pos, v->field, "expected a path, got an "
			    "empty string");
		goto out;
	}
	if (!(abs = mx_resolve(c->dir, s))) {
		r = -ENOMEM;
		goto out;
	}
	r = c->ndevice_dirs ? program_beneath(c, v, abs, out) : -EPERM;
	if (r == 0)
		*beneath = true;
	else if (r == -EPERM && c->policy.allow_binary)
		r = exec_path(c, v, abs, out);
	else if (r == -EPERM)
		r = mx_fail(c, v->pos, v->field, "\"%s\" is not beneath a "
			    "--device-dir: running a device program is the "
			    "operator's decision (allow with --device-dir DIR "
			    "or --allow-binary)", abs);
out:
	free(abs);
	free(s);
	return r;
}

/* A socket the launcher will create: absolute, short enough for
 * sockaddr_un, in a directory that exists. */
int mx_socket_path(struct mctx *c, const struct mval *v, const char *text,
		   char **out)
{
	struct sockaddr_un sun;
	struct stat st;
	char *abs, *slash;
	int r = 0;

	if (!*text)
		return mx_fail(c, v->pos, v->field, "expected a socket path, "
			       "got an empty string");
	abs = mx_resolve(c->dir, text);
	if (!abs)
		return -ENOMEM;
	if (strlen(abs) >= sizeof(sun.sun_path)) {
		r = mx_fail(c, v->pos, v->field, "socket path \"%s\" is longer "
			    "than %zu bytes", abs, sizeof(sun.sun_path) - 1);
		goto fail;
	}
	slash = strrchr(abs, '/');
	if (!slash[1]) {
		r = mx_fail(c, v->pos, v->field, "socket path \"%s\" names a "
			    "directory", abs);
		goto fail;
	}
	*slash = '\0';
	if (stat(*abs ? abs : "/", &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = mx_fail(c, v->pos, v->field, "directory \"%s\" of the "
			    "socket does not exist", *abs ? abs : "/");
		goto fail;
	}
	*slash = '/';
	*out = abs;
	return 0;
fail:
	free(abs);
	return r;
}
