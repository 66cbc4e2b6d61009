/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter, built with libseccomp in the launcher and exported
 * as BPF, so the child only has to hand a finished program to the kernel
 * (no allocation between fork and exec, and we choose the load flags).
 */
#include "sandbox-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Calls whose rules are made here, never copied from a profile. */
static bool special(int nr)
{
	return nr == SCMP_SYS(execve) || nr == SCMP_SYS(execveat) ||
	       nr == SCMP_SYS(clone) || nr == SCMP_SYS(clone3) ||
	       nr == SCMP_SYS(fork) || nr == SCMP_SYS(vfork);
}

/* What the child itself calls between loading the filter and exec: the
 * listener fd must reach the launcher before anything can be notified. */
static const int mechanism[] = {
	SCMP_SYS(sendmsg), SCMP_SYS(write), SCMP_SYS(close),
	SCMP_SYS(exit_group),
};

const char *sbx_call_fixed(int nr)
{
	if (special(nr))
		return "the filter makes the rules of exec, clone and fork "
		       "itself";
	for (size_t i = 0; i < sizeof(mechanism) / sizeof(mechanism[0]); i++)
		if (nr == mechanism[i])
			return "it is always allowed (the sandbox needs it "
			       "before exec)";
	return NULL;
}

bool sbx_wx_call(int nr)
{
	return nr == SCMP_SYS(mmap) || nr == SCMP_SYS(mprotect) ||
	       nr == SCMP_SYS(pkey_mprotect);
}

/* `wx: deny`: a protection call is allowed with PROT_WRITE or PROT_EXEC
 * or neither, never both. BPF has no "masked not-equal", so the three
 * allowed values of (prot & (W|X)) are three rules; W|X matches none and
 * takes the default action (notify: killed and named). The mask ignores
 * every other bit, PROT_READ and PROT_GROWSDOWN/UP included, and the
 * upper 32 (the kernel takes prot as unsigned long). */
static int add_wx_rules(scmp_filter_ctx ctx, int nr)
{
	static const uint64_t ok[] = { 0, PROT_WRITE, PROT_EXEC };
	int r;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				     SCMP_CMP(SBX_WX_PROT_ARG,
					      SCMP_CMP_MASKED_EQ,
					      PROT_WRITE | PROT_EXEC, ok[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* One libseccomp rule per combination of the checked arguments' values
 * (a rule's comparisons are ANDed; alternatives need separate rules). */
static int add_arg_rule(scmp_filter_ctx ctx, const struct sandbox_arg_rule *r)
{
	struct scmp_arg_cmp cmp[SANDBOX_ARGS];
	unsigned pick[SANDBOX_ARGS] = { 0 }, n, i;
	int rc;

	for (;;) {
		for (i = 0, n = 0; i < SANDBOX_ARGS; i++) {
			const struct sandbox_arg_match *m = &r->arg[i];

			if (m->nvalues)
				cmp[n++] = (struct scmp_arg_cmp){
					.arg = i, .op = SCMP_CMP_MASKED_EQ,
					.datum_a = m->mask,
					.datum_b = m->values[pick[i]] };
		}
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, n, cmp);
		if (rc < 0)
			return rc;
		/* next combination: count in mixed radix over the lists */
		for (i = 0; i < SANDBOX_ARGS; i++) {
			if (r->arg[i].nvalues && ++pick[i] < r->arg[i].nvalues)
				break;
			pick[i] = 0;
		}
		if (i == SANDBOX_ARGS)
			return 0;
	}
}

static int add_rules(scmp_filter_ctx ctx, const struct sandbox_profile *p)
{
	int r;

	for (size_t i = 0; i < sizeof(mechanism) / sizeof(mechanism[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, mechanism[i],
					  0)) < 0)
			return r;

	for (size_t i = 0; i < p->nsyscalls; i++) {
		if (special(p->syscalls[i]))
			continue;
		if (p->wx == SANDBOX_WX_DENY && sbx_wx_call(p->syscalls[i]))
			r = add_wx_rules(ctx, p->syscalls[i]);
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
					     p->syscalls[i], 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->narg_rules; i++)
		if ((r = add_arg_rule(ctx, &p->arg_rules[i])) < 0)
			return r;
	/* Only the launcher's exec: the fd is closed by it (CLOEXEC) and
	 * RLIMIT_NOFILE keeps the program from ever holding that number. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
				     SANDBOX_EXEC_FD),
			     SCMP_A4(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
				     AT_EMPTY_PATH));
	if (r < 0 || !p->threads)
		return r;
	/* Threads yes, processes no: clone only with CLONE_THREAD; clone3
	 * passes its flags in memory BPF cannot read, so it fails with
	 * ENOSYS and libc falls back to clone. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
				     CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
	return r;
}

static int export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	struct stat st;
	void *buf = NULL;
	int fd = memfd_create("sandbox-bpf", MFD_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	r = -EINVAL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		goto out;
	r = -ENOMEM;
	if (!(buf = malloc((size_t)st.st_size)))
		goto out;
	r = -EIO;
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		goto out;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog->filter = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int sbx_filter_build(const struct sandbox_profile *p, bool learn,
		     struct sock_fprog *prog, struct sandbox_error *e)
{
	scmp_filter_ctx ctx;
	int r;

	/* Learn mode differs only on the launcher side (the notification
	 * is answered "continue"); the filter is the same. */
	(void)learn;
	if (!(ctx = seccomp_init(SCMP_ACT_NOTIFY)))
		return sbx_fail(e, p->file, 0, ENOSYS, "seccomp_init failed "
				"(no seccomp user notification support?)");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = add_rules(ctx, p);
	if (r == 0)
		r = export(ctx, prog);
	seccomp_release(ctx);
	if (r < 0)
		return sbx_fail(e, p->file, 0, -r, "building the seccomp filter: "
				"%s", strerror(-r));
	return 0;
}
