/* SPDX-License-Identifier: MIT */
/*
 * A generic test device on raw libatoll-bus (no SDK), on its own thread:
 * answers HELLO and DEVICE_DESCRIBE with the description it was given,
 * REGION_READ with a pattern (byte i of region r at offset o reads
 * (r << 4 | (o + i)) & 0xff), records REGION_WRITE and REGION_PLACED, and
 * posts IRQ_LEVEL on request. It can misbehave: never answer reads, answer
 * them late, or with the wrong length, or die at a read.
 */
#ifndef ATOLL_TEST_FAKE_GDEV_H
#define ATOLL_TEST_FAKE_GDEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>

enum fake_gdev_misbehave {
	FAKE_GDEV_OK,
	FAKE_GDEV_HANG,        /* REGION_READ is never answered */
	FAKE_GDEV_LATE,        /* answered after late_ms */
	FAKE_GDEV_BAD_SIZE,    /* answered with one byte too many */
	FAKE_GDEV_DIE,         /* a REGION_READ closes the connection
				* unanswered, as a crash would */
};

/* Reading region 0 at this offset lowers line 0 before the answer, as an
 * interrupt status register that clears on read does. */
#define FAKE_GDEV_CLEAR_OFF 0x10u

struct fake_gdev {
	pthread_t tid;
	int wake_fd;
	atomic_bool stop;
	atomic_int misbehave;
	int late_ms;
	bool stopped;
	atoll_bus *bus;
	const Atoll__DeviceDesc *desc;   /* the caller's */

	pthread_mutex_t lock;            /* guards everything below */
	unsigned reads, writes, placed;
	uint32_t last_region, last_size;
	uint64_t last_off, last_data;
	uint64_t placed_addr[8];
	bool post_pending;
	uint32_t post_line;
	bool post_level;
};

int fake_gdev_start(struct fake_gdev *f, int fd, const Atoll__DeviceDesc *d);
void fake_gdev_stop(struct fake_gdev *f);
/* Has the thread post IRQ_LEVEL(line, level). */
void fake_gdev_irq(struct fake_gdev *f, uint32_t line, bool level);

/* Descriptions for tests: a PCI function (BAR 0: 4 KiB, BAR 2: 100
 * bytes, INTA) and a platform device (one 4 KiB window, one line, a
 * compatible and one extra property). */
void fake_gdev_pci_desc(Atoll__DeviceDesc *d, Atoll__GenericDesc *g,
			Atoll__RegionDesc *r, Atoll__RegionDesc **rp);
void fake_gdev_platform_desc(Atoll__DeviceDesc *d, Atoll__GenericDesc *g,
			     Atoll__RegionDesc *r, Atoll__RegionDesc **rp,
			     Atoll__DtProperty *p, Atoll__DtProperty **pp);

#endif
