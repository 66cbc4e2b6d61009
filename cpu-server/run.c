/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "console.h"
#include "log.h"

static int load_one(const char *what, const char *path, int fd, uint64_t max,
		    struct blob *b)
{
	int r;

	if (!path && fd < 0)
		return 0;
	r = path ? blob_read_path(path, max, b) : blob_read_fd(fd, max, b);
	if (r == -EFBIG)
		log_error("%s %s is larger than guest RAM (%llu bytes)", what,
			  path ? path : "fd", (unsigned long long)max);
	else if (r < 0)
		log_error("cannot read %s %s: %s", what, path ? path : "fd",
			  strerror(-r));
	return r;
}

int boot_files_load(const struct cpu_options *o, uint64_t max,
		    struct boot_files *bf)
{
	const char *fw = o->firmware;
	int r;

	memset(bf, 0, sizeof(*bf));
	if (!fw && o->firmware_fd < 0 && !o->no_firmware && !o->bare &&
	    o->bare_fd < 0)
		fw = CPU_DEFAULT_FIRMWARE;
	if (o->no_firmware)
		fw = NULL;
	r = load_one("firmware", fw, o->no_firmware ? -1 : o->firmware_fd,
		     max, &bf->firmware);
	if (r == 0)
		r = load_one("kernel", o->kernel, o->kernel_fd, max, &bf->kernel);
	if (r == 0)
		r = load_one("initrd", o->initrd, o->initrd_fd, max, &bf->initrd);
	if (r == 0)
		r = load_one("bare-metal image", o->bare, o->bare_fd, max,
			     &bf->bare);
	if (r < 0)
		boot_files_free(bf);
	return r;
}

void boot_files_free(struct boot_files *bf)
{
	blob_free(&bf->firmware);
	blob_free(&bf->kernel);
	blob_free(&bf->initrd);
	blob_free(&bf->bare);
}

static void wake(void *opaque)
{
	struct cpu_run *r = opaque;
	uint64_t one = 1;

	/* An eventfd write only fails when the counter would overflow, in
	 * which case the loop is already woken. */
	if (write(r->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cpu_run *r = arg;
	uint64_t n;
	enum virt_exit why;

	if (read(r->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("wake eventfd: %s", strerror(errno));
	if (!r->virt)
		return;
	if (r->console)
		console_kick(r->console);
	why = virt_exit_status(r->virt, NULL, NULL);
	if (why != VIRT_RUNNING && !r->exit_reported) {
		r->exit_reported = 1;
		if (r->exited)
			r->exited(r, why);
	}
}

int cpu_run_init(struct cpu_run *r, struct event_base *base)
{
	r->base = base;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0)
		return -errno;
	r->wake_ev = event_new(base, r->wake_fd, EV_READ | EV_PERSIST,
			       on_wake, r);
	if (!r->wake_ev || event_add(r->wake_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static const struct virt_events virt_events = {
	.exited = wake,
	.rx_space = wake,
};

static int boot(struct cpu_run *r, const struct boot_files *bf,
		const struct cpu_options *o)
{
	char err[256] = "";
	int ret;

	if (bf->bare.data) {
		ret = virt_boot_bare(r->virt, bf->bare.data, bf->bare.len, err,
				     sizeof(err));
	} else {
		struct virt_linux_boot b = {
			.fw = bf->firmware.data, .fw_len = bf->firmware.len,
			.kernel = bf->kernel.data, .kernel_len = bf->kernel.len,
			.initrd = bf->initrd.data, .initrd_len = bf->initrd.len,
			.bootargs = o->append,
		};

		ret = virt_boot_linux(r->virt, &b, err, sizeof(err));
	}
	if (ret < 0)
		log_error("cannot boot: %s", err[0] ? err : strerror(-ret));
	return ret;
}

int cpu_run_machine(struct cpu_run *r, const struct cpu_options *o,
		    void *ram, uint64_t ram_size, int con_in, int con_out,
		    const struct boot_files *bf)
{
	struct virt_config vc = {
		.nharts = o->cpus, .ram = ram, .ram_size = ram_size,
		.console_fd = con_out, .tohost_addr = o->tohost,
		.engine = o->engine, .max_insns = o->max_insns,
		.mmu_type = o->mmu_type,
	};
	int ret;

	r->virt = virt_new(&vc, &virt_events, r);
	if (!r->virt) {
		ret = -errno;
		log_error("cannot create the machine: %s", strerror(errno));
		return ret;
	}
	if (bf && (ret = boot(r, bf, o)) < 0)
		return ret;
	r->console = console_new(r->base, con_in, virt_uart(r->virt));
	return r->console ? 0 : -ENOMEM;
}

int cpu_run_boot(struct cpu_run *r, const struct cpu_options *o,
		 const struct boot_files *bf)
{
	return boot(r, bf, o);
}

void cpu_run_fini(struct cpu_run *r)
{
	virt_free(r->virt);
	r->virt = NULL;
	console_free(r->console);
	r->console = NULL;
	if (r->wake_ev)
		event_free(r->wake_ev);
	r->wake_ev = NULL;
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	r->wake_fd = -1;
}

int cpu_exit_status(enum virt_exit why)
{
	switch (why) {
	case VIRT_POWEROFF: return CPU_EXIT_POWEROFF;
	case VIRT_RESET: return CPU_EXIT_RESET;
	case VIRT_FAIL: return CPU_EXIT_GUEST_FAIL;
	case VIRT_FATAL: return CPU_EXIT_FATAL;
	case VIRT_INSN_LIMIT: return CPU_EXIT_INSN_LIMIT;
	default: return CPU_EXIT_ERROR;
	}
}
