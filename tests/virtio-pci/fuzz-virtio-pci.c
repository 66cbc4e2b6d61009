/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest driving the virtio-pci transport: the input is a list of
 * 16-byte operations (config-space or BAR read/write, any offset, size and
 * value, ISR reads, call events) against a transport plugged into a real
 * pci-host with a fake device behind it. Nothing may crash or hang, and
 * invariants must hold: vendor id and the capability pointer never change.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake-dev.h"
#include "log.h"
#include "pci-func.h"
#include "pci-host.h"
#include "virtio-pci.h"

struct op {
	uint8_t kind, size;
	uint16_t off;
	uint32_t hi;
	uint64_t val;
};

static struct pci_host *host;
static struct vpci_dev *dev;
static struct fake_dev fake;

static void irq_sink(void *opaque, unsigned irq, bool level)
{
	if (irq >= 64)
		abort();
}

static void init(void)
{
	const struct vpci_dev_params p = { .name = "fuzz", .timeout_ms = 200 };
	int sv[2];

	log_init("fuzz", ATOLL_LOG_ERROR);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    fake_dev_start(&fake, sv[1], (1ull << 32) | (1ull << 29)) < 0 ||
	    vpci_dev_new(&p, sv[0], &dev) < 0)
		abort();
	host = pci_host_new(0x10000000);
	if (!host)
		abort();
	pci_host_set_irq_handler(host, irq_sink, NULL);
	if (vpci_dev_plug(dev, host, 1) < 0)
		abort();
}

static void apply(const struct op *o)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[o->size & 3];
	uint64_t v;

	switch (o->kind % 6) {
	case 0:
		pci_host_ecam_read(host, (1u << 15) | (o->off & 0xfff),
				   size, &v);
		break;
	case 1:
		pci_host_ecam_write(host, (1u << 15) | (o->off & 0xfff),
				    size, o->val);
		break;
	case 2:
		vpci_dev_bar_read(dev, o->off | (uint64_t)(o->hi & 1) << 16,
				  size, &v);
		break;
	case 3:
		vpci_dev_bar_write(dev, o->off | (uint64_t)(o->hi & 1) << 16,
				   size, o->val);
		break;
	case 4:
		pci_host_mmio_read(host, 0x40000000ull + (o->hi & 0xfffff),
				   size, &v);
		break;
	default:
		vpci_dev_call(dev, o->hi & 3);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct op o;

	if (!dev)
		init();
	/* Every input starts from reset. */
	vpci_dev_bar_write(dev, 0x14, 1, 0);
	for (size_t i = 0; i + sizeof(o) <= len && i < 64 * sizeof(o);
	     i += sizeof(o)) {
		memcpy(&o, data + i, sizeof(o));
		apply(&o);
	}
	if (vpci_dev_cfg_read(dev, PCI_CFG_VENDOR, 2) != VPCI_VENDOR ||
	    vpci_dev_cfg_read(dev, PCI_CFG_CAP_PTR, 1) != PCI_CFG_CAP_START)
		abort();
	return 0;
}
