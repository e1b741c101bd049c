/* store_int.h — internals shared by the store/ sources. */
#ifndef GOVFED_STORE_INT_H
#define GOVFED_STORE_INT_H

#include <git2.h>
#include <jansson.h>
#include <stdarg.h>

#include "keys.h"
#include "store.h"

#define STORE_JSON_DEPTH_MAX 16
#define STORE_REF_OWN "refs/heads/main"
#define STORE_REF_NODES "refs/nodes/"
#define STORE_REF_EVIDENCE "refs/evidence/"
#define STORE_SIG_NS_GIT "git"
#define STORE_SIG_NS_CERT "govfed-cert"
#define STORE_SIG_NS_ROTATE "govfed-rotate"
#define STORE_PROBLEMS_MAX 100

struct store {
	git_repository *repo;
	char *gitdir;
	unsigned flags;
	keys_public root; /* for checking own writes; see store_set_root */
	int has_root;
	/* heights of commits seen lately: a head's height is its parent's
	 * plus one, so a walk stops at the first it finds here */
	struct { git_oid id; uint64_t height; } heights[1024];
};

/* errors */
void store_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Records libgit2's last error behind `what`; returns STORE_EGIT. */
int store_giterr(const char *what);

/* odb.c: packs and validated loose objects for one objects dir */
int store_odb_add(git_odb *odb, const char *objects, int writable, int fsync);
int store_odb_attach(git_repository *repo, int fsync);

/* json.c */
size_t store_utf8_invalid_at(const unsigned char *s, size_t len);
int store_json_parse(json_t **out, const void *data, size_t len, size_t max,
                     const char *what);
int store_json_canon(char **out, size_t *outlen, const json_t *v, int pretty);

/* store.c */
int store_ref_for(store *st, char *out, size_t outlen, const char *node);
int store_ref_lookup(store *st, const char *ref, git_oid *out);
int store_blob_at(git_repository *repo, const git_tree *tree,
                  const char *path, git_blob **out);
int store_commit_time_ok(git_commit *c, int64_t *out);

/* signature.c: the SSHSIG in a commit's gpgsig header */
int store_commit_signer(git_repository *repo, const git_oid *id,
                        keys_public *signer, char *why, size_t whylen);
int store_commit_create_signed(git_repository *repo, const keys_secret *sk,
                               const git_signature *who, const char *message,
                               const git_tree *tree, const git_commit *parent,
                               git_oid *out);

/* ---- records and rules (records.c) ----------------------------------- */

typedef enum rec_kind {
	REC_NONE = 0,
	REC_NODE,    /* node.json */
	REC_KEYS,    /* keys.json */
	REC_CERTS,   /* certs/<child>.json */
	REC_CATALOG, /* catalog/<area>/<item>.json */
	REC_PERSON,  /* people/<person>.json */
	REC_DOC,     /* documents/<doc>/meta.json */
	REC_DOCFILE, /* documents/<doc>/files/<name>: any bytes */
	REC_TASK,    /* tasks/<task>.json */
	REC_REPORT,  /* reports/<assigner>/<task>.json */
	REC_CALENDAR,/* calendar/<year>.json */
	REC_REQUEST  /* requests/<id>.json */
} rec_kind;

/* Kinds whose files are not JSON records (any bytes, up to
 * STORE_FILE_MAX). */
#define REC_IS_FILE(k) ((k) == REC_DOCFILE)
#define STORE_FILE_MAX STORE_BLOB_MAX

/* What a history's tree says about its node's keys at one commit. */
typedef struct rec_keystate {
	int has_node;
	store_identity ident;      /* from node.json */
	keys_rotation *rotations;  /* from keys.json, oldest first */
	size_t nrotations;
} rec_keystate;

void rec_keystate_clear(rec_keystate *ks);
/* Reads node.json and keys.json from a tree. */
int rec_keystate_load(git_repository *repo, const git_tree *tree,
                      rec_keystate *out, char *why, size_t whylen);

/* Everything a rule needs to judge one change of one commit. */
typedef struct rec_ctx {
	git_repository *repo;
	const char *node;             /* whose history this is */
	const rec_keystate *before;   /* state at the parent (has_node 0 at
	                               * the first commit) */
	const rec_keystate *after;    /* state at this commit */
	const keys_public *signer;    /* who signed the commit */
	int64_t time;                 /* its committer time */
	int64_t parent_time;          /* 0 at the first commit */
	const git_tree *tree;         /* the commit's tree: rules that look
	                               * at other records of the same commit */
	const git_tree *ptree;        /* its parent's tree (NULL at the first) */
} rec_ctx;

rec_kind rec_kind_of(const char *path);

/*
 * Judges one changed path of a commit: `existed` says whether the path
 * was there before; `old` holds its previous bytes when the rules of its
 * kind compare versions (NULL otherwise); `new` is NULL for a removal. Checks the path is one this node may write,
 * the new bytes are canonical and pass their schema, and the change keeps
 * the record's rules (immutable fields, append-only lists, signatures).
 * 0 or STORE_EREJECT with the reason in `why`.
 */
int rec_check_change(const rec_ctx *cx, const char *path, const char *old,
                     size_t oldlen, int existed, const char *new,
                     size_t newlen, char *why, size_t whylen);

/* Rules across the whole commit that no single change can see. */
int rec_check_commit(const rec_ctx *cx, char *why, size_t whylen);

/* The certificate events issued to `child`, from a tree of its parent's
 * history. *n = 0 when there are none. */
int rec_certs_load(git_repository *repo, const git_tree *tree,
                   const char *child, keys_event **out, size_t *n);

/* Parses, schema-checks and canonicalizes an operator's record for
 * `path` (no history context). */
int rec_prepare(const char *path, const void *data, size_t len, char **out,
                size_t *outlen, char *why, size_t whylen);

int store_path_component_ok(const char *s, size_t len);

/* ---- domain records (rec_domain.c) ------------------------------------ */

/* The schema of a domain kind (REC_CATALOG and after). */
const struct sch_schema *dom_schema(rec_kind k);
/* The rules of a domain record's change: `path` is of kind `k`, `ov` its
 * previous version (NULL if new), `nv` the new one (NULL: removed; only
 * REC_DOCFILE may be), both already schema-checked. For REC_DOCFILE the
 * bytes are in `raw`/`rawlen` instead. */
int dom_check(const rec_ctx *cx, rec_kind k, const char *path,
              const json_t *ov, const json_t *nv, const char *raw,
              size_t rawlen, char *why, size_t whylen);
/* Reads and parses a JSON record at `path` of `tree`; *out NULL if absent. */
int rec_tree_json(git_repository *repo, const git_tree *tree,
                  const char *path, json_t **out);
int store_item_id_ok(const char *s);

/* The canonical bytes a record signature covers: the compact form of the
 * object without its "sig" field. */
int rec_signed_bytes(const json_t *obj, char **out, size_t *outlen);

/* ---- history checks (history.c) --------------------------------------- */

/* A line of commits (oldest first) with an index to find positions. */
typedef struct hist_line {
	const git_oid *v;
	size_t n;
	size_t *sorted;
} hist_line;

int hist_line_init(hist_line *l, const git_oid *v, size_t n);
void hist_line_free(hist_line *l);
long hist_line_pos(const hist_line *l, const git_oid *id); /* -1: absent */

typedef struct hist_ctx {
	git_repository *repo;
	const keys_public *root;
	const char *node;
	/* tree of the parent's history to read certificates from; NULL for
	 * the root or when the parent's history is not held */
	git_tree *parent_tree;
	const char *parent_missing; /* non-NULL: why certs are unavailable */
	keys_chain *chain;
	/* the state before the commit being checked */
	rec_keystate before;
	int64_t parent_time;
	const git_oid *checking; /* the commit being checked */
	int64_t max_time;        /* refuse commits dated later; 0 = no limit */
	int skip_chain;          /* own writes before the parent is synced */
	const hist_line *line;   /* the line being walked, if known */
	store *st;               /* to name the owner of a stranger's key */
	long checking_pos;       /* the checked commit's position in it */
} hist_ctx;

int hist_ctx_init(hist_ctx *hc, git_repository *repo,
                  const keys_public *root, const char *node,
                  git_tree *parent_tree, const char *parent_missing);
void hist_ctx_clear(hist_ctx *hc);
/* Prime the state with the tree of the commit before the range. */
int hist_ctx_start(hist_ctx *hc, git_commit *base);
/*
 * Checks one commit, the child of the last one checked (or of the base):
 * its signature, the signer's chain at that point, its time, its changes.
 * On success the state moves to it. On failure `why` says what is wrong
 * and the state does not move.
 */
int hist_check_commit(hist_ctx *hc, git_commit *c, keys_public *signer,
                      char *why, size_t whylen);
/* Moves the state to commit `c` without checking (after a failure, so
 * that the walk can go on and report more). */
int hist_ctx_skip(hist_ctx *hc, git_commit *c);

int store_key_owner(store *st, const keys_public *key,
                    char out[KEYS_ID_MAX + 1]);

/* ---- packs (sha1.c, pack.c) ----------------------------------------- */

/* SHA-1 for pack trailers (a checksum against damage, not a name). */
#define STORE_SHA1_LEN 20
typedef struct store_sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
} store_sha1;
void store_sha1_init(store_sha1 *c);
void store_sha1_update(store_sha1 *c, const void *data, size_t len);
void store_sha1_final(store_sha1 *c, unsigned char out[STORE_SHA1_LEN]);

/*
 * git's delta format: varint source size, varint target size, then copy
 * ops (0x80 | which offset and size bytes follow; each copy at most
 * 0x10000 bytes here) and insert ops (1..127 literal bytes).
 *
 * store_delta_encode writes a delta turning src into tgt to out: a copy
 * of the common prefix, then the middle as copies of 16-byte blocks of src
 * found in it (extended both ways) and inserts between them, then a copy
 * of the common suffix. Returns its length, or 0 when it would take more
 * than `cap` bytes (the caller's "not worth it"). store_delta_bound is a
 * cap that always suffices.
 */
size_t store_delta_bound(size_t srclen, size_t tgtlen);
size_t store_delta_encode(unsigned char *out, size_t cap, const void *src,
                          size_t srclen, const void *tgt, size_t tgtlen);
/* Applies a delta to src: *out (malloc'd, free() it) gets the target.
 * STORE_ECORRUPT if the delta is malformed, does not fit src, or would
 * make more than `max` bytes. */
int store_delta_apply(const void *src, size_t srclen, const void *delta,
                      size_t dlen, size_t max, unsigned char **out,
                      size_t *outlen);

/* ---- packs in (index.c) --------------------------------------------- */

/*
 * store_index_pack checks a pack a peer sent and indexes it, instead of
 * libgit2's indexer (which loops forever on a pack holding an object twice
 * and completes thin packs in time bases x deltas). The whole pack is
 * parsed (version 2 or 3; commits, trees, blobs, tags, OFS_DELTA,
 * REF_DELTA; the trailer must match), every entry inflated with its
 * declared size as a hard bound, every delta resolved once — from its base
 * in the pack or, for a thin pack, from `bases` (may be NULL) — and every
 * object named with git_odb_hash. A second copy of an object is dropped
 * (the shallower copy is kept), never resolved twice. Anything malformed,
 * a base missing everywhere, a cycle, or more than the limits below:
 * STORE_EREJECT with the reason in `why`.
 *
 * Into `dir` go pack-<checksum>.pack (the received pack, with the thin
 * bases appended as whole objects and any dropped copy left out, the
 * count and trailer rewritten when it changed, version 3 written as the
 * identical version 2) and then its .idx
 * (version 2), both synced when o->fsync is set. A pack of no objects
 * writes nothing. Returns 0, STORE_EREJECT, STORE_ENOMEM, STORE_EIO, or
 * STORE_ECORRUPT (a base in `bases` does not hash to its name).
 */
typedef struct store_index_opts {
	size_t max_objects;  /* objects in the pack (1,000,000) */
	size_t max_object;   /* bytes of one object or delta (64 MiB) */
	size_t max_total;    /* bytes inflated and rebuilt in all (1 GiB) */
	unsigned max_depth;  /* deltas in a chain (64) */
	int fsync;
	/* offsets from here on go into the .idx's 8-byte table (2^31; lower
	 * only to test that table) */
	uint64_t large_offset_min;
} store_index_opts;

typedef struct store_index_stats {
	size_t objects;     /* in the pack written */
	size_t ofs_deltas;  /* OFS_DELTA and REF_DELTA entries received */
	size_t ref_deltas;
	size_t appended;    /* thin bases appended from `bases` */
	size_t duplicates;  /* second copies dropped */
	uint64_t bytes;     /* of the pack written */
	char name[STORE_OID_HEX]; /* its checksum, in hex ("" if none) */
} store_index_stats;

void store_index_opts_init(store_index_opts *o);
int store_index_pack(git_odb *bases, const void *pack, size_t len,
                     const char *dir, const store_index_opts *o,
                     store_index_stats *stats, char *why, size_t whylen);

#endif
