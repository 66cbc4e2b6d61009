/* SPDX-License-Identifier: MIT */
/*
 * atoll-tpm: a TPM 2.0 (or 1.2) on libtpms, reached by the guest through
 * the TIS register file over MMIO (device-tree compatible
 * "tcg,tpm-tis-mmio", which Linux's tpm_tis binds to), as a generic
 * platform device of libatoll-device (docs/dev-tpm.md).
 *
 * The registers live here, in the device process: every guest read is a
 * REGION_READ round trip; docs/dev-tpm.md has the measurement behind that
 * choice. No interrupt line: Linux's tpm_tis polls STS, and an interrupt
 * would save no register read (the driver reads STS after it anyway).
 *
 * usage: atoll-tpm --state=FD [--version=2|1.2] [--inline-wait-ms=N]
 *                  [--fd=N] [--name=NAME]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <atoll/bus-event.h>
#include <atoll/device.h>

#include "engine.h"
#include "tis.h"

#define SAVE_FORMAT 1u                /* DeviceState.version */

struct tpm {
	atoll_dev *dev;
	struct event_base *base;
	struct event *done_ev;
	struct engine *engine;
	struct tis tis;
	int inline_wait_ms;           /* 0: always complete from done_cb */
	int status;
};

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

/* A TPM failure response in the command's own family (TPM 2.0: tag
 * TPM_ST_NO_SESSIONS, TPM_RC_FAILURE; 1.2: TPM_TAG_RSP_COMMAND,
 * TPM_FAIL), for a command the engine could not take. */
static void complete_failed(struct tpm *t)
{
	uint8_t r[10] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01 };

	if (!t->tis.tpm2) {
		r[0] = 0x00, r[1] = 0xc4, r[8] = 0, r[9] = 0x09;
	}
	tis_complete(&t->tis, r, sizeof(r));
}

/* tpmGo (a posted write). A command that finishes within INLINE_WAIT_MS
 * completes before the guest's next register read is served, so Linux's
 * first status poll finds the response and its driver does not sleep;
 * a slower one completes from done_cb. */
#define INLINE_WAIT_MS 50
static void tis_execute(void *opaque, const uint8_t *cmd, uint32_t len)
{
	struct tpm *t = opaque;
	const uint8_t *resp;
	uint32_t resp_len;
	int r = engine_submit(t->engine, cmd, len);

	if (r < 0) {
		atoll_dev_log(t->dev, ATOLL_LOG_WARN, "command of %u bytes not "
			      "run: %s", len, strerror(-r));
		complete_failed(t);
		return;
	}
	if (t->inline_wait_ms > 0 &&
	    engine_wait(t->engine, t->inline_wait_ms) &&
	    engine_take(t->engine, &resp, &resp_len) == 0)
		tis_complete(&t->tis, resp, resp_len);
}

static void done_cb(evutil_socket_t fd, short what, void *opaque)
{
	struct tpm *t = opaque;
	const uint8_t *resp;
	uint32_t len;

	(void)fd;
	(void)what;
	if (engine_take(t->engine, &resp, &len) == 0)
		tis_complete(&t->tis, resp, len);
}

static uint64_t tpm_read(void *opaque, uint32_t index, uint64_t offset,
			 unsigned size)
{
	(void)index;
	return tis_read(&((struct tpm *)opaque)->tis, offset, size);
}

static void tpm_write(void *opaque, uint32_t index, uint64_t offset,
		      unsigned size, uint64_t value)
{
	(void)index;
	tis_write(&((struct tpm *)opaque)->tis, offset, size, value);
}

static const struct atoll_dev_region tis_window = {
	.index = 0, .size = TIS_WINDOW_SIZE,
	.read = tpm_read, .write = tpm_write,
};

static const struct atoll_dev_generic tpm_desc = {
	.bus = ATOLL_DEV_BUS_PLATFORM,
	.regions = &tis_window, .num_regions = 1,
	.num_irqs = 0,
	.dt_compatible = "tcg,tpm-tis-mmio",
};

/* DeviceState.data: tis_len(u32 LE) tis, then engine_save's bytes. */
static void state_save(struct tpm *t, atoll_bus *bus, struct atoll_msg *m)
{
	Atoll__DeviceState ds = ATOLL__DEVICE_STATE__INIT;
	static uint8_t tis_buf[TIS_SAVED_MAX];
	uint8_t *eng = NULL, *all;
	size_t eng_len, tis_len;
	int r;

	if (t->tis.tpm_busy || (r = engine_save(t->engine, &eng, &eng_len)) < 0) {
		atoll_bus_reply_error(bus, m, EBUSY, "a TPM command is running");
		return;
	}
	tis_len = tis_save(&t->tis, tis_buf);
	all = malloc(4 + tis_len + eng_len);
	if (!all) {
		free(eng);
		atoll_bus_reply_error(bus, m, ENOMEM, "saving the TPM");
		return;
	}
	for (int i = 0; i < 4; i++)
		all[i] = (uint8_t)(tis_len >> (8 * i));
	memcpy(all + 4, tis_buf, tis_len);
	memcpy(all + 4 + tis_len, eng, eng_len);
	ds.version = SAVE_FORMAT;
	ds.data.data = all;
	ds.data.len = 4 + tis_len + eng_len;
	r = atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_STATE, &ds.base, NULL, 0);
	if (r < 0) {
		atoll_dev_log(t->dev, ATOLL_LOG_WARN, "state of %zu bytes not "
			      "sent: %s", ds.data.len, strerror(-r));
		atoll_bus_reply_error(bus, m, r, "state of %zu bytes not sent",
				      ds.data.len);
	}
	free(all);
	free(eng);
}

static void state_load(struct tpm *t, atoll_bus *bus, struct atoll_msg *m)
{
	const Atoll__DeviceState *ds = (const Atoll__DeviceState *)m->body;
	const uint8_t *p = ds->data.data;
	size_t len = ds->data.len, tis_len;
	char why[160];
	struct tis probe;

	if (ds->version != SAVE_FORMAT || len < 4 ||
	    (tis_len = p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
		       (size_t)p[3] << 24) > len - 4) {
		atoll_bus_reply_error(bus, m, EINVAL, "not an atoll-tpm state");
		return;
	}
	/* The register file is checked before the TPM restarts, so a bad
	 * one changes nothing. */
	tis_init(&probe, t->tis.tpm2, NULL, NULL);
	if (tis_restore(&probe, p + 4, tis_len) < 0) {
		atoll_bus_reply_error(bus, m, EINVAL, "bad TIS state");
		return;
	}
	if (engine_load(t->engine, p + 4 + tis_len, len - 4 - tis_len, why,
			sizeof(why)) < 0) {
		atoll_dev_log(t->dev, ATOLL_LOG_WARN, "STATE_LOAD: %s", why);
		atoll_bus_reply_error(bus, m, EINVAL, "%s", why);
		return;
	}
	tis_restore(&t->tis, p + 4, tis_len);
	atoll_bus_reply_ack(bus, m);
}

static int control_message(void *opaque, atoll_bus *bus, struct atoll_msg *m)
{
	struct tpm *t = opaque;

	if (m->type == ATOLL__MSG_TYPE__MSG_STATE_SAVE)
		state_save(t, bus, m);
	else if (m->type == ATOLL__MSG_TYPE__MSG_STATE_LOAD)
		state_load(t, bus, m);
	else
		return -EOPNOTSUPP;
	return 0;
}

static void tpm_health(void *opaque, Atoll__HealthReport *rep)
{
	const struct tpm *t = opaque;

	rep->requests_completed = t->tis.commands;
}

static void tpm_stop(void *opaque, int status)
{
	struct tpm *t = opaque;

	/* Each read is a round trip through atoll-cpu (docs/dev-tpm.md,
	 * "Where the registers live"): the figure behind that choice. */
	atoll_dev_log(t->dev, ATOLL_LOG_INFO, "%llu commands, %llu register "
		      "reads, %llu writes", (unsigned long long)t->tis.commands,
		      (unsigned long long)t->tis.reads,
		      (unsigned long long)t->tis.writes);
	t->status = status;
	event_base_loopbreak(t->base);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: atoll-tpm --state=FD [--version=2|1.2] "
		"[--inline-wait-ms=N] [--fd=N] [--name=NAME]\n"
		"  --state=FD   the permanent state file, open read-write (an "
		"empty one: a fresh TPM)\n"
		"  --version=V  2 (TPM 2.0, default) or 1.2\n"
		"  --inline-wait-ms=N  how long tpmGo waits for the command "
		"(default 50, at most 500; 0: never)\n"
		"  --fd=N       the control bus socket (default 3)\n"
		"  --name=S     instance name (default tpm)\n");
}

struct args {
	int fd, state_fd, inline_wait_ms;
	bool tpm2;
	const char *name;
};

static int parse_fd(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < 0 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' },
		{ "version", required_argument, NULL, 'v' },
		{ "inline-wait-ms", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((c == 'f' && parse_fd(optarg, &a->fd) < 0) ||
		    (c == 's' && parse_fd(optarg, &a->state_fd) < 0) ||
		    (c == 'w' && (parse_fd(optarg, &a->inline_wait_ms) < 0 ||
				  a->inline_wait_ms > 500)))
			return -1;
		if (c == 'n')
			a->name = optarg;
		if (c == 'v') {
			if (strcmp(optarg, "2") && strcmp(optarg, "2.0") &&
			    strcmp(optarg, "1.2"))
				return -1;
			a->tpm2 = strcmp(optarg, "1.2") != 0;
		}
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?')
			return -1;
	}
	return optind == argc && a->state_fd >= 0 ? 0 : -1;
}

static int run(struct tpm *t, const struct args *a, atoll_event_watch *watch)
{
	struct atoll_dev_config cfg = {
		.kind = "tpm", .name = a->name,
		.watch = atoll_event_watch_ops(), .loop = watch,
		.log = log_stderr, .log_opaque = (void *)a->name,
		.opaque = t, .generic = &tpm_desc,
		.stop = tpm_stop, .health = tpm_health,
		.control_message = control_message,
		.capabilities = ATOLL__CAPABILITY__CAP_STATE,
	};
	int r;

	t->done_ev = event_new(t->base, engine_done_fd(t->engine),
			       EV_READ | EV_PERSIST, done_cb, t);
	if (!t->done_ev || event_add(t->done_ev, NULL) < 0)
		return -ENOMEM;
	t->dev = atoll_dev_new(&cfg);
	if (!t->dev)
		return -errno;
	if ((r = atoll_dev_start(t->dev, a->fd)) < 0)
		return r;
	event_base_dispatch(t->base);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .fd = 3, .state_fd = -1, .tpm2 = true, .name = "tpm",
			  .inline_wait_ms = INLINE_WAIT_MS };
	struct tpm t = { .status = 1 };
	atoll_event_watch *watch = NULL;
	char why[256];
	int r;

	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		return 2;
	}
	t.engine = engine_new(a.tpm2, a.state_fd, why, sizeof(why));
	if (!t.engine) {
		fprintf(stderr, "%s: state file refused: %s\n", a.name, why);
		return 1;
	}
	tis_init(&t.tis, a.tpm2, tis_execute, &t);
	t.inline_wait_ms = a.inline_wait_ms;
	t.base = event_base_new();
	watch = t.base ? atoll_event_watch_new(t.base) : NULL;
	r = watch ? run(&t, &a, watch) : -ENOMEM;
	if (r < 0)
		fprintf(stderr, "%s: cannot run: %s\n", a.name, strerror(-r));
	atoll_dev_free(t.dev);
	atoll_event_watch_free(watch);
	if (t.done_ev)
		event_free(t.done_ev);
	if (t.base)
		event_base_free(t.base);
	engine_free(t.engine);
	return r < 0 ? 1 : t.status;
}
