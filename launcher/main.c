/* SPDX-License-Identifier: MIT */
/* atoll: the launcher. `atoll run FILE`, `atoll check FILE`, ... */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "atoll-config.h"
#include "check-processes.h"
#include "log.h"
#include "manifest.h"
#include "sandbox-report.h"
#include "vm.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: atoll [OPTIONS] COMMAND ARGUMENT\n"
		"\n"
		"Runs a virtual machine as a set of sandboxed processes wired\n"
		"together from a YAML manifest (see docs/manifest.md).\n"
		"\n"
		"Commands:\n"
		"  run MANIFEST              start the VM and supervise it until it ends\n"
		"  check MANIFEST            validate the manifest; start nothing\n"
		"  sandbox-report MANIFEST   print each process's effective sandbox\n"
		"  tpm-init FILE             create FILE as a fresh TPM's state (a tpm\n"
		"                            device's state:); never overwrites\n"
		"\n"
		"Options:\n"
		"  -v, --verbose     more messages (repeat for debug)\n"
		"  -q, --quiet       errors only\n"
		"  -h, --help        this help\n"
		"  -V, --version     print the version\n"
		"\n"
		"What only the operator may grant (a manifest asking for it\n"
		"without the flag is refused, naming the flag):\n"
		"  --image-dir DIR         the manifest may name files (kernel,\n"
		"                          initrd, firmware, disks) beneath DIR too;\n"
		"                          repeatable (its own directory always counts)\n"
		"  --device-dir DIR        an external device's program: may lie\n"
		"                          beneath DIR; repeatable\n"
		"  --allow-block-device    a disk may be a block device\n"
		"  --allow-usb-host        a usb device's port may be a host USB\n"
		"                          device (/dev/bus/usb/BBB/DDD)\n"
		"  --allow-binary          binary:, args: and an external device's\n"
		"                          program: (anywhere) may choose what runs\n"
		"  --allow-unsandboxed     sandbox: off may run a process unsandboxed\n"
		"\n"
		"Environment: ATOLL_LOG=error|warn|info|debug, ATOLL_BINDIR (where\n"
		"to find atoll-mem, atoll-cpu and the device binaries).\n"
		"Exit status: 0 when the guest powered off or was told to quit,\n"
		"1 when the VM failed or the manifest is invalid, 2 for usage errors.\n");
}

/* libevent's own complaints are diagnostics, not messages for users. */
static void libevent_log(int severity, const char *msg)
{
	log_debug("libevent: %s", msg);
}

static struct vm_config *load_or_report(const char *path,
					 const struct manifest_policy *policy)
{
	struct manifest_error err;
	struct vm_config *cfg = manifest_load(path, policy, &err);

	if (!cfg) {
		char msg[1024];

		manifest_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	return cfg;
}

static int cmd_check(const char *path, const struct manifest_policy *policy)
{
	struct vm_config *cfg = load_or_report(path, policy);
	int rc;

	if (!cfg)
		return 1;
	printf("%s: OK: VM '%s', machine %s (%s%s%s), %u cpu%s, %llu MiB, "
	       "%zu device%s\n",
	       path, cfg->name, cfg->machine, cfg->accel,
	       cfg->engine ? " " : "", cfg->engine ? cfg->engine : "", cfg->cpus,
	       cfg->cpus == 1 ? "" : "s",
	       (unsigned long long)(cfg->memory_bytes >> 20), cfg->ndevices,
	       cfg->ndevices == 1 ? "" : "s");
	rc = check_processes(cfg);
	vm_config_free(cfg);
	return rc;
}

static int cmd_run(const char *path, const struct manifest_policy *policy,
		   uint64_t t0)
{
	struct vm_config *cfg = load_or_report(path, policy);
	int rc;

	if (!cfg)
		return 1;
	rc = vm_run(cfg, t0);
	vm_config_free(cfg);
	return rc;
}

/* A fresh TPM's state is an empty file (atoll-tpm manufactures the TPM
 * into it at its first start, docs/dev-tpm.md). O_EXCL: a TPM's state
 * (its seeds and NV) is never overwritten; O_NOFOLLOW: nor is a file a
 * symlink at FILE points to. */
static int cmd_tpm_init(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0600);

	if (fd < 0) {
		fprintf(stderr, "atoll: tpm-init: %s: %s%s\n", path,
			strerror(errno), errno == EEXIST ?
			" (a TPM's state is never overwritten; remove it "
			"first to start afresh)" : "");
		return 1;
	}
	close(fd);
	printf("%s: a fresh TPM state (manufactured at the device's first "
	       "start)\n", path);
	return 0;
}

enum { OPT_IMAGE_DIR = 256, OPT_DEVICE_DIR, OPT_ALLOW_BLOCK,
       OPT_ALLOW_BINARY, OPT_ALLOW_UNSANDBOXED, OPT_ALLOW_USB_HOST };
#define MAX_DIRS 16

/* One more DIR of a repeatable --FLAG DIR. */
static bool add_dir(const char *flag, const char *arg, const char **dirs,
		    const char *const **list, size_t *n)
{
	if (*n == MAX_DIRS) {
		fprintf(stderr, "atoll: at most %d %s\n", MAX_DIRS, flag);
		return false;
	}
	dirs[(*n)++] = arg;
	*list = dirs;
	return true;
}

/* The operator's grants: false for an option that is none of them. */
static bool grant_option(int c, const char *arg,
			 struct manifest_policy *policy)
{
	static const char *image_dirs[MAX_DIRS], *device_dirs[MAX_DIRS];

	switch (c) {
	case OPT_IMAGE_DIR:
		return add_dir("--image-dir", arg, image_dirs,
			       &policy->image_dirs, &policy->nimage_dirs);
	case OPT_DEVICE_DIR:
		return add_dir("--device-dir", arg, device_dirs,
			       &policy->device_dirs, &policy->ndevice_dirs);
	case OPT_ALLOW_BLOCK:
		policy->allow_block_device = true;
		return true;
	case OPT_ALLOW_BINARY:
		policy->allow_binary = true;
		return true;
	case OPT_ALLOW_USB_HOST:
		policy->allow_usb_host = true;
		return true;
	case OPT_ALLOW_UNSANDBOXED:
		policy->allow_unsandboxed = true;
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "image-dir", required_argument, NULL, OPT_IMAGE_DIR },
		{ "device-dir", required_argument, NULL, OPT_DEVICE_DIR },
		{ "allow-block-device", no_argument, NULL, OPT_ALLOW_BLOCK },
		{ "allow-binary", no_argument, NULL, OPT_ALLOW_BINARY },
		{ "allow-usb-host", no_argument, NULL, OPT_ALLOW_USB_HOST },
		{ "allow-unsandboxed", no_argument, NULL,
		  OPT_ALLOW_UNSANDBOXED },
		{ NULL, 0, NULL, 0 },
	};
	enum atoll_log_level level = ATOLL_LOG_WARN;
	struct manifest_policy policy = { 0 };
	uint64_t t0 = now_ns();
	int c;

	while ((c = getopt_long(argc, argv, "+vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (level < ATOLL_LOG_DEBUG)
				level++;
			break;
		case 'q':
			level = ATOLL_LOG_ERROR;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("atoll %s\n", ATOLL_VERSION);
			return 0;
		default:
			if (grant_option(c, optarg, &policy))
				break;
			usage(stderr);
			return 2;
		}
	}
	log_init("atoll", level);
	event_set_log_callback(libevent_log);
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "run"))
		return cmd_run(argv[optind + 1], &policy, t0);
	if (!strcmp(argv[optind], "check"))
		return cmd_check(argv[optind + 1], &policy);
	if (!strcmp(argv[optind], "tpm-init"))
		return cmd_tpm_init(argv[optind + 1]);
	if (!strcmp(argv[optind], "sandbox-report"))
		return sandbox_report_main(argv[optind + 1], &policy);
	fprintf(stderr, "atoll: unknown command '%s' (see atoll --help)\n",
		argv[optind]);
	return 2;
}
