/* SPDX-License-Identifier: MIT */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atoll-config.h"
#include "display.h"
#include "kind.h"
#include "log.h"

/* The processes every VM has; device kinds name their own programs
 * (launcher/kinds/). */
static const struct {
	const char *kind;
	const char *program;
	const char *build_dir;
} core_programs[] = {
	{ "mem", "atoll-mem", "memory-server" },
	{ "cpu", "atoll-cpu", "cpu-server" },
	{ "display", "atoll-display", "display" },
};

static bool running_from_build_tree(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t root = strlen(ATOLL_BUILD_ROOT);

	if (n <= 0)
		return false;
	self[n] = '\0';
	return !strncmp(self, ATOLL_BUILD_ROOT, root) && self[root] == '/';
}

static char *try_path(const char *dir, const char *sub, const char *bin,
		      char *searched, size_t size)
{
	char path[PATH_MAX];
	size_t used = strlen(searched);

	snprintf(path, sizeof(path), "%s%s%s/%s", dir, sub ? "/" : "",
		 sub ? sub : "", bin);
	if (access(path, X_OK) == 0)
		return strdup(path);
	snprintf(searched + used, size - used, "%s%s", used ? ", " : "", path);
	return NULL;
}

/* The installed program of `kind` and its build-tree folder. */
static bool kind_program(const char *kind, const char **program,
			 const char **build_dir)
{
	const struct device_kind *k = device_kind_find(kind);

	for (size_t i = 0; i < sizeof(core_programs) / sizeof(core_programs[0]); i++) {
		if (!strcmp(kind, core_programs[i].kind)) {
			*program = core_programs[i].program;
			*build_dir = core_programs[i].build_dir;
			return true;
		}
	}
	if (!k || !k->program)
		return false;
	*program = k->program;
	*build_dir = k->build_dir;
	return true;
}

char *launch_find_binary(const char *kind, char *searched, size_t size)
{
	const char *bindir = getenv("ATOLL_BINDIR");
	const char *program, *build_dir;
	char *found = NULL;

	searched[0] = '\0';
	if (!kind_program(kind, &program, &build_dir)) {
		snprintf(searched, size, "(no built-in binary for kind '%s')",
			 kind);
		return NULL;
	}
	if (bindir)
		found = try_path(bindir, NULL, program, searched, size);
	if (!found && running_from_build_tree())
		found = try_path(ATOLL_BUILD_ROOT, build_dir, program, searched,
				 size);
	if (!found)
		found = try_path(ATOLL_LIBEXECDIR, NULL, program, searched, size);
	return found;
}

static int plan_cpu(const struct vm_config *c, struct launch_plan *plan)
{
	int rc;

	if ((rc = plan_arg(plan, "--machine=%s", c->machine)) < 0 ||
	    (rc = plan_arg(plan, "--cpus=%u", c->cpus)) < 0 ||
	    (c->engine && (rc = plan_arg(plan, "--engine=%s", c->engine)) < 0) ||
	    (rc = plan_arg(plan, "--memory=%" PRIu64, c->memory_bytes)) < 0 ||
	    (c->cmdline && (rc = plan_arg(plan, "--append=%s", c->cmdline)) < 0))
		return rc;
	if (c->kernel &&
	    ((rc = plan_open(plan, "kernel", c->kernel, O_RDONLY, false, 4)) < 0 ||
	     (rc = plan_arg(plan, "--kernel-fd=4")) < 0))
		return rc;
	if (c->initrd &&
	    ((rc = plan_open(plan, "initrd", c->initrd, O_RDONLY, false, 5)) < 0 ||
	     (rc = plan_arg(plan, "--initrd-fd=5")) < 0))
		return rc;
	if (c->firmware &&
	    ((rc = plan_open(plan, "firmware", c->firmware, O_RDONLY, false, 6)) < 0 ||
	     (rc = plan_arg(plan, "--firmware-fd=6")) < 0))
		return rc;
	return 0;
}

/* The device's kind adds its own arguments and files, then the
 * manifest's args: follow. */
static int plan_device(const struct device_config *d, struct launch_plan *plan)
{
	int rc = d->ops && d->ops->plan ? d->ops->plan(d, plan) : 0;

	for (size_t i = 0; rc == 0 && i < d->nargs; i++)
		rc = plan_arg(plan, "%s", d->args[i]);
	return rc;
}

int launch_plan_build(const struct proc *p, int bus_fd, struct launch_plan *plan)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->cfg = p->vm->cfg;
	plan->spawn.name = p->name;
	plan->spawn.kind = p->kind;
	plan->spawn.accel = p->vm->cfg->accel;
	plan->spawn.binary = p->binary;
	plan->spawn.argv = plan->argv;
	plan->spawn.sandbox = p->sandbox;
	/* Children log to the launcher's stderr. It is also their stdout, so
	 * that no fd a child opens later can take number 1 and receive a
	 * stray printf. The launcher does not own these. */
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 1 };
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ STDERR_FILENO, 2 };
	plan->spawn.fds[plan->spawn.nfds++] = (struct sandbox_fd){ bus_fd, 3 };
	if ((rc = plan_arg(plan, "%s", p->binary)) < 0 ||
	    (rc = plan_arg(plan, "--fd=3")) < 0 ||
	    (rc = plan_arg(plan, "--name=%s", p->name)) < 0)
		goto fail;
	if (p->role == ATOLL__ROLE__ROLE_CPU)
		rc = plan_cpu(p->vm->cfg, plan);
	else if (p->dev)
		rc = plan_device(p->dev, plan);
	else if (p == p->vm->display)
		rc = display_plan(p->vm, plan);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	log_error("%s: %s", p->name, plan->why[0] ? plan->why : strerror(-rc));
	launch_plan_release(plan);
	return rc;
}
