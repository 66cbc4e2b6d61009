/* SPDX-License-Identifier: MIT */
#include "cpu-launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_msg(atoll_bus *bus, struct atoll_msg *m, void *opaque)
{
	struct cpu_launch *l = opaque;

	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		Atoll__Hello r = ATOLL__HELLO__INIT;

		r.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		r.role = ATOLL__ROLE__ROLE_LAUNCHER;
		r.kind = (char *)"launcher";
		r.name = (char *)"test";
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &r.base,
				NULL, 0);
		l->hello = 1;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_READY) {
		l->ready = 1;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_POWER_EVENT) {
		l->powered = 1;
	} else if (m->type == ATOLL__MSG_TYPE__MSG_DEVICE_FAULT) {
		const Atoll__DeviceFault *f = (const Atoll__DeviceFault *)m->body;

		l->faults++;
		snprintf(l->fault_device, sizeof(l->fault_device), "%s",
			 f->device ? f->device : "");
		snprintf(l->fault_reason, sizeof(l->fault_reason), "%s",
			 f->reason ? f->reason : "");
	}
}

static void on_closed(atoll_bus *bus, int err, void *opaque)
{
	((struct cpu_launch *)opaque)->closed = 1;
}

static const struct atoll_bus_callbacks cbs = { on_msg, on_closed, NULL };

int cpu_launch_start(struct cpu_launch *l, const char *cpu, const char *prog)
{
	char bare[4096];
	int sv[2];

	memset(l, 0, sizeof(*l));
	l->console = -1;
	snprintf(bare, sizeof(bare), "--bare=%s", prog);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	l->pid = fork();
	if (l->pid < 0)
		return -errno;
	if (l->pid == 0) {
		int b = fcntl(sv[1], F_DUPFD, 10);

		dup2(b, 3);
		execl(cpu, cpu, "--fd=3", "--name=cpu0", "--machine",
		      "riscv-virt", "--cpus", "1", "--memory", "64M", bare,
		      (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	l->bus = atoll_bus_new(sv[0], &cbs, l);
	return l->bus ? 0 : -errno;
}

void cpu_launch_pump(struct cpu_launch *l, const int *flag, int secs)
{
	time_t end = time(NULL) + secs;

	while (!*flag && !l->closed && time(NULL) < end) {
		struct pollfd p = { .fd = atoll_bus_fd(l->bus), .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			while (atoll_bus_dispatch(l->bus) > 0 && !*flag)
				;
	}
}

int cpu_launch_setup(struct cpu_launch *l)
{
	Atoll__MemRegion reg = ATOLL__MEM_REGION__INIT, *regs[1] = { &reg };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	Atoll__ConsoleAttach ca = ATOLL__CONSOLE_ATTACH__INIT;
	int fd = memfd_create("ram", MFD_CLOEXEC), sv[2], rc;

	if (fd < 0 || ftruncate(fd, (off_t)CPU_LAUNCH_RAM) < 0)
		return -errno;
	l->ram = mmap(NULL, CPU_LAUNCH_RAM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (l->ram == MAP_FAILED)
		return -errno;
	reg.name = (char *)"ram0";
	reg.guest_addr = CPU_LAUNCH_RAM_BASE;
	reg.size = CPU_LAUNCH_RAM;
	g.n_regions = 1;
	g.regions = regs;
	rc = atoll_bus_post(l->bus, ATOLL__MSG_TYPE__MSG_MEM_GRANT, &g.base,
			    &fd, 1);
	close(fd);
	if (rc < 0)
		return rc;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ca.name = (char *)"serial0";
	rc = atoll_bus_post(l->bus, ATOLL__MSG_TYPE__MSG_CONSOLE_ATTACH,
			    &ca.base, &sv[1], 1);
	close(sv[1]);
	l->console = sv[0];
	return rc;
}

int cpu_launch_connect(struct cpu_launch *l, const char *name, int fd)
{
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;

	pc.peer = (char *)name;
	pc.peer_role = ATOLL__ROLE__ROLE_DEVICE;
	pc.peer_kind = (char *)"external";
	return atoll_bus_post(l->bus, ATOLL__MSG_TYPE__MSG_PEER_CONNECT,
			      &pc.base, &fd, 1);
}

int cpu_launch_resume(struct cpu_launch *l)
{
	Atoll__Resume res = ATOLL__RESUME__INIT;
	struct atoll_msg *r = NULL;
	int rc = atoll_bus_call(l->bus, ATOLL__MSG_TYPE__MSG_RESUME, &res.base,
				NULL, 0, 10000, &r);

	atoll_msg_free(r);
	return rc;
}

int cpu_launch_finish(struct cpu_launch *l)
{
	int st;

	for (int i = 0; i < 1000; i++) {
		if (waitpid(l->pid, &st, WNOHANG) == l->pid)
			goto done;
		usleep(10000);
	}
	kill(l->pid, SIGKILL);
	waitpid(l->pid, &st, 0);
	st = -1;
done:
	atoll_bus_free(l->bus);
	if (l->console >= 0)
		close(l->console);
	if (l->ram && l->ram != MAP_FAILED)
		munmap(l->ram, CPU_LAUNCH_RAM);
	return st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
