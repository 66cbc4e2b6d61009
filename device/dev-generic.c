/* SPDX-License-Identifier: MIT */
/* The generic model (MODEL_GENERIC): the description, register accesses
 * checked against it, and level interrupt lines. */
#include "dev-internal.h"

#include <errno.h>
#include <string.h>

#define PCI_MAX_BARS 6u

int dev_generic_check(const struct atoll_dev_generic *g)
{
	bool pci = g->bus == ATOLL_DEV_BUS_PCI;

	if (!pci && g->bus != ATOLL_DEV_BUS_PLATFORM)
		return -EINVAL;
	if (!g->regions || !g->num_regions ||
	    g->num_regions > ATOLL_DEV_MAX_REGIONS)
		return -EINVAL;
	if (g->num_irqs > (pci ? 1u : ATOLL_DEV_MAX_IRQS))
		return -EINVAL;
	if (!pci && (!g->dt_compatible || !*g->dt_compatible))
		return -EINVAL;
	if (g->num_dt_props > ATOLL_DEV_MAX_DT_PROPS ||
	    (g->num_dt_props && !g->dt_props))
		return -EINVAL;
	for (unsigned i = 0; i < g->num_dt_props; i++)
		if (!g->dt_props[i].name || !*g->dt_props[i].name ||
		    (g->dt_props[i].len && !g->dt_props[i].value))
			return -EINVAL;
	for (unsigned i = 0; i < g->num_regions; i++) {
		const struct atoll_dev_region *r = &g->regions[i];

		if (!r->size || (pci && r->index >= PCI_MAX_BARS) ||
		    (!pci && r->port_io))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (g->regions[j].index == r->index)
				return -EINVAL;
	}
	return 0;
}

static const struct atoll_dev_region *find_region(const atoll_dev *dev,
						  uint32_t index)
{
	for (unsigned i = 0; i < dev->gen.num_regions; i++)
		if (dev->gen.regions[i].index == index)
			return &dev->gen.regions[i];
	return NULL;
}

/* NULL if the access is allowed, else why not. */
static const char *check_access(const struct atoll_dev_region *r,
				uint64_t offset, uint64_t size)
{
	if (!r)
		return "no such region";
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return "access size is not 1, 2, 4 or 8";
	/* size <= r->size - offset cannot overflow, unlike offset + size. */
	if (offset >= r->size || size > r->size - offset)
		return "outside the region";
	return NULL;
}

static int post_level(atoll_dev *dev, unsigned line, bool level)
{
	Atoll__IrqLevel il = ATOLL__IRQ_LEVEL__INIT;

	il.line = line;
	il.level = level;
	return atoll_bus_post(dev->peer, ATOLL__MSG_TYPE__MSG_IRQ_LEVEL,
			      &il.base, NULL, 0);
}

static void reply_desc(atoll_dev *dev, struct atoll_msg *m)
{
	Atoll__RegionDesc rd[ATOLL_DEV_MAX_REGIONS];
	Atoll__RegionDesc *rdp[ATOLL_DEV_MAX_REGIONS];
	Atoll__DtProperty dp[ATOLL_DEV_MAX_DT_PROPS];
	Atoll__DtProperty *dpp[ATOLL_DEV_MAX_DT_PROPS];
	Atoll__GenericDesc g = ATOLL__GENERIC_DESC__INIT;
	Atoll__DeviceDesc desc = ATOLL__DEVICE_DESC__INIT;
	const struct atoll_dev_generic *gen = &dev->gen;

	for (unsigned i = 0; i < gen->num_regions; i++) {
		atoll__region_desc__init(&rd[i]);
		rd[i].index = gen->regions[i].index;
		rd[i].size = gen->regions[i].size;
		rd[i].mmio = !gen->regions[i].port_io;
		rd[i].prefetchable = gen->regions[i].prefetchable;
		rdp[i] = &rd[i];
	}
	for (unsigned i = 0; i < gen->num_dt_props; i++) {
		atoll__dt_property__init(&dp[i]);
		dp[i].name = (char *)gen->dt_props[i].name;
		dp[i].value.data = (uint8_t *)gen->dt_props[i].value;
		dp[i].value.len = gen->dt_props[i].len;
		dpp[i] = &dp[i];
	}
	g.bus = gen->bus == ATOLL_DEV_BUS_PCI ? ATOLL__GENERIC_BUS__BUS_PCI
					      : ATOLL__GENERIC_BUS__BUS_PLATFORM;
	g.vendor_id = gen->vendor_id;
	g.device_id = gen->device_id;
	g.subsystem_vendor_id = gen->subsystem_vendor_id;
	g.subsystem_id = gen->subsystem_id;
	g.revision = gen->revision;
	g.class_code = gen->class_code;
	g.n_regions = gen->num_regions;
	g.regions = rdp;
	g.num_irqs = gen->num_irqs;
	g.dt_compatible = (char *)(gen->dt_compatible ? gen->dt_compatible : "");
	g.n_dt_props = gen->num_dt_props;
	g.dt_props = gen->num_dt_props ? dpp : NULL;
	desc.model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	desc.generic = &g;
	if (atoll_bus_reply(dev->peer, m, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
			    &desc.base, NULL, 0) < 0)
		return;
	/* A new front-end starts with every line low: tell it which are
	 * not. */
	dev->described = true;
	for (unsigned i = 0; i < gen->num_irqs; i++)
		if (dev->irq_levels & (1u << i))
			post_level(dev, i, true);
}

static void region_read(atoll_dev *dev, struct atoll_msg *m)
{
	const Atoll__RegionRead *rr = (const Atoll__RegionRead *)m->body;
	const struct atoll_dev_region *r = find_region(dev, rr->region);
	const char *why = check_access(r, rr->offset, rr->size);
	Atoll__RegionData rd = ATOLL__REGION_DATA__INIT;
	uint8_t buf[8];
	uint64_t v;

	if (why) {
		dev_log(dev, ATOLL_LOG_WARN, "region %u read %u at %#llx: %s",
			rr->region, rr->size, (unsigned long long)rr->offset, why);
		atoll_bus_reply_error(dev->peer, m, EINVAL, "%s", why);
		return;
	}
	v = r->read ? r->read(dev->cfg.opaque, r->index, rr->offset, rr->size)
		    : 0;
	for (unsigned i = 0; i < rr->size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	rd.data.data = buf;
	rd.data.len = rr->size;
	/* Lines the callback changed were posted before this answer. */
	atoll_bus_reply(dev->peer, m, ATOLL__MSG_TYPE__MSG_REGION_DATA,
			&rd.base, NULL, 0);
}

static void region_write(atoll_dev *dev, struct atoll_msg *m)
{
	const Atoll__RegionWrite *rw = (const Atoll__RegionWrite *)m->body;
	const struct atoll_dev_region *r = find_region(dev, rw->region);
	const char *why = check_access(r, rw->offset, rw->data.len);
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	uint64_t v = 0;

	if (why) {
		dev_log(dev, ATOLL_LOG_WARN, "region %u write %zu at %#llx: %s",
			rw->region, rw->data.len,
			(unsigned long long)rw->offset, why);
		if (request)
			atoll_bus_reply_error(dev->peer, m, EINVAL, "%s", why);
		return;
	}
	for (size_t i = 0; i < rw->data.len; i++)
		v |= (uint64_t)rw->data.data[i] << (8 * i);
	if (r->write)
		r->write(dev->cfg.opaque, r->index, rw->offset,
			 (unsigned)rw->data.len, v);
	if (request && dev->peer)
		atoll_bus_reply_ack(dev->peer, m);
}

static void region_placed(atoll_dev *dev, struct atoll_msg *m)
{
	const Atoll__RegionPlaced *p = (const Atoll__RegionPlaced *)m->body;
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;

	if (!find_region(dev, p->region)) {
		dev_log(dev, ATOLL_LOG_WARN, "REGION_PLACED for region %u, "
			"which this device does not have", p->region);
		if (request)
			atoll_bus_reply_error(dev->peer, m, EINVAL, "no region %u",
					      p->region);
		return;
	}
	if (dev->gen.placed)
		dev->gen.placed(dev->cfg.opaque, p->region, p->address);
	if (request && dev->peer)
		atoll_bus_reply_ack(dev->peer, m);
}

void dev_generic_message(atoll_dev *dev, atoll_bus *peer, struct atoll_msg *m)
{
	bool request = m->flags & ATOLL_FRAME_NEED_REPLY;
	const char *tn = atoll_msg_type_name(m->type);

	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE:
		if (request)
			reply_desc(dev, m);
		return;
	case ATOLL__MSG_TYPE__MSG_REGION_READ:
		if (request)
			region_read(dev, m);
		else
			dev_log(dev, ATOLL_LOG_WARN,
				"peer: posted REGION_READ ignored");
		return;
	case ATOLL__MSG_TYPE__MSG_REGION_WRITE:
		region_write(dev, m);
		return;
	case ATOLL__MSG_TYPE__MSG_REGION_PLACED:
		region_placed(dev, m);
		return;
	default:
		dev_log(dev, ATOLL_LOG_WARN, "peer: unexpected %s",
			tn ? tn : "message");
		if (request)
			atoll_bus_reply_error(peer, m, EOPNOTSUPP,
					      "not supported by this device");
	}
}

ATOLL_DEVICE_API int atoll_dev_irq_set(atoll_dev *dev, unsigned line,
				       bool level)
{
	uint32_t bit;

	if (!dev->generic || line >= dev->gen.num_irqs)
		return -EINVAL;
	bit = 1u << line;
	if (!!(dev->irq_levels & bit) == level)
		return 0;
	dev->irq_levels = level ? dev->irq_levels | bit
				: dev->irq_levels & ~bit;
	/* Before DEVICE_DESC the front-end does not know the line yet:
	 * reply_desc posts the lines that are high. */
	if (!dev->peer || !dev->described)
		return 0;
	return post_level(dev, line, level);
}

ATOLL_DEVICE_API bool atoll_dev_irq_get(const atoll_dev *dev, unsigned line)
{
	if (!dev->generic || line >= dev->gen.num_irqs)
		return false;
	return dev->irq_levels & (1u << line);
}
