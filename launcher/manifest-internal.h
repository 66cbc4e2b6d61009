/* SPDX-License-Identifier: MIT */
/*
 * Private to the manifest module (manifest*.c): the parse context, located
 * YAML values and the typed readers that turn them into vm_config fields.
 *
 * Every reader returns 0 or a negative errno; on -EINVAL the context's
 * manifest_error already holds the message, so callers just propagate.
 */
#ifndef ATOLL_LAUNCHER_MANIFEST_INTERNAL_H
#define ATOLL_LAUNCHER_MANIFEST_INTERNAL_H

#include <libfyaml.h>
#include <stdarg.h>

#include "manifest.h"

#define MANIFEST_MAX_BYTES (1u << 20)
#define MANIFEST_MAX_DEVICES 64
#define MANIFEST_MAX_ARGS 64
#define MANIFEST_MAX_HOSTFWD 16   /* the device's limit too */
#define MANIFEST_FIELD_MAX 128

struct mpos {
	unsigned line;       /* 1-based; 0 unknown */
	unsigned col;
};

struct mctx {
	struct manifest_error *err;
	const char *dir;     /* base for relative paths, absolute */
	const char *default_name;    /* VM name when the manifest has none */
	struct manifest_policy policy;   /* what the operator grants */
	char **file_dirs;    /* see vm_config.file_dirs */
	size_t nfile_dirs;
	char **device_dirs;  /* see vm_config.device_dirs */
	size_t ndevice_dirs;
};

/* One value looked up in a mapping: where it is and what it is called. */
struct mval {
	struct fy_node *node;        /* NULL when the key is absent */
	struct mpos pos;             /* the value, or its key when empty */
	struct mpos key_pos;         /* its key, or the list item */
	struct mpos parent;          /* the mapping, for "missing" errors */
	bool present;                /* the key is there (value may be empty) */
	char key[40];
	char field[MANIFEST_FIELD_MAX];
};

/* A mapping being read: its node, position and dotted path. */
struct mmap {
	struct fy_node *node;
	struct mpos pos;
	char field[MANIFEST_FIELD_MAX];
};

/* manifest-node.c */
int mx_fail(struct mctx *c, struct mpos pos, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct mpos mx_node_pos(struct fy_node *n, struct mpos fallback);
void mx_join_field(char *out, const char *prefix, const char *key);
int mx_as_map(struct mctx *c, const struct mval *v, struct mmap *m);
/* Item `idx` of the list `list`, node `n`: field "LIST[idx]". */
int mx_list_item(const struct mval *list, struct fy_node *n, size_t idx,
		 struct mval *item);
int mx_check_keys(struct mctx *c, const struct mmap *m,
		  const char *const *allowed, const char *const *elsewhere,
		  const char *elsewhere_why);
void mx_lookup(const struct mmap *m, const char *key, struct mval *v);
int mx_require(struct mctx *c, const struct mval *v);
int mx_scalar(struct mctx *c, const struct mval *v, const char **s,
	      size_t *len);
int mx_string(struct mctx *c, const struct mval *v, char **out);
int mx_uint(struct mctx *c, const struct mval *v, unsigned min,
	    unsigned max, unsigned *out);
int mx_bool(struct mctx *c, const struct mval *v, bool *out);
int mx_choice(struct mctx *c, const struct mval *v,
	      const char *const *choices, int *out);
int mx_size(struct mctx *c, const struct mval *v, uint64_t *out);
/* 0 when `granted`, else refuses `what` at pos, naming the --allow-FLAG. */
int mx_granted(struct mctx *c, struct mpos pos, const char *field,
	       bool granted, const char *what, const char *flag);
/* A `sandbox:` value; off only with --allow-unsandboxed. */
int mx_sandbox(struct mctx *c, const struct mval *v, bool *out);

/* manifest-path.c */
enum mx_file {
	MX_FILE_READ,        /* regular file beneath a file dir, readable */
	MX_FILE_EXEC,        /* regular file anywhere, executable */
	MX_FILE_DISK_RO,     /* regular file beneath a file dir, or a block
			      * device with --allow-block-device; readable */
	MX_FILE_DISK_RW,     /* ... readable and writable */
	MX_FILE_RW,          /* regular file beneath a file dir, readable
			      * and writable */
	MX_FILE_SOCKET,      /* unix socket beneath a file dir (kind
			      * vhost-user's back-end): an O_PATH fd */
};
char *mx_resolve(const char *dir, const char *path);
int mx_existing_path(struct mctx *c, const struct mval *v, enum mx_file kind,
		     char **out);
int mx_socket_path(struct mctx *c, const struct mval *v, const char *text,
		   char **out);
/* A `binary:` override, with --allow-binary only. */
int mx_binary(struct mctx *c, const struct mval *v, char **out);
/* A device `program:`: an executable regular file beneath a --device-dir
 * (*beneath set), or anywhere with --allow-binary. */
int mx_program(struct mctx *c, const struct mval *v, char **out,
	       bool *beneath);

/* manifest-file.c: opening the files a manifest names. */
struct mx_file_rule {
	char *const *dirs;   /* canonical; the file must lie beneath one */
	size_t ndirs;
	bool disk;           /* a disk: may be a block device... */
	bool block_ok;       /* ... when --allow-block-device was given */
	bool socket;         /* a unix socket, returned as its O_PATH fd
			      * (a socket is connected, not opened) */
};
/* Returns the fd or a negative errno with the reason in why; *canon (if
 * not NULL) gets the path with a canonical folder. */
int mx_open_file(const struct mx_file_rule *rule, const char *path,
		 int flags, char **canon, char *why, size_t whysz);
int mx_file_dirs(const char *dir, const struct manifest_policy *policy,
		 char ***out, size_t *n, char *why, size_t whysz);
/* The canonical --device-dir directories (none: *out NULL, *n 0). */
int mx_device_dirs(const struct manifest_policy *policy, char ***out,
		   size_t *n, char *why, size_t whysz);
void mx_free_dirs(char **dirs);

/* manifest-text.c: pure string helpers, tested directly. */
int manifest_check_text(const char *text, size_t len, unsigned *line,
			unsigned *col, char *msg, size_t msgsz);
int manifest_parse_size(const char *s, uint64_t *out);
int manifest_expand(const char *in, size_t len, char **out, char *msg,
		    size_t msgsz);
unsigned manifest_edit_distance(const char *a, const char *b);
const char *manifest_suggest(const char *word, const char *const *cands);
bool manifest_valid_device_name(const char *s);
bool manifest_valid_vm_name(const char *s);
int manifest_parse_mac(const char *s, uint8_t mac[6]);
bool manifest_valid_ifname(const char *s);
void manifest_list_choices(const char *const *choices, char *buf,
			   size_t size);

/* manifest-schema.c and manifest-devices.c */
int mx_read_config(struct mctx *c, const struct mmap *root,
		   struct vm_config *cfg);
/* manifest-faults.c: a device's `faults:` list. */
int mx_read_faults(struct mctx *c, const struct mmap *dev,
		   struct device_config *d);
int mx_read_devices(struct mctx *c, const struct mval *v,
		    struct vm_config *cfg);
void mx_free_device(struct device_config *d);

#endif
