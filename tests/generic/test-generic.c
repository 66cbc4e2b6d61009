/* SPDX-License-Identifier: MIT */
/*
 * The generic device proxy as a guest sees it: a PCI function through the
 * real pci-host (ECAM config accesses, BAR decode, INTx into a recorded
 * PLIC line) and a platform device on the platform bus, against a fake
 * generic device on the peer protocol; hostile and silent devices; the
 * device-tree node of a platform device.
 */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "fake-gdev.h"
#include "gdev.h"
#include "log.h"
#include "pci-func.h"
#include "pci-host.h"
#include "peer.h"
#include "platform-bus.h"
#include "test-util.h"
#include "virt-fdt.h"
#include "virt-map.h"

#define SLOT 1u
#define INTA_SOURCE (PCI_INTX_IRQ_BASE + SLOT)   /* swizzle: slot 1, INTA */
#define BAR0_ADDR 0x40000000ull
#define BAR2_ADDR 0x40001000ull
#define ECAM(off) (((uint64_t)SLOT << 15) + (off))

static Atoll__DeviceDesc desc;
static Atoll__GenericDesc gen;
static Atoll__RegionDesc reg[2], *regp[2];
static Atoll__DtProperty prop, *propp[2];

static struct fake_gdev fake;
static struct gdev *g;
static struct pci_host *h;
static struct platform_bus *pb;
static bool line[128];

static void on_irq(void *opaque, unsigned irq, bool level)
{
	ck_assert_uint_lt(irq, 128);
	line[irq] = level;
}

/* A proxy for `d` against a fresh fake device. */
static int open_dev(const Atoll__DeviceDesc *d, int timeout_ms,
		    struct fake_gdev *f, struct gdev **out)
{
	const struct gdev_params p = { .name = "gen0", .me = "cpu0",
				       .timeout_ms = timeout_ms };
	struct vpci_peer *peer;
	struct atoll_msg *r;
	int sv[2], rc;

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(f, sv[1], d));
	CHECK_OK(vpci_peer_open(sv[0], "cpu0", "gen0", 1000, NULL, NULL, &peer));
	CHECK_OK(vpci_peer_describe_msg(peer, 1000, &r));
	rc = gdev_new(&p, peer, (const Atoll__DeviceDesc *)r->body, out);
	atoll_msg_free(r);
	return rc;
}

static void setup_common(void)
{
	log_init("test-generic", ATOLL_LOG_ERROR);
	for (unsigned i = 0; i < 128; i++)
		line[i] = false;
	h = pci_host_new(0x10000000);
	ck_assert_ptr_nonnull(h);
	pci_host_set_irq_handler(h, on_irq, NULL);
	pb = platform_bus_new(VIRT_PLATFORM_BUS_BASE, VIRT_PLATFORM_BUS_SIZE);
	ck_assert_ptr_nonnull(pb);
}

static void setup_pci(void)
{
	setup_common();
	fake_gdev_pci_desc(&desc, &gen, reg, regp);
	CHECK_OK(open_dev(&desc, 200, &fake, &g));
	CHECK_OK(gdev_plug_pci(g, h, SLOT));
}

static void platform_irq(void *opaque, unsigned source, bool level)
{
	on_irq(opaque, source, level);
}

static void setup_platform(void)
{
	const uint64_t addr[1] = { VIRT_PLATFORM_BUS_BASE };
	const unsigned irq[1] = { VIRT_PLATFORM_BUS_IRQ };

	setup_common();
	fake_gdev_platform_desc(&desc, &gen, reg, regp, &prop, propp);
	CHECK_OK(open_dev(&desc, 200, &fake, &g));
	CHECK_OK(gdev_plug_platform(g, pb, addr, irq, platform_irq, NULL));
}

static void teardown(void)
{
	gdev_free(g);
	g = NULL;
	fake_gdev_stop(&fake);
	pci_host_free(h);
	platform_bus_free(pb);
}

static uint32_t cfg(unsigned off, unsigned size)
{
	uint64_t v;

	CHECK_OK(pci_host_ecam_read(h, ECAM(off), size, &v));
	return (uint32_t)v;
}

static void cfg_w(unsigned off, unsigned size, uint32_t v)
{
	CHECK_OK(pci_host_ecam_write(h, ECAM(off), size, v));
}

static void map_bars(void)
{
	cfg_w(PCI_CFG_BAR0, 4, (uint32_t)BAR0_ADDR);
	cfg_w(PCI_CFG_BAR0 + 8, 4, (uint32_t)BAR2_ADDR);
	cfg_w(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
}

static uint64_t mmio(uint64_t addr, unsigned size)
{
	uint64_t v;

	CHECK_OK(pci_host_mmio_read(h, addr, size, &v));
	return v;
}

/* Runs the main loop's side (posted frames) until cond holds or 2 s. */
#define PUMP_UNTIL(cond)                                                     \
	do {                                                                 \
		for (int i_ = 0; i_ < 200 && !(cond); i_++) {                \
			struct pollfd p_ = { gdev_peer_fd(g), POLLIN, 0 };   \
			if (p_.fd >= 0)                                      \
				poll(&p_, 1, 10);                            \
			gdev_peer_ready(g);                                  \
		}                                                            \
		ck_assert(cond);                                             \
	} while (0)

/* A counter of device f, under its lock. */
static unsigned dev_count(struct fake_gdev *f, unsigned *field)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = *field;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static unsigned fake_count(unsigned *field)
{
	return dev_count(&fake, field);
}

START_TEST(pci_header_from_description)
{
	ck_assert_uint_eq(cfg(PCI_CFG_VENDOR, 2), 0x1234);
	ck_assert_uint_eq(cfg(PCI_CFG_DEVICE, 2), 0x5678);
	ck_assert_uint_eq(cfg(PCI_CFG_REVISION, 1), 3);
	ck_assert_uint_eq(cfg(PCI_CFG_CLASS_PROG, 1), 0x30);
	ck_assert_uint_eq(cfg(PCI_CFG_CLASS_PROG + 1, 2), 0x0c03);
	ck_assert_uint_eq(cfg(PCI_CFG_SUBSYS_VENDOR, 2), 0x1af4);
	ck_assert_uint_eq(cfg(PCI_CFG_SUBSYS_ID, 2), 0x1100);
	ck_assert_uint_eq(cfg(PCI_CFG_INT_PIN, 1), 1);
	/* No capabilities: no list, nothing above the header. */
	ck_assert_uint_eq(cfg(PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	ck_assert_uint_eq(cfg(PCI_CFG_CAP_PTR, 1), 0);
	ck_assert_uint_eq(cfg(0x40, 4), 0);
	cfg_w(0x40, 4, 0xdeadbeef);
	ck_assert_uint_eq(cfg(0x40, 4), 0);
	cfg_w(PCI_CFG_INT_LINE, 1, 0x21);
	ck_assert_uint_eq(cfg(PCI_CFG_INT_LINE, 1), 0x21);
}
END_TEST

START_TEST(pci_bar_sizing)
{
	for (unsigned bar = 0; bar < 6; bar++)
		cfg_w(PCI_CFG_BAR0 + 4 * bar, 4, 0xffffffff);
	ck_assert_uint_eq(cfg(PCI_CFG_BAR0, 4), 0xfffff000);
	/* 100 bytes: the BAR is the next power of two. */
	ck_assert_uint_eq(cfg(PCI_CFG_BAR0 + 8, 4), 0xffffff80);
	ck_assert_uint_eq(cfg(PCI_CFG_BAR0 + 4, 4), 0);
	ck_assert_uint_eq(cfg(PCI_CFG_BAR0 + 20, 4), 0);
}
END_TEST

START_TEST(pci_bar_accesses_reach_the_device)
{
	map_bars();
	ck_assert_uint_eq(mmio(BAR0_ADDR + 8, 4), 0x0b0a0908);
	ck_assert_uint_eq(fake.last_region, 0);
	ck_assert_uint_eq(fake.last_off, 8);
	ck_assert_uint_eq(fake.last_size, 4);
	ck_assert_uint_eq(mmio(BAR2_ADDR + 3, 1), 0x23);
	ck_assert_uint_eq(mmio(BAR0_ADDR + 0x20, 8), 0x2726252423222120ull);
	CHECK_OK(pci_host_mmio_write(h, BAR2_ADDR + 4, 2, 0xbeef));
	PUMP_UNTIL(fake_count(&fake.writes) == 1);
	ck_assert_uint_eq(fake.last_region, 2);
	ck_assert_uint_eq(fake.last_off, 4);
	ck_assert_uint_eq(fake.last_size, 2);
	ck_assert_uint_eq(fake.last_data, 0xbeef);
}
END_TEST

START_TEST(pci_beyond_region_reads_ones)
{
	unsigned reads;

	map_bars();
	reads = fake_count(&fake.reads);
	/* BAR 2 decodes 128 bytes; the region has 100. */
	ck_assert_uint_eq(mmio(BAR2_ADDR + 100, 4), 0xffffffff);
	ck_assert_uint_eq(mmio(BAR2_ADDR + 98, 4), 0xffffffff);
	CHECK_OK(pci_host_mmio_write(h, BAR2_ADDR + 120, 4, 1));
	ck_assert_uint_eq(fake_count(&fake.reads), reads);
}
END_TEST

START_TEST(pci_intx_level)
{
	map_bars();
	fake_gdev_irq(&fake, 0, true);
	PUMP_UNTIL(line[INTA_SOURCE]);
	ck_assert(gdev_line(g, 0));
	ck_assert(cfg(PCI_CFG_STATUS, 2) & PCI_STATUS_INTX);
	/* INTx disable masks the pin, not the status. */
	cfg_w(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE);
	ck_assert(!line[INTA_SOURCE]);
	cfg_w(PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY);
	ck_assert(line[INTA_SOURCE]);
	/* A read that clears the status: the line is low when it returns. */
	mmio(BAR0_ADDR + FAKE_GDEV_CLEAR_OFF, 4);
	ck_assert(!line[INTA_SOURCE]);
	ck_assert_uint_eq(cfg(PCI_CFG_STATUS, 2) & PCI_STATUS_INTX, 0);
}
END_TEST

START_TEST(line_out_of_range_cuts_off)
{
	char why[128];

	fake_gdev_irq(&fake, 1, true);    /* a PCI function has line 0 only */
	PUMP_UNTIL(gdev_faulted(g));
	ck_assert(gdev_take_fault(g, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "line"));
	ck_assert_int_lt(gdev_peer_fd(g), 0);
	map_bars();
	ck_assert_uint_eq(mmio(BAR0_ADDR, 4), 0xffffffff);
}
END_TEST

START_TEST(reply_of_wrong_size_faults)
{
	char why[128];

	map_bars();
	atomic_store(&fake.misbehave, FAKE_GDEV_BAD_SIZE);
	ck_assert_uint_eq(mmio(BAR0_ADDR, 2), 0xffff);
	ck_assert(gdev_faulted(g));
	ck_assert(gdev_take_fault(g, why, sizeof(why)));
}
END_TEST

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

START_TEST(silent_device_reads_ones_and_faults)
{
	char why[128];
	unsigned reads;
	double t0;

	map_bars();
	atomic_store(&fake.misbehave, FAKE_GDEV_HANG);
	t0 = now_ms();
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	printf("unanswered read completed after %.0f ms (deadline 200 ms)\n",
	       now_ms() - t0);
	ck_assert(gdev_faulted(g));
	/* The fault eventfd tells the main loop, which posts DEVICE_FAULT. */
	struct pollfd p = { gdev_fault_fd(g), POLLIN, 0 };
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	ck_assert(gdev_take_fault(g, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "no answer"));
	/* Until it is back, accesses do not reach it. */
	reads = fake_count(&fake.reads);
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	ck_assert_uint_eq(fake_count(&fake.reads), reads);
}
END_TEST

START_TEST(late_reply_faults_and_restart_reattaches)
{
	struct fake_gdev f2;
	int sv[2];

	map_bars();
	fake.late_ms = 400;
	atomic_store(&fake.misbehave, FAKE_GDEV_LATE);
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	ck_assert(gdev_faulted(g));
	/* The restarted device: same description, accesses reach it. */
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(&f2, sv[1], &desc));
	CHECK_OK(gdev_reattach(g, sv[0]));
	ck_assert(!gdev_faulted(g));
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0x07060504);
	ck_assert_uint_eq(dev_count(&f2, &f2.reads), 1);
	gdev_free(g);
	g = NULL;
	fake_gdev_stop(&f2);
}
END_TEST

START_TEST(restart_as_another_device_refused)
{
	struct fake_gdev f2;
	int sv[2];

	gen.device_id = 0x9999;
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(&f2, sv[1], &desc));
	ck_assert_int_eq(gdev_reattach(g, sv[0]), -EPROTO);
	fake_gdev_stop(&f2);
}
END_TEST

START_TEST(platform_window_and_line)
{
	uint64_t v;

	PUMP_UNTIL(fake_count(&fake.placed) == 1);
	ck_assert_uint_eq(fake.placed_addr[0], VIRT_PLATFORM_BUS_BASE);
	CHECK_OK(platform_bus_read(pb, VIRT_PLATFORM_BUS_BASE + 0x10, 4, &v));
	ck_assert_uint_eq(v, 0x13121110);
	ck_assert_uint_eq(fake.last_region, 0);
	ck_assert_uint_eq(fake.last_off, 0x10);
	CHECK_OK(platform_bus_write(pb, VIRT_PLATFORM_BUS_BASE + 8, 4, 7));
	PUMP_UNTIL(fake_count(&fake.writes) == 1);
	ck_assert_uint_eq(fake.last_off, 8);
	ck_assert_uint_eq(fake.last_data, 7);
	/* Outside the window: a bus error, as unmapped addresses are. */
	ck_assert_int_eq(platform_bus_read(pb, VIRT_PLATFORM_BUS_BASE + 0x1000,
					   4, &v), -EFAULT);
	fake_gdev_irq(&fake, 0, true);
	PUMP_UNTIL(line[VIRT_PLATFORM_BUS_IRQ]);
	fake_gdev_irq(&fake, 0, false);
	PUMP_UNTIL(!line[VIRT_PLATFORM_BUS_IRQ]);
}
END_TEST

START_TEST(platform_device_tree_node)
{
	struct virt_fdt_dev n;
	struct virt_fdt_prop props[GDEV_MAX_PROPS];
	char name[32];
	struct virt_fdt_params p = {
		.nharts = 1, .ram_base = VIRT_DRAM_BASE, .ram_size = 1 << 28,
		.isa = "rv64imafdc", .mmu_type = "riscv,sv48",
		.devs = &n, .ndevs = 1,
	};
	void *blob;
	size_t len;
	int off, plic, l;
	const fdt32_t *c;

	gdev_fdt_node(g, &n, name, sizeof(name), props);
	CHECK_OK(virt_fdt_build(&p, &blob, &len));
	off = fdt_path_offset(blob, "/soc/goldfish-rtc@4000000");
	ck_assert_int_ge(off, 0);
	ck_assert_str_eq(fdt_getprop(blob, off, "compatible", NULL),
			 "google,goldfish-rtc");
	c = fdt_getprop(blob, off, "reg", &l);
	ck_assert_int_eq(l, 16);
	ck_assert_uint_eq(fdt32_to_cpu(c[1]), VIRT_PLATFORM_BUS_BASE);
	ck_assert_uint_eq(fdt32_to_cpu(c[3]), 0x1000);
	c = fdt_getprop(blob, off, "interrupts", &l);
	ck_assert_int_eq(l, 4);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), VIRT_PLATFORM_BUS_IRQ);
	plic = fdt_path_offset(blob, "/soc/plic@c000000");
	c = fdt_getprop(blob, off, "interrupt-parent", &l);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), fdt_get_phandle(blob, plic));
	c = fdt_getprop(blob, off, "clock-frequency", &l);
	ck_assert_int_eq(l, 4);
	ck_assert_uint_eq(fdt32_to_cpu(c[0]), 10000000);
	free(blob);
}
END_TEST

/* --- a device that died: the hold ------------------------------------ */

/* One guest access on its own thread (a hart), which may wait for the
 * device; no ck_assert here (the main thread checks the result). */
struct hart_access {
	pthread_t tid;
	bool write;
	uint64_t addr, val;
	int rc;
	double ms;                 /* how long the access took */
};

static void *hart_access_main(void *arg)
{
	struct hart_access *a = arg;
	double t0 = now_ms();

	a->rc = a->write ? pci_host_mmio_write(h, a->addr, 4, a->val)
			 : pci_host_mmio_read(h, a->addr, 4, &a->val);
	a->ms = now_ms() - t0;
	return NULL;
}

static void hart_access_start(struct hart_access *a, bool write,
			      uint64_t addr, uint64_t val)
{
	*a = (struct hart_access){ .write = write, .addr = addr, .val = val };
	ck_assert_int_eq(pthread_create(&a->tid, NULL, hart_access_main, a), 0);
}

static void hart_access_join(struct hart_access *a)
{
	pthread_join(a->tid, NULL);
	CHECK_OK(a->rc);
}

static void hold_counts(unsigned *begun, unsigned *ran_out)
{
	gdev_hold_counts(g, begun, ran_out);
}

/* Polls (the hold is GDEV_HOLD_MS) until `n` waits have begun. */
static void until_holds(unsigned n)
{
	unsigned begun = 0, out;

	for (int i = 0; i < 1000 && begun < n; i++) {
		hold_counts(&begun, &out);
		if (begun < n)
			usleep(1000);
	}
	ck_assert_uint_eq(begun, n);
}

/* The device's process dies: its end of the connection closes. */
static void device_dies(void)
{
	fake_gdev_stop(&fake);
}

/* Its restart: a new fake on a new connection, re-attached. */
static void device_restarts(struct fake_gdev *f)
{
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	CHECK_OK(fake_gdev_start(f, sv[1], &desc));
	CHECK_OK(gdev_reattach(g, sv[0]));
}

static void free_with(struct fake_gdev *f)
{
	gdev_free(g);
	g = NULL;
	fake_gdev_stop(f);
}

START_TEST(access_while_away_waits_for_restart)
{
	struct fake_gdev f2;
	struct hart_access rd, wr;
	unsigned begun, out;

	map_bars();
	device_dies();
	/* Nothing read the device's EOF yet: the read finds out itself. */
	hart_access_start(&rd, false, BAR0_ADDR + 4, 0);
	until_holds(1);
	hart_access_start(&wr, true, BAR2_ADDR + 8, 0x5a5a);
	until_holds(2);
	device_restarts(&f2);
	hart_access_join(&rd);
	hart_access_join(&wr);
	printf("read and write held %.0f / %.0f ms for the restart\n", rd.ms,
	       wr.ms);
	/* The new device's value, not all ones; the write reached it (the
	 * two go in either order: only the write sets last_data). */
	ck_assert_uint_eq(rd.val, 0x07060504);
	ck_assert_uint_eq(dev_count(&f2, &f2.reads), 1);
	PUMP_UNTIL(dev_count(&f2, &f2.writes) == 1);
	ck_assert_uint_eq(f2.last_data, 0x5a5a);
	hold_counts(&begun, &out);
	ck_assert_uint_eq(out, 0);
	ck_assert(!gdev_faulted(g));
	free_with(&f2);
}
END_TEST

START_TEST(device_not_back_costs_one_hold)
{
	struct fake_gdev f2;
	unsigned begun, out;
	double t0, ms;

	map_bars();
	device_dies();
	PUMP_UNTIL(gdev_peer_fd(g) < 0);   /* the main loop saw it go */
	t0 = now_ms();
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	ms = now_ms() - t0;
	printf("first read of a device not coming back: all ones after %.0f "
	       "ms (hold %d ms)\n", ms, GDEV_HOLD_MS);
	ck_assert_double_ge(ms, GDEV_HOLD_MS);
	hold_counts(&begun, &out);
	ck_assert_uint_eq(begun, 1);
	ck_assert_uint_eq(out, 1);
	/* Later accesses do not wait. */
	t0 = now_ms();
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	CHECK_OK(pci_host_mmio_write(h, BAR0_ADDR, 4, 1));
	printf("later read and write: %.3f ms\n", now_ms() - t0);
	hold_counts(&begun, &out);
	ck_assert_uint_eq(begun, 1);
	/* Not a fault: a restart comes back as ever, and waits resume. */
	ck_assert(!gdev_faulted(g));
	device_restarts(&f2);
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0x07060504);
	free_with(&f2);
}
END_TEST

START_TEST(stop_and_give_up_end_a_hold)
{
	struct hart_access a;
	unsigned begun, out;

	map_bars();
	device_dies();
	/* The owner stops the harts: the waiting access ends, all ones. */
	hart_access_start(&a, false, BAR0_ADDR + 4, 0);
	until_holds(1);
	gdev_hold(g, false);
	hart_access_join(&a);
	ck_assert_uint_eq(a.val, 0xffffffff);
	printf("a stop ended a hold after %.0f ms\n", a.ms);
	/* Stopped: no waits; a stop is not the device giving up. */
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	hold_counts(&begun, &out);
	ck_assert_uint_eq(begun, 1);
	ck_assert_uint_eq(out, 0);
	gdev_hold(g, true);
	/* The launcher gives up on it (DEVICE_FAULT): likewise, and no
	 * access waits after that. */
	hart_access_start(&a, false, BAR0_ADDR + 4, 0);
	until_holds(2);
	gdev_gone(g);
	hart_access_join(&a);
	ck_assert_uint_eq(a.val, 0xffffffff);
	printf("the launcher giving up ended a hold after %.0f ms\n", a.ms);
	ck_assert_uint_eq(mmio(BAR0_ADDR + 4, 4), 0xffffffff);
	hold_counts(&begun, &out);
	ck_assert_uint_eq(begun, 2);
	ck_assert_uint_eq(out, 0);
}
END_TEST

/* Descriptions the proxy must refuse, each changed from a valid one. */
static void refuse(void (*mutate)(void))
{
	struct gdev_desc d;
	const char *why = NULL;

	mutate();
	ck_assert_int_eq(gdev_desc_parse(&desc, &d, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
}

static void no_compat(void) { gen.dt_compatible = NULL; }
static void reserved_prop(void) { prop.name = (char *)"interrupts"; }
static void bad_prop_name(void) { prop.name = (char *)"a b"; }
static void port_io(void) { reg[0].mmio = false; }
static void huge_window(void) { reg[0].size = 1ull << 40; }
static void no_window(void) { gen.n_regions = 0; }
static void many_lines(void) { gen.num_irqs = 9; }
static void not_generic(void) { desc.model = ATOLL__DEVICE_MODEL__MODEL_VIRTIO; }
static void unknown_bus(void) { gen.bus = 7; }
static void compat_quote(void) { gen.dt_compatible = (char *)"a\"b"; }
static void dup_prop(void) { gen.n_dt_props = 2; propp[1] = &prop; }

START_TEST(platform_descriptions_refused)
{
	static void (*const m[])(void) = {
		no_compat, reserved_prop, bad_prop_name, port_io, huge_window,
		no_window, many_lines, not_generic, unknown_bus, compat_quote,
	};
	fake_gdev_platform_desc(&desc, &gen, reg, regp, &prop, propp);
	refuse(m[_i]);
}
END_TEST

START_TEST(duplicate_prop_refused)
{
	fake_gdev_platform_desc(&desc, &gen, reg, regp, &prop, propp);
	refuse(dup_prop);
}
END_TEST

static void two_lines(void) { gen.num_irqs = 2; }
static void bar_six(void) { reg[1].index = 6; }
static void same_bar(void) { reg[1].index = 0; }
static void vendor_ffff(void) { gen.vendor_id = 0xffff; }
static void pci_compat(void) { gen.dt_compatible = (char *)"x,y"; }

START_TEST(pci_descriptions_refused)
{
	static void (*const m[])(void) = {
		two_lines, bar_six, same_bar, vendor_ffff, pci_compat,
	};

	fake_gdev_pci_desc(&desc, &gen, reg, regp);
	refuse(m[_i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("generic");
	TCase *pci = tcase_create("pci");
	TCase *plat = tcase_create("platform");
	TCase *desc_tc = tcase_create("descriptions");

	tcase_add_checked_fixture(pci, setup_pci, teardown);
	tcase_set_timeout(pci, 20);
	tcase_add_test(pci, pci_header_from_description);
	tcase_add_test(pci, pci_bar_sizing);
	tcase_add_test(pci, pci_bar_accesses_reach_the_device);
	tcase_add_test(pci, pci_beyond_region_reads_ones);
	tcase_add_test(pci, pci_intx_level);
	tcase_add_test(pci, line_out_of_range_cuts_off);
	tcase_add_test(pci, reply_of_wrong_size_faults);
	tcase_add_test(pci, silent_device_reads_ones_and_faults);
	tcase_add_test(pci, late_reply_faults_and_restart_reattaches);
	tcase_add_test(pci, restart_as_another_device_refused);
	tcase_add_test(pci, access_while_away_waits_for_restart);
	tcase_add_test(pci, device_not_back_costs_one_hold);
	tcase_add_test(pci, stop_and_give_up_end_a_hold);
	suite_add_tcase(s, pci);
	tcase_add_checked_fixture(plat, setup_platform, teardown);
	tcase_add_test(plat, platform_window_and_line);
	tcase_add_test(plat, platform_device_tree_node);
	suite_add_tcase(s, plat);
	tcase_add_loop_test(desc_tc, platform_descriptions_refused, 0, 10);
	tcase_add_test(desc_tc, duplicate_prop_refused);
	tcase_add_loop_test(desc_tc, pci_descriptions_refused, 0, 5);
	suite_add_tcase(s, desc_tc);
	return s;
}

CHECK_MAIN(suite)
