/* SPDX-License-Identifier: MIT */
#include "unix-listen.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A socket file nobody listens on is left by a dead server: remove it. A
 * live one, or something that is not a socket, is not ours to take. */
static int take_path(const struct sockaddr_un *a)
{
	struct stat st;
	int probe, rc;

	if (lstat(a->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	rc = connect(probe, (const struct sockaddr *)a, sizeof(*a));
	rc = rc == 0 ? -EADDRINUSE : errno == ECONNREFUSED ? 0 : -errno;
	close(probe);
	if (rc == 0 && unlink(a->sun_path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

int unix_listen(const char *path, int backlog, struct unix_listen_id *id)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (!*path || strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((rc = take_path(&a)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* bind creates the file 0777 & ~umask and fchmod before bind has no
	 * effect, so the umask makes it 0600 from the start. umask is per
	 * process: the launcher binds from its single thread. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (lstat(path, &st) < 0 || listen(fd, backlog) < 0) {
		rc = -errno;
		close(fd);
		unlink(path);
		return rc;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return fd;
}

const char *unix_listen_strerror(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return "a running server listens there (refusing to take it over)";
	case -EEXIST:
		return "something that is not a socket is there (refusing to remove it)";
	case -ENAMETOOLONG:
		return "the path is empty or longer than a unix socket allows (107 bytes)";
	default:
		return strerror(-err);
	}
}

void unix_listen_remove(const char *path, const struct unix_listen_id *id)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == id->dev && st.st_ino == id->ino)
		unlink(path);
}
