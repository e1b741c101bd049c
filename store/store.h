/*
 * store — a node's signed git store: its own history, the replicas it holds,
 * the records in them and the rules every history must keep.
 *
 * A bare git repository:
 *   refs/heads/main             this node's own history, signed by its key
 *   refs/nodes/<id>             replicas: other nodes' histories, verbatim
 *   refs/evidence/<id>/<commit> validly signed forks kept as proof of
 *                               equivocation; never merged, never served
 *
 * Every history is linear. Every commit carries an SSH signature (SSHSIG,
 * namespace "git", sha512) in its gpgsig header, so stock git verifies it.
 * Records are canonical JSON files (store/json.c); store/README.md lists
 * them and the rules (schema and write scope) each history must keep.
 *
 * Functions return 0 or a negative STORE_E* code; store_errmsg() then holds
 * one sentence for the operator (thread-local, like git_error_last()).
 * git2.h, jansson.h and nng.h stay out of this header.
 */
#ifndef GOVFED_STORE_H
#define GOVFED_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define STORE_OID_HEX 41 /* 40 hex digits + NUL */
#define STORE_NAME_MAX 128
#define STORE_LEVEL_MAX 16
/* A record (one JSON file) may not exceed this many bytes. */
#define STORE_RECORD_MAX (1024 * 1024)
/* A document's body file may not exceed this (a sync frame carries at
 * most 64 MiB). */
#define STORE_BLOB_MAX (16 * 1024 * 1024)
/* The new and changed files of one commit may not exceed this in all. */
#define STORE_COMMIT_BYTES_MAX (40 * 1024 * 1024)
/* store_pack_range ends a step after the commit that passes this size. */
#define STORE_PACK_BUDGET (24 * 1024 * 1024)
#define STORE_PATH_MAX 512

enum {
	STORE_OK = 0,
	STORE_ENOMEM = -1,
	STORE_EGIT = -2,      /* libgit2 failed; see store_errmsg() */
	STORE_EIO = -3,
	STORE_EINVAL = -4,    /* bad argument */
	STORE_EJSON = -5,     /* not valid UTF-8 / JSON */
	STORE_ESCHEMA = -6,   /* a record breaks its schema */
	STORE_ETOOBIG = -7,
	STORE_ENOTFOUND = -8,
	STORE_EREJECT = -9,   /* an update breaks the acceptance rules */
	STORE_EFORK = -10,    /* a validly signed fork: kept as evidence */
	STORE_ESTALE = -11,   /* an update older than what is held */
	STORE_ECONFLICT = -12,/* the ref moved under us; retry */
	STORE_ECORRUPT = -13, /* an object in the store is damaged */
	STORE_EKEY = -14,     /* keys/ failed */
	STORE_EUNCHANGED = -15,/* nothing to commit */
	STORE_EWAIT = -16     /* cannot judge yet: the parent's history is
	                       * not held here; import the parent first */
};

const char *store_strerror(int rc);
const char *store_errmsg(void);

int store_global_init(void);
void store_global_shutdown(void);

typedef struct store store;

#define STORE_OPEN_FSYNC 0x1 /* fsync objects and refs (the default) */

/* Creates an empty bare store at gitdir; it must not exist yet. */
int store_create(store **out, const char *gitdir, unsigned flags);
int store_open(store **out, const char *gitdir, unsigned flags);
void store_free(store *st);
const char *store_gitdir(const store *st);
/* The pinned root key. With it, the store refuses own commits whose key
 * no longer chains to the root (revoked, say), when the parent's history
 * is held here. */
void store_set_root(store *st, const keys_public *root);

/* ---- identities ------------------------------------------------------- */

typedef enum store_level {
	STORE_LEVEL_PROVINCE = 1,
	STORE_LEVEL_CITY = 2,
	STORE_LEVEL_DISTRICT = 3,
	STORE_LEVEL_TOWNSHIP = 4,
	STORE_LEVEL_VILLAGE = 5
} store_level;

const char *store_level_name(store_level l);
int store_level_parse(store_level *out, const char *s);
/* Administrative division codes: 6, 9 or 12 digits. */
int store_id_valid(const char *id);

typedef struct store_identity {
	char id[KEYS_ID_MAX + 1];
	store_level level;
	char name[STORE_NAME_MAX];
	char parent[KEYS_ID_MAX + 1]; /* "" for the province */
	keys_public key;              /* the key in effect at the head */
} store_identity;

/* The identity recorded in a history's node.json at its head. `node` is an
 * id, or NULL for the own history. STORE_ENOTFOUND if there is none yet. */
int store_identity_get(store *st, const char *node, store_identity *out);

/* ---- heads -------------------------------------------------------------- */

typedef struct store_head {
	char id[KEYS_ID_MAX + 1];
	char commit[STORE_OID_HEX];
	int own;           /* refs/heads/main */
	int64_t time;      /* committer time of the head */
	uint64_t height;   /* commits from the first, 1-based */
} store_head;

/* The head of `node` (NULL = own). STORE_ENOTFOUND if not held. */
int store_head_get(store *st, const char *node, store_head *out);
/* The height of any commit of the store (commits from the first). */
int store_commit_height(store *st, const char *commit, uint64_t *out);

/* All held histories, own first, then replicas by id. Free with free(). */
int store_heads_list(store *st, store_head **out, size_t *n);

/* ---- reading records -------------------------------------------------- */

/* Reads `path` at the head of `node` (NULL = own). The buffer is
 * NUL-terminated; free() it. */
int store_record_read(store *st, const char *node, const char *path,
                      char **out, size_t *outlen);

/* The blob id of `path` at the head of `node` (NULL = own) and that head
 * commit (either may be NULL). STORE_ENOTFOUND if the path is not there. */
int store_record_stat(store *st, const char *node, const char *path,
                      char blob[STORE_OID_HEX], char commit[STORE_OID_HEX]);
/* Reads a blob by id (40 hex), NUL-terminated; free() it. */
int store_blob_read(store *st, const char *blob, char **out, size_t *outlen);

/* Calls cb for every record under `prefix` ("catalog/", "" for all) at the
 * head of `node`, in path order. A non-zero return from cb stops the walk
 * and is returned. */
typedef int (*store_record_cb)(void *ctx, const char *path, const char *data,
                               size_t len);
int store_record_foreach(store *st, const char *node, const char *prefix,
                         store_record_cb cb, void *ctx);

/* ---- documents ---------------------------------------------------------- */

/* The namespace of a reviewer's signature (三级审核) on a document. */
#define STORE_SIG_NS_REVIEW "govfed-review"
/* The bytes a review signature covers: the compact canonical form of the
 * document's meta.json without `review`, `validity` and `withdrawn`. */
int store_review_bytes(const char *meta, size_t len, char **out,
                       size_t *outlen);

/* ---- writing the own history ------------------------------------------ */

typedef struct store_change {
	const char *path;
	const void *data; /* NULL deletes the path */
	size_t len;
} store_change;

/*
 * One signed commit on refs/heads/main with these changes. Every change is
 * checked by the same rules an importer applies (schema, write scope,
 * canonical form) before anything is written; a rule broken changes
 * nothing. `message` is the commit's subject. STORE_EUNCHANGED if the tree
 * would not change. The first commit must create node.json
 * (store_genesis does that).
 */
int store_commit(store *st, const keys_secret *sk, const store_change *ch,
                 size_t n, const char *message, char out[STORE_OID_HEX]);

/* The first commit of a node's own history: node.json. */
int store_genesis(store *st, const keys_secret *sk, const store_identity *id,
                  char out[STORE_OID_HEX]);

/* Reads, validates and canonicalizes a record given by an operator (a file
 * they wrote), for `path` — used before store_commit. */
int store_record_prepare(char **out, size_t *outlen, const char *path,
                         const void *data, size_t len);

/* Certifies a child: appends a certificate to certs/<child>.json. With
 * `force`, a child already certified with another key is first revoked
 * (its last good commit is the head this store holds of it, if any).
 * A certificate never takes effect before a revocation that precedes it:
 * valid_from is raised to the latest one. */
int store_enroll(store *st, const keys_secret *sk, const store_identity *child,
                 const keys_public *child_key, int64_t valid_from,
                 int64_t valid_until, int force, char out[STORE_OID_HEX]);

/* Revokes a child's keys from now on (its last good commit is the head this
 * store holds of it, if any). */
int store_revoke(store *st, const keys_secret *sk, const char *child,
                 const char *reason, char out[STORE_OID_HEX]);

/* Rotates the own key: a keys.json rotation record signed by both keys and
 * node.json's new key, in one commit signed by the old key. */
int store_rotate(store *st, const keys_secret *old_sk,
                 const keys_secret *new_sk, char out[STORE_OID_HEX]);

/* ---- transfer ----------------------------------------------------------- */

typedef struct store_buf {
	void *ptr;
	size_t len;
} store_buf;
void store_buf_free(store_buf *b);

/* What store_pack_range put in a pack. */
typedef struct store_pack_info {
	char head[STORE_OID_HEX]; /* the newest commit in it: import up to
	                           * this, then ask again */
	char base[STORE_OID_HEX]; /* the `have` it extends; "" when it holds
	                           * the whole history */
	size_t commits, objects;
	size_t deltas;            /* objects sent as deltas (REF_DELTA) */
} store_pack_info;

/*
 * A git packfile (version 2) with what a peer holding `have` lacks of
 * `node`'s history (NULL = own): the commits after `have` on the head's
 * first-parent line, oldest first, with the trees and records each one
 * changed; never an object of `have`'s tree (an older version brought
 * back is sent again, as git does), never one twice. Changed trees and
 * records are deltas against their previous version where that is worth
 * it, also when the peer holds that version and the pack does not: a
 * thin pack, which store_import (like `git index-pack --fix-thin`)
 * completes from the receiver's store. A long catch-up indexes slowly
 * there (libgit2 1.5.1 appends one missing base per pass): send it in
 * steps of a few hundred commits with `limit`.
 * `have` NULL or "", unknown here, or not on the head's line (a fork):
 * the whole history, and info->base is "". `limit` > 0: at most that
 * many commits; info->head is then the last one sent, not the head.
 * A pack also ends after the commit that takes it past STORE_PACK_BUDGET
 * bytes (documents' body files), so that each step fits one sync frame.
 */
int store_pack_range(store *st, const char *node, const char *have,
                     size_t limit, store_buf *out, store_pack_info *info);

/* store_pack_range with no limit; head_out gets info.head. */
int store_pack_build(store *st, const char *node, const char *have,
                     store_buf *out, char head_out[STORE_OID_HEX]);

typedef struct store_import_result {
	char old_head[STORE_OID_HEX]; /* "" if none was held */
	char new_head[STORE_OID_HEX];
	size_t commits;               /* new commits accepted */
	char evidence[STORE_PATH_MAX];/* the evidence ref, on STORE_EFORK */
} store_import_result;

/*
 * Applies the acceptance rules to `node`'s history ending at `head`, whose
 * objects are in `pack` (may be empty if all are held): the key at every
 * new commit chains to the root, every new commit is signed by it,
 * the head fast-forwards the held one, and every change lies in the
 * author's records and passes its schema. The pack is indexed into a
 * quarantine and only moved into the store when everything holds; then
 * refs/nodes/<node> moves. Otherwise nothing changes (STORE_EREJECT,
 * STORE_ESTALE), except that a validly signed fork is kept under
 * refs/evidence/<node>/<head> (STORE_EFORK).
 */
int store_import(store *st, const keys_public *root, const char *node,
                 const char *head, const void *pack, size_t len,
                 store_import_result *res);

/* ---- log ------------------------------------------------------------------ */

typedef struct store_log_entry {
	char commit[STORE_OID_HEX];
	int64_t time;
	int sig_ok;           /* the SSH signature verifies */
	keys_public signer;   /* the key in it, when sig_ok */
	const char *subject;  /* first line of the message */
} store_log_entry;

/* Newest first, at most `max` (0 = all). A non-zero return from cb stops
 * the walk and is returned. */
int store_log(store *st, const char *node, size_t max,
              int (*cb)(void *ctx, const store_log_entry *e), void *ctx);

/* An entitlement check for store_import_ex: may the sender deliver this
 * node's history (whose head names `parent` as its parent)? Return 1 yes;
 * 0 no, with the reason in `why`. It runs before any rule is checked and
 * before anything moves. */
typedef int (*store_allow_fn)(void *ctx, const char *node, const char *parent,
                              char *why, size_t whylen);

int store_import_ex(store *st, const keys_public *root, const char *node,
                    const char *head, const void *pack, size_t len,
                    store_allow_fn allow, void *ctx,
                    store_import_result *res);

/* ---- verification (the auditor's walk) --------------------------------- */

typedef struct store_problem {
	char commit[STORE_OID_HEX]; /* "" when not about one commit */
	char *reason;
} store_problem;

typedef struct store_node_report {
	char id[KEYS_ID_MAX + 1];
	char ref[STORE_PATH_MAX];
	char head[STORE_OID_HEX];
	int own;
	size_t commits;
	int64_t first_time, last_time;
	store_problem *problems;
	size_t nproblems;
	size_t problems_dropped; /* beyond the per-node cap */
} store_node_report;

typedef struct store_report {
	store_node_report *nodes;
	size_t n;
	size_t problems; /* over all nodes */
} store_report;

typedef void (*store_progress_fn)(void *ctx, const char *node, size_t done,
                                  size_t total);

/* Walks every history in the store against the root key. Returns 0 when
 * the walk ran (the report says whether all held), or an error when it
 * could not run at all. */
int store_verify(store *st, const keys_public *root, store_report *out,
                 store_progress_fn progress, void *ctx);
void store_report_free(store_report *r);

/* allowed_signers lines for stock git (`gpg.ssh.allowedSignersFile`):
 * every key seen in the store's histories, with its node id. */
int store_allowed_signers(store *st, const keys_public *root, char **out);

/* ---- peers ------------------------------------------------------------------ */

/* The head commit of a history, reading only the ref (cheap). */
int store_head_peek(store *st, const char *node, char out[STORE_OID_HEX]);

/* May `key` speak for `node` (sign its announcements and requests)? Its
 * key in effect as held here, or a key its parent certified since the
 * last revocation (from the parent's history held here, or from this
 * node's own certificates when it is the parent). 0 yes; STORE_EREJECT
 * no; STORE_ENOTFOUND when this store cannot know yet (neither the node's
 * history nor its certificate is held). */
int store_key_speaks_for(store *st, const keys_public *root, const char *node,
                         const keys_public *key, char *why, size_t whylen);

typedef struct store_child {
	char id[KEYS_ID_MAX + 1];
	int active;          /* certified, not revoked */
	keys_public key;     /* the certified key, when active */
} store_child;

/* Does `issuer`'s history, as held here (or this node's own), hold an
 * active certificate for `child`? 1 yes, 0 no or unknown. */
int store_certifies(store *st, const char *issuer, const char *child);

/* The children this node certified (certs/ of its own history). */
int store_children(store *st, store_child **out, size_t *n);

/* ---- upkeep -------------------------------------------------------------- */

/* Packs the loose objects into one pack when there are many (always with
 * `force`), as git's auto-gc does; `packed` gets their number. A damaged
 * loose object stops it with nothing removed. */
int store_maintain(store *st, int force, size_t *packed);

/* Clears what a killed process left: import quarantines and ref locks.
 * With `replicas_mine` (the daemon, the only writer of replica refs, at
 * its start) those under refs/nodes/ go at once; everything else only
 * once ten minutes old. */
int store_recover(store *st, int replicas_mine, size_t *removed);

/* ---- time ---------------------------------------------------------------- */

/* Now, or $GOVFED_NOW (RFC 3339 UTC or seconds) when set: tests and
 * fixtures replay fixed times with it. */
int64_t store_now(void);

#endif
