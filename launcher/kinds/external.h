/* SPDX-License-Identifier: MIT */
/* Kind external's settings (device_config.data): the files its manifest
 * entry grants. Its program is device_config.binary. */
#ifndef ATOLL_LAUNCHER_KIND_EXTERNAL_H
#define ATOLL_LAUNCHER_KIND_EXTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#define EXTERNAL_MAX_FILES 8
#define EXTERNAL_FIRST_FD 4    /* after stdout, stderr and the bus (3) */

struct external_file {
	char *name;          /* [a-z0-9][a-z0-9_-]{0,31}, unique */
	char *path;          /* absolute, folder canonical */
	bool rw;             /* mode: rw (else ro) */
};

struct external_config {
	/* The program lies beneath a --device-dir (else --allow-binary let
	 * it be anywhere): checked again by that rule at each launch. */
	bool program_beneath;
	struct external_file files[EXTERNAL_MAX_FILES];
	size_t nfiles;
};

#endif
