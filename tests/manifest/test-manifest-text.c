/* SPDX-License-Identifier: MIT */
/* The manifest's pure string helpers: sizes, ${VAR}, suggestions, names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-internal.h"
#include "manifest-test.h"
#include "test-util.h"

static const struct {
	const char *text;
	int ret;
	uint64_t bytes;
} sizes[] = {
	{ "0", 0, 0 },
	{ "4096", 0, 4096 },
	{ "1K", 0, 1024 },
	{ "256M", 0, 256ull << 20 },
	{ "2G", 0, 2ull << 30 },
	{ "3T", 0, 3ull << 40 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "17179869184G", -ERANGE, 0 },
	{ "256Q", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "M", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "1.5G", -EINVAL, 0 },
	{ "256 M", -EINVAL, 0 },
	{ "256MB", -EINVAL, 0 },
	{ "0x100", -EINVAL, 0 },
};

START_TEST(parse_size)
{
	uint64_t v = 12345;
	int r = manifest_parse_size(sizes[_i].text, &v);

	ck_assert_msg(r == sizes[_i].ret, "\"%s\": returned %d, wanted %d",
		      sizes[_i].text, r, sizes[_i].ret);
	if (r == 0)
		ck_assert_msg(v == sizes[_i].bytes, "\"%s\" = %llu",
			      sizes[_i].text, (unsigned long long)v);
	else
		ck_assert_uint_eq(v, 12345);
}
END_TEST

static const struct {
	const char *in;
	int ret;
	const char *out;    /* expansion, or a word of the error message */
} expansions[] = {
	{ "plain", 0, "plain" },
	{ "${MT_A}/x", 0, "alpha/x" },
	{ "${MT_A}${MT_B}", 0, "alphabeta" },
	{ "$$", 0, "$" },
	{ "a$${MT_A}", 0, "a${MT_A}" },
	{ "${MT_EMPTY}", 0, "" },
	{ "${MT_UNSET_X}", -ENOENT, "MT_UNSET_X" },
	{ "$MT_A", -EINVAL, "$$" },
	{ "x$", -EINVAL, "lone" },
	{ "${MT_A", -EINVAL, "${NAME}" },
	{ "${}", -EINVAL, "${NAME}" },
	{ "${1X}", -EINVAL, "${NAME}" },
	{ "${A-B}", -EINVAL, "${NAME}" },
};

START_TEST(expand)
{
	char *out = NULL, msg[256] = "";
	int r;

	CHECK_OK(setenv("MT_A", "alpha", 1));
	CHECK_OK(setenv("MT_B", "beta", 1));
	CHECK_OK(setenv("MT_EMPTY", "", 1));
	unsetenv("MT_UNSET_X");
	r = manifest_expand(expansions[_i].in, strlen(expansions[_i].in), &out,
			    msg, sizeof(msg));
	ck_assert_msg(r == expansions[_i].ret, "\"%s\": returned %d (%s)",
		      expansions[_i].in, r, msg);
	if (r == 0) {
		ck_assert_str_eq(out, expansions[_i].out);
		free(out);
	} else {
		ck_assert_ptr_null(out);
		ck_assert_msg(strstr(msg, expansions[_i].out),
			      "\"%s\": message \"%s\" lacks \"%s\"",
			      expansions[_i].in, msg, expansions[_i].out);
	}
}
END_TEST

/* A NUL inside a scalar would silently truncate a path. */
START_TEST(expand_rejects_nul)
{
	char *out = NULL, msg[256];

	ck_assert_int_eq(manifest_expand("a\0b", 3, &out, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(edit_distance_and_suggest)
{
	static const char *const keys[] = { "cache", "cpus", "queues",
					    "qmp", NULL };

	ck_assert_uint_eq(manifest_edit_distance("cache", "cache"), 0);
	ck_assert_uint_eq(manifest_edit_distance("cahce", "cache"), 1);
	ck_assert_uint_eq(manifest_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(manifest_edit_distance("kitten", "sitting"), 3);
	ck_assert_str_eq(manifest_suggest("cpu", keys), "cpus");
	ck_assert_str_eq(manifest_suggest("cahce", keys), "cache");
	ck_assert_str_eq(manifest_suggest("queue", keys), "queues");
	ck_assert_str_eq(manifest_suggest("qpm", keys), "qmp");
	ck_assert_ptr_null(manifest_suggest("zzzzzz", keys));
	ck_assert_ptr_null(manifest_suggest("a", keys));
	ck_assert_ptr_null(manifest_suggest("cache", keys));
}
END_TEST

START_TEST(names)
{
	ck_assert(manifest_valid_device_name("disk0"));
	ck_assert(manifest_valid_device_name("a"));
	ck_assert(manifest_valid_device_name("0_x-y"));
	ck_assert(manifest_valid_device_name("abcdefghijklmnopqrstuvwxyz012345"));
	ck_assert(!manifest_valid_device_name("abcdefghijklmnopqrstuvwxyz0123456"));
	ck_assert(!manifest_valid_device_name(""));
	ck_assert(!manifest_valid_device_name("-x"));
	ck_assert(!manifest_valid_device_name("Disk"));
	ck_assert(!manifest_valid_device_name("a b"));
	ck_assert(!manifest_valid_device_name("a/b"));
	ck_assert(manifest_valid_vm_name("Web-1.test"));
	ck_assert(!manifest_valid_vm_name(".hidden"));
	ck_assert(!manifest_valid_vm_name("a b"));
	ck_assert(manifest_valid_ifname("tap0"));
	ck_assert(!manifest_valid_ifname("0123456789abcdef"));
	ck_assert(!manifest_valid_ifname("a/b"));
	ck_assert(!manifest_valid_ifname(".."));
}
END_TEST

START_TEST(mac)
{
	uint8_t m[6];

	CHECK_RET(manifest_parse_mac("52:54:00:12:34:56", m), 0);
	ck_assert_uint_eq(m[0], 0x52);
	ck_assert_uint_eq(m[5], 0x56);
	CHECK_RET(manifest_parse_mac("52:54:00:AB:cd:Ef", m), 0);
	ck_assert_uint_eq(m[3], 0xab);
	CHECK_RET(manifest_parse_mac("53:54:00:12:34:56", m), -EADDRNOTAVAIL);
	CHECK_RET(manifest_parse_mac("ff:ff:ff:ff:ff:ff", m), -EADDRNOTAVAIL);
	CHECK_RET(manifest_parse_mac("00:00:00:00:00:00", m), -EADDRNOTAVAIL);
	CHECK_RET(manifest_parse_mac("52:54:00:12:34", m), -EINVAL);
	CHECK_RET(manifest_parse_mac("52-54-00-12-34-56", m), -EINVAL);
	CHECK_RET(manifest_parse_mac("52:54:00:12:34:5g", m), -EINVAL);
	CHECK_RET(manifest_parse_mac("52:54:00:12:34:567", m), -EINVAL);
}
END_TEST

static const struct {
	const char *text;
	size_t len;
	int ret;
	unsigned line, col;
} texts[] = {
	{ "a: 1\nb: \xc3\xa9\n", 11, 0, 0, 0 },
	{ "a: \xf0\x9f\x98\x80\r\nb", 10, 0, 0, 0 },
	{ "? a:\t:\n", 8, -EILSEQ, 1, 5 },        /* crashes libfyaml 0.7.12 */
	{ "%\xfe\n", 3, -EILSEQ, 1, 2 },           /* hangs libfyaml 0.7.12 */
	{ "a: 1\nb: x\0y", 11, -EILSEQ, 2, 5 },
	{ "a: \xc0\xaf", 5, -EILSEQ, 1, 4 },        /* overlong '/' */
	{ "a: \xed\xa0\x80", 6, -EILSEQ, 1, 4 },    /* surrogate */
	{ "a: \xe2\x82", 5, -EILSEQ, 1, 4 },        /* truncated */
	{ "\n\n\x1b[31m", 7, -EILSEQ, 3, 1 },      /* ESC */
	{ "a: \xef\xbf\xbf", 6, -EILSEQ, 1, 4 },    /* U+FFFF */
	/* adjacent '' escapes: misread and leaked by libfyaml 0.7.12 */
	{ "a: 'x''''y'\n", 12, -EILSEQ, 1, 9 },
	{ "': ahi''''''''''''':", 20, -EILSEQ, 1, 10 },
	{ "a: 'x''y''z'\nb: '''q'''\n", 24, 0, 0, 0 },
};

START_TEST(check_text)
{
	unsigned line = 0, col = 0;
	char msg[128] = "";
	int r = manifest_check_text(texts[_i].text, texts[_i].len, &line, &col,
				    msg, sizeof(msg));

	ck_assert_msg(r == texts[_i].ret, "case %d returned %d (%s)", _i, r,
		      msg);
	if (r < 0) {
		ck_assert_uint_eq(line, texts[_i].line);
		ck_assert_uint_eq(col, texts[_i].col);
	}
}
END_TEST

TCase *manifest_text_tcase(void)
{
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, parse_size, 0,
			    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_loop_test(tc, expand, 0,
			    (int)(sizeof(expansions) / sizeof(expansions[0])));
	tcase_add_test(tc, expand_rejects_nul);
	tcase_add_loop_test(tc, check_text, 0,
			    (int)(sizeof(texts) / sizeof(texts[0])));
	tcase_add_test(tc, edit_distance_and_suggest);
	tcase_add_test(tc, names);
	tcase_add_test(tc, mac);
	return tc;
}
