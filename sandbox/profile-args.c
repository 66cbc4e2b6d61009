/* SPDX-License-Identifier: MIT */
/*
 * Argument rules in a profile's `syscalls:` list:
 *
 *   socket: {domain: [AF_INET, AF_INET6], type: [SOCK_STREAM]}
 *   socket: [{domain: [AF_INET], ...}, {domain: [AF_INET6], ...}]
 *
 * The call is allowed when every argument a rule names equals one of its
 * values (any rule of a list will do). Arguments are named per call
 * (socket's domain, type, protocol) or by position (arg0..arg5, compared
 * as 64-bit numbers); values are numbers or the constants of that
 * argument (AF_*, SOCK_*, IPPROTO_*).
 */
#include "profile-parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Filter rules one argument rule may expand to (the product of its
 * value lists), and rules per profile: bounds on the BPF program. */
#define MAX_COMBINATIONS 64u
#define MAX_RULES 32u

enum group { G_NUMBER, G_AF, G_SOCK, G_IPPROTO };

struct arg_name {
	const char *call, *name;
	unsigned index;
	uint64_t mask;
	enum group group;
};

/* int arguments: the kernel reads the low 32 bits. socket()'s type also
 * carries SOCK_NONBLOCK and SOCK_CLOEXEC, which change nothing about what
 * the socket can reach, so they are not compared. */
#define INT_MASK 0xffffffffull
#define SOCK_TYPE_MASK (INT_MASK & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))

static const struct arg_name arg_names[] = {
	{ "socket", "domain", 0, INT_MASK, G_AF },
	{ "socket", "type", 1, SOCK_TYPE_MASK, G_SOCK },
	{ "socket", "protocol", 2, INT_MASK, G_IPPROTO },
	{ "socketpair", "domain", 0, INT_MASK, G_AF },
	{ "socketpair", "type", 1, SOCK_TYPE_MASK, G_SOCK },
	{ "socketpair", "protocol", 2, INT_MASK, G_IPPROTO },
};

static const char *const positional[SANDBOX_ARGS] = {
	"arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
};

struct constant {
	const char *name;
	uint64_t value;
	enum group group;
};

static const struct constant constants[] = {
	{ "AF_UNIX", AF_UNIX, G_AF }, { "AF_INET", AF_INET, G_AF },
	{ "AF_INET6", AF_INET6, G_AF }, { "AF_NETLINK", AF_NETLINK, G_AF },
	{ "AF_PACKET", AF_PACKET, G_AF }, { "AF_VSOCK", AF_VSOCK, G_AF },
	{ "SOCK_STREAM", SOCK_STREAM, G_SOCK },
	{ "SOCK_DGRAM", SOCK_DGRAM, G_SOCK },
	{ "SOCK_RAW", SOCK_RAW, G_SOCK },
	{ "SOCK_SEQPACKET", SOCK_SEQPACKET, G_SOCK },
	{ "IPPROTO_IP", IPPROTO_IP, G_IPPROTO },
	{ "IPPROTO_ICMP", IPPROTO_ICMP, G_IPPROTO },
	{ "IPPROTO_TCP", IPPROTO_TCP, G_IPPROTO },
	{ "IPPROTO_UDP", IPPROTO_UDP, G_IPPROTO },
	{ "IPPROTO_ICMPV6", IPPROTO_ICMPV6, G_IPPROTO },
};

static const char *const group_prefix[] = {
	[G_NUMBER] = "", [G_AF] = "AF_", [G_SOCK] = "SOCK_",
	[G_IPPROTO] = "IPPROTO_",
};

/* The argument `name` of `call`: a named one, else arg0..arg5. */
static const struct arg_name *find_arg(const char *call, const char *name,
				       struct arg_name *pos)
{
	for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
		if (!strcmp(call, arg_names[i].call) &&
		    !strcmp(name, arg_names[i].name))
			return &arg_names[i];
	for (unsigned i = 0; i < SANDBOX_ARGS; i++) {
		if (!strcmp(name, positional[i])) {
			*pos = (struct arg_name){ call, positional[i], i,
						  UINT64_MAX, G_NUMBER };
			return pos;
		}
	}
	return NULL;
}

static void known_args(const char *call, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
		if (!strcmp(call, arg_names[i].call) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s, ",
					      arg_names[i].name);
	if (n < size)
		snprintf(buf + n, size - n, "arg0..arg5");
}

static int value(struct pctx *c, struct fy_node *n, const struct arg_name *a,
		 uint64_t *out)
{
	const char *s;
	char *end;
	int r;

	if ((r = sbx_scalar(c, n, a->name, &s)) < 0)
		return r;
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		*out = strtoull(s, &end, 0);
		if (errno || *end)
			return FAIL(c, n, "%s: '%s' is not a number", a->name, s);
	} else {
		size_t i;

		for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
			if (constants[i].group == a->group &&
			    !strcmp(s, constants[i].name))
				break;
		if (i == sizeof(constants) / sizeof(constants[0]))
			return a->group == G_NUMBER ?
				FAIL(c, n, "%s takes numbers, got '%s'",
				     a->name, s) :
				FAIL(c, n, "unknown %s '%s' (a number or a "
				     "known %s* name)", a->name, s,
				     group_prefix[a->group]);
		*out = constants[i].value;
	}
	if (*out & ~a->mask)
		return FAIL(c, n, "%s: '%s' has bits the comparison ignores "
			    "(mask 0x%llx)", a->name, s,
			    (unsigned long long)a->mask);
	return 0;
}

/* An empty [] or {} has no line of its own: use its key's. */
static struct fy_node *at(struct fy_node *n, struct fy_node *key)
{
	return sbx_node_line(n) ? n : key;
}

static int match(struct pctx *c, struct fy_node *kn, struct fy_node *seq,
		 const struct arg_name *a, struct sandbox_arg_match *m)
{
	struct fy_node *n;
	void *it = NULL;
	uint64_t v = 0;
	int r;

	if (!seq || !fy_node_is_sequence(seq) ||
	    !fy_node_sequence_item_count(seq))
		return FAIL(c, at(seq, kn), "%s must be a list of allowed "
			    "values, e.g. "
			    "%s: [1, 2]", a->name, a->name);
	if (fy_node_sequence_item_count(seq) > SANDBOX_ARG_VALUES)
		return FAIL(c, seq, "%s: at most %d values", a->name,
			    SANDBOX_ARG_VALUES);
	while ((n = fy_node_sequence_iterate(seq, &it))) {
		if ((r = value(c, n, a, &v)) < 0)
			return r;
		m->values[m->nvalues++] = v;
	}
	m->name = a->name;
	m->mask = a->mask;
	return 0;
}

static int rule(struct pctx *c, const char *call, int nr, struct fy_node *map,
		struct fy_node *call_node)
{
	struct sandbox_arg_rule r = { .nr = nr,
				      .line = sbx_node_line(at(map, call_node)) };
	struct fy_node_pair *pr;
	struct arg_name pos;
	const struct arg_name *a;
	unsigned combinations = 1;
	const char *key;
	char known[160];
	void *it = NULL;
	int rc;

	if (!map || !fy_node_is_mapping(map) || !fy_node_mapping_item_count(map))
		return FAIL(c, at(map, call_node), "%s: a rule maps arguments "
			    "to allowed values, "
			    "e.g. {arg0: [1]}; list the call by name to allow "
			    "any arguments", call);
	while ((pr = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *kn = fy_node_pair_key(pr);

		if ((rc = sbx_scalar(c, kn, "an argument name", &key)) < 0)
			return rc;
		if (!(a = find_arg(call, key, &pos))) {
			known_args(call, known, sizeof(known));
			return FAIL(c, kn, "%s has no argument '%s' (known: %s)",
				    call, key, known);
		}
		if (r.arg[a->index].nvalues)
			return FAIL(c, kn, "%s: argument %s given twice", call,
				    key);
		if ((rc = match(c, kn, fy_node_pair_value(pr), a,
				&r.arg[a->index])) < 0)
			return rc;
		combinations *= r.arg[a->index].nvalues;
	}
	if (combinations > MAX_COMBINATIONS)
		return FAIL(c, map, "%s: %u combinations of values; at most %u",
			    call, combinations, MAX_COMBINATIONS);
	if (c->p->narg_rules >= MAX_RULES)
		return FAIL(c, map, "at most %u argument rules", MAX_RULES);
	/* A call this architecture lacks is accepted and never loaded, as
	 * in the plain list. */
	return nr < 0 ? 0 : sbx_arg_rule_add(c->p, &r);
}

int sbx_parse_call_args(struct pctx *c, struct fy_node *item)
{
	struct fy_node_pair *pr;
	struct fy_node *v, *n;
	const char *call, *why;
	void *it = NULL;
	int nr, r;

	if (fy_node_mapping_item_count(item) != 1)
		return FAIL(c, item, "an item with arguments is one call, e.g. "
			    "socket: {domain: [AF_INET]}");
	pr = fy_node_mapping_iterate(item, &it);
	if ((r = sbx_scalar(c, fy_node_pair_key(pr), "a system call",
			    &call)) < 0)
		return r;
	nr = seccomp_syscall_resolve_name(call);
	if (nr == __NR_SCMP_ERROR)
		return FAIL(c, item, "unknown system call '%s'", call);
	if ((why = sbx_call_fixed(nr)))
		return FAIL(c, item, "%s cannot have argument rules: %s", call,
			    why);
	v = fy_node_pair_value(pr);
	if (!v || !fy_node_is_sequence(v))
		return rule(c, call, nr, v, item);
	if (!fy_node_sequence_item_count(v))
		return FAIL(c, item, "%s: an empty list of rules", call);
	it = NULL;
	while ((n = fy_node_sequence_iterate(v, &it)))
		if ((r = rule(c, call, nr, n, item)) < 0)
			return r;
	return 0;
}

static bool listed(const struct sandbox_profile *p, int nr)
{
	for (size_t i = 0; i < p->nsyscalls; i++)
		if (p->syscalls[i] == nr)
			return true;
	return false;
}

int sbx_check_arg_rules(struct pctx *c, bool merged)
{
	const struct sandbox_profile *p = c->p;

	for (size_t i = 0; i < p->narg_rules; i++) {
		const struct sandbox_arg_rule *r = &p->arg_rules[i];
		bool wx = p->wx == SANDBOX_WX_DENY && sbx_wx_call(r->nr);
		char *name;

		if (!wx && !listed(p, r->nr))
			continue;
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
		if (wx)
			/* The filter's W^X rules would have to be ANDed into
			 * every combination; nothing needs that yet. */
			sbx_fail(c->err, c->name, merged ? 0 : r->line, EINVAL,
				 "'%s' cannot have argument rules under wx: "
				 "deny%s (its prot is what W^X checks); list it "
				 "plainly", name ? name : "?",
				 merged ? ", counting the base profile" : "");
		else
			sbx_fail(c->err, c->name, merged ? 0 : r->line, EINVAL,
				 "'%s' is listed both plainly (any arguments) "
				 "and with argument rules%s; keep one",
				 name ? name : "?",
				 merged ? ", counting the base profile" : "");
		free(name);
		return -EINVAL;
	}
	return 0;
}

static const char *value_name(const struct sandbox_arg_match *m, uint64_t v)
{
	enum group g = G_NUMBER;

	for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
		if (m->name == arg_names[i].name)
			g = arg_names[i].group;
	for (size_t i = 0; g != G_NUMBER &&
	     i < sizeof(constants) / sizeof(constants[0]); i++)
		if (constants[i].group == g && constants[i].value == v)
			return constants[i].name;
	return NULL;
}

void sandbox_arg_rule_format(const struct sandbox_arg_rule *r, char *buf,
			     size_t size)
{
	char *call = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
	size_t n = (size_t)snprintf(buf, size, "%s(", call ? call : "?");
	const char *sep = "";

	free(call);
	for (unsigned i = 0; i < SANDBOX_ARGS && n < size; i++) {
		const struct sandbox_arg_match *m = &r->arg[i];

		if (!m->nvalues)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s ", sep, m->name);
		sep = ", ";
		for (unsigned j = 0; j < m->nvalues && n < size; j++) {
			const char *vn = value_name(m, m->values[j]);

			n += vn ? (size_t)snprintf(buf + n, size - n, "%s%s",
						   j ? "|" : "", vn) :
				  (size_t)snprintf(buf + n, size - n, "%s%llu",
						   j ? "|" : "",
						   (unsigned long long)m->values[j]);
		}
	}
	if (n < size)
		snprintf(buf + n, size - n, ")");
}
