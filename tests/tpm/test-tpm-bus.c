/* SPDX-License-Identifier: MIT */
/*
 * atoll-tpm as the launcher and atoll-cpu see it, over the bus, driving
 * its TIS registers the way Linux's tpm_tis does (locality, commandReady,
 * FIFO bytes, Expect, tpmGo, polling STS for dataAvail, FIFO out):
 * TPM2_GetRandom; PCR_Extend of PCR 16 read back as SHA-256(old || digest)
 * computed here; NV_DefineSpace and NV_Write, then NV_Read of the same
 * bytes from a second process on the same state file; STATE_SAVE and
 * STATE_LOAD bring back a PCR value; a corrupt state file or one of the
 * other TPM version is refused at start; TPM 1.2 GetRandom and Extend.
 *
 * The device sends TPM_Startup itself: the test's own is refused as
 * "already started", as Linux's would be.
 *
 * usage: test-tpm-bus PROGRAM [SANDBOX_RUN|- [DEVICE_ARG]]  (with
 * SANDBOX_RUN the device runs under its profile, kind tpm; DEVICE_ARG,
 * e.g. --inline-wait-ms=0, goes to the device)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <atoll/bus.h>

#include "test-util.h"
#include "tpm-cmd.h"

enum { ACCESS = 0x00, STS = 0x18, FIFO = 0x24, DID_VID = 0xf00 };
#define CALL_MS 5000           /* a hang guard, not a measurement */

static const char *program, *sandbox_run, *device_arg = "--name=tpm0";
static char state_path[] = "/tmp/atoll-tpm-state.XXXXXX";

static struct {
	pid_t pid;
	atoll_bus *ctl, *cpu;
	bool hello, ready;
} t;

static void ctl_message(atoll_bus *bus, struct atoll_msg *m, void *o)
{
	Atoll__Hello h = ATOLL__HELLO__INIT;

	(void)o;
	if (m->type == ATOLL__MSG_TYPE__MSG_HELLO) {
		h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
		h.role = ATOLL__ROLE__ROLE_LAUNCHER;
		atoll_bus_reply(bus, m, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0);
		t.hello = true;
	}
	if (m->type == ATOLL__MSG_TYPE__MSG_READY)
		t.ready = true;
}

static void ignore(atoll_bus *bus, struct atoll_msg *m, void *o)
{
	(void)bus;
	(void)m;
	(void)o;
}

static void closed(atoll_bus *bus, int error, void *o)
{
	(void)bus;
	(void)error;
	(void)o;
}

static void pump(atoll_bus *bus, int ms)
{
	struct pollfd p = { .fd = atoll_bus_fd(bus), .events = POLLIN };

	if (!atoll_bus_queued(bus))
		poll(&p, 1, ms);
	while (atoll_bus_dispatch(bus) > 0 || atoll_bus_queued(bus))
		;
}

static int64_t rd_size(uint64_t off, uint32_t size)
{
	Atoll__RegionRead rr = ATOLL__REGION_READ__INIT;
	struct atoll_msg *reply = NULL;
	uint64_t v = 0;
	int r;

	rr.offset = off;
	rr.size = size;
	r = atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_REGION_READ, &rr.base,
			   NULL, 0, CALL_MS, &reply);
	if (r < 0) {
		atoll_msg_free(reply);
		return r;
	}
	const Atoll__RegionData *d = (const Atoll__RegionData *)reply->body;
	for (size_t i = 0; i < d->data.len && i < 8; i++)
		v |= (uint64_t)d->data.data[i] << (8 * i);
	atoll_msg_free(reply);
	return (int64_t)v;
}

static uint32_t rd(uint64_t off, uint32_t size)
{
	int64_t v = rd_size(off, size);

	ck_assert_msg(v >= 0, "read at 0x%llx: %s", (unsigned long long)off,
		      strerror((int)-v));
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t size, uint32_t value)
{
	Atoll__RegionWrite w = ATOLL__REGION_WRITE__INIT;
	uint8_t b[4] = { value, value >> 8, value >> 16, value >> 24 };

	w.offset = off;
	w.data.data = b;
	w.data.len = size;
	CHECK_OK(atoll_bus_post(t.cpu, ATOLL__MSG_TYPE__MSG_REGION_WRITE,
				&w.base, NULL, 0));
}

/* Starts the device on the state file; returns its exit status if it
 * ended before HELLO (a refused state file), else -1. */
static int spawn(int ctl_fd, const char *version)
{
	int state = open(state_path, O_RDWR);

	ck_assert_int_ge(state, 0);
	t.pid = fork();
	ck_assert_int_ge(t.pid, 0);
	if (t.pid == 0) {
		char v[32];

		snprintf(v, sizeof(v), "--version=%s", version);
		if (dup2(ctl_fd, 3) < 0 || dup2(state, 4) < 0)
			_exit(127);
		if (sandbox_run)
			execl(sandbox_run, "atoll-sandbox-run", "tpm", "--",
			      program, "--fd=3", "--name=tpm0", "--state=4", v,
			      device_arg, (char *)NULL);
		else
			execl(program, program, "--fd=3", "--name=tpm0",
			      "--state=4", v, device_arg, (char *)NULL);
		_exit(127);
	}
	close(ctl_fd);
	close(state);
	return -1;
}

/* The launcher's part and atoll-cpu's (HELLO, DEVICE_DESCRIBE). Returns
 * false if the device ended before its HELLO. */
static bool session(const char *version)
{
	static const struct atoll_bus_callbacks ctl_cb = {
		.message = ctl_message, .closed = closed,
	}, cpu_cb = { .message = ignore, .closed = closed };
	Atoll__MemRegion r0 = ATOLL__MEM_REGION__INIT, *rs[] = { &r0 };
	Atoll__MemGrant g = ATOLL__MEM_GRANT__INIT;
	Atoll__PeerConnect pc = ATOLL__PEER_CONNECT__INIT;
	Atoll__Hello h = ATOLL__HELLO__INIT;
	struct atoll_msg *reply = NULL;
	int ctl[2], peer[2], ram = memfd_create("ram", MFD_ALLOW_SEALING);

	ck_assert_int_ge(ram, 0);
	CHECK_OK(ftruncate(ram, 1 << 20));
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl));
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, peer));
	t.ctl = atoll_bus_new(ctl[0], &ctl_cb, NULL);
	spawn(ctl[1], version);
	/* A fresh TPM 2.0 is manufactured first (seeds): a few seconds. */
	for (int i = 0; i < 300 && !t.hello && !atoll_bus_is_closed(t.ctl); i++)
		pump(t.ctl, 100);
	if (!t.hello) {
		close(ram);
		close(peer[0]);
		close(peer[1]);
		return false;
	}
	r0.guest_addr = 0x80000000;
	r0.size = 1 << 20;
	g.regions = rs;
	g.n_regions = 1;
	CHECK_OK(atoll_bus_post(t.ctl, ATOLL__MSG_TYPE__MSG_MEM_GRANT, &g.base,
				&ram, 1));
	for (int i = 0; i < 50 && !t.ready; i++)
		pump(t.ctl, 100);
	ck_assert_msg(t.ready, "no READY after the memory grant");
	close(ram);
	pc.peer = "cpu";
	pc.peer_role = ATOLL__ROLE__ROLE_CPU;
	CHECK_OK(atoll_bus_post(t.ctl, ATOLL__MSG_TYPE__MSG_PEER_CONNECT,
				&pc.base, &peer[1], 1));
	close(peer[1]);
	t.cpu = atoll_bus_new(peer[0], &cpu_cb, NULL);
	h.protocol_version = ATOLL_BUS_PROTOCOL_VERSION;
	h.role = ATOLL__ROLE__ROLE_CPU;
	CHECK_OK(atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_HELLO, &h.base,
				NULL, 0, CALL_MS, &reply));
	atoll_msg_free(reply);
	reply = NULL;
	CHECK_OK(atoll_bus_call(t.cpu, ATOLL__MSG_TYPE__MSG_DEVICE_DESCRIBE,
				NULL, NULL, 0, CALL_MS, &reply));
	const Atoll__DeviceDesc *d = (const Atoll__DeviceDesc *)reply->body;
	ck_assert_int_eq(d->model, ATOLL__DEVICE_MODEL__MODEL_GENERIC);
	ck_assert_int_eq(d->generic->bus, ATOLL__GENERIC_BUS__BUS_PLATFORM);
	ck_assert_str_eq(d->generic->dt_compatible, "tcg,tpm-tis-mmio");
	ck_assert_uint_eq(d->generic->num_irqs, 0);
	ck_assert_uint_eq(d->generic->regions[0]->size, 0x5000);
	atoll_msg_free(reply);
	return true;
}

static int end_device(void)
{
	int status = -1;

	atoll_bus_free(t.cpu);
	atoll_bus_free(t.ctl);     /* the launcher is gone: the device exits */
	if (t.pid > 0)
		ck_assert_int_eq(waitpid(t.pid, &status, 0), t.pid);
	memset(&t, 0, sizeof(t));
	return status;
}

/* One command through the TIS, as tpm_tis_send/recv do; returns the
 * response length (into resp). */
static size_t transact(const struct tpm_buf *cmd, uint8_t *resp, size_t max)
{
	uint32_t sts;
	size_t n;

	if (!(rd(ACCESS, 1) & 0x20))
		wr(ACCESS, 1, 0x02);                  /* requestUse */
	ck_assert_uint_eq(rd(ACCESS, 1) & 0xa2, 0xa0);
	wr(STS, 1, 0x40);                             /* commandReady */
	ck_assert_uint_eq(rd(STS, 1) & 0xc0, 0xc0);
	for (size_t i = 0; i + 1 < cmd->n; i++)
		wr(FIFO, 1, cmd->b[i]);
	ck_assert_msg(rd(STS, 1) & 0x08, "Expect clear before the last byte");
	wr(FIFO, 1, cmd->b[cmd->n - 1]);
	ck_assert_msg(!(rd(STS, 1) & 0x08), "Expect set after the last byte");
	wr(STS, 1, 0x20);                             /* tpmGo */
	for (int i = 0; i < 3000; i++) {              /* a hang guard */
		sts = rd(STS, 4);
		if ((sts & 0x90) == 0x90)
			break;
		usleep(1000);
	}
	ck_assert_uint_eq(sts & 0x90, 0x90);
	for (n = 0; n < 10; n++)
		resp[n] = (uint8_t)rd(FIFO, 1);
	size_t len = tpm_be32(resp + 2);
	ck_assert_uint_le(len, max);
	ck_assert_uint_eq((rd(STS, 4) >> 8) & 0xffff, len - 10);
	for (; n < len; n++)
		resp[n] = (uint8_t)rd(FIFO, 1);
	ck_assert_uint_eq(rd(STS, 1) & 0x10, 0);     /* nothing left */
	wr(STS, 1, 0x40);
	return len;
}

/* Sends `cmd` and asserts response code 0. */
static size_t ok(const struct tpm_buf *cmd, uint8_t *resp, size_t max)
{
	size_t n = transact(cmd, resp, max);

	ck_assert_msg(tpm_be32(resp + 6) == 0, "command 0x%x: TPM rc 0x%x",
		      tpm_be32(cmd->b + 6), tpm_be32(resp + 6));
	return n;
}

static void sha(const char *alg, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	ck_assert(EVP_DigestInit_ex(c, EVP_get_digestbyname(alg), NULL));
	ck_assert(EVP_DigestUpdate(c, a, alen) && EVP_DigestUpdate(c, b, blen));
	ck_assert(EVP_DigestFinal_ex(c, out, NULL));
	EVP_MD_CTX_free(c);
}

static void fresh_state(void)
{
	int fd = open(state_path, O_RDWR | O_TRUNC);

	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void pcr16(uint8_t out[32])
{
	struct tpm_buf c;
	uint8_t r[256];

	tpm2_pcr_read(&c, 16);
	ck_assert_uint_ge(ok(&c, r, sizeof(r)), TPM2_PCR_READ_DIGEST + 32);
	memcpy(out, r + TPM2_PCR_READ_DIGEST, 32);
}

START_TEST(tpm2_random_and_pcr_extend)
{
	static const uint8_t digest[32] = { 'a', 't', 'o', 'l', 'l' };
	uint8_t r[256], before[32], want[32], got[32];
	struct tpm_buf c;

	fresh_state();
	ck_assert(session("2"));
	ck_assert_uint_eq(rd(DID_VID, 4), 0x00011014);
	/* The device has started the TPM itself, as firmware would. */
	tpm2_startup(&c);
	transact(&c, r, sizeof(r));
	ck_assert_uint_eq(tpm_be32(r + 6), 0x100);     /* TPM_RC_INITIALIZE */
	tpm2_get_random(&c, 16);
	ck_assert_uint_eq(ok(&c, r, sizeof(r)), 12 + 16);
	ck_assert_uint_eq(r[10] << 8 | r[11], 16);
	pcr16(before);
	tpm2_pcr_extend(&c, 16, digest);
	ok(&c, r, sizeof(r));
	sha("SHA256", before, 32, digest, 32, want);
	pcr16(got);
	ck_assert_mem_eq(got, want, 32);
	ck_assert_int_eq(rd_size(0x5000, 4), -EINVAL);  /* outside: refused */
	ck_assert_uint_eq(rd(DID_VID, 4), 0x00011014);  /* still serving */
}
END_TEST

START_TEST(tpm2_nv_survives_a_restart)
{
	static const uint8_t data[16] = "atoll nv 0123456";
	uint8_t r[256];
	struct tpm_buf c;
	int status;

	fresh_state();
	ck_assert(session("2"));
	tpm2_nv_define(&c);
	ok(&c, r, sizeof(r));
	tpm2_nv_write(&c, data);
	ok(&c, r, sizeof(r));
	status = end_device();                  /* launcher gone: exit 1 */
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "status 0x%x", status);

	ck_assert(session("2"));                /* a new process, same file */
	tpm2_nv_read(&c);
	ck_assert_uint_ge(ok(&c, r, sizeof(r)), TPM2_NV_READ_DATA + 16);
	ck_assert_mem_eq(r + TPM2_NV_READ_DATA, data, 16);
}
END_TEST

START_TEST(state_save_and_load_bring_back_a_pcr)
{
	static const uint8_t d1[32] = { 1 }, d2[32] = { 2 };
	Atoll__DeviceState ds = ATOLL__DEVICE_STATE__INIT;
	struct atoll_msg *saved = NULL, *ack = NULL;
	uint8_t r[256], at_save[32], now[32];
	struct tpm_buf c;

	fresh_state();
	ck_assert(session("2"));
	tpm2_pcr_extend(&c, 16, d1);
	ok(&c, r, sizeof(r));
	pcr16(at_save);
	CHECK_OK(atoll_bus_call(t.ctl, ATOLL__MSG_TYPE__MSG_STATE_SAVE, NULL,
				NULL, 0, CALL_MS, &saved));
	const Atoll__DeviceState *s = (const Atoll__DeviceState *)saved->body;
	printf("STATE_SAVE: %zu bytes\n", s->data.len);
	tpm2_pcr_extend(&c, 16, d2);
	ok(&c, r, sizeof(r));
	pcr16(now);
	ck_assert_mem_ne(now, at_save, 32);

	ds.version = s->version;
	ds.data = s->data;
	CHECK_OK(atoll_bus_call(t.ctl, ATOLL__MSG_TYPE__MSG_STATE_LOAD,
				&ds.base, NULL, 0, CALL_MS, &ack));
	atoll_msg_free(ack);
	pcr16(now);             /* no Startup: the volatile state came back */
	ck_assert_mem_eq(now, at_save, 32);

	ds.data.len /= 2;       /* a cut state: refused, the TPM runs on */
	ck_assert_int_lt(atoll_bus_call(t.ctl, ATOLL__MSG_TYPE__MSG_STATE_LOAD,
					&ds.base, NULL, 0, CALL_MS, &ack), 0);
	atoll_msg_free(ack);
	pcr16(now);
	ck_assert_mem_eq(now, at_save, 32);
	atoll_msg_free(saved);
}
END_TEST

static void write_state(const void *p, size_t n)
{
	FILE *f = fopen(state_path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

START_TEST(corrupt_or_foreign_state_is_refused)
{
	static const char junk[] = "ATPMSLOT this is not a TPM state";
	int status;

	write_state(junk, sizeof(junk));
	ck_assert(!session("2"));
	status = end_device();
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "status 0x%x", status);

	fresh_state();                          /* a TPM 2.0's state ... */
	ck_assert(session("2"));
	end_device();
	ck_assert(!session("1.2"));             /* ... is no 1.2's */
	end_device();
}
END_TEST

START_TEST(tpm12_random_and_extend)
{
	static const uint8_t digest[20] = { 'a', 't', 'o', 'l', 'l' };
	uint8_t r[256], zero[20] = { 0 }, want[20];
	struct tpm_buf c;

	fresh_state();
	ck_assert(session("1.2"));
	tpm12_startup(&c);
	transact(&c, r, sizeof(r));
	ck_assert_uint_eq(tpm_be32(r + 6), 0x26);   /* TPM_INVALID_POSTINIT */
	tpm12_get_random(&c, 16);
	ck_assert_uint_eq(ok(&c, r, sizeof(r)), 14 + 16);
	ck_assert_uint_eq(tpm_be32(r + 10), 16);
	tpm12_extend(&c, 16, digest);          /* PCR 16 starts at zero */
	ck_assert_uint_eq(ok(&c, r, sizeof(r)), 30);
	sha("SHA1", zero, 20, digest, 20, want);
	ck_assert_mem_eq(r + 10, want, 20);
}
END_TEST

static void teardown(void)
{
	end_device();
}

static Suite *tpm_suite(void)
{
	Suite *s = suite_create("atoll-tpm");
	TCase *tc = tcase_create("bus");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tpm2_random_and_pcr_extend);
	tcase_add_test(tc, tpm2_nv_survives_a_restart);
	tcase_add_test(tc, state_save_and_load_bring_back_a_pcr);
	tcase_add_test(tc, corrupt_or_foreign_state_is_refused);
	tcase_add_test(tc, tpm12_random_and_extend);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	int fd, failed;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s PROGRAM [SANDBOX_RUN|- [DEVICE_ARG]]\n",
			argv[0]);
		return 2;
	}
	program = argv[1];
	sandbox_run = argc >= 3 && strcmp(argv[2], "-") ? argv[2] : NULL;
	if (argc == 4)
		device_arg = argv[3];
	signal(SIGPIPE, SIG_IGN);
	fd = mkstemp(state_path);
	if (fd < 0)
		return 1;
	close(fd);
	SRunner *sr = srunner_create(tpm_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(state_path);
	return failed ? 1 : 0;
}
