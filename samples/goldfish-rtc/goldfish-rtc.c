/* SPDX-License-Identifier: MIT */
/*
 * samples/goldfish-rtc: the Goldfish real-time clock (device-tree
 * compatible "google,goldfish-rtc", as on QEMU's riscv virt machine) as an
 * out-of-tree Atoll device, built against the installed SDK alone. It is a
 * platform device of the generic model: one MMIO window whose registers
 * atoll-cpu forwards here (reads wait for the answer, writes are posted)
 * and one level interrupt line. Linux's stock rtc-goldfish driver binds to
 * it; /sys/class/rtc/rtc0 then shows the host's time.
 *
 * Registers, 32 bits each, little-endian (Linux drivers/rtc/rtc-goldfish.c
 * and include/clocksource/timer-goldfish.h name them):
 *   0x00 TIME_LOW      r: the clock in ns; returns the low half and latches
 *                         the high half for TIME_HIGH; w: sets the low half
 *   0x04 TIME_HIGH     r: the latched high half; w: sets the high half
 *   0x08 ALARM_LOW     r/w: low half of the alarm (ns); a write arms it
 *   0x0c ALARM_HIGH    r/w: high half of the alarm (write it first)
 *   0x10 IRQ_ENABLED   r/w: bit 0 lets a pending alarm raise the line
 *   0x14 CLEAR_ALARM   w: disarms the alarm
 *   0x18 ALARM_STATUS  r: 1 while the alarm is armed
 *   0x1c CLEAR_INTERRUPT w: lowers the line (the alarm is acknowledged)
 * The line is high while an alarm has fired and is neither cleared nor
 * disabled. The clock is the host's CLOCK_REALTIME plus an offset the guest
 * sets by writing TIME_*.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <atoll/bus-event.h>
#include <atoll/device.h>

enum {
	TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c,
	IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18,
	CLEAR_INTERRUPT = 0x1c,
};
#define WINDOW_SIZE 0x1000u          /* one page, as QEMU's virt machine */
#define NSEC_PER_SEC 1000000000ll

struct rtc {
	atoll_dev *dev;
	struct event_base *base;
	struct event *alarm_timer;
	int64_t offset_ns;           /* guest clock - host CLOCK_REALTIME */
	uint64_t alarm_ns;           /* guest clock time of the alarm */
	uint32_t time_high;          /* latched by a TIME_LOW read */
	bool alarm_armed, irq_pending, irq_enabled;
	uint64_t accesses;           /* register accesses, for HEALTH */
	unsigned bad_accesses;       /* ignored ones (size, alignment) */
	int status;                  /* exit status, once the session ends */
};

static uint64_t clock_ns(const struct rtc *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec +
	       (uint64_t)r->offset_ns;
}

/* The one place the line changes: it follows pending && enabled. If the
 * library cannot tell atoll-cpu (a full socket), atoll-cpu keeps the old
 * level until the next change or a new peer connection: worth a log. */
static void update_line(struct rtc *r)
{
	int err = atoll_dev_irq_set(r->dev, 0, r->irq_pending && r->irq_enabled);

	if (err < 0)
		atoll_dev_log(r->dev, ATOLL_LOG_WARN, "interrupt line: %s",
			      strerror(-err));
}

static void alarm_fire(struct rtc *r)
{
	r->alarm_armed = false;
	r->irq_pending = true;
	update_line(r);
}

static void alarm_arm(struct rtc *r);

/* The wait is capped (alarm_arm), so the alarm may not be due yet. */
static void alarm_timer_cb(evutil_socket_t fd, short what, void *opaque)
{
	(void)fd;
	(void)what;
	alarm_arm(opaque);
}

/* Arms the alarm at alarm_ns (guest clock); one already due fires now.
 * The timer is relative to the host clock: a host clock step delays or
 * hastens the alarm, which a sample accepts. The guest may ask for an
 * alarm centuries away: a wait longer than a day is taken a day at a
 * time. */
static void alarm_arm(struct rtc *r)
{
	const uint64_t day = 86400 * (uint64_t)NSEC_PER_SEC;
	uint64_t now = clock_ns(r);

	evtimer_del(r->alarm_timer);
	if (r->alarm_ns <= now) {
		alarm_fire(r);
		return;
	}
	uint64_t wait = r->alarm_ns - now < day ? r->alarm_ns - now : day;
	struct timeval tv = {
		.tv_sec = (time_t)(wait / NSEC_PER_SEC),
		.tv_usec = (suseconds_t)(wait % NSEC_PER_SEC / 1000),
	};
	r->alarm_armed = true;
	evtimer_add(r->alarm_timer, &tv);
}

/* Sets one half of the clock, keeping the other. */
static void set_time_half(struct rtc *r, bool high, uint32_t value)
{
	uint64_t now = clock_ns(r), want;

	if (high)
		want = (now & 0xffffffffull) | (uint64_t)value << 32;
	else
		want = (now & ~0xffffffffull) | value;
	r->offset_ns += (int64_t)(want - now);
}

/* Only aligned 32-bit accesses exist; the library has already checked
 * offset + size against the window. Anything else reads 0 and writes
 * nothing, as on the real device. */
static bool access_ok(struct rtc *r, uint64_t offset, unsigned size)
{
	r->accesses++;
	if (size == 4 && offset % 4 == 0)
		return true;
	if (r->bad_accesses++ < 10)
		atoll_dev_log(r->dev, ATOLL_LOG_WARN,
			      "ignored %u-byte access at 0x%llx", size,
			      (unsigned long long)offset);
	return false;
}

static uint64_t rtc_read(void *opaque, uint32_t index, uint64_t offset,
			 unsigned size)
{
	struct rtc *r = opaque;
	uint64_t now;

	(void)index; /* the device has one window */
	if (!access_ok(r, offset, size))
		return 0;
	switch (offset) {
	case TIME_LOW:
		now = clock_ns(r);
		r->time_high = (uint32_t)(now >> 32);
		return (uint32_t)now;
	case TIME_HIGH:
		return r->time_high;
	case ALARM_LOW:
		return (uint32_t)r->alarm_ns;
	case ALARM_HIGH:
		return (uint32_t)(r->alarm_ns >> 32);
	case IRQ_ENABLED:
		return r->irq_enabled;
	case ALARM_STATUS:
		return r->alarm_armed;
	default:
		return 0;
	}
}

static void rtc_write(void *opaque, uint32_t index, uint64_t offset,
		      unsigned size, uint64_t value)
{
	struct rtc *r = opaque;
	uint32_t v = (uint32_t)value;

	(void)index;
	if (!access_ok(r, offset, size))
		return;
	switch (offset) {
	case TIME_LOW:
	case TIME_HIGH:
		set_time_half(r, offset == TIME_HIGH, v);
		break;
	case ALARM_LOW:
		r->alarm_ns = (r->alarm_ns & ~0xffffffffull) | v;
		alarm_arm(r);
		break;
	case ALARM_HIGH:
		r->alarm_ns = (r->alarm_ns & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case IRQ_ENABLED:
		r->irq_enabled = v & 1;
		update_line(r);
		break;
	case CLEAR_ALARM:
		evtimer_del(r->alarm_timer);
		r->alarm_armed = false;
		break;
	case CLEAR_INTERRUPT:
		r->irq_pending = false;
		update_line(r);
		break;
	}
}

static const struct atoll_dev_region rtc_window = {
	.index = 0, .size = WINDOW_SIZE,
	.read = rtc_read, .write = rtc_write,
};

static const struct atoll_dev_generic rtc_desc = {
	.bus = ATOLL_DEV_BUS_PLATFORM,
	.regions = &rtc_window, .num_regions = 1,
	.num_irqs = 1,
	.dt_compatible = "google,goldfish-rtc",
};

static void rtc_health(void *opaque, Atoll__HealthReport *rep)
{
	const struct rtc *r = opaque;

	rep->requests_completed = r->accesses;
	rep->requests_failed = r->bad_accesses;
}

/* SHUTDOWN (0) or the launcher gone (1). */
static void rtc_stop(void *opaque, int status)
{
	struct rtc *r = opaque;

	r->status = status;
	event_base_loopbreak(r->base);
}

static void log_stderr(void *opaque, enum atoll_log_level level,
		       const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	if (level > ATOLL_LOG_INFO)
		return;
	fprintf(stderr, "%s: %s: ", (const char *)opaque, names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: atoll-sample-goldfish-rtc [--fd=N] [--name=NAME]\n"
		"  --fd=N     the control bus socket (default 3)\n"
		"  --name=S   instance name (default goldfish-rtc)\n");
}

static int parse_args(int argc, char **argv, int *fd, const char **name)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			*fd = (int)strtol(optarg, &end, 10);
			if (*end || *fd < 0)
				return -1;
			break;
		case 'n':
			*name = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct rtc r = { .status = 1 };
	const char *name = "goldfish-rtc";
	int fd = 3;

	if (parse_args(argc, argv, &fd, &name) < 0) {
		usage(stderr);
		return 2;
	}
	r.base = event_base_new();
	r.alarm_timer = r.base ? evtimer_new(r.base, alarm_timer_cb, &r) : NULL;
	atoll_event_watch *watch = r.alarm_timer ? atoll_event_watch_new(r.base) : NULL;
	struct atoll_dev_config cfg = {
		.kind = "goldfish-rtc", .name = name,
		.watch = atoll_event_watch_ops(), .loop = watch,
		.log = log_stderr, .log_opaque = (void *)name,
		.opaque = &r, .generic = &rtc_desc,
		.stop = rtc_stop, .health = rtc_health,
	};
	r.dev = watch ? atoll_dev_new(&cfg) : NULL;

	if (!r.dev) {
		fprintf(stderr, "%s: cannot set up: %s\n", name, strerror(errno));
	} else if ((errno = -atoll_dev_start(r.dev, fd)) != 0) {
		fprintf(stderr, "%s: no session with the launcher: %s\n", name,
			strerror(errno));
	} else {
		event_base_dispatch(r.base);
	}
	atoll_dev_free(r.dev);
	atoll_event_watch_free(watch);
	if (r.alarm_timer)
		event_free(r.alarm_timer);
	if (r.base)
		event_base_free(r.base);
	return r.status;
}
