/*
 * transfer.c — packs in (pack.c writes them).
 *
 * An incoming pack is indexed into a quarantine directory inside the store
 * (objects/incoming-XXXXXX), read through an object database that sees the
 * quarantine and the store, and checked commit by commit. Only when every
 * rule holds is the pack renamed into objects/pack and the replica ref
 * moved (compare-and-swap). A failed import removes the quarantine: nothing
 * else was touched.
 *
 * The indexing is our own (index.c), not libgit2's git_indexer: with an
 * object database to complete thin packs from, git_indexer_commit (1.5.1,
 * unchanged up to 1.9) loops forever with growing memory on a pack holding
 * a blob and a REF_DELTA that rebuilds that same blob — any peer could hang
 * an import with 85 bytes — and it appends one missing base per pass over
 * all waiting deltas (quadratic on a long thin catch-up). index.c parses
 * and resolves every entry once, under hard bounds (objects, sizes, depth,
 * bytes in all), drops a second copy of an object instead of looping on
 * it, and refuses anything malformed with a reason.
 */
#define _GNU_SOURCE
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Commits allowed in one import; a longer history arrives in steps. */
#define IMPORT_COMMITS_MAX (1u << 22)
/* Commits dated more than this after the local clock are refused. */
#define FUTURE_SLACK (24 * 3600)

/* ---- quarantine ----------------------------------------------------------- */

typedef struct quarantine {
	char dir[STORE_PATH_MAX];  /* objects/incoming-XXXXXX */
	char pack[STORE_PATH_MAX + 16]; /* its pack/ */
	git_odb *odb;
	git_repository *repo;
} quarantine;

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[STORE_PATH_MAX * 2];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			rm_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

static void q_free(quarantine *q)
{
	git_repository_free(q->repo);
	git_odb_free(q->odb);
	if (q->dir[0] != '\0')
		rm_tree(q->dir);
	memset(q, 0, sizeof(*q));
}

static int q_open(store *st, quarantine *q, const void *pack, size_t len)
{
	store_index_opts io;
	git_odb *main_odb = NULL;
	char objects[STORE_PATH_MAX], why[600];
	int rc;

	memset(q, 0, sizeof(*q));
	snprintf(objects, sizeof(objects), "%s/objects",
	         git_repository_path(st->repo));
	if (snprintf(q->dir, sizeof(q->dir), "%s/incoming-XXXXXX", objects) >=
	            (int)sizeof(q->dir) ||
	    mkdtemp(q->dir) == NULL) {
		store_seterr("cannot make a quarantine in the store: %s",
		             strerror(errno));
		q->dir[0] = '\0';
		return STORE_EIO;
	}
	snprintf(q->pack, sizeof(q->pack), "%s/pack", q->dir);
	if (mkdir(q->pack, 0755) != 0) {
		store_seterr("cannot make a quarantine in the store: %s",
		             strerror(errno));
		return STORE_EIO;
	}
	if (git_repository_odb(&main_odb, st->repo) != 0)
		return store_giterr("cannot open object database");
	if (len > 0) {
		/* Our own bounded indexer (index.c), completing a thin pack
		 * from the store's objects. Connectivity is not its business:
		 * the history walk reads every new commit, every new tree and
		 * every changed record, and refuses the update if one is
		 * missing. */
		store_index_opts_init(&io);
		io.fsync = (st->flags & STORE_OPEN_FSYNC) != 0;
		rc = store_index_pack(main_odb, pack, len, q->pack, &io, NULL, why,
		                      sizeof(why));
		if (rc != 0) {
			git_odb_free(main_odb);
			if (rc == STORE_EREJECT) {
				store_seterr("the pack is malformed: %s", why);
				return STORE_EREJECT;
			}
			store_seterr("cannot index the pack: %s", why);
			return rc;
		}
	}
	git_odb_free(main_odb);
	if (git_odb_new(&q->odb) != 0 ||
	    store_odb_add(q->odb, q->dir, 0, 0) != 0 ||
	    store_odb_add(q->odb, objects, 0, 0) != 0 ||
	    git_repository_wrap_odb(&q->repo, q->odb) != 0)
		return store_giterr("cannot read the quarantine");
	return 0;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Moves the quarantined pack into the store: .pack first, .idx last, as
 * readers look for the index. */
static int q_commit(store *st, quarantine *q)
{
	char dst[STORE_PATH_MAX + 32], src[STORE_PATH_MAX * 3], to[STORE_PATH_MAX * 3];
	static const char *const exts[] = { ".pack", ".idx", NULL };
	DIR *d;
	struct dirent *e;
	git_odb *odb = NULL;

	snprintf(dst, sizeof(dst), "%s/objects/pack",
	         git_repository_path(st->repo));
	mkdir(dst, 0755);
	for (const char *const *x = exts; *x; x++) {
		d = opendir(q->pack);
		if (d == NULL)
			return 0; /* nothing came in */
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name), xl = strlen(*x);
			if (n <= xl || strcmp(e->d_name + n - xl, *x) != 0)
				continue;
			snprintf(src, sizeof(src), "%s/%s", q->pack, e->d_name);
			snprintf(to, sizeof(to), "%s/%s", dst, e->d_name);
			if (access(to, F_OK) == 0)
				continue; /* the very same pack is held already */
			if (rename(src, to) != 0) {
				closedir(d);
				store_seterr("cannot move the pack into the store: %s",
				             strerror(errno));
				return STORE_EIO;
			}
		}
		closedir(d);
	}
	if ((st->flags & STORE_OPEN_FSYNC) && fsync_dir(dst) != 0) {
		store_seterr("cannot sync the pack directory: %s", strerror(errno));
		return STORE_EIO;
	}
	if (git_repository_odb(&odb, st->repo) == 0) {
		git_odb_refresh(odb);
		git_odb_free(odb);
	}
	return 0;
}

/* ---- walking the incoming range ------------------------------------------------ */

typedef struct range {
	git_oid *v; /* oldest first after range_collect */
	size_t n, cap;
} range;

/* Collects head's first-parent line back to `stop` (exclusive) or the
 * root. *reached says whether stop was met. Merges are refused. */
static int range_collect(git_repository *repo, const git_oid *head,
                         const git_oid *stop, range *r, int *reached,
                         char *why, size_t whylen)
{
	git_oid cur = *head;

	*reached = 0;
	for (;;) {
		git_commit *c = NULL;
		unsigned pc;

		if (stop && git_oid_equal(&cur, stop)) {
			*reached = 1;
			break;
		}
		if (r->n >= IMPORT_COMMITS_MAX) {
			snprintf(why, whylen, "the update holds more than %u commits",
			         IMPORT_COMMITS_MAX);
			return STORE_EREJECT;
		}
		if (git_commit_lookup(&c, repo, &cur) != 0) {
			const git_error *e = git_error_last();
			char hex[STORE_OID_HEX];
			git_oid_tostr(hex, sizeof(hex), &cur);
			snprintf(why, whylen, "commit %.12s is missing or corrupt: %s",
			         hex, e && e->message ? e->message : "not found");
			return STORE_EREJECT;
		}
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 64;
			git_oid *nv = realloc(r->v, ncap * sizeof(*nv));
			if (nv == NULL) {
				git_commit_free(c);
				return STORE_ENOMEM;
			}
			r->v = nv;
			r->cap = ncap;
		}
		r->v[r->n++] = cur;
		pc = git_commit_parentcount(c);
		if (pc > 1) {
			git_commit_free(c);
			snprintf(why, whylen,
			         "a merge commit; a node's history is a single line");
			return STORE_EREJECT;
		}
		if (pc == 0) {
			git_commit_free(c);
			break;
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	for (size_t i = 0; i < r->n / 2; i++) {
		git_oid t = r->v[i];
		r->v[i] = r->v[r->n - 1 - i];
		r->v[r->n - 1 - i] = t;
	}
	return 0;
}

/* The parent node named by head's node.json, and that parent's held tree. */
static int parent_of_head(store *st, git_repository *repo, const git_oid *head,
                          const char *node, git_tree **ptree, char *missing,
                          size_t missinglen, char pid_out[KEYS_ID_MAX + 1],
                          char *why, size_t whylen)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	rec_keystate ks;
	char ref[STORE_PATH_MAX];
	git_oid pid;
	git_commit *pc = NULL;
	int rc;

	*ptree = NULL;
	missing[0] = '\0';
	if (git_commit_lookup(&c, repo, head) != 0 ||
	    git_commit_tree(&t, c) != 0) {
		git_commit_free(c);
		snprintf(why, whylen, "the head commit is missing or corrupt");
		return STORE_EREJECT;
	}
	rc = rec_keystate_load(repo, t, &ks, why, whylen);
	git_tree_free(t);
	git_commit_free(c);
	if (rc != 0)
		return STORE_EREJECT;
	if (!ks.has_node || strcmp(ks.ident.id, node) != 0) {
		if (ks.has_node)
			snprintf(why, whylen,
			         "the head's node.json names node %s, not %s",
			         ks.ident.id, node);
		else
			snprintf(why, whylen, "the head has no node.json");
		rec_keystate_clear(&ks);
		return STORE_EREJECT;
	}
	snprintf(pid_out, KEYS_ID_MAX + 1, "%s", ks.ident.parent);
	if (ks.ident.parent[0] == '\0') {
		rec_keystate_clear(&ks);
		return 0;
	}
	rc = store_ref_for(st, ref, sizeof(ref), ks.ident.parent);
	if (rc == 0)
		rc = store_ref_lookup(st, ref, &pid);
	if (rc == STORE_ENOTFOUND) {
		snprintf(missing, missinglen,
		         "its parent %s's history is not held here (sync %s first)",
		         ks.ident.parent, ks.ident.parent);
		rec_keystate_clear(&ks);
		return 0;
	}
	rec_keystate_clear(&ks);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		return rc;
	}
	if (git_commit_lookup(&pc, repo, &pid) != 0 ||
	    git_commit_tree(ptree, pc) != 0) {
		git_commit_free(pc);
		snprintf(why, whylen, "the parent's held history is unreadable");
		return STORE_ECORRUPT;
	}
	git_commit_free(pc);
	return 0;
}

/* Checks range r (oldest first) continuing from `base` (NULL: from the
 * first commit). */
static int check_range(store *st, git_repository *repo,
                       const keys_public *root, const char *node,
                       const git_oid *head, git_commit *base, const range *r,
                       store_allow_fn allow, void *actx, char *why,
                       size_t whylen)
{
	git_tree *ptree = NULL;
	char missing[256], cwhy[600], pid[KEYS_ID_MAX + 1] = "";
	hist_line line = { 0 };
	hist_ctx hc;
	int rc;

	rc = parent_of_head(st, repo, head, node, &ptree, missing,
	                    sizeof(missing), pid, why, whylen);
	if (rc != 0)
		return rc;
	/* is the sender entitled to this node's history? */
	if (allow != NULL && !allow(actx, node, pid, why, whylen)) {
		git_tree_free(ptree);
		return STORE_EREJECT;
	}
	if (missing[0] != '\0') {
		snprintf(why, whylen, "cannot check %s yet: %s", node, missing);
		return STORE_EWAIT;
	}
	rc = hist_ctx_init(&hc, repo, root, node, ptree,
	                   missing[0] ? missing : NULL);
	if (rc != 0) {
		git_tree_free(ptree);
		return rc;
	}
	hc.max_time = store_now() + FUTURE_SLACK;
	rc = hist_line_init(&line, r->v, r->n);
	if (rc != 0)
		goto cleanup;
	hc.line = &line;
	hc.st = st;
	rc = hist_ctx_start(&hc, base);
	if (rc != 0) {
		snprintf(why, whylen, "%s", store_errmsg());
		goto cleanup;
	}
	for (size_t i = 0; i < r->n; i++) {
		git_commit *c = NULL;
		keys_public signer;
		char hex[STORE_OID_HEX];

		git_oid_tostr(hex, sizeof(hex), &r->v[i]);
		if (git_commit_lookup(&c, repo, &r->v[i]) != 0) {
			snprintf(why, whylen, "commit %.12s is missing or corrupt", hex);
			rc = STORE_EREJECT;
			goto cleanup;
		}
		hc.checking_pos = (long)i;
		rc = hist_check_commit(&hc, c, &signer, cwhy, sizeof(cwhy));
		git_commit_free(c);
		if (rc != 0) {
			snprintf(why, whylen, "commit %.12s: %s", hex, cwhy);
			rc = rc == STORE_ECORRUPT ? STORE_EREJECT : rc;
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	hist_line_free(&line);
	hist_ctx_clear(&hc);
	git_tree_free(ptree);
	return rc;
}

static int keep_evidence(store *st, quarantine *q, const char *node,
                         const git_oid *head, store_import_result *res)
{
	char ref[STORE_PATH_MAX], hex[STORE_OID_HEX];
	git_reference *r = NULL;
	int rc;

	git_oid_tostr(hex, sizeof(hex), head);
	snprintf(ref, sizeof(ref), "%s%s/%s", STORE_REF_EVIDENCE, node, hex);
	rc = q_commit(st, q);
	if (rc != 0)
		return rc;
	rc = git_reference_create(&r, st->repo, ref, head, 1,
	                          "evidence: a fork signed by its author");
	git_reference_free(r);
	if (rc != 0)
		return store_giterr("cannot keep evidence");
	snprintf(res->evidence, sizeof(res->evidence), "%s", ref);
	return 0;
}

int store_import(store *st, const keys_public *root, const char *node,
                 const char *head_hex, const void *pack, size_t len,
                 store_import_result *res)
{
	return store_import_ex(st, root, node, head_hex, pack, len, NULL, NULL,
	                       res);
}

int store_import_ex(store *st, const keys_public *root, const char *node,
                    const char *head_hex, const void *pack, size_t len,
                    store_allow_fn allow, void *actx,
                    store_import_result *res)
{
	char ref[STORE_PATH_MAX], why[800];
	git_oid head, old;
	git_commit *oldc = NULL;
	git_reference *r = NULL;
	quarantine q;
	range rg = { 0 };
	int has_old, reached, rc;

	memset(res, 0, sizeof(*res));
	memset(&q, 0, sizeof(q));
	if (!store_id_valid(node)) {
		store_seterr("'%s' is not a node id", node);
		return STORE_EINVAL;
	}
	if (head_hex == NULL || strlen(head_hex) != 40 ||
	    git_oid_fromstr(&head, head_hex) != 0) {
		store_seterr("'%.64s' is not a commit id", head_hex ? head_hex : "");
		return STORE_EINVAL;
	}
	rc = store_ref_for(st, ref, sizeof(ref), node);
	if (rc != 0)
		return rc;
	if (strcmp(ref, STORE_REF_OWN) == 0) {
		store_seterr("%s is this node: its own history is written here, "
		             "never imported", node);
		return STORE_EREJECT;
	}
	snprintf(res->new_head, sizeof(res->new_head), "%s", head_hex);
	rc = store_ref_lookup(st, ref, &old);
	if (rc != 0 && rc != STORE_ENOTFOUND)
		return rc;
	has_old = rc == 0;
	/* A held history names its parent already: the entitlement check
	 * comes before any answer about it ("held already", "stale"), so
	 * that a sender learns nothing of histories it may not send. */
	if (has_old && allow != NULL) {
		store_identity held;
		if (store_identity_get(st, node, &held) == 0 &&
		    !allow(actx, node, held.parent, why, sizeof(why))) {
			store_seterr("%s", why);
			return STORE_EREJECT;
		}
	}
	if (has_old) {
		git_oid_tostr(res->old_head, sizeof(res->old_head), &old);
		if (git_oid_equal(&old, &head))
			return 0; /* held already */
	}

	rc = q_open(st, &q, pack, len);
	if (rc != 0)
		goto cleanup;
	rc = range_collect(q.repo, &head, has_old ? &old : NULL, &rg, &reached,
	                   why, sizeof(why));
	if (rc != 0) {
		store_seterr("%s: %s", node, why);
		goto cleanup;
	}
	if (has_old && !reached) {
		git_oid base;
		git_commit *basec = NULL;
		range fork = { 0 };
		int r2;

		/* an old head sent again: nothing to do */
		if (git_graph_descendant_of(q.repo, &old, &head) == 1) {
			store_seterr("%s: %.12s is older than the head held here "
			             "(%.12s); not applied", node, head_hex,
			             res->old_head);
			rc = STORE_ESTALE;
			goto cleanup;
		}
		/* A fork. If its author signed it validly, it is proof of
		 * equivocation: keep it, never apply it. */
		r2 = git_merge_base(&base, q.repo, &old, &head);
		if (r2 == 0 && git_commit_lookup(&basec, q.repo, &base) != 0)
			r2 = -1;
		if (r2 == 0 || r2 == GIT_ENOTFOUND) {
			int reached2;
			rc = range_collect(q.repo, &head, r2 == 0 ? &base : NULL, &fork,
			                   &reached2, why, sizeof(why));
			if (rc == 0)
				rc = check_range(st, q.repo, root, node, &head, basec,
				                 &fork, allow, actx, why, sizeof(why));
		} else {
			rc = STORE_EREJECT;
			snprintf(why, sizeof(why), "cannot relate it to the held head");
		}
		git_commit_free(basec);
		free(fork.v);
		if (rc == STORE_EWAIT) {
			store_seterr("%s: %s", node, why);
			goto cleanup;
		}
		if (rc != 0) {
			store_seterr("%s: %.12s does not extend the held head %.12s, "
			             "and %s", node, head_hex, res->old_head, why);
			rc = STORE_EREJECT;
			goto cleanup;
		}
		rc = keep_evidence(st, &q, node, &head, res);
		if (rc != 0)
			goto cleanup;
		store_seterr("%s: fork: %.12s does not extend the held head %.12s "
		             "though both are signed by %s; the held head stays "
		             "and the fork is kept as evidence at %s",
		             node, head_hex, res->old_head, node, res->evidence);
		rc = STORE_EFORK;
		goto cleanup;
	}
	if (has_old && git_commit_lookup(&oldc, q.repo, &old) != 0) {
		rc = store_giterr("cannot read the held head");
		goto cleanup;
	}
	rc = check_range(st, q.repo, root, node, &head, oldc, &rg, allow, actx,
	                 why, sizeof(why));
	if (rc != 0) {
		store_seterr("%s: %s", node, why);
		if (rc != STORE_ENOMEM && rc != STORE_EWAIT)
			rc = STORE_EREJECT;
		goto cleanup;
	}
	rc = q_commit(st, &q);
	if (rc != 0)
		goto cleanup;
	if (has_old)
		rc = git_reference_create_matching(&r, st->repo, ref, &head, 1, &old,
		                                   "import");
	else
		rc = git_reference_create(&r, st->repo, ref, &head, 0, "import");
	git_reference_free(r);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		store_seterr("%s: the held head moved during the import; try again",
		             node);
		rc = STORE_ECONFLICT;
		goto cleanup;
	}
	if (rc != 0) {
		rc = store_giterr("cannot move the replica ref");
		goto cleanup;
	}
	res->commits = rg.n;
	rc = 0;
cleanup:
	git_commit_free(oldc);
	free(rg.v);
	q_free(&q);
	return rc;
}
