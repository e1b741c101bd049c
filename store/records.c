/*
 * records.c — which paths a node may write, the schema of each record and
 * the rules a change to it must keep. The writer (store_commit) and every
 * importer and auditor run exactly these checks, so a node cannot write
 * what its peers would refuse.
 */
#include "store_int.h"
#include "schema.h"

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

static int chk_commit_hex(const json_t *v, char *why, size_t whylen)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s);

	if (n != 40 || strspn(s, "0123456789abcdef") != n) {
		snprintf(why, whylen, "must be a commit id (40 lower-case hex)");
		return -1;
	}
	return 0;
}

int store_path_component_ok(const char *s, size_t len)
{
	if (len == 0 || len > 96 || s[0] == '.' || s[0] == ' ' ||
	    s[len - 1] == ' ')
		return 0;
	if (store_utf8_invalid_at((const unsigned char *)s, len) != (size_t)-1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' ||
		    c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
		    c == '|')
			return 0;
	}
	return 1;
}

int store_item_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

/* ---- schemas ------------------------------------------------------------ */

static const char *const levels[] = { "province", "city", "district",
	                              "township", "village", NULL };

static const sch_field node_fields[] = {
	{ "id", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "level", SCH_STR, SCH_REQ, 0, levels, NULL, NULL },
	{ "name", SCH_STR, SCH_REQ | SCH_NONEMPTY, STORE_NAME_MAX - 1, NULL, NULL,
	  NULL },
	{ "parent", SCH_STR, SCH_REQ | SCH_NULL, 12, NULL, chk_id, NULL },
	{ "key", SCH_STR, SCH_REQ, KEYS_PUBLIC_LINE_MAX, NULL, chk_key, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema node_schema = { "node.json", node_fields };

static const sch_field rotation_fields[] = {
	{ "type", SCH_STR, SCH_REQ, 0, (const char *const[]){ "rotation", NULL },
	  NULL, NULL },
	{ "node", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "old", SCH_STR, SCH_REQ, KEYS_PUBLIC_LINE_MAX, NULL, chk_key, NULL },
	{ "new", SCH_STR, SCH_REQ, KEYS_PUBLIC_LINE_MAX, NULL, chk_key, NULL },
	{ "at", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "sig_old", SCH_STR, SCH_REQ, 1024, NULL, chk_sig, NULL },
	{ "sig_new", SCH_STR, SCH_REQ, 1024, NULL, chk_sig, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema rotation_schema = { "keys.json rotation",
	                                    rotation_fields };
static const sch_field keys_fields[] = {
	{ "rotations", SCH_OBJARR, SCH_REQ, 10000, NULL, NULL, &rotation_schema },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema keys_schema = { "keys.json", keys_fields };

static const sch_field cert_fields[] = {
	{ "type", SCH_STR, SCH_REQ, 0, (const char *const[]){ "cert", NULL },
	  NULL, NULL },
	{ "child", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "parent", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "level", SCH_STR, SCH_REQ, 0, levels, NULL, NULL },
	{ "name", SCH_STR, SCH_REQ | SCH_NONEMPTY, STORE_NAME_MAX - 1, NULL, NULL,
	  NULL },
	{ "key", SCH_STR, SCH_REQ, KEYS_PUBLIC_LINE_MAX, NULL, chk_key, NULL },
	{ "valid_from", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "valid_until", SCH_STR, 0, 20, NULL, chk_time, NULL },
	{ "sig", SCH_STR, SCH_REQ, 1024, NULL, chk_sig, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema cert_schema = { "certificate", cert_fields };

static const sch_field revoke_fields[] = {
	{ "type", SCH_STR, SCH_REQ, 0, (const char *const[]){ "revoke", NULL },
	  NULL, NULL },
	{ "child", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "parent", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "at", SCH_STR, SCH_REQ, 20, NULL, chk_time, NULL },
	{ "reason", SCH_STR, SCH_REQ | SCH_NONEMPTY, 512, NULL, NULL, NULL },
	{ "last_good", SCH_STR, 0, 40, NULL, chk_commit_hex, NULL },
	{ "sig", SCH_STR, SCH_REQ, 1024, NULL, chk_sig, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema revoke_schema = { "revocation", revoke_fields };

static int chk_events(const json_t *v, char *why, size_t whylen)
{
	size_t i;
	json_t *e;

	json_array_foreach(v, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const sch_schema *s;
		char inner[400];

		if (type && strcmp(type, "cert") == 0)
			s = &cert_schema;
		else if (type && strcmp(type, "revoke") == 0)
			s = &revoke_schema;
		else {
			snprintf(why, whylen, "item %zu: 'type' must be cert or revoke",
			         i + 1);
			return -1;
		}
		if (sch_validate(s, e, inner, sizeof(inner))) {
			snprintf(why, whylen, "item %zu: %s", i + 1, inner);
			return -1;
		}
	}
	return 0;
}

static const sch_field certs_fields[] = {
	{ "child", SCH_STR, SCH_REQ, 12, NULL, chk_id, NULL },
	{ "events", SCH_OBJARR, SCH_REQ | SCH_NONEMPTY, 10000, NULL, chk_events,
	  NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};
static const sch_schema certs_schema = { "certificates", certs_fields };

/* ---- paths ---------------------------------------------------------------- */

/* The number of '/'-separated components of `path`, and the first. */
static size_t components(const char *path, const char *prefix)
{
	size_t n = 1, plen = strlen(prefix);

	if (strncmp(path, prefix, plen) != 0)
		return 0;
	for (const char *p = path + plen; *p; p++)
		if (*p == '/')
			n++;
	return n;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

rec_kind rec_kind_of(const char *path)
{
	if (strcmp(path, "node.json") == 0)
		return REC_NODE;
	if (strcmp(path, "keys.json") == 0)
		return REC_KEYS;
	if (components(path, "certs/") == 1)
		return REC_CERTS;
	if (components(path, "catalog/") == 2)
		return REC_CATALOG;
	if (components(path, "people/") == 1 && ends_with(path, ".json"))
		return REC_PERSON;
	if (components(path, "documents/") == 2 && ends_with(path, "/meta.json"))
		return REC_DOC;
	if (components(path, "documents/") == 3 &&
	    strncmp(strchr(path + 10, '/'), "/files/", 7) == 0)
		return REC_DOCFILE;
	if (components(path, "tasks/") == 1 && ends_with(path, ".json"))
		return REC_TASK;
	if (components(path, "reports/") == 2 && ends_with(path, ".json"))
		return REC_REPORT;
	if (components(path, "calendar/") == 1 && ends_with(path, ".json"))
		return REC_CALENDAR;
	if (components(path, "requests/") == 1 && ends_with(path, ".json"))
		return REC_REQUEST;
	return REC_NONE;
}

/* "<stem>.json" → stem in out; 0 if the name does not end in .json */
static int json_stem(char *out, size_t outlen, const char *name)
{
	size_t n = strlen(name);

	if (n <= 5 || strcmp(name + n - 5, ".json") != 0 || n - 5 >= outlen)
		return 0;
	memcpy(out, name, n - 5);
	out[n - 5] = '\0';
	return 1;
}

/* ---- key state ------------------------------------------------------------- */

void rec_keystate_clear(rec_keystate *ks)
{
	free(ks->rotations);
	memset(ks, 0, sizeof(*ks));
}

static int parse_key(keys_public *out, const json_t *v)
{
	const char *s = json_string_value(v);

	return s ? keys_public_parse(out, s, strlen(s), NULL, 0) : KEYS_EFORMAT;
}

static int load_json_blob(git_repository *repo, const git_tree *tree,
                          const char *path, json_t **out, int *missing)
{
	git_blob *b = NULL;
	int rc;

	*missing = 0;
	rc = store_blob_at(repo, tree, path, &b);
	if (rc == STORE_ENOTFOUND) {
		*missing = 1;
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = store_json_parse(out, git_blob_rawcontent(b),
	                      (size_t)git_blob_rawsize(b), STORE_RECORD_MAX, path);
	git_blob_free(b);
	return rc;
}

int rec_tree_json(git_repository *repo, const git_tree *tree,
                  const char *path, json_t **out)
{
	int missing, rc;

	*out = NULL;
	rc = load_json_blob(repo, tree, path, out, &missing);
	if (rc == 0 && missing)
		*out = NULL;
	return rc;
}

int rec_keystate_load(git_repository *repo, const git_tree *tree,
                      rec_keystate *out, char *why, size_t whylen)
{
	json_t *node = NULL, *keys = NULL, *rots, *r;
	char sch[512];
	int missing, rc;
	size_t i;
	int64_t t;

	memset(out, 0, sizeof(*out));
	rc = load_json_blob(repo, tree, "node.json", &node, &missing);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return STORE_EREJECT;
	}
	if (missing)
		return 0;
	if (sch_validate(&node_schema, node, sch, sizeof(sch))) {
		snprintf(why, whylen, "%s", sch);
		rc = STORE_EREJECT;
		goto cleanup;
	}
	out->has_node = 1;
	snprintf(out->ident.id, sizeof(out->ident.id), "%s",
	         json_string_value(json_object_get(node, "id")));
	store_level_parse(&out->ident.level,
	                  json_string_value(json_object_get(node, "level")));
	snprintf(out->ident.name, sizeof(out->ident.name), "%s",
	         json_string_value(json_object_get(node, "name")));
	if (json_is_string(json_object_get(node, "parent")))
		snprintf(out->ident.parent, sizeof(out->ident.parent), "%s",
		         json_string_value(json_object_get(node, "parent")));
	parse_key(&out->ident.key, json_object_get(node, "key"));

	rc = load_json_blob(repo, tree, "keys.json", &keys, &missing);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		rc = STORE_EREJECT;
		goto cleanup;
	}
	if (missing)
		goto cleanup;
	if (sch_validate(&keys_schema, keys, sch, sizeof(sch))) {
		snprintf(why, whylen, "%s", sch);
		rc = STORE_EREJECT;
		goto cleanup;
	}
	rots = json_object_get(keys, "rotations");
	out->nrotations = json_array_size(rots);
	if (out->nrotations > 0) {
		out->rotations = calloc(out->nrotations, sizeof(*out->rotations));
		if (out->rotations == NULL) {
			rc = STORE_ENOMEM;
			goto cleanup;
		}
	}
	json_array_foreach(rots, i, r) {
		parse_key(&out->rotations[i].old_key, json_object_get(r, "old"));
		parse_key(&out->rotations[i].new_key, json_object_get(r, "new"));
		keys_time_parse(&t, json_string_value(json_object_get(r, "at")));
		out->rotations[i].at = t;
	}
cleanup:
	json_decref(node);
	json_decref(keys);
	if (rc != 0)
		rec_keystate_clear(out);
	return rc;
}

/* ---- signatures inside records ----------------------------------------------- */

int rec_signed_bytes(const json_t *obj, char **out, size_t *outlen)
{
	json_t *copy = json_deep_copy(obj);
	int rc;

	if (copy == NULL)
		return STORE_ENOMEM;
	json_object_del(copy, "sig");
	json_object_del(copy, "sig_old");
	json_object_del(copy, "sig_new");
	rc = store_json_canon(out, outlen, copy, 0);
	json_decref(copy);
	return rc;
}

/* Does the base64 SSHSIG in obj[field] verify over obj's signed bytes, in
 * namespace ns, by `want`? */
static int record_sig_ok(const json_t *obj, const char *field, const char *ns,
                         const keys_public *want)
{
	const char *b64 = json_string_value(json_object_get(obj, field));
	unsigned char raw[KEYS_SSHSIG_MAX];
	keys_public signer;
	char *msg = NULL;
	size_t rawlen, msglen;
	int ok = 0;

	if (b64 == NULL ||
	    keys_b64_decode(raw, sizeof(raw), &rawlen, b64, strlen(b64)) != 0)
		return 0;
	if (rec_signed_bytes(obj, &msg, &msglen) != 0)
		return 0;
	if (keys_sshsig_verify(&signer, raw, rawlen, ns, msg, msglen) == 0 &&
	    keys_public_equal(&signer, want))
		ok = 1;
	free(msg);
	return ok;
}

/* ---- the rules ----------------------------------------------------------------- */

static int canonical_ok(const char *data, size_t len, json_t **out,
                        const char *path, char *why, size_t whylen)
{
	char *canon = NULL;
	size_t clen;
	json_t *v = NULL;

	if (store_json_parse(&v, data, len, STORE_RECORD_MAX, path) != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return STORE_EREJECT;
	}
	if (store_json_canon(&canon, &clen, v, 1) != 0 || clen != len ||
	    memcmp(canon, data, len) != 0) {
		free(canon);
		json_decref(v);
		snprintf(why, whylen,
		         "%s is not in canonical form (sorted keys, two-space "
		         "indent, final newline)", path);
		return STORE_EREJECT;
	}
	free(canon);
	*out = v;
	return 0;
}

/* The elements of `old` must be the first elements of `new`, unchanged. */
static int append_only(const json_t *old, const json_t *new)
{
	size_t n = json_array_size(old);

	if (json_array_size(new) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!json_equal(json_array_get(old, i), json_array_get(new, i)))
			return 0;
	return 1;
}

static int level_of_id(store_level l, const char *id)
{
	size_t n = strlen(id);

	switch (l) {
	case STORE_LEVEL_PROVINCE:
	case STORE_LEVEL_CITY:
	case STORE_LEVEL_DISTRICT:
		return n == 6;
	case STORE_LEVEL_TOWNSHIP:
		return n == 9;
	case STORE_LEVEL_VILLAGE:
		return n == 12;
	}
	return 0;
}

static int check_node(const rec_ctx *cx, const json_t *old, const json_t *v,
                      char *why, size_t whylen)
{
	const char *id = json_string_value(json_object_get(v, "id"));
	const json_t *parent = json_object_get(v, "parent");
	store_level l;

	if (strcmp(id, cx->node) != 0) {
		snprintf(why, whylen, "node.json names node %s in %s's history", id,
		         cx->node);
		return STORE_EREJECT;
	}
	store_level_parse(&l, json_string_value(json_object_get(v, "level")));
	if (!level_of_id(l, id)) {
		snprintf(why, whylen,
		         "node.json: a %s's id has %s digits (got %s)",
		         store_level_name(l),
		         l == STORE_LEVEL_TOWNSHIP  ? "9"
		         : l == STORE_LEVEL_VILLAGE ? "12"
		                                    : "6",
		         id);
		return STORE_EREJECT;
	}
	if ((l == STORE_LEVEL_PROVINCE) != json_is_null(parent)) {
		snprintf(why, whylen,
		         "node.json: only the province has no parent");
		return STORE_EREJECT;
	}
	if (old != NULL) {
		static const char *const fixed[] = { "id", "level", "parent", NULL };
		for (const char *const *f = fixed; *f; f++)
			if (!json_equal(json_object_get(old, *f),
			                json_object_get(v, *f))) {
				snprintf(why, whylen,
				         "node.json: '%s' may not change once written", *f);
				return STORE_EREJECT;
			}
	}
	return 0;
}

static int check_keys(const rec_ctx *cx, const json_t *old, const json_t *v,
                      char *why, size_t whylen)
{
	const json_t *orots = old ? json_object_get(old, "rotations") : NULL;
	const json_t *nrots = json_object_get(v, "rotations");
	size_t nold = orots ? json_array_size(orots) : 0;
	const json_t *r;
	keys_public ko, kn;
	int64_t at;

	if (orots && !append_only(orots, nrots)) {
		snprintf(why, whylen,
		         "keys.json: earlier rotations may not change or be removed");
		return STORE_EREJECT;
	}
	if (json_array_size(nrots) == nold)
		return 0;
	if (json_array_size(nrots) != nold + 1) {
		snprintf(why, whylen, "keys.json: one rotation per commit");
		return STORE_EREJECT;
	}
	r = json_array_get(nrots, nold);
	if (strcmp(json_string_value(json_object_get(r, "node")), cx->node)) {
		snprintf(why, whylen, "keys.json: the rotation names another node");
		return STORE_EREJECT;
	}
	parse_key(&ko, json_object_get(r, "old"));
	parse_key(&kn, json_object_get(r, "new"));
	keys_time_parse(&at, json_string_value(json_object_get(r, "at")));
	if (!cx->before->has_node ||
	    !keys_public_equal(&ko, &cx->before->ident.key) ||
	    !keys_public_equal(&ko, cx->signer)) {
		snprintf(why, whylen,
		         "keys.json: a rotation must start at the key in effect, "
		         "which signs the rotation commit");
		return STORE_EREJECT;
	}
	if (keys_public_equal(&ko, &kn)) {
		snprintf(why, whylen, "keys.json: a rotation to the same key");
		return STORE_EREJECT;
	}
	for (size_t i = 0; i < cx->before->nrotations; i++)
		if (keys_public_equal(&cx->before->rotations[i].old_key, &kn)) {
			snprintf(why, whylen,
			         "keys.json: a rotation back to a retired key");
			return STORE_EREJECT;
		}
	if (!cx->after->has_node || !keys_public_equal(&kn, &cx->after->ident.key)) {
		snprintf(why, whylen,
		         "keys.json: node.json must name the new key in the same "
		         "commit");
		return STORE_EREJECT;
	}
	if (at != cx->time) {
		snprintf(why, whylen,
		         "keys.json: the rotation time must be the commit's time");
		return STORE_EREJECT;
	}
	if (!record_sig_ok(r, "sig_old", STORE_SIG_NS_ROTATE, &ko) ||
	    !record_sig_ok(r, "sig_new", STORE_SIG_NS_ROTATE, &kn)) {
		snprintf(why, whylen,
		         "keys.json: the rotation is not signed by both the old and "
		         "the new key");
		return STORE_EREJECT;
	}
	return 0;
}

static int check_certs(const rec_ctx *cx, const char *child, const json_t *old,
                       const json_t *v, char *why, size_t whylen)
{
	const json_t *oev = old ? json_object_get(old, "events") : NULL;
	const json_t *nev = json_object_get(v, "events");
	store_level mine = cx->after->ident.level, l;
	size_t nold = oev ? json_array_size(oev) : 0;

	if (strcmp(json_string_value(json_object_get(v, "child")), child) != 0) {
		snprintf(why, whylen, "certs/%s.json names another child", child);
		return STORE_EREJECT;
	}
	if (mine >= STORE_LEVEL_VILLAGE) {
		snprintf(why, whylen, "a village has no children to certify");
		return STORE_EREJECT;
	}
	if (oev && !append_only(oev, nev)) {
		snprintf(why, whylen,
		         "certs/%s.json: earlier certificates and revocations may "
		         "not change or be removed", child);
		return STORE_EREJECT;
	}
	for (size_t i = nold; i < json_array_size(nev); i++) {
		const json_t *e = json_array_get(nev, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		int64_t last_revoke = 0, at;

		/* the latest revocation before this event */
		for (size_t j = 0; j < i; j++) {
			const json_t *x = json_array_get(nev, j);
			if (strcmp(json_string_value(json_object_get(x, "type")),
			           "revoke") == 0 &&
			    keys_time_parse(&at, json_string_value(
			                                 json_object_get(x, "at"))) == 0 &&
			    at > last_revoke)
				last_revoke = at;
		}

		if (strcmp(json_string_value(json_object_get(e, "child")), child) ||
		    strcmp(json_string_value(json_object_get(e, "parent")),
		           cx->node)) {
			snprintf(why, whylen,
			         "certs/%s.json: event %zu names another child or parent",
			         child, i + 1);
			return STORE_EREJECT;
		}
		if (strcmp(type, "cert") == 0) {
			int64_t from, until;
			const json_t *u = json_object_get(e, "valid_until");
			store_level_parse(&l, json_string_value(
			                              json_object_get(e, "level")));
			if (l <= mine || !level_of_id(l, child)) {
				snprintf(why, whylen,
				         "certs/%s.json: a %s cannot certify a %s with id %s",
				         child, store_level_name(mine), store_level_name(l),
				         child);
				return STORE_EREJECT;
			}
			keys_time_parse(&from, json_string_value(
			                               json_object_get(e, "valid_from")));
			/* a certificate may not reach back before a revocation:
			 * that would revive what the revocation refused */
			if (from < last_revoke) {
				snprintf(why, whylen,
				         "certs/%s.json: a certificate valid from before the "
				         "revocation that precedes it", child);
				return STORE_EREJECT;
			}
			if (u && keys_time_parse(&until, json_string_value(u)) == 0 &&
			    until <= from) {
				snprintf(why, whylen,
				         "certs/%s.json: valid_until is not after valid_from",
				         child);
				return STORE_EREJECT;
			}
		}
		if (!record_sig_ok(e, "sig", STORE_SIG_NS_CERT, cx->signer)) {
			snprintf(why, whylen,
			         "certs/%s.json: event %zu is not signed by the key that "
			         "signs this commit", child, i + 1);
			return STORE_EREJECT;
		}
	}
	return 0;
}

static const sch_schema *schema_of(rec_kind k)
{
	switch (k) {
	case REC_NODE: return &node_schema;
	case REC_KEYS: return &keys_schema;
	case REC_CERTS: return &certs_schema;
	case REC_NONE: return NULL;
	default: return dom_schema(k);
	}
}

int rec_check_change(const rec_ctx *cx, const char *path, const char *old,
                     size_t oldlen, int existed, const char *new,
                     size_t newlen, char *why, size_t whylen)
{
	rec_kind kind = rec_kind_of(path);
	json_t *ov = NULL, *nv = NULL;
	char sch[512], child[32];
	const sch_schema *schema = schema_of(kind);
	int rc = STORE_EREJECT;

	if (kind == REC_NONE) {
		snprintf(why, whylen,
		         "'%s' is not a record %s may write (see store/README.md: "
		         "node.json, keys.json, certs/, catalog/, people/, "
		         "documents/, tasks/, reports/, calendar/, requests/)",
		         path, cx->node);
		return STORE_EREJECT;
	}
	(void)existed;
	if (REC_IS_FILE(kind))
		return dom_check(cx, kind, path, NULL, NULL, new, newlen, why,
		                 whylen);
	if (new == NULL) {
		snprintf(why, whylen,
		         "%s may not be removed (records are withdrawn, not deleted)",
		         path);
		return STORE_EREJECT;
	}
	if (kind == REC_CERTS &&
	    (!json_stem(child, sizeof(child), path + 6) ||
	     !store_id_valid(child))) {
		snprintf(why, whylen, "'%s': certificates are certs/<child id>.json",
		         path);
		return STORE_EREJECT;
	}
	if (canonical_ok(new, newlen, &nv, path, why, whylen) != 0)
		return STORE_EREJECT;
	if (sch_validate(schema, nv, sch, sizeof(sch))) {
		snprintf(why, whylen, "%s: %s", path, sch);
		goto cleanup;
	}
	/* the old bytes were accepted before; parse them for comparisons */
	if (old != NULL &&
	    store_json_parse(&ov, old, oldlen, STORE_RECORD_MAX, path) != 0) {
		snprintf(why, whylen, "%s: the previous version is unreadable",
		         path);
		goto cleanup;
	}
	switch (kind) {
	case REC_NODE: rc = check_node(cx, ov, nv, why, whylen); break;
	case REC_KEYS: rc = check_keys(cx, ov, nv, why, whylen); break;
	case REC_CERTS: rc = check_certs(cx, child, ov, nv, why, whylen); break;
	case REC_NONE: break;
	default:
		rc = dom_check(cx, kind, path, ov, nv, NULL, 0, why, whylen);
		break;
	}
cleanup:
	json_decref(ov);
	json_decref(nv);
	return rc;
}

int rec_check_commit(const rec_ctx *cx, char *why, size_t whylen)
{
	const rec_keystate *b = cx->before, *a = cx->after;

	if (!a->has_node) {
		snprintf(why, whylen, "the commit has no node.json");
		return STORE_EREJECT;
	}
	/* node.json names the key that signs the next commit: the signer,
	 * or the key a rotation in this very commit moved to. */
	if (!keys_public_equal(&a->ident.key, cx->signer)) {
		int rotated = a->nrotations == b->nrotations + 1 &&
		              keys_public_equal(&a->rotations[a->nrotations - 1].new_key,
		                                &a->ident.key);
		if (!rotated) {
			snprintf(why, whylen,
			         "node.json names a key other than the one that signed "
			         "the commit, without a rotation");
			return STORE_EREJECT;
		}
	} else if (a->nrotations != b->nrotations) {
		snprintf(why, whylen,
		         "a rotation was added but node.json does not name its new "
		         "key");
		return STORE_EREJECT;
	}
	if (cx->parent_time != 0 && cx->time < cx->parent_time) {
		snprintf(why, whylen,
		         "the commit is dated before its parent (history times must "
		         "not go backwards)");
		return STORE_EREJECT;
	}
	return 0;
}

int rec_certs_load(git_repository *repo, const git_tree *tree,
                   const char *child, keys_event **out, size_t *n)
{
	char path[64];
	json_t *v = NULL, *evs, *e;
	keys_event *ev = NULL;
	int missing, rc;
	size_t i;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "certs/%s.json", child);
	rc = load_json_blob(repo, tree, path, &v, &missing);
	if (rc != 0 || missing)
		return rc;
	evs = json_object_get(v, "events");
	if (!json_is_array(evs) || json_array_size(evs) == 0)
		goto cleanup;
	ev = calloc(json_array_size(evs), sizeof(*ev));
	if (ev == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	json_array_foreach(evs, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		keys_event *x = &ev[i];
		if (type && strcmp(type, "cert") == 0) {
			x->type = KEYS_EVENT_CERT;
			parse_key(&x->key, json_object_get(e, "key"));
			keys_time_parse(&x->valid_from, json_string_value(
			                                        json_object_get(e, "valid_from")));
			if (json_object_get(e, "valid_until"))
				keys_time_parse(&x->valid_until,
				                json_string_value(json_object_get(
				                        e, "valid_until")));
		} else {
			const char *lg = json_string_value(json_object_get(e, "last_good"));
			x->type = KEYS_EVENT_REVOKE;
			keys_time_parse(&x->at, json_string_value(json_object_get(e, "at")));
			if (lg)
				snprintf(x->last_good, sizeof(x->last_good), "%s", lg);
		}
	}
	*out = ev;
	*n = json_array_size(evs);
cleanup:
	json_decref(v);
	return rc;
}

int rec_prepare(const char *path, const void *data, size_t len, char **out,
                size_t *outlen, char *why, size_t whylen)
{
	const sch_schema *schema = NULL;
	json_t *v = NULL;
	char sch[512];
	int rc;

	schema = schema_of(rec_kind_of(path));
	if (schema == NULL) {
		snprintf(why, whylen, "'%s' is not a JSON record path", path);
		return STORE_EINVAL;
	}
	rc = store_json_parse(&v, data, len, STORE_RECORD_MAX, "the record");
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return rc;
	}
	if (sch_validate(schema, v, sch, sizeof(sch))) {
		snprintf(why, whylen, "%s", sch);
		json_decref(v);
		return STORE_ESCHEMA;
	}
	rc = store_json_canon(out, outlen, v, 1);
	json_decref(v);
	if (rc != 0)
		snprintf(why, whylen, "%s", store_errmsg());
	return rc;
}
