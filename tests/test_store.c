/*
 * test_store.c — the signed store: canonical records, the writer, and the
 * importer's acceptance rules against forgeries of every kind. Each
 * rejection test checks three things: the error and its reason, that the
 * importer's ref did not move, and that nothing was left in the store
 * (no quarantine, no new pack).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define AREA "义务教育"
#define C_REF "refs/nodes/350100"

/* ---- canonical JSON ---------------------------------------------------- */

static void canon_of(const char *in, const char *want, int pretty)
{
	json_t *v = NULL;
	char *out = NULL;
	size_t len;

	assert_int_equal(store_json_parse(&v, in, strlen(in), 1 << 20, "t"), 0);
	assert_int_equal(store_json_canon(&out, &len, v, pretty), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	free(out);
	json_decref(v);
}

static void test_canon_forms(void **state)
{
	(void)state;
	/* keys sorted by bytes, compact, UTF-8 kept, minimal escapes */
	canon_of("{\"b\":1,\"a\":[true,false,null],\"名\":\"值\\u0001\\\"\\\\/\"}",
	         "{\"a\":[true,false,null],\"b\":1,\"名\":\"值\\u0001\\\"\\\\/\"}",
	         0);
	canon_of("{\"z\":{},\"y\":[],\"x\":{\"k\":\"v\"}}",
	         "{\n  \"x\": {\n    \"k\": \"v\"\n  },\n  \"y\": [],\n  \"z\": {}\n}\n",
	         1);
	canon_of("[\"tab\\tnl\\n\"]", "[\"tab\\tnl\\n\"]", 0);
}

static void expect_parse_fail(const char *in, size_t len, int rc,
                              const char *needle)
{
	json_t *v = NULL;

	assert_int_equal(store_json_parse(&v, in, len, 1 << 20, "rec"), rc);
	assert_null(v);
	if (strstr(store_errmsg(), needle) == NULL)
		fail_msg("'%s' lacks '%s'", store_errmsg(), needle);
}

static void test_parse_rejects(void **state)
{
	(void)state;
	expect_parse_fail("{\"a\":1,\"a\":2}", 13, STORE_EJSON, "duplicate");
	expect_parse_fail("{\"a\":1.5}", 9, STORE_EJSON, "fractional");
	expect_parse_fail("{\"a\":", 5, STORE_EJSON, "not valid JSON");
	/* invalid UTF-8: a lone continuation byte, an overlong "/",
	 * a surrogate, a truncated sequence */
	expect_parse_fail("{\"a\":\"\x80\"}", 9, STORE_EJSON, "offset 6");
	expect_parse_fail("{\"a\":\"\xc0\xaf\"}", 10, STORE_EJSON, "UTF-8");
	expect_parse_fail("{\"a\":\"\xed\xa0\x80\"}", 11, STORE_EJSON, "UTF-8");
	expect_parse_fail("{\"a\":\"\xe4\xb8\"}", 10, STORE_EJSON, "UTF-8");
	/* NUL escapes are refused by the parser */
	expect_parse_fail("{\"a\":\"\\u0000\"}", 14, STORE_EJSON, "not valid");
	{
		size_t big = (1 << 20) + 1;
		char *b = malloc(big);
		assert_non_null(b);
		memset(b, ' ', big);
		expect_parse_fail(b, big, STORE_ETOOBIG, "too large");
		free(b);
	}
}

static void expect_prepare_fail(const char *in, int rc, const char *needle)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(store_record_prepare(&out, &len, "catalog/a/b.json", in,
	                                      strlen(in)),
	                 rc);
	assert_null(out);
	if (strstr(store_errmsg(), needle) == NULL)
		fail_msg("'%s' lacks '%s'", store_errmsg(), needle);
}

static void test_schema_catalog(void **state)
{
	(void)state;
	expect_prepare_fail("{\"area\":\"a\",\"name\":\"n\"}", STORE_ESCHEMA,
	                    "'id' is required");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"n\","
	                    "\"method\":\"随便\"}",
	                    STORE_ESCHEMA, "'method' must be one of");
	expect_prepare_fail("{\"id\":\"x y\",\"area\":\"a\",\"name\":\"n\"}",
	                    STORE_ESCHEMA, "'id'");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a/b\",\"name\":\"n\"}",
	                    STORE_ESCHEMA, "'area'");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"..\",\"name\":\"n\"}",
	                    STORE_ESCHEMA, "'area'");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"\"}",
	                    STORE_ESCHEMA, "'name' may not be empty");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"n\\n2\"}",
	                    STORE_ESCHEMA, "control character");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"n\","
	                    "\"channels\":\"网站\"}",
	                    STORE_ESCHEMA, "array of strings");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"n\","
	                    "\"channels\":[\"a\",\"a\"]}",
	                    STORE_ESCHEMA, "twice");
	expect_prepare_fail("{\"id\":\"x\",\"area\":\"a\",\"name\":\"n\","
	                    "\"colour\":\"red\"}",
	                    STORE_ESCHEMA, "unknown field 'colour'");
	expect_prepare_fail("[1,2]", STORE_ESCHEMA, "must be a JSON object");
	{
		char *out = NULL;
		size_t len;
		const char *ok = "{\"name\":\"招生范围\",\"id\":\"YWJY.02.03\","
		                 "\"area\":\"义务教育\",\"ext\":{\"x\":[1]}}";
		assert_int_equal(store_record_prepare(&out, &len, "catalog/a/b.json",
		                                      ok, strlen(ok)),
		                 0);
		assert_string_equal(out, "{\n  \"area\": \"义务教育\",\n  \"ext\": {\n"
		                         "    \"x\": [\n      1\n    ]\n  },\n"
		                         "  \"id\": \"YWJY.02.03\",\n"
		                         "  \"name\": \"招生范围\"\n}\n");
		free(out);
	}
}

/* ---- a small federation ---------------------------------------------------- */

typedef struct fx {
	char *dir;
	tu_node p, c, x; /* province 350000; cities 350100 and 350200 */
	const keys_public *root;
	char held[STORE_OID_HEX]; /* P's refs/nodes/350100 before the test */
	int packs;
} fx;

static char *pack_dir(store *st)
{
	char *p;
	if (asprintf(&p, "%s/objects/pack", git_repository_path(st->repo)) < 0)
		return NULL;
	return p;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	store_import_result res;
	char *pd;

	f->dir = tu_tmpdir();
	tu_node_new(&f->p, f->dir, "350000", STORE_LEVEL_PROVINCE, "福建省", NULL);
	tu_node_new(&f->c, f->dir, "350100", STORE_LEVEL_CITY, "福州市", "350000");
	tu_node_new(&f->x, f->dir, "350200", STORE_LEVEL_CITY, "厦门市", "350000");
	f->root = keys_secret_public(f->p.sk);
	store_set_root(f->c.st, f->root);
	store_set_root(f->x.st, f->root);
	tu_enroll(&f->p, &f->c);
	tu_enroll(&f->p, &f->x);
	tu_genesis(&f->c);
	tu_put_item(&f->c, "YWJY.01.01", AREA, "招生政策");
	assert_int_equal(tu_sync(f->c.st, "350100", f->p.st, f->root, &res), 0);
	assert_int_equal(res.commits, 2);
	/* the cities hold the province's history (their ancestor) */
	assert_int_equal(tu_sync(f->p.st, "350000", f->c.st, f->root, &res), 0);
	assert_int_equal(tu_sync(f->p.st, "350000", f->x.st, f->root, &res), 0);
	tu_ref(f->p.st, C_REF, f->held);
	pd = pack_dir(f->p.st);
	f->packs = tu_count_files(pd);
	free(pd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tu_node_free(&f->p);
	tu_node_free(&f->c);
	tu_node_free(&f->x);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Syncs C's own history into P, which must refuse it and stay as it was. */
static void expect_refused(fx *f, int want, const char *needle)
{
	store_import_result res;
	char now[STORE_OID_HEX];
	char *pd;
	int rc = tu_sync_as(f->c.st, "350100", f->p.st, f->root, &res);

	if (rc != want)
		fail_msg("import returned %d (%s), want %d", rc, store_errmsg(), want);
	if (strstr(store_errmsg(), needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", store_errmsg(), needle);
	tu_ref(f->p.st, C_REF, now);
	assert_string_equal(now, f->held);
	assert_int_equal(tu_quarantines(f->p.st), 0);
	pd = pack_dir(f->p.st);
	if (want != STORE_EFORK)
		assert_int_equal(tu_count_files(pd), f->packs);
	free(pd);
}

static void expect_accepted(fx *f, size_t commits)
{
	store_import_result res;
	int rc = tu_sync(f->c.st, "350100", f->p.st, f->root, &res);
	char *pd;

	if (rc != 0)
		fail_msg("import refused: %s", store_errmsg());
	assert_int_equal(res.commits, commits);
	/* the new baseline for what follows */
	tu_ref(f->p.st, C_REF, f->held);
	pd = pack_dir(f->p.st);
	f->packs = tu_count_files(pd);
	free(pd);
}

static void forge(fx *f, const keys_secret *sk, const char *path,
                  const void *data, size_t len, unsigned flags,
                  char out[STORE_OID_HEX])
{
	tu_forge_opts o = { 0 };

	o.ref = "refs/heads/main";
	o.sk = sk;
	o.path = path;
	o.data = data;
	o.len = len;
	o.flags = flags;
	tu_forge(f->c.st, &o, out);
}

static void forge_item(fx *f, const keys_secret *sk, unsigned flags)
{
	char out[STORE_OID_HEX];
	size_t len;
	char *rec = tu_item("YWJY.09.09", AREA, "伪造", &len);

	forge(f, sk, "catalog/" AREA "/YWJY.09.09.json", rec, len, flags, out);
	free(rec);
}

static void test_import_ok_and_verify(void **state)
{
	fx *f = *state;
	store_report r;

	tu_put_item(&f->c, "YWJY.01.02", AREA, "学区划分");
	forge_item(f, f->c.sk, 0); /* a well-formed commit made by hand */
	expect_accepted(f, 2);
	assert_int_equal(store_verify(f->p.st, f->root, &r, NULL, NULL), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.nodes[1].commits, 4);
	store_report_free(&r);
	/* importing the same head again changes nothing */
	expect_accepted(f, 0);
}

static void test_forged_signature(void **state)
{
	forge_item(*state, ((fx *)*state)->c.sk, TU_BADSIG);
	expect_refused(*state, STORE_EREJECT, "does not verify");
}

static void test_tampered_after_signing(void **state)
{
	forge_item(*state, ((fx *)*state)->c.sk, TU_TAMPER);
	expect_refused(*state, STORE_EREJECT, "does not verify");
}

static void test_unsigned(void **state)
{
	forge_item(*state, NULL, TU_UNSIGNED);
	expect_refused(*state, STORE_EREJECT, "not signed");
}

static void test_other_nodes_key(void **state)
{
	fx *f = *state;

	/* 350200's key is valid, but not for 350100's history */
	forge_item(f, f->x.sk, 0);
	expect_refused(f, STORE_EREJECT, "350200's key, not 350100's");
}

static void test_uncertified_key(void **state)
{
	keys_secret *k;

	assert_int_equal(keys_secret_generate(&k), 0);
	forge_item(*state, k, 0);
	keys_secret_free(k);
	expect_refused(*state, STORE_EREJECT, "never certified");
}

static void test_revoked_key(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	store_report r;

	/* P revokes C: its last good commit is the head P holds */
	assert_int_equal(store_revoke(f->p.st, f->p.sk, "350100", "key lost",
	                              out),
	                 0);
	tu_put_item(&f->c, "YWJY.01.03", AREA, "after revocation");
	expect_refused(f, STORE_EREJECT, "revoked");
	/* what C signed before stays valid */
	assert_int_equal(store_verify(f->p.st, f->root, &r, NULL, NULL), 0);
	assert_int_equal(r.problems, 0);
	store_report_free(&r);
	/* and C's own writer refuses once it holds P's revocation */
	{
		store_import_result res;
		size_t len;
		char *rec = tu_item("YWJY.01.04", AREA, "n", &len);
		store_change ch = { "catalog/" AREA "/YWJY.01.04.json", rec, len };
		char before[STORE_OID_HEX], after[STORE_OID_HEX];

		assert_int_equal(tu_sync(f->p.st, "350000", f->c.st, f->root, &res),
		                 0);
		tu_ref(f->c.st, "refs/heads/main", before);
		assert_int_equal(store_commit(f->c.st, f->c.sk, &ch, 1, "m", out),
		                 STORE_EREJECT);
		assert_non_null(strstr(store_errmsg(), "revoked"));
		tu_ref(f->c.st, "refs/heads/main", after);
		assert_string_equal(before, after);
		free(rec);
	}
}

static void test_reenroll_after_revocation(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	keys_secret *k3;
	store_import_result res;

	assert_int_equal(keys_secret_generate(&k3), 0);
	/* without --force a second key is refused */
	assert_int_equal(store_enroll(f->p.st, f->p.sk, &f->c.id,
	                              keys_secret_public(k3), store_now() - 60, 0,
	                              0, out),
	                 STORE_EINVAL);
	assert_int_equal(store_enroll(f->p.st, f->p.sk, &f->c.id,
	                              keys_secret_public(k3), store_now() - 60, 0,
	                              1, out),
	                 0);
	assert_int_equal(tu_sync(f->p.st, "350000", f->c.st, f->root, &res), 0);
	/* C signs with its new key; node.json follows the signer in the
	 * same commit */
	{
		keys_secret *old = f->c.sk;
		f->c.sk = k3;
		tu_put_item(&f->c, "YWJY.01.05", AREA, "new key");
		expect_accepted(f, 1);
		/* the revoked key no longer signs */
		forge_item(f, old, 0);
		expect_refused(f, STORE_EREJECT, "revoked");
		keys_secret_free(old);
	}
}

static void test_rotation(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	keys_secret *k2;

	assert_int_equal(keys_secret_generate(&k2), 0);
	assert_int_equal(store_rotate(f->c.st, f->c.sk, k2, out), 0);
	tu_put_item(&(tu_node){ f->c.st, k2, f->c.id, NULL }, "YWJY.01.06", AREA,
	            "signed by the rotated-to key");
	expect_accepted(f, 2);
	/* the rotated-out key signs after the rotation: refused */
	forge_item(f, f->c.sk, 0);
	expect_refused(f, STORE_EREJECT, "rotated out");
	keys_secret_free(k2);
}

static void test_fork_kept_as_evidence(void **state)
{
	fx *f = *state;
	tu_forge_opts o = { 0 };
	char parent[STORE_OID_HEX], fork[STORE_OID_HEX], ev[STORE_PATH_MAX];
	size_t len;
	char *rec = tu_item("YWJY.07.07", AREA, "另一分支", &len);
	git_commit *head;
	git_oid hid;
	store_report r;

	/* a sibling of P's held head, validly signed by C: equivocation */
	assert_int_equal(git_oid_fromstr(&hid, f->held), 0);
	assert_int_equal(git_commit_lookup(&head, f->c.st->repo, &hid), 0);
	git_oid_tostr(parent, sizeof(parent), git_commit_parent_id(head, 0));
	git_commit_free(head);
	o.ref = "refs/heads/main";
	o.parent = parent;
	o.sk = f->c.sk;
	o.path = "catalog/" AREA "/YWJY.07.07.json";
	o.data = rec;
	o.len = len;
	tu_forge(f->c.st, &o, fork);
	free(rec);
	expect_refused(f, STORE_EFORK, "kept as evidence");
	snprintf(ev, sizeof(ev), "refs/evidence/350100/%s", fork);
	tu_ref(f->p.st, ev, parent);
	assert_string_equal(parent, fork);
	/* the auditor sees it */
	assert_int_equal(store_verify(f->p.st, f->root, &r, NULL, NULL), 0);
	assert_int_equal(r.problems, 1);
	assert_non_null(strstr(r.nodes[1].problems[0].reason, "equivocation"));
	store_report_free(&r);
}

static void test_invalid_fork_not_kept(void **state)
{
	fx *f = *state;
	tu_forge_opts o = { 0 };
	char fork[STORE_OID_HEX], ev[STORE_OID_HEX];
	git_commit *head;
	git_oid hid;

	assert_int_equal(git_oid_fromstr(&hid, f->held), 0);
	assert_int_equal(git_commit_lookup(&head, f->c.st->repo, &hid), 0);
	git_oid_tostr(ev, sizeof(ev), git_commit_parent_id(head, 0));
	git_commit_free(head);
	o.ref = "refs/heads/main";
	o.parent = ev;
	o.sk = f->x.sk; /* not C's key: no proof of anything */
	o.path = "catalog/" AREA "/Z.json";
	o.data = "{}";
	o.len = 2;
	tu_forge(f->c.st, &o, fork);
	expect_refused(f, STORE_EREJECT, "does not extend");
	assert_int_equal(git_reference_lookup(&(git_reference *){ NULL },
	                                      f->p.st->repo,
	                                      "refs/evidence/350100"),
	                 GIT_ENOTFOUND);
}

static void test_rollback_is_stale(void **state)
{
	fx *f = *state;
	store_import_result res;
	store_buf pack;
	char head[STORE_OID_HEX], old[STORE_OID_HEX];
	git_commit *c;
	git_oid id;

	tu_put_item(&f->c, "YWJY.01.07", AREA, "newer");
	expect_accepted(f, 1);
	/* replay the previous head */
	assert_int_equal(git_oid_fromstr(&id, f->held), 0);
	assert_int_equal(git_commit_lookup(&c, f->c.st->repo, &id), 0);
	git_oid_tostr(old, sizeof(old), git_commit_parent_id(c, 0));
	git_commit_free(c);
	assert_int_equal(store_pack_build(f->c.st, "350100", NULL, &pack, head),
	                 0);
	assert_int_equal(store_import(f->p.st, f->root, "350100", old, pack.ptr,
	                              pack.len, &res),
	                 STORE_ESTALE);
	store_buf_free(&pack);
	tu_ref(f->p.st, C_REF, head);
	assert_string_equal(head, f->held);
	assert_int_equal(tu_quarantines(f->p.st), 0);
}

static void test_write_outside_records(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];

	forge(f, f->c.sk, "calendar.txt", "x", 1, 0, out);
	expect_refused(f, STORE_EREJECT, "is not a record 350100 may write");
}

static void test_write_another_nodes_identity(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX], line[KEYS_PUBLIC_LINE_MAX], *rec;
	json_t *v;
	size_t len;

	/* node.json naming 350200 in 350100's history */
	keys_public_format(line, sizeof(line), keys_secret_public(f->c.sk), NULL);
	v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "350200", "level", "city",
	              "name", "厦门市", "parent", "350000", "key", line);
	assert_int_equal(store_json_canon(&rec, &len, v, 1), 0);
	json_decref(v);
	forge(f, f->c.sk, "node.json", rec, len, 0, out);
	free(rec);
	expect_refused(f, STORE_EREJECT, "names node 350200");
}

static void test_certify_outside_scope(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	const char *rec = "{\n  \"child\": \"350100\",\n  \"events\": []\n}\n";

	/* a certificate file whose name and content disagree */
	forge(f, f->c.sk, "certs/350104.json", rec, strlen(rec), 0, out);
	expect_refused(f, STORE_EREJECT, "certs/350104.json");
}

static void test_schema_failure(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	const char *rec = "{\n  \"area\": \"义务教育\",\n  \"id\": \"YWJY.08.01\","
	                  "\n  \"method\": \"随便\",\n  \"name\": \"n\"\n}\n";

	forge(f, f->c.sk, "catalog/" AREA "/YWJY.08.01.json", rec, strlen(rec), 0,
	      out);
	expect_refused(f, STORE_EREJECT, "'method' must be one of");
}

static void test_malformed_json(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];

	forge(f, f->c.sk, "catalog/" AREA "/YWJY.08.02.json", "{\"id\":", 6, 0,
	      out);
	expect_refused(f, STORE_EREJECT, "not valid JSON");
}

static void test_invalid_utf8(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	const char rec[] = "{\n  \"area\": \"\xe4\xb9\x89\",\n  \"id\": \"A\","
	                   "\n  \"name\": \"\xff\"\n}\n";

	forge(f, f->c.sk, "catalog/x/A.json", rec, sizeof(rec) - 1, 0, out);
	expect_refused(f, STORE_EREJECT, "not valid UTF-8");
}

static void test_not_canonical(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	const char *rec = "{\"area\":\"义务教育\",\"id\":\"YWJY.08.03\","
	                  "\"name\":\"n\"}";

	forge(f, f->c.sk, "catalog/" AREA "/YWJY.08.03.json", rec, strlen(rec), 0,
	      out);
	expect_refused(f, STORE_EREJECT, "canonical");
}

static void test_huge_record(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX], now[STORE_OID_HEX];
	size_t n = 100u * 1024 * 1024;
	char *big = malloc(n);
	store plain = { 0 };
	tu_forge_opts o = { 0 };
	store_import_result res;
	git_packbuilder *pb;
	git_revwalk *w;
	git_buf buf = GIT_BUF_INIT;
	git_oid head, have;

	/* A hostile peer builds it with plain libgit2 (our store's own
	 * object reader would not even hold a 100 MB object). */
	assert_non_null(big);
	memset(big, 'a', n);
	big[0] = '"';
	big[n - 1] = '"';
	assert_int_equal(git_repository_open(&plain.repo, f->c.dir), 0);
	o.ref = "refs/heads/main";
	o.sk = f->c.sk;
	o.path = "catalog/" AREA "/BIG.json";
	o.data = big;
	o.len = n;
	tu_forge(&plain, &o, out);
	free(big);
	assert_int_equal(git_oid_fromstr(&head, out), 0);
	assert_int_equal(git_oid_fromstr(&have, f->held), 0);
	assert_int_equal(git_packbuilder_new(&pb, plain.repo), 0);
	assert_int_equal(git_revwalk_new(&w, plain.repo), 0);
	assert_int_equal(git_revwalk_push(w, &head), 0);
	assert_int_equal(git_revwalk_hide(w, &have), 0);
	assert_int_equal(git_packbuilder_insert_walk(pb, w), 0);
	assert_int_equal(git_packbuilder_write_buf(&buf, pb), 0);
	assert_int_equal(store_import(f->p.st, f->root, "350100", out, buf.ptr,
	                              buf.size, &res),
	                 STORE_EREJECT);
	assert_non_null(strstr(store_errmsg(), "too large"));
	git_buf_dispose(&buf);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	git_repository_free(plain.repo);
	tu_ref(f->p.st, C_REF, now);
	assert_string_equal(now, f->held);
	assert_int_equal(tu_quarantines(f->p.st), 0);
}

static void test_removal_refused(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];

	forge(f, f->c.sk, "catalog/" AREA "/YWJY.01.01.json", NULL, 0, 0, out);
	expect_refused(f, STORE_EREJECT, "may not be removed");
}

static void test_modes_refused(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX];
	size_t len;
	char *rec = tu_item("YWJY.08.04", AREA, "n", &len);

	forge(f, f->c.sk, "catalog/" AREA "/YWJY.08.04.json", rec, len, TU_EXEC,
	      out);
	free(rec);
	expect_refused(f, STORE_EREJECT, "plain files only");
}

static void test_merge_refused(void **state)
{
	fx *f = *state;
	tu_forge_opts o = { 0 };
	char out[STORE_OID_HEX], side[STORE_OID_HEX];
	size_t len;
	char *rec = tu_item("YWJY.01.01", AREA, "side", &len);

	o.ref = "refs/heads/main";
	o.sk = f->c.sk;
	o.flags = TU_NOMOVE;
	o.path = "catalog/" AREA "/YWJY.01.01.json";
	o.data = rec;
	o.len = len;
	tu_forge(f->c.st, &o, side);
	o.flags = 0;
	o.parent2 = side;
	tu_forge(f->c.st, &o, out);
	free(rec);
	expect_refused(f, STORE_EREJECT, "merge");
}

static void test_time_rules(void **state)
{
	fx *f = *state;
	tu_forge_opts o = { 0 };
	char out[STORE_OID_HEX];
	size_t len;
	char *rec = tu_item("YWJY.08.05", AREA, "n", &len);

	o.ref = "refs/heads/main";
	o.sk = f->c.sk;
	o.path = "catalog/" AREA "/YWJY.08.05.json";
	o.data = rec;
	o.len = len;
	o.time = store_now() + 10 * 24 * 3600;
	o.flags = TU_NOMOVE;
	tu_forge(f->c.st, &o, out);
	{
		/* move the ref to it and try */
		git_reference *r;
		git_oid id;
		git_oid_fromstr(&id, out);
		assert_int_equal(git_reference_create(&r, f->c.st->repo,
		                                      "refs/heads/main", &id, 1, "t"),
		                 0);
		git_reference_free(r);
	}
	expect_refused(f, STORE_EREJECT, "in the future");
	/* backwards in time */
	{
		git_reference *r;
		git_oid id;
		git_oid_fromstr(&id, f->held);
		assert_int_equal(git_reference_create(&r, f->c.st->repo,
		                                      "refs/heads/main", &id, 1, "t"),
		                 0);
		git_reference_free(r);
	}
	o.time = 1000;
	o.flags = 0;
	tu_forge(f->c.st, &o, out);
	free(rec);
	expect_refused(f, STORE_EREJECT, "before its parent");
}

static void test_truncated_and_corrupt_pack(void **state)
{
	fx *f = *state;
	store_import_result res;
	store_buf pack;
	char head[STORE_OID_HEX], now[STORE_OID_HEX];

	tu_put_item(&f->c, "YWJY.01.08", AREA, "n");
	assert_int_equal(store_pack_build(f->c.st, "350100", f->held, &pack, head),
	                 0);
	assert_true(pack.len > 40);
	assert_int_equal(store_import(f->p.st, f->root, "350100", head, pack.ptr,
	                              pack.len / 2, &res),
	                 STORE_EREJECT);
	assert_non_null(strstr(store_errmsg(), "malformed"));
	((unsigned char *)pack.ptr)[pack.len / 2] ^= 0x55;
	assert_int_equal(store_import(f->p.st, f->root, "350100", head, pack.ptr,
	                              pack.len, &res),
	                 STORE_EREJECT);
	assert_int_equal(store_import(f->p.st, f->root, "350100", head, "PACK",
	                              4, &res),
	                 STORE_EREJECT);
	/* a pack that lacks the head it claims */
	assert_int_equal(store_import(f->p.st, f->root, "350100",
	                              "0123456789012345678901234567890123456789",
	                              NULL, 0, &res),
	                 STORE_EREJECT);
	store_buf_free(&pack);
	tu_ref(f->p.st, C_REF, now);
	assert_string_equal(now, f->held);
	assert_int_equal(tu_quarantines(f->p.st), 0);
}

static void test_pack_missing_object(void **state)
{
	fx *f = *state;
	store_import_result res;
	git_packbuilder *pb;
	git_buf buf = GIT_BUF_INIT;
	git_commit *c;
	git_oid head;
	char hex[STORE_OID_HEX], now[STORE_OID_HEX];

	/* a pack with the new commit and its root tree, but not the new
	 * subtrees and record it names */
	tu_put_item(&f->c, "YWJY.01.09", AREA, "n");
	tu_ref(f->c.st, "refs/heads/main", hex);
	assert_int_equal(git_oid_fromstr(&head, hex), 0);
	assert_int_equal(git_commit_lookup(&c, f->c.st->repo, &head), 0);
	assert_int_equal(git_packbuilder_new(&pb, f->c.st->repo), 0);
	assert_int_equal(git_packbuilder_insert(pb, &head, NULL), 0);
	assert_int_equal(git_packbuilder_insert(pb, git_commit_tree_id(c), NULL),
	                 0);
	assert_int_equal(git_packbuilder_write_buf(&buf, pb), 0);
	assert_int_equal(store_import(f->p.st, f->root, "350100", hex, buf.ptr,
	                              buf.size, &res),
	                 STORE_EREJECT);
	assert_non_null(strstr(store_errmsg(), "missing"));
	git_buf_dispose(&buf);
	git_packbuilder_free(pb);
	git_commit_free(c);
	tu_ref(f->p.st, C_REF, now);
	assert_string_equal(now, f->held);
	assert_int_equal(tu_quarantines(f->p.st), 0);
}

static void test_bad_arguments(void **state)
{
	fx *f = *state;
	store_import_result res;

	assert_int_equal(store_import(f->p.st, f->root, "35010", f->held, NULL, 0,
	                              &res),
	                 STORE_EINVAL);
	assert_int_equal(store_import(f->p.st, f->root, "350100", "xyz", NULL, 0,
	                              &res),
	                 STORE_EINVAL);
	/* a node's own history is never imported */
	assert_int_equal(store_import(f->p.st, f->root, "350000", f->held, NULL, 0,
	                              &res),
	                 STORE_EREJECT);
}

static void test_parent_not_held(void **state)
{
	fx *f = *state;
	tu_node d;
	store_import_result res;
	store *auditor;
	char *dir;

	/* a district under C, imported where C's history is absent */
	tu_node_new(&d, f->dir, "350104", STORE_LEVEL_DISTRICT, "仓山区", "350100");
	tu_enroll(&f->c, &d);
	tu_genesis(&d);
	assert_int_equal(asprintf(&dir, "%s/auditor.git", f->dir) > 0, 1);
	assert_int_equal(store_create(&auditor, dir, 0), 0);
	assert_int_equal(tu_sync(d.st, "350104", auditor, f->root, &res),
	                 STORE_EWAIT);
	assert_non_null(strstr(store_errmsg(), "350100"));
	/* parents first, and it goes through */
	assert_int_equal(tu_sync(f->p.st, "350000", auditor, f->root, &res), 0);
	assert_int_equal(tu_sync(f->c.st, "350100", auditor, f->root, &res), 0);
	assert_int_equal(tu_sync(d.st, "350104", auditor, f->root, &res), 0);
	store_free(auditor);
	free(dir);
	tu_node_free(&d);
}

static void test_key_change_without_rotation(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX], line[KEYS_PUBLIC_LINE_MAX], *rec;
	keys_secret *k;
	json_t *v;
	size_t len;

	assert_int_equal(keys_secret_generate(&k), 0);
	keys_public_format(line, sizeof(line), keys_secret_public(k), NULL);
	v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "350100", "level", "city",
	              "name", "福州市", "parent", "350000", "key", line);
	assert_int_equal(store_json_canon(&rec, &len, v, 1), 0);
	json_decref(v);
	forge(f, f->c.sk, "node.json", rec, len, 0, out);
	free(rec);
	keys_secret_free(k);
	expect_refused(f, STORE_EREJECT, "without a rotation");
}

static void test_certs_append_only(void **state)
{
	fx *f = *state;
	tu_forge_opts o = { 0 };
	char out[STORE_OID_HEX], *data, *rec;
	size_t len;
	json_t *v;
	store_import_result res;
	char before[STORE_OID_HEX], after[STORE_OID_HEX];

	/* the province rewrites 350100's certificate: drops the event */
	assert_int_equal(store_record_read(f->p.st, NULL, "certs/350100.json",
	                                   &data, &len),
	                 0);
	assert_int_equal(store_json_parse(&v, data, len, 1 << 20, "c"), 0);
	free(data);
	json_object_set_new(v, "events", json_array());
	json_array_append_new(json_object_get(v, "events"),
	                      json_pack("{s:s}", "type", "cert"));
	assert_int_equal(store_json_canon(&rec, &len, v, 1), 0);
	json_decref(v);
	o.ref = "refs/heads/main";
	o.sk = f->p.sk;
	o.path = "certs/350100.json";
	o.data = rec;
	o.len = len;
	tu_forge(f->p.st, &o, out);
	free(rec);
	tu_ref(f->c.st, "refs/nodes/350000", before);
	assert_int_equal(tu_sync(f->p.st, "350000", f->c.st, f->root, &res),
	                 STORE_EREJECT);
	tu_ref(f->c.st, "refs/nodes/350000", after);
	assert_string_equal(before, after);
}

/* ---- the auditor --------------------------------------------------------------- */

static void test_verify_finds_forgery_in_place(void **state)
{
	fx *f = *state;
	git_reference *r;
	git_oid id;
	char out[STORE_OID_HEX];
	store_report rep;
	size_t len;
	char *rec = tu_item("YWJY.09.01", AREA, "n", &len);
	tu_forge_opts o = { 0 };

	/* someone with write access to P's disk moves the replica ref onto a
	 * commit signed by another node: verify must say so, with the id */
	o.ref = C_REF;
	o.sk = f->x.sk;
	o.path = "catalog/" AREA "/YWJY.09.01.json";
	o.data = rec;
	o.len = len;
	tu_forge(f->p.st, &o, out);
	free(rec);
	assert_int_equal(store_verify(f->p.st, f->root, &rep, NULL, NULL), 0);
	assert_true(rep.problems >= 1);
	assert_string_equal(rep.nodes[1].problems[0].commit, out);
	assert_non_null(strstr(rep.nodes[1].problems[0].reason, "350200's key"));
	store_report_free(&rep);
	/* a rewrite of history shows in the reflog */
	assert_int_equal(git_oid_fromstr(&id, f->held), 0);
	{
		git_commit *c;
		assert_int_equal(git_commit_lookup(&c, f->p.st->repo, &id), 0);
		assert_int_equal(git_reference_create(&r, f->p.st->repo, C_REF,
		                                      git_commit_parent_id(c, 0), 1,
		                                      "rewind"),
		                 0);
		git_reference_free(r);
		git_commit_free(c);
	}
	assert_int_equal(store_verify(f->p.st, f->root, &rep, NULL, NULL), 0);
	{
		int found = 0;
		for (size_t i = 0; i < rep.nodes[1].nproblems; i++)
			found |= strstr(rep.nodes[1].problems[i].reason,
			                "history rewritten") != NULL;
		assert_true(found);
	}
	store_report_free(&rep);
}

static void test_verify_corrupt_object(void **state)
{
	fx *f = *state;
	char path[4096], hex[STORE_OID_HEX];
	store_report rep;
	int fd;

	/* C's history lives in loose objects in its own store: truncate its
	 * head commit object */
	tu_ref(f->c.st, "refs/heads/main", hex);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s",
	         git_repository_path(f->c.st->repo), hex, hex + 2);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		chmod(path, 0644);
		fd = open(path, O_WRONLY | O_TRUNC);
	}
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	/* reopen so no cached object hides the damage */
	store_free(f->c.st);
	assert_int_equal(store_open(&f->c.st, f->c.dir, 0), 0);
	assert_int_equal(store_verify(f->c.st, f->root, &rep, NULL, NULL), 0);
	assert_true(rep.problems >= 1);
	assert_non_null(strstr(rep.nodes[0].problems[0].reason, "unreadable"));
	store_report_free(&rep);
	/* and nothing can be packed from it */
	{
		store_buf pack;
		char head[STORE_OID_HEX];
		assert_int_not_equal(store_pack_build(f->c.st, NULL, NULL, &pack,
		                                      head),
		                     0);
	}
}

/* Writes `raw` (header and body) zlib-compressed as loose object `hex`,
 * with `cut` bytes cut off the end and `extra` bytes of junk appended. */
static void put_loose(store *st, const char *hex, const void *raw, size_t len,
                      size_t cut, size_t extra)
{
	char path[4096];
	uLongf zlen = compressBound(len) + 16;
	unsigned char *z = malloc(zlen + extra);
	FILE *fp;

	assert_int_equal(compress(z, &zlen, raw, len), Z_OK);
	memset(z + zlen, 'J', extra);
	snprintf(path, sizeof(path), "%s/objects/%.2s", git_repository_path(st->repo),
	         hex);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s",
	         git_repository_path(st->repo), hex, hex + 2);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(z, 1, zlen - cut + extra, fp), zlen - cut + extra);
	fclose(fp);
	free(z);
}

static void expect_loose_error(store *st, const char *hex, const char *needle,
                               int header_too)
{
	git_odb *odb;
	git_odb_object *obj = NULL;
	git_oid id;
	size_t len;
	git_object_t type;
	const git_error *e;

	assert_int_equal(git_oid_fromstr(&id, hex), 0);
	assert_int_equal(git_repository_odb(&odb, st->repo), 0);
	assert_true(git_odb_read(&obj, odb, &id) < 0);
	e = git_error_last();
	assert_non_null(e);
	if (strstr(e->message, needle) == NULL)
		fail_msg("'%s' lacks '%s'", e->message, needle);
	/* a header read checks the header only; the full read the rest */
	if (header_too)
		assert_true(git_odb_read_header(&len, &type, odb, &id) < 0);
	else
		assert_int_equal(git_odb_read_header(&len, &type, odb, &id), 0);
	git_odb_free(odb);
}

static void test_loose_reader(void **state)
{
	fx *f = *state;
	const char body[] = "blob 12\0this is a blob with a too-small length value\n";
	const char ok[] = "blob 5\0hello";
	git_oid id;
	char hex[STORE_OID_HEX];

	/* a header that understates the size (libgit2 #7177) */
	git_odb_hash(&id, "this is a bl", 12, GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof(hex), &id);
	put_loose(f->p.st, hex, body, sizeof(body) - 1, 0, 0);
	expect_loose_error(f->p.st, hex, "longer than its header says", 1);
	/* truncated (libgit2 #7342 loops forever here) */
	git_odb_hash(&id, "hello", 5, GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof(hex), &id);
	put_loose(f->p.st, hex, ok, sizeof(ok) - 1, 6, 0);
	expect_loose_error(f->p.st, hex, "corrupt", 0);
	/* junk after the stream */
	put_loose(f->p.st, hex, ok, sizeof(ok) - 1, 0, 3);
	expect_loose_error(f->p.st, hex, "after the end", 0);
	/* a header that overstates it */
	put_loose(f->p.st, hex, "blob 9\0hello", 12, 0, 0);
	expect_loose_error(f->p.st, hex, "shorter than its header says", 0);
	/* content that is not what the name says */
	put_loose(f->p.st, hex, "blob 5\0HELLO", 12, 0, 0);
	expect_loose_error(f->p.st, hex, "does not hash to its name", 0);
	/* an unknown type */
	put_loose(f->p.st, hex, "bolb 5\0hello", 12, 0, 0);
	expect_loose_error(f->p.st, hex, "unknown object type", 1);
	/* and the right one reads */
	put_loose(f->p.st, hex, ok, sizeof(ok) - 1, 0, 0);
	{
		git_odb *odb;
		git_odb_object *obj;
		assert_int_equal(git_repository_odb(&odb, f->p.st->repo), 0);
		assert_int_equal(git_odb_read(&obj, odb, &id), 0);
		assert_int_equal(git_odb_object_size(obj), 5);
		assert_memory_equal(git_odb_object_data(obj), "hello", 5);
		git_odb_object_free(obj);
		git_odb_free(odb);
	}
}

static void test_maintain_packs(void **state)
{
	fx *f = *state;
	store_report r;
	size_t n = 0;
	char before[STORE_OID_HEX], after[STORE_OID_HEX], *data;
	size_t len;

	for (int i = 0; i < 20; i++) {
		char id[32];
		snprintf(id, sizeof(id), "YWJY.05.%02d", i);
		tu_put_item(&f->c, id, AREA, "n");
	}
	tu_ref(f->c.st, "refs/heads/main", before);
	/* below the threshold nothing happens unless forced */
	assert_int_equal(store_maintain(f->c.st, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_maintain(f->c.st, 1, &n), 0);
	assert_true(n >= 60);
	/* nothing loose is left, and everything reads and verifies */
	{
		char dir[4096];
		int loose = 0;
		for (int i = 0; i < 256; i++) {
			snprintf(dir, sizeof(dir), "%s/objects/%02x",
			         git_repository_path(f->c.st->repo), i);
			loose += tu_count_files(dir) > 0;
		}
		assert_int_equal(loose, 0);
	}
	tu_ref(f->c.st, "refs/heads/main", after);
	assert_string_equal(before, after);
	assert_int_equal(store_record_read(f->c.st, NULL,
	                                   "catalog/" AREA "/YWJY.05.07.json",
	                                   &data, &len),
	                 0);
	free(data);
	assert_int_equal(store_verify(f->c.st, f->root, &r, NULL, NULL), 0);
	assert_int_equal(r.problems, 0);
	store_report_free(&r);
	/* and writing goes on */
	tu_put_item(&f->c, "YWJY.06.01", AREA, "after packing");
	expect_accepted(f, 21);
}

static void test_writer_refuses_bad_record(void **state)
{
	fx *f = *state;
	char out[STORE_OID_HEX], before[STORE_OID_HEX], after[STORE_OID_HEX];
	const char *rec = "{\"id\":\"x\"}";
	store_change ch = { "catalog/a/x.json", rec, strlen(rec) };
	store_change bad = { "../escape.json", "{}", 2 };

	tu_ref(f->c.st, "refs/heads/main", before);
	assert_int_equal(store_commit(f->c.st, f->c.sk, &ch, 1, "m", out),
	                 STORE_EREJECT);
	assert_int_equal(store_commit(f->c.st, f->c.sk, &bad, 1, "m", out),
	                 STORE_EINVAL);
	tu_ref(f->c.st, "refs/heads/main", after);
	assert_string_equal(before, after);
	/* an unchanged tree makes no commit */
	{
		size_t len;
		char *same = tu_item("YWJY.01.01", AREA, "招生政策", &len);
		store_change s = { "catalog/" AREA "/YWJY.01.01.json", same, len };
		assert_int_equal(store_commit(f->c.st, f->c.sk, &s, 1, "m", out),
		                 STORE_EUNCHANGED);
		free(same);
	}
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_canon_forms),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_schema_catalog),
	};
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest fed[] = {
		T(test_import_ok_and_verify),
		T(test_forged_signature),
		T(test_tampered_after_signing),
		T(test_unsigned),
		T(test_other_nodes_key),
		T(test_uncertified_key),
		T(test_revoked_key),
		T(test_reenroll_after_revocation),
		T(test_rotation),
		T(test_fork_kept_as_evidence),
		T(test_invalid_fork_not_kept),
		T(test_rollback_is_stale),
		T(test_write_outside_records),
		T(test_write_another_nodes_identity),
		T(test_certify_outside_scope),
		T(test_schema_failure),
		T(test_malformed_json),
		T(test_invalid_utf8),
		T(test_not_canonical),
		T(test_huge_record),
		T(test_removal_refused),
		T(test_modes_refused),
		T(test_merge_refused),
		T(test_time_rules),
		T(test_truncated_and_corrupt_pack),
		T(test_pack_missing_object),
		T(test_bad_arguments),
		T(test_parent_not_held),
		T(test_key_change_without_rotation),
		T(test_certs_append_only),
		T(test_verify_finds_forgery_in_place),
		T(test_verify_corrupt_object),
		T(test_loose_reader),
		T(test_maintain_packs),
		T(test_writer_refuses_bad_record),
	};
	int rc;

	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("records", pure, NULL, NULL);
	rc |= cmocka_run_group_tests_name("federation", fed, NULL, NULL);
	store_global_shutdown();
	return rc;
}
