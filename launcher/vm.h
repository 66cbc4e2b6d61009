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
struct fault_log;
struct replace;

enum proc_state {
	PROC_NEW,        /* not started yet */
	PROC_STARTING,   /* spawned, not READY yet */
	PROC_READY,      /* READY received */
	PROC_BACKOFF,    /* exited; waiting to restart */
	PROC_EXITED,     /* exited for good */
	PROC_FAILED,     /* a device whose restart policy is exhausted: the
			    guest sees NEEDS_RESET, the VM runs on */
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
	unsigned restarts;         /* every restart, for query-processes */
	unsigned burst;            /* restarts in the current start-limit
				      interval (restart_config.interval_s) */
	uint64_t burst_start_ns;   /* when the first of them happened */
	bool operator_restart;     /* device-restart: not a failure */
	uint64_t down_ns;          /* when it stopped serving; 0 while up */
	unsigned downtime_ms;      /* the last restart's, death to READY */
	char last_exit[192];       /* "killed by signal 9 (Killed)", or "" */
	uint64_t caps;             /* HELLO capabilities (CAP_*) */
	struct health_config health;
	struct event *health_ev;   /* the heartbeat's interval timer */
	bool health_pending;       /* a HEALTH request is out */
	struct event *cont_ev;     /* ends an injected hang of given length */
	struct replace *replace;   /* device-replace under way: set on the
				      old process and on its successor */
	bool standby;              /* a successor: not connected to the cpu
				      server until the old one is gone */
	bool retired;              /* replaced (or a successor given up on):
				      freed once reaped, no policy */
	int last_status;           /* waitid si_code/si_status, packed */
	char violation[48];        /* forbidden syscall it was killed for */
	char fault[112];           /* why the launcher killed it: "after the
				      cpu server reported ...", "as hung: ..." */
	uint64_t started_ns;
};

struct vm {
	struct vm_config *cfg;
	struct event_base *base;
	struct proc **procs;       /* [0] mem, [1] cpu if any, then devices */
	size_t nprocs;
	struct proc *mem;
	struct proc *cpu;
	struct proc *display;      /* atoll-display, with display: */
	struct display_listen *display_listen;   /* its socket (display.c) */
	bool display_stale;        /* a SCANOUT_DIRTY could not be forwarded */
	struct console *console;
	struct qmp_server *qmp;
	struct fault_log *faults;  /* injected and scheduled faults */
	struct replace *replacing; /* the one device-replace under way */
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
