/* SPDX-License-Identifier: MIT */
/*
 * A usbredir "usb-host" peer written for the tests (libusbredirparser with
 * usbredirparser_fl_usb_host) that emulates one vendor-class device: a
 * device, configuration and string descriptors, bulk OUT 0x02, bulk IN
 * 0x81, interrupt IN 0x83 and interrupt OUT 0x04. Bulk IN returns what bulk OUT wrote
 * (loopback; an IN with nothing written waits, so it can be cancelled) or
 * a fixed pattern of N bytes. Hostile modes send what a broken or hostile
 * peer would.
 */
#ifndef ATOLL_TEST_REDIR_PEER_H
#define ATOLL_TEST_REDIR_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum redir_peer_hostile {
	/* Control and bulk IN answers 16 bytes longer than asked. */
	PEER_OVERSIZE = 1u << 0,
	/* Every answer goes first under an id never asked for. */
	PEER_UNKNOWN_ID = 1u << 1,
	/* device_connect with speed 9 first, then the right one. */
	PEER_BAD_SPEED = 1u << 2,
	/* A bulk IN is answered with device_disconnect instead. */
	PEER_DISCONNECT = 1u << 3,
	/* Bulk answers name another endpoint (0x86). */
	PEER_WRONG_EP = 1u << 4,
	/* Bulk answers with status 77, outside the protocol. */
	PEER_BAD_STATUS = 1u << 5,
	/* A bulk IN makes the peer close the stream. */
	PEER_CLOSE = 1u << 6,
	/* stop_interrupt_receiving is answered with ioerror: a status the
	 * guest must not take for a later start's. */
	PEER_STOP_FAILS = 1u << 7,
	/* start_interrupt_receiving is answered with stall. */
	PEER_START_FAILS = 1u << 8,
};

struct redir_peer_config {
	uint16_t vendor, product;
	uint8_t speed;          /* usb_redir_speed_* */
	size_t pattern_len;     /* 0: loopback; else bulk IN reads N bytes */
	unsigned hostile;       /* enum redir_peer_hostile bits */
	bool quiet;             /* no log lines on stderr */
};

/* What the device saw, for the tests' checks. */
struct redir_peer_stats {
	unsigned hellos, set_configs, set_alts, resets, cancels;
	unsigned intr_starts, intr_stops, bulk_out, bulk_in, controls;
	uint8_t configuration;
	uint64_t pattern_sent;  /* bytes of the pattern read so far */
	uint32_t pattern_sum;   /* their byte sum */
	uint8_t intr_out[64];   /* the last interrupt OUT report on 0x04 */
	unsigned intr_out_len;
};

struct redir_peer;

/* Takes `fd` (a connected stream socket) and watches it on `base`. */
struct redir_peer *redir_peer_new(int fd, struct event_base *base,
				  const struct redir_peer_config *cfg);
/* Stops watching the fd and hands it back (for raw writes), or -1. */
int redir_peer_detach(struct redir_peer *peer);
/* Closes the stream (if still held) and frees the peer. */
void redir_peer_free(struct redir_peer *peer);
/* True once the stream closed (by either side). */
bool redir_peer_closed(const struct redir_peer *peer);
const struct redir_peer_stats *redir_peer_stats(const struct redir_peer *peer);
/* Pushes an interrupt IN report on 0x83 (if the guest started
 * receiving): 0, or -1 if it has not. */
int redir_peer_interrupt(struct redir_peer *peer, const uint8_t *data,
			 uint16_t len);
/* Sends device_disconnect now. */
void redir_peer_unplug(struct redir_peer *peer);
/* The pattern's byte at offset i. */
static inline uint8_t redir_peer_pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

#endif
