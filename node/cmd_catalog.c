/*
 * cmd_catalog.c — govfed catalog: put, show, list, derive, rederive,
 * withdraw and coverage.
 *
 * A derived item (store/README.md, "Catalog item") adopts an ancestor's
 * item with the same area and id and pins the upstream record it was made
 * from: derived {node, commit, blob, overrides, not_applicable?}. Its
 * fields other than the overrides are the upstream's at the pin. When the
 * upstream record at its head is another blob, the item has drifted: the
 * fields it does not override follow the upstream; an upstream change to a
 * field it overrides is a conflict that an operator resolves with
 * `catalog rederive`.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: govfed catalog put      --home DIR --file ITEM.json [--json]\n"
	"       govfed catalog show     --home DIR --item [AREA/]ID [--node ID]\n"
	"                               [--stored] [--json]\n"
	"       govfed catalog list     --home DIR [--node ID] [--drifted] [--json]\n"
	"       govfed catalog derive   --home DIR --from NODE/[AREA/]ID\n"
	"                               [--file CHANGES.json] [--not-applicable REASON]\n"
	"                               [--json]\n"
	"       govfed catalog rederive --home DIR --item [AREA/]ID\n"
	"                               [--take-upstream F,...] [--keep-local F,...]\n"
	"                               [--all-upstream | --keep-all-local] [--json]\n"
	"       govfed catalog rederive --home DIR --all [--json]\n"
	"       govfed catalog withdraw --home DIR --item [AREA/]ID --reason TEXT\n"
	"                               [--json]\n"
	"       govfed catalog coverage --home DIR [--from NODE | --children] [--json]\n"
	"\n"
	"put       validates one catalog item and commits it, signed, as\n"
	"          catalog/<area>/<id>.json. Keys: id, area, name (required),\n"
	"          content 内容, basis 依据, time_limit 时限, subject 主体,\n"
	"          method 方式 (主动公开|依申请公开), channels 渠道 (array),\n"
	"          audience 公开对象, attribute 公开属性 (主动公开|依申请公开|\n"
	"          不予公开, with attribute_reason {code, text} for 不予公开),\n"
	"          levels (县级, 乡级, 村级), stage 五公开 (决策|执行|管理|服务|\n"
	"          结果), ext (local additions). A derived item (derived {...}) must\n"
	"          pin an ancestor's record held here and equal it outside its\n"
	"          overrides; withdrawn items are written by 'withdraw' only.\n"
	"show      prints one item (of this node, or of a held node with --node).\n"
	"          A derived item is shown as it stands now: the fields it does not\n"
	"          override carry the upstream's current values, and a 'drift'\n"
	"          object lists what changed upstream since the pin; --stored\n"
	"          prints the record as committed.\n"
	"list      lists the items as committed, marking derived, drifted and\n"
	"          withdrawn ones. --drifted lists only the derived items whose\n"
	"          upstream record changed since the pin, with each changed field:\n"
	"          its old and new upstream value, the local value, and whether it\n"
	"          follows the upstream or conflicts with a local override.\n"
	"derive    adopts an ancestor's item (held here, not withdrawn): the item\n"
	"          is copied, the fields of CHANGES.json (a JSON object of item\n"
	"          fields; null removes one) become its local overrides, the\n"
	"          upstream record is pinned, and it is committed under the same\n"
	"          area and id. --not-applicable marks it as not applying here.\n"
	"          Without AREA the upstream catalog is searched for the id.\n"
	"rederive  moves a derived item's pin to the upstream's current record:\n"
	"          the fields it does not override take the upstream's values.\n"
	"          Each conflicting field must be resolved: --take-upstream F\n"
	"          takes the upstream's value (F stops being an override; this also\n"
	"          drops an override that does not conflict), --keep-local F keeps\n"
	"          the local one; --all-upstream / --keep-all-local do that for\n"
	"          every conflict. --all re-pins, in one commit, every drifted item\n"
	"          that has no conflict, and lists those that have one.\n"
	"withdraw  marks an item withdrawn {at, reason} (撤回); the record stays.\n"
	"coverage  how completely this node covers its parent's catalog (or the\n"
	"          ancestor --from): every applicable upstream item — not\n"
	"          withdrawn, and, when it has levels, listing this node's level\n"
	"          (a district is 县级, a township 乡级, a village 村级; a city\n"
	"          handles every item) — is adopted (derived unchanged),\n"
	"          localized (derived with overrides), not applicable (with its\n"
	"          reason) or pending. --children: the same for each child whose\n"
	"          history is held here, against this node's catalog.\n";

/* the fields of an item that come from the upstream and may be overridden
 * (store/rec_domain.c `overridable`), in the order overrides are listed */
static const char *const item_fields[] = {
	"name", "content", "basis", "time_limit", "subject", "method",
	"channels", "audience", "attribute", "attribute_reason", "levels",
	"stage", "ext", NULL
};

#define ANC_MAX 8
#define AREA_MAX 97  /* 96 bytes and a NUL */
#define ITEM_ID_MAX 65

/* ---- small helpers -------------------------------------------------------- */

static int is_item_field(const char *f)
{
	for (const char *const *p = item_fields; *p; p++)
		if (strcmp(*p, f) == 0)
			return 1;
	return 0;
}

static int in_list(const json_t *arr, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* a value for a diff: the field's value, or null when absent */
static json_t *value_or_null(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return v ? json_deep_copy(v) : json_null();
}

/* a value on one line for text output */
static void value_text(char *out, size_t outlen, const json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v)) {
		snprintf(out, outlen, "(none)");
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(out, outlen, "%s", s ? s : "?");
	if (strlen(out) > 80)
		strcpy(out + 77, "...");
	free(s);
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

static int id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ITEM_ID_MAX)
		return 0;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

static int area_ok(const char *s, size_t n)
{
	if (n == 0 || n >= AREA_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '/' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* "AREA/ID" or "ID" → area ("" when not given) and id */
static int item_ref_parse(const char *s, char area[AREA_MAX],
                          char id[ITEM_ID_MAX])
{
	const char *slash = strchr(s, '/');

	area[0] = '\0';
	if (slash != NULL) {
		size_t n = (size_t)(slash - s);
		if (!area_ok(s, n))
			return -1;
		memcpy(area, s, n);
		area[n] = '\0';
		s = slash + 1;
	}
	if (!id_ok(s))
		return -1;
	snprintf(id, ITEM_ID_MAX, "%s", s);
	return 0;
}

/* "catalog/<area>/<id>.json" → area and id */
static int path_split(const char *path, char area[AREA_MAX],
                      char id[ITEM_ID_MAX])
{
	const char *a = path + 8, *slash;
	size_t n;

	if (strncmp(path, "catalog/", 8) != 0 || (slash = strchr(a, '/')) == NULL)
		return -1;
	n = (size_t)(slash - a);
	if (n == 0 || n >= AREA_MAX)
		return -1;
	memcpy(area, a, n);
	area[n] = '\0';
	n = strlen(slash + 1);
	if (n <= 5 || n - 5 >= ITEM_ID_MAX ||
	    strcmp(slash + 1 + n - 5, ".json") != 0)
		return -1;
	memcpy(id, slash + 1, n - 5);
	id[n - 5] = '\0';
	return 0;
}

/* "catalog/<area>/<id>.json" → "<area>/<id>" (a few at a time) */
static const char *iname(const char *path)
{
	static char buf[4][STORE_PATH_MAX];
	static unsigned next;
	char *b = buf[next++ % 4];
	size_t n;

	snprintf(b, STORE_PATH_MAX, "%s",
	         strncmp(path, "catalog/", 8) == 0 ? path + 8 : path);
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".json") == 0)
		b[n - 5] = '\0';
	return b;
}

static const char *level_tag(store_level l)
{
	switch (l) {
	case STORE_LEVEL_DISTRICT: return "县级";
	case STORE_LEVEL_TOWNSHIP: return "乡级";
	case STORE_LEVEL_VILLAGE: return "村级";
	default: return NULL; /* province and city handle every item */
	}
}

/* ---- the command's view of the home ---------------------------------------- */

typedef struct cat {
	node_home h;
	int open;
	const char *self;
	char anc[ANC_MAX][KEYS_ID_MAX + 1]; /* ancestors, the parent first */
	size_t nanc;
} cat;

static int cat_open(cat *c, const char *home, unsigned flags)
{
	char cur[KEYS_ID_MAX + 1];
	store_identity id;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = home_open(&c->h, home, flags);
	if (rc != 0)
		return rc;
	c->open = 1;
	c->self = c->h.cfg.id;
	/* the ancestors: the configured parent, then each held history's */
	snprintf(cur, sizeof(cur), "%s", c->h.cfg.parent);
	while (cur[0] != '\0' && c->nanc < ANC_MAX) {
		snprintf(c->anc[c->nanc++], sizeof(c->anc[0]), "%s", cur);
		if (store_identity_get(c->h.st, cur, &id) != 0)
			break;
		snprintf(cur, sizeof(cur), "%s", id.parent);
	}
	return 0;
}

static void cat_close(cat *c)
{
	if (c->open)
		home_close(&c->h);
	c->open = 0;
}

static int is_ancestor(const cat *c, const char *node)
{
	for (size_t i = 0; i < c->nanc; i++)
		if (strcmp(c->anc[i], node) == 0)
			return 1;
	return 0;
}

/* the store's name for a node's history: NULL for the own */
static const char *nd(const cat *c, const char *node)
{
	return node == NULL || strcmp(node, c->self) == 0 ? NULL : node;
}

static const char *who(const cat *c, const char *node)
{
	return node ? node : c->self;
}

/* The item at `path` at the head of `node` (an id, or NULL for the own):
 * parsed, with its blob and that head. STORE_ENOTFOUND when absent. */
static int item_read(cat *c, const char *node, const char *path, json_t **out,
                     char blob[STORE_OID_HEX], char commit[STORE_OID_HEX])
{
	char *data = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = store_record_stat(c->h.st, nd(c, node), path, blob, commit);
	if (rc != 0)
		return rc;
	rc = store_blob_read(c->h.st, blob, &data, &len);
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

static int blob_item(cat *c, const char *blob, json_t **out)
{
	char *data = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = store_blob_read(c->h.st, blob, &data, &len);
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

/* every catalog record of a history: an array of [path, item] */
typedef struct walk {
	json_t *items;
	const char *want_id; /* only this id, or NULL */
} walk;

static int walk_cb(void *ctx, const char *path, const char *data, size_t len)
{
	walk *w = ctx;
	char area[AREA_MAX], id[ITEM_ID_MAX];
	json_t *v;

	if (path_split(path, area, id) != 0)
		return 0;
	if (w->want_id && strcmp(id, w->want_id) != 0)
		return 0;
	v = json_loadb(data, len, 0, NULL);
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		return 0;
	}
	json_array_append_new(w->items, json_pack("[s,o]", path, v));
	return 0;
}

static int catalog_walk(cat *c, const char *node, const char *want_id,
                        json_t **out)
{
	walk w = { json_array(), want_id };
	int rc = store_record_foreach(c->h.st, nd(c, node), "catalog/", walk_cb,
	                              &w);

	if (rc != 0) {
		json_decref(w.items);
		*out = NULL;
		return rc;
	}
	*out = w.items;
	return 0;
}

/*
 * `ref` ("AREA/ID" or "ID") in `node`'s catalog → its path. Prints why
 * not and returns an exit code.
 */
static int locate(cat *c, const char *node, const char *ref, const char *what,
                  char path[STORE_PATH_MAX])
{
	char area[AREA_MAX], id[ITEM_ID_MAX];
	json_t *all = NULL;
	int rc;

	if (item_ref_parse(ref, area, id) != 0) {
		cli_err("%s '%s' is not an item as [AREA/]ID (an id is 1-64 "
		        "letters, digits, '.', '_' or '-')", what, ref);
		return EXIT_USAGE;
	}
	if (area[0] != '\0') {
		snprintf(path, STORE_PATH_MAX, "catalog/%s/%s.json", area, id);
		return EXIT_OK;
	}
	rc = catalog_walk(c, node, id, &all);
	if (rc != 0) {
		cli_err("cannot read %s's catalog: %s", who(c, node), store_errmsg());
		return cli_exit_for(rc);
	}
	if (json_array_size(all) == 0) {
		cli_err("no catalog item '%s' in %s's catalog", id, who(c, node));
		json_decref(all);
		return EXIT_NO;
	}
	if (json_array_size(all) > 1) {
		cli_err("'%s' is in %zu areas of %s's catalog; name it as AREA/%s",
		        id, json_array_size(all), who(c, node), id);
		json_decref(all);
		return EXIT_NO;
	}
	snprintf(path, STORE_PATH_MAX, "%s",
	         json_string_value(json_array_get(json_array_get(all, 0), 0)));
	json_decref(all);
	return EXIT_OK;
}

/* ---- validation of an item before it is committed ------------------------- */

/* 公开属性: attribute_reason is required for 不予公开 and only there */
static int attribute_check(const json_t *v, char *why, size_t whylen)
{
	const char *a = str_of(v, "attribute");
	int withheld = a != NULL && strcmp(a, "不予公开") == 0;
	int has = json_object_get(v, "attribute_reason") != NULL;

	if (withheld && !has) {
		snprintf(why, whylen,
		         "field 'attribute_reason' is required when attribute is "
		         "不予公开: give {code, text} (条例 arts 14-16)");
		return -1;
	}
	if (!withheld && has) {
		snprintf(why, whylen,
		         "field 'attribute_reason' is only for attribute 不予公开");
		return -1;
	}
	return 0;
}

/* A derived item against its pin: an ancestor's record held here, the same
 * item, not withdrawn, equal outside the overrides. */
static int derived_check(cat *c, const json_t *v, char *why, size_t whylen)
{
	const json_t *d = json_object_get(v, "derived");
	const json_t *ov = json_object_get(d, "overrides");
	const char *node = str_of(d, "node");
	json_t *pin = NULL;
	uint64_t height;
	int rc = -1;

	if (d == NULL)
		return 0;
	if (strcmp(node, c->self) == 0) {
		snprintf(why, whylen,
		         "field 'derived.node' names this node (%s): an item is "
		         "derived from an ancestor's item, not from its own", node);
		return -1;
	}
	if (!is_ancestor(c, node)) {
		snprintf(why, whylen,
		         "field 'derived.node': %s is not an ancestor of %s (an item "
		         "is derived from an ancestor's catalog)", node, c->self);
		return -1;
	}
	if (store_commit_height(c->h.st, str_of(d, "commit"), &height) != 0) {
		snprintf(why, whylen,
		         "field 'derived.commit': %s is not a commit held here; "
		         "sync or import %s's history, or use 'catalog derive'",
		         str_of(d, "commit"), node);
		return -1;
	}
	if (blob_item(c, str_of(d, "blob"), &pin) != 0) {
		snprintf(why, whylen,
		         "field 'derived.blob': %s is not a catalog record held "
		         "here; use 'catalog derive' to pin an upstream item",
		         str_of(d, "blob"));
		return -1;
	}
	if (!json_equal(json_object_get(pin, "id"), json_object_get(v, "id")) ||
	    !json_equal(json_object_get(pin, "area"), json_object_get(v, "area"))) {
		snprintf(why, whylen,
		         "field 'derived.blob': the pinned record is the item %s/%s, "
		         "not %s/%s", str_of(pin, "area") ?: "?",
		         str_of(pin, "id") ?: "?", str_of(v, "area"), str_of(v, "id"));
		goto done;
	}
	if (json_object_get(pin, "withdrawn") != NULL) {
		snprintf(why, whylen,
		         "field 'derived.blob': the pinned upstream record is "
		         "withdrawn; it cannot be adopted");
		goto done;
	}
	for (const char *const *f = item_fields; *f; f++) {
		if (in_list(ov, *f))
			continue;
		if (!json_equal(json_object_get(pin, *f), json_object_get(v, *f)) &&
		    !(json_object_get(pin, *f) == NULL &&
		      json_object_get(v, *f) == NULL)) {
			snprintf(why, whylen,
			         "field '%s' differs from the upstream's at the pin but "
			         "is not listed in derived.overrides", *f);
			goto done;
		}
	}
	rc = 0;
done:
	json_decref(pin);
	return rc;
}

/*
 * Schema (store_record_prepare) and the rules a single item must keep;
 * canonical bytes in *canon. Prints why not and returns an exit code.
 */
static int item_prepare(cat *c, const char *path, const json_t *v,
                        const char *what, char **canon, size_t *clen)
{
	char why[600];
	char *s = json_dumps(v, JSON_COMPACT);
	int rc;

	*canon = NULL;
	if (s == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	rc = store_record_prepare(canon, clen, path, s, strlen(s));
	free(s);
	if (rc != 0) {
		cli_err("%s: %s", what, store_errmsg());
		return cli_exit_for(rc);
	}
	if (attribute_check(v, why, sizeof(why)) != 0 ||
	    (c != NULL && derived_check(c, v, why, sizeof(why)) != 0)) {
		cli_err("%s: catalog item: %s", what, why);
		free(*canon);
		*canon = NULL;
		return EXIT_NO;
	}
	return EXIT_OK;
}

/* one commit; prints the store's refusal */
static int commit_changes(cat *c, store_change *ch, size_t n, const char *msg,
                          char out[STORE_OID_HEX], int *unchanged)
{
	int rc;

	*unchanged = 0;
	rc = home_ensure_genesis(&c->h);
	if (rc != 0)
		return rc;
	rc = store_commit(c->h.st, c->h.sk, ch, n, msg, out);
	if (rc == STORE_EUNCHANGED) {
		*unchanged = 1;
		out[0] = '\0';
		return EXIT_OK;
	}
	if (rc != 0) {
		cli_err("cannot commit %s: %s", n == 1 ? ch[0].path : "the items",
		        store_errmsg());
		return cli_exit_for(rc);
	}
	home_maintain(&c->h);
	return EXIT_OK;
}

/* ---- drift ------------------------------------------------------------------ */

typedef struct drift {
	const char *up;               /* the upstream node */
	json_t *now;                  /* its record at its head */
	char blob[STORE_OID_HEX];     /* ... that record's blob */
	char commit[STORE_OID_HEX];   /* ... and the head */
	int drifted;                  /* blob differs from the pin */
	int up_withdrawn;
	json_t *fields;               /* [{field, old, new, local, overridden,
	                               *   status}] */
	json_t *conflicts;            /* [names] */
	json_t *follows;              /* [names] */
} drift;

static void drift_free(drift *d)
{
	json_decref(d->now);
	json_decref(d->fields);
	json_decref(d->conflicts);
	json_decref(d->follows);
	memset(d, 0, sizeof(*d));
}

/*
 * What changed upstream since the pin of the derived item `v` at `path`.
 * 0, or a store error with the reason in `why`.
 */
static int drift_of(cat *c, const char *path, const json_t *v, drift *d,
                    char *why, size_t whylen)
{
	const json_t *der = json_object_get(v, "derived");
	const json_t *ov = json_object_get(der, "overrides");
	const char *pin_blob = str_of(der, "blob");
	json_t *pin = NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	d->up = str_of(der, "node");
	d->fields = json_array();
	d->conflicts = json_array();
	d->follows = json_array();
	if (d->up == NULL || pin_blob == NULL) {
		snprintf(why, whylen, "%s is not a derived item", path);
		return STORE_EINVAL;
	}
	if (nd(c, d->up) != NULL) {
		store_head head;
		if (store_head_get(c->h.st, d->up, &head) != 0) {
			snprintf(why, whylen,
			         "%s's history is not held here; sync or import it",
			         d->up);
			return STORE_ENOTFOUND;
		}
	}
	rc = item_read(c, d->up, path, &d->now, d->blob, d->commit);
	if (rc != 0) {
		snprintf(why, whylen, "%s's catalog has no record %s%s", d->up, path,
		         rc == STORE_ECORRUPT ? " that reads as JSON" : "");
		return rc;
	}
	d->up_withdrawn = json_object_get(d->now, "withdrawn") != NULL;
	if (strcmp(d->blob, pin_blob) == 0)
		return 0;
	d->drifted = 1;
	rc = blob_item(c, pin_blob, &pin);
	if (rc != 0) {
		snprintf(why, whylen,
		         "the pinned upstream record %s of %s is not held here", pin_blob,
		         path);
		return rc;
	}
	for (const char *const *f = item_fields; *f; f++) {
		json_t *o = json_object_get(pin, *f), *n = json_object_get(d->now, *f);
		int over = in_list(ov, *f);
		if (json_equal(o, n) || (o == NULL && n == NULL))
			continue;
		json_array_append_new(d->fields,
		                      json_pack("{s:s,s:o,s:o,s:o,s:b,s:s}", "field", *f,
		                                "old", value_or_null(pin, *f), "new",
		                                value_or_null(d->now, *f), "local",
		                                value_or_null(v, *f), "overridden", over,
		                                "status", over ? "conflict" : "follows"));
		json_array_append_new(over ? d->conflicts : d->follows,
		                      json_string(*f));
	}
	json_decref(pin);
	return 0;
}

static json_t *drift_json(const char *path, const json_t *v, const drift *d)
{
	const json_t *der = json_object_get(v, "derived");

	return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:b,s:b,s:O,s:O,"
	                 "s:O,s:O}",
	                 "item", iname(path), "id", str_of(v, "id"), "area",
	                 str_of(v, "area"), "upstream", d->up, "pin", "commit",
	                 str_of(der, "commit"), "blob", str_of(der, "blob"),
	                 "upstream_head", "commit", d->commit, "blob", d->blob,
	                 "drifted", d->drifted, "upstream_withdrawn",
	                 d->up_withdrawn, "overrides",
	                 json_object_get(der, "overrides"), "fields", d->fields,
	                 "conflicts", d->conflicts, "follows", d->follows);
}

/* The item `v` with the fields it does not override taken from `up` (the
 * upstream's current record). */
static json_t *effective(const json_t *v, const json_t *up)
{
	const json_t *ov = json_object_get(json_object_get(v, "derived"),
	                                   "overrides");
	json_t *e = json_deep_copy(v);

	for (const char *const *f = item_fields; *f; f++) {
		json_t *x;
		if (in_list(ov, *f))
			continue;
		x = json_object_get(up, *f);
		if (x)
			json_object_set_new(e, *f, json_deep_copy(x));
		else
			json_object_del(e, *f);
	}
	return e;
}

/*
 * A derived item from upstream record `up`: its fields, with the values of
 * `local` for the fields in `keep` (absent there: removed), pinned at
 * `blob` of `commit`. `keep` is listed in item_fields order.
 */
static json_t *derived_item(const json_t *up, const json_t *local,
                            const json_t *keep, const char *node,
                            const char *commit, const char *blob,
                            const char *not_applicable)
{
	json_t *v = json_deep_copy(up), *ov = json_array(), *d;

	json_object_del(v, "derived");
	json_object_del(v, "withdrawn");
	for (const char *const *f = item_fields; *f; f++) {
		json_t *x;
		if (!in_list(keep, *f))
			continue;
		json_array_append_new(ov, json_string(*f));
		x = json_object_get(local, *f);
		if (x)
			json_object_set_new(v, *f, json_deep_copy(x));
		else
			json_object_del(v, *f);
	}
	d = json_pack("{s:s,s:s,s:s,s:o}", "node", node, "commit", commit, "blob",
	              blob, "overrides", ov);
	if (not_applicable)
		json_object_set_new(d, "not_applicable", json_string(not_applicable));
	json_object_set_new(v, "derived", d);
	return v;
}

/* ---- put -------------------------------------------------------------------- */

static int put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *file = NULL;
	char *data = NULL, *canon = NULL, path[STORE_PATH_MAX], msg[600];
	char out[STORE_OID_HEX], blob[STORE_OID_HEX], why[600];
	size_t len, clen;
	int idx, c, json = 0, rc, unchanged;
	json_t *v = NULL, *old = NULL;
	store_change ch;
	cat ct = { 0 };

	while ((c = cli_getopt("catalog put", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: file = optarg; break;
		case 2: json = 1; break;
		case 3: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !file)
		return cli_usage("catalog put", "--home and --file are required");
	rc = cli_read_file(file, STORE_RECORD_MAX, "item file", &data, &len);
	if (rc != 0)
		return rc;
	/* validate before opening anything: the kind is known from the
	 * path prefix; area and id come from the item itself */
	rc = store_record_prepare(&canon, &clen, "catalog/x/x.json", data, len);
	free(data);
	if (rc != 0) {
		cli_err("%s: %s", file, store_errmsg());
		return cli_exit_for(rc);
	}
	v = json_loadb(canon, clen, 0, NULL);
	free(canon);
	canon = NULL;
	if (v == NULL) {
		cli_err("internal error re-reading the item");
		return EXIT_RUNTIME;
	}
	if (attribute_check(v, why, sizeof(why)) != 0) {
		cli_err("%s: catalog item: %s", file, why);
		json_decref(v);
		return EXIT_NO;
	}
	snprintf(path, sizeof(path), "catalog/%s/%s.json", str_of(v, "area"),
	         str_of(v, "id"));
	snprintf(msg, sizeof(msg), "catalog put %s/%s %s", str_of(v, "area"),
	         str_of(v, "id"), str_of(v, "name"));

	rc = cat_open(&ct, home, HOME_KEY);
	if (rc != 0) {
		json_decref(v);
		return rc;
	}
	/* what the store holds decides the rest: derivation and withdrawal */
	rc = item_read(&ct, NULL, path, &old, blob, out);
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		cli_err("cannot read %s: %s", path,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (old && json_object_get(old, "withdrawn") && !json_equal(old, v)) {
		cli_err("%s: %s/%s was withdrawn on %s; a withdrawn item stays as it "
		        "is (publish the item under a new id)", file, str_of(v, "area"),
		        str_of(v, "id"),
		        str_of(json_object_get(old, "withdrawn"), "at") ?: "?");
		rc = EXIT_NO;
		goto done;
	}
	if (old && json_object_get(old, "derived") &&
	    !json_object_get(v, "derived")) {
		cli_err("%s: %s/%s is derived from %s; a put keeps its field "
		        "'derived' (list local changes in derived.overrides, or use "
		        "'govfed catalog rederive')", file, str_of(v, "area"),
		        str_of(v, "id"),
		        str_of(json_object_get(old, "derived"), "node"));
		rc = EXIT_NO;
		goto done;
	}
	if (json_object_get(v, "withdrawn") &&
	    !json_equal(json_object_get(v, "withdrawn"),
	                json_object_get(old, "withdrawn"))) {
		cli_err("%s: catalog item: field 'withdrawn' is written by 'govfed "
		        "catalog withdraw', not by put", file);
		rc = EXIT_NO;
		goto done;
	}
	rc = item_prepare(&ct, path, v, file, &canon, &clen);
	if (rc != 0)
		goto done;
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&ct, &ch, 1, msg, out, &unchanged);
	if (rc != 0)
		goto done;
	if (unchanged) {
		if (json)
			printf("{\"path\":\"%s\",\"commit\":null,\"unchanged\":true}\n",
			       path);
		else
			printf("unchanged: %s already holds this item\n", path);
	} else if (json) {
		json_t *o = json_pack("{s:s,s:s,s:b}", "path", path, "commit", out,
		                      "unchanged", 0);
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		printf("committed %s %s\n", out, path);
	}
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(old);
	json_decref(v);
	cat_close(&ct);
	return rc;
}

/* ---- show and list ------------------------------------------------------------- */

static int show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "item", required_argument, NULL, 0 },
		{ "stored", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *nodeid = NULL, *item = NULL;
	char path[STORE_PATH_MAX], blob[STORE_OID_HEX], commit[STORE_OID_HEX];
	char why[600];
	int idx, c, json = 0, stored = 0, rc;
	json_t *v = NULL, *e = NULL;
	drift d = { 0 };
	cat ct;

	while ((c = cli_getopt("catalog show", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: nodeid = optarg; break;
		case 2: item = optarg; break;
		case 3: stored = 1; break;
		case 4: json = 1; break;
		case 5: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("catalog show", "--home is required");
	if (!item)
		return cli_usage("catalog show", "--item is required");
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage("catalog show", "--node '%s' is not a division code",
		                 nodeid);
	rc = cat_open(&ct, home, 0);
	if (rc != 0)
		return rc;
	if (nodeid && nd(&ct, nodeid)) {
		store_head head;
		if (store_head_get(ct.h.st, nodeid, &head) != 0) {
			cli_err("no history of %s is held here", nodeid);
			rc = EXIT_NO;
			goto done;
		}
	}
	rc = locate(&ct, nodeid, item, "--item", path);
	if (rc != 0)
		goto done;
	rc = item_read(&ct, nodeid, path, &v, blob, commit);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no catalog item '%s' in %s's catalog", item,
		        who(&ct, nodeid));
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (!stored && json_object_get(v, "derived") &&
	    !json_object_get(v, "withdrawn")) {
		if (drift_of(&ct, path, v, &d, why, sizeof(why)) != 0) {
			/* show what is committed, and say why it is not resolved */
			fprintf(stderr, "govfed: warning: %s; showing the item as "
			                "committed\n", why);
		} else if (d.drifted) {
			e = effective(v, d.now);
			json_object_set_new(e, "drift", drift_json(path, v, &d));
		}
	}
	print_json(e ? e : v);
	if (!json) {
		const json_t *w = json_object_get(v, "withdrawn");
		if (w)
			fprintf(stderr, "withdrawn on %s: %s\n", str_of(w, "at"),
			        str_of(w, "reason"));
		if (e)
			fprintf(stderr,
			        "drifted: %s changed this item upstream; %zu field(s) "
			        "follow, %zu conflict (see 'catalog list --drifted')\n",
			        d.up, json_array_size(d.follows),
			        json_array_size(d.conflicts));
	}
	rc = EXIT_OK;
done:
	drift_free(&d);
	json_decref(e);
	json_decref(v);
	cat_close(&ct);
	return rc;
}

static void list_drifted_text(const json_t *arr)
{
	size_t i, j;
	json_t *x, *f;
	char a[96], b[96], l[96];

	json_array_foreach(arr, i, x) {
		const json_t *pin = json_object_get(x, "pin");
		const json_t *hd = json_object_get(x, "upstream_head");
		printf("%s  from %s  pin %.10s -> %.10s  %zu conflict(s)%s\n",
		       str_of(x, "item"), str_of(x, "upstream"), str_of(pin, "blob"),
		       str_of(hd, "blob"),
		       json_array_size(json_object_get(x, "conflicts")),
		       json_is_true(json_object_get(x, "upstream_withdrawn"))
		               ? "  UPSTREAM WITHDRAWN" : "");
		json_array_foreach(json_object_get(x, "fields"), j, f) {
			value_text(a, sizeof(a), json_object_get(f, "old"));
			value_text(b, sizeof(b), json_object_get(f, "new"));
			value_text(l, sizeof(l), json_object_get(f, "local"));
			printf("  %-16s %-8s upstream %s -> %s; local %s\n",
			       str_of(f, "field"), str_of(f, "status"), a, b, l);
		}
	}
}

static int list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "node", required_argument, NULL, 0 },
		{ "drifted", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *nodeid = NULL;
	char why[600];
	int idx, c, json = 0, drifted = 0, rc;
	json_t *all = NULL, *out = NULL, *pair;
	size_t i;
	cat ct;

	while ((c = cli_getopt("catalog list", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: nodeid = optarg; break;
		case 2: drifted = 1; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("catalog list", "--home is required");
	if (nodeid && !store_id_valid(nodeid))
		return cli_usage("catalog list", "--node '%s' is not a division code",
		                 nodeid);
	rc = cat_open(&ct, home, 0);
	if (rc != 0)
		return rc;
	rc = catalog_walk(&ct, nodeid, NULL, &all);
	if (rc == STORE_ENOTFOUND) {
		cli_err("%s", store_errmsg());
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read the catalog: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	out = json_array();
	json_array_foreach(all, i, pair) {
		const char *path = json_string_value(json_array_get(pair, 0));
		json_t *v = json_array_get(pair, 1);
		drift d;
		int derived = json_object_get(v, "derived") != NULL;
		int withdrawn = json_object_get(v, "withdrawn") != NULL;
		int r;

		if (!drifted) {
			json_array_append(out, v);
			if (json)
				continue;
			printf("%-24s %-16s %s", str_of(v, "id"), str_of(v, "area"),
			       str_of(v, "name"));
			if (derived)
				printf("  [derived from %s%s]",
				       str_of(json_object_get(v, "derived"), "node"),
				       json_object_get(json_object_get(v, "derived"),
				                       "not_applicable")
				               ? ", not applicable" : "");
			if (withdrawn) {
				printf("  [withdrawn %s]",
				       str_of(json_object_get(v, "withdrawn"), "at"));
			} else if (derived) {
				if (drift_of(&ct, path, v, &d, why, sizeof(why)) != 0)
					printf("  [upstream not held]");
				else if (d.drifted)
					printf("  [drifted]");
				drift_free(&d);
			}
			printf("\n");
			continue;
		}
		if (!derived || withdrawn)
			continue;
		r = drift_of(&ct, path, v, &d, why, sizeof(why));
		if (r != 0) {
			fprintf(stderr, "govfed: warning: %s: %s\n", iname(path), why);
		} else if (d.drifted) {
			json_array_append_new(out, drift_json(path, v, &d));
		}
		drift_free(&d);
	}
	if (drifted) {
		if (json) {
			json_t *o = json_pack("{s:s,s:I,s:O}", "node", who(&ct, nodeid),
			                      "count", (json_int_t)json_array_size(out),
			                      "drifted", out);
			print_json(o);
			json_decref(o);
		} else {
			list_drifted_text(out);
			fprintf(stderr, "%zu drifted items\n", json_array_size(out));
		}
	} else if (json) {
		print_json(out);
	} else {
		fprintf(stderr, "%zu items\n", json_array_size(out));
	}
	rc = EXIT_OK;
done:
	json_decref(out);
	json_decref(all);
	cat_close(&ct);
	return rc;
}

/* ---- derive --------------------------------------------------------------------- */

/* CHANGES.json: a JSON object of item fields; prints why not */
static int changes_load(const char *file, const json_t *up, json_t **out)
{
	char *data = NULL;
	size_t len;
	json_error_t err;
	const char *k;
	json_t *v, *x;
	int rc;

	*out = NULL;
	rc = cli_read_file(file, STORE_RECORD_MAX, "changes file", &data, &len);
	if (rc != 0)
		return rc;
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	free(data);
	if (v == NULL) {
		cli_err("%s: not JSON at line %d, column %d: %s", file, err.line,
		        err.column, err.text);
		return EXIT_NO;
	}
	if (!json_is_object(v)) {
		cli_err("%s: the changes must be a JSON object of item fields, like "
		        "{\"subject\": \"...\"}", file);
		json_decref(v);
		return EXIT_NO;
	}
	json_object_foreach(v, k, x) {
		if (strcmp(k, "id") == 0 || strcmp(k, "area") == 0) {
			if (json_equal(x, json_object_get(up, k)))
				continue;
			cli_err("%s: field '%s' cannot change: a derived item keeps the "
			        "upstream's area and id", file, k);
			json_decref(v);
			return EXIT_NO;
		}
		if (strcmp(k, "derived") == 0 || strcmp(k, "withdrawn") == 0) {
			cli_err("%s: field '%s' is written by govfed (derive, withdraw), "
			        "not by a change", file, k);
			json_decref(v);
			return EXIT_NO;
		}
		if (!is_item_field(k)) {
			cli_err("%s: unknown field '%.64s' (a change names item fields: "
			        "name, content, basis, time_limit, subject, method, "
			        "channels, audience, attribute, attribute_reason, "
			        "levels, stage, ext)", file, k);
			json_decref(v);
			return EXIT_NO;
		}
	}
	json_object_del(v, "id");
	json_object_del(v, "area");
	*out = v;
	return EXIT_OK;
}

static int derive(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "from", required_argument, NULL, 0 },
		{ "file", required_argument, NULL, 0 },
		{ "not-applicable", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *from = NULL, *file = NULL, *na = NULL;
	char up[KEYS_ID_MAX + 1], path[STORE_PATH_MAX], msg[600];
	char blob[STORE_OID_HEX], commit[STORE_OID_HEX], out[STORE_OID_HEX];
	char lblob[STORE_OID_HEX], lcommit[STORE_OID_HEX];
	char *canon = NULL;
	const char *slash;
	size_t clen;
	int idx, c, json = 0, rc, unchanged;
	json_t *upv = NULL, *chg = NULL, *local = NULL, *keep = NULL, *v = NULL;
	store_head head;
	store_change ch;
	cat ct = { 0 };

	while ((c = cli_getopt("catalog derive", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: from = optarg; break;
		case 2: file = optarg; break;
		case 3: na = optarg; break;
		case 4: json = 1; break;
		case 5: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !from)
		return cli_usage("catalog derive", "--home and --from are required");
	slash = strchr(from, '/');
	if (slash == NULL || (size_t)(slash - from) > KEYS_ID_MAX)
		return cli_usage("catalog derive",
		                 "--from '%s' must be NODE/AREA/ID or NODE/ID", from);
	memcpy(up, from, (size_t)(slash - from));
	up[slash - from] = '\0';
	if (!store_id_valid(up))
		return cli_usage("catalog derive",
		                 "--from '%s': '%s' is not a division code", from, up);
	if (na != NULL && (na[0] == '\0' || strlen(na) > 2048 ||
	                   strpbrk(na, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
	                               "\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
	                               "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f")))
		return cli_usage("catalog derive",
		                 "--not-applicable needs a reason of 1-2048 bytes of "
		                 "text");
	rc = cat_open(&ct, home, HOME_KEY);
	if (rc != 0)
		return rc;
	if (strcmp(up, ct.self) == 0 || !is_ancestor(&ct, up)) {
		cli_err("%s is not an ancestor of %s: an item is derived from the "
		        "catalog of an ancestor (%s)", up, ct.self,
		        ct.nanc ? ct.anc[0] : "this node has none");
		rc = EXIT_NO;
		goto done;
	}
	if (store_head_get(ct.h.st, up, &head) != 0) {
		cli_err("%s's history is not held here yet; let the node sync (node "
		        "run) or import its bundle first", up);
		rc = EXIT_NO;
		goto done;
	}
	rc = locate(&ct, up, slash + 1, "--from", path);
	if (rc != 0)
		goto done;
	rc = item_read(&ct, up, path, &upv, blob, commit);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no catalog item '%s' in %s's catalog", slash + 1, up);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s of %s: %s", path, up,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json_object_get(upv, "withdrawn")) {
		cli_err("%s withdrew %s on %s (%s); a withdrawn item cannot be "
		        "adopted", up, iname(path),
		        str_of(json_object_get(upv, "withdrawn"), "at"),
		        str_of(json_object_get(upv, "withdrawn"), "reason"));
		rc = EXIT_NO;
		goto done;
	}
	rc = item_read(&ct, NULL, path, &local, lblob, lcommit);
	if (rc == 0) {
		const json_t *d = json_object_get(local, "derived");
		if (json_object_get(local, "withdrawn"))
			cli_err("%s holds %s withdrawn; a withdrawn item stays as it is",
			        ct.self, iname(path));
		else if (d)
			cli_err("%s already derives %s from %s; use 'govfed catalog "
			        "rederive --item %s' to follow the upstream", ct.self,
			        iname(path), str_of(d, "node"), iname(path));
		else
			cli_err("%s already has its own item %s; derive needs the id "
			        "to be free", ct.self, iname(path));
		rc = EXIT_NO;
		goto done;
	}
	if (rc != STORE_ENOTFOUND) {
		cli_err("cannot read %s: %s", path,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (file != NULL) {
		const char *k;
		json_t *x;
		rc = changes_load(file, upv, &chg);
		if (rc != 0)
			goto done;
		/* a change equal to the upstream's value is no override */
		keep = json_array();
		json_object_foreach(chg, k, x) {
			json_t *u = json_object_get(upv, k);
			if (json_is_null(x) ? u != NULL : !json_equal(x, u))
				json_array_append_new(keep, json_string(k));
		}
		/* the local values: the changes, null meaning absent */
		local = json_deep_copy(upv);
		json_object_foreach(chg, k, x) {
			if (json_is_null(x))
				json_object_del(local, k);
			else
				json_object_set(local, k, x);
		}
	} else {
		keep = json_array();
		local = json_incref(upv);
	}
	v = derived_item(upv, local, keep, up, commit, blob, na);
	rc = item_prepare(&ct, path, v, file ? file : "derived item", &canon,
	                  &clen);
	if (rc != 0)
		goto done;
	snprintf(msg, sizeof(msg), "catalog derive %s from %s%s", iname(path), up,
	         na ? " (not applicable)" : "");
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&ct, &ch, 1, msg, out, &unchanged);
	if (rc != 0)
		goto done;
	if (json) {
		json_t *o = json_pack(
			"{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:O,s:o}", "item", iname(path), "path",
			path, "commit", out, "from", up, "pin", "commit", commit, "blob",
			blob, "overrides",
			json_object_get(json_object_get(v, "derived"), "overrides"),
			"not_applicable", na ? json_string(na) : json_null());
		print_json(o);
		json_decref(o);
	} else {
		printf("committed %s %s: derived from %s", out, path, up);
		if (json_array_size(keep) > 0) {
			size_t i;
			json_t *x;
			printf(", overriding");
			json_array_foreach(json_object_get(json_object_get(v, "derived"),
			                                   "overrides"), i, x)
				printf(" %s", json_string_value(x));
		}
		printf("%s\n", na ? " (not applicable)" : "");
	}
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(v);
	json_decref(keep);
	json_decref(local);
	json_decref(chg);
	json_decref(upv);
	cat_close(&ct);
	return rc;
}

/* ---- rederive ------------------------------------------------------------------- */

/* "a,b,c" appended to `arr`; each must be an item field */
static int fields_parse(json_t *arr, const char *s, const char *opt)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return cli_usage("catalog rederive", "%s: too long", opt);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!is_item_field(tok))
			return cli_usage("catalog rederive",
			                 "%s: '%s' is not a field of a catalog item "
			                 "(name, content, basis, time_limit, subject, "
			                 "method, channels, audience, attribute, "
			                 "attribute_reason, levels, stage, ext)", opt,
			                 tok);
		if (!in_list(arr, tok))
			json_array_append_new(arr, json_string(tok));
	}
	if (json_array_size(arr) == 0)
		return cli_usage("catalog rederive", "%s needs field names", opt);
	return EXIT_OK;
}

static void list_join(char *out, size_t outlen, const json_t *arr)
{
	size_t i, o = 0;
	json_t *x;

	out[0] = '\0';
	json_array_foreach(arr, i, x) {
		int n = snprintf(out + o, outlen - o, "%s%s", i ? "," : "",
		                 json_string_value(x));
		if (n < 0 || (size_t)n >= outlen - o)
			break;
		o += (size_t)n;
	}
}

typedef struct resolve {
	json_t *take;   /* fields that take the upstream's value */
	json_t *keep;   /* conflicts kept local */
	int all_up, all_local;
} resolve;

/*
 * The re-derived item for own item `v` at `path` with drift `d`, given the
 * operator's choices; NULL after printing why not (exit code in *rc).
 */
static json_t *rederive_one(cat *c, const char *path, const json_t *v,
                            const drift *d, const resolve *r, json_t **took,
                            json_t **kept, int *rc)
{
	const json_t *der = json_object_get(v, "derived");
	const json_t *ov = json_object_get(der, "overrides");
	json_t *keep = json_array(), *res;
	size_t i;
	json_t *x;
	char a[96], b[96], l[96];

	(void)c;
	*took = json_array();
	*kept = json_array();
	*rc = EXIT_NO;
	json_array_foreach(r->take, i, x) {
		if (!in_list(ov, json_string_value(x))) {
			cli_err("%s: '%s' is not overridden here; it follows %s already",
			        iname(path), json_string_value(x), d->up);
			goto fail;
		}
		if (in_list(r->keep, json_string_value(x))) {
			cli_err("%s: '%s' is named by both --take-upstream and "
			        "--keep-local", iname(path), json_string_value(x));
			*rc = EXIT_USAGE;
			goto fail;
		}
	}
	json_array_foreach(r->keep, i, x)
		if (!in_list(ov, json_string_value(x))) {
			cli_err("%s: '%s' is not overridden here, so there is no local "
			        "value to keep", iname(path), json_string_value(x));
			goto fail;
		}
	/* every conflict resolved */
	json_array_foreach(d->fields, i, x) {
		const char *f = str_of(x, "field");
		if (strcmp(str_of(x, "status"), "conflict") != 0)
			continue;
		if (r->all_up || in_list(r->take, f)) {
			json_array_append_new(*took, json_string(f));
			continue;
		}
		if (r->all_local || in_list(r->keep, f)) {
			json_array_append_new(*kept, json_string(f));
			continue;
		}
		value_text(a, sizeof(a), json_object_get(x, "old"));
		value_text(b, sizeof(b), json_object_get(x, "new"));
		value_text(l, sizeof(l), json_object_get(x, "local"));
		cli_err("%s: '%s' conflicts: %s changed it from %s to %s, and it is "
		        "overridden here as %s; resolve it with --take-upstream %s or "
		        "--keep-local %s", iname(path), f, d->up, a, b, l, f, f);
		goto fail;
	}
	/* take-upstream of an override that does not conflict drops it */
	json_array_foreach(r->take, i, x)
		if (!in_list(*took, json_string_value(x)))
			json_array_append(*took, x);
	json_array_foreach(ov, i, x)
		if (!in_list(*took, json_string_value(x)))
			json_array_append(keep, x);
	res = derived_item(d->now, v, keep, d->up, d->commit, d->blob,
	                   str_of(der, "not_applicable"));
	json_decref(keep);
	*rc = EXIT_OK;
	return res;
fail:
	json_decref(keep);
	json_decref(*took);
	json_decref(*kept);
	*took = *kept = NULL;
	return NULL;
}

static int rederive_all(cat *c, int json)
{
	json_t *all = NULL, *pair, *done_ = json_array(), *skipped = json_array();
	store_change *chs = NULL;
	char **canons = NULL, **paths = NULL, out[STORE_OID_HEX], why[600];
	char msg[600];
	size_t i, n = 0, cap;
	int rc, unchanged = 1;

	rc = catalog_walk(c, NULL, NULL, &all);
	if (rc != 0) {
		cli_err("cannot read the catalog: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	cap = json_array_size(all) + 1;
	chs = calloc(cap, sizeof(*chs));
	canons = calloc(cap, sizeof(*canons));
	paths = calloc(cap, sizeof(*paths));
	if (!chs || !canons || !paths) {
		cli_err("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	json_array_foreach(all, i, pair) {
		const char *path = json_string_value(json_array_get(pair, 0));
		json_t *v = json_array_get(pair, 1), *nv;
		drift d;
		size_t clen;

		if (!json_object_get(v, "derived") || json_object_get(v, "withdrawn"))
			continue;
		if (drift_of(c, path, v, &d, why, sizeof(why)) != 0) {
			json_array_append_new(skipped,
			                      json_pack("{s:s,s:s}", "item", iname(path),
			                                "reason", why));
			drift_free(&d);
			continue;
		}
		if (!d.drifted) {
			drift_free(&d);
			continue;
		}
		if (d.up_withdrawn || json_array_size(d.conflicts) > 0) {
			char names[256];
			list_join(names, sizeof(names), d.conflicts);
			if (d.up_withdrawn)
				snprintf(why, sizeof(why),
				         "%s withdrew it; withdraw it here with 'catalog "
				         "withdraw'", d.up);
			else
				snprintf(why, sizeof(why),
				         "conflicts in %s; resolve with 'catalog rederive "
				         "--item %s'", names, iname(path));
			json_array_append_new(skipped,
			                      json_pack("{s:s,s:s,s:O}", "item", iname(path),
			                                "reason", why, "conflicts",
			                                d.conflicts));
			drift_free(&d);
			continue;
		}
		nv = derived_item(d.now, v,
		                  json_object_get(json_object_get(v, "derived"),
		                                  "overrides"),
		                  d.up, d.commit, d.blob,
		                  str_of(json_object_get(v, "derived"),
		                         "not_applicable"));
		drift_free(&d);
		rc = item_prepare(c, path, nv, iname(path), &canons[n], &clen);
		json_decref(nv);
		if (rc != 0)
			goto done;
		paths[n] = strdup(path);
		chs[n] = (store_change){ paths[n], canons[n], clen };
		n++;
		json_array_append_new(done_, json_string(iname(path)));
	}
	out[0] = '\0';
	if (n > 0) {
		snprintf(msg, sizeof(msg), "catalog rederive: %zu item%s follow%s "
		                           "the upstream", n, n == 1 ? "" : "s",
		         n == 1 ? "s" : "");
		rc = commit_changes(c, chs, n, msg, out, &unchanged);
		if (rc != 0)
			goto done;
	}
	if (json) {
		json_t *o = json_pack("{s:o,s:O,s:O}", "commit",
		                      n && !unchanged ? json_string(out) : json_null(),
		                      "rederived", done_, "skipped", skipped);
		print_json(o);
		json_decref(o);
	} else {
		json_t *x;
		if (n && !unchanged)
			printf("committed %s: %zu item(s) re-derived\n", out, n);
		else
			printf("nothing to re-derive without a decision\n");
		json_array_foreach(done_, i, x)
			printf("  rederived %s\n", json_string_value(x));
		json_array_foreach(skipped, i, x)
			printf("  skipped   %s: %s\n", str_of(x, "item"),
			       str_of(x, "reason"));
	}
	rc = EXIT_OK;
done:
	for (i = 0; i < n; i++) {
		free(canons[i]);
		free(paths[i]);
	}
	free(canons);
	free(paths);
	free(chs);
	json_decref(done_);
	json_decref(skipped);
	json_decref(all);
	return rc;
}

static int rederive(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "item", required_argument, NULL, 0 },
		{ "take-upstream", required_argument, NULL, 0 },
		{ "keep-local", required_argument, NULL, 0 },
		{ "all-upstream", no_argument, NULL, 0 },
		{ "keep-all-local", no_argument, NULL, 0 },
		{ "all", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *item = NULL;
	char path[STORE_PATH_MAX], blob[STORE_OID_HEX], commit[STORE_OID_HEX];
	char out[STORE_OID_HEX], why[600], msg[600];
	char *canon = NULL;
	size_t clen;
	int idx, c, json = 0, all = 0, rc, unchanged;
	resolve r = { json_array(), json_array(), 0, 0 };
	json_t *v = NULL, *nv = NULL, *took = NULL, *kept = NULL;
	drift d = { 0 };
	store_change ch;
	cat ct = { 0 };

	while ((c = cli_getopt("catalog rederive", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: item = optarg; break;
		case 2:
			if (fields_parse(r.take, optarg, "--take-upstream") != 0)
				c = -2;
			break;
		case 3:
			if (fields_parse(r.keep, optarg, "--keep-local") != 0)
				c = -2;
			break;
		case 4: r.all_up = 1; break;
		case 5: r.all_local = 1; break;
		case 6: all = 1; break;
		case 7: json = 1; break;
		case 8:
			fputs(usage, stdout);
			rc = EXIT_OK;
			goto out;
		}
		if (c == -2)
			break;
	}
	rc = EXIT_USAGE;
	if (c == -2)
		goto out;
	if (!home) {
		cli_usage("catalog rederive", "--home is required");
		goto out;
	}
	if (all == (item != NULL)) {
		cli_usage("catalog rederive", "name one item with --item, or --all");
		goto out;
	}
	if (all && (r.all_up || r.all_local || json_array_size(r.take) ||
	            json_array_size(r.keep))) {
		cli_usage("catalog rederive",
		          "--all re-pins only the items without conflicts; resolve a "
		          "conflict with --item and --take-upstream/--keep-local");
		goto out;
	}
	if (r.all_up + r.all_local > 1 ||
	    ((r.all_up || r.all_local) &&
	     (json_array_size(r.take) || json_array_size(r.keep)))) {
		cli_usage("catalog rederive",
		          "--all-upstream and --keep-all-local decide every conflict; "
		          "use one, or name fields with --take-upstream/--keep-local");
		goto out;
	}
	rc = cat_open(&ct, home, HOME_KEY);
	if (rc != 0)
		goto out;
	if (all) {
		rc = rederive_all(&ct, json);
		goto out;
	}
	rc = locate(&ct, NULL, item, "--item", path);
	if (rc != 0)
		goto out;
	rc = item_read(&ct, NULL, path, &v, blob, commit);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no catalog item '%s' in %s's catalog", item, ct.self);
		rc = EXIT_NO;
		goto out;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto out;
	}
	rc = EXIT_NO;
	if (!json_object_get(v, "derived")) {
		cli_err("%s is %s's own item, not derived; there is nothing to "
		        "re-derive", iname(path), ct.self);
		goto out;
	}
	if (json_object_get(v, "withdrawn")) {
		cli_err("%s is withdrawn here; a withdrawn item stays as it is",
		        iname(path));
		goto out;
	}
	if (drift_of(&ct, path, v, &d, why, sizeof(why)) != 0) {
		cli_err("cannot re-derive %s: %s", iname(path), why);
		goto out;
	}
	if (d.up_withdrawn) {
		cli_err("%s withdrew %s; withdraw it here too with 'govfed catalog "
		        "withdraw --item %s --reason ...'", d.up, iname(path), iname(path));
		goto out;
	}
	nv = rederive_one(&ct, path, v, &d, &r, &took, &kept, &rc);
	if (nv == NULL)
		goto out;
	rc = item_prepare(&ct, path, nv, iname(path), &canon, &clen);
	if (rc != 0)
		goto out;
	snprintf(msg, sizeof(msg), "catalog rederive %s from %s", iname(path), d.up);
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&ct, &ch, 1, msg, out, &unchanged);
	if (rc != 0)
		goto out;
	if (json) {
		json_t *o = json_pack(
			"{s:s,s:s,s:o,s:b,s:s,s:{s:s,s:s},s:O,s:O,s:O,s:O}", "item",
			iname(path), "path", path, "commit",
			unchanged ? json_null() : json_string(out), "unchanged",
			unchanged, "from", d.up, "pin", "commit", d.commit, "blob", d.blob,
			"overrides",
			json_object_get(json_object_get(nv, "derived"), "overrides"),
			"took_upstream", took, "kept_local", kept, "followed", d.follows);
		print_json(o);
		json_decref(o);
	} else if (unchanged) {
		printf("unchanged: %s already holds this derivation\n", path);
	} else {
		char t[256], k[256], f[256];
		list_join(t, sizeof(t), took);
		list_join(k, sizeof(k), kept);
		list_join(f, sizeof(f), d.follows);
		printf("committed %s %s: re-derived from %s (followed: %s; took "
		       "upstream: %s; kept local: %s)\n", out, path, d.up,
		       f[0] ? f : "-", t[0] ? t : "-", k[0] ? k : "-");
	}
	rc = EXIT_OK;
out:
	free(canon);
	drift_free(&d);
	json_decref(took);
	json_decref(kept);
	json_decref(nv);
	json_decref(v);
	json_decref(r.take);
	json_decref(r.keep);
	cat_close(&ct);
	return rc;
}

/* ---- withdraw ------------------------------------------------------------------- */

static int withdraw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "item", required_argument, NULL, 0 },
		{ "reason", required_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *item = NULL, *reason = NULL;
	char path[STORE_PATH_MAX], blob[STORE_OID_HEX], commit[STORE_OID_HEX];
	char out[STORE_OID_HEX], at[21], msg[600];
	char *canon = NULL;
	size_t clen;
	int idx, c, json = 0, rc, unchanged;
	json_t *v = NULL;
	store_change ch;
	cat ct = { 0 };

	while ((c = cli_getopt("catalog withdraw", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: item = optarg; break;
		case 2: reason = optarg; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home || !item || !reason)
		return cli_usage("catalog withdraw",
		                 "--home, --item and --reason are required");
	if (reason[0] == '\0')
		return cli_usage("catalog withdraw", "--reason may not be empty");
	rc = cat_open(&ct, home, HOME_KEY);
	if (rc != 0)
		return rc;
	rc = locate(&ct, NULL, item, "--item", path);
	if (rc != 0)
		goto done;
	rc = item_read(&ct, NULL, path, &v, blob, commit);
	if (rc == STORE_ENOTFOUND) {
		cli_err("no catalog item '%s' in %s's catalog", item, ct.self);
		rc = EXIT_NO;
		goto done;
	}
	if (rc != 0) {
		cli_err("cannot read %s: %s", path,
		        rc == STORE_ECORRUPT ? "not JSON" : store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	if (json_object_get(v, "withdrawn")) {
		cli_err("%s was already withdrawn on %s", iname(path),
		        str_of(json_object_get(v, "withdrawn"), "at"));
		rc = EXIT_NO;
		goto done;
	}
	keys_time_format(at, store_now());
	json_object_set_new(v, "withdrawn",
	                    json_pack("{s:s,s:s}", "at", at, "reason", reason));
	/* the pin is checked as for any write: a derived item stays consistent */
	rc = item_prepare(&ct, path, v, "--reason", &canon, &clen);
	if (rc != 0)
		goto done;
	snprintf(msg, sizeof(msg), "catalog withdraw %s", iname(path));
	ch = (store_change){ path, canon, clen };
	rc = commit_changes(&ct, &ch, 1, msg, out, &unchanged);
	if (rc != 0)
		goto done;
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "item", iname(path),
		                      "path", path, "commit", out, "withdrawn", "at",
		                      at, "reason", reason);
		print_json(o);
		json_decref(o);
	} else {
		printf("committed %s %s: withdrawn\n", out, path);
	}
	rc = EXIT_OK;
done:
	free(canon);
	json_decref(v);
	cat_close(&ct);
	return rc;
}

/* ---- coverage ------------------------------------------------------------------- */

/*
 * How `node` (an id; the own when it is c->self) at `level` covers the
 * catalog of `up`: a JSON object, or NULL after printing why.
 */
static json_t *coverage_of(cat *c, const char *node, store_level level,
                           const char *up, int *rc)
{
	const char *tag = level_tag(level);
	json_t *all = NULL, *items = json_array(), *pair, *res;
	json_int_t applicable = 0, adopted = 0, localized = 0, na = 0,
	           pending = 0, not_required = 0, withdrawn = 0, complete;
	size_t i;
	int r;

	r = catalog_walk(c, up, NULL, &all);
	if (r != 0) {
		cli_err("cannot read %s's catalog: %s", up, store_errmsg());
		*rc = cli_exit_for(r);
		json_decref(items);
		return NULL;
	}
	json_array_foreach(all, i, pair) {
		const char *path = json_string_value(json_array_get(pair, 0));
		json_t *u = json_array_get(pair, 1), *lv = NULL, *e;
		const json_t *levels = json_object_get(u, "levels"), *d;
		char blob[STORE_OID_HEX], commit[STORE_OID_HEX];
		char ublob[STORE_OID_HEX], ucommit[STORE_OID_HEX];
		const char *via = NULL, *status = "pending";
		char note[160] = "";

		if (json_object_get(u, "withdrawn")) {
			withdrawn++;
			continue;
		}
		e = json_pack("{s:s,s:s,s:s,s:s}", "item", iname(path), "id",
		              str_of(u, "id"), "area", str_of(u, "area"), "name",
		              str_of(u, "name"));
		if (levels && tag && !in_list(levels, tag)) {
			not_required++;
			json_object_set_new(e, "status", json_string("not_required"));
			json_object_set(e, "levels", (json_t *)levels);
			json_array_append_new(items, e);
			continue;
		}
		applicable++;
		r = item_read(c, node, path, &lv, blob, commit);
		d = json_object_get(lv, "derived");
		if (r != 0) {
			/* not there: pending */
		} else if (json_object_get(lv, "withdrawn")) {
			snprintf(note, sizeof(note), "withdrawn here");
		} else if (d == NULL) {
			snprintf(note, sizeof(note),
			         "has an item of its own under this id");
		} else {
			/* derived from `up`, directly or through intermediate
			 * nodes that derived it from `up` in turn */
			const char *from = str_of(d, "node");
			json_t *hop = NULL;
			int depth = 0;
			while (from && strcmp(from, up) != 0 && depth < ANC_MAX) {
				char b2[STORE_OID_HEX], c2[STORE_OID_HEX];
				json_t *next = NULL;
				if (via == NULL)
					via = from;
				if (item_read(c, from, path, &next, b2, c2) != 0) {
					json_decref(next);
					break;
				}
				json_decref(hop);
				hop = next;
				from = str_of(json_object_get(hop, "derived"), "node");
				depth++;
			}
			if (from && strcmp(from, up) == 0) {
				const json_t *ov = json_object_get(d, "overrides");
				if (json_object_get(d, "not_applicable")) {
					status = "not_applicable";
					json_object_set_new(
						e, "reason",
						json_string(str_of(d, "not_applicable")));
				} else if (json_array_size(ov) > 0) {
					size_t j;
					json_t *f, *diff = json_array();
					status = "localized";
					json_array_foreach(ov, j, f) {
						const char *fn = json_string_value(f);
						json_array_append_new(
							diff, json_pack("{s:s,s:o,s:o}", "field", fn,
							                "upstream", value_or_null(u, fn),
							                "local", value_or_null(lv, fn)));
					}
					json_object_set(e, "overrides", (json_t *)ov);
					json_object_set_new(e, "diff", diff);
				} else {
					status = "adopted";
				}
				if (via)
					json_object_set_new(e, "via", json_string(via));
				else if (store_record_stat(c->h.st, nd(c, up), path, ublob,
				                           ucommit) == 0)
					json_object_set_new(
						e, "drifted",
						json_boolean(strcmp(ublob, str_of(d, "blob")) != 0));
			} else {
				snprintf(note, sizeof(note), "derived from %s, not from %s",
				         str_of(d, "node"), up);
			}
			json_decref(hop);
		}
		json_decref(lv);
		if (!strcmp(status, "adopted"))
			adopted++;
		else if (!strcmp(status, "localized"))
			localized++;
		else if (!strcmp(status, "not_applicable"))
			na++;
		else
			pending++;
		json_object_set_new(e, "status", json_string(status));
		if (note[0])
			json_object_set_new(e, "note", json_string(note));
		json_array_append_new(items, e);
	}
	json_decref(all);
	complete = adopted + localized + na;
	res = json_pack(
		"{s:s,s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:I,s:I,s:o}", "node",
		node, "upstream", up, "level_tag", tag ? json_string(tag) : json_null(),
		"counts", "applicable", applicable, "adopted", adopted, "localized",
		localized, "not_applicable", na, "pending", pending, "not_required",
		not_required, "withdrawn", withdrawn, "complete", complete, "percent",
		applicable ? complete * 100 / applicable : (json_int_t)100, "items",
		items);
	*rc = EXIT_OK;
	return res;
}

static void coverage_text(const json_t *cv, int details)
{
	const json_t *k = json_object_get(cv, "counts");
	size_t i;
	json_t *x;

	printf("%s covers %s: %lld of %lld applicable items (%lld%%): adopted "
	       "%lld, localized %lld, not applicable %lld, pending %lld "
	       "(not required at this level %lld, withdrawn upstream %lld)\n",
	       str_of(cv, "node"), str_of(cv, "upstream"),
	       (long long)json_integer_value(json_object_get(cv, "complete")),
	       (long long)json_integer_value(json_object_get(k, "applicable")),
	       (long long)json_integer_value(json_object_get(cv, "percent")),
	       (long long)json_integer_value(json_object_get(k, "adopted")),
	       (long long)json_integer_value(json_object_get(k, "localized")),
	       (long long)json_integer_value(json_object_get(k, "not_applicable")),
	       (long long)json_integer_value(json_object_get(k, "pending")),
	       (long long)json_integer_value(json_object_get(k, "not_required")),
	       (long long)json_integer_value(json_object_get(k, "withdrawn")));
	json_array_foreach(json_object_get(cv, "items"), i, x) {
		const char *st = str_of(x, "status");
		if (!details && strcmp(st, "localized") && strcmp(st, "not_applicable"))
			continue;
		printf("  %-16s %-32s %s", st, str_of(x, "item"), str_of(x, "name"));
		if (!strcmp(st, "not_applicable"))
			printf(" — %s", str_of(x, "reason"));
		if (!strcmp(st, "localized")) {
			char ov[256];
			list_join(ov, sizeof(ov), json_object_get(x, "overrides"));
			printf(" — overrides %s", ov);
		}
		if (json_is_true(json_object_get(x, "drifted")))
			printf(" [drifted]");
		if (str_of(x, "note"))
			printf(" (%s)", str_of(x, "note"));
		printf("\n");
	}
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int coverage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 0 },
		{ "from", required_argument, NULL, 0 },
		{ "children", no_argument, NULL, 0 },
		{ "json", no_argument, NULL, 0 },
		{ "help", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	const char *home = NULL, *from = NULL;
	int idx, c, json = 0, children = 0, rc;
	json_t *res = NULL;
	store_head *heads = NULL;
	store_child *kids = NULL;
	size_t nheads = 0, nkids = 0, i;
	cat ct;

	while ((c = cli_getopt("catalog coverage", argc, argv, opts, &idx)) >= 0) {
		switch (c) {
		case 0: home = optarg; break;
		case 1: from = optarg; break;
		case 2: children = 1; break;
		case 3: json = 1; break;
		case 4: fputs(usage, stdout); return EXIT_OK;
		}
	}
	if (c == -2)
		return EXIT_USAGE;
	if (!home)
		return cli_usage("catalog coverage", "--home is required");
	if (from && children)
		return cli_usage("catalog coverage",
		                 "--children measures each child against this node; "
		                 "it does not take --from");
	if (from && !store_id_valid(from))
		return cli_usage("catalog coverage",
		                 "--from '%s' is not a division code", from);
	rc = cat_open(&ct, home, 0);
	if (rc != 0)
		return rc;
	if (!children) {
		store_head head;
		const char *up = from ? from : (ct.nanc ? ct.anc[0] : NULL);
		if (up == NULL) {
			cli_err("%s has no parent; use --children to see how its "
			        "children cover its catalog", ct.self);
			rc = EXIT_NO;
			goto done;
		}
		if (!is_ancestor(&ct, up)) {
			cli_err("%s is not an ancestor of %s; coverage is measured "
			        "against an ancestor's catalog", up, ct.self);
			rc = EXIT_NO;
			goto done;
		}
		if (store_head_get(ct.h.st, up, &head) != 0) {
			cli_err("%s's history is not held here yet; let the node sync or "
			        "import its bundle first", up);
			rc = EXIT_NO;
			goto done;
		}
		res = coverage_of(&ct, ct.self, ct.h.cfg.level, up, &rc);
		if (res == NULL)
			goto done;
		if (json)
			print_json(res);
		else
			coverage_text(res, 1);
		rc = EXIT_OK;
		goto done;
	}
	/* every child: certified here, or whose held history names this node
	 * as its parent */
	rc = store_heads_list(ct.h.st, &heads, &nheads);
	if (rc == 0)
		rc = store_children(ct.h.st, &kids, &nkids);
	if (rc != 0) {
		cli_err("cannot list the children: %s", store_errmsg());
		rc = cli_exit_for(rc);
		goto done;
	}
	{
		const char **ids = calloc(nheads + nkids + 1, sizeof(*ids));
		size_t n = 0;
		json_t *arr = json_array();

		if (ids == NULL) {
			json_decref(arr);
			cli_err("out of memory");
			rc = EXIT_RUNTIME;
			goto done;
		}
		for (i = 0; i < nkids; i++)
			if (kids[i].active)
				ids[n++] = kids[i].id;
		for (i = 0; i < nheads; i++) {
			store_identity id;
			int dup = 0;
			if (heads[i].own ||
			    store_identity_get(ct.h.st, heads[i].id, &id) != 0 ||
			    strcmp(id.parent, ct.self) != 0)
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= strcmp(ids[j], heads[i].id) == 0;
			if (!dup)
				ids[n++] = heads[i].id;
		}
		qsort(ids, n, sizeof(*ids), cmp_id);
		for (i = 0; i < n; i++) {
			store_identity id;
			json_t *cv;
			if (store_identity_get(ct.h.st, ids[i], &id) != 0) {
				json_array_append_new(
					arr, json_pack("{s:s,s:b}", "node", ids[i], "held", 0));
				if (!json)
					printf("%s: its history is not held here yet\n", ids[i]);
				continue;
			}
			cv = coverage_of(&ct, ids[i], id.level, ct.self, &rc);
			if (cv == NULL) {
				free(ids);
				json_decref(arr);
				goto done;
			}
			json_object_set_new(cv, "held", json_true());
			json_object_set_new(cv, "name", json_string(id.name));
			json_object_set_new(cv, "level",
			                    json_string(store_level_name(id.level)));
			if (!json)
				coverage_text(cv, 0);
			json_array_append_new(arr, cv);
		}
		free(ids);
		res = json_pack("{s:s,s:o}", "node", ct.self, "children", arr);
		if (json)
			print_json(res);
		else if (n == 0)
			printf("%s has no children\n", ct.self);
	}
	rc = EXIT_OK;
done:
	free(heads);
	free(kids);
	json_decref(res);
	cat_close(&ct);
	return rc;
}

int cmd_catalog(int argc, char **argv)
{
	static const cli_sub subs[] = {
		{ "put", put },
		{ "show", show },
		{ "list", list },
		{ "derive", derive },
		{ "rederive", rederive },
		{ "withdraw", withdraw },
		{ "coverage", coverage },
	};

	return cli_dispatch("catalog", usage, subs, sizeof(subs) / sizeof(subs[0]),
	                    argc, argv);
}
