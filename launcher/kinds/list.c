/* SPDX-License-Identifier: MIT */
/* The table of device kinds, generated from launcher/kinds/meson.build. */
#include <string.h>

#include "kind.h"

#define KIND_ENTRY(k) &k,
const struct device_kind *const device_kinds[] = {
	DEVICE_KINDS(KIND_ENTRY)
	NULL
};

const struct device_kind *device_kind_find(const char *name)
{
	for (size_t i = 0; device_kinds[i]; i++)
		if (!strcmp(device_kinds[i]->name, name))
			return device_kinds[i];
	return NULL;
}
