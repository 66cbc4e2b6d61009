/* SPDX-License-Identifier: MIT */
/* Paths in the manifest: resolved against its directory, checked, made
 * absolute. Checks only stat() and access(): nothing is opened, so a
 * hostile manifest cannot make the launcher touch a device node. */
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

static const char *file_kind_name(enum mx_file kind)
{
	switch (kind) {
	case MX_FILE_EXEC: return "an executable regular file";
	case MX_FILE_DISK_RO:
	case MX_FILE_DISK_RW: return "a regular file or block device";
	case MX_FILE_READ: break;
	}
	return "a regular file";
}

static int check_file(struct mctx *c, const struct mval *v, const char *abs,
		      enum mx_file kind)
{
	static const int modes[] = {
		[MX_FILE_READ] = R_OK, [MX_FILE_EXEC] = X_OK,
		[MX_FILE_DISK_RO] = R_OK, [MX_FILE_DISK_RW] = R_OK | W_OK,
	};
	struct stat st;
	bool disk = kind == MX_FILE_DISK_RO || kind == MX_FILE_DISK_RW;

	if (stat(abs, &st) < 0)
		return mx_fail(c, v->pos, v->field, "\"%s\": %s", abs,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) && !(disk && S_ISBLK(st.st_mode)))
		return mx_fail(c, v->pos, v->field, "\"%s\" is not %s", abs,
			       file_kind_name(kind));
	if (faccessat(AT_FDCWD, abs, modes[kind], AT_EACCESS) < 0)
		return mx_fail(c, v->pos, v->field, "\"%s\" is not %s: %s",
			       abs, kind == MX_FILE_EXEC ? "executable" :
			       kind == MX_FILE_DISK_RW ? "readable and writable"
			       : "readable", strerror(errno));
	return 0;
}

/* A path that must exist: stored canonical (realpath). */
int mx_existing_path(struct mctx *c, const struct mval *v, enum mx_file kind,
		     char **out)
{
	char *s, *abs = NULL, *real = NULL;
	int r = mx_string(c, v, &s);

	if (r < 0)
		return r;
	if (!*s) {
		r = mx_fail(c, v->pos, v->field, "expected a path, got an "
			    "empty string");
		goto out;
	}
	abs = mx_resolve(c->dir, s);
	r = abs ? check_file(c, v, abs, kind) : -ENOMEM;
	if (r < 0)
		goto out;
	real = realpath(abs, NULL);
	if (!real) {
		r = mx_fail(c, v->pos, v->field, "\"%s\": %s", abs,
			    strerror(errno));
		goto out;
	}
	*out = real;
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
