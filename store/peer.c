/*
 * peer.c — what a node needs to know about its peers from its store: who
 * may speak for a node (announcements, requests), which children it
 * certified, where a head stands without walking the history.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_head_peek(store *st, const char *node, char out[STORE_OID_HEX])
{
	char ref[STORE_PATH_MAX];
	git_oid id;
	int rc;

	out[0] = '\0';
	rc = store_ref_for(st, ref, sizeof(ref), node);
	if (rc != 0)
		return rc;
	rc = store_ref_lookup(st, ref, &id);
	if (rc != 0)
		return rc;
	git_oid_tostr(out, STORE_OID_HEX, &id);
	return 0;
}

/* The tree at the head of a history (NULL node = own). */
static int head_tree(store *st, const char *node, git_tree **out)
{
	char hex[STORE_OID_HEX];
	git_oid id;
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	rc = store_head_peek(st, node, hex);
	if (rc != 0)
		return rc;
	if (git_oid_fromstr(&id, hex) != 0 ||
	    git_commit_lookup(&c, st->repo, &id) != 0 ||
	    git_commit_tree(out, c) != 0) {
		git_commit_free(c);
		return STORE_ECORRUPT;
	}
	git_commit_free(c);
	return 0;
}

/* The events `issuer`'s history (NULL = own) holds for `child`. */
static int events_for(store *st, const char *issuer, const char *child,
                      keys_event **ev, size_t *n)
{
	git_tree *t = NULL;
	int rc;

	*ev = NULL;
	*n = 0;
	rc = head_tree(st, issuer, &t);
	if (rc != 0)
		return rc;
	rc = rec_certs_load(st->repo, t, child, ev, n);
	git_tree_free(t);
	return rc;
}

/* Is the latest event a certificate (not a revocation)? Its index. */
static long active(const keys_event *ev, size_t n)
{
	return n > 0 && ev[n - 1].type == KEYS_EVENT_CERT ? (long)n - 1 : -1;
}

int store_key_speaks_for(store *st, const keys_public *root, const char *node,
                         const keys_public *key, char *why, size_t whylen)
{
	store_identity me, x;
	keys_event *ev = NULL;
	size_t n = 0;
	int have_me, have_x, rc;
	const char *issuer;
	char fp[KEYS_FINGERPRINT_MAX];

	keys_public_fingerprint(fp, key);
	have_me = store_identity_get(st, NULL, &me) == 0;
	if (have_me && strcmp(me.id, node) == 0) {
		if (keys_public_equal(&me.key, key))
			return 0;
		snprintf(why, whylen, "%s is not this node's key", fp);
		return STORE_EREJECT;
	}
	have_x = store_identity_get(st, node, &x) == 0;
	if (have_x && x.parent[0] == '\0') {
		/* the root: its key in effect, or the pinned one */
		if (keys_public_equal(&x.key, key) || keys_public_equal(root, key))
			return 0;
		snprintf(why, whylen, "%s is not the root's key", fp);
		return STORE_EREJECT;
	}
	if (!have_x && root != NULL && keys_public_equal(root, key))
		return 0; /* the root before its history is held */
	/* the certificates its parent issued: from the parent's history held
	 * here, or from this node's own when it is the parent */
	if (have_x && have_me && strcmp(x.parent, me.id) == 0)
		issuer = NULL;
	else if (have_x)
		issuer = x.parent;
	else
		issuer = NULL; /* not held: only a child of this node is known */
	rc = events_for(st, issuer, node, &ev, &n);
	if (rc != 0 && rc != STORE_ENOTFOUND) {
		snprintf(why, whylen, "cannot read %s's certificates", node);
		return rc;
	}
	if (n == 0 && !have_x) {
		/* neither its history nor a certificate of ours names it:
		 * nothing can be said yet */
		snprintf(why, whylen, "nothing is known of %s here yet", node);
		return STORE_ENOTFOUND;
	}
	if (active(ev, n) < 0) {
		free(ev);
		snprintf(why, whylen, n ? "%s's keys are revoked"
		                        : "%s holds no certificate here",
		         node);
		return STORE_EREJECT;
	}
	/* its key in effect, or any key certified since the last revocation */
	if (have_x && keys_public_equal(&x.key, key)) {
		free(ev);
		return 0;
	}
	for (size_t i = n; i-- > 0;) {
		if (ev[i].type == KEYS_EVENT_REVOKE)
			break;
		if (keys_public_equal(&ev[i].key, key)) {
			free(ev);
			return 0;
		}
	}
	free(ev);
	snprintf(why, whylen, "%s is not %s's key", fp, node);
	return STORE_EREJECT;
}

int store_children(store *st, store_child **out, size_t *n)
{
	git_tree *t = NULL, *ct = NULL;
	git_tree_entry *e = NULL;
	store_child *v = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = head_tree(st, NULL, &t);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (git_tree_entry_bypath(&e, t, "certs") != 0 ||
	    git_tree_lookup(&ct, st->repo, git_tree_entry_id(e)) != 0)
		goto done;
	v = calloc(git_tree_entrycount(ct) + 1, sizeof(*v));
	if (v == NULL) {
		rc = STORE_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < git_tree_entrycount(ct); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(ct, i));
		size_t nl = strlen(name);
		keys_event *ev = NULL;
		size_t nev = 0;
		long a;

		if (nl <= 5 || nl - 5 > KEYS_ID_MAX)
			continue;
		memcpy(v[len].id, name, nl - 5);
		v[len].id[nl - 5] = '\0';
		if (!store_id_valid(v[len].id) ||
		    rec_certs_load(st->repo, t, v[len].id, &ev, &nev) != 0)
			continue;
		a = active(ev, nev);
		v[len].active = a >= 0;
		if (a >= 0)
			v[len].key = ev[a].key;
		free(ev);
		len++;
	}
	*out = v;
	*n = len;
	v = NULL;
done:
	free(v);
	git_tree_free(ct);
	git_tree_entry_free(e);
	git_tree_free(t);
	return rc;
}

int store_certifies(store *st, const char *issuer, const char *child)
{
	store_identity me;
	keys_event *ev = NULL;
	size_t n = 0;
	int mine, ok;

	mine = store_identity_get(st, NULL, &me) == 0 && !strcmp(me.id, issuer);
	if (events_for(st, mine ? NULL : issuer, child, &ev, &n) != 0)
		return 0;
	ok = active(ev, n) >= 0;
	free(ev);
	return ok;
}
