/* SPDX-License-Identifier: MIT */
/*
 * The VM manifest: YAML parsed with libfyaml into a validated vm_config.
 * docs/manifest.md is the user-facing reference for every field.
 *
 * Invariant: a vm_config returned by manifest_load() is complete and
 * consistent (every required field present, every value in range, device
 * names unique, files that must exist readable); the launcher does no
 * further validation of its own.
 *
 * A manifest may come from someone the operator does not trust, so it can
 * name files only beneath the directories the operator allows (its own
 * directory and every --image-dir), and what only the operator may grant
 * (no sandbox, another binary, a block device) it may ask for but gets only
 * with the matching command-line flag (struct manifest_policy).
 */
#ifndef ATOLL_LAUNCHER_MANIFEST_H
#define ATOLL_LAUNCHER_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum restart_policy {
	RESTART_NEVER,
	RESTART_ON_FAILURE,   /* restart after a non-zero exit or a signal */
	RESTART_ALWAYS,       /* restart after any exit */
};

struct restart_config {
	enum restart_policy policy;
	unsigned max_restarts;     /* give up after this many within
				      interval_s (default 5) */
	unsigned backoff_ms;       /* second delay (the first restart is
				      immediate), doubled each time (100) */
	unsigned backoff_max_ms;   /* cap on the delay (5000) */
	unsigned interval_s;       /* start-limit interval: the count starts
				      over once this much time has passed
				      since the first restart it holds (600);
				      0: it never does */
};

/* The launcher's heartbeat: HEALTH every interval_ms; a device that has
 * not answered within deadline_ms is killed as hung. interval_ms 0: off. */
struct health_config {
	unsigned interval_ms;      /* default 10000 */
	unsigned deadline_ms;      /* default 5000 */
};

enum cache_mode {
	CACHE_WRITEBACK,     /* host page cache; FLUSH means fdatasync */
	CACHE_WRITETHROUGH,  /* every write is durable before its ack */
	CACHE_NONE,          /* O_DIRECT, plus flush on FLUSH */
};

struct disk_config {
	char *path;          /* absolute, after ${VAR} and relative resolution */
	char *format;        /* "raw" */
	bool readonly;
	enum cache_mode cache;
	unsigned queues;     /* 1..16 */
	char *serial;        /* up to 20 bytes (VIRTIO_BLK_ID_BYTES), or NULL */
};

struct net_config {
	char *backend;       /* "slirp" | "tap" */
	char *tap;           /* tap interface name, backend tap */
	char *mac;           /* "52:54:00:12:34:56"; NULL picks one */
	unsigned queues;
	char **hostfwd;      /* slirp host forwarding rules, checked */
	size_t nhostfwd;
	bool restricted;     /* slirp: the guest reaches only the forwards */
};

/* A fault the launcher injects by itself, for unattended runs (the same
 * as QMP inject-fault; docs/manifest.md, `faults`). */
#define MANIFEST_MAX_FAULTS 16
struct scheduled_fault {
	unsigned kind;       /* 0 crash, 1 hang, 2 delay, 3 io-error,
			      * 4 drop-interrupt: the order of enum
			      * fault_kind (launcher/fault.h) */
	unsigned at_ms;      /* after the guest first runs */
	unsigned every_ms;   /* then again this often; 0: once */
	unsigned times;      /* how many in all (1..100000, default 1) */
	unsigned count;      /* io-error: requests (default 1) */
	uint32_t queue;      /* delay, io-error: UINT32_MAX for all */
	unsigned duration_ms;
	unsigned after;      /* after this many more requests (0: at once) */
};

struct device_kind;     /* launcher/kinds/kind.h */

struct device_config {
	char *name;          /* unique instance name */
	char *kind;          /* "virtio-blk", "virtio-net", "external", ... */
	const struct device_kind *ops;   /* what the launcher does for it */
	char *binary;        /* the program: a binary: override, or an
			      * external device's program: */
	char **args;         /* extra argv for the binary; NULL-terminated */
	size_t nargs;
	struct restart_config restart;
	struct health_config health;
	struct scheduled_fault faults[MANIFEST_MAX_FAULTS];
	size_t nfaults;
	bool sandbox;
	unsigned line;       /* manifest line of this entry, for messages */
	struct disk_config disk;   /* kind virtio-blk */
	struct net_config net;     /* kind virtio-net */
	void *data;          /* any other kind's settings, owned by its file
			      * (kind external: struct external_config) */
};

/* What the operator grants on atoll's command line. */
struct manifest_policy {
	bool allow_unsandboxed;      /* --allow-unsandboxed: `sandbox: off` */
	bool allow_binary;           /* --allow-binary: `binary:`, `args:` */
	bool allow_block_device;     /* --allow-block-device: a disk that is a
				      * block device */
	bool allow_usb_host;         /* --allow-usb-host: a usb port that is
				      * a host device (/dev/bus/usb) */
	const char *const *image_dirs;   /* --image-dir DIR, each existing */
	size_t nimage_dirs;
	/* --device-dir DIR: an external device's program: may lie beneath */
	const char *const *device_dirs;
	size_t ndevice_dirs;
};

struct vm_config {
	char *path;          /* the manifest file as given */
	char *dir;           /* its directory: base for relative paths */
	/* Canonical directories the manifest's files must lie beneath: dir,
	 * then each --image-dir; manifest_open_file() reopens beneath them. */
	char **file_dirs;
	size_t nfile_dirs;
	char **device_dirs;  /* canonical --device-dir DIRs */
	size_t ndevice_dirs;
	bool block_devices;  /* --allow-block-device was given */
	bool allow_binary;   /* --allow-binary: QMP device-replace may run a
			      * program outside every --device-dir */
	char *name;          /* VM name, default: the file's basename */

	char *machine;       /* "riscv-virt" | "none" */
	char *accel;         /* "dbt" */
	char *engine;        /* dbt: "block" | "interp"; NULL: atoll-cpu's */
	unsigned cpus;       /* 1..64 */
	char *cpu_binary;    /* override of atoll-cpu, or NULL */

	uint64_t memory_bytes;   /* >= 16 MiB, page multiple */
	bool hugepages;
	char *mem_binary;    /* override of atoll-mem, or NULL */

	char *firmware;      /* path, or NULL for the machine's default */
	char *kernel;
	char *initrd;
	char *cmdline;

	char *console;       /* "stdio" | "none" | "socket:PATH" */
	char *qmp;           /* QMP socket path, or NULL */
	bool sandbox;        /* default for every process */

	struct device_config *devices;
	size_t ndevices;

	/* display: VNC of the virtio-gpu device's scanout, served by
	 * atoll-display (docs/display.md). Exactly one of listen, unix. */
	struct display_config {
		bool vnc;            /* display: is present */
		char *listen;        /* numeric "HOST:PORT" ([v6]:PORT), or NULL */
		char *unix_path;     /* a unix socket path, or NULL */
		char *password;      /* the VNC password, or NULL */
	} display;
};

/* A manifest error: where and what. `line` and `column` are 1-based, 0 when
 * unknown; `field` is a dotted path such as "devices[1].cache". */
struct manifest_error {
	char file[256];
	unsigned line;
	unsigned column;
	char field[128];
	char message[384];
};

/* Parses and validates `path` under `policy` (NULL grants nothing).
 * Returns NULL and fills *err on any error. ${NAME} in string values
 * expands from the environment; an unset variable is an error. */
struct vm_config *manifest_load(const char *path,
				const struct manifest_policy *policy,
				struct manifest_error *err);
/* Same, from a buffer (`name` is used in messages; relative paths resolve
 * against, and files must lie beneath, the current directory). For tests
 * and fuzzing. */
struct vm_config *manifest_load_string(const char *name, const char *yaml,
				       size_t len,
				       const struct manifest_policy *policy,
				       struct manifest_error *err);
/* Opens `path`, a file of cfg (kernel, initrd, firmware or a disk), with
 * open(2) `flags`, by the rule manifest_load checked it with: beneath one
 * of cfg->file_dirs, a regular file, or a block device when `disk` and
 * --allow-block-device. Returns the fd, or a negative errno with the
 * reason in why. */
int manifest_open_file(const struct vm_config *cfg, const char *path,
		       int flags, bool disk, char *why, size_t whysz);
/* "FILE:LINE:COL: FIELD: MESSAGE" into buf. */
void manifest_error_format(const struct manifest_error *err, char *buf,
			   size_t size);
/* NULL is a no-op. */
void vm_config_free(struct vm_config *cfg);

const char *restart_policy_name(enum restart_policy p);
const char *cache_mode_name(enum cache_mode m);

#endif
