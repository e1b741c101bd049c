/*
 * test_records.c — the disclosure records (store/README.md "Domain
 * records", store/rec_domain.c): catalog items, people, documents and
 * their 三级审核, tasks, reports, the calendar and application clocks.
 *
 * Each rule is tried through the real writer (store_commit) and the
 * important ones also through a parent's importer, given a commit forged
 * past the writer (the parent must refuse what the writer would). Every
 * refusal checks the return code, a key word of the reason, and that no
 * head moved: the writer's own head, or the importer's replica ref.
 *
 * Records are written here as JSON with single quotes (turned into double
 * quotes) and canonicalized without their schema, so that it is the
 * writer's rules that judge them, not store_record_prepare.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P_ID "350000" /* 福建省 */
#define C_ID "350100" /* 福州市 */
#define D_ID "350112" /* 长乐区 */
#define AREA "义务教育"
#define ITEM "YWJY.02.03"
#define ITEM_PATH "catalog/" AREA "/" ITEM ".json"

typedef struct fx {
	char *dir;
	tu_node p, c, d;
	const keys_public *root;
	keys_secret *k[4];  /* reviewers' keys: 林晓, 陈明, 王芳, 周杰 */
	int64_t vfrom;      /* reviewers' valid_from: two days ago */
} fx;

/* ---- records as text ----------------------------------------------------- */

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

/* Canonical record bytes (sorted keys, two spaces, final newline). */
static char *canon(const json_t *v, size_t *len)
{
	char *out = NULL;

	assert_int_equal(store_json_canon(&out, len, v, 1), 0);
	return out;
}

/* Sets every key of `patch` on `v`; a null value removes the key. */
static void patch_apply(json_t *v, const json_t *patch)
{
	const char *k;
	json_t *x;

	json_object_foreach((json_t *)patch, k, x) {
		if (json_is_null(x))
			json_object_del(v, k);
		else
			json_object_set(v, k, x);
	}
}

static void tstr(char out[21], int64_t t)
{
	keys_time_format(out, t);
}

/* ---- the writer ---------------------------------------------------------- */

static void head_of(tu_node *n, char out[STORE_OID_HEX])
{
	store_head h;

	out[0] = '\0';
	if (store_head_get(n->st, NULL, &h) == 0)
		snprintf(out, STORE_OID_HEX, "%s", h.commit);
}

static void commit_ok(tu_node *n, const store_change *ch, size_t k)
{
	char before[STORE_OID_HEX], after[STORE_OID_HEX], out[STORE_OID_HEX];

	head_of(n, before);
	if (store_commit(n->st, n->sk, ch, k, "test", out) != 0)
		fail_msg("%s refused %s: %s", n->id.id, ch[0].path, store_errmsg());
	head_of(n, after);
	assert_string_equal(after, out);
	assert_string_not_equal(after, before);
}

/* The writer refuses, saying `needle`, and the own head stays. */
static void commit_refused(tu_node *n, const store_change *ch, size_t k,
                           const char *needle)
{
	char before[STORE_OID_HEX], after[STORE_OID_HEX], out[STORE_OID_HEX];
	int rc;

	head_of(n, before);
	rc = store_commit(n->st, n->sk, ch, k, "test", out);
	if (rc != STORE_EREJECT)
		fail_msg("%s: commit of %s returned %d (%s), want STORE_EREJECT "
		         "naming '%s'", n->id.id, ch[0].path, rc,
		         rc ? store_errmsg() : "accepted", needle);
	if (strstr(store_errmsg(), needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", store_errmsg(), needle);
	head_of(n, after);
	assert_string_equal(after, before);
}

static void put_json(tu_node *n, const char *path, const json_t *v,
                     const char *needle)
{
	size_t len;
	char *rec = canon(v, &len);
	store_change ch = { path, rec, len };

	if (needle)
		commit_refused(n, &ch, 1, needle);
	else
		commit_ok(n, &ch, 1);
	free(rec);
}

/* One record from text: accepted when needle is NULL, else refused. */
static void put(tu_node *n, const char *path, const char *needle,
                const char *fmt, ...)
{
	va_list ap;
	json_t *v;

	va_start(ap, fmt);
	v = jparse_v(fmt, ap);
	va_end(ap);
	put_json(n, path, v, needle);
	json_decref(v);
}

/* `base` with `patch` (JSON text, ' for ") at `path`. */
static void put_patched(tu_node *n, const char *path, const json_t *base,
                        const char *patch, const char *needle)
{
	json_t *v = json_deep_copy(base), *p = jparse("%s", patch);

	patch_apply(v, p);
	put_json(n, path, v, needle);
	json_decref(p);
	json_decref(v);
}

/* ---- forged commits and the importer ------------------------------------- */

/* A commit with these changes on n's own history, signed by n's key and
 * dated a second after its parent, written past every check of the
 * writer; refs/heads/main moves to it. */
static void forge_n(tu_node *n, const store_change *ch, size_t k,
                    char out[STORE_OID_HEX])
{
	git_repository *repo = n->st->repo;
	git_oid pid, tid, cid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update up[8];
	git_signature *who = NULL;
	git_buf buf = GIT_BUF_INIT;
	git_reference *r = NULL;
	const git_commit *parents[1];
	unsigned char sig[KEYS_SSHSIG_MAX];
	char armor[1024], email[64];
	size_t siglen;
	int m;

	assert_true(k <= 8);
	memset(up, 0, sizeof(up));
	assert_int_equal(git_reference_name_to_id(&pid, repo, "refs/heads/main"),
	                 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &pid), 0);
	assert_int_equal(git_commit_tree(&base, parent), 0);
	for (size_t i = 0; i < k; i++) {
		up[i].path = ch[i].path;
		if (ch[i].data == NULL) {
			up[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		assert_int_equal(git_blob_create_from_buffer(&up[i].id, repo,
		                                             ch[i].data, ch[i].len),
		                 0);
	}
	assert_int_equal(git_tree_create_updated(&tid, repo, base, k, up), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tid), 0);
	snprintf(email, sizeof(email), "%s@govfed.invalid", n->id.id);
	assert_int_equal(git_signature_new(&who, n->id.name, email,
	                                   git_commit_time(parent) + 1, 0),
	                 0);
	parents[0] = parent;
	assert_int_equal(git_commit_create_buffer(&buf, repo, who, who, NULL,
	                                          "forged\n", tree, 1, parents),
	                 0);
	assert_int_equal(keys_sshsig_sign(sig, sizeof(sig), &siglen, n->sk, "git",
	                                  buf.ptr, buf.size),
	                 0);
	m = keys_sshsig_armor(armor, sizeof(armor), sig, siglen);
	assert_true(m > 0);
	assert_int_equal(git_commit_create_with_signature(&cid, repo, buf.ptr,
	                                                  armor, "gpgsig"),
	                 0);
	assert_int_equal(git_reference_create(&r, repo, "refs/heads/main", &cid,
	                                      1, "forged"),
	                 0);
	git_oid_tostr(out, STORE_OID_HEX, &cid);
	git_reference_free(r);
	git_buf_dispose(&buf);
	git_signature_free(who);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
}

static void reset_main(tu_node *n, const char *hex)
{
	git_oid id;
	git_reference *r = NULL;

	assert_int_equal(git_oid_fromstr(&id, hex), 0);
	assert_int_equal(git_reference_create(&r, n->st->repo, "refs/heads/main",
	                                      &id, 1, "test: back"),
	                 0);
	git_reference_free(r);
}

/*
 * The writer of `src` refuses these changes (naming needle); a commit
 * forged with them is refused by `dst`'s importer, naming needle too, and
 * dst's replica of src does not move nor keep a quarantine. src's own
 * history is put back afterwards.
 */
static void forged_refused(fx *f, tu_node *src, tu_node *dst,
                           const store_change *ch, size_t k,
                           const char *needle)
{
	char base[STORE_OID_HEX], forged[STORE_OID_HEX], ref[64];
	char held[STORE_OID_HEX], now[STORE_OID_HEX];
	store_import_result res;
	int rc;

	commit_refused(src, ch, k, needle);
	head_of(src, base);
	forge_n(src, ch, k, forged);
	snprintf(ref, sizeof(ref), "refs/nodes/%s", src->id.id);
	tu_ref(dst->st, ref, held);
	assert_string_not_equal(held, "");
	rc = tu_sync_as(src->st, src->id.id, dst->st, f->root, &res);
	if (rc != STORE_EREJECT)
		fail_msg("%s imported %s's forged %s: returned %d (%s), want "
		         "STORE_EREJECT naming '%s'", dst->id.id, src->id.id,
		         ch[0].path, rc, rc ? store_errmsg() : "accepted", needle);
	if (strstr(store_errmsg(), needle) == NULL)
		fail_msg("import reason '%s' lacks '%s'", store_errmsg(), needle);
	tu_ref(dst->st, ref, now);
	assert_string_equal(now, held);
	assert_int_equal(tu_quarantines(dst->st), 0);
	reset_main(src, base);
}

/* src's own history up to its head is accepted by dst's importer. */
static void import_ok(fx *f, tu_node *src, tu_node *dst)
{
	char ref[64], head[STORE_OID_HEX], now[STORE_OID_HEX];
	store_import_result res;

	head_of(src, head);
	if (tu_sync_as(src->st, src->id.id, dst->st, f->root, &res) != 0)
		fail_msg("%s refused %s's history: %s", dst->id.id, src->id.id,
		         store_errmsg());
	snprintf(ref, sizeof(ref), "refs/nodes/%s", src->id.id);
	tu_ref(dst->st, ref, now);
	assert_string_equal(now, head);
}

/* ---- the federation ------------------------------------------------------ */

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
	/* the city holds the province's history, so its own commits are
	 * judged in full (the chain too) */
	assert_int_equal(tu_sync(f->p.st, P_ID, f->c.st, f->root, &res), 0);
	tu_enroll(&f->c, &f->d);
	tu_genesis(&f->d);
	assert_int_equal(tu_sync(f->c.st, C_ID, f->p.st, f->root, &res), 0);
	assert_int_equal(tu_sync(f->d.st, D_ID, f->c.st, f->root, &res), 0);
	for (int i = 0; i < 4; i++)
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
	for (int i = 0; i < 4; i++)
		keys_secret_free(f->k[i]);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* ==== 1. catalog items ==================================================== */

/* 招生范围: every element of an item, as 福州市 publishes it. */
static json_t *item_base(void)
{
	return jparse(
	        "{'id':'" ITEM "','area':'" AREA "','name':'招生范围',"
	        "'content':'招生范围、学区划分详细情况',"
	        "'basis':'《中华人民共和国义务教育法》《中华人民共和国政府信息公开条例》',"
	        "'time_limit':'信息形成或者变更之日起20个工作日内',"
	        "'subject':'福州市教育局','method':'主动公开',"
	        "'channels':['政府网站','公开查阅点','两微一端'],"
	        "'audience':'全社会','attribute':'主动公开',"
	        "'levels':['县级','乡级'],'stage':'服务'}");
}

static void item_refused(fx *f, const char *patch, const char *needle)
{
	json_t *b = item_base();

	put_patched(&f->c, ITEM_PATH, b, patch, needle);
	json_decref(b);
}

static void test_catalog_schema(void **state)
{
	fx *f = *state;
	json_t *b = item_base();
	const char *h = "0123456789abcdef0123456789abcdef01234567";

	item_refused(f, "{'name':null}", "'name' is required");
	item_refused(f, "{'name':''}", "'name' may not be empty");
	item_refused(f, "{'area':'政务服务'}", "must match its folder");
	item_refused(f, "{'id':'YWJY.02.04'}", "the item's id");
	item_refused(f, "{'id':'YWJY 02'}", "'id'");
	item_refused(f, "{'attribute':'部分公开'}", "'attribute' must be one of");
	item_refused(f, "{'method':'不予公开'}", "'method' must be one of");
	item_refused(f, "{'attribute':'不予公开'}", "needs attribute_reason");
	item_refused(f,
	             "{'attribute_reason':{'code':'A16_内部事务',"
	             "'text':'内部管理信息'}}",
	             "only for 不予公开");
	item_refused(f,
	             "{'attribute':'不予公开','attribute_reason':"
	             "{'code':'A17_其他','text':'不宜公开'}}",
	             "'code' must be one of");
	item_refused(f,
	             "{'attribute':'不予公开','attribute_reason':"
	             "{'code':'A16_内部事务'}}",
	             "'text' is required");
	item_refused(f, "{'levels':['县级','市级']}", "'levels' must be one of");
	item_refused(f, "{'levels':['乡级','乡级']}", "'levels' lists '乡级' twice");
	item_refused(f, "{'levels':[]}", "'levels' may not be empty");
	item_refused(f, "{'stage':'监督'}", "'stage' must be one of");
	item_refused(f, "{'channels':'政府网站'}", "'channels' must be");
	item_refused(f, "{'colour':'red'}", "unknown field 'colour'");
	item_refused(f, "{'ext':['x']}", "'ext' must be an object");
	item_refused(f, "{'withdrawn':{'at':'2024-03-01T08:00:00Z'}}",
	             "'reason' is required");
	item_refused(f, "{'withdrawn':{'reason':'事项调整'}}", "'at' is required");
	item_refused(f, "{'withdrawn':{'at':'2024-03-01','reason':'事项调整'}}",
	             "'at' must be a UTC time");
	item_refused(f,
	             "{'withdrawn':{'at':'2024-03-01T08:00:00Z','reason':'x',"
	             "'by':'张三'}}",
	             "unknown field 'by'");

	/* derived items */
	{
		char p[512];
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" C_ID "','commit':'%s','blob':'%s',"
		         "'overrides':[]}}", h, h);
		item_refused(f, p, "not from its own");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s','blob':'abc',"
		         "'overrides':[]}}", h);
		item_refused(f, p, "'blob' must be a git object id");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s',"
		         "'blob':'0123456789ABCDEF0123456789ABCDEF01234567',"
		         "'overrides':[]}}", h);
		item_refused(f, p, "'blob' must be a git object id");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%.39s','blob':'%s',"
		         "'overrides':[]}}", h, h);
		item_refused(f, p, "'commit' must be a git object id");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'福建','commit':'%s','blob':'%s',"
		         "'overrides':[]}}", h, h);
		item_refused(f, p, "'node' must be an administrative division");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s','blob':'%s',"
		         "'overrides':['subject','colour']}}", h, h);
		item_refused(f, p, "'colour', which is not a field");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s','blob':'%s',"
		         "'overrides':['id']}}", h, h);
		item_refused(f, p, "'id', which is not a field");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s','blob':'%s'}}",
		         h, h);
		item_refused(f, p, "'overrides' is required");
		snprintf(p, sizeof(p),
		         "{'derived':{'node':'" P_ID "','commit':'%s','blob':'%s',"
		         "'overrides':[],'not_applicable':''}}", h, h);
		item_refused(f, p, "'not_applicable' may not be empty");
	}

	json_decref(b);
	/* nothing of all this was written */
	{
		char *data = NULL;
		size_t len;
		assert_int_equal(store_record_read(f->c.st, NULL, ITEM_PATH, &data,
		                                   &len),
		                 STORE_ENOTFOUND);
	}
}

static void test_catalog_accepted(void **state)
{
	fx *f = *state;
	json_t *b = item_base();
	char *data = NULL;
	size_t len;

	put_json(&f->c, ITEM_PATH, b, NULL);
	/* 不予公开 with its reason; a named other area; every level */
	put(&f->c, "catalog/其他/QT.01.json", NULL,
	    "{'id':'QT.01','area':'其他','name':'信访举报人信息',"
	    "'attribute':'不予公开','attribute_reason':{'code':'A15_第三方合法权益',"
	    "'text':'涉及个人隐私，公开会对第三方合法权益造成损害'},"
	    "'levels':['县级','乡级','村级'],'stage':'管理','ext':{'序号':12}}");
	/* withdrawn: a tombstone; the record stays */
	put_patched(&f->c, ITEM_PATH, b,
	            "{'withdrawn':{'at':'2024-03-01T08:00:00Z',"
	            "'reason':'事项调整至教育服务领域目录'}}", NULL);
	assert_int_equal(store_record_read(f->c.st, NULL, ITEM_PATH, &data, &len),
	                 0);
	assert_non_null(strstr(data, "事项调整至教育服务领域目录"));
	assert_non_null(strstr(data, "招生范围"));
	free(data);
	json_decref(b);
	import_ok(f, &f->c, &f->p);
}

static void test_catalog_derived(void **state)
{
	fx *f = *state;
	store_import_result res;
	char blob[STORE_OID_HEX], commit[STORE_OID_HEX];
	const char *path = "catalog/" AREA "/YWJY.01.01.json";

	/* the province publishes; the city adopts it, pinned, with its own
	 * 公开主体; and marks another as not applicable */
	tu_put_item(&f->p, "YWJY.01.01", AREA, "义务教育招生政策");
	tu_put_item(&f->p, "YWJY.01.02", AREA, "农村义务教育学生营养改善计划");
	assert_int_equal(tu_sync(f->p.st, P_ID, f->c.st, f->root, &res), 0);
	assert_int_equal(store_record_stat(f->c.st, P_ID, path, blob, commit), 0);
	put(&f->c, path, NULL,
	    "{'id':'YWJY.01.01','area':'" AREA "','name':'义务教育招生政策',"
	    "'method':'主动公开','channels':['政府网站'],'subject':'福州市教育局',"
	    "'derived':{'node':'" P_ID "','commit':'%s','blob':'%s',"
	    "'overrides':['subject']}}", commit, blob);
	assert_int_equal(store_record_stat(f->c.st, P_ID,
	                                   "catalog/" AREA "/YWJY.01.02.json",
	                                   blob, commit),
	                 0);
	put(&f->c, "catalog/" AREA "/YWJY.01.02.json", NULL,
	    "{'id':'YWJY.01.02','area':'" AREA "',"
	    "'name':'农村义务教育学生营养改善计划','method':'主动公开',"
	    "'channels':['政府网站'],"
	    "'derived':{'node':'" P_ID "','commit':'%s','blob':'%s',"
	    "'overrides':[],'not_applicable':'本市城区不在营养改善计划实施范围'}}",
	    commit, blob);
	import_ok(f, &f->c, &f->p);
}

static void test_catalog_import(void **state)
{
	fx *f = *state;
	json_t *b = item_base(), *v;
	char *rec, forged[STORE_OID_HEX];
	size_t len;
	store_change ch;

	/* control: a well-formed item forged by hand is imported */
	rec = canon(b, &len);
	ch = (store_change){ ITEM_PATH, rec, len };
	forge_n(&f->c, &ch, 1, forged);
	free(rec);
	import_ok(f, &f->c, &f->p);

	v = json_deep_copy(b);
	json_object_set_new(v, "attribute", json_string("不予公开"));
	json_object_set_new(v, "name", json_string("招生范围（内部）"));
	rec = canon(v, &len);
	ch = (store_change){ ITEM_PATH, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "needs attribute_reason");
	free(rec);
	json_decref(v);

	v = json_deep_copy(b);
	json_object_set_new(v, "derived",
	                    jparse("{'node':'" C_ID "','commit':'%s','blob':'%s',"
	                           "'overrides':[]}", forged, forged));
	rec = canon(v, &len);
	ch = (store_change){ ITEM_PATH, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "not from its own");
	free(rec);
	json_decref(v);

	v = json_deep_copy(b);
	json_object_set_new(v, "area", json_string("政务服务"));
	rec = canon(v, &len);
	ch = (store_change){ ITEM_PATH, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "must match its folder");
	free(rec);
	json_decref(v);
	json_decref(b);
}

/* ==== 2. people =========================================================== */

static void person(fx *f, tu_node *n, const char *id, const char *name,
                   const char *roles, const keys_secret *sk,
                   const char *extra, const char *needle)
{
	char line[KEYS_PUBLIC_LINE_MAX], path[128], vf[21];

	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(sk), NULL),
	                 0);
	tstr(vf, f->vfrom);
	snprintf(path, sizeof(path), "people/%s.json", id);
	put(n, path, needle,
	    "{'id':'%s','name':'%s','node':'%s','roles':[%s],'key':'%s',"
	    "'valid_from':'%s'%s}", id, name, n->id.id, roles, line, vf,
	    extra ? extra : "");
}

static void test_people(void **state)
{
	fx *f = *state;
	char line[KEYS_PUBLIC_LINE_MAX], vf[21], later[21], at[21];
	const char *path = "people/lin.xiao.json";

	tstr(vf, f->vfrom);
	tstr(later, f->vfrom + 3600);
	tstr(at, store_now() - 3600);
	keys_public_format(line, sizeof(line), keys_secret_public(f->k[0]), NULL);

	/* refused at creation */
	put(&f->c, path, "certifies only its own people",
	    "{'id':'lin.xiao','name':'林晓','node':'" D_ID "','roles':['拟稿人'],"
	    "'key':'%s','valid_from':'%s'}", line, vf);
	put(&f->c, path, "the person's id",
	    "{'id':'lin.x','name':'林晓','node':'" C_ID "','roles':['拟稿人'],"
	    "'key':'%s','valid_from':'%s'}", line, vf);
	put(&f->c, path, "'roles' may not be empty",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':[],"
	    "'key':'%s','valid_from':'%s'}", line, vf);
	put(&f->c, path, "'roles' must be one of",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':['签发人'],"
	    "'key':'%s','valid_from':'%s'}", line, vf);
	put(&f->c, path, "'key' must be an OpenSSH",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':['拟稿人'],"
	    "'key':'ssh-rsa AAAAB3NzaC1yc2E','valid_from':'%s'}", vf);
	put(&f->c, path, "'valid_from' must be a UTC time",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':['拟稿人'],"
	    "'key':'%s','valid_from':'2024-01-01'}", line);
	put(&f->c, path, "unknown field 'phone'",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':['拟稿人'],"
	    "'key':'%s','valid_from':'%s','phone':'13800000000'}", line, vf);
	put(&f->c, path, "revoked before valid_from",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "','roles':['拟稿人'],"
	    "'key':'%s','valid_from':'%s','revoked':{'at':'2020-01-01T00:00:00Z',"
	    "'reason':'调离'}}", line, vf);

	/* accepted; the name and roles may change */
	person(f, &f->c, "lin.xiao", "林晓", "'拟稿人'", f->k[0], NULL, NULL);
	person(f, &f->c, "lin.xiao", "林晓", "'拟稿人','审核人'", f->k[0], NULL,
	       NULL);
	/* the key, valid_from and node never change */
	person(f, &f->c, "lin.xiao", "林晓", "'拟稿人','审核人'", f->k[1], NULL,
	       "'key' may not change");
	put(&f->c, path, "'valid_from' may not change",
	    "{'id':'lin.xiao','name':'林晓','node':'" C_ID "',"
	    "'roles':['拟稿人','审核人'],'key':'%s','valid_from':'%s'}", line,
	    later);
	put(&f->c, path, "certifies only its own people",
	    "{'id':'lin.xiao','name':'林晓','node':'" P_ID "',"
	    "'roles':['拟稿人','审核人'],'key':'%s','valid_from':'%s'}", line, vf);
	/* a record is never removed */
	{
		store_change rm = { path, NULL, 0 };
		commit_refused(&f->c, &rm, 1, "may not be removed");
	}

	/* revoked: once written, it stays as it is */
	{
		char extra[160];
		snprintf(extra, sizeof(extra),
		         ",'revoked':{'at':'%s','reason':'岗位调整'}", at);
		person(f, &f->c, "lin.xiao", "林晓", "'拟稿人','审核人'", f->k[0],
		       extra, NULL);
		/* undone */
		person(f, &f->c, "lin.xiao", "林晓", "'拟稿人','审核人'", f->k[0],
		       NULL, "may not change or be undone");
		/* changed */
		snprintf(extra, sizeof(extra),
		         ",'revoked':{'at':'%s','reason':'岗位调整（更正）'}", at);
		person(f, &f->c, "lin.xiao", "林晓", "'拟稿人','审核人'", f->k[0],
		       extra, "may not change or be undone");
		/* a name change of a revoked person is still fine */
		snprintf(extra, sizeof(extra),
		         ",'revoked':{'at':'%s','reason':'岗位调整'}", at);
		person(f, &f->c, "lin.xiao", "林小", "'拟稿人','审核人'", f->k[0],
		       extra, NULL);
	}
	import_ok(f, &f->c, &f->p);
}

static void test_people_import(void **state)
{
	fx *f = *state;
	char line[KEYS_PUBLIC_LINE_MAX], l2[KEYS_PUBLIC_LINE_MAX], vf[21];
	json_t *v;
	char *rec;
	size_t len;
	store_change ch;
	char rv[21], extra[128];

	tstr(rv, store_now() - 3600);
	snprintf(extra, sizeof(extra), ",'revoked':{'at':'%s','reason':'退休'}",
	         rv);
	person(f, &f->c, "chen.ming", "陈明", "'审核人'", f->k[1], extra, NULL);
	import_ok(f, &f->c, &f->p);
	tstr(vf, f->vfrom);
	keys_public_format(line, sizeof(line), keys_secret_public(f->k[1]), NULL);
	keys_public_format(l2, sizeof(l2), keys_secret_public(f->k[2]), NULL);

	/* a new key under the old person */
	v = jparse("{'id':'chen.ming','name':'陈明','node':'" C_ID "',"
	           "'roles':['审核人'],'key':'%s','valid_from':'%s',"
	           "'revoked':{'at':'%s','reason':'退休'}}", l2, vf, rv);
	rec = canon(v, &len);
	ch = (store_change){ "people/chen.ming.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "'key' may not change");
	free(rec);
	json_decref(v);

	/* the revocation undone */
	v = jparse("{'id':'chen.ming','name':'陈明','node':'" C_ID "',"
	           "'roles':['审核人'],'key':'%s','valid_from':'%s'}", line, vf);
	rec = canon(v, &len);
	ch = (store_change){ "people/chen.ming.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "may not change or be undone");
	free(rec);
	json_decref(v);

	/* a person of another node */
	v = jparse("{'id':'wang.fang','name':'王芳','node':'" D_ID "',"
	           "'roles':['发布人'],'key':'%s','valid_from':'%s'}", l2, vf);
	rec = canon(v, &len);
	ch = (store_change){ "people/wang.fang.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "certifies only its own people");
	free(rec);
	json_decref(v);
}

/* ==== 3. documents and 三级审核 =============================================== */

#define DOC "RZB-2020-92"
#define DOC2 "RZB-2020-93"
#define BODY_NAME "正文.txt"

static const char body_text[] =
        "福州市人民政府办公厅关于全面推进基层政务公开标准化规范化工作的通知\n"
        "各县（市）区人民政府，高新区管委会，市直各有关单位：\n"
        "为贯彻落实《国务院办公厅关于全面推进基层政务公开标准化规范化工作的指导意见》"
        "（国办发〔2019〕54号），经市政府同意，现就有关事项通知如下。\n";

static void doc_paths(const char *id, char meta[128], char body[128])
{
	snprintf(meta, 128, "documents/%s/meta.json", id);
	snprintf(body, 128, "documents/%s/files/" BODY_NAME, id);
}

static json_t *meta_new(const char *id)
{
	char hex[65];

	keys_sha256_hex(hex, body_text, strlen(body_text));
	return jparse(
	        "{'id':'%s','title':'福州市人民政府办公厅关于全面推进基层政务公开"
	        "标准化规范化工作的通知','issuer':'福州市人民政府办公厅',"
	        "'doc_no':'榕政办〔2020〕92号','genre':'通知',"
	        "'class':'行政规范性文件','written':'2020-06-28',"
	        "'published':'2020-07-02','attribute':'主动公开',"
	        "'summary':'部署基层政务公开标准化规范化工作',"
	        "'interpretation_required':true,"
	        "'catalog_items':['" AREA "/" ITEM "'],'tasks':['2020-05'],"
	        "'files':[{'name':'" BODY_NAME "','sha256':'%s','size':%zu,"
	        "'media_type':'text/plain; charset=utf-8'}],"
	        "'validity':{'status':'有效'},'review':[]}",
	        id, hex, strlen(body_text));
}

/* Appends a review by `person` in `role`, signed by sk over the meta as
 * it is now (without review, validity and withdrawn). */
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
	tstr(ts, at);
	json_array_append_new(json_object_get(meta, "review"),
	                      json_pack("{s:s,s:s,s:s,s:s}", "role", role, "person",
	                                person, "at", ts, "sig", b64));
}

/* 拟稿人 林晓, 审核人 陈明, 发布人 王芳, and 周杰 who holds two roles. */
static void people_add(fx *f)
{
	static const char *const ids[] = { "lin.xiao", "chen.ming", "wang.fang",
		                            "zhou.jie" };
	static const char *const names[] = { "林晓", "陈明", "王芳", "周杰" };
	static const char *const roles[] = { "'拟稿人'", "'审核人'", "'发布人'",
		                              "'拟稿人','审核人'" };
	store_change ch[4];
	char path[4][64], vf[21], line[KEYS_PUBLIC_LINE_MAX];

	tstr(vf, f->vfrom);
	for (int i = 0; i < 4; i++) {
		json_t *v;
		keys_public_format(line, sizeof(line), keys_secret_public(f->k[i]),
		                   NULL);
		v = jparse("{'id':'%s','name':'%s','node':'" C_ID "','roles':[%s],"
		           "'key':'%s','valid_from':'%s'}", ids[i], names[i],
		           roles[i], line, vf);
		snprintf(path[i], sizeof(path[i]), "people/%s.json", ids[i]);
		ch[i].path = path[i];
		ch[i].data = canon(v, &ch[i].len);
		json_decref(v);
	}
	commit_ok(&f->c, ch, 4);
	for (int i = 0; i < 4; i++)
		free((void *)ch[i].data);
}

static void reviews3(fx *f, json_t *meta, int64_t at)
{
	review_add(meta, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(meta, "审核人", "chen.ming", f->k[1], at + 600);
	review_add(meta, "发布人", "wang.fang", f->k[2], at + 1200);
}

/*
 * Commits meta (at documents/<id>/meta.json) with the body file when
 * `body`, through the writer; accepted when needle is NULL.
 */
static void doc_put(fx *f, const char *id, const json_t *meta, int body,
                    const char *needle)
{
	char mpath[128], bpath[128];
	size_t len;
	char *m = canon(meta, &len);
	store_change ch[2];

	doc_paths(id, mpath, bpath);
	ch[0] = (store_change){ mpath, m, len };
	ch[1] = (store_change){ bpath, body_text, strlen(body_text) };
	if (needle)
		commit_refused(&f->c, ch, body ? 2 : 1, needle);
	else
		commit_ok(&f->c, ch, body ? 2 : 1);
	free(m);
}

static void test_doc_published(void **state)
{
	fx *f = *state;
	json_t *m;
	char *data = NULL, blob[STORE_OID_HEX], mpath[128], bpath[128];
	size_t len;

	people_add(f);
	m = meta_new(DOC);
	reviews3(f, m, store_now() - 3 * 3600);
	doc_put(f, DOC, m, 1, NULL);
	doc_paths(DOC, mpath, bpath);
	assert_int_equal(store_record_read(f->c.st, NULL, bpath, &data, &len), 0);
	assert_int_equal(len, strlen(body_text));
	assert_memory_equal(data, body_text, len);
	free(data);
	assert_int_equal(store_record_stat(f->c.st, NULL, mpath, blob, NULL), 0);
	json_decref(m);
	/* the parent takes it */
	import_ok(f, &f->c, &f->p);
	assert_int_equal(store_record_read(f->p.st, C_ID, bpath, &data, &len), 0);
	free(data);
}

static void test_doc_reviews_refused(void **state)
{
	fx *f = *state;
	int64_t at = store_now() - 3 * 3600;
	json_t *m;

	people_add(f);

	/* only two reviews */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	doc_put(f, DOC, m, 1, "发布人 is missing");
	json_decref(m);

	/* none */
	m = meta_new(DOC);
	doc_put(f, DOC, m, 1, "三级审核");
	json_decref(m);

	/* 审核人 twice (by two people), no 发布人 */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	review_add(m, "审核人", "zhou.jie", f->k[3], at);
	doc_put(f, DOC, m, 1, "审核人 signed twice");
	json_decref(m);

	/* four reviews: the schema allows three */
	m = meta_new(DOC);
	reviews3(f, m, at);
	review_add(m, "审核人", "zhou.jie", f->k[3], at);
	doc_put(f, DOC, m, 1, "'review' has too many items");
	json_decref(m);

	/* two roles by the same person (周杰 holds both) */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "zhou.jie", f->k[3], at);
	review_add(m, "审核人", "zhou.jie", f->k[3], at);
	review_add(m, "发布人", "wang.fang", f->k[2], at);
	doc_put(f, DOC, m, 1, "three different people");
	json_decref(m);

	/* a person without the role: 王芳 is 发布人 only */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "wang.fang", f->k[2], at);
	review_add(m, "发布人", "chen.ming", f->k[1], at);
	doc_put(f, DOC, m, 1, "'wang.fang' does not hold the role 审核人");
	json_decref(m);

	/* a person the node never certified */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	review_add(m, "发布人", "liu.qiang", f->k[2], at);
	doc_put(f, DOC, m, 1, "'liu.qiang' is not one of 350100's people");
	json_decref(m);

	/* 王芳's review signed with 林晓's key */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	review_add(m, "发布人", "wang.fang", f->k[0], at);
	doc_put(f, DOC, m, 1, "signature of 'wang.fang' does not verify");
	json_decref(m);

	/* a signature in another namespace (a commit signature, say) */
	m = meta_new(DOC);
	reviews3(f, m, at);
	{
		json_t *r = json_array_get(json_object_get(m, "review"), 0);
		unsigned char raw[KEYS_SSHSIG_MAX];
		char b64[1024], *text = json_dumps(m, JSON_COMPACT), *msg;
		size_t rawlen, msglen;
		assert_int_equal(store_review_bytes(text, strlen(text), &msg, &msglen),
		                 0);
		assert_int_equal(keys_sshsig_sign(raw, sizeof(raw), &rawlen, f->k[0],
		                                  "git", msg, msglen),
		                 0);
		keys_b64_encode(b64, sizeof(b64), raw, rawlen);
		json_object_set_new(r, "sig", json_string(b64));
		free(msg);
		free(text);
	}
	doc_put(f, DOC, m, 1, "signature of 'lin.xiao' does not verify");
	json_decref(m);

	/* the meta changed after signing: the title */
	m = meta_new(DOC);
	reviews3(f, m, at);
	json_object_set_new(m, "title", json_string("福州市人民政府办公厅关于"
	                                            "暂停基层政务公开工作的通知"));
	doc_put(f, DOC, m, 1, "does not verify over this document");
	json_decref(m);

	/* ... or an added catalog link */
	m = meta_new(DOC);
	reviews3(f, m, at);
	json_array_append_new(json_object_get(m, "catalog_items"),
	                      json_string(AREA "/YWJY.01.01"));
	doc_put(f, DOC, m, 1, "does not verify over this document");
	json_decref(m);

	/* a review dated after the commit */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	review_add(m, "发布人", "wang.fang", f->k[2], store_now() + 3600);
	doc_put(f, DOC, m, 1, "after the commit");
	json_decref(m);

	/* a review dated before the person's valid_from */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], f->vfrom - 60);
	review_add(m, "审核人", "chen.ming", f->k[1], at);
	review_add(m, "发布人", "wang.fang", f->k[2], at);
	doc_put(f, DOC, m, 1, "outside the person's validity");
	json_decref(m);

	/* a review that is not a signature */
	m = meta_new(DOC);
	reviews3(f, m, at);
	json_object_set_new(json_array_get(json_object_get(m, "review"), 2), "sig",
	                    json_string("not base64!"));
	doc_put(f, DOC, m, 1, "'sig' must be a base64 SSH signature");
	json_decref(m);

	/* a role outside the three */
	m = meta_new(DOC);
	reviews3(f, m, at);
	json_object_set_new(json_array_get(json_object_get(m, "review"), 2),
	                    "role", json_string("签发人"));
	doc_put(f, DOC, m, 1, "'role' must be one of");
	json_decref(m);

	/* and still none of it was written: the same document, well
	 * reviewed, goes in */
	m = meta_new(DOC);
	reviews3(f, m, at);
	doc_put(f, DOC, m, 1, NULL);
	json_decref(m);
}

static void test_doc_revoked_reviewer(void **state)
{
	fx *f = *state;
	char line[KEYS_PUBLIC_LINE_MAX], vf[21], rv[21];
	int64_t revoked = store_now() - 2 * 3600;
	json_t *m;

	people_add(f);
	/* a document reviewed by 周杰 goes out while he is in office */
	m = meta_new(DOC);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], revoked - 1200);
	review_add(m, "审核人", "zhou.jie", f->k[3], revoked - 600);
	review_add(m, "发布人", "wang.fang", f->k[2], revoked - 300);
	doc_put(f, DOC, m, 1, NULL);
	json_decref(m);

	/* 陈明 leaves two hours ago */
	keys_public_format(line, sizeof(line), keys_secret_public(f->k[1]), NULL);
	tstr(vf, f->vfrom);
	tstr(rv, revoked);
	put(&f->c, "people/chen.ming.json", NULL,
	    "{'id':'chen.ming','name':'陈明','node':'" C_ID "','roles':['审核人'],"
	    "'key':'%s','valid_from':'%s','revoked':{'at':'%s','reason':'调离'}}",
	    line, vf, rv);

	/* a review of his an hour ago does not count */
	m = meta_new(DOC2);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], revoked - 600);
	review_add(m, "审核人", "chen.ming", f->k[1], revoked + 3600);
	review_add(m, "发布人", "wang.fang", f->k[2], revoked + 3600);
	doc_put(f, DOC2, m, 1, "'chen.ming' (审核人) is revoked");
	json_decref(m);
	/* nor one at the very second of the revocation */
	m = meta_new(DOC2);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], revoked - 600);
	review_add(m, "审核人", "chen.ming", f->k[1], revoked);
	review_add(m, "发布人", "wang.fang", f->k[2], revoked + 60);
	doc_put(f, DOC2, m, 1, "is revoked");
	json_decref(m);
	/* nor one dated while he was still valid: reviewers are judged at
	 * publication, or a revoked key could date its review back */
	m = meta_new(DOC2);
	review_add(m, "拟稿人", "lin.xiao", f->k[0], revoked - 1200);
	review_add(m, "审核人", "chen.ming", f->k[1], revoked - 600);
	review_add(m, "发布人", "wang.fang", f->k[2], revoked + 60);
	doc_put(f, DOC2, m, 1, "valid at publication");
	json_decref(m);

	/* 周杰 leaves too: what he reviewed before stays published, and his
	 * revocation is an ordinary commit */
	keys_public_format(line, sizeof(line), keys_secret_public(f->k[3]), NULL);
	tstr(rv, store_now() - 60);
	put(&f->c, "people/zhou.jie.json", NULL,
	    "{'id':'zhou.jie','name':'周杰','node':'" C_ID "','roles':['拟稿人',"
	    "'审核人'],'key':'%s','valid_from':'%s','revoked':{'at':'%s',"
	    "'reason':'退休'}}", line, vf, rv);
}

static void test_doc_body_files(void **state)
{
	fx *f = *state;
	int64_t at = store_now() - 3 * 3600;
	char mpath[128], bpath[128], hex[65];
	json_t *m, *file;
	size_t len;
	char *rec;

	people_add(f);
	doc_paths(DOC, mpath, bpath);

	/* the body file is missing */
	m = meta_new(DOC);
	reviews3(f, m, at);
	doc_put(f, DOC, m, 0, "the body file documents/" DOC "/files/" BODY_NAME
	                      " is missing");
	json_decref(m);

	/* listed with another hash */
	m = meta_new(DOC);
	file = json_array_get(json_object_get(m, "files"), 0);
	keys_sha256_hex(hex, "另一份文件", strlen("另一份文件"));
	json_object_set_new(file, "sha256", json_string(hex));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 1, "not listed in documents/" DOC
	                      "/meta.json with this SHA-256 and size");
	json_decref(m);

	/* listed with another size */
	m = meta_new(DOC);
	file = json_array_get(json_object_get(m, "files"), 0);
	json_object_set_new(file, "size", json_integer((json_int_t)strlen(body_text)
	                                                + 1));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 1, "with this SHA-256 and size");
	json_decref(m);

	/* a sha256 that is not one (the meta alone: with the body file in
	 * the same commit, the file is judged first and refused as not
	 * listed with its hash) */
	m = meta_new(DOC);
	file = json_array_get(json_object_get(m, "files"), 0);
	json_object_set_new(file, "sha256", json_string("abc"));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 0, "'sha256' must be a SHA-256");
	doc_put(f, DOC, m, 1, "with this SHA-256 and size");
	json_decref(m);

	/* a file name with a path in it */
	m = meta_new(DOC);
	file = json_array_get(json_object_get(m, "files"), 0);
	json_object_set_new(file, "name", json_string("../正文.txt"));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 0, "'name' must be a file name");
	json_decref(m);

	/* the same file listed twice */
	m = meta_new(DOC);
	file = json_array_get(json_object_get(m, "files"), 0);
	json_array_append(json_object_get(m, "files"), file);
	reviews3(f, m, at);
	doc_put(f, DOC, m, 1, "listed twice");
	json_decref(m);

	/* a file that is not listed, beside the one that is */
	m = meta_new(DOC);
	reviews3(f, m, at);
	rec = canon(m, &len);
	{
		store_change ch[3] = {
			{ mpath, rec, len },
			{ bpath, body_text, strlen(body_text) },
			{ "documents/" DOC "/files/附件1.txt", "附件", strlen("附件") },
		};
		commit_refused(&f->c, ch, 3, "documents/" DOC "/files/附件1.txt: "
		                             "not listed");
		/* a body file without its document */
		commit_refused(&f->c, &ch[1], 1, "a body file without its document");
		/* a document file that is not under files/ */
		ch[2].path = "documents/" DOC "/附件1.txt";
		commit_refused(&f->c, ch, 3, "is not a record");
	}
	free(rec);
	json_decref(m);

	/* the document at another id's folder */
	m = meta_new("RZB-2020-93");
	reviews3(f, m, at);
	rec = canon(m, &len);
	{
		store_change ch[2] = {
			{ mpath, rec, len },
			{ bpath, body_text, strlen(body_text) },
		};
		commit_refused(&f->c, ch, 2, "documents/<its id>/meta.json");
	}
	free(rec);
	json_decref(m);
}

static void test_doc_meta_rules(void **state)
{
	fx *f = *state;
	int64_t at = store_now() - 3 * 3600;
	json_t *m;

	people_add(f);
#define META_REFUSED(patch, needle)                                             \
	do {                                                                    \
		json_t *p_ = jparse(patch);                                     \
		m = meta_new(DOC);                                              \
		patch_apply(m, p_);                                             \
		json_decref(p_);                                                \
		reviews3(f, m, at);                                             \
		doc_put(f, DOC, m, 1, needle);                                  \
		json_decref(m);                                                 \
	} while (0)
	META_REFUSED("{'attribute':'不予公开'}", "needs attribute_reason");
	META_REFUSED("{'attribute_reason':{'code':'A16_过程性信息','text':'x'}}",
	             "only for 不予公开");
	META_REFUSED("{'attribute':'不予公开','attribute_reason':"
	             "{'code':'A18_其他','text':'x'}}",
	             "'code' must be one of");
	META_REFUSED("{'attribute':null}", "'attribute' is required");
	META_REFUSED("{'title':null}", "'title' is required");
	META_REFUSED("{'issuer':''}", "'issuer' may not be empty");
	META_REFUSED("{'written':'2020/06/28'}", "'written' must be a date");
	META_REFUSED("{'written':'2020年6月28日'}", "'written' is too long");
	META_REFUSED("{'published':'2020-06-27'}",
	             "published (发布日期) is before written");
	META_REFUSED("{'class':'通知'}", "'class' must be one of");
	META_REFUSED("{'validity':{'status':'部分失效'}}",
	             "'status' must be one of");
	META_REFUSED("{'validity':{'status':'失效'}}", "needs the date 'at'");
	META_REFUSED("{'validity':null}", "'validity' is required");
	META_REFUSED("{'interprets':'" DOC "'}", "does not succeed or interpret "
	                                          "itself");
	META_REFUSED("{'catalog_items':['YWJY.02.03']}",
	             "is not a catalog item <area>/<id>");
	META_REFUSED("{'interpretation_required':'yes'}", "must be true or false");
	META_REFUSED("{'author':'林晓'}", "unknown field 'author'");
#undef META_REFUSED
	/* published withdrawn (without its body file, as a withdrawal is) */
	m = meta_new(DOC);
	json_object_set_new(m, "withdrawn",
	                    jparse("{'at':'2024-01-01T00:00:00Z','reason':'x'}"));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 0, "cannot be published withdrawn");
	json_decref(m);
	/* 不予公开 with its reason is published (with its reviews) */
	m = meta_new(DOC);
	json_object_set_new(m, "attribute", json_string("不予公开"));
	json_object_set_new(m, "attribute_reason",
	                    jparse("{'code':'A16_过程性信息',"
	                           "'text':'讨论记录、过程稿，属于过程性信息'}"));
	reviews3(f, m, at);
	doc_put(f, DOC, m, 1, NULL);
	json_decref(m);
}

/* A published document, for what may and may not change after. */
static json_t *doc_publish(fx *f)
{
	json_t *m;

	people_add(f);
	m = meta_new(DOC);
	reviews3(f, m, store_now() - 3 * 3600);
	doc_put(f, DOC, m, 1, NULL);
	return m;
}

static void test_doc_after_publication(void **state)
{
	fx *f = *state;
	json_t *m = doc_publish(f), *v;
	char mpath[128], bpath[128];

	doc_paths(DOC, mpath, bpath);

	/* the title, as anything but validity and withdrawn, stays */
	v = json_deep_copy(m);
	json_object_set_new(v, "title", json_string("关于全面推进基层政务公开"
	                                            "标准化规范化工作的通知（修订）"));
	doc_put(f, DOC, v, 0, "'title' may not change once published");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "summary", json_string("新摘要"));
	doc_put(f, DOC, v, 0, "'summary' may not change");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_del(v, "doc_no");
	doc_put(f, DOC, v, 0, "'doc_no' may not change");
	json_decref(v);
	/* so do the reviews */
	v = json_deep_copy(m);
	json_array_remove(json_object_get(v, "review"), 2);
	doc_put(f, DOC, v, 0, "'review' may not change");
	json_decref(v);

	/* body files: never changed, never removed without withdrawal, no
	 * new one */
	{
		store_change ch = { bpath, "改过的正文", strlen("改过的正文") };
		commit_refused(&f->c, &ch, 1, "a published body file never changes");
		ch = (store_change){ bpath, NULL, 0 };
		commit_refused(&f->c, &ch, 1, "body files go only when their "
		                              "document is withdrawn");
		ch = (store_change){ "documents/" DOC "/files/附件.txt", "附件",
			             strlen("附件") };
		commit_refused(&f->c, &ch, 1, "not listed");
	}

	/* validity changes */
	v = json_deep_copy(m);
	json_object_set_new(v, "validity", jparse("{'status':'废止'}"));
	doc_put(f, DOC, v, 0, "validity 废止 needs the date 'at'");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'已修订','at':'2023-12-01'}"));
	doc_put(f, DOC, v, 0, "names the revised document ('successor')");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'已修订','at':'2023-12-01',"
	                           "'successor':'" DOC "'}"));
	doc_put(f, DOC, v, 0, "does not succeed or interpret itself");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'已修订','at':'2023-12-01',"
	                           "'successor':'RZB-2023-41'}"));
	doc_put(f, DOC, v, 0, NULL);
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'废止','at':'2024-06-30',"
	                           "'note':'依据榕政办〔2024〕15号废止'}"));
	doc_put(f, DOC, v, 0, NULL);
	json_decref(v);

	json_decref(m);
	import_ok(f, &f->c, &f->p);
}

static void test_doc_withdrawal(void **state)
{
	fx *f = *state;
	json_t *m = doc_publish(f), *v;
	char mpath[128], bpath[128], blob[STORE_OID_HEX], *data = NULL;
	size_t len;
	char *rec;

	doc_paths(DOC, mpath, bpath);

	/* a withdrawal that leaves the body file */
	json_object_set_new(m, "withdrawn",
	                    jparse("{'at':'2024-05-06T02:00:00Z',"
	                           "'reason':'文件内容有误，撤回'}"));
	doc_put(f, DOC, m, 0, "a withdrawn document keeps no body files");
	/* its reason is required */
	v = json_deep_copy(m);
	json_object_set_new(v, "withdrawn", jparse("{'at':'2024-05-06T02:00:00Z'}"));
	rec = canon(v, &len);
	{
		store_change ch[2] = { { mpath, rec, len }, { bpath, NULL, 0 } };
		commit_refused(&f->c, ch, 2, "'reason' is required");
	}
	free(rec);
	json_decref(v);

	/* the withdrawal removes the files in the same commit */
	rec = canon(m, &len);
	{
		store_change ch[2] = { { mpath, rec, len }, { bpath, NULL, 0 } };
		commit_ok(&f->c, ch, 2);
	}
	free(rec);
	assert_int_equal(store_record_stat(f->c.st, NULL, bpath, blob, NULL),
	                 STORE_ENOTFOUND);
	/* the meta stays, with the files' hashes */
	assert_int_equal(store_record_read(f->c.st, NULL, mpath, &data, &len), 0);
	assert_non_null(strstr(data, "文件内容有误，撤回"));
	assert_non_null(strstr(data, "\"sha256\""));
	free(data);

	/* nothing changes after a withdrawal */
	v = json_deep_copy(m);
	json_object_set_new(v, "validity",
	                    jparse("{'status':'失效','at':'2024-06-01'}"));
	doc_put(f, DOC, v, 0, "a tombstone does not change");
	json_decref(v);
	v = json_deep_copy(m);
	json_object_set_new(v, "withdrawn",
	                    jparse("{'at':'2024-05-06T02:00:00Z',"
	                           "'reason':'撤回（更正理由）'}"));
	doc_put(f, DOC, v, 0, "a tombstone does not change");
	json_decref(v);
	/* undone: without its files the meta is refused for them; with them
	 * back, as a tombstone */
	v = json_deep_copy(m);
	json_object_del(v, "withdrawn");
	doc_put(f, DOC, v, 0, "the body file documents/" DOC "/files/" BODY_NAME
	                      " is missing");
	doc_put(f, DOC, v, 1, "a tombstone does not change");
	json_decref(v);
	json_decref(m);
	import_ok(f, &f->c, &f->p);
}

/*
 * A withdrawn document's body files do not come back: a later commit
 * adding one again — same name, same bytes as the tombstone lists — is
 * refused (check_docfile).
 */
static void test_doc_withdrawn_file_comes_back(void **state)
{
	fx *f = *state;
	json_t *m = doc_publish(f);
	char mpath[128], bpath[128], before[STORE_OID_HEX], after[STORE_OID_HEX];
	char out[STORE_OID_HEX];
	size_t len;
	char *rec;
	int rc;

	doc_paths(DOC, mpath, bpath);
	json_object_set_new(m, "withdrawn",
	                    jparse("{'at':'2024-05-06T02:00:00Z',"
	                           "'reason':'文件内容有误，撤回'}"));
	rec = canon(m, &len);
	{
		store_change ch[2] = { { mpath, rec, len }, { bpath, NULL, 0 } };
		commit_ok(&f->c, ch, 2);
	}
	free(rec);
	json_decref(m);

	head_of(&f->c, before);
	{
		store_change ch = { bpath, body_text, strlen(body_text) };
		rc = store_commit(f->c.st, f->c.sk, &ch, 1, "body back", out);
	}
	if (rc != STORE_EREJECT)
		fail_msg("a withdrawn document's body file was written back "
		         "(store_commit returned %d); want STORE_EREJECT", rc);
	assert_non_null(strstr(store_errmsg(), "withdrawn"));
	head_of(&f->c, after);
	assert_string_equal(after, before);
}

/*
 * The three reviews are made with three different keys: one key filed
 * under two person records (周杰 as 拟稿人 zhou.a and as 审核人 zhou.b)
 * cannot make two of them (check_reviews).
 */
static void test_doc_one_key_two_people(void **state)
{
	fx *f = *state;
	int64_t at = store_now() - 3 * 3600;
	char before[STORE_OID_HEX], after[STORE_OID_HEX], out[STORE_OID_HEX];
	char mpath[128], bpath[128], *rec;
	size_t len;
	json_t *m;
	int rc, rc_people;

	people_add(f);
	/* the same key as zhou.jie, under two more ids */
	head_of(&f->c, before);
	{
		char line[KEYS_PUBLIC_LINE_MAX], vf[21], *a, *b;
		size_t la, lb;
		json_t *va, *vb;
		keys_public_format(line, sizeof(line), keys_secret_public(f->k[3]),
		                   NULL);
		tstr(vf, f->vfrom);
		va = jparse("{'id':'zhou.a','name':'周杰','node':'" C_ID "',"
		            "'roles':['拟稿人'],'key':'%s','valid_from':'%s'}", line,
		            vf);
		vb = jparse("{'id':'zhou.b','name':'周杰','node':'" C_ID "',"
		            "'roles':['审核人'],'key':'%s','valid_from':'%s'}", line,
		            vf);
		a = canon(va, &la);
		b = canon(vb, &lb);
		{
			store_change ch[2] = { { "people/zhou.a.json", a, la },
				               { "people/zhou.b.json", b, lb } };
			rc_people = store_commit(f->c.st, f->c.sk, ch, 2, "people", out);
		}
		free(a);
		free(b);
		json_decref(va);
		json_decref(vb);
	}
	if (rc_people != 0) {
		/* refused at the people: the gap is closed there */
		assert_int_equal(rc_people, STORE_EREJECT);
		head_of(&f->c, after);
		assert_string_equal(after, before);
		return;
	}
	m = meta_new(DOC);
	review_add(m, "拟稿人", "zhou.a", f->k[3], at);
	review_add(m, "审核人", "zhou.b", f->k[3], at);
	review_add(m, "发布人", "wang.fang", f->k[2], at);
	rec = canon(m, &len);
	json_decref(m);
	doc_paths(DOC, mpath, bpath);
	head_of(&f->c, before);
	{
		store_change ch[2] = { { mpath, rec, len },
			               { bpath, body_text, strlen(body_text) } };
		rc = store_commit(f->c.st, f->c.sk, ch, 2, "one key, two roles", out);
	}
	free(rec);
	head_of(&f->c, after);
	if (rc != STORE_EREJECT)
		fail_msg("one key made two of the three reviews (拟稿人 "
		         "and 审核人 as zhou.a and zhou.b) and the document was "
		         "accepted (store_commit returned %d); want STORE_EREJECT", rc);
	assert_string_equal(after, before);
}

static void test_doc_import(void **state)
{
	fx *f = *state;
	int64_t at = store_now() - 3 * 3600;
	char mpath[128], bpath[128], forged[STORE_OID_HEX];
	char m2[128], b2[128], *rec, *data = NULL;
	json_t *m, *v;
	size_t len;

	people_add(f);
	import_ok(f, &f->c, &f->p);
	doc_paths(DOC, mpath, bpath);
	doc_paths("RZB-2020-93", m2, b2);

	/* control: a well-reviewed document forged by hand is imported */
	m = meta_new(DOC);
	reviews3(f, m, at);
	rec = canon(m, &len);
	{
		store_change ch[2] = { { mpath, rec, len },
			               { bpath, body_text, strlen(body_text) } };
		forge_n(&f->c, ch, 2, forged);
	}
	free(rec);
	import_ok(f, &f->c, &f->p);
	assert_int_equal(store_record_read(f->p.st, C_ID, mpath, &data, &len), 0);
	free(data);

	/* two reviews */
	v = meta_new("RZB-2020-93");
	review_add(v, "拟稿人", "lin.xiao", f->k[0], at);
	review_add(v, "审核人", "chen.ming", f->k[1], at);
	rec = canon(v, &len);
	{
		store_change ch[2] = { { m2, rec, len },
			               { b2, body_text, strlen(body_text) } };
		forged_refused(f, &f->c, &f->p, ch, 2, "发布人 is missing");
	}
	free(rec);
	json_decref(v);

	/* two roles by one person */
	v = meta_new("RZB-2020-93");
	review_add(v, "拟稿人", "zhou.jie", f->k[3], at);
	review_add(v, "审核人", "zhou.jie", f->k[3], at);
	review_add(v, "发布人", "wang.fang", f->k[2], at);
	rec = canon(v, &len);
	{
		store_change ch[2] = { { m2, rec, len },
			               { b2, body_text, strlen(body_text) } };
		forged_refused(f, &f->c, &f->p, ch, 2, "three different people");
	}
	free(rec);
	json_decref(v);

	/* the title changed after the reviews were signed */
	v = meta_new("RZB-2020-93");
	reviews3(f, v, at);
	json_object_set_new(v, "title", json_string("另一个标题"));
	rec = canon(v, &len);
	{
		store_change ch[2] = { { m2, rec, len },
			               { b2, body_text, strlen(body_text) } };
		forged_refused(f, &f->c, &f->p, ch, 2, "does not verify");
	}
	free(rec);
	json_decref(v);

	/* the body file missing */
	v = meta_new("RZB-2020-93");
	reviews3(f, v, at);
	rec = canon(v, &len);
	{
		store_change ch = { m2, rec, len };
		forged_refused(f, &f->c, &f->p, &ch, 1, "is missing");
	}
	free(rec);
	json_decref(v);

	/* the published document's title changed */
	v = json_deep_copy(m);
	json_object_set_new(v, "title", json_string("另一个标题"));
	rec = canon(v, &len);
	{
		store_change ch = { mpath, rec, len };
		forged_refused(f, &f->c, &f->p, &ch, 1, "'title' may not change");
	}
	free(rec);
	json_decref(v);

	/* its body file removed without withdrawal, and changed */
	{
		store_change ch = { bpath, NULL, 0 };
		forged_refused(f, &f->c, &f->p, &ch, 1, "may not be removed");
		ch = (store_change){ bpath, "篡改", strlen("篡改") };
		forged_refused(f, &f->c, &f->p, &ch, 1, "never changes");
	}

	/* a withdrawal that leaves the file */
	v = json_deep_copy(m);
	json_object_set_new(v, "withdrawn",
	                    jparse("{'at':'2024-05-06T02:00:00Z','reason':'撤回'}"));
	rec = canon(v, &len);
	{
		store_change ch = { mpath, rec, len };
		forged_refused(f, &f->c, &f->p, &ch, 1, "keeps no body files");
	}
	free(rec);
	json_decref(v);
	json_decref(m);
}

/* ==== 4. tasks ============================================================ */

static json_t *task_base(void)
{
	return jparse(
	        "{'id':'2020-05','title':'梳理政务公开事项标准目录',"
	        "'requirement':'对照国务院部门标准指引，梳理本级政务公开事项，"
	        "编制政务公开事项标准目录',"
	        "'responsible':[{'unit':'政务公开办','role':'牵头'},"
	        "{'unit':'各有关单位','role':'配合'}],"
	        "'assigned':'2020-09-10',"
	        "'deadline':{'text':'2020年10月23日前','kind':'date',"
	        "'due':'2020-10-23'},"
	        "'assignees':{'level':'district'},"
	        "'plan':{'doc':'榕政办〔2020〕92号','seq':'5'}}");
}

static void test_tasks(void **state)
{
	fx *f = *state;
	json_t *b = task_base();
	const char *path = "tasks/2020-05.json";

#define T_OK(patch) put_patched(&f->c, path, b, patch, NULL)
#define T_NO(patch, needle) put_patched(&f->c, path, b, patch, needle)
	/* deadlines */
	T_NO("{'deadline':{'text':'2020年10月23日前','kind':'date'}}",
	     "a dated deadline needs 'due'");
	T_NO("{'deadline':{'text':'20个工作日内','kind':'workdays'}}",
	     "needs 'workdays'");
	T_NO("{'deadline':{'text':'20个工作日内','kind':'workdays',"
	     "'workdays':0}}", "'workdays' must be 1 to 366");
	T_NO("{'deadline':{'text':'长期','kind':'ongoing','due':'2020-12-31'}}",
	     "an ongoing (长期) task has no 'due'");
	T_NO("{'deadline':{'text':'2020年9月中旬','kind':'period',"
	     "'due':'2020-09-20'}}", "'kind' must be one of");
	T_NO("{'deadline':{'text':'','kind':'ongoing'}}",
	     "'text' may not be empty");
	T_NO("{'deadline':{'text':'2020年9月上旬','kind':'date',"
	     "'due':'2020-09-09'}}", "due before it is assigned");
	T_NO("{'deadline':{'text':'2020年10月23日前','kind':'date',"
	     "'due':'2020-10-32'}}", "'due' must be a date");
	/* assignees: nodes xor level, below the assigner, not itself */
	T_NO("{'assignees':{'level':'township','nodes':['" D_ID "']}}",
	     "either 'nodes' or a 'level'");
	T_NO("{'assignees':{}}", "either 'nodes' or a 'level'");
	T_NO("{'assignees':{'nodes':[]}}", "'nodes' may not be empty");
	T_NO("{'assignees':{'level':'city'}}",
	     "a city assigns tasks to levels below it, not to city");
	T_NO("{'assignees':{'level':'province'}}", "'level' must be one of");
	T_NO("{'assignees':{'nodes':['" D_ID "','" C_ID "']}}",
	     "does not assign itself");
	T_NO("{'assignees':{'nodes':['长乐区']}}", "is not a node id");
	T_NO("{'responsible':[{'unit':'政务公开办','role':'负责'}]}",
	     "'role' must be one of");
	T_NO("{'assigned':null}", "'assigned' is required");
	T_NO("{'owner':'林晓'}", "unknown field 'owner'");
	put_patched(&f->c, "tasks/2020-06.json", b, "{}", "the task's id");
	{
		char *data = NULL;
		size_t len;
		assert_int_equal(store_record_read(f->c.st, NULL, path, &data, &len),
		                 STORE_ENOTFOUND);
	}
	/* accepted: every kind of deadline, both kinds of assignees */
	T_OK("{}");
	T_OK("{'assignees':{'nodes':['" D_ID "']}}");
	T_OK("{'assignees':{'level':'township'},"
	     "'deadline':{'text':'2020年9月中旬','kind':'date',"
	     "'due':'2020-09-20'}}");
	T_OK("{'deadline':{'text':'20个工作日内','kind':'workdays',"
	     "'workdays':20,'due':'2020-10-16'}}");
	T_OK("{'deadline':{'text':'长期','kind':'ongoing'}}");
	T_OK("{'deadline':{'text':'长期','kind':'ongoing'},"
	     "'from':{'node':'" P_ID "','task':'FJ-2020-3'},"
	     "'withdrawn':{'at':'2020-12-01T00:00:00Z','reason':'任务调整'}}");
	/* due on the day of assignment */
	put_patched(&f->c, "tasks/2020-07.json", b,
	            "{'id':'2020-07','deadline':{'text':'当日','kind':'date',"
	            "'due':'2020-09-10'}}", NULL);
#undef T_OK
#undef T_NO
	json_decref(b);
	import_ok(f, &f->c, &f->p);
}

static void test_tasks_levels(void **state)
{
	fx *f = *state;
	json_t *b = task_base();
	const char *path = "tasks/CL-2020-05.json";

	json_object_set_new(b, "id", json_string("CL-2020-05"));
	/* a district assigns to townships, never to a city or a district */
	put_patched(&f->d, path, b, "{'assignees':{'level':'city'}}",
	            "a district assigns tasks to levels below it, not to city");
	put_patched(&f->d, path, b, "{'assignees':{'level':'district'}}",
	            "not to district");
	put_patched(&f->d, path, b, "{'assignees':{'nodes':['" D_ID "']}}",
	            "does not assign itself");
	put_patched(&f->d, path, b,
	            "{'assignees':{'level':'township'},"
	            "'from':{'node':'" C_ID "','task':'2020-05'}}", NULL);
	put_patched(&f->d, path, b,
	            "{'assignees':{'nodes':['350112001','350112002']}}", NULL);
	/* the province assigns to cities */
	put_patched(&f->p, "tasks/FJ-2020-3.json", b,
	            "{'id':'FJ-2020-3','assignees':{'level':'city'}}", NULL);
	json_decref(b);
	import_ok(f, &f->d, &f->c);
}

static void test_tasks_import(void **state)
{
	fx *f = *state;
	json_t *b = task_base(), *v;
	char *rec;
	size_t len;
	store_change ch;

	json_object_set_new(b, "id", json_string("CL-2020-05"));
	/* the district's parent refuses a task to the city level */
	v = json_deep_copy(b);
	json_object_set_new(v, "assignees", jparse("{'level':'city'}"));
	rec = canon(v, &len);
	ch = (store_change){ "tasks/CL-2020-05.json", rec, len };
	forged_refused(f, &f->d, &f->c, &ch, 1, "levels below it, not to city");
	free(rec);
	json_decref(v);
	/* the province refuses the city's task to itself, and one due before
	 * it is assigned */
	v = json_deep_copy(b);
	json_object_set_new(v, "id", json_string("2020-05"));
	json_object_set_new(v, "assignees", jparse("{'nodes':['" C_ID "']}"));
	rec = canon(v, &len);
	ch = (store_change){ "tasks/2020-05.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "does not assign itself");
	free(rec);
	json_decref(v);
	v = json_deep_copy(b);
	json_object_set_new(v, "id", json_string("2020-05"));
	json_object_set_new(v, "assigned", json_string("2020-11-01"));
	rec = canon(v, &len);
	ch = (store_change){ "tasks/2020-05.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "due before it is assigned");
	free(rec);
	json_decref(v);
	json_decref(b);
}

/* ==== 5. reports ========================================================== */

static json_t *report_base(void)
{
	return jparse(
	        "{'task':'2020-05','assigner':'" C_ID "','node':'" D_ID "',"
	        "'status':'done','date':'2020-10-20',"
	        "'note':'已完成26个试点领域政务公开事项标准目录梳理',"
	        "'evidence':[{'kind':'catalog','ref':'" AREA "/" ITEM "'},"
	        "{'kind':'document','ref':'CZB-2020-80'},"
	        "{'kind':'url','ref':'http://www.fzcl.gov.cn/zwgk/'}]}");
}

static void test_reports(void **state)
{
	fx *f = *state;
	json_t *b = report_base();
	const char *path = "reports/" C_ID "/2020-05.json";

	put_patched(&f->d, "reports/" P_ID "/2020-05.json", b, "{}",
	            "a report lives at reports/<assigner>/<task>.json");
	put_patched(&f->d, "reports/" C_ID "/2020-06.json", b, "{}",
	            "reports/<assigner>/<task>.json");
	put_patched(&f->d, path, b, "{'node':'350104'}",
	            "a node reports for itself, to another node");
	put_patched(&f->d, "reports/" D_ID "/2020-05.json", b,
	            "{'assigner':'" D_ID "'}", "reports for itself, to another "
	                                      "node");
	put_patched(&f->d, path, b, "{'status':'late'}", "'status' must be one of");
	put_patched(&f->d, path, b, "{'date':'2020/10/20'}", "'date' must be a date");
	put_patched(&f->d, path, b,
	            "{'evidence':[{'kind':'photo','ref':'x.jpg'}]}",
	            "'kind' must be one of");
	put_patched(&f->d, path, b, "{'evidence':[{'kind':'note','ref':''}]}",
	            "'ref' may not be empty");
	put_patched(&f->d, path, b, "{'assigner':'福州'}",
	            "'assigner' must be an administrative division");
	put_patched(&f->d, path, b, "{'reporter':'林晓'}",
	            "unknown field 'reporter'");
	/* accepted, and updated */
	put_patched(&f->d, path, b,
	            "{'status':'in_progress','date':'2020-10-01','evidence':null}",
	            NULL);
	put_patched(&f->d, path, b, "{}", NULL);
	/* the city reports to the province */
	put_patched(&f->c, "reports/" P_ID "/FJ-2020-3.json", b,
	            "{'task':'FJ-2020-3','assigner':'" P_ID "','node':'" C_ID "'}",
	            NULL);
	json_decref(b);
	import_ok(f, &f->d, &f->c);
	import_ok(f, &f->c, &f->p);
}

static void test_reports_import(void **state)
{
	fx *f = *state;
	json_t *b = report_base(), *v;
	char *rec;
	size_t len;
	store_change ch;

	/* the district files a report as another district */
	v = json_deep_copy(b);
	json_object_set_new(v, "node", json_string("350104"));
	rec = canon(v, &len);
	ch = (store_change){ "reports/" C_ID "/2020-05.json", rec, len };
	forged_refused(f, &f->d, &f->c, &ch, 1, "reports for itself");
	free(rec);
	json_decref(v);
	/* ... to itself */
	v = json_deep_copy(b);
	json_object_set_new(v, "assigner", json_string(D_ID));
	rec = canon(v, &len);
	ch = (store_change){ "reports/" D_ID "/2020-05.json", rec, len };
	forged_refused(f, &f->d, &f->c, &ch, 1, "to another node");
	free(rec);
	json_decref(v);
	/* ... in the wrong folder */
	rec = canon(b, &len);
	ch = (store_change){ "reports/" P_ID "/2020-05.json", rec, len };
	forged_refused(f, &f->d, &f->c, &ch, 1, "reports/<assigner>/<task>.json");
	free(rec);
	json_decref(b);
}

/* ==== 6. the calendar ===================================================== */

/* 2024 as 国办发明电〔2023〕7号 set it. */
static json_t *calendar_base(void)
{
	return jparse(
	        "{'year':2024,'source':'国办发明电〔2023〕7号',"
	        "'holidays':[{'name':'元旦','from':'2024-01-01','to':'2024-01-01'},"
	        "{'name':'春节','from':'2024-02-10','to':'2024-02-17'},"
	        "{'name':'清明节','from':'2024-04-04','to':'2024-04-06'},"
	        "{'name':'劳动节','from':'2024-05-01','to':'2024-05-05'},"
	        "{'name':'端午节','from':'2024-06-10','to':'2024-06-10'},"
	        "{'name':'中秋节','from':'2024-09-15','to':'2024-09-17'},"
	        "{'name':'国庆节','from':'2024-10-01','to':'2024-10-07'}],"
	        "'workdays':['2024-02-04','2024-02-18','2024-04-07','2024-04-28',"
	        "'2024-05-11','2024-09-14','2024-09-29','2024-10-12']}");
}

static void test_calendar(void **state)
{
	fx *f = *state;
	json_t *b = calendar_base();
	const char *path = "calendar/2024.json";

	/* refused at a city, and at a district */
	put_patched(&f->c, path, b, "{}",
	            "the working-day calendar is published by the province");
	put_patched(&f->d, path, b, "{}", "published by the province");
	/* refused at the province */
	put_patched(&f->p, path, b,
	            "{'workdays':['2024-02-04','2024-02-05']}",
	            "working day 2024-02-05 must be a Saturday or Sunday");
	put_patched(&f->p, path, b, "{'workdays':['2025-01-26']}",
	            "must be a Saturday or Sunday of 2024");
	put_patched(&f->p, path, b,
	            "{'holidays':[{'name':'元旦','from':'2023-12-30',"
	            "'to':'2024-01-01'}]}",
	            "holiday 1 must run from a day to a later one within 2024");
	put_patched(&f->p, path, b,
	            "{'holidays':[{'name':'元旦','from':'2024-12-31',"
	            "'to':'2025-01-01'}]}", "within 2024");
	put_patched(&f->p, path, b,
	            "{'holidays':[{'name':'春节','from':'2024-02-17',"
	            "'to':'2024-02-10'}]}", "must run from a day to a later one");
	put_patched(&f->p, path, b,
	            "{'holidays':[{'name':'春节','from':'2024-02-10',"
	            "'to':'2024-02-17'}],'workdays':['2024-02-11']}",
	            "2024-02-11 is both a holiday and a working day");
	put_patched(&f->p, "calendar/2025.json", b, "{}",
	            "the calendar of 2024 is calendar/2024.json");
	put_patched(&f->p, path, b, "{'year':1980}", "'year' must be a year");
	put_patched(&f->p, path, b, "{'holidays':null}", "'holidays' is required");
	put_patched(&f->p, path, b, "{'workdays':['2024-02-04','2024-02-04']}",
	            "twice");
	put_patched(&f->p, path, b, "{'workdays':['2月4日']}",
	            "is not a date like");
	put_patched(&f->p, path, b,
	            "{'holidays':[{'name':'春节','from':'2024-02-10'}]}",
	            "'to' is required");
	put_patched(&f->p, path, b, "{'region':'福建'}", "unknown field 'region'");
	/* accepted at the province */
	put_patched(&f->p, path, b, "{}", NULL);
	/* a year with no adjusted weekend and no source */
	put_patched(&f->p, "calendar/2026.json", b,
	            "{'year':2026,'source':null,'workdays':[],"
	            "'holidays':[{'name':'元旦','from':'2026-01-01',"
	            "'to':'2026-01-03'}]}", NULL);
	json_decref(b);
	import_ok(f, &f->p, &f->c);
}

static void test_calendar_import(void **state)
{
	fx *f = *state;
	json_t *b = calendar_base();
	char *rec;
	size_t len;
	store_change ch;

	/* a city's calendar never reaches the province */
	rec = canon(b, &len);
	ch = (store_change){ "calendar/2024.json", rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "published by the province");
	free(rec);
	json_decref(b);
}

/* ==== 7. application clocks =============================================== */

static json_t *request_base(void)
{
	return jparse("{'id':'YSQ-2024-0007','received':'2024-03-01',"
	              "'channel':'网络','summary':'申请公开某地块征收补偿方案',"
	              "'events':[]}");
}

static void test_requests(void **state)
{
	fx *f = *state;
	json_t *b = request_base();
	const char *path = "requests/YSQ-2024-0007.json";

	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-10'},"
	            "{'type':'补正收到','date':'2024-03-05'}]}",
	            "event 2 (补正收到) is dated before the one before it");
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-02-28'}]}",
	            "event 1 (补正告知) is dated before");
	put_patched(&f->c, path, b, "{'applicant_name':'张三'}",
	            "unknown field 'applicant_name'");
	put_patched(&f->c, path, b, "{'phone':'13800000000'}",
	            "unknown field 'phone'");
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05',"
	            "'by':'张三'}]}", "unknown field 'by'");
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'催办','date':'2024-03-05'}]}",
	            "'type' must be one of");
	put_patched(&f->c, path, b, "{'channel':'电话'}",
	            "'channel' must be one of");
	put_patched(&f->c, path, b, "{'received':'2024-3-1'}",
	            "'received' must be a date");
	put_patched(&f->c, "requests/YSQ-2024-0008.json", b, "{}",
	            "the request's id");

	/* accepted; events appended one by one, the same day allowed */
	put_patched(&f->c, path, b, "{}", NULL);
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'}]}", NULL);
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'}]}", NULL);

	/* an earlier event rewritten, removed, or reordered */
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-06'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'}]}",
	            "events are only appended");
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'}]}",
	            "events are only appended");
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'第三方征求','date':'2024-03-12'},"
	            "{'type':'补正收到','date':'2024-03-12'}]}",
	            "events are only appended");
	/* an appended event dated before the last */
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'},"
	            "{'type':'第三方回复','date':'2024-03-11'}]}",
	            "event 4 (第三方回复) is dated before");
	/* received and channel never change */
	put_patched(&f->c, path, b,
	            "{'received':'2024-02-29',"
	            "'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'}]}",
	            "id, received and channel do not change");
	put_patched(&f->c, path, b,
	            "{'channel':'邮寄',"
	            "'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'}]}",
	            "do not change");
	/* the reply */
	put_patched(&f->c, path, b,
	            "{'events':[{'type':'补正告知','date':'2024-03-05'},"
	            "{'type':'补正收到','date':'2024-03-12'},"
	            "{'type':'第三方征求','date':'2024-03-12'},"
	            "{'type':'第三方回复','date':'2024-03-22'},"
	            "{'type':'延期批准','date':'2024-03-29'},"
	            "{'type':'答复','date':'2024-04-19'}]}", NULL);
	json_decref(b);
	import_ok(f, &f->c, &f->p);
}

static void test_requests_import(void **state)
{
	fx *f = *state;
	json_t *b = request_base(), *v;
	const char *path = "requests/YSQ-2024-0007.json";
	char *rec;
	size_t len;
	store_change ch;

	json_object_set_new(b, "events",
	                    jparse("[{'type':'补正告知','date':'2024-03-05'}]"));
	put_json(&f->c, path, b, NULL);
	import_ok(f, &f->c, &f->p);

	/* the notice backdated */
	v = json_deep_copy(b);
	json_object_set_new(v, "events",
	                    jparse("[{'type':'补正告知','date':'2024-03-04'},"
	                           "{'type':'补正收到','date':'2024-03-12'}]"));
	rec = canon(v, &len);
	ch = (store_change){ path, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "events are only appended");
	free(rec);
	json_decref(v);
	/* the receipt moved */
	v = json_deep_copy(b);
	json_object_set_new(v, "received", json_string("2024-03-04"));
	rec = canon(v, &len);
	ch = (store_change){ path, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "received and channel do not");
	free(rec);
	json_decref(v);
	/* the applicant's name */
	v = json_deep_copy(b);
	json_object_set_new(v, "applicant_name", json_string("张三"));
	rec = canon(v, &len);
	ch = (store_change){ path, rec, len };
	forged_refused(f, &f->c, &f->p, &ch, 1, "unknown field 'applicant_name'");
	free(rec);
	json_decref(v);
	json_decref(b);
}

/* ==== one commit, all or nothing ========================================== */

static void test_one_bad_change_writes_nothing(void **state)
{
	fx *f = *state;
	json_t *item = item_base(), *task = task_base();
	size_t l1, l2;
	char *r1, *r2, *data = NULL;

	json_object_set_new(task, "assignees", jparse("{'level':'city'}"));
	r1 = canon(item, &l1);
	r2 = canon(task, &l2);
	{
		store_change ch[2] = { { ITEM_PATH, r1, l1 },
			               { "tasks/2020-05.json", r2, l2 } };
		commit_refused(&f->c, ch, 2, "levels below it");
	}
	assert_int_equal(store_record_read(f->c.st, NULL, ITEM_PATH, &data, &l1),
	                 STORE_ENOTFOUND);
	free(r1);
	free(r2);
	json_decref(item);
	json_decref(task);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_catalog_schema),
		T(test_catalog_accepted),
		T(test_catalog_derived),
		T(test_catalog_import),
		T(test_people),
		T(test_people_import),
		T(test_doc_published),
		T(test_doc_reviews_refused),
		T(test_doc_revoked_reviewer),
		T(test_doc_body_files),
		T(test_doc_meta_rules),
		T(test_doc_after_publication),
		T(test_doc_withdrawal),
		T(test_doc_withdrawn_file_comes_back),
		T(test_doc_one_key_two_people),
		T(test_doc_import),
		T(test_tasks),
		T(test_tasks_levels),
		T(test_tasks_import),
		T(test_reports),
		T(test_reports_import),
		T(test_calendar),
		T(test_calendar_import),
		T(test_requests),
		T(test_requests_import),
		T(test_one_bad_change_writes_nothing),
	};
	int rc;

	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("records", tests, NULL, NULL);
	store_global_shutdown();
	return rc;
}
