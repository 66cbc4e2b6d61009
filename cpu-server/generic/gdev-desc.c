/* SPDX-License-Identifier: MIT */
#include "gdev-desc.h"

#include <errno.h>
#include <string.h>

static const char *const reserved_props[] = {
	"compatible", "reg", "interrupts", "interrupt-parent",
	"interrupts-extended", "phandle", "linux,phandle", "status", "name",
};

/* Printable ASCII without quotes or backslashes: it goes into logs and
 * the device tree as is. */
static bool printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* Devicetree spec 2.2.4.1: property names are 1..31 of [0-9a-zA-Z,._+?#-]. */
static bool prop_name_ok(const char *s)
{
	size_t n = strnlen(s, GDEV_PROP_NAME_MAX + 1);

	if (n == 0 || n > GDEV_PROP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || strchr(",._+?#-", s[i])))
			return false;
	for (size_t i = 0; i < sizeof(reserved_props) / sizeof(*reserved_props);
	     i++)
		if (!strcmp(s, reserved_props[i]))
			return false;
	return true;
}

static const char *regions(const Atoll__GenericDesc *g, struct gdev_desc *d)
{
	bool pci = d->bus == GDEV_BUS_PCI;
	uint32_t max_index = pci ? GDEV_PCI_BARS : GDEV_MAX_REGIONS;
	uint64_t max_size = pci ? GDEV_PCI_REGION_MAX : GDEV_PLATFORM_REGION_MAX;

	if (g->n_regions > GDEV_MAX_REGIONS || (!pci && g->n_regions == 0))
		return pci ? "more than 6 regions"
			   : "a platform device needs 1..8 regions";
	for (size_t i = 0; i < g->n_regions; i++) {
		const Atoll__RegionDesc *r = g->regions[i];

		if (r->index >= max_index)
			return pci ? "region index is not a BAR (0..5)"
				   : "region index over 7";
		if (!r->mmio)
			return "port I/O regions are not supported";
		if (r->size == 0 || r->size > max_size)
			return pci ? "BAR size not 1 B..256 MiB"
				   : "window size not 1 B..16 MiB";
		if (gdev_desc_region(d, r->index))
			return "two regions with the same index";
		d->region[d->nregions++] =
			(struct gdev_region){ r->index, r->size };
	}
	return NULL;
}

static const char *platform(const Atoll__GenericDesc *g, struct gdev_desc *d)
{
	if (!g->dt_compatible || !printable(g->dt_compatible, GDEV_COMPAT_MAX))
		return "platform device without a printable dt_compatible "
		       "(1..127 characters)";
	strcpy(d->compatible, g->dt_compatible);
	if (g->num_irqs > GDEV_MAX_IRQS)
		return "more than 8 lines";
	if (g->n_dt_props > GDEV_MAX_PROPS)
		return "more than 16 dt_props";
	for (size_t i = 0; i < g->n_dt_props; i++) {
		const Atoll__DtProperty *p = g->dt_props[i];
		struct gdev_prop *o = &d->prop[i];

		if (!p->name || !prop_name_ok(p->name))
			return "dt_props name invalid or reserved";
		if (p->value.len > GDEV_PROP_VALUE_MAX)
			return "dt_props value over 256 bytes";
		for (size_t j = 0; j < i; j++)
			if (!strcmp(d->prop[j].name, p->name))
				return "dt_props names a property twice";
		strcpy(o->name, p->name);
		if (p->value.len)
			memcpy(o->value, p->value.data, p->value.len);
		o->len = p->value.len;
		d->nprops++;
	}
	return NULL;
}

static const char *pci(const Atoll__GenericDesc *g, struct gdev_desc *d)
{
	if (g->vendor_id == 0 || g->vendor_id >= 0xffff ||
	    g->device_id > 0xffff || g->subsystem_vendor_id > 0xffff ||
	    g->subsystem_id > 0xffff || g->revision > 0xff ||
	    g->class_code > 0xffffff)
		return "PCI ids out of range (vendor 1..0xfffe)";
	if (g->num_irqs > 1)
		return "a PCI function has at most one line (INTA#)";
	if (g->n_dt_props || (g->dt_compatible && g->dt_compatible[0]))
		return "device-tree properties on a PCI function";
	d->vendor = (uint16_t)g->vendor_id;
	d->device = (uint16_t)g->device_id;
	d->subsys_vendor = (uint16_t)g->subsystem_vendor_id;
	d->subsys_id = (uint16_t)g->subsystem_id;
	d->revision = (uint8_t)g->revision;
	d->class_code = g->class_code;
	return NULL;
}

int gdev_desc_parse(const Atoll__DeviceDesc *dd, struct gdev_desc *d,
		    const char **why)
{
	const Atoll__GenericDesc *g = dd->generic;
	const char *w;

	memset(d, 0, sizeof(*d));
	if (dd->model != ATOLL__DEVICE_MODEL__MODEL_GENERIC || !g)
		w = "not a generic device";
	else if (g->bus == ATOLL__GENERIC_BUS__BUS_PCI)
		d->bus = GDEV_BUS_PCI, w = pci(g, d);
	else if (g->bus == ATOLL__GENERIC_BUS__BUS_PLATFORM)
		d->bus = GDEV_BUS_PLATFORM, w = platform(g, d);
	else
		w = "unknown bus";
	if (!w)
		w = regions(g, d);
	if (!w)
		d->nirqs = g->num_irqs;
	*why = w;
	return w ? -EPROTO : 0;
}

const struct gdev_region *gdev_desc_region(const struct gdev_desc *d,
					   uint32_t index)
{
	for (unsigned i = 0; i < d->nregions; i++)
		if (d->region[i].index == index)
			return &d->region[i];
	return NULL;
}

bool gdev_desc_same(const struct gdev_desc *a, const struct gdev_desc *b)
{
	if (a->bus != b->bus || a->vendor != b->vendor ||
	    a->device != b->device || a->subsys_vendor != b->subsys_vendor ||
	    a->subsys_id != b->subsys_id || a->revision != b->revision ||
	    a->class_code != b->class_code || a->nregions != b->nregions ||
	    a->nirqs != b->nirqs || strcmp(a->compatible, b->compatible) ||
	    a->nprops != b->nprops)
		return false;
	for (unsigned i = 0; i < a->nregions; i++)
		if (a->region[i].index != b->region[i].index ||
		    a->region[i].size != b->region[i].size)
			return false;
	for (unsigned i = 0; i < a->nprops; i++)
		if (strcmp(a->prop[i].name, b->prop[i].name) ||
		    a->prop[i].len != b->prop[i].len ||
		    memcmp(a->prop[i].value, b->prop[i].value, a->prop[i].len))
			return false;
	return true;
}
