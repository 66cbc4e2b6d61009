/* SPDX-License-Identifier: MIT */
#include "net-util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

const uint8_t nu_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t nu_slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

const char *nu_binary(void)
{
	const char *b = getenv("ATOLL_VIRTIO_NET");

	return b ? b : "atoll-virtio-net";
}

int nu_start(struct nu *u, const char *const *args, uint64_t drop)
{
	uint64_t features;
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = drv_start(&u->d, nu_binary(), -1, args, NULL)) < 0)
		return rc;
	features = u->d.offered & ~drop;
	u->mrg = features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	if ((rc = drv_features(&u->d, features)) < 0 ||
	    (rc = drv_queue_setup(&u->d, NU_RX, NU_QSIZE,
				  features & (1ull << VIRTIO_RING_F_EVENT_IDX))) < 0 ||
	    (rc = drv_queue_setup(&u->d, NU_TX, NU_QSIZE,
				  features & (1ull << VIRTIO_RING_F_EVENT_IDX))) < 0)
		return rc;
	u->tx_area = drv_alloc(&u->d, NU_QSIZE * NU_BUF, 4096);
	return u->tx_area ? 0 : -ENOMEM;
}

static int post_one(struct nu *u, uint64_t gpa, uint32_t len)
{
	struct drv_seg s = { gpa, len, true };
	int head = drv_add_chain(&u->d, NU_RX, &s, 1);

	if (head < 0)
		return head;
	u->rx_gpa[head] = gpa;
	u->rx_len[head] = len;
	return head;
}

int nu_post_rx(struct nu *u, unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = drv_alloc(&u->d, len, 64);
		int rc;

		if (!gpa)
			return -ENOMEM;
		if ((rc = post_one(u, gpa, len)) < 0)
			return rc;
	}
	drv_kick(&u->d, NU_RX);
	return 0;
}

int nu_send(struct nu *u, const struct net_hdr *h, const uint8_t *frame,
	    size_t len, size_t split)
{
	uint64_t gpa = u->tx_area + (u->tx_next++ % NU_QSIZE) * NU_BUF;
	uint8_t *p = drv_ptr(&u->d, gpa);
	size_t total = NET_HDR_LEN + len;
	struct drv_seg s[2];
	uint16_t head;
	uint32_t used;
	int rc, want;

	if (total > NU_BUF || split >= total)
		return -EINVAL;
	net_hdr_encode(h, p);
	memcpy(p + NET_HDR_LEN, frame, len);
	s[0] = (struct drv_seg){ gpa, (uint32_t)(split ? split : total), false };
	s[1] = (struct drv_seg){ gpa + split, (uint32_t)(total - split), false };
	want = drv_add_chain(&u->d, NU_TX, s, split ? 2 : 1);
	if (want < 0)
		return want;
	drv_kick(&u->d, NU_TX);
	rc = drv_get_used(&u->d, NU_TX, &head, &used, 5000);
	if (rc <= 0)
		return rc < 0 ? rc : -ETIMEDOUT;
	return head == want ? (int)used : -EPROTO;
}

/* One used RX entry: copies its bytes, reposts the buffer. */
static int take(struct nu *u, uint8_t *out, size_t size, size_t *off,
		int timeout_ms)
{
	uint16_t head;
	uint32_t len;
	int rc = drv_get_used(&u->d, NU_RX, &head, &len, timeout_ms);

	if (rc <= 0)
		return rc;
	if (head >= NU_QSIZE || len > u->rx_len[head])
		return -EPROTO;
	if (*off + len <= size)
		memcpy(out + *off, drv_ptr(&u->d, u->rx_gpa[head]), len);
	*off += len;
	post_one(u, u->rx_gpa[head], u->rx_len[head]);
	drv_kick(&u->d, NU_RX);
	return 1;
}

int nu_recv(struct nu *u, uint8_t *out, size_t size, struct net_hdr *h,
	    bool (*want)(const uint8_t *f, size_t len), int timeout_ms)
{
	uint8_t *buf = malloc(NU_BUF * 20);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t off = 0, flen;

		if ((rc = take(u, buf, NU_BUF * 20, &off, timeout_ms)) <= 0)
			break;
		if (off < NET_HDR_LEN) {
			rc = -EPROTO;
			break;
		}
		net_hdr_decode(buf, h);
		for (unsigned i = 1; u->mrg && i < h->num_buffers && rc > 0; i++)
			rc = take(u, buf, NU_BUF * 20, &off, timeout_ms);
		if (rc <= 0) {
			rc = rc < 0 ? rc : -EPROTO;   /* a frame cut short */
			break;
		}
		flen = off - NET_HDR_LEN;
		if (flen > NU_BUF * 20 - NET_HDR_LEN) {
			rc = -E2BIG;
			break;
		}
		if (want && !want(buf + NET_HDR_LEN, flen))
			continue;
		if (flen > size) {
			rc = -E2BIG;
			break;
		}
		memcpy(out, buf + NET_HDR_LEN, flen);
		rc = (int)flen;
		break;
	}
	free(buf);
	return rc;
}

static void eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, nu_guest_mac, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

size_t nu_arp_request(uint8_t *f, const char *target_ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = f + 14;

	memset(f, 0, 42);
	eth(f, bcast, 0x0806);
	a[1] = 1;              /* Ethernet */
	a[2] = 0x08;           /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;              /* request */
	memcpy(a + 8, nu_guest_mac, 6);
	inet_pton(AF_INET, "10.0.2.15", a + 14);
	inet_pton(AF_INET, target_ip, a + 24);
	return 42;
}

size_t nu_dhcp_discover(uint8_t *f, bool partial, bool corrupt)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	/* BOOTP fixed part + 312 option bytes: slirp wants the whole struct. */
	const size_t bootp = 236 + 312, ulen = 8 + bootp, len = 14 + 20 + ulen;
	uint8_t *ip = f + 14, *udp = ip + 20, *bp = udp + 8;
	uint16_t s;
	uint32_t sum;

	memset(f, 0, len);
	eth(f, bcast, 0x0800);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + ulen) >> 8);
	ip[3] = (uint8_t)(20 + ulen);
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);           /* 0.0.0.0 -> 255.255.255.255 */
	s = (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20));
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	udp[1] = 68;
	udp[3] = 67;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	bp[0] = 1;                           /* BOOTREQUEST */
	bp[1] = 1;
	bp[2] = 6;
	memcpy(bp + 4, "\x12\x34\x56\x78", 4);   /* xid */
	memcpy(bp + 28, nu_guest_mac, 6);
	memcpy(bp + 236, "\x63\x82\x53\x63", 4);  /* magic cookie */
	memcpy(bp + 240, "\x35\x01\x01\xff", 4);  /* DISCOVER, end */
	sum = net_csum_add(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	if (!partial)
		sum = net_csum_add(sum, udp, ulen);
	s = net_csum_fold(sum);
	if (!partial)
		s = (uint16_t)~s;
	udp[6] = (uint8_t)(s >> 8);
	udp[7] = (uint8_t)s;
	if (corrupt)
		bp[100] ^= 0x5a;
	return len;
}

/* The IPv4 header at f + 14, guest to dst, and the pseudo-header sum of
 * its payload. */
static uint32_t ip4(uint8_t *f, const char *dst, uint8_t proto, size_t plen)
{
	uint8_t *ip = f + 14;
	size_t tot = 20 + plen;
	uint16_t s;

	eth(f, nu_slirp_mac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, "10.0.2.15", ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	s = (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20));
	ip[10] = (uint8_t)(s >> 8);
	ip[11] = (uint8_t)s;
	return net_csum_add(0, ip + 12, 8) + proto + (uint32_t)plen;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t nu_udp4(uint8_t *f, const char *dst, uint16_t sport, uint16_t dport,
	       const void *data, size_t len)
{
	uint8_t *udp = f + 14 + 20;
	uint32_t sum = ip4(f, dst, 17, 8 + len);

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);
	memcpy(udp + 8, data, len);
	put16(udp + 6, (uint16_t)~net_csum_fold(net_csum_add(sum, udp,
							     8 + len)));
	return 14 + 20 + 8 + len;
}

size_t nu_tcp4_syn(uint8_t *f, const char *dst, uint16_t sport,
		   uint16_t dport)
{
	uint8_t *tcp = f + 14 + 20;
	uint32_t sum = ip4(f, dst, 6, 20);

	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	memcpy(tcp + 4, "\x00\x00\x10\x00", 4);   /* sequence number */
	tcp[12] = 5 << 4;                         /* 20-byte header */
	tcp[13] = 0x02;                           /* SYN */
	put16(tcp + 14, 65535);                   /* window */
	put16(tcp + 16, (uint16_t)~net_csum_fold(net_csum_add(sum, tcp, 20)));
	return 14 + 20 + 20;
}

size_t nu_icmp4_echo(uint8_t *f, const char *dst)
{
	uint8_t *icmp = f + 14 + 20;
	const size_t plen = 8 + 4;

	ip4(f, dst, 1, plen);
	memset(icmp, 0, plen);
	icmp[0] = 8;                              /* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	memcpy(icmp + 8, "ping", 4);
	put16(icmp + 2, (uint16_t)~net_csum_fold(net_csum_add(0, icmp, plen)));
	return 14 + 20 + plen;
}

size_t nu_icmp6_echo(uint8_t *f, const char *dst)
{
	uint8_t *ip = f + 14, *icmp = ip + 40;
	const size_t plen = 8 + 4;
	uint32_t sum;

	eth(f, nu_slirp_mac, 0x86dd);
	memset(ip, 0, 40 + plen);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)plen);
	ip[6] = 58;                               /* ICMPv6 */
	ip[7] = 64;
	inet_pton(AF_INET6, "fec0::15", ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	icmp[0] = 128;                            /* echo request */
	put16(icmp + 4, 0x1234);                  /* identifier */
	put16(icmp + 6, 1);                       /* sequence */
	memcpy(icmp + 8, "ping", 4);
	sum = net_csum_add(0, ip + 8, 32) + (uint32_t)plen + 58;
	put16(icmp + 2, (uint16_t)~net_csum_fold(net_csum_add(sum, icmp,
							      plen)));
	return 14 + 40 + plen;
}

bool nu_is_tcp4(const uint8_t *f, size_t len)
{
	return len >= 14 + 20 + 20 && f[12] == 0x08 && f[13] == 0x00 &&
	       (f[14] & 0x0f) == 5 && f[14 + 9] == 6;
}

uint8_t nu_tcp_flags(const uint8_t *f)
{
	return f[14 + 20 + 13];
}

void nu_tcp_ports(const uint8_t *f, uint16_t *sport, uint16_t *dport)
{
	*sport = (uint16_t)(f[34] << 8 | f[35]);
	*dport = (uint16_t)(f[36] << 8 | f[37]);
}

bool nu_is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2;
}

bool nu_is_dhcp_offer(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp = ip + 20, *bp = udp + 8;

	if (len < 14 + 20 + 8 + 240 + 3 || f[12] != 0x08 || f[13] != 0x00 ||
	    ip[9] != 17 || udp[1] != 67 || udp[3] != 68 || bp[0] != 2)
		return false;
	/* Option 53 (message type) = 2 (OFFER) comes first from slirp. */
	return bp[240] == 53 && bp[242] == 2;
}

uint32_t nu_dhcp_yiaddr(const uint8_t *f)
{
	uint32_t a;

	memcpy(&a, f + 14 + 20 + 8 + 16, 4);
	return a;
}
