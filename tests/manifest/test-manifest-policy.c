/* SPDX-License-Identifier: MIT */
/* What only the operator may grant: each is refused without its flag,
 * naming the flag, and accepted with it. Files a manifest names must lie
 * beneath its directory or an --image-dir, whatever symlinks say, and be
 * regular files (or a disk's block device, with --allow-block-device). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest-test.h"
#include "test-util.h"

#define DEV "devices:\n  - name: d0\n"
#define BOOT "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\nboot:\n"

/* A directory beside $MT ($OUTSIDE, named $OUTSIDE_NAME), outside every
 * allowed one, holding "secret". */
static char outside[PATH_MAX];

static void link_in_mt(const char *target, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", mt_dir(), name);
	CHECK_OK(symlink(target, path));
}

static void setup(void)
{
	char tmpl[] = "/tmp/atoll-outside-XXXXXX", secret[PATH_MAX + 8];
	char rel[PATH_MAX + 16];
	FILE *f;

	mt_setup();
	ck_assert_msg(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(outside, sizeof(outside), "%s", tmpl);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	f = fopen(secret, "w");
	ck_assert_ptr_nonnull(f);
	fputs("secret", f);
	ck_assert_int_eq(fclose(f), 0);
	CHECK_OK(setenv("OUTSIDE", outside, 1));
	CHECK_OK(setenv("OUTSIDE_NAME", strrchr(outside, '/') + 1, 1));
	snprintf(rel, sizeof(rel), "..%s", secret + strlen("/tmp"));
	link_in_mt(secret, "escape");          /* absolute, out */
	link_in_mt(rel, "rel-escape");         /* ../atoll-outside-X/secret */
	link_in_mt(outside, "outdir");         /* a folder out */
	link_in_mt("/etc/shadow", "shadow");
	link_in_mt("kernel", "inside");        /* stays beneath $MT */
	snprintf(rel, sizeof(rel), "%s/fifo", mt_dir());
	CHECK_OK(mkfifo(rel, 0600));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	mt_teardown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
	ck_assert_int_eq(system(cmd), 0);
}

static const struct mt_bad refused[] = {
	/* the operator's flags */
	{ MT_BASE "sandbox: off #<\n", 0, 10, "sandbox",
	  { "sandbox off", "(allow with --allow-unsandboxed)" } },
	{ MT_BASE DEV "    kind: virtio-net\n    sandbox: no #<\n", 0, 14,
	  "devices[0].sandbox", { "(allow with --allow-unsandboxed)" } },
	{ "machine:\n  type: none\n  binary: bin #<\n", 0, 3,
	  "machine.binary", { "binary override", "(allow with --allow-binary)" } },
	{ "machine: {type: none}\nmemory:\n  binary: /bin/true #<\n", 0, 3,
	  "memory.binary", { "(allow with --allow-binary)" } },
	{ MT_BASE DEV "    kind: external\n    binary: bin #<\n", 0, 5,
	  "devices[0].binary", { "(allow with --allow-binary)" } },
	{ MT_BASE DEV "    kind: virtio-net\n    args: [--x] #<\n", 0, 5,
	  "devices[0].args", { "extra arguments", "(allow with --allow-binary)" } },
	/* files outside the manifest's directory */
	{ BOOT "  kernel: /etc/shadow #<\n", 0, 11, "boot.kernel",
	  { "\"/etc/shadow\" is outside", "(allow with --image-dir DIR)" } },
	{ MT_BASE "  initrd: ${OUTSIDE}/secret #<\n", 0, 11, "boot.initrd",
	  { "is outside", "--image-dir" } },
	{ MT_BASE "  initrd: ../${OUTSIDE_NAME}/secret #<\n", 0, 0,
	  "boot.initrd", { "is outside", "--image-dir" } },
	{ MT_BASE "  initrd: outdir/secret #<\n", 0, 0, "boot.initrd",
	  { "is outside", "--image-dir" } },
	{ MT_BASE "  firmware: /proc/self/environ #<\n", 0, 0, "boot.firmware",
	  { "is outside" } },
	/* symlinks out of it */
	{ MT_BASE "  initrd: escape #<\n", 0, 0, "boot.initrd",
	  { "escape\" leads out of", "symlink" } },
	{ MT_BASE "  initrd: rel-escape #<\n", 0, 0, "boot.initrd",
	  { "leads out of" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: shadow #<\n", 0, 0,
	  "devices[0].path", { "shadow\" leads out of" } },
	/* anything but a regular file */
	{ BOOT "  kernel: fifo #<\n", 0, 0, "boot.kernel",
	  { "fifo\" is not a regular file" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: fifo #<\n", 0, 0,
	  "devices[0].path", { "is not a regular file" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: sub/ #<\n", 0, 0,
	  "devices[0].path", { "names a directory" } },
};

START_TEST(not_granted)
{
	const struct mt_bad *b = &refused[_i];
	const char *path = mt_write("bad.yaml", b->yaml);
	struct manifest_error err;
	char msg[1024];

	ck_assert_msg(!manifest_load(path, NULL, &err), "case %d accepted:\n%s",
		      _i, b->yaml);
	mt_check_error(b, &err);
	manifest_error_format(&err, msg, sizeof(msg));
	printf("case %d: %s\n", _i, msg);
}
END_TEST

START_TEST(flags_grant)
{
	struct manifest_policy p = { .allow_unsandboxed = true };
	struct vm_config *cfg;

	cfg = mt_load_with(MT_BASE "sandbox: off\n" DEV "    kind: virtio-net\n"
			   "    sandbox: off\n", &p);
	ck_assert(!cfg->sandbox && !cfg->devices[0].sandbox);
	vm_config_free(cfg);
	p = (struct manifest_policy){ .allow_binary = true };
	cfg = mt_load_with("machine: {type: none, binary: bin}\n"
			   "memory: {binary: /bin/true}\n" DEV
			   "    kind: external\n    binary: bin\n"
			   "    args: [--x]\n", &p);
	ck_assert_str_eq(cfg->cpu_binary, mt_path("bin"));
	ck_assert_str_eq(cfg->devices[0].args[0], "--x");
	vm_config_free(cfg);
}
END_TEST

/* An --image-dir admits files beneath it, by their canonical folder. */
START_TEST(image_dir_grants)
{
	const char *dirs[] = { outside };
	struct manifest_policy p = { .image_dirs = dirs, .nimage_dirs = 1 };
	struct vm_config *cfg;
	char want[PATH_MAX + 16];

	snprintf(want, sizeof(want), "%s/secret", outside);
	cfg = mt_load_with(MT_BASE "  initrd: ${OUTSIDE}/secret\n"
			   "  firmware: outdir/secret\n", &p);
	ck_assert_str_eq(cfg->initrd, want);
	ck_assert_str_eq(cfg->firmware, want);
	ck_assert_uint_eq(cfg->nfile_dirs, 2);
	ck_assert_str_eq(cfg->file_dirs[0], mt_path("."));
	ck_assert_str_eq(cfg->file_dirs[1], outside);
	vm_config_free(cfg);
	/* a symlink that stays beneath is fine, and is kept by name */
	cfg = mt_load_ok(BOOT "  kernel: inside\n");
	snprintf(want, sizeof(want), "%s/inside", mt_path("."));
	ck_assert_str_eq(cfg->kernel, want);
	vm_config_free(cfg);
}
END_TEST

START_TEST(image_dir_must_exist)
{
	const char *dirs[] = { "/nonexistent-atoll-dir" };
	struct manifest_policy p = { .image_dirs = dirs, .nimage_dirs = 1 };
	struct manifest_error err;

	ck_assert_ptr_null(manifest_load(mt_write("vm.yaml", MT_BASE), &p,
					 &err));
	ck_assert_msg(strstr(err.message, "--image-dir \"/nonexistent-atoll-dir\""),
		      "%s", err.message);
}
END_TEST

/* The launcher opens the file again at start, by the same rule: a disk
 * swapped for a symlink out after the check is refused then. */
START_TEST(reopen_is_checked_again)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE DEV "    kind: virtio-blk\n"
					   "    path: disk.img\n");
	char why[512], secret[PATH_MAX + 8];
	int fd;

	fd = manifest_open_file(cfg, cfg->devices[0].disk.path, O_RDWR, true,
				why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	close(fd);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	CHECK_OK(unlink(mt_path("disk.img")));
	link_in_mt(secret, "disk.img");
	fd = manifest_open_file(cfg, cfg->devices[0].disk.path, O_RDWR, true,
				why, sizeof(why));
	ck_assert_int_eq(fd, -EXDEV);
	ck_assert_msg(strstr(why, "leads out of"), "%s", why);
	vm_config_free(cfg);
}
END_TEST

/* /dev/NAME of the first entry of /sys/block that is a block device. */
static bool find_block_device(char *out, size_t size)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	struct stat st;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(out, size, "/dev/%s", e->d_name);
		found = stat(out, &st) == 0 && S_ISBLK(st.st_mode);
	}
	if (d)
		closedir(d);
	return found;
}

START_TEST(block_device_needs_flag)
{
	const char *dirs[] = { "/dev" };
	struct manifest_policy p = { .image_dirs = dirs, .nimage_dirs = 1 };
	struct manifest_error err;
	struct vm_config *cfg;
	char dev[PATH_MAX], yaml[PATH_MAX + 256], msg[1024];

	if (!find_block_device(dev, sizeof(dev))) {
		printf("skipping block_device_needs_flag: no block device in "
		       "/sys/block\n");
		return;
	}
	snprintf(yaml, sizeof(yaml), MT_BASE DEV "    kind: virtio-blk\n"
		 "    path: %s\n    readonly: true\n", dev);
	ck_assert_ptr_null(manifest_load(mt_write("vm.yaml", yaml), &p, &err));
	manifest_error_format(&err, msg, sizeof(msg));
	printf("block device: %s\n", msg);
	ck_assert_str_eq(err.field, "devices[0].path");
	ck_assert_msg(strstr(err.message, "is a block device (allow with "
			     "--allow-block-device)"), "%s", msg);
	p.allow_block_device = true;
	cfg = manifest_load(mt_write("vm.yaml", yaml), &p, &err);
	manifest_error_format(&err, msg, sizeof(msg));
	if (!cfg && strstr(msg, "Permission denied")) {
		printf("skipping the granted half: %s is not readable here "
		       "(%s)\n", dev, msg);
		return;
	}
	ck_assert_msg(cfg, "%s", msg);
	ck_assert_str_eq(cfg->devices[0].disk.path, dev);
	vm_config_free(cfg);
}
END_TEST

TCase *manifest_policy_tcase(void)
{
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, not_granted, 0,
			    (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, flags_grant);
	tcase_add_test(tc, image_dir_grants);
	tcase_add_test(tc, image_dir_must_exist);
	tcase_add_test(tc, reopen_is_checked_again);
	tcase_add_test(tc, block_device_needs_flag);
	return tc;
}
