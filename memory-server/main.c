/* SPDX-License-Identifier: MIT */
/*
 * atoll-mem: owns guest RAM. The launcher sends one MEM_CREATE with the
 * layout; the server creates a sealed memfd per region, posts READY, and
 * from then on answers MEM_GRANT_REQUEST with fds of the regions (which the
 * launcher passes on to the processes that may map guest RAM) and
 * MEM_USAGE_REQUEST with figures. The memfds live as long as this process,
 * so guest RAM survives the restart of any other process of the VM: a
 * restarted process is simply granted the same regions again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "regions.h"

#define DEFAULT_MAX_TOTAL (1ull << 40)   /* 1 TiB */

struct mem_server {
	struct mem_limits limits;
	struct mem_layout layout;
	bool created;
	uint32_t grants;
};

static void reply_create(struct child *c, struct atoll_msg *m)
{
	struct mem_server *s = child_state(c);
	const Atoll__MemLayout *l = (const Atoll__MemLayout *)m->body;
	char err[256] = "";
	char detail[64];
	int r;

	if (s->created) {
		log_warn("MEM_CREATE refused: the layout already exists");
		atoll_bus_reply_error(child_bus(c), m, EEXIST,
				      "the memory layout was already created");
		return;
	}
	r = mem_layout_create(l, &s->limits, &s->layout, err, sizeof(err));
	if (r < 0) {
		log_warn("MEM_CREATE refused: %s", err);
		atoll_bus_reply_error(child_bus(c), m, r, "%s", err);
		return;
	}
	s->created = true;
	log_info("created %zu region(s), %" PRIu64 " MiB", s->layout.n,
		 mem_layout_total(&s->layout) >> 20);
	atoll_bus_reply_ack(child_bus(c), m);
	snprintf(detail, sizeof(detail), "%zu regions, %" PRIu64 " bytes",
		 s->layout.n, mem_layout_total(&s->layout));
	child_post_ready(c, detail);
}

/* Resolves the requested names (none: all regions) into `pick`. Returns
 * the count or a negative errno with a reason in err. */
static int grant_pick(const struct mem_server *s, const Atoll__MemGrantRequest *q,
		      const struct mem_region **pick, char *err, size_t errlen)
{
	size_t n = q->n_regions ? q->n_regions : s->layout.n;

	if (n > ATOLL_BUS_MAX_FDS || n > s->layout.n) {
		snprintf(err, errlen, "%zu regions requested; there are %zu", n,
			 s->layout.n);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		pick[i] = q->n_regions ? mem_layout_find(&s->layout, q->regions[i])
				       : &s->layout.regions[i];
		if (!pick[i]) {
			snprintf(err, errlen, "no region named '%.*s'",
				 MEM_MAX_NAME, q->regions[i]);
			return -ENOENT;
		}
	}
	return (int)n;
}

/* Fills msg regions and fds; read-only grants get fds of their own. */
static int grant_fill(const struct mem_region **pick, int n, bool readonly,
		      Atoll__MemRegion *out, int *fds, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		bool ro = readonly || pick[i]->readonly;

		atoll__mem_region__init(&out[i]);
		out[i].name = (char *)pick[i]->name;
		out[i].guest_addr = pick[i]->guest_addr;
		out[i].size = pick[i]->size;
		out[i].hugepages = pick[i]->hugepages;
		out[i].readonly = ro;
		fds[i] = ro ? mem_region_open_readonly(pick[i]) : pick[i]->fd;
		if (fds[i] < 0) {
			snprintf(err, errlen,
				 "region '%s': read-only grant impossible: %s",
				 pick[i]->name, fds[i] == -EOPNOTSUPP ?
				 "/proc is not mounted" : strerror(-fds[i]));
			return fds[i];
		}
	}
	return 0;
}

static void reply_grant(struct child *c, struct atoll_msg *m)
{
	struct mem_server *s = child_state(c);
	const Atoll__MemGrantRequest *q = (const Atoll__MemGrantRequest *)m->body;
	const struct mem_region *pick[ATOLL_BUS_MAX_FDS];
	Atoll__MemRegion regs[ATOLL_BUS_MAX_FDS];
	Atoll__MemRegion *ptrs[ATOLL_BUS_MAX_FDS];
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	int fds[ATOLL_BUS_MAX_FDS];
	char err[160] = "";
	int n, r;

	if (!s->created) {
		atoll_bus_reply_error(child_bus(c), m, EAGAIN,
				      "no memory layout yet (MEM_CREATE first)");
		return;
	}
	n = grant_pick(s, q, pick, err, sizeof(err));
	for (int i = 0; i < (int)ATOLL_BUS_MAX_FDS; i++)
		fds[i] = -1;
	r = n < 0 ? n : grant_fill(pick, n, q->readonly, regs, fds, err,
				   sizeof(err));
	if (r == 0) {
		for (int i = 0; i < n; i++)
			ptrs[i] = &regs[i];
		g.n_regions = (size_t)n;
		g.regions = ptrs;
		r = atoll_bus_reply(child_bus(c), m, ATOLL__MSG_TYPE__MSG_MEM_GRANT,
				    &g.base, fds, (unsigned)n);
		if (r == 0) {
			s->grants++;
			log_info("granted %d region(s)%s to '%.64s'", n,
				 q->readonly ? " read-only" : "", q->for_process);
		}
	} else {
		log_warn("MEM_GRANT_REQUEST refused: %s", err);
		atoll_bus_reply_error(child_bus(c), m, r, "%s", err);
	}
	/* Read-only fds were opened for this grant; the memfds stay ours. */
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && fds[i] != pick[i]->fd)
			close(fds[i]);
}

static void reply_usage(struct child *c, struct atoll_msg *m)
{
	struct mem_server *s = child_state(c);
	Atoll__MemUsage u = ATOLL__MEM_USAGE__INIT;
	bool peak;

	u.total_bytes = mem_layout_total(&s->layout);
	u.resident_bytes = mem_layout_resident(&s->layout);
	u.regions = (uint32_t)s->layout.n;
	u.grants = s->grants;
	u.rss_bytes = child_rss_bytes(&peak);
	atoll_bus_reply(child_bus(c), m, ATOLL__MSG_TYPE__MSG_MEM_USAGE, &u.base,
			NULL, 0);
}

static int mem_message(struct child *c, struct atoll_msg *m)
{
	if (!(m->flags & ATOLL_FRAME_NEED_REPLY))
		return -EOPNOTSUPP;
	switch (m->type) {
	case ATOLL__MSG_TYPE__MSG_MEM_CREATE:
		reply_create(c, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_MEM_GRANT_REQUEST:
		reply_grant(c, m);
		return 0;
	case ATOLL__MSG_TYPE__MSG_MEM_USAGE_REQUEST:
		reply_usage(c, m);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void mem_health(struct child *c, Atoll__HealthReport *r)
{
	struct mem_server *s = child_state(c);
	size_t len;
	char *buf = child_status_buf(c, &len);
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%zu regions, %" PRIu64 " bytes, %u grants",
		 used ? "; " : "", s->layout.n, mem_layout_total(&s->layout),
		 s->grants);
	r->status = buf;
	r->requests_completed = s->grants;
}

static int mem_setup(struct child *c)
{
	return 0;   /* READY follows MEM_CREATE */
}

static void mem_teardown(struct child *c)
{
	struct mem_server *s = child_state(c);

	mem_layout_free(&s->layout);
}

enum { OPT_MAX_TOTAL = 1, OPT_MAX_REGIONS };

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -EINVAL : 0;
}

static int mem_opt(int opt, const char *arg, void *state)
{
	struct mem_server *s = state;
	uint64_t v;

	if (parse_u64(arg, &v) < 0 || v == 0)
		return -EINVAL;
	if (opt == OPT_MAX_TOTAL) {
		s->limits.max_total = v;
		return 0;
	}
	if (v > ATOLL_BUS_MAX_FDS)
		return -EINVAL;
	s->limits.max_regions = (unsigned)v;
	return 0;
}

static const struct option mem_opts[] = {
	{ "max-total", required_argument, NULL, OPT_MAX_TOTAL },
	{ "max-regions", required_argument, NULL, OPT_MAX_REGIONS },
	{ NULL, 0, NULL, 0 },
};

static const struct child_ops mem_ops = {
	.kind = "mem",
	.role = ATOLL__ROLE__ROLE_MEMORY,
	.capabilities = ATOLL__CAPABILITY__CAP_FAULTS,
	.setup = mem_setup,
	.message = mem_message,
	.health = mem_health,
	.teardown = mem_teardown,
};

int main(int argc, char **argv)
{
	struct mem_server s = {
		.limits = { .max_regions = ATOLL_BUS_MAX_FDS,
			    .max_total = DEFAULT_MAX_TOTAL },
	};

	return child_main(argc, argv, &mem_ops, &s, mem_opts, mem_opt,
			  "  --max-total=BYTES   refuse layouts larger than this (default 1 TiB)\n"
			  "  --max-regions=N     refuse layouts with more regions (1..16, default 16)\n");
}
