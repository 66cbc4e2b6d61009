/* SPDX-License-Identifier: MIT */
/*
 * The TPM itself: libtpms (one TPM per process: libtpms keeps global
 * state), its permanent state in the two-slot state file (state-file.h),
 * and a worker thread that runs commands, so that a slow one (an RSA key
 * generation takes seconds) never holds up the loop that answers
 * atoll-cpu's register reads, which have a deadline. The loop learns that
 * a command finished from engine_done_fd() becoming readable.
 */
#ifndef ATOLL_TPM_ENGINE_H
#define ATOLL_TPM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENGINE_CMD_MAX 4096u

struct engine;

/* Starts libtpms as a TPM 2.0 (`tpm2`) or 1.2 on the state file at
 * `state_fd` (an empty file: manufactured now and saved). Returns NULL
 * with a reason in why[] (a corrupt file, a TPM of the other version,
 * libtpms refusing the state). */
struct engine *engine_new(bool tpm2, int state_fd, char *why, size_t whylen);
void engine_free(struct engine *e);

/* Hands a command to the worker (copied). The caller runs one at a time:
 * a command while another runs returns -EBUSY. */
int engine_submit(struct engine *e, const uint8_t *cmd, uint32_t len);
/* Readable once the command has finished. */
int engine_done_fd(const struct engine *e);
/* After engine_done_fd() was readable: the response (valid until the
 * next submit), or -EAGAIN if none is ready. */
int engine_take(struct engine *e, const uint8_t **resp, uint32_t *len);
bool engine_busy(const struct engine *e);
/* Waits up to `ms` for the command to finish; true if it has (then
 * engine_take() has its response). Lets a quick command complete before
 * the guest's first status read, so the driver never sleeps in its poll
 * (docs/dev-tpm.md, "Where the registers live"); the bound keeps a slow
 * one (key generation) from holding up register reads, which have a 1 s
 * deadline. */
bool engine_wait(struct engine *e, int ms);

/* The whole state, permanent and volatile, for STATE_SAVE (not while a
 * command runs: -EBUSY): malloc'd, in libtpms' own formats, as
 * perm_len(u32 LE) perm vol_len(u32 LE) vol. */
int engine_save(struct engine *e, uint8_t **out, size_t *len);
/* Restarts the TPM from a saved state (engine_save's format, checked)
 * and writes its permanent part to the state file. On failure the TPM
 * runs on from the state file as before. */
int engine_load(struct engine *e, const uint8_t *in, size_t len,
		char *why, size_t whylen);
/* The state file's newest sequence number (for tests and logs). */
uint64_t engine_seq(const struct engine *e);

#endif
