/* SPDX-License-Identifier: MIT */
/* The virtio-net header, the TX frame checks, the partial checksum and the
 * hostfwd rule parser, without a device process. */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "hostfwd.h"
#include "net-hdr.h"
#include "test-util.h"

START_TEST(hdr_roundtrip)
{
	struct net_hdr h = { 1, 0, 0x1234, 0x5678, 34, 6, 3 }, back;
	uint8_t raw[NET_HDR_LEN];

	net_hdr_encode(&h, raw);
	/* Little-endian on the wire, whatever the host. */
	ck_assert_uint_eq(raw[2], 0x34);
	ck_assert_uint_eq(raw[3], 0x12);
	ck_assert_uint_eq(raw[10], 3);
	ck_assert_uint_eq(raw[11], 0);
	net_hdr_decode(raw, &back);
	ck_assert_mem_eq(&h, &back, sizeof(h));
}
END_TEST

START_TEST(tx_check_lengths)
{
	struct net_hdr h = { 0 };

	ck_assert_ptr_nonnull(net_tx_check(&h, 0, true));
	ck_assert_ptr_nonnull(net_tx_check(&h, NET_ETH_HLEN - 1, true));
	ck_assert_ptr_null(net_tx_check(&h, NET_ETH_HLEN, true));
	ck_assert_ptr_null(net_tx_check(&h, NET_MAX_FRAME, true));
	ck_assert_ptr_nonnull(net_tx_check(&h, NET_MAX_FRAME + 1, true));
}
END_TEST

START_TEST(tx_check_offloads)
{
	struct net_hdr h = { 0 };

	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	ck_assert_ptr_nonnull(net_tx_check(&h, 100, true));
	h.gso_type = 0;
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 34;
	h.csum_offset = 6;
	ck_assert_ptr_null(net_tx_check(&h, 100, true));
	/* Not negotiated: refused even when the offsets are fine. */
	ck_assert_ptr_nonnull(net_tx_check(&h, 100, false));
	/* The field's last byte is the frame's last byte: still inside. */
	ck_assert_ptr_null(net_tx_check(&h, 42, true));
	ck_assert_ptr_nonnull(net_tx_check(&h, 41, true));
	/* Offsets that would wrap a u16 sum. */
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	ck_assert_ptr_nonnull(net_tx_check(&h, NET_MAX_FRAME, true));
}
END_TEST

/* A UDP/IPv4 frame with its checksum field set to the pseudo-header sum,
 * as a driver leaves it for NEEDS_CSUM. Returns the frame length. */
static size_t udp_frame(uint8_t *f, size_t payload, uint32_t seed)
{
	size_t ulen = 8 + payload, len = 14 + 20 + ulen;
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t ps;

	memset(f, 0, len);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + ulen) >> 8);
	ip[3] = (uint8_t)(20 + ulen);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = 0x00;
	udp[3] = 0x35;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)(seed * 7 + i * 13);
	/* Pseudo header: addresses, protocol, UDP length. */
	ps = net_csum_add(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	ps = net_csum_fold(ps);
	udp[6] = (uint8_t)(ps >> 8);
	udp[7] = (uint8_t)ps;
	return len;
}

/* The receiver's check: pseudo header + whole UDP datagram sums to 0xffff. */
static bool udp_sum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	uint32_t s = net_csum_add(0, ip + 12, 8) + 17 + (uint32_t)(len - 34);

	s = net_csum_add(s, ip + 20, len - 34);
	return net_csum_fold(s) == 0xffff;
}

START_TEST(csum_complete_udp)
{
	uint8_t f[1600];

	/* Odd and even payloads, several contents. */
	for (size_t payload = 0; payload < 1400; payload += 97) {
		size_t len = udp_frame(f, payload, (uint32_t)payload);

		ck_assert(!udp_sum_ok(f, len) || payload == 0);
		net_csum_complete(f, len, 34, 6);
		ck_assert_msg(udp_sum_ok(f, len), "payload %zu", payload);
		ck_assert(f[40] | f[41]);   /* never the "no checksum" zero */
	}
}
END_TEST

START_TEST(csum_known_vector)
{
	/* RFC 1071's example words 0001 f203 f4f5 f6f7: sum 0x2ddf0,
	 * folded 0xddf2. */
	static const uint8_t w[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
				     0xf6, 0xf7 };

	ck_assert_uint_eq(net_csum_fold(net_csum_add(0, w, sizeof(w))), 0xddf2);
	/* An odd byte counts as the high half of a word. */
	ck_assert_uint_eq(net_csum_fold(net_csum_add(0, w, 1)), 0x0000);
	ck_assert_uint_eq(net_csum_fold(net_csum_add(0, w + 2, 1)), 0xf200);
}
END_TEST

static struct hostfwd fwd_ok(const char *s)
{
	struct hostfwd f;
	const char *why = NULL;

	ck_assert_msg(hostfwd_parse(s, &f, &why) == 0, "%s: %s", s, why);
	return f;
}

static void fwd_bad(const char *s, const char *want)
{
	struct hostfwd f;
	const char *why = NULL;

	ck_assert_msg(hostfwd_parse(s, &f, &why) == -EINVAL, "%s parsed", s);
	ck_assert_msg(why && strstr(why, want), "%s: reason '%s', wanted '%s'",
		      s, why ? why : "(none)", want);
}

START_TEST(hostfwd_rules)
{
	struct hostfwd f = fwd_ok("tcp:127.0.0.1:2222-10.0.2.15:22");

	ck_assert(!f.udp);
	ck_assert_uint_eq(ntohl(f.host.s_addr), 0x7f000001);
	ck_assert_uint_eq(f.host_port, 2222);
	ck_assert_uint_eq(ntohl(f.guest.s_addr), 0x0a00020f);
	ck_assert_uint_eq(f.guest_port, 22);
	f = fwd_ok("::8080-:80");           /* defaults: tcp, loopback, .15 */
	ck_assert(!f.udp);
	ck_assert_uint_eq(ntohl(f.host.s_addr), 0x7f000001);
	ck_assert_uint_eq(ntohl(f.guest.s_addr), 0x0a00020f);
	f = fwd_ok("udp:127.0.0.1:65535-10.0.2.99:1");
	ck_assert(f.udp);
	ck_assert_uint_eq(f.host_port, 65535);
	ck_assert_uint_eq(f.guest_port, 1);
	fwd_bad("", "expected");
	fwd_bad(":8080-:80", "host port");   /* no protocol field */
	fwd_bad("sctp:127.0.0.1:1-:2", "protocol");
	fwd_bad("tcp:127.0.0.1:1", "missing '-'");
	fwd_bad("tcp:127.0.0.1:0-:22", "host port");
	fwd_bad("tcp:127.0.0.1:65536-:22", "host port");
	fwd_bad("tcp:127.0.0.1:-:22", "host port");
	fwd_bad("tcp:127.0.0.1:+22-:22", "host port");
	fwd_bad("tcp:127.0.0.1:22-:0", "guest port");
	fwd_bad("tcp:127.0.0.1:22-:", "guest port");
	fwd_bad("tcp:127.0.0.1:22-22", "guest port");
	fwd_bad("tcp:127.1:22-:22", "host address");
	fwd_bad("tcp:localhost:22-:22", "host address");
	fwd_bad("tcp:1234567890123456789:22-:22", "host address");
	fwd_bad("tcp:127.0.0.1:22-10.0.3.15:22", "outside the guest network");
	fwd_bad("tcp:127.0.0.1:22-:22:1", "guest port");
	fwd_bad("tcp:127.0.0.1:22-:22 ", "guest port");
	fwd_bad("tcp:127.0.0.1:22222222222222222222222222222222222222222222222-:22",
		"too long");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net-hdr");
	TCase *t = tcase_create("all");

	tcase_add_test(t, hdr_roundtrip);
	tcase_add_test(t, tx_check_lengths);
	tcase_add_test(t, tx_check_offloads);
	tcase_add_test(t, csum_complete_udp);
	tcase_add_test(t, csum_known_vector);
	tcase_add_test(t, hostfwd_rules);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(suite)
