/* SPDX-License-Identifier: MIT */
/*
 * The TPM Interface Specification (TIS 1.3, TCG PC Client PTP "FIFO"
 * interface) register file, over MMIO: what Linux's tpm_tis driver reads
 * and writes. Pure state machine, no TPM inside: a complete command is
 * handed to `execute` and its response comes back with tis_complete().
 * Everything the guest writes is bounded here (a command never grows past
 * TIS_BUFFER_SIZE; a read past the response reads 0xff), so a hostile
 * access sequence can only produce a wrong TPM command, which the TPM
 * itself refuses.
 *
 * Only locality 0 exists (Linux uses no other); localities 1-4 read 0,
 * which the driver takes as "no such locality", and ignore writes.
 *
 * Registers of locality 0 (offsets in the 0x5000 window):
 *   0x00 ACCESS        8  valid, activeLocality, requestUse (w), seize
 *   0x08 INT_ENABLE   32  kept, never acted on: no interrupt line
 *   0x10 INT_STATUS   32  reads 0
 *   0x14 INTF_CAPS    32  no interrupts, 1-4 byte transfers, burst static
 *   0x18 STS          32  status byte, burstCount (8..23), family (26..27)
 *   0x24 DATA_FIFO   1-4  command bytes in, response bytes out
 *   0x30 INTERFACE_ID 32  TIS 1.3
 *   0x80 XDATA_FIFO  1-4  as DATA_FIFO
 *   0xf00 DID_VID     32  QEMU's (IBM 0x1014, device 0x0001)
 *   0xf04 RID          8  revision
 */
#ifndef ATOLL_TPM_TIS_H
#define ATOLL_TPM_TIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIS_WINDOW_SIZE 0x5000u       /* five localities of 4 KiB */
#define TIS_BUFFER_SIZE 4096u         /* TPM2 and TPM 1.2 commands fit */
#define TIS_HEADER_SIZE 10u           /* tag(2) size(4) code(4) */

enum tis_state {
	TIS_IDLE,        /* no command: commandReady not yet asked for */
	TIS_READY,       /* accepting a command's bytes */
	TIS_RECEIVING,   /* some bytes in */
	TIS_EXECUTING,   /* handed to the TPM */
	TIS_COMPLETED,   /* response available */
};

struct tis {
	enum tis_state state;
	bool tpm2;                    /* STS family bits, selfTestDone */
	bool active;                  /* locality 0 holds the interface */
	uint32_t int_enable;
	uint8_t cmd[TIS_BUFFER_SIZE];
	uint32_t cmd_len;             /* bytes received */
	uint8_t resp[TIS_BUFFER_SIZE];
	uint32_t resp_len, resp_pos;
	uint64_t commands;            /* handed to execute, for HEALTH */
	uint64_t reads, writes;       /* guest accesses, logged at exit */
	/* The TPM is running a command (maybe one the guest has abandoned:
	 * `discard`); a new one waits for it (`go_waiting`): the TPM runs
	 * one command at a time. */
	bool tpm_busy, discard, go_waiting;
	/* A complete command (cmd[0..len)): run it and call tis_complete()
	 * later (or from inside, for a synchronous TPM). */
	void (*execute)(void *opaque, const uint8_t *cmd, uint32_t len);
	void *opaque;
};

void tis_init(struct tis *t, bool tpm2,
	      void (*execute)(void *, const uint8_t *, uint32_t), void *opaque);
/* A guest access; the caller has checked offset + size <= the window and
 * size is 1, 2, 4 or 8. */
uint64_t tis_read(struct tis *t, uint64_t offset, unsigned size);
void tis_write(struct tis *t, uint64_t offset, unsigned size, uint64_t value);
/* The TPM's response to the command in execution (at most
 * TIS_BUFFER_SIZE bytes: longer is cut, which the guest sees as a short
 * response). Ignored unless a command is executing. */
void tis_complete(struct tis *t, const uint8_t *resp, uint32_t len);
/* Back to power-on state (a bus RESET), keeping the TPM version. */
void tis_reset(struct tis *t);

/* The state worth saving between two accesses (not while executing):
 * serialised into buf (at most TIS_SAVED_MAX bytes); returns its length.
 * tis_restore() checks every field and returns -EINVAL (nothing changed)
 * for one that cannot be. */
#define TIS_SAVED_MAX (20u + 2u * TIS_BUFFER_SIZE)
size_t tis_save(const struct tis *t, uint8_t *buf);
int tis_restore(struct tis *t, const uint8_t *buf, size_t len);

#endif
