/* SPDX-License-Identifier: MIT */
/*
 * Linkage check of the installed device SDK: built out of tree with only
 *   cc vendor-virtio.c $(pkg-config --cflags --libs atoll-virtio)
 * it uses both libatoll-device (a generic platform device, DMA before any
 * grant) and libatoll-virtio (a virtio device), on a loop that is nothing
 * but two function pointers, and exits 0 if every call behaves as the
 * headers say.
 */
#include <errno.h>
#include <stdio.h>

#include <atoll/device.h>
#include <atoll/virtio.h>

#define UNUSED __attribute__((unused))

static int watch_add(void *loop UNUSED, int fd UNUSED, unsigned events UNUSED,
		     atoll_watch_cb cb UNUSED, void *data UNUSED)
{
	return 0;
}

static void watch_remove(void *loop UNUSED, int fd UNUSED) {}

static const struct atoll_watch_ops ops = { watch_add, watch_remove };

static uint64_t reg_read(void *opaque UNUSED, uint32_t index UNUSED,
			 uint64_t offset UNUSED, unsigned size UNUSED)
{
	return 0;
}

static void kick(void *opaque UNUSED, atoll_virtio_queue *q UNUSED) {}
static void stop(void *opaque UNUSED, atoll_virtio_queue *q UNUSED) {}

static const struct atoll_virtio_ops rng_ops = {
	.device_id = 4, .queue_kick = kick, .queue_stop = stop,
};

#define FAIL(what) do { fprintf(stderr, "FAIL: %s\n", what); return 1; } while (0)

int main(void)
{
	static const struct atoll_dev_region reg = { .size = 4096,
						     .read = reg_read };
	struct atoll_dev_generic gen = {
		.bus = ATOLL_DEV_BUS_PLATFORM, .regions = &reg,
		.num_regions = 1, .num_irqs = 1,
		.dt_compatible = "acme,widget",
	};
	struct atoll_dev_config cfg = {
		.kind = "widget", .watch = &ops, .generic = &gen,
	};
	struct atoll_virtio_params p = {
		.features = 1ull << 32, .num_queues = 1, .max_queue_size = 64,
	};
	atoll_dev *dev = atoll_dev_new(&cfg);
	atoll_virtio *v;
	char b;

	if (!dev)
		FAIL("atoll_dev_new");
	if (atoll_dev_dma_read(dev, 0, &b, 1) != -EFAULT)
		FAIL("DMA without a grant");
	if (atoll_dev_irq_set(dev, 0, true) != 0 || !atoll_dev_irq_get(dev, 0))
		FAIL("irq level");
	if (atoll_virtio_new(dev, &rng_ops, &p, NULL))
		FAIL("virtio on a generic device");
	atoll_dev_free(dev);

	cfg.kind = "virtio-rng";
	cfg.generic = NULL;
	dev = atoll_dev_new(&cfg);
	v = dev ? atoll_virtio_new(dev, &rng_ops, &p, NULL) : NULL;
	if (!v)
		FAIL("atoll_virtio_new");
	if (atoll_virtio_num_queues(v) != 1 ||
	    atoll_virtio_queue_size(atoll_virtio_queue_get(v, 0)) != 0 ||
	    atoll_virtio_config_changed(v) != -ENOTCONN)
		FAIL("virtio accessors");
	atoll_virtio_free(v);
	atoll_dev_free(dev);
	puts("device SDK linkage: ok");
	return 0;
}
