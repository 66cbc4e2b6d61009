/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int blob_read_fd(int fd, uint64_t max, struct blob *out)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			if (cap > max) {
				r = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (r == 0 && len > max)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	out->data = buf;
	out->len = len;
	return 0;
}

int blob_read_path(const char *path, uint64_t max, struct blob *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = blob_read_fd(fd, max, out);
	close(fd);
	return r;
}

void blob_free(struct blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
