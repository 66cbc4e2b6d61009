/* SPDX-License-Identifier: MIT */
/* Pure string helpers of the manifest: sizes, ${VAR}, names, suggestions. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-internal.h"

/* "256M" -> 268435456. Units K, M, G, T are powers of 1024 (k, m, g, t
 * too); a plain number is bytes. No sign, no fraction, no space. */
int manifest_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0': break;
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	case 'T': case 't': shift = 40; p++; break;
	default: return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static bool var_start(char ch)
{
	return ch == '_' || isalpha((unsigned char)ch);
}

static bool var_char(char ch)
{
	return ch == '_' || isalnum((unsigned char)ch);
}

/* Appends n bytes to the growing buffer *buf (length *len, capacity *cap). */
static int append(char **buf, size_t *len, size_t *cap, const char *s,
		  size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Expands one "${NAME}" at in[0]; *used gets the bytes consumed. */
static int expand_var(const char *in, size_t len, size_t *used, char **buf,
		      size_t *blen, size_t *cap, char *msg, size_t msgsz)
{
	size_t n = 2;
	char name[128];
	const char *val;

	while (n < len && var_char(in[n]))
		n++;
	if (n == 2 || !var_start(in[2]) || n >= len || in[n] != '}') {
		snprintf(msg, msgsz, "bad variable reference in \"%.*s\"; "
			 "expected ${NAME} with NAME made of letters, digits "
			 "and _ (write $$ for a literal $)", (int)(len > 64 ? 64 : len), in);
		return -EINVAL;
	}
	if (n - 2 >= sizeof(name)) {
		snprintf(msg, msgsz, "variable name too long");
		return -EINVAL;
	}
	memcpy(name, in + 2, n - 2);
	name[n - 2] = '\0';
	val = getenv(name);
	if (!val) {
		snprintf(msg, msgsz, "environment variable \"%s\" is not set",
			 name);
		return -ENOENT;
	}
	*used = n + 1;
	return append(buf, blen, cap, val, strlen(val));
}

/* Expands ${NAME} from the environment; "$$" is a literal "$". Any other
 * "$" is refused so that "$HOME/x" is not silently taken literally.
 * On error, msg says why and *out is untouched. */
int manifest_expand(const char *in, size_t len, char **out, char *msg,
		    size_t msgsz)
{
	char *buf = NULL;
	size_t blen = 0, cap = 0, i = 0;
	int r = append(&buf, &blen, &cap, "", 0);

	while (r == 0 && i < len) {
		const char *dollar = memchr(in + i, '$', len - i);
		size_t lit = dollar ? (size_t)(dollar - (in + i)) : len - i;
		size_t used = 0;

		r = append(&buf, &blen, &cap, in + i, lit);
		i += lit;
		if (r < 0 || i >= len)
			break;
		if (i + 1 < len && in[i + 1] == '$') {
			r = append(&buf, &blen, &cap, "$", 1);
			used = 2;
		} else if (i + 1 < len && in[i + 1] == '{') {
			r = expand_var(in + i, len - i, &used, &buf, &blen,
				       &cap, msg, msgsz);
		} else {
			snprintf(msg, msgsz, "a lone \"$\" is not allowed; "
				 "write ${NAME} for a variable or $$ for a "
				 "literal $");
			r = -EINVAL;
		}
		i += used;
	}
	if (r == 0 && memchr(buf, '\0', blen)) {
		snprintf(msg, msgsz, "string contains a NUL byte");
		r = -EINVAL;
	}
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(msg, msgsz, "out of memory");
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), so "cahce" is one edit from "cache". Words longer than
 * 63 bytes are never near anything. */
unsigned manifest_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[64][64];

	if (la >= 64 || lb >= 64)
		return 1000;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The closest candidate if it is a plausible typo: at most 2 edits, and
 * fewer edits than a third of the candidate's length (rounded up), so
 * "cpu" suggests "cpus" but "a" suggests nothing. */
const char *manifest_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	unsigned best_d = 3;

	for (; cands && *cands; cands++) {
		unsigned d = manifest_edit_distance(word, *cands);
		unsigned limit = ((unsigned)strlen(*cands) + 2) / 3;
		if (d < best_d && d <= limit && d > 0) {
			best = *cands;
			best_d = d;
		}
	}
	return best;
}

/* [a-z0-9][a-z0-9_-]{0,31}: safe in argv, socket and log names. */
bool manifest_valid_device_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || *s == '_' || *s == '-')
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,63}: it names sockets and log prefixes. */
bool manifest_valid_vm_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "52:54:00:12:34:56": six two-digit hex octets. -EINVAL for the form,
 * -EADDRNOTAVAIL for a multicast or all-zero address. */
int manifest_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned any = 0;

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	if ((mac[0] & 1) || !any)
		return -EADDRNOTAVAIL;
	return 0;
}

/* A Linux interface name: 1..15 bytes, no '/', ':' or whitespace. */
bool manifest_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/* "a, b, c" into buf, truncated to fit. */
void manifest_list_choices(const char *const *choices, char *buf,
			   size_t size)
{
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	for (const char *const *p = choices; *p && used < size; p++) {
		int n = snprintf(buf + used, size - used, "%s%s",
				 p == choices ? "" : ", ", *p);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Decodes one strict UTF-8 sequence at s (n bytes left): returns its length
 * and sets *cp, or 0 for an invalid, overlong or surrogate sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 :
		     (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t v;

	if (!len || len > n)
		return 0;
	v = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* YAML 1.2 c-printable: tab, LF, CR, printable ASCII, NEL and the
 * non-control, non-surrogate rest of Unicode except U+FFFE/U+FFFF. */
static bool yaml_printable(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0x7e) ||
	       c == 0x85 || (c >= 0xa0 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* The input must be UTF-8 made of YAML-printable characters. Checked
 * before libfyaml sees it: its 0.7 releases hang or read out of bounds on
 * some invalid UTF-8 (e.g. "%\xfe\n" loops in fy_scan_directive). */
int manifest_check_text(const char *text, size_t len, unsigned *line,
			unsigned *col, char *msg, size_t msgsz)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, quotes = 0;

	*line = 1;
	*col = 1;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (!n) {
			snprintf(msg, msgsz, "invalid UTF-8 (byte 0x%02x); a "
				 "manifest must be UTF-8 text", s[i]);
			return -EILSEQ;
		}
		if (!yaml_printable(cp)) {
			snprintf(msg, msgsz, "character U+%04X is not allowed "
				 "in YAML text", (unsigned)cp);
			return -EILSEQ;
		}
		/* libfyaml 0.7 (Debian 12) corrupts its parser state on
		 * some tabs after an error (a crash in fy_parser_destroy;
		 * upstream libfyaml#57).  YAML forbids tabs in indentation
		 * anyway, and a manifest needs none elsewhere. */
		if (cp == '\t') {
			snprintf(msg, msgsz, "tab character; a manifest is "
				 "indented with spaces and may not contain "
				 "tabs (write \\t in a quoted string)");
			return -EILSEQ;
		}
		/* libfyaml 0.7 decodes adjacent '' escapes in a single-quoted
		 * scalar wrongly ('a''''b' gives a''' where YAML says a''),
		 * and the length it computed first no longer fits: the text
		 * is lost and an iterator's heap buffer leaks (found by
		 * fuzz-manifest). Two such escapes need four quotes in a
		 * row; a manifest never does. */
		quotes = cp == '\'' ? quotes + 1 : 0;
		if (quotes == 4) {
			snprintf(msg, msgsz, "four ' in a row; libfyaml 0.7 "
				 "misreads adjacent '' escapes (write the "
				 "string in double quotes)");
			return -EILSEQ;
		}
		i += n;
		if (cp == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
	return 0;
}
