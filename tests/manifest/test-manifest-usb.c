/* SPDX-License-Identifier: MIT */
/* Kind usb (launcher/kinds/usb.c): the ports: list and each port type's
 * keys, refused at their line and field; a host device only with
 * --allow-usb-host; the plan's command line (--device=... in port order)
 * and the fds it grants (images in their modes, a redir peer's connected
 * socket). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kind.h"
#include "manifest-test.h"
#include "test-util.h"
#include "usb.h"

#define DEV "devices:\n  - name: u0\n    kind: usb\n"
#define PORTS MT_BASE DEV "    ports:\n"
#define KBD "      - type: keyboard\n"

/* Granting nothing: every file is in $MT, the manifest's directory. */
static const struct mt_bad bad[] = {
	{ MT_BASE DEV, 8, 5, "devices[0]", { "missing required field "
					     "\"ports\"" } },
	{ MT_BASE DEV "    ports: keyboard #<\n", 0, 12, "devices[0].ports",
	  { "expected a list of ports" } },
	{ MT_BASE DEV "    ports: [] #<\n", 0, 0, "devices[0].ports",
	  { "0 ports; the controller has 1 to 8" } },
	{ MT_BASE DEV "    ports: [{type: keyboard}, {type: keyboard}, "
	  "{type: keyboard}, {type: keyboard}, {type: keyboard}, {type: "
	  "keyboard}, {type: keyboard}, {type: keyboard}, {type: tablet}] "
	  "#<\n", 0, 0, "devices[0].ports",
	  { "9 ports; the controller has 1 to 8" } },
	{ MT_BASE DEV "    type: keyboard #<\n    ports: [{type: keyboard}]\n",
	  0, 5, "devices[0].type", { "not valid for kind usb" } },
	/* type */
	{ PORTS "      - type: keybaord #<\n", 0, 15, "devices[0].ports[0].type",
	  { "unknown value \"keybaord\"", "did you mean \"keyboard\"?" } },
	{ PORTS "      - type: mouse #<\n", 0, 15, "devices[0].ports[0].type",
	  { "unknown value \"mouse\"", "keyboard, tablet, storage, redir, "
	    "host" } },
	{ PORTS KBD "      - {vendor: 0x1234} #<\n", 0, 0,
	  "devices[0].ports[1]", { "missing required field \"type\"" } },
	{ PORTS "      - keyboard #<\n", 0, 9, "devices[0].ports[0]",
	  { "expected a mapping" } },
	/* each type's keys are its own */
	{ PORTS "      - type: keyboard\n        image: disk.img #<\n", 0, 9,
	  "devices[0].ports[0].image", { "not valid for port type keyboard" } },
	{ PORTS "      - type: redir\n        socket: s\n        vendor: 1 #<\n",
	  0, 9, "devices[0].ports[0].vendor",
	  { "not valid for port type redir" } },
	{ PORTS "      - type: storage\n        imgae: u.img #<\n", 0, 9,
	  "devices[0].ports[0].imgae", { "did you mean \"image\"?" } },
	/* vendor, product: 16 bits, not 0 */
	{ PORTS "      - type: tablet\n        vendor: 0x10000 #<\n", 0, 17,
	  "devices[0].ports[0].vendor", { "0x10000 is out of range",
					  "0x0001..0xffff" } },
	{ PORTS "      - type: tablet\n        product: 0 #<\n", 0, 18,
	  "devices[0].ports[0].product", { "0 is out of range" } },
	{ PORTS "      - type: tablet\n        vendor: 0x12g4 #<\n", 0, 17,
	  "devices[0].ports[0].vendor", { "expected a 16-bit USB id" } },
	{ PORTS "      - type: tablet\n        vendor: -1 #<\n", 0, 17,
	  "devices[0].ports[0].vendor", { "expected a 16-bit USB id" } },
	{ PORTS "      - type: keyboard\n        serial: \"a,b\" #<\n", 0, 18,
	  "devices[0].ports[0].serial", { "serial \"a,b\": 1 to 32" } },
	{ PORTS "      - type: keyboard\n        serial: "
	  "\"0123456789012345678901234567890123\" #<\n", 0, 18,
	  "devices[0].ports[0].serial", { "1 to 32" } },
	/* storage: its image, a whole number of blocks */
	{ PORTS KBD "      - type: storage #<\n", 0, 0, "devices[0].ports[1]",
	  { "missing required field \"image\"" } },
	{ PORTS "      - type: storage\n        image: nothere.img #<\n", 0, 16,
	  "devices[0].ports[0].image", { "No such file" } },
	{ PORTS "      - type: storage\n        image: /etc/passwd #<\n", 0, 16,
	  "devices[0].ports[0].image", { "\"/etc/passwd\" is outside" } },
	{ PORTS "      - type: storage\n        image: disk.img #<\n", 0, 16,
	  "devices[0].ports[0].image", { "image is 4 bytes",
					 "multiple of 512" } },
	{ PORTS "      - type: storage\n        image: u.img\n"
	  "        readonly: maybe #<\n", 0, 19, "devices[0].ports[0].readonly",
	  { "expected a boolean" } },
	{ PORTS "      - type: storage\n        image: u.img\n"
	  "        speed: full #<\n", 0, 16, "devices[0].ports[0].speed",
	  { "unknown value \"full\"", "super, high" } },
	{ PORTS "      - type: keyboard\n        speed: high #<\n", 0, 9,
	  "devices[0].ports[0].speed", { "not valid for port type keyboard" } },
	/* redir: a unix socket beneath the manifest's directory */
	{ PORTS "      - type: redir #<\n", 0, 0, "devices[0].ports[0]",
	  { "missing required field \"socket\"" } },
	{ PORTS "      - type: redir\n        socket: u.img #<\n", 0, 17,
	  "devices[0].ports[0].socket", { "not a unix socket" } },
	/* host: the operator's to grant */
	{ PORTS "      - type: host #<\n        device: 001/004\n", 0, 15,
	  "devices[0].ports[0].type", { "a host USB device",
					"(allow with --allow-usb-host)" } },
	/* the planned kinds are gone; kind gpu is virtio-gpu's */
	{ MT_BASE "devices:\n  - name: g0\n    kind: gpu #<\n", 0, 11,
	  "devices[0].kind", { "unknown value \"gpu\"",
			       "did you mean \"virtio-gpu\"?" } },
};

/* With --allow-usb-host: the device's name. */
static const struct mt_bad bad_host[] = {
	{ PORTS "      - type: host #<\n", 0, 0, "devices[0].ports[0]",
	  { "missing required field \"device\"" } },
	{ PORTS "      - type: host\n        device: /dev/bus/usb/001/004 #<\n",
	  0, 17, "devices[0].ports[0].device", { "expected \"BUS/DEVICE\"" } },
	{ PORTS "      - type: host\n        device: 001/128 #<\n", 0, 17,
	  "devices[0].ports[0].device", { "device 1..127" } },
	{ PORTS "      - type: host\n        device: 0/1 #<\n", 0, 17,
	  "devices[0].ports[0].device", { "bus 1..255" } },
	{ PORTS "      - type: host\n        device: \"1/2/3\" #<\n", 0, 18,
	  "devices[0].ports[0].device", { "expected \"BUS/DEVICE\"" } },
	{ PORTS "      - type: host\n        device: 001/004\n"
	  "        serial: x #<\n", 0, 9, "devices[0].ports[0].serial",
	  { "not valid for port type host" } },
};

static char sock_path[100];   /* fits sun_path */
static int sock_fd = -1;

/* $MT/u.img: a 2 KiB disk; $MT/ro.img: 1 KiB; $MT/redir.sock listening. */
static void usb_setup(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char img[2048 + 1];

	mt_setup();
	memset(img, 'u', sizeof(img));
	img[2048] = '\0';
	mt_write("u.img", img);
	img[1024] = '\0';
	mt_write("ro.img", img);
	snprintf(sock_path, sizeof(sock_path), "%s/redir.sock", mt_dir());
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	CHECK_OK(sock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CHECK_OK(bind(sock_fd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(sock_fd, 8));
}

static void usb_teardown(void)
{
	close(sock_fd);
	sock_fd = -1;
	mt_teardown();
}

static void refuse(const struct mt_bad *b, const struct manifest_policy *p,
		   int i)
{
	const char *path = mt_write("bad.yaml", b->yaml);
	struct manifest_error err;
	char msg[1024];

	ck_assert_msg(!manifest_load(path, p, &err), "case %d accepted:\n%s",
		      i, b->yaml);
	mt_check_error(b, &err);
	manifest_error_format(&err, msg, sizeof(msg));
	printf("usb case %d: %s\n", i, msg);
}

START_TEST(usb_refused)
{
	refuse(&bad[_i], NULL, _i);
}
END_TEST

START_TEST(usb_host_refused)
{
	struct manifest_policy p = { .allow_usb_host = true };

	refuse(&bad_host[_i], &p, _i);
}
END_TEST

#define FULL PORTS "      - type: keyboard\n        vendor: 0x1234\n" \
	"        product: 22136\n        serial: ABC-1.x_y\n" \
	"      - type: tablet\n" \
	"      - type: storage\n        image: u.img\n" \
	"      - {type: storage, image: ro.img, readonly: true, " \
	"product: 0xBEEF, speed: high}\n" \
	"      - type: redir\n        socket: redir.sock\n"

START_TEST(usb_parsed)
{
	struct vm_config *cfg = mt_load_ok(FULL);
	const struct device_config *d = &cfg->devices[0];
	const struct usb_config *x = d->data;

	ck_assert_ptr_eq(d->ops, &kind_usb);
	ck_assert_str_eq(d->ops->program, "atoll-usb");
	ck_assert_uint_eq(x->nports, 5);
	ck_assert_int_eq(x->ports[0].type, USB_PORT_KEYBOARD);
	ck_assert_uint_eq(x->ports[0].vendor, 0x1234);
	ck_assert_uint_eq(x->ports[0].product, 22136);
	ck_assert_str_eq(x->ports[0].serial, "ABC-1.x_y");
	ck_assert_int_eq(x->ports[1].type, USB_PORT_TABLET);
	ck_assert_uint_eq(x->ports[1].vendor, 0);
	ck_assert_ptr_null(x->ports[1].serial);
	ck_assert_str_eq(x->ports[2].image, mt_path("u.img"));
	ck_assert(!x->ports[2].readonly);
	ck_assert(!x->ports[2].high_speed);
	ck_assert(x->ports[3].readonly);
	ck_assert(x->ports[3].high_speed);
	ck_assert_uint_eq(x->ports[3].product, 0xbeef);
	ck_assert_str_eq(x->ports[4].socket, mt_path("redir.sock"));
	ck_assert(usb_has_port(d, USB_PORT_KEYBOARD));
	ck_assert(usb_has_port(d, USB_PORT_TABLET));
	ck_assert(!usb_has_port(d, USB_PORT_HOST));
	vm_config_free(cfg);
}
END_TEST

/* --state-fd=4, then one --device per port, in port order; the images as
 * fds 5 (rw) and 6 (ro), the redir peer's connection as 7; RLIMIT_FSIZE
 * the writable disk's size. */
START_TEST(usb_plan_command_line)
{
	struct vm_config *cfg = mt_load_ok(FULL);
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };
	static const char *const want[] = {
		"--state-fd=4",
		"--device=keyboard,vendor=0x1234,product=0x5678,serial=ABC-1.x_y",
		"--device=tablet",
		"--device=storage,fd=5",
		"--device=storage,fd=6,readonly,speed=high,product=0xbeef",
		"--device=redir,fd=7",
	};
	struct stat st;
	int fd, peer;

	CHECK_OK(d->ops->plan(d, &plan));
	ck_assert_uint_eq(plan.argc, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(plan.argv[i], want[i]);
	ck_assert_uint_eq(plan.spawn.nfds, 4);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 5), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 6), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	ck_assert_int_ge(fd = mt_plan_granted(&plan, 7), 0);
	CHECK_OK(fstat(fd, &st));
	ck_assert(S_ISSOCK(st.st_mode));
	/* connected to our listener: it has a connection waiting */
	CHECK_OK(peer = accept4(sock_fd, NULL, NULL, SOCK_CLOEXEC));
	close(peer);
	ck_assert(plan.spawn.fsize.set);
	ck_assert_uint_eq(plan.spawn.fsize.value, 2048);
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* Keyboards and tablets need nothing of the host: no fd but the state,
 * no limit. */
START_TEST(usb_plan_hid_only)
{
	struct vm_config *cfg = mt_load_ok(PORTS "      - type: tablet\n");
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };

	CHECK_OK(d->ops->plan(d, &plan));
	ck_assert(mt_plan_has_arg(&plan, "--device=tablet"));
	ck_assert_uint_eq(plan.spawn.nfds, 1);
	ck_assert(!plan.spawn.fsize.set);
	ck_assert(!usb_has_port(d, USB_PORT_KEYBOARD));
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* An image cut to a size the disk cannot have after `atoll check`, a
 * redir peer gone: the start fails, saying which port and why. */
START_TEST(usb_plan_refuses_at_start)
{
	struct vm_config *cfg = mt_load_ok(PORTS KBD
					   "      - type: storage\n"
					   "        image: u.img\n");
	const struct device_config *d = &cfg->devices[0];
	struct launch_plan plan = { .cfg = cfg };

	CHECK_OK(truncate(mt_path("u.img"), 1000));
	ck_assert_int_lt(d->ops->plan(d, &plan), 0);
	ck_assert_msg(strstr(plan.why, "port 2 image") &&
		      strstr(plan.why, "multiple of 512"), "%s", plan.why);
	launch_plan_release(&plan);
	vm_config_free(cfg);

	cfg = mt_load_ok(PORTS "      - type: redir\n"
			 "        socket: redir.sock\n");
	d = &cfg->devices[0];
	plan = (struct launch_plan){ .cfg = cfg };
	close(sock_fd);
	sock_fd = -1;
	ck_assert_int_lt(d->ops->plan(d, &plan), 0);
	ck_assert_msg(strstr(plan.why, "port 1: connect to"), "%s", plan.why);
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* A host device is opened at the start, by its bus and device number;
 * one that is not there fails the start with its path. */
START_TEST(usb_plan_host_device)
{
	struct manifest_policy p = { .allow_usb_host = true };
	struct vm_config *cfg = mt_load_with(PORTS KBD "      - type: host\n"
					     "        device: 3/127\n", &p);
	const struct device_config *d = &cfg->devices[0];
	const struct usb_config *x = d->data;
	struct launch_plan plan = { .cfg = cfg };
	struct stat st;

	ck_assert_uint_eq(x->ports[1].bus, 3);
	ck_assert_uint_eq(x->ports[1].addr, 127);
	if (stat("/dev/bus/usb/003/127", &st) == 0) {
		printf("skip: /dev/bus/usb/003/127 exists here\n");
	} else {
		ck_assert_int_lt(d->ops->plan(d, &plan), 0);
		ck_assert_msg(strstr(plan.why, "port 2: cannot open "
				     "/dev/bus/usb/003/127"), "%s", plan.why);
	}
	launch_plan_release(&plan);
	vm_config_free(cfg);
}
END_TEST

/* The state memfd: XHCI_STATE_SIZE bytes, sealed against resizing, the
 * same file at every start (a restarted controller finds its state), and
 * the launcher's copy outlives each start's. */
START_TEST(usb_plan_state_kept)
{
	struct vm_config *cfg = mt_load_ok(PORTS KBD);
	const struct device_config *d = &cfg->devices[0];
	struct stat st, again;

	for (int start = 0; start < 2; start++) {
		struct launch_plan plan = { .cfg = cfg };
		int fd;

		CHECK_OK(d->ops->plan(d, &plan));
		ck_assert(mt_plan_has_arg(&plan, "--state-fd=4"));
		ck_assert_int_ge(fd = mt_plan_granted(&plan, 4), 0);
		ck_assert_int_ne(fd, usb_state_fd(d));
		CHECK_OK(fstat(fd, start ? &again : &st));
		ck_assert_int_eq(fcntl(fd, F_GET_SEALS) &
				 (F_SEAL_SHRINK | F_SEAL_GROW),
				 F_SEAL_SHRINK | F_SEAL_GROW);
		if (!start)
			CHECK_OK(pwrite(fd, "saved", 5, 0));
		launch_plan_release(&plan);
	}
	ck_assert_uint_eq(st.st_size, 256 * 1024);
	ck_assert_uint_eq(st.st_ino, again.st_ino);
	{
		char buf[6] = "";

		CHECK_OK(pread(usb_state_fd(d), buf, 5, 0));
		ck_assert_str_eq(buf, "saved");
	}
	vm_config_free(cfg);
}
END_TEST

TCase *manifest_usb_tcase(void)
{
	TCase *tc = tcase_create("usb");

	tcase_add_checked_fixture(tc, usb_setup, usb_teardown);
	tcase_add_loop_test(tc, usb_refused, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, usb_host_refused, 0,
			    (int)(sizeof(bad_host) / sizeof(bad_host[0])));
	tcase_add_test(tc, usb_parsed);
	tcase_add_test(tc, usb_plan_command_line);
	tcase_add_test(tc, usb_plan_hid_only);
	tcase_add_test(tc, usb_plan_refuses_at_start);
	tcase_add_test(tc, usb_plan_host_device);
	tcase_add_test(tc, usb_plan_state_kept);
	return tc;
}
