/*
 * test_proto.c — frames: every message type round-trips, signatures bind
 * the header bytes, and no truncation, flipped byte or garbage gets past
 * proto_decode (or crashes it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define C1 "0123456789abcdef0123456789abcdef01234567"
#define C2 "fedcba9876543210fedcba9876543210fedcba98"
#define NOW 1795428000LL

static keys_secret *ka, *kb;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(keys_init(), 0);
	assert_int_equal(keys_secret_generate(&ka), 0);
	assert_int_equal(keys_secret_generate(&kb), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	keys_secret_free(ka);
	keys_secret_free(kb);
	return 0;
}

static proto_msg base_msg(proto_type t)
{
	proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	strcpy(m.from, "350104");
	strcpy(m.to, "350100");
	m.time = NOW;
	strcpy(m.head.node, "350104004");
	strcpy(m.head.commit, C1);
	m.head.height = 7;
	m.head.time = NOW - 5;
	return m;
}

/* encode, decode, verify: the fields survive */
static void roundtrip(const proto_msg *in, const void *payload, size_t plen,
                      proto_msg *out, unsigned char **buf)
{
	size_t len;
	char why[256];

	assert_int_equal(proto_encode(buf, &len, in, ka, payload, plen), 0);
	if (proto_decode(out, *buf, len, why, sizeof(why)) != 0)
		fail_msg("decode: %s", why);
	assert_int_equal(out->type, in->type);
	assert_int_equal(proto_verify(out, keys_secret_public(ka), NULL), 0);
	assert_int_equal(proto_verify(out, keys_secret_public(kb), NULL),
	                 PROTO_EBADSIG);
}

static void test_roundtrip_all(void **state)
{
	proto_msg in, out;
	unsigned char *buf, *head;
	size_t hlen;
	char why[256];
	proto_head hs[2];
	proto_seen ss[1];
	const char pack[] = "PACK-bytes-as-a-test";

	(void)state;
	/* head */
	in = base_msg(PROTO_HEAD);
	roundtrip(&in, NULL, 0, &out, &buf);
	assert_string_equal(out.head.node, "350104004");
	assert_string_equal(out.head.commit, C1);
	assert_int_equal(out.head.height, 7);
	assert_int_equal(out.head.time, NOW - 5);
	proto_msg_clear(&out);
	head = buf;
	assert_int_equal(proto_encode(&head, &hlen, &in, ka, NULL, 0), 0);
	free(buf);

	/* summary */
	in = base_msg(PROTO_SUMMARY);
	memset(hs, 0, sizeof(hs));
	strcpy(hs[0].node, "350104");
	strcpy(hs[0].commit, C1);
	hs[0].height = 3;
	hs[0].time = NOW - 100;
	strcpy(hs[1].node, "350104004");
	strcpy(hs[1].commit, C2);
	hs[1].height = 9;
	hs[1].time = NOW - 50;
	strcpy(ss[0].node, "350104004");
	strcpy(ss[0].parent, "350104");
	ss[0].time = NOW - 1;
	in.heads = hs;
	in.nheads = 2;
	in.seen = ss;
	in.nseen = 1;
	in.seq = 42;
	roundtrip(&in, NULL, 0, &out, &buf);
	assert_int_equal(out.nheads, 2);
	assert_string_equal(out.heads[1].commit, C2);
	assert_int_equal(out.heads[1].height, 9);
	assert_int_equal(out.nseen, 1);
	assert_int_equal(out.seen[0].time, NOW - 1);
	assert_string_equal(out.seen[0].parent, "350104");
	assert_int_equal(out.seq, 42);
	proto_msg_clear(&out);
	free(buf);

	/* fetch */
	in = base_msg(PROTO_FETCH);
	strcpy(in.base, C2);
	in.limit = 500;
	roundtrip(&in, NULL, 0, &out, &buf);
	assert_string_equal(out.head.node, "350104004");
	assert_string_equal(out.base, C2);
	assert_int_equal(out.limit, 500);
	proto_msg_clear(&out);
	free(buf);

	/* pack and push, with a payload and a nested announcement */
	for (proto_type t = PROTO_PACK; t <= PROTO_PUSH; t++) {
		in = base_msg(t);
		in.commits = 3;
		in.announce = head;
		in.announce_len = hlen;
		roundtrip(&in, pack, sizeof(pack), &out, &buf);
		assert_int_equal(out.payload_len, sizeof(pack));
		assert_memory_equal(out.payload, pack, sizeof(pack));
		assert_int_equal(out.announce_len, hlen);
		assert_memory_equal(out.announce, head, hlen);
		if (t == PROTO_PACK)
			assert_int_equal(out.commits, 3);
		proto_msg_clear(&out);
		free(buf);
	}

	/* ok and error */
	in = base_msg(PROTO_OKAY);
	in.commits = 2;
	roundtrip(&in, NULL, 0, &out, &buf);
	assert_int_equal(out.commits, 2);
	proto_msg_clear(&out);
	free(buf);
	in = base_msg(PROTO_ERROR);
	strcpy(in.code, "refused");
	strcpy(in.reason, "commit 1234: 签名不对");
	roundtrip(&in, NULL, 0, &out, &buf);
	assert_string_equal(out.code, "refused");
	assert_string_equal(out.reason, "commit 1234: 签名不对");
	proto_msg_clear(&out);
	free(buf);

	/* a payload only on pack and push */
	in = base_msg(PROTO_FETCH);
	assert_int_equal(proto_encode(&buf, &hlen, &in, ka, "x", 1), PROTO_EINVAL);
	free(head);
	(void)why;
}

static void test_announce_must_match(void **state)
{
	proto_msg in;
	unsigned char *head, *buf;
	size_t hlen, len;
	proto_msg out;
	char why[256];

	(void)state;
	in = base_msg(PROTO_HEAD);
	assert_int_equal(proto_encode(&head, &hlen, &in, ka, NULL, 0), 0);
	/* a push whose announcement names another commit */
	in = base_msg(PROTO_PUSH);
	strcpy(in.head.commit, C2);
	in.announce = head;
	in.announce_len = hlen;
	assert_int_equal(proto_encode(&buf, &len, &in, ka, NULL, 0), 0);
	assert_int_equal(proto_decode(&out, buf, len, why, sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "another commit"));
	free(buf);
	/* ... or another node */
	in = base_msg(PROTO_PUSH);
	strcpy(in.head.node, "350104005");
	in.announce = head;
	in.announce_len = hlen;
	assert_int_equal(proto_encode(&buf, &len, &in, ka, NULL, 0), 0);
	assert_int_equal(proto_decode(&out, buf, len, why, sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "announce"));
	free(buf);
	free(head);
}

/* every prefix of a frame is refused, and so is every single flipped
 * byte of the header (as format or as signature) */
static void test_truncations_and_flips(void **state)
{
	proto_msg in = base_msg(PROTO_PUSH), out;
	unsigned char *buf, *copy;
	size_t len;
	char why[256];
	const char pack[] = "0123456789";

	(void)state;
	assert_int_equal(proto_encode(&buf, &len, &in, ka, pack, sizeof(pack)), 0);
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		if (proto_decode(&out, copy, n, why, sizeof(why)) == 0) {
			/* cutting into the payload breaks its hash */
			fail_msg("a frame cut to %zu of %zu bytes decoded", n, len);
		}
		free(copy);
	}
	copy = malloc(len);
	for (size_t i = 0; i < len; i++) {
		int rc;
		memcpy(copy, buf, len);
		copy[i] ^= 0x01;
		rc = proto_decode(&out, copy, len, why, sizeof(why));
		if (rc == 0) {
			rc = proto_verify(&out, keys_secret_public(ka), NULL);
			proto_msg_clear(&out);
			if (rc == 0)
				fail_msg("a flipped byte at %zu went through", i);
		}
	}
	free(copy);
	free(buf);
}

static void expect_bad(const char *header, const char *needle)
{
	unsigned char frame[4096], sig[KEYS_SSHSIG_MAX];
	size_t hl = strlen(header), sl, n = 0;
	proto_msg out;
	char why[256];

	assert_int_equal(keys_sshsig_sign(sig, sizeof(sig), &sl, ka,
	                                  PROTO_NS_SYNC, header, hl),
	                 0);
	memcpy(frame, "GFS1", 4);
	frame[4] = (unsigned char)(hl >> 24);
	frame[5] = (unsigned char)(hl >> 16);
	frame[6] = (unsigned char)(hl >> 8);
	frame[7] = (unsigned char)hl;
	memcpy(frame + 8, header, hl);
	n = 8 + hl;
	frame[n] = 0;
	frame[n + 1] = 0;
	frame[n + 2] = (unsigned char)(sl >> 8);
	frame[n + 3] = (unsigned char)sl;
	memcpy(frame + n + 4, sig, sl);
	n += 4 + sl;
	if (proto_decode(&out, frame, n, why, sizeof(why)) != PROTO_EFORMAT)
		fail_msg("accepted: %s", header);
	if (strstr(why, needle) == NULL)
		fail_msg("'%s' lacks '%s' (for %s)", why, needle, header);
}

static void test_bad_headers(void **state)
{
	(void)state;
	expect_bad("{}", "version");
	expect_bad("[1]", "JSON object");
	expect_bad("{\"v\":2,\"type\":\"fetch\"}", "version");
	expect_bad("{\"v\":1,\"type\":\"sing\"}", "unknown message type");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"have\":\"\","
	           "\"limit\":5,\"extra\":1}", "unknown field 'extra'");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"from\":\"35010\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"have\":\"\","
	           "\"limit\":5}", "'from' is not a node id");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"have\":\"XYZ\","
	           "\"limit\":5}", "'have' is not a commit id");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"have\":\"\","
	           "\"limit\":99999999}", "'limit'");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":12,\"node\":\"350104\",\"have\":\"\",\"limit\":5}",
	           "'time'");
	expect_bad("{\"v\":1,\"type\":\"fetch\",\"v\":1}", "JSON object");
	expect_bad("{\"v\":1,\"type\":\"head\",\"node\":\"350104\",\"commit\":\"" C1
	           "\",\"height\":0,\"time\":1795428000}", "'height'");
	expect_bad("{\"v\":1,\"type\":\"head\",\"node\":\"350104\",\"commit\":\"" C1
	           "\",\"height\":1.5,\"time\":1795428000}", "'height'");
	expect_bad("{\"v\":1,\"type\":\"summary\",\"from\":\"350104\",\"to\":"
	           "\"350100\",\"time\":1795428000,\"seq\":1,\"heads\":[{\"node\":"
	           "\"350104\",\"commit\":\"" C1 "\",\"height\":1,\"time\":"
	           "1795428000},{\"node\":\"350104\",\"commit\":\"" C1
	           "\",\"height\":1,\"time\":1795428000}],\"seen\":[]}",
	           "twice");
	expect_bad("{\"v\":1,\"type\":\"summary\",\"from\":\"350104\",\"to\":"
	           "\"350100\",\"time\":1795428000,\"seq\":1,\"heads\":{},"
	           "\"seen\":[]}", "arrays");
	expect_bad("{\"v\":1,\"type\":\"push\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"head\":\"" C1
	           "\",\"height\":1,\"base\":\"\",\"payload\":\"00\"}",
	           "does not match its hash");
	expect_bad("{\"v\":1,\"type\":\"push\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"node\":\"350104\",\"head\":\"" C1
	           "\",\"height\":1,\"base\":\"\",\"announce\":\"!!!\"}",
	           "not base64");
	expect_bad("{\"v\":1,\"type\":\"error\",\"from\":\"350104\",\"to\":\"350100\","
	           "\"time\":1795428000,\"code\":\"x\\u0000y\",\"reason\":\"\"}",
	           "JSON object");
}

static void test_frame_lengths(void **state)
{
	unsigned char f[64];
	proto_msg out;
	char why[256];

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, "GFS1", 4);
	f[4] = 0xff; /* header length 4 GB */
	assert_int_equal(proto_decode(&out, f, sizeof(f), why, sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "header length"));
	memset(f + 4, 0, 4);
	assert_int_equal(proto_decode(&out, f, sizeof(f), why, sizeof(why)),
	                 PROTO_EFORMAT);
	memcpy(f, "GFS2", 4);
	assert_int_equal(proto_decode(&out, f, sizeof(f), why, sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "magic"));
	assert_int_equal(proto_decode(&out, "", 0, why, sizeof(why)),
	                 PROTO_EFORMAT);
}

/* a simple random fuzz: garbage and mutated frames never crash and never
 * decode into something that verifies */
static void test_garbage(void **state)
{
	proto_msg in = base_msg(PROTO_SUMMARY), out;
	unsigned char *good, *b;
	size_t len;
	char why[256];
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(proto_encode(&good, &len, &in, ka, NULL, 0), 0);
	b = malloc(len + 64);
	for (int round = 0; round < 20000; round++) {
		size_t n = len;
		memcpy(b, good, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			b[(seed >> 8) % len] = (unsigned char)(seed >> 16);
		}
		if (round % 3 == 0) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 4) % (len + 64);
		}
		if (proto_decode(&out, b, n, why, sizeof(why)) == 0) {
			int v = proto_verify(&out, keys_secret_public(ka), NULL);
			int same = out.header_len == len - 12 - out.sig_len &&
			           n == len && memcmp(b, good, len) == 0;
			proto_msg_clear(&out);
			if (v == 0 && !same)
				fail_msg("round %d: a mutated frame verified", round);
		}
	}
	free(b);
	free(good);
}

static void test_addressing_and_pub(void **state)
{
	proto_msg m = base_msg(PROTO_FETCH);
	unsigned char *w;
	const unsigned char *f;
	size_t wl, fl;
	char why[256], topic[KEYS_ID_MAX + 1];

	(void)state;
	assert_int_equal(proto_check_addressing(&m, "350100", NOW, why,
	                                        sizeof(why)),
	                 0);
	assert_int_equal(proto_check_addressing(&m, "350200", NOW, why,
	                                        sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "addressed to 350100"));
	assert_int_equal(proto_check_addressing(&m, "350100", NOW + 301, why,
	                                        sizeof(why)),
	                 PROTO_EFORMAT);
	assert_non_null(strstr(why, "replayed"));
	assert_int_equal(proto_pub_wrap(&w, &wl, "350000",
	                                (const unsigned char *)"GFS1abc", 7),
	                 0);
	assert_int_equal(proto_pub_unwrap(&f, &fl, topic, w, wl), 0);
	assert_string_equal(topic, "350000");
	assert_int_equal(fl, 7);
	assert_memory_equal(f, "GFS1abc", 7);
	free(w);
	assert_int_equal(proto_pub_unwrap(&f, &fl, topic, "3500 GFS1", 9),
	                 PROTO_EFORMAT);
	assert_int_equal(proto_pub_unwrap(&f, &fl, topic, "GFS1", 4),
	                 PROTO_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_announce_must_match),
		cmocka_unit_test(test_truncations_and_flips),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_frame_lengths),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_addressing_and_pub),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
