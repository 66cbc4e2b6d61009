/* SPDX-License-Identifier: MIT */
/* The devices: list of the manifest: common keys, restart policy and the
 * keys of each kind. docs/manifest.md documents each field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfwd.h"
#include "manifest-internal.h"

enum kind { KIND_BLK, KIND_NET, KIND_GPU, KIND_TPM, KIND_USB, KIND_EXTERNAL };
static const char *const kinds[] = { "virtio-blk", "virtio-net", "gpu", "tpm",
				     "usb", "external", NULL };

#define COMMON_KEYS "name", "kind", "binary", "args", "sandbox", "restart"
#define BLK_KEYS "path", "format", "readonly", "cache", "queues", "serial"
#define NET_KEYS "backend", "tap", "mac", "queues", "hostfwd", "restrict"

static const char *const common_keys[] = { COMMON_KEYS, NULL };
static const char *const blk_keys[] = { COMMON_KEYS, BLK_KEYS, NULL };
static const char *const net_keys[] = { COMMON_KEYS, NET_KEYS, NULL };
static const char *const all_keys[] = { COMMON_KEYS, BLK_KEYS, NET_KEYS,
					NULL };

static const char *const policies[] = { "never", "on-failure", "always",
					NULL };
static const char *const cache_modes[] = { "writeback", "writethrough",
					   "none", NULL };
static const char *const backends[] = { "slirp", "tap", "none", NULL };

static int dup_to(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int read_restart_map(struct mctx *c, const struct mval *v,
			    struct restart_config *rc)
{
	static const char *const keys[] = { "policy", "max", "backoff-ms",
					    "backoff-max-ms", NULL };
	struct mval f;
	struct mmap m;
	int policy = (int)rc->policy, r;

	if ((r = mx_as_map(c, v, &m)) < 0 ||
	    (r = mx_check_keys(c, &m, keys, NULL, NULL)) < 0)
		return r;
	mx_lookup(&m, "policy", &f);
	if (f.present && (r = mx_choice(c, &f, policies, &policy)) < 0)
		return r;
	rc->policy = (enum restart_policy)policy;
	mx_lookup(&m, "max", &f);
	if (f.present && (r = mx_uint(c, &f, 0, 1000, &rc->max_restarts)) < 0)
		return r;
	mx_lookup(&m, "backoff-ms", &f);
	if (f.present && (r = mx_uint(c, &f, 0, 600000, &rc->backoff_ms)) < 0)
		return r;
	mx_lookup(&m, "backoff-max-ms", &f);
	if (f.present &&
	    (r = mx_uint(c, &f, 0, 600000, &rc->backoff_max_ms)) < 0)
		return r;
	if (rc->backoff_max_ms < rc->backoff_ms)
		return mx_fail(c, f.present ? f.pos : m.pos, f.present ?
			       f.field : m.field, "backoff-max-ms (%u) is "
			       "less than backoff-ms (%u)", rc->backoff_max_ms,
			       rc->backoff_ms);
	return 0;
}

/* `restart: on-failure` or `restart: {policy: ..., max: ..., ...}`. */
static int read_restart(struct mctx *c, const struct mmap *dev,
			struct restart_config *rc)
{
	struct mval v;
	int policy;
	int r;

	*rc = (struct restart_config){ RESTART_ON_FAILURE, 5, 100, 5000 };
	mx_lookup(dev, "restart", &v);
	if (!v.present)
		return 0;
	if (v.node && fy_node_is_mapping(v.node))
		return read_restart_map(c, &v, rc);
	if ((r = mx_choice(c, &v, policies, &policy)) < 0)
		return r;
	rc->policy = (enum restart_policy)policy;
	return 0;
}

static int read_args(struct mctx *c, const struct mmap *dev,
		     struct device_config *d)
{
	struct mval v, item;
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "args", &v);
	if (!v.present)
		return 0;
	if ((r = mx_granted(c, v.key_pos, v.field, c->policy.allow_binary,
			    "extra arguments: the manifest would choose how "
			    "the program runs", "binary")) < 0)
		return r;
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of strings");
	count = fy_node_sequence_item_count(v.node);
	if (count > MANIFEST_MAX_ARGS)
		return mx_fail(c, v.pos, v.field, "%d arguments; at most %d "
			       "are allowed", count, MANIFEST_MAX_ARGS);
	d->args = calloc((size_t)count + 1, sizeof(*d->args));
	if (!d->args)
		return -ENOMEM;
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		item = v;
		item.node = n;
		item.pos = mx_node_pos(n, v.pos);
		if (snprintf(item.field, sizeof(item.field), "%s[%zu]",
			     v.field, d->nargs) >= (int)sizeof(item.field))
			return -EOVERFLOW;   /* "devices[N].args" is short */
		if ((r = mx_string(c, &item, &d->args[d->nargs])) < 0)
			return r;
		d->nargs++;
	}
	return 0;
}

static int read_format(struct mctx *c, const struct mval *v,
		       struct disk_config *disk)
{
	static const char *const formats[] = { "raw", NULL };
	int idx, r;

	if (!v->present)
		return dup_to("raw", &disk->format);
	if ((r = mx_string(c, v, &disk->format)) < 0)
		return r;
	if (!strcmp(disk->format, "qcow2"))
		return mx_fail(c, v->pos, v->field, "qcow2 is not supported "
			       "yet; convert the image with qemu-img convert "
			       "-O raw");
	return mx_choice(c, v, formats, &idx);
}

static int read_blk(struct mctx *c, const struct mmap *dev,
		    struct disk_config *disk)
{
	struct mval v, pv;
	int cache = CACHE_WRITEBACK, r;

	mx_lookup(dev, "readonly", &v);
	if (v.present && (r = mx_bool(c, &v, &disk->readonly)) < 0)
		return r;
	mx_lookup(dev, "path", &pv);
	if ((r = mx_require(c, &pv)) < 0 ||
	    (r = mx_existing_path(c, &pv, disk->readonly ? MX_FILE_DISK_RO :
				  MX_FILE_DISK_RW, &disk->path)) < 0)
		return r;
	mx_lookup(dev, "format", &v);
	if ((r = read_format(c, &v, disk)) < 0)
		return r;
	mx_lookup(dev, "cache", &v);
	if (v.present && (r = mx_choice(c, &v, cache_modes, &cache)) < 0)
		return r;
	disk->cache = (enum cache_mode)cache;
	disk->queues = 1;
	mx_lookup(dev, "queues", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 16, &disk->queues)) < 0)
		return r;
	mx_lookup(dev, "serial", &v);
	if (!v.present)
		return 0;
	if ((r = mx_string(c, &v, &disk->serial)) < 0)
		return r;
	if (strlen(disk->serial) > 20)
		return mx_fail(c, v.pos, v.field, "serial is %zu bytes; at "
			       "most 20 fit in VIRTIO_BLK_ID_BYTES",
			       strlen(disk->serial));
	return 0;
}

static int read_mac(struct mctx *c, const struct mval *v,
		    struct net_config *net)
{
	uint8_t mac[6];
	char *s;
	int r;

	if ((r = mx_string(c, v, &s)) < 0)
		return r;
	r = manifest_parse_mac(s, mac);
	free(s);
	if (r == -EADDRNOTAVAIL)
		return mx_fail(c, v->pos, v->field, "MAC address must be "
			       "unicast and not all zero (the low bit of the "
			       "first octet must be clear)");
	if (r < 0)
		return mx_fail(c, v->pos, v->field, "expected a MAC address "
			       "like \"52:54:00:12:34:56\"");
	if (asprintf(&net->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		     mac[1], mac[2], mac[3], mac[4], mac[5]) < 0) {
		net->mac = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int read_tap(struct mctx *c, const struct mmap *dev,
		    struct net_config *net)
{
	struct mval v;
	int r;

	mx_lookup(dev, "tap", &v);
	if (strcmp(net->backend, "tap"))
		return v.present ? mx_fail(c, v.key_pos, v.field, "only valid "
					   "with backend tap") : 0;
	if ((r = mx_require(c, &v)) < 0 ||
	    (r = mx_string(c, &v, &net->tap)) < 0)
		return r;
	if (!manifest_valid_ifname(net->tap))
		return mx_fail(c, v.pos, v.field, "invalid interface name; "
			       "expected 1 to 15 bytes without '/', ':' or "
			       "spaces");
	return 0;
}

/* hostfwd: [RULE, ...] in QEMU's syntax, slirp only; each rule is checked
 * by the parser the device itself runs (dev-virtio-net/hostfwd.c). */
static int read_hostfwd(struct mctx *c, const struct mmap *dev,
			struct net_config *net)
{
	struct mval v, item;
	struct hostfwd fwd;
	struct fy_node *n;
	const char *why;
	void *it = NULL;
	int count, r;

	mx_lookup(dev, "hostfwd", &v);
	if (!v.present)
		return 0;
	if (strcmp(net->backend, "slirp"))
		return mx_fail(c, v.key_pos, v.field, "only valid with backend "
			       "slirp");
	if (!v.node || !fy_node_is_sequence(v.node))
		return mx_fail(c, v.pos, v.field, "expected a list of rules "
			       "like \"tcp:127.0.0.1:2222-:22\"");
	count = fy_node_sequence_item_count(v.node);
	if (count > MANIFEST_MAX_HOSTFWD)
		return mx_fail(c, v.pos, v.field, "%d rules; at most %d are "
			       "allowed", count, MANIFEST_MAX_HOSTFWD);
	net->hostfwd = calloc((size_t)count + 1, sizeof(*net->hostfwd));
	if (!net->hostfwd)
		return -ENOMEM;
	while ((n = fy_node_sequence_iterate(v.node, &it))) {
		char **rule = &net->hostfwd[net->nhostfwd];

		item = v;
		item.node = n;
		item.pos = mx_node_pos(n, v.pos);
		if (snprintf(item.field, sizeof(item.field), "%s[%zu]",
			     v.field, net->nhostfwd) >= (int)sizeof(item.field))
			return -EOVERFLOW;
		if ((r = mx_string(c, &item, rule)) < 0)
			return r;
		net->nhostfwd++;
		if (hostfwd_parse(*rule, &fwd, &why) < 0)
			return mx_fail(c, item.pos, item.field, "%s in \"%.64s\"; "
				       "expected [tcp|udp]:[HOSTADDR]:HOSTPORT-"
				       "[GUESTADDR]:GUESTPORT", why, *rule);
	}
	return 0;
}

/* restrict: true (slirp only), as QEMU's restrict=on: the guest reaches
 * the forwarded ports and nothing else, not even the host's loopback. */
static int read_restrict(struct mctx *c, const struct mmap *dev,
			 struct net_config *net)
{
	struct mval v;

	mx_lookup(dev, "restrict", &v);
	if (!v.present)
		return 0;
	if (strcmp(net->backend, "slirp"))
		return mx_fail(c, v.key_pos, v.field, "only valid with backend "
			       "slirp");
	return mx_bool(c, &v, &net->restricted);
}

static int read_net(struct mctx *c, const struct mmap *dev,
		    struct net_config *net)
{
	struct mval v;
	int backend = 0, r;

	mx_lookup(dev, "backend", &v);
	if (v.present && (r = mx_choice(c, &v, backends, &backend)) < 0)
		return r;
	if ((r = dup_to(backends[backend], &net->backend)) < 0 ||
	    (r = read_tap(c, dev, net)) < 0)
		return r;
	mx_lookup(dev, "mac", &v);
	if (v.present && (r = read_mac(c, &v, net)) < 0)
		return r;
	net->queues = 1;
	mx_lookup(dev, "queues", &v);
	if (v.present && (r = mx_uint(c, &v, 1, 16, &net->queues)) < 0)
		return r;
	if ((r = read_hostfwd(c, dev, net)) < 0)
		return r;
	return read_restrict(c, dev, net);
}

static int read_name(struct mctx *c, const struct mmap *dev,
		     const struct vm_config *cfg, size_t idx)
{
	struct device_config *d = &cfg->devices[idx];
	struct mval v;
	int r;

	mx_lookup(dev, "name", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_string(c, &v, &d->name)) < 0)
		return r;
	if (!manifest_valid_device_name(d->name))
		return mx_fail(c, v.pos, v.field, "invalid device name \"%.40s\";"
			       " expected [a-z0-9][a-z0-9_-]{0,31}", d->name);
	for (size_t i = 0; i < idx; i++)
		if (!strcmp(cfg->devices[i].name, d->name))
			return mx_fail(c, v.pos, v.field, "duplicate device "
				       "name \"%s\" (first used by devices[%zu] "
				       "at line %u)", d->name, i,
				       cfg->devices[i].line);
	return 0;
}

static int read_kind(struct mctx *c, const struct mmap *dev,
		     struct device_config *d, int *kind)
{
	static const char *const *const allowed[] = {
		[KIND_BLK] = blk_keys, [KIND_NET] = net_keys,
		[KIND_GPU] = common_keys, [KIND_TPM] = common_keys,
		[KIND_USB] = common_keys, [KIND_EXTERNAL] = common_keys,
	};
	char why[40];
	struct mval v;
	int r;

	mx_lookup(dev, "kind", &v);
	if ((r = mx_require(c, &v)) < 0 || (r = mx_choice(c, &v, kinds, kind)) < 0 ||
	    (r = dup_to(kinds[*kind], &d->kind)) < 0)
		return r;
	snprintf(why, sizeof(why), "for kind %s", kinds[*kind]);
	return mx_check_keys(c, dev, allowed[*kind], all_keys, why);
}

static int read_device(struct mctx *c, const struct mval *item,
		       struct vm_config *cfg, size_t idx)
{
	struct device_config *d = &cfg->devices[idx];
	struct mmap dev;
	struct mval v;
	int kind, r;

	d->line = item->pos.line;
	d->sandbox = cfg->sandbox;
	if ((r = mx_as_map(c, item, &dev)) < 0 ||
	    (r = read_kind(c, &dev, d, &kind)) < 0 ||
	    (r = read_name(c, &dev, cfg, idx)) < 0 ||
	    (r = read_args(c, &dev, d)) < 0 ||
	    (r = read_restart(c, &dev, &d->restart)) < 0)
		return r;
	mx_lookup(&dev, "binary", &v);
	if (kind == KIND_EXTERNAL && (r = mx_require(c, &v)) < 0)
		return r;
	if (v.present && (r = mx_binary(c, &v, &d->binary)) < 0)
		return r;
	mx_lookup(&dev, "sandbox", &v);
	if (v.present && (r = mx_sandbox(c, &v, &d->sandbox)) < 0)
		return r;
	if (kind == KIND_BLK)
		return read_blk(c, &dev, &d->disk);
	if (kind == KIND_NET)
		return read_net(c, &dev, &d->net);
	return 0;
}

int mx_read_devices(struct mctx *c, const struct mval *v,
		    struct vm_config *cfg)
{
	struct fy_node *n;
	void *it = NULL;
	int count, r;

	if (!v->node || !fy_node_is_sequence(v->node))
		return mx_fail(c, v->pos, v->field, "expected a list of "
			       "devices");
	count = fy_node_sequence_item_count(v->node);
	if (count > MANIFEST_MAX_DEVICES)
		return mx_fail(c, v->pos, v->field, "%d devices; at most %d are "
			       "allowed", count, MANIFEST_MAX_DEVICES);
	if (count <= 0)
		return 0;
	cfg->devices = calloc((size_t)count, sizeof(*cfg->devices));
	if (!cfg->devices)
		return -ENOMEM;
	cfg->ndevices = (size_t)count;
	for (size_t i = 0; (n = fy_node_sequence_iterate(v->node, &it)); i++) {
		struct mval item = *v;

		item.node = n;
		item.present = true;
		item.pos = item.key_pos = mx_node_pos(n, v->pos);
		snprintf(item.field, sizeof(item.field), "devices[%zu]", i);
		if ((r = read_device(c, &item, cfg, i)) < 0)
			return r;
	}
	return 0;
}

void mx_free_device(struct device_config *d)
{
	for (size_t i = 0; d->args && d->args[i]; i++)
		free(d->args[i]);
	free(d->args);
	free(d->name);
	free(d->kind);
	free(d->binary);
	free(d->disk.path);
	free(d->disk.format);
	free(d->disk.serial);
	free(d->net.backend);
	free(d->net.tap);
	free(d->net.mac);
	for (size_t i = 0; d->net.hostfwd && d->net.hostfwd[i]; i++)
		free(d->net.hostfwd[i]);
	free(d->net.hostfwd);
}
