/* SPDX-License-Identifier: MIT */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rv.h"

static const char machine_usage[] =
"Machine:\n"
"  --machine NAME      machine model; only riscv-virt\n"
"  --cpus N            harts (1-64, default 1)\n"
"  --memory SIZE       guest RAM, e.g. 256M, 1G (default 128M; under the\n"
"                      launcher the MEM_GRANT region size wins)\n"
"  --mmu-type TYPE     device tree mmu-type (default riscv,sv48)\n"
"Boot (files by path, or by inherited fd under the launcher):\n"
"  --kernel PATH       RISC-V Linux Image (loaded at 0x80200000) or ELF\n"
"                      (loaded by its program headers)\n"
"  --initrd PATH       initramfs, placed near the top of RAM\n"
"  --append ARGS       kernel command line\n"
"  --firmware PATH     firmware at 0x80000000 (default OpenSBI fw_dynamic.bin)\n"
"  --bios none         no firmware: the kernel starts at 0x80000000 in M-mode\n"
"  --bare FILE         bare-metal ELF or raw binary instead of a kernel\n"
"  --kernel-fd N, --initrd-fd N, --firmware-fd N, --bare-fd N\n"
"Testing:\n"
"  --tohost ADDR       a store to ADDR ends the run (1 = pass)\n"
"  --max-insns N       per-hart instruction budget\n"
"  --engine interp|block|jit (jit: x86-64 hosts only, the default there)\n"
"\n"
"Exit status: 0 guest powered off (or SHUTDOWN), 1 error or lost bus,\n"
"2 guest reset, 3 guest reported failure, 4 emulation error,\n"
"5 instruction budget used up.\n";

const char *cpu_options_machine_usage(void)
{
	return machine_usage;
}

void cpu_options_usage(const char *prog)
{
	printf("Usage: %s --machine riscv-virt [options]\n"
"       %s --fd=N --name=NAME --machine riscv-virt [options]\n"
"\n"
"The Atoll CPU server: runs the guest's harts and the machine model\n"
"(boot ROM, CLINT, PLIC, ns16550a UART, syscon, PCIe host).\n"
"Without --fd it runs standalone: console on stdin/stdout, RAM from a\n"
"private memfd. With --fd it talks to the launcher on that bus socket.\n"
"\n%s"
"  --name NAME         instance name (log prefix)\n"
"  -h, --help          this text\n",
	       prog, prog, machine_usage);
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

/* Below 0x100, as the child runtime requires of a kind's own options. */
enum {
	OPT_MACHINE = 0x80, OPT_CPUS, OPT_MEMORY, OPT_KERNEL, OPT_INITRD,
	OPT_FIRMWARE, OPT_BIOS, OPT_BARE, OPT_APPEND, OPT_KERNEL_FD,
	OPT_INITRD_FD, OPT_FIRMWARE_FD, OPT_BARE_FD, OPT_TOHOST, OPT_ENGINE,
	OPT_MAX_INSNS, OPT_MMU, OPT_NAME,
};

/* The machine options, shared with the launcher mode (child_main adds
 * --fd, --name and --help there); standalone adds --name and --help. */
static const struct option machine_opts[] = {
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
	{ "mmu-type", required_argument, NULL, OPT_MMU },
	{ NULL, 0, NULL, 0 },
};

#define N_MACHINE_OPTS (sizeof(machine_opts) / sizeof(machine_opts[0]) - 1)

static const struct option standalone_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const struct option *cpu_machine_options(void)
{
	return machine_opts;
}

static int parse_fd(const char *s, int *fd)
{
	uint64_t v;

	if (parse_uint(s, 65535, &v) < 0)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

int cpu_options_apply(int c, const char *arg, void *state)
{
	struct cpu_options *o = state;
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
	case OPT_NAME: o->name = arg; return 0;
	case OPT_MMU: o->mmu_type = arg; return 0;
	case OPT_ENGINE:
		if (strcmp(arg, "interp") == 0)
			o->engine = RV_ENGINE_INTERP;
		else if (strcmp(arg, "block") == 0)
			o->engine = RV_ENGINE_BLOCK;
		else if (strcmp(arg, "jit") == 0 && rv_jit_supported())
			o->engine = RV_ENGINE_JIT;
		else if (strcmp(arg, "jit") == 0) {
			fprintf(stderr, "--engine jit: needs an x86-64 host\n");
			return -EINVAL;
		}
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int cpu_options_validate(const struct cpu_options *o)
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

void cpu_options_defaults(struct cpu_options *o)
{
	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->memory = 128ull << 20;
	o->kernel_fd = o->initrd_fd = o->firmware_fd = o->bare_fd = -1;
	o->name = "cpu";
}

bool cpu_options_launcher_mode(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--fd") == 0 || strncmp(argv[i], "--fd=", 5) == 0)
			return true;
	return false;
}

int cpu_options_parse(struct cpu_options *o, int argc, char **argv)
{
	struct option all[N_MACHINE_OPTS + 3];
	int c, idx = 0;

	cpu_options_defaults(o);
	memcpy(all, machine_opts, N_MACHINE_OPTS * sizeof(all[0]));
	memcpy(all + N_MACHINE_OPTS, standalone_opts, sizeof(standalone_opts));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", all, &idx)) != -1) {
		if (c == 'h') {
			cpu_options_usage(argv[0]);
			return 1;
		}
		if (c == '?' || cpu_options_apply(c, optarg, o) < 0) {
			if (c != '?')
				fprintf(stderr, "atoll-cpu: bad value '%s' for --%s\n",
					optarg ? optarg : "", all[idx].name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "atoll-cpu: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return cpu_options_validate(o);
}
