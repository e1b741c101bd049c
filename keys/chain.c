/*
 * chain.c — may this key sign this commit of this node?
 *
 * Model (see keys.h):
 *  - the root accepts the pinned key and the keys its own history rotated
 *    to, one after the other;
 *  - any other node X accepts a key K for commit C at time t when
 *      K was not rotated out before C, and
 *      K's lineage (K, or the key K was rotated from, back to a key its
 *      parent certified) starts at a certificate in effect at t, and
 *      no revocation issued after that certificate covers C.
 *    A revocation covers C unless C lies at or before its last good commit
 *    (when the revoker named one and this store holds it) or, failing
 *    that, C's time is before the revocation time.
 */
#include "keys_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct chain_node {
	char id[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1];
	keys_event *ev;
	size_t nev, capev;
} chain_node;

struct keys_chain {
	keys_public root;
	chain_node *nodes; /* sorted by id */
	size_t n, cap;
};

int keys_chain_new(keys_chain **out, const keys_public *root)
{
	keys_chain *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return KEYS_ENOMEM;
	c->root = *root;
	*out = c;
	return 0;
}

void keys_chain_free(keys_chain *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->nodes[i].ev);
	free(c->nodes);
	free(c);
}

const keys_public *keys_chain_root(const keys_chain *c)
{
	return &c->root;
}

static size_t find_slot(const keys_chain *c, const char *id, int *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->nodes[mid].id, id);
		if (cmp == 0) {
			*found = 1;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static chain_node *find_node(const keys_chain *c, const char *id)
{
	int found;
	size_t i = find_slot(c, id, &found);

	return found ? &c->nodes[i] : NULL;
}

int keys_chain_set_node(keys_chain *c, const char *id, const char *parent)
{
	int found;
	size_t i;
	chain_node *nd;

	if (id == NULL || id[0] == '\0' || strlen(id) > KEYS_ID_MAX ||
	    (parent != NULL && strlen(parent) > KEYS_ID_MAX))
		return KEYS_EINVAL;
	i = find_slot(c, id, &found);
	if (!found) {
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 16;
			chain_node *nn = realloc(c->nodes, ncap * sizeof(*nn));
			if (nn == NULL)
				return KEYS_ENOMEM;
			c->nodes = nn;
			c->cap = ncap;
		}
		memmove(&c->nodes[i + 1], &c->nodes[i],
		        (c->n - i) * sizeof(*c->nodes));
		c->n++;
		memset(&c->nodes[i], 0, sizeof(c->nodes[i]));
		strcpy(c->nodes[i].id, id);
	}
	nd = &c->nodes[i];
	nd->nev = 0;
	strcpy(nd->parent, parent ? parent : "");
	return 0;
}

int keys_chain_add_event(keys_chain *c, const char *id, const keys_event *ev)
{
	chain_node *nd = find_node(c, id);

	if (nd == NULL || ev == NULL ||
	    (ev->type != KEYS_EVENT_CERT && ev->type != KEYS_EVENT_REVOKE))
		return KEYS_EINVAL;
	if (nd->parent[0] == '\0')
		return KEYS_EINVAL; /* nobody certifies the root */
	if (nd->nev == nd->capev) {
		size_t ncap = nd->capev ? nd->capev * 2 : 4;
		keys_event *ne = realloc(nd->ev, ncap * sizeof(*ne));
		if (ne == NULL)
			return KEYS_ENOMEM;
		nd->ev = ne;
		nd->capev = ncap;
	}
	nd->ev[nd->nev++] = *ev;
	return 0;
}

const char *keys_chain_owner(const keys_chain *c, const keys_public *key)
{
	if (keys_public_equal(&c->root, key)) {
		for (size_t i = 0; i < c->n; i++)
			if (c->nodes[i].parent[0] == '\0')
				return c->nodes[i].id;
		return "the root";
	}
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->nodes[i].nev; j++)
			if (c->nodes[i].ev[j].type == KEYS_EVENT_CERT &&
			    keys_public_equal(&c->nodes[i].ev[j].key, key))
				return c->nodes[i].id;
	return NULL;
}

static void fp(char out[KEYS_FINGERPRINT_MAX], const keys_public *k)
{
	keys_public_fingerprint(out, k);
}

static int rotated_out(const keys_state *st, const keys_public *k,
                       const keys_rotation **which)
{
	for (size_t i = 0; i < st->nrotations; i++)
		if (keys_public_equal(&st->rotations[i].old_key, k)) {
			*which = &st->rotations[i];
			return 1;
		}
	return 0;
}

static int check_root(const keys_chain *c, const keys_state *st,
                      const keys_public *signer, char *why, size_t whylen)
{
	keys_public k = c->root;
	char f[KEYS_FINGERPRINT_MAX];

	/* the rotations must form one line from the pinned key */
	for (size_t i = 0; i < st->nrotations; i++) {
		if (!keys_public_equal(&st->rotations[i].old_key, &k)) {
			keys_why(why, whylen,
			         "the root's key rotations do not start at the "
			         "pinned root key");
			return KEYS_ECHAIN;
		}
		k = st->rotations[i].new_key;
	}
	if (st->has_current && !keys_public_equal(&st->current, &k)) {
		keys_why(why, whylen,
		         "the root's current key is not the end of its rotation "
		         "line from the pinned root key");
		return KEYS_ECHAIN;
	}
	if (!keys_public_equal(signer, &k)) {
		fp(f, signer);
		keys_why(why, whylen,
		         "signed by %s, which is not the root key in effect here",
		         f);
		return KEYS_ECHAIN;
	}
	return 0;
}

/* The certificate for `key` in effect at `t`: the last one with
 * valid_from <= t. Returns its index or -1. */
static long cert_for(const chain_node *nd, const keys_public *key, int64_t t,
                     int *any)
{
	long best = -1;

	*any = 0;
	for (size_t i = 0; i < nd->nev; i++) {
		const keys_event *e = &nd->ev[i];
		if (e->type != KEYS_EVENT_CERT || !keys_public_equal(&e->key, key))
			continue;
		*any = 1;
		if (e->valid_from <= t)
			best = (long)i;
	}
	return best;
}

/*
 * Is `key` (the signer, or the certified key its rotation line starts at)
 * authorized for node `nd` at time t by a certificate not revoked at this
 * commit? 0 yes; otherwise KEYS_ECHAIN with the reason, or another error.
 */
static int authorized_by(const keys_chain *c, const chain_node *nd,
                         const char *id, const keys_public *key,
                         const keys_public *signer, int64_t t,
                         keys_position_fn at_or_before, void *ctx, char *why,
                         size_t whylen)
{
	char f[KEYS_FINGERPRINT_MAX], ts[21];
	const char *owner;
	long ci;
	int any;

	fp(f, signer);
	ci = cert_for(nd, key, t, &any);
	if (ci < 0) {
		if (any) {
			keys_why(why, whylen,
			         "signed by %s before its certificate for %s took "
			         "effect", f, id);
			return KEYS_ECHAIN;
		}
		owner = keys_chain_owner(c, signer);
		if (owner != NULL && strcmp(owner, id) != 0)
			keys_why(why, whylen,
			         "signed by %s, which is %s's key, not %s's", f,
			         owner, id);
		else
			keys_why(why, whylen,
			         "signed by %s, which %s's parent %s never certified "
			         "for it", f, id, nd->parent);
		return KEYS_ECHAIN;
	}
	if (nd->ev[ci].valid_until != 0 && t >= nd->ev[ci].valid_until) {
		keys_time_format(ts, nd->ev[ci].valid_until);
		keys_why(why, whylen,
		         "signed by %s after its certificate for %s expired at %s",
		         f, id, ts);
		return KEYS_ECHAIN;
	}
	for (size_t j = (size_t)ci + 1; j < nd->nev; j++) {
		const keys_event *e = &nd->ev[j];
		int covered = 0, r = KEYS_ENOTFOUND;

		if (e->type != KEYS_EVENT_REVOKE)
			continue;
		if (e->last_good[0] != '\0' && at_or_before != NULL)
			r = at_or_before(ctx, e->last_good);
		if (r == 1)
			continue; /* at or before the last good commit */
		if (r == 0)
			covered = 1;
		else if (r == KEYS_ENOTFOUND)
			covered = t >= e->at;
		else {
			keys_why(why, whylen,
			         "cannot tell whether this commit comes before %s's "
			         "revocation of %s (last good commit %.12s)",
			         nd->parent, id, e->last_good);
			return KEYS_ECHAIN;
		}
		if (covered) {
			keys_time_format(ts, e->at);
			if (e->last_good[0] != '\0' && r == 0)
				keys_why(why, whylen,
				         "signed by %s after %s revoked it at %s "
				         "(last good commit %.12s)", f, nd->parent, ts,
				         e->last_good);
			else
				keys_why(why, whylen,
				         "signed by %s after %s revoked it at %s", f,
				         nd->parent, ts);
			return KEYS_ECHAIN;
		}
	}
	return 0;
}

int keys_chain_check(const keys_chain *c, const char *id,
                     const keys_state *st, const keys_public *signer,
                     int64_t t, keys_position_fn at_or_before, void *ctx,
                     char *why, size_t whylen)
{
	const chain_node *nd = find_node(c, id);
	const keys_rotation *rot;
	keys_public origin;
	char f[KEYS_FINGERPRINT_MAX], ts[21];
	int rc;

	if (nd == NULL) {
		keys_why(why, whylen,
		         "node %s is not known here: no certificate for it is held "
		         "in its parent's history", id);
		return KEYS_ECHAIN;
	}
	if (rotated_out(st, signer, &rot)) {
		fp(f, signer);
		keys_time_format(ts, rot->at);
		keys_why(why, whylen,
		         "signed by %s, which %s rotated out at %s; a rotated-out "
		         "key may not sign later commits", f, id, ts);
		return KEYS_ECHAIN;
	}
	if (nd->parent[0] == '\0')
		return check_root(c, st, signer, why, whylen);

	/* A key its parent certified directly (enrollment, re-enrollment,
	 * or a renewal of a key the node rotated to). */
	rc = authorized_by(c, nd, id, signer, signer, t, at_or_before, ctx, why,
	                   whylen);
	if (rc == 0 || !st->has_current ||
	    !keys_public_equal(&st->current, signer))
		return rc;
	/* The current key may also hold its authority through its rotation
	 * line, back to the key its parent certified. */
	origin = *signer;
	for (size_t i = st->nrotations; i-- > 0;)
		if (keys_public_equal(&st->rotations[i].new_key, &origin))
			origin = st->rotations[i].old_key;
	if (keys_public_equal(&origin, signer))
		return rc;
	{
		char lwhy[KEYS_REASON_MAX];
		int any, lrc;
		lrc = authorized_by(c, nd, id, &origin, signer, t, at_or_before,
		                    ctx, lwhy, sizeof(lwhy));
		if (lrc == 0)
			return 0;
		/* say why the line failed only if the signer has no
		 * certificate of its own; else its own reason stands */
		cert_for(nd, signer, t, &any);
		if (!any)
			keys_why(why, whylen, "%s", lwhy);
		return lrc;
	}
}
