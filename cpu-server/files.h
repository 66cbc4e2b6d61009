/* SPDX-License-Identifier: MIT */
/* Whole-file reads for boot payloads, by path or by inherited fd. */
#ifndef ATOLL_CPU_FILES_H
#define ATOLL_CPU_FILES_H

#include <stddef.h>
#include <stdint.h>

struct blob {
	void *data;   /* NULL when absent */
	size_t len;
};

/* Reads all of fd (from its current position) into a malloc'd buffer.
 * A file larger than max is refused with -EFBIG. Does not close fd. */
int blob_read_fd(int fd, uint64_t max, struct blob *out);
int blob_read_path(const char *path, uint64_t max, struct blob *out);
void blob_free(struct blob *b);

#endif
