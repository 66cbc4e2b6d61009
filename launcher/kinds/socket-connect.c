/* SPDX-License-Identifier: MIT */
#include "socket-connect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "manifest-internal.h"

/* A peer restarting is waited for this long, in steps, before the start
 * fails. */
#define CONNECT_WAIT_MS 2000
#define CONNECT_STEP_MS 50

/* Connects through the O_PATH fd of the socket: the inode the file rule
 * found, whatever happens to the path meanwhile. */
static int connect_opath(int opath)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d", opath);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static bool transient(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED || err == -EAGAIN;
}

int kind_connect_socket(const struct vm_config *cfg, const char *path,
			char *why, size_t whysz)
{
	struct mx_file_rule rule = { .dirs = cfg->file_dirs,
				     .ndirs = cfg->nfile_dirs, .socket = true };
	int fd = -ENOENT;

	for (int waited = 0; waited <= CONNECT_WAIT_MS;
	     waited += CONNECT_STEP_MS) {
		int opath = mx_open_file(&rule, path, O_PATH, NULL, why, whysz);

		if (opath >= 0) {
			fd = connect_opath(opath);
			close(opath);
			if (fd < 0)
				snprintf(why, whysz, "connect to \"%s\": %s",
					 path, strerror(-fd));
		} else {
			fd = opath;
		}
		if (fd >= 0 || !transient(fd))
			return fd;
		poll(NULL, 0, CONNECT_STEP_MS);
	}
	return fd;
}
