/* SPDX-License-Identifier: MIT */
#include "rvharness.h"

#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef RV_PROG_DIR
#define RV_PROG_DIR ""
#endif

const char *rvh_prog_dir(void)
{
	const char *e = getenv("RV_PROG_DIR");
	if (e && *e)
		return e;
	return RV_PROG_DIR[0] ? RV_PROG_DIR : NULL;
}

/* A 16550-ish UART without interrupts: THR collects bytes, LSR always
 * reports an empty transmitter, IIR reports FIFOs and nothing pending, the
 * other registers read back what was written. */
static int mmio_read(void *opaque, uint64_t pa, unsigned size, uint64_t *v)
{
	struct rvh *t = opaque;
	if (pa >= RVH_UART && pa < RVH_UART + 8) {
		unsigned r = (unsigned)(pa - RVH_UART);
		*v = r == 5 ? 0x60 : r == 2 ? 0xc1 : r == 0 ? 0 : t->uart_regs[r];
		return 0;
	}
	if (pa >= RVH_UART && pa < RVH_UART + 0x100) {
		*v = 0;
		return 0;
	}
	return -1;
}

static int mmio_write(void *opaque, uint64_t pa, unsigned size, uint64_t v)
{
	struct rvh *t = opaque;
	if (pa == RVH_FINISHER) {
		/* sifive_test: 0x5555 is poweroff.  Bare-metal programs store
		 * to tohost right after; a kernel's poweroff ends the run. */
		if ((v & 0xffff) == 0x5555 && t->finisher_stops) {
			t->powered_off = 1;
			rv_vm_stop(t->vm);
		}
		return 0;
	}
	if (pa >= RVH_UART && pa < RVH_UART + 0x100) {
		unsigned r = (unsigned)(pa - RVH_UART);
		if (r == 0 && !(t->uart_regs[3] & 0x80)) {
			if (t->uart_len < sizeof(t->uart) - 1)
				t->uart[t->uart_len++] = (char)v;
		} else if (r < 8) {
			t->uart_regs[r] = (uint8_t)v;
		}
		return 0;
	}
	return -1;
}

static const struct rv_mmio_ops ops = { mmio_read, mmio_write };

int rvh_init(struct rvh *t, unsigned nharts, int engine, uint64_t max_insns)
{
	return rvh_init_ram(t, nharts, engine, max_insns, RVH_RAM_SIZE,
			    RVH_TOHOST);
}

int rvh_init_ram(struct rvh *t, unsigned nharts, int engine,
		 uint64_t max_insns, uint64_t ram_size, uint64_t tohost)
{
	memset(t, 0, sizeof(*t));
	t->ram_size = ram_size;
	t->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED)
		return -errno;
	struct rv_vm_config c = {
		.ram = t->ram, .ram_base = RVH_RAM_BASE, .ram_size = ram_size,
		.nharts = nharts, .mmio = &ops, .mmio_opaque = t,
		.clint_base = RVH_CLINT, .tohost_addr = tohost,
		.engine = engine, .max_insns = max_insns,
	};
	t->vm = rv_vm_new(&c);
	if (!t->vm) {
		int e = -errno;
		munmap(t->ram, ram_size);
		return e;
	}
	return 0;
}

void rvh_fini(struct rvh *t)
{
	rv_vm_free(t->vm);
	if (t->ram)
		munmap(t->ram, t->ram_size);
	t->vm = NULL;
	t->ram = NULL;
}

int rvh_load(struct rvh *t, const char *name, uint64_t off)
{
	char path[1024];
	const char *dir = rvh_prog_dir();

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t n = fread(t->ram + off, 1, t->ram_size - off, f);
	fclose(f);
	return n ? 0 : -EIO;
}

struct runner {
	struct rvh *t;
	unsigned hart;
};

static void *run_thread(void *p)
{
	struct runner *r = p;
	/* The caller's FP flags are not the guest's (t_fp checks fflags
	 * reads 0 after reset with every host flag raised here). */
	feraiseexcept(FE_ALL_EXCEPT);
	r->t->reasons[r->hart] = rv_hart_run(rv_vm_hart(r->t->vm, r->hart));
	/* One hart finishing (e.g. via tohost) stops the rest. */
	rv_vm_stop(r->t->vm);
	return NULL;
}

int rvh_run(struct rvh *t)
{
	unsigned n = rv_vm_nharts(t->vm);
	pthread_t th[RV_MAX_HARTS];
	struct runner r[RV_MAX_HARTS];

	for (unsigned k = 1; k < n; k++) {
		r[k] = (struct runner){ t, k };
		pthread_create(&th[k], NULL, run_thread, &r[k]);
	}
	r[0] = (struct runner){ t, 0 };
	run_thread(&r[0]);
	for (unsigned k = 1; k < n; k++)
		pthread_join(th[k], NULL);
	return t->reasons[0];
}

void rvh_state(struct rvh *t, unsigned hart, struct rvh_state *s)
{
	static const unsigned csrs[12] = { 0x300, 0x341, 0x342, 0x343, 0x141,
					   0x142, 0x143, 0x180, 0x003, 0x302,
					   0x303, 0x304 };
	struct rv_hart *h = rv_vm_hart(t->vm, hart);

	memset(s, 0, sizeof(*s));
	for (unsigned k = 0; k < 32; k++) {
		s->x[k] = rv_hart_get_reg(h, k);
		s->f[k] = rv_hart_get_freg(h, k);
	}
	s->pc = rv_hart_get_pc(h);
	s->priv = rv_hart_get_priv(h);
	for (unsigned k = 0; k < 12; k++)
		rv_hart_get_csr(h, csrs[k], &s->csr[k]);
}

int rvh_run_prog(const char *name, int engine, uint64_t *tohost,
		 struct rvh_state *st)
{
	struct rvh t;
	int r = rvh_init(&t, 1, engine, 50000000);
	if (r < 0)
		return r;
	r = rvh_load(&t, name, 0);
	if (r == 0) {
		r = rvh_run(&t);
		*tohost = rv_vm_tohost(t.vm);
		if (st)
			rvh_state(&t, 0, st);
	}
	rvh_fini(&t);
	return r;
}
