/* store.c — opening a store, errors, refs, identities, heads, reading. */
#define _GNU_SOURCE
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static __thread char errbuf[1024];

void store_seterr(const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(errbuf)];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap); /* fmt may name errbuf itself */
	va_end(ap);
	memcpy(errbuf, tmp, sizeof(errbuf));
}

const char *store_errmsg(void)
{
	return errbuf;
}

int store_giterr(const char *what)
{
	const git_error *e = git_error_last();

	store_seterr("%s: %s", what,
	             e && e->message ? e->message : "unknown libgit2 error");
	return STORE_EGIT;
}

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK: return "success";
	case STORE_ENOMEM: return "out of memory";
	case STORE_EGIT: return "git store error";
	case STORE_EIO: return "i/o error";
	case STORE_EINVAL: return "invalid argument";
	case STORE_EJSON: return "malformed JSON";
	case STORE_ESCHEMA: return "record fails its schema";
	case STORE_ETOOBIG: return "too large";
	case STORE_ENOTFOUND: return "not found";
	case STORE_EREJECT: return "rejected";
	case STORE_EFORK: return "fork (kept as evidence)";
	case STORE_ESTALE: return "stale update";
	case STORE_ECONFLICT: return "concurrent update";
	case STORE_ECORRUPT: return "corrupt store";
	case STORE_EKEY: return "key error";
	case STORE_EUNCHANGED: return "unchanged";
	case STORE_EWAIT: return "waiting for the parent's history";
	}
	return "unknown error";
}

int store_global_init(void)
{
	if (keys_init() != 0)
		return STORE_ENOMEM;
	if (git_libgit2_init() < 0)
		return store_giterr("cannot initialize libgit2");
	/* verify every object's hash as it is read: a damaged object must
	 * fail loudly, never be believed */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	/* libgit2 caches only trees under 4 KiB: a folder of thousands of
	 * records (tasks/) was then read, inflated and hashed again for every
	 * path looked up in it. Trees up to 8 MiB stay cached (the cache as a
	 * whole keeps libgit2's 256 MiB bound). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
	                 (size_t)8 << 20);
	return 0;
}

void store_global_shutdown(void)
{
	git_libgit2_shutdown();
}

/* ---- levels and ids --------------------------------------------------------- */

static const char *const level_names[] = { NULL, "province", "city",
	                                   "district", "township", "village" };

const char *store_level_name(store_level l)
{
	if (l < STORE_LEVEL_PROVINCE || l > STORE_LEVEL_VILLAGE)
		return "?";
	return level_names[l];
}

int store_level_parse(store_level *out, const char *s)
{
	for (int i = STORE_LEVEL_PROVINCE; s && i <= STORE_LEVEL_VILLAGE; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (store_level)i;
			return 0;
		}
	return STORE_EINVAL;
}

int store_id_valid(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	n = strlen(id);
	if (n != 6 && n != 9 && n != 12)
		return 0;
	return strspn(id, "0123456789") == n;
}

/* ---- open ------------------------------------------------------------------------ */

static int store_alloc(store **out, git_repository *repo, const char *gitdir,
                       unsigned flags)
{
	store *st;

	if (store_odb_attach(repo, (flags & STORE_OPEN_FSYNC) != 0) != 0) {
		git_repository_free(repo);
		return STORE_EGIT;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->gitdir = strdup(gitdir)) == NULL) {
		free(st);
		git_repository_free(repo);
		return STORE_ENOMEM;
	}
	st->repo = repo;
	st->flags = flags;
	*out = st;
	return 0;
}

static void set_fsync(unsigned flags)
{
	/* refdb_fs reads this when the repository opens; the loose odb on
	 * each write. It is process-wide. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR,
	                 (flags & STORE_OPEN_FSYNC) ? 1 : 0);
}

int store_create(store **out, const char *gitdir, unsigned flags)
{
	git_repository_init_options o;
	git_repository *repo = NULL;
	struct stat sb;

	if (stat(gitdir, &sb) == 0) {
		store_seterr("'%s' already exists; refusing to create a store over "
		             "it", gitdir);
		return STORE_EINVAL;
	}
	set_fsync(flags);
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
	          GIT_REPOSITORY_INIT_NO_REINIT;
	o.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	o.initial_head = "main";
	o.description = "govfed signed store";
	if (git_repository_init_ext(&repo, gitdir, &o) != 0)
		return store_giterr("cannot create store");
	/* keep a reflog of every ref move: `govfed verify` checks that each
	 * was a fast-forward */
	{
		git_config *cfg = NULL;
		if (git_repository_config(&cfg, repo) != 0 ||
		    git_config_set_string(cfg, "core.logAllRefUpdates", "always")) {
			git_config_free(cfg);
			git_repository_free(repo);
			return store_giterr("cannot configure store");
		}
		git_config_free(cfg);
	}
	return store_alloc(out, repo, gitdir, flags);
}

int store_open(store **out, const char *gitdir, unsigned flags)
{
	git_repository *repo = NULL;

	set_fsync(flags);
	if (git_repository_open_ext(&repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH |
	                                                   GIT_REPOSITORY_OPEN_BARE,
	                            NULL) != 0)
		return store_giterr("cannot open store");
	if (!git_repository_is_bare(repo)) {
		git_repository_free(repo);
		store_seterr("'%s' is not a bare govfed store", gitdir);
		return STORE_EINVAL;
	}
	return store_alloc(out, repo, gitdir, flags);
}

void store_free(store *st)
{
	if (st == NULL)
		return;
	git_repository_free(st->repo);
	free(st->gitdir);
	free(st);
}

const char *store_gitdir(const store *st)
{
	return st->gitdir;
}

void store_set_root(store *st, const keys_public *root)
{
	st->root = *root;
	st->has_root = 1;
}

/* ---- refs --------------------------------------------------------------------------- */

int store_ref_lookup(store *st, const char *ref, git_oid *out)
{
	int rc = git_reference_name_to_id(out, st->repo, ref);

	if (rc == GIT_ENOTFOUND)
		return STORE_ENOTFOUND;
	if (rc != 0)
		return store_giterr("cannot read ref");
	return 0;
}

int store_blob_at(git_repository *repo, const git_tree *tree,
                  const char *path, git_blob **out)
{
	git_tree_entry *e = NULL;
	int rc;

	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND) {
		store_seterr("'%s' not found", path);
		return STORE_ENOTFOUND;
	}
	if (rc != 0)
		return store_giterr("cannot read tree");
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		store_seterr("'%s' is not a file", path);
		return STORE_ENOTFOUND;
	}
	rc = git_blob_lookup(out, repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	if (rc != 0) {
		store_giterr("cannot read record");
		return STORE_ECORRUPT;
	}
	return 0;
}

/* The own id, from refs/heads/main's node.json; "" before the genesis. */
static int own_id(store *st, char out[KEYS_ID_MAX + 1])
{
	store_identity id;
	git_oid head;
	git_commit *c = NULL;
	git_tree *t = NULL;
	rec_keystate ks;
	char why[256];
	int rc;

	out[0] = '\0';
	rc = store_ref_lookup(st, STORE_REF_OWN, &head);
	if (rc == STORE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (git_commit_lookup(&c, st->repo, &head) != 0 ||
	    git_commit_tree(&t, c) != 0) {
		git_commit_free(c);
		return store_giterr("cannot read own head");
	}
	rc = rec_keystate_load(st->repo, t, &ks, why, sizeof(why));
	git_tree_free(t);
	git_commit_free(c);
	if (rc != 0) {
		store_seterr("own head: %s", why);
		return rc;
	}
	if (ks.has_node) {
		id = ks.ident;
		memcpy(out, id.id, sizeof(id.id));
	}
	rec_keystate_clear(&ks);
	return 0;
}

int store_ref_for(store *st, char *out, size_t outlen, const char *node)
{
	char own[KEYS_ID_MAX + 1];
	int rc;

	if (node == NULL) {
		snprintf(out, outlen, "%s", STORE_REF_OWN);
		return 0;
	}
	if (!store_id_valid(node)) {
		store_seterr("'%s' is not a node id (6, 9 or 12 digits)", node);
		return STORE_EINVAL;
	}
	rc = own_id(st, own);
	if (rc != 0)
		return rc;
	if (strcmp(own, node) == 0)
		snprintf(out, outlen, "%s", STORE_REF_OWN);
	else
		snprintf(out, outlen, "%s%s", STORE_REF_NODES, node);
	return 0;
}

/* The head commit of a node's history. */
static int head_commit(store *st, const char *node, git_commit **out)
{
	char ref[STORE_PATH_MAX];
	git_oid id;
	int rc;

	rc = store_ref_for(st, ref, sizeof(ref), node);
	if (rc != 0)
		return rc;
	rc = store_ref_lookup(st, ref, &id);
	if (rc == STORE_ENOTFOUND) {
		store_seterr("no history of %s is held here",
		             node ? node : "this node");
		return rc;
	}
	if (rc != 0)
		return rc;
	if (git_commit_lookup(out, st->repo, &id) != 0) {
		store_giterr("cannot read head commit");
		return STORE_ECORRUPT;
	}
	return 0;
}

int store_identity_get(store *st, const char *node, store_identity *out)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	rec_keystate ks;
	char why[256];
	int rc;

	rc = head_commit(st, node, &c);
	if (rc != 0)
		return rc;
	if (git_commit_tree(&t, c) != 0) {
		git_commit_free(c);
		return store_giterr("cannot read head tree");
	}
	rc = rec_keystate_load(st->repo, t, &ks, why, sizeof(why));
	git_tree_free(t);
	git_commit_free(c);
	if (rc != 0) {
		store_seterr("%s", why);
		return rc;
	}
	if (!ks.has_node) {
		store_seterr("the head has no node.json");
		return STORE_ENOTFOUND;
	}
	*out = ks.ident;
	rec_keystate_clear(&ks);
	return 0;
}

/* ---- heads ------------------------------------------------------------------------------ */

static size_t height_slot(const git_oid *id)
{
	return ((size_t)id->id[0] << 8 | id->id[1]) % 1024;
}

/* Commits from the first to `head` along first parents; walks back only
 * until a commit whose height is cached. */
static int count_height(store *st, const git_oid *head, uint64_t *out)
{
	git_oid cur = *head, *line = NULL;
	uint64_t base = 0;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (;;) {
		size_t slot = height_slot(&cur);
		git_commit *c = NULL;

		if (st->heights[slot].height != 0 &&
		    git_oid_equal(&st->heights[slot].id, &cur)) {
			base = st->heights[slot].height;
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			git_oid *nl = realloc(line, ncap * sizeof(*nl));
			if (nl == NULL) {
				rc = STORE_ENOMEM;
				goto done;
			}
			line = nl;
			cap = ncap;
		}
		line[n++] = cur;
		if (git_commit_lookup(&c, st->repo, &cur) != 0) {
			rc = store_giterr("cannot walk history");
			goto done;
		}
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			break;
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	/* remember every 64th commit on the way, and the head */
	for (size_t i = n; i-- > 0;) {
		uint64_t h = base + (n - i);
		if (i == 0 || h % 64 == 0) {
			size_t slot = height_slot(&line[i]);
			st->heights[slot].id = line[i];
			st->heights[slot].height = h;
		}
	}
	*out = base + n;
done:
	free(line);
	return rc;
}

int store_commit_height(store *st, const char *commit, uint64_t *out)
{
	git_oid id;

	if (commit == NULL || git_oid_fromstr(&id, commit) != 0) {
		store_seterr("'%.64s' is not a commit id", commit ? commit : "");
		return STORE_EINVAL;
	}
	return count_height(st, &id, out);
}

static int fill_head(store *st, store_head *h, const char *id, const char *ref,
                     int own)
{
	git_oid oid;
	git_commit *c = NULL;
	int rc;

	rc = store_ref_lookup(st, ref, &oid);
	if (rc != 0)
		return rc;
	snprintf(h->id, sizeof(h->id), "%s", id);
	git_oid_tostr(h->commit, sizeof(h->commit), &oid);
	h->own = own;
	if (git_commit_lookup(&c, st->repo, &oid) != 0) {
		store_giterr("cannot read head commit");
		return STORE_ECORRUPT;
	}
	h->time = git_commit_time(c);
	git_commit_free(c);
	return count_height(st, &oid, &h->height);
}

int store_head_get(store *st, const char *node, store_head *out)
{
	char ref[STORE_PATH_MAX], own[KEYS_ID_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_ref_for(st, ref, sizeof(ref), node);
	if (rc != 0)
		return rc;
	rc = own_id(st, own);
	if (rc != 0)
		return rc;
	return fill_head(st, out, node ? node : own, ref,
	                 strcmp(ref, STORE_REF_OWN) == 0);
}

static int head_cmp(const void *a, const void *b)
{
	const store_head *x = a, *y = b;

	if (x->own != y->own)
		return y->own - x->own;
	return strcmp(x->id, y->id);
}

int store_heads_list(store *st, store_head **out, size_t *n)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	store_head *v = NULL;
	size_t len = 0, cap = 0;
	char own[KEYS_ID_MAX + 1];
	int rc;

	*out = NULL;
	*n = 0;
	rc = own_id(st, own);
	if (rc != 0)
		return rc;
	if (own[0] != '\0') {
		v = calloc(1, sizeof(*v));
		if (v == NULL)
			return STORE_ENOMEM;
		cap = 1;
		rc = fill_head(st, &v[0], own, STORE_REF_OWN, 1);
		if (rc != 0)
			goto fail;
		len = 1;
	}
	if (git_reference_iterator_glob_new(&it, st->repo, STORE_REF_NODES "*")) {
		rc = store_giterr("cannot list refs");
		goto fail;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref) + strlen(STORE_REF_NODES);
		if (store_id_valid(name)) {
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				store_head *nv = realloc(v, ncap * sizeof(*nv));
				if (nv == NULL) {
					git_reference_free(ref);
					rc = STORE_ENOMEM;
					goto fail;
				}
				v = nv;
				cap = ncap;
			}
			memset(&v[len], 0, sizeof(v[len]));
			rc = fill_head(st, &v[len], name, git_reference_name(ref), 0);
			if (rc != 0) {
				git_reference_free(ref);
				goto fail;
			}
			len++;
		}
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER) {
		rc = store_giterr("cannot list refs");
		goto fail;
	}
	git_reference_iterator_free(it);
	if (len > 1)
		qsort(v, len, sizeof(*v), head_cmp);
	*out = v;
	*n = len;
	return 0;
fail:
	git_reference_iterator_free(it);
	free(v);
	return rc;
}

/* ---- reading records ------------------------------------------------------------------- */

int store_record_read(store *st, const char *node, const char *path,
                      char **out, size_t *outlen)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_blob *b = NULL;
	char *buf;
	size_t len;
	int rc;

	rc = head_commit(st, node, &c);
	if (rc != 0)
		return rc;
	if (git_commit_tree(&t, c) != 0) {
		rc = store_giterr("cannot read head tree");
		goto cleanup;
	}
	rc = store_blob_at(st->repo, t, path, &b);
	if (rc != 0)
		goto cleanup;
	len = (size_t)git_blob_rawsize(b);
	buf = malloc(len + 1);
	if (buf == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	memcpy(buf, git_blob_rawcontent(b), len);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
cleanup:
	git_blob_free(b);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

int store_record_stat(store *st, const char *node, const char *path,
                      char blob[STORE_OID_HEX], char commit[STORE_OID_HEX])
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	int rc;

	rc = head_commit(st, node, &c);
	if (rc != 0)
		return rc;
	if (git_commit_tree(&t, c) != 0) {
		rc = store_giterr("cannot read head tree");
		goto cleanup;
	}
	if (git_tree_entry_bypath(&e, t, path) != 0 ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		store_seterr("%s: no record %s", node ? node : "own history", path);
		rc = STORE_ENOTFOUND;
		goto cleanup;
	}
	if (blob)
		git_oid_tostr(blob, STORE_OID_HEX, git_tree_entry_id(e));
	if (commit)
		git_oid_tostr(commit, STORE_OID_HEX, git_commit_id(c));
	rc = 0;
cleanup:
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

int store_blob_read(store *st, const char *blob, char **out, size_t *outlen)
{
	git_oid id;
	git_blob *b = NULL;
	size_t len;
	char *buf;

	if (blob == NULL || strlen(blob) != 40 || git_oid_fromstr(&id, blob) != 0) {
		store_seterr("'%s' is not a blob id", blob ? blob : "");
		return STORE_EINVAL;
	}
	if (git_blob_lookup(&b, st->repo, &id) != 0) {
		store_seterr("blob %s is not held here", blob);
		return STORE_ENOTFOUND;
	}
	len = (size_t)git_blob_rawsize(b);
	buf = malloc(len + 1);
	if (buf == NULL) {
		git_blob_free(b);
		return STORE_ENOMEM;
	}
	memcpy(buf, git_blob_rawcontent(b), len);
	buf[len] = '\0';
	git_blob_free(b);
	*out = buf;
	*outlen = len;
	return 0;
}

typedef struct walk_ctx {
	store *st;
	const char *prefix;
	size_t plen;
	store_record_cb cb;
	void *ctx;
	int rc;
} walk_ctx;

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	walk_ctx *w = payload;
	char path[STORE_PATH_MAX];
	git_blob *b = NULL;
	int n;

	n = snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		/* skip folders that cannot hold the prefix */
		size_t m = (size_t)n < w->plen ? (size_t)n : w->plen;
		return strncmp(path, w->prefix, m) == 0 ? 0 : 1;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    strncmp(path, w->prefix, w->plen) != 0)
		return 0;
	if (git_blob_lookup(&b, w->st->repo, git_tree_entry_id(e)) != 0) {
		store_giterr("cannot read record");
		w->rc = STORE_ECORRUPT;
		return -1;
	}
	w->rc = w->cb(w->ctx, path, git_blob_rawcontent(b),
	              (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return w->rc != 0 ? -1 : 0;
}

int store_record_foreach(store *st, const char *node, const char *prefix,
                         store_record_cb cb, void *ctx)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	walk_ctx w = { st, prefix ? prefix : "", 0, cb, ctx, 0 };
	int rc;

	w.plen = strlen(w.prefix);
	rc = head_commit(st, node, &c);
	if (rc != 0)
		return rc;
	if (git_commit_tree(&t, c) != 0) {
		git_commit_free(c);
		return store_giterr("cannot read head tree");
	}
	rc = git_tree_walk(t, GIT_TREEWALK_PRE, walk_cb, &w);
	git_tree_free(t);
	git_commit_free(c);
	if (w.rc != 0)
		return w.rc;
	if (rc < 0)
		return store_giterr("cannot walk records");
	return 0;
}

int store_log(store *st, const char *node, size_t max,
              int (*cb)(void *ctx, const store_log_entry *e), void *ctx)
{
	git_commit *c = NULL;
	size_t n = 0;
	int rc;

	rc = head_commit(st, node, &c);
	if (rc != 0)
		return rc;
	while (c != NULL && (max == 0 || n < max)) {
		store_log_entry e;
		char why[256], subject[512];
		const char *msg = git_commit_message(c);
		size_t sl = strcspn(msg, "\n");
		git_commit *parent = NULL;

		memset(&e, 0, sizeof(e));
		git_oid_tostr(e.commit, sizeof(e.commit), git_commit_id(c));
		e.time = git_commit_time(c);
		e.sig_ok = store_commit_signer(st->repo, git_commit_id(c), &e.signer,
		                               why, sizeof(why)) == 0;
		snprintf(subject, sizeof(subject), "%.*s", (int)sl, msg);
		e.subject = subject;
		rc = cb(ctx, &e);
		if (rc != 0)
			break;
		n++;
		if (git_commit_parentcount(c) > 0 &&
		    git_commit_parent(&parent, c, 0) != 0) {
			rc = store_giterr("cannot read parent commit");
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	return rc;
}

/* ---- misc ----------------------------------------------------------------------------------- */

int64_t store_now(void)
{
	const char *s = getenv("GOVFED_NOW");
	int64_t t;

	if (s != NULL && *s != '\0') {
		char *end;
		long long v;
		if (keys_time_parse(&t, s) == 0)
			return t;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			return (int64_t)v;
	}
	return (int64_t)time(NULL);
}

void store_buf_free(store_buf *b)
{
	if (b == NULL)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
}
