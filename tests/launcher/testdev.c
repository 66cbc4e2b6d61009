/* SPDX-License-Identifier: MIT */
/*
 * atoll-testdev: a stand-in process for the launcher's integration tests.
 * It speaks the real session protocol through the child runtime and plays
 * either the cpu server (--role=cpu: takes the console, answers RESUME and
 * PAUSE, powers off on request) or a device (--role=device). It checks
 * what the launcher hands it: memory grants are mapped and probed, peer
 * sockets counted, and every event is reported on the console (cpu) or
 * stderr (device) so the tests can assert on it.
 *
 * Console commands (cpu role), one per line: "poweroff", "panic",
 * "peers" (prints the number of peer sockets), "mem" (prints the mapped
 * RAM size), "deaf" (never reads the console again, like a guest that
 * ignores its UART), "flood N" (writes N bytes of output, logging on
 * stderr how many the console stream took), "fault NAME" (posts
 * DEVICE_FAULT naming device NAME, as atoll-cpu does when a device stops
 * answering), anything else is echoed as "echo: LINE".
 *
 * As a device it reports, before anything else opens an fd, which fds it
 * was started with ("fds: 0 1 2 3 4"), and for each --file=NAME=FD the
 * file's access mode, its first bytes and whether a write at offset 0 went
 * through ("file NAME: fd 4, rw, reads \"disk\", write ok"), so a test can
 * see what an external device gets of the host and nothing more.
 *
 * Standing in for a kind's program (binary:), it reports the kind's
 * options it is given ("arg --device=keyboard") and answers INPUT_EVENTS
 * with an Ack after logging them ("atoll-testdev NAME: input: 1 30 1,
 * 0 0 0"), so a test sees where QMP's input commands went.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "log.h"

struct testdev {
	bool cpu;
	unsigned exit_after_ms;
	int exit_code;
	bool stubborn;          /* hang on the way out: tests the grace kill */
	int console_fd;
	struct event *console_ev, *exit_ev;
	char line[256];
	size_t len;
	unsigned peers;
	uint64_t ram_size;
	bool running;
	bool deaf;              /* stopped reading the console */
};

static void say(struct testdev *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct testdev *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = sizeof(buf) - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	if (t->console_fd >= 0)
		(void)!write(t->console_fd, buf, (size_t)n);
	else
		log_info("%.*s", n - 2, buf);
}

static void post_power(struct child *c, Atoll__PowerAction action)
{
	Atoll__PowerEvent e = ATOLL__POWER_EVENT__INIT;

	e.action = action;
	atoll_bus_post(child_bus(c), ATOLL__MSG_TYPE__MSG_POWER_EVENT, &e.base,
		       NULL, 0);
}

/* Waits at most a second each time the stream is full, as atoll-cpu's UART
 * does; a launcher that stops reading shows as bytes not taken. */
static void flood(struct testdev *t, size_t n)
{
	struct pollfd p = { .fd = t->console_fd, .events = POLLOUT };
	char buf[4096];
	size_t done = 0;

	memset(buf, 'x', sizeof(buf));
	while (done < n) {
		size_t len = n - done < sizeof(buf) ? n - done : sizeof(buf);
		ssize_t w = write(t->console_fd, buf, len);

		if (w > 0)
			done += (size_t)w;
		else if (w < 0 && errno == EAGAIN && poll(&p, 1, 1000) == 1)
			continue;
		else if (w < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	log_info("flood: the console took %zu of %zu bytes", done, n);
}

static void post_fault(struct child *c, const char *device)
{
	Atoll__DeviceFault f = ATOLL__DEVICE_FAULT__INIT;

	f.device = (char *)device;
	f.reason = "testdev was told to report it";
	atoll_bus_post(child_bus(c), ATOLL__MSG_TYPE__MSG_DEVICE_FAULT, &f.base,
		       NULL, 0);
}

static void go_deaf(struct testdev *t)
{
	say(t, "deaf");
	event_del(t->console_ev);
	t->deaf = true;
}

static void console_line(struct child *c, struct testdev *t, const char *line)
{
	if (!strcmp(line, "deaf"))
		go_deaf(t);
	else if (!strncmp(line, "flood ", 6))
		flood(t, strtoull(line + 6, NULL, 10));
	else if (!strcmp(line, "poweroff"))
		post_power(c, ATOLL__POWER_ACTION__POWER_OFF);
	else if (!strcmp(line, "panic"))
		post_power(c, ATOLL__POWER_ACTION__POWER_PANIC);
	else if (!strncmp(line, "fault ", 6))
		post_fault(c, line + 6);
	else if (!strcmp(line, "peers"))
		say(t, "peers: %u", t->peers);
	else if (!strcmp(line, "mem"))
		say(t, "mem: %llu", (unsigned long long)t->ram_size);
	else
		say(t, "echo: %s", line);
}

static void console_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	struct testdev *t = child_state(c);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0) {
		event_del(t->console_ev);
		return;
	}
	for (ssize_t i = 0; i < n && !t->deaf; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			t->line[t->len] = '\0';
			if (t->len)
				console_line(c, t, t->line);
			t->len = 0;
		} else if (t->len < sizeof(t->line) - 1) {
			t->line[t->len++] = buf[i];
		}
	}
}

/* Maps each granted region and touches its first and last byte: a grant
 * that lies about its size fails here, as it would in a real device. */
static int take_grant(struct testdev *t, struct atoll_msg *m)
{
	const Atoll__MemGrant *g = (const Atoll__MemGrant *)m->body;

	if (g->n_regions != m->nfds)
		return -EPROTO;
	for (size_t i = 0; i < g->n_regions; i++) {
		struct stat st;
		volatile uint8_t *p;

		if (fstat(m->fds[i], &st) < 0 || (uint64_t)st.st_size < g->regions[i]->size)
			return -EINVAL;
		p = mmap(NULL, g->regions[i]->size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, m->fds[i], 0);
		if (p == MAP_FAILED)
			return -errno;
		p[0] = 0xa5;
		p[g->regions[i]->size - 1] = 0x5a;
		munmap((void *)p, g->regions[i]->size);
		t->ram_size += g->regions[i]->size;
	}
	return 0;
}

static void maybe_ready(struct child *c, struct testdev *t)
{
	/* The cpu role waits for memory and the console, as atoll-cpu does. */
	if (t->ram_size && (!t->cpu || t->console_fd >= 0))
		child_post_ready(c, "testdev");
}

static void exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	struct testdev *t = child_state(c);

	log_info("exiting with status %d as told", t->exit_code);
	child_exit(c, t->exit_code);
}

/* "atoll-testdev NAME: input: TYPE CODE VALUE, ..." on stderr, on one
 * line. */
static void report_input(struct child *c, const Atoll__InputEvents *in)
{
	char line[512];
	size_t used = 0;

	line[0] = '\0';
	for (size_t i = 0; i < in->n_events && used < sizeof(line) - 40; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 "%s%u %u %d", i ? ", " : "",
					 in->events[i]->type,
					 in->events[i]->code,
					 in->events[i]->value);
	fprintf(stderr, "atoll-testdev %s: input: %s\n", child_name(c), line);
}

static int testdev_message(struct child *c, struct atoll_msg *m)
{
	struct testdev *t = child_state(c);
	int rc;

	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT:
		if ((rc = take_grant(t, m)) < 0)
			log_error("bad memory grant: %s", strerror(-rc));
		say(t, "granted %llu bytes", (unsigned long long)t->ram_size);
		maybe_ready(c, t);
		return 0;
	case ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH:
		if (!t->cpu || t->console_fd >= 0)
			return 0;
		t->console_fd = atoll_msg_take_fd(m, 0);
		t->console_ev = event_new(child_base(c), t->console_fd,
					  EV_READ | EV_PERSIST, console_cb, c);
		event_add(t->console_ev, NULL);
		say(t, "console attached");
		maybe_ready(c, t);
		return 0;
	case ATOLL__MSG_TYPE__MSG_PEER_CONNECT:
		t->peers++;
		say(t, "peer %s connected", ((Atoll__PeerConnect *)m->body)->peer);
		return 0;
	case ATOLL__MSG_TYPE__MSG_DEVICE_FAULT:
		/* the launcher's word that a device needs a reset */
		log_info("needs-reset %s: %s",
			 ((Atoll__DeviceFault *)m->body)->device,
			 ((Atoll__DeviceFault *)m->body)->reason);
		return 0;
	case ATOLL__MSG_TYPE__MSG_INPUT_EVENTS:
		report_input(c, (const Atoll__InputEvents *)m->body);
		return atoll_bus_reply_ack(child_bus(c), m);
	case ATOLL__MSG_TYPE__MSG_RESUME:
	case ATOLL__MSG_TYPE__MSG_PAUSE:
		t->running = m->type == ATOLL__MSG_TYPE__MSG_RESUME;
		say(t, "%s", t->running ? "running" : "paused");
		return atoll_bus_reply_ack(child_bus(c), m);
	default:
		return -EOPNOTSUPP;
	}
}

static int testdev_setup(struct child *c)
{
	struct testdev *t = child_state(c);

	if (t->exit_after_ms) {
		struct timeval tv = { t->exit_after_ms / 1000,
				      (t->exit_after_ms % 1000) * 1000 };

		t->exit_ev = evtimer_new(child_base(c), exit_cb, c);
		evtimer_add(t->exit_ev, &tv);
	}
	return 0;
}

static void testdev_teardown(struct child *c)
{
	struct testdev *t = child_state(c);

	if (t->stubborn) {
		log_info("stubborn: not exiting");
		for (;;)
			pause();
	}
	if (t->console_ev)
		event_free(t->console_ev);
	if (t->exit_ev)
		event_free(t->exit_ev);
	if (t->console_fd >= 0)
		close(t->console_fd);
}

/* --file=NAME=FD: what the launcher granted, and what it allows. */
static int report_file(const char *arg)
{
	const char *eq = strrchr(arg, '=');
	char buf[17] = "", *end;
	int fd, fl;
	ssize_t n;
	long v;

	if (!eq)
		return -EINVAL;
	v = strtol(eq + 1, &end, 10);
	if (*end || v < 0 || v > 1023)
		return -EINVAL;
	fd = (int)v;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		fprintf(stderr, "atoll-testdev: file %.*s: fd %d is not open\n",
			(int)(eq - arg), arg, fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '.';
	errno = 0;
	n = pwrite(fd, "W", 1, 0);
	/* options are parsed before the log exists: stderr directly */
	fprintf(stderr, "atoll-testdev: file %.*s: fd %d, %s, reads \"%s\", "
		"write %s\n", (int)(eq - arg), arg, fd,
		(fl & O_ACCMODE) == O_RDWR ? "rw" : (fl & O_ACCMODE) == O_RDONLY ?
		"ro" : "wo", buf, n == 1 ? "ok" : strerror(errno));
	return 0;
}

/* Before any fd of our own exists: the ones we were started with. */
static void report_fds(void)
{
	char line[256];
	size_t used = 0;

	line[0] = '\0';
	for (int fd = 0; fd < 256 && used < sizeof(line) - 8; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			used += (size_t)snprintf(line + used, sizeof(line) - used,
						 " %d", fd);
	fprintf(stderr, "atoll-testdev: fds:%s\n", line);
}

static int testdev_opt(int opt, const char *arg, void *state)
{
	struct testdev *t = state;

	switch (opt) {
	case 'r':
		t->cpu = !strcmp(arg, "cpu");
		return t->cpu || !strcmp(arg, "device") ? 0 : -EINVAL;
	case 'e':
		t->exit_after_ms = (unsigned)strtoul(arg, NULL, 10);
		return 0;
	case 'c':
		t->exit_code = atoi(arg);
		return 0;
	case 's':
		t->stubborn = true;
		return 0;
	case 'f':
		return report_file(arg);
	case 'k':
	case 'y':
	case 'S':
		/* options parsed before the log exists: stderr directly */
		fprintf(stderr, "atoll-testdev: arg --%s=%s\n", opt == 'k' ?
			"device" : opt == 'y' ? "type" : "state-fd", arg);
		return 0;
	default:
		/* Options the launcher gives a real cpu server are ignored. */
		return 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "exit-after", required_argument, NULL, 'e' },
		{ "exit-code", required_argument, NULL, 'c' },
		{ "stubborn", no_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		/* a kind's own options, when standing in for its program */
		{ "device", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 'y' },
		{ "state-fd", required_argument, NULL, 'S' },
		{ "machine", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'm' },
		{ "memory", required_argument, NULL, 'm' },
		{ "append", required_argument, NULL, 'm' },
		{ "kernel-fd", required_argument, NULL, 'm' },
		{ "initrd-fd", required_argument, NULL, 'm' },
		{ "firmware-fd", required_argument, NULL, 'm' },
		{ "engine", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct child_ops ops = {
		.kind = "testdev",
		.role = ATOLL__ROLE__ROLE_DEVICE,
		.setup = testdev_setup,
		.message = testdev_message,
		.teardown = testdev_teardown,
		/* FAULT_INJECT through the child runtime (common/child.c) */
		.capabilities = ATOLL__CAPABILITY__CAP_FAULTS,
	};
	struct testdev t = { .console_fd = -1 };

	/* The role decides the HELLO, which child_main sends before it hands
	 * us any option: look for it first. The launcher gives --machine only
	 * to the cpu server. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--role=cpu") || !strncmp(argv[i], "--machine=", 10))
			t.cpu = true;
	if (t.cpu) {
		ops.role = ATOLL__ROLE__ROLE_CPU;
		ops.kind = "cpu";
	} else {
		report_fds();
	}
	return child_main(argc, argv, &ops, &t, opts, testdev_opt,
			  "  --role=cpu|device   which process to play (device)\n"
			  "  --exit-after=MS     exit MS ms after setup\n"
			  "  --exit-code=N       with that status (0)\n"
			  "  --stubborn          never exit once told to (ignores SIGTERM)\n"
			  "  --file=NAME=FD      report the granted file FD (device)\n");
}
