/* SPDX-License-Identifier: MIT */
/*
 * RISC-V hart emulation library (RV64IMAFDC + Zicsr + Zifencei, privileged
 * spec 1.12 M/S/U, Sv39/Sv48, CLINT) used by atoll-cpu's `dbt` accelerator.
 *
 * Threading model: one host thread per hart, each calling rv_hart_run() on
 * its own hart.  Guest RAM is a plain host pointer shared by all harts.
 * Functions marked "thread-safe" may be called from any thread at any time
 * while harts run; everything else must be called while the hart it touches
 * is not inside rv_hart_run().
 *
 * The library never logs, never exits and creates no threads.
 */
#ifndef ATOLL_RV_H
#define ATOLL_RV_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rv_vm;
struct rv_hart;

/*
 * Device access for physical addresses outside RAM and ROM (and outside the
 * CLINT window when clint_base is set).  Called concurrently from every hart
 * thread: the machine does its own locking.  size is 1, 2, 4 or 8 and paddr
 * is naturally aligned (the core splits misaligned MMIO accesses into bytes).
 * Return 0 on success, <0 to make the guest take an access fault.
 */
struct rv_mmio_ops {
	int (*read)(void *opaque, uint64_t paddr, unsigned size, uint64_t *val);
	int (*write)(void *opaque, uint64_t paddr, unsigned size, uint64_t val);
};

enum rv_engine {
	RV_ENGINE_DEFAULT = 0, /* env ATOLL_RV_ENGINE=interp|block|jit, else jit
				* on x86-64 hosts, block elsewhere */
	RV_ENGINE_INTERP = 1,  /* instruction-at-a-time reference interpreter */
	RV_ENGINE_BLOCK = 2,   /* cached, chained pre-decoded blocks */
	RV_ENGINE_JIT = 3,     /* hot blocks to native code (x86-64 hosts) */
};

/* 1 if RV_ENGINE_JIT can run on this host (x86-64). */
int rv_jit_supported(void);

struct rv_vm_config {
	void *ram;          /* host mapping of guest RAM, ram_size bytes */
	uint64_t ram_base;  /* guest physical base, e.g. 0x80000000 */
	uint64_t ram_size;
	const void *rom;    /* optional read-only, executable region; NULL: none */
	uint64_t rom_base;  /* e.g. 0x1000 for the QEMU-virt reset vector */
	uint64_t rom_size;
	unsigned nharts;    /* 1..RV_MAX_HARTS; mhartid = index */
	const struct rv_mmio_ops *mmio; /* NULL: every other access faults */
	void *mmio_opaque;
	/*
	 * If nonzero, the CLINT (size RV_CLINT_SIZE) is served inside the core
	 * at this physical base (0x02000000 on virt) without calling mmio.
	 * If zero, route the window to rv_clint_read/rv_clint_write yourself.
	 */
	uint64_t clint_base;
	uint64_t tohost_addr; /* 0: none; else a store there ends the run */
	int engine;           /* enum rv_engine */
	/* Per-hart instruction budget for tests; 0 = unlimited. */
	uint64_t max_insns;
	/*
	 * Lockstep: check every step of the engine against the interpreter
	 * (registers, pc, CSRs, instret, stores) and stop with RV_EXIT_FATAL
	 * on a difference, printing both states to stderr.  One hart only.
	 * 0: env ATOLL_RV_LOCKSTEP (1; 2 or "verbose": counts at exit);
	 * 1: on; 2: on, counts printed when rv_hart_run() returns.
	 */
	int lockstep;
};

#define RV_MAX_HARTS 64u
#define RV_CLINT_SIZE 0x10000u
#define RV_MTIME_HZ 10000000u /* mtime ticks at 10 MHz, like QEMU virt */

/* Why rv_hart_run() returned. */
enum rv_exit {
	RV_EXIT_STOPPED = 0,     /* rv_vm_stop() was called */
	RV_EXIT_TOHOST_PASS = 1, /* some hart stored 1 to tohost */
	RV_EXIT_TOHOST_FAIL = 2, /* stored v != 1; rv_vm_tohost() gives v */
	RV_EXIT_INSN_LIMIT = 3,  /* max_insns reached on this hart */
	RV_EXIT_FATAL = 4,       /* internal error, lockstep mismatch or
				  * refusal; see rv_vm_error() */
};

/* mip bits the machine may drive with rv_hart_set_irq(). */
#define RV_MIP_SSIP (1ull << 1)
#define RV_MIP_MSIP (1ull << 3)
#define RV_MIP_STIP (1ull << 5)
#define RV_MIP_MTIP (1ull << 7)
#define RV_MIP_SEIP (1ull << 9)
#define RV_MIP_MEIP (1ull << 11)

/*
 * Creates a VM with cfg->nharts harts, all reset to pc = ram_base, priv M.
 * The config (not the RAM/ROM it points to) is copied.  Returns NULL and
 * sets errno (EINVAL for a bad config, ENOMEM) on failure.
 */
struct rv_vm *rv_vm_new(const struct rv_vm_config *cfg);

/* Frees the VM; harts must not be running.  Accepts NULL. */
void rv_vm_free(struct rv_vm *vm);

/* Returns hart i, or NULL if i >= nharts. */
struct rv_hart *rv_vm_hart(struct rv_vm *vm, unsigned i);

unsigned rv_vm_nharts(const struct rv_vm *vm);

/*
 * Architectural reset: priv M, pc, all x/f registers 0, CSRs at reset
 * values, caches flushed.  Typical boot: rv_hart_reset(h, 0x1000) then
 * a0 = hartid, a1 = dtb address via rv_hart_set_reg().
 */
void rv_hart_reset(struct rv_hart *h, uint64_t pc);

/* x registers 1..31 (writes to x0 are ignored).  Not thread-safe. */
void rv_hart_set_reg(struct rv_hart *h, unsigned reg, uint64_t val);
uint64_t rv_hart_get_reg(const struct rv_hart *h, unsigned reg);
uint64_t rv_hart_get_freg(const struct rv_hart *h, unsigned reg);
uint64_t rv_hart_get_pc(const struct rv_hart *h);
void rv_hart_set_pc(struct rv_hart *h, uint64_t pc);
/* Current privilege: 0 U, 1 S, 3 M. */
unsigned rv_hart_get_priv(const struct rv_hart *h);

/*
 * Reads a CSR by number without privilege checks or side effects (for
 * debugging and tests).  Returns 0, or -ENOENT for an unknown CSR.
 */
int rv_hart_get_csr(struct rv_hart *h, unsigned csr, uint64_t *val);

/*
 * Runs the hart on the calling thread until rv_vm_stop(), a tohost store,
 * the instruction budget or a fatal error.  Returns an enum rv_exit.
 * A hart sitting in WFI sleeps (no spinning) until an interrupt is pending,
 * its mtimecmp is reached or the VM is stopped.
 */
int rv_hart_run(struct rv_hart *h);

/* Thread-safe (not async-signal-safe: it takes per-hart mutexes): makes
 * every hart return from rv_hart_run() soon. */
void rv_vm_stop(struct rv_vm *vm);

/* Clears the stop request so harts can run again. */
void rv_vm_resume(struct rv_vm *vm);

/* The value stored to tohost (0 if none yet). */
uint64_t rv_vm_tohost(const struct rv_vm *vm);

/* Static description of the last RV_EXIT_FATAL, or NULL. */
const char *rv_vm_error(const struct rv_vm *vm);

/*
 * Thread-safe: drives an interrupt line into the hart's mip (MEIP and SEIP
 * from the PLIC; MSIP/MTIP are owned by the CLINT but accepted too).  A
 * sleeping hart wakes up.  SEIP as seen by the guest is the OR of this line
 * and the software-writable SEIP bit, as the spec requires.
 */
void rv_hart_set_irq(struct rv_hart *h, uint64_t mip_bit, bool level);

/* Instructions executed by the hart so far, trapping ones included (what
 * max_insns counts; minstret leaves out the ones that trapped). */
uint64_t rv_hart_insn_count(const struct rv_hart *h);
/* Host-CPU yields after runs of PAUSE (spin-wait loops), since reset. */
uint64_t rv_hart_spin_yields(const struct rv_hart *h);
/* Block/jit engines: cached blocks compared with memory again (after a
 * store to their page, fence.i, reset), since the hart was created. */
uint64_t rv_hart_code_checks(const struct rv_hart *h);
/* Lockstep: steps checked against the interpreter, and steps that could
 * not be (devices, time/mip reads, WFI, code stores); 0 when off. */
void rv_hart_lockstep_counts(const struct rv_hart *h, uint64_t *compared,
			     uint64_t *skipped);

/*
 * CLINT registers (QEMU virt layout): msip[hart] at 0x0 + 4*hart,
 * mtimecmp[hart] at 0x4000 + 8*hart, mtime at 0xbff8.  off is relative to
 * the CLINT base; size 4 or 8.  Thread-safe.  Return 0 or -EINVAL.
 * mtime counts RV_MTIME_HZ from CLOCK_MONOTONIC; writes to mtime are
 * ignored.
 */
int rv_clint_read(struct rv_vm *vm, uint64_t off, unsigned size, uint64_t *val);
int rv_clint_write(struct rv_vm *vm, uint64_t off, unsigned size, uint64_t val);

/* Current mtime value (thread-safe). */
uint64_t rv_vm_mtime(const struct rv_vm *vm);

#ifdef __cplusplus
}
#endif

#endif
