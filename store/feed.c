/*
 * feed.c — the record changes between two checkpoints, in pages, with a
 * bounded cache of computed lists. feed.h says what each function
 * promises; protocol/README.md ("Checkpoints and the HTTP feed") is the
 * contract for the format.
 *
 * A list is computed per node of the later checkpoint T:
 *  1. the files of its head tree in T that differ from its head tree in N
 *     (an empty tree when it was not in N): subtrees with the same id are
 *     skipped, so the cost follows what changed, not what is held; body
 *     files of documents are left out;
 *  2. sorted by path, each classified from its versions at N and at T;
 *  3. the commit that last changed each: first-parent from T's head back
 *     to N's head, each commit diffed against its parent (again skipping
 *     equal subtrees, and subtrees holding no path still looked for),
 *     until every path is found. Its signer is read once per commit.
 * Records are not kept in the list; a page reads them from the store.
 */
#define _GNU_SOURCE
#include "store_int.h"
#include "checkpoint.h"
#include "feed.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_SIGNER UINT32_MAX
#define CACHE_SLOTS 32
#define CACHE_DEFAULT_BYTES ((size_t)64 << 20)
/* malloc's own overhead per allocation, for the memory estimate */
#define MALLOC_OVERHEAD 16

typedef struct fnode {
	char id[KEYS_ID_MAX + 1];
	const char *level; /* store_level_name: static */
} fnode;

typedef struct fsigner {
	git_oid commit;
	char fp[KEYS_FINGERPRINT_MAX];
} fsigner;

typedef struct fentry {
	char *path;
	git_oid blob;     /* at T */
	git_oid old;      /* at N, when has_old */
	uint32_t node;    /* index in nodes */
	uint32_t signer;  /* index in signers; NO_SIGNER until found */
	uint8_t kind;
	uint8_t has_old;
} fentry;

struct store_feed_list {
	uint64_t from, to;
	fnode *nodes;
	size_t nnodes;
	fentry *v;
	size_t n, cap;
	fsigner *signers;
	size_t nsigners, capsigners;
	size_t pathbytes;
};

const char *store_feed_kind_name(store_feed_kind k)
{
	switch (k) {
	case STORE_FEED_ADDED: return "added";
	case STORE_FEED_CHANGED: return "changed";
	case STORE_FEED_WITHDRAWN: return "withdrawn";
	case STORE_FEED_VALIDITY: return "validity";
	}
	return "?";
}

/* ---- numbers and cursors ------------------------------------------------- */

int store_feed_number_parse(const char *s, size_t len, uint64_t max,
                            uint64_t *out)
{
	uint64_t v = 0;

	*out = 0;
	if (len == 0) {
		store_seterr("a number is empty");
		return STORE_EINVAL;
	}
	if (len > 1 && s[0] == '0') {
		store_seterr("'%.*s' has a leading zero", (int)(len > 24 ? 24 : len),
		             s);
		return STORE_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9') {
			store_seterr("'%.*s' is not a number (digits only)",
			             (int)(len > 24 ? 24 : len), s);
			return STORE_EINVAL;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10 || v * 10 + d > max) {
			store_seterr("'%.*s' is too large (at most %" PRIu64 ")",
			             (int)(len > 24 ? 24 : len), s, max);
			return STORE_EINVAL;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void store_feed_cursor_format(char out[STORE_FEED_CURSOR_MAX], uint64_t n,
                              uint64_t t, uint64_t k)
{
	snprintf(out, STORE_FEED_CURSOR_MAX, "%" PRIu64 ".%" PRIu64 ".%" PRIu64,
	         n, t, k);
}

int store_feed_cursor_parse(const char *s, uint64_t *n, uint64_t *t,
                            uint64_t *k)
{
	const char *d1, *d2;
	uint64_t v[3];
	const char *part[3];
	size_t len[3];

	*n = *t = *k = 0;
	if (s == NULL || strlen(s) >= STORE_FEED_CURSOR_MAX) {
		store_seterr("a cursor is N.T.K, three numbers");
		return STORE_EINVAL;
	}
	d1 = strchr(s, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL) {
		store_seterr("a cursor is N.T.K, three numbers joined by dots");
		return STORE_EINVAL;
	}
	part[0] = s;
	len[0] = (size_t)(d1 - s);
	part[1] = d1 + 1;
	len[1] = (size_t)(d2 - d1 - 1);
	part[2] = d2 + 1;
	len[2] = strlen(d2 + 1);
	for (int i = 0; i < 3; i++) {
		uint64_t max = i < 2 ? STORE_CHECKPOINT_SEQ_MAX
		                     : 9999999999999999999ULL;
		if (store_feed_number_parse(part[i], len[i], max, &v[i]) != 0) {
			char why[200];
			snprintf(why, sizeof(why), "%s", store_errmsg());
			store_seterr("the cursor's %s: %s",
			             i == 0 ? "first number (N)" :
			             i == 1 ? "second number (T)" : "third number (K)",
			             why);
			return STORE_EINVAL;
		}
	}
	if (v[1] == 0) {
		store_seterr("a cursor's T is a checkpoint, 1 or more");
		return STORE_EINVAL;
	}
	if (v[0] > v[1]) {
		store_seterr("a cursor's N (%" PRIu64 ") is after its T (%" PRIu64 ")",
		             v[0], v[1]);
		return STORE_EINVAL;
	}
	*n = v[0];
	*t = v[1];
	*k = v[2];
	return 0;
}

/* ---- the list -------------------------------------------------------------- */

void store_feed_list_free(store_feed_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	free(l->nodes);
	free(l->signers);
	free(l);
}

uint64_t store_feed_list_from(const store_feed_list *l) { return l->from; }
uint64_t store_feed_list_to(const store_feed_list *l) { return l->to; }
size_t store_feed_list_total(const store_feed_list *l) { return l->n; }

size_t store_feed_list_bytes(const store_feed_list *l)
{
	return sizeof(*l) + l->nnodes * sizeof(fnode) +
	       l->cap * sizeof(fentry) + l->pathbytes +
	       l->n * MALLOC_OVERHEAD + l->capsigners * sizeof(fsigner);
}

int store_feed_list_entry(const store_feed_list *l, size_t i,
                          store_feed_entry *out)
{
	const fentry *e;

	memset(out, 0, sizeof(*out));
	if (i >= l->n) {
		store_seterr("change %zu is past the list's end (%zu)", i, l->n);
		return STORE_EINVAL;
	}
	e = &l->v[i];
	out->kind = (store_feed_kind)e->kind;
	out->node = l->nodes[e->node].id;
	out->level = l->nodes[e->node].level;
	out->path = e->path;
	git_oid_tostr(out->blob, sizeof(out->blob), &e->blob);
	git_oid_tostr(out->commit, sizeof(out->commit),
	              &l->signers[e->signer].commit);
	out->signer = l->signers[e->signer].fp;
	return 0;
}

static int entry_add(store_feed_list *l, uint32_t node, const char *path,
                     const git_oid *old, const git_oid *blob)
{
	fentry *e;
	size_t plen = strlen(path);

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		fentry *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return STORE_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->path = malloc(plen + 1);
	if (e->path == NULL)
		return STORE_ENOMEM;
	memcpy(e->path, path, plen + 1);
	e->blob = *blob;
	if (old) {
		e->old = *old;
		e->has_old = 1;
	}
	e->node = node;
	e->signer = NO_SIGNER;
	l->n++;
	l->pathbytes += plen + 1;
	return 0;
}

/* ---- tree differences ------------------------------------------------------ */

/*
 * Trees read while diffing. libgit2 1.5.1 caches no tree over 4 KiB by
 * default (GIT_OPT_SET_CACHE_OBJECT_LIMIT), and a catalog area of a few
 * thousand items is far larger: walking a history diffs each such tree
 * twice (as a commit's and as its parent's). So one compute keeps the
 * subtrees it read, by id, in a small direct-mapped table. A tree pushed
 * out may still be iterated by an outer call, so it is only freed once
 * the diff that read it is over (tmemo_flush).
 */
#define TMEMO_SLOTS 512

typedef struct tmemo {
	struct {
		git_oid id;
		git_tree *t;
	} slot[TMEMO_SLOTS];
	git_tree **out;      /* pushed out, to free at the next flush */
	size_t nout, capout;
} tmemo;

static int tmemo_get(tmemo *m, git_repository *repo, const git_oid *id,
                     git_tree **out)
{
	size_t i = ((size_t)id->id[0] << 8 | id->id[1]) % TMEMO_SLOTS;
	git_tree *t = NULL;

	if (m->slot[i].t && git_oid_equal(&m->slot[i].id, id)) {
		*out = m->slot[i].t;
		return 0;
	}
	if (git_tree_lookup(&t, repo, id) != 0)
		return store_giterr("cannot read a tree");
	if (m->slot[i].t) {
		if (m->nout == m->capout) {
			size_t cap = m->capout ? m->capout * 2 : 64;
			git_tree **v = realloc(m->out, cap * sizeof(*v));
			if (v == NULL) {
				git_tree_free(t);
				return STORE_ENOMEM;
			}
			m->out = v;
			m->capout = cap;
		}
		m->out[m->nout++] = m->slot[i].t;
	}
	m->slot[i].id = *id;
	m->slot[i].t = t;
	*out = t;
	return 0;
}

/* Frees the trees pushed out: no diff may be under way. */
static void tmemo_flush(tmemo *m)
{
	for (size_t i = 0; i < m->nout; i++)
		git_tree_free(m->out[i]);
	m->nout = 0;
}

static void tmemo_free(tmemo *m)
{
	if (m == NULL)
		return;
	tmemo_flush(m);
	for (size_t i = 0; i < TMEMO_SLOTS; i++)
		git_tree_free(m->slot[i].t);
	free(m->out);
	free(m);
}

typedef struct dctx dctx;
struct dctx {
	git_repository *repo;
	tmemo *tm;
	/* 1: look into this directory (path ends in '/', plen long) */
	int (*want_dir)(dctx *cx, const char *path, size_t plen);
	/* a file of the newer tree that differs from the older one's */
	int (*file)(dctx *cx, const char *path, const git_oid *old,
	            const git_oid *blob);
	void *ctx;
};

/*
 * Calls cx->file for every file of `b` that `a` (may be NULL) lacks or
 * holds with other content, below `path` (plen bytes, a buffer of
 * STORE_PATH_MAX). Files only in `a` are not reported: records are never
 * removed, and what is (a withdrawn document's body files) is not in the
 * feed.
 */
static int diff_trees(dctx *cx, const git_tree *a, const git_tree *b,
                      char *path, size_t plen)
{
	size_t n = git_tree_entrycount(b);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		const char *name = git_tree_entry_name(eb);
		const git_tree_entry *ea = a ? git_tree_entry_byname(a, name) : NULL;
		git_object_t tb = git_tree_entry_type(eb);
		git_object_t ta = ea ? git_tree_entry_type(ea) : GIT_OBJECT_INVALID;
		size_t nlen = strlen(name);

		if (ea && ta == tb &&
		    git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
			continue;
		if (plen + nlen + 2 > STORE_PATH_MAX) {
			store_seterr("a path under '%.*s' is too long", (int)plen, path);
			return STORE_ECORRUPT;
		}
		memcpy(path + plen, name, nlen + 1);
		if (tb == GIT_OBJECT_TREE) {
			git_tree *sa = NULL, *sb = NULL;
			path[plen + nlen] = '/';
			path[plen + nlen + 1] = '\0';
			if (cx->want_dir && !cx->want_dir(cx, path, plen + nlen + 1))
				continue;
			/* both borrowed from the memo, valid until its flush */
			rc = tmemo_get(cx->tm, cx->repo, git_tree_entry_id(eb), &sb);
			if (rc == 0 && ta == GIT_OBJECT_TREE)
				rc = tmemo_get(cx->tm, cx->repo, git_tree_entry_id(ea), &sa);
			if (rc == 0)
				rc = diff_trees(cx, sa, sb, path, plen + nlen + 1);
		} else if (tb == GIT_OBJECT_BLOB) {
			rc = cx->file(cx, path,
			              ta == GIT_OBJECT_BLOB ? git_tree_entry_id(ea)
			                                    : NULL,
			              git_tree_entry_id(eb));
		}
		/* anything else (a submodule) is no record */
	}
	path[plen] = '\0';
	return rc;
}

static int tree_of(git_repository *repo, const git_oid *commit,
                   git_commit **cout, git_tree **tout, const char *node)
{
	char hex[STORE_OID_HEX];

	*tout = NULL;
	if (git_commit_lookup(cout, repo, commit) != 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		store_seterr("commit %s of node %s is not in this store: %s", hex,
		             node, git_error_last() && git_error_last()->message
		                           ? git_error_last()->message
		                           : "not found");
		return STORE_ECORRUPT;
	}
	if (git_commit_tree(tout, *cout) != 0) {
		git_commit_free(*cout);
		*cout = NULL;
		return store_giterr("cannot read a commit's tree");
	}
	return 0;
}

/* ---- collecting and classifying ------------------------------------------- */

typedef struct collect_ctx {
	store_feed_list *l;
	uint32_t node;
} collect_ctx;

static int collect_file(dctx *cx, const char *path, const git_oid *old,
                        const git_oid *blob)
{
	collect_ctx *cc = cx->ctx;
	rec_kind k = rec_kind_of(path);

	if (k == REC_NONE || REC_IS_FILE(k))
		return 0;
	return entry_add(cc->l, cc->node, path, old, blob);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const fentry *)a)->path, ((const fentry *)b)->path);
}

/* A record's blob, parsed. */
static int blob_json(git_repository *repo, const git_oid *id,
                     const char *node, const char *path, json_t **out,
                     size_t *len)
{
	git_blob *b = NULL;
	char what[STORE_PATH_MAX + 64];
	size_t n;
	int rc;

	*out = NULL;
	if (git_blob_lookup(&b, repo, id) != 0)
		return store_giterr("cannot read a record");
	n = (size_t)git_blob_rawsize(b);
	if (len)
		*len = n;
	snprintf(what, sizeof(what), "record %s of node %s", path, node);
	rc = store_json_parse(out, git_blob_rawcontent(b), n, STORE_RECORD_MAX,
	                      what);
	git_blob_free(b);
	if (rc == STORE_EJSON || rc == STORE_ETOOBIG)
		rc = STORE_ECORRUPT; /* held records were checked on the way in */
	return rc;
}

/* Do a and b differ only in `validity`? */
static int only_validity(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *va;
	size_t na = json_object_size(a), nb = json_object_size(b);

	if (json_object_get(a, "validity"))
		na--;
	if (json_object_get(b, "validity"))
		nb--;
	if (na != nb)
		return 0;
	json_object_foreach((json_t *)a, k, va) {
		json_t *vb;
		if (strcmp(k, "validity") == 0)
			continue;
		vb = json_object_get(b, k);
		if (vb == NULL || !json_equal(va, vb))
			return 0;
	}
	return 1;
}

/* Do a blob's bytes hold `word` (with its quotes)? 1, 0, <0 error. */
static int blob_mentions(git_repository *repo, const git_oid *id,
                         const char *word)
{
	git_blob *b = NULL;
	int yes;

	if (git_blob_lookup(&b, repo, id) != 0)
		return store_giterr("cannot read a record");
	yes = memmem(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), word,
	             strlen(word)) != NULL;
	git_blob_free(b);
	return yes;
}

/*
 * Held records are canonical JSON (the importer and the writer see to
 * it), where a key is written as is, between quotes: a record whose bytes
 * do not hold "withdrawn" has no such key, and one that is not a
 * document's meta needs no more than that to be classified. Only the
 * others are parsed.
 */
static int classify(git_repository *repo, const char *node, fentry *e)
{
	json_t *nv = NULL, *ov = NULL;
	int rc, nw, ow;

	rc = blob_mentions(repo, &e->blob, "\"withdrawn\"");
	if (rc < 0)
		return rc;
	if (rc == 0 && (!e->has_old || rec_kind_of(e->path) != REC_DOC)) {
		e->kind = e->has_old ? STORE_FEED_CHANGED : STORE_FEED_ADDED;
		return 0;
	}
	rc = blob_json(repo, &e->blob, node, e->path, &nv, NULL);
	if (rc != 0)
		return rc;
	nw = json_is_object(nv) && json_object_get(nv, "withdrawn") != NULL;
	if (!e->has_old) {
		e->kind = nw ? STORE_FEED_WITHDRAWN : STORE_FEED_ADDED;
		goto done;
	}
	rc = blob_json(repo, &e->old, node, e->path, &ov, NULL);
	if (rc != 0)
		goto done;
	ow = json_is_object(ov) && json_object_get(ov, "withdrawn") != NULL;
	if (nw && !ow)
		e->kind = STORE_FEED_WITHDRAWN;
	else if (rec_kind_of(e->path) == REC_DOC && json_is_object(nv) &&
	         json_is_object(ov) && only_validity(ov, nv))
		e->kind = STORE_FEED_VALIDITY;
	else
		e->kind = STORE_FEED_CHANGED;
done:
	json_decref(nv);
	json_decref(ov);
	return rc;
}

/* ---- the commit that last changed each path ------------------------------ */

/* A directory holding entries, and how many of them (at any depth)
 * still wait for their commit. */
typedef struct wdir {
	const char *path;  /* an entry's path: the directory is its first len */
	size_t len;        /* bytes, with the final '/' */
	size_t waiting;
} wdir;

typedef struct walk_ctx {
	store_feed_list *l;
	fentry *v;          /* this node's entries, sorted by path */
	size_t n;
	size_t unresolved;
	wdir *dirs;         /* sorted, unique */
	size_t ndirs;
	const git_oid *commit; /* being diffed */
	uint32_t signer;       /* its row, NO_SIGNER until needed */
} walk_ctx;

static int wdir_cmp(const void *a, const void *b)
{
	const wdir *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->path, y->path, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static wdir *wdir_find(const walk_ctx *w, const char *path, size_t len)
{
	wdir key = { path, len, 0 };

	return bsearch(&key, w->dirs, w->ndirs, sizeof(wdir), wdir_cmp);
}

/* Every directory of every entry, with the number of entries below. */
static int wdirs_build(walk_ctx *w)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < w->n; i++)
		for (const char *p = w->v[i].path; (p = strchr(p, '/')) != NULL; p++)
			n++;
	w->dirs = malloc((n ? n : 1) * sizeof(wdir));
	if (w->dirs == NULL)
		return STORE_ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		for (const char *p = w->v[i].path; (p = strchr(p, '/')) != NULL;
		     p++)
			w->dirs[k++] = (wdir){ w->v[i].path,
				               (size_t)(p - w->v[i].path) + 1, 1 };
	qsort(w->dirs, n, sizeof(wdir), wdir_cmp);
	/* merge the repeats, adding their counts */
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && wdir_cmp(&w->dirs[k - 1], &w->dirs[i]) == 0)
			w->dirs[k - 1].waiting++;
		else
			w->dirs[k++] = w->dirs[i];
	}
	w->ndirs = k;
	return 0;
}

/* The first entry whose path is >= key. */
static size_t lower_bound(const fentry *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int walk_want_dir(dctx *cx, const char *path, size_t plen)
{
	walk_ctx *w = cx->ctx;
	const wdir *d = wdir_find(w, path, plen);

	return d != NULL && d->waiting > 0;
}

static int signer_row(git_repository *repo, store_feed_list *l,
                      const git_oid *commit, uint32_t *row)
{
	keys_public k;
	char why[256], hex[STORE_OID_HEX];
	fsigner *s;

	if (l->nsigners == l->capsigners) {
		size_t cap = l->capsigners ? l->capsigners * 2 : 32;
		fsigner *v = realloc(l->signers, cap * sizeof(*v));
		if (v == NULL)
			return STORE_ENOMEM;
		l->signers = v;
		l->capsigners = cap;
	}
	if (l->nsigners >= NO_SIGNER) {
		store_seterr("too many commits in one feed list");
		return STORE_ETOOBIG;
	}
	if (store_commit_signer(repo, commit, &k, why, sizeof(why)) != 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		store_seterr("commit %s: %s", hex, why);
		return STORE_ECORRUPT;
	}
	s = &l->signers[l->nsigners];
	s->commit = *commit;
	keys_public_fingerprint(s->fp, &k);
	*row = (uint32_t)l->nsigners++;
	return 0;
}

static int walk_file(dctx *cx, const char *path, const git_oid *old,
                     const git_oid *blob)
{
	walk_ctx *w = cx->ctx;
	size_t i = lower_bound(w->v, w->n, path);
	int rc;

	(void)old;
	(void)blob;
	if (i == w->n || strcmp(w->v[i].path, path) != 0 ||
	    w->v[i].signer != NO_SIGNER)
		return 0;
	if (w->signer == NO_SIGNER) {
		rc = signer_row(cx->repo, w->l, w->commit, &w->signer);
		if (rc != 0)
			return rc;
	}
	w->v[i].signer = w->signer;
	w->unresolved--;
	for (const char *p = path; (p = strchr(p, '/')) != NULL; p++) {
		wdir *d = wdir_find(w, path, (size_t)(p - path) + 1);
		if (d != NULL && d->waiting > 0)
			d->waiting--;
	}
	return 0;
}

/*
 * Walks first-parent from `head` (its tree `tree`) back to `stop` (NULL:
 * to the first commit), diffing each commit against its parent, until
 * every entry of v[0..n) has its commit.
 */
static int find_commits(git_repository *repo, tmemo *tm, store_feed_list *l,
                        fentry *v, size_t n, git_commit *head,
                        const git_oid *stop, const char *node)
{
	walk_ctx w = { l, v, n, n, NULL, 0, NULL, NO_SIGNER };
	dctx cx = { repo, tm, walk_want_dir, walk_file, &w };
	git_commit *c = NULL, *p = NULL;
	git_tree *ct = NULL, *pt = NULL;
	char path[STORE_PATH_MAX];
	int rc = 0;

	rc = wdirs_build(&w);
	if (rc != 0)
		return rc;
	if (git_commit_dup(&c, head) != 0 || git_commit_tree(&ct, c) != 0) {
		rc = store_giterr("cannot read a commit");
		goto cleanup;
	}
	while (w.unresolved > 0) {
		if (stop && git_oid_equal(git_commit_id(c), stop))
			break;
		if (git_commit_parentcount(c) > 0) {
			if (git_commit_parent(&p, c, 0) != 0 ||
			    git_commit_tree(&pt, p) != 0) {
				rc = store_giterr("cannot read a commit's parent");
				goto cleanup;
			}
		}
		w.commit = git_commit_id(c);
		w.signer = NO_SIGNER;
		path[0] = '\0';
		rc = diff_trees(&cx, pt, ct, path, 0);
		tmemo_flush(tm);
		if (rc != 0)
			goto cleanup;
		git_tree_free(ct);
		git_commit_free(c);
		c = p;
		ct = pt;
		p = NULL;
		pt = NULL;
		if (c == NULL)
			break;
	}
	if (w.unresolved > 0) {
		for (size_t i = 0; i < n; i++)
			if (v[i].signer == NO_SIGNER) {
				store_seterr("node %s: no commit between the two checkpoints "
				             "changed %s, yet it differs",
				             node, v[i].path);
				break;
			}
		rc = STORE_ECORRUPT;
	}
cleanup:
	git_tree_free(pt);
	git_commit_free(p);
	git_tree_free(ct);
	git_commit_free(c);
	free(w.dirs);
	return rc;
}

/* ---- computing a list ------------------------------------------------------ */

static int load_cp(store *st, uint64_t seq, store_checkpoint *cp)
{
	char *bytes = NULL, why[256];
	size_t len = 0;
	int rc;

	memset(cp, 0, sizeof(*cp));
	rc = store_checkpoint_read(st, seq, &bytes, &len, NULL);
	if (rc != 0)
		return rc;
	rc = store_checkpoint_parse(cp, bytes, len, why, sizeof(why));
	free(bytes);
	if (rc == STORE_EREJECT) {
		store_seterr("checkpoint %" PRIu64 " in this store is malformed: %s",
		             seq, why);
		return STORE_ECORRUPT;
	}
	return rc;
}

static const store_cp_head *cp_head(const store_checkpoint *cp,
                                    const char *node)
{
	for (size_t i = 0; i < cp->nheads; i++)
		if (strcmp(cp->heads[i].node, node) == 0)
			return &cp->heads[i];
	return NULL;
}

static int node_changes(git_repository *repo, tmemo *tm, store_feed_list *l,
                        uint32_t node, const char *oldhex, const char *newhex)
{
	git_oid oid, nid;
	git_commit *oc = NULL, *nc = NULL;
	git_tree *ot = NULL, *nt = NULL;
	collect_ctx cc = { l, node };
	dctx cx = { repo, tm, NULL, collect_file, &cc };
	const char *id = l->nodes[node].id;
	char path[STORE_PATH_MAX];
	size_t start = l->n;
	int rc;

	if (git_oid_fromstr(&nid, newhex) != 0 ||
	    (oldhex && git_oid_fromstr(&oid, oldhex) != 0)) {
		store_seterr("node %s: a checkpoint names a malformed commit id", id);
		return STORE_ECORRUPT;
	}
	rc = tree_of(repo, &nid, &nc, &nt, id);
	if (rc == 0 && oldhex)
		rc = tree_of(repo, &oid, &oc, &ot, id);
	if (rc != 0)
		goto cleanup;
	path[0] = '\0';
	rc = diff_trees(&cx, ot, nt, path, 0);
	tmemo_flush(tm);
	if (rc != 0 || l->n == start)
		goto cleanup;
	qsort(l->v + start, l->n - start, sizeof(fentry), entry_cmp);
	for (size_t i = start; i < l->n && rc == 0; i++)
		rc = classify(repo, id, &l->v[i]);
	if (rc == 0)
		rc = find_commits(repo, tm, l, l->v + start, l->n - start, nc,
		                  oldhex ? &oid : NULL, id);
cleanup:
	git_tree_free(ot);
	git_tree_free(nt);
	git_commit_free(oc);
	git_commit_free(nc);
	return rc;
}

static int head_cmp(const void *a, const void *b)
{
	const store_cp_head *x = *(const store_cp_head *const *)a;
	const store_cp_head *y = *(const store_cp_head *const *)b;

	return strcmp(x->node, y->node);
}

int store_feed_compute(store *st, uint64_t from, uint64_t to,
                       store_feed_list **out)
{
	store_checkpoint n, t;
	const store_cp_head **order = NULL;
	store_feed_list *l = NULL;
	tmemo *tm = NULL;
	int rc;

	*out = NULL;
	memset(&n, 0, sizeof(n));
	memset(&t, 0, sizeof(t));
	if (to == 0 || from > to) {
		store_seterr("the feed runs from a checkpoint to the same or a later "
		             "one (asked: %" PRIu64 " to %" PRIu64 ")", from, to);
		return STORE_EINVAL;
	}
	rc = load_cp(st, to, &t);
	if (rc == 0 && from > 0)
		rc = load_cp(st, from, &n);
	if (rc != 0)
		goto cleanup;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	l->from = from;
	l->to = to;
	if (from == to)
		goto done;
	l->nodes = calloc(t.nheads ? t.nheads : 1, sizeof(fnode));
	order = calloc(t.nheads ? t.nheads : 1, sizeof(*order));
	tm = calloc(1, sizeof(*tm));
	if (l->nodes == NULL || order == NULL || tm == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	/* node id order, whatever order the checkpoint keeps */
	for (size_t i = 0; i < t.nheads; i++)
		order[i] = &t.heads[i];
	qsort(order, t.nheads, sizeof(*order), head_cmp);
	l->nnodes = t.nheads;
	for (size_t i = 0; i < t.nheads && rc == 0; i++) {
		const store_cp_head *h = order[i];
		const store_cp_head *prev = from > 0 ? cp_head(&n, h->node) : NULL;

		snprintf(l->nodes[i].id, sizeof(l->nodes[i].id), "%s", h->node);
		l->nodes[i].level = store_level_name(h->level);
		if (prev && strcmp(prev->commit, h->commit) == 0)
			continue;
		rc = node_changes(st->repo, tm, l, (uint32_t)i,
		                  prev ? prev->commit : NULL, h->commit);
	}
	if (rc != 0)
		goto cleanup;
done:
	*out = l;
	l = NULL;
cleanup:
	tmemo_free(tm);
	store_feed_list_free(l);
	free(order);
	store_checkpoint_clear(&n);
	store_checkpoint_clear(&t);
	return rc;
}

/* ---- pages ------------------------------------------------------------------ */

static int set_str(json_t *o, const char *key, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL) {
		store_seterr("'%s' of a feed entry is not UTF-8", key);
		return STORE_ECORRUPT;
	}
	return json_object_set_new(o, key, v) == 0 ? 0 : STORE_ENOMEM;
}

int store_feed_list_page(store *st, const store_feed_list *l, size_t offset,
                         size_t limit, json_t **out_changes)
{
	json_t *arr;
	size_t end;
	int rc = 0;

	*out_changes = NULL;
	if (offset > l->n) {
		store_seterr("position %zu is past the end of the changes from "
		             "checkpoint %" PRIu64 " to %" PRIu64 " (%zu)",
		             offset, l->from, l->to, l->n);
		return STORE_EINVAL;
	}
	end = l->n - offset < limit ? l->n : offset + limit;
	arr = json_array();
	if (arr == NULL)
		return STORE_ENOMEM;
	for (size_t i = offset, bytes = 0;
	     i < end && rc == 0 && bytes < STORE_FEED_PAGE_BYTES; i++) {
		const fentry *e = &l->v[i];
		const fnode *nd = &l->nodes[e->node];
		char hex[STORE_OID_HEX];
		json_t *o, *rec = NULL;
		size_t n = 0;

		rc = blob_json(st->repo, &e->blob, nd->id, e->path, &rec, &n);
		if (rc != 0)
			break;
		bytes += n;
		o = json_object();
		if (o == NULL) {
			json_decref(rec);
			rc = STORE_ENOMEM;
			break;
		}
		git_oid_tostr(hex, sizeof(hex), &l->signers[e->signer].commit);
		if ((rc = set_str(o, "kind",
		                  store_feed_kind_name((store_feed_kind)e->kind))) ||
		    (rc = set_str(o, "node", nd->id)) ||
		    (rc = set_str(o, "level", nd->level)) ||
		    (rc = set_str(o, "path", e->path))) {
			json_decref(rec);
		} else if (json_object_set_new(o, "record", rec) != 0) {
			rc = STORE_ENOMEM;
		} else if ((rc = set_str(o, "commit", hex)) == 0) {
			rc = set_str(o, "signer", l->signers[e->signer].fp);
		}
		if (rc == 0 && json_array_append_new(arr, o) != 0)
			rc = STORE_ENOMEM;
		else if (rc != 0)
			json_decref(o);
	}
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	*out_changes = arr;
	return 0;
}

int store_feed_page(store *st, uint64_t from, uint64_t to, size_t offset,
                    size_t limit, json_t **out_changes, size_t *total)
{
	store_feed_list *l = NULL;
	int rc;

	*out_changes = NULL;
	*total = 0;
	rc = store_feed_compute(st, from, to, &l);
	if (rc != 0)
		return rc;
	*total = l->n;
	rc = store_feed_list_page(st, l, offset, limit, out_changes);
	store_feed_list_free(l);
	return rc;
}

/* ---- the cache -------------------------------------------------------------- */

struct store_feed_cache {
	size_t max_bytes;
	uint64_t tick;
	struct {
		store_feed_list *l;
		uint64_t used;
	} slot[CACHE_SLOTS];
};

int store_feed_cache_new(store_feed_cache **out, size_t max_bytes)
{
	store_feed_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return STORE_ENOMEM;
	c->max_bytes = max_bytes ? max_bytes : CACHE_DEFAULT_BYTES;
	*out = c;
	return 0;
}

void store_feed_cache_free(store_feed_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		store_feed_list_free(c->slot[i].l);
	free(c);
}

/* Drops the least recently used list other than `keep`; 0 if none. */
static int cache_evict(store_feed_cache *c, int keep)
{
	int victim = -1;

	for (int i = 0; i < CACHE_SLOTS; i++)
		if (i != keep && c->slot[i].l &&
		    (victim < 0 || c->slot[i].used < c->slot[victim].used))
			victim = i;
	if (victim < 0)
		return 0;
	store_feed_list_free(c->slot[victim].l);
	c->slot[victim].l = NULL;
	c->slot[victim].used = 0;
	return 1;
}

static size_t cache_bytes(const store_feed_cache *c)
{
	size_t sum = 0;

	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].l)
			sum += store_feed_list_bytes(c->slot[i].l);
	return sum;
}

int store_feed_cache_get(store_feed_cache *c, store *st, uint64_t from,
                         uint64_t to, const store_feed_list **out)
{
	store_feed_list *l = NULL;
	int free_slot = -1, rc;

	*out = NULL;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		store_feed_list *x = c->slot[i].l;
		if (x && x->from == from && x->to == to) {
			c->slot[i].used = ++c->tick;
			*out = x;
			return 0;
		}
		if (x == NULL && free_slot < 0)
			free_slot = i;
	}
	rc = store_feed_compute(st, from, to, &l);
	if (rc != 0)
		return rc;
	if (free_slot < 0) {
		cache_evict(c, -1);
		for (int i = 0; i < CACHE_SLOTS && free_slot < 0; i++)
			if (c->slot[i].l == NULL)
				free_slot = i;
	}
	c->slot[free_slot].l = l;
	c->slot[free_slot].used = ++c->tick;
	while (cache_bytes(c) > c->max_bytes && cache_evict(c, free_slot))
		;
	*out = l;
	return 0;
}

int store_feed_cache_page(store_feed_cache *c, store *st, uint64_t from,
                          uint64_t to, size_t offset, size_t limit,
                          json_t **out_changes, size_t *total)
{
	const store_feed_list *l;
	int rc;

	*out_changes = NULL;
	*total = 0;
	rc = store_feed_cache_get(c, st, from, to, &l);
	if (rc != 0)
		return rc;
	*total = l->n;
	return store_feed_list_page(st, l, offset, limit, out_changes);
}
