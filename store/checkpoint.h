/*
 * checkpoint.h — signed checkpoints: numbered, chained, consistent cuts of
 * every history a store holds (protocol/README.md, "Checkpoints and the
 * HTTP feed"; that section is the contract for the format).
 *
 * A checkpoint is one canonical JSON record kept as a blob under
 * refs/checkpoints/<seq> (10 digits) in the cutting node's store, never
 * changed: its `node`, `seq`, `prev` (the SHA-256 of the previous
 * checkpoint's bytes; null at seq 1), `time`, `heads` (one per history
 * held, sorted by node id: node, level, parent, commit, height, time,
 * seen, stale), `key` (the cutter's key) and `sig` (SSHSIG, namespace
 * "govfed-checkpoint", over the compact canonical form without `sig`).
 * Its hash is the SHA-256 of its stored bytes (keys_sha256_hex).
 *
 * The signing key is the cutter's key in effect. The province's
 * checkpoints are checked against the pinned root key; a province that
 * rotated its key is out of scope here (its older checkpoints name the
 * old key and would be refused). Another node's own checkpoints are
 * checked against its key in effect, which store_verify chains to the
 * root; the same limit on rotation applies.
 *
 * Functions return 0 or a negative STORE_E* code with store_errmsg() set,
 * like the rest of store/; like the rest of store/, one store is used by
 * one thread at a time. Two processes cutting in one store at once are
 * safe: the second gets STORE_ECONFLICT and cuts again.
 */
#ifndef GOVFED_CHECKPOINT_H
#define GOVFED_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "store.h"

#define STORE_SIG_NS_CHECKPOINT "govfed-checkpoint"
#define STORE_REF_CHECKPOINTS "refs/checkpoints/"
/* The largest checkpoint read or checked (bytes). */
#define STORE_CHECKPOINT_MAX (32 * 1024 * 1024)
/* The largest sequence number (10 digits). */
#define STORE_CHECKPOINT_SEQ_MAX 9999999999ULL
#define STORE_SHA256_HEX 65 /* 64 hex digits + NUL */

/* ---- what a checkpoint says ------------------------------------------- */

typedef struct store_cp_head {
	char node[KEYS_ID_MAX + 1];
	store_level level;
	char parent[KEYS_ID_MAX + 1]; /* "" for the province (null) */
	char commit[STORE_OID_HEX];
	uint64_t height;              /* commits from the first, 1-based */
	int64_t time;                 /* the commit's time */
	int64_t seen;                 /* last time the node was heard of */
	int stale;
} store_cp_head;

typedef struct store_checkpoint {
	char node[KEYS_ID_MAX + 1];   /* the cutter */
	uint64_t seq;
	char prev[STORE_SHA256_HEX];  /* "" at seq 1 (null) */
	int64_t time;
	store_cp_head *heads;         /* sorted by node id */
	size_t nheads;
	keys_public key;              /* the `key` field */
	char hash[STORE_SHA256_HEX];  /* SHA-256 of the bytes parsed */
} store_checkpoint;

/*
 * Parses a checkpoint and checks its form: valid UTF-8 JSON, exactly the
 * canonical bytes (store/json.c, pretty), every field present with its
 * type and no other, ids, levels, times and commit ids well formed, heads
 * sorted by node id without duplicates, `prev` null exactly at seq 1, and
 * `sig` a canonical base64 SSHSIG. It does not check the signature (see
 * store_checkpoint_check). STORE_EREJECT with the reason in `why`;
 * STORE_ENOMEM. Free with store_checkpoint_clear.
 */
int store_checkpoint_parse(store_checkpoint *out, const char *bytes,
                           size_t len, char *why, size_t whylen);
void store_checkpoint_clear(store_checkpoint *cp);

/*
 * Checks one checkpoint against its predecessor, with no store: the pull
 * client's check as much as the auditor's.
 *   - its form (store_checkpoint_parse);
 *   - its `key` is `key` and the signature verifies, made by `key`, in
 *     namespace "govfed-checkpoint", over the compact canonical form
 *     without `sig`;
 *   - with `prev_bytes` (the predecessor as stored, itself already
 *     checked): the same cutter, seq = prev's seq + 1, `prev` = SHA-256 of
 *     prev_bytes, time not before prev's, every node of prev still there
 *     (never dropped) with the same level and parent, at a height not
 *     lower, and at the same commit when the height is the same (a
 *     different commit of the same height is a fork or a rollback);
 *     whether a higher commit descends from the older one only a store
 *     can tell (store_checkpoint_verify_chain does);
 *   - without `prev_bytes` (prev_bytes NULL): seq 1 must have prev null;
 *     any other seq is checked alone (its own signature and form).
 * 0 when it holds; STORE_EREJECT with one sentence in `why`; STORE_EINVAL
 * (key NULL), STORE_ENOMEM.
 */
int store_checkpoint_check(const char *bytes, size_t len,
                           const keys_public *key, const char *prev_bytes,
                           size_t prev_len, char *why, size_t whylen);

/* ---- cutting ------------------------------------------------------------ */

/* What the daemon knows of a node's freshness. */
typedef struct store_cp_seen {
	char node[KEYS_ID_MAX + 1];
	int64_t seen;   /* last time the node was heard of (0: unknown) */
	int stale;
} store_cp_seen;

/* A held head that did not enter the cut. */
typedef struct store_cp_held {
	char node[KEYS_ID_MAX + 1];
	char commit[STORE_OID_HEX];   /* the head held, not in the cut */
	char in_cut[STORE_OID_HEX];   /* its head in the cut; "" if left out */
	char reason[256];             /* the first reference that does not
	                               * resolve, e.g. "catalog/x/y.json:
	                               * derived from 350000 commit abc… not
	                               * in the cut" */
} store_cp_held;

typedef struct store_cp_cut {
	uint64_t seq;      /* the checkpoint written; when unchanged, the
	                    * latest (0: none yet) */
	int unchanged;     /* 1: the cut equals the latest checkpoint's heads
	                    * (or is empty): nothing was written */
	size_t nheads;     /* heads in the cut */
	char hash[STORE_SHA256_HEX]; /* of checkpoint `seq` ("" if none) */
	store_cp_held *held; /* heads held back or left out, by node id;
	                      * free with store_cp_cut_clear */
	size_t nheld;
} store_cp_cut;
void store_cp_cut_clear(store_cp_cut *c);

/*
 * Cuts a checkpoint of every history held (own included), signed with
 * `sk` (the own key in effect; anything else is STORE_EKEY).
 *
 * The cut: every held head, except that a head whose records hold a
 * reference that does not resolve inside the cut is held back at its head
 * in the previous checkpoint (or left out when it never entered one),
 * repeatedly until nothing changes. References: a derived item's
 * derived.commit at or below the cut head of derived.node; a task's
 * `from {node, task}` names a task present at that node's cut head; a
 * report's task (reports/<assigner>/<task>.json) present at the
 * assigner's cut head; a document's `interprets` and validity.successor
 * name documents present at the same cut head. Only the records a head
 * changed since the previous checkpoint are looked at (references never
 * stop resolving: heads only move forward and records are never removed).
 * Every replica head was verified in full by the importer; the own head
 * by the writer.
 *
 * `seen` (may be NULL, nseen 0) gives, per node, when it was last heard of
 * and whether it is stale; a node not in it gets the time of the head
 * held and stale false. A node of the previous checkpoint whose history
 * is no longer held keeps its entry, stale.
 *
 * When the cut's (node, commit) pairs equal the latest checkpoint's,
 * nothing is written and out->unchanged is 1 (seen times and stale flags
 * alone do not make a new checkpoint). Otherwise checkpoint latest+1 is
 * written: the blob, then refs/checkpoints/<seq> created (never
 * replaced); its time is now (store_now), or the previous checkpoint's
 * time if the clock went back. STORE_ECONFLICT when another process cut
 * that seq meanwhile (cut again). `out` is filled on success and must be
 * cleared with store_cp_cut_clear either way.
 */
int store_checkpoint_cut(store *st, const keys_secret *sk,
                         const store_cp_seen *seen, size_t nseen,
                         store_cp_cut *out);

/* ---- reading ------------------------------------------------------------ */

/* The latest checkpoint's seq, 0 if none. Sequence numbers run from 1
 * without gaps (a gap is found by store_checkpoint_verify_chain). */
int store_checkpoint_latest(store *st, uint64_t *seq);

/* The stored bytes of checkpoint `seq` (0: the latest), NUL-terminated;
 * free() them. seq_out (may be NULL) gets its seq. STORE_ENOTFOUND when
 * there is no such checkpoint (or none at all). */
int store_checkpoint_read(store *st, uint64_t seq, char **bytes, size_t *len,
                          uint64_t *seq_out);

/*
 * The auditor's walk of every checkpoint in the store, in order: refs
 * named by 10 digits from 1 without gaps, each a blob that
 * store_checkpoint_check accepts against its predecessor with `key` (the
 * province: the root key; another node: its own key in effect), cut by
 * the store's own node; every head commit present in the store at the
 * height it names and on that node's history (at or below the head held
 * now); each node's next head equal to or descending from the one before
 * (no rollback). *n gets the number of checkpoints checked (those before
 * the first problem). 0 when all hold (also when there is none);
 * STORE_EREJECT with the reason in `why`; other codes when the store
 * cannot be read.
 */
int store_checkpoint_verify_chain(store *st, const keys_public *key,
                                  size_t *n, char *why, size_t whylen);

#endif
