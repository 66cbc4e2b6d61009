/* SPDX-License-Identifier: MIT */
/* Writes the fuzz seed corpus: a few valid frames of different types (one
 * leading byte = fd count, as fuzz-frame-decode.c expects) into the
 * directory given as argv[1]. */
#include <stdio.h>
#include <string.h>

#include <atoll/bus.h>

static int write_seed(const char *dir, const char *name, uint8_t nfds,
		      uint16_t type, uint16_t flags, uint64_t id,
		      const ProtobufCMessage *body)
{
	static uint8_t buf[1 + ATOLL_BUS_MAX_FRAME];
	struct atoll_frame_header h = {
		.magic = ATOLL_BUS_MAGIC, .type = type, .flags = flags, .id = id,
	};
	char path[4096];
	size_t n = protobuf_c_message_pack(body, buf + 1 + sizeof(h));
	FILE *f;

	buf[0] = nfds;
	h.size = (uint32_t)n;
	memcpy(buf + 1, &h, sizeof(h));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, 1 + sizeof(h) + n, f) != 1 + sizeof(h) + n) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	Atoll__Hello hello = ATOLL__HELLO__INIT;
	Atoll__Error err = ATOLL__ERROR__INIT;
	Atoll__MemRegion reg = ATOLL__MEM_REGION__INIT, *regs[] = { &reg, &reg };
	Atoll__MemGrant grant = ATOLL__MEM_GRANT__INIT;
	Atoll__QueueSetup qs = ATOLL__QUEUE_SETUP__INIT;
	Atoll__RegionDesc rd = ATOLL__REGION_DESC__INIT, *rds[] = { &rd };
	Atoll__GenericDesc gd = ATOLL__GENERIC_DESC__INIT;
	Atoll__DeviceDesc dd = ATOLL__DEVICE_DESC__INIT;
	Atoll__ConfigWrite cw = ATOLL__CONFIG_WRITE__INIT;
	uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int fails = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	hello.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	hello.role = ATOLL__ROLE__ROLE_DEVICE;
	hello.kind = "virtio-blk";
	hello.name = "disk0";
	hello.capabilities = 7;
	err.code = 22;
	err.message = "bad offset";
	reg.name = "ram0";
	reg.guest_addr = 0x80000000ull;
	reg.size = 1 << 28;
	grant.n_regions = 2;
	grant.regions = regs;
	qs.index = 1;
	qs.size = 256;
	qs.desc_addr = 0x80001000ull;
	qs.has_inflight = 1;
	rd.size = 4096;
	rd.mmio = 1;
	gd.vendor_id = 0x1af4;
	gd.n_regions = 1;
	gd.regions = rds;
	gd.dt_compatible = "vendor,dev";
	dd.model = ATOLL__DEVICE_MODEL__MODEL_GENERIC;
	dd.generic = &gd;
	cw.offset = 4;
	cw.data.data = bytes;
	cw.data.len = sizeof(bytes);

	fails += write_seed(argv[1], "hello-request", 0, ATOLL__MSG_TYPE__MSG_HELLO,
			    ATOLL_FRAME_NEED_REPLY, 1, &hello.base);
	fails += write_seed(argv[1], "error-reply", 0, ATOLL__MSG_TYPE__MSG_ERROR,
			    ATOLL_FRAME_REPLY, 2, &err.base);
	fails += write_seed(argv[1], "mem-grant-2fds", 2,
			    ATOLL__MSG_TYPE__MSG_MEM_GRANT, 0, 0, &grant.base);
	fails += write_seed(argv[1], "queue-setup-3fds", 3,
			    ATOLL__MSG_TYPE__MSG_QUEUE_SETUP,
			    ATOLL_FRAME_NEED_REPLY, 3, &qs.base);
	fails += write_seed(argv[1], "device-desc", 0,
			    ATOLL__MSG_TYPE__MSG_DEVICE_DESC, ATOLL_FRAME_REPLY,
			    4, &dd.base);
	fails += write_seed(argv[1], "config-write", 0,
			    ATOLL__MSG_TYPE__MSG_CONFIG_WRITE, 0, 0, &cw.base);
	return fails ? 1 : 0;
}
