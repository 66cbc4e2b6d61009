/* SPDX-License-Identifier: MIT */
/* Kind tpm: atoll-tpm (dev-tpm/), a TPM 2.0 or 1.2 on libtpms behind the
 * TIS registers (docs/dev-tpm.md). `state:` is its permanent state file,
 * beneath the manifest's directory or an --image-dir like every file a
 * manifest names, opened read-write by the launcher at every (re)start and
 * passed as fd 4 (--state=4): a restarted TPM comes back with its NV,
 * seeds and keys. An empty file is a fresh TPM. `version:` 2 (default) or
 * 1.2. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "kind.h"

#define STATE_FD 4             /* after stdout, stderr and the bus (3) */

struct tpm_config {
	char *state;                 /* absolute, folder canonical */
	bool tpm12;
};

static const char *const keys[] = { "state", "version", NULL };

static int tpm_read(struct mctx *c, const struct mmap *dev,
		    struct device_config *d)
{
	static const char *const versions[] = { "2", "2.0", "1.2", NULL };
	struct tpm_config *x = calloc(1, sizeof(*x));
	struct mval v;
	int version = 0, r;

	if (!x)
		return -ENOMEM;
	d->data = x;
	mx_lookup(dev, "version", &v);
	if (v.present && (r = mx_choice(c, &v, versions, &version)) < 0)
		return r;
	x->tpm12 = version == 2;
	mx_lookup(dev, "state", &v);
	if ((r = mx_require(c, &v)) < 0)
		return r;
	return mx_existing_path(c, &v, MX_FILE_RW, &x->state);
}

static int tpm_plan(const struct device_config *d, struct launch_plan *plan)
{
	const struct tpm_config *x = d->data;
	int rc = plan_open(plan, "state", x->state, O_RDWR, false, STATE_FD);

	if (rc == 0)
		rc = plan_arg(plan, "--state=%d", STATE_FD);
	if (rc == 0)
		rc = plan_arg(plan, "--version=%s", x->tpm12 ? "1.2" : "2");
	return rc;
}

static void tpm_release(struct device_config *d)
{
	struct tpm_config *x = d->data;

	if (x)
		free(x->state);
	free(x);
	d->data = NULL;
}

const struct device_kind kind_tpm = {
	.name = "tpm",
	.program = "atoll-tpm",
	.build_dir = "dev-tpm",
	.keys = keys,
	.read = tpm_read,
	.plan = tpm_plan,
	.release = tpm_release,
};
