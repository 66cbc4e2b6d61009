/* SPDX-License-Identifier: MIT */
/* Internals shared by the sandbox library's files. */
#ifndef ATOLL_SANDBOX_PRIVATE_H
#define ATOLL_SANDBOX_PRIVATE_H

#include <linux/filter.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "sandbox.h"

/* Fills e (if not NULL) and returns -err. */
int sbx_fail(struct sandbox_error *e, const char *file, unsigned line,
	     int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Growable arrays; adding a value already present is a no-op. */
int sbx_str_add(char ***v, size_t *n, const char *s);
void sbx_str_free(char **v, size_t n);
int sbx_int_add(int **v, size_t *n, int x);
void sbx_int_sort(int *v, size_t n);
/* Appends a copy of r to p's argument rules. */
int sbx_arg_rule_add(struct sandbox_profile *p,
		     const struct sandbox_arg_rule *r);
/* Calls whose rules the filter makes itself (exec, clone, fork) or always
 * allows (what the child needs before exec): NULL, or why a profile
 * cannot put argument rules on nr. */
const char *sbx_call_fixed(int nr);
/* The calls that set a mapping's protection (mmap, mprotect,
 * pkey_mprotect; prot is argument SBX_WX_PROT_ARG of each): under
 * `wx: deny` their prot is checked, so they take no argument rules. */
#define SBX_WX_PROT_ARG 2
bool sbx_wx_call(int nr);

/* Compiles the profile's allowlist into a classic BPF program (malloc'd
 * filter). The exec rule admits only execveat(SANDBOX_EXEC_FD, "", ...,
 * AT_EMPTY_PATH); everything not allowed goes to the notify listener. */
int sbx_filter_build(const struct sandbox_profile *p, bool learn,
		     struct sock_fprog *prog, struct sandbox_error *e);
/* Child-side step (no allocation allowed there): on failure, describe
 * the step in the caller's `what`/`len` buffer, keep errno, return -1. */
#define SBX_STEP(call, ...)                                              \
	do {                                                             \
		if ((call) < 0) {                                        \
			int _e = errno;                                  \
			snprintf(what, len, __VA_ARGS__);                \
			errno = _e;                                      \
			return -1;                                       \
		}                                                        \
	} while (0)

/* What the child does between clone and exec, prepared by the parent so
 * the child only issues system calls (no allocation after clone). */
enum sbx_mount_type { SBX_M_DIR, SBX_M_FILE, SBX_M_DEV, SBX_M_LINK };

struct sbx_mount {
	enum sbx_mount_type type;
	char *path;                  /* canonical host path = path inside */
	char *link;                  /* SBX_M_LINK: the symlink's text */
};

struct sbx_plan {
	const struct sandbox_spawn_args *a;
	const struct sandbox_profile *p;     /* NULL when off */
	struct sock_fprog prog;
	struct sbx_mount *mounts;
	size_t nmounts;
	int exec_fd;                 /* the binary, opened by the parent */
	int sock;                    /* child's end of the report socket */
	bool setid;                  /* launcher is root: become uid/gid */
	uid_t uid;
	gid_t gid;
	unsigned long clone_flags;   /* CLONE_NEW* */
	char *const *envp;           /* a->envp, or plan_env's copy */
	char **env_copy;
	char *origin_env;
};

/* Child -> parent over the SOCK_SEQPACKET report socket. */
enum sbx_msg_kind { SBX_MSG_ERROR = 1, SBX_MSG_LISTENER = 2 };

struct sbx_msg {
	int kind;
	int err;                     /* errno of the failed step */
	char what[240];              /* the step, e.g. "bind /usr/lib" */
};

int sbx_mounts_plan(struct sbx_plan *pl, struct sandbox_error *e);
void sbx_mounts_free(struct sbx_plan *pl);
/* Child side; return 0 or -1 with errno set and `what` filled. */
int sbx_child_root(const struct sbx_plan *pl, char *what, size_t len);
_Noreturn void sbx_child_main(const struct sbx_plan *pl);

#endif
