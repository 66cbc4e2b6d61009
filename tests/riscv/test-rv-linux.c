/* SPDX-License-Identifier: MIT */
/*
 * Boots OpenSBI + a Linux Image + initramfs on the core with the harness
 * machine (no PLIC: the UART is polled) and requires the guest's init to
 * print its markers and power off through sifive_test.  The kernel comes
 * from scripts/build-guest.sh's cache (ATOLL_GUEST_DIR, default
 * ~/.cache/atoll/guest/current); without it the test skips.
 * Usage: test-rv-linux [harts [interp|block]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rvdtb.h"

#define RAM (256ull << 20)
#define KERNEL_OFF 0x200000ull
#define INITRD_OFF 0x8000000ull
#define INFO_OFF 0xfe00000ull
#define DTB_OFF 0xff00000ull

static long load(struct rvh *t, const char *path, uint64_t off)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(t->ram + off, 1, t->ram_size - off, f);
	fclose(f);
	return n ? (long)n : -1;
}

struct watchdog {
	struct rvh *t;
	int secs;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

/* Stops the VM after secs seconds so a hung boot fails with its console. */
static void *watchdog(void *p)
{
	struct watchdog *w = p;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += w->secs;
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) != 0)
			break;
	if (!w->done)
		rv_vm_stop(w->t->vm);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static const char *engine_name(int engine)
{
	const char *e = getenv("ATOLL_RV_ENGINE");

	if (engine == RV_ENGINE_DEFAULT)
		return e && *e ? e : "default";
	return engine == RV_ENGINE_INTERP ? "interp" :
	       engine == RV_ENGINE_JIT ? "jit" : "block";
}

static int boot(const char *dir, unsigned harts, int engine)
{
	char kpath[1024], ipath[1024];
	struct rvh *t = calloc(1, sizeof(*t));
	struct timespec t0, t1;
	/* hvc0 (SBI console): the harness UART has no interrupt line */
	char args[] = "console=hvc0 earlycon=sbi";

	snprintf(kpath, sizeof(kpath), "%s/Image", dir);
	snprintf(ipath, sizeof(ipath), "%s/initramfs.cpio.gz", dir);
	if (!t || rvh_init_ram(t, harts, engine, 0, RAM, 0) < 0)
		return 1;
	t->finisher_stops = 1;
	long isz;
	if (load(t, RVH_OPENSBI, 0) < 0 || load(t, kpath, KERNEL_OFF) < 0 ||
	    (isz = load(t, ipath, INITRD_OFF)) < 0) {
		fprintf(stderr, "cannot load firmware/kernel/initrd\n");
		return 1;
	}
	if (rvh_build_dtb(t->ram + DTB_OFF, 0x10000, harts, RAM, args,
			  RVH_RAM_BASE + INITRD_OFF,
			  RVH_RAM_BASE + INITRD_OFF + (uint64_t)isz) != 0)
		return 1;
	rvh_fw_dynamic_info(t->ram + INFO_OFF, RVH_RAM_BASE + KERNEL_OFF, 0);
	rvh_boot_sbi(t, DTB_OFF, INFO_OFF);
	struct watchdog w = { t, getenv("RV_LINUX_TIMEOUT") ?
			      atoi(getenv("RV_LINUX_TIMEOUT")) : 120,
			      PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, &w);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int reason = rvh_run(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&w.lock);
	w.done = 1;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(wd, NULL);
	t->uart[t->uart_len] = 0;
	int ok = t->powered_off && strstr(t->uart, "ATOLL-MARKER poweroff");
	if (!ok || getenv("RV_SHOW_CONSOLE"))
		fputs(t->uart, stdout);
	if (!ok) {
		struct rv_hart *h = rv_vm_hart(t->vm, 0);
		uint64_t mc = 0, me = 0, mt = 0;
		rv_hart_get_csr(h, 0x342, &mc);
		rv_hart_get_csr(h, 0x341, &me);
		rv_hart_get_csr(h, 0x343, &mt);
		printf("exit %d tohost %#llx pc %#llx priv %u mcause %#llx "
		       "mepc %#llx mtval %#llx\n", reason,
		       (unsigned long long)rv_vm_tohost(t->vm),
		       (unsigned long long)rv_hart_get_pc(h), rv_hart_get_priv(h),
		       (unsigned long long)mc, (unsigned long long)me,
		       (unsigned long long)mt);
	}
	uint64_t n = 0;
	for (unsigned i = 0; i < harts; i++)
		n += rv_hart_insn_count(rv_vm_hart(t->vm, i));
	printf("linux %u hart(s) %s engine: %s in %.2f s, %llu instructions\n",
	       harts, engine_name(engine),
	       ok ? "booted to init and powered off" : "FAILED",
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
	       (unsigned long long)n);
	rvh_fini(t);
	free(t);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("ATOLL_GUEST_DIR");
	char def[512], img[600];
	struct stat st;

	if (!dir) {
		snprintf(def, sizeof(def), "%s/.cache/atoll/guest/current",
			 getenv("HOME") ? getenv("HOME") : "/root");
		dir = def;
	}
	snprintf(img, sizeof(img), "%s/Image", dir);
	if (stat(img, &st) != 0 || stat(RVH_OPENSBI, &st) != 0) {
		printf("SKIP: no guest kernel in %s (scripts/build-guest.sh) or "
		       "no OpenSBI\n", dir);
		return 77;
	}
	if (argc > 1)
		return boot(dir, (unsigned)atoi(argv[1]),
			    argc < 3 ? RV_ENGINE_DEFAULT :
			    strcmp(argv[2], "interp") == 0 ? RV_ENGINE_INTERP :
			    strcmp(argv[2], "jit") == 0 ? RV_ENGINE_JIT :
			    RV_ENGINE_BLOCK);
	/* the default engine: ATOLL_RV_ENGINE picks another */
	return boot(dir, 1, RV_ENGINE_DEFAULT) | boot(dir, 2, RV_ENGINE_DEFAULT);
}
