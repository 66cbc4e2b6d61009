/* SPDX-License-Identifier: MIT */
/* `atoll sandbox-report`: one process's effective sandbox, as a table. */
#include "sandbox-private.h"

#include <cap-ng.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static void row(FILE *out, const char *key, const char *val)
{
	fprintf(out, "  %-14s %s\n", key, val);
}

static void namespaces(FILE *out, const struct sandbox_profile *p)
{
	fprintf(out, "  %-14s", "namespaces");
	if (!p->namespaces)
		fprintf(out, " none");
	for (unsigned b = 1; b <= SANDBOX_NS_CGROUP; b <<= 1)
		if (p->namespaces & b)
			fprintf(out, " %s", sandbox_ns_name(b));
	fprintf(out, "\n");
}

static void caps(FILE *out, const struct sandbox_profile *p)
{
	fprintf(out, "  %-14s", "capabilities");
	if (!p->ncaps)
		fprintf(out, " none (bounding set empty)");
	for (size_t i = 0; i < p->ncaps; i++) {
		const char *n = capng_capability_to_name((unsigned)p->caps[i]);

		fprintf(out, " %s", n ? n : "?");
	}
	fprintf(out, "\n");
}

static void rlimits(FILE *out, const struct sandbox_profile *p)
{
	fprintf(out, "  %-14s", "rlimits");
	for (int i = 0; i < SANDBOX_RL_COUNT; i++) {
		const struct sandbox_rlimit *r = &p->rlimits[i];

		if (i == SANDBOX_RL_NOFILE && (!r->set ||
					       r->value >= SANDBOX_EXEC_FD - 1))
			fprintf(out, " nofile=%d", SANDBOX_EXEC_FD - 1);
		else if (!r->set)
			fprintf(out, " %s=inherited", sandbox_rlimit_name(i));
		else if (r->value == RLIM_INFINITY)
			fprintf(out, " %s=unlimited", sandbox_rlimit_name(i));
		else
			fprintf(out, " %s=%llu", sandbox_rlimit_name(i),
				(unsigned long long)r->value);
	}
	fprintf(out, "\n");
}

static void list(FILE *out, const char *key, char **v, size_t n,
		 const char *none)
{
	fprintf(out, "  %-14s", key);
	if (!n)
		fprintf(out, " %s", none);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s", v[i]);
	fprintf(out, "\n");
}

static void syscalls(FILE *out, const struct sandbox_profile *p)
{
	size_t col = 0;

	fprintf(out, "  %-14s %zu allowed%s; execveat only for the launcher's "
		"exec; anything else: killed and reported\n", "syscalls",
		p->nsyscalls, p->threads ? " + clone(CLONE_THREAD)" : "");
	for (size_t i = 0; i < p->nsyscalls; i++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
							   p->syscalls[i]);
		int w;

		if (col == 0)
			fprintf(out, "  %-14s", "");
		w = fprintf(out, " %s", n ? n : "?");
		free(n);
		col += w > 0 ? (size_t)w : 0;
		if (col > 60) {
			fprintf(out, "\n");
			col = 0;
		}
	}
	if (col)
		fprintf(out, "\n");
	for (size_t i = 0; i < p->narg_rules; i++) {
		char buf[512];

		sandbox_arg_rule_format(&p->arg_rules[i], buf, sizeof(buf));
		fprintf(out, "  %-14s %s\n", i ? "" : "only with", buf);
	}
}

void sandbox_report_print(FILE *out, const char *process_name,
			  const struct sandbox_profile *p, bool off)
{
	fprintf(out, "%s\n", process_name);
	if (off) {
		row(out, "sandbox", "OFF (manifest says sandbox: off): launcher's "
		    "uid, capabilities and namespaces; no seccomp, no rlimits");
		return;
	}
	if (!p) {
		row(out, "sandbox", "no profile: the process would be refused");
		return;
	}
	row(out, "profile", p->file);
	namespaces(out, p);
	caps(out, p);
	rlimits(out, p);
	list(out, "devices", p->devices, p->ndevices, "none");
	list(out, "paths (ro)", p->paths, p->npaths, "none");
	fprintf(out, "  %-14s %s; / is a read-only tmpfs\n", "",
		"+ the binary's directory and the launcher's extra paths");
	row(out, "/proc", p->proc ? "private (own pid namespace)" : "absent");
	row(out, "W+X maps", p->wx == SANDBOX_WX_DENY ? "denied: mmap/mprotect/"
	    "pkey_mprotect with PROT_WRITE|PROT_EXEC killed" : "allowed");
	syscalls(out, p);
}
