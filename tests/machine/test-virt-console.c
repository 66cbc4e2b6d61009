/* SPDX-License-Identifier: MIT */
/* The UART's output never holds the machine: a guest that writes far more
 * than its console stream takes, to a peer that never reads, still runs
 * to its power-off; the stream gets what fits and the rest is dropped.
 * (The run's deadline only tells a hang from a pass.) */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test-util.h"
#include "virt.h"

#define RAM (16ull << 20)
#define BYTES 102400   /* 0x19000: more than a pipe holds */

/* lui t0,0x10000; lui t1,0x19; li t2,'x'; loop: sb t2,0(t0); addi t1,t1,-1;
 * bnez t1,loop; lui t0,0x100; t1 = 0x5555; sw t1,0(t0) (power off); j . */
static const uint32_t prog[] = {
	0x100002b7, 0x00019337, 0x07800393, 0x00728023, 0xfff30313,
	0xfe031ce3, 0x001002b7, 0x00005337, 0x55530313, 0x0062a023,
	0x0000006f,
};

static int exited;

static void on_exit_cb(void *o) { __atomic_store_n(&exited, 1, __ATOMIC_SEQ_CST); }

static const struct virt_events ev = { .exited = on_exit_cb };

START_TEST(unread_console_does_not_stall_the_guest)
{
	int fds[2], pipe_size, n;
	char err[256], *buf;
	struct virt *v;
	void *ram = calloc(1, RAM);
	struct virt_config c = {
		.nharts = 1, .ram = ram, .ram_size = RAM,
		.max_insns = 10000000,
	};

	ck_assert_ptr_nonnull(ram);
	CHECK_OK(pipe2(fds, O_NONBLOCK));   /* the launcher's stream is too */
	pipe_size = fcntl(fds[1], F_GETPIPE_SZ);
	ck_assert_int_lt(pipe_size, BYTES);
	c.console_fd = fds[1];
	v = virt_new(&c, &ev, NULL);
	ck_assert_ptr_nonnull(v);
	CHECK_OK(virt_boot_bare(v, prog, sizeof(prog), err, sizeof(err)));
	CHECK_OK(virt_start(v));
	for (int i = 0; i < 2000 && !__atomic_load_n(&exited, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	virt_stop(v);
	ck_assert_msg(virt_exit_status(v, NULL, NULL) == VIRT_POWEROFF,
		      "the guest did not finish writing %d bytes to a console "
		      "nobody reads within 20 s", BYTES);
	buf = malloc(BYTES);
	ck_assert_ptr_nonnull(buf);
	n = (int)read(fds[0], buf, BYTES);
	ck_assert_int_eq(n, pipe_size);   /* what fit; the rest was dropped */
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(buf[i], 'x');
	free(buf);
	virt_free(v);
	close(fds[0]);
	close(fds[1]);
	free(ram);
}
END_TEST

static Suite *virt_console_suite(void)
{
	Suite *s = suite_create("virt-console");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, unread_console_does_not_stall_the_guest);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(virt_console_suite)
