/*
 * cmd_doc.c — govfed person (reviewers and their keys) and govfed doc
 * (documents with 三级审核: draft, sign, publish, show, list, retire,
 * withdraw).
 *
 * A document is reviewed before it reaches the store: `doc draft` writes
 * a draft file (the metadata, the body files' hashes and where the bodies
 * are), each reviewer adds their signature to it with their own key
 * (`doc sign`, in the order 拟稿人, 审核人, 发布人), and `doc publish`
 * commits the metadata and the body files in one signed commit once the
 * three signatures hold. The store applies the same rules again
 * (store/README.md, "Document"); the CLI checks first so that an operator
 * learns what is wrong in a sentence, before anything is written.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "clock.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DRAFT_VERSION 1
#define BODIES_MAX 64   /* files per document (the schema's bound) */
#define DESCENT_MAX 8   /* levels walked up to find an ancestor */

static const char *const roles[] = { "拟稿人", "审核人", "发布人", NULL };

/* ---- small helpers ------------------------------------------------------ */

/* Record ids: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit
 * (store/README.md, "Domain records"). */
static int id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

static int role_index(const char *s)
{
	for (int i = 0; s && roles[i]; i++)
		if (strcmp(roles[i], s) == 0)
			return i;
	return -1;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void print_json(const json_t *v, int pretty)
{
	char *s = json_dumps(v, (pretty ? JSON_INDENT(2) : JSON_COMPACT) |
	                            JSON_SORT_KEYS);

	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

/* Prints s and pads it to `width` terminal columns (a CJK character, a
 * three-byte UTF-8 sequence here, takes two). */
static void put_padded(const char *s, int width)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	     *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		w += *p >= 0xe0 ? 2 : 1;
	}
	fputs(s ? s : "", stdout);
	for (; w < width; w++)
		putchar(' ');
}

static void now_text(char out[21])
{
	keys_time_format(out, store_now());
}

static int32_t date_field(const json_t *o, const char *k)
{
	int32_t d = 0;
	const char *s = str(o, k);

	if (s == NULL || date_parse(&d, s) != 0)
		return 0;
	return d;
}

static int64_t time_field(const json_t *o, const char *k)
{
	int64_t t = 0;
	const char *s = str(o, k);

	if (s == NULL || keys_time_parse(&t, s) != 0)
		return 0;
	return t;
}

static void fingerprint_of(char out[KEYS_FINGERPRINT_MAX], const char *line)
{
	keys_public k;

	if (line && keys_public_parse(&k, line, strlen(line), NULL, 0) == 0)
		keys_public_fingerprint(out, &k);
	else
		snprintf(out, KEYS_FINGERPRINT_MAX, "(bad key)");
}

/* Reads a JSON record of `node`'s history (NULL = own). 0 with *out;
 * STORE_ENOTFOUND if absent; another code on a store error. */
static int record_json(store *st, const char *node, const char *path,
                       json_t **out)
{
	char *data = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = store_record_read(st, node, path, &data, &len);
	if (rc != 0)
		return rc;
	*out = json_loadb(data, len, 0, NULL);
	free(data);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return STORE_ECORRUPT;
	}
	return 0;
}

/* Does `path` exist at the head of `node` (NULL = own)? 1 yes, 0 no,
 * <0 a store error. */
static int record_exists(store *st, const char *node, const char *path)
{
	int rc = store_record_stat(st, node, path, NULL, NULL);

	if (rc == 0)
		return 1;
	return rc == STORE_ENOTFOUND ? 0 : rc;
}

/* Loads a JSON file an operator gave; prints why not (naming the file, the
 * line and the column) and returns the exit code. */
static int load_json_file(const char *path, const char *what, size_t max,
                          json_t **out)
{
	char *data = NULL;
	size_t len;
	json_error_t err;
	int rc;

	*out = NULL;
	rc = cli_read_file(path, max, what, &data, &len);
	if (rc != 0)
		return rc;
	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	free(data);
	if (*out == NULL) {
		cli_err("%s '%s': line %d, column %d: %s", what, path, err.line,
		        err.column, err.text);
		return EXIT_NO;
	}
	if (!json_is_object(*out)) {
		cli_err("%s '%s' must hold one JSON object", what, path);
		json_decref(*out);
		*out = NULL;
		return EXIT_NO;
	}
	return EXIT_OK;
}

/* ---- the document's rules (before the store sees it) -------------------- */

/* The schema (store_record_prepare) and, when `canon` is non-NULL, the
 * canonical bytes for documents/<id>/meta.json. 0 or -1 with why. */
static int meta_schema(const json_t *m, char **canon, size_t *clen, char *why,
                       size_t whylen)
{
	char *s = json_dumps(m, JSON_COMPACT), *c = NULL;
	size_t n;
	int rc;

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rc = store_record_prepare(&c, &n, "documents/x/meta.json", s, strlen(s));
	free(s);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return -1;
	}
	if (canon) {
		*canon = c;
		*clen = n;
	} else {
		free(c);
	}
	return 0;
}

/* What store/README.md says of a document that needs no other record:
 * 公开属性 and its reason, the dates, the validity, no self reference. */
static int meta_rules(const json_t *m, char *why, size_t whylen)
{
	const char *attr = str(m, "attribute"), *id = str(m, "id"), *s;
	const json_t *val = json_object_get(m, "validity");
	const char *status = str(val, "status");
	int withheld = attr && strcmp(attr, "不予公开") == 0;
	int has_reason = json_object_get(m, "attribute_reason") != NULL;

	if (withheld && !has_reason) {
		snprintf(why, whylen,
		         "公开属性 不予公开 needs attribute_reason {code, text}: the code "
		         "is one of A14_国家秘密, A14_法律法规禁止, A14_三安全一稳定, "
		         "A15_第三方合法权益, A16_内部事务, A16_过程性信息, "
		         "A16_行政执法案卷 (条例 arts 14-16)");
		return -1;
	}
	if (!withheld && has_reason) {
		snprintf(why, whylen,
		         "attribute_reason is only for 不予公开 (this document is %s)",
		         attr);
		return -1;
	}
	if (date_field(m, "published") < date_field(m, "written")) {
		snprintf(why, whylen,
		         "published 发布日期 (%s) is before written 成文日期 (%s)",
		         str(m, "published"), str(m, "written"));
		return -1;
	}
	if (strcmp(status, "有效") != 0 && !json_object_get(val, "at")) {
		snprintf(why, whylen, "validity %s needs its date 'at'", status);
		return -1;
	}
	if (json_object_get(val, "at") &&
	    date_field(val, "at") < date_field(m, "written")) {
		snprintf(why, whylen,
		         "validity.at (%s) is before the document was written (%s)",
		         str(val, "at"), str(m, "written"));
		return -1;
	}
	if (strcmp(status, "已修订") == 0 && !json_object_get(val, "successor")) {
		snprintf(why, whylen,
		         "validity 已修订 names the revised document in 'successor'");
		return -1;
	}
	if (((s = str(val, "successor")) && strcmp(s, id) == 0) ||
	    ((s = str(m, "interprets")) && strcmp(s, id) == 0)) {
		snprintf(why, whylen,
		         "a document neither succeeds nor interprets itself ('%s')",
		         id);
		return -1;
	}
	return 0;
}

/* A held document of `node` (NULL = own): 1 published (and, with
 * `live`, not withdrawn), 0 not, <0 a store error. */
static int doc_held(store *st, const char *node, const char *id, int live)
{
	char path[STORE_PATH_MAX];
	json_t *m = NULL;
	int rc;

	snprintf(path, sizeof(path), "documents/%s/meta.json", id);
	rc = record_json(st, node, path, &m);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = !live || json_object_get(m, "withdrawn") == NULL;
	json_decref(m);
	return rc;
}

/* The references a new document makes, against this node's store: its id
 * is new here, the document it interprets is published here, its catalog
 * items are in this node's catalog and its tasks are held. 0 ok, 1
 * refused (why), <0 a store error. */
static int meta_refs(store *st, const json_t *m, char *why, size_t whylen)
{
	const char *id = str(m, "id"), *s;
	char path[STORE_PATH_MAX];
	const json_t *x;
	size_t i;
	int rc;

	rc = doc_held(st, NULL, id, 0);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		snprintf(why, whylen,
		         "document '%s' is already published here "
		         "(documents/%s/meta.json); a revision is a new document "
		         "with its own id", id, id);
		return 1;
	}
	if ((s = str(m, "interprets")) != NULL) {
		rc = doc_held(st, NULL, s, 1);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			snprintf(why, whylen,
			         "interprets: '%s' is not a published document of this "
			         "node; publish the policy first", s);
			return 1;
		}
	}
	json_array_foreach(json_object_get(m, "catalog_items"), i, x) {
		snprintf(path, sizeof(path), "catalog/%s.json",
		         json_string_value(x));
		rc = record_exists(st, NULL, path);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			snprintf(why, whylen,
			         "catalog_items: '%s' is not in this node's catalog "
			         "(catalog/%s.json)", json_string_value(x),
			         json_string_value(x));
			return 1;
		}
	}
	json_array_foreach(json_object_get(m, "tasks"), i, x) {
		store_head *heads = NULL;
		size_t n = 0, j;
		int found = 0;

		snprintf(path, sizeof(path), "tasks/%s.json", json_string_value(x));
		rc = store_heads_list(st, &heads, &n);
		if (rc != 0)
			return rc;
		for (j = 0; j < n && !found; j++) {
			rc = record_exists(st, heads[j].own ? NULL : heads[j].id, path);
			if (rc < 0) {
				free(heads);
				return rc;
			}
			found = rc;
		}
		free(heads);
		if (!found) {
			snprintf(why, whylen,
			         "tasks: '%s' is not a task of this node or of a node "
			         "held here (tasks/%s.json)", json_string_value(x),
			         json_string_value(x));
			return 1;
		}
	}
	return 0;
}

/* The bytes a review signature covers (store_review_bytes). */
static int review_bytes(const json_t *m, char **out, size_t *outlen)
{
	char *s = json_dumps(m, JSON_COMPACT);
	int rc;

	if (s == NULL)
		return STORE_ENOMEM;
	rc = store_review_bytes(s, strlen(s), out, outlen);
	free(s);
	return rc;
}

/* Does the signature verify over `msg`? With `want`, it must be that
 * key's. 0 yes; -1 no (why); the signer's key goes to `signer`. */
static int sig_check(const json_t *r, const char *msg, size_t msglen,
                     const keys_public *want, keys_public *signer, char *why,
                     size_t whylen)
{
	unsigned char raw[KEYS_SSHSIG_MAX];
	const char *b64 = str(r, "sig");
	char fa[KEYS_FINGERPRINT_MAX], fb[KEYS_FINGERPRINT_MAX];
	size_t rawlen;

	if (b64 == NULL ||
	    keys_b64_decode(raw, sizeof(raw), &rawlen, b64, strlen(b64)) != 0 ||
	    keys_sshsig_verify(signer, raw, rawlen, STORE_SIG_NS_REVIEW, msg,
	                       msglen) != 0) {
		snprintf(why, whylen,
		         "the %s signature of '%s' does not verify over this "
		         "document: the metadata changed after it was signed (make "
		         "a new draft and collect the three signatures again)",
		         str(r, "role") ?: "?", str(r, "person") ?: "?");
		return -1;
	}
	if (want && !keys_public_equal(signer, want)) {
		keys_public_fingerprint(fa, signer);
		keys_public_fingerprint(fb, want);
		snprintf(why, whylen,
		         "the %s signature was made with the key %s, not with "
		         "'%s''s key %s", str(r, "role"), fa, str(r, "person"), fb);
		return -1;
	}
	return 0;
}

/*
 * One review against people/ of `node`'s history (NULL = own), as the
 * store judges it: the person is there, holds the role, was valid and not
 * revoked at the review's time, and their key made the signature.
 * 0 verified; 1 not, with why; <0 a store error. `name` gets the person's
 * name when known.
 */
static int review_verify(store *st, const char *node, const json_t *r,
                         const char *msg, size_t msglen, char *name,
                         size_t namelen, char *why, size_t whylen)
{
	const char *role = str(r, "role"), *pid = str(r, "person"), *kl;
	char path[STORE_PATH_MAX];
	json_t *p = NULL;
	const json_t *x, *rv;
	keys_public want, signer;
	int64_t at = time_field(r, "at");
	size_t i;
	int has_role = 0, rc;

	if (name && namelen)
		name[0] = '\0';
	snprintf(path, sizeof(path), "people/%s.json", pid);
	rc = record_json(st, node, path, &p);
	if (rc == STORE_ENOTFOUND) {
		snprintf(why, whylen,
		         "the %s '%s' is not one of this node's people (add them "
		         "with 'govfed person add')", role, pid);
		return 1;
	}
	if (rc != 0)
		return rc;
	if (name && namelen)
		snprintf(name, namelen, "%s", str(p, "name") ? str(p, "name") : "");
	json_array_foreach(json_object_get(p, "roles"), i, x)
		has_role |= strcmp(json_string_value(x), role) == 0;
	rc = 1;
	if (!has_role) {
		snprintf(why, whylen, "'%s' does not hold the role %s", pid, role);
		goto done;
	}
	if (at < time_field(p, "valid_from")) {
		snprintf(why, whylen,
		         "the %s review by '%s' is dated %s, before the person was "
		         "added (%s)", role, pid, str(r, "at"), str(p, "valid_from"));
		goto done;
	}
	rv = json_object_get(p, "revoked");
	if (rv && time_field(rv, "at") <= at) {
		snprintf(why, whylen,
		         "'%s' was revoked at %s, before the %s review (%s)", pid,
		         str(rv, "at"), role, str(r, "at"));
		goto done;
	}
	kl = str(p, "key");
	if (kl == NULL || keys_public_parse(&want, kl, strlen(kl), NULL, 0) != 0) {
		snprintf(why, whylen, "people/%s.json holds no usable key", pid);
		goto done;
	}
	if (sig_check(r, msg, msglen, &want, &signer, why, whylen) != 0)
		goto done;
	rc = 0;
done:
	json_decref(p);
	return rc;
}

/*
 * The three reviews of a document, as publishing needs them: one for each
 * role, three different people, in order (拟稿人, then 审核人, then 发布人),
 * none dated after `now`, each verified against this node's people/.
 * 0 all hold; 1 not (why); <0 a store error.
 */
static int reviews_check(store *st, const json_t *m, int64_t now, char *why,
                         size_t whylen)
{
	const json_t *rs = json_object_get(m, "review"), *r, *by[3] = { 0 };
	char *msg = NULL;
	size_t msglen, i;
	int rc;

	json_array_foreach(rs, i, r) {
		int k = role_index(str(r, "role"));
		if (k < 0)
			continue; /* the schema refused it already */
		if (by[k] != NULL) {
			snprintf(why, whylen, "the %s review is there twice (by '%s' "
			         "and '%s'); each role signs once", roles[k],
			         str(by[k], "person"), str(r, "person"));
			return 1;
		}
		by[k] = r;
	}
	for (int k = 0; k < 3; k++)
		if (by[k] == NULL) {
			snprintf(why, whylen,
			         "the %s review is missing: a document is published with "
			         "three signatures (三级审核: 拟稿人, 审核人, 发布人); the %s "
			         "signs with 'govfed doc sign --role %s'", roles[k],
			         roles[k], roles[k]);
			return 1;
		}
	for (int k = 0; k < 3; k++)
		for (int j = 0; j < k; j++)
			if (strcmp(str(by[k], "person"), str(by[j], "person")) == 0) {
				snprintf(why, whylen,
				         "'%s' signed both as %s and as %s; the three roles "
				         "are three different people",
				         str(by[k], "person"), roles[j], roles[k]);
				return 1;
			}
	for (int k = 1; k < 3; k++)
		if (time_field(by[k], "at") < time_field(by[k - 1], "at")) {
			snprintf(why, whylen,
			         "the %s review (%s) is dated before the %s review (%s); "
			         "三级审核 goes 拟稿人, 审核人, 发布人", roles[k],
			         str(by[k], "at"), roles[k - 1], str(by[k - 1], "at"));
			return 1;
		}
	for (int k = 0; k < 3; k++)
		if (time_field(by[k], "at") > now) {
			snprintf(why, whylen,
			         "the %s review is dated %s, after now; publish it once "
			         "that time has come", roles[k], str(by[k], "at"));
			return 1;
		}
	rc = review_bytes(m, &msg, &msglen);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return 1;
	}
	for (int k = 0; k < 3 && rc == 0; k++)
		rc = review_verify(st, NULL, by[k], msg, msglen, NULL, 0, why,
		                   whylen);
	free(msg);
	return rc;
}

/* ---- drafts ------------------------------------------------------------ */

/*
 * A draft file, JSON:
 *   { "govfed_draft": 1, "node": "<id>", "meta": { …, "review": [...] },
 *     "bodies": { "<file name>": "<absolute path>" } }
 */
static int draft_load(const char *path, json_t **out)
{
	json_t *d, *m, *b, *v;
	const char *k;
	int rc;

	rc = load_json_file(path, "draft", STORE_RECORD_MAX * 2, &d);
	if (rc != 0)
		return rc;
	m = json_object_get(d, "meta");
	b = json_object_get(d, "bodies");
	if (json_integer_value(json_object_get(d, "govfed_draft")) !=
	        DRAFT_VERSION ||
	    !json_is_object(m) || !json_is_object(b) ||
	    !store_id_valid(str(d, "node")) ||
	    !json_is_array(json_object_get(m, "review"))) {
		cli_err("'%s' is not a govfed draft (make one with 'govfed doc "
		        "draft')", path);
		json_decref(d);
		return EXIT_NO;
	}
	json_object_foreach(b, k, v)
		if (!json_is_string(v)) {
			cli_err("draft '%s': bodies.%s must be a path", path, k);
			json_decref(d);
			return EXIT_NO;
		}
	*out = d;
	return EXIT_OK;
}

static int draft_save(const json_t *d, const char *path)
{
	char *s = json_dumps(d, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = EXIT_OK;

	if (s == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	if (cli_write_file(path, s, strlen(s), 0644) != 0) {
		cli_err("cannot write draft '%s': %s", path, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	free(s);
	return rc;
}

static const char *media_type_of(const char *name)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".txt", "text/plain" },
		{ ".html", "text/html" },
		{ ".htm", "text/html" },
		{ ".pdf", "application/pdf" },
		{ ".ofd", "application/ofd" },
		{ ".doc", "application/msword" },
		{ ".docx", "application/vnd.openxmlformats-officedocument."
		           "wordprocessingml.document" },
		{ ".xls", "application/vnd.ms-excel" },
		{ ".xlsx", "application/vnd.openxmlformats-officedocument."
		           "spreadsheetml.sheet" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".zip", "application/zip" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t e = strlen(t[i].ext);
		if (n > e && strcasecmp(name + n - e, t[i].ext) == 0)
			return t[i].type;
	}
	return NULL;
}

/* Reads one body file named in a draft and checks it against the
 * metadata's entry. EXIT_OK with the bytes, or the exit code. */
static int body_read(const char *name, const char *path, const json_t *entry,
                     char **data, size_t *len)
{
	char hex[65];
	int rc;

	rc = cli_read_file(path, STORE_BLOB_MAX, "body file", data, len);
	if (rc != 0)
		return rc;
	keys_sha256_hex(hex, *data, *len);
	if (entry == NULL || strcmp(hex, str(entry, "sha256") ?: "") != 0 ||
	    json_integer_value(json_object_get(entry, "size")) !=
	        (json_int_t)*len) {
		cli_err("body file '%s' (%s) is not the file the draft lists "
		        "(sha256 %.16s…, %zu bytes): it changed after the draft was "
		        "made; make a new draft", name, path, hex, *len);
		free(*data);
		*data = NULL;
		return EXIT_NO;
	}
	return EXIT_OK;
}

static const json_t *file_entry(const json_t *m, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(m, "files"), i, f)
		if (strcmp(str(f, "name"), name) == 0)
			return f;
	return NULL;
}

/* ---- govfed person ------------------------------------------------------ */

static const char person_usage[] =
	"usage: govfed person add    --home DIR --id ID --name NAME --roles ROLES\n"
	"                            (--pubkey FILE.pub | --keygen OUT) [--json]\n"
	"       govfed person revoke --home DIR --id ID --reason TEXT [--json]\n"
	"       govfed person list   --home DIR [--node ID] [--json]\n"
	"\n"
	"The people who review this node's documents (三级审核), certified by\n"
	"the node's signed history as people/<id>.json.\n"
	"\n"
	"add     ID is 1-64 of A-Z a-z 0-9 . _ - (e.g. lin.wei); ROLES is a\n"
	"        comma-separated subset of 拟稿人, 审核人, 发布人. The person's\n"
	"        key: --pubkey an OpenSSH ssh-ed25519 public key file they made,\n"
	"        or --keygen OUT to make the pair here (OUT, mode 0600, and\n"
	"        OUT.pub; hand OUT to the person and delete it here). A person's\n"
	"        key never changes: a new key is a new person (and the old one\n"
	"        revoked).\n"
	"revoke  ends a person from now on: signatures they make later are\n"
	"        refused; what they signed before stays valid.\n"
	"list    this node's people (or a held node's with --node).\n";

/* "拟稿人,审核人" (or with ，) → a JSON array; -1 with why */
static int roles_parse(const char *s, json_t **out, char *why, size_t whylen)
{
	char buf[256], *tok, *save = NULL;
	int seen[3] = { 0 };
	json_t *a = json_array();

	snprintf(buf, sizeof(buf), "%s", s);
	/* accept the full-width comma too */
	for (char *p; (p = strstr(buf, "，")) != NULL;) {
		*p = ',';
		memmove(p + 1, p + 3, strlen(p + 3) + 1);
	}
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		int k = role_index(tok);
		if (k < 0) {
			snprintf(why, whylen,
			         "'%s' is not a role (拟稿人, 审核人 or 发布人)", tok);
			json_decref(a);
			return -1;
		}
		if (seen[k]++) {
			snprintf(why, whylen, "the role %s is named twice", tok);
			json_decref(a);
			return -1;
		}
	}
	for (int k = 0; k < 3; k++)
		if (seen[k])
			json_array_append_new(a, json_string(roles[k]));
	if (json_array_size(a) == 0) {
		snprintf(why, whylen, "no role given (拟稿人, 审核人, 发布人)");
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

typedef struct people_ctx {
	json_t *list;
	const keys_public *key; /* find an active person with this key */
	const char *found;      /* their id (borrowed from list) */
} people_ctx;

static int people_cb(void *ctx, const char *path, const char *data,
                     size_t len)
{
	people_ctx *pc = ctx;
	json_t *v = json_loadb(data, len, 0, NULL);
	keys_public k;
	const char *kl;

	(void)path;
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		return 0;
	}
	kl = str(v, "key");
	if (pc->key && !pc->found && kl && !json_object_get(v, "revoked") &&
	    keys_public_parse(&k, kl, strlen(kl), NULL, 0) == 0 &&
	    keys_public_equal(&k, pc->key))
		pc->found = str(v, "id");
	json_array_append_new(pc->list, v);
	return 0;
}

static int person_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "name", required_argument, NULL, 0 },
		{ "roles", required_argument, NULL, 0 },
		{ "pubkey", required_argument, NULL, 0 },
		{ "keygen", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *name = NULL, *rolestr = NULL;
	const char *pubfile = NULL, *keygen = NULL;
	char why[512], line[KEYS_PUBLIC_LINE_MAX], fp[KEYS_FINGERPRINT_MAX];
	char path[STORE_PATH_MAX], pubout[4200], ts[21], msg[512];
	char out[STORE_OID_HEX], *canon = NULL, *s = NULL;
	size_t clen;
	int idx, c, json = 0, rc, wrote_keys = 0, home_ok = 0;
	json_t *rl = NULL, *rec = NULL, *hit = NULL;
	keys_public pk;
	keys_secret *sk = NULL;
	people_ctx pc = { 0 };
	store_change ch;
	node_home h;

	while ((c = cli_getopt("person add", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: name = optarg; break;
		case 3: rolestr = optarg; break;
		case 4: pubfile = optarg; break;
		case 5: keygen = optarg; break;
		case 6: json = 1; break;
		case 7: fputs(person_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !name || !rolestr)
		return cli_usage("person add",
		                 "--home, --id, --name and --roles are required");
	if (!pubfile == !keygen)
		return cli_usage("person add",
		                 "give the person's key: --pubkey FILE.pub, or "
		                 "--keygen OUT to make one");
	if (!id_ok(id))
		return cli_usage("person add",
		                 "--id '%s' must be 1-64 of A-Z a-z 0-9 . _ -, "
		                 "starting with a letter or digit", id);
	if (roles_parse(rolestr, &rl, why, sizeof(why)) != 0)
		return cli_usage("person add", "--roles: %s", why);
	if (pubfile) {
		if (access(pubfile, F_OK) != 0) {
			cli_err("--pubkey '%s': %s", pubfile, strerror(errno));
			json_decref(rl);
			return EXIT_NO;
		}
		rc = keys_public_load(&pk, pubfile, why, sizeof(why));
		if (rc != 0) {
			cli_err("--pubkey '%s': %s", pubfile, why);
			json_decref(rl);
			return rc == KEYS_EIO ? EXIT_RUNTIME : EXIT_NO;
		}
	} else {
		snprintf(pubout, sizeof(pubout), "%s.pub", keygen);
		if (access(keygen, F_OK) == 0 || access(pubout, F_OK) == 0) {
			cli_err("'%s' or '%s' exists already; choose another --keygen "
			        "path (a key file is never overwritten)", keygen, pubout);
			json_decref(rl);
			return EXIT_NO;
		}
		if (keys_secret_generate(&sk) != 0) {
			cli_err("cannot generate a key");
			json_decref(rl);
			return EXIT_RUNTIME;
		}
		pk = *keys_secret_public(sk);
	}
	keys_public_format(line, sizeof(line), &pk, NULL);
	keys_public_fingerprint(fp, &pk);

	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		goto done;
	home_ok = 1;
	now_text(ts);
	rec = json_pack("{s:s,s:s,s:s,s:O,s:s,s:s}", "id", id, "name", name,
	                "node", h.cfg.id, "roles", rl, "key", line, "valid_from",
	                ts);
	s = json_dumps(rec, JSON_COMPACT);
	snprintf(path, sizeof(path), "people/%s.json", id);
	rc = store_record_prepare(&canon, &clen, path, s, strlen(s));
	if (rc != 0) {
		cli_err("person '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	rc = record_json(h.st, NULL, path, &hit);
	if (rc == 0) {
		cli_err("person '%s' exists already (%s, %s); a new key is a new "
		        "person id", id, path, str(hit, "name"));
		rc = EXIT_NO;
		goto done;
	}
	if (rc != STORE_ENOTFOUND) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	pc.list = json_array();
	pc.key = &pk;
	rc = store_record_foreach(h.st, NULL, "people/", people_cb, &pc);
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_err("cannot read people/: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (pc.found) {
		cli_err("the key %s is already '%s''s; every person signs with a "
		        "key of their own", fp, pc.found);
		rc = EXIT_NO;
		goto done;
	}
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	if (sk) {
		char kwhy[512];
		if (keys_secret_save(sk, keygen, id, 0, kwhy, sizeof(kwhy)) != 0) {
			cli_err("--keygen '%s': %s", keygen, kwhy);
			rc = EXIT_RUNTIME;
			goto done;
		}
		wrote_keys = 1;
		{
			char pl[KEYS_PUBLIC_LINE_MAX + 80];
			keys_public_format(pl, sizeof(pl) - 1, &pk, id);
			strcat(pl, "\n");
			if (cli_write_file(pubout, pl, strlen(pl), 0644) != 0) {
				cli_err("cannot write '%s': %s", pubout, strerror(errno));
				rc = EXIT_RUNTIME;
				goto done;
			}
		}
	}
	snprintf(msg, sizeof(msg), "person add %s %s (%s)", id, name, rolestr);
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h.st, h.sk, &ch, 1, msg, out);
	if (rc != 0) {
		cli_err("cannot add person '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	wrote_keys = 0; /* keep them: the person exists now */
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "person", id,
		                      "path", path, "commit", out, "key", line,
		                      "fingerprint", fp, "roles", rl);
		if (keygen)
			json_object_set_new(o, "secret_key", json_string(keygen));
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("added %s %s (%s) with key %s: commit %s\n", id, name,
		       rolestr, fp, out);
		if (keygen)
			printf("the key pair is %s and %s; hand %s to %s and remove it "
			       "here\n", keygen, pubout, keygen, name);
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	if (wrote_keys) {
		unlink(keygen);
		unlink(pubout);
	}
	keys_secret_free(sk);
	json_decref(pc.list);
	json_decref(hit);
	json_decref(rec);
	json_decref(rl);
	free(s);
	free(canon);
	if (home_ok)
		home_close(&h);
	return rc;
}

static int person_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "reason", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *reason = NULL;
	char path[STORE_PATH_MAX], ts[21], msg[600], out[STORE_OID_HEX];
	char *s = NULL, *canon = NULL;
	size_t clen;
	int idx, c, json = 0, rc;
	json_t *p = NULL;
	store_change ch;
	node_home h;

	while ((c = cli_getopt("person revoke", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: reason = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(person_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !reason)
		return cli_usage("person revoke",
		                 "--home, --id and --reason are required");
	if (!id_ok(id))
		return cli_usage("person revoke", "--id '%s' is not a person id",
		                 id);
	if (reason[0] == '\0')
		return cli_usage("person revoke", "--reason may not be empty");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "people/%s.json", id);
	rc = record_json(h.st, NULL, path, &p);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no person '%s' here (%s); 'govfed person list' shows "
		        "them", id, path);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json_object_get(p, "revoked")) {
		cli_err("'%s' was revoked already, at %s (%s)", id,
		        str(json_object_get(p, "revoked"), "at"),
		        str(json_object_get(p, "revoked"), "reason"));
		rc = EXIT_NO;
		goto done;
	}
	now_text(ts);
	if (store_now() < time_field(p, "valid_from")) {
		cli_err("now (%s) is before '%s' was added (%s); check the clock",
		        ts, id, str(p, "valid_from"));
		rc = EXIT_NO;
		goto done;
	}
	json_object_set_new(p, "revoked",
	                    json_pack("{s:s,s:s}", "at", ts, "reason", reason));
	s = json_dumps(p, JSON_COMPACT);
	rc = store_record_prepare(&canon, &clen, path, s, strlen(s));
	if (rc != 0) {
		cli_err("--reason: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	snprintf(msg, sizeof(msg), "person revoke %s: %.400s", id, reason);
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h.st, h.sk, &ch, 1, msg, out);
	if (rc != 0) {
		cli_err("cannot revoke '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "person", id, "path",
		                      path, "commit", out, "revoked_at", ts);
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("revoked %s at %s: commit %s\n", id, ts, out);
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	free(s);
	free(canon);
	json_decref(p);
	home_close(&h);
	return rc;
}

static int person_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *nodeid = NULL;
	int idx, c, json = 0, rc;
	people_ctx pc = { 0 };
	node_home h;

	while ((c = cli_getopt("person list", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: nodeid = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(person_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("person list", "--home is required");
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage("person list", "--node '%s' is not a division code",
		                 nodeid);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (nodeid && strcmp(nodeid, h.cfg.id) == 0)
		nodeid = NULL; /* the own history */
	pc.list = json_array();
	rc = store_record_foreach(h.st, nodeid, "people/", people_cb, &pc);
	if (rc == STORE_ENOTFOUND && nodeid) {
		cli_err("%s's history is not held here", nodeid);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_err("cannot read people/: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		print_json(pc.list, 1);
	} else {
		size_t i;
		json_t *p;
		json_array_foreach(pc.list, i, p) {
			char fp[KEYS_FINGERPRINT_MAX], rs[128] = "";
			const json_t *r, *rv = json_object_get(p, "revoked");
			size_t j;
			fingerprint_of(fp, str(p, "key"));
			json_array_foreach(json_object_get(p, "roles"), j, r) {
				if (j)
					strcat(rs, ",");
				strcat(rs, json_string_value(r));
			}
			put_padded(str(p, "id"), 20);
			putchar(' ');
			put_padded(str(p, "name"), 8);
			putchar(' ');
			put_padded(rs, 22);
			printf(" %s %s%s\n", fp, rv ? "revoked " : "active since ",
			       rv ? str(rv, "at") : str(p, "valid_from"));
		}
		fprintf(stderr, "%zu people\n", json_array_size(pc.list));
	}
	rc = EXIT_OK;
done:
	json_decref(pc.list);
	home_close(&h);
	return rc;
}

int cmd_person(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "add", person_add },
		{ "revoke", person_revoke },
		{ "list", person_list },
	};

	return cli_dispatch("person", person_usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}

/* ---- govfed doc ----------------------------------------------------------- */

static const char doc_usage[] =
	"usage: govfed doc draft    --home DIR --file META.json [--body FILE ...]\n"
	"                           --out DRAFT.json [--force] [--json]\n"
	"       govfed doc sign     --draft DRAFT.json --role ROLE --person ID\n"
	"                           --key PERSON.key [--at TIME] [--home DIR] [--json]\n"
	"       govfed doc publish  --home DIR --draft DRAFT.json [--json]\n"
	"       govfed doc show     --home DIR --id ID [--node ID] [--json]\n"
	"       govfed doc list     --home DIR [--node ID] [--overdue] [--json]\n"
	"       govfed doc retire   --home DIR --id ID --status 废止|失效|已修订\n"
	"                           --at DATE [--successor ID] [--note TEXT] [--json]\n"
	"       govfed doc withdraw --home DIR --id ID --reason TEXT [--json]\n"
	"\n"
	"A document is published after 三级审核: three people of this node\n"
	"(govfed person), one each as 拟稿人, 审核人 and 发布人, sign it.\n"
	"\n"
	"draft     validates META.json and writes a draft: the metadata, each\n"
	"          body file's name, SHA-256 and size, and where the bodies are.\n"
	"          META.json keys: id, title, issuer 发文机关, written 成文日期 and\n"
	"          published 发布日期 (YYYY-MM-DD), attribute 公开属性 (主动公开 |\n"
	"          依申请公开 | 不予公开, the last with attribute_reason {code,\n"
	"          text}); optional doc_no 文号, genre 文种, class (规章 |\n"
	"          行政规范性文件 | 其他公文 | 非公文信息), summary,\n"
	"          interpretation_required (a policy needing 解读), interprets\n"
	"          (the id of the document this one interprets), catalog_items\n"
	"          (area/id), tasks, validity (default {status: 有效}), ext.\n"
	"          The body files come from --body (their names are the file\n"
	"          names); review is added by 'doc sign'.\n"
	"sign      adds one review to the draft, in place: the reviewer signs\n"
	"          the metadata with their own key (namespace govfed-review).\n"
	"          In order: 拟稿人, then 审核人, then 发布人; each role once, each\n"
	"          by a different person. --at (UTC, 2020-09-10T08:00:00Z)\n"
	"          defaults to now. With --home the person, role and key are\n"
	"          checked against the node's people/.\n"
	"publish   commits meta.json and the body files in one signed commit,\n"
	"          once the three reviews verify against people/.\n"
	"show      one document with its reviews (who signed which role, when,\n"
	"          and whether the signature verifies), of this node or of a\n"
	"          held node.\n"
	"list      the documents. --overdue: policies (interpretation_required)\n"
	"          whose 解读 (a document that interprets them) was not published\n"
	"          within 3 working days, at this node and every held descendant.\n"
	"retire    changes only the validity 有效性: 废止 or 失效 from DATE, or\n"
	"          已修订 with the revising document as --successor.\n"
	"withdraw  撤回: the metadata stays as a tombstone with the reason; the\n"
	"          body files are removed in the same commit.\n";

static int doc_draft(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "body", required_argument, NULL, 0 },
		{ "out", required_argument, NULL, 0 },
		{ "force", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL, *outp = NULL;
	const char *bodies[BODIES_MAX];
	size_t nb = 0, total = 0;
	char why[1024];
	int idx, c, json = 0, force = 0, rc, home_ok = 0;
	json_t *m = NULL, *files = NULL, *bmap = NULL, *d = NULL;
	static const char *const not_input[] = { "review", "withdrawn", "files",
		                                 NULL };
	node_home h;

	while ((c = cli_getopt("doc draft", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2:
			if (nb == BODIES_MAX)
				return cli_usage("doc draft", "at most %d --body files",
				                 BODIES_MAX);
			bodies[nb++] = optarg;
			break;
		case 3: outp = optarg; break;
		case 4: force = 1; break;
		case 5: json = 1; break;
		case 6: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !file || !outp)
		return cli_usage("doc draft", "--home, --file and --out are required");
	if (!force && access(outp, F_OK) == 0) {
		cli_err("draft '%s' exists already; choose another --out or give "
		        "--force", outp);
		return EXIT_NO;
	}
	rc = load_json_file(file, "metadata file", STORE_RECORD_MAX, &m);
	if (rc != 0)
		return rc;
	for (const char *const *k = not_input; *k; k++)
		if (json_object_get(m, *k)) {
			cli_err("%s: remove '%s': %s", file, *k,
			        strcmp(*k, "files") == 0 ?
			            "body files are given with --body" :
			        strcmp(*k, "review") == 0 ?
			            "reviews are added by 'govfed doc sign'" :
			            "a document is withdrawn with 'govfed doc withdraw'");
			rc = EXIT_NO;
			goto done;
		}
	if (!json_object_get(m, "validity"))
		json_object_set_new(m, "validity",
		                    json_pack("{s:s}", "status", "有效"));
	files = json_array();
	bmap = json_object();
	for (size_t i = 0; i < nb; i++) {
		char *data = NULL, *real, hex[65];
		const char *base = strrchr(bodies[i], '/'), *mt;
		size_t len;
		json_t *f;

		base = base ? base + 1 : bodies[i];
		if (json_object_get(bmap, base)) {
			cli_err("--body '%s': a file named '%s' is given twice", bodies[i],
			        base);
			rc = EXIT_NO;
			goto done;
		}
		rc = cli_read_file(bodies[i], STORE_BLOB_MAX, "body file", &data,
		                   &len);
		if (rc != 0)
			goto done;
		keys_sha256_hex(hex, data, len);
		free(data);
		total += len;
		real = realpath(bodies[i], NULL);
		if (real == NULL) {
			cli_err("--body '%s': %s", bodies[i], strerror(errno));
			rc = EXIT_RUNTIME;
			goto done;
		}
		json_object_set_new(bmap, base, json_string(real));
		free(real);
		f = json_pack("{s:s,s:s,s:I}", "name", base, "sha256", hex, "size",
		              (json_int_t)len);
		if ((mt = media_type_of(base)) != NULL)
			json_object_set_new(f, "media_type", json_string(mt));
		json_array_append_new(files, f);
	}
	if (total > STORE_COMMIT_BYTES_MAX - STORE_RECORD_MAX) {
		cli_err("the body files come to %zu bytes; one commit carries at "
		        "most %d MiB: split the document", total,
		        STORE_COMMIT_BYTES_MAX / (1024 * 1024));
		rc = EXIT_NO;
		goto done;
	}
	json_object_set(m, "files", files);
	json_object_set_new(m, "review", json_array());
	if (meta_schema(m, NULL, NULL, why, sizeof(why)) != 0 ||
	    meta_rules(m, why, sizeof(why)) != 0) {
		cli_err("%s: %s", file, why);
		rc = EXIT_NO;
		goto done;
	}
	rc = home_open(&h, home, 0);
	if (rc != 0)
		goto done;
	home_ok = 1;
	rc = meta_refs(h.st, m, why, sizeof(why));
	if (rc != 0) {
		if (rc < 0)
			cli_err("cannot read the store: %s", store_errmsg());
		else
			cli_err("%s: %s", file, why);
		rc = rc < 0 ? cli_exit_for(rc) : EXIT_NO;
		goto done;
	}
	d = json_pack("{s:i,s:s,s:O,s:O}", "govfed_draft", DRAFT_VERSION, "node",
	              h.cfg.id, "meta", m, "bodies", bmap);
	rc = draft_save(d, outp);
	if (rc != 0)
		goto done;
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:O}", "draft", outp, "id",
		                      str(m, "id"), "files", files);
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("draft %s: %s %s, %zu body file%s\n", outp, str(m, "id"),
		       str(m, "title"), nb, nb == 1 ? "" : "s");
		printf("next: the 拟稿人, the 审核人 and the 发布人 each run 'govfed "
		       "doc sign --draft %s --role ROLE --person ID --key KEY'\n",
		       outp);
	}
	rc = EXIT_OK;
done:
	json_decref(d);
	json_decref(files);
	json_decref(bmap);
	json_decref(m);
	if (home_ok)
		home_close(&h);
	return rc;
}

static int doc_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "draft", required_argument, NULL, 0 },
		{ "role", required_argument, NULL, 0 },
		{ "person", required_argument, NULL, 0 },
		{ "key", required_argument, NULL, 0 },
		{ "at", required_argument, NULL, 0 },
		{ "home", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *dpath = NULL, *role = NULL, *pid = NULL, *keyfile = NULL;
	const char *atstr = NULL, *home = NULL, *k;
	char why[1024], ts[21], fp[KEYS_FINGERPRINT_MAX], b64[1024];
	unsigned char raw[KEYS_SSHSIG_MAX];
	char *msg = NULL;
	size_t msglen, rawlen, i;
	int idx, c, json = 0, rc, home_ok = 0, ri;
	int64_t at;
	json_t *d = NULL, *m, *rs, *r, *v, *nr = NULL;
	keys_secret *sk = NULL;
	keys_public signer;
	node_home h;

	while ((c = cli_getopt("doc sign", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: dpath = optarg; break;
		case 1: role = optarg; break;
		case 2: pid = optarg; break;
		case 3: keyfile = optarg; break;
		case 4: atstr = optarg; break;
		case 5: home = optarg; break;
		case 6: json = 1; break;
		case 7: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!dpath || !role || !pid || !keyfile)
		return cli_usage("doc sign",
		                 "--draft, --role, --person and --key are required");
	if ((ri = role_index(role)) < 0)
		return cli_usage("doc sign",
		                 "--role '%s' is not one of 拟稿人, 审核人, 发布人", role);
	if (!id_ok(pid))
		return cli_usage("doc sign", "--person '%s' is not a person id", pid);
	at = store_now();
	if (atstr && keys_time_parse(&at, atstr) != 0)
		return cli_usage("doc sign",
		                 "--at '%s' must be a UTC time like "
		                 "2020-09-10T08:00:00Z", atstr);
	keys_time_format(ts, at);
	rc = draft_load(dpath, &d);
	if (rc != 0)
		return rc;
	m = json_object_get(d, "meta");
	rs = json_object_get(m, "review");
	/* the draft still holds what the earlier reviewers signed */
	rc = review_bytes(m, &msg, &msglen);
	if (rc != 0) {
		cli_err("draft '%s': %s", dpath, store_errmsg());
		rc = EXIT_NO;
		goto done;
	}
	json_array_foreach(rs, i, r) {
		if (sig_check(r, msg, msglen, NULL, &signer, why, sizeof(why)) != 0) {
			cli_err("draft '%s': %s", dpath, why);
			rc = EXIT_NO;
			goto done;
		}
		if (strcmp(str(r, "role") ?: "", role) == 0) {
			cli_err("the %s review of this draft is signed already, by '%s' "
			        "at %s; each role signs once", role, str(r, "person"),
			        str(r, "at"));
			rc = EXIT_NO;
			goto done;
		}
		if (strcmp(str(r, "person") ?: "", pid) == 0) {
			cli_err("'%s' signed this draft already as %s; the three roles "
			        "are three different people", pid, str(r, "role"));
			rc = EXIT_NO;
			goto done;
		}
		if (time_field(r, "at") > at) {
			cli_err("--at %s is before the %s review (%s); 三级审核 goes "
			        "拟稿人, 审核人, 发布人", ts, str(r, "role"), str(r, "at"));
			rc = EXIT_NO;
			goto done;
		}
	}
	for (int j = 0; j < ri; j++) {
		int signed_ = 0;
		json_array_foreach(rs, i, r)
			signed_ |= strcmp(str(r, "role") ?: "", roles[j]) == 0;
		if (!signed_) {
			cli_err("the %s signs first: 三级审核 goes 拟稿人, 审核人, 发布人",
			        roles[j]);
			rc = EXIT_NO;
			goto done;
		}
	}
	/* the bodies the reviewer approves: those the draft lists */
	json_object_foreach(json_object_get(d, "bodies"), k, v) {
		char *data = NULL;
		size_t len;
		if (access(json_string_value(v), R_OK) != 0) {
			fprintf(stderr, "govfed: warning: body file '%s' is not here "
			        "(%s); you sign its SHA-256 from the draft\n", k,
			        json_string_value(v));
			continue;
		}
		rc = body_read(k, json_string_value(v), file_entry(m, k), &data,
		               &len);
		free(data);
		if (rc != 0)
			goto done;
	}
	rc = keys_secret_load(&sk, keyfile, why, sizeof(why));
	if (rc != 0) {
		cli_err("--key: %s", why);
		rc = rc == KEYS_EFORMAT ? EXIT_NO : EXIT_RUNTIME;
		goto done;
	}
	keys_public_fingerprint(fp, keys_secret_public(sk));
	if (home) {
		rc = home_open(&h, home, 0);
		if (rc != 0)
			goto done;
		home_ok = 1;
		if (strcmp(h.cfg.id, str(d, "node")) != 0) {
			cli_err("the draft was made for node %s, not for %s (this home)",
			        str(d, "node"), h.cfg.id);
			rc = EXIT_NO;
			goto done;
		}
	}
	rc = keys_sshsig_sign(raw, sizeof(raw), &rawlen, sk, STORE_SIG_NS_REVIEW,
	                      msg, msglen);
	if (rc != 0 || keys_b64_encode(b64, sizeof(b64), raw, rawlen) < 0) {
		cli_err("cannot sign: %s", keys_strerror(rc));
		rc = EXIT_RUNTIME;
		goto done;
	}
	nr = json_pack("{s:s,s:s,s:s,s:s}", "role", role, "person", pid, "at", ts,
	               "sig", b64);
	if (home_ok) {
		rc = review_verify(h.st, NULL, nr, msg, msglen, NULL, 0, why,
		                   sizeof(why));
		if (rc != 0) {
			if (rc < 0)
				cli_err("cannot read people/: %s", store_errmsg());
			else
				cli_err("%s", why);
			rc = rc < 0 ? cli_exit_for(rc) : EXIT_NO;
			goto done;
		}
	}
	json_array_append(rs, nr);
	rc = draft_save(d, dpath);
	if (rc != 0)
		goto done;
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "draft", dpath,
		                      "role", role, "person", pid, "at", ts, "key", fp,
		                      "reviews", (int)json_array_size(rs),
		                      "checked_against_people", home_ok);
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("signed %s as %s by %s (%s) at %s\n", str(m, "id"), role, pid,
		       fp, ts);
		if (json_array_size(rs) < 3)
			printf("next: the %s signs\n", roles[json_array_size(rs)]);
		else
			printf("all three reviews signed; publish with 'govfed doc "
			       "publish --home DIR --draft %s'\n", dpath);
	}
	rc = EXIT_OK;
done:
	json_decref(nr);
	keys_secret_free(sk);
	free(msg);
	json_decref(d);
	if (home_ok)
		home_close(&h);
	return rc;
}

static int doc_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "draft", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *dpath = NULL, *k, *id;
	char why[1024], mpath[STORE_PATH_MAX], cmsg[800], out[STORE_OID_HEX];
	char *canon = NULL, *bufs[BODIES_MAX] = { 0 };
	char paths[BODIES_MAX][STORE_PATH_MAX];
	store_change ch[BODIES_MAX + 1];
	size_t clen, n = 0, i;
	int idx, c, json = 0, rc, home_ok = 0;
	json_t *d = NULL, *m, *bodies, *f, *v;
	node_home h;

	while ((c = cli_getopt("doc publish", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: dpath = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !dpath)
		return cli_usage("doc publish", "--home and --draft are required");
	rc = draft_load(dpath, &d);
	if (rc != 0)
		return rc;
	m = json_object_get(d, "meta");
	bodies = json_object_get(d, "bodies");
	if (meta_schema(m, &canon, &clen, why, sizeof(why)) != 0 ||
	    meta_rules(m, why, sizeof(why)) != 0) {
		cli_err("draft '%s': %s", dpath, why);
		rc = EXIT_NO;
		goto done;
	}
	if (json_object_get(m, "withdrawn")) {
		cli_err("draft '%s': a document is not published withdrawn", dpath);
		rc = EXIT_NO;
		goto done;
	}
	id = str(m, "id");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		goto done;
	home_ok = 1;
	if (strcmp(h.cfg.id, str(d, "node")) != 0) {
		cli_err("the draft was made for node %s; publish it at %s's home, "
		        "not at %s", str(d, "node"), str(d, "node"), h.cfg.id);
		rc = EXIT_NO;
		goto done;
	}
	rc = meta_refs(h.st, m, why, sizeof(why));
	if (rc == 0)
		rc = reviews_check(h.st, m, store_now(), why, sizeof(why));
	if (rc != 0) {
		if (rc < 0)
			cli_err("cannot read the store: %s", store_errmsg());
		else
			cli_err("cannot publish '%s': %s", id, why);
		rc = rc < 0 ? cli_exit_for(rc) : EXIT_NO;
		goto done;
	}
	/* the body files: every listed one, exactly as listed */
	json_object_foreach(bodies, k, v)
		if (file_entry(m, k) == NULL) {
			cli_err("draft '%s': body '%s' is not listed in the metadata's "
			        "files", dpath, k);
			rc = EXIT_NO;
			goto done;
		}
	snprintf(mpath, sizeof(mpath), "documents/%s/meta.json", id);
	ch[n++] = (store_change){ mpath, canon, clen };
	json_array_foreach(json_object_get(m, "files"), i, f) {
		const char *name = str(f, "name");
		const char *bp = str(bodies, name);
		size_t len;
		if (bp == NULL) {
			cli_err("draft '%s': no body file for '%s'", dpath, name);
			rc = EXIT_NO;
			goto done;
		}
		rc = body_read(name, bp, f, &bufs[i], &len);
		if (rc != 0)
			goto done;
		snprintf(paths[i], sizeof(paths[i]), "documents/%s/files/%s", id,
		         name);
		ch[n++] = (store_change){ paths[i], bufs[i], len };
	}
	rc = home_ensure_genesis(&h);
	if (rc != 0)
		goto done;
	snprintf(cmsg, sizeof(cmsg), "doc publish %s %.300s", id,
	         str(m, "doc_no") ? str(m, "doc_no") : str(m, "title"));
	rc = store_commit(h.st, h.sk, ch, n, cmsg, out);
	if (rc != 0) {
		cli_err("cannot publish '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "id", id, "path", mpath,
		                      "commit", out, "files", (int)(n - 1));
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("published %s %s: commit %s (%s and %zu body file%s)\n",
		       id, str(m, "title"), out, mpath, n - 1, n == 2 ? "" : "s");
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	for (i = 0; i < BODIES_MAX; i++)
		free(bufs[i]);
	free(canon);
	json_decref(d);
	if (home_ok)
		home_close(&h);
	return rc;
}

/* The reviews of a published document, each with whether it verifies
 * against people/ of `node`'s history. */
static json_t *reviews_view(store *st, const char *node, const json_t *m)
{
	json_t *a = json_array();
	const json_t *r;
	char *msg = NULL, why[1024], name[160] = "";
	size_t msglen = 0, i;
	int have = review_bytes(m, &msg, &msglen) == 0;

	json_array_foreach(json_object_get(m, "review"), i, r) {
		int rc = have ? review_verify(st, node, r, msg, msglen, name,
		                              sizeof(name), why, sizeof(why))
		              : 1;
		json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "role", str(r, "role"),
		                      "person", str(r, "person"), "at", str(r, "at"),
		                      "verified", rc == 0);
		if (!have)
			snprintf(why, sizeof(why), "the metadata cannot be read");
		if (rc < 0)
			snprintf(why, sizeof(why), "%s", store_errmsg());
		if (have && name[0] != '\0')
			json_object_set_new(o, "name", json_string(name));
		if (rc != 0)
			json_object_set_new(o, "problem", json_string(why));
		json_array_append_new(a, o);
	}
	free(msg);
	return a;
}

static int doc_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *nodeid = NULL;
	char path[STORE_PATH_MAX], blob[STORE_OID_HEX], head[STORE_OID_HEX];
	int idx, c, json = 0, rc;
	json_t *m = NULL, *rv = NULL, *o = NULL;
	store_head hd;
	node_home h;

	while ((c = cli_getopt("doc show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: nodeid = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id)
		return cli_usage("doc show", "--home and --id are required");
	if (!id_ok(id))
		return cli_usage("doc show", "--id '%s' is not a document id", id);
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage("doc show", "--node '%s' is not a division code",
		                 nodeid);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (nodeid && strcmp(nodeid, h.cfg.id) == 0)
		nodeid = NULL; /* the own history */
	if (nodeid && store_head_get(h.st, nodeid, &hd) == STORE_ENOTFOUND) {
		cli_err("%s's history is not held here", nodeid);
		rc = EXIT_NO;
		goto done;
	}
	snprintf(path, sizeof(path), "documents/%s/meta.json", id);
	rc = record_json(h.st, nodeid, path, &m);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no document '%s' in %s's history", id,
		        nodeid ? nodeid : h.cfg.id);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	store_record_stat(h.st, nodeid, path, blob, head);
	rv = reviews_view(h.st, nodeid, m);
	o = json_pack("{s:s,s:s,s:s,s:O,s:O}", "node", nodeid ? nodeid : h.cfg.id,
	              "path", path, "head", head, "meta", m, "reviews", rv);
	{
		/* which body files the head holds */
		json_t *present = json_array(), *f;
		size_t i;
		json_array_foreach(json_object_get(m, "files"), i, f) {
			char fpath[STORE_PATH_MAX];
			snprintf(fpath, sizeof(fpath), "documents/%s/files/%s", id,
			         str(f, "name"));
			if (record_exists(h.st, nodeid, fpath) == 1)
				json_array_append_new(present, json_string(str(f, "name")));
		}
		json_object_set_new(o, "files_present", present);
	}
	json_object_set_new(o, "state",
	                    json_string(json_object_get(m, "withdrawn") ?
	                                    "withdrawn" : "published"));
	if (json) {
		print_json(o, 1);
	} else {
		const json_t *val = json_object_get(m, "validity"), *r, *f;
		const json_t *wd = json_object_get(m, "withdrawn");
		size_t i;
		printf("%s  %s\n", id, str(m, "title"));
		printf("node       %s\n", nodeid ? nodeid : h.cfg.id);
		if (str(m, "doc_no"))
			printf("文号       %s\n", str(m, "doc_no"));
		printf("发文机关   %s\n", str(m, "issuer"));
		printf("成文日期   %s\n", str(m, "written"));
		printf("发布日期   %s\n", str(m, "published"));
		printf("公开属性   %s", str(m, "attribute"));
		if (json_object_get(m, "attribute_reason"))
			printf(" (%s: %s)",
			       str(json_object_get(m, "attribute_reason"), "code"),
			       str(json_object_get(m, "attribute_reason"), "text"));
		printf("\n有效性     %s", str(val, "status"));
		if (str(val, "at"))
			printf(" from %s", str(val, "at"));
		if (str(val, "successor"))
			printf(", successor %s", str(val, "successor"));
		if (str(val, "note"))
			printf(" (%s)", str(val, "note"));
		printf("\n");
		if (str(m, "interprets"))
			printf("解读       of %s\n", str(m, "interprets"));
		if (json_is_true(json_object_get(m, "interpretation_required")))
			printf("解读       required (a policy)\n");
		if (wd)
			printf("撤回       withdrawn at %s: %s\n", str(wd, "at"),
			       str(wd, "reason"));
		json_array_foreach(rv, i, r) {
			printf("review     %s ", str(r, "role"));
			put_padded(str(r, "person"), 16);
			putchar(' ');
			put_padded(str(r, "name"), 8);
			printf(" %s  %s%s\n", str(r, "at"),
			       json_is_true(json_object_get(r, "verified")) ?
			           "verified" : "NOT VERIFIED: ",
			       str(r, "problem") ? str(r, "problem") : "");
		}
		json_array_foreach(json_object_get(m, "files"), i, f)
			printf("file       %s  %lld bytes  sha256 %s%s\n", str(f, "name"),
			       (long long)json_integer_value(json_object_get(f, "size")),
			       str(f, "sha256"), wd ? "  (removed)" : "");
	}
	rc = EXIT_OK;
done:
	json_decref(o);
	json_decref(rv);
	json_decref(m);
	home_close(&h);
	return rc;
}

/* ---- list and overdue ------------------------------------------------------ */

typedef struct docs_ctx {
	json_t *docs;   /* metas */
	int bad;
} docs_ctx;

static int docs_cb(void *ctx, const char *path, const char *data, size_t len)
{
	docs_ctx *dc = ctx;
	size_t n = strlen(path);
	json_t *v;

	/* documents/<id>/meta.json only (the walk also passes body files) */
	if (n < 10 || strcmp(path + n - 10, "/meta.json") != 0 ||
	    strchr(path + 10, '/') != path + n - 10)
		return 0;
	v = json_loadb(data, len, 0, NULL);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		dc->bad++;
		return 0;
	}
	json_array_append_new(dc->docs, v);
	return 0;
}

/* The documents of `node`'s history (NULL = own): a new array. */
static int docs_of(store *st, const char *node, json_t **out)
{
	docs_ctx dc = { json_array(), 0 };
	int rc = store_record_foreach(st, node, "documents/", docs_cb, &dc);

	if (rc == STORE_ENOTFOUND && node == NULL)
		rc = 0; /* no own history yet */
	if (rc != 0) {
		json_decref(dc.docs);
		return rc;
	}
	*out = dc.docs;
	return 0;
}

static json_t *doc_row(const char *node, const json_t *m)
{
	const json_t *val = json_object_get(m, "validity");
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "node", node, "id",
	                      str(m, "id"), "title", str(m, "title"), "published",
	                      str(m, "published"), "validity", str(val, "status"),
	                      "withdrawn",
	                      json_object_get(m, "withdrawn") != NULL);

	if (str(m, "doc_no"))
		json_object_set_new(o, "doc_no", json_string(str(m, "doc_no")));
	if (str(m, "interprets"))
		json_object_set_new(o, "interprets", json_string(str(m, "interprets")));
	if (json_is_true(json_object_get(m, "interpretation_required")))
		json_object_set_new(o, "interpretation_required", json_true());
	return o;
}

static int doc_list_plain(node_home *h, const char *nodeid, int json)
{
	json_t *docs = NULL, *rows = json_array(), *m;
	const char *node = nodeid ? nodeid : h->cfg.id;
	size_t i;
	int rc;

	rc = docs_of(h->st, nodeid, &docs);
	if (rc == STORE_ENOTFOUND) {
		cli_err("%s's history is not held here", nodeid);
		json_decref(rows);
		return EXIT_NO;
	}
	if (rc != 0) {
		cli_err("cannot read documents/: %s", store_errmsg());
		json_decref(rows);
		return cli_exit_for(rc);
	}
	json_array_foreach(docs, i, m)
		json_array_append_new(rows, doc_row(node, m));
	if (json) {
		print_json(rows, 1);
	} else {
		json_t *r;
		json_array_foreach(rows, i, r) {
			const char *state = json_is_true(json_object_get(r, "withdrawn")) ?
			                        "撤回" : str(r, "validity");
			put_padded(str(r, "id"), 24);
			printf(" %s  ", str(r, "published"));
			put_padded(state, 6);
			printf(" %s%s%s\n", str(r, "doc_no") ? str(r, "doc_no") : "",
			       str(r, "doc_no") ? " " : "", str(r, "title"));
		}
		fprintf(stderr, "%zu document%s\n", json_array_size(rows),
		        json_array_size(rows) == 1 ? "" : "s");
	}
	json_decref(rows);
	json_decref(docs);
	return EXIT_OK;
}

/* Is `node` below `own` (its parent, its parent's parent, ...), as the
 * node.json records held here say? */
static int is_descendant(store *st, const char *own, const char *node)
{
	char id[KEYS_ID_MAX + 1];
	store_identity ident;

	snprintf(id, sizeof(id), "%s", node);
	for (int i = 0; i < DESCENT_MAX; i++) {
		if (store_identity_get(st, id, &ident) != 0 ||
		    ident.parent[0] == '\0')
			return 0;
		if (strcmp(ident.parent, own) == 0)
			return 1;
		snprintf(id, sizeof(id), "%s", ident.parent);
	}
	return 0;
}

/* The overdue 解读 of one history into `rows`. */
static int overdue_of(store *st, const char *node, const char *name,
                      const calendar *cal, int32_t now, json_t *rows,
                      int *uncovered)
{
	json_t *docs = NULL, *m, *x;
	size_t i, j;
	int rc;

	rc = docs_of(st, node, &docs);
	if (rc != 0)
		return rc;
	json_array_foreach(docs, i, m) {
		int32_t pub = date_field(m, "published"), due, first = 0, late;
		const char *by = NULL;
		char dd[11], fd[11];
		int unc = 0;
		json_t *o;

		if (!json_is_true(json_object_get(m, "interpretation_required")) ||
		    json_object_get(m, "withdrawn") || pub == 0)
			continue;
		due = clock_interp_due(cal, pub, &unc);
		/* the earliest 解读 of it still standing */
		json_array_foreach(docs, j, x) {
			int32_t d = date_field(x, "published");
			if (str(x, "interprets") == NULL ||
			    strcmp(str(x, "interprets"), str(m, "id")) != 0 ||
			    json_object_get(x, "withdrawn") || d == 0)
				continue;
			if (first == 0 || d < first) {
				first = d;
				by = str(x, "id");
			}
		}
		if (first != 0 ? first <= due : now <= due)
			continue; /* on time, or not due yet */
		*uncovered |= unc;
		late = calendar_workdays_between(cal, due, first ? first : now);
		date_format(dd, due);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "node", name, "id",
		              str(m, "id"), "title", str(m, "title"), "published",
		              str(m, "published"), "due", dd, "status",
		              first ? "late" : "missing", "workdays_late", late);
		if (str(m, "doc_no"))
			json_object_set_new(o, "doc_no", json_string(str(m, "doc_no")));
		if (first) {
			date_format(fd, first);
			json_object_set_new(o, "interpreted", json_string(fd));
			json_object_set_new(o, "interpretation", json_string(by));
		} else {
			json_object_set_new(o, "interpreted", json_null());
		}
		json_array_append_new(rows, o);
	}
	json_decref(docs);
	return 0;
}

/* doc list --overdue: at this node and every held descendant (or only at
 * --node). */
static int doc_list_overdue(node_home *h, const char *nodeid, int json)
{
	store_head *heads = NULL;
	size_t n = 0;
	calendar cal;
	json_t *rows = json_array(), *r;
	int32_t now = clock_today();
	char why[512];
	int uncovered = 0, rc;
	size_t i;

	calendar_init(&cal);
	rc = clock_calendar_load(h->st, &cal, why, sizeof(why));
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_err("cannot read the province's calendar: %s", why);
		rc = cli_exit_for(rc);
		goto done;
	}
	if (nodeid) {
		store_head hd;
		if (strcmp(nodeid, h->cfg.id) != 0 &&
		    store_head_get(h->st, nodeid, &hd) == STORE_ENOTFOUND) {
			cli_err("%s's history is not held here", nodeid);
			rc = EXIT_NO;
			goto done;
		}
		rc = overdue_of(h->st, strcmp(nodeid, h->cfg.id) ? nodeid : NULL,
		                nodeid, &cal, now, rows, &uncovered);
	} else {
		rc = store_heads_list(h->st, &heads, &n);
		for (i = 0; rc == 0 && i < n; i++) {
			if (!heads[i].own && !is_descendant(h->st, h->cfg.id, heads[i].id))
				continue;
			rc = overdue_of(h->st, heads[i].own ? NULL : heads[i].id,
			                heads[i].own ? h->cfg.id : heads[i].id, &cal, now,
			                rows, &uncovered);
		}
		if (rc == STORE_ENOTFOUND)
			rc = 0; /* no own history yet */
	}
	if (rc != 0) {
		cli_err("cannot read documents/: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (uncovered)
		fprintf(stderr, "govfed: warning: the province's calendar does not "
		        "cover every year involved; Monday to Friday was assumed "
		        "there\n");
	if (json) {
		print_json(rows, 1);
	} else {
		json_array_foreach(rows, i, r) {
			printf("%-12s ", str(r, "node"));
			put_padded(str(r, "id"), 24);
			printf(" published %s, 解读 due %s: ", str(r, "published"),
			       str(r, "due"));
			if (json_is_null(json_object_get(r, "interpreted")))
				printf("none yet, %d working days late",
				       (int)json_integer_value(json_object_get(r,
				                                               "workdays_late")));
			else
				printf("%s on %s, %d working days late",
				       str(r, "interpretation"), str(r, "interpreted"),
				       (int)json_integer_value(json_object_get(r,
				                                               "workdays_late")));
			printf("  %s\n", str(r, "title"));
		}
		fprintf(stderr, "%zu overdue\n", json_array_size(rows));
	}
	rc = EXIT_OK;
done:
	free(heads);
	calendar_free(&cal);
	json_decref(rows);
	return rc;
}

static int doc_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "overdue", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *nodeid = NULL;
	int idx, c, json = 0, overdue = 0, rc;
	node_home h;

	while ((c = cli_getopt("doc list", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: nodeid = optarg; break;
		case 2: overdue = 1; break;
		case 3: json = 1; break;
		case 4: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("doc list", "--home is required");
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage("doc list", "--node '%s' is not a division code",
		                 nodeid);
	rc = home_open(&h, home, 0);
	if (rc != 0)
		return rc;
	if (nodeid && strcmp(nodeid, h.cfg.id) == 0 && !overdue)
		nodeid = NULL; /* the own history */
	rc = overdue ? doc_list_overdue(&h, nodeid, json)
	             : doc_list_plain(&h, nodeid, json);
	home_close(&h);
	return rc;
}

/* ---- retire and withdraw ------------------------------------------------- */

static int doc_retire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "status", required_argument, NULL, 0 },
		{ "at", required_argument, NULL, 0 },
		{ "successor", required_argument, NULL, 0 },
		{ "note", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *status = NULL, *at = NULL;
	const char *succ = NULL, *note = NULL;
	char path[STORE_PATH_MAX], why[1024], cmsg[600], out[STORE_OID_HEX];
	char *canon = NULL;
	size_t clen;
	int32_t day;
	int idx, c, json = 0, rc;
	json_t *m = NULL, *val = NULL;
	store_change ch;
	node_home h;

	while ((c = cli_getopt("doc retire", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: status = optarg; break;
		case 3: at = optarg; break;
		case 4: succ = optarg; break;
		case 5: note = optarg; break;
		case 6: json = 1; break;
		case 7: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !status || !at)
		return cli_usage("doc retire",
		                 "--home, --id, --status and --at are required");
	if (!id_ok(id))
		return cli_usage("doc retire", "--id '%s' is not a document id", id);
	if (strcmp(status, "废止") && strcmp(status, "失效") &&
	    strcmp(status, "已修订"))
		return cli_usage("doc retire",
		                 "--status '%s' must be 废止, 失效 or 已修订", status);
	if (date_parse(&day, at) != 0)
		return cli_usage("doc retire",
		                 "--at '%s' must be a date like 2024-01-01", at);
	if (succ && !id_ok(succ))
		return cli_usage("doc retire",
		                 "--successor '%s' is not a document id", succ);
	if (!strcmp(status, "已修订") && !succ)
		return cli_usage("doc retire",
		                 "已修订 names the revising document: --successor ID");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "documents/%s/meta.json", id);
	rc = record_json(h.st, NULL, path, &m);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no document '%s' here ('govfed doc list' shows them)", id);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json_object_get(m, "withdrawn")) {
		cli_err("document '%s' was withdrawn (撤回) at %s; a tombstone does "
		        "not change", id,
		        str(json_object_get(m, "withdrawn"), "at"));
		rc = EXIT_NO;
		goto done;
	}
	if (succ) {
		rc = doc_held(h.st, NULL, succ, 1);
		if (rc <= 0) {
			if (rc < 0)
				cli_err("cannot read the store: %s", store_errmsg());
			else
				cli_err("--successor '%s' is not a published document of "
				        "this node; publish it first", succ);
			rc = rc < 0 ? cli_exit_for(rc) : EXIT_NO;
			goto done;
		}
	}
	val = json_pack("{s:s,s:s}", "status", status, "at", at);
	if (succ)
		json_object_set_new(val, "successor", json_string(succ));
	if (note)
		json_object_set_new(val, "note", json_string(note));
	if (json_equal(val, json_object_get(m, "validity"))) {
		if (json)
			printf("{\"id\":\"%s\",\"commit\":null,\"unchanged\":true}\n", id);
		else
			printf("unchanged: %s is %s from %s already\n", id, status, at);
		rc = EXIT_OK;
		goto done;
	}
	json_object_set(m, "validity", val);
	if (meta_schema(m, &canon, &clen, why, sizeof(why)) != 0 ||
	    meta_rules(m, why, sizeof(why)) != 0) {
		cli_err("cannot retire '%s': %s", id, why);
		rc = EXIT_NO;
		goto done;
	}
	snprintf(cmsg, sizeof(cmsg), "doc retire %s: %s %s%s%s", id, status, at,
	         succ ? " successor " : "", succ ? succ : "");
	ch = (store_change){ path, canon, clen };
	rc = store_commit(h.st, h.sk, &ch, 1, cmsg, out);
	if (rc != 0) {
		cli_err("cannot retire '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:O,s:b}", "id", id, "commit", out,
		                      "validity", val, "unchanged", 0);
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("%s is %s from %s%s%s: commit %s\n", id, status, at,
		       succ ? ", successor " : "", succ ? succ : "", out);
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(val);
	json_decref(m);
	home_close(&h);
	return rc;
}

static int doc_withdraw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "id", required_argument, NULL, 0 },
		{ "reason", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *id = NULL, *reason = NULL;
	char path[STORE_PATH_MAX], why[1024], cmsg[600], out[STORE_OID_HEX], ts[21];
	char *canon = NULL, paths[BODIES_MAX][STORE_PATH_MAX];
	store_change ch[BODIES_MAX + 1];
	size_t clen, n = 0, i;
	int idx, c, json = 0, rc;
	json_t *m = NULL, *f;
	node_home h;

	while ((c = cli_getopt("doc withdraw", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: id = optarg; break;
		case 2: reason = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(doc_usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !id || !reason)
		return cli_usage("doc withdraw",
		                 "--home, --id and --reason are required");
	if (!id_ok(id))
		return cli_usage("doc withdraw", "--id '%s' is not a document id",
		                 id);
	if (reason[0] == '\0')
		return cli_usage("doc withdraw", "--reason may not be empty");
	rc = home_open(&h, home, HOME_KEY);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "documents/%s/meta.json", id);
	rc = record_json(h.st, NULL, path, &m);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no document '%s' here ('govfed doc list' shows them)", id);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json_object_get(m, "withdrawn")) {
		cli_err("document '%s' was withdrawn already, at %s", id,
		        str(json_object_get(m, "withdrawn"), "at"));
		rc = EXIT_NO;
		goto done;
	}
	now_text(ts);
	json_object_set_new(m, "withdrawn",
	                    json_pack("{s:s,s:s}", "at", ts, "reason", reason));
	if (meta_schema(m, &canon, &clen, why, sizeof(why)) != 0) {
		cli_err("cannot withdraw '%s': %s", id, why);
		rc = EXIT_NO;
		goto done;
	}
	ch[n++] = (store_change){ path, canon, clen };
	json_array_foreach(json_object_get(m, "files"), i, f) {
		if (i >= BODIES_MAX)
			break;
		snprintf(paths[i], sizeof(paths[i]), "documents/%s/files/%s", id,
		         str(f, "name"));
		rc = record_exists(h.st, NULL, paths[i]);
		if (rc < 0) {
			cli_err("cannot read %s: %s", paths[i], store_errmsg());
			rc = cli_exit_for(rc);
			goto done;
		}
		if (rc == 1)
			ch[n++] = (store_change){ paths[i], NULL, 0 };
	}
	snprintf(cmsg, sizeof(cmsg), "doc withdraw %s: %.400s", id, reason);
	rc = store_commit(h.st, h.sk, ch, n, cmsg, out);
	if (rc != 0) {
		cli_err("cannot withdraw '%s': %s", id, store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "id", id, "commit", out,
		                      "withdrawn_at", ts, "files_removed",
		                      (int)(n - 1));
		print_json(o, 0);
		json_decref(o);
	} else {
		printf("withdrew %s at %s (%zu body file%s removed): commit %s\n", id,
		       ts, n - 1, n == 2 ? "" : "s", out);
	}
	home_maintain(&h);
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(m);
	home_close(&h);
	return rc;
}

int cmd_doc(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "draft", doc_draft },
		{ "sign", doc_sign },
		{ "publish", doc_publish },
		{ "show", doc_show },
		{ "list", doc_list },
		{ "retire", doc_retire },
		{ "withdraw", doc_withdraw },
	};

	return cli_dispatch("doc", doc_usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
