/* SPDX-License-Identifier: MIT */
/*
 * Benchmark: resident memory of atoll-mem after creating a 256 MiB layout,
 * printed beside a reference measured in the same run (an idle `sleep`, the
 * smallest dynamically linked program at hand). Never fails on the figures.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stub.h"

/* VmRSS of a process in KiB from /proc, or -1. */
static long vmrss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static long reference_kib(void)
{
	pid_t pid = fork();
	long kib;

	if (pid == 0) {
		execlp("sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	usleep(200000);
	kib = vmrss_kib(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return kib;
}

int main(void)
{
	const char *exe = getenv("ATOLL_MEM_EXE");
	Atoll__MemRegion reg = ATOLL__MEM_REGION__INIT, *regs[1] = { &reg };
	Atoll__MemLayout l = ATOLL__MEM_LAYOUT__INIT;
	Atoll__Shutdown sd = ATOLL__SHUTDOWN__INIT;
	struct atoll_msg *reply = NULL;
	struct stub s = { 0 };
	long mem_kib;
	int r;

	if (!exe || access("/proc/self/status", R_OK)) {
		printf("SKIP: needs ATOLL_MEM_EXE and /proc\n");
		return 77;
	}
	if (stub_start(&s, exe, "bench", NULL) < 0) {
		fprintf(stderr, "cannot start %s\n", exe);
		return 1;
	}
	reg.name = (char *)"ram0";
	reg.guest_addr = 0x80000000u;
	reg.size = 256u << 20;
	l.n_regions = 1;
	l.regions = regs;
	r = atoll_bus_call(s.bus, ATOLL__MSG_TYPE__MSG_MEM_CREATE, &l.base, NULL,
			   0, 5000, &reply);
	atoll_msg_free(reply);
	if (r < 0 || stub_pump(&s, stub_ready_seen, 5000) < 0) {
		fprintf(stderr, "MEM_CREATE failed: %s\n", strerror(-r));
		stub_stop(&s);
		return 1;
	}
	mem_kib = vmrss_kib(s.pid);
	printf("atoll-mem RSS after a 256 MiB layout: %ld KiB (goal < 3072 KiB)\n",
	       mem_kib);
	printf("reference, idle sleep(1) RSS:        %ld KiB\n", reference_kib());
	atoll_bus_post(s.bus, ATOLL__MSG_TYPE__MSG_SHUTDOWN, &sd.base, NULL, 0);
	stub_wait(&s, 5000);
	stub_stop(&s);
	return mem_kib > 0 ? 0 : 1;
}
