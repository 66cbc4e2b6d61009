/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport as a guest driver sees it, through the real
 * pci-host (ECAM config accesses, BAR decode in the MMIO window, INTx into
 * a recorded PLIC line), against a fake device on the peer protocol.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "fake-dev.h"
#include "pci-func.h"
#include "pci-host.h"
#include "test-util.h"
#include "virtio-pci.h"

#define SLOT 1u
#define BAR_ADDR 0x40000000ull
#define RAM_BASE 0x80000000ull
#define OFFERED ((1ull << VIRTIO_F_VERSION_1) | \
		 (1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << 1) | (1ull << 40))

static struct pci_host *h;
static struct vpci_dev *t;
static struct fake_dev f;
static bool irq_level[64];
static unsigned irq_changes;
static uint8_t ram[1u << 16];

static void on_irq(void *opaque, unsigned irq, bool level)
{
	ck_assert_uint_lt(irq, 64);
	irq_level[irq] = level;
	irq_changes++;
}

static void setup(void)
{
	const struct vpci_dev_params p = {
		.name = "disk0", .me = "cpu0", .timeout_ms = 300,
	};
	int sv[2];

	for (unsigned i = 0; i < 64; i++)
		irq_level[i] = false;
	irq_changes = 0;
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f, sv[1], OFFERED));
	CHECK_OK(vpci_dev_new(&p, sv[0], &t));
	h = pci_host_new(0x10000000);
	ck_assert_ptr_nonnull(h);
	pci_host_set_irq_handler(h, on_irq, NULL);
	CHECK_OK(vpci_dev_plug(t, h, SLOT));
	vpci_dev_set_ram(t, ram, RAM_BASE, sizeof(ram));
}

static void teardown(void)
{
	vpci_dev_free(t);
	fake_dev_stop(&f);
	pci_host_free(h);
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	uint64_t v = 0;

	CHECK_OK(pci_host_ecam_read(h, (SLOT << 15) | off, size, &v));
	return (uint32_t)v;
}

static void cfg_wr(unsigned off, unsigned size, uint32_t val)
{
	CHECK_OK(pci_host_ecam_write(h, (SLOT << 15) | off, size, val));
}

static uint64_t bar_rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	CHECK_OK(pci_host_mmio_read(h, BAR_ADDR + off, size, &v));
	return v;
}

static void bar_wr(uint64_t off, unsigned size, uint64_t val)
{
	CHECK_OK(pci_host_mmio_write(h, BAR_ADDR + off, size, val));
}

static void map_bar(void)
{
	cfg_wr(PCI_CFG_BAR0, 4, (uint32_t)BAR_ADDR);
	cfg_wr(PCI_CFG_BAR0 + 4, 4, 0);
	cfg_wr(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
}

static uint8_t status(void)
{
	return (uint8_t)bar_rd(VIRTIO_PCI_COMMON_STATUS, 1);
}

/* What a driver does up to FEATURES_OK; returns the status read back. */
static uint8_t negotiate(uint64_t features)
{
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1,
	       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_wr(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_wr(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1,
	       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	       VIRTIO_CONFIG_S_FEATURES_OK);
	return status();
}

static void queue_program(unsigned q, uint16_t size, uint64_t desc,
			  uint64_t avail, uint64_t used)
{
	bar_wr(VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	bar_wr(VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	bar_wr(VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)desc);
	bar_wr(VIRTIO_PCI_COMMON_Q_DESCHI, 4, (uint32_t)(desc >> 32));
	bar_wr(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)avail);
	bar_wr(VIRTIO_PCI_COMMON_Q_AVAILHI, 4, (uint32_t)(avail >> 32));
	bar_wr(VIRTIO_PCI_COMMON_Q_USEDLO, 8, used);
}

static void driver_up(void)
{
	map_bar();
	ck_assert_uint_ne(negotiate(OFFERED & ~(1ull << 40)) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	queue_program(0, 128, RAM_BASE + 0x1000, RAM_BASE + 0x2000,
		      RAM_BASE + 0x3000);
	bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, status() | VIRTIO_CONFIG_S_DRIVER_OK);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

START_TEST(ids_and_class)
{
	ck_assert_uint_eq(cfg_rd(PCI_CFG_VENDOR, 2), 0x1af4);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_DEVICE, 2), 0x1040 + FAKE_DEVICE_ID);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_REVISION, 1), 1);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_REVISION, 4) >> 8, 0x018000);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_SUBSYS_VENDOR, 2), 0x1af4);
	ck_assert_uint_ge(cfg_rd(PCI_CFG_SUBSYS_ID, 2), 0x40);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_INT_PIN, 1), 1);
	ck_assert(cfg_rd(PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* An empty slot still reads as a master abort. */
	uint64_t v = 0;
	CHECK_OK(pci_host_ecam_read(h, (5u << 15), 4, &v));
	ck_assert_uint_eq(v, 0xffffffffu);
}
END_TEST

/* Walks the capability list like virtio_pci_modern's find_capability. */
START_TEST(capability_chain)
{
	bool seen[6] = { false };
	unsigned pos = cfg_rd(PCI_CFG_CAP_PTR, 1), hops = 0;

	while (pos && hops++ < 48) {
		ck_assert_uint_ge(pos, 0x40);
		ck_assert_uint_eq(pos & 3, 0);
		if (cfg_rd(pos, 1) == 0x09) {
			unsigned type = cfg_rd(pos + 3, 1);
			unsigned len = cfg_rd(pos + 2, 1);
			uint32_t off = cfg_rd(pos + 8, 4);
			uint32_t length = cfg_rd(pos + 12, 4);

			ck_assert_uint_ge(len, 16);
			ck_assert_uint_eq(cfg_rd(pos + 4, 1), 0);  /* BAR 0 */
			ck_assert_uint_le((uint64_t)off + length, VPCI_BAR_SIZE);
			ck_assert_uint_lt(type, 6);
			seen[type] = true;
			if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				ck_assert_uint_eq(len, 20);
				ck_assert_uint_eq(cfg_rd(pos + 16, 4), 4);
				ck_assert_uint_ge(length, FAKE_QUEUES * 4);
			}
			if (type == VIRTIO_PCI_CAP_COMMON_CFG)
				ck_assert_uint_ge(length, 0x38);
			if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
				ck_assert_uint_eq(length, FAKE_CFG);
		}
		pos = cfg_rd(pos + 1, 1);
	}
	ck_assert_uint_eq(pos, 0);
	ck_assert(seen[VIRTIO_PCI_CAP_COMMON_CFG]);
	ck_assert(seen[VIRTIO_PCI_CAP_NOTIFY_CFG]);
	ck_assert(seen[VIRTIO_PCI_CAP_ISR_CFG]);
	ck_assert(seen[VIRTIO_PCI_CAP_DEVICE_CFG]);
}
END_TEST

START_TEST(bar_sizing_and_decode)
{
	uint32_t lo;

	ck_assert_uint_eq(cfg_rd(PCI_CFG_BAR0, 4) & 0xf, PCI_BAR_MEM_64);
	cfg_wr(PCI_CFG_BAR0, 4, 0xffffffff);
	cfg_wr(PCI_CFG_BAR0 + 4, 4, 0xffffffff);
	lo = cfg_rd(PCI_CFG_BAR0, 4);
	ck_assert_uint_eq(lo & 0xf, PCI_BAR_MEM_64);
	ck_assert_uint_eq(~(lo & ~0xfu) + 1, VPCI_BAR_SIZE);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_BAR0 + 4, 4), 0xffffffff);
	/* Unimplemented BARs read zero even after all ones. */
	cfg_wr(PCI_CFG_BAR0 + 8, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_BAR0 + 8, 4), 0);

	cfg_wr(PCI_CFG_BAR0, 4, (uint32_t)BAR_ADDR | 0x123);  /* low bits RO */
	cfg_wr(PCI_CFG_BAR0 + 4, 4, 0);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_BAR0, 4), (uint32_t)BAR_ADDR | 4);
	/* Memory decode off: the window is a master abort. */
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	cfg_wr(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_NUMQ, 2), FAKE_QUEUES);
	/* Moved by the guest: the old address stops decoding. */
	cfg_wr(PCI_CFG_BAR0, 4, (uint32_t)BAR_ADDR + 0x10000);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	ck_assert_uint_eq(bar_rd(0x10000 + VIRTIO_PCI_COMMON_NUMQ, 2),
			  FAKE_QUEUES);
	cfg_wr(PCI_CFG_COMMAND, 2, 0);
	ck_assert_uint_eq(bar_rd(0x10000 + VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
}
END_TEST

START_TEST(feature_windows)
{
	map_bar();
	bar_wr(VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_DF, 4), (uint32_t)OFFERED);
	bar_wr(VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	/* RING_RESET (bit 40) is a transport feature this one lacks. */
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_DF, 4),
			  (uint32_t)(OFFERED >> 32) & ~(1u << 8));
	bar_wr(VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_DF, 4), 0);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_wr(VIRTIO_PCI_COMMON_GF, 4, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_GF, 4), 1);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_GF, 4), 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_DF, 2), 0);  /* wrong size */
}
END_TEST

START_TEST(features_ok_accepted)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << 1);

	map_bar();
	ck_assert_uint_ne(negotiate(want) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.features, want);
	ck_assert_uint_eq(f.features_calls, 1);
	pthread_mutex_unlock(&f.lock);
	/* Driver features are frozen after FEATURES_OK. */
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_wr(VIRTIO_PCI_COMMON_GF, 4, 0);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_GF, 4), (uint32_t)want);
}
END_TEST

START_TEST(features_ok_refused)
{
	map_bar();
	/* Not offered (bit 5), then legacy (no VERSION_1), then RING_RESET
	 * the device offered but the transport hides. */
	ck_assert_uint_eq(negotiate((1ull << VIRTIO_F_VERSION_1) | (1ull << 5)) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	ck_assert_uint_eq(negotiate(1ull << 1) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	ck_assert_uint_eq(negotiate((1ull << VIRTIO_F_VERSION_1) | (1ull << 40)) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.features_calls, 0);
	pthread_mutex_unlock(&f.lock);
	/* Queue setup before FEATURES_OK does not reach the device. */
	queue_program(0, 64, RAM_BASE, RAM_BASE + 0x1000, RAM_BASE + 0x2000);
	bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	pthread_mutex_lock(&f.lock);
	ck_assert(!f.q[0].setup);
	pthread_mutex_unlock(&f.lock);
}
END_TEST

START_TEST(queue_registers_and_setup)
{
	map_bar();
	ck_assert_uint_ne(negotiate(OFFERED & ~(1ull << 40)) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	bar_wr(VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), FAKE_QSIZE);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_MSIX, 2), 0xffff);
	queue_program(1, 64, 0x123456789000ull, RAM_BASE + 0x2000,
		      RAM_BASE + 0x3000);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 8),
			  0x123456789000ull);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0x1234);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_USEDLO, 4),
			  (uint32_t)(RAM_BASE + 0x3000));
	bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	pthread_mutex_lock(&f.lock);
	ck_assert(f.q[1].setup);
	ck_assert(!f.q[0].setup);
	ck_assert_uint_eq(f.q[1].size, 64);
	ck_assert_uint_eq(f.q[1].desc, 0x123456789000ull);
	ck_assert_uint_eq(f.q[1].avail, RAM_BASE + 0x2000);
	ck_assert_uint_eq(f.q[1].used, RAM_BASE + 0x3000);
	ck_assert_uint_eq(f.q[1].last_avail, 0);
	ck_assert(f.q[1].event_idx);
	ck_assert_int_ge(f.q[1].kick_fd, 0);
	ck_assert_int_ge(f.q[1].call_fd, 0);
	pthread_mutex_unlock(&f.lock);
	/* Locked once enabled. */
	bar_wr(VIRTIO_PCI_COMMON_Q_SIZE, 2, 32);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
	/* A size that is not a power of two never enables. */
	queue_program(0, 100, RAM_BASE, RAM_BASE + 0x1000, RAM_BASE + 0x2000);
	bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
}
END_TEST

START_TEST(reset_clears_everything)
{
	driver_up();
	ck_assert_uint_ne(status() & VIRTIO_CONFIG_S_DRIVER_OK, 0);
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(status(), 0);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_ge(f.resets, 1);
	pthread_mutex_unlock(&f.lock);
	bar_wr(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), FAKE_QSIZE);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_GF, 4), 0);
	/* A kick after reset reaches nobody. */
	bar_wr(VPCI_NOTIFY_OFF, 2, 0);
	ck_assert(!readable(vpci_dev_kick_fd(t, 0), 0));
}
END_TEST

START_TEST(notify_writes_kick_eventfd)
{
	uint64_t n = 0;
	int kick;

	driver_up();
	pthread_mutex_lock(&f.lock);
	kick = f.q[0].kick_fd;
	pthread_mutex_unlock(&f.lock);
	ck_assert(!readable(kick, 0));
	bar_wr(VPCI_NOTIFY_OFF + 0 * VPCI_NOTIFY_MULT, 2, 0);
	ck_assert(readable(kick, 0));
	CHECK_RET(read(kick, &n, sizeof(n)), 8);
	ck_assert_uint_eq(n, 1);
	/* Queue 1 is not enabled: its notify is dropped. */
	bar_wr(VPCI_NOTIFY_OFF + 1 * VPCI_NOTIFY_MULT, 2, 1);
	ck_assert(!readable(vpci_dev_kick_fd(t, 1), 0));
	ck_assert(!readable(kick, 0));
}
END_TEST

START_TEST(call_raises_isr_and_intx)
{
	unsigned irq = pci_host_intx_irq(SLOT, 0);
	uint64_t one = 1;
	int call;

	driver_up();
	pthread_mutex_lock(&f.lock);
	call = f.q[0].call_fd;
	pthread_mutex_unlock(&f.lock);
	ck_assert(!irq_level[irq]);
	CHECK_RET(write(call, &one, 8), 8);
	ck_assert(readable(vpci_dev_call_fd(t, 0), 1000));
	vpci_dev_call(t, 0);
	ck_assert(!readable(vpci_dev_call_fd(t, 0), 0));   /* consumed */
	ck_assert(irq_level[irq]);
	ck_assert(cfg_rd(PCI_CFG_STATUS, 2) & PCI_STATUS_INTX);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 1);
	ck_assert(!irq_level[irq]);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 0);     /* read-to-clear */
	/* INTx disabled in the command register keeps the line low. */
	cfg_wr(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE);
	vpci_dev_call(t, 0);
	ck_assert(!irq_level[irq]);
	cfg_wr(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
	ck_assert(irq_level[irq]);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 1);
	ck_assert(!irq_level[irq]);
}
END_TEST

START_TEST(device_config_forwarded)
{
	unsigned reads;

	map_bar();
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 4), 0x13121110);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF + 8, 8), 0x1f1e1d1c1b1a1918ull);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF + 3, 1), 0x13);
	/* Nothing is cached: a change shows on the next read. */
	pthread_mutex_lock(&f.lock);
	f.cfg[0] = 0xaa;
	pthread_mutex_unlock(&f.lock);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 1), 0xaa);
	bar_wr(VPCI_DEVICE_OFF + 4, 2, 0xbeef);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF + 4, 2), 0xbeef);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.config_writes, 1);
	reads = f.config_reads;
	pthread_mutex_unlock(&f.lock);
	/* Beyond config_size: answered here, never asked. */
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF + FAKE_CFG, 4), 0);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF + FAKE_CFG - 2, 4), 0);
	bar_wr(VPCI_DEVICE_OFF + FAKE_CFG, 4, 1);
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.config_reads, reads);
	ck_assert_uint_eq(f.config_writes, 1);
	pthread_mutex_unlock(&f.lock);
}
END_TEST

START_TEST(config_changed_interrupt)
{
	unsigned irq = pci_host_intx_irq(SLOT, 0);
	unsigned gen;
	int i;

	map_bar();
	gen = (unsigned)bar_rd(VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	fake_dev_post_changed(&f);
	for (i = 0; i < 100 && !irq_level[irq]; i++) {
		if (readable(vpci_dev_peer_fd(t), 20))
			ck_assert(vpci_dev_peer_ready(t));
	}
	ck_assert(irq_level[irq]);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_CFGGENERATION, 1),
			  (gen + 1) & 0xff);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 2);
	ck_assert(!irq_level[irq]);
}
END_TEST

START_TEST(hostile_accesses)
{
	uint64_t v;

	map_bar();
	/* Wrong widths, offsets between fields, past the structures. */
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_NUMQ, 4), 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_NUMQ + 1, 1), 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_STATUS, 2), 0);
	bar_wr(VIRTIO_PCI_COMMON_STATUS, 4, 0xffffffff);
	ck_assert_uint_eq(status(), 0);
	ck_assert_uint_eq(bar_rd(0x38, 2), 0);
	ck_assert_uint_eq(bar_rd(0x800, 4), 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 4), 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF + 1, 1), 0);
	/* An access running past the BAR is a master abort. */
	CHECK_OK(pci_host_mmio_read(h, BAR_ADDR + VPCI_BAR_SIZE - 2, 4, &v));
	ck_assert_uint_eq(v, 0xffffffff);
	CHECK_RET(vpci_dev_bar_read(t, VPCI_BAR_SIZE - 2, 4, &v), -EINVAL);
	CHECK_RET(vpci_dev_bar_write(t, ~0ull - 1, 4, 0), -EINVAL);
	/* queue_select past num_queues: reads 0, writes go nowhere. */
	bar_wr(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0xffff);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	bar_wr(VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	bar_wr(VIRTIO_PCI_COMMON_Q_DESCLO, 8, 0x1000);
	bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(bar_rd(VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	/* Notify past the queues, misaligned, and 8 bytes wide. */
	bar_wr(VPCI_NOTIFY_OFF + 4 * 50, 2, 50);
	bar_wr(VPCI_NOTIFY_OFF + 1, 1, 0);
	bar_wr(VPCI_NOTIFY_OFF, 8, 0);
	ck_assert(!readable(vpci_dev_kick_fd(t, 0), 0));
	/* Config space past 256 bytes and read-only header fields. */
	ck_assert_uint_eq(cfg_rd(0x100, 4), 0);
	cfg_wr(0x100, 4, 0xffffffff);
	cfg_wr(PCI_CFG_VENDOR, 4, 0);
	ck_assert_uint_eq(cfg_rd(PCI_CFG_VENDOR, 2), 0x1af4);
	cfg_wr(PCI_CFG_CAP_PTR, 1, 0);
	ck_assert_uint_ne(cfg_rd(PCI_CFG_CAP_PTR, 1), 0);
	cfg_wr(0x40, 4, 0);
	ck_assert_uint_eq(cfg_rd(0x40, 1), 0x09);
	/* The device saw none of it. */
	pthread_mutex_lock(&f.lock);
	ck_assert_uint_eq(f.features_calls, 0);
	ck_assert(!f.q[0].setup && !f.q[1].setup);
	pthread_mutex_unlock(&f.lock);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(hung_device_times_out)
{
	double t0;

	map_bar();
	atomic_store(&f.hang, true);
	t0 = now_s();
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 4), 0);
	ck_assert_double_lt(now_s() - t0, 2.0);
	ck_assert_double_ge(now_s() - t0, 0.25);   /* it did wait */
	/* FEATURES_OK with a hung device is refused, not hung on. */
	ck_assert_uint_eq(negotiate(1ull << VIRTIO_F_VERSION_1) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	atomic_store(&f.hang, false);
}
END_TEST

START_TEST(reattach_replays_state)
{
	const uint16_t used_idx = 0x1234;
	struct fake_dev f2;
	uint64_t n = 0;
	int sv[2], kick;

	driver_up();
	/* The driver has seen 0x1234 completions on queue 0. */
	ram[0x3000 + 2] = (uint8_t)used_idx;
	ram[0x3000 + 3] = (uint8_t)(used_idx >> 8);
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f2, sv[1], OFFERED));
	CHECK_OK(vpci_dev_reattach(t, sv[0]));
	pthread_mutex_lock(&f2.lock);
	ck_assert_uint_eq(f2.features_calls, 1);
	ck_assert_uint_eq(f2.features, OFFERED & ~(1ull << 40));
	ck_assert(f2.q[0].setup);
	ck_assert(!f2.q[1].setup);
	ck_assert_uint_eq(f2.q[0].size, 128);
	ck_assert_uint_eq(f2.q[0].used, RAM_BASE + 0x3000);
	ck_assert_uint_eq(f2.q[0].last_avail, used_idx);
	kick = f2.q[0].kick_fd;
	pthread_mutex_unlock(&f2.lock);
	/* The new device was kicked once to look at the ring, and guest
	 * notifies now reach it through the same eventfd. */
	ck_assert(readable(kick, 0));
	CHECK_RET(read(kick, &n, 8), 8);
	bar_wr(VPCI_NOTIFY_OFF, 2, 0);
	ck_assert(readable(kick, 0));
	ck_assert_uint_ne(status() & VIRTIO_CONFIG_S_DRIVER_OK, 0);
	ck_assert_uint_eq(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	/* Config reads go to the new device. */
	pthread_mutex_lock(&f2.lock);
	f2.cfg[0] = 0x77;
	pthread_mutex_unlock(&f2.lock);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 1), 0x77);
	fake_dev_stop(&f2);
}
END_TEST

START_TEST(reattach_incompatible_needs_reset)
{
	struct fake_dev f2;
	int sv[2];

	driver_up();
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	/* The restarted device no longer offers EVENT_IDX. */
	CHECK_OK(fake_dev_start(&f2, sv[1], 1ull << VIRTIO_F_VERSION_1));
	CHECK_RET(vpci_dev_reattach(t, sv[0]), -EPROTO);
	ck_assert_uint_ne(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 2);
	fake_dev_stop(&f2);
}
END_TEST

/* A restarted device that dies during its handshake (a replacement
 * replaced again at once) is no reason to give up: no NEEDS_RESET, and
 * the next one re-attaches. */
START_TEST(reattach_peer_gone_waits_for_next)
{
	struct fake_dev f2;
	int sv[2];

	driver_up();
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	close(sv[1]);                         /* gone before it said HELLO */
	ck_assert_int_lt(vpci_dev_reattach(t, sv[0]), 0);
	ck_assert_uint_eq(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 0);
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f2, sv[1], OFFERED));
	CHECK_OK(vpci_dev_reattach(t, sv[0]));
	ck_assert_uint_eq(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_ne(status() & VIRTIO_CONFIG_S_DRIVER_OK, 0);
	fake_dev_stop(&f2);
}
END_TEST

/* A restarted device whose memory grant is late refuses QUEUE_SETUP for
 * a while: the replay is retried, not given up, and not duplicated. */
START_TEST(reattach_retries_until_ready)
{
	struct fake_dev f2, f3;
	int sv[2];

	driver_up();
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f2, sv[1], OFFERED));
	atomic_store(&f2.refuse_setup, true);
	CHECK_RET(vpci_dev_reattach(t, sv[0]), -EAGAIN);
	CHECK_RET(vpci_dev_replay(t), -EAGAIN);
	ck_assert_uint_eq(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	atomic_store(&f2.refuse_setup, false);
	CHECK_RET(vpci_dev_replay(t), 0);
	CHECK_RET(vpci_dev_replay(t), 0);     /* nothing pending: no-op */
	pthread_mutex_lock(&f2.lock);
	ck_assert_uint_eq(f2.features_calls, 1);
	ck_assert(f2.q[0].setup);
	pthread_mutex_unlock(&f2.lock);
	ck_assert_uint_eq(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 0);

	/* One that never gets ready: given up, the driver is told. */
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f3, sv[1], OFFERED));
	atomic_store(&f3.refuse_setup, true);
	CHECK_RET(vpci_dev_reattach(t, sv[0]), -EAGAIN);
	vpci_dev_replay_give_up(t);
	ck_assert_uint_ne(status() & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(bar_rd(VPCI_ISR_OFF, 1), 2);
	fake_dev_stop(&f2);
	fake_dev_stop(&f3);
}
END_TEST

/* The in-flight log of queue 0 as a restarted device is given it: its
 * inode, and the byte at `off` (the device writes its record there). */
static ino_t log_of(struct fake_dev *d, uint8_t *byte_at_64)
{
	struct stat st;
	uint8_t *p;
	int fd;

	pthread_mutex_lock(&d->lock);
	fd = d->q[0].inflight_fd;
	pthread_mutex_unlock(&d->lock);
	ck_assert_int_ge(fd, 0);
	CHECK_OK(fstat(fd, &st));
	ck_assert_int_ge(st.st_size, 64 + 16 * 128);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	*byte_at_64 = p[64];
	p[64] = 0xa5;         /* as a device recording a head in flight */
	munmap(p, 4096);
	return st.st_ino;
}

static void reattach_with(struct fake_dev *d, bool inflight)
{
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(inflight ? fake_dev_start_inflight(d, sv[1], OFFERED) :
			    fake_dev_start(d, sv[1], OFFERED));
	CHECK_OK(vpci_dev_reattach(t, sv[0]));
}

/* A device with CAP_INFLIGHT gets the queue's log, the same one at every
 * restart; one without gets none (and what it runs makes the old log
 * stale, so the next gets a zeroed one); a reset starts a zeroed one. The
 * call eventfd is signalled at every re-attach (a completion published
 * just before the crash may not have been). */
START_TEST(reattach_passes_inflight_log)
{
	struct fake_dev f2, f3, f4, f5, f6;
	uint8_t b;
	ino_t ino;
	uint64_t n;
	int call;

	driver_up();          /* f has no CAP_INFLIGHT: no log */
	pthread_mutex_lock(&f.lock);
	ck_assert_int_lt(f.q[0].inflight_fd, 0);
	pthread_mutex_unlock(&f.lock);
	reattach_with(&f2, true);
	ino = log_of(&f2, &b);
	ck_assert_uint_eq(b, 0);
	call = f2.q[0].call_fd;
	ck_assert(readable(call, 0));
	CHECK_RET(read(call, &n, 8), 8);
	reattach_with(&f3, true);
	ck_assert_uint_eq(log_of(&f3, &b), ino);
	ck_assert_uint_eq(b, 0xa5);          /* what f2 recorded */
	ck_assert(readable(call, 0));
	reattach_with(&f4, false);
	pthread_mutex_lock(&f4.lock);
	ck_assert_int_lt(f4.q[0].inflight_fd, 0);
	pthread_mutex_unlock(&f4.lock);
	reattach_with(&f5, true);
	log_of(&f5, &b);
	ck_assert_uint_eq(b, 0);             /* not f3's stale record */
	/* A reset and a new queue: a zeroed log again. */
	driver_up();
	pthread_mutex_lock(&f5.lock);
	ck_assert_uint_ge(f5.resets, 1);
	pthread_mutex_unlock(&f5.lock);
	log_of(&f5, &b);
	ck_assert_uint_eq(b, 0);
	reattach_with(&f6, true);
	log_of(&f6, &b);
	ck_assert_uint_eq(b, 0xa5);
	fake_dev_stop(&f2);
	fake_dev_stop(&f3);
	fake_dev_stop(&f4);
	fake_dev_stop(&f5);
	fake_dev_stop(&f6);
}
END_TEST

START_TEST(device_gone_then_back)
{
	struct fake_dev f2;
	int sv[2];

	map_bar();
	fake_dev_stop(&f);    /* the device process dies */
	/* Config reads while away answer zero without waiting. */
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 4), 0);
	ck_assert(!vpci_dev_peer_ready(t));
	ck_assert_int_lt(vpci_dev_peer_fd(t), 0);
	/* The driver negotiates meanwhile; the new device gets it replayed. */
	ck_assert_uint_ne(negotiate(1ull << VIRTIO_F_VERSION_1) &
			  VIRTIO_CONFIG_S_FEATURES_OK, 0);
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_dev_start(&f2, sv[1], OFFERED));
	CHECK_OK(vpci_dev_reattach(t, sv[0]));
	pthread_mutex_lock(&f2.lock);
	ck_assert_uint_eq(f2.features, 1ull << VIRTIO_F_VERSION_1);
	pthread_mutex_unlock(&f2.lock);
	ck_assert_uint_eq(bar_rd(VPCI_DEVICE_OFF, 1), 0x10);
	fake_dev_stop(&f2);
}
END_TEST

static Suite *vpci_suite(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, ids_and_class);
	tcase_add_test(tc, capability_chain);
	tcase_add_test(tc, bar_sizing_and_decode);
	tcase_add_test(tc, feature_windows);
	tcase_add_test(tc, features_ok_accepted);
	tcase_add_test(tc, features_ok_refused);
	tcase_add_test(tc, queue_registers_and_setup);
	tcase_add_test(tc, reset_clears_everything);
	tcase_add_test(tc, notify_writes_kick_eventfd);
	tcase_add_test(tc, call_raises_isr_and_intx);
	tcase_add_test(tc, device_config_forwarded);
	tcase_add_test(tc, config_changed_interrupt);
	tcase_add_test(tc, hostile_accesses);
	tcase_add_test(tc, hung_device_times_out);
	tcase_add_test(tc, reattach_replays_state);
	tcase_add_test(tc, reattach_incompatible_needs_reset);
	tcase_add_test(tc, reattach_peer_gone_waits_for_next);
	tcase_add_test(tc, reattach_retries_until_ready);
	tcase_add_test(tc, device_gone_then_back);
	tcase_add_test(tc, reattach_passes_inflight_log);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(vpci_suite)
