/* SPDX-License-Identifier: MIT */
/* Invalid manifests: each must be refused with the right line, field path
 * and wording. The expected line is the one carrying a "#<" comment, so
 * the table stays right when a case is edited. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest-test.h"
#include "test-util.h"

#define DEV "devices:\n  - name: d0\n"

static const struct mt_bad bad[] = {
	/* YAML itself */
	{ "machine:\n  type: riscv-virt\n  cpus: \"2\n", 3, 0, "",
	  { "YAML syntax error", "quote" } },
	{ "machine: {type: x86\n", 2, 0, "", { "YAML syntax error" } },
	{ "- a #<\n- b\n", 0, 0, "", { "top level", "mapping", "a list" } },
	{ "just a string #<\n", 0, 1, "", { "top level", "mapping" } },
	{ "# only a comment\n", 1, 0, "", { "empty" } },
	{ MT_BASE "---\nmachine: #<\n  type: x86\n", 0, 0, "",
	  { "one YAML document" } },
	{ "machine: &m {type: none}\nmemory: *m #<\n", 0, 0, "memory",
	  { "aliases are not supported" } },
	{ "? [a, b] #<\n: 1\nmachine: {type: none}\n", 0, 0, "",
	  { "keys must be plain strings", "a list" } },
	/* unknown keys */
	{ MT_BASE "qpm: /tmp/q.sock #<\n", 0, 1, "qpm",
	  { "unknown key \"qpm\"", "did you mean \"qmp\"?" } },
	{ "machine:\n  type: riscv-virt\n  cpu: 2 #<\n", 0, 3, "machine.cpu",
	  { "unknown key", "did you mean \"cpus\"?" } },
	{ MT_BASE "zzzzzz: 1 #<\n", 0, 0, "zzzzzz",
	  { "unknown key", "expected one of name, machine" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    cahce: none #<\n", 0, 5, "devices[0].cahce",
	  { "did you mean \"cache\"?" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    tap: tap0 #<\n", 0, 5, "devices[0].tap",
	  { "not valid for kind virtio-blk" } },
	{ MT_BASE DEV "    kind: external\n    program: ${MT}/bin\n"
	  "    queues: 2 #<\n", 0, 0, "devices[0].queues",
	  { "not valid for kind external" } },
	/* duplicate keys */
	{ "machine:\n  type: riscv-virt\n  type: x86 #<\n", 0, 3,
	  "machine.type", { "duplicate key \"type\"", "line 2" } },
	/* node types */
	{ "machine:\n  type: riscv-virt\n  cpus: [1, 2] #<\n", 0, 0,
	  "machine.cpus", { "expected a scalar value", "a list" } },
	{ "machine: riscv-virt #<\n", 0, 10, "machine",
	  { "expected a mapping", "a scalar" } },
	{ "machine:\n  type: #<\n", 0, 3, "machine.type",
	  { "expected a scalar value", "an empty value" } },
	{ MT_BASE "devices: {a: 1} #<\n", 0, 0, "devices",
	  { "expected a list of devices" } },
	{ MT_BASE DEV "    kind: external\n    binary: ${MT}/bin\n"
	  "    args: --foo #<\n", 0, 0, "devices[0].args",
	  { "expected a list of strings" } },
	{ MT_BASE DEV "    kind: external\n    binary: ${MT}/bin\n"
	  "    args: [a, {b: c}] #<\n", 0, 0, "devices[0].args[1]",
	  { "expected a scalar value", "a mapping" } },
	/* missing required fields point at the parent mapping */
	{ "memory: #<\n  size: 16M\n", 0, 1, "",
	  { "missing required field \"machine\"" } },
	{ "machine: #<\n  cpus: 2\n", 0, 1, "machine",
	  { "missing required field \"type\"" } },
	{ "machine: {type: riscv-virt}\nboot: {kernel: x} #<\n", 1, 0, "",
	  { "missing required field \"memory\"" } },
	{ "machine: {type: riscv-virt}\nmemory: #<\n  hugepages: on\n", 0, 0,
	  "memory", { "missing required field \"size\"" } },
	{ "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\nboot: #<\n"
	  "  cmdline: x\n", 0, 0, "boot", { "missing required field \"kernel\"" } },
	{ MT_BASE "devices:\n  - kind: virtio-net #<\n", 0, 5, "devices[0]",
	  { "missing required field \"name\"" } },
	{ MT_BASE DEV "    restart: never #<\n", 8, 5, "devices[0]",
	  { "missing required field \"kind\"" } },
	{ MT_BASE DEV "    kind: external #<\n", 8, 0, "devices[0]",
	  { "missing required field \"program\"" } },
	{ MT_BASE DEV "    kind: virtio-net\n    backend: tap #<\n", 8, 0,
	  "devices[0]", { "missing required field \"tap\"" } },
	/* hostfwd */
	{ MT_BASE DEV "    kind: virtio-net\n    hostfwd: [\"tcp:127.0.0.1:0-:22\"] #<\n",
	  0, 16, "devices[0].hostfwd[0]",
	  { "bad host port (1-65535) in \"tcp:127.0.0.1:0-:22\"",
	    "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" } },
	{ MT_BASE DEV "    kind: virtio-net\n    hostfwd:\n      - \"::2222-:22\"\n"
	  "      - \"tcp::2222-10.1.2.3:22\" #<\n", 0, 10, "devices[0].hostfwd[1]",
	  { "guest address outside the guest network" } },
	{ MT_BASE DEV "    kind: virtio-net\n    hostfwd: tcp::2222-:22 #<\n", 0, 14,
	  "devices[0].hostfwd", { "expected a list of rules" } },
	{ MT_BASE DEV "    kind: virtio-net\n    backend: tap\n    tap: tap0\n"
	  "    hostfwd: [\"::2222-:22\"] #<\n", 0, 5, "devices[0].hostfwd",
	  { "only valid with backend slirp" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    hostfwd: [\"::2222-:22\"] #<\n", 0, 5, "devices[0].hostfwd",
	  { "not valid for kind virtio-blk" } },
	/* restrict */
	{ MT_BASE DEV "    kind: virtio-net\n    backend: tap\n    tap: tap0\n"
	  "    restrict: true #<\n", 0, 5, "devices[0].restrict",
	  { "only valid with backend slirp" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restrict: maybe #<\n", 0, 15,
	  "devices[0].restrict", { "expected a boolean" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restrict: [true] #<\n", 0, 0,
	  "devices[0].restrict", { "expected a scalar value, got a list" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    restrict: true #<\n", 0, 5, "devices[0].restrict",
	  { "not valid for kind virtio-blk" } },
	/* numbers and enumerations */
	{ "machine:\n  type: riscv-virt\n  cpus: 65 #<\n", 0, 9, "machine.cpus",
	  { "65 is out of range", "1..64" } },
	{ "machine:\n  type: riscv-virt\n  cpus: 0 #<\n", 0, 0, "machine.cpus",
	  { "out of range" } },
	{ "machine:\n  type: riscv-virt\n  cpus: two #<\n", 0, 0,
	  "machine.cpus", { "expected an integer", "\"two\"" } },
	{ "machine:\n  type: riscv-virt\n  cpus: 99999999999999999999 #<\n",
	  0, 0, "machine.cpus", { "out of range" } },
	{ "machine:\n  type: riscv\n", 2, 9, "machine.type",
	  { "unknown value \"riscv\"", "riscv-virt, x86, none" } },
	{ "machine:\n  type: riscv-virt\n  accel: kvm #<\n", 0, 10,
	  "machine.accel", { "riscv-virt runs only under accel dbt" } },
	{ "machine:\n  type: riscv-virt\n  engine: turbo #<\n", 0, 11,
	  "machine.engine", { "unknown value \"turbo\"", "block, interp, jit" } },

	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    cache: writeback2 #<\n", 0, 12, "devices[0].cache",
	  { "unknown value \"writeback2\"; expected one of writeback, "
	    "writethrough, none" } },
	{ MT_BASE DEV "    kind: virtio-blck #<\n", 0, 11, "devices[0].kind",
	  { "unknown value", "did you mean \"virtio-blk\"?" } },
	{ MT_BASE "sandbox: maybe #<\n", 0, 10, "sandbox",
	  { "expected a boolean", "\"maybe\"" } },
	{ MT_BASE "console: serial #<\n", 0, 0, "console",
	  { "expected stdio, none or socket:PATH" } },
	/* sizes */
	{ "machine: {type: riscv-virt}\nmemory:\n  size: 256Q #<\n", 0, 9,
	  "memory.size", { "bad size \"256Q\"", "K, M or G" } },
	{ "machine: {type: riscv-virt}\nmemory:\n  size: 8M #<\n", 0, 0,
	  "memory.size", { "8M is too small", "16M" } },
	{ "machine: {type: riscv-virt}\nmemory:\n  size: 16777300 #<\n", 0, 0,
	  "memory.size", { "16777300 bytes is not a multiple", "4K" } },
	{ "machine: {type: riscv-virt}\nmemory:\n  size: 65G #<\n", 0, 0,
	  "memory.size", { "65G is too large", "64G" } },
	{ "machine: {type: riscv-virt}\nmemory:\n  size: 99999999999G #<\n",
	  0, 0, "memory.size", { "too large" } },
	/* ${VAR} */
	{ "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\nboot:\n"
	  "  kernel: ${MT_NOT_SET_ANYWHERE}/Image #<\n", 0, 11, "boot.kernel",
	  { "\"MT_NOT_SET_ANYWHERE\"", "not set" } },
	{ MT_BASE "  cmdline: cost $5 #<\n", 0, 0, "boot.cmdline",
	  { "lone \"$\"", "$$" } },
	/* files */
	{ "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\nboot:\n"
	  "  kernel: nokernel #<\n", 0, 11, "boot.kernel",
	  { "nokernel\"", "No such file or directory" } },
	{ "machine:\n  type: riscv-virt\nmemory:\n  size: 256M\nboot:\n"
	  "  kernel: sub #<\n", 0, 0, "boot.kernel",
	  { "/sub\" is not a regular file" } },
	{ MT_BASE "  initrd: \"\" #<\n", 0, 0, "boot.initrd",
	  { "expected a path" } },
	{ MT_BASE "  firmware: missing.bin #<\n", 0, 0, "boot.firmware",
	  { "missing.bin\"", "No such file" } },
	{ "machine:\n  type: riscv-virt\n  binary: noexec #<\n", 0, 0,
	  "machine.binary", { "not executable" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: nodisk.img #<\n", 0, 11,
	  "devices[0].path", { "nodisk.img\"", "No such file" } },
	{ MT_BASE "qmp: nodir/qmp.sock #<\n", 0, 0, "qmp",
	  { "nodir\"", "does not exist" } },
	{ MT_BASE "console: \"\\e[31mred\" #<\n", 0, 0, "console",
	  { "unknown console \"?[31mred\"" } },
	/* machine none */
	{ "machine: {type: none}\nboot: #<\n  kernel: x\n", 0, 1, "boot",
	  { "not valid for machine type none" } },
	/* devices */
	{ MT_BASE DEV "    kind: virtio-net\n  - name: d1\n    kind: virtio-net\n"
	  "  - name: d0 #<\n    kind: virtio-net\n", 0, 11, "devices[2].name",
	  { "duplicate device name \"d0\"", "devices[0]", "line 8" } },
	{ MT_BASE "devices:\n  - name: Disk0 #<\n    kind: virtio-net\n", 0, 0,
	  "devices[0].name", { "invalid device name", "[a-z0-9]" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    format: qcow2 #<\n", 0, 0, "devices[0].format",
	  { "qcow2 is not supported yet" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    format: vmdk #<\n", 0, 0, "devices[0].format",
	  { "unknown value \"vmdk\"", "raw" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    queues: 17 #<\n", 0, 0, "devices[0].queues", { "1..16" } },
	{ MT_BASE DEV "    kind: virtio-blk\n    path: ${MT}/disk.img\n"
	  "    serial: abcdefghijklmnopqrstu #<\n", 0, 0, "devices[0].serial",
	  { "21 bytes", "20" } },
	{ MT_BASE DEV "    kind: virtio-net\n    mac: \"53:54:00:12:34:56\" #<\n",
	  0, 0, "devices[0].mac", { "unicast" } },
	{ MT_BASE DEV "    kind: virtio-net\n    mac: 52:54:00 #<\n", 0, 0,
	  "devices[0].mac", { "expected a MAC address" } },
	{ MT_BASE DEV "    kind: virtio-net\n    tap: tap0 #<\n", 0, 5,
	  "devices[0].tap", { "only valid with backend tap" } },
	{ MT_BASE DEV "    kind: virtio-net\n    backend: tap\n"
	  "    tap: a/b #<\n", 0, 0, "devices[0].tap",
	  { "invalid interface name" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restart: sometimes #<\n", 0, 0,
	  "devices[0].restart", { "unknown value \"sometimes\"",
				  "never, on-failure, always" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restart:\n      maxx: 3 #<\n", 0, 7,
	  "devices[0].restart.maxx", { "did you mean \"max\"?" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restart:\n      backoff-ms: 500\n"
	  "      backoff-max-ms: 100 #<\n", 0, 0,
	  "devices[0].restart.backoff-max-ms",
	  { "backoff-max-ms (100) is less than backoff-ms (500)" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restart: {max: 1001} #<\n", 0, 0,
	  "devices[0].restart.max", { "0..1000" } },
	{ MT_BASE DEV "    kind: virtio-net\n    restart: {interval-s: -1} #<\n",
	  0, 0, "devices[0].restart.interval-s", { "from 0 to 31536000" } },
	{ MT_BASE DEV "    kind: virtio-net\n    health: sometimes #<\n", 0, 0,
	  "devices[0].health", { "unknown value \"sometimes\"", "off" } },
	{ MT_BASE DEV "    kind: virtio-net\n    health: {deadline-ms: 5} #<\n",
	  0, 0, "devices[0].health.deadline-ms", { "10..600000" } },
	{ MT_BASE DEV "    kind: virtio-net\n    faults:\n"
	  "      - {kind: melt, at-ms: 1} #<\n", 0, 0, "devices[0].faults[0].kind",
	  { "unknown value \"melt\"", "crash, hang, delay, io-error" } },
	{ MT_BASE DEV "    kind: virtio-net\n    faults:\n"
	  "      - {kind: crash} #<\n", 0, 0, "devices[0].faults[0]",
	  { "at-ms" } },
	{ MT_BASE DEV "    kind: virtio-net\n    faults:\n"
	  "      - {kind: crash, at-ms: 1, times: 3} #<\n", 0, 0,
	  "devices[0].faults[0].times", { "times needs every-ms" } },
	{ MT_BASE DEV "    kind: virtio-net\n    faults:\n"
	  "      - {kind: io-error, at-ms: 1, queue: x} #<\n", 0, 0,
	  "devices[0].faults[0].queue", { "" } },
};

void mt_check_error(const struct mt_bad *b, const struct manifest_error *err)
{
	unsigned want_line = b->line;
	char msg[1024];

	manifest_error_format(err, msg, sizeof(msg));
	if (!want_line) {
		const char *mark = strstr(b->yaml, "#<");
		ck_assert_msg(mark, "case has no #< marker");
		want_line = 1;
		for (const char *p = b->yaml; p < mark; p++)
			want_line += *p == '\n';
	}
	ck_assert_msg(err->line == want_line, "line %u, wanted %u: %s\n%s",
		      err->line, want_line, msg, b->yaml);
	ck_assert_msg(!b->col || err->column == b->col,
		      "column %u, wanted %u: %s", err->column, b->col, msg);
	ck_assert_msg(!strcmp(err->field, b->field), "field \"%s\", wanted "
		      "\"%s\": %s", err->field, b->field, msg);
	for (int i = 0; i < 3 && b->words[i]; i++)
		ck_assert_msg(strstr(err->message, b->words[i]),
			      "message lacks \"%s\": %s", b->words[i], msg);
}

START_TEST(refused)
{
	const struct mt_bad *b = &bad[_i];
	struct manifest_error err;
	const char *path = mt_write("bad.yaml", b->yaml);
	struct vm_config *cfg;
	char prefix[PATH_MAX + 32], msg[1024];

	unsetenv("MT_NOT_SET_ANYWHERE");
	/* everything granted: these errors are not the operator's to allow */
	cfg = manifest_load(path, mt_allow_all(), &err);
	ck_assert_msg(!cfg, "case %d accepted:\n%s", _i, b->yaml);
	ck_assert_str_eq(err.file, path);
	mt_check_error(b, &err);
	/* "FILE:LINE:COL: FIELD: MESSAGE" */
	manifest_error_format(&err, msg, sizeof(msg));
	printf("case %d: %s\n", _i, msg);   /* the log shows every message */
	snprintf(prefix, sizeof(prefix), "%s:%u", path, err.line);
	ck_assert_msg(!strncmp(msg, prefix, strlen(prefix)), "%s", msg);
}
END_TEST

START_TEST(unreadable_manifest)
{
	struct manifest_error err;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/absent.yaml", mt_dir());
	ck_assert_ptr_null(manifest_load(path, NULL, &err));
	ck_assert_str_eq(err.file, path);
	ck_assert_uint_eq(err.line, 0);
	ck_assert_msg(strstr(err.message, "No such file or directory"), "%s",
		      err.message);
}
END_TEST

/* As root, access(2) grants read and write on any file: not run then. */
START_TEST(disk_not_writable)
{
	struct manifest_error err;
	const char *path;

	mt_write("ro.img", "x");
	CHECK_OK(chmod(mt_path("ro.img"), 0444));
	path = mt_write("bad.yaml", MT_BASE DEV "    kind: virtio-blk\n"
			"    path: ro.img\n");
	ck_assert_ptr_null(manifest_load(path, NULL, &err));
	ck_assert_str_eq(err.field, "devices[0].path");
	ck_assert_msg(strstr(err.message, "readable and writable"), "%s",
		      err.message);
	vm_config_free(mt_load_ok(MT_BASE DEV "    kind: virtio-blk\n"
				  "    path: ro.img\n    readonly: true\n"));
}
END_TEST

/* Bytes that are not UTF-8 are refused before libfyaml sees them. */
START_TEST(invalid_utf8)
{
	static const char yaml[] = "machine:\n  type: x\xfe\n";
	struct manifest_error err;

	ck_assert_ptr_null(manifest_load_string("u.yaml", yaml, sizeof(yaml) - 1,
						NULL, &err));
	ck_assert_uint_eq(err.line, 2);
	ck_assert_uint_eq(err.column, 10);
	ck_assert_msg(strstr(err.message, "invalid UTF-8"), "%s", err.message);
}
END_TEST

/* libfyaml's diagnostics must not reach stderr. */
START_TEST(syntax_error_is_quiet)
{
	static const char yaml[] = "a: [1, 2\nb: {";
	struct manifest_error err;
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);
	long size;

	ck_assert_ptr_nonnull(cap);
	CHECK_OK(saved);
	CHECK_OK(dup2(fileno(cap), STDERR_FILENO));
	ck_assert_ptr_null(manifest_load_string("s.yaml", yaml, sizeof(yaml) - 1,
						NULL, &err));
	fflush(stderr);
	CHECK_OK(dup2(saved, STDERR_FILENO));
	close(saved);
	CHECK_OK(fseek(cap, 0, SEEK_END));
	size = ftell(cap);
	fclose(cap);
	ck_assert_msg(size == 0, "%ld bytes written to stderr", size);
	ck_assert_msg(strstr(err.message, "YAML syntax error"), "%s",
		      err.message);
	ck_assert_uint_ne(err.line, 0);
}
END_TEST

TCase *manifest_errors_tcase(void)
{
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
	tcase_add_loop_test(tc, refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, unreadable_manifest);
	tcase_add_test(tc, invalid_utf8);
	if (geteuid() != 0)
		tcase_add_test(tc, disk_not_writable);
	else
		printf("skipping disk_not_writable: running as root, which "
		       "may write any file\n");
	tcase_add_test(tc, syntax_error_is_quiet);
	return tc;
}
