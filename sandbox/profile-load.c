/* SPDX-License-Identifier: MIT */
/* Finding and reading profile files: <dir>/base.yaml + <dir>/<kind>.yaml. */
#include "sandbox-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atoll-config.h"

/* Profiles are small; anything bigger is not a profile. */
#define PROFILE_MAX_BYTES (256 * 1024)

static bool running_from_build_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len = strlen(ATOLL_BUILD_ROOT);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	return !strncmp(exe, ATOLL_BUILD_ROOT, len) && exe[len] == '/';
}

int sandbox_profile_dir(char *buf, size_t size)
{
	const char *env = getenv("ATOLL_PROFILE_DIR");
	int n;

	if (env && env[0])
		n = snprintf(buf, size, "%s", env);
	else if (running_from_build_tree())
		n = snprintf(buf, size, "%s/sandbox/profiles", ATOLL_BUILD_ROOT);
	else
		n = snprintf(buf, size, "%s", SANDBOX_PROFILE_INSTALL_DIR);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int read_file(const char *path, char **out, size_t *len,
		     struct sandbox_error *e)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = errno;
		if (fd >= 0)
			close(fd);
		return sbx_fail(e, path, 0, r, "cannot read profile: %s",
				strerror(r));
	}
	r = -EFBIG;
	if (!S_ISREG(st.st_mode) || st.st_size > PROFILE_MAX_BYTES) {
		sbx_fail(e, path, 0, EFBIG, "not a regular file of at most "
			 "%d bytes", PROFILE_MAX_BYTES);
		goto out;
	}
	r = -ENOMEM;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		r = sbx_fail(e, path, 0, n < 0 ? errno : EIO, "short read");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

static int load_one(const char *path, const struct sandbox_profile *base,
		    struct sandbox_profile **out, struct sandbox_error *e)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len, e);

	if (r == 0)
		r = sandbox_profile_parse(path, text, len, base, out, e);
	free(text);
	return r;
}

static bool valid_kind(const char *kind)
{
	if (!kind[0] || strlen(kind) > 64 || !strcmp(kind, "base"))
		return false;
	for (const char *s = kind; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

int sandbox_profile_load(const char *dir, const char *kind,
			 struct sandbox_profile **out, struct sandbox_error *e)
{
	struct sandbox_profile *base = NULL;
	char dbuf[PATH_MAX], path[PATH_MAX + 80];
	int r;

	*out = NULL;
	if (e)
		memset(e, 0, sizeof(*e));
	if (!valid_kind(kind))
		return sbx_fail(e, NULL, 0, EINVAL, "invalid process kind '%s' "
				"for a sandbox profile", kind);
	if (!dir) {
		if ((r = sandbox_profile_dir(dbuf, sizeof(dbuf))) < 0)
			return sbx_fail(e, NULL, 0, -r, "profile dir too long");
		dir = dbuf;
	}
	snprintf(path, sizeof(path), "%s/base.yaml", dir);
	if ((r = load_one(path, NULL, &base, e)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, kind);
	r = load_one(path, base, out, e);
	if (r == 0 && strcmp((*out)->kind, kind)) {
		r = sbx_fail(e, path, 0, EINVAL, "kind: is '%s', expected '%s'",
			     (*out)->kind, kind);
		sandbox_profile_free(*out);
		*out = NULL;
	}
	sandbox_profile_free(base);
	return r;
}
