/* SPDX-License-Identifier: MIT */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rv.h"

void cpu_options_usage(const char *prog)
{
	printf("Usage: %s --machine riscv-virt [options]\n"
"\n"
"The Atoll CPU server: runs the guest's harts and the machine model\n"
"(boot ROM, CLINT, PLIC, ns16550a UART, syscon, PCIe host).\n"
"\n"
"Machine:\n"
"  --machine NAME      machine model; only riscv-virt\n"
"  --cpus N            harts (1-%u, default 1)\n"
"  --memory SIZE       guest RAM, e.g. 256M, 1G (default 128M)\n"
"  --mmu-type TYPE     device tree mmu-type (default riscv,sv48)\n"
"Boot (files by path, or by inherited fd under the launcher):\n"
"  --kernel PATH       Linux Image, loaded at 0x80200000\n"
"  --initrd PATH       initramfs, placed near the top of RAM\n"
"  --append ARGS       kernel command line\n"
"  --firmware PATH     firmware at 0x80000000 (default OpenSBI fw_dynamic.bin)\n"
"  --bios none         no firmware: the kernel starts at 0x80000000 in M-mode\n"
"  --bare FILE         bare-metal ELF or raw binary instead of a kernel\n"
"  --kernel-fd N, --initrd-fd N, --firmware-fd N, --bare-fd N\n"
"Testing:\n"
"  --tohost ADDR       a store to ADDR ends the run (1 = pass)\n"
"  --max-insns N       per-hart instruction budget\n"
"  --engine interp|block\n"
"Launcher mode:\n"
"  --fd N              bus socket from the launcher (no --fd: standalone,\n"
"                      console on stdin/stdout, RAM from a private memfd)\n"
"  --name NAME         instance name\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 guest powered off, 1 error, 2 guest reset, 3 guest reported\n"
"failure, 4 emulation error, 5 instruction budget used up.\n",
	       prog, RV_MAX_HARTS);
}

int cpu_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	OPT_MACHINE = 256, OPT_CPUS, OPT_MEMORY, OPT_KERNEL, OPT_INITRD,
	OPT_FIRMWARE, OPT_BIOS, OPT_BARE, OPT_APPEND, OPT_KERNEL_FD,
	OPT_INITRD_FD, OPT_FIRMWARE_FD, OPT_BARE_FD, OPT_TOHOST, OPT_ENGINE,
	OPT_MAX_INSNS, OPT_FD, OPT_NAME, OPT_MMU,
};

static const struct option long_opts[] = {
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "bios", required_argument, NULL, OPT_BIOS },
	{ "bare", required_argument, NULL, OPT_BARE },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "kernel-fd", required_argument, NULL, OPT_KERNEL_FD },
	{ "initrd-fd", required_argument, NULL, OPT_INITRD_FD },
	{ "firmware-fd", required_argument, NULL, OPT_FIRMWARE_FD },
	{ "bare-fd", required_argument, NULL, OPT_BARE_FD },
	{ "tohost", required_argument, NULL, OPT_TOHOST },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "mmu-type", required_argument, NULL, OPT_MMU },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_fd(const char *s, int *fd)
{
	uint64_t v;

	if (parse_uint(s, 65535, &v) < 0)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

static int apply(struct cpu_options *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_MACHINE: o->machine = arg; return 0;
	case OPT_CPUS:
		if (parse_uint(arg, RV_MAX_HARTS, &v) < 0 || v == 0)
			return -EINVAL;
		o->cpus = (unsigned)v;
		return 0;
	case OPT_MEMORY: return cpu_parse_size(arg, &o->memory);
	case OPT_KERNEL: o->kernel = arg; return 0;
	case OPT_INITRD: o->initrd = arg; return 0;
	case OPT_FIRMWARE: o->firmware = arg; return 0;
	case OPT_BIOS:
		if (strcmp(arg, "none") == 0)
			o->no_firmware = true;
		else
			o->firmware = arg;
		return 0;
	case OPT_BARE: o->bare = arg; return 0;
	case OPT_APPEND: o->append = arg; return 0;
	case OPT_KERNEL_FD: return parse_fd(arg, &o->kernel_fd);
	case OPT_INITRD_FD: return parse_fd(arg, &o->initrd_fd);
	case OPT_FIRMWARE_FD: return parse_fd(arg, &o->firmware_fd);
	case OPT_BARE_FD: return parse_fd(arg, &o->bare_fd);
	case OPT_TOHOST: return parse_uint(arg, ~0ull, &o->tohost);
	case OPT_MAX_INSNS: return parse_uint(arg, ~0ull, &o->max_insns);
	case OPT_FD: return parse_fd(arg, &o->bus_fd);
	case OPT_NAME: o->name = arg; return 0;
	case OPT_MMU: o->mmu_type = arg; return 0;
	case OPT_ENGINE:
		if (strcmp(arg, "interp") == 0)
			o->engine = RV_ENGINE_INTERP;
		else if (strcmp(arg, "block") == 0)
			o->engine = RV_ENGINE_BLOCK;
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static int validate(const struct cpu_options *o)
{
	bool kernel = o->kernel || o->kernel_fd >= 0;
	bool bare = o->bare || o->bare_fd >= 0;

	if (!o->machine || strcmp(o->machine, "riscv-virt") != 0) {
		fprintf(stderr, "atoll-cpu: --machine riscv-virt is required\n");
		return -EINVAL;
	}
	if (kernel == bare) {
		fprintf(stderr, "atoll-cpu: give exactly one of --kernel and --bare\n");
		return -EINVAL;
	}
	if (o->memory < (16ull << 20) || o->memory % 4096) {
		fprintf(stderr, "atoll-cpu: --memory must be >= 16M and a page multiple\n");
		return -EINVAL;
	}
	return 0;
}

int cpu_options_parse(struct cpu_options *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->memory = 128ull << 20;
	o->kernel_fd = o->initrd_fd = o->firmware_fd = o->bare_fd = -1;
	o->bus_fd = -1;
	o->name = "cpu";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			cpu_options_usage(argv[0]);
			return 1;
		}
		if (c == '?' || apply(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, "atoll-cpu: bad value '%s' for --%s\n",
					optarg, long_opts[c - OPT_MACHINE].name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "atoll-cpu: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return validate(o);
}
