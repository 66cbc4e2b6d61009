/* SPDX-License-Identifier: MIT */
/*
 * The runtime of an Atoll child process (atoll-mem, atoll-cpu, device
 * models, test devices).
 *
 * The launcher starts a child with its control bus socket (SOCK_SEQPACKET)
 * at some fd and the arguments `--fd=N --name=NAME` plus kind-specific
 * options. child_main() then:
 *   1. parses the common options (--fd, --name, --help) and the kind's own;
 *   2. sets up logging as "atoll-KIND[NAME]" and a libevent base;
 *   3. sends HELLO (request) and requires a HELLO reply with protocol
 *      version 1, else exits with status 1;
 *   4. calls ops->setup; a return of 1 posts READY at once;
 *   5. runs the loop, dispatching kind-specific messages to ops->message.
 *
 * A device program (ops->device) hands its control session to the device
 * SDK instead, so the device handshake exists once, in libatoll-device:
 * setup runs first (before HELLO) and creates the SDK device from
 * child_dev_config() and passes it to child_set_device(); then
 * atoll_dev_start() does HELLO, and the SDK handles MEM_GRANT (READY once
 * guest memory is mapped), PEER_CONNECT, RESET, HEALTH and SHUTDOWN. This
 * runtime keeps the options, logging, the loop, signals, FAULT_INJECT,
 * ops->message (child_bus() is the control bus only inside it),
 * ops->health and teardown, which must free the device.
 *
 * Built in: SHUTDOWN (exit 0), SIGTERM/SIGINT (exit 0), HEALTH (report with
 * uptime and RSS, then ops->health), FAULT_INJECT (crash, hang, and stored
 * delay/error faults the process consults with child_fault_*), and
 * Error(EOPNOTSUPP) for requests nobody handles. If the control bus ends
 * without a SHUTDOWN first, the launcher is gone or cut us off: exit 1.
 *
 * Single-threaded: every callback runs on the loop thread.
 */
#ifndef ATOLL_COMMON_CHILD_H
#define ATOLL_COMMON_CHILD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <atoll/bus.h>
#include <atoll/device.h>

struct event_base;
struct child;

struct child_ops {
	const char *kind;        /* "mem", "virtio-blk", ...; sent in HELLO */
	Atoll__Role role;
	uint64_t capabilities;   /* ATOLL__CAPABILITY__CAP_* bits */
	/* A device program: the control session is libatoll-device's (see
	 * above); setup's READY-now return (1) is then ignored. */
	bool device;
	/* After the HELLO reply. Returns 1 to have READY posted now, 0 if the
	 * process posts it later (child_post_ready), or a negative errno to
	 * exit with status 1. Optional (NULL: READY at once). */
	int (*setup)(struct child *c);
	/* A kind-specific message. Returns 0 if handled (a request must then
	 * be replied to, now or later), or -EOPNOTSUPP to have the runtime
	 * answer a request with Error(EOPNOTSUPP). Optional. */
	int (*message)(struct child *c, struct atoll_msg *m);
	/* Fills the process's own fields (status, requests_*) of a report
	 * whose ok/uptime/rss the runtime has set. `status` must stay valid
	 * until the callback's caller returns (use child_status_buf). */
	void (*health)(struct child *c, Atoll__HealthReport *r);
	/* Before the bus is closed, on every exit path after setup ran. */
	void (*teardown)(struct child *c);
};

/* Faults armed by FAULT_INJECT that the process applies to its own work
 * (the runtime itself handles CRASH and HANG). */
struct child_fault {
	uint32_t delay_ms;        /* delay each request by this much */
	uint32_t delay_queue;     /* queue it applies to (UINT32_MAX: all) */
	uint32_t errors_left;     /* fail this many more requests */
	uint32_t error_queue;     /* queue they apply to (UINT32_MAX: all) */
	uint32_t drops_left;      /* interrupts still to leave out */
	uint32_t drop_queue;      /* queue they apply to (UINT32_MAX: all) */
	uint32_t after_left;      /* requests before `pending` is armed */
	int pending_kind;         /* an Atoll__FaultKind waiting for them */
	uint32_t pending_count, pending_queue;
};

/*
 * Runs the process; returns its exit status (0 or 1, 2 for a usage error).
 * `extra_opts` (may be NULL) is a zero-terminated getopt_long table of the
 * kind's own long options; their `val` must be below 0x100 and not 'h'.
 * `extra_opt` is called for each of them with the argument (or NULL) and
 * `state`; it returns 0, or a negative errno to fail with a usage error.
 * `usage_extra` is appended to --help.
 */
int child_main(int argc, char **argv, const struct child_ops *ops,
	       void *state, const struct option *extra_opts,
	       int (*extra_opt)(int opt, const char *arg, void *state),
	       const char *usage_extra);

atoll_bus *child_bus(struct child *c);
/* Device programs: the config of the SDK device the runtime runs the
 * control session of (kind, name, the loop, log, stop, control_message,
 * health, capabilities, opaque = c). The caller adds what the device
 * needs (a generic description) and creates it with atoll_dev_new(). */
void child_dev_config(struct child *c, struct atoll_dev_config *cfg);
/* Device programs: the device created from child_dev_config (setup). */
void child_set_device(struct child *c, atoll_dev *dev);
struct event_base *child_base(struct child *c);
void *child_state(struct child *c);
const char *child_name(struct child *c);

/* Posts READY (once; later calls are ignored). Returns 0 or -errno. */
int child_post_ready(struct child *c, const char *detail);
/* Leaves the loop; child_main then returns `status`. */
void child_exit(struct child *c, int status);

/* A buffer for HealthReport.status, valid until the next report. */
char *child_status_buf(struct child *c, size_t *len);

/* The armed delay/error faults (never NULL). */
const struct child_fault *child_fault(struct child *c);
/* True if a request on `queue` must fail now; consumes one armed error.
 * Called once per request: it also counts down a fault injected with
 * `after` (FaultInject.after), which is armed (or, for a crash, done) once
 * that many requests have gone by. */
bool child_fault_take_error(struct child *c, uint32_t queue);
/* True if the used-buffer interrupt `queue` is about to send must be left
 * out (FAULT_DROP_INTERRUPT); consumes one. */
bool child_fault_take_drop(struct child *c, uint32_t queue);
/* The delay to apply to a request on `queue`, in ms (0: none). */
uint32_t child_fault_delay_ms(struct child *c, uint32_t queue);

/* This process's resident set size in bytes: the current RSS from
 * /proc/self/statm when /proc is mounted, else (inside a sandbox) the peak
 * RSS from getrusage(); *is_peak says which. */
uint64_t child_rss_bytes(bool *is_peak);

#endif
