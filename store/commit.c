/*
 * commit.c — writing the own history: records, the genesis, certificates,
 * revocations and key rotations. Every commit is checked by the same code
 * an importer runs (history.c) before refs/heads/main moves.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_record_prepare(char **out, size_t *outlen, const char *path,
                         const void *data, size_t len)
{
	char why[600];
	int rc = rec_prepare(path, data, len, out, outlen, why, sizeof(why));

	if (rc != 0)
		store_seterr("%s", why);
	return rc;
}

static int path_ok(const char *path)
{
	const char *p = path, *slash;

	if (*p == '\0' || strlen(path) >= STORE_PATH_MAX)
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!store_path_component_ok(p, n))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

static int64_t commit_time_after(git_commit *head)
{
	int64_t now = store_now();

	/* a history's times never go backwards, even if the clock does */
	if (head != NULL && now < git_commit_time(head))
		return git_commit_time(head);
	return now;
}

static int parent_tree_for(store *st, const char *parent, git_tree **out)
{
	char ref[STORE_PATH_MAX];
	git_oid id;
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	if (parent == NULL || parent[0] == '\0')
		return 0;
	snprintf(ref, sizeof(ref), "%s%s", STORE_REF_NODES, parent);
	rc = store_ref_lookup(st, ref, &id);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (git_commit_lookup(&c, st->repo, &id) != 0 ||
	    git_commit_tree(out, c) != 0) {
		git_commit_free(c);
		return store_giterr("cannot read the parent's history");
	}
	git_commit_free(c);
	return 0;
}

/* ---- node.json ------------------------------------------------------------------ */

static int node_record(char **out, size_t *outlen, const store_identity *id,
                       const keys_public *key)
{
	char line[KEYS_PUBLIC_LINE_MAX];
	json_t *v;
	int rc;

	keys_public_format(line, sizeof(line), key, NULL);
	v = json_pack("{s:s,s:s,s:s,s:s}", "id", id->id, "level",
	              store_level_name(id->level), "name", id->name, "key", line);
	if (v == NULL)
		return STORE_ENOMEM;
	json_object_set_new(v, "parent", id->parent[0]
	                                         ? json_string(id->parent)
	                                         : json_null());
	rc = store_json_canon(out, outlen, v, 1);
	json_decref(v);
	return rc;
}

/*
 * The one place the own history grows. `t` is the commit time (callers
 * that sign records with a time pass the same one).
 */
static int commit_at(store *st, const keys_secret *sk, const store_change *ch,
                     size_t n, const char *message, int64_t t,
                     char out[STORE_OID_HEX])
{
	git_oid head_id, tree_id, commit_id;
	git_commit *head = NULL, *commit = NULL;
	git_tree *base = NULL, *tree = NULL, *ptree = NULL;
	git_tree_update *up = NULL;
	git_signature *who = NULL;
	git_reference *ref = NULL;
	rec_keystate before = { 0 };
	hist_ctx hc;
	int has_head, rc, hc_live = 0;
	char why[600], email[256];
	keys_public signer;
	const store_identity *ident;
	store_identity gen;
	char *node_json = NULL;

	memset(&hc, 0, sizeof(hc));
	rc = store_ref_lookup(st, STORE_REF_OWN, &head_id);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	has_head = rc == 0;
	if (has_head) {
		if (git_commit_lookup(&head, st->repo, &head_id) != 0 ||
		    git_commit_tree(&base, head) != 0) {
			rc = store_giterr("cannot read own head");
			goto cleanup;
		}
		rc = rec_keystate_load(st->repo, base, &before, why, sizeof(why));
		if (rc != 0) {
			store_seterr("own head: %s", why);
			goto cleanup;
		}
	}

	up = calloc(n + 1, sizeof(*up));
	if (up == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (!path_ok(ch[i].path)) {
			store_seterr("'%s' is not a valid record path", ch[i].path);
			rc = STORE_EINVAL;
			goto cleanup;
		}
		size_t max = REC_IS_FILE(rec_kind_of(ch[i].path))
		                     ? STORE_FILE_MAX
		                     : STORE_RECORD_MAX;
		if (ch[i].data != NULL && ch[i].len > max) {
			store_seterr("%s is too large (%zu bytes; at most %zu)",
			             ch[i].path, ch[i].len, max);
			rc = STORE_ETOOBIG;
			goto cleanup;
		}
		up[i].path = ch[i].path;
		if (ch[i].data == NULL) {
			up[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		if (git_blob_create_from_buffer(&up[i].id, st->repo, ch[i].data,
		                                ch[i].len) != 0) {
			rc = store_giterr("cannot write record");
			goto cleanup;
		}
	}
	/* After a re-enrollment the signer is a newly certified key: node.json
	 * names the key that signs, so it follows. */
	signer = *keys_secret_public(sk);
	if (before.has_node && !keys_public_equal(&before.ident.key, &signer)) {
		int touches = 0;
		for (size_t i = 0; i < n; i++)
			touches |= strcmp(ch[i].path, "node.json") == 0;
		if (!touches) {
			size_t len;
			rc = node_record(&node_json, &len, &before.ident, &signer);
			if (rc != 0)
				goto cleanup;
			up[n].path = "node.json";
			up[n].action = GIT_TREE_UPDATE_UPSERT;
			up[n].filemode = GIT_FILEMODE_BLOB;
			if (git_blob_create_from_buffer(&up[n].id, st->repo, node_json,
			                                len) != 0) {
				rc = store_giterr("cannot write node.json");
				goto cleanup;
			}
			n++;
		}
	}
	if (base != NULL) {
		if (git_tree_create_updated(&tree_id, st->repo, base, n, up) != 0) {
			rc = store_giterr("cannot build tree");
			goto cleanup;
		}
		if (git_oid_equal(&tree_id, git_tree_id(base))) {
			store_seterr("nothing changed");
			rc = STORE_EUNCHANGED;
			goto cleanup;
		}
	} else if (git_tree_create_updated(&tree_id, st->repo, NULL, n, up) != 0) {
		rc = store_giterr("cannot build tree");
		goto cleanup;
	}
	if (git_tree_lookup(&tree, st->repo, &tree_id) != 0) {
		rc = store_giterr("cannot read new tree");
		goto cleanup;
	}

	/* who: the node, by name and id */
	{
		rec_keystate after;
		rc = rec_keystate_load(st->repo, tree, &after, why, sizeof(why));
		if (rc != 0 || !after.has_node) {
			store_seterr("%s", rc ? why : "the first commit must write "
			                              "node.json (store_genesis)");
			rec_keystate_clear(&after);
			rc = STORE_EREJECT;
			goto cleanup;
		}
		gen = after.ident;
		rec_keystate_clear(&after);
	}
	ident = &gen;
	snprintf(email, sizeof(email), "%s@govfed.invalid", ident->id);
	if (git_signature_new(&who, ident->name, email, (git_time_t)t, 0) != 0) {
		rc = store_giterr("cannot make commit signature");
		goto cleanup;
	}
	{
		size_t ml = strlen(message);
		char *m = malloc(ml + 2);
		if (m == NULL) {
			rc = STORE_ENOMEM;
			goto cleanup;
		}
		memcpy(m, message, ml);
		m[ml] = '\n';
		m[ml + 1] = '\0';
		rc = store_commit_create_signed(st->repo, sk, who, m, tree, head,
		                                &commit_id);
		free(m);
	}
	if (rc != 0)
		goto cleanup;
	if (git_commit_lookup(&commit, st->repo, &commit_id) != 0) {
		rc = store_giterr("cannot read new commit");
		goto cleanup;
	}

	/* the importer's check, before the ref moves */
	rc = parent_tree_for(st, ident->parent, &ptree);
	if (rc != 0)
		goto cleanup;
	{
		keys_public root = st->has_root ? st->root : signer;
		rc = hist_ctx_init(&hc, st->repo, &root, ident->id, ptree, NULL);
		if (rc != 0)
			goto cleanup;
		hc_live = 1;
		/* Without the parent's history (not synced yet) or the root key,
		 * the chain cannot be judged here; peers will judge it. */
		hc.skip_chain = (ident->parent[0] != '\0' && ptree == NULL) ||
		                !st->has_root;
		rc = hist_ctx_start(&hc, head);
		if (rc != 0)
			goto cleanup;
		rc = hist_check_commit(&hc, commit, &signer, why, sizeof(why));
		if (rc != 0) {
			store_seterr("refused: %s", why);
			rc = STORE_EREJECT;
			goto cleanup;
		}
	}
	if (has_head)
		rc = git_reference_create_matching(&ref, st->repo, STORE_REF_OWN,
		                                   &commit_id, 1, &head_id, message);
	else
		rc = git_reference_create(&ref, st->repo, STORE_REF_OWN, &commit_id,
		                          0, message);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		store_seterr("another process wrote this node's history at the same "
		             "time; try again");
		rc = STORE_ECONFLICT;
		goto cleanup;
	}
	if (rc != 0) {
		rc = store_giterr("cannot move refs/heads/main");
		goto cleanup;
	}
	git_oid_tostr(out, STORE_OID_HEX, &commit_id);
	rc = 0;
cleanup:
	if (hc_live)
		hist_ctx_clear(&hc);
	rec_keystate_clear(&before);
	git_reference_free(ref);
	git_signature_free(who);
	git_commit_free(commit);
	git_commit_free(head);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_tree_free(base);
	free(up);
	free(node_json);
	return rc;
}

static int own_head(store *st, git_commit **out)
{
	git_oid id;
	int rc = store_ref_lookup(st, STORE_REF_OWN, &id);

	*out = NULL;
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (git_commit_lookup(out, st->repo, &id) != 0)
		return store_giterr("cannot read own head");
	return 0;
}

int store_commit(store *st, const keys_secret *sk, const store_change *ch,
                 size_t n, const char *message, char out[STORE_OID_HEX])
{
	git_commit *head = NULL;
	int64_t t;
	int rc;

	rc = own_head(st, &head);
	if (rc != 0)
		return rc;
	t = commit_time_after(head);
	git_commit_free(head);
	return commit_at(st, sk, ch, n, message, t, out);
}

int store_genesis(store *st, const keys_secret *sk, const store_identity *id,
                  char out[STORE_OID_HEX])
{
	git_commit *head = NULL;
	store_change ch;
	char *rec = NULL, msg[256];
	size_t len;
	int rc;

	rc = own_head(st, &head);
	if (rc != 0)
		return rc;
	if (head != NULL) {
		git_commit_free(head);
		store_seterr("this store already has a history");
		return STORE_EUNCHANGED;
	}
	if (!store_id_valid(id->id)) {
		store_seterr("'%s' is not a node id", id->id);
		return STORE_EINVAL;
	}
	rc = node_record(&rec, &len, id, keys_secret_public(sk));
	if (rc != 0)
		return rc;
	ch = (store_change){ "node.json", rec, len };
	snprintf(msg, sizeof(msg), "genesis: %s %s (%s)", id->id, id->name,
	         store_level_name(id->level));
	rc = store_commit(st, sk, &ch, 1, msg, out);
	free(rec);
	return rc;
}

/* ---- signed events ---------------------------------------------------------------- */

static int sign_into(json_t *obj, const char *field, const char *ns,
                     const keys_secret *sk)
{
	unsigned char raw[KEYS_SSHSIG_MAX];
	char b64[1024], *msg = NULL;
	size_t rawlen, msglen;
	int rc;

	rc = rec_signed_bytes(obj, &msg, &msglen);
	if (rc != 0)
		return rc;
	rc = keys_sshsig_sign(raw, sizeof(raw), &rawlen, sk, ns, msg, msglen);
	free(msg);
	if (rc != 0 || keys_b64_encode(b64, sizeof(b64), raw, rawlen) != 0) {
		store_seterr("cannot sign record");
		return STORE_EKEY;
	}
	json_object_set_new(obj, field, json_string(b64));
	return 0;
}

/* certs/<child>.json as held now, or a fresh one. */
static int load_certs(store *st, const char *child, json_t **out)
{
	char path[64], *data = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "certs/%s.json", child);
	rc = store_record_read(st, NULL, path, &data, &len);
	if (rc == STORE_ENOTFOUND) {
		*out = json_pack("{s:s,s:[]}", "child", child, "events");
		return *out ? 0 : STORE_ENOMEM;
	}
	if (rc != 0)
		return rc;
	rc = store_json_parse(out, data, len, STORE_RECORD_MAX, path);
	free(data);
	return rc;
}

/* Index of the certificate in effect (not revoked after it), or -1. */
static long active_cert(const json_t *events)
{
	long active = -1;
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		if (type && strcmp(type, "cert") == 0)
			active = (long)i;
		else
			active = -1;
	}
	return active;
}

static int held_head_of(store *st, const char *child, char out[STORE_OID_HEX])
{
	char ref[STORE_PATH_MAX];
	git_oid id;
	int rc;

	out[0] = '\0';
	snprintf(ref, sizeof(ref), "%s%s", STORE_REF_NODES, child);
	rc = store_ref_lookup(st, ref, &id);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	git_oid_tostr(out, STORE_OID_HEX, &id);
	return 0;
}

static json_t *revoke_event(const char *child, const char *parent,
                            const char *at, const char *reason,
                            const char *last_good)
{
	json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "revoke", "child",
	                      child, "parent", parent, "at", at, "reason", reason);

	if (e != NULL && last_good[0] != '\0')
		json_object_set_new(e, "last_good", json_string(last_good));
	return e;
}

static int commit_certs(store *st, const keys_secret *sk, const char *child,
                        json_t *certs, const char *message, int64_t t,
                        char out[STORE_OID_HEX])
{
	char path[64], *data = NULL;
	size_t len;
	store_change ch;
	int rc;

	snprintf(path, sizeof(path), "certs/%s.json", child);
	rc = store_json_canon(&data, &len, certs, 1);
	if (rc != 0)
		return rc;
	ch = (store_change){ path, data, len };
	rc = commit_at(st, sk, &ch, 1, message, t, out);
	free(data);
	return rc;
}

int store_enroll(store *st, const keys_secret *sk, const store_identity *child,
                 const keys_public *child_key, int64_t valid_from,
                 int64_t valid_until, int force, char out[STORE_OID_HEX])
{
	store_identity me;
	git_commit *head = NULL;
	json_t *certs = NULL, *events, *e = NULL;
	char line[KEYS_PUBLIC_LINE_MAX], from[21], until[21], at[21];
	char last_good[STORE_OID_HEX], msg[300], fp[KEYS_FINGERPRINT_MAX];
	long active;
	int64_t t;
	int rc;

	rc = store_identity_get(st, NULL, &me);
	if (rc != 0) {
		store_seterr("this node has no history yet (run govfed init)");
		return rc;
	}
	if (!store_id_valid(child->id)) {
		store_seterr("'%s' is not a node id (6, 9 or 12 digits)", child->id);
		return STORE_EINVAL;
	}
	if (strcmp(child->id, me.id) == 0) {
		store_seterr("a node cannot enroll itself");
		return STORE_EINVAL;
	}
	if (child->level <= me.level) {
		store_seterr("a %s can only enroll nodes of a lower level (not a %s)",
		             store_level_name(me.level), store_level_name(child->level));
		return STORE_EINVAL;
	}
	if (keys_public_equal(child_key, &me.key)) {
		store_seterr("the child's key is this node's own key");
		return STORE_EINVAL;
	}
	rc = own_head(st, &head);
	if (rc != 0)
		return rc;
	t = commit_time_after(head);
	git_commit_free(head);

	rc = load_certs(st, child->id, &certs);
	if (rc != 0)
		return rc;
	events = json_object_get(certs, "events");
	active = active_cert(events);
	if (active >= 0) {
		keys_public k;
		const char *ks = json_string_value(
		        json_object_get(json_array_get(events, (size_t)active), "key"));
		keys_public_parse(&k, ks, strlen(ks), NULL, 0);
		if (keys_public_equal(&k, child_key)) {
			store_seterr("%s is already enrolled with this key", child->id);
			rc = STORE_EUNCHANGED;
			goto cleanup;
		}
		keys_public_fingerprint(fp, &k);
		if (!force) {
			store_seterr("%s is already enrolled with key %s; to replace it "
			             "(its old key is then revoked), use --force",
			             child->id, fp);
			rc = STORE_EINVAL;
			goto cleanup;
		}
		keys_time_format(at, t);
		rc = held_head_of(st, child->id, last_good);
		if (rc != 0)
			goto cleanup;
		e = revoke_event(child->id, me.id, at, "re-enrolled with a new key",
		                 last_good);
		if (e == NULL || sign_into(e, "sig", STORE_SIG_NS_CERT, sk) != 0 ||
		    json_array_append_new(events, e) != 0) {
			rc = STORE_ENOMEM;
			goto cleanup;
		}
		e = NULL;
	}
	/* a certificate never reaches back before a revocation (records.c
	 * refuses it): a re-enrollment takes effect from then on */
	{
		size_t i;
		json_t *x;
		int64_t at_t;
		json_array_foreach(events, i, x) {
			const char *type = json_string_value(json_object_get(x, "type"));
			if (type && !strcmp(type, "revoke") &&
			    keys_time_parse(&at_t, json_string_value(
			                                   json_object_get(x, "at"))) == 0 &&
			    at_t > valid_from)
				valid_from = at_t;
		}
		if (valid_until != 0 && valid_until <= valid_from) {
			store_seterr("--valid-until falls before the certificate can "
			             "take effect (after %s's last revocation)",
			             child->id);
			rc = STORE_EINVAL;
			goto cleanup;
		}
	}
	keys_public_format(line, sizeof(line), child_key, NULL);
	keys_time_format(from, valid_from);
	e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "cert", "child",
	              child->id, "parent", me.id, "level",
	              store_level_name(child->level), "name", child->name, "key",
	              line, "valid_from", from);
	if (e == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	if (valid_until != 0) {
		keys_time_format(until, valid_until);
		json_object_set_new(e, "valid_until", json_string(until));
	}
	rc = sign_into(e, "sig", STORE_SIG_NS_CERT, sk);
	if (rc != 0)
		goto cleanup;
	json_array_append_new(events, e);
	e = NULL;
	snprintf(msg, sizeof(msg), "enroll %s %s (%s)", child->id, child->name,
	         store_level_name(child->level));
	rc = commit_certs(st, sk, child->id, certs, msg, t, out);
cleanup:
	json_decref(e);
	json_decref(certs);
	return rc;
}

int store_revoke(store *st, const keys_secret *sk, const char *child,
                 const char *reason, char out[STORE_OID_HEX])
{
	store_identity me;
	git_commit *head = NULL;
	json_t *certs = NULL, *e;
	char at[21], last_good[STORE_OID_HEX], msg[700];
	int64_t t;
	int rc;

	rc = store_identity_get(st, NULL, &me);
	if (rc != 0)
		return rc;
	if (!store_id_valid(child)) {
		store_seterr("'%s' is not a node id (6, 9 or 12 digits)", child);
		return STORE_EINVAL;
	}
	if (reason == NULL || reason[0] == '\0') {
		store_seterr("a revocation needs a reason");
		return STORE_EINVAL;
	}
	rc = load_certs(st, child, &certs);
	if (rc != 0)
		return rc;
	if (json_array_size(json_object_get(certs, "events")) == 0) {
		store_seterr("%s was never enrolled by this node", child);
		rc = STORE_ENOTFOUND;
		goto cleanup;
	}
	if (active_cert(json_object_get(certs, "events")) < 0) {
		store_seterr("%s is already revoked", child);
		rc = STORE_EUNCHANGED;
		goto cleanup;
	}
	rc = own_head(st, &head);
	if (rc != 0)
		goto cleanup;
	t = commit_time_after(head);
	git_commit_free(head);
	keys_time_format(at, t);
	rc = held_head_of(st, child, last_good);
	if (rc != 0)
		goto cleanup;
	e = revoke_event(child, me.id, at, reason, last_good);
	if (e == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	rc = sign_into(e, "sig", STORE_SIG_NS_CERT, sk);
	if (rc != 0) {
		json_decref(e);
		goto cleanup;
	}
	json_array_append_new(json_object_get(certs, "events"), e);
	snprintf(msg, sizeof(msg), "revoke %s: %.600s", child, reason);
	rc = commit_certs(st, sk, child, certs, msg, t, out);
cleanup:
	json_decref(certs);
	return rc;
}

int store_rotate(store *st, const keys_secret *old_sk,
                 const keys_secret *new_sk, char out[STORE_OID_HEX])
{
	store_identity me;
	git_commit *head = NULL;
	json_t *keys = NULL, *r = NULL;
	char oldl[KEYS_PUBLIC_LINE_MAX], newl[KEYS_PUBLIC_LINE_MAX], at[21];
	char *kdata = NULL, *ndata = NULL, *cur = NULL;
	size_t klen, nlen, curlen;
	store_change ch[2];
	int64_t t;
	int rc;

	rc = store_identity_get(st, NULL, &me);
	if (rc != 0)
		return rc;
	if (!keys_public_equal(&me.key, keys_secret_public(old_sk))) {
		store_seterr("the key given is not this node's key in effect");
		return STORE_EINVAL;
	}
	rc = own_head(st, &head);
	if (rc != 0)
		return rc;
	t = commit_time_after(head);
	git_commit_free(head);

	rc = store_record_read(st, NULL, "keys.json", &cur, &curlen);
	if (rc == STORE_ENOTFOUND)
		keys = json_pack("{s:[]}", "rotations");
	else if (rc == 0)
		rc = store_json_parse(&keys, cur, curlen, STORE_RECORD_MAX,
		                      "keys.json");
	free(cur);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	if (keys == NULL)
		return STORE_ENOMEM;
	keys_public_format(oldl, sizeof(oldl), keys_secret_public(old_sk), NULL);
	keys_public_format(newl, sizeof(newl), keys_secret_public(new_sk), NULL);
	keys_time_format(at, t);
	r = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "rotation", "node", me.id,
	              "old", oldl, "new", newl, "at", at);
	if (r == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	rc = sign_into(r, "sig_old", STORE_SIG_NS_ROTATE, old_sk);
	if (rc == 0)
		rc = sign_into(r, "sig_new", STORE_SIG_NS_ROTATE, new_sk);
	if (rc != 0)
		goto cleanup;
	json_array_append(json_object_get(keys, "rotations"), r);
	rc = store_json_canon(&kdata, &klen, keys, 1);
	if (rc == 0)
		rc = node_record(&ndata, &nlen, &me, keys_secret_public(new_sk));
	if (rc != 0)
		goto cleanup;
	ch[0] = (store_change){ "keys.json", kdata, klen };
	ch[1] = (store_change){ "node.json", ndata, nlen };
	rc = commit_at(st, old_sk, ch, 2, "rotate node key", t, out);
cleanup:
	json_decref(r);
	json_decref(keys);
	free(kdata);
	free(ndata);
	return rc;
}
