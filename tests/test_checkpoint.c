/*
 * test_checkpoint.c — signed checkpoints (store/checkpoint.h; the format is
 * protocol/README.md, "Checkpoints and the HTTP feed").
 *
 * A province, a city and a district with real stores, enrolled and synced
 * through the real importer. The province cuts; each cut is read back and
 * compared with the store's heads. The consistent cut is tried with a
 * derived item, a report and a document whose references are not yet in
 * the cut. Every forgery of a checkpoint is made by re-signing a real one
 * with exactly one thing changed, so that each refusal is for that thing.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P_ID "350000" /* 福建省 */
#define C_ID "350100" /* 福州市 */
#define D_ID "350112" /* 长乐区 */
#define D2_ID "350104" /* 仓山区 */
#define AREA "义务教育"

typedef struct fx {
	char *dir;
	tu_node p, c, d;
	const keys_public *root;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	store_import_result res;

	assert_non_null(f);
	f->dir = tu_tmpdir();
	tu_node_new(&f->p, f->dir, P_ID, STORE_LEVEL_PROVINCE, "福建省", NULL);
	tu_node_new(&f->c, f->dir, C_ID, STORE_LEVEL_CITY, "福州市", P_ID);
	tu_node_new(&f->d, f->dir, D_ID, STORE_LEVEL_DISTRICT, "长乐区", C_ID);
	f->root = keys_secret_public(f->p.sk);
	store_set_root(f->c.st, f->root);
	store_set_root(f->d.st, f->root);
	tu_enroll(&f->p, &f->c);
	tu_genesis(&f->c);
	assert_int_equal(tu_sync(f->p.st, P_ID, f->c.st, f->root, &res), 0);
	tu_enroll(&f->c, &f->d);
	tu_genesis(&f->d);
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &res), 0);
	assert_int_equal(tu_sync(f->d.st, D_ID, f->c.st, f->root, &res), 0);
	assert_int_equal(tu_sync(f->d.st, D_ID, f->p.st, f->root, &res), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tu_node_free(&f->p);
	tu_node_free(&f->c);
	tu_node_free(&f->d);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void head_of(store *st, const char *node, char out[STORE_OID_HEX])
{
	store_head h;

	assert_int_equal(store_head_get(st, node, &h), 0);
	memcpy(out, h.commit, STORE_OID_HEX);
}

static void cut_ok(fx *f, store_cp_cut *res)
{
	int rc = store_checkpoint_cut(f->p.st, f->p.sk, NULL, 0, res);

	if (rc != 0)
		fail_msg("cut: %d %s", rc, store_errmsg());
}

static char *cp_bytes(store *st, uint64_t seq, size_t *len)
{
	char *b = NULL;
	uint64_t got = 0;

	if (store_checkpoint_read(st, seq, &b, len, &got) != 0)
		fail_msg("read checkpoint %llu: %s", (unsigned long long)seq,
		         store_errmsg());
	if (seq)
		assert_int_equal(got, seq);
	return b;
}

static void parse_ok(store_checkpoint *cp, const char *b, size_t len)
{
	char why[512];

	if (store_checkpoint_parse(cp, b, len, why, sizeof(why)) != 0)
		fail_msg("parse: %s", why);
}

static const store_cp_head *find_head(const store_checkpoint *cp,
                                      const char *node)
{
	for (size_t i = 0; i < cp->nheads; i++)
		if (strcmp(cp->heads[i].node, node) == 0)
			return &cp->heads[i];
	return NULL;
}

/* The entry for `node` names its head in `st` now. */
static void entry_is_head(const store_checkpoint *cp, store *st,
                          const char *node)
{
	const store_cp_head *h = find_head(cp, node);
	store_head now;

	assert_non_null(h);
	assert_int_equal(store_head_get(st, node, &now), 0);
	assert_string_equal(h->commit, now.commit);
	assert_int_equal(h->height, now.height);
	assert_int_equal(h->time, now.time);
}

static uint64_t latest(store *st)
{
	uint64_t s = 99;

	assert_int_equal(store_checkpoint_latest(st, &s), 0);
	return s;
}

/* A change to a checkpoint: top-level `field` (node NULL) or a field of
 * `node`'s head; value NULL removes the field (or, with field NULL, the
 * head). */
typedef struct mut {
	const char *node;
	const char *field;
	json_t *value; /* stolen */
} mut;

static void apply(json_t *v, mut *m)
{
	json_t *heads = json_object_get(v, "heads");

	if (m->node == NULL) {
		if (m->value)
			json_object_set_new(v, m->field, m->value);
		else
			json_object_del(v, m->field);
		return;
	}
	for (size_t i = 0; i < json_array_size(heads); i++) {
		json_t *h = json_array_get(heads, i);
		if (strcmp(json_string_value(json_object_get(h, "node")),
		           m->node) != 0)
			continue;
		if (m->field == NULL)
			json_array_remove(heads, i);
		else if (m->value)
			json_object_set_new(h, m->field, m->value);
		else
			json_object_del(h, m->field);
		return;
	}
	fail_msg("no head %s to change", m->node);
}

/* `bytes` with the changes made, signed again by sk, canonical. */
static char *resign(const char *bytes, size_t len, const keys_secret *sk,
                    mut *m, size_t nm, size_t *outlen)
{
	json_t *v = NULL;
	char *msg = NULL, *out = NULL, b64[1024];
	unsigned char sig[KEYS_SSHSIG_MAX];
	size_t msglen, siglen;

	assert_int_equal(store_json_parse(&v, bytes, len, STORE_CHECKPOINT_MAX,
	                                  "cp"),
	                 0);
	for (size_t i = 0; i < nm; i++)
		apply(v, &m[i]);
	json_object_del(v, "sig");
	assert_int_equal(store_json_canon(&msg, &msglen, v, 0), 0);
	assert_int_equal(keys_sshsig_sign(sig, sizeof(sig), &siglen, sk,
	                                  STORE_SIG_NS_CHECKPOINT, msg, msglen),
	                 0);
	assert_int_equal(keys_b64_encode(b64, sizeof(b64), sig, siglen), 0);
	json_object_set_new(v, "sig", json_string(b64));
	assert_int_equal(store_json_canon(&out, outlen, v, 1), 0);
	free(msg);
	json_decref(v);
	return out;
}

/* check refuses, naming needle. */
static void refused(const char *b, size_t len, const keys_public *key,
                    const char *pb, size_t plen, const char *needle)
{
	char why[512] = "";
	int rc = store_checkpoint_check(b, len, key, pb, plen, why, sizeof(why));

	if (rc != STORE_EREJECT)
		fail_msg("check returned %d, want STORE_EREJECT naming '%s'", rc,
		         needle);
	if (strstr(why, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void accepted(const char *b, size_t len, const keys_public *key,
                     const char *pb, size_t plen)
{
	char why[512] = "";

	if (store_checkpoint_check(b, len, key, pb, plen, why, sizeof(why)) != 0)
		fail_msg("check refused: %s", why);
}

/* A derived item at `n` adopting `up`'s item `id`, as held in n's store. */
static void derive_item(tu_node *n, const char *up, const char *id,
                        const char *name)
{
	char path[256], blob[STORE_OID_HEX], commit[STORE_OID_HEX], *raw;
	char *rec = NULL, out[STORE_OID_HEX];
	size_t len;
	store_change ch;

	snprintf(path, sizeof(path), "catalog/" AREA "/%s.json", id);
	assert_int_equal(store_record_stat(n->st, up, path, blob, commit), 0);
	assert_true(asprintf(&raw,
	                     "{\"id\":\"%s\",\"area\":\"" AREA "\",\"name\":"
	                     "\"%s\",\"method\":\"主动公开\",\"channels\":"
	                     "[\"政府网站\"],\"derived\":{\"node\":\"%s\","
	                     "\"commit\":\"%s\",\"blob\":\"%s\",\"overrides\":"
	                     "[]}}", id, name, up, commit, blob) > 0);
	assert_int_equal(store_record_prepare(&rec, &len, path, raw, strlen(raw)),
	                 0);
	ch = (store_change){ path, rec, len };
	if (store_commit(n->st, n->sk, &ch, 1, "derive", out) != 0)
		fail_msg("derive at %s: %s", n->id.id, store_errmsg());
	free(rec);
	free(raw);
}

static void put_raw(tu_node *n, const char *path, const char *json)
{
	char *rec = NULL, *raw = strdup(json), out[STORE_OID_HEX];
	size_t len;
	store_change ch;

	for (char *p = raw; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (store_record_prepare(&rec, &len, path, raw, strlen(raw)) != 0)
		fail_msg("prepare %s: %s", path, store_errmsg());
	ch = (store_change){ path, rec, len };
	if (store_commit(n->st, n->sk, &ch, 1, "put", out) != 0)
		fail_msg("%s at %s: %s", path, n->id.id, store_errmsg());
	free(rec);
	free(raw);
}

/* ==== the cut =============================================================== */

static void test_cut_holds_every_head(void **state)
{
	fx *f = *state;
	store_cp_cut res;
	store_checkpoint cp1, cp2;
	char *b1, *b2, *b, hash[65], line[KEYS_PUBLIC_LINE_MAX], why[512];
	size_t l1, l2, l;
	uint64_t got;
	store_cp_seen seen = { D_ID, 1700000000, 1 };
	const store_cp_head *h;

	assert_int_equal(latest(f->p.st), 0);
	assert_int_equal(store_checkpoint_read(f->p.st, 0, &b, &l, &got),
	                 STORE_ENOTFOUND);

	/* a key not the province's own signs nothing */
	assert_int_equal(store_checkpoint_cut(f->p.st, f->c.sk, NULL, 0, &res),
	                 STORE_EKEY);
	store_cp_cut_clear(&res);
	assert_int_equal(latest(f->p.st), 0);

	cut_ok(f, &res);
	assert_int_equal(res.seq, 1);
	assert_false(res.unchanged);
	assert_int_equal(res.nheads, 3);
	assert_int_equal(res.nheld, 0);
	store_cp_cut_clear(&res);
	assert_int_equal(latest(f->p.st), 1);

	b1 = cp_bytes(f->p.st, 1, &l1);
	keys_sha256_hex(hash, b1, l1);
	parse_ok(&cp1, b1, l1);
	assert_string_equal(cp1.hash, hash);
	assert_string_equal(cp1.node, P_ID);
	assert_int_equal(cp1.seq, 1);
	assert_string_equal(cp1.prev, "");
	assert_true(keys_public_equal(&cp1.key, f->root));
	assert_int_equal(cp1.nheads, 3);
	/* sorted by node id, every held history, each at its head */
	assert_string_equal(cp1.heads[0].node, P_ID);
	assert_string_equal(cp1.heads[1].node, C_ID);
	assert_string_equal(cp1.heads[2].node, D_ID);
	entry_is_head(&cp1, f->p.st, P_ID);
	entry_is_head(&cp1, f->p.st, C_ID);
	entry_is_head(&cp1, f->p.st, D_ID);
	assert_int_equal(cp1.heads[0].level, STORE_LEVEL_PROVINCE);
	assert_string_equal(cp1.heads[0].parent, "");
	assert_int_equal(cp1.heads[1].level, STORE_LEVEL_CITY);
	assert_string_equal(cp1.heads[1].parent, P_ID);
	assert_int_equal(cp1.heads[2].level, STORE_LEVEL_DISTRICT);
	assert_string_equal(cp1.heads[2].parent, C_ID);
	for (size_t i = 0; i < 3; i++) {
		assert_false(cp1.heads[i].stale);
		assert_int_equal(cp1.heads[i].seen, cp1.heads[i].time);
	}
	/* the stored bytes: the contract's fields, parent null for the root */
	assert_non_null(strstr(b1, "\"type\": \"checkpoint\""));
	assert_non_null(strstr(b1, "\"prev\": null"));
	assert_non_null(strstr(b1, "\"parent\": null"));
	keys_public_format(line, sizeof(line), f->root, NULL);
	assert_non_null(strstr(b1, line));
	accepted(b1, l1, f->root, NULL, 0);

	/* nothing changed: nothing written */
	cut_ok(f, &res);
	assert_true(res.unchanged);
	assert_int_equal(res.seq, 1);
	assert_string_equal(res.hash, hash);
	store_cp_cut_clear(&res);
	assert_int_equal(latest(f->p.st), 1);
	assert_int_equal(store_checkpoint_read(f->p.st, 2, &b, &l, &got),
	                 STORE_ENOTFOUND);

	/* a new commit: checkpoint 2, chained to 1; the daemon's freshness */
	tu_put_item(&f->p, "YWJY.01.01", AREA, "义务教育招生政策");
	assert_int_equal(store_checkpoint_cut(f->p.st, f->p.sk, &seen, 1, &res),
	                 0);
	assert_int_equal(res.seq, 2);
	assert_false(res.unchanged);
	store_cp_cut_clear(&res);
	b2 = cp_bytes(f->p.st, 0, &l2);
	parse_ok(&cp2, b2, l2);
	assert_int_equal(cp2.seq, 2);
	assert_string_equal(cp2.prev, hash);
	assert_true(cp2.time >= cp1.time);
	entry_is_head(&cp2, f->p.st, P_ID);
	assert_int_equal(find_head(&cp2, P_ID)->height,
	                 find_head(&cp1, P_ID)->height + 1);
	h = find_head(&cp2, D_ID);
	assert_true(h->stale);
	assert_int_equal(h->seen, 1700000000);
	assert_string_equal(h->commit, find_head(&cp1, D_ID)->commit);
	accepted(b2, l2, f->root, b1, l1);

	/* a history no longer held (its ref gone) stays, stale, at its head */
	{
		git_reference *r = NULL;
		size_t n = 0;
		store_checkpoint cp3;
		char *b3;
		size_t l3;

		assert_int_equal(git_reference_lookup(&r, f->p.st->repo,
		                                      "refs/nodes/" D_ID), 0);
		assert_int_equal(git_reference_delete(r), 0);
		git_reference_free(r);
		tu_put_item(&f->p, "YWJY.01.02", AREA, "营养改善计划");
		cut_ok(f, &res);
		assert_int_equal(res.seq, 3);
		store_cp_cut_clear(&res);
		b3 = cp_bytes(f->p.st, 3, &l3);
		parse_ok(&cp3, b3, l3);
		h = find_head(&cp3, D_ID);
		assert_non_null(h);
		assert_true(h->stale);
		assert_string_equal(h->commit, find_head(&cp1, D_ID)->commit);
		accepted(b3, l3, f->root, b2, l2);
		/* the auditor sees it is no longer held */
		assert_int_equal(store_checkpoint_verify_chain(f->p.st, f->root, &n,
		                                               why, sizeof(why)),
		                 STORE_EREJECT);
		assert_non_null(strstr(why, "no longer held"));
		store_checkpoint_clear(&cp3);
		free(b3);
	}
	store_checkpoint_clear(&cp1);
	store_checkpoint_clear(&cp2);
	free(b1);
	free(b2);
}

/* A derived item pinned to a city commit the province does not hold yet:
 * the district stays at its head in the previous checkpoint; a district
 * that never entered one is left out; both enter with the city's commit. */
static void test_cut_derived_held_back(void **state)
{
	fx *f = *state;
	tu_node d2;
	store_import_result ir;
	store_cp_cut res;
	store_checkpoint cp1, cp2;
	char *b1, *b2, d_old[STORE_OID_HEX], d_new[STORE_OID_HEX];
	char d2_head[STORE_OID_HEX], c_old[STORE_OID_HEX], why[512];
	size_t l1, l2, n;

	/* 仓山区 is certified by the city; the province holds that, but no
	 * history of 仓山区 yet */
	tu_node_new(&d2, f->dir, D2_ID, STORE_LEVEL_DISTRICT, "仓山区", C_ID);
	store_set_root(d2.st, f->root);
	tu_enroll(&f->c, &d2);
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &ir), 0);
	cut_ok(f, &res);
	assert_int_equal(res.seq, 1);
	store_cp_cut_clear(&res);
	head_of(f->p.st, D_ID, d_old);
	head_of(f->p.st, C_ID, c_old);

	/* the city publishes; both districts derive from it; the province
	 * hears from the districts first */
	tu_put_item(&f->c, "YWJY.03.01", AREA, "义务教育入学报名");
	assert_int_equal(tu_sync(f->p.st, P_ID, f->d.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(f->p.st, P_ID, d2.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(f->c.st, C_ID, f->d.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(f->c.st, C_ID, d2.st, f->root, &ir), 0);
	derive_item(&f->d, C_ID, "YWJY.03.01", "义务教育入学报名");
	tu_genesis(&d2);
	derive_item(&d2, C_ID, "YWJY.03.01", "义务教育入学报名");
	assert_int_equal(tu_sync(f->d.st, D_ID, f->p.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(d2.st, D2_ID, f->p.st, f->root, &ir), 0);
	head_of(f->p.st, D_ID, d_new);
	head_of(f->p.st, D2_ID, d2_head);
	assert_string_not_equal(d_new, d_old);

	cut_ok(f, &res);
	/* nothing can enter: the cut is checkpoint 1's */
	assert_true(res.unchanged);
	assert_int_equal(res.seq, 1);
	assert_int_equal(res.nheld, 2);
	assert_string_equal(res.held[0].node, D2_ID);
	assert_string_equal(res.held[0].commit, d2_head);
	assert_string_equal(res.held[0].in_cut, "");
	assert_string_equal(res.held[1].node, D_ID);
	assert_string_equal(res.held[1].commit, d_new);
	assert_string_equal(res.held[1].in_cut, d_old);
	assert_non_null(strstr(res.held[1].reason, "derived from commit"));
	assert_non_null(strstr(res.held[1].reason, C_ID));
	assert_non_null(strstr(res.held[1].reason, "YWJY.03.01"));
	store_cp_cut_clear(&res);
	assert_int_equal(latest(f->p.st), 1);

	/* a change elsewhere: checkpoint 2 still holds them back */
	tu_put_item(&f->p, "YWJY.01.01", AREA, "义务教育招生政策");
	cut_ok(f, &res);
	assert_int_equal(res.seq, 2);
	assert_int_equal(res.nheads, 3);
	assert_int_equal(res.nheld, 2);
	store_cp_cut_clear(&res);
	b1 = cp_bytes(f->p.st, 2, &l1);
	parse_ok(&cp1, b1, l1);
	assert_string_equal(find_head(&cp1, D_ID)->commit, d_old);
	assert_string_equal(find_head(&cp1, C_ID)->commit, c_old);
	assert_null(find_head(&cp1, D2_ID));
	entry_is_head(&cp1, f->p.st, P_ID);

	/* the city's commit arrives: everyone enters */
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &ir), 0);
	cut_ok(f, &res);
	assert_int_equal(res.seq, 3);
	assert_int_equal(res.nheld, 0);
	assert_int_equal(res.nheads, 4);
	store_cp_cut_clear(&res);
	b2 = cp_bytes(f->p.st, 3, &l2);
	parse_ok(&cp2, b2, l2);
	entry_is_head(&cp2, f->p.st, C_ID);
	entry_is_head(&cp2, f->p.st, D_ID);
	entry_is_head(&cp2, f->p.st, D2_ID);
	assert_string_equal(find_head(&cp2, D2_ID)->parent, C_ID);
	accepted(b2, l2, f->root, b1, l1);
	assert_int_equal(store_checkpoint_verify_chain(f->p.st, f->root, &n, why,
	                                               sizeof(why)),
	                 0);
	assert_int_equal(n, 3);

	store_checkpoint_clear(&cp1);
	store_checkpoint_clear(&cp2);
	free(b1);
	free(b2);
	tu_node_free(&d2);
}

/* The city's head waits for a task of the province; the district derived
 * from that head of the city, whose commit the province holds (it is not
 * a missing object, only not in the cut): it waits too, until both can
 * enter together. */
static void test_cut_chained_hold_back(void **state)
{
	fx *f = *state;
	store_import_result ir;
	store_cp_cut res;
	char c_old[STORE_OID_HEX], d_old[STORE_OID_HEX];
	char c_new[STORE_OID_HEX], d_new[STORE_OID_HEX];
	size_t l;
	char *b;
	store_checkpoint cp;

	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	head_of(f->p.st, C_ID, c_old);
	head_of(f->p.st, D_ID, d_old);

	/* the city passes down a province task it was told of, before the
	 * province's history carrying it reaches anyone */
	put_raw(&f->c, "tasks/CL-2020-05.json",
	        "{'id':'CL-2020-05','title':'梳理政务公开事项标准目录',"
	        "'assigned':'2020-09-10','deadline':{'text':'2020年10月23日前',"
	        "'kind':'date','due':'2020-10-23'},"
	        "'assignees':{'level':'district'},"
	        "'from':{'node':'" P_ID "','task':'FJ-2020-3'}}");
	tu_put_item(&f->c, "YWJY.03.01", AREA, "义务教育入学报名");
	assert_int_equal(tu_sync(f->p.st, P_ID, f->d.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(f->c.st, C_ID, f->d.st, f->root, &ir), 0);
	derive_item(&f->d, C_ID, "YWJY.03.01", "义务教育入学报名");
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &ir), 0);
	assert_int_equal(tu_sync(f->d.st, D_ID, f->p.st, f->root, &ir), 0);
	head_of(f->p.st, C_ID, c_new);
	head_of(f->p.st, D_ID, d_new);

	cut_ok(f, &res);
	assert_true(res.unchanged);
	assert_int_equal(res.nheld, 2);
	assert_string_equal(res.held[0].node, C_ID);
	assert_string_equal(res.held[0].in_cut, c_old);
	assert_non_null(strstr(res.held[0].reason, "task FJ-2020-3 of " P_ID));
	assert_string_equal(res.held[1].node, D_ID);
	assert_string_equal(res.held[1].in_cut, d_old);
	assert_non_null(strstr(res.held[1].reason, "derived from commit"));
	store_cp_cut_clear(&res);

	/* the province publishes its task: everything enters */
	put_raw(&f->p, "tasks/FJ-2020-3.json",
	        "{'id':'FJ-2020-3','title':'梳理政务公开事项标准目录',"
	        "'assigned':'2020-09-01','deadline':{'text':'2020年10月底前',"
	        "'kind':'date','due':'2020-10-31'},"
	        "'assignees':{'level':'city'}}");
	cut_ok(f, &res);
	assert_int_equal(res.seq, 2);
	assert_int_equal(res.nheld, 0);
	store_cp_cut_clear(&res);
	b = cp_bytes(f->p.st, 2, &l);
	parse_ok(&cp, b, l);
	assert_string_equal(find_head(&cp, C_ID)->commit, c_new);
	assert_string_equal(find_head(&cp, D_ID)->commit, d_new);
	entry_is_head(&cp, f->p.st, P_ID);
	store_checkpoint_clear(&cp);
	free(b);
}

/* The fixed point: a head judged fine in one round loses the head it
 * referenced in a later one. Here the province's head (judged first, by
 * node id) pins a city commit, and the city's head is then held back for
 * a task its district does not have: the province's own head must wait
 * too. (The references run against the tree on purpose, so that the
 * order of judging is the wrong one; the writer lets them through, as it
 * judges one history at a time.) */
static void test_cut_fixed_point(void **state)
{
	fx *f = *state;
	store_import_result ir;
	store_cp_cut res;
	char p_old[STORE_OID_HEX], c_old[STORE_OID_HEX];

	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	head_of(f->p.st, P_ID, p_old);
	head_of(f->p.st, C_ID, c_old);
	tu_put_item(&f->c, "YWJY.03.01", AREA, "义务教育入学报名");
	put_raw(&f->c, "tasks/CL-2020-06.json",
	        "{'id':'CL-2020-06','title':'规范政府信息公开申请办理',"
	        "'assigned':'2020-09-10','deadline':{'text':'长期',"
	        "'kind':'ongoing'},'assignees':{'level':'district'},"
	        "'from':{'node':'" D_ID "','task':'CL-X'}}");
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &ir), 0);
	derive_item(&f->p, C_ID, "YWJY.03.01", "义务教育入学报名");

	cut_ok(f, &res);
	assert_true(res.unchanged);
	assert_int_equal(res.nheld, 2);
	assert_string_equal(res.held[0].node, P_ID);
	assert_string_equal(res.held[0].in_cut, p_old);
	assert_non_null(strstr(res.held[0].reason, "derived from commit"));
	assert_string_equal(res.held[1].node, C_ID);
	assert_string_equal(res.held[1].in_cut, c_old);
	assert_non_null(strstr(res.held[1].reason, "task CL-X of " D_ID));
	store_cp_cut_clear(&res);
}

/* A report on a task the province does not hold yet at its assigner. */
static void test_cut_report_held_back(void **state)
{
	fx *f = *state;
	store_import_result ir;
	store_cp_cut res;
	char d_old[STORE_OID_HEX];

	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	head_of(f->p.st, D_ID, d_old);
	put_raw(&f->c, "tasks/2020-05.json",
	        "{'id':'2020-05','title':'梳理政务公开事项标准目录',"
	        "'assigned':'2020-09-10','deadline':{'text':'2020年10月23日前',"
	        "'kind':'date','due':'2020-10-23'},"
	        "'assignees':{'level':'district'}}");
	put_raw(&f->d, "reports/" C_ID "/2020-05.json",
	        "{'task':'2020-05','assigner':'" C_ID "','node':'" D_ID "',"
	        "'status':'done','date':'2020-10-20',"
	        "'note':'已完成26个试点领域政务公开事项标准目录梳理'}");
	assert_int_equal(tu_sync(f->d.st, D_ID, f->p.st, f->root, &ir), 0);
	cut_ok(f, &res);
	assert_true(res.unchanged);
	assert_int_equal(res.nheld, 1);
	assert_string_equal(res.held[0].node, D_ID);
	assert_string_equal(res.held[0].in_cut, d_old);
	assert_non_null(strstr(res.held[0].reason, "task 2020-05"));
	store_cp_cut_clear(&res);

	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &ir), 0);
	cut_ok(f, &res);
	assert_int_equal(res.seq, 2);
	assert_int_equal(res.nheld, 0);
	store_cp_cut_clear(&res);
	{
		size_t l;
		char *b = cp_bytes(f->p.st, 2, &l);
		store_checkpoint cp;
		parse_ok(&cp, b, l);
		entry_is_head(&cp, f->p.st, D_ID);
		entry_is_head(&cp, f->p.st, C_ID);
		store_checkpoint_clear(&cp);
		free(b);
	}
}

/* A document interpreting one that is not in the same head: the own head
 * waits for it too. (The commits are forged past the writer: the cut only
 * reads the references.) */
static void test_cut_document_held_back(void **state)
{
	fx *f = *state;
	store_cp_cut res;
	char p_old[STORE_OID_HEX], out[STORE_OID_HEX];
	const char *jd = "{\"id\": \"JD-2024-1\", \"interprets\": \"ZC-2024-1\"}\n";
	const char *zc = "{\"id\": \"ZC-2024-1\"}\n";
	tu_forge_opts o;

	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	head_of(f->p.st, P_ID, p_old);
	memset(&o, 0, sizeof(o));
	o.ref = "refs/heads/main";
	o.sk = f->p.sk;
	o.path = "documents/JD-2024-1/meta.json";
	o.data = jd;
	o.len = strlen(jd);
	tu_forge(f->p.st, &o, out);
	cut_ok(f, &res);
	assert_true(res.unchanged);
	assert_int_equal(res.nheld, 1);
	assert_string_equal(res.held[0].node, P_ID);
	assert_string_equal(res.held[0].in_cut, p_old);
	assert_non_null(strstr(res.held[0].reason, "ZC-2024-1"));
	store_cp_cut_clear(&res);

	o.path = "documents/ZC-2024-1/meta.json";
	o.data = zc;
	o.len = strlen(zc);
	tu_forge(f->p.st, &o, out);
	cut_ok(f, &res);
	assert_int_equal(res.seq, 2);
	assert_int_equal(res.nheld, 0);
	store_cp_cut_clear(&res);
}

/* ==== the check ============================================================== */

/* Checkpoints 1 and 2 of the fixture. */
static void two_checkpoints(fx *f, char **b1, size_t *l1, char **b2,
                            size_t *l2)
{
	store_cp_cut res;

	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	tu_put_item(&f->p, "YWJY.01.01", AREA, "义务教育招生政策");
	cut_ok(f, &res);
	assert_int_equal(res.seq, 2);
	store_cp_cut_clear(&res);
	*b1 = cp_bytes(f->p.st, 1, l1);
	*b2 = cp_bytes(f->p.st, 2, l2);
}

static void test_check_refuses(void **state)
{
	fx *f = *state;
	char *b1, *b2, *x, other[KEYS_PUBLIC_LINE_MAX], t[21];
	size_t l1, l2, lx;
	store_checkpoint cp1;
	uint64_t p_h1;
	char why[256];

	two_checkpoints(f, &b1, &l1, &b2, &l2);
	parse_ok(&cp1, b1, l1);
	p_h1 = find_head(&cp1, P_ID)->height;
	accepted(b1, l1, f->root, NULL, 0);
	accepted(b2, l2, f->root, b1, l1);
	accepted(b2, l2, f->root, NULL, 0);

	/* control: re-signing unchanged gives the same bytes (Ed25519 is
	 * deterministic), and they pass */
	x = resign(b2, l2, f->p.sk, NULL, 0, &lx);
	assert_int_equal(lx, l2);
	assert_memory_equal(x, b2, l2);
	free(x);

	/* no key to check against */
	assert_int_equal(store_checkpoint_check(b2, l2, NULL, b1, l1, why,
	                                        sizeof(why)),
	                 STORE_EINVAL);

	/* a forged signature: another key signs, the key field unchanged */
	x = resign(b2, l2, f->c.sk, NULL, 0, &lx);
	refused(x, lx, f->root, b1, l1, "is signed by");
	free(x);
	/* another key, named in the key field and signing */
	keys_public_format(other, sizeof(other), keys_secret_public(f->c.sk),
	                   NULL);
	{
		mut m = { NULL, "key", json_string(other) };
		x = resign(b2, l2, f->c.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "names the key");
		/* it is well formed: only the pinned key refuses it */
		accepted(x, lx, keys_secret_public(f->c.sk), NULL, 0);
		free(x);
	}
	/* a tampered heads list: one hex digit of a commit, not re-signed */
	x = strndup(b2, l2);
	{
		char *c = strstr(x, "\"commit\": \"");
		assert_non_null(c);
		c += 11;
		*c = *c == '0' ? '1' : '0';
	}
	refused(x, l2, f->root, b1, l1, "does not verify");
	free(x);
	/* a tampered signature */
	x = strndup(b2, l2);
	{
		char *s = strstr(x, "\"sig\": \"");
		assert_non_null(s);
		s += 8 + 60;
		*s = *s == 'A' ? 'B' : 'A';
	}
	refused(x, l2, f->root, b1, l1, "does not verify");
	free(x);

	/* a wrong prev */
	{
		char h[65];
		mut m = { NULL, "prev", NULL };
		keys_sha256_hex(h, "x", 1);
		m.value = json_string(h);
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "as its predecessor");
		free(x);
	}
	/* reordered: 1 after 2; a seq that skips */
	refused(b1, l1, f->root, b2, l2, "does not follow");
	{
		mut m = { NULL, "seq", json_integer(3) };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "does not follow");
		free(x);
	}
	/* seq 1 with a prev; seq 2 without */
	{
		mut m = { NULL, "prev", json_string(cp1.hash) };
		x = resign(b1, l1, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, NULL, 0, "'prev' must be null");
		free(x);
	}
	{
		mut m = { NULL, "prev", json_null() };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "'prev' must be the SHA-256");
		free(x);
	}
	/* a rolled-back head: a lower height */
	{
		mut m = { P_ID, "height", json_integer((json_int_t)p_h1 - 1) };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "rolls 350000 back");
		free(x);
	}
	/* the same height, another commit: a fork or a rollback */
	{
		mut m[2] = { { P_ID, "height", json_integer((json_int_t)p_h1) },
			     { P_ID, "commit", json_string(
			               "0123456789abcdef0123456789abcdef01234567") } };
		x = resign(b2, l2, f->p.sk, m, 2, &lx);
		refused(x, lx, f->root, b1, l1, "a fork or a rollback");
		free(x);
	}
	/* a dropped node */
	{
		mut m = { D_ID, NULL, NULL };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "drops 350112");
		free(x);
	}
	/* a level changed */
	{
		mut m = { D_ID, "level", json_string("township") };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "level or parent of 350112");
		free(x);
	}
	/* time going back */
	{
		mut m = { NULL, "time", NULL };
		keys_time_format(t, cp1.time - 60);
		m.value = json_string(t);
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "dated before");
		free(x);
	}
	/* unsorted heads */
	{
		json_t *v = NULL, *heads, *h0;
		char *msg;
		size_t ml;
		assert_int_equal(store_json_parse(&v, b2, l2, STORE_CHECKPOINT_MAX,
		                                  "cp"), 0);
		heads = json_object_get(v, "heads");
		h0 = json_incref(json_array_get(heads, 0));
		json_array_remove(heads, 0);
		json_array_append_new(heads, h0);
		assert_int_equal(store_json_canon(&msg, &ml, v, 1), 0);
		x = resign(msg, ml, f->p.sk, NULL, 0, &lx);
		refused(x, lx, f->root, b1, l1, "sorted by node id");
		free(x);
		free(msg);
		json_decref(v);
	}
	/* an unknown field; a field missing */
	{
		mut m = { NULL, "note", json_string("x") };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "exactly type");
		free(x);
	}
	{
		mut m = { D_ID, "stale", NULL };
		x = resign(b2, l2, f->p.sk, &m, 1, &lx);
		refused(x, lx, f->root, b1, l1, "must hold exactly");
		free(x);
	}
	/* not canonical: the compact form of a valid checkpoint */
	{
		json_t *v = NULL;
		char *c;
		size_t cl;
		assert_int_equal(store_json_parse(&v, b2, l2, STORE_CHECKPOINT_MAX,
		                                  "cp"), 0);
		assert_int_equal(store_json_canon(&c, &cl, v, 0), 0);
		refused(c, cl, f->root, b1, l1, "canonical");
		free(c);
		json_decref(v);
	}
	/* not even JSON; truncated */
	refused("garbage", 7, f->root, NULL, 0, "not valid JSON");
	refused(b2, l2 - 10, f->root, b1, l1, "not valid JSON");
	/* a damaged predecessor */
	refused(b2, l2, f->root, b1, l1 - 1, "the previous checkpoint");

	store_checkpoint_clear(&cp1);
	free(b1);
	free(b2);
}

/* ==== the auditor ============================================================ */

static void set_ref(store *st, uint64_t seq, const git_oid *id)
{
	char name[64];
	git_reference *r = NULL;

	snprintf(name, sizeof(name), "refs/checkpoints/%010llu",
	         (unsigned long long)seq);
	assert_int_equal(git_reference_create(&r, st->repo, name, id, 1, "test"),
	                 0);
	git_reference_free(r);
}

static void blob_ref(store *st, uint64_t seq, const char *b, size_t l,
                     git_oid *old)
{
	char name[64];
	git_oid id;

	snprintf(name, sizeof(name), "refs/checkpoints/%010llu",
	         (unsigned long long)seq);
	if (old)
		assert_int_equal(git_reference_name_to_id(old, st->repo, name), 0);
	assert_int_equal(git_blob_create_from_buffer(&id, st->repo, b, l), 0);
	set_ref(st, seq, &id);
}

static void chain_refused(fx *f, size_t want_n, const char *needle)
{
	char why[512] = "";
	size_t n = 99;
	int rc = store_checkpoint_verify_chain(f->p.st, f->root, &n, why,
	                                       sizeof(why));

	if (rc != STORE_EREJECT)
		fail_msg("verify_chain returned %d, want STORE_EREJECT naming "
		         "'%s'", rc, needle);
	if (strstr(why, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, needle);
	assert_int_equal(n, want_n);
}

static void chain_ok(fx *f, size_t want_n)
{
	char why[512] = "";
	size_t n = 99;

	if (store_checkpoint_verify_chain(f->p.st, f->root, &n, why,
	                                  sizeof(why)) != 0)
		fail_msg("verify_chain: %s", why);
	assert_int_equal(n, want_n);
}

static void test_verify_chain(void **state)
{
	fx *f = *state;
	char *b1, *b2, *b3, *x, c_head[STORE_OID_HEX];
	size_t l1, l2, l3, lx;
	store_cp_cut res;
	store_checkpoint cp2;
	git_oid keep, cid;

	/* no checkpoints: nothing to check, nothing wrong */
	chain_ok(f, 0);
	two_checkpoints(f, &b1, &l1, &b2, &l2);
	tu_put_item(&f->p, "YWJY.01.02", AREA, "营养改善计划");
	cut_ok(f, &res);
	store_cp_cut_clear(&res);
	b3 = cp_bytes(f->p.st, 3, &l3);
	chain_ok(f, 3);
	parse_ok(&cp2, b2, l2);

	/* the ref of checkpoint 2 pointed to a forged checkpoint */
	x = resign(b2, l2, f->c.sk, NULL, 0, &lx);
	blob_ref(f->p.st, 2, x, lx, &keep);
	chain_refused(f, 1, "checkpoint 2: ");
	free(x);
	set_ref(f->p.st, 2, &keep);
	chain_ok(f, 3);

	/* checkpoint 2's bytes changed by one byte of its time: the signature
	 * breaks, and 3's prev no longer matches either */
	x = strndup(b2, l2);
	{
		char *t = strstr(x, "\"time\": \"20");
		assert_non_null(t);
		t[9] = t[9] == '2' ? '3' : '2';
	}
	blob_ref(f->p.st, 2, x, l2, NULL);
	chain_refused(f, 1, "does not verify");
	free(x);
	set_ref(f->p.st, 2, &keep);

	/* signed by the root key, yet naming for the province a commit of
	 * another history (higher, so the check alone cannot tell) */
	head_of(f->p.st, C_ID, c_head);
	{
		store_head ch;
		char ct[21];
		assert_int_equal(store_head_get(f->p.st, C_ID, &ch), 0);
		keys_time_format(ct, ch.time);
		mut m[3] = { { P_ID, "commit", json_string(c_head) },
			     { P_ID, "height", json_integer(
			               (json_int_t)find_head(&cp2, P_ID)->height + 1) },
			     { P_ID, "time", json_string(ct) } };
		x = resign(b3, l3, f->p.sk, m, 3, &lx);
		accepted(x, lx, f->root, b2, l2);
		blob_ref(f->p.st, 3, x, lx, &keep);
		chain_refused(f, 2, "does not descend");
		free(x);
		set_ref(f->p.st, 3, &keep);
	}
	/* a commit that is not in the store at all */
	{
		mut m[2] = { { P_ID, "commit", json_string(
			               "0123456789abcdef0123456789abcdef01234567") },
			     { P_ID, "height", json_integer(
			               (json_int_t)find_head(&cp2, P_ID)->height + 1) } };
		x = resign(b3, l3, f->p.sk, m, 2, &lx);
		blob_ref(f->p.st, 3, x, lx, &keep);
		chain_refused(f, 2, "not in the store");
		free(x);
		set_ref(f->p.st, 3, &keep);
	}
	/* a wrong height for a head seen the first time */
	{
		mut m = { C_ID, "height", json_integer(
		                  (json_int_t)find_head(&cp2, C_ID)->height + 5) };
		x = resign(b1, l1, f->p.sk, &m, 1, &lx);
		blob_ref(f->p.st, 1, x, lx, &keep);
		chain_refused(f, 0, "height");
		free(x);
		set_ref(f->p.st, 1, &keep);
	}
	chain_ok(f, 3);

	/* a checkpoint ref pointing to a commit */
	assert_int_equal(git_oid_fromstr(&cid, c_head), 0);
	assert_int_equal(git_reference_name_to_id(&keep, f->p.st->repo,
	                                          "refs/checkpoints/0000000003"),
	                 0);
	set_ref(f->p.st, 3, &cid);
	chain_refused(f, 2, "not to a checkpoint blob");
	set_ref(f->p.st, 3, &keep);

	/* a gap: checkpoint 2 removed */
	{
		git_reference *r = NULL;
		assert_int_equal(git_reference_name_to_id(&keep, f->p.st->repo,
		                                          "refs/checkpoints/"
		                                          "0000000002"),
		                 0);
		assert_int_equal(git_reference_lookup(&r, f->p.st->repo,
		                                      "refs/checkpoints/0000000002"),
		                 0);
		assert_int_equal(git_reference_delete(r), 0);
		git_reference_free(r);
		chain_refused(f, 1, "checkpoint 2 is missing");
		set_ref(f->p.st, 2, &keep);
	}
	/* a stray ref */
	{
		git_reference *r = NULL;
		assert_int_equal(git_reference_create(&r, f->p.st->repo,
		                                      "refs/checkpoints/latest",
		                                      &keep, 0, "test"),
		                 0);
		chain_refused(f, 0, "not a checkpoint ref");
		assert_int_equal(git_reference_delete(r), 0);
		git_reference_free(r);
	}
	chain_ok(f, 3);
	/* the cutter does not chain onto a latest checkpoint it did not sign */
	x = resign(b3, l3, f->c.sk, NULL, 0, &lx);
	blob_ref(f->p.st, 3, x, lx, &keep);
	free(x);
	tu_put_item(&f->p, "YWJY.01.03", AREA, "义务教育阶段学生资助");
	assert_int_equal(store_checkpoint_cut(f->p.st, f->p.sk, NULL, 0, &res),
	                 STORE_ECORRUPT);
	assert_non_null(strstr(store_errmsg(), "latest checkpoint (3)"));
	store_cp_cut_clear(&res);
	assert_int_equal(latest(f->p.st), 3);
	set_ref(f->p.st, 3, &keep);
	/* and the cutter goes on from there */
	cut_ok(f, &res);
	assert_int_equal(res.seq, 4);
	store_cp_cut_clear(&res);
	chain_ok(f, 4);

	store_checkpoint_clear(&cp2);
	free(b1);
	free(b2);
	free(b3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_holds_every_head, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_cut_derived_held_back, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_cut_chained_hold_back, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_cut_fixed_point, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_cut_report_held_back, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_cut_document_held_back, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_check_refuses, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_verify_chain, setup, teardown),
	};

	int rc;

	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
	store_global_shutdown();
	return rc;
}
