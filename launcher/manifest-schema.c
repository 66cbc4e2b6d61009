/* SPDX-License-Identifier: MIT */
/* The top-level sections of the manifest: name, machine, memory, boot,
 * console, qmp, sandbox. docs/manifest.md documents each field. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-internal.h"

#define MIB (1024ull * 1024)
#define MEM_MIN (16 * MIB)
#define MEM_MAX (64 * 1024 * MIB)
#define PAGE 4096ull

enum machine_type { MACHINE_RISCV_VIRT, MACHINE_X86, MACHINE_NONE };
static const char *const machine_types[] = { "riscv-virt", "x86", "none",
					     NULL };
static const char *const accels[] = { "dbt", "kvm", NULL };
static const char *const engines[] = { "block", "interp", "jit", NULL };

static int dup_to(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int read_name(struct mctx *c, const struct mmap *root,
		     struct vm_config *cfg)
{
	struct mval v;
	int r;

	mx_lookup(root, "name", &v);
	if (!v.present) {
		if (!manifest_valid_vm_name(c->default_name))
			return mx_fail(c, (struct mpos){ 0, 0 }, "name",
				       "the file name \"%s\" is not a valid VM "
				       "name; set name: explicitly",
				       c->default_name);
		return dup_to(c->default_name, &cfg->name);
	}
	r = mx_string(c, &v, &cfg->name);
	if (r == 0 && !manifest_valid_vm_name(cfg->name))
		r = mx_fail(c, v.pos, v.field, "invalid VM name; expected 1 "
			    "to 64 letters, digits, '_', '.' or '-', starting "
			    "with a letter or digit");
	return r;
}

static int read_machine(struct mctx *c, const struct mmap *root,
			struct vm_config *cfg, int *type)
{
	static const char *const keys[] = { "type", "accel", "engine", "cpus",
					    "binary", NULL };
	struct mval v, tv;
	struct mmap m;
	int accel, engine, r;

	mx_lookup(root, "machine", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_as_map(c, &v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "type", &tv);
	if ((r = mx_require(c, &tv)) < 0 ||
	    (r = mx_choice(c, &tv, machine_types, type)) < 0)
		return r;
	if (*type == MACHINE_X86)
		return mx_fail(c, tv.pos, tv.field, "machine type x86 is not "
			       "implemented yet: atoll-cpu has only riscv-virt, "
			       "so atoll run could not start it");
	if ((r = dup_to(machine_types[*type], &cfg->machine)) < 0)
		return r;
	accel = 0;
	mx_lookup(&m, "accel", &v);
	if (v.present && (r = mx_choice(c, &v, accels, &accel)) < 0)
		return r;
	if (*type == MACHINE_RISCV_VIRT && accel == 1)
		return mx_fail(c, v.pos, v.field, "riscv-virt runs only under "
			       "accel dbt");
	if (accel == 1)
		return mx_fail(c, v.pos, v.field, "accel kvm is not implemented "
			       "yet: atoll-cpu has no KVM accelerator, so atoll "
			       "run could not start it");
	if ((r = dup_to(accels[accel], &cfg->accel)) < 0)
		return r;
	mx_lookup(&m, "engine", &v);
	if (v.present) {
		if ((r = mx_choice(c, &v, engines, &engine)) < 0)
			return r;
		if ((r = dup_to(engines[engine], &cfg->engine)) < 0)
			return r;
	}
	cfg->cpus = 1;
	mx_lookup(&m, "cpus", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 64, &cfg->cpus)) < 0)
		return r;
	mx_lookup(&m, "binary", &v);
	if (v.present)
		r = mx_binary(c, &v, &cfg->cpu_binary);
	return r;
}

/* "8M" for a whole number of K, M or G, else "N bytes". */
static void size_text(uint64_t n, char *buf, size_t size)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * (unsigned)i;
		if (n && n % (1ull << shift) == 0) {
			snprintf(buf, size, "%llu%c",
				 (unsigned long long)(n >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

static int check_mem_size(struct mctx *c, const struct mval *v, uint64_t n)
{
	char text[32];

	size_text(n, text, sizeof(text));
	if (n < MEM_MIN)
		return mx_fail(c, v->pos, v->field, "%s is too small; the "
			       "minimum is 16M", text);
	if (n > MEM_MAX)
		return mx_fail(c, v->pos, v->field, "%s is too large; the "
			       "maximum is 64G", text);
	if (n % PAGE)
		return mx_fail(c, v->pos, v->field, "%s is not a multiple of "
			       "the 4K page size", text);
	return 0;
}

static int read_memory(struct mctx *c, const struct mmap *root,
		       struct vm_config *cfg, int type)
{
	static const char *const keys[] = { "size", "hugepages", "binary",
					    NULL };
	struct mval v, sv;
	struct mmap m;
	int r;

	cfg->memory_bytes = MEM_MIN;
	mx_lookup(root, "memory", &v);
	if (!v.present && type == MACHINE_NONE)
		return 0;
	if ((r = mx_require(c, &v)) < 0 || (r = mx_as_map(c, &v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "size", &sv);
	if (sv.present || type != MACHINE_NONE) {
		if ((r = mx_require(c, &sv)) < 0 ||
		    (r = mx_size(c, &sv, &cfg->memory_bytes)) < 0 ||
		    (r = check_mem_size(c, &sv, cfg->memory_bytes)) < 0)
			return r;
	}
	mx_lookup(&m, "hugepages", &v);
	if (v.present && (r = mx_bool(c, &v, &cfg->hugepages)) < 0)
		return r;
	mx_lookup(&m, "binary", &v);
	if (v.present)
		r = mx_binary(c, &v, &cfg->mem_binary);
	return r;
}

static int read_firmware(struct mctx *c, const struct mval *v,
			 struct vm_config *cfg)
{
	const char *s;
	size_t len;
	int r;

	if (!v->present)
		return 0;
	if ((r = mx_scalar(c, v, &s, &len)) < 0)
		return r;
	if (len == 7 && !memcmp(s, "default", 7))
		return 0;
	return mx_existing_path(c, v, MX_FILE_READ, &cfg->firmware);
}

static int read_boot(struct mctx *c, const struct mmap *root,
		     struct vm_config *cfg, int type)
{
	static const char *const keys[] = { "firmware", "kernel", "initrd",
					    "cmdline", NULL };
	struct mval v;
	struct mmap m;
	int r;

	mx_lookup(root, "boot", &v);
	if (type == MACHINE_NONE)
		return v.present ? mx_fail(c, v.key_pos, v.field, "not valid "
					   "for machine type none") : 0;
	if ((r = mx_require(c, &v)) < 0 || (r = mx_as_map(c, &v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "firmware", &v);
	if ((r = read_firmware(c, &v, cfg)) < 0)
		return r;
	mx_lookup(&m, "kernel", &v);
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_existing_path(c, &v, MX_FILE_READ, &cfg->kernel)) < 0)
		return r;
	mx_lookup(&m, "initrd", &v);
	if (v.present &&
	    (r = mx_existing_path(c, &v, MX_FILE_READ, &cfg->initrd)) < 0)
		return r;
	mx_lookup(&m, "cmdline", &v);
	if (v.present)
		r = mx_string(c, &v, &cfg->cmdline);
	return r;
}

static int read_console(struct mctx *c, const struct mmap *root,
			struct vm_config *cfg)
{
	struct mval v;
	char *s = NULL, *sock = NULL;
	int r;

	mx_lookup(root, "console", &v);
	if (!v.present)
		return dup_to("stdio", &cfg->console);
	if ((r = mx_string(c, &v, &s)) < 0)
		return r;
	if (!strcmp(s, "stdio") || !strcmp(s, "none")) {
		cfg->console = s;
		return 0;
	}
	if (strncmp(s, "socket:", 7)) {
		r = mx_fail(c, v.pos, v.field, "unknown console \"%.40s\"; "
			    "expected stdio, none or socket:PATH", s);
	} else if ((r = mx_socket_path(c, &v, s + 7, &sock)) == 0) {
		if (asprintf(&cfg->console, "socket:%s", sock) < 0) {
			cfg->console = NULL;
			r = -ENOMEM;
		}
	}
	free(sock);
	free(s);
	return r;
}

static int read_qmp(struct mctx *c, const struct mmap *root,
		    struct vm_config *cfg)
{
	struct mval v;
	char *s;
	int r;

	mx_lookup(root, "qmp", &v);
	if (!v.present)
		return 0;
	if ((r = mx_string(c, &v, &s)) < 0)
		return r;
	r = mx_socket_path(c, &v, s, &cfg->qmp);
	free(s);
	return r;
}

/* "HOST:PORT" with a numeric host ("[v6]:PORT" for IPv6) and a port. */
static int check_listen(struct mctx *c, const struct mval *v, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	unsigned long port;
	char *end;
	struct in6_addr a6;
	struct in_addr a4;
	size_t n = colon ? (size_t)(colon - s) : 0;

	if (colon && n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (!colon || !n || n >= sizeof(host))
		return mx_fail(c, v->pos, v->field, "expected HOST:PORT with a "
			       "numeric host, e.g. 127.0.0.1:5900");
	memcpy(host, s, n);
	host[n] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port == 0 || port > 65535)
		return mx_fail(c, v->pos, v->field, "port \"%.10s\" is not "
			       "1..65535", colon + 1);
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1)
		return mx_fail(c, v->pos, v->field, "host \"%.40s\" is not a "
			       "numeric IPv4 or IPv6 address", host);
	return 0;
}

static bool has_gpu(const struct vm_config *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].kind, "virtio-gpu"))
			return true;
	return false;
}

/* display: {type: vnc, listen: HOST:PORT | unix: PATH, password: S} */
static int read_display(struct mctx *c, const struct mmap *root,
			struct vm_config *cfg)
{
	static const char *const keys[] = { "type", "listen", "unix",
					     "password", NULL };
	static const char *const types[] = { "vnc", NULL };
	struct display_config *d = &cfg->display;
	struct mval v, t, l, u, p;
	struct mmap m;
	char *s = NULL;
	int idx, r;

	mx_lookup(root, "display", &v);
	if (!v.present)
		return 0;
	if ((r = mx_as_map(c, &v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "type", &t);
	mx_lookup(&m, "listen", &l);
	mx_lookup(&m, "unix", &u);
	mx_lookup(&m, "password", &p);
	if ((r = mx_require(c, &t)) < 0 || (r = mx_choice(c, &t, types, &idx)) < 0)
		return r;
	if (l.present == u.present)
		return mx_fail(c, v.pos, v.field, "give one of listen and unix");
	if (l.present && ((r = mx_string(c, &l, &d->listen)) < 0 ||
			  (r = check_listen(c, &l, d->listen)) < 0))
		return r;
	if (u.present) {
		if ((r = mx_string(c, &u, &s)) < 0)
			return r;
		r = mx_socket_path(c, &u, s, &d->unix_path);
		free(s);
		if (r < 0)
			return r;
	}
	if (p.present && (r = mx_string(c, &p, &d->password)) < 0)
		return r;
	if (d->password && (!*d->password || strlen(d->password) > 8))
		return mx_fail(c, p.pos, p.field, "a VNC password is 1 to 8 "
			       "bytes (VNC authentication uses 8)");
	if (!has_gpu(cfg))
		return mx_fail(c, v.pos, v.field, "a display needs a "
			       "virtio-gpu device to show");
	d->vnc = true;
	return 0;
}

int mx_read_config(struct mctx *c, const struct mmap *root,
		   struct vm_config *cfg)
{
	static const char *const keys[] = { "name", "machine", "memory",
					    "boot", "console", "qmp",
					    "sandbox", "devices", "display",
					    NULL };
	struct mval v;
	int type, r;

	if ((r = mx_check_keys(c, root, keys, NULL, NULL)) < 0 ||
	    (r = read_name(c, root, cfg)) < 0 ||
	    (r = read_machine(c, root, cfg, &type)) < 0 ||
	    (r = read_memory(c, root, cfg, type)) < 0 ||
	    (r = read_boot(c, root, cfg, type)) < 0 ||
	    (r = read_console(c, root, cfg)) < 0 ||
	    (r = read_qmp(c, root, cfg)) < 0)
		return r;
	cfg->sandbox = true;
	mx_lookup(root, "sandbox", &v);
	if (v.present && (r = mx_sandbox(c, &v, &cfg->sandbox)) < 0)
		return r;
	mx_lookup(root, "devices", &v);
	if (v.present && (r = mx_read_devices(c, &v, cfg)) < 0)
		return r;
	return read_display(c, root, cfg);
}
