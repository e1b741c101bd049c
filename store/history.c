/*
 * history.c — checking a history one commit at a time. The writer, the
 * importer and the auditor all come through hist_check_commit(), so the
 * four acceptance rules of design.md are written once:
 *   1. the signer's key chains to the root at this commit (keys/chain.c),
 *   2. the commit is signed by it (signature.c),
 *   3. the history is linear and continues the checked one,
 *   4. every change lies in the node's own records and passes its schema
 *      (records.c).
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANGES 20000

/* The node whose history names `key` (node.json, keys.json) or that a
 * certificate in any held history gives it to. */
int store_key_owner(store *st, const keys_public *key,
                    char out[KEYS_ID_MAX + 1])
{
	store_head *heads = NULL;
	size_t n = 0;
	int rc, found = 0;

	rc = store_heads_list(st, &heads, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n && !found; i++) {
		git_oid id;
		git_commit *c = NULL;
		git_tree *t = NULL, *ct = NULL;
		git_tree_entry *certs = NULL;
		rec_keystate ks;
		char why[256];

		if (git_oid_fromstr(&id, heads[i].commit) != 0 ||
		    git_commit_lookup(&c, st->repo, &id) != 0 ||
		    git_commit_tree(&t, c) != 0)
			goto next;
		if (rec_keystate_load(st->repo, t, &ks, why, sizeof(why)) == 0) {
			if (ks.has_node && keys_public_equal(&ks.ident.key, key))
				found = 1;
			for (size_t j = 0; j < ks.nrotations && !found; j++)
				found = keys_public_equal(&ks.rotations[j].old_key, key) ||
				        keys_public_equal(&ks.rotations[j].new_key, key);
			if (found)
				snprintf(out, KEYS_ID_MAX + 1, "%s", ks.ident.id);
			rec_keystate_clear(&ks);
		}
		if (found || git_tree_entry_bypath(&certs, t, "certs") != 0 ||
		    git_tree_lookup(&ct, st->repo, git_tree_entry_id(certs)) != 0)
			goto next;
		for (size_t j = 0; j < git_tree_entrycount(ct) && !found; j++) {
			const char *name = git_tree_entry_name(git_tree_entry_byindex(ct, j));
			char child[KEYS_ID_MAX + 1];
			keys_event *ev = NULL;
			size_t nev = 0, nl = strlen(name);
			if (nl <= 5 || nl - 5 > KEYS_ID_MAX)
				continue;
			memcpy(child, name, nl - 5);
			child[nl - 5] = '\0';
			if (rec_certs_load(st->repo, t, child, &ev, &nev) != 0)
				continue;
			for (size_t k = 0; k < nev && !found; k++)
				if (ev[k].type == KEYS_EVENT_CERT &&
				    keys_public_equal(&ev[k].key, key)) {
					found = 1;
					snprintf(out, KEYS_ID_MAX + 1, "%s", child);
				}
			free(ev);
		}
	next:
		git_tree_free(ct);
		git_tree_entry_free(certs);
		git_tree_free(t);
		git_commit_free(c);
	}
	free(heads);
	return found ? 0 : STORE_ENOTFOUND;
}

int hist_ctx_init(hist_ctx *hc, git_repository *repo,
                  const keys_public *root, const char *node,
                  git_tree *parent_tree, const char *parent_missing)
{
	memset(hc, 0, sizeof(*hc));
	hc->repo = repo;
	hc->root = root;
	hc->node = node;
	hc->parent_tree = parent_tree;
	hc->parent_missing = parent_missing;
	hc->checking_pos = -1;
	return keys_chain_new(&hc->chain, root) == 0 ? 0 : STORE_ENOMEM;
}

void hist_ctx_clear(hist_ctx *hc)
{
	keys_chain_free(hc->chain);
	rec_keystate_clear(&hc->before);
	memset(hc, 0, sizeof(*hc));
}

/* Tells the chain who node's parent is and what it certified, once the
 * node's identity is known (from its first node.json). */
static int load_events(hist_ctx *hc, const char *child, const char *parent)
{
	keys_event *ev = NULL;
	size_t n = 0;
	int rc;

	if (keys_chain_set_node(hc->chain, child, parent) != 0)
		return STORE_ENOMEM;
	rc = rec_certs_load(hc->repo, hc->parent_tree, child, &ev, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		keys_chain_add_event(hc->chain, child, &ev[i]);
	free(ev);
	return 0;
}

/* Tells the chain who node's parent is and what it certified, once the
 * node's identity is known (from its first node.json). The parent's
 * certificates for the node's siblings come along, so that a commit
 * signed by a sibling's key can be named as such. */
static int chain_setup(hist_ctx *hc, const store_identity *ident, char *why,
                       size_t whylen)
{
	git_tree_entry *e = NULL;
	git_tree *certs = NULL;
	int rc;

	if (ident->parent[0] == '\0')
		return keys_chain_set_node(hc->chain, hc->node, NULL) ? STORE_ENOMEM
		                                                      : 0;
	if (keys_chain_set_node(hc->chain, hc->node, ident->parent) != 0)
		return STORE_ENOMEM;
	if (hc->parent_tree == NULL)
		return 0; /* the check will say why */
	rc = load_events(hc, hc->node, ident->parent);
	if (rc != 0) {
		snprintf(why, whylen, "cannot read %s's certificates for %s: %s",
		         ident->parent, hc->node, store_errmsg());
		return STORE_EREJECT;
	}
	if (git_tree_entry_bypath(&e, hc->parent_tree, "certs") != 0)
		return 0;
	if (git_tree_lookup(&certs, hc->repo, git_tree_entry_id(e)) == 0) {
		for (size_t i = 0; i < git_tree_entrycount(certs); i++) {
			const char *name =
			        git_tree_entry_name(git_tree_entry_byindex(certs, i));
			char child[KEYS_ID_MAX + 1];
			size_t nl = strlen(name);
			if (nl <= 5 || nl - 5 > KEYS_ID_MAX)
				continue;
			memcpy(child, name, nl - 5);
			child[nl - 5] = '\0';
			if (strcmp(child, hc->node) != 0 && store_id_valid(child))
				load_events(hc, child, ident->parent);
		}
		git_tree_free(certs);
	}
	git_tree_entry_free(e);
	return 0;
}

int hist_ctx_start(hist_ctx *hc, git_commit *base)
{
	git_tree *t = NULL;
	char why[512];
	int rc;

	rec_keystate_clear(&hc->before);
	hc->parent_time = 0;
	if (base == NULL)
		return 0;
	if (git_commit_tree(&t, base) != 0)
		return store_giterr("cannot read the held head's tree");
	rc = rec_keystate_load(hc->repo, t, &hc->before, why, sizeof(why));
	git_tree_free(t);
	if (rc != 0) {
		store_seterr("the held head is unreadable: %s", why);
		return rc;
	}
	hc->parent_time = git_commit_time(base);
	if (hc->before.has_node)
		return chain_setup(hc, &hc->before.ident, why, sizeof(why));
	return 0;
}

/* ---- changed paths --------------------------------------------------------- */

typedef struct change {
	char *path;
	git_oid old, new;
	int has_old, has_new;
} change;

typedef struct changes {
	change *v;
	size_t n, cap;
	char bad[STORE_PATH_MAX + 128]; /* a structural problem, if any */
} changes;

static void changes_free(changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int changes_add(changes *c, const char *prefix, const char *name,
                       const git_oid *old, const git_oid *new)
{
	change *x;
	size_t plen = strlen(prefix), nlen = strlen(name);

	if (c->n >= MAX_CHANGES) {
		snprintf(c->bad, sizeof(c->bad),
		         "the commit changes more than %d paths", MAX_CHANGES);
		return -1;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		change *nv = realloc(c->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		c->v = nv;
		c->cap = ncap;
	}
	x = &c->v[c->n];
	memset(x, 0, sizeof(*x));
	x->path = malloc(plen + nlen + 1);
	if (x->path == NULL)
		return -1;
	memcpy(x->path, prefix, plen);
	memcpy(x->path + plen, name, nlen + 1);
	if (old) {
		x->old = *old;
		x->has_old = 1;
	}
	if (new) {
		x->new = *new;
		x->has_new = 1;
	}
	c->n++;
	return 0;
}

static int entry_mode_ok(changes *c, const char *prefix,
                         const git_tree_entry *e)
{
	git_filemode_t m = git_tree_entry_filemode(e);

	if (m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_TREE)
		return 1;
	snprintf(c->bad, sizeof(c->bad),
	         "'%s%s' has mode %06o; a history holds plain files only", prefix,
	         git_tree_entry_name(e), (unsigned)m);
	return 0;
}

static int diff_trees(git_repository *repo, const git_tree *a,
                      const git_tree *b, const char *prefix, changes *c,
                      int depth);

/* Every blob under tree `t` as added (old=0) or removed (old=1). */
static int diff_one_side(git_repository *repo, const git_tree_entry *e,
                         const char *prefix, changes *c, int removed,
                         int depth)
{
	git_tree *t = NULL;
	char sub[STORE_PATH_MAX];
	int rc;

	if (!entry_mode_ok(c, prefix, e))
		return -1;
	if (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB)
		return changes_add(c, prefix, git_tree_entry_name(e),
		                   removed ? git_tree_entry_id(e) : NULL,
		                   removed ? NULL : git_tree_entry_id(e));
	if (snprintf(sub, sizeof(sub), "%s%s/", prefix,
	             git_tree_entry_name(e)) >= (int)sizeof(sub)) {
		snprintf(c->bad, sizeof(c->bad), "a path is too long");
		return -1;
	}
	if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) != 0) {
		snprintf(c->bad, sizeof(c->bad), "tree '%s' is missing or corrupt",
		         sub);
		return -1;
	}
	rc = removed ? diff_trees(repo, t, NULL, sub, c, depth + 1)
	             : diff_trees(repo, NULL, t, sub, c, depth + 1);
	git_tree_free(t);
	return rc;
}

static int diff_trees(git_repository *repo, const git_tree *a,
                      const git_tree *b, const char *prefix, changes *c,
                      int depth)
{
	size_t na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0;

	if (depth > 8) {
		snprintf(c->bad, sizeof(c->bad), "paths are nested too deep");
		return -1;
	}
	/* removed or changed: walk a, look each name up in b */
	for (size_t i = 0; i < na; i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(a, i);
		const git_tree_entry *eb =
		        b ? git_tree_entry_byname(b, git_tree_entry_name(ea)) : NULL;
		git_filemode_t ma = git_tree_entry_filemode(ea);

		if (eb != NULL && git_oid_equal(git_tree_entry_id(ea),
		                                git_tree_entry_id(eb)) &&
		    ma == git_tree_entry_filemode(eb))
			continue;
		if (eb == NULL || (ma == GIT_FILEMODE_TREE) !=
		                          (git_tree_entry_filemode(eb) == GIT_FILEMODE_TREE)) {
			if (diff_one_side(repo, ea, prefix, c, 1, depth))
				return -1;
			if (eb && diff_one_side(repo, eb, prefix, c, 0, depth))
				return -1;
			continue;
		}
		if (!entry_mode_ok(c, prefix, eb) || !entry_mode_ok(c, prefix, ea))
			return -1;
		if (ma == GIT_FILEMODE_BLOB) {
			if (changes_add(c, prefix, git_tree_entry_name(ea),
			                git_tree_entry_id(ea), git_tree_entry_id(eb)))
				return -1;
		} else {
			git_tree *ta = NULL, *tb = NULL;
			char sub[STORE_PATH_MAX];
			int rc;
			if (snprintf(sub, sizeof(sub), "%s%s/", prefix,
			             git_tree_entry_name(ea)) >= (int)sizeof(sub)) {
				snprintf(c->bad, sizeof(c->bad), "a path is too long");
				return -1;
			}
			if (git_tree_lookup(&ta, repo, git_tree_entry_id(ea)) ||
			    git_tree_lookup(&tb, repo, git_tree_entry_id(eb))) {
				git_tree_free(ta);
				snprintf(c->bad, sizeof(c->bad),
				         "tree '%s' is missing or corrupt", sub);
				return -1;
			}
			rc = diff_trees(repo, ta, tb, sub, c, depth + 1);
			git_tree_free(ta);
			git_tree_free(tb);
			if (rc)
				return -1;
		}
	}
	/* added: in b, not in a */
	for (size_t i = 0; i < nb; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		if (a && git_tree_entry_byname(a, git_tree_entry_name(eb)))
			continue;
		if (diff_one_side(repo, eb, prefix, c, 0, depth))
			return -1;
	}
	return 0;
}

/* Reads a blob for a rule check, refusing oversized ones before inflating
 * them. */
static int read_record_blob(git_repository *repo, const git_oid *id,
                            const char *path, git_blob **out, char *why,
                            size_t whylen)
{
	size_t max = REC_IS_FILE(rec_kind_of(path)) ? STORE_FILE_MAX
	                                            : STORE_RECORD_MAX;
	git_odb *odb = NULL;
	size_t len = 0;
	git_object_t type;
	int rc;

	if (git_repository_odb(&odb, repo) != 0) {
		snprintf(why, whylen, "cannot open the object database");
		return STORE_EGIT;
	}
	rc = git_odb_read_header(&len, &type, odb, id);
	git_odb_free(odb);
	if (rc != 0) {
		const git_error *e = git_error_last();
		snprintf(why, whylen, "%s: object is missing or corrupt: %s", path,
		         e && e->message ? e->message : "unknown error");
		return STORE_ECORRUPT;
	}
	if (type != GIT_OBJECT_BLOB) {
		snprintf(why, whylen, "%s is not a file", path);
		return STORE_EREJECT;
	}
	if (len > max) {
		snprintf(why, whylen,
		         "%s is too large (%zu bytes; it may hold at most %zu)",
		         path, len, max);
		return STORE_EREJECT;
	}
	if (git_blob_lookup(out, repo, id) != 0) {
		const git_error *e = git_error_last();
		snprintf(why, whylen, "%s: object is corrupt: %s", path,
		         e && e->message ? e->message : "unknown error");
		return STORE_ECORRUPT;
	}
	return 0;
}

/* ---- positions in a line of commits ---------------------------------------- */

static const git_oid *cmp_base;

static int pos_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&cmp_base[*(const size_t *)a],
	                   &cmp_base[*(const size_t *)b]);
}

int hist_line_init(hist_line *l, const git_oid *v, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->v = v;
	l->n = n;
	l->sorted = malloc((n ? n : 1) * sizeof(*l->sorted));
	if (l->sorted == NULL)
		return STORE_ENOMEM;
	for (size_t i = 0; i < n; i++)
		l->sorted[i] = i;
	cmp_base = v; /* qsort has no context argument; single-threaded use */
	qsort(l->sorted, n, sizeof(*l->sorted), pos_cmp);
	return 0;
}

void hist_line_free(hist_line *l)
{
	free(l->sorted);
	memset(l, 0, sizeof(*l));
}

long hist_line_pos(const hist_line *l, const git_oid *id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = git_oid_cmp(&l->v[l->sorted[mid]], id);
		if (c == 0)
			return (long)l->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- the position callback for revocations --------------------------------- */

static int at_or_before(void *ctx, const char *pos)
{
	hist_ctx *hc = ctx;
	git_oid lg;
	git_odb *odb = NULL;
	int exists, rc;

	if (git_oid_fromstr(&lg, pos) != 0)
		return KEYS_ENOTFOUND;
	if (git_oid_equal(&lg, hc->checking))
		return 1;
	/* positions in the line being checked answer it directly (libgit2
	 * 1.5.1's descendant test walks to the root when commits share a
	 * second, which makes a long history quadratic) */
	if (hc->line != NULL && hc->checking_pos >= 0) {
		long pl = hist_line_pos(hc->line, &lg);
		if (pl >= 0)
			return hc->checking_pos <= pl ? 1 : 0;
	}
	if (git_repository_odb(&odb, hc->repo) != 0)
		return KEYS_ENOTFOUND;
	exists = git_odb_exists(odb, &lg);
	git_odb_free(odb);
	if (!exists)
		return KEYS_ENOTFOUND;
	rc = git_graph_descendant_of(hc->repo, &lg, hc->checking);
	return rc == 1 ? 1 : rc == 0 ? 0 : KEYS_ENOTFOUND;
}

/* ---- one commit ---------------------------------------------------------------- */

static int same_entry(const git_tree *a, const git_tree *b, const char *name)
{
	const git_tree_entry *x = git_tree_entry_byname(a, name);
	const git_tree_entry *y = git_tree_entry_byname(b, name);

	if (x == NULL || y == NULL)
		return x == y;
	return git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(y));
}

/* The key state a commit's tree declares. When neither node.json nor
 * keys.json changed since the parent, it is the state already held. */
static int keystate_after(hist_ctx *hc, git_commit *c, git_tree *tree,
                          rec_keystate *out, char *why, size_t whylen)
{
	git_commit *parent = NULL;
	git_tree *pt = NULL;
	int same = 0;

	if (hc->before.has_node && git_commit_parentcount(c) == 1 &&
	    git_commit_parent(&parent, c, 0) == 0 &&
	    git_commit_tree(&pt, parent) == 0)
		same = same_entry(pt, tree, "node.json") &&
		       same_entry(pt, tree, "keys.json");
	git_tree_free(pt);
	git_commit_free(parent);
	if (!same)
		return rec_keystate_load(hc->repo, tree, out, why, whylen);
	*out = hc->before;
	out->rotations = NULL;
	if (hc->before.nrotations) {
		out->rotations = malloc(hc->before.nrotations *
		                        sizeof(*out->rotations));
		if (out->rotations == NULL)
			return STORE_ENOMEM;
		memcpy(out->rotations, hc->before.rotations,
		       hc->before.nrotations * sizeof(*out->rotations));
	}
	return 0;
}

int hist_check_commit(hist_ctx *hc, git_commit *c, keys_public *signer,
                      char *why, size_t whylen)
{
	const git_oid *id = git_commit_id(c);
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	rec_keystate after = { 0 };
	changes ch = { 0 };
	rec_ctx cx;
	size_t added = 0;
	int64_t t = git_commit_time(c);
	int rc;

	hc->checking = id;
	if (hc->max_time != 0 && t > hc->max_time) {
		char ts[21];
		keys_time_format(ts, t);
		snprintf(why, whylen,
		         "the commit is dated %s, in the future (check the "
		         "author's clock)", ts);
		return STORE_EREJECT;
	}
	if (git_commit_parentcount(c) > 1) {
		snprintf(why, whylen,
		         "a merge commit; a node's history is a single line");
		return STORE_EREJECT;
	}
	if ((git_commit_parentcount(c) == 0) != (hc->before.has_node == 0)) {
		snprintf(why, whylen, "%s",
		         git_commit_parentcount(c)
		                 ? "the first commit of a history may not have a parent"
		                 : "a commit without a parent in the middle of a "
		                   "history");
		return STORE_EREJECT;
	}
	if (hc->before.has_node && t < hc->parent_time) {
		snprintf(why, whylen,
		         "the commit is dated before its parent (history times must "
		         "not go backwards)");
		return STORE_EREJECT;
	}
	rc = store_commit_signer(hc->repo, id, signer, why, whylen);
	if (rc != 0)
		return rc;
	if (git_commit_tree(&tree, c) != 0) {
		const git_error *e = git_error_last();
		snprintf(why, whylen, "tree is missing or corrupt: %s",
		         e && e->message ? e->message : "unknown error");
		return STORE_ECORRUPT;
	}
	rc = keystate_after(hc, c, tree, &after, why, whylen);
	if (rc != 0)
		goto cleanup;
	rc = STORE_EREJECT;
	if (!after.has_node) {
		snprintf(why, whylen, "the commit has no node.json");
		goto cleanup;
	}
	if (strcmp(after.ident.id, hc->node) != 0) {
		snprintf(why, whylen, "node.json names node %s in %s's history",
		         after.ident.id, hc->node);
		goto cleanup;
	}
	if (!hc->before.has_node) {
		rc = chain_setup(hc, &after.ident, why, whylen);
		if (rc != 0)
			goto cleanup;
		rc = STORE_EREJECT;
	}

	/* rule 1: the signer's chain at this point of the history */
	if (hc->skip_chain)
		goto changes;
	if (after.ident.parent[0] != '\0' && hc->parent_tree == NULL) {
		snprintf(why, whylen,
		         "cannot check %s's key: %s", hc->node,
		         hc->parent_missing ? hc->parent_missing
		                            : "its parent's history is not held");
		goto cleanup;
	}
	{
		keys_state ks = { hc->before.has_node, hc->before.ident.key,
			          hc->before.rotations, hc->before.nrotations };
		char cwhy[400] = "the key does not chain to the root";
		if (keys_chain_check(hc->chain, hc->node, &ks, signer, t,
		                     at_or_before, hc, cwhy, sizeof(cwhy)) != 0) {
			char owner[KEYS_ID_MAX + 1], f[KEYS_FINGERPRINT_MAX];
			/* whose key is it? worth a look through every history
			 * held, on this rare path, for the auditor's report */
			if (hc->st != NULL && strstr(cwhy, "never certified") &&
			    store_key_owner(hc->st, signer, owner) == 0 &&
			    strcmp(owner, hc->node) != 0) {
				keys_public_fingerprint(f, signer);
				snprintf(why, whylen, "signed by %s, which is %s's key, "
				         "not %s's", f, owner, hc->node);
			} else {
				snprintf(why, whylen, "%s", cwhy);
			}
			goto cleanup;
		}
	}

changes:
	/* rule 4: the changes */
	if (git_commit_parentcount(c) == 1) {
		if (git_commit_parent(&parent, c, 0) != 0 ||
		    git_commit_tree(&ptree, parent) != 0) {
			snprintf(why, whylen, "the parent commit is missing or corrupt");
			rc = STORE_ECORRUPT;
			goto cleanup;
		}
	}
	if (diff_trees(hc->repo, ptree, tree, "", &ch, 0) != 0) {
		snprintf(why, whylen, "%s",
		         ch.bad[0] ? ch.bad : "cannot compare the commit's tree");
		goto cleanup;
	}
	cx = (rec_ctx){ hc->repo, hc->node, &hc->before, &after, signer, t,
		        hc->parent_time, tree, ptree };
	for (size_t i = 0; i < ch.n; i++) {
		git_blob *ob = NULL, *nb = NULL;
		change *x = &ch.v[i];
		int r = 0;

		rec_kind k = rec_kind_of(x->path);
		/* an old version matters only to rules that compare versions
		 * (immutable fields, append-only lists) */
		if (x->has_old && x->has_new && !REC_IS_FILE(k))
			r = read_record_blob(hc->repo, &x->old, x->path, &ob, why,
			                     whylen);
		if (r == 0 && x->has_new)
			r = read_record_blob(hc->repo, &x->new, x->path, &nb, why,
			                     whylen);
		if (nb != NULL) {
			added += (size_t)git_blob_rawsize(nb);
			if (r == 0 && added > STORE_COMMIT_BYTES_MAX) {
				snprintf(why, whylen,
				         "the commit adds more than %d bytes of files; "
				         "publish them in several commits",
				         STORE_COMMIT_BYTES_MAX);
				r = STORE_EREJECT;
			}
		}
		if (r == 0)
			r = rec_check_change(
			        &cx, x->path, ob ? git_blob_rawcontent(ob) : NULL,
			        ob ? (size_t)git_blob_rawsize(ob) : 0, x->has_old,
			        nb ? git_blob_rawcontent(nb) : NULL,
			        nb ? (size_t)git_blob_rawsize(nb) : 0, why, whylen);
		git_blob_free(ob);
		git_blob_free(nb);
		if (r != 0) {
			rc = r;
			goto cleanup;
		}
	}
	rc = rec_check_commit(&cx, why, whylen);
	if (rc != 0)
		goto cleanup;

	/* the state moves to this commit */
	rec_keystate_clear(&hc->before);
	hc->before = after;
	memset(&after, 0, sizeof(after));
	hc->parent_time = t;
	rc = 0;
cleanup:
	changes_free(&ch);
	rec_keystate_clear(&after);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	return rc;
}

int hist_ctx_skip(hist_ctx *hc, git_commit *c)
{
	git_tree *t = NULL;
	rec_keystate after;
	char why[256];
	int had = hc->before.has_node;

	if (git_commit_tree(&t, c) != 0)
		return STORE_ECORRUPT;
	if (rec_keystate_load(hc->repo, t, &after, why, sizeof(why)) != 0 ||
	    !after.has_node) {
		git_tree_free(t);
		return STORE_EREJECT;
	}
	git_tree_free(t);
	rec_keystate_clear(&hc->before);
	hc->before = after;
	hc->parent_time = git_commit_time(c);
	if (!had)
		chain_setup(hc, &after.ident, why, sizeof(why));
	return 0;
}

