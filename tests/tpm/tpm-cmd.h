/* SPDX-License-Identifier: MIT */
/* Raw TPM 2.0 and 1.2 commands, as bytes, for the tests: the same ones
 * the guest program sends (guest-tpm.c), built in one place. */
#ifndef ATOLL_TEST_TPM_CMD_H
#define ATOLL_TEST_TPM_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TPM_NV_INDEX 0x01500016u
#define TPM_NV_SIZE 16u

struct tpm_buf {
	uint8_t b[512];
	size_t n;
};

static inline void tb_u8(struct tpm_buf *t, uint8_t v) { t->b[t->n++] = v; }
static inline void tb_u16(struct tpm_buf *t, uint16_t v)
{
	tb_u8(t, (uint8_t)(v >> 8));
	tb_u8(t, (uint8_t)v);
}
static inline void tb_u32(struct tpm_buf *t, uint32_t v)
{
	tb_u16(t, (uint16_t)(v >> 16));
	tb_u16(t, (uint16_t)v);
}
static inline void tb_bytes(struct tpm_buf *t, const void *p, size_t n)
{
	memcpy(t->b + t->n, p, n);
	t->n += n;
}
/* Header with the size patched in by tb_end(). */
static inline void tb_start(struct tpm_buf *t, uint16_t tag, uint32_t code)
{
	t->n = 0;
	tb_u16(t, tag);
	tb_u32(t, 0);
	tb_u32(t, code);
}
static inline void tb_end(struct tpm_buf *t)
{
	t->b[2] = (uint8_t)(t->n >> 24);
	t->b[3] = (uint8_t)(t->n >> 16);
	t->b[4] = (uint8_t)(t->n >> 8);
	t->b[5] = (uint8_t)t->n;
}
/* An empty password session (TPM_RS_PW), as an authorization area. */
static inline void tb_pw_session(struct tpm_buf *t)
{
	tb_u32(t, 9);
	tb_u32(t, 0x40000009u);
	tb_u16(t, 0);
	tb_u8(t, 0);
	tb_u16(t, 0);
}
static inline uint32_t tpm_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void tpm2_startup(struct tpm_buf *t)
{
	tb_start(t, 0x8001, 0x144);
	tb_u16(t, 0);                 /* TPM_SU_CLEAR */
	tb_end(t);
}
static inline void tpm2_get_random(struct tpm_buf *t, uint16_t n)
{
	tb_start(t, 0x8001, 0x17b);
	tb_u16(t, n);
	tb_end(t);
}
static inline void tpm2_pcr_extend(struct tpm_buf *t, uint32_t pcr,
				   const uint8_t digest[32])
{
	tb_start(t, 0x8002, 0x182);
	tb_u32(t, pcr);
	tb_pw_session(t);
	tb_u32(t, 1);
	tb_u16(t, 0x000b);            /* TPM_ALG_SHA256 */
	tb_bytes(t, digest, 32);
	tb_end(t);
}
/* The digest is at response offset TPM2_PCR_READ_DIGEST. */
#define TPM2_PCR_READ_DIGEST 30u
static inline void tpm2_pcr_read(struct tpm_buf *t, uint32_t pcr)
{
	tb_start(t, 0x8001, 0x17e);
	tb_u32(t, 1);
	tb_u16(t, 0x000b);
	tb_u8(t, 3);
	tb_u8(t, pcr / 8 == 0 ? (uint8_t)(1u << pcr % 8) : 0);
	tb_u8(t, pcr / 8 == 1 ? (uint8_t)(1u << pcr % 8) : 0);
	tb_u8(t, pcr / 8 == 2 ? (uint8_t)(1u << pcr % 8) : 0);
	tb_end(t);
}
static inline void tpm2_nv_define(struct tpm_buf *t)
{
	tb_start(t, 0x8002, 0x12a);
	tb_u32(t, 0x40000001u);       /* TPM_RH_OWNER */
	tb_pw_session(t);
	tb_u16(t, 0);                 /* no auth value */
	tb_u16(t, 14);                /* TPMS_NV_PUBLIC */
	tb_u32(t, TPM_NV_INDEX);
	tb_u16(t, 0x000b);
	/* OWNERWRITE | OWNERREAD | NO_DA */
	tb_u32(t, 0x00000002u | 0x00020000u | 0x02000000u);
	tb_u16(t, 0);
	tb_u16(t, TPM_NV_SIZE);
	tb_end(t);
}
static inline void tpm2_nv_write(struct tpm_buf *t, const uint8_t d[16])
{
	tb_start(t, 0x8002, 0x137);
	tb_u32(t, 0x40000001u);
	tb_u32(t, TPM_NV_INDEX);
	tb_pw_session(t);
	tb_u16(t, TPM_NV_SIZE);
	tb_bytes(t, d, TPM_NV_SIZE);
	tb_u16(t, 0);
	tb_end(t);
}
/* The data is at response offset TPM2_NV_READ_DATA. */
#define TPM2_NV_READ_DATA 16u
static inline void tpm2_nv_read(struct tpm_buf *t)
{
	tb_start(t, 0x8002, 0x14e);
	tb_u32(t, 0x40000001u);
	tb_u32(t, TPM_NV_INDEX);
	tb_pw_session(t);
	tb_u16(t, TPM_NV_SIZE);
	tb_u16(t, 0);
	tb_end(t);
}

static inline void tpm12_startup(struct tpm_buf *t)
{
	tb_start(t, 0x00c1, 0x99);
	tb_u16(t, 1);                 /* TPM_ST_CLEAR */
	tb_end(t);
}
static inline void tpm12_get_random(struct tpm_buf *t, uint32_t n)
{
	tb_start(t, 0x00c1, 0x46);
	tb_u32(t, n);
	tb_end(t);
}
/* The new PCR value is at response offset 10. */
static inline void tpm12_extend(struct tpm_buf *t, uint32_t pcr,
				const uint8_t digest[20])
{
	tb_start(t, 0x00c1, 0x14);
	tb_u32(t, pcr);
	tb_bytes(t, digest, 20);
	tb_end(t);
}

#endif
