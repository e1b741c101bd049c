/*
 * verify.c — the auditor's walk: every history in the store, every commit,
 * from the first, against nothing but the root key.
 *
 * Histories are checked parents first, so each node's certificates are
 * read from the last commit of its parent's history that verified (never
 * from commits that failed). For each history the report says how many
 * commits were checked, the first and last commit times, and every problem
 * with its commit. Beyond the commits themselves it reports forks kept as
 * evidence and ref moves in the reflog that were not fast-forwards.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vnode {
	char id[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1];
	char ref[STORE_PATH_MAX];
	git_oid head;
	git_oid *commits; /* oldest first */
	size_t ncommits;
	int have_last_good;
	git_oid last_good; /* last commit of the verified prefix */
	hist_line line;    /* positions in commits */
	int done;
	store_node_report *rep;
} vnode;

static int add_problem(store_node_report *rep, const git_oid *commit,
                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int add_problem(store_node_report *rep, const git_oid *commit,
                       const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	store_problem *p;

	if (rep->nproblems >= STORE_PROBLEMS_MAX) {
		rep->problems_dropped++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p = realloc(rep->problems, (rep->nproblems + 1) * sizeof(*p));
	if (p == NULL)
		return STORE_ENOMEM;
	rep->problems = p;
	p = &p[rep->nproblems];
	memset(p, 0, sizeof(*p));
	if (commit)
		git_oid_tostr(p->commit, sizeof(p->commit), commit);
	p->reason = strdup(buf);
	if (p->reason == NULL)
		return STORE_ENOMEM;
	rep->nproblems++;
	return 0;
}

void store_report_free(store_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->nodes[i].nproblems; j++)
			free(r->nodes[i].problems[j].reason);
		free(r->nodes[i].problems);
	}
	free(r->nodes);
	memset(r, 0, sizeof(*r));
}

/* The first-parent line of a history, oldest first. */
static int collect_line(git_repository *repo, vnode *v, char *why,
                        size_t whylen)
{
	git_oid cur = v->head;
	size_t cap = 0;

	for (;;) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &cur) != 0) {
			const git_error *e = git_error_last();
			char hex[STORE_OID_HEX];
			git_oid_tostr(hex, sizeof(hex), &cur);
			snprintf(why, whylen, "commit %s is missing or corrupt: %s", hex,
			         e && e->message ? e->message : "not found");
			return STORE_ECORRUPT;
		}
		if (v->ncommits == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			git_oid *n = realloc(v->commits, ncap * sizeof(*n));
			if (n == NULL) {
				git_commit_free(c);
				return STORE_ENOMEM;
			}
			v->commits = n;
			cap = ncap;
		}
		v->commits[v->ncommits++] = cur;
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			break;
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	for (size_t i = 0; i < v->ncommits / 2; i++) {
		git_oid t = v->commits[i];
		v->commits[i] = v->commits[v->ncommits - 1 - i];
		v->commits[v->ncommits - 1 - i] = t;
	}
	return 0;
}

static vnode *find(vnode *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static int verify_node(store *st, const keys_public *root, vnode *all,
                       size_t nall, vnode *v, size_t *done, size_t total,
                       store_progress_fn progress, void *pctx)
{
	store_node_report *rep = v->rep;
	git_tree *ptree = NULL;
	git_commit *pc = NULL;
	char missing[300] = "", why[800];
	hist_ctx hc;
	int rc, failed = 0;
	vnode *p = NULL;

	if (v->parent[0] != '\0') {
		p = find(all, nall, v->parent);
		if (p == NULL)
			snprintf(missing, sizeof(missing),
			         "its parent %s's history is not in this store",
			         v->parent);
		else if (!p->have_last_good)
			snprintf(missing, sizeof(missing),
			         "its parent %s's history has no verified commit",
			         v->parent);
		else if (git_commit_lookup(&pc, st->repo, &p->last_good) != 0 ||
		         git_commit_tree(&ptree, pc) != 0)
			snprintf(missing, sizeof(missing),
			         "its parent %s's history is unreadable", v->parent);
		git_commit_free(pc);
	}
	rc = hist_ctx_init(&hc, st->repo, root, v->id, ptree,
	                   missing[0] ? missing : NULL);
	if (rc != 0) {
		git_tree_free(ptree);
		return rc;
	}
	hc.line = &v->line;
	hc.st = st;
	if (missing[0]) {
		add_problem(rep, NULL, "cannot check %s's keys: %s", v->id, missing);
		hc.skip_chain = 1; /* still check signatures and records */
		failed = 1;
	}
	for (size_t i = 0; i < v->ncommits; i++) {
		git_commit *c = NULL;
		keys_public signer;

		if (git_commit_lookup(&c, st->repo, &v->commits[i]) != 0) {
			const git_error *e = git_error_last();
			add_problem(rep, &v->commits[i], "object is missing or corrupt: %s",
			            e && e->message ? e->message : "unknown");
			failed = 1;
			break;
		}
		if (i == 0)
			rep->first_time = git_commit_time(c);
		rep->last_time = git_commit_time(c);
		rep->commits++;
		hc.checking_pos = (long)i;
		rc = hist_check_commit(&hc, c, &signer, why, sizeof(why));
		if (rc == STORE_ENOMEM) {
			git_commit_free(c);
			hist_ctx_clear(&hc);
			git_tree_free(ptree);
			return rc;
		}
		if (rc != 0) {
			add_problem(rep, &v->commits[i], "%s", why);
			failed = 1;
			if (hist_ctx_skip(&hc, c) != 0) {
				git_commit_free(c);
				add_problem(rep, NULL,
				            "the walk stops: later commits cannot be "
				            "judged after an unreadable one");
				break;
			}
		} else if (!failed) {
			v->last_good = v->commits[i];
			v->have_last_good = 1;
		}
		git_commit_free(c);
		(*done)++;
		if (progress && ((*done) % 512 == 0 || i + 1 == v->ncommits))
			progress(pctx, v->id, *done, total);
	}
	hist_ctx_clear(&hc);
	git_tree_free(ptree);
	return 0;
}

/* A ref's reflog: every move must be a fast-forward of the one before. */
static void check_reflog(store *st, vnode *v)
{
	git_reflog *log = NULL;
	size_t n;

	if (git_reflog_read(&log, st->repo, v->ref) != 0)
		return;
	n = git_reflog_entrycount(log);
	for (size_t i = 0; i < n; i++) {
		const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
		const git_oid *o = git_reflog_entry_id_old(e);
		const git_oid *nw = git_reflog_entry_id_new(e);
		long po, pn;
		if (git_oid_is_zero(o) || git_oid_equal(o, nw))
			continue;
		/* positions in the line answer it without walking the graph */
		po = hist_line_pos(&v->line, o);
		pn = hist_line_pos(&v->line, nw);
		if (po >= 0 && pn >= 0 ? po > pn
		                       : git_graph_descendant_of(st->repo, nw, o) != 1) {
			char a[STORE_OID_HEX], b[STORE_OID_HEX];
			git_oid_tostr(a, sizeof(a), o);
			git_oid_tostr(b, sizeof(b), nw);
			add_problem(v->rep, nw,
			            "history rewritten: the reflog of %s moved from %.12s "
			            "to %.12s, which does not descend from it",
			            v->ref, a, b);
		}
	}
	git_reflog_free(log);
}

static int list_histories(store *st, vnode **out, size_t *n)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	vnode *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (git_reference_iterator_new(&it, st->repo) != 0)
		return store_giterr("cannot list refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);
		int keep = 0;
		char nid[KEYS_ID_MAX + 1] = "";

		if (strcmp(name, STORE_REF_OWN) == 0)
			keep = 1;
		else if (strncmp(name, STORE_REF_NODES, strlen(STORE_REF_NODES)) == 0 &&
		         store_id_valid(name + strlen(STORE_REF_NODES))) {
			keep = 1;
			snprintf(nid, sizeof(nid), "%s", name + strlen(STORE_REF_NODES));
		}
		if (keep && id != NULL) {
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				vnode *nv = realloc(v, ncap * sizeof(*nv));
				if (nv == NULL) {
					git_reference_free(ref);
					rc = STORE_ENOMEM;
					goto fail;
				}
				v = nv;
				cap = ncap;
			}
			memset(&v[len], 0, sizeof(v[len]));
			snprintf(v[len].ref, sizeof(v[len].ref), "%s", name);
			snprintf(v[len].id, sizeof(v[len].id), "%s", nid);
			v[len].head = *id;
			len++;
		}
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER) {
		rc = store_giterr("cannot list refs");
		goto fail;
	}
	git_reference_iterator_free(it);
	*out = v;
	*n = len;
	return 0;
fail:
	git_reference_iterator_free(it);
	free(v);
	return rc;
}

static int report_cmp(const void *a, const void *b)
{
	const store_node_report *x = a, *y = b;

	if (x->own != y->own)
		return y->own - x->own;
	return strcmp(x->id, y->id);
}

int store_verify(store *st, const keys_public *root, store_report *out,
                 store_progress_fn progress, void *pctx)
{
	vnode *v = NULL;
	size_t n = 0, total = 0, done = 0;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = list_histories(st, &v, &n);
	if (rc != 0)
		return rc;
	out->nodes = calloc(n ? n : 1, sizeof(*out->nodes));
	if (out->nodes == NULL) {
		free(v);
		return STORE_ENOMEM;
	}
	out->n = n;
	/* who is each history, and its line of commits */
	for (size_t i = 0; i < n; i++) {
		store_node_report *rep = &out->nodes[i];
		git_commit *c = NULL;
		git_tree *t = NULL;
		rec_keystate ks;
		char why[600];

		v[i].rep = rep;
		snprintf(rep->ref, sizeof(rep->ref), "%s", v[i].ref);
		git_oid_tostr(rep->head, sizeof(rep->head), &v[i].head);
		rep->own = strcmp(v[i].ref, STORE_REF_OWN) == 0;
		if (git_commit_lookup(&c, st->repo, &v[i].head) != 0 ||
		    git_commit_tree(&t, c) != 0 ||
		    rec_keystate_load(st->repo, t, &ks, why, sizeof(why)) != 0 ||
		    !ks.has_node) {
			const git_error *e = git_error_last();
			snprintf(rep->id, sizeof(rep->id), "%s",
			         v[i].id[0] ? v[i].id : "?");
			add_problem(rep, &v[i].head,
			            "the head is unreadable: %s",
			            e && e->message ? e->message : "no node.json");
			v[i].done = 1;
			git_tree_free(t);
			git_commit_free(c);
			continue;
		}
		git_tree_free(t);
		git_commit_free(c);
		if (v[i].id[0] != '\0' && strcmp(v[i].id, ks.ident.id) != 0) {
			add_problem(rep, &v[i].head,
			            "%s holds the history of %s, not of %s", v[i].ref,
			            ks.ident.id, v[i].id);
			snprintf(rep->id, sizeof(rep->id), "%s", v[i].id);
			v[i].done = 1;
			rec_keystate_clear(&ks);
			continue;
		}
		snprintf(v[i].id, sizeof(v[i].id), "%s", ks.ident.id);
		snprintf(v[i].parent, sizeof(v[i].parent), "%s", ks.ident.parent);
		snprintf(rep->id, sizeof(rep->id), "%s", ks.ident.id);
		rec_keystate_clear(&ks);
		rc = collect_line(st->repo, &v[i], why, sizeof(why));
		if (rc == STORE_ENOMEM)
			goto cleanup;
		if (rc != 0) {
			add_problem(rep, NULL, "%s", why);
			v[i].done = 1;
			continue;
		}
		rc = hist_line_init(&v[i].line, v[i].commits, v[i].ncommits);
		if (rc != 0)
			goto cleanup;
		total += v[i].ncommits;
	}
	/* parents before children */
	for (int progressed = 1; progressed;) {
		progressed = 0;
		for (size_t i = 0; i < n; i++) {
			vnode *p;
			if (v[i].done)
				continue;
			p = v[i].parent[0] ? find(v, n, v[i].parent) : NULL;
			if (p != NULL && !p->done)
				continue;
			rc = verify_node(st, root, v, n, &v[i], &done, total, progress,
			                 pctx);
			if (rc != 0)
				goto cleanup;
			check_reflog(st, &v[i]);
			v[i].done = 1;
			progressed = 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!v[i].done)
			add_problem(v[i].rep, NULL,
			            "its chain of parents loops; it cannot be checked");

	/* forks kept as evidence */
	if (git_reference_iterator_glob_new(&it, st->repo,
	                                    STORE_REF_EVIDENCE "*") == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const char *name = git_reference_name(ref) +
			                   strlen(STORE_REF_EVIDENCE);
			char id[KEYS_ID_MAX + 1];
			const char *slash = strchr(name, '/');
			size_t idlen = slash ? (size_t)(slash - name) : 0;
			vnode *x;

			if (idlen > 0 && idlen <= KEYS_ID_MAX) {
				memcpy(id, name, idlen);
				id[idlen] = '\0';
				x = find(v, n, id);
				if (x != NULL)
					add_problem(x->rep, git_reference_target(ref),
					            "equivocation: %s signed a fork that does "
					            "not extend the history held here (kept at "
					            "%s)", id, git_reference_name(ref));
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	for (size_t i = 0; i < n; i++)
		out->problems += out->nodes[i].nproblems +
		                 out->nodes[i].problems_dropped;
	qsort(out->nodes, out->n, sizeof(*out->nodes), report_cmp);
	rc = 0;
cleanup:
	for (size_t i = 0; i < n; i++) {
		hist_line_free(&v[i].line);
		free(v[i].commits);
	}
	free(v);
	if (rc != 0)
		store_report_free(out);
	return rc;
}

/* ---- allowed signers for stock git ---------------------------------------- */

static int append(char **buf, size_t *len, const char *id,
                  const keys_public *k)
{
	char line[KEYS_PUBLIC_LINE_MAX], row[KEYS_PUBLIC_LINE_MAX + 64];
	char *nb;
	int w;

	keys_public_format(line, sizeof(line), k, NULL);
	w = snprintf(row, sizeof(row), "%s namespaces=\"git\" %s\n", id, line);
	if (w < 0)
		return STORE_EINVAL;
	if (*buf && strstr(*buf, row))
		return 0;
	nb = realloc(*buf, *len + (size_t)w + 1);
	if (nb == NULL)
		return STORE_ENOMEM;
	memcpy(nb + *len, row, (size_t)w + 1);
	*buf = nb;
	*len += (size_t)w;
	return 0;
}

int store_allowed_signers(store *st, const keys_public *root, char **out)
{
	vnode *v = NULL;
	size_t n = 0, len = 0;
	char *buf = NULL;
	int rc;

	*out = NULL;
	rc = list_histories(st, &v, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		rec_keystate ks;
		char why[300];
		git_tree_entry *certs = NULL;

		if (git_commit_lookup(&c, st->repo, &v[i].head) != 0 ||
		    git_commit_tree(&t, c) != 0 ||
		    rec_keystate_load(st->repo, t, &ks, why, sizeof(why)) != 0) {
			git_tree_free(t);
			git_commit_free(c);
			continue;
		}
		if (ks.has_node) {
			if (ks.ident.parent[0] == '\0')
				rc = append(&buf, &len, ks.ident.id, root);
			for (size_t j = 0; rc == 0 && j < ks.nrotations; j++) {
				rc = append(&buf, &len, ks.ident.id,
				            &ks.rotations[j].old_key);
				if (rc == 0)
					rc = append(&buf, &len, ks.ident.id,
					            &ks.rotations[j].new_key);
			}
			if (rc == 0)
				rc = append(&buf, &len, ks.ident.id, &ks.ident.key);
		}
		/* keys this node certified for its children */
		if (rc == 0 && git_tree_entry_bypath(&certs, t, "certs") == 0) {
			git_tree *ct = NULL;
			if (git_tree_lookup(&ct, st->repo, git_tree_entry_id(certs)) == 0) {
				for (size_t j = 0; rc == 0 && j < git_tree_entrycount(ct); j++) {
					const char *name =
					        git_tree_entry_name(git_tree_entry_byindex(ct, j));
					char child[KEYS_ID_MAX + 6];
					keys_event *ev = NULL;
					size_t nev = 0, nl = strlen(name);
					if (nl <= 5 || nl - 5 > KEYS_ID_MAX)
						continue;
					memcpy(child, name, nl - 5);
					child[nl - 5] = '\0';
					if (rec_certs_load(st->repo, t, child, &ev, &nev) != 0)
						continue;
					for (size_t k = 0; rc == 0 && k < nev; k++)
						if (ev[k].type == KEYS_EVENT_CERT)
							rc = append(&buf, &len, child, &ev[k].key);
					free(ev);
				}
				git_tree_free(ct);
			}
			git_tree_entry_free(certs);
		}
		rec_keystate_clear(&ks);
		git_tree_free(t);
		git_commit_free(c);
	}
	free(v);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf ? buf : strdup("");
	return *out ? 0 : STORE_ENOMEM;
}
