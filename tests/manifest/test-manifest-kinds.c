/* SPDX-License-Identifier: MIT */
/* Device kinds (launcher/kinds/): what atoll cannot run is refused by name
 * at its line; kind external's program: is the operator's to allow
 * (--device-dir or --allow-binary) and its files: are opened by the rule of
 * every manifest file; each kind's plan grants exactly its files as fds. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "external.h"
#include "kind.h"
#include "virtio-gpu.h"
#include "manifest-test.h"
#include "test-util.h"

#define DEV "devices:\n  - name: d0\n"
#define EXT MT_BASE DEV "    kind: external\n"

/* Not implemented: refused even with every flag granted. */
static const struct mt_bad unimplemented[] = {
	{ MT_BASE DEV "    kind: gpu #<\n", 0, 11, "devices[0].kind",
	  { "unknown value \"gpu\"", "did you mean \"virtio-gpu\"?" } },
	/* tpm: its state file, its version */
	{ MT_BASE DEV "    kind: tpm\n", 8, 5, "devices[0]",
	  { "missing required field \"state\"" } },
	{ MT_BASE DEV "    kind: tpm\n    state: disk.img\n    version: 3 #<\n",
	  0, 14, "devices[0].version", { "unknown value \"3\"", "1.2" } },
	{ MT_BASE DEV "    kind: tpm\n    state: /etc/shadow #<\n", 0, 12,
	  "devices[0].state", { "\"/etc/shadow\" is outside" } },
	{ MT_BASE DEV "    kind: tpm\n    state: disk.img\n"
	  "    files: [] #<\n", 0, 5, "devices[0].files",
	  { "not valid for kind tpm" } },
	{ "machine:\n  type: x86 #<\n", 0, 9, "machine.type",
	  { "machine type x86 is not implemented yet", "only riscv-virt" } },
	{ "machine:\n  type: none\n  accel: kvm #<\n", 0, 10, "machine.accel",
	  { "accel kvm is not implemented yet", "no KVM accelerator" } },
	{ MT_BASE DEV "    kind: virtio-net\n    backend: none #<\n", 0, 14,
	  "devices[0].backend", { "backend none is not implemented",
				  "slirp and tap" } },
	/* virtio-gpu: the EDID holds 12 bits of each dimension */
	{ MT_BASE DEV "    kind: virtio-gpu\n    width: 4096 #<\n", 0, 12,
	  "devices[0].width", { "4096 is out of range" } },
	{ MT_BASE DEV "    kind: virtio-gpu\n    max-memory: 0 #<\n", 0, 17,
	  "devices[0].max-memory", { "0 is out of range" } },
	{ MT_BASE DEV "    kind: virtio-gpu\n    path: disk.img #<\n", 0, 5,
	  "devices[0].path", { "not valid for kind virtio-gpu" } },
	/* display: needs a virtio-gpu, one numeric listen or unix, 1-8 byte
	 * password */
	{ MT_BASE "display:\n  type: vnc #<\n  listen: 127.0.0.1:5901\n", 0, 3,
	  "display", { "needs a virtio-gpu device" } },
	{ MT_BASE DEV "    kind: virtio-gpu\ndisplay:\n  type: vnc\n"
	  "  listen: localhost:5901 #<\n", 0, 11, "display.listen",
	  { "not a numeric IPv4 or IPv6 address" } },
	{ MT_BASE DEV "    kind: virtio-gpu\ndisplay:\n  type: vnc\n"
	  "  listen: 127.0.0.1:99999 #<\n", 0, 11, "display.listen",
	  { "is not 1..65535" } },
	{ MT_BASE DEV "    kind: virtio-gpu\ndisplay:\n  type: vnc #<\n", 0, 3,
	  "display", { "give one of listen and unix" } },
	{ MT_BASE DEV "    kind: virtio-gpu\ndisplay:\n  type: spice #<\n", 0,
	  9, "display.type", { "unknown value \"spice\"" } },
	{ MT_BASE DEV "    kind: virtio-gpu\ndisplay:\n  type: vnc\n"
	  "  listen: 127.0.0.1:5901\n  password: 123456789 #<\n", 0, 13,
	  "display.password", { "1 to 8 bytes" } },
	/* virtio-input: a keyboard or a tablet */
	{ MT_BASE DEV "    kind: virtio-input\n    type: mouse #<\n", 0, 11,
	  "devices[0].type", { "unknown value \"mouse\"", "keyboard, tablet" } },
	/* a kind's keys are its own */
	{ EXT "    program: ${MT}/bin\n    path: ${MT}/disk.img #<\n", 0, 5,
	  "devices[0].path", { "not valid for kind external" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    program: ${MT}/bin #<\n", 0, 5, "devices[0].program",
	  { "not valid for kind virtio-blk" } },
	{ MT_BASE DEV "    kind: externl #<\n", 0, 11, "devices[0].kind",
	  { "did you mean \"external\"?" } },
	/* external: program */
	{ EXT "    program: ${MT}/bin\n    binary: ${MT}/bin\n", 10, 5,
	  "devices[0].program", { "give one" } },
	{ EXT "    program: ${MT}/noexec #<\n", 0, 14, "devices[0].program",
	  { "not executable" } },
	{ EXT "    program: ${MT}/nothere #<\n", 0, 14, "devices[0].program",
	  { "No such file" } },
	/* external: files */
	{ EXT "    program: bin\n    files: ${MT}/disk.img #<\n", 0, 12,
	  "devices[0].files", { "expected a list of {name, path, mode}" } },
	{ EXT "    program: bin\n    files:\n      - {name: a, path: disk.img,"
	  " mdoe: rw} #<\n", 0, 0, "devices[0].files[0].mdoe",
	  { "did you mean \"mode\"?" } },
	{ EXT "    program: bin\n    files:\n      - {name: a, path: disk.img,"
	  " mode: wo} #<\n", 0, 0, "devices[0].files[0].mode",
	  { "unknown value \"wo\"", "ro, rw" } },
	{ EXT "    program: bin\n    files:\n      - {path: disk.img} #<\n", 0,
	  0, "devices[0].files[0]", { "missing required field \"name\"" } },
	{ EXT "    program: bin\n    files:\n      - {name: A=1, path: disk.img}"
	  " #<\n", 0, 0, "devices[0].files[0].name", { "invalid file name" } },
	{ EXT "    program: bin\n    files:\n      - {name: a, path: disk.img}\n"
	  "      - {name: a, path: kernel} #<\n", 0, 0,
	  "devices[0].files[1].name", { "duplicate file name \"a\"" } },
	{ EXT "    program: bin\n    files:\n      - {name: a, path: /etc/shadow}"
	  " #<\n", 0, 0, "devices[0].files[0].path",
	  { "\"/etc/shadow\" is outside", "--image-dir" } },
	{ EXT "    program: bin\n    files:\n      - {name: a, path: sub} #<\n",
	  0, 0, "devices[0].files[0].path", { "is not a regular file" } },
	{ EXT "    program: bin\n    files: [{name: a, path: kernel}, "
	  "{name: b, path: kernel}, {name: c, path: kernel}, {name: d, path: "
	  "kernel}, {name: e, path: kernel}, {name: f, path: kernel}, {name: "
	  "g, path: kernel}, {name: h, path: kernel}, {name: i, path: kernel}]"
	  " #<\n", 0, 0, "devices[0].files", { "9 files; at most 8" } },
};

START_TEST(refused_unimplemented)
{
	const struct mt_bad *b = &unimplemented[_i];
	const char *path = mt_write("bad.yaml", b->yaml);
	struct manifest_error err;
	char msg[1024];

	ck_assert_msg(!manifest_load(path, mt_allow_all(), &err),
		      "case %d accepted:\n%s", _i, b->yaml);
	mt_check_error(b, &err);
	manifest_error_format(&err, msg, sizeof(msg));
	printf("case %d: %s\n", _i, msg);
}
END_TEST

/* $MT/devices/ holds a program; $MT/devices/out links to one outside. */
static char devdir[PATH_MAX];

static void kinds_setup(void)
{
	char path[PATH_MAX + 16];

	mt_setup();
	snprintf(devdir, sizeof(devdir), "%s/devices", mt_dir());
	CHECK_OK(mkdir(devdir, 0755));
	snprintf(path, sizeof(path), "%s/prog", devdir);
	mt_write("devices/prog", "#!/bin/sh\n");
	CHECK_OK(chmod(path, 0755));
	snprintf(path, sizeof(path), "%s/out", devdir);
	CHECK_OK(symlink(mt_path("bin"), path));
}

static struct vm_config *load_ext(const char *program, bool allow_binary,
				  struct manifest_error *err)
{
	const char *dirs[] = { devdir };
	struct manifest_policy p = { .device_dirs = dirs, .ndevice_dirs = 1,
				     .allow_binary = allow_binary };
	char yaml[2048];

	snprintf(yaml, sizeof(yaml), EXT "    program: %s\n", program);
	return manifest_load(mt_write("vm.yaml", yaml), &p, err);
}

/* Beneath a --device-dir: no --allow-binary needed, nor for its args. */
START_TEST(program_beneath_device_dir)
{
	const char *dirs[] = { devdir };
	struct manifest_policy p = { .device_dirs = dirs, .ndevice_dirs = 1 };
	struct vm_config *cfg = mt_load_with(EXT "    program: devices/prog\n"
					     "    args: [--x]\n", &p);
	const struct external_config *x = cfg->devices[0].data;

	ck_assert_str_eq(cfg->devices[0].binary, mt_path("devices/prog"));
	ck_assert(x->program_beneath);
	ck_assert_str_eq(cfg->devices[0].args[0], "--x");
	ck_assert_str_eq(cfg->device_dirs[0], mt_path("devices"));
	vm_config_free(cfg);
}
END_TEST

START_TEST(program_outside_refused)
{
	struct manifest_error err;
	char msg[1024];

	/* outside every --device-dir, without --allow-binary */
	ck_assert_ptr_null(load_ext("bin", false, &err));
	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(err.line == 10 && err.column == 14 &&
		      !strcmp(err.field, "devices[0].program") &&
		      strstr(msg, "is not beneath a --device-dir") &&
		      strstr(msg, "(allow with --device-dir DIR or "
			     "--allow-binary)"), "%s", msg);
	/* a symlink in the directory that leads out of it */
	ck_assert_ptr_null(load_ext("devices/out", false, &err));
	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "leads out of"), "%s", msg);
	/* no --device-dir at all */
	ck_assert_ptr_null(manifest_load(mt_write("vm.yaml", EXT
			   "    program: devices/prog\n"), NULL, &err));
	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "--device-dir DIR or --allow-binary"), "%s",
		      msg);
}
END_TEST

/* An external device's sandbox: off is the operator's too. */
START_TEST(external_unsandboxed_needs_flag)
{
	const char *dirs[] = { devdir };
	struct manifest_policy p = { .device_dirs = dirs, .ndevice_dirs = 1 };
	struct manifest_error err;
	char msg[1024];

	ck_assert_ptr_null(manifest_load(mt_write("vm.yaml", EXT
			   "    program: devices/prog\n    sandbox: off\n"), &p,
			   &err));
	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(err.line == 11 && !strcmp(err.field, "devices[0].sandbox")
		      && strstr(msg, "(allow with --allow-unsandboxed)"), "%s",
		      msg);
	p.allow_unsandboxed = true;
	vm_config_free(mt_load_with(EXT "    program: devices/prog\n"
				    "    sandbox: off\n", &p));
}
END_TEST

/* --allow-binary: anywhere, and then not re-checked against a directory. */
START_TEST(program_allowed_anywhere)
{
	struct manifest_error err;
	struct vm_config *cfg = load_ext("bin", true, &err);
	const struct external_config *x;

	ck_assert_msg(cfg, "%s", err.message);
	x = cfg->devices[0].data;
	ck_assert_str_eq(cfg->devices[0].binary, mt_path("bin"));
	ck_assert(!x->program_beneath);
	vm_config_free(cfg);
}
END_TEST

START_TEST(files_parsed)
{
	struct vm_config *cfg = mt_load_with(EXT "    program: bin\n"
		"    files:\n      - {name: state, path: disk.img, mode: rw}\n"
		"      - {name: rom, path: \"${MT}/kernel\"}\n", mt_allow_all());
	const struct external_config *x = cfg->devices[0].data;

	ck_assert_uint_eq(x->nfiles, 2);
	ck_assert_str_eq(x->files[0].name, "state");
	ck_assert_str_eq(x->files[0].path, mt_path("disk.img"));
	ck_assert(x->files[0].rw);
	ck_assert_str_eq(x->files[1].name, "rom");
	ck_assert_str_eq(x->files[1].path, mt_path("kernel"));
	ck_assert(!x->files[1].rw);
	vm_config_free(cfg);
}
END_TEST

/* Each file becomes one fd and one --file=NAME=FD, opened with its mode,
 * and nothing else is granted. */
START_TEST(external_plan_grants_files)
{
	struct vm_config *cfg = mt_load_with(EXT "    program: bin\n"
		"    files:\n      - {name: state, path: disk.img, mode: rw}\n"
		"      - {name: rom, path: kernel}\n", mt_allow_all());
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };
	int fd;

	ck_assert_ptr_eq(d->ops, &kind_external);
	ck_assert_ptr_null(d->ops->program);
	ck_assert_int_eq(d->ops->plan(d, &plan), 0);
	ck_assert_uint_eq(plan.spawn.nfds, 2);
	ck_assert(mt_plan_has_arg(&plan, "--file=state=4"));
	ck_assert(mt_plan_has_arg(&plan, "--file=rom=5"));
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 4), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 5), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* A program replaced after `atoll check` by a link out of its directory
 * is refused at launch, by the rule that admitted it. */
START_TEST(external_plan_rechecks_program)
{
	const char *dirs[] = { devdir };
	struct manifest_policy p = { .device_dirs = dirs, .ndevice_dirs = 1 };
	struct vm_config *cfg = mt_load_with(EXT "    program: devices/prog\n",
					     &p);
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/prog", devdir);
	CHECK_OK(unlink(path));
	CHECK_OK(symlink(mt_path("bin"), path));
	ck_assert_int_lt(d->ops->plan(d, &plan), 0);
	ck_assert_msg(strstr(plan.why, "leads out of"), "%s", plan.why);
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* tpm: the state file read-write as fd 4 (--state=4) and the version. */
START_TEST(tpm_plan_grants_state)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE DEV "    kind: tpm\n"
					   "    state: disk.img\n"
					   "    version: 1.2\n");
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };
	int fd;

	ck_assert_str_eq(d->ops->program, "atoll-tpm");
	ck_assert_int_eq(d->ops->plan(d, &plan), 0);
	ck_assert(mt_plan_has_arg(&plan, "--state=4"));
	ck_assert(mt_plan_has_arg(&plan, "--version=1.2"));
	ck_assert_uint_eq(plan.spawn.nfds, 1);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 4), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* virtio-blk: the disk as fd 4, RLIMIT_FSIZE its size. */
START_TEST(blk_plan_grants_disk)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE DEV "    kind: virtio-blk\n"
					   "    path: disk.img\n");
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };

	ck_assert_str_eq(d->ops->program, "atoll-virtio-blk");
	ck_assert_int_eq(d->ops->plan(d, &plan), 0);
	ck_assert(mt_plan_has_arg(&plan, "--disk-fd=4"));
	ck_assert(mt_plan_has_arg(&plan, "--cache=writeback"));
	ck_assert_int_ge(mt_plan_granted(&plan, 4), 0);
	ck_assert(plan.spawn.fsize.set);
	ck_assert_uint_eq(plan.spawn.fsize.value, 4);   /* "disk" */
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* virtio-gpu: its mode and budget on the command line, and the scanout
 * memfd as fd 4, sealed against resizing and the same at every start. */
START_TEST(gpu_plan_args)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE DEV "    kind: virtio-gpu\n"
					   "    width: 800\n"
					   "    max-memory: 64\n");
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };
	struct stat st, st2;
	int fd, seals;

	ck_assert_str_eq(d->ops->program, "atoll-virtio-gpu");
	ck_assert_int_eq(d->ops->plan(d, &plan), 0);
	ck_assert(mt_plan_has_arg(&plan, "--width=800"));
	ck_assert(mt_plan_has_arg(&plan, "--height=768"));
	ck_assert(mt_plan_has_arg(&plan, "--max-memory=64"));
	ck_assert(mt_plan_has_arg(&plan, "--scanout-fd=4"));
	ck_assert_uint_eq(plan.spawn.nfds, 1);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 4), 0);
	seals = fcntl(fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW),
			 F_SEAL_SHRINK | F_SEAL_GROW);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_ino, (fstat(virtio_gpu_scanout_fd(d), &st2),
				      st2.st_ino));
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* The table: unique names; a kind names its program unless the manifest
 * does; the planned kinds are not in it. */
START_TEST(kind_table)
{
	size_t n = 0;

	for (size_t i = 0; device_kinds[i]; i++, n++) {
		const struct device_kind *k = device_kinds[i];

		ck_assert_ptr_eq(device_kind_find(k->name), k);
		ck_assert_msg(!k->program == !k->build_dir, "%s", k->name);
	}
	ck_assert_uint_ge(n, 3);
	ck_assert_ptr_null(device_kind_find("gpu"));
	ck_assert_ptr_nonnull(device_kind_find("external"));
}
END_TEST

TCase *manifest_kinds_tcase(void)
{
	TCase *tc = tcase_create("kinds");

	tcase_add_checked_fixture(tc, kinds_setup, mt_teardown);
	tcase_add_loop_test(tc, refused_unimplemented, 0,
			    (int)(sizeof(unimplemented) / sizeof(unimplemented[0])));
	tcase_add_test(tc, program_beneath_device_dir);
	tcase_add_test(tc, program_outside_refused);
	tcase_add_test(tc, program_allowed_anywhere);
	tcase_add_test(tc, external_unsandboxed_needs_flag);
	tcase_add_test(tc, files_parsed);
	tcase_add_test(tc, external_plan_grants_files);
	tcase_add_test(tc, external_plan_rechecks_program);
	tcase_add_test(tc, blk_plan_grants_disk);
	tcase_add_test(tc, tpm_plan_grants_state);
	tcase_add_test(tc, gpu_plan_args);
	tcase_add_test(tc, kind_table);
	return tc;
}
