/* SPDX-License-Identifier: MIT */
/*
 * The sandbox every Atoll process runs in. docs/sandbox.md explains the
 * model; this header is the whole API the launcher uses:
 *
 *   sandbox_profile_load(NULL, kind, &profile, &err)   once per kind
 *   sandbox_spawn(&args, &child, &err)       clone + isolate + exec
 *   if (child.warning) log it loudly         (sandbox: off)
 *   watch child.pidfd (exit) and child.notify_fd (POLLIN: violation):
 *     sandbox_notify_handle(child.notify_fd, child.pidfd, false, &v) == 0
 *       -> the process is already killed (SIGKILL through the pidfd);
 *          log "NAME: killed: forbidden system call v.name (v.nr)"
 *     -ECONNRESET: no process left on the filter, close notify_fd
 *   sandbox_report_print(stdout, name, profile, off)  `atoll sandbox-report`
 *
 * Errors are negative errno values; functions that can fail for a reason a
 * user must read also fill a struct sandbox_error.
 *
 * sandbox_spawn() forks the caller (clone3): call it from a single-threaded
 * process, or at least one where no other thread can hold a libc lock (the
 * child does no allocation of its own before exec). PR_SET_PDEATHSIG ties
 * the child to the calling thread: spawn from the main thread.
 */
#ifndef ATOLL_SANDBOX_H
#define ATOLL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The fd the child execs through; RLIMIT_NOFILE is always set below it so
 * the sandboxed program can never hold this number (see docs). */
#define SANDBOX_EXEC_FD 1023
/* Host uid/gid a process runs as when the launcher is root. */
#define SANDBOX_NOBODY 65534

enum sandbox_ns {
	SANDBOX_NS_MOUNT = 1u << 0,
	SANDBOX_NS_PID = 1u << 1,
	SANDBOX_NS_NET = 1u << 2,
	SANDBOX_NS_IPC = 1u << 3,
	SANDBOX_NS_UTS = 1u << 4,
	SANDBOX_NS_USER = 1u << 5,
	SANDBOX_NS_CGROUP = 1u << 6,
};

/* Indexes into sandbox_profile.rlimits, in this order. */
enum sandbox_rlimit_id {
	SANDBOX_RL_NOFILE,
	SANDBOX_RL_AS,
	SANDBOX_RL_CORE,
	SANDBOX_RL_FSIZE,
	SANDBOX_RL_NPROC,
	SANDBOX_RL_MEMLOCK,
	SANDBOX_RL_COUNT,
};

struct sandbox_rlimit {
	bool set;            /* false: inherited from the launcher */
	rlim_t value;        /* RLIM_INFINITY for "unlimited" */
};

/* A system call allowed only with certain arguments (a `syscalls:` item
 * like `socket: {domain: [AF_INET], type: [SOCK_STREAM]}`): every checked
 * argument, masked, must equal one of its values. */
#define SANDBOX_ARGS 6
#define SANDBOX_ARG_VALUES 8

struct sandbox_arg_match {
	const char *name;            /* "domain", "arg3"; static; NULL: any */
	uint64_t mask;               /* (arg & mask) is compared */
	unsigned nvalues;
	uint64_t values[SANDBOX_ARG_VALUES];
};

struct sandbox_arg_rule {
	int nr;                      /* native syscall number */
	unsigned line;               /* in the profile that set it */
	struct sandbox_arg_match arg[SANDBOX_ARGS];
};

/* `wx:` in a profile: may a mapping be writable and executable at once?
 * Unset takes the base profile's value; unset everywhere is "allow". */
enum sandbox_wx {
	SANDBOX_WX_UNSET,
	SANDBOX_WX_DENY,             /* mmap/mprotect/pkey_mprotect with both
				      * PROT_WRITE and PROT_EXEC: violation */
	SANDBOX_WX_ALLOW,
};

/* A loaded profile: the kind's file merged over profiles/base.yaml.
 * Read-only for callers. */
struct sandbox_profile {
	char *kind;
	char *file;                  /* the kind's profile file */
	unsigned namespaces;         /* SANDBOX_NS_* */
	int *caps;                   /* CAP_* numbers kept */
	size_t ncaps;
	struct sandbox_rlimit rlimits[SANDBOX_RL_COUNT];
	char **devices;              /* host device nodes, bound one by one */
	size_t ndevices;
	char **paths;                /* read-only host paths (base + kind) */
	size_t npaths;
	bool proc;                   /* mount a private /proc */
	bool threads;                /* may create threads (never processes) */
	enum sandbox_wx wx;          /* W+X mappings (see enum) */
	int *syscalls;               /* sorted, unique native numbers */
	size_t nsyscalls;
	struct sandbox_arg_rule *arg_rules; /* calls never in syscalls */
	size_t narg_rules;
};

struct sandbox_error {
	char file[256];
	unsigned line;               /* 1-based, 0 when unknown */
	char message[384];
};

/* "FILE:LINE: MESSAGE" (or "FILE: MESSAGE") into buf. */
void sandbox_error_format(const struct sandbox_error *e, char *buf,
			  size_t size);

/* Where profiles are read from: $ATOLL_PROFILE_DIR if set, else the build
 * tree's sandbox/profiles when this program runs from the build tree, else
 * the installed share/atoll/profiles. */
int sandbox_profile_dir(char *buf, size_t size);
/* Loads <dir>/base.yaml and <dir>/<kind>.yaml (dir NULL: the default). */
int sandbox_profile_load(const char *dir, const char *kind,
			 struct sandbox_profile **out, struct sandbox_error *e);
/* Parses one profile from memory over an optional base (NULL for none).
 * `name` is used in messages. For tests and fuzzing. */
int sandbox_profile_parse(const char *name, const char *yaml, size_t len,
			  const struct sandbox_profile *base,
			  struct sandbox_profile **out, struct sandbox_error *e);
/* NULL is a no-op. */
void sandbox_profile_free(struct sandbox_profile *p);

/* Name tables, for messages and the report. */
const char *sandbox_ns_name(enum sandbox_ns ns);
const char *sandbox_rlimit_name(enum sandbox_rlimit_id id);
/* "socket(domain AF_INET|AF_INET6, type SOCK_STREAM)" into buf. */
void sandbox_arg_rule_format(const struct sandbox_arg_rule *r, char *buf,
			     size_t size);

struct sandbox_fd {
	int fd;                      /* in the launcher */
	int target;                  /* number in the child; < rlimit nofile */
};

struct sandbox_spawn_args {
	const char *name;            /* instance name, for messages */
	const char *binary;          /* absolute path */
	char *const *argv;           /* NULL-terminated */
	char *const *envp;           /* NULL-terminated; keep it minimal */
	const struct sandbox_fd *fds; /* every other fd is closed */
	size_t nfds;
	const struct sandbox_profile *profile; /* may be NULL only when off */
	bool off;                    /* `sandbox: off`: fds + pdeathsig only */
	const char *const *paths;    /* extra read-only paths (build tree...) */
	size_t npaths;
	bool learn;                  /* seccomp notifies but lets calls run,
				      * to derive an allowlist; never in
				      * production */
	uid_t uid;                   /* root launcher only: host uid/gid the */
	gid_t gid;                   /* process runs as; 0 = SANDBOX_NOBODY */
};

struct sandbox_child {
	pid_t pid;
	int pidfd;                   /* O_CLOEXEC; poll it for exit */
	int notify_fd;               /* seccomp listener (O_CLOEXEC), or -1
				      * when off; poll it for reading */
	const char *warning;         /* non-NULL: text the caller must log
				      * loudly (e.g. sandbox is off) */
};

/* Starts args->binary isolated by args->profile. Returns only after the
 * child has exec'd (0) or failed (negative errno; err->message says which
 * step failed and why; the child is reaped). The child gets SIGKILL when
 * the calling thread exits. */
int sandbox_spawn(const struct sandbox_spawn_args *args,
		  struct sandbox_child *child, struct sandbox_error *err);

/* One seccomp notification: a forbidden system call. */
struct sandbox_violation {
	pid_t pid;                   /* as seen by the launcher */
	int nr;                      /* syscall number */
	char name[48];               /* "socket", or "#<nr>" if unknown */
};

/* Reads one notification from a listener fd and names the call in *v.
 * Without `learn`, kills the process through `pidfd` (SIGKILL) while the
 * call is still blocked and never answers it: the forbidden call never
 * returns to the program, so nothing runs after it. With `learn`, lets
 * the call run (pidfd unused). Never blocks. Returns 0 with *v filled
 * (process killed, or call let through); -ECONNRESET when no process is
 * left on the filter (stop watching the fd and close it); -EAGAIN when
 * nothing is pending; -ENOENT if the process died before the notification
 * was read; other negative errno on error, with *v filled when the
 * notification was read but the kill failed (the call then stays
 * blocked, unanswered). */
int sandbox_notify_handle(int notify_fd, int pidfd, bool learn,
			  struct sandbox_violation *v);

/* The effective profile as a readable table. */
void sandbox_report_print(FILE *out, const char *process_name,
			  const struct sandbox_profile *p, bool off);

#endif
