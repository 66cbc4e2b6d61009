/* SPDX-License-Identifier: MIT */
/* vhost-user message encoding and the reply checks, one refusal each. */
#include <string.h>

#include "test-util.h"
#include "vu-msg.h"

static size_t reply(uint8_t *buf, uint32_t req, uint32_t flags,
		    const void *payload, uint32_t size)
{
	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + VU_HDR_SIZE, payload, size);
	return VU_HDR_SIZE + size;
}

#define OK_FLAGS (VU_FLAG_VERSION | VU_FLAG_REPLY)

START_TEST(encodes_requests)
{
	struct vu_out o;
	struct vu_region r[VU_MAX_REGIONS + 1] = { { 0x80000000, 1 << 20,
						     0x80000000, 0 } };
	uint32_t v;

	vu_out_state(&o, VU_SET_VRING_NUM, 1, 256);
	ck_assert_uint_eq(o.len, VU_HDR_SIZE + 8);
	memcpy(&v, o.buf + 4, 4);
	ck_assert_uint_eq(v, VU_FLAG_VERSION);
	vu_out_need_reply(&o);
	memcpy(&v, o.buf + 4, 4);
	ck_assert_uint_eq(v, VU_FLAG_VERSION | VU_FLAG_NEED_REPLY);
	CHECK_RET(vu_out_mem_table(&o, r, 1), 0);
	ck_assert_uint_eq(o.len, VU_HDR_SIZE + 8 + 32);
	CHECK_RET(vu_out_mem_table(&o, r, VU_MAX_REGIONS + 1), -EINVAL);
	CHECK_RET(vu_out_config(&o, VU_GET_CONFIG, 0, 0, NULL), -EINVAL);
	CHECK_RET(vu_out_config(&o, VU_GET_CONFIG, 0, VU_MAX_CONFIG + 1, NULL),
		  -EINVAL);
	CHECK_RET(vu_out_config(&o, VU_GET_CONFIG, 0, 60, NULL), 0);
	ck_assert_uint_eq(o.len, VU_HDR_SIZE + VU_CONFIG_HDR + 60);
}
END_TEST

START_TEST(checks_u64_replies)
{
	struct vu_expect e = { .request = VU_GET_FEATURES };
	struct vu_reply r;
	uint8_t buf[64];
	uint64_t f = 0x100000000ull;
	size_t n;

	n = reply(buf, VU_GET_FEATURES, OK_FLAGS, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), 0);
	ck_assert_uint_eq(r.u64, f);
	/* fds with a reply that has none */
	CHECK_RET(vu_reply_parse(&e, buf, n, 1, &r), -EPROTO);
	/* another request's reply */
	n = reply(buf, VU_GET_QUEUE_NUM, OK_FLAGS, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), -EPROTO);
	/* not marked a reply; version 2; NEED_REPLY in a reply */
	n = reply(buf, VU_GET_FEATURES, VU_FLAG_VERSION, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), -EPROTO);
	n = reply(buf, VU_GET_FEATURES, 2 | VU_FLAG_REPLY, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), -EPROTO);
	n = reply(buf, VU_GET_FEATURES, OK_FLAGS | VU_FLAG_NEED_REPLY, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), -EPROTO);
	/* a short payload; a header that claims more than arrived */
	n = reply(buf, VU_GET_FEATURES, OK_FLAGS, &f, 4);
	CHECK_RET(vu_reply_parse(&e, buf, n, 0, &r), -EBADMSG);
	n = reply(buf, VU_GET_FEATURES, OK_FLAGS, &f, 8);
	CHECK_RET(vu_reply_parse(&e, buf, n - 1, 0, &r), -EBADMSG);
	CHECK_RET(vu_reply_parse(&e, buf, 5, 0, &r), -EBADMSG);
}
END_TEST

START_TEST(checks_size_limit)
{
	struct vu_expect e = { .request = VU_GET_CONFIG, .cfg_size = 8 };
	uint8_t hdr[VU_HDR_SIZE];
	uint32_t v = VU_GET_CONFIG, flags = OK_FLAGS, size = VU_MAX_REPLY + 1;

	memcpy(hdr, &v, 4);
	memcpy(hdr + 4, &flags, 4);
	memcpy(hdr + 8, &size, 4);
	CHECK_RET(vu_hdr_check(&e, hdr, 0), -EMSGSIZE);
	size = 0xffffffffu;
	memcpy(hdr + 8, &size, 4);
	CHECK_RET(vu_hdr_check(&e, hdr, 0), -EMSGSIZE);
	size = VU_CONFIG_HDR + 8;
	memcpy(hdr + 8, &size, 4);
	CHECK_RET(vu_hdr_check(&e, hdr, 0), (int)size);
}
END_TEST

START_TEST(checks_ack_vring_config)
{
	struct vu_expect ack = { .request = VU_SET_MEM_TABLE, .ack = true };
	struct vu_expect base = { .request = VU_GET_VRING_BASE, .index = 1 };
	struct vu_expect cfg = { .request = VU_GET_CONFIG, .cfg_size = 8 };
	struct vu_reply r;
	uint8_t buf[VU_HDR_SIZE + VU_MAX_REPLY], p[VU_MAX_REPLY];
	uint64_t status = 0;
	uint32_t st[2] = { 1, 77 }, ch[3] = { 0, 8, 0 };
	size_t n;

	n = reply(buf, VU_SET_MEM_TABLE, OK_FLAGS, &status, 8);
	CHECK_RET(vu_reply_parse(&ack, buf, n, 0, &r), 0);
	status = 22;   /* the back-end refused */
	n = reply(buf, VU_SET_MEM_TABLE, OK_FLAGS, &status, 8);
	CHECK_RET(vu_reply_parse(&ack, buf, n, 0, &r), -EIO);

	n = reply(buf, VU_GET_VRING_BASE, OK_FLAGS, st, 8);
	CHECK_RET(vu_reply_parse(&base, buf, n, 0, &r), 0);
	ck_assert_uint_eq(r.num, 77);
	st[0] = 0;     /* about another ring */
	n = reply(buf, VU_GET_VRING_BASE, OK_FLAGS, st, 8);
	CHECK_RET(vu_reply_parse(&base, buf, n, 0, &r), -EBADMSG);

	memcpy(p, ch, 12);
	memset(p + 12, 0xab, 8);
	n = reply(buf, VU_GET_CONFIG, OK_FLAGS, p, 20);
	CHECK_RET(vu_reply_parse(&cfg, buf, n, 0, &r), 0);
	ck_assert_uint_eq(r.config[7], 0xab);
	n = reply(buf, VU_GET_CONFIG, OK_FLAGS, p, 0);   /* its "could not" */
	CHECK_RET(vu_reply_parse(&cfg, buf, n, 0, &r), -EIO);
	n = reply(buf, VU_GET_CONFIG, OK_FLAGS, p, 16);  /* short */
	CHECK_RET(vu_reply_parse(&cfg, buf, n, 0, &r), -EBADMSG);
	ch[1] = 4;     /* claims another size than asked */
	memcpy(p, ch, 12);
	n = reply(buf, VU_GET_CONFIG, OK_FLAGS, p, 20);
	CHECK_RET(vu_reply_parse(&cfg, buf, n, 0, &r), -EBADMSG);
	ch[1] = 8;
	ch[0] = 4;     /* another offset */
	memcpy(p, ch, 12);
	n = reply(buf, VU_GET_CONFIG, OK_FLAGS, p, 20);
	CHECK_RET(vu_reply_parse(&cfg, buf, n, 0, &r), -EBADMSG);
}
END_TEST

static Suite *vu_msg_suite(void)
{
	Suite *s = suite_create("vu-msg");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, encodes_requests);
	tcase_add_test(tc, checks_u64_replies);
	tcase_add_test(tc, checks_size_limit);
	tcase_add_test(tc, checks_ack_vring_config);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(vu_msg_suite)
