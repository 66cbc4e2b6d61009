/* SPDX-License-Identifier: MIT */
/*
 * A virtio-net driver on the host-side test driver (tests/blk/driver.c):
 * RX buffers and TX chains in fake guest RAM, plus the few frames the
 * tests speak to slirp (ARP, DHCP over UDP).
 */
#ifndef ATOLL_TEST_NET_UTIL_H
#define ATOLL_TEST_NET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"
#include "net-hdr.h"

#define NU_RX 0u
#define NU_TX 1u
#define NU_QSIZE 64u
#define NU_BUF 2048u

extern const uint8_t nu_guest_mac[6];
extern const uint8_t nu_slirp_mac[6];     /* 52:55:0a:00:02:02 */

struct nu {
	struct drv d;
	uint64_t rx_gpa[NU_QSIZE];     /* per RX head: its buffer */
	uint32_t rx_len[NU_QSIZE];
	uint64_t tx_area;              /* TX staging buffers */
	unsigned tx_next;
	bool mrg;
};

/* The device binary: $ATOLL_VIRTIO_NET. */
const char *nu_binary(void);
/* Starts the device, negotiates every offered feature but those in
 * `drop`, and sets up both queues. */
int nu_start(struct nu *u, const char *const *args, uint64_t drop);
/* Posts `n` RX buffers of `len` bytes; kicks. */
int nu_post_rx(struct nu *u, unsigned n, uint32_t len);
/* Sends header + frame as one readable descriptor (or split in two at
 * `split` if non-zero); waits for its used entry. Returns its used len or
 * -errno. */
int nu_send(struct nu *u, const struct net_hdr *h, const uint8_t *frame,
	    size_t len, size_t split);
/* The next received frame that `want` accepts (NULL: any), gathered over
 * num_buffers used entries; every buffer is reposted. Returns the frame
 * length, 0 on timeout, or -errno. *h gets the first buffer's header. */
int nu_recv(struct nu *u, uint8_t *out, size_t size, struct net_hdr *h,
	    bool (*want)(const uint8_t *f, size_t len), int timeout_ms);

/* Frames. Each returns its length. */
size_t nu_arp_request(uint8_t *f, const char *target_ip);
/* DHCPDISCOVER; with `partial` the UDP checksum field holds only the
 * pseudo-header sum (for NEEDS_CSUM: csum_start 34, csum_offset 6), else
 * the full checksum; `corrupt` flips a payload byte after summing. */
size_t nu_dhcp_discover(uint8_t *f, bool partial, bool corrupt);

/* IPv4 from the guest (10.0.2.15, port sport) to dst:dport, checksums
 * complete: a UDP datagram of `len` bytes, or a bare TCP SYN. */
size_t nu_udp4(uint8_t *f, const char *dst, uint16_t sport, uint16_t dport,
	       const void *data, size_t len);
size_t nu_tcp4_syn(uint8_t *f, const char *dst, uint16_t sport,
		   uint16_t dport);
/* An ICMP echo request from 10.0.2.15 to dst. */
size_t nu_icmp4_echo(uint8_t *f, const char *dst);
/* An ICMPv6 echo request from fec0::15 to the IPv6 address dst. */
size_t nu_icmp6_echo(uint8_t *f, const char *dst);

bool nu_is_arp_reply(const uint8_t *f, size_t len);
/* An IPv4 TCP segment; nu_tcp_flags() and nu_tcp_ports() read it. */
bool nu_is_tcp4(const uint8_t *f, size_t len);
uint8_t nu_tcp_flags(const uint8_t *f);
void nu_tcp_ports(const uint8_t *f, uint16_t *sport, uint16_t *dport);
bool nu_is_dhcp_offer(const uint8_t *f, size_t len);
/* The offered address (yiaddr) of a DHCP reply, network order. */
uint32_t nu_dhcp_yiaddr(const uint8_t *f);

#endif
