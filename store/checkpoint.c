/*
 * checkpoint.c — signed checkpoints of the histories a store holds: the
 * consistent cut, the signed record, its ref, the chain and its checks.
 * checkpoint.h says what each function promises; protocol/README.md
 * ("Checkpoints and the HTTP feed") is the contract for the format.
 */
#define _GNU_SOURCE
#include "store_int.h"
#include "checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CP_FIELDS 8   /* type node seq prev time heads key sig */
#define HEAD_FIELDS 8 /* node level parent commit height time seen stale */

/* ---- small helpers ------------------------------------------------------ */

static int is_lower_hex(const char *s, size_t n)
{
	return s != NULL && strlen(s) == n &&
	       strspn(s, "0123456789abcdef") == n;
}

static void cp_ref_name(char *out, size_t outlen, uint64_t seq)
{
	snprintf(out, outlen, STORE_REF_CHECKPOINTS "%010" PRIu64, seq);
}

static int reject(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return STORE_EREJECT;
}

static const char *fp(const keys_public *k, char buf[KEYS_FINGERPRINT_MAX])
{
	keys_public_fingerprint(buf, k);
	return buf;
}

void store_checkpoint_clear(store_checkpoint *cp)
{
	if (cp == NULL)
		return;
	free(cp->heads);
	memset(cp, 0, sizeof(*cp));
}

void store_cp_cut_clear(store_cp_cut *c)
{
	if (c == NULL)
		return;
	free(c->held);
	memset(c, 0, sizeof(*c));
}

/* ---- parsing and form ----------------------------------------------------- */

static int get_time(int64_t *out, const json_t *o, const char *field,
                    const char *where, char *why, size_t whylen)
{
	const char *s = json_string_value(json_object_get(o, field));

	if (s == NULL || keys_time_parse(out, s) != 0)
		return reject(why, whylen,
		              "%s'%s' must be a UTC time YYYY-MM-DDTHH:MM:SSZ",
		              where, field);
	return 0;
}

static int get_count(uint64_t *out, const json_t *o, const char *field,
                     uint64_t max, const char *where, char *why,
                     size_t whylen)
{
	const json_t *x = json_object_get(o, field);
	json_int_t v;

	if (!json_is_integer(x) || (v = json_integer_value(x)) < 1 ||
	    (uint64_t)v > max)
		return reject(why, whylen,
		              "%s'%s' must be a whole number from 1 to %" PRIu64,
		              where, field, max);
	*out = (uint64_t)v;
	return 0;
}

static int parse_head(store_cp_head *h, const json_t *o, size_t i, char *why,
                      size_t whylen)
{
	char where[64];
	const char *s;
	const json_t *x;
	int rc;

	snprintf(where, sizeof(where), "heads[%zu]: ", i);
	memset(h, 0, sizeof(*h));
	if (!json_is_object(o))
		return reject(why, whylen, "%sis not an object", where);
	if (json_object_size(o) != HEAD_FIELDS || !json_object_get(o, "node") ||
	    !json_object_get(o, "level") || !json_object_get(o, "parent") ||
	    !json_object_get(o, "commit") || !json_object_get(o, "height") ||
	    !json_object_get(o, "time") || !json_object_get(o, "seen") ||
	    !json_object_get(o, "stale"))
		return reject(why, whylen,
		              "%smust hold exactly node, level, parent, commit, "
		              "height, time, seen and stale", where);
	s = json_string_value(json_object_get(o, "node"));
	if (!store_id_valid(s))
		return reject(why, whylen,
		              "%s'node' must be a node id of 6, 9 or 12 digits",
		              where);
	snprintf(h->node, sizeof(h->node), "%s", s);
	if (store_level_parse(&h->level,
	                      json_string_value(json_object_get(o, "level"))))
		return reject(why, whylen, "%s'level' is not a level", where);
	x = json_object_get(o, "parent");
	if (json_is_null(x)) {
		if (h->level != STORE_LEVEL_PROVINCE)
			return reject(why, whylen,
			              "%s%s has no parent but is not the province",
			              where, h->node);
	} else {
		s = json_string_value(x);
		if (!store_id_valid(s) || h->level == STORE_LEVEL_PROVINCE)
			return reject(why, whylen,
			              "%s'parent' must be a node id (null for the "
			              "province)", where);
		snprintf(h->parent, sizeof(h->parent), "%s", s);
	}
	s = json_string_value(json_object_get(o, "commit"));
	if (!is_lower_hex(s, 40))
		return reject(why, whylen,
		              "%s'commit' must be 40 lower-case hex digits", where);
	memcpy(h->commit, s, 41);
	rc = get_count(&h->height, o, "height", (uint64_t)INT64_MAX, where, why,
	               whylen);
	if (rc == 0)
		rc = get_time(&h->time, o, "time", where, why, whylen);
	if (rc == 0)
		rc = get_time(&h->seen, o, "seen", where, why, whylen);
	if (rc != 0)
		return rc;
	x = json_object_get(o, "stale");
	if (!json_is_boolean(x))
		return reject(why, whylen, "%s'stale' must be true or false",
		              where);
	h->stale = json_is_true(x);
	return 0;
}

/* Parses and checks the form; *vout (may be NULL) keeps the JSON value and
 * sig/siglen (may be NULL) the raw signature. */
static int cp_parse(store_checkpoint *out, json_t **vout, unsigned char *sig,
                    size_t *siglen, const char *bytes, size_t len, char *why,
                    size_t whylen)
{
	json_t *v = NULL, *heads;
	char *canon = NULL, line[KEYS_PUBLIC_LINE_MAX];
	char b64[2 * KEYS_SSHSIG_MAX];
	unsigned char raw[KEYS_SSHSIG_MAX];
	size_t clen, rawlen;
	const char *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (vout)
		*vout = NULL;
	if (bytes == NULL)
		return reject(why, whylen, "no checkpoint given");
	if (len > STORE_CHECKPOINT_MAX)
		return reject(why, whylen,
		              "a checkpoint of %zu bytes is over the limit of %d",
		              len, STORE_CHECKPOINT_MAX);
	rc = store_json_parse(&v, bytes, len, STORE_CHECKPOINT_MAX,
	                      "the checkpoint");
	if (rc == STORE_ENOMEM)
		return rc;
	if (rc != 0)
		return reject(why, whylen, "%s", store_errmsg());
	if (!json_is_object(v)) {
		rc = reject(why, whylen, "a checkpoint is a JSON object");
		goto fail;
	}
	rc = store_json_canon(&canon, &clen, v, 1);
	if (rc == STORE_ENOMEM)
		goto fail;
	if (rc != 0 || clen != len || memcmp(canon, bytes, len) != 0) {
		rc = reject(why, whylen,
		            "the checkpoint is not in canonical form (sorted keys, "
		            "two-space indent, final newline)");
		goto fail;
	}
	if (json_object_size(v) != CP_FIELDS || !json_object_get(v, "type") ||
	    !json_object_get(v, "node") || !json_object_get(v, "seq") ||
	    !json_object_get(v, "prev") || !json_object_get(v, "time") ||
	    !json_object_get(v, "heads") || !json_object_get(v, "key") ||
	    !json_object_get(v, "sig")) {
		rc = reject(why, whylen,
		            "a checkpoint holds exactly type, node, seq, prev, "
		            "time, heads, key and sig");
		goto fail;
	}
	s = json_string_value(json_object_get(v, "type"));
	if (s == NULL || strcmp(s, "checkpoint") != 0) {
		rc = reject(why, whylen, "'type' must be \"checkpoint\"");
		goto fail;
	}
	s = json_string_value(json_object_get(v, "node"));
	if (!store_id_valid(s)) {
		rc = reject(why, whylen,
		            "'node' must be a node id of 6, 9 or 12 digits");
		goto fail;
	}
	snprintf(out->node, sizeof(out->node), "%s", s);
	rc = get_count(&out->seq, v, "seq", STORE_CHECKPOINT_SEQ_MAX, "", why,
	               whylen);
	if (rc == 0)
		rc = get_time(&out->time, v, "time", "", why, whylen);
	if (rc != 0)
		goto fail;
	if (out->seq == 1) {
		if (!json_is_null(json_object_get(v, "prev"))) {
			rc = reject(why, whylen, "checkpoint 1 has no previous one: "
			            "'prev' must be null");
			goto fail;
		}
	} else {
		s = json_string_value(json_object_get(v, "prev"));
		if (!is_lower_hex(s, 64)) {
			rc = reject(why, whylen,
			            "'prev' must be the SHA-256 (64 lower-case hex "
			            "digits) of checkpoint %" PRIu64, out->seq - 1);
			goto fail;
		}
		memcpy(out->prev, s, 65);
	}
	s = json_string_value(json_object_get(v, "key"));
	if (s == NULL ||
	    keys_public_parse(&out->key, s, strlen(s), NULL, 0) != 0 ||
	    keys_public_format(line, sizeof(line), &out->key, NULL) != 0 ||
	    strcmp(line, s) != 0) {
		rc = reject(why, whylen,
		            "'key' must be one OpenSSH line \"ssh-ed25519 AAAA…\" "
		            "without a comment");
		goto fail;
	}
	s = json_string_value(json_object_get(v, "sig"));
	if (s == NULL ||
	    keys_b64_decode(raw, sizeof(raw), &rawlen, s, strlen(s)) != 0 ||
	    keys_b64_encode(b64, sizeof(b64), raw, rawlen) != 0 ||
	    strcmp(b64, s) != 0) {
		rc = reject(why, whylen, "'sig' must be a base64 SSH signature");
		goto fail;
	}
	heads = json_object_get(v, "heads");
	if (!json_is_array(heads)) {
		rc = reject(why, whylen, "'heads' must be an array");
		goto fail;
	}
	out->nheads = json_array_size(heads);
	if (out->nheads > 0) {
		out->heads = calloc(out->nheads, sizeof(*out->heads));
		if (out->heads == NULL) {
			rc = STORE_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < out->nheads; i++) {
		rc = parse_head(&out->heads[i], json_array_get(heads, i), i, why,
		                whylen);
		if (rc != 0)
			goto fail;
		if (i > 0 &&
		    strcmp(out->heads[i - 1].node, out->heads[i].node) >= 0) {
			rc = reject(why, whylen,
			            "'heads' must be sorted by node id, each once "
			            "(%s after %s)", out->heads[i].node,
			            out->heads[i - 1].node);
			goto fail;
		}
	}
	keys_sha256_hex(out->hash, bytes, len);
	if (sig != NULL) {
		memcpy(sig, raw, rawlen);
		*siglen = rawlen;
	}
	free(canon);
	if (vout)
		*vout = v;
	else
		json_decref(v);
	return 0;
fail:
	free(canon);
	json_decref(v);
	store_checkpoint_clear(out);
	return rc;
}

int store_checkpoint_parse(store_checkpoint *out, const char *bytes,
                           size_t len, char *why, size_t whylen)
{
	return cp_parse(out, NULL, NULL, NULL, bytes, len, why, whylen);
}

static const store_cp_head *cp_find(const store_checkpoint *cp,
                                    const char *node)
{
	size_t lo = 0, hi = cp->nheads;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cp->heads[mid].node, node);
		if (c == 0)
			return &cp->heads[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The rules between a checkpoint and its predecessor that need no store. */
static int cp_follows(const store_checkpoint *cur,
                      const store_checkpoint *prev, const char *prev_hash,
                      char *why, size_t whylen)
{
	if (strcmp(cur->node, prev->node) != 0)
		return reject(why, whylen,
		              "checkpoint %" PRIu64 " is cut by %s but its "
		              "predecessor by %s", cur->seq, cur->node, prev->node);
	if (prev->seq == STORE_CHECKPOINT_SEQ_MAX || cur->seq != prev->seq + 1)
		return reject(why, whylen,
		              "checkpoint %" PRIu64 " does not follow checkpoint "
		              "%" PRIu64 " (out of order)", cur->seq, prev->seq);
	if (strcmp(cur->prev, prev_hash) != 0)
		return reject(why, whylen,
		              "checkpoint %" PRIu64 " names %.16s… as its "
		              "predecessor, but checkpoint %" PRIu64
		              " hashes to %.16s…", cur->seq, cur->prev, prev->seq,
		              prev_hash);
	if (cur->time < prev->time)
		return reject(why, whylen,
		              "checkpoint %" PRIu64 " is dated before checkpoint "
		              "%" PRIu64, cur->seq, prev->seq);
	for (size_t i = 0; i < prev->nheads; i++) {
		const store_cp_head *p = &prev->heads[i];
		const store_cp_head *c = cp_find(cur, p->node);

		if (c == NULL)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " drops %s, which "
			              "checkpoint %" PRIu64 " holds", cur->seq,
			              p->node, prev->seq);
		if (c->level != p->level || strcmp(c->parent, p->parent) != 0)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " changes the level or "
			              "parent of %s", cur->seq, p->node);
		if (c->height < p->height)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " rolls %s back from "
			              "height %" PRIu64 " to %" PRIu64, cur->seq,
			              p->node, p->height, c->height);
		if (c->height == p->height && strcmp(c->commit, p->commit) != 0)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " names commit %.12s of "
			              "%s at height %" PRIu64 ", where checkpoint "
			              "%" PRIu64 " names %.12s (a fork or a rollback)",
			              cur->seq, c->commit, p->node, c->height,
			              prev->seq, p->commit);
		if (c->height > p->height && strcmp(c->commit, p->commit) == 0)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " names commit %.12s of "
			              "%s at two heights", cur->seq, c->commit,
			              p->node);
	}
	return 0;
}

static int cp_check(store_checkpoint *cur, const char *bytes, size_t len,
                    const keys_public *key, const char *prev_bytes,
                    size_t prev_len, char *why, size_t whylen)
{
	store_checkpoint prev;
	json_t *v = NULL;
	unsigned char sig[KEYS_SSHSIG_MAX];
	size_t siglen = 0, msglen;
	char *msg = NULL, a[KEYS_FINGERPRINT_MAX], b[KEYS_FINGERPRINT_MAX];
	char pwhy[256];
	keys_public signer;
	int rc;

	if (key == NULL) {
		store_seterr("store_checkpoint_check: no key to check against");
		return STORE_EINVAL;
	}
	rc = cp_parse(cur, &v, sig, &siglen, bytes, len, why, whylen);
	if (rc != 0)
		return rc;
	if (!keys_public_equal(&cur->key, key)) {
		rc = reject(why, whylen,
		            "checkpoint %" PRIu64 " names the key %s, not the "
		            "cutter's key %s", cur->seq, fp(&cur->key, a),
		            fp(key, b));
		goto done;
	}
	json_object_del(v, "sig");
	rc = store_json_canon(&msg, &msglen, v, 0);
	if (rc != 0)
		goto done;
	if (keys_sshsig_verify(&signer, sig, siglen, STORE_SIG_NS_CHECKPOINT,
	                       msg, msglen) != 0) {
		rc = reject(why, whylen,
		            "the signature of checkpoint %" PRIu64 " does not "
		            "verify (namespace " STORE_SIG_NS_CHECKPOINT ")",
		            cur->seq);
		goto done;
	}
	if (!keys_public_equal(&signer, key)) {
		rc = reject(why, whylen,
		            "checkpoint %" PRIu64 " is signed by %s, not by %s",
		            cur->seq, fp(&signer, a), fp(key, b));
		goto done;
	}
	if (prev_bytes != NULL) {
		rc = cp_parse(&prev, NULL, NULL, NULL, prev_bytes, prev_len, pwhy,
		              sizeof(pwhy));
		if (rc == STORE_EREJECT) {
			rc = reject(why, whylen, "the previous checkpoint: %s", pwhy);
			goto done;
		}
		if (rc != 0)
			goto done;
		rc = cp_follows(cur, &prev, prev.hash, why, whylen);
		store_checkpoint_clear(&prev);
	}
done:
	free(msg);
	json_decref(v);
	if (rc != 0)
		store_checkpoint_clear(cur);
	return rc;
}

int store_checkpoint_check(const char *bytes, size_t len,
                           const keys_public *key, const char *prev_bytes,
                           size_t prev_len, char *why, size_t whylen)
{
	store_checkpoint cp;
	int rc = cp_check(&cp, bytes, len, key, prev_bytes, prev_len, why,
	                  whylen);

	if (rc == 0)
		store_checkpoint_clear(&cp);
	return rc;
}

/* ---- refs ------------------------------------------------------------------ */

/* 1 if checkpoint seq exists, 0 if not, <0 on error. */
static int cp_exists(store *st, uint64_t seq)
{
	char name[64];
	git_oid id;
	int rc;

	cp_ref_name(name, sizeof(name), seq);
	rc = git_reference_name_to_id(&id, st->repo, name);
	if (rc == 0)
		return 1;
	if (rc == GIT_ENOTFOUND)
		return 0;
	return store_giterr("cannot read a checkpoint ref");
}

int store_checkpoint_latest(store *st, uint64_t *seq)
{
	uint64_t lo = 0, hi = 1;
	int rc;

	*seq = 0;
	/* seqs run 1..N without gaps: grow until one is missing, then
	 * halve — a few ref lookups however many checkpoints there are */
	for (;;) {
		rc = cp_exists(st, hi);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		lo = hi;
		if (hi > STORE_CHECKPOINT_SEQ_MAX / 2) {
			hi = STORE_CHECKPOINT_SEQ_MAX + 1;
			break;
		}
		hi *= 2;
	}
	/* lo exists (or is 0), hi does not */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		rc = cp_exists(st, mid);
		if (rc < 0)
			return rc;
		if (rc)
			lo = mid;
		else
			hi = mid;
	}
	*seq = lo;
	return 0;
}

static int read_ref_blob(store *st, const char *name, uint64_t seq,
                         char **bytes, size_t *len)
{
	git_oid id;
	git_object *obj = NULL;
	const void *raw;
	size_t n;
	char *buf;
	int rc;

	rc = git_reference_name_to_id(&id, st->repo, name);
	if (rc == GIT_ENOTFOUND) {
		store_seterr("there is no checkpoint %" PRIu64, seq);
		return STORE_ENOTFOUND;
	}
	if (rc != 0)
		return store_giterr("cannot read a checkpoint ref");
	if (git_object_lookup(&obj, st->repo, &id, GIT_OBJECT_ANY) != 0)
		return store_giterr("cannot read a checkpoint");
	if (git_object_type(obj) != GIT_OBJECT_BLOB) {
		store_seterr("%s points to a %s, not to a checkpoint blob", name,
		             git_object_type2string(git_object_type(obj)));
		git_object_free(obj);
		return STORE_ECORRUPT;
	}
	n = (size_t)git_blob_rawsize((git_blob *)obj);
	if (n > STORE_CHECKPOINT_MAX) {
		git_object_free(obj);
		store_seterr("checkpoint %" PRIu64 " is too large (%zu bytes)", seq,
		             n);
		return STORE_ECORRUPT;
	}
	raw = git_blob_rawcontent((git_blob *)obj);
	buf = malloc(n + 1);
	if (buf == NULL) {
		git_object_free(obj);
		return STORE_ENOMEM;
	}
	memcpy(buf, raw, n);
	buf[n] = '\0';
	git_object_free(obj);
	*bytes = buf;
	*len = n;
	return 0;
}

int store_checkpoint_read(store *st, uint64_t seq, char **bytes, size_t *len,
                          uint64_t *seq_out)
{
	char name[64];
	int rc;

	*bytes = NULL;
	*len = 0;
	if (seq == 0) {
		rc = store_checkpoint_latest(st, &seq);
		if (rc != 0)
			return rc;
		if (seq == 0) {
			store_seterr("no checkpoint has been cut yet");
			return STORE_ENOTFOUND;
		}
	}
	if (seq > STORE_CHECKPOINT_SEQ_MAX) {
		store_seterr("there is no checkpoint %" PRIu64, seq);
		return STORE_ENOTFOUND;
	}
	cp_ref_name(name, sizeof(name), seq);
	rc = read_ref_blob(st, name, seq, bytes, len);
	if (rc == 0 && seq_out)
		*seq_out = seq;
	return rc;
}

/* ---- history positions -------------------------------------------------- */

/* Is commit `c` (of height hc) `head` (of height hh) or one of its first-
 * parent ancestors? 1 yes, 0 no, <0 error. Walks hh - hc commits. */
static int at_or_below(store *st, const git_oid *head, uint64_t hh,
                       const git_oid *c, uint64_t hc)
{
	git_oid cur = *head;

	if (hc > hh)
		return 0;
	for (uint64_t i = hh - hc; i > 0; i--) {
		git_commit *cm = NULL;
		if (git_commit_lookup(&cm, st->repo, &cur) != 0)
			return store_giterr("cannot walk a history");
		if (git_commit_parentcount(cm) == 0) {
			git_commit_free(cm);
			return 0;
		}
		cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
	}
	return git_oid_equal(&cur, c);
}

/* ---- the cut -------------------------------------------------------------- */

enum { REQ_COMMIT = 1, REQ_TASK = 2 };
enum { ST_HEAD = 1, ST_PREV = 2, ST_OUT = 3 };

typedef struct req {
	int kind;
	char node[KEYS_ID_MAX + 1]; /* whose cut head must have it */
	char key[65];               /* commit hex or task id */
	char *path;                 /* the record asking */
	char memo_at[STORE_OID_HEX];/* the cut head last judged against */
	int memo;
} req;

typedef struct cnode {
	char id[KEYS_ID_MAX + 1];
	int held;                   /* a history held now */
	store_head head;            /* when held */
	const store_cp_head *prev;  /* its entry in the previous checkpoint */
	store_level level;
	char parent[KEYS_ID_MAX + 1];
	int state;
	req *reqs;
	size_t nreqs, capreqs;
	char reason[256];
} cnode;

typedef struct cut_ctx {
	store *st;
	cnode *v;
	size_t n;
	cnode *cur;                 /* collecting for */
	git_tree *tree;             /* cur's candidate head tree */
	int err;
} cut_ctx;

static int cnode_cmp(const void *a, const void *b)
{
	return strcmp(((const cnode *)a)->id, ((const cnode *)b)->id);
}

static cnode *cut_find(cut_ctx *cx, const char *id)
{
	cnode key;

	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, cx->v, cx->n, sizeof(*cx->v), cnode_cmp);
}

static int req_add(cnode *n, int kind, const char *node, const char *key,
                   const char *path)
{
	req *r;

	if (strlen(key) >= sizeof(r->key) || !store_id_valid(node))
		return 0; /* the schema refuses these; nothing to resolve */
	if (n->nreqs == n->capreqs) {
		size_t cap = n->capreqs ? n->capreqs * 2 : 16;
		req *nv = realloc(n->reqs, cap * sizeof(*nv));
		if (nv == NULL)
			return STORE_ENOMEM;
		n->reqs = nv;
		n->capreqs = cap;
	}
	r = &n->reqs[n->nreqs];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	snprintf(r->node, sizeof(r->node), "%s", node);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->path = strdup(path);
	if (r->path == NULL)
		return STORE_ENOMEM;
	r->memo = -1;
	n->nreqs++;
	return 0;
}

static int req_cmp(const void *a, const void *b)
{
	const req *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	c = strcmp(x->node, y->node);
	if (c != 0)
		return c;
	c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return strcmp(x->path, y->path);
}

/* One requirement each: the first record (in path order) names it. */
static void reqs_unique(cnode *n)
{
	size_t k = 0;

	if (n->nreqs < 2)
		return;
	qsort(n->reqs, n->nreqs, sizeof(*n->reqs), req_cmp);
	for (size_t i = 0; i < n->nreqs; i++) {
		if (k > 0 && n->reqs[k - 1].kind == n->reqs[i].kind &&
		    strcmp(n->reqs[k - 1].node, n->reqs[i].node) == 0 &&
		    strcmp(n->reqs[k - 1].key, n->reqs[i].key) == 0) {
			free(n->reqs[i].path);
			continue;
		}
		n->reqs[k++] = n->reqs[i];
	}
	n->nreqs = k;
}

static void cnode_free(cnode *n)
{
	for (size_t i = 0; i < n->nreqs; i++)
		free(n->reqs[i].path);
	free(n->reqs);
	n->reqs = NULL;
	n->nreqs = n->capreqs = 0;
}

/* Is a document present in the candidate head's tree? */
static int doc_present(cut_ctx *cx, const char *doc)
{
	char path[STORE_PATH_MAX];
	git_tree_entry *e = NULL;

	if (!store_item_id_ok(doc))
		return 0;
	snprintf(path, sizeof(path), "documents/%s/meta.json", doc);
	if (git_tree_entry_bypath(&e, cx->tree, path) != 0)
		return 0;
	git_tree_entry_free(e);
	return 1;
}

/* The references of one changed record of the node being collected. */
static int collect_record(cut_ctx *cx, const char *path, const git_oid *blob)
{
	rec_kind k = rec_kind_of(path);
	cnode *n = cx->cur;
	git_blob *b = NULL;
	json_t *v = NULL;
	const char *data;
	size_t len;
	int rc = 0;

	if (k == REC_REPORT) {
		/* reports/<assigner>/<task>.json */
		char assigner[KEYS_ID_MAX + 2], task[80];
		const char *a = path + strlen("reports/");
		const char *slash = strchr(a, '/');
		size_t al = slash ? (size_t)(slash - a) : 0;
		size_t tl = slash ? strlen(slash + 1) : 0;

		if (slash == NULL || al >= sizeof(assigner) || tl <= 5 ||
		    tl - 5 >= sizeof(task))
			return 0;
		memcpy(assigner, a, al);
		assigner[al] = '\0';
		memcpy(task, slash + 1, tl - 5);
		task[tl - 5] = '\0';
		return req_add(n, REQ_TASK, assigner, task, path);
	}
	if (k != REC_CATALOG && k != REC_TASK && k != REC_DOC)
		return 0;
	if (git_blob_lookup(&b, cx->st->repo, blob) != 0)
		return store_giterr("cannot read a record");
	data = git_blob_rawcontent(b);
	len = (size_t)git_blob_rawsize(b);
	/* most records name nothing: skip the parse */
	if ((k == REC_CATALOG && !memmem(data, len, "\"derived\"", 9)) ||
	    (k == REC_TASK && !memmem(data, len, "\"from\"", 6)) ||
	    (k == REC_DOC && !memmem(data, len, "\"interprets\"", 12) &&
	     !memmem(data, len, "\"successor\"", 11)))
		goto done;
	if (store_json_parse(&v, data, len, STORE_RECORD_MAX, path) != 0 ||
	    !json_is_object(v))
		goto done; /* verified records parse; nothing to resolve */
	if (k == REC_CATALOG) {
		json_t *d = json_object_get(v, "derived");
		const char *node = json_string_value(json_object_get(d, "node"));
		const char *c = json_string_value(json_object_get(d, "commit"));
		if (node && c)
			rc = req_add(n, REQ_COMMIT, node, c, path);
	} else if (k == REC_TASK) {
		json_t *f = json_object_get(v, "from");
		const char *node = json_string_value(json_object_get(f, "node"));
		const char *t = json_string_value(json_object_get(f, "task"));
		if (node && t)
			rc = req_add(n, REQ_TASK, node, t, path);
	} else {
		const char *names[2] = {
			json_string_value(json_object_get(v, "interprets")),
			json_string_value(json_object_get(
			        json_object_get(v, "validity"), "successor"))
		};
		const char *what[2] = { "interprets", "validity.successor" };
		for (int i = 0; i < 2 && n->reason[0] == '\0'; i++)
			if (names[i] && !doc_present(cx, names[i]))
				snprintf(n->reason, sizeof(n->reason),
				         "%.120s: %s names document %.64s, which is not in "
				         "the same head", path, what[i], names[i]);
	}
done:
	json_decref(v);
	git_blob_free(b);
	return rc;
}

/* The records that differ between two trees (old may be NULL), under the
 * folders that hold references. */
static int diff_trees(cut_ctx *cx, const git_tree *old, const git_tree *new,
                      const char *prefix, int depth)
{
	size_t n = git_tree_entrycount(new);
	int rc = 0;

	if (depth > 3)
		return 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(new, i);
		const char *name = git_tree_entry_name(e);
		const git_tree_entry *oe = old ? git_tree_entry_byname(old, name)
		                               : NULL;
		char path[STORE_PATH_MAX];

		if (oe && git_oid_equal(git_tree_entry_id(oe), git_tree_entry_id(e)))
			continue;
		if (depth == 0 && strcmp(name, "catalog") && strcmp(name, "tasks") &&
		    strcmp(name, "reports") && strcmp(name, "documents"))
			continue;
		if (depth == 2 && strcmp(name, "files") == 0 &&
		    strncmp(prefix, "documents/", 10) == 0)
			continue; /* body files name nothing */
		if ((size_t)snprintf(path, sizeof(path), "%s%s", prefix, name) >=
		    sizeof(path))
			continue;
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *nt = NULL, *ot = NULL;
			if (git_tree_lookup(&nt, cx->st->repo, git_tree_entry_id(e)))
				return store_giterr("cannot read a tree");
			if (oe && git_tree_entry_type(oe) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&ot, cx->st->repo, git_tree_entry_id(oe))) {
				git_tree_free(nt);
				return store_giterr("cannot read a tree");
			}
			strcat(path, "/");
			rc = diff_trees(cx, ot, nt, path, depth + 1);
			git_tree_free(ot);
			git_tree_free(nt);
		} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			rc = collect_record(cx, path, git_tree_entry_id(e));
		}
	}
	return rc;
}

static int tree_of(store *st, const char *hex, git_tree **out)
{
	git_oid id;
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	if (git_oid_fromstr(&id, hex) != 0 ||
	    git_commit_lookup(&c, st->repo, &id) != 0)
		return store_giterr("cannot read a head commit");
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	return rc ? store_giterr("cannot read a head tree") : 0;
}

/* What node n's new head references, from the records it changed since
 * its entry in the previous checkpoint. */
static int collect(cut_ctx *cx, cnode *n)
{
	git_tree *old = NULL;
	int rc;

	cx->cur = n;
	rc = tree_of(cx->st, n->head.commit, &cx->tree);
	if (rc == 0 && n->prev)
		rc = tree_of(cx->st, n->prev->commit, &old);
	if (rc == 0)
		rc = diff_trees(cx, old, cx->tree, "", 0);
	if (rc == 0)
		reqs_unique(n);
	git_tree_free(old);
	git_tree_free(cx->tree);
	cx->tree = NULL;
	cx->cur = NULL;
	return rc;
}

static const char *cut_commit(const cnode *n, uint64_t *height)
{
	if (n->state == ST_HEAD) {
		*height = n->head.height;
		return n->head.commit;
	}
	*height = n->prev->height;
	return n->prev->commit;
}

/* Does requirement r resolve in the cut as it stands? 1, 0 (with the
 * reason in n->reason), <0 error. */
static int req_eval(cut_ctx *cx, cnode *n, req *r)
{
	cnode *t = cut_find(cx, r->node);
	const char *at;
	uint64_t h;
	int ok = 0;

	if (t == NULL || t->state == ST_OUT) {
		snprintf(n->reason, sizeof(n->reason),
		         "%s: names %s %s of %s, which is not in the cut", r->path,
		         r->kind == REQ_COMMIT ? "commit" : "task", r->key, r->node);
		return 0;
	}
	at = cut_commit(t, &h);
	if (r->memo >= 0 && strcmp(r->memo_at, at) == 0) {
		ok = r->memo;
	} else if (r->kind == REQ_COMMIT) {
		git_oid a, c;
		uint64_t hc;
		if (strcmp(at, r->key) == 0) {
			ok = 1;
		} else if (git_oid_fromstr(&a, at) != 0 ||
		           git_oid_fromstr(&c, r->key) != 0 ||
		           store_commit_height(cx->st, r->key, &hc) != 0) {
			ok = 0; /* not a commit held here */
		} else {
			ok = at_or_below(cx->st, &a, h, &c, hc);
			if (ok < 0)
				return ok;
		}
	} else {
		git_tree *tr = NULL;
		git_tree_entry *e = NULL;
		char path[STORE_PATH_MAX];
		int rc = tree_of(cx->st, at, &tr);
		if (rc != 0)
			return rc;
		snprintf(path, sizeof(path), "tasks/%s.json", r->key);
		ok = git_tree_entry_bypath(&e, tr, path) == 0;
		git_tree_entry_free(e);
		git_tree_free(tr);
	}
	snprintf(r->memo_at, sizeof(r->memo_at), "%s", at);
	r->memo = ok;
	if (!ok)
		snprintf(n->reason, sizeof(n->reason),
		         r->kind == REQ_COMMIT
		                 ? "%s: derived from commit %.12s of %s, which is "
		                   "not at or below %s's head in the cut (%.12s)"
		                 : "%s: names task %s of %s, which is not at %s's "
		                   "head in the cut (%.12s)",
		         r->path, r->key, r->node, r->node, at);
	return ok;
}

static const store_cp_seen *seen_find(const store_cp_seen *seen, size_t n,
                                      const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i].node, id) == 0)
			return &seen[i];
	return NULL;
}

/* n's head does not enter: back to its previous entry, or out. */
static void hold_back(cnode *n)
{
	n->state = n->prev ? ST_PREV : ST_OUT;
}

/* Builds the cut: every node's state, until nothing changes. */
static int cut_resolve(cut_ctx *cx)
{
	int changed;
	size_t rounds = 0;

	do {
		changed = 0;
		for (size_t i = 0; i < cx->n; i++) {
			cnode *n = &cx->v[i];
			if (n->state != ST_HEAD)
				continue;
			for (size_t j = 0; j < n->nreqs; j++) {
				int ok = req_eval(cx, n, &n->reqs[j]);
				if (ok < 0)
					return ok;
				if (!ok) {
					hold_back(n);
					changed = 1;
					break;
				}
			}
		}
		/* each round moves one node at least out of ST_HEAD */
	} while (changed && ++rounds <= cx->n);
	return 0;
}

static int cut_nodes(cut_ctx *cx, const store_head *heads, size_t nheads,
                     const store_checkpoint *prev)
{
	size_t cap = nheads + (prev ? prev->nheads : 0), k = 0;

	cx->v = calloc(cap ? cap : 1, sizeof(*cx->v));
	if (cx->v == NULL)
		return STORE_ENOMEM;
	for (size_t i = 0; i < nheads; i++) {
		cnode *n = &cx->v[k++];
		snprintf(n->id, sizeof(n->id), "%s", heads[i].id);
		n->held = 1;
		n->head = heads[i];
	}
	for (size_t i = 0; prev && i < prev->nheads; i++) {
		int found = 0;
		for (size_t j = 0; j < nheads && !found; j++)
			found = strcmp(heads[j].id, prev->heads[i].node) == 0;
		if (!found) {
			cnode *n = &cx->v[k++];
			snprintf(n->id, sizeof(n->id), "%s", prev->heads[i].node);
		}
	}
	cx->n = k;
	qsort(cx->v, cx->n, sizeof(*cx->v), cnode_cmp);
	for (size_t i = 0; i < cx->n; i++) {
		cnode *n = &cx->v[i];
		n->prev = prev ? cp_find(prev, n->id) : NULL;
		if (n->prev) {
			n->level = n->prev->level;
			snprintf(n->parent, sizeof(n->parent), "%s", n->prev->parent);
		} else {
			store_identity id;
			int rc = store_identity_get(cx->st, n->id, &id);
			if (rc == STORE_ENOMEM)
				return rc;
			if (rc != 0) {
				snprintf(n->reason, sizeof(n->reason),
				         "cannot read its node.json: %s", store_errmsg());
				n->state = ST_OUT;
				continue;
			}
			n->level = id.level;
			snprintf(n->parent, sizeof(n->parent), "%s", id.parent);
		}
		if (!n->held || (n->prev && !strcmp(n->prev->commit, n->head.commit))) {
			n->state = ST_PREV;
			continue;
		}
		if (n->prev) {
			git_oid h, p;
			int ok;
			if (git_oid_fromstr(&h, n->head.commit) != 0 ||
			    git_oid_fromstr(&p, n->prev->commit) != 0)
				return STORE_EINVAL;
			ok = at_or_below(cx->st, &h, n->head.height, &p,
			                 n->prev->height);
			if (ok < 0)
				return ok;
			if (!ok) {
				snprintf(n->reason, sizeof(n->reason),
				         "its head does not descend from its head in the "
				         "previous checkpoint (%.12s)", n->prev->commit);
				n->state = ST_PREV;
				continue;
			}
		}
		n->state = ST_HEAD;
		{
			int rc = collect(cx, n);
			if (rc != 0)
				return rc;
		}
		if (n->reason[0] != '\0')
			hold_back(n);
	}
	return 0;
}

static int held_list(const cut_ctx *cx, store_cp_cut *out)
{
	size_t k = 0;

	for (size_t i = 0; i < cx->n; i++) {
		const cnode *n = &cx->v[i];
		if (n->held && n->state != ST_HEAD &&
		    (!n->prev || strcmp(n->prev->commit, n->head.commit) != 0))
			k++;
	}
	if (k == 0)
		return 0;
	out->held = calloc(k, sizeof(*out->held));
	if (out->held == NULL)
		return STORE_ENOMEM;
	for (size_t i = 0; i < cx->n; i++) {
		const cnode *n = &cx->v[i];
		store_cp_held *h;
		if (!(n->held && n->state != ST_HEAD &&
		      (!n->prev || strcmp(n->prev->commit, n->head.commit) != 0)))
			continue;
		h = &out->held[out->nheld++];
		snprintf(h->node, sizeof(h->node), "%s", n->id);
		snprintf(h->commit, sizeof(h->commit), "%s", n->head.commit);
		snprintf(h->in_cut, sizeof(h->in_cut), "%s",
		         n->state == ST_PREV ? n->prev->commit : "");
		snprintf(h->reason, sizeof(h->reason), "%s", n->reason);
	}
	return 0;
}

/* The checkpoint's JSON, without sig. */
static json_t *cut_json(const cut_ctx *cx, const store_identity *me,
                        uint64_t seq, const store_checkpoint *prev,
                        int64_t now, const store_cp_seen *seen, size_t nseen)
{
	json_t *v, *heads = json_array();
	char t[21], line[KEYS_PUBLIC_LINE_MAX];

	if (heads == NULL)
		return NULL;
	for (size_t i = 0; i < cx->n; i++) {
		const cnode *n = &cx->v[i];
		const store_cp_seen *sn = seen_find(seen, nseen, n->id);
		char ht[21], st[21];
		const char *commit;
		uint64_t height;
		int64_t time, seen_at;
		int stale;
		json_t *h;

		if (n->state == ST_OUT)
			continue;
		commit = cut_commit(n, &height);
		time = n->state == ST_HEAD ? n->head.time : n->prev->time;
		if (sn && sn->seen > 0) {
			seen_at = sn->seen;
		} else {
			seen_at = n->held ? n->head.time : 0;
			if (n->prev && n->prev->seen > seen_at)
				seen_at = n->prev->seen;
		}
		stale = sn ? sn->stale != 0 : !n->held;
		keys_time_format(ht, time);
		keys_time_format(st, seen_at);
		h = json_pack("{s:s,s:s,s:o,s:s,s:I,s:s,s:s,s:b}", "node", n->id,
		              "level", store_level_name(n->level), "parent",
		              n->parent[0] ? json_string(n->parent) : json_null(),
		              "commit", commit, "height", (json_int_t)height, "time",
		              ht, "seen", st, "stale", stale);
		if (h == NULL || json_array_append_new(heads, h) != 0) {
			json_decref(heads);
			return NULL;
		}
	}
	keys_time_format(t, now);
	if (keys_public_format(line, sizeof(line), &me->key, NULL) != 0) {
		json_decref(heads);
		return NULL;
	}
	v = json_pack("{s:s,s:s,s:I,s:o,s:s,s:o,s:s}", "type", "checkpoint",
	              "node", me->id, "seq", (json_int_t)seq, "prev",
	              prev ? json_string(prev->hash) : json_null(), "time", t,
	              "heads", heads, "key", line);
	return v;
}

static int cut_sign(json_t *v, const keys_secret *sk, char **bytes,
                    size_t *len)
{
	unsigned char sig[KEYS_SSHSIG_MAX];
	char b64[2 * KEYS_SSHSIG_MAX], *msg = NULL;
	size_t msglen, siglen;
	int rc;

	rc = store_json_canon(&msg, &msglen, v, 0);
	if (rc != 0)
		return rc;
	rc = keys_sshsig_sign(sig, sizeof(sig), &siglen, sk,
	                      STORE_SIG_NS_CHECKPOINT, msg, msglen);
	free(msg);
	if (rc != 0 || keys_b64_encode(b64, sizeof(b64), sig, siglen) != 0) {
		store_seterr("cannot sign the checkpoint: %s", keys_strerror(rc));
		return STORE_EKEY;
	}
	if (json_object_set_new(v, "sig", json_string(b64)) != 0)
		return STORE_ENOMEM;
	return store_json_canon(bytes, len, v, 1);
}

static int cut_write(store *st, uint64_t seq, const char *bytes, size_t len)
{
	char name[64];
	git_oid id;
	git_reference *ref = NULL;
	int rc;

	if (git_blob_create_from_buffer(&id, st->repo, bytes, len) != 0)
		return store_giterr("cannot write the checkpoint");
	cp_ref_name(name, sizeof(name), seq);
	rc = git_reference_create(&ref, st->repo, name, &id, 0, "checkpoint");
	git_reference_free(ref);
	if (rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		store_seterr("checkpoint %" PRIu64 " was cut meanwhile by another "
		             "process; cut again", seq);
		return STORE_ECONFLICT;
	}
	if (rc != 0)
		return store_giterr("cannot write the checkpoint's ref");
	return 0;
}

int store_checkpoint_cut(store *st, const keys_secret *sk,
                         const store_cp_seen *seen, size_t nseen,
                         store_cp_cut *out)
{
	store_identity me;
	store_checkpoint prev;
	int has_prev = 0;
	char *prev_bytes = NULL, *bytes = NULL, why[512];
	size_t prev_len = 0, len = 0, nheads = 0, entries = 0;
	uint64_t latest = 0;
	store_head *heads = NULL;
	cut_ctx cx;
	json_t *v = NULL;
	int64_t now;
	int rc, same;

	memset(out, 0, sizeof(*out));
	memset(&cx, 0, sizeof(cx));
	memset(&prev, 0, sizeof(prev));
	cx.st = st;
	if (sk == NULL) {
		store_seterr("no key to sign the checkpoint with");
		return STORE_EINVAL;
	}
	rc = store_identity_get(st, NULL, &me);
	if (rc != 0)
		return rc;
	if (!keys_public_equal(keys_secret_public(sk), &me.key)) {
		store_seterr("the key given is not %s's key in effect; sign with "
		             "the node's own key (node.key)", me.id);
		return STORE_EKEY;
	}
	rc = store_checkpoint_latest(st, &latest);
	if (rc != 0)
		return rc;
	if (latest > 0) {
		rc = store_checkpoint_read(st, latest, &prev_bytes, &prev_len, NULL);
		if (rc != 0)
			return rc;
		/* never chain onto a checkpoint this key did not sign */
		rc = cp_check(&prev, prev_bytes, prev_len, &me.key, NULL, 0, why,
		              sizeof(why));
		if (rc == STORE_EREJECT) {
			store_seterr("the latest checkpoint (%" PRIu64 ") does not "
			             "check: %s; run govfed verify", latest, why);
			rc = STORE_ECORRUPT;
		}
		if (rc != 0)
			goto cleanup;
		has_prev = 1;
		if (strcmp(prev.node, me.id) != 0 || prev.seq != latest) {
			store_seterr("checkpoint %" PRIu64 " was not cut by %s as "
			             "checkpoint %" PRIu64 "; run govfed verify",
			             latest, me.id, latest);
			rc = STORE_ECORRUPT;
			goto cleanup;
		}
	}
	rc = store_heads_list(st, &heads, &nheads);
	if (rc != 0)
		goto cleanup;
	rc = cut_nodes(&cx, heads, nheads, has_prev ? &prev : NULL);
	if (rc == 0)
		rc = cut_resolve(&cx);
	if (rc == 0)
		rc = held_list(&cx, out);
	if (rc != 0)
		goto cleanup;

	/* the same heads as the latest checkpoint: nothing to write */
	same = 1;
	for (size_t i = 0; i < cx.n; i++) {
		const cnode *n = &cx.v[i];
		uint64_t h;
		if (n->state == ST_OUT)
			continue;
		entries++;
		if (!n->prev || strcmp(cut_commit(n, &h), n->prev->commit) != 0)
			same = 0;
	}
	out->nheads = entries;
	if (same && entries == (has_prev ? prev.nheads : 0)) {
		out->unchanged = 1;
		out->seq = latest;
		if (has_prev)
			snprintf(out->hash, sizeof(out->hash), "%s", prev.hash);
		goto cleanup;
	}
	if (latest >= STORE_CHECKPOINT_SEQ_MAX) {
		store_seterr("the checkpoint numbers are used up");
		rc = STORE_EINVAL;
		goto cleanup;
	}
	now = store_now();
	if (has_prev && now < prev.time)
		now = prev.time; /* the clock went back: time never does */
	v = cut_json(&cx, &me, latest + 1, has_prev ? &prev : NULL, now, seen,
	             nseen);
	if (v == NULL) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	rc = cut_sign(v, sk, &bytes, &len);
	if (rc != 0)
		goto cleanup;
	/* what we write, a puller will check: check it first */
	rc = store_checkpoint_check(bytes, len, &me.key, prev_bytes, prev_len,
	                            why, sizeof(why));
	if (rc == STORE_EREJECT) {
		store_seterr("the checkpoint cut does not pass its own check: %s",
		             why);
		rc = STORE_EINVAL;
	}
	if (rc != 0)
		goto cleanup;
	rc = cut_write(st, latest + 1, bytes, len);
	if (rc != 0)
		goto cleanup;
	out->seq = latest + 1;
	keys_sha256_hex(out->hash, bytes, len);
cleanup:
	for (size_t i = 0; i < cx.n; i++)
		cnode_free(&cx.v[i]);
	free(cx.v);
	free(heads);
	json_decref(v);
	free(bytes);
	free(prev_bytes);
	store_checkpoint_clear(&prev);
	return rc;
}

/* ---- the auditor's walk --------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The seqs of every refs/checkpoints/ ref, sorted. */
static int list_seqs(store *st, uint64_t **out, size_t *n, char *why,
                     size_t whylen)
{
	git_reference_iterator *it = NULL;
	const char *name;
	uint64_t *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (git_reference_iterator_glob_new(&it, st->repo,
	                                    STORE_REF_CHECKPOINTS "*") != 0)
		return store_giterr("cannot list the checkpoints");
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		const char *s = name + strlen(STORE_REF_CHECKPOINTS);
		uint64_t seq;
		if (strlen(s) != 10 || strspn(s, "0123456789") != 10 ||
		    (seq = strtoull(s, NULL, 10)) == 0) {
			rc = reject(why, whylen,
			            "%s is not a checkpoint ref (refs/checkpoints/ "
			            "and 10 digits from 0000000001)", name);
			goto fail;
		}
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint64_t *nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL) {
				rc = STORE_ENOMEM;
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		v[len++] = seq;
	}
	if (rc != GIT_ITEROVER) {
		rc = store_giterr("cannot list the checkpoints");
		goto fail;
	}
	git_reference_iterator_free(it);
	if (len > 1)
		qsort(v, len, sizeof(*v), u64_cmp);
	*out = v;
	*n = len;
	return 0;
fail:
	git_reference_iterator_free(it);
	free(v);
	return rc;
}

/* The heads of `cur` against the store and against `prev` (may be NULL). */
static int chain_heads(store *st, const store_checkpoint *cur,
                       const store_checkpoint *prev, char *why,
                       size_t whylen)
{
	for (size_t i = 0; i < cur->nheads; i++) {
		const store_cp_head *h = &cur->heads[i];
		const store_cp_head *p = prev ? cp_find(prev, h->node) : NULL;
		git_oid id, pid;
		git_commit *c = NULL;
		uint64_t height;
		int64_t t;
		int ok;

		if (p && strcmp(p->commit, h->commit) == 0)
			continue;
		if (git_oid_fromstr(&id, h->commit) != 0 ||
		    git_commit_lookup(&c, st->repo, &id) != 0)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " names commit %.12s of "
			              "%s, which is not in the store", cur->seq,
			              h->commit, h->node);
		t = git_commit_time(c);
		git_commit_free(c);
		if (t != h->time)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " gives commit %.12s of %s "
			              "a time that is not the commit's", cur->seq,
			              h->commit, h->node);
		if (p == NULL) {
			int rc = store_commit_height(st, h->commit, &height);
			if (rc != 0)
				return rc;
			if (height != h->height)
				return reject(why, whylen,
				              "checkpoint %" PRIu64 " gives commit %.12s "
				              "of %s height %" PRIu64 "; it is %" PRIu64,
				              cur->seq, h->commit, h->node, h->height,
				              height);
			continue;
		}
		if (git_oid_fromstr(&pid, p->commit) != 0)
			return STORE_EINVAL;
		ok = at_or_below(st, &id, h->height, &pid, p->height);
		if (ok < 0)
			return ok;
		if (!ok)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " moves %s from %.12s to "
			              "%.12s, which does not descend from it at the "
			              "heights named (a rollback or a fork)", cur->seq,
			              h->node, p->commit, h->commit);
	}
	return 0;
}

/* The last checkpoint's heads lie on the histories held now. */
static int chain_held(store *st, const store_checkpoint *cp, char *why,
                      size_t whylen)
{
	for (size_t i = 0; i < cp->nheads; i++) {
		const store_cp_head *h = &cp->heads[i];
		store_head now;
		git_oid a, b;
		int rc = store_head_get(st, h->node, &now);

		if (rc == STORE_ENOTFOUND)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " holds %s, whose history "
			              "is no longer held here", cp->seq, h->node);
		if (rc != 0)
			return rc;
		if (git_oid_fromstr(&a, now.commit) != 0 ||
		    git_oid_fromstr(&b, h->commit) != 0)
			return STORE_EINVAL;
		rc = at_or_below(st, &a, now.height, &b, h->height);
		if (rc < 0)
			return rc;
		if (!rc)
			return reject(why, whylen,
			              "checkpoint %" PRIu64 " names commit %.12s of %s, "
			              "which is not on the history held (head %.12s)",
			              cp->seq, h->commit, h->node, now.commit);
	}
	return 0;
}

int store_checkpoint_verify_chain(store *st, const keys_public *key,
                                  size_t *n, char *why, size_t whylen)
{
	uint64_t *seqs = NULL;
	size_t nseqs = 0;
	store_checkpoint prev, cur;
	char *prev_bytes = NULL, *bytes = NULL, cwhy[512], own[KEYS_ID_MAX + 1];
	size_t prev_len = 0, len = 0;
	store_head me;
	int rc, has_prev = 0;

	*n = 0;
	if (why && whylen)
		why[0] = '\0';
	memset(&prev, 0, sizeof(prev));
	rc = list_seqs(st, &seqs, &nseqs, why, whylen);
	if (rc != 0 || nseqs == 0)
		return rc;
	rc = store_head_get(st, NULL, &me);
	if (rc == STORE_ENOTFOUND) {
		rc = reject(why, whylen, "the store holds checkpoints but no own "
		            "history");
		goto done;
	}
	if (rc != 0)
		goto done;
	snprintf(own, sizeof(own), "%s", me.id);
	for (size_t i = 0; i < nseqs; i++) {
		char name[64];
		if (seqs[i] != i + 1) {
			rc = reject(why, whylen,
			            "checkpoint %zu is missing (the refs jump to "
			            "%" PRIu64 ")", i + 1, seqs[i]);
			goto done;
		}
		cp_ref_name(name, sizeof(name), seqs[i]);
		rc = read_ref_blob(st, name, seqs[i], &bytes, &len);
		if (rc == STORE_ECORRUPT) {
			rc = reject(why, whylen, "%s", store_errmsg());
			goto done;
		}
		if (rc != 0)
			goto done;
		rc = cp_check(&cur, bytes, len, key, has_prev ? prev_bytes : NULL,
		              prev_len, cwhy, sizeof(cwhy));
		if (rc == STORE_EREJECT) {
			rc = reject(why, whylen, "checkpoint %" PRIu64 ": %s",
			            seqs[i], cwhy);
			goto done;
		}
		if (rc != 0)
			goto done;
		if (cur.seq != seqs[i] || strcmp(cur.node, own) != 0) {
			rc = reject(why, whylen,
			            "%s holds checkpoint %" PRIu64 " of %s, not "
			            "checkpoint %" PRIu64 " of %s", name, cur.seq,
			            cur.node, seqs[i], own);
			store_checkpoint_clear(&cur);
			goto done;
		}
		rc = chain_heads(st, &cur, has_prev ? &prev : NULL, why, whylen);
		if (rc != 0) {
			store_checkpoint_clear(&cur);
			goto done;
		}
		store_checkpoint_clear(&prev);
		prev = cur;
		has_prev = 1;
		free(prev_bytes);
		prev_bytes = bytes;
		prev_len = len;
		bytes = NULL;
		(*n)++;
	}
	rc = chain_held(st, &prev, why, whylen);
done:
	free(seqs);
	free(bytes);
	free(prev_bytes);
	store_checkpoint_clear(&prev);
	return rc;
}
