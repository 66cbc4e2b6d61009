/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a generic device of libatoll-device against a hostile
 * atoll-cpu. After a valid HELLO, the input is a sequence of frames (type,
 * flags, a protobuf payload of the fuzzer's choosing) written raw to the
 * peer socket. The region callbacks abort if they are ever handed an
 * access outside their region or of a size other than 1, 2, 4 or 8, and
 * atoll_dev_irq_set from a read callback must never fail but for a bad
 * line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atoll/device.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static atoll_dev *dev;
static atoll_watch_cb watch_cb;
static void *watch_data;
static int watch_fd = -1;

static int w_add(void *loop, int fd, unsigned events, atoll_watch_cb cb,
		 void *data)
{
	watch_fd = fd;
	watch_cb = cb;
	watch_data = data;
	return 0;
}

static void w_remove(void *loop, int fd)
{
	if (fd == watch_fd)
		watch_fd = -1;
}

static const struct atoll_watch_ops ops = { w_add, w_remove };

static const uint64_t sizes[2] = { 0x100, 0x1000 };

static void check(uint32_t index, uint64_t off, unsigned size)
{
	if (index > 1 || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    off >= sizes[index] || size > sizes[index] - off)
		abort();
}

static uint64_t r_read(void *opaque, uint32_t index, uint64_t off,
		       unsigned size)
{
	check(index, off, size);
	if (atoll_dev_irq_set(dev, (unsigned)(off & 3), off & 4) == -EINVAL &&
	    (off & 3) < 2)
		abort();
	return off * 0x0101010101010101ull;
}

static void r_write(void *opaque, uint32_t index, uint64_t off,
		    unsigned size, uint64_t val)
{
	check(index, off, size);
}

static const struct atoll_dev_region regions[2] = {
	{ .index = 0, .size = 0x100, .read = r_read, .write = r_write },
	{ .index = 1, .size = 0x1000, .read = r_read, .write = r_write },
};
static const struct atoll_dev_generic gen = {
	.bus = ATOLL_DEV_BUS_PLATFORM, .regions = regions, .num_regions = 2,
	.num_irqs = 2, .dt_compatible = "fuzz,device",
};

static void send_frame(int fd, uint16_t type, uint16_t flags, uint64_t id,
		       const uint8_t *payload, uint32_t len)
{
	uint8_t buf[sizeof(struct atoll_frame_header) + 1024];
	struct atoll_frame_header h = {
		.magic = ATOLL_BUS_MAGIC, .type = type, .flags = flags,
		.id = id, .size = len,
	};

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	(void)!send(fd, buf, sizeof(h) + len, MSG_DONTWAIT);
}

static void pump(int cpu)
{
	uint8_t sink[2048];

	for (int i = 0; i < 4 && watch_fd >= 0; i++)
		watch_cb(watch_fd, ATOLL_WATCH_IN, watch_data);
	/* Replies and IRQ_LEVELs: keep the socket from filling up. */
	while (recv(cpu, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct atoll_dev_config cfg = {
		.kind = "fuzz", .watch = &ops, .generic = &gen,
	};
	uint8_t hello[16];
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg m = { .type = ATOLL__MSG_TYPE__MSG_PEER_CONNECT };
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	uint64_t id = 1;
	int sv[2];

	if (!dev && !(dev = atoll_dev_new(&cfg)))
		abort();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		abort();
	m.body = &pc.base;
	m.fds[0] = sv[1];
	m.nfds = 1;
	if (atoll_dev_control_message(dev, NULL, &m) < 0 || m.fds[0] != -1)
		abort();
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	send_frame(sv[0], ATOLL__MSG_TYPE__MSG_HELLO, ATOLL_FRAME_NEED_REPLY,
		   id++, hello, (uint32_t)atoll__hello__pack(&h, hello));
	pump(sv[0]);
	/* Each step: a selector byte, then either a register access built
	 * from the next bytes (so that offsets and sizes near every edge are
	 * one mutation away) or a raw frame: type, flags, length, payload. */
	while (size >= 16 && watch_fd >= 0) {
		uint8_t buf[1024];
		uint16_t type, flags = data[1] & ATOLL_FRAME_NEED_REPLY;
		uint32_t len;
		uint64_t off;

		memcpy(&off, data + 4, 8);
		switch (data[0] % 5) {
		case 0: {
			Atoll__RegionRead rr = ATOLL__REGION_READ__INIT;

			rr.region = data[2] % 3;
			rr.offset = off;
			rr.size = data[3] % 10;
			type = ATOLL__MSG_TYPE__MSG_REGION_READ;
			flags = ATOLL_FRAME_NEED_REPLY;
			len = (uint32_t)atoll__region_read__pack(&rr, buf);
			break;
		}
		case 1: {
			Atoll__RegionWrite rw = ATOLL__REGION_WRITE__INIT;

			rw.region = data[2] % 3;
			rw.offset = off;
			rw.data.data = (uint8_t *)data + 12;
			rw.data.len = data[3] % 10 < 4 ? data[3] % 10 : 4;
			type = ATOLL__MSG_TYPE__MSG_REGION_WRITE;
			len = (uint32_t)atoll__region_write__pack(&rw, buf);
			break;
		}
		case 2: {
			Atoll__RegionPlaced rp = ATOLL__REGION_PLACED__INIT;

			rp.region = data[2];
			rp.address = off;
			type = ATOLL__MSG_TYPE__MSG_REGION_PLACED;
			len = (uint32_t)atoll__region_placed__pack(&rp, buf);
			break;
		}
		case 3:
			type = ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE;
			flags = ATOLL_FRAME_NEED_REPLY;
			len = 0;
			break;
		default:   /* the device types, and more */
			type = 30 + data[2] % 20;
			len = (uint32_t)(data[3] | data[4] << 8) % sizeof(buf);
			if (len > size - 16)
				len = (uint32_t)(size - 16);
			memcpy(buf, data + 16, len);
			data += len;
			size -= len;
		}
		data += 16;
		size -= 16;
		send_frame(sv[0], type, flags, flags ? id++ : 0, buf, len);
		pump(sv[0]);
	}
	close(sv[0]);                        /* atoll-cpu goes away */
	pump(-1);
	if (atoll_dev_peer(dev))
		abort();
	return 0;
}
