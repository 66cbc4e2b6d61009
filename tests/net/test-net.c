/* SPDX-License-Identifier: MIT */
/*
 * atoll-virtio-net end to end, without a guest: the real device process
 * with its real slirp backend, driven by the host-side virtio driver of
 * tests/blk over the real control and peer protocols. The "guest" speaks
 * ARP and DHCP to slirp, which answers like a network would; hostile
 * chains and frames must be refused, logged and survived.
 */
#include <arpa/inet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-probe.h"
#include "net-util.h"
#include "test-util.h"

/* The device's RX wait queue (NET_RX_PENDING in dev-virtio-net/net.h). */
#define NET_RX_PENDING_TEST 256

static struct nu u;
static uint8_t frame[NU_BUF * 20];

static void teardown(void)
{
	if (u.d.pid)
		ck_assert_int_eq(drv_stop(&u.d), 0);
}

/* Negotiates every offered feature but `drop`. */
static void start(uint64_t drop)
{
	CHECK_RET(nu_start(&u, NULL, drop), 0);
}

/* ARP who-has 10.0.2.2 -> slirp's reply, through both queues. */
static void arp_roundtrip(void)
{
	struct net_hdr h = { 0 };
	size_t len = nu_arp_request(frame, "10.0.2.2");
	int n;

	CHECK_RET(nu_send(&u, &h, frame, len, 0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 3000);
	ck_assert_msg(n >= 42, "no ARP reply (%d)", n);
	ck_assert_mem_eq(frame + 22, nu_slirp_mac, 6);   /* sender MAC */
	ck_assert_mem_eq(frame, nu_guest_mac, 6);        /* to us */
	ck_assert_uint_eq(h.num_buffers, 1);
}

static void alive(void)
{
	int status;

	ck_assert_int_eq(waitpid(u.d.pid, &status, WNOHANG), 0);
}

START_TEST(describe_and_config)
{
	uint8_t cfg[12];
	uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
			1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_MRG_RXBUF |
			1ull << VIRTIO_NET_F_MTU | 1ull << VIRTIO_NET_F_CSUM |
			1ull << VIRTIO_NET_F_GUEST_CSUM |
			1ull << VIRTIO_RING_F_EVENT_IDX;
	static const char *const args[] = { "--mac=52:54:00:ab:cd:ef", NULL };

	CHECK_RET(drv_start(&u.d, nu_binary(), -1, args, NULL), 0);
	ck_assert_uint_eq(u.d.device_id, VIRTIO_ID_NET);
	ck_assert_uint_eq(u.d.num_queues, 2);
	ck_assert_uint_eq(u.d.config_size, 12);
	ck_assert_uint_eq(u.d.offered & want, want);
	/* No offload the device does not implement. */
	ck_assert_uint_eq(u.d.offered & (1ull << VIRTIO_NET_F_HOST_TSO4 |
					 1ull << VIRTIO_NET_F_GUEST_TSO4 |
					 1ull << VIRTIO_NET_F_CTRL_VQ), 0);
	CHECK_RET(drv_features(&u.d, u.d.offered), 0);
	CHECK_RET(drv_config_read(&u.d, 0, cfg, sizeof(cfg)), 0);
	ck_assert_mem_eq(cfg, "\x52\x54\x00\xab\xcd\xef", 6);
	ck_assert_uint_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(cfg[8] | cfg[9] << 8, 1);
	ck_assert_uint_eq(cfg[10] | cfg[11] << 8, 1500);
	/* Outside the 12 bytes: refused. */
	ck_assert_int_lt(drv_config_read(&u.d, 10, cfg, 4), 0);
}
END_TEST

START_TEST(arp)
{
	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
}
END_TEST

/* DHCP over slirp; the frame goes out split over two descriptors. */
START_TEST(dhcp_offer)
{
	struct net_hdr h = { 0 };
	size_t len = nu_dhcp_discover(frame, false, false);
	struct in_addr a;
	int n;

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	CHECK_RET(nu_send(&u, &h, frame, len, 5), 0);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_dhcp_offer, 3000);
	ck_assert_msg(n > 0, "no DHCP offer (%d)", n);
	a.s_addr = nu_dhcp_yiaddr(frame);
	ck_assert_str_eq(inet_ntoa(a), "10.0.2.15");
	/* GUEST_CSUM negotiated: slirp's checksums are vouched for. */
	ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
}
END_TEST

/* Without GUEST_CSUM the header claims nothing. */
START_TEST(no_guest_csum)
{
	struct net_hdr h = { 0 };
	int n;

	start(1ull << VIRTIO_NET_F_GUEST_CSUM);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	CHECK_RET(nu_send(&u, &h, frame, nu_arp_request(frame, "10.0.2.2"), 0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 3000);
	ck_assert_int_ge(n, 42);
	ck_assert_uint_eq(h.flags, 0);
}
END_TEST

/* VIRTIO_NET_F_CSUM: the device completes a partial checksum. slirp
 * verifies UDP checksums, so the control (a corrupted checksum) must get
 * no answer, and the partial one must. */
START_TEST(csum_offload)
{
	struct net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			     .csum_start = 34, .csum_offset = 6 };
	struct net_hdr plain = { 0 }, rh;
	int n;

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	CHECK_RET(nu_send(&u, &plain, frame, nu_dhcp_discover(frame, false, true),
			  0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &rh, nu_is_dhcp_offer, 1000);
	ck_assert_msg(n == 0, "a DISCOVER with a bad checksum was answered (%d)", n);
	CHECK_RET(nu_send(&u, &h, frame, nu_dhcp_discover(frame, true, false), 0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &rh, nu_is_dhcp_offer, 3000);
	ck_assert_msg(n > 0, "no DHCP offer for the offloaded checksum (%d)", n);
}
END_TEST

/* MRG_RXBUF: a 590-byte offer over 100-byte buffers. */
START_TEST(mergeable)
{
	struct net_hdr h = { 0 };
	size_t len = nu_dhcp_discover(frame, false, false);
	int n;

	start(0);
	CHECK_RET(nu_post_rx(&u, 40, 100), 0);
	CHECK_RET(nu_send(&u, &h, frame, len, 0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_dhcp_offer, 3000);
	ck_assert_msg(n > 0, "no DHCP offer (%d)", n);
	ck_assert_uint_eq(h.num_buffers, (NET_HDR_LEN + (unsigned)n + 99) / 100);
	arp_roundtrip();
}
END_TEST

/* Without MRG_RXBUF a buffer too small for a frame goes back unused (len
 * 0) and the frame is dropped; the next frame uses the next buffer. */
START_TEST(small_buffer_no_mrg)
{
	struct net_hdr h = { 0 };
	uint16_t head;
	uint32_t len;

	start(1ull << VIRTIO_NET_F_MRG_RXBUF);
	CHECK_RET(nu_post_rx(&u, 1, 40), 0);
	CHECK_RET(nu_send(&u, &h, frame, nu_arp_request(frame, "10.0.2.2"), 0), 0);
	CHECK_RET(drv_get_used(&u.d, NU_RX, &head, &len, 3000), 1);
	ck_assert_uint_eq(len, 0);
	CHECK_RET(nu_post_rx(&u, 4, NU_BUF), 0);
	arp_roundtrip();
}
END_TEST

/* Frames that arrive while the guest has no RX buffers wait (bounded) and
 * are delivered once buffers come. */
START_TEST(rx_waits_for_buffers)
{
	struct net_hdr h = { 0 };
	int n;

	start(0);
	for (int i = 0; i < 3; i++)
		CHECK_RET(nu_send(&u, &h, frame,
				  nu_arp_request(frame, "10.0.2.2"), 0), 0);
	usleep(100 * 1000);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	for (int i = 0; i < 3; i++) {
		n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 3000);
		ck_assert_msg(n >= 42, "reply %d missing (%d)", i, n);
	}
}
END_TEST

/* The wait queue is bounded: of 300 replies with no buffer posted, the
 * first 256 are kept and delivered later, the rest dropped. */
START_TEST(rx_wait_queue_bounded)
{
	struct net_hdr h = { 0 };
	int n, got = 0;

	start(0);
	for (int i = 0; i < 300; i++)
		CHECK_RET(nu_send(&u, &h, frame,
				  nu_arp_request(frame, "10.0.2.2"), 0), 0);
	CHECK_RET(nu_post_rx(&u, NU_QSIZE - 8, NU_BUF), 0);
	while ((n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply,
			    500)) > 0)
		got++;
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(got, NET_RX_PENDING_TEST);
	arp_roundtrip();
}
END_TEST

/* Bad TX chains: each is completed (the guest gets its buffer back) with
 * used length 0, nothing reaches slirp, the device keeps serving. */
START_TEST(hostile_tx)
{
	struct drv_queue *q;
	struct net_hdr h = { 0 }, gso = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 };
	struct net_hdr badcsum = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .csum_start = 40, .csum_offset = 1 };
	uint64_t buf;
	struct drv_seg s[2];
	uint16_t head;
	uint32_t len;
	int want;

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	q = &u.d.q[NU_TX];
	buf = drv_alloc(&u.d, 4096, 64);
	/* Undersized: shorter than the header, then header + 10 bytes. */
	CHECK_RET(nu_send(&u, &h, frame, 0, 5), 0);
	CHECK_RET(nu_send(&u, &h, frame, 10, 0), 0);
	/* Oversized: 1519 bytes of frame. */
	memset(frame, 0, 1600);
	CHECK_RET(nu_send(&u, &h, frame, NET_MAX_FRAME + 1, 0), 0);
	/* GSO and an out-of-range checksum request. */
	CHECK_RET(nu_send(&u, &gso, frame, nu_arp_request(frame, "10.0.2.2"), 0), 0);
	CHECK_RET(nu_send(&u, &badcsum, frame, 42, 0), 0);
	/* A device-writable descriptor in a TX chain. */
	s[0] = (struct drv_seg){ buf, 54, false };
	s[1] = (struct drv_seg){ buf + 64, 64, true };
	want = drv_add_chain(&u.d, NU_TX, s, 2);
	ck_assert_int_ge(want, 0);
	drv_kick(&u.d, NU_TX);
	CHECK_RET(drv_get_used(&u.d, NU_TX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, want);
	ck_assert_uint_eq(len, 0);
	/* Zero-length descriptors only. */
	s[0] = (struct drv_seg){ buf, 0, false };
	s[1] = (struct drv_seg){ buf, 0, false };
	want = drv_add_chain(&u.d, NU_TX, s, 2);
	drv_kick(&u.d, NU_TX);
	CHECK_RET(drv_get_used(&u.d, NU_TX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, want);
	/* A descriptor outside guest RAM, and a head out of range. */
	q->desc[q->size - 1] = (struct vq_desc){ 0x10, 64, 0, 0 };
	drv_add_raw(&u.d, NU_TX, (uint16_t)(q->size - 1));
	drv_add_raw(&u.d, NU_TX, (uint16_t)(q->size + 5));
	drv_kick(&u.d, NU_TX);
	CHECK_RET(drv_get_used(&u.d, NU_TX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, q->size - 1);
	CHECK_RET(drv_get_used(&u.d, NU_TX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, q->size + 5);
	/* None of these made slirp answer (the ARP in the GSO frame was
	 * dropped), and the queue still works. */
	ck_assert_int_eq(nu_recv(&u, frame, sizeof(frame), &h, NULL, 300), 0);
	arp_roundtrip();
	alive();
}
END_TEST

/* Bad RX chains go back unused; the frame lands in the next good one. */
START_TEST(hostile_rx)
{
	struct drv_queue *q;
	struct net_hdr h = { 0 };
	struct drv_seg s[2];
	uint64_t buf;
	uint16_t head;
	uint32_t len;
	int ro, tiny, mixed;

	start(0);
	q = &u.d.q[NU_RX];
	buf = drv_alloc(&u.d, 8192, 64);
	s[0] = (struct drv_seg){ buf, 2048, false };           /* read-only */
	ro = drv_add_chain(&u.d, NU_RX, s, 1);
	s[0] = (struct drv_seg){ buf + 2048, 8, true };        /* < header */
	tiny = drv_add_chain(&u.d, NU_RX, s, 1);
	s[0] = (struct drv_seg){ buf + 4096, 64, false };      /* mixed */
	s[1] = (struct drv_seg){ buf + 4160, 2048, true };
	mixed = drv_add_chain(&u.d, NU_RX, s, 2);
	/* Zero-length then a good buffer: the empty one is skipped. */
	s[0] = (struct drv_seg){ buf + 6400, 0, true };
	s[1] = (struct drv_seg){ buf + 6400, 1600, true };
	(void)drv_add_chain(&u.d, NU_RX, s, 2);
	drv_kick(&u.d, NU_RX);
	(void)q;
	CHECK_RET(nu_send(&u, &h, frame, nu_arp_request(frame, "10.0.2.2"), 0), 0);
	CHECK_RET(drv_get_used(&u.d, NU_RX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, ro);
	ck_assert_uint_eq(len, 0);
	CHECK_RET(drv_get_used(&u.d, NU_RX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, tiny);
	ck_assert_uint_eq(len, 0);
	CHECK_RET(drv_get_used(&u.d, NU_RX, &head, &len, 3000), 1);
	ck_assert_int_eq(head, mixed);
	ck_assert_uint_eq(len, 0);
	CHECK_RET(drv_get_used(&u.d, NU_RX, &head, &len, 3000), 1);
	/* slirp pads its ARP reply to the 64-byte minimum frame. */
	ck_assert_uint_ge(len, NET_HDR_LEN + 42);
	ck_assert(nu_is_arp_reply(drv_ptr(&u.d, buf + 6400 + NET_HDR_LEN), 42));
	alive();
}
END_TEST

/* A broken avail index stops the queue, not the device: the peer still
 * answers and a reset brings the device back. */
START_TEST(broken_avail_idx)
{
	struct drv_queue *q;
	uint32_t last, inflight;

	start(0);
	q = &u.d.q[NU_TX];
	q->avail_idx = (uint16_t)(q->avail_idx + 1000);
	__atomic_store_n(&q->avail[1], q->avail_idx, __ATOMIC_RELEASE);
	drv_kick(&u.d, NU_TX);
	usleep(100 * 1000);
	alive();
	CHECK_RET(drv_queue_stop(&u.d, NU_TX, &last, &inflight), 0);
	ck_assert_uint_eq(inflight, 0);
	CHECK_RET(drv_queue_setup(&u.d, NU_TX, NU_QSIZE, true), 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
}
END_TEST

/* SIGKILL with TX chains queued and RX buffers posted; a new device
 * process on the same rings, resumed at used->idx as the cpu server does,
 * completes the TX chains and fills the old RX buffers. */
START_TEST(restart)
{
	struct net_hdr h = { 0 };
	uint64_t buf;
	struct drv_seg s;
	uint16_t head;
	uint32_t len;
	int heads[3], n;

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	kill(u.d.pid, SIGKILL);
	usleep(50 * 1000);
	/* Queued while the device is dead: ARP requests. */
	buf = drv_alloc(&u.d, 3 * 128, 64);
	for (int i = 0; i < 3; i++) {
		uint8_t *p = drv_ptr(&u.d, buf + 128u * (unsigned)i);

		net_hdr_encode(&h, p);
		nu_arp_request(p + NET_HDR_LEN, "10.0.2.2");
		s = (struct drv_seg){ buf + 128u * (unsigned)i, NET_HDR_LEN + 42, false };
		heads[i] = drv_add_chain(&u.d, NU_TX, &s, 1);
	}
	CHECK_RET(drv_restart(&u.d, nu_binary(), -1, NULL), 0);
	CHECK_RET(drv_features(&u.d, u.d.offered), 0);
	CHECK_RET(drv_queue_resume(&u.d, NU_RX), 0);
	CHECK_RET(drv_queue_resume(&u.d, NU_TX), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_RET(drv_get_used(&u.d, NU_TX, &head, &len, 3000), 1);
		ck_assert_int_eq(head, heads[i]);
	}
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 3000);
	ck_assert_msg(n >= 42, "no ARP reply after the restart (%d)", n);
	arp_roundtrip();
}
END_TEST

/* A second PEER_CONNECT (cpu server restart) stops everything; the new
 * front-end starts over and the device works again. */
START_TEST(peer_reconnect)
{
	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	CHECK_RET(drv_connect_peer(&u.d), 0);
	CHECK_RET(drv_describe(&u.d), 0);
	CHECK_RET(drv_features(&u.d, u.d.offered), 0);
	CHECK_RET(drv_queue_setup(&u.d, NU_RX, NU_QSIZE, true), 0);
	CHECK_RET(drv_queue_setup(&u.d, NU_TX, NU_QSIZE, true), 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
}
END_TEST

/* A listening TCP socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(fd, 4));
	CHECK_OK(getsockname(fd, (struct sockaddr *)&a, &alen));
	*port = ntohs(a.sin_port);
	return fd;
}

static bool is_arp_for_guest(const uint8_t *f, size_t len)
{
	static const uint8_t guest_ip[4] = { 10, 0, 2, 15 };

	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1 &&
	       !memcmp(f + 38, guest_ip, 4);
}

/* --hostfwd: a host connection to 127.0.0.1:PORT makes slirp reach for
 * the guest (an ARP request for 10.0.2.15 first, since it has not seen
 * the guest yet). */
START_TEST(hostfwd_listens)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char rule[64];
	const char *args[] = { rule, NULL };
	struct net_hdr h;
	uint16_t port;
	int fd = listen_any(&port), c, n;

	close(fd);     /* free again: the device binds it */
	snprintf(rule, sizeof(rule), "--hostfwd=tcp:127.0.0.1:%u-:80", port);
	CHECK_RET(nu_start(&u, args, 0), 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	n = nu_recv(&u, frame, sizeof(frame), &h, is_arp_for_guest, 3000);
	close(c);
	ck_assert_msg(n >= 42, "slirp did not look for the guest (%d)", n);
}
END_TEST

/* A forward whose host port is taken fails the start, with a reason. */
START_TEST(hostfwd_port_taken)
{
	char rule[64];
	const char *args[] = { rule, NULL };
	uint16_t port;
	int fd = listen_any(&port);

	snprintf(rule, sizeof(rule), "--hostfwd=tcp:127.0.0.1:%u-:80", port);
	ck_assert_int_lt(drv_start(&u.d, nu_binary(), -1, args, NULL), 0);
	ck_assert_int_eq(drv_stop(&u.d), 1);
	close(fd);
}
END_TEST

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* A socket of `type` bound to addr with a kernel-chosen port. */
static int bound(int type, const char *addr, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &a.sin_addr), 1);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	if (type == SOCK_STREAM)
		CHECK_OK(listen(fd, 4));
	CHECK_OK(getsockname(fd, (struct sockaddr *)&a, &alen));
	*port = ntohs(a.sin_port);
	return fd;
}

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* A host IPv4 address other than loopback: "outside" for slirp. */
static bool outside_addr(char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;

		if (a && a->sin_family == AF_INET &&
		    ntohl(a->sin_addr.s_addr) >> 24 != 127)
			found = inet_ntop(AF_INET, &a->sin_addr, buf,
					  (socklen_t)len) != NULL;
	}
	freeifaddrs(ifs);
	return found;
}

struct reach {
	uint8_t flags;        /* of slirp's answer to the guest's SYN */
	bool tcp_in, udp_in;  /* the host's sockets got them */
};

/* The guest (10.0.2.15) sends a UDP datagram and a TCP SYN to `dst`,
 * where the host listens on `host` (10.0.2.2 is the host's loopback). */
static struct reach guest_to(const char *args_restrict, const char *dst,
			     const char *host)
{
	const char *args[] = { args_restrict, NULL };
	struct net_hdr h = { 0 };
	struct reach r;
	uint16_t tport, uport;
	int l = bound(SOCK_STREAM, host, &tport);
	int us = bound(SOCK_DGRAM, host, &uport), n;
	size_t len;

	CHECK_RET(nu_start(&u, args_restrict ? args : NULL, 0), 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	len = nu_udp4(frame, dst, 40001, uport, "ping", 4);
	CHECK_RET(nu_send(&u, &h, frame, len, 0), 0);
	/* The device hands a frame to slirp before completing its chain,
	 * and slirp's sendto() to a local socket delivers at once. */
	r.udp_in = readable(us);
	len = nu_tcp4_syn(frame, dst, 40000, tport);
	CHECK_RET(nu_send(&u, &h, frame, len, 0), 0);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_tcp4, 3000);
	ck_assert_msg(n > 0, "no answer to the SYN (%d)", n);
	r.flags = nu_tcp_flags(frame);
	/* slirp answers SYN|ACK only once its connect() completed */
	r.tcp_in = readable(l);
	close(l);
	close(us);
	return r;
}

/* The control: unrestricted, the guest reaches the host's loopback. */
START_TEST(guest_reaches_host)
{
	struct reach r = guest_to(NULL, "10.0.2.2", "127.0.0.1");

	ck_assert_uint_eq(r.flags, TCP_SYN | TCP_ACK);
	ck_assert(r.tcp_in && r.udp_in);
}
END_TEST

/* --restrict: the guest's SYN is reset before any host socket exists and
 * its UDP is dropped, to the host's loopback and to its other address. */
START_TEST(restrict_blocks_host)
{
	char out[INET_ADDRSTRLEN];
	struct reach r = guest_to("--restrict", "10.0.2.2", "127.0.0.1");

	ck_assert_uint_eq(r.flags & (TCP_RST | TCP_SYN), TCP_RST);
	ck_assert(!r.tcp_in && !r.udp_in);
	if (!outside_addr(out, sizeof(out)))
		return;     /* no non-loopback IPv4 address here */
	ck_assert_int_eq(drv_stop(&u.d), 0);
	r = guest_to("--restrict", out, out);
	ck_assert_uint_eq(r.flags & (TCP_RST | TCP_SYN), TCP_RST);
	ck_assert(!r.tcp_in && !r.udp_in);
	ck_assert_int_eq(drv_stop(&u.d), 0);
	/* and the same address is reachable without --restrict */
	r = guest_to(NULL, out, out);
	ck_assert_uint_eq(r.flags, TCP_SYN | TCP_ACK);
	ck_assert(r.tcp_in && r.udp_in);
}
END_TEST

/* --restrict keeps host forwards: a host connection reaches the guest
 * as a SYN to the forwarded port. */
START_TEST(restrict_keeps_hostfwd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char rule[64];
	const char *args[] = { "--restrict", rule, NULL };
	struct net_hdr h;
	uint16_t port, sport, dport;
	int fd = listen_any(&port), c, n;

	close(fd);     /* free again: the device binds it */
	snprintf(rule, sizeof(rule), "--hostfwd=tcp:127.0.0.1:%u-:80", port);
	CHECK_RET(nu_start(&u, args, 0), 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_tcp4, 3000);
	close(c);
	ck_assert_msg(n > 0, "no SYN to the guest (%d)", n);
	nu_tcp_ports(frame, &sport, &dport);
	ck_assert_uint_eq(dport, 80);
	ck_assert_uint_eq(nu_tcp_flags(frame), TCP_SYN);
}
END_TEST

/* A guest ping beyond slirp's own addresses makes slirp open an ICMP
 * socket: a ping socket, or where the host refuses those
 * (net.ipv4.ping_group_range) a raw one, which the kernel refuses in
 * turn. Under the profile neither may kill the device. */
START_TEST(guest_ping_outside)
{
	struct net_hdr h = { 0 };

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	CHECK_RET(nu_send(&u, &h, frame, nu_icmp4_echo(frame, "198.51.100.1"),
			  0), 0);
	alive();
	arp_roundtrip();
}
END_TEST

/* A stream socket whose peer is named like journald's, standing in for
 * a systemd service's stderr: /run is a private tmpfs in a mount
 * namespace of this test's process (Check forks one per test). Returns
 * the test's end, or -1 without root or in no-fork mode. */
static int journal_stream(int *device_end)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *fork_mode = getenv("CK_FORK");
	int l, c, s;

	if (geteuid() != 0 || (fork_mode && !strcmp(fork_mode, "no")) ||
	    unshare(CLONE_NEWNS) < 0)
		return -1;
	CHECK_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK_OK(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"));
	CHECK_OK(mkdir("/run/systemd", 0755));
	CHECK_OK(mkdir("/run/systemd/journal", 0755));
	snprintf(a.sun_path, sizeof(a.sun_path), "/run/systemd/journal/stdout");
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(l >= 0 && c >= 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(l, 1));
	CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(s, 0);
	close(l);
	*device_end = c;
	return s;
}

/* slirp logs (glib) when the guest pings an outside IPv6 address. With
 * stderr a journal stream, glib's default writer would open an AF_UNIX
 * socket for journald, which the profile kills on: the device must live
 * and the message reach its stderr. Meaningful under the profile
 * (virtio-net-sandboxed); without root it checks nothing. */
START_TEST(slirp_log_on_journal_stream)
{
	struct net_hdr h = { 0 };
	char buf[8192];
	size_t got = 0;
	ssize_t r;
	int dev, s = journal_stream(&dev), saved, rc;

	if (s < 0)
		return;
	saved = dup(2);
	dup2(dev, 2);
	rc = nu_start(&u, NULL, 0);
	dup2(saved, 2);
	close(saved);
	close(dev);
	CHECK_RET(rc, 0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	CHECK_RET(nu_send(&u, &h, frame, nu_icmp6_echo(frame, "2001:db8::1"),
			  0), 0);
	alive();
	buf[0] = '\0';
	while (!strstr(buf, "external icmpv6") && got < sizeof(buf) - 1) {
		struct pollfd p = { s, POLLIN, 0 };

		if (poll(&p, 1, 3000) != 1 ||
		    (r = read(s, buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
	}
	close(s);
	ck_assert_msg(strstr(buf, "external icmpv6"), "slirp's message is not "
		      "on stderr: %s", buf);
}
END_TEST

/* Usage errors exit 2 before any bus traffic. */
static int run_status(const char *const *argv)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(cli)
{
	const char *help[] = { nu_binary(), "--help", NULL };
	const char *caps[] = { nu_binary(), "--print-capabilities", NULL };
	const char *badmac[] = { nu_binary(), "--fd=3", "--mac=01:00:00:00:00:01", NULL };
	const char *badmac2[] = { nu_binary(), "--fd=3", "--mac=0x:54:00:12:34:56", NULL };
	const char *zeromac[] = { nu_binary(), "--fd=3", "--mac=00:00:00:00:00:00", NULL };
	const char *badq[] = { nu_binary(), "--fd=3", "--queues=2", NULL };
	const char *badfwd[] = { nu_binary(), "--fd=3", "--hostfwd=tcp::0-:22", NULL };

	ck_assert_int_eq(run_status(help), 0);
	ck_assert_int_eq(run_status(caps), 0);
	ck_assert_int_eq(run_status(badmac), 2);
	ck_assert_int_eq(run_status(badmac2), 2);
	ck_assert_int_eq(run_status(zeromac), 2);
	ck_assert_int_eq(run_status(badq), 2);
	ck_assert_int_eq(run_status(badfwd), 2);
}
END_TEST

/* SIGTERM ends the device cleanly (status 0), queues running. */
START_TEST(sigterm)
{
	int status;

	start(0);
	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	arp_roundtrip();
	CHECK_OK(kill(u.d.pid, SIGTERM));
	ck_assert_int_eq(waitpid(u.d.pid, &status, 0), u.d.pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status %#x", status);
	u.d.pid = 0;
	(void)drv_stop(&u.d);    /* frees the driver; nothing to wait for */
}
END_TEST

/* backend tap without its fd is refused at start, before READY. */
START_TEST(tap_needs_fd)
{
	static const char *const args[] = { "--backend=tap", NULL };

	ck_assert_int_lt(drv_start(&u.d, nu_binary(), -1, args, NULL), 0);
	ck_assert_int_eq(drv_stop(&u.d), 1);
}
END_TEST

/* --restrict is slirp's: refused with a tap, before the tap is used. */
START_TEST(tap_no_restrict)
{
	static const char *const args[] = { "--backend=tap", "--tap-fd=9",
					    "--restrict", NULL };

	ck_assert_int_lt(drv_start(&u.d, nu_binary(), -1, args, NULL), 0);
	ck_assert_int_eq(drv_stop(&u.d), 1);
}
END_TEST

/* The tap backend on a SOCK_SEQPACKET pair standing in for the tap fd
 * (same one-frame-per-read semantics): returns the test's end. */
#define TAP_FD 9
static int start_tap(void)
{
	static const char *const args[] = { "--backend=tap", "--tap-fd=9", NULL };
	int sv[2], big = 4 << 20;

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	/* Room for many frames, so backpressure is what holds them. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	CHECK_OK(dup2(sv[1], TAP_FD));      /* inherited: no CLOEXEC */
	close(sv[1]);
	CHECK_RET(nu_start(&u, args, 0), 0);
	close(TAP_FD);
	return sv[0];
}

START_TEST(tap_frames)
{
	struct net_hdr h = { 0 };
	uint8_t got[2048];
	size_t len = nu_arp_request(frame, "10.0.2.99");
	int fd = start_tap(), n;

	CHECK_RET(nu_post_rx(&u, 8, NU_BUF), 0);
	/* Guest -> tap: the frame as sent, without the virtio header. */
	CHECK_RET(nu_send(&u, &h, frame, len, 0), 0);
	ck_assert_int_eq(recv(fd, got, sizeof(got), 0), (ssize_t)len);
	ck_assert_mem_eq(got, frame, len);
	/* tap -> guest; tap frames are not vouched for: no DATA_VALID. */
	got[21] = 2;                                 /* make it a reply */
	ck_assert_int_eq(send(fd, got, len, 0), (ssize_t)len);
	n = nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 3000);
	ck_assert_int_eq(n, (int)len);
	ck_assert_mem_eq(frame, got, len);
	ck_assert_uint_eq(h.flags, 0);
	close(fd);
}
END_TEST

/* With no RX buffers the device stops reading the tap instead of dropping:
 * more frames than its own wait queue holds all arrive once buffers do. */
START_TEST(tap_backpressure)
{
	struct net_hdr h;
	uint8_t f[64];
	int fd = start_tap(), sent = 0, got = 0;

	nu_arp_request(f, "10.0.2.99");
	f[21] = 2;
	while (sent < 1000 && send(fd, f, 60, MSG_DONTWAIT) == 60)
		sent++;
	ck_assert_msg(sent > NET_RX_PENDING_TEST, "only %d frames fit the socket",
		      sent);
	usleep(200 * 1000);
	CHECK_RET(nu_post_rx(&u, NU_QSIZE - 8, NU_BUF), 0);
	while (nu_recv(&u, frame, sizeof(frame), &h, nu_is_arp_reply, 1000) > 0)
		got++;
	ck_assert_int_eq(got, sent);
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio-net");
	TCase *t = tcase_create("device");

	tcase_add_checked_fixture(t, NULL, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, describe_and_config);
	tcase_add_test(t, arp);
	tcase_add_test(t, dhcp_offer);
	tcase_add_test(t, no_guest_csum);
	tcase_add_test(t, csum_offload);
	tcase_add_test(t, mergeable);
	tcase_add_test(t, small_buffer_no_mrg);
	tcase_add_test(t, rx_waits_for_buffers);
	tcase_add_test(t, rx_wait_queue_bounded);
	tcase_add_test(t, hostile_tx);
	tcase_add_test(t, hostile_rx);
	tcase_add_test(t, broken_avail_idx);
	tcase_add_test(t, restart);
	tcase_add_test(t, peer_reconnect);
	tcase_add_test(t, hostfwd_listens);
	tcase_add_test(t, hostfwd_port_taken);
	tcase_add_test(t, guest_reaches_host);
	tcase_add_test(t, restrict_blocks_host);
	tcase_add_test(t, restrict_keeps_hostfwd);
	tcase_add_test(t, slirp_log_on_journal_stream);
	tcase_add_test(t, guest_ping_outside);
	tcase_add_test(t, cli);
	tcase_add_test(t, tap_needs_fd);
	tcase_add_test(t, tap_no_restrict);
	tcase_add_test(t, tap_frames);
	tcase_add_test(t, tap_backpressure);
	tcase_add_test(t, sigterm);
	suite_add_tcase(s, t);
	return s;
}

/* Under ATOLL_DRV_SANDBOX_RUN the device runs confined; where the host
 * or the build cannot run a sandboxed program at all (probed directly,
 * never through the sandbox, so a broken profile still fails), NULL. */
static const char *sandbox_unmet(char *buf, size_t len)
{
	if (build_sandbox_unavailable())
		return build_sandbox_unavailable();
	return host_sandbox_unavailable(buf, len);
}

int main(void)
{
	const char *run = getenv("ATOLL_DRV_SANDBOX_RUN"), *why;
	char buf[300];
	SRunner *sr;
	int failed;

	if (run && *run && (why = sandbox_unmet(buf, sizeof(buf)))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
