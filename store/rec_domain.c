/*
 * rec_domain.c — the schemas and rules of the disclosure records: catalog
 * items (with derivation and withdrawal), reviewers, documents and their
 * body files, work-plan tasks, reports, the calendar and application
 * clocks. store/README.md ("Domain records") is the contract; every writer,
 * importer and auditor runs exactly these checks (records.c dispatches).
 *
 * Rules here see one history at a time: they check what a node's own
 * records say and how they change. What spans histories (is the upstream
 * of a derived item an ancestor, is a task's assignee a descendant) is for
 * the readers, which hold both sides.
 */
#include "store_int.h"
#include "schema.h"
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- value checks ------------------------------------------------------ */

static int chk_id(const json_t *v, char *why, size_t whylen)
{
	if (!store_id_valid(json_string_value(v))) {
		snprintf(why, whylen,
		         "must be an administrative division code of 6, 9 or 12 "
		         "digits");
		return -1;
	}
	return 0;
}

static int chk_rid(const json_t *v, char *why, size_t whylen)
{
	if (!store_item_id_ok(json_string_value(v))) {
		snprintf(why, whylen,
		         "must be 1-64 letters, digits, '.', '_' or '-', starting "
		         "with a letter or digit");
		return -1;
	}
	return 0;
}

static int chk_time(const json_t *v, char *why, size_t whylen)
{
	int64_t t;

	if (keys_time_parse(&t, json_string_value(v)) != 0) {
		snprintf(why, whylen,
		         "must be a UTC time like 2026-11-23T10:00:00Z");
		return -1;
	}
	return 0;
}

static int chk_date(const json_t *v, char *why, size_t whylen)
{
	int32_t d;

	if (date_parse(&d, json_string_value(v)) != 0) {
		snprintf(why, whylen, "must be a date like 2020-10-23");
		return -1;
	}
	return 0;
}

static int chk_hex(const json_t *v, size_t n, const char *what, char *why,
                   size_t whylen)
{
	const char *s = json_string_value(v);

	if (strlen(s) != n || strspn(s, "0123456789abcdef") != n) {
		snprintf(why, whylen, "must be %s (%zu lower-case hex digits)", what,
		         n);
		return -1;
	}
	return 0;
}

static int chk_oid(const json_t *v, char *why, size_t whylen)
{
	return chk_hex(v, 40, "a git object id", why, whylen);
}

static int chk_sha256(const json_t *v, char *why, size_t whylen)
{
	return chk_hex(v, 64, "a SHA-256", why, whylen);
}

static int chk_key(const json_t *v, char *why, size_t whylen)
{
	keys_public k;
	const char *s = json_string_value(v);

	if (keys_public_parse(&k, s, strlen(s), NULL, 0) != 0) {
		snprintf(why, whylen, "must be an OpenSSH ssh-ed25519 public key");
		return -1;
	}
	return 0;
}

static int chk_sig(const json_t *v, char *why, size_t whylen)
{
	unsigned char raw[KEYS_SSHSIG_MAX];
	size_t n;
	const char *s = json_string_value(v);

	if (keys_b64_decode(raw, sizeof(raw), &n, s, strlen(s)) != 0) {
		snprintf(why, whylen, "must be a base64 SSH signature");
		return -1;
	}
	return 0;
}

static int chk_area(const json_t *v, char *why, size_t whylen)
{
	const char *s = json_string_value(v);

	if (!store_path_component_ok(s, strlen(s))) {
		snprintf(why, whylen,
		         "must be an area name without '/', control characters "
		         "or a leading '.' (at most 96 bytes)");
		return -1;
	}
	return 0;
}

static int chk_filename(const json_t *v, char *why, size_t whylen)
{
	const char *s = json_string_value(v);

	if (!store_path_component_ok(s, strlen(s))) {
		snprintf(why, whylen,
		         "must be a file name without '/', '\\\\', ':', '*', '?', "
		         "'\"', '<', '>', '|', control characters or a leading '.'");
		return -1;
	}
	return 0;
}

static int chk_size(const json_t *v, char *why, size_t whylen)
{
	json_int_t n = json_integer_value(v);

	if (n < 0 || n > STORE_FILE_MAX) {
		snprintf(why, whylen, "must be 0 to %d bytes", STORE_FILE_MAX);
		return -1;
	}
	return 0;
}

static int chk_year(const json_t *v, char *why, size_t whylen)
{
	json_int_t y = json_integer_value(v);

	if (y < 1990 || y > 2200) {
		snprintf(why, whylen, "must be a year from 1990 to 2200");
		return -1;
	}
	return 0;
}

static int chk_workdays(const json_t *v, char *why, size_t whylen)
{
	json_int_t n = json_integer_value(v);

	if (n < 1 || n > 366) {
		snprintf(why, whylen, "must be 1 to 366 working days");
		return -1;
	}
	return 0;
}

/* "<area>/<id>" */
static int chk_item_ref(const json_t *v, char *why, size_t whylen)
{
	const char *s = json_string_value(v), *slash = strchr(s, '/');

	if (slash == NULL || !store_path_component_ok(s, (size_t)(slash - s)) ||
	    !store_item_id_ok(slash + 1)) {
		snprintf(why, whylen, "must be a catalog item as <area>/<id>");
		return -1;
	}
	return 0;
}

static int chk_rid_list(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	json_array_foreach(v, i, x) {
		if (!store_item_id_ok(json_string_value(x))) {
			snprintf(why, whylen, "item %zu: '%.64s' is not an id", i + 1,
			         json_string_value(x));
			return -1;
		}
	}
	return 0;
}

static int chk_item_ref_list(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	json_array_foreach(v, i, x) {
		if (chk_item_ref(x, why, whylen)) {
			snprintf(why, whylen,
			         "item %zu: '%.64s' is not a catalog item <area>/<id>",
			         i + 1, json_string_value(x));
			return -1;
		}
	}
	return 0;
}

static int chk_id_list(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	json_array_foreach(v, i, x) {
		if (!store_id_valid(json_string_value(x))) {
			snprintf(why, whylen,
			         "item %zu: '%.64s' is not a node id (6, 9 or 12 digits)",
			         i + 1, json_string_value(x));
			return -1;
		}
	}
	return 0;
}

/* ---- shared parts ---------------------------------------------------------- */

static const char *const attributes[] = { "主动公开", "依申请公开", "不予公开",
	                                  NULL };
/* 条例 arts 14-16: why information is not disclosed */
static const char *const reason_codes[] = {
	"A14_国家秘密", "A14_法律法规禁止", "A14_三安全一稳定",
	"A15_第三方合法权益", "A16_内部事务", "A16_过程性信息",
	"A16_行政执法案卷", NULL
};

static const sch_field reason_fields[] = {
	{ "code", SCH_STR, SCH_REQ, 0, reason_codes, NULL, NULL },
	{ "text", SCH_STR, SCH_REQ | SCH_NONEMPTY | SCH_MULTILINE, 2048, NULL,
	  NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema reason_schema = { "attribute_reason", reason_fields };

static const sch_field withdrawn_fields[] = {
	{ "at", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "reason", SCH_STR, SCH_REQ | SCH_NONEMPTY | SCH_MULTILINE, 2048, NULL,
	  NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema withdrawn_schema = { "withdrawn", withdrawn_fields };

/* 公开属性 and its reason: the reason is required for 不予公开 and only
 * there. */
static int attribute_ok(const char *path, const json_t *v, char *why,
                        size_t whylen)
{
	const char *a = json_string_value(json_object_get(v, "attribute"));
	int withheld = a != NULL && strcmp(a, "不予公开") == 0;
	int has_reason = json_object_get(v, "attribute_reason") != NULL;

	if (withheld && !has_reason) {
		snprintf(why, whylen,
		         "%s: 不予公开 needs attribute_reason {code, text} (条例 arts "
		         "14-16)", path);
		return -1;
	}
	if (!withheld && has_reason) {
		snprintf(why, whylen,
		         "%s: attribute_reason is only for 不予公开", path);
		return -1;
	}
	return 0;
}

/* "<dir>/<stem>.json" → does the stem equal `want`? */
static int stem_is(const char *name, const char *want)
{
	size_t n = strlen(name), w = strlen(want);

	return n == w + 5 && strncmp(name, want, w) == 0 &&
	       strcmp(name + w, ".json") == 0;
}

static int64_t time_of(const json_t *o, const char *field)
{
	int64_t t = 0;
	const char *s = json_string_value(json_object_get(o, field));

	if (s)
		keys_time_parse(&t, s);
	return t;
}

static int32_t date_of(const json_t *o, const char *field)
{
	int32_t d = 0;
	const char *s = json_string_value(json_object_get(o, field));

	if (s)
		date_parse(&d, s);
	return d;
}

/* Fields of `a` and `b` other than those in `free_fields` are equal. */
static const char *changed_field(const json_t *a, const json_t *b,
                                 const char *const *free_fields)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)a, k, v) {
		int skip = 0;
		for (const char *const *f = free_fields; *f; f++)
			skip |= strcmp(*f, k) == 0;
		if (!skip && !json_equal(v, json_object_get(b, k)))
			return k;
	}
	json_object_foreach((json_t *)b, k, v) {
		int skip = 0;
		for (const char *const *f = free_fields; *f; f++)
			skip |= strcmp(*f, k) == 0;
		if (!skip && json_object_get(a, k) == NULL)
			return k;
	}
	return NULL;
}

/* ---- catalog items ------------------------------------------------------------ */

static const char *const methods[] = { "主动公开", "依申请公开", NULL };
static const char *const item_levels[] = { "县级", "乡级", "村级", NULL };
static const char *const stages[] = { "决策", "执行", "管理", "服务", "结果",
	                              NULL };
/* the fields a derived item may override */
static const char *const overridable[] = {
	"name", "content", "basis", "time_limit", "subject", "method",
	"channels", "audience", "attribute", "attribute_reason", "levels",
	"stage", "ext", NULL
};

static int chk_overrides(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	json_array_foreach(v, i, x) {
		const char *s = json_string_value(x);
		int ok = 0;
		for (const char *const *f = overridable; *f; f++)
			ok |= strcmp(*f, s) == 0;
		if (!ok) {
			snprintf(why, whylen,
			         "names '%.64s', which is not a field an item may "
			         "override locally", s);
			return -1;
		}
	}
	return 0;
}

static const sch_field derived_fields[] = {
	{ "node", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "commit", SCH_STR, SCH_REQ, 40, NULL, chk_oid, NULL },
	{ "blob", SCH_STR, SCH_REQ, 40, NULL, chk_oid, NULL },
	{ "overrides", SCH_STRARR, SCH_REQ, 16, NULL, chk_overrides, NULL },
	{ "not_applicable", SCH_STR, SCH_NONEMPTY | SCH_MULTILINE, 2048, NULL,
	  NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema derived_schema = { "derived", derived_fields };

static const sch_field catalog_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "area", SCH_STR, SCH_REQ, 96, NULL, chk_area, NULL },
	{ "name", SCH_STR, SCH_REQ | SCH_NONEMPTY, 256, NULL, NULL, NULL },
	{ "content", SCH_STR, SCH_MULTILINE, 8192, NULL, NULL, NULL },
	{ "basis", SCH_STR, SCH_MULTILINE, 8192, NULL, NULL, NULL },
	{ "time_limit", SCH_STR, 0, 512, NULL, NULL, NULL },
	{ "subject", SCH_STR, 0, 512, NULL, NULL, NULL },
	{ "method", SCH_STR, 0, 0, methods, NULL, NULL },
	{ "channels", SCH_STRARR, 0, 32, NULL, NULL, NULL },
	{ "audience", SCH_STR, 0, 512, NULL, NULL, NULL },
	{ "attribute", SCH_STR, 0, 0, attributes, NULL, NULL },
	{ "attribute_reason", SCH_OBJ, 0, 0, NULL, NULL, &reason_schema },
	{ "levels", SCH_STRARR, SCH_NONEMPTY, 3, item_levels, NULL, NULL },
	{ "stage", SCH_STR, 0, 0, stages, NULL, NULL },
	{ "derived", SCH_OBJ, 0, 0, NULL, NULL, &derived_schema },
	{ "withdrawn", SCH_OBJ, 0, 0, NULL, NULL, &withdrawn_schema },
	{ "ext", SCH_EXT, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema catalog_schema = { "catalog item", catalog_fields };

/* A withdrawn record is a tombstone: it does not change again. */
static int tombstone_kept(const char *path, const json_t *ov,
                          const json_t *v, char *why, size_t whylen)
{
	if (ov != NULL && json_object_get(ov, "withdrawn") != NULL &&
	    !json_equal(ov, v)) {
		snprintf(why, whylen,
		         "%s was withdrawn; a tombstone does not change (publish "
		         "under a new id)", path);
		return -1;
	}
	return 0;
}

static int check_catalog(const rec_ctx *cx, const char *path, const json_t *ov,
                         const json_t *v, char *why, size_t whylen)
{
	const char *rest = path + 8, *slash = strchr(rest, '/');
	const json_t *d = json_object_get(v, "derived");
	size_t alen = (size_t)(slash - rest);
	const char *area = json_string_value(json_object_get(v, "area"));

	if (!store_path_component_ok(rest, alen)) {
		snprintf(why, whylen, "%s: bad area folder name", path);
		return STORE_EREJECT;
	}
	if (!stem_is(slash + 1, json_string_value(json_object_get(v, "id")))) {
		snprintf(why, whylen,
		         "%s: the file name must be the item's id followed by .json",
		         path);
		return STORE_EREJECT;
	}
	if (strlen(area) != alen || strncmp(area, rest, alen) != 0) {
		snprintf(why, whylen,
		         "%s: the item's area must match its folder (%.*s)", path,
		         (int)alen, rest);
		return STORE_EREJECT;
	}
	if (attribute_ok(path, v, why, whylen) ||
	    tombstone_kept(path, ov, v, why, whylen))
		return STORE_EREJECT;
	if (d != NULL &&
	    strcmp(json_string_value(json_object_get(d, "node")), cx->node) == 0) {
		snprintf(why, whylen,
		         "%s: an item is derived from another node's item, not from "
		         "its own", path);
		return STORE_EREJECT;
	}
	return 0;
}

/* ---- people ------------------------------------------------------------------- */

static const char *const roles[] = { "拟稿人", "审核人", "发布人", NULL };

static const sch_field person_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "name", SCH_STR, SCH_REQ | SCH_NONEMPTY, 128, NULL, NULL, NULL },
	{ "node", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "roles", SCH_STRARR, SCH_REQ | SCH_NONEMPTY, 3, roles, NULL, NULL },
	{ "key", SCH_STR, SCH_REQ, KEYS_PUBLIC_LINE_MAX, NULL, chk_key, NULL },
	{ "valid_from", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "revoked", SCH_OBJ, 0, 0, NULL, NULL, &withdrawn_schema },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema person_schema = { "person", person_fields };

static int check_person(const rec_ctx *cx, const char *path, const json_t *ov,
                        const json_t *v, char *why, size_t whylen)
{
	static const char *const fixed[] = { "id", "node", "key", "valid_from",
		                             NULL };
	const json_t *rv = json_object_get(v, "revoked");

	if (!stem_is(path + 7, json_string_value(json_object_get(v, "id")))) {
		snprintf(why, whylen,
		         "%s: the file name must be the person's id followed by "
		         ".json", path);
		return STORE_EREJECT;
	}
	if (strcmp(json_string_value(json_object_get(v, "node")), cx->node)) {
		snprintf(why, whylen, "%s: a node certifies only its own people",
		         path);
		return STORE_EREJECT;
	}
	if (rv && time_of(rv, "at") < time_of(v, "valid_from")) {
		snprintf(why, whylen, "%s: revoked before valid_from", path);
		return STORE_EREJECT;
	}
	if (ov == NULL)
		return 0;
	for (const char *const *f = fixed; *f; f++)
		if (!json_equal(json_object_get(ov, *f), json_object_get(v, *f))) {
			snprintf(why, whylen,
			         "%s: '%s' may not change once written (add a new person "
			         "for a new key)", path, *f);
			return STORE_EREJECT;
		}
	if (json_object_get(ov, "revoked") &&
	    !json_equal(json_object_get(ov, "revoked"), rv)) {
		snprintf(why, whylen, "%s: a revocation may not change or be undone",
		         path);
		return STORE_EREJECT;
	}
	return 0;
}

/* ---- documents ------------------------------------------------------------------ */

static const char *const validities[] = { "有效", "失效", "废止", "已修订",
	                                  NULL };
static const char *const classes[] = { "规章", "行政规范性文件", "其他公文",
	                               "非公文信息", NULL };

static const sch_field validity_fields[] = {
	{ "status", SCH_STR, SCH_REQ, 0, validities, NULL, NULL },
	{ "at", SCH_STR, 0, 10, NULL, chk_date, NULL },
	{ "successor", SCH_STR, 0, 64, NULL, chk_rid, NULL },
	{ "note", SCH_STR, SCH_MULTILINE, 2048, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema validity_schema = { "validity", validity_fields };

static const sch_field file_fields[] = {
	{ "name", SCH_STR, SCH_REQ, 96, NULL, chk_filename, NULL },
	{ "sha256", SCH_STR, SCH_REQ, 64, NULL, chk_sha256, NULL },
	{ "size", SCH_INT, SCH_REQ, 0, NULL, chk_size, NULL },
	{ "media_type", SCH_STR, 0, 128, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema file_schema = { "file", file_fields };

static const sch_field review_fields[] = {
	{ "role", SCH_STR, SCH_REQ, 0, roles, NULL, NULL },
	{ "person", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "at", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "sig", SCH_STR, SCH_REQ, 1024, NULL, chk_sig, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema review_schema = { "review", review_fields };

static const sch_field doc_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "title", SCH_STR, SCH_REQ | SCH_NONEMPTY, 512, NULL, NULL, NULL },
	{ "issuer", SCH_STR, SCH_REQ | SCH_NONEMPTY, 256, NULL, NULL, NULL },
	{ "written", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "published", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "attribute", SCH_STR, SCH_REQ, 0, attributes, NULL, NULL },
	{ "attribute_reason", SCH_OBJ, 0, 0, NULL, NULL, &reason_schema },
	{ "doc_no", SCH_STR, 0, 128, NULL, NULL, NULL },
	{ "genre", SCH_STR, 0, 32, NULL, NULL, NULL },
	{ "class", SCH_STR, 0, 0, classes, NULL, NULL },
	{ "summary", SCH_STR, SCH_MULTILINE, 8192, NULL, NULL, NULL },
	{ "interpretation_required", SCH_BOOL, 0, 0, NULL, NULL, NULL },
	{ "interprets", SCH_STR, 0, 64, NULL, chk_rid, NULL },
	{ "catalog_items", SCH_STRARR, 0, 256, NULL, chk_item_ref_list, NULL },
	{ "tasks", SCH_STRARR, 0, 256, NULL, chk_rid_list, NULL },
	{ "files", SCH_OBJARR, SCH_REQ, 64, NULL, NULL, &file_schema },
	{ "validity", SCH_OBJ, SCH_REQ, 0, NULL, NULL, &validity_schema },
	{ "review", SCH_OBJARR, SCH_REQ, 3, NULL, NULL, &review_schema },
	{ "withdrawn", SCH_OBJ, 0, 0, NULL, NULL, &withdrawn_schema },
	{ "ext", SCH_EXT, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema doc_schema = { "document", doc_fields };

int store_review_bytes(const char *meta, size_t len, char **out,
                       size_t *outlen)
{
	json_t *v = NULL;
	int rc;

	rc = store_json_parse(&v, meta, len, STORE_RECORD_MAX, "the document");
	if (rc != 0)
		return rc;
	if (!json_is_object(v)) {
		json_decref(v);
		store_seterr("the document must be a JSON object");
		return STORE_EJSON;
	}
	json_object_del(v, "review");
	json_object_del(v, "validity");
	json_object_del(v, "withdrawn");
	rc = store_json_canon(out, outlen, v, 0);
	json_decref(v);
	return rc;
}

/* Does one review hold: the person exists here with the role, the key
 * made the signature, at a time the person was valid? */
static int review_ok(const rec_ctx *cx, const char *path, const json_t *r,
                     const char *msg, size_t msglen, keys_public *key,
                     char *why, size_t whylen)
{
	const char *role = json_string_value(json_object_get(r, "role"));
	const char *pid = json_string_value(json_object_get(r, "person"));
	const char *b64 = json_string_value(json_object_get(r, "sig"));
	int64_t at = time_of(r, "at");
	char ppath[96];
	json_t *p = NULL;
	keys_public want, signer;
	unsigned char raw[KEYS_SSHSIG_MAX];
	size_t rawlen, i;
	const json_t *x, *rv;
	int has_role = 0, rc = STORE_EREJECT;

	snprintf(ppath, sizeof(ppath), "people/%s.json", pid);
	if (rec_tree_json(cx->repo, cx->tree, ppath, &p) != 0 || p == NULL) {
		snprintf(why, whylen,
		         "%s: the %s '%s' is not one of %s's people (people/%s.json)",
		         path, role, pid, cx->node, pid);
		goto done;
	}
	json_array_foreach(json_object_get(p, "roles"), i, x)
		has_role |= strcmp(json_string_value(x), role) == 0;
	if (!has_role) {
		snprintf(why, whylen, "%s: '%s' does not hold the role %s", path,
		         pid, role);
		goto done;
	}
	if (at < time_of(p, "valid_from") || at > cx->time) {
		snprintf(why, whylen,
		         "%s: the %s review by '%s' is dated outside the person's "
		         "validity or after the commit", path, role, pid);
		goto done;
	}
	/* judged at publication, not at the review's own date: a reviewer
	 * revoked since could otherwise date a review back */
	rv = json_object_get(p, "revoked");
	if (rv && time_of(rv, "at") <= cx->time) {
		snprintf(why, whylen,
		         "%s: '%s' (%s) is revoked; a document is published only "
		         "with reviewers valid at publication", path, pid, role);
		goto done;
	}
	if (keys_public_parse(&want,
	                      json_string_value(json_object_get(p, "key")),
	                      strlen(json_string_value(json_object_get(p, "key"))),
	                      NULL, 0) != 0 ||
	    keys_b64_decode(raw, sizeof(raw), &rawlen, b64, strlen(b64)) != 0 ||
	    keys_sshsig_verify(&signer, raw, rawlen, STORE_SIG_NS_REVIEW, msg,
	                       msglen) != 0 ||
	    !keys_public_equal(&signer, &want)) {
		snprintf(why, whylen,
		         "%s: the %s signature of '%s' does not verify over this "
		         "document with the person's key", path, role, pid);
		goto done;
	}
	*key = signer;
	rc = 0;
done:
	json_decref(p);
	return rc;
}

static int check_reviews(const rec_ctx *cx, const char *path, const json_t *v,
                         char *why, size_t whylen)
{
	const json_t *rs = json_object_get(v, "review");
	keys_public keys[3];
	char *msg = NULL;
	size_t msglen, i;
	const json_t *r;
	json_t *copy;
	int rc;

	for (const char *const *role = roles; *role; role++) {
		int n = 0;
		json_array_foreach(rs, i, r)
			n += strcmp(json_string_value(json_object_get(r, "role")),
			            *role) == 0;
		if (n != 1) {
			snprintf(why, whylen,
			         "%s: a document is published with three reviews (三级审核: "
			         "拟稿人, 审核人, 发布人); %s %s", path, *role,
			         n ? "signed twice" : "is missing");
			return STORE_EREJECT;
		}
	}
	json_array_foreach(rs, i, r) {
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_object_get(r, "person"),
			               json_object_get(json_array_get(rs, j), "person"))) {
				snprintf(why, whylen,
				         "%s: '%s' signed two reviews; the three roles are "
				         "three different people", path,
				         json_string_value(json_object_get(r, "person")));
				return STORE_EREJECT;
			}
	}
	copy = json_deep_copy(v);
	if (copy == NULL)
		return STORE_ENOMEM;
	json_object_del(copy, "review");
	json_object_del(copy, "validity");
	json_object_del(copy, "withdrawn");
	rc = store_json_canon(&msg, &msglen, copy, 0);
	json_decref(copy);
	if (rc != 0) {
		snprintf(why, whylen, "%s: %s", path, store_errmsg());
		return STORE_EREJECT;
	}
	json_array_foreach(rs, i, r) {
		rc = review_ok(cx, path, r, msg, msglen, &keys[i], why, whylen);
		if (rc != 0)
			break;
		for (size_t j = 0; j < i; j++)
			if (keys_public_equal(&keys[i], &keys[j])) {
				snprintf(why, whylen,
				         "%s: two reviews are signed with one key; each "
				         "reviewer signs with their own", path);
				rc = STORE_EREJECT;
				break;
			}
		if (rc != 0)
			break;
	}
	free(msg);
	return rc;
}

/* The document's id from "documents/<id>/..." */
static int doc_id_of(const char *path, char *out, size_t outlen)
{
	const char *rest = path + 10, *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : 0;

	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, rest, n);
	out[n] = '\0';
	return store_item_id_ok(out) ? 0 : -1;
}

static int check_doc(const rec_ctx *cx, const char *path, const json_t *ov,
                     const json_t *v, char *why, size_t whylen)
{
	static const char *const lifecycle[] = { "validity", "withdrawn", NULL };
	const json_t *val = json_object_get(v, "validity");
	const char *status = json_string_value(json_object_get(val, "status"));
	const json_t *files = json_object_get(v, "files"), *f;
	const char *id = json_string_value(json_object_get(v, "id"));
	int withdrawn = json_object_get(v, "withdrawn") != NULL;
	char did[80], fpath[STORE_PATH_MAX];
	const char *k;
	size_t i;
	int rc;

	if (doc_id_of(path, did, sizeof(did)) != 0 || strcmp(did, id) != 0) {
		snprintf(why, whylen,
		         "%s: a document lives at documents/<its id>/meta.json", path);
		return STORE_EREJECT;
	}
	if (attribute_ok(path, v, why, whylen))
		return STORE_EREJECT;
	if (date_of(v, "published") < date_of(v, "written")) {
		snprintf(why, whylen, "%s: published (发布日期) is before written "
		         "(成文日期)", path);
		return STORE_EREJECT;
	}
	if (strcmp(status, "有效") != 0 && !json_object_get(val, "at")) {
		snprintf(why, whylen, "%s: validity %s needs the date 'at'", path,
		         status);
		return STORE_EREJECT;
	}
	if (strcmp(status, "已修订") == 0 && !json_object_get(val, "successor")) {
		snprintf(why, whylen,
		         "%s: validity 已修订 names the revised document "
		         "('successor')", path);
		return STORE_EREJECT;
	}
	k = json_string_value(json_object_get(val, "successor"));
	if ((k && strcmp(k, id) == 0) ||
	    ((k = json_string_value(json_object_get(v, "interprets"))) &&
	     strcmp(k, id) == 0)) {
		snprintf(why, whylen, "%s: a document does not succeed or interpret "
		         "itself", path);
		return STORE_EREJECT;
	}
	/* the body files: listed once each, present with that hash and size,
	 * or all gone once withdrawn */
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		git_tree_entry *e = NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(name, json_string_value(json_object_get(
			                         json_array_get(files, j), "name"))) == 0) {
				snprintf(why, whylen, "%s: file '%s' listed twice", path,
				         name);
				return STORE_EREJECT;
			}
		snprintf(fpath, sizeof(fpath), "documents/%s/files/%s", id, name);
		rc = git_tree_entry_bypath(&e, cx->tree, fpath);
		git_tree_entry_free(e);
		if (!withdrawn && rc != 0) {
			snprintf(why, whylen, "%s: the body file %s is missing", path,
			         fpath);
			return STORE_EREJECT;
		}
		if (withdrawn && rc == 0) {
			snprintf(why, whylen,
			         "%s: a withdrawn document keeps no body files (%s is "
			         "still there)", path, fpath);
			return STORE_EREJECT;
		}
	}
	if (ov == NULL) {
		if (withdrawn) {
			snprintf(why, whylen,
			         "%s: a document cannot be published withdrawn", path);
			return STORE_EREJECT;
		}
		return check_reviews(cx, path, v, why, whylen);
	}
	if (json_object_get(ov, "withdrawn")) {
		snprintf(why, whylen,
		         "%s: the document was withdrawn; a tombstone does not change "
		         "(publish a new document)", path);
		return STORE_EREJECT;
	}
	k = changed_field(ov, v, lifecycle);
	if (k != NULL) {
		snprintf(why, whylen,
		         "%s: '%s' may not change once published (only validity "
		         "and withdrawal; a revision is a new document)", path, k);
		return STORE_EREJECT;
	}
	return 0;
}

/* documents/<id>/files/<name>: added with its document, listed in its
 * meta with the same hash and size, never changed, removed only when the
 * document is withdrawn. */
static int check_docfile(const rec_ctx *cx, const char *path,
                         const char *raw, size_t rawlen, char *why,
                         size_t whylen)
{
	const char *name = strrchr(path, '/') + 1;
	char did[80], mpath[STORE_PATH_MAX], hex[65];
	git_tree_entry *e = NULL;
	json_t *meta = NULL;
	const json_t *f, *hit = NULL;
	size_t i;
	int rc = STORE_EREJECT;

	if (doc_id_of(path, did, sizeof(did)) != 0 ||
	    !store_path_component_ok(name, strlen(name))) {
		snprintf(why, whylen, "%s: not a document's body file path", path);
		return STORE_EREJECT;
	}
	snprintf(mpath, sizeof(mpath), "documents/%s/meta.json", did);
	if (rec_tree_json(cx->repo, cx->tree, mpath, &meta) != 0 ||
	    meta == NULL || !json_is_object(meta)) {
		snprintf(why, whylen, "%s: a body file without its document (%s)",
		         path, mpath);
		goto done;
	}
	if (raw == NULL) {
		if (json_object_get(meta, "withdrawn") == NULL) {
			snprintf(why, whylen,
			         "%s may not be removed: body files go only when their "
			         "document is withdrawn", path);
			goto done;
		}
		rc = 0;
		goto done;
	}
	if (json_object_get(meta, "withdrawn") != NULL) {
		snprintf(why, whylen,
		         "%s: the document is withdrawn; its body files do not come "
		         "back (publish a new document)", path);
		goto done;
	}
	if (cx->ptree && git_tree_entry_bypath(&e, cx->ptree, path) == 0) {
		git_tree_entry_free(e);
		snprintf(why, whylen,
		         "%s: a published body file never changes (publish a new "
		         "document)", path);
		goto done;
	}
	json_array_foreach(json_object_get(meta, "files"), i, f)
		if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
			hit = f;
	keys_sha256_hex(hex, raw, rawlen);
	if (hit == NULL ||
	    strcmp(json_string_value(json_object_get(hit, "sha256")), hex) != 0 ||
	    json_integer_value(json_object_get(hit, "size")) != (json_int_t)rawlen) {
		snprintf(why, whylen,
		         "%s: not listed in %s with this SHA-256 and size", path,
		         mpath);
		goto done;
	}
	rc = 0;
done:
	json_decref(meta);
	return rc;
}

/* ---- tasks and reports ------------------------------------------------------------ */

static const char *const deadline_kinds[] = { "date", "workdays", "ongoing",
	                                      NULL };
static const char *const task_levels[] = { "city", "district", "township",
	                                   "village", NULL };
static const char *const resp_roles[] = { "牵头", "配合", "落实", NULL };

static const sch_field deadline_fields[] = {
	{ "text", SCH_STR, SCH_REQ | SCH_NONEMPTY, 128, NULL, NULL, NULL },
	{ "kind", SCH_STR, SCH_REQ, 0, deadline_kinds, NULL, NULL },
	{ "due", SCH_STR, 0, 10, NULL, chk_date, NULL },
	{ "workdays", SCH_INT, 0, 0, NULL, chk_workdays, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema deadline_schema = { "deadline", deadline_fields };

static const sch_field assignees_fields[] = {
	{ "nodes", SCH_STRARR, SCH_NONEMPTY, 1000, NULL, chk_id_list, NULL },
	{ "level", SCH_STR, 0, 0, task_levels, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema assignees_schema = { "assignees", assignees_fields };

static const sch_field resp_fields[] = {
	{ "unit", SCH_STR, SCH_REQ | SCH_NONEMPTY, 256, NULL, NULL, NULL },
	{ "role", SCH_STR, SCH_REQ, 0, resp_roles, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema resp_schema = { "responsible", resp_fields };

static const sch_field plan_fields[] = {
	{ "doc", SCH_STR, 0, 256, NULL, NULL, NULL },
	{ "seq", SCH_STR, 0, 32, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema plan_schema = { "plan", plan_fields };

static const sch_field from_fields[] = {
	{ "node", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "task", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema from_schema = { "from", from_fields };

static const sch_field task_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "title", SCH_STR, SCH_REQ | SCH_NONEMPTY, 512, NULL, NULL, NULL },
	{ "requirement", SCH_STR, SCH_MULTILINE, 8192, NULL, NULL, NULL },
	{ "responsible", SCH_OBJARR, 0, 64, NULL, NULL, &resp_schema },
	{ "deadline", SCH_OBJ, SCH_REQ, 0, NULL, NULL, &deadline_schema },
	{ "assigned", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "assignees", SCH_OBJ, SCH_REQ, 0, NULL, NULL, &assignees_schema },
	{ "plan", SCH_OBJ, 0, 0, NULL, NULL, &plan_schema },
	{ "from", SCH_OBJ, 0, 0, NULL, NULL, &from_schema },
	{ "withdrawn", SCH_OBJ, 0, 0, NULL, NULL, &withdrawn_schema },
	{ "ext", SCH_EXT, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema task_schema = { "task", task_fields };

static int check_task(const rec_ctx *cx, const char *path, const json_t *ov,
                      const json_t *v, char *why, size_t whylen)
{
	const json_t *dl = json_object_get(v, "deadline");
	const json_t *as = json_object_get(v, "assignees");
	const char *kind = json_string_value(json_object_get(dl, "kind"));
	const char *lv = json_string_value(json_object_get(as, "level"));
	const json_t *nodes = json_object_get(as, "nodes"), *x;
	store_level mine = cx->after->ident.level, l;
	size_t i;

	if (!stem_is(path + 6, json_string_value(json_object_get(v, "id")))) {
		snprintf(why, whylen,
		         "%s: the file name must be the task's id followed by .json",
		         path);
		return STORE_EREJECT;
	}
	if (tombstone_kept(path, ov, v, why, whylen))
		return STORE_EREJECT;
	if (strcmp(kind, "date") == 0 && !json_object_get(dl, "due")) {
		snprintf(why, whylen, "%s: a dated deadline needs 'due'", path);
		return STORE_EREJECT;
	}
	if (strcmp(kind, "workdays") == 0 && !json_object_get(dl, "workdays")) {
		snprintf(why, whylen,
		         "%s: a deadline in working days needs 'workdays'", path);
		return STORE_EREJECT;
	}
	if (strcmp(kind, "ongoing") == 0 && json_object_get(dl, "due")) {
		snprintf(why, whylen, "%s: an ongoing (长期) task has no 'due'",
		         path);
		return STORE_EREJECT;
	}
	if (json_object_get(dl, "due") &&
	    date_of(dl, "due") < date_of(v, "assigned")) {
		snprintf(why, whylen, "%s: the task is due before it is assigned",
		         path);
		return STORE_EREJECT;
	}
	if ((nodes != NULL) == (lv != NULL)) {
		snprintf(why, whylen,
		         "%s: assignees are either 'nodes' or a 'level', one of them",
		         path);
		return STORE_EREJECT;
	}
	if (lv != NULL) {
		store_level_parse(&l, lv);
		if (l <= mine) {
			snprintf(why, whylen,
			         "%s: a %s assigns tasks to levels below it, not to %s",
			         path, store_level_name(mine), lv);
			return STORE_EREJECT;
		}
	}
	json_array_foreach(nodes, i, x)
		if (strcmp(json_string_value(x), cx->node) == 0) {
			snprintf(why, whylen, "%s: a node does not assign itself a task",
			         path);
			return STORE_EREJECT;
		}
	if (mine >= STORE_LEVEL_VILLAGE) {
		snprintf(why, whylen, "%s: a village has no one to assign tasks to",
		         path);
		return STORE_EREJECT;
	}
	return 0;
}

static const char *const report_status[] = { "done", "in_progress",
	                                     "not_applicable", NULL };
static const char *const evidence_kinds[] = { "catalog", "document", "task",
	                                      "url", "note", NULL };

static const sch_field evidence_fields[] = {
	{ "kind", SCH_STR, SCH_REQ, 0, evidence_kinds, NULL, NULL },
	{ "ref", SCH_STR, SCH_REQ | SCH_NONEMPTY, 1024, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema evidence_schema = { "evidence", evidence_fields };

static const sch_field report_fields[] = {
	{ "task", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "assigner", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "node", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "status", SCH_STR, SCH_REQ, 0, report_status, NULL, NULL },
	{ "date", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "note", SCH_STR, SCH_MULTILINE, 8192, NULL, NULL, NULL },
	{ "evidence", SCH_OBJARR, 0, 64, NULL, NULL, &evidence_schema },
	{ "ext", SCH_EXT, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema report_schema = { "report", report_fields };

static int check_report(const rec_ctx *cx, const char *path, const json_t *v,
                        char *why, size_t whylen)
{
	const char *assigner = json_string_value(json_object_get(v, "assigner"));
	const char *rest = path + 8, *slash = strchr(rest, '/');

	if (strlen(assigner) != (size_t)(slash - rest) ||
	    strncmp(rest, assigner, strlen(assigner)) != 0 ||
	    !stem_is(slash + 1, json_string_value(json_object_get(v, "task")))) {
		snprintf(why, whylen,
		         "%s: a report lives at reports/<assigner>/<task>.json", path);
		return STORE_EREJECT;
	}
	if (strcmp(json_string_value(json_object_get(v, "node")), cx->node) ||
	    strcmp(assigner, cx->node) == 0) {
		snprintf(why, whylen,
		         "%s: a node reports for itself, to another node", path);
		return STORE_EREJECT;
	}
	return 0;
}

/* ---- calendar -------------------------------------------------------------------- */

static const sch_field holiday_fields[] = {
	{ "name", SCH_STR, SCH_REQ | SCH_NONEMPTY, 64, NULL, NULL, NULL },
	{ "from", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "to", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema holiday_schema = { "holiday", holiday_fields };

static int chk_dates(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *x;

	json_array_foreach(v, i, x)
		if (chk_date(x, why, whylen)) {
			snprintf(why, whylen, "item %zu: '%.32s' is not a date like "
			         "2024-02-04", i + 1, json_string_value(x));
			return -1;
		}
	return 0;
}

static const sch_field calendar_fields[] = {
	{ "year", SCH_INT, SCH_REQ, 0, NULL, chk_year, NULL },
	{ "holidays", SCH_OBJARR, SCH_REQ, 64, NULL, NULL, &holiday_schema },
	{ "workdays", SCH_STRARR, SCH_REQ, 64, NULL, chk_dates, NULL },
	{ "source", SCH_STR, 0, 512, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema calendar_schema = { "calendar", calendar_fields };

static int check_calendar(const rec_ctx *cx, const char *path,
                          const json_t *v, char *why, size_t whylen)
{
	json_int_t year = json_integer_value(json_object_get(v, "year"));
	const json_t *hs = json_object_get(v, "holidays"), *h, *w;
	char stem[16];
	size_t i, j;

	snprintf(stem, sizeof(stem), "%d", (int)year);
	if (!stem_is(path + 9, stem)) {
		snprintf(why, whylen, "%s: the calendar of %d is calendar/%d.json",
		         path, (int)year, (int)year);
		return STORE_EREJECT;
	}
	if (cx->after->ident.level != STORE_LEVEL_PROVINCE) {
		snprintf(why, whylen,
		         "%s: the working-day calendar is published by the province",
		         path);
		return STORE_EREJECT;
	}
	json_array_foreach(hs, i, h) {
		int32_t a = date_of(h, "from"), b = date_of(h, "to");
		if (a > b || date_year(a) != year || date_year(b) != year) {
			snprintf(why, whylen,
			         "%s: holiday %zu must run from a day to a later one "
			         "within %d", path, i + 1, (int)year);
			return STORE_EREJECT;
		}
	}
	json_array_foreach(json_object_get(v, "workdays"), i, w) {
		int32_t d;
		int wd;
		date_parse(&d, json_string_value(w));
		wd = date_weekday(d);
		if (date_year(d) != year || wd < 6) {
			snprintf(why, whylen,
			         "%s: working day %s must be a Saturday or Sunday of %d "
			         "(an adjusted working weekend, 调休)", path,
			         json_string_value(w), (int)year);
			return STORE_EREJECT;
		}
		json_array_foreach(hs, j, h)
			if (d >= date_of(h, "from") && d <= date_of(h, "to")) {
				snprintf(why, whylen,
				         "%s: %s is both a holiday and a working day", path,
				         json_string_value(w));
				return STORE_EREJECT;
			}
	}
	return 0;
}

/* ---- application clocks ------------------------------------------------------------- */

static const char *const channels[] = { "当面", "邮寄", "网络", "传真", "其他",
	                                NULL };
static const char *const req_events[] = {
	"补正告知", "补正收到", "第三方征求", "第三方回复", "他机关征求",
	"他机关回复", "延期批准", "答复", NULL
};

static const sch_field event_fields[] = {
	{ "type", SCH_STR, SCH_REQ, 0, req_events, NULL, NULL },
	{ "date", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema event_schema = { "event", event_fields };

static const sch_field request_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 64, NULL, chk_rid, NULL },
	{ "received", SCH_STR, SCH_REQ, 10, NULL, chk_date, NULL },
	{ "channel", SCH_STR, SCH_REQ, 0, channels, NULL, NULL },
	{ "summary", SCH_STR, SCH_MULTILINE, 2048, NULL, NULL, NULL },
	{ "events", SCH_OBJARR, SCH_REQ, 256, NULL, NULL, &event_schema },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema request_schema = { "request", request_fields };

static int check_request(const char *path, const json_t *ov, const json_t *v,
                         char *why, size_t whylen)
{
	const json_t *evs = json_object_get(v, "events"), *e;
	const json_t *oevs = ov ? json_object_get(ov, "events") : NULL;
	int32_t last = date_of(v, "received");
	size_t i;

	if (!stem_is(path + 9, json_string_value(json_object_get(v, "id")))) {
		snprintf(why, whylen,
		         "%s: the file name must be the request's id followed by "
		         ".json", path);
		return STORE_EREJECT;
	}
	json_array_foreach(evs, i, e) {
		int32_t d = date_of(e, "date");
		if (d < last) {
			snprintf(why, whylen,
			         "%s: event %zu (%s) is dated before the one before it "
			         "or the receipt", path, i + 1,
			         json_string_value(json_object_get(e, "type")));
			return STORE_EREJECT;
		}
		last = d;
	}
	if (ov == NULL)
		return 0;
	if (!json_equal(json_object_get(ov, "id"), json_object_get(v, "id")) ||
	    !json_equal(json_object_get(ov, "received"),
	                json_object_get(v, "received")) ||
	    !json_equal(json_object_get(ov, "channel"),
	                json_object_get(v, "channel"))) {
		snprintf(why, whylen,
		         "%s: id, received and channel do not change", path);
		return STORE_EREJECT;
	}
	if (json_array_size(evs) < json_array_size(oevs)) {
		snprintf(why, whylen, "%s: events are only appended", path);
		return STORE_EREJECT;
	}
	json_array_foreach(oevs, i, e)
		if (!json_equal(e, json_array_get(evs, i))) {
			snprintf(why, whylen, "%s: events are only appended", path);
			return STORE_EREJECT;
		}
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------------- */

const sch_schema *dom_schema(rec_kind k)
{
	switch (k) {
	case REC_CATALOG: return &catalog_schema;
	case REC_PERSON: return &person_schema;
	case REC_DOC: return &doc_schema;
	case REC_TASK: return &task_schema;
	case REC_REPORT: return &report_schema;
	case REC_CALENDAR: return &calendar_schema;
	case REC_REQUEST: return &request_schema;
	default: return NULL;
	}
}

int dom_check(const rec_ctx *cx, rec_kind k, const char *path,
              const json_t *ov, const json_t *nv, const char *raw,
              size_t rawlen, char *why, size_t whylen)
{
	switch (k) {
	case REC_CATALOG: return check_catalog(cx, path, ov, nv, why, whylen);
	case REC_PERSON: return check_person(cx, path, ov, nv, why, whylen);
	case REC_DOC: return check_doc(cx, path, ov, nv, why, whylen);
	case REC_DOCFILE:
		return check_docfile(cx, path, raw, rawlen, why, whylen);
	case REC_TASK: return check_task(cx, path, ov, nv, why, whylen);
	case REC_REPORT: return check_report(cx, path, nv, why, whylen);
	case REC_CALENDAR: return check_calendar(cx, path, nv, why, whylen);
	case REC_REQUEST: return check_request(path, ov, nv, why, whylen);
	default:
		snprintf(why, whylen, "%s: no rules for this record", path);
		return STORE_EREJECT;
	}
}
