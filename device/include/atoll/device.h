/* SPDX-License-Identifier: MIT */
/*
 * libatoll-device: what every Atoll device process does, for any model.
 *
 *   - the control connection to the launcher (docs/protocol.md, "Session
 *     lifecycle"): HELLO, MEM_GRANT (guest RAM is mapped and the fds are
 *     closed: a device keeps mappings, never RAM fds), PEER_CONNECT, READY
 *     (posted once guest memory is mapped), HEALTH, RESET, SHUTDOWN;
 *   - the peer connection to atoll-cpu that PEER_CONNECT hands over: its
 *     HELLO, then the device protocol of the device's model;
 *   - DMA: bounds-checked copies and pointers inside the memory grant;
 *   - the generic model (MODEL_GENERIC, the vfio-user split): the program
 *     describes a PCI function or a platform device (ids, regions with
 *     read/write callbacks, level interrupt lines, device-tree data) and the
 *     library answers DEVICE_DESCRIBE, REGION_READ (with the read
 *     callback's value), REGION_WRITE and REGION_PLACED; the program raises
 *     and lowers lines with atoll_dev_irq_set().
 *
 * The virtio model is libatoll-virtio (<atoll/virtio.h>), built on this.
 *
 * No event loop: the library asks the program's loop to watch its sockets
 * through struct atoll_watch_ops (<atoll/watch.h>; the libevent adapter is
 * in <atoll/bus-event.h>) and runs everything from those callbacks. It
 * needs no timers. It logs only through the atoll_log_fn it is given and
 * never exits: SHUTDOWN or the loss of the control connection reaches the
 * program as the `stop` callback.
 *
 * Everything the launcher or atoll-cpu sends is checked before a callback
 * sees it: a callback gets only region offsets and sizes inside the
 * region it describes, lines below num_irqs, and so on. A malformed
 * request is answered with an Error and logged; the device keeps running.
 *
 * Single-threaded: call every function from the loop's thread (the thread
 * that runs the watch callbacks), except where a function says otherwise.
 */
#ifndef ATOLL_DEVICE_H
#define ATOLL_DEVICE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atoll/bus.h>
#include <atoll/watch.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ATOLL_DEVICE_BUILDING)
#define ATOLL_DEVICE_API __attribute__((visibility("default")))
#else
#define ATOLL_DEVICE_API
#endif

typedef struct atoll_dev atoll_dev;

/* Limits the library enforces on a description (atoll_dev_new fails). */
#define ATOLL_DEV_MAX_REGIONS 8u     /* PCI: BARs 0-5; platform: windows */
#define ATOLL_DEV_MAX_IRQS 32u       /* level lines; PCI: 0 or 1 (INTA#) */
#define ATOLL_DEV_MAX_DT_PROPS 16u
/* Most guest-memory regions one MEM_GRANT may carry. */
#define ATOLL_DEV_MAX_MEM_REGIONS 16u

/* ---------------------------------------------------------------------
 * The generic model
 * --------------------------------------------------------------------- */

enum atoll_dev_bus {
	ATOLL_DEV_BUS_PCI = 0,       /* a PCI function: regions are BARs */
	ATOLL_DEV_BUS_PLATFORM = 1,  /* MMIO windows with a device-tree node */
};

struct atoll_dev_region {
	/* BAR number (PCI, 0-5) or MMIO window number (platform). Distinct
	 * within one description. REGION_READ/WRITE name the region by it. */
	uint32_t index;
	uint64_t size;               /* bytes, > 0 */
	bool port_io;                /* PCI only: an I/O BAR (false: MMIO) */
	bool prefetchable;           /* PCI only */
	/*
	 * A guest read of `size` bytes (1, 2, 4 or 8) at `offset`: the
	 * library has checked offset + size <= the region's size. Returns the
	 * value, the guest's bytes in little-endian order (the library sends
	 * the low `size` bytes). NULL: reads return all zeroes.
	 *
	 * A read may have side effects (read-to-clear): lines changed with
	 * atoll_dev_irq_set() from inside this callback reach atoll-cpu
	 * before the read's answer does.
	 */
	uint64_t (*read)(void *opaque, uint32_t index, uint64_t offset,
			 unsigned size);
	/* A guest write of `size` bytes (1, 2, 4 or 8) at `offset`, checked
	 * like a read; `value` holds them in little-endian order. Writes are
	 * posted: the guest does not wait for this. NULL: writes are ignored. */
	void (*write)(void *opaque, uint32_t index, uint64_t offset,
		      unsigned size, uint64_t value);
};

/* One extra property of a platform device's device-tree node, its value
 * exactly as it goes into the FDT (big-endian cells, NUL-terminated
 * strings). atoll-cpu writes compatible, reg, interrupts and
 * interrupt-parent itself; naming those (or phandle, status) is refused
 * by atoll-cpu. */
struct atoll_dev_dt_prop {
	const char *name;
	const void *value;
	size_t len;
};

struct atoll_dev_generic {
	enum atoll_dev_bus bus;
	/* PCI only: the function's identity (config space). */
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint8_t revision;
	uint32_t class_code;         /* base class, subclass, prog-if */
	const struct atoll_dev_region *regions;
	unsigned num_regions;        /* 1..ATOLL_DEV_MAX_REGIONS */
	/* Level interrupt lines 0..num_irqs-1 (PCI: 0 or 1, INTA#). */
	unsigned num_irqs;
	/* Platform only: the node's compatible (required), and extra
	 * properties (optional). */
	const char *dt_compatible;
	const struct atoll_dev_dt_prop *dt_props;
	unsigned num_dt_props;
	/* Optional: atoll-cpu placed region `index` at guest-physical
	 * `address` (informative; accesses still arrive region-relative). */
	void (*placed)(void *opaque, uint32_t index, uint64_t address);
};

/* ---------------------------------------------------------------------
 * The device
 * --------------------------------------------------------------------- */

struct atoll_dev_config {
	const char *kind;            /* sent in HELLO: "goldfish-rtc" (required) */
	const char *name;            /* instance name (--name); NULL: kind */
	/* The program's loop (required). `loop` is passed to every op. */
	const struct atoll_watch_ops *watch;
	void *loop;
	/* Diagnostics (optional). */
	atoll_log_fn log;
	void *log_opaque;
	/* Passed to every callback below and to the region callbacks. */
	void *opaque;
	/* The generic model's description, or NULL for a device whose model
	 * another library sets up (libatoll-virtio). Copied by atoll_dev_new
	 * except what its pointers point to (regions, strings, dt_props),
	 * which must outlive the device. */
	const struct atoll_dev_generic *generic;
	/* The session is over: leave the loop and exit with `status` (0 after
	 * SHUTDOWN, 1 when the control connection ended without one: the
	 * launcher is gone). Called once; required with atoll_dev_start(). */
	void (*stop)(void *opaque, int status);
	/* Optional: guest memory has been (re)mapped; DMA may start. */
	void (*memory)(void *opaque);
	/* Optional: a control-connection message the library does not handle
	 * (e.g. FAULT_INJECT). Returns 0 if handled (a request must then be
	 * answered), or -EOPNOTSUPP to have the library answer a request with
	 * Error(EOPNOTSUPP). */
	int (*control_message)(void *opaque, atoll_bus *bus,
			       struct atoll_msg *msg);
	/* Optional: fill in the program's part of a HEALTH report (status,
	 * requests_completed, requests_failed); ok and uptime_ns are set.
	 * A status string must stay valid until the callback's caller
	 * returns. */
	void (*health)(void *opaque, Atoll__HealthReport *report);
	/* Capability bits for HELLO (ATOLL__CAPABILITY__CAP_*). */
	uint64_t capabilities;
};

/* Creates a device. Checks the generic description (if any): region
 * count, sizes and distinct indexes, num_irqs (PCI at most 1), a platform
 * device's dt_compatible, counts within the ATOLL_DEV_MAX_* limits.
 * Returns NULL with errno set (EINVAL for a bad config, ENOMEM). */
ATOLL_DEVICE_API atoll_dev *atoll_dev_new(const struct atoll_dev_config *cfg);

/* Ends both connections (removing their watches), unmaps guest memory
 * and frees the device. No callback runs from here. NULL is a no-op.
 * Not from inside one of this device's callbacks. */
ATOLL_DEVICE_API void atoll_dev_free(atoll_dev *dev);

/*
 * Runs the control session on `control_fd` (the launcher's
 * SOCK_SEQPACKET socket, --fd=N; the library owns it from now on, even on
 * failure): sends HELLO and waits for the launcher's (blocking, at most
 * 10 s), then watches the connection. From then on the library handles
 * MEM_GRANT (posting READY after the first one is mapped), PEER_CONNECT,
 * HEALTH, RESET and SHUTDOWN by itself, and passes anything else to
 * cfg->control_message. Returns 0, or a negative errno (-EPROTO: the
 * launcher refused HELLO or speaks another protocol version; -ETIMEDOUT).
 */
ATOLL_DEVICE_API int atoll_dev_start(atoll_dev *dev, int control_fd);

/*
 * For a program that runs the control connection itself (Atoll's own
 * devices do, through their common runtime): handles the device's part of
 * a control message, MEM_GRANT, PEER_CONNECT or RESET, replying to a
 * request. Returns 0 if handled, -EOPNOTSUPP for any other type. The
 * program posts READY itself (atoll_dev_has_memory() says when).
 */
ATOLL_DEVICE_API int atoll_dev_control_message(atoll_dev *dev, atoll_bus *bus,
					       struct atoll_msg *msg);

/* The config's opaque; the name in force (config name, else kind). */
ATOLL_DEVICE_API void *atoll_dev_opaque(const atoll_dev *dev);
ATOLL_DEVICE_API const char *atoll_dev_name(const atoll_dev *dev);

/* True once guest memory is mapped. */
ATOLL_DEVICE_API bool atoll_dev_has_memory(const atoll_dev *dev);
/* Bytes of guest memory mapped (the sum of the grant's regions). */
ATOLL_DEVICE_API uint64_t atoll_dev_memory_size(const atoll_dev *dev);

/* ---------------------------------------------------------------------
 * DMA: guest-physical accesses, only inside the memory grant
 * --------------------------------------------------------------------- */

/*
 * A host pointer to guest-physical [gpa, gpa + len), or NULL if that range
 * is not wholly inside one granted region (or, with `write`, the region is
 * read-only), or len is 0. Valid until guest memory is remapped (the
 * `memory` callback) or the device is freed. The guest may change the
 * memory at any time: copy what you check before you use it.
 */
ATOLL_DEVICE_API void *atoll_dev_dma_ptr(atoll_dev *dev, uint64_t gpa,
					 uint64_t len, bool write);
/* Copies len bytes from/to guest-physical gpa. The range must lie inside
 * one granted region (writes: a writable one). Returns 0, -EFAULT outside
 * the grant (nothing copied), -EINVAL for len 0. */
ATOLL_DEVICE_API int atoll_dev_dma_read(atoll_dev *dev, uint64_t gpa,
					void *buf, size_t len);
ATOLL_DEVICE_API int atoll_dev_dma_write(atoll_dev *dev, uint64_t gpa,
					 const void *buf, size_t len);

/* ---------------------------------------------------------------------
 * Level interrupt lines (generic model)
 * --------------------------------------------------------------------- */

/*
 * Sets line `line` (below num_irqs) to `level`. The library remembers
 * every line's level and posts IRQ_LEVEL to atoll-cpu when it changes
 * (and, after a new peer has connected and described the device, for each
 * line that is high). Called from a region read callback, the message is
 * sent before that read's answer. Returns 0 (also with no peer connected:
 * the level is kept), -EINVAL for a bad line or a device without the
 * generic model, or the bus's negative errno if posting failed.
 */
ATOLL_DEVICE_API int atoll_dev_irq_set(atoll_dev *dev, unsigned line,
				       bool level);
/* The level last set for `line` (false for a bad line). */
ATOLL_DEVICE_API bool atoll_dev_irq_get(const atoll_dev *dev, unsigned line);

/* ---------------------------------------------------------------------
 * Another model on the peer connection (libatoll-virtio uses this)
 * --------------------------------------------------------------------- */

struct atoll_dev_model {
	/* A message on the peer connection after its HELLO. Requests must be
	 * answered, now or later. */
	void (*message)(void *opaque, atoll_bus *peer, struct atoll_msg *msg);
	/* A new peer connection replaces the old one (or the first arrives):
	 * start over (the old connection is already gone). Optional. */
	void (*attached)(void *opaque);
	/* The peer connection ended or was replaced. Optional. */
	void (*detached)(void *opaque);
	/* Guest memory is about to be remapped: return 0 to allow it, or a
	 * negative errno (-EBUSY: pointers into the old mapping are in use).
	 * Optional. */
	int (*memory_changing)(void *opaque);
	/* RESET on the control connection. Optional. */
	void (*reset)(void *opaque);
};

/* Hands the peer connection to `model` (with `opaque`), for a device
 * created without cfg->generic. At most once; a NULL model takes it back
 * (the model library does this when it is freed: no hook runs after).
 * Returns 0 or -EINVAL (generic device, or a model already set). */
ATOLL_DEVICE_API int atoll_dev_set_model(atoll_dev *dev,
					 const struct atoll_dev_model *model,
					 void *opaque);
/* The peer connection (after PEER_CONNECT), or NULL. */
ATOLL_DEVICE_API atoll_bus *atoll_dev_peer(atoll_dev *dev);
/* The control connection to the launcher (after atoll_dev_start), or
 * NULL: for a message the device posts of its own accord (atoll-virtio-gpu
 * posts SCANOUT_DIRTY on it). */
ATOLL_DEVICE_API atoll_bus *atoll_dev_control(atoll_dev *dev);
/* The watch ops and loop the device was created with, for a model
 * library that watches fds of its own (*loop is set). */
ATOLL_DEVICE_API const struct atoll_watch_ops *
atoll_dev_watch(const atoll_dev *dev, void **loop);
/* Logs through the config's log callback (no-op without one). */
ATOLL_DEVICE_API void atoll_dev_log(atoll_dev *dev, enum atoll_log_level level,
				    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
ATOLL_DEVICE_API void atoll_dev_vlog(atoll_dev *dev, enum atoll_log_level level,
				     const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#ifdef __cplusplus
}
#endif

#endif
