/* SPDX-License-Identifier: MIT */
/*
 * The hostile device against the virtio-blk profile, once per attempt,
 * as root or as an unprivileged user (argv[1]). Every attempt must fail
 * with the sandbox on; the positive control must work; with the sandbox
 * off, the attacks that need no privilege must WORK (so this test can
 * see a missing sandbox), unless that control run itself shows the host
 * cannot do it (host-control.c): then the row is "not applicable on this
 * host", neither a pass nor a failure, and the sandbox-on run must still
 * fail. Prints the table; exit 0 pass, 1 fail, 77 skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"
#include "host-control.h"
#include "host-probe.h"

struct attempt {
	const char *name;
	const char *kind;        /* profile; NULL: virtio-blk */
	const char *arg;         /* "" / a path / "victim" */
	bool off_must_work;      /* with the sandbox off this attack works */
};

static char dir[64], manifest[128], disk[128], bus[128], mnt[128];
static char self[512];
static char victim_s[16], victim_mem[48];
/* A host abstract unix socket (no file, no permissions: only a network
 * namespace keeps a process from it) the test listens on. */
static char abstract_name[48];
/* A TCP listener on the host's 127.0.0.1 (io_uring connect attempts). */
static char tcp_port[8];
static struct sandbox_profile *net, *cpu;
/* Inherited by the forked victim at the same address. */
static char victim_secret[16] = "victim secret";
static struct host_facts host;
/* Rows whose sandbox-off control cannot work on this host. */
static int not_applicable;

static const struct attempt attempts[] = {
	{ "shadow", NULL, "", false },
	{ "host-file", NULL, manifest, true },
	{ "host-file-rw", NULL, disk, true },
	{ "exec-sh", NULL, "", true },
	{ "exec-memfd", NULL, self, true },
	{ "exec-fd1023", NULL, self, true },
	{ "socket-inet", NULL, "", true },
	{ "ptrace", NULL, victim_s, false },   /* Yama may forbid it anyway */
	{ "kill", NULL, victim_s, true },
	{ "proc-mem", NULL, victim_mem, false },
	{ "vm-read", NULL, victim_mem, false },
	{ "bus-connect", NULL, bus, true },
	{ "memfd-quota", NULL, "", false },
	{ "memfd-quota", "testdev", "", false },
	{ "fd-quota", NULL, "", false },
	{ "exec-memfd", "testdev", self, true },
	{ "fork", NULL, "", true },
	{ "int80", NULL, "", true },
	{ "x32", NULL, "", false },     /* most kernels lack x32 */
	{ "capset", NULL, "", false },
	{ "setuid0", NULL, "", false },
	{ "unshare-user", NULL, "", false },
	{ "mount", NULL, mnt, false },
#ifdef HOSTILE_URING
	/* io_uring operations never meet seccomp: a fresh ring meets the
	 * namespaces; the blk device's own restricted ring and its lockout
	 * (no fresh ring after start-up) hold with the sandbox off too */
	{ "uring-openat", NULL, manifest, true },
	{ "uring-connect", NULL, tcp_port, true },
	{ "uring-restricted", NULL, manifest, false },
	{ "uring-lockout", NULL, "", false },
#endif
	/* virtio-net keeps the host network namespace for slirp: socket()'s
	 * arguments are what keeps it from these */
	{ "abstract", "virtio-net", abstract_name, true },
	{ "netlink", "virtio-net", "", true },
	/* W^X (base.yaml's wx: deny), under the jit's own profile */
	{ "map-wx", "cpu", "", true },
	{ "mprotect-wx", "cpu", "", true },
};

static int skip(const char *why)
{
	printf("SKIP: %s\n", why);
	return 77;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return -errno;
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Listens on the abstract name "\0<name>"; kept open until exit. */
static int abstract_listen(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				    1 + strlen(name));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s", name);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 ||
	    listen(fd, 4) < 0)
		return -1;
	return 0;
}

/* Listens on 127.0.0.1, any port (written to tcp_port); kept open. */
static int tcp_listen(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 ||
	    listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	snprintf(tcp_port, sizeof(tcp_port), "%u", ntohs(a.sin_port));
	return 0;
}

/* The attempt's profile: virtio-blk unless it names another kind. */
static const struct sandbox_profile *
attempt_profile(const struct attempt *at, const struct sandbox_profile *blk,
		const struct sandbox_profile *testdev)
{
	if (!at->kind)
		return blk;
	if (!strcmp(at->kind, "cpu"))
		return cpu;
	return !strcmp(at->kind, "virtio-net") ? net : testdev;
}

static int setup(int *bus_fd, pid_t *victim)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof(dir), "/tmp/atoll-sbx-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	snprintf(manifest, sizeof(manifest), "%s/manifest.yaml", dir);
	snprintf(disk, sizeof(disk), "%s/other-vm-disk.img", dir);
	snprintf(bus, sizeof(bus), "%s/other-device.sock", dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	if (mkdir(mnt, 0700) < 0)
		return -errno;
	if (write_text(manifest, "machine: x86\n") < 0 ||
	    write_text(disk, "disk image of another VM\n") < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", bus);
	*bus_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (*bus_fd < 0 || bind(*bus_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(*bus_fd, 4) < 0)
		return -errno;
	/* The victim ignores SIGTERM so a successful kill() (sandbox off)
	 * does not change the later attempts. */
	if ((*victim = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	snprintf(abstract_name, sizeof(abstract_name), "atoll-test-%d",
		 (int)getpid());
	if (abstract_listen(abstract_name) < 0 || tcp_listen() < 0)
		return -errno;
	snprintf(victim_s, sizeof(victim_s), "%d", (int)*victim);
	snprintf(victim_mem, sizeof(victim_mem), "%d:%lx", (int)*victim,
		 (unsigned long)victim_secret);
	return *victim > 0 ? 0 : -errno;
}

/* "errno=13 Permission denied", "killed: forbidden socket", ... and
 * whether the attack worked. */
static bool outcome(const struct attempt *at, const struct run_result *r,
		    char *buf, size_t len)
{
	char key[96];
	const char *line;

	if (!r->spawned) {
		snprintf(buf, len, "NOT SPAWNED: %.200s", r->error);
		return false;
	}
	if (r->violation[0]) {
		snprintf(buf, len, "killed: seccomp, forbidden %s",
			 r->violation);
		return false;
	}
	snprintf(key, sizeof(key), "RESULT %s ", at->name);
	line = strstr(r->out, key);
	if (line) {
		line += strlen(key);
		snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
		return !strncmp(line, "ok", 2);
	}
	if (!r->exited)
		snprintf(buf, len, "killed by signal %d (%s)", r->code,
			 strsignal(r->code));
	else if (r->code == 0)
		/* A successful exec replaced the hostile program. */
		snprintf(buf, len, "ok: exec'd another program (exit 0)");
	else
		snprintf(buf, len, "exit %d without a result", r->code);
	return r->exited && r->code == 0;
}

static int run_one(const struct sandbox_profile *p, bool off,
		   const struct attempt *at, char *buf, size_t len,
		   bool *worked, struct run_result *r)
{
	char *argv[] = { self, (char *)at->name, (char *)at->arg, NULL };
	int rc = harness_run(p, off, argv, r);

	if (rc < 0)
		return rc;
	*worked = outcome(at, r, buf, len);
	return 0;
}

/* The off column: the control's outcome, or why it cannot work here. */
static const char *off_column(const struct attempt *at,
			      const struct run_result *off, bool worked_off,
			      char *buf, size_t len, bool *na)
{
	char why[200];

	*na = at->off_must_work && !worked_off &&
	      host_control_na(at->name, off, &host, why, sizeof(why));
	if (*na)
		snprintf(buf, len, "not applicable on this host: %s", why);
	return buf;
}

/* The harness must see a permitted action succeed, through a granted fd,
 * or "everything failed" would prove nothing. */
static bool positive_control(const struct sandbox_profile *p, bool off)
{
	char *argv[] = { self, "granted-write", NULL };
	struct run_result r;

	if (harness_run(p, off, argv, &r) < 0 || !r.spawned) {
		printf("positive control (sandbox %s): not spawned: %s\n",
		       off ? "off" : "on", r.error);
		return false;
	}
	bool ok = strstr(r.out, "RESULT granted-write ok") &&
		  !strcmp(r.fd3, "hello\n") && r.exited && r.code == 0;
	printf("%-24s | %-52s |\n", off ? "granted-write (off)" :
	       "granted-write (on)", ok ? "ok (wrote \"hello\" to granted fd 3, "
	       "read back)" : "FAILED");
	return ok;
}

/* W^X forbids W and X at once, not W then X: under the cpu profile a
 * page written, then made read+execute, still runs (what a jit does). */
static bool w_then_x_control(void)
{
	char *argv[] = { self, "w-then-x", NULL };
	struct run_result r;
	bool ok = harness_run(cpu, false, argv, &r) == 0 && r.spawned &&
		  strstr(r.out, "RESULT w-then-x ok ran written code: 42") &&
		  r.exited && r.code == 0;

	printf("%-24s | %-52s |\n", "w-then-x (cpu, on)", ok ?
	       "ok (wrote code, mprotect to R+X, ran it: 42)" :
	       r.violation[0] ? r.violation : "FAILED");
	return ok;
}

/* TIOCSTI needs the terminal to be the caller's controlling tty: a child
 * takes a fresh pty as its ctty, then runs the attempt with the pty as
 * fd 0, sandbox on and off; with it off, the injected byte must show up
 * on the master side. Prints the row; returns the number of problems. */
static int tiocsti_row(const struct sandbox_profile *blk)
{
	char *argv[] = { self, "tiocsti", NULL }, line[700] = "";
	struct attempt at = { "tiocsti", NULL, "", true };
	int pfd[2], st;
	pid_t pid;

	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		struct run_result r;
		char on[300], off[300], c = 0;
		bool w_on, w_off, na;
		int m, s;
		struct termios t;
		struct pollfd pf;

		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setsid() < 0)
			_exit(2);
		/* No pty at all (no devpts) is the host's, before any run. */
		if ((m = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
		    grantpt(m) < 0 || unlockpt(m) < 0 ||
		    (s = open(ptsname(m), O_RDWR)) < 0 || tcgetattr(s, &t) < 0) {
			dprintf(pfd[1], "%-24s | %-52s | not applicable on this "
				"host: no pseudo-terminal: %s\n",
				"tiocsti (pty ctty)", "", strerror(errno));
			_exit(3);
		}
		/* raw: an injected byte is readable without a newline */
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
		harness_run_in(blk, false, argv, s, &r);
		w_on = outcome(&at, &r, on, sizeof(on));
		harness_run_in(blk, true, argv, s, &r);
		pf = (struct pollfd){ s, POLLIN, 0 };
		w_off = outcome(&at, &r, off, sizeof(off)) &&
			poll(&pf, 1, 1000) == 1 && read(s, &c, 1) == 1 &&
			c == '#';
		off_column(&at, &r, w_off, off, sizeof(off), &na);
		dprintf(pfd[1], "%-24s | %-52.52s | %s%s\n", "tiocsti (pty ctty)",
			on, off, w_on ? "   <== ESCAPED THE SANDBOX" :
			!w_off && !na ? "   <== control should have worked" : "");
		_exit(w_on ? 1 : na ? 3 : !w_off);
	}
	close(pfd[1]);
	(void)!read(pfd[0], line, sizeof(line) - 1);
	close(pfd[0]);
	printf("%s", line[0] ? line : "tiocsti: no result\n");
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	not_applicable += WEXITSTATUS(st) == 3;
	return WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3;
}

/* One attempt, sandbox on then off: prints its row; 1 for a problem. */
static int attempt_row(const struct sandbox_profile *p,
		       const struct attempt *at)
{
	char label[40], on[320], offb[320];
	struct run_result r_on, r_off;
	bool worked_on, worked_off, na;

	if (run_one(p, false, at, on, sizeof(on), &worked_on, &r_on) < 0 ||
	    run_one(p, true, at, offb, sizeof(offb), &worked_off, &r_off) < 0)
		return printf("%s: harness error\n", at->name), 1;
	off_column(at, &r_off, worked_off, offb, sizeof(offb), &na);
	not_applicable += na;
	snprintf(label, sizeof(label), "%s%s%s%s", at->name,
		 at->kind ? " (" : "", at->kind ? at->kind : "",
		 at->kind ? ")" : "");
	printf("%-24s | %-52.52s | %s%s\n", label, on, offb,
	       worked_on ? "   <== ESCAPED THE SANDBOX" :
	       at->off_must_work && !worked_off && !na ?
	       "   <== control should have worked" : "");
	/* Not spawning proves nothing: a harness failure. */
	return worked_on || !r_on.spawned || !r_off.spawned ||
	       (at->off_must_work && !worked_off && !na);
}

/* RLIMIT_FSIZE: the hostile device writes one byte at the profile's
 * fsize into a granted file (its fd 0, as a disk image would be). Prints
 * the row; returns 1 for a problem. */
static int fsize_row(const struct sandbox_profile *blk)
{
	const struct sandbox_rlimit *rl = &blk->rlimits[SANDBOX_RL_FSIZE];
	char limit[24], file[160], on[300], off[300];
	char *argv[] = { self, "fsize-grow", limit, NULL };
	struct attempt at = { "fsize-grow", NULL, limit, true };
	struct run_result r;
	bool w_on = false, w_off = false;

	/* Without a limit in the profile, 1 GiB shows the file growing. */
	snprintf(limit, sizeof(limit), "%llu", rl->set &&
		 rl->value != RLIM_INFINITY ? (unsigned long long)rl->value :
		 1ull << 30);
	snprintf(file, sizeof(file), "%s/granted-disk.img", dir);
	for (int off_run = 0; off_run < 2; off_run++) {
		int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		bool *w = off_run ? &w_off : &w_on;

		if (fd < 0 || harness_run_in(blk, off_run, argv, fd, &r) < 0)
			return printf("fsize-grow: harness error\n"), 1;
		close(fd);
		*w = outcome(&at, &r, off_run ? off : on, sizeof(on)) &&
		     r.spawned;
	}
	unlink(file);
	printf("%-24s | %-52.52s | %s%s\n", "fsize-grow (granted fd)", on, off,
	       w_on ? "   <== ESCAPED THE SANDBOX" :
	       !w_off ? "   <== control should have worked" : "");
	return w_on || !w_off;
}

static int run_all(const struct sandbox_profile *blk,
		   const struct sandbox_profile *testdev)
{
	int failures = 0;

	printf("\n%-24s | %-52s | %s\n", "attempt", "sandbox on (virtio-blk "
	       "profile)", "sandbox off (control)");
	printf("-------------------------+------------------------------------------------"
	       "------+----------------------\n");
	if (!positive_control(blk, false) || !positive_control(blk, true))
		failures++;
	failures += !w_then_x_control();
	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		const struct attempt *at = &attempts[i];

		failures += attempt_row(attempt_profile(at, blk, testdev), at);
	}
	return failures + tiocsti_row(blk) + fsize_row(blk);
}

int main(int argc, char **argv)
{
	struct sandbox_profile *p = NULL, *testdev = NULL;
	struct sandbox_error err;
	char msg[600];
	int bus_fd = -1, failures;
	pid_t victim = -1;

	if (argc != 3 || !realpath(argv[2], self))
		return fprintf(stderr, "usage: %s root|unprivileged HOSTILE\n",
			       argv[0]), 2;
	if (!strcmp(argv[1], "root") && geteuid() != 0)
		return skip("the root variant needs root");
	if (!strcmp(argv[1], "unprivileged") && geteuid() == 0 &&
	    drop_to_nobody() < 0)
		return skip("cannot drop to uid 65534");
	/* A host without what the sandbox needs (e.g. user namespaces
	 * disabled) cannot run either variant: a skip, not a failure. */
	if (host_sandbox_unavailable(msg, sizeof(msg)))
		return skip(msg);
	if (sandbox_profile_load(NULL, "virtio-blk", &p, &err) < 0 ||
	    sandbox_profile_load(NULL, "testdev", &testdev, &err) < 0 ||
	    sandbox_profile_load(NULL, "virtio-net", &net, &err) < 0 ||
	    sandbox_profile_load(NULL, "cpu", &cpu, &err) < 0) {
		sandbox_error_format(&err, msg, sizeof(msg));
		return fprintf(stderr, "%s\n", msg), 1;
	}
	if (setup(&bus_fd, &victim) < 0)
		return perror("setup"), 1;
	host_facts_read(&host);
	printf("running as uid %d; victim pid %d; files in %s\n",
	       (int)geteuid(), (int)victim, dir);
	failures = run_all(p, testdev);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	close(bus_fd);
	unlink(manifest);
	unlink(disk);
	unlink(bus);
	rmdir(mnt);
	rmdir(dir);
	sandbox_profile_free(p);
	sandbox_profile_free(testdev);
	sandbox_profile_free(net);
	sandbox_profile_free(cpu);
	printf("\n%s: %d problem(s), %d row(s) not applicable on this host\n",
	       failures ? "FAIL" : "PASS", failures, not_applicable);
	return failures ? 1 : 0;
}
