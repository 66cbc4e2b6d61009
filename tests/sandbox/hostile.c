/* SPDX-License-Identifier: MIT */
/*
 * atoll-testdev-hostile: a test-only "device" that tries ONE escape per
 * run (argv[1] picks it; a seccomp kill would end the run at the first
 * forbidden call anyway) and prints one line on fd 1:
 *   RESULT <attempt> ok <detail>          the attempt worked
 *   RESULT <attempt> errno=<n> <text>     the kernel refused it
 * A run killed before printing is reported by the launcher side.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HOSTILE_URING
#include "hostile-uring.h"
#endif

static int result(const char *attempt, long r, const char *detail)
{
	if (r < 0)
		printf("RESULT %s errno=%d %s%s%s\n", attempt, errno,
		       strerror(errno), detail && detail[0] ? ", " : "",
		       detail ? detail : "");
	else
		printf("RESULT %s ok %s\n", attempt, detail ? detail : "");
	fflush(stdout);
	return 0;
}

static long open_path(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static long exec_sh(void)
{
	char *argv[] = { "sh", "-c", "true", NULL }, *envp[] = { NULL };

	return execve("/bin/sh", argv, envp);
}

/* A copy of ourselves (our directory is visible read-only) in a memfd,
 * executed through the fd: the classic fileless exec. */
static long exec_memfd(const char *self)
{
	char buf[65536], *argv[] = { "x", "noop", NULL }, *envp[] = { NULL };
	int in = open(self, O_RDONLY | O_CLOEXEC), mfd;
	ssize_t n;

	if (in < 0)
		return -1;
	if ((mfd = (int)syscall(SYS_memfd_create, "x", 0)) < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return -1;
	return syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
}

/* The launcher's exec rule names fd 1023; try to take that number. */
static long exec_1023(const char *self)
{
	char *argv[] = { "x", "noop", NULL }, *envp[] = { NULL };
	int fd = open(self, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* dup3, not dup2: a profile may allow it, so the rlimit is what
	 * must stop this (EBADF), not only seccomp. */
	if (dup3(fd, 1023, O_CLOEXEC) < 0)
		return -1;
	return syscall(SYS_execveat, 1023, "", argv, envp, AT_EMPTY_PATH);
}

/* arg "PID:ADDR": ADDR holds a secret in the victim. */
static unsigned long victim_addr(const char *arg)
{
	const char *colon = strchr(arg, ':');

	return colon ? strtoul(colon + 1, NULL, 16) : 0;
}

static long proc_mem(pid_t pid, unsigned long addr)
{
	char path[64], b[16];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	return pread(fd, b, sizeof(b), (off_t)addr);
}

static long vm_read(pid_t pid, unsigned long addr)
{
	char b[16];
	struct iovec l = { b, sizeof(b) }, r = { (void *)addr, sizeof(b) };

	return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

static long unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* arg: the name of a host abstract socket ("\0" + name). */
static long abstract_connect(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s", name);
	return connect(fd, (struct sockaddr *)&a, (socklen_t)(
		offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name)));
}

static long memfd_quota(char *detail, size_t len)
{
	long i;

	/* Each memfd grows to 16 MiB (sparse); RLIMIT_FSIZE (EFBIG) or NOFILE
	 * (EMFILE) must stop this long before 1024 of them. */
	signal(SIGXFSZ, SIG_IGN);
	for (i = 0; i < 1024; i++) {
		int fd = (int)syscall(SYS_memfd_create, "q", 0);

		if (fd < 0 || ftruncate(fd, 16L << 20) < 0) {
			snprintf(detail, len, "stopped after %ld", i);
			return -1;
		}
	}
	snprintf(detail, len, "created %ld memfds of 16 MiB", i);
	return 0;
}

static long fd_quota(char *detail, size_t len)
{
	long i;

	for (i = 0; i < 100000; i++) {
		if (dup(1) < 0) {
			snprintf(detail, len, "after %ld more fds", i);
			return -1;
		}
	}
	snprintf(detail, len, "%ld fds", i);
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

/* Threads are allowed (profile threads: true): clone3 fails with ENOSYS
 * and glibc falls back to clone(CLONE_THREAD). */
static long make_thread(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, thread_main, NULL);

	if (r) {
		errno = r;
		return -1;
	}
	return pthread_join(t, NULL) ? -1 : 0;
}

/* A new process: clone without CLONE_THREAD. */
static long make_process(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -1 : waitpid(pid, NULL, 0) < 0 ? -1 : 0;
}

/* Which fds the program started with: only the granted ones. */
static long list_fds(char *detail, size_t len)
{
	size_t n = 0;

	detail[0] = '\0';
	for (int fd = 0; fd < 1024 && n + 8 < len; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n += (size_t)snprintf(detail + n, len - n, "%s%d",
					      n ? "," : "", fd);
	return 0;
}

/* Other system call ABIs on x86-64: the filter is for the native one;
 * i386 (int 0x80) and x32 (bit 30 set) calls must not slip past it. */
static long int80(void)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* A forbidden call, and if it ever returns (whatever its result), a
 * marker on the granted fd 3: the launcher must kill the process before
 * the call can return, so the marker must never appear. syslog's
 * SIZE_BUFFER action is harmless with the sandbox off. */
static long run_on(void)
{
	long r = syscall(SYS_syslog, 10, NULL, 0);

	(void)!write(3, "ran on\n", 7);
	return r;
}

static long regain_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	d[0].effective = d[0].permitted = 1u << CAP_SYS_ADMIN;
	return syscall(SYS_capset, &h, d);
}

/* On a directory the test owns, and undone at once: this attempt also
 * runs with the sandbox off, as root, in the host's mount namespace. */
static long mount_tmp(const char *dir)
{
	if (dir[0] != '/' || mount("none", dir, "tmpfs", 0, NULL) < 0)
		return -1;
	return umount2(dir, MNT_DETACH) < 0 ? -1 : 0;
}

/* fd 0 is a granted file (a disk image); one byte at offset `arg` (the
 * profile's fsize) would grow it past RLIMIT_FSIZE. */
static long grow_past(const char *arg, char *detail, size_t len)
{
	off_t at = (off_t)strtoll(arg, NULL, 10);

	signal(SIGXFSZ, SIG_IGN);
	if (pwrite(0, "x", 1, at) != 1)
		return -1;
	snprintf(detail, len, "wrote at offset %lld", (long long)at);
	return 0;
}

/* W^X: one anonymous page writable and executable at once, straight
 * away (mmap) or later (mprotect of a writable page). With the sandbox
 * off the kernel allows both. */
static long map_wx(bool later)
{
	int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	void *p = mmap(NULL, 4096, later ? PROT_READ | PROT_WRITE : prot,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	return later ? mprotect(p, 4096, prot) : 0;
}

/* What a jit may do under W^X: write code into a writable page, make it
 * read+execute (never both), run it. */
static long w_then_x(char *detail, size_t len)
{
	static const unsigned char ret42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int (*fn)(void);

	if (p == MAP_FAILED)
		return -1;
#if defined(__x86_64__)
	memcpy(p, ret42, sizeof(ret42));      /* mov eax, 42; ret */
#else
	(void)ret42;
	errno = ENOSYS;
	return -1;
#endif
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0)
		return -1;
	fn = (int (*)(void))(uintptr_t)p;
	snprintf(detail, len, "ran written code: %d", fn());
	return 0;
}

static long run(int argc, char **argv, char *detail, size_t len)
{
	const char *a = argv[1], *arg = argc > 2 ? argv[2] : "";
	pid_t pid = (pid_t)atoi(arg);

	if (!strcmp(a, "noop"))
		return 0;
	if (!strcmp(a, "thread"))
		return make_thread();
	if (!strcmp(a, "fork"))
		return make_process();
	if (!strcmp(a, "list-fds"))
		return list_fds(detail, len);
	if (!strcmp(a, "whoami"))
		return snprintf(detail, len, "pid=%d uid=%d", (int)getpid(),
				(int)getuid());
	if (!strcmp(a, "granted-write"))
		return write(3, "hello\n", 6) == 6 ? 0 : -1;
	if (!strcmp(a, "shadow"))
		return open_path("/etc/shadow", O_RDONLY);
	if (!strcmp(a, "host-file"))
		return open_path(arg, O_RDONLY);
	if (!strcmp(a, "host-file-rw"))
		return open_path(arg, O_RDWR);
	if (!strcmp(a, "exec-sh"))
		return exec_sh();
	if (!strcmp(a, "exec-memfd"))
		return exec_memfd(arg);
	if (!strcmp(a, "exec-fd1023"))
		return exec_1023(arg);
	if (!strcmp(a, "socket-inet"))
		return socket(AF_INET, SOCK_STREAM, 0);
	if (!strcmp(a, "ptrace"))
		return ptrace(PTRACE_ATTACH, pid, 0, 0);
	if (!strcmp(a, "kill"))
		return kill(pid, SIGTERM);
	if (!strcmp(a, "proc-mem"))
		return proc_mem(pid, victim_addr(arg));
	if (!strcmp(a, "vm-read"))
		return vm_read(pid, victim_addr(arg));
	if (!strcmp(a, "bus-connect"))
		return unix_connect(arg);
	if (!strcmp(a, "abstract"))
		return abstract_connect(arg);
	if (!strcmp(a, "netlink"))
		return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!strcmp(a, "memfd-quota"))
		return memfd_quota(detail, len);
	if (!strcmp(a, "fd-quota"))
		return fd_quota(detail, len);
	if (!strcmp(a, "tiocsti"))
		return ioctl(0, TIOCSTI, "#");
	if (!strcmp(a, "int80"))
		return int80();
	if (!strcmp(a, "x32"))
		return syscall(0x40000000L | SYS_getpid);
	if (!strcmp(a, "run-on"))
		return run_on();
	if (!strcmp(a, "capset"))
		return regain_caps();
	if (!strcmp(a, "setuid0"))
		return setuid(0) < 0 ? -1 : getuid() == 0 ? 0 : -1;
	if (!strcmp(a, "unshare-user"))
		return unshare(CLONE_NEWUSER);
	if (!strcmp(a, "mount"))
		return mount_tmp(arg);
	if (!strcmp(a, "map-wx"))
		return map_wx(false);
	if (!strcmp(a, "mprotect-wx"))
		return map_wx(true);
	if (!strcmp(a, "w-then-x"))
		return w_then_x(detail, len);
	if (!strcmp(a, "fsize-grow"))
		return grow_past(arg, detail, len);
#ifdef HOSTILE_URING
	if (!strncmp(a, "uring-", 6))
		return hostile_uring(a, arg, detail, len);
#endif
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	char detail[128] = "";
	long r;

	/* Under the launcher, its options (--fd=3 ...) come first. */
	while (argc > 1 && !strncmp(argv[1], "--", 2)) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [--OPTION...] ATTEMPT [ARG]\n",
			argv[0]);
		return 2;
	}
	r = run(argc, argv, detail, sizeof(detail));
	return result(argv[1], r, detail);
}
