/* SPDX-License-Identifier: MIT */
/* Manifest tests: the fixture, valid manifests and their parsed values. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest-test.h"
#include "plan.h"
#include "test-util.h"

static char dir[PATH_MAX];

const char *mt_dir(void)
{
	return dir;
}

const char *mt_write(const char *rel, const char *text)
{
	static char path[2 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_msg(f, "fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

const char *mt_path(const char *rel)
{
	static char path[PATH_MAX];
	char tmp[2 * PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/%s", dir, rel);
	ck_assert_msg(realpath(tmp, path), "realpath %s: %s", tmp,
		      strerror(errno));
	return path;
}

void mt_setup(void)
{
	char tmpl[] = "/tmp/atoll-manifest-XXXXXX", sub[PATH_MAX + 8];

	ck_assert_msg(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	CHECK_OK(setenv("MT", dir, 1));
	mt_write("kernel", "kernel");
	mt_write("initrd", "initrd");
	mt_write("fw.bin", "firmware");
	mt_write("disk.img", "disk");
	mt_write("bin", "#!/bin/sh\n");
	CHECK_OK(chmod(mt_path("bin"), 0755));
	mt_write("noexec", "data");
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK_OK(mkdir(sub, 0755));
}

void mt_teardown(void)
{
	char cmd[PATH_MAX + 16];

	/* the directory is ours, from mkdtemp */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct vm_config *mt_load_with(const char *yaml,
			       const struct manifest_policy *policy)
{
	struct manifest_error err;
	struct vm_config *cfg = manifest_load(mt_write("vm.yaml", yaml),
					      policy, &err);
	char msg[1024];

	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(cfg, "manifest refused: %s", msg);
	return cfg;
}

struct vm_config *mt_load_ok(const char *yaml)
{
	return mt_load_with(yaml, NULL);
}

bool mt_plan_has_arg(const struct launch_plan *plan, const char *arg)
{
	for (size_t i = 0; i < plan->argc; i++)
		if (!strcmp(plan->argv[i], arg))
			return true;
	return false;
}

int mt_plan_granted(const struct launch_plan *plan, int target)
{
	for (size_t i = 0; i < plan->spawn.nfds; i++)
		if (plan->spawn.fds[i].target == target)
			return plan->spawn.fds[i].fd;
	return -1;
}

const struct manifest_policy *mt_allow_all(void)
{
	static const char *dirs[1];
	static const struct manifest_policy all = {
		.allow_unsandboxed = true, .allow_binary = true,
		.allow_block_device = true, .allow_usb_host = true,
		.image_dirs = dirs,
		.nimage_dirs = 1,
	};

	dirs[0] = dir;
	return &all;
}

START_TEST(minimal_defaults)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE);

	ck_assert_str_eq(cfg->name, "vm");
	ck_assert_str_eq(cfg->machine, "riscv-virt");
	ck_assert_str_eq(cfg->accel, "dbt");
	ck_assert_uint_eq(cfg->cpus, 1);
	ck_assert_uint_eq(cfg->memory_bytes, 256ull << 20);
	ck_assert(!cfg->hugepages);
	ck_assert_ptr_null(cfg->cpu_binary);
	ck_assert_ptr_null(cfg->mem_binary);
	ck_assert_ptr_null(cfg->engine);
	ck_assert_ptr_null(cfg->firmware);
	ck_assert_str_eq(cfg->kernel, mt_path("kernel"));
	ck_assert_ptr_null(cfg->initrd);
	ck_assert_ptr_null(cfg->cmdline);
	ck_assert_str_eq(cfg->console, "stdio");
	ck_assert_ptr_null(cfg->qmp);
	ck_assert(cfg->sandbox);
	ck_assert_uint_eq(cfg->ndevices, 0);
	ck_assert_str_eq(cfg->dir, mt_path("."));
	ck_assert_str_eq(cfg->path, mt_write("vm.yaml", MT_BASE));
	vm_config_free(cfg);
}
END_TEST

static const char full_yaml[] =
	"name: web-1\n"
	"machine:\n  type: riscv-virt\n  cpus: 4\n  binary: bin\n"
	"memory:\n  size: 1G\n  hugepages: on\n  binary: ${MT}/bin\n"
	"boot:\n  firmware: fw.bin\n  kernel: kernel\n  initrd: ./initrd\n"
	"  cmdline: \"console=ttyS0 root=/dev/vda\"\n"
	"console: socket:console.sock\n"
	"qmp: /tmp/qmp.sock\n"
	"sandbox: off\n"
	"devices:\n"
	"  - name: disk0\n    kind: virtio-blk\n    path: sub/../disk.img\n"
	"    format: raw\n    readonly: true\n    cache: none\n"
	"    queues: 4\n    serial: atoll-disk0\n    sandbox: on\n"
	"  - name: net0\n    kind: virtio-net\n    backend: tap\n"
	"    tap: tap0\n    mac: \"52:54:00:AB:cd:EF\"\n    queues: 2\n"
	"    restart: always\n"
	"  - name: ext_1\n    kind: external\n    binary: bin\n"
	"    args: [--foo, bar, \"${MT}\"]\n"
	"    restart: {policy: never, max: 9}\n"
	"    health: off\n"
	"  - name: net1\n    kind: virtio-net\n"
	"    restart:\n      backoff-ms: 10\n      backoff-max-ms: 20\n"
	"      interval-s: 60\n"
	"    health: {interval-ms: 500, deadline-ms: 200}\n"
	"    faults:\n"
	"      - {kind: io-error, at-ms: 100, count: 3, queue: 1}\n"
	"      - {kind: crash, at-ms: 5000, every-ms: 1000, times: 4}\n";

START_TEST(full_manifest)
{
	struct vm_config *cfg = mt_load_with(full_yaml, mt_allow_all());
	struct device_config *d = cfg->devices;

	ck_assert_str_eq(cfg->name, "web-1");
	ck_assert_str_eq(cfg->accel, "dbt");      /* the default */
	ck_assert_uint_eq(cfg->cpus, 4);
	ck_assert_str_eq(cfg->cpu_binary, mt_path("bin"));
	ck_assert_str_eq(cfg->mem_binary, mt_path("bin"));
	ck_assert_uint_eq(cfg->memory_bytes, 1ull << 30);
	ck_assert(cfg->hugepages);
	ck_assert_str_eq(cfg->firmware, mt_path("fw.bin"));
	ck_assert_str_eq(cfg->initrd, mt_path("initrd"));
	ck_assert_str_eq(cfg->cmdline, "console=ttyS0 root=/dev/vda");
	ck_assert_str_eq(cfg->qmp, "/tmp/qmp.sock");
	ck_assert(!cfg->sandbox);
	ck_assert_uint_eq(cfg->ndevices, 4);

	ck_assert_str_eq(d[0].kind, "virtio-blk");
	ck_assert_str_eq(d[0].disk.path, mt_path("disk.img"));
	ck_assert_str_eq(d[0].disk.format, "raw");
	ck_assert(d[0].disk.readonly);
	ck_assert_int_eq(d[0].disk.cache, CACHE_NONE);
	ck_assert_uint_eq(d[0].disk.queues, 4);
	ck_assert_str_eq(d[0].disk.serial, "atoll-disk0");
	ck_assert(d[0].sandbox);                   /* override */
	ck_assert_uint_eq(d[0].line, 19);
	ck_assert_int_eq(d[0].restart.policy, RESTART_ON_FAILURE);

	ck_assert_str_eq(d[1].net.backend, "tap");
	ck_assert_str_eq(d[1].net.tap, "tap0");
	ck_assert_str_eq(d[1].net.mac, "52:54:00:ab:cd:ef");
	ck_assert_uint_eq(d[1].net.queues, 2);
	ck_assert(!d[1].sandbox);                  /* inherited */
	ck_assert_int_eq(d[1].restart.policy, RESTART_ALWAYS);
	ck_assert_uint_eq(d[1].restart.max_restarts, 5);

	ck_assert_str_eq(d[2].binary, mt_path("bin"));
	ck_assert_uint_eq(d[2].nargs, 3);
	ck_assert_str_eq(d[2].args[0], "--foo");
	ck_assert_str_eq(d[2].args[2], mt_dir());
	ck_assert_ptr_null(d[2].args[3]);
	ck_assert_int_eq(d[2].restart.policy, RESTART_NEVER);
	ck_assert_uint_eq(d[2].restart.max_restarts, 9);
	ck_assert_uint_eq(d[2].restart.backoff_ms, 100);
	ck_assert_uint_eq(d[2].restart.backoff_max_ms, 5000);
	ck_assert_uint_eq(d[2].restart.interval_s, 600);
	ck_assert_uint_eq(d[2].health.interval_ms, 0);      /* off */
	ck_assert_uint_eq(d[1].health.interval_ms, 10000);  /* defaults */
	ck_assert_uint_eq(d[1].health.deadline_ms, 5000);
	ck_assert_uint_eq(d[1].nfaults, 0);

	ck_assert_int_eq(d[3].restart.policy, RESTART_ON_FAILURE);
	ck_assert_uint_eq(d[3].restart.backoff_ms, 10);
	ck_assert_uint_eq(d[3].restart.backoff_max_ms, 20);
	ck_assert_uint_eq(d[3].restart.interval_s, 60);
	ck_assert_uint_eq(d[3].health.interval_ms, 500);
	ck_assert_uint_eq(d[3].health.deadline_ms, 200);
	ck_assert_uint_eq(d[3].nfaults, 2);
	ck_assert_uint_eq(d[3].faults[0].kind, 3);          /* io-error */
	ck_assert_uint_eq(d[3].faults[0].at_ms, 100);
	ck_assert_uint_eq(d[3].faults[0].count, 3);
	ck_assert_uint_eq(d[3].faults[0].queue, 1);
	ck_assert_uint_eq(d[3].faults[0].times, 1);
	ck_assert_uint_eq(d[3].faults[1].kind, 0);          /* crash */
	ck_assert_uint_eq(d[3].faults[1].every_ms, 1000);
	ck_assert_uint_eq(d[3].faults[1].times, 4);
	ck_assert_uint_eq(d[3].faults[1].queue, UINT32_MAX);
	ck_assert_ptr_null(d[3].binary);
	vm_config_free(cfg);
}
END_TEST

/* slirp host forwarding rules are kept as written, in order. */
START_TEST(net_hostfwd)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE "devices:\n"
		"  - name: net0\n    kind: virtio-net\n"
		"    hostfwd: [\"tcp:127.0.0.1:2222-:22\", \"udp::5353-10.0.2.15:53\"]\n"
		"  - name: net1\n    kind: virtio-net\n");
	const struct net_config *n = &cfg->devices[0].net;

	ck_assert_str_eq(n->backend, "slirp");
	ck_assert_uint_eq(n->nhostfwd, 2);
	ck_assert_str_eq(n->hostfwd[0], "tcp:127.0.0.1:2222-:22");
	ck_assert_str_eq(n->hostfwd[1], "udp::5353-10.0.2.15:53");
	ck_assert_ptr_null(n->hostfwd[2]);
	ck_assert_uint_eq(cfg->devices[1].net.nhostfwd, 0);
	ck_assert_ptr_null(cfg->devices[1].net.hostfwd);
	vm_config_free(cfg);
}
END_TEST

/* restrict: slirp only, off unless asked. */
START_TEST(net_restrict)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE "devices:\n"
		"  - name: net0\n    kind: virtio-net\n    restrict: true\n"
		"    hostfwd: [\"tcp:127.0.0.1:2222-:22\"]\n"
		"  - name: net1\n    kind: virtio-net\n    restrict: false\n"
		"  - name: net2\n    kind: virtio-net\n");

	ck_assert(cfg->devices[0].net.restricted);
	ck_assert(!cfg->devices[1].net.restricted);
	ck_assert(!cfg->devices[2].net.restricted);
	vm_config_free(cfg);
}
END_TEST

/* Relative socket paths resolve against the manifest's directory. */
START_TEST(console_socket_relative)
{
	struct vm_config *cfg = mt_load_with(full_yaml, mt_allow_all());
	char want[PATH_MAX + 32];

	snprintf(want, sizeof(want), "socket:%s/console.sock", mt_path("."));
	ck_assert_str_eq(cfg->console, want);
	vm_config_free(cfg);
}
END_TEST

static const struct {
	const char *text;
	uint64_t bytes;
} sizes[] = {
	{ "16M", 16ull << 20 },
	{ "16777216", 16ull << 20 },
	{ "16384K", 16ull << 20 },
	{ "1g", 1ull << 30 },
	{ "1536M", 1536ull << 20 },
	{ "64G", 64ull << 30 },
	{ "\"512M\"", 512ull << 20 },
};

START_TEST(memory_sizes)
{
	char yaml[512];
	struct vm_config *cfg;

	snprintf(yaml, sizeof(yaml), "machine: {type: riscv-virt}\n"
		 "memory:\n  size: %s\nboot: {kernel: kernel}\n",
		 sizes[_i].text);
	cfg = mt_load_ok(yaml);
	ck_assert_msg(cfg->memory_bytes == sizes[_i].bytes,
		      "%s parsed as %llu", sizes[_i].text,
		      (unsigned long long)cfg->memory_bytes);
	vm_config_free(cfg);
}
END_TEST

START_TEST(console_none_qmp_relative)
{
	struct vm_config *cfg = mt_load_ok(MT_BASE "console: none\n"
					   "qmp: sub/vm.qmp\n");
	char want[PATH_MAX + 32];

	snprintf(want, sizeof(want), "%s/sub/vm.qmp", mt_path("."));
	ck_assert_str_eq(cfg->console, "none");
	ck_assert_str_eq(cfg->qmp, want);
	vm_config_free(cfg);
}
END_TEST

START_TEST(machine_none_defaults)
{
	struct vm_config *cfg = mt_load_ok("machine:\n  type: none\n");

	ck_assert_str_eq(cfg->machine, "none");
	ck_assert_uint_eq(cfg->memory_bytes, 16ull << 20);
	ck_assert_ptr_null(cfg->kernel);
	vm_config_free(cfg);
}
END_TEST

START_TEST(env_expansion_values)
{
	struct vm_config *cfg;

	CHECK_OK(setenv("MT_CPUS", "3", 1));
	CHECK_OK(setenv("MT_EMPTY", "", 1));
	cfg = mt_load_ok("machine:\n  type: riscv-virt\n  cpus: ${MT_CPUS}\n"
			 "memory: {size: 64M}\n"
			 "boot:\n  kernel: ${MT}/kernel\n"
			 "  cmdline: \"a$$b ${MT_EMPTY}x $${MT}\"\n");
	ck_assert_uint_eq(cfg->cpus, 3);
	ck_assert_str_eq(cfg->cmdline, "a$b x ${MT}");
	vm_config_free(cfg);
}
END_TEST

START_TEST(yaml_booleans)
{
	static const char *const words[] = { "on", "off", "true", "false",
					     "yes", "no", "True", "OFF" };
	char yaml[512];
	struct vm_config *cfg;

	snprintf(yaml, sizeof(yaml), MT_BASE "sandbox: %s\n", words[_i]);
	cfg = mt_load_with(yaml, mt_allow_all());
	ck_assert_int_eq(cfg->sandbox, _i % 2 == 0);
	vm_config_free(cfg);
}
END_TEST

START_TEST(engine_is_passed_on)
{
	struct vm_config *cfg = mt_load_ok(
		"machine:\n  type: riscv-virt\n  engine: interp\n"
		"memory:\n  size: 256M\nboot:\n  kernel: ${MT}/kernel\n");

	ck_assert_str_eq(cfg->engine, "interp");
	vm_config_free(cfg);
}
END_TEST

/* manifest_load_string resolves relative paths against the cwd. */
START_TEST(load_string_cwd)
{
	static const char yaml[] = "machine: {type: riscv-virt, accel: dbt}\n"
				   "memory: {size: 32M}\n"
				   "boot: {kernel: kernel}\n";
	struct manifest_error err;
	struct vm_config *cfg;
	char old[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(old, sizeof(old)));
	CHECK_OK(chdir(mt_dir()));
	cfg = manifest_load_string("inline.yml", yaml, strlen(yaml), NULL,
				   &err);
	CHECK_OK(chdir(old));
	ck_assert_msg(cfg, "refused: %s", err.message);
	ck_assert_str_eq(cfg->kernel, mt_path("kernel"));
	ck_assert_str_eq(cfg->name, "inline");
	ck_assert_str_eq(cfg->path, "inline.yml");
	vm_config_free(cfg);
}
END_TEST

START_TEST(sample_manifests)
{
	static const char *const samples[] = { "minimal.yaml", "full.yaml",
					       "none.yaml" };
	const char *data = getenv("MANIFEST_TEST_DATA");
	struct manifest_error err;
	struct vm_config *cfg;
	char path[PATH_MAX], msg[1024];

	ck_assert_msg(data, "MANIFEST_TEST_DATA is not set");
	snprintf(path, sizeof(path), "%s/%s", data, samples[_i]);
	/* their files are in $MT, outside their own directory */
	cfg = manifest_load(path, mt_allow_all(), &err);
	manifest_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(cfg, "%s", msg);
	ck_assert_str_eq(cfg->path, path);
	vm_config_free(cfg);
}
END_TEST

START_TEST(names_and_format)
{
	struct manifest_error err = { .file = "a.yaml", .line = 12,
				      .column = 11, .field = "devices[0].cache",
				      .message = "bad" };
	char buf[128];

	manifest_error_format(&err, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.yaml:12:11: devices[0].cache: bad");
	err.field[0] = '\0';
	err.column = 0;
	manifest_error_format(&err, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.yaml:12: bad");
	err.line = 0;
	manifest_error_format(&err, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.yaml: bad");
	ck_assert_str_eq(restart_policy_name(RESTART_NEVER), "never");
	ck_assert_str_eq(restart_policy_name(RESTART_ON_FAILURE), "on-failure");
	ck_assert_str_eq(restart_policy_name(RESTART_ALWAYS), "always");
	ck_assert_str_eq(cache_mode_name(CACHE_WRITEBACK), "writeback");
	ck_assert_str_eq(cache_mode_name(CACHE_WRITETHROUGH), "writethrough");
	ck_assert_str_eq(cache_mode_name(CACHE_NONE), "none");
	vm_config_free(NULL);
}
END_TEST

TCase *manifest_valid_tcase(void)
{
	TCase *tc = tcase_create("valid");

	tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
	tcase_add_test(tc, minimal_defaults);
	tcase_add_test(tc, engine_is_passed_on);
	tcase_add_test(tc, full_manifest);
	tcase_add_test(tc, net_hostfwd);
	tcase_add_test(tc, net_restrict);
	tcase_add_test(tc, console_socket_relative);
	tcase_add_loop_test(tc, memory_sizes, 0,
			    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_test(tc, console_none_qmp_relative);
	tcase_add_test(tc, machine_none_defaults);
	tcase_add_test(tc, env_expansion_values);
	tcase_add_loop_test(tc, yaml_booleans, 0, 8);
	tcase_add_test(tc, load_string_cwd);
	tcase_add_loop_test(tc, sample_manifests, 0, 3);
	tcase_add_test(tc, names_and_format);
	return tc;
}

static Suite *manifest_suite(void)
{
	Suite *s = suite_create("manifest");

	suite_add_tcase(s, manifest_text_tcase());
	suite_add_tcase(s, manifest_valid_tcase());
	suite_add_tcase(s, manifest_errors_tcase());
	suite_add_tcase(s, manifest_policy_tcase());
	suite_add_tcase(s, manifest_kinds_tcase());
	suite_add_tcase(s, manifest_usb_tcase());
	return s;
}

CHECK_MAIN(manifest_suite)
