/* SPDX-License-Identifier: MIT */
/*
 * atoll-vhost-user against a back-end nobody here wrote: QEMU's
 * qemu-storage-daemon exporting a raw image as vhost-user-blk. The test
 * plays the launcher and atoll-cpu (tests/blk/driver.c, the real control
 * and peer protocols), does virtio-blk I/O through the bridge, and checks
 * the image from the host. Skips when qemu-storage-daemon is missing.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk-util.h"
#include "host-probe.h"
#include "test-util.h"

#define IMG_SECTORS 16384u          /* 8 MiB */
#define SECTOR 512u
#define SOCKET_FD 20                /* where the bridge inherits it */

static struct drv d;
static char dir[64], img[96], sock[96];
static pid_t qsd = -1;
static struct blk_slot slot;

static const char *qsd_binary(void)
{
	const char *q = getenv("QEMU_STORAGE_DAEMON");

	return q && *q ? q : "/usr/bin/qemu-storage-daemon";
}

static const char *bridge_binary(void)
{
	const char *b = getenv("ATOLL_VHOST_USER");

	return b ? b : "atoll-vhost-user";
}

static void qsd_start(void)
{
	char blockdev[160], export[200];

	snprintf(blockdev, sizeof(blockdev),
		 "driver=file,node-name=disk0,filename=%s", img);
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=disk0,writable=on,"
		 "addr.type=unix,addr.path=%s", sock);
	unlink(sock);
	qsd = fork();
	ck_assert_int_ge(qsd, 0);
	if (qsd == 0) {
		execl(qsd_binary(), qsd_binary(), "--blockdev", blockdev,
		      "--export", export, (char *)NULL);
		_exit(127);
	}
}

static void qsd_stop(void)
{
	int st;

	if (qsd <= 0)
		return;
	kill(qsd, SIGTERM);
	waitpid(qsd, &st, 0);
	qsd = -1;
}

/* Connects to the daemon's socket (it may still be starting) and leaves
 * the connection at SOCKET_FD, inheritable. */
static void connect_backend(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = -1;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	/* A bound on start-up, not a timed check: 10 s. */
	for (int i = 0; i < 200; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_ge(fd, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	}
	ck_assert_msg(fd >= 0, "qemu-storage-daemon never listened on %s", sock);
	CHECK_OK(dup2(fd, SOCKET_FD));
	close(fd);
}

static const char *const bridge_args[] = {
	"--socket-fd=20", "--device=blk", NULL,
};

static void start_bridge(void)
{
	connect_backend();
	CHECK_RET(drv_start(&d, bridge_binary(), -1, bridge_args, NULL), 0);
	close(SOCKET_FD);   /* the bridge holds the only client end */
}

static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/atoll-vu-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(sock, sizeof(sock), "%s/vu.sock", dir);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_OK(fd);
	CHECK_OK(ftruncate(fd, (off_t)IMG_SECTORS * SECTOR));
	close(fd);
	qsd_start();
}

static void teardown(void)
{
	if (d.pid > 0)
		drv_stop(&d);
	qsd_stop();
	unlink(img);
	unlink(sock);
	rmdir(dir);
}

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31u + seed * 7u + (i >> 9));
}

static void negotiate(void)
{
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	CHECK_RET(drv_queue_setup(&d, 0, 128, true), 0);
	CHECK_RET(blk_slot_init(&d, &slot, 1 << 16), 0);
}

static void write_sectors(uint64_t sector, uint32_t len, unsigned seed)
{
	pattern(drv_ptr(&d, slot.data), len, seed);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_OUT, sector, len, false,
			 NULL), VIRTIO_BLK_S_OK);
}

static void read_check(uint64_t sector, uint32_t len, unsigned seed)
{
	uint8_t want[1 << 16];

	memset(drv_ptr(&d, slot.data), 0, len);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_IN, sector, len, true,
			 NULL), VIRTIO_BLK_S_OK);
	pattern(want, len, seed);
	ck_assert_msg(!memcmp(drv_ptr(&d, slot.data), want, len),
		      "sector %llu: read back other bytes",
		      (unsigned long long)sector);
}

/* The image from the host, after the daemon is gone. */
static void image_check(uint64_t sector, uint32_t len, unsigned seed)
{
	uint8_t got[1 << 16], want[1 << 16];
	int fd = open(img, O_RDONLY);

	CHECK_OK(fd);
	ck_assert_int_eq(pread(fd, got, len, (off_t)(sector * SECTOR)), len);
	close(fd);
	pattern(want, len, seed);
	ck_assert_msg(!memcmp(got, want, len), "image at sector %llu differs",
		      (unsigned long long)sector);
}

START_TEST(describes_backend)
{
	uint64_t capacity;

	start_bridge();
	ck_assert_uint_eq(d.device_id, VIRTIO_ID_BLOCK);
	ck_assert_uint_eq(d.num_queues, 1);
	ck_assert_uint_eq(d.config_size, 60);
	ck_assert(d.offered & (1ull << VIRTIO_F_VERSION_1));
	/* vhost-user's own bit never reaches atoll-cpu. */
	ck_assert(!(d.offered & (1ull << 30)));
	CHECK_RET(drv_config_read(&d, 0, &capacity, 8), 0);
	ck_assert_uint_eq(le64toh(capacity), IMG_SECTORS);
	/* A read past the config is refused by the bridge itself. */
	ck_assert_int_lt(drv_config_read(&d, 56, &capacity, 8), 0);
}
END_TEST

START_TEST(io_reaches_image)
{
	uint32_t last_avail, inflight;

	start_bridge();
	negotiate();
	write_sectors(0, 4096, 1);
	write_sectors(1000, 1 << 16, 2);
	read_check(0, 4096, 1);
	read_check(1000, 1 << 16, 2);
	CHECK_RET(blk_do(&d, 0, &slot, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
		  VIRTIO_BLK_S_OK);
	/* GET_VRING_BASE: the back-end took five requests. */
	CHECK_RET(drv_queue_stop(&d, 0, &last_avail, &inflight), 0);
	ck_assert_uint_eq(last_avail, 5);
	ck_assert_int_eq(drv_stop(&d), 0);
	d.pid = 0;
	qsd_stop();
	image_check(0, 4096, 1);
	image_check(1000, 1 << 16, 2);
}
END_TEST

START_TEST(refuses_bad_setup)
{
	start_bridge();
	CHECK_RET(drv_features(&d, 1ull << 30 | 1ull << VIRTIO_F_VERSION_1),
		  -EINVAL);
	CHECK_RET(drv_features(&d, blk_std_features(&d)), 0);
	/* Larger than the offered queue size. */
	CHECK_RET(drv_queue_setup(&d, 0, 512, true), -EINVAL);
	CHECK_RET(drv_queue_setup(&d, 1, 128, true), -EINVAL);
}
END_TEST

/* The back-end restarts under a running queue: the bridge exits (status
 * 1, its restart policy's cue); a new bridge on a new connection gets the
 * same rings, resuming at the used index as atoll-cpu replays it, and the
 * data written before and after is on the image. */
START_TEST(backend_restart)
{
	siginfo_t si;

	start_bridge();
	negotiate();
	write_sectors(8, 4096, 3);
	qsd_stop();
	/* Not reaped (WNOWAIT): drv_restart reaps the old bridge. */
	memset(&si, 0, sizeof(si));
	CHECK_OK(waitid(P_PID, (id_t)d.pid, &si, WEXITED | WNOWAIT));
	ck_assert_int_eq(si.si_code, CLD_EXITED);
	ck_assert_int_eq(si.si_status, 1);
	qsd_start();
	connect_backend();
	CHECK_RET(drv_restart(&d, bridge_binary(), -1, bridge_args), 0);
	close(SOCKET_FD);
	CHECK_RET(drv_features(&d, d.features), 0);
	CHECK_RET(drv_queue_resume(&d, 0), 0);
	read_check(8, 4096, 3);
	write_sectors(64, 4096, 4);
	ck_assert_int_eq(drv_stop(&d), 0);
	d.pid = 0;
	qsd_stop();
	image_check(8, 4096, 3);
	image_check(64, 4096, 4);
}
END_TEST

static Suite *vhost_user_suite(void)
{
	Suite *s = suite_create("vhost-user");
	TCase *tc = tcase_create("qemu-storage-daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, describes_backend);
	tcase_add_test(tc, io_reaches_image);
	tcase_add_test(tc, refuses_bad_setup);
	tcase_add_test(tc, backend_restart);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	const char *sandbox = getenv("ATOLL_DRV_SANDBOX_RUN");
	char why[256];
	const char *skip = NULL;

	if (access(qsd_binary(), X_OK) != 0) {
		printf("SKIP: %s not installed (Debian qemu-system-common)\n",
		       qsd_binary());
		return 77;
	}
	/* Sandboxed runs need what the sandbox needs, probed directly. */
	if (sandbox && *sandbox &&
	    ((skip = build_sandbox_unavailable()) ||
	     (skip = host_sandbox_unavailable(why, sizeof(why))))) {
		printf("SKIP: %s\n", skip);
		return 77;
	}
	sr = srunner_create(vhost_user_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
