/* SPDX-License-Identifier: MIT */
/*
 * A hostile generic device against the proxy. The input is the device's
 * side of the conversation, queued on the socket before the proxy reads
 * it: a valid HELLO reply, then chunks [kind u8][len u16][payload] that
 * become frames: the DEVICE_DESC reply (request id 2: any bytes, decoded
 * by the bus, or a description built from the bytes; either is checked by
 * gdev_desc_parse), REGION_DATA replies for the
 * reads that follow (ids 3..), posted IRQ_LEVEL frames, and replies with
 * ids nobody asked for. The proxy is then plugged (PCI or platform, as
 * the description says) and the guest reads and writes every region.
 * Nothing may crash or hang, and lines may only be driven on the sources
 * the proxy was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdev.h"
#include "log.h"
#include "pci-host.h"
#include "peer.h"
#include "platform-bus.h"
#include "virt-map.h"

#define MAX_CHUNKS 32u
#define MAX_PAYLOAD 1024u
#define SLOT 1u

static void send_frame(int fd, uint16_t type, uint16_t flags, uint64_t id,
		       const void *payload, uint32_t len)
{
	uint8_t buf[sizeof(struct atoll_frame_header) + MAX_PAYLOAD];
	struct atoll_frame_header h = {
		.magic = ATOLL_BUS_MAGIC, .type = type, .flags = flags,
		.id = id, .size = len,
	};

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	/* A full socket drops the rest: the proxy then sees fewer frames. */
	if (send(fd, buf, sizeof(h) + len, MSG_DONTWAIT) < 0)
		return;
}

static void send_hello(int fd)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;
	uint8_t buf[256];
	size_t n;

	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_DEVICE;
	h.kind = (char *)"fuzz";
	h.name = (char *)"gen0";
	n = atoll__hello__pack(&h, buf);
	send_frame(fd, ATOLL__MSG_TYPE__MSG_HELLO, ATOLL_FRAME_REPLY, 1, buf,
		   (uint32_t)n);
}

/* A description built from the bytes, so most inputs get past decoding:
 * bus, ids, regions (index, size), lines, compatible and one property
 * all come from them. */
static void send_structured_desc(int fd, const uint8_t *d, size_t n)
{
	uint8_t b[64] = { 0 }, out[MAX_PAYLOAD];
	Atoll__DeviceDesc dd = ATOLL__DEVICE_DESC__INIT;
	Atoll__GenericDesc g = ATOLL__GENERIC_DESC__INIT;
	Atoll__RegionDesc r[4], *rp[4];
	Atoll__DtProperty pr = ATOLL__DT_PROPERTY__INIT, *prp[1] = { &pr };
	char compat[9] = { 0 }, pname[5] = { 0 };

	memcpy(b, d, n < sizeof(b) ? n : sizeof(b));
	g.bus = b[0] & 1 ? ATOLL__GENERIC_BUS__BUS_PLATFORM
			 : ATOLL__GENERIC_BUS__BUS_PCI;
	g.vendor_id = (uint32_t)(b[1] | b[2] << 8);
	g.device_id = b[3];
	g.class_code = b[4];
	g.num_irqs = b[5] % 10;
	g.n_regions = b[6] % 5;
	for (unsigned i = 0; i < 4; i++) {
		atoll__region_desc__init(&r[i]);
		r[i].index = b[7 + i] % 9;
		r[i].size = (uint64_t)(b[11 + i] | b[15 + i] << 8) << (b[19 + i] % 16);
		r[i].mmio = !(b[23 + i] & 0x80);
		rp[i] = &r[i];
	}
	g.regions = rp;
	memcpy(compat, b + 27, 8);
	if (b[0] & 2)
		g.dt_compatible = compat;
	memcpy(pname, b + 35, 4);
	pr.name = pname;
	pr.value.data = b + 39;
	pr.value.len = b[39] % 25;
	if (b[0] & 4) {
		g.n_dt_props = 1;
		g.dt_props = prp;
	}
	dd.model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	dd.generic = &g;
	if (atoll__device_desc__get_packed_size(&dd) <= sizeof(out))
		send_frame(fd, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
			   ATOLL_FRAME_REPLY, 2, out,
			   (uint32_t)atoll__device_desc__pack(&dd, out));
}

/* Queues the device's frames; returns how many reads they answer. */
static unsigned queue(int fd, const uint8_t *d, size_t len)
{
	uint64_t next_read = 3;
	unsigned chunks = 0;

	send_hello(fd);
	while (len >= 3 && chunks++ < MAX_CHUNKS) {
		uint8_t kind = d[0];
		size_t n = (size_t)(d[1] | d[2] << 8) % (MAX_PAYLOAD + 1);

		d += 3;
		len -= 3;
		if (n > len)
			n = len;
		switch (kind % 5) {
		case 0:
			send_frame(fd, ATOLL__MSG_TYPE__MSG_DEVICE_DESC,
				   ATOLL_FRAME_REPLY, 2, d, (uint32_t)n);
			break;
		case 4:
			send_structured_desc(fd, d, n);
			break;
		case 1:
			send_frame(fd, ATOLL__MSG_TYPE__MSG_REGION_DATA,
				   ATOLL_FRAME_REPLY, next_read++, d,
				   (uint32_t)n);
			break;
		case 2:
			send_frame(fd, ATOLL__MSG_TYPE__MSG_IRQ_LEVEL, 0, 0, d,
				   (uint32_t)n);
			break;
		default:
			send_frame(fd, ATOLL__MSG_TYPE__MSG_REGION_DATA,
				   ATOLL_FRAME_REPLY, 1000 + kind, d,
				   (uint32_t)n);
			break;
		}
		d += n;
		len -= n;
	}
	return (unsigned)(next_read - 3);
}

static unsigned first_source, nsources;

static void irq_sink(void *opaque, unsigned irq, bool level)
{
	if (irq < first_source || irq >= first_source + nsources)
		abort();
}

static void pci_sink(void *opaque, unsigned irq, bool level)
{
	if (irq != PCI_INTX_IRQ_BASE + SLOT)
		abort();
}

/* The guest touches every region: reads, then writes. */
static void exercise(struct gdev *g, unsigned reads)
{
	const struct gdev_desc *d = gdev_desc(g);
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	for (unsigned i = 0; d->nregions && i < reads + 2; i++) {
		const struct gdev_region *r = &d->region[i % d->nregions];
		uint64_t off = (i * 8) % (r->size + 8);

		gdev_region_read(g, r->index, off, sizes[i & 3]);
		gdev_peer_ready(g);
	}
	for (unsigned i = 0; i < d->nregions; i++)
		gdev_region_write(g, d->region[i].index, 0, 4, i);
	gdev_cfg_read(g, 0, 4);
	gdev_cfg_write(g, 4, 2, 0x406);
	gdev_peer_ready(g);
}

static void plug_and_run(struct gdev *g, unsigned reads)
{
	const struct gdev_desc *d = gdev_desc(g);

	if (d->bus == GDEV_BUS_PCI) {
		struct pci_host *h = pci_host_new(0x10000000);

		if (!h)
			abort();
		pci_host_set_irq_handler(h, pci_sink, NULL);
		if (gdev_plug_pci(g, h, SLOT) < 0)
			abort();
		exercise(g, reads);
		gdev_free(g);
		pci_host_free(h);
		return;
	}
	struct platform_bus *b = platform_bus_new(VIRT_PLATFORM_BUS_BASE,
						  VIRT_PLATFORM_BUS_SIZE);
	uint64_t addr[GDEV_MAX_REGIONS];
	unsigned irq[GDEV_MAX_IRQS];

	if (!b)
		abort();
	for (unsigned i = 0; i < d->nregions; i++)
		addr[i] = VIRT_PLATFORM_BUS_BASE +
			  i * (VIRT_PLATFORM_BUS_SIZE / GDEV_MAX_REGIONS);
	first_source = VIRT_PLATFORM_BUS_IRQ;
	nsources = d->nirqs;
	for (unsigned i = 0; i < d->nirqs; i++)
		irq[i] = first_source + i;
	/* Windows of up to 16 MiB overlap or overrun at 4 MiB apart: a
	 * refusal is fine, the proxy must stay usable either way. */
	gdev_plug_platform(g, b, addr, irq, irq_sink, NULL);
	exercise(g, reads);
	gdev_free(g);
	platform_bus_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct gdev_params p = { .name = "gen0", .timeout_ms = 1 };
	struct vpci_peer *peer;
	struct atoll_msg *r = NULL;
	struct gdev *g;
	unsigned reads;
	int sv[2];

	log_init("fuzz", ATOLL_LOG_ERROR);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	reads = queue(sv[1], data, len);
	if (vpci_peer_open(sv[0], "cpu0", "gen0", 1, NULL, NULL, &peer) < 0) {
		close(sv[1]);
		return 0;
	}
	if (vpci_peer_describe_msg(peer, 1, &r) < 0) {
		vpci_peer_free(peer);
		close(sv[1]);
		return 0;
	}
	if (gdev_new(&p, peer, (const Atoll__DeviceDesc *)r->body, &g) == 0) {
		/* Nothing restarts the device here: an access that finds
		 * its connection cut off must not wait for a re-attach. */
		gdev_hold(g, false);
		plug_and_run(g, reads);
	}
	atoll_msg_free(r);
	close(sv[1]);
	return 0;
}
