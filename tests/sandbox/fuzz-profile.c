/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes into sandbox_profile_parse (over a small
 * base) give a profile that keeps the rules, or an error with a
 * terminated message; never a crash or a leak. */
#include <stdint.h>
#include <string.h>

#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An argument rule checks something, and only bits it compares. */
static void check_rule(const struct sandbox_arg_rule *r)
{
	unsigned checked = 0;
	char buf[600];

	for (unsigned a = 0; a < SANDBOX_ARGS; a++) {
		const struct sandbox_arg_match *m = &r->arg[a];

		if (m->nvalues > SANDBOX_ARG_VALUES)
			__builtin_trap();
		checked += m->nvalues > 0;
		for (unsigned v = 0; v < m->nvalues; v++)
			if (m->values[v] & ~m->mask)
				__builtin_trap();
	}
	if (!checked || r->nr < 0)
		__builtin_trap();
	sandbox_arg_rule_format(r, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base_yaml[] = "kind: base\nrlimits: {core: 0}\n"
					"paths: [/usr/lib]\nsyscalls: [read]\n";
	struct sandbox_profile *base = NULL, *p = NULL;
	struct sandbox_error e;
	char msg[1024];

	if (sandbox_profile_parse("base", base_yaml, sizeof(base_yaml) - 1,
				  NULL, &base, &e) < 0)
		__builtin_trap();
	if (sandbox_profile_parse("fuzz.yaml", (const char *)data, size, base,
				  &p, &e) < 0) {
		sandbox_error_format(&e, msg, sizeof(msg));
		if (strlen(e.message) >= sizeof(e.message) || !e.message[0])
			__builtin_trap();
	} else {
		if (!p->kind || !(p->namespaces & SANDBOX_NS_MOUNT) ||
		    p->nsyscalls < 1 ||
		    (p->rlimits[SANDBOX_RL_NOFILE].set &&
		     p->rlimits[SANDBOX_RL_NOFILE].value >= SANDBOX_EXEC_FD))
			__builtin_trap();
		for (size_t i = 1; i < p->nsyscalls; i++)
			if (p->syscalls[i - 1] >= p->syscalls[i])
				__builtin_trap();
		for (size_t i = 0; i < p->ndevices; i++)
			if (strncmp(p->devices[i], "/dev/", 5))
				__builtin_trap();
		for (size_t i = 0; i < p->narg_rules; i++)
			check_rule(&p->arg_rules[i]);
	}
	sandbox_profile_free(p);
	sandbox_profile_free(base);
	return 0;
}
