/*
 * keys — Ed25519 identities, SSH signatures and the trust chain.
 *
 * Uses libsodium only: nothing here knows of git, JSON or nng. Callers hand
 * in bytes and structs; the store turns records into them.
 *
 * Conventions: functions that can fail return 0 or a negative KEYS_E* code
 * (keys_strerror() names it); out parameters come first. Where a caller needs
 * to tell an operator *why*, an optional `char *why, size_t whylen` buffer
 * receives one lower-case sentence.
 */
#ifndef GOVFED_KEYS_H
#define GOVFED_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_PUBLICKEYBYTES 32
#define KEYS_SIGBYTES 64
/* "ssh-ed25519 " + 68 base64 chars + " " + comment + NUL */
#define KEYS_PUBLIC_LINE_MAX 256
/* "SHA256:" + 43 base64 chars + NUL */
#define KEYS_FINGERPRINT_MAX 51
/* raw SSHSIG blob for Ed25519 is 173 bytes (with a 3-char namespace; longer
 * namespaces add their length) */
#define KEYS_SSHSIG_MAX 512
#define KEYS_NAMESPACE_MAX 64

enum {
	KEYS_OK = 0,
	KEYS_ENOMEM = -1,  /* out of memory (sodium_malloc failed) */
	KEYS_EIO = -2,     /* reading or writing a key file failed */
	KEYS_EPERM = -3,   /* key file permissions are too loose */
	KEYS_EFORMAT = -4, /* malformed key, key file or signature */
	KEYS_EEXIST = -5,  /* refusing to overwrite a key file */
	KEYS_EBADSIG = -6, /* signature does not verify */
	KEYS_EINVAL = -7,  /* invalid argument */
	KEYS_ECHAIN = -8,  /* key does not chain to the root here */
	KEYS_ENOTFOUND = -9
};

const char *keys_strerror(int rc);

/* Call once before anything else (wraps sodium_init). */
int keys_init(void);

/* ---- public keys ------------------------------------------------------ */

typedef struct keys_public {
	unsigned char pk[KEYS_PUBLICKEYBYTES];
} keys_public;

int keys_public_equal(const keys_public *a, const keys_public *b);

/* Parses "ssh-ed25519 AAAA… [comment]". The comment, if wanted, is copied
 * into `comment` (may be NULL). Strict: one key type, exact blob length. */
int keys_public_parse(keys_public *out, const char *line, size_t len,
                      char *comment, size_t commentlen);

/* Writes "ssh-ed25519 AAAA…" and, when comment is non-NULL and non-empty,
 * " comment". A comment with control characters is refused (EINVAL). */
int keys_public_format(char *out, size_t outlen, const keys_public *pk,
                       const char *comment);

/* Reads a public key file holding one OpenSSH line. */
int keys_public_load(keys_public *out, const char *path, char *why,
                     size_t whylen);

/* "SHA256:…" as ssh-keygen -l prints it. */
void keys_public_fingerprint(char out[KEYS_FINGERPRINT_MAX],
                             const keys_public *pk);

/* ---- secret keys ------------------------------------------------------ */

/* Opaque; lives in sodium_malloc memory and is wiped on free. */
typedef struct keys_secret keys_secret;

int keys_secret_generate(keys_secret **out);

/* Loads an unencrypted OpenSSH Ed25519 private key (the format ssh-keygen
 * writes), so `ssh-keygen -Y sign -f node.key` works on our keys too.
 * Refuses a file readable or writable by group or others, a file of the
 * wrong length and anything but one unencrypted ssh-ed25519 key. */
int keys_secret_load(keys_secret **out, const char *path, char *why,
                     size_t whylen);

/* Writes the key as an OpenSSH private key file, mode 0600. Without `force`
 * an existing file is never replaced (O_EXCL); with it, the new file is
 * written beside the old and renamed over it. */
int keys_secret_save(const keys_secret *sk, const char *path,
                     const char *comment, int force, char *why,
                     size_t whylen);

const keys_public *keys_secret_public(const keys_secret *sk);
void keys_secret_free(keys_secret *sk);

/* ---- SSH signatures (SSHSIG, namespace-separated, sha512) ------------- */

/* Signs `msg` in namespace `ns`. `out` receives the raw SSHSIG blob
 * (not armored), `outlen` its length. */
int keys_sshsig_sign(unsigned char *out, size_t outcap, size_t *outlen,
                     const keys_secret *sk, const char *ns, const void *msg,
                     size_t msglen);

/* Verifies a raw SSHSIG blob over `msg` in namespace `ns`; on success the
 * embedded signer key is copied to `signer` (may be NULL). The caller
 * decides whether that key is trusted. Accepts sha512 and sha256. */
int keys_sshsig_verify(keys_public *signer, const unsigned char *sig,
                       size_t siglen, const char *ns, const void *msg,
                       size_t msglen);

/* ASCII armor as ssh-keygen writes it: BEGIN line, base64 wrapped at 70
 * columns, END line. `out` gets no trailing newline. Returns the length
 * written (without NUL) or a negative code. */
int keys_sshsig_armor(char *out, size_t outcap, const unsigned char *sig,
                      size_t siglen);
int keys_sshsig_dearmor(unsigned char *out, size_t outcap, size_t *outlen,
                        const char *armor, size_t armorlen);

/* Unarmored base64 (one line) for signatures carried inside JSON records. */
int keys_b64_encode(char *out, size_t outcap, const unsigned char *bin,
                    size_t len);
int keys_b64_decode(unsigned char *out, size_t outcap, size_t *outlen,
                    const char *b64, size_t b64len);

/* SHA-256 of `len` bytes as 64 lower-case hex digits and a NUL (document
 * body files are named by it in their metadata). */
void keys_sha256_hex(char out[65], const void *data, size_t len);

/* ---- the trust chain ---------------------------------------------------
 *
 * The root (province) key is pinned. Every other node X is certified by its
 * parent P in P's history: an append-only list of events for X, each a
 * certificate (key, validity) or a revocation (from a time or, better, from
 * a commit of X's history on). X may rotate its own key: the rotation is a
 * record in X's history signed by the old and the new key, and from that
 * commit on only the new key signs. See store/README.md for the records.
 *
 * The store walks a history in order and asks, for each commit:
 *   may `signer` sign commit C of node X, at time t, given X's key state
 *   just before C (its current key and the keys it rotated out)?
 * Positions in X's history are opaque strings (commit ids); the store
 * answers "is C at or before position L?" through a callback.
 */

#define KEYS_ID_MAX 16     /* administrative division codes: 6, 9 or 12 */
#define KEYS_POS_MAX 65    /* a commit id in hex (sha1 40, sha256 64) */
#define KEYS_REASON_MAX 256

enum keys_event_type { KEYS_EVENT_CERT = 1, KEYS_EVENT_REVOKE = 2 };

/* One entry of a parent's event list for a child, in list order. */
typedef struct keys_event {
	enum keys_event_type type;
	keys_public key;     /* CERT: the certified key */
	int64_t valid_from;  /* CERT */
	int64_t valid_until; /* CERT: 0 = open-ended */
	int64_t at;          /* REVOKE: effective time */
	char last_good[KEYS_POS_MAX]; /* REVOKE: last commit of X still good,
	                               * "" = none known, use `at` */
} keys_event;

/* A rotation record from X's own history. */
typedef struct keys_rotation {
	keys_public old_key;
	keys_public new_key;
	int64_t at;
} keys_rotation;

typedef struct keys_chain keys_chain;

int keys_chain_new(keys_chain **out, const keys_public *root);
void keys_chain_free(keys_chain *c);
const keys_public *keys_chain_root(const keys_chain *c);

/* Declares node `id` and its parent (NULL or "" for the root). Replaces
 * earlier events for that node. */
int keys_chain_set_node(keys_chain *c, const char *id, const char *parent);

/* Appends an event issued by `id`'s parent, in the parent's list order. */
int keys_chain_add_event(keys_chain *c, const char *id, const keys_event *ev);

/* Answers whether the commit being checked lies at or before position
 * `pos` of its history (ancestor-or-equal). Return 1 yes, 0 no, <0 error. */
typedef int (*keys_position_fn)(void *ctx, const char *pos);

/* Key state of X just before commit C (as found in C's parent's tree). */
typedef struct keys_state {
	int has_current;          /* 0 at X's first commit */
	keys_public current;      /* X's key in effect */
	const keys_rotation *rotations; /* X's rotations so far, oldest first */
	size_t nrotations;
} keys_state;

/*
 * May `signer` sign X's next commit, at committer time `t`?
 * 0 yes; KEYS_ECHAIN no, with the reason in `why`. The root accepts the
 * pinned key and keys reached from it by rotation; others accept their
 * current key when its lineage is certified and not revoked at C, or a key
 * certified by the parent (enrollment, re-enrollment).
 */
int keys_chain_check(const keys_chain *c, const char *id,
                     const keys_state *st, const keys_public *signer,
                     int64_t t, keys_position_fn at_or_before, void *ctx,
                     char *why, size_t whylen);

/* Which node, if any, was certified with `key` (or is the root) — for
 * error messages such as "signed by 350112's key". Returns the id or
 * NULL. Keys reached by rotation are not known to the chain. */
const char *keys_chain_owner(const keys_chain *c, const keys_public *key);

/* ---- time -------------------------------------------------------------- */

/* RFC 3339 UTC, "2026-11-23T10:00:00Z". `out` must hold 21 bytes. */
void keys_time_format(char out[21], int64_t t);
int keys_time_parse(int64_t *out, const char *s);

#endif
