/* SPDX-License-Identifier: MIT */
/*
 * atoll-cpu: the CPU server. Standalone (no --fd): RAM from a private memfd,
 * console on stdin/stdout, exit status from the guest's power action.
 * Under the launcher (--fd=N): see bus-mode.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus-mode.h"
#include "log.h"
#include "options.h"
#include "run.h"

struct standalone {
	struct cpu_run run;
	int status;
	struct termios saved_tty;
	int tty_saved;
	void *ram;
	uint64_t ram_size;
};

static void standalone_exited(struct cpu_run *r, enum virt_exit why)
{
	struct standalone *s = r->opaque;
	uint32_t code = 0;
	const char *detail = NULL;

	virt_exit_status(r->virt, &code, &detail);
	s->status = cpu_exit_status(why);
	if (why == VIRT_POWEROFF)
		log_debug("%s", detail ? detail : "guest powered off");
	else
		log_info("guest stopped: %s (code %u)", detail ? detail : "?",
			 code);
	event_base_loopbreak(r->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct standalone *s = arg;

	log_info("signal %d: stopping", (int)sig);
	s->status = CPU_EXIT_ERROR;
	event_base_loopbreak(s->run.base);
}

/* Raw input so the guest sees every key; ISIG stays so ^C stops us. */
static void tty_raw(struct standalone *s)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &s->saved_tty) < 0)
		return;
	s->tty_saved = 1;
	t = s->saved_tty;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
}

static void *alloc_ram(uint64_t size)
{
	int fd = memfd_create("atoll-ram", MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Boot files, RAM and the machine. Returns 0 or -1 (already logged). */
static int standalone_setup(struct standalone *s, const struct cpu_options *o)
{
	struct boot_files bf;
	int r;

	if (cpu_run_init(&s->run, s->run.base) < 0)
		return -1;
	if (boot_files_load(o, o->memory, &bf) < 0)
		return -1;
	s->ram = alloc_ram(o->memory);
	if (!s->ram) {
		log_error("cannot allocate %llu bytes of guest RAM: %s",
			  (unsigned long long)o->memory, strerror(errno));
		boot_files_free(&bf);
		return -1;
	}
	s->ram_size = o->memory;
	r = cpu_run_machine(&s->run, o, s->ram, o->memory, 0, 1, &bf);
	boot_files_free(&bf);
	return r < 0 ? -1 : 0;
}

static int add_signal(struct standalone *s, int sig, struct event **ev)
{
	*ev = evsignal_new(s->run.base, sig, on_signal, s);
	return *ev && evsignal_add(*ev, NULL) == 0 ? 0 : -1;
}

static void standalone_run(struct standalone *s)
{
	char harts[4096];

	tty_raw(s);
	if (virt_start(s->run.virt) < 0) {
		log_error("cannot start the harts");
		return;
	}
	event_base_dispatch(s->run.base);
	virt_stop(s->run.virt);
	/* A stop that is not the guest's own choice: show where it was. */
	if (s->status != CPU_EXIT_POWEROFF && s->status != CPU_EXIT_RESET) {
		virt_describe_harts(s->run.virt, harts, sizeof(harts));
		log_info("harts at stop:\n%s", harts);
	}
}

static int run_standalone(const struct cpu_options *o)
{
	struct standalone s = { .status = CPU_EXIT_ERROR };
	struct event *sigint = NULL, *sigterm = NULL;

	s.run.wake_fd = -1;
	s.run.opaque = &s;
	s.run.exited = standalone_exited;
	s.run.base = event_base_new();
	if (s.run.base && standalone_setup(&s, o) == 0 &&
	    add_signal(&s, SIGINT, &sigint) == 0 &&
	    add_signal(&s, SIGTERM, &sigterm) == 0)
		standalone_run(&s);
	if (s.tty_saved)
		tcsetattr(0, TCSANOW, &s.saved_tty);
	cpu_run_fini(&s.run);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (s.ram)
		munmap(s.ram, s.ram_size);
	if (s.run.base)
		event_base_free(s.run.base);
	return s.status;
}

/* libevent's own diagnostics go through our logger. */
static void event_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

int main(int argc, char **argv)
{
	struct cpu_options o;
	char prefix[96];
	int r;

	/* A console peer that goes away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(event_log);
	if (cpu_options_launcher_mode(argc, argv))
		return cpu_bus_main(argc, argv);
	r = cpu_options_parse(&o, argc, argv);

	if (r == 1)
		return 0;
	if (r < 0) {
		fprintf(stderr, "Try '%s --help'.\n", argv[0]);
		return CPU_EXIT_ERROR;
	}
	snprintf(prefix, sizeof(prefix), "atoll-cpu[%s]", o.name);
	log_init(prefix, ATOLL_LOG_INFO);
	return run_standalone(&o);
}
