/*
 * test_feed.c — the consolidated feed (store/feed.c): the record changes
 * between two checkpoints of the province's store, on real stores.
 *
 * A province, a city, a district and a township (福建省, 福州市, 仓山区,
 * 上渡街道) write through the real writer; their histories reach the
 * province through packs and its importer; the province cuts real,
 * signed checkpoints (store_checkpoint_cut). Each test then reads the
 * feed between two of them and checks it against the stores themselves:
 * every change's kind, order, record, the commit that last changed it
 * (walked in git, independently of feed.c) and its signer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"
#include "checkpoint.h"
#include "feed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define P_ID "350000"    /* 福建省 */
#define C_ID "350100"    /* 福州市 */
#define D_ID "350104"    /* 仓山区 */
#define S_ID "350104004" /* 上渡街道 */
#define S2_ID "350104005" /* 下渡街道 */
#define AREA "义务教育"

typedef struct fx {
	char *dir;
	tu_node p, c, d, s;
	const keys_public *root;
	keys_secret *k[3];  /* reviewers: 林晓, 陈明, 王芳 */
	int64_t vfrom;
} fx;

/* ---- records ----------------------------------------------------------------- */

static json_t *jparse_v(const char *fmt, va_list ap)
{
	char *text = NULL;
	json_t *v = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		fail_msg("vasprintf");
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (store_json_parse(&v, text, strlen(text), STORE_RECORD_MAX,
	                     "test record") != 0)
		fail_msg("bad test JSON %s: %s", text, store_errmsg());
	free(text);
	return v;
}

/* A JSON value from text with ' for ". */
static json_t *jparse(const char *fmt, ...)
{
	va_list ap;
	json_t *v;

	va_start(ap, fmt);
	v = jparse_v(fmt, ap);
	va_end(ap);
	return v;
}

/* One commit of these records (JSON values; NULL data removes a path)
 * at n's own history, through the real writer; its id in out. */
static void commit_json(tu_node *n, const char *const *paths,
                        json_t *const *vals, size_t k,
                        char out[STORE_OID_HEX])
{
	store_change ch[128];
	char *bytes[128];
	char dummy[STORE_OID_HEX];

	assert_true(k <= 128);
	for (size_t i = 0; i < k; i++) {
		bytes[i] = NULL;
		ch[i].path = paths[i];
		ch[i].data = NULL;
		ch[i].len = 0;
		if (vals[i] == NULL)
			continue;
		assert_int_equal(store_json_canon(&bytes[i], &ch[i].len, vals[i], 1),
		                 0);
		ch[i].data = bytes[i];
	}
	if (store_commit(n->st, n->sk, ch, k, "test", out ? out : dummy) != 0)
		fail_msg("%s refused %s: %s", n->id.id, paths[0], store_errmsg());
	for (size_t i = 0; i < k; i++)
		free(bytes[i]);
}

static void put_one(tu_node *n, const char *path, json_t *v,
                    char out[STORE_OID_HEX])
{
	commit_json(n, &path, &v, 1, out);
	json_decref(v);
}

static json_t *item(const char *id, const char *name)
{
	return jparse("{'id':'%s','area':'" AREA "','name':'%s',"
	              "'method':'主动公开','channels':['政府网站'],"
	              "'subject':'教育局','stage':'服务'}", id, name);
}

static void item_path(char out[128], const char *id)
{
	snprintf(out, 128, "catalog/" AREA "/%s.json", id);
}

/* Puts catalog item `id` named `name` at n; its commit in out. */
static void put_item(tu_node *n, const char *id, const char *name,
                     char out[STORE_OID_HEX])
{
	char path[128];

	item_path(path, id);
	put_one(n, path, item(id, name), out);
}

static void withdraw_item(tu_node *n, const char *id, const char *name,
                          const char *reason, char out[STORE_OID_HEX])
{
	char path[128];
	json_t *v = item(id, name);

	item_path(path, id);
	json_object_set_new(v, "withdrawn",
	                    jparse("{'at':'2024-03-01T08:00:00Z','reason':'%s'}",
	                           reason));
	put_one(n, path, v, out);
}

/* ---- documents (三级审核), as in test_records.c ------------------------------ */

#define DOC "RZB-2020-92"
#define BODY_NAME "正文.txt"
#define META_PATH "documents/" DOC "/meta.json"
#define BODY_PATH "documents/" DOC "/files/" BODY_NAME

static const char body_text[] =
        "福州市人民政府办公厅关于全面推进基层政务公开标准化规范化工作的通知\n"
        "各县（市）区人民政府，高新区管委会，市直各有关单位：\n";

static json_t *meta_new(void)
{
	char hex[65];

	keys_sha256_hex(hex, body_text, strlen(body_text));
	return jparse(
	        "{'id':'" DOC "','title':'福州市人民政府办公厅关于全面推进基层"
	        "政务公开标准化规范化工作的通知','issuer':'福州市人民政府办公厅',"
	        "'doc_no':'榕政办〔2020〕92号','genre':'通知',"
	        "'class':'行政规范性文件','written':'2020-06-28',"
	        "'published':'2020-07-02','attribute':'主动公开',"
	        "'files':[{'name':'" BODY_NAME "','sha256':'%s','size':%zu,"
	        "'media_type':'text/plain; charset=utf-8'}],"
	        "'validity':{'status':'有效'},'review':[]}",
	        hex, strlen(body_text));
}

static void review_add(json_t *meta, const char *role, const char *person,
                       const keys_secret *sk, int64_t at)
{
	unsigned char raw[KEYS_SSHSIG_MAX];
	char b64[1024], ts[21], *text, *msg = NULL;
	size_t rawlen, msglen;

	text = json_dumps(meta, JSON_COMPACT);
	assert_non_null(text);
	assert_int_equal(store_review_bytes(text, strlen(text), &msg, &msglen), 0);
	free(text);
	assert_int_equal(keys_sshsig_sign(raw, sizeof(raw), &rawlen, sk,
	                                  STORE_SIG_NS_REVIEW, msg, msglen),
	                 0);
	free(msg);
	assert_int_equal(keys_b64_encode(b64, sizeof(b64), raw, rawlen), 0);
	keys_time_format(ts, at);
	json_array_append_new(json_object_get(meta, "review"),
	                      json_pack("{s:s,s:s,s:s,s:s}", "role", role, "person",
	                                person, "at", ts, "sig", b64));
}

/* 拟稿人 林晓, 审核人 陈明, 发布人 王芳 at the city. */
static void people_add(fx *f)
{
	static const char *const ids[] = { "lin.xiao", "chen.ming", "wang.fang" };
	static const char *const names[] = { "林晓", "陈明", "王芳" };
	static const char *const roles[] = { "拟稿人", "审核人", "发布人" };
	char path[3][64], vf[21], line[KEYS_PUBLIC_LINE_MAX];
	const char *paths[3];
	json_t *vals[3];

	keys_time_format(vf, f->vfrom);
	for (int i = 0; i < 3; i++) {
		keys_public_format(line, sizeof(line), keys_secret_public(f->k[i]),
		                   NULL);
		vals[i] = jparse("{'id':'%s','name':'%s','node':'" C_ID "',"
		                 "'roles':['%s'],'key':'%s','valid_from':'%s'}",
		                 ids[i], names[i], roles[i], line, vf);
		snprintf(path[i], sizeof(path[i]), "people/%s.json", ids[i]);
		paths[i] = path[i];
	}
	commit_json(&f->c, paths, vals, 3, NULL);
	for (int i = 0; i < 3; i++)
		json_decref(vals[i]);
}

/* Publishes DOC at the city with its body file; returns its meta. */
static json_t *doc_publish(fx *f, char out[STORE_OID_HEX])
{
	json_t *m = meta_new();
	int64_t at = store_now() - 3 * 3600;
	store_change ch[2];
	char *bytes;
	size_t len;

	people_add(f);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at + 600);
	review_add(m, "发布人", "wang.fang", f->k[2], at + 1200);
	assert_int_equal(store_json_canon(&bytes, &len, m, 1), 0);
	ch[0] = (store_change){ META_PATH, bytes, len };
	ch[1] = (store_change){ BODY_PATH, body_text, strlen(body_text) };
	if (store_commit(f->c.st, f->c.sk, ch, 2, "publish", out) != 0)
		fail_msg("publish: %s", store_errmsg());
	free(bytes);
	return m;
}

/* ---- the federation ------------------------------------------------------------ */

static void sync_up(store *src, const char *node, fx *f)
{
	store_import_result res;

	if (tu_sync_as(src, node, f->p.st, f->root, &res) != 0)
		fail_msg("the province refused %s's history: %s", node,
		         store_errmsg());
}

/* Every history up to the province, parents first. */
static void up(fx *f)
{
	sync_up(f->c.st, C_ID, f);
	sync_up(f->d.st, D_ID, f);
	sync_up(f->s.st, S_ID, f);
}

/* The province cuts a checkpoint; its seq. */
static uint64_t cut(fx *f)
{
	store_cp_cut res;
	uint64_t seq;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = store_checkpoint_cut(f->p.st, f->p.sk, NULL, 0, &res);
	if (rc != 0)
		fail_msg("cut: %s", store_errmsg());
	assert_int_equal(res.unchanged, 0);
	assert_int_equal(res.nheld, 0);
	seq = res.seq;
	store_cp_cut_clear(&res);
	return seq;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_tmpdir();
	tu_node_new(&f->p, f->dir, P_ID, STORE_LEVEL_PROVINCE, "福建省", NULL);
	tu_node_new(&f->c, f->dir, C_ID, STORE_LEVEL_CITY, "福州市", P_ID);
	tu_node_new(&f->d, f->dir, D_ID, STORE_LEVEL_DISTRICT, "仓山区", C_ID);
	tu_node_new(&f->s, f->dir, S_ID, STORE_LEVEL_TOWNSHIP, "上渡街道", D_ID);
	f->root = keys_secret_public(f->p.sk);
	store_set_root(f->c.st, f->root);
	store_set_root(f->d.st, f->root);
	store_set_root(f->s.st, f->root);
	tu_enroll(&f->p, &f->c);
	tu_genesis(&f->c);
	tu_enroll(&f->c, &f->d);
	tu_genesis(&f->d);
	tu_enroll(&f->d, &f->s);
	tu_genesis(&f->s);
	up(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(keys_secret_generate(&f->k[i]), 0);
	f->vfrom = store_now() - 2 * 86400;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tu_node_free(&f->p);
	tu_node_free(&f->c);
	tu_node_free(&f->d);
	tu_node_free(&f->s);
	for (int i = 0; i < 3; i++)
		keys_secret_free(f->k[i]);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- reading the feed ------------------------------------------------------------ */

/* Every change from `from` to `to`, in one page. */
static json_t *feed_all(store *st, uint64_t from, uint64_t to)
{
	json_t *arr = NULL;
	size_t total = 0;
	int rc = store_feed_page(st, from, to, 0, SIZE_MAX, &arr, &total);

	if (rc != 0)
		fail_msg("feed %" PRIu64 " to %" PRIu64 ": %s", from, to,
		         store_errmsg());
	assert_int_equal(json_array_size(arr), total);
	return arr;
}

static const char *sget(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (s == NULL)
		fail_msg("a change lacks the string '%s'", k);
	return s;
}

/* The change of (node, path), or NULL. */
static json_t *find(const json_t *arr, const char *node, const char *path)
{
	size_t i;
	json_t *c;

	json_array_foreach(arr, i, c) {
		if (strcmp(sget(c, "node"), node) == 0 &&
		    strcmp(sget(c, "path"), path) == 0)
			return c;
	}
	return NULL;
}

/* "kind node path" of every change, one a line. */
static char *summary(const json_t *arr)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&out, &len);
	json_t *c;

	assert_non_null(m);
	json_array_foreach(arr, i, c) {
		fprintf(m, "%s %s %s\n", sget(c, "kind"), sget(c, "node"),
		        sget(c, "path"));
	}
	fclose(m);
	return out;
}

static void expect_summary(const json_t *arr, const char *want)
{
	char *got = summary(arr);

	if (strcmp(got, want) != 0)
		fail_msg("the feed is\n%s\nwant\n%s", got, want);
	free(got);
}

/* The head checkpoint `seq` names for `node` ("" if none). */
static void cp_head(store *st, uint64_t seq, const char *node,
                    char out[STORE_OID_HEX])
{
	char *bytes = NULL, why[256];
	size_t len;
	store_checkpoint cp;

	out[0] = '\0';
	assert_int_equal(store_checkpoint_read(st, seq, &bytes, &len, NULL), 0);
	if (store_checkpoint_parse(&cp, bytes, len, why, sizeof(why)) != 0)
		fail_msg("checkpoint %" PRIu64 ": %s", seq, why);
	for (size_t i = 0; i < cp.nheads; i++)
		if (strcmp(cp.heads[i].node, node) == 0)
			snprintf(out, STORE_OID_HEX, "%s", cp.heads[i].commit);
	store_checkpoint_clear(&cp);
	free(bytes);
}

/* The blob id of `path` at `commit` ("" if absent). */
static void blob_at(store *st, const git_oid *commit, const char *path,
                    char out[STORE_OID_HEX])
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;

	out[0] = '\0';
	assert_int_equal(git_commit_lookup(&c, st->repo, commit), 0);
	assert_int_equal(git_commit_tree(&t, c), 0);
	if (git_tree_entry_bypath(&e, t, path) == 0)
		git_oid_tostr(out, STORE_OID_HEX, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
}

/*
 * Checks one change against the province's store, independently of
 * feed.c: its record is the one at T's head; its commit is on T's head's
 * line, holds that same blob, its parent does not, and no commit between
 * it and the head holds another; its signer is `key`'s fingerprint; its
 * level is `level`.
 */
static void check_change(store *st, uint64_t to, const json_t *c,
                         const keys_public *key, const char *level)
{
	char head[STORE_OID_HEX], want[STORE_OID_HEX], at[STORE_OID_HEX];
	char fp[KEYS_FINGERPRINT_MAX], *data = NULL;
	const char *node = sget(c, "node"), *path = sget(c, "path");
	git_oid cur, target;
	json_t *rec = NULL;
	size_t len;
	git_blob *b = NULL;
	int steps = 0;

	cp_head(st, to, node, head);
	assert_string_not_equal(head, "");
	assert_int_equal(git_oid_fromstr(&cur, head), 0);
	blob_at(st, &cur, path, want);
	assert_string_not_equal(want, "");
	/* the record at T */
	{
		git_oid bid;
		assert_int_equal(git_oid_fromstr(&bid, want), 0);
		assert_int_equal(git_blob_lookup(&b, st->repo, &bid), 0);
		len = (size_t)git_blob_rawsize(b);
		data = strndup(git_blob_rawcontent(b), len);
		git_blob_free(b);
		assert_int_equal(store_json_parse(&rec, data, len, STORE_RECORD_MAX,
		                                  "r"),
		                 0);
		if (!json_equal(rec, json_object_get(c, "record")))
			fail_msg("%s %s: the record is not the one at T", node, path);
		json_decref(rec);
		free(data);
	}
	/* the commit that last changed it */
	assert_int_equal(git_oid_fromstr(&target, sget(c, "commit")), 0);
	for (;;) {
		git_commit *cm = NULL;
		blob_at(st, &cur, path, at);
		if (strcmp(at, want) != 0)
			fail_msg("%s %s: a commit after %s changed it", node, path,
			         sget(c, "commit"));
		assert_int_equal(git_commit_lookup(&cm, st->repo, &cur), 0);
		if (git_oid_equal(&cur, &target)) {
			if (git_commit_parentcount(cm) > 0) {
				blob_at(st, git_commit_parent_id(cm, 0), path, at);
				if (strcmp(at, want) == 0)
					fail_msg("%s %s: commit %s did not change it", node,
					         path, sget(c, "commit"));
			}
			git_commit_free(cm);
			break;
		}
		if (git_commit_parentcount(cm) == 0)
			fail_msg("%s %s: commit %s is not on the head's line", node,
			         path, sget(c, "commit"));
		cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
		assert_true(++steps < 100000);
	}
	keys_public_fingerprint(fp, key);
	assert_string_equal(sget(c, "signer"), fp);
	assert_string_equal(sget(c, "level"), level);
}

static const tu_node *node_of(fx *f, const char *id)
{
	const tu_node *all[4] = { &f->p, &f->c, &f->d, &f->s };

	for (int i = 0; i < 4; i++)
		if (strcmp(all[i]->id.id, id) == 0)
			return all[i];
	fail_msg("no node %s", id);
	return NULL;
}

/* Every change checked; ordered by node, then path, without repeats. */
static void check_all(fx *f, uint64_t to, const json_t *arr)
{
	size_t i;
	json_t *c;
	const char *pn = NULL, *pp = NULL;

	json_array_foreach(arr, i, c) {
		const char *n = sget(c, "node"), *p = sget(c, "path");
		const tu_node *x = node_of(f, n);
		if (pn && (strcmp(pn, n) > 0 ||
		           (strcmp(pn, n) == 0 && strcmp(pp, p) >= 0)))
			fail_msg("change %zu (%s %s) is out of order after %s %s", i, n,
			         p, pn, pp);
		assert_int_equal(json_object_size(c), 7);
		check_change(f->p.st, to, c, keys_secret_public(x->sk),
		             store_level_name(x->id.level));
		pn = n;
		pp = p;
	}
}

typedef struct union_ctx {
	const json_t *arr;
	const char *node;
	size_t n;
} union_ctx;

static int union_cb(void *ctx, const char *path, const char *data, size_t len)
{
	union_ctx *u = ctx;
	rec_kind k = rec_kind_of(path);

	(void)data;
	(void)len;
	if (REC_IS_FILE(k))
		return 0;
	if (find(u->arr, u->node, path) == NULL)
		fail_msg("%s %s is held but not in the feed from nothing", u->node,
		         path);
	u->n++;
	return 0;
}

/* The feed from nothing to `to` (just cut: every head held is in it) is
 * exactly every record held, body files aside. */
static void check_union(fx *f, const json_t *arr)
{
	const char *ids[4] = { P_ID, C_ID, D_ID, S_ID };
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		union_ctx u = { arr, ids[i], 0 };
		assert_int_equal(store_record_foreach(f->p.st, ids[i], "", union_cb,
		                                      &u),
		                 0);
		n += u.n;
	}
	assert_int_equal(json_array_size(arr), n);
}

/* ==== tests =========================================================================== */

/* From nothing: every record held, in order, each from its own commit. */
static void test_from_nothing(void **state)
{
	fx *f = *state;
	char s1b[STORE_OID_HEX], c2w[STORE_OID_HEX], x[STORE_OID_HEX];
	json_t *arr, *ch;
	uint64_t seq;

	put_item(&f->p, "YWJY.01.01", "义务教育招生政策", x);
	put_item(&f->c, "YWJY.02.03", "招生范围", x);
	put_item(&f->c, "YWJY.02.04", "学区划分", x);
	withdraw_item(&f->c, "YWJY.02.04", "学区划分", "事项调整至教育服务领域目录",
	              c2w);
	put_item(&f->d, "YWJY.03.01", "入学报名", x);
	put_item(&f->s, "YWJY.04.01", "控辍保学", x);
	put_item(&f->s, "YWJY.04.01", "控辍保学（更新）", s1b);
	put_item(&f->s, "YWJY.04.02", "送教上门", x);
	up(f);
	seq = cut(f);
	assert_int_equal(seq, 1);

	arr = feed_all(f->p.st, 0, seq);
	check_union(f, arr);
	check_all(f, seq, arr);
	expect_summary(arr,
	        "added 350000 catalog/义务教育/YWJY.01.01.json\n"
	        "added 350000 certs/350100.json\n"
	        "added 350000 node.json\n"
	        "added 350100 catalog/义务教育/YWJY.02.03.json\n"
	        "withdrawn 350100 catalog/义务教育/YWJY.02.04.json\n"
	        "added 350100 certs/350104.json\n"
	        "added 350100 node.json\n"
	        "added 350104 catalog/义务教育/YWJY.03.01.json\n"
	        "added 350104 certs/350104004.json\n"
	        "added 350104 node.json\n"
	        "added 350104004 catalog/义务教育/YWJY.04.01.json\n"
	        "added 350104004 catalog/义务教育/YWJY.04.02.json\n"
	        "added 350104004 node.json\n");
	/* a withdrawal before the first checkpoint is still a tombstone, with
	 * its reason, from the commit that withdrew it */
	ch = find(arr, C_ID, "catalog/" AREA "/YWJY.02.04.json");
	assert_string_equal(sget(ch, "commit"), c2w);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_object_get(ch, "record"),
	                                            "withdrawn"),
	                            "reason")),
	                    "事项调整至教育服务领域目录");
	/* the commit of a record changed twice is the second */
	ch = find(arr, S_ID, "catalog/" AREA "/YWJY.04.01.json");
	assert_string_equal(sget(ch, "commit"), s1b);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(ch, "record"), "name")),
	                    "控辍保学（更新）");
	json_decref(arr);
}

/* Between two checkpoints: added, changed, withdrawn; what changed and
 * changed back, and what did not change, is not there. */
static void test_between(void **state)
{
	fx *f = *state;
	char a[STORE_OID_HEX], d2[STORE_OID_HEX], x[STORE_OID_HEX];
	json_t *arr, *ch;
	uint64_t s1, s2;

	put_item(&f->c, "A", "政府信息公开指南", x);
	put_item(&f->c, "B", "政府信息公开制度", x);
	put_item(&f->c, "D2", "政府信息公开年度报告", x);
	put_item(&f->c, "E", "政策解读", x);
	put_item(&f->s, "S1", "村务公开", x);
	up(f);
	s1 = cut(f);

	put_item(&f->c, "A", "政府信息公开指南（2024年版）", a);
	withdraw_item(&f->c, "B", "政府信息公开制度", "制度已废止，并入公开指南", x);
	put_item(&f->c, "D2", "政府信息公开工作年度报告", x);
	put_item(&f->c, "D2", "政府信息公开工作年度报告（2023）", d2);
	put_item(&f->c, "E", "政策解读（临时）", x);
	put_item(&f->c, "E", "政策解读", x); /* back as it was at s1 */
	put_item(&f->c, "N1", "重大建设项目", x);
	put_item(&f->s, "S2", "财务公开", x);
	/* the city changes again after: not in a feed to s2 */
	up(f);
	s2 = cut(f);
	put_item(&f->c, "A", "政府信息公开指南（2025年版）", x);
	up(f);

	arr = feed_all(f->p.st, s1, s2);
	check_all(f, s2, arr);
	expect_summary(arr,
	        "changed 350100 catalog/义务教育/A.json\n"
	        "withdrawn 350100 catalog/义务教育/B.json\n"
	        "changed 350100 catalog/义务教育/D2.json\n"
	        "added 350100 catalog/义务教育/N1.json\n"
	        "added 350104004 catalog/义务教育/S2.json\n");
	assert_string_equal(sget(find(arr, C_ID, "catalog/" AREA "/A.json"),
	                         "commit"), a);
	assert_string_equal(sget(find(arr, C_ID, "catalog/" AREA "/D2.json"),
	                         "commit"), d2);
	ch = find(arr, C_ID, "catalog/" AREA "/B.json");
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(json_object_get(ch, "record"),
	                                            "withdrawn"),
	                            "reason")),
	                    "制度已废止，并入公开指南");
	json_decref(arr);

	/* the same checkpoint: nothing */
	arr = feed_all(f->p.st, s2, s2);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);

	/* from nothing to s2: B is a tombstone, E as it is */
	arr = feed_all(f->p.st, 0, s2);
	check_all(f, s2, arr);
	assert_string_equal(sget(find(arr, C_ID, "catalog/" AREA "/B.json"),
	                         "kind"), "withdrawn");
	assert_string_equal(sget(find(arr, C_ID, "catalog/" AREA "/E.json"),
	                         "kind"), "added");
	json_decref(arr);
}

/* A node that enters between two checkpoints: all its records are
 * added; its parent's certificate for it too. */
static void test_new_node(void **state)
{
	fx *f = *state;
	tu_node s2;
	json_t *arr;
	uint64_t s1, s2seq;
	char x[STORE_OID_HEX];

	s1 = cut(f);
	tu_node_new(&s2, f->dir, S2_ID, STORE_LEVEL_TOWNSHIP, "下渡街道", D_ID);
	store_set_root(s2.st, f->root);
	tu_enroll(&f->d, &s2);
	tu_genesis(&s2);
	put_item(&s2, "XD.01", "社区公开栏", x);
	up(f);
	sync_up(s2.st, S2_ID, f);
	s2seq = cut(f);
	arr = feed_all(f->p.st, s1, s2seq);
	expect_summary(arr,
	        "added 350104 certs/350104005.json\n"
	        "added 350104005 catalog/义务教育/XD.01.json\n"
	        "added 350104005 node.json\n");
	assert_string_equal(sget(json_array_get(arr, 1), "level"), "township");
	json_decref(arr);
	tu_node_free(&s2);
}

/* Documents: the meta is the entry, never the body files; a validity
 * change is `validity`; a withdrawal is a tombstone. */
static void test_documents(void **state)
{
	fx *f = *state;
	char pub[STORE_OID_HEX], val[STORE_OID_HEX], wd[STORE_OID_HEX];
	json_t *m = doc_publish(f, pub), *v, *arr, *ch;
	const char *paths[2] = { META_PATH, BODY_PATH };
	json_t *vals[2];
	uint64_t s1, s2, s3;

	up(f);
	s1 = cut(f);
	arr = feed_all(f->p.st, 0, s1);
	check_union(f, arr);
	check_all(f, s1, arr);
	ch = find(arr, C_ID, META_PATH);
	assert_non_null(ch);
	assert_string_equal(sget(ch, "kind"), "added");
	assert_string_equal(sget(ch, "commit"), pub);
	assert_null(find(arr, C_ID, BODY_PATH));
	assert_non_null(find(arr, C_ID, "people/lin.xiao.json"));
	json_decref(arr);

	/* 失效: a validity change, not a deletion */
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'失效','at':'2024-06-01'}"));
	put_one(&f->c, META_PATH, v, val);
	up(f);
	s2 = cut(f);
	arr = feed_all(f->p.st, s1, s2);
	check_all(f, s2, arr);
	expect_summary(arr, "validity 350100 documents/" DOC "/meta.json\n");
	ch = json_array_get(arr, 0);
	assert_string_equal(sget(ch, "commit"), val);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(ch, "record"), "validity"),
	                "status")),
	        "失效");
	json_decref(arr);

	/* 撤回: the meta a tombstone, the body file removed */
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'失效','at':'2024-06-01'}"));
	json_object_set_new(v, "withdrawn",
	                    jparse("{'at':'2024-07-01T02:00:00Z',"
	                           "'reason':'文件内容有误，撤回'}"));
	vals[0] = v;
	vals[1] = NULL;
	commit_json(&f->c, paths, vals, 2, wd);
	json_decref(v);
	up(f);
	s3 = cut(f);
	arr = feed_all(f->p.st, s2, s3);
	check_all(f, s3, arr);
	expect_summary(arr, "withdrawn 350100 documents/" DOC "/meta.json\n");
	ch = json_array_get(arr, 0);
	assert_string_equal(sget(ch, "commit"), wd);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(ch, "record"), "withdrawn"),
	                "reason")),
	        "文件内容有误，撤回");
	/* the tombstone keeps the files' hashes */
	assert_int_equal(json_array_size(json_object_get(
	                         json_object_get(ch, "record"), "files")),
	                 1);
	json_decref(arr);
	/* over both: withdrawn wins over validity */
	arr = feed_all(f->p.st, s1, s3);
	expect_summary(arr, "withdrawn 350100 documents/" DOC "/meta.json\n");
	json_decref(arr);
	arr = feed_all(f->p.st, 0, s3);
	check_union(f, arr);
	assert_string_equal(sget(find(arr, C_ID, META_PATH), "kind"), "withdrawn");
	assert_null(find(arr, C_ID, BODY_PATH));
	json_decref(arr);
	json_decref(m);
}

/* Many items in commits of several each. */
static void put_many(tu_node *n, const char *prefix, int count, int per)
{
	char paths[128][128];
	const char *pp[128];
	json_t *vals[128];

	assert_true(per <= 128);
	for (int i = 0; i < count; i += per) {
		int k = count - i < per ? count - i : per;
		for (int j = 0; j < k; j++) {
			char id[64], name[64];
			snprintf(id, sizeof(id), "%s.%05d", prefix, i + j);
			snprintf(name, sizeof(name), "公开事项%d", i + j);
			item_path(paths[j], id);
			pp[j] = paths[j];
			vals[j] = item(id, name);
		}
		commit_json(n, pp, vals, (size_t)k, NULL);
		for (int j = 0; j < k; j++)
			json_decref(vals[j]);
	}
}

/* Pages through a list with `limit` as a client follows `next`: the pages
 * joined are the list in one page. */
static void pages_join(store *st, store_feed_cache *cache, uint64_t from,
                       uint64_t to, size_t limit, const json_t *whole)
{
	json_t *joined = json_array();
	uint64_t n = from, t = to, k = 0;
	size_t total = 0, rounds = 0;

	for (;;) {
		json_t *page = NULL;
		char cur[STORE_FEED_CURSOR_MAX];
		size_t got;
		assert_int_equal(store_feed_cache_page(cache, st, n, t, (size_t)k,
		                                       limit, &page, &total),
		                 0);
		got = json_array_size(page);
		assert_int_equal(got, total - k < limit ? total - k : limit);
		json_array_extend(joined, page);
		json_decref(page);
		if (k + got >= total)
			break;
		/* the cursor a server would give, read back as a client sends it */
		store_feed_cursor_format(cur, n, t, k + got);
		assert_int_equal(store_feed_cursor_parse(cur, &n, &t, &k), 0);
		assert_int_equal(n, from);
		assert_int_equal(t, to);
		assert_true(++rounds <= total + 1);
	}
	if (!json_equal(joined, whole))
		fail_msg("pages of %zu joined differ from the whole list", limit);
	json_decref(joined);
}

static void test_paging(void **state)
{
	fx *f = *state;
	store_feed_cache *cache;
	json_t *whole, *again, *page = NULL;
	const size_t limits[] = { 1, 2, 3, 7, 16, 64, 10000 };
	size_t total = 0;
	uint64_t s1, s2;

	put_many(&f->c, "C", 30, 4);
	put_many(&f->s, "S", 17, 5);
	up(f);
	s1 = cut(f);
	whole = feed_all(f->p.st, 0, s1);
	assert_true(json_array_size(whole) > 50);
	assert_int_equal(store_feed_cache_new(&cache, 0), 0);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		pages_join(f->p.st, cache, 0, s1, limits[i], whole);

	/* the list stays as it was once the province moves on: a cursor
	 * never expires */
	put_many(&f->c, "C2", 9, 3);
	up(f);
	s2 = cut(f);
	assert_true(s2 > s1);
	again = feed_all(f->p.st, 0, s1);
	assert_true(json_equal(again, whole));
	json_decref(again);
	for (size_t i = 0; i < 3; i++)
		pages_join(f->p.st, cache, 0, s1, limits[i], whole);
	again = feed_all(f->p.st, s1, s2);
	assert_int_equal(json_array_size(again), 9);
	pages_join(f->p.st, cache, s1, s2, 4, again);
	json_decref(again);

	/* the end of a list, and past it */
	total = json_array_size(whole);
	assert_int_equal(store_feed_page(f->p.st, 0, s1, total, 10, &page, &total),
	                 0);
	assert_int_equal(json_array_size(page), 0);
	json_decref(page);
	page = NULL;
	assert_int_equal(store_feed_page(f->p.st, 0, s1, total + 1, 10, &page,
	                                 &total),
	                 STORE_EINVAL);
	assert_null(page);
	store_feed_cache_free(cache);
	json_decref(whole);
}

static void test_bad_ranges(void **state)
{
	fx *f = *state;
	store_feed_list *l = (store_feed_list *)1;
	json_t *page = NULL;
	size_t total = 7;

	/* no checkpoint yet */
	assert_int_equal(store_feed_compute(f->p.st, 0, 1, &l), STORE_ENOTFOUND);
	assert_null(l);
	assert_int_equal(store_feed_page(f->p.st, 0, 1, 0, 10, &page, &total),
	                 STORE_ENOTFOUND);
	assert_null(page);
	assert_int_equal(total, 0);
	assert_int_equal(cut(f), 1);
	assert_int_equal(store_feed_compute(f->p.st, 0, 2, &l), STORE_ENOTFOUND);
	assert_int_equal(store_feed_compute(f->p.st, 2, 1, &l), STORE_EINVAL);
	assert_int_equal(store_feed_compute(f->p.st, 0, 0, &l), STORE_EINVAL);
	assert_int_equal(store_feed_compute(f->p.st, 1, 1, &l), 0);
	assert_int_equal(store_feed_list_total(l), 0);
	store_feed_list_free(l);
	assert_int_equal(store_feed_compute(f->p.st, 0, 1, &l), 0);
	assert_true(store_feed_list_total(l) > 0);
	assert_int_equal(store_feed_list_from(l), 0);
	assert_int_equal(store_feed_list_to(l), 1);
	{
		store_feed_entry e;
		assert_int_equal(store_feed_list_entry(l, 0, &e), 0);
		assert_string_equal(e.node, P_ID);
		assert_string_equal(e.level, "province");
		assert_int_equal(store_feed_list_entry(l, store_feed_list_total(l),
		                                       &e),
		                 STORE_EINVAL);
	}
	store_feed_list_free(l);
}

static void test_cursor_parse(void **state)
{
	static const char *const bad[] = {
		"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "+1.2.3",
		"-1.2.3", " 1.2.3", "1.2.3 ", "a.b.c", "2.1.0", "0.0.0", "1..3",
		".1.2", "1.2.", "10000000000.10000000000.0", "0.1.18446744073709551616",
		"0.1.99999999999999999999", "1.2.3x", "\xef\xbc\x91.2.3", "1,2,3",
		"0x1.2.3", "1.2.3\n",
	};
	uint64_t n, t, k;
	char cur[STORE_FEED_CURSOR_MAX];

	(void)state;
	assert_int_equal(store_feed_cursor_parse("0.1.0", &n, &t, &k), 0);
	assert_true(n == 0 && t == 1 && k == 0);
	assert_int_equal(store_feed_cursor_parse("3.7.1000", &n, &t, &k), 0);
	assert_true(n == 3 && t == 7 && k == 1000);
	assert_int_equal(store_feed_cursor_parse("7.7.0", &n, &t, &k), 0);
	assert_int_equal(store_feed_cursor_parse(
	                         "9999999999.9999999999.9999999999999999999", &n,
	                         &t, &k),
	                 0);
	assert_true(n == 9999999999ULL && t == 9999999999ULL &&
	            k == 9999999999999999999ULL);
	store_feed_cursor_format(cur, n, t, k);
	assert_string_equal(cur, "9999999999.9999999999.9999999999999999999");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (store_feed_cursor_parse(bad[i], &n, &t, &k) != STORE_EINVAL)
			fail_msg("cursor '%s' was taken", bad[i]);
		assert_true(n == 0 && t == 0 && k == 0);
		assert_true(strlen(store_errmsg()) > 0);
	}
	assert_int_equal(store_feed_number_parse("0", 1, 10, &n), 0);
	assert_int_equal(store_feed_number_parse("10000", 5, 10000, &n), 0);
	assert_true(n == 10000);
	assert_int_equal(store_feed_number_parse("10001", 5, 10000, &n),
	                 STORE_EINVAL);
	assert_int_equal(store_feed_number_parse("007", 3, 10000, &n),
	                 STORE_EINVAL);
	assert_int_equal(store_feed_number_parse("", 0, 10000, &n), STORE_EINVAL);
	assert_int_equal(store_feed_number_parse("1e3", 3, 10000, &n),
	                 STORE_EINVAL);
	assert_int_equal(store_feed_number_parse("18446744073709551616", 20,
	                                         UINT64_MAX, &n),
	                 STORE_EINVAL);
	assert_int_equal(store_feed_number_parse("18446744073709551615", 20,
	                                         UINT64_MAX, &n),
	                 0);
	assert_true(n == UINT64_MAX);
	assert_string_equal(store_feed_kind_name(STORE_FEED_VALIDITY), "validity");
}

/* The cache: bounded, and what it gives equals what is computed anew. */
static void test_cache(void **state)
{
	fx *f = *state;
	store_feed_cache *c;
	const store_feed_list *a, *b, *a2;
	json_t *p1 = NULL, *p2 = NULL;
	size_t t1, t2;
	uint64_t s1, s2;
	char x[STORE_OID_HEX];

	put_item(&f->c, "A", "政府信息公开指南", x);
	up(f);
	s1 = cut(f);
	put_item(&f->c, "B", "政府信息公开制度", x);
	up(f);
	s2 = cut(f);

	/* room for plenty: the same list again */
	assert_int_equal(store_feed_cache_new(&c, 0), 0);
	assert_int_equal(store_feed_cache_get(c, f->p.st, 0, s1, &a), 0);
	assert_int_equal(store_feed_cache_get(c, f->p.st, 0, s2, &b), 0);
	assert_int_equal(store_feed_cache_get(c, f->p.st, 0, s1, &a2), 0);
	assert_ptr_equal(a, a2);
	assert_ptr_not_equal(a, b);
	store_feed_cache_free(c);

	/* room for nothing: only the last list is kept, and it is right */
	assert_int_equal(store_feed_cache_new(&c, 1), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(store_feed_cache_page(c, f->p.st, 0, s1, 0, 100, &p1,
		                                       &t1),
		                 0);
		assert_int_equal(store_feed_page(f->p.st, 0, s1, 0, 100, &p2, &t2), 0);
		assert_int_equal(t1, t2);
		assert_true(json_equal(p1, p2));
		json_decref(p1);
		json_decref(p2);
		assert_int_equal(store_feed_cache_page(c, f->p.st, s1, s2, 0, 100,
		                                       &p1, &t1),
		                 0);
		assert_int_equal(t1, 1);
		json_decref(p1);
	}
	/* 40 lists in 32 slots */
	for (uint64_t i = 0; i < 40; i++) {
		assert_int_equal(store_feed_cache_get(c, f->p.st, i % 2, s2, &a), 0);
		assert_int_equal(store_feed_cache_get(c, f->p.st, s2, s2, &a), 0);
	}
	store_feed_cache_free(c);
}

/*
 * Pages stop near STORE_FEED_PAGE_BYTES of records, and go on from there.
 * Records are bounded by their schemas (8 KiB a text field, 16 KiB of
 * ext): about 1,100 of the largest items pass 32 MiB.
 */
static void test_page_bytes(void **state)
{
	fx *f = *state;
	const int count = 1100, per = 100;
	char *text = malloc(8193), paths[100][128];
	const char *pp[100];
	json_t *vals[100], *page = NULL, *ext;
	store_feed_list *l = NULL;
	size_t total = 0, k = 0, pages = 0, maxrec = 0;
	uint64_t s1;

	assert_non_null(text);
	memset(text, 'x', 8192);
	text[8192] = '\0';
	ext = json_object();
	for (int i = 0; i < 7; i++) {
		char key[8];
		snprintf(key, sizeof(key), "k%d", i);
		json_object_set_new(ext, key, json_stringn(text, 2000));
	}
	for (int c = 0; c < count; c += per) {
		for (int j = 0; j < per; j++) {
			char id[32];
			snprintf(id, sizeof(id), "BIG.%04d", c + j);
			item_path(paths[j], id);
			pp[j] = paths[j];
			vals[j] = item(id, "大事项");
			json_object_set_new(vals[j], "content", json_string(text));
			json_object_set_new(vals[j], "basis", json_string(text));
			json_object_set(vals[j], "ext", ext);
		}
		commit_json(&f->c, pp, vals, (size_t)per, NULL);
		for (int j = 0; j < per; j++)
			json_decref(vals[j]);
	}
	json_decref(ext);
	free(text);
	up(f);
	s1 = cut(f);
	assert_int_equal(store_feed_compute(f->p.st, 0, s1, &l), 0);
	total = store_feed_list_total(l);
	assert_true(total > (size_t)count);
	while (k < total) {
		size_t got, bytes = 0, i;
		json_t *c;
		assert_int_equal(store_feed_list_page(f->p.st, l, k, 10000, &page), 0);
		got = json_array_size(page);
		assert_true(got >= 1);
		json_array_foreach(page, i, c) {
			store_feed_entry e;
			char *r = NULL;
			size_t n;
			assert_int_equal(store_feed_list_entry(l, k + i, &e), 0);
			assert_string_equal(e.path, sget(c, "path"));
			/* the stored bytes: canonical, pretty */
			assert_int_equal(store_json_canon(&r, &n,
			                                  json_object_get(c, "record"), 1),
			                 0);
			free(r);
			if (n > maxrec)
				maxrec = n;
			if (i + 1 < got) /* all but the last within the budget */
				bytes += n;
		}
		assert_true(bytes < STORE_FEED_PAGE_BYTES);
		if (k + got < total) /* short: the last one went past it */
			assert_true(bytes + maxrec >= STORE_FEED_PAGE_BYTES);
		json_decref(page);
		k += got;
		assert_true(++pages <= total);
	}
	assert_int_equal(k, total);
	assert_int_equal(pages, 2);
	store_feed_list_free(l);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records served per second: one list computed, then read in pages of
 * 1,000 as a pull would (a figure, printed; not a pass/fail bound). */
static void test_rate(void **state)
{
	fx *f = *state;
	store_feed_cache *c;
	json_t *page;
	size_t total = 0, served = 0;
	double t0, t1, t2;
	uint64_t s1;
	const int items = 5000;

	put_many(&f->c, "R", items, 100);
	up(f);
	s1 = cut(f);
	assert_int_equal(store_feed_cache_new(&c, 0), 0);
	t0 = now_s();
	{
		const store_feed_list *l;
		assert_int_equal(store_feed_cache_get(c, f->p.st, 0, s1, &l), 0);
	}
	t1 = now_s();
	for (size_t k = 0;; k += 1000) {
		char *s;
		assert_int_equal(store_feed_cache_page(c, f->p.st, 0, s1, k, 1000,
		                                       &page, &total),
		                 0);
		s = json_dumps(page, JSON_COMPACT);
		assert_non_null(s);
		free(s);
		served += json_array_size(page);
		json_decref(page);
		if (k + 1000 >= total)
			break;
	}
	t2 = now_s();
	assert_true(served >= (size_t)items);
	assert_int_equal(served, total);
	print_message("feed: %zu records: list computed in %.0f ms, served in "
	              "%.0f ms: %.0f records/s\n", served, (t1 - t0) * 1e3,
	              (t2 - t1) * 1e3, (double)served / (t2 - t0));
	store_feed_cache_free(c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_from_nothing),
		T(test_between),
		T(test_new_node),
		T(test_documents),
		T(test_paging),
		T(test_bad_ranges),
		cmocka_unit_test(test_cursor_parse),
		T(test_cache),
		T(test_page_bytes),
		T(test_rate),
	};
	int rc;

	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("feed", tests, NULL, NULL);
	store_global_shutdown();
	return rc;
}
