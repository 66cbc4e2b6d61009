/* SPDX-License-Identifier: MIT */
/*
 * What both atoll-cpu modes share: loading the boot files, building the
 * machine on given RAM and console fds, and the main-loop side of it (a
 * wake eventfd the hart threads signal on exit and on UART room).
 */
#ifndef ATOLL_CPU_RUN_H
#define ATOLL_CPU_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "files.h"
#include "machine/virt.h"
#include "options.h"

struct event_base;
struct event;
struct console;

struct boot_files {
	struct blob firmware, kernel, initrd, bare;
};

struct cpu_run {
	struct event_base *base;
	struct virt *virt;
	struct console *console;
	int wake_fd;
	struct event *wake_ev;
	/* Runs once on the main thread when the guest has stopped for good. */
	void (*exited)(struct cpu_run *r, enum virt_exit why);
	void *opaque;
	int exit_reported;
};

/* Reads every boot file the options name (by path or fd), each at most
 * max bytes. Logs and returns a negative errno on failure. */
int boot_files_load(const struct cpu_options *o, uint64_t max,
		    struct boot_files *bf);
void boot_files_free(struct boot_files *bf);

int cpu_run_init(struct cpu_run *r, struct event_base *base);
/* Creates the machine, and boots it if bf is not NULL; the harts do not
 * run yet. Logs the reason and returns a negative errno on failure. */
int cpu_run_machine(struct cpu_run *r, const struct cpu_options *o,
		    void *ram, uint64_t ram_size, int con_in, int con_out,
		    const struct boot_files *bf);
/* Boots the machine cpu_run_machine created (loads the payload, builds
 * the device tree). Logs and returns a negative errno on failure. */
int cpu_run_boot(struct cpu_run *r, const struct cpu_options *o,
		 const struct boot_files *bf);
void cpu_run_fini(struct cpu_run *r);

/* The process exit status for a machine exit. */
int cpu_exit_status(enum virt_exit why);

#endif
