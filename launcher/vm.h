/* SPDX-License-Identifier: MIT */
/*
 * The running VM as the launcher sees it: its processes, their bus
 * connections, the start sequence and the shutdown.
 *
 * Start sequence: every process starts at once. atoll-mem's HELLO is
 * answered with MEM_CREATE; the others' setup waits until it is READY
 * (they need RAM): each gets a memory grant, the cpu server also the
 * console and one PEER_CONNECT per device. When every process is READY the
 * launcher sends RESUME to the cpu server and the guest runs.
 */
#ifndef ATOLL_LAUNCHER_VM_H
#define ATOLL_LAUNCHER_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <atoll/bus.h>

#include "manifest.h"

struct event_base;
struct event;
struct vm;

enum proc_state {
	PROC_NEW,        /* not started yet */
	PROC_STARTING,   /* spawned, not READY yet */
	PROC_READY,      /* READY received */
	PROC_BACKOFF,    /* exited; waiting to restart */
	PROC_EXITED,     /* exited for good */
};

struct proc {
	struct vm *vm;
	char *name;
	char *kind;                /* "mem", "cpu", "virtio-blk", ... */
	Atoll__Role role;
	char *binary;
	struct restart_config restart;
	bool sandbox;
	const struct device_config *dev;   /* NULL for mem and cpu */

	enum proc_state state;
	pid_t pid;
	int pidfd;
	struct event *pidfd_ev;
	int notify_fd;             /* seccomp listener: forbidden syscalls */
	struct event *notify_ev;
	struct event *backoff_ev;
	atoll_bus *bus;
	struct atoll_bus_event *bus_ev;
	bool hello;                /* HELLO exchanged on the current bus */
	bool setup_pending;        /* HELLO came before RAM existed */
	bool granted;              /* its MEM_GRANT has been posted */
	unsigned gen;              /* bumped at each start: tells late
				      replies for a previous incarnation */
	unsigned restarts;
	int last_status;           /* waitid si_code/si_status, packed */
	char violation[48];        /* forbidden syscall it was killed for */
	char fault[112];           /* why the cpu server reported it failed */
	uint64_t started_ns;
};

struct vm {
	struct vm_config *cfg;
	struct event_base *base;
	struct proc **procs;       /* [0] mem, [1] cpu if any, then devices */
	size_t nprocs;
	struct proc *mem;
	struct proc *cpu;
	struct console *console;
	struct qmp_server *qmp;
	struct event *sig_ev[2];
	struct event *shutdown_ev;

	uint64_t t0_ns;            /* launcher start */
	bool all_ready;            /* reported once */
	bool running;              /* guest vCPUs running (not paused) */
	bool stopping;
	int exit_code;
};

/* Runs the VM to its end; returns atoll's exit status. t0_ns: when atoll
 * started, for the start-to-ready figure. */
int vm_run(struct vm_config *cfg, uint64_t t0_ns);

/* Begins an orderly shutdown: SHUTDOWN to every process, SIGKILL after a
 * grace period. `code` becomes atoll's exit status. */
void vm_shutdown(struct vm *vm, int code, const char *why);

/* Pause or resume the guest (QMP stop/cont). Returns 0 or -errno. */
int vm_set_running(struct vm *vm, bool run);

uint64_t now_ns(void);
const char *proc_state_name(enum proc_state s);

#endif
