/* SPDX-License-Identifier: MIT */
/* The two-slot state file (state-file.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "state-file.h"

static const char magic[8] = { 'A', 'T', 'P', 'M', 'S', 'L', 'O', 'T' };
#define FORMAT 1u
#define HASHED_HEADER 32u

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int digest(const uint8_t *hdr, const uint8_t *data, uint32_t len,
		  uint8_t out[32])
{
	unsigned n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(c, hdr, HASHED_HEADER) &&
		  EVP_DigestUpdate(c, data, len) &&
		  EVP_DigestFinal_ex(c, out, &n) && n == 32;

	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

struct slot {
	bool intact;
	unsigned version;
	struct state_blob blob;
};

static struct slot read_slot(const uint8_t *img, size_t len, unsigned i)
{
	struct slot s = { 0 };
	size_t at = (size_t)i * STATE_SLOT_SPAN;
	uint8_t want[32];

	if (len < at + STATE_HEADER_SIZE)
		return s;
	const uint8_t *h = img + at;
	uint32_t plen = le32(h + 24);
	if (memcmp(h, magic, sizeof(magic)) || le32(h + 8) != FORMAT ||
	    plen > STATE_PAYLOAD_MAX || le32(h + 28) != 0 ||
	    len - at - STATE_HEADER_SIZE < plen)
		return s;
	if (digest(h, h + STATE_HEADER_SIZE, plen, want) ||
	    memcmp(want, h + HASHED_HEADER, 32))
		return s;
	s.intact = true;
	s.version = le32(h + 12);
	s.blob.data = h + STATE_HEADER_SIZE;
	s.blob.len = plen;
	s.blob.seq = (uint64_t)le32(h + 16) | (uint64_t)le32(h + 20) << 32;
	return s;
}

static int fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int state_image_parse(const uint8_t *img, size_t len, unsigned version,
		      struct state_blob *out, char *why, size_t whylen)
{
	struct slot a, b, *best;

	if (len == 0)
		return 1;
	a = read_slot(img, len, 0);
	b = read_slot(img, len, 1);
	if (!a.intact && !b.intact)
		return fail(why, whylen, "no intact state in the file "
			    "(%zu bytes): corrupt, or not a TPM state file; "
			    "an empty file gives a fresh TPM", len);
	if (a.intact && b.intact)
		best = a.blob.seq >= b.blob.seq ? &a : &b;
	else
		best = a.intact ? &a : &b;
	if (best->version != version)
		return fail(why, whylen, "the state is a TPM %s's, this device "
			    "is a TPM %s", best->version == STATE_TPM12 ? "1.2" :
			    best->version == STATE_TPM2 ? "2.0" : "(unknown)",
			    version == STATE_TPM12 ? "1.2" : "2.0");
	*out = best->blob;
	return 0;
}

int state_file_load(int fd, unsigned version, uint8_t **image,
		    struct state_blob *out, char *why, size_t whylen)
{
	struct stat st;
	size_t want, got = 0;
	uint8_t *buf;
	int r;

	*image = NULL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return fail(why, whylen, "not a regular file");
	/* Only the two slots count; a longer file's tail is ignored. */
	want = (uint64_t)st.st_size < 2ull * STATE_SLOT_SPAN ?
	       (size_t)st.st_size : 2u * STATE_SLOT_SPAN;
	buf = malloc(want ? want : 1);
	if (!buf)
		return -ENOMEM;
	while (got < want) {
		ssize_t n = pread(fd, buf + got, want - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			free(buf);
			return r;
		}
		got += (size_t)n;
	}
	r = state_image_parse(buf, got, version, out, why, whylen);
	if (r < 0)
		free(buf);
	else
		*image = buf;
	return r;
}

int state_file_store(int fd, unsigned version, uint64_t seq,
		     const uint8_t *data, uint32_t len)
{
	size_t total = STATE_HEADER_SIZE + (size_t)len, done = 0;
	off_t at = (off_t)(seq % 2) * STATE_SLOT_SPAN;
	uint8_t *buf;
	int r = 0;

	if (len > STATE_PAYLOAD_MAX)
		return -EMSGSIZE;
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, magic, sizeof(magic));
	put_le32(buf + 8, FORMAT);
	put_le32(buf + 12, version);
	put_le32(buf + 16, (uint32_t)seq);
	put_le32(buf + 20, (uint32_t)(seq >> 32));
	put_le32(buf + 24, len);
	memcpy(buf + STATE_HEADER_SIZE, data, len);
	if ((r = digest(buf, buf + STATE_HEADER_SIZE, len,
			buf + HASHED_HEADER)) < 0)
		goto out;
	while (done < total) {
		ssize_t n = pwrite(fd, buf + done, total - done,
				   at + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		done += (size_t)n;
	}
	if (fdatasync(fd) < 0)
		r = -errno;
out:
	free(buf);
	return r;
}
