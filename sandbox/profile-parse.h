/* SPDX-License-Identifier: MIT */
/* What the profile parser's files share: the parse state and the helpers
 * that turn a YAML node into a value or an error with file and line. */
#ifndef ATOLL_SANDBOX_PROFILE_PARSE_H
#define ATOLL_SANDBOX_PROFILE_PARSE_H

#include <libfyaml.h>

#include "sandbox-private.h"

struct pctx {
	const char *name;
	struct sandbox_error *err;
	struct sandbox_profile *p;
};

/* 1-based line of a node (its first key or item), 0 when unknown. */
unsigned sbx_node_line(struct fy_node *n);

#define FAIL(c, node, ...) \
	sbx_fail((c)->err, (c)->name, sbx_node_line(node), EINVAL, __VA_ARGS__)

/* A plain scalar's text, or an error naming `what`. */
int sbx_scalar(struct pctx *c, struct fy_node *n, const char *what,
	       const char **out);

/* profile-args.c: a `syscalls:` item {CALL: RULE} or {CALL: [RULE, ...]},
 * RULE being {ARG: [VALUE, ...], ...}. */
int sbx_parse_call_args(struct pctx *c, struct fy_node *item);
/* A call must not be both in the plain list (any arguments) and under
 * argument rules; `merged` says the base profile is in. */
int sbx_check_arg_rules(struct pctx *c, bool merged);

#endif
