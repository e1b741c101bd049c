/*
 * protocol — the sync protocol's frames and messages (protocol/README.md).
 *
 * Uses keys, jansson and nng only: nothing here knows of git. A frame is
 * decoded and validated completely by proto_decode before anything looks
 * at it; signatures are checked by proto_verify over the header bytes as
 * received, so frames can be forwarded verbatim.
 */
#ifndef GOVFED_PROTO_H
#define GOVFED_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define PROTO_MAGIC "GFS1"
#define PROTO_VERSION 1
#define PROTO_HEADER_MAX (1u << 20)
#define PROTO_SIG_MAX 1024u
#define PROTO_PAYLOAD_MAX (64u << 20)
#define PROTO_FRAME_MAX (PROTO_PAYLOAD_MAX + PROTO_HEADER_MAX + 2048u)
#define PROTO_HEADS_MAX 100000u
#define PROTO_NS_HEAD "govfed-head"
#define PROTO_NS_SYNC "govfed-sync"
#define PROTO_CLOCK_SKEW 300 /* seconds a request's time may be off */
#define PROTO_FETCH_LIMIT 10000u
#define PROTO_OID_HEX 41
#define PROTO_REASON_MAX 512

enum {
	PROTO_OK = 0,
	PROTO_ENOMEM = -1,
	PROTO_EFORMAT = -2,   /* not a valid frame; see why */
	PROTO_EBADSIG = -3,   /* signature missing, malformed or wrong key */
	PROTO_EINVAL = -4
};
const char *proto_strerror(int rc);

typedef enum proto_type {
	PROTO_HEAD = 1,
	PROTO_SUMMARY,
	PROTO_FETCH,
	PROTO_PACK,
	PROTO_PUSH,
	PROTO_OKAY,
	PROTO_ERROR
} proto_type;

const char *proto_type_name(proto_type t);

typedef struct proto_head {
	char node[KEYS_ID_MAX + 1];
	char commit[PROTO_OID_HEX];
	uint64_t height;
	int64_t time;
} proto_head;

typedef struct proto_seen {
	char node[KEYS_ID_MAX + 1];
	char parent[KEYS_ID_MAX + 1]; /* where it sits in the sender's subtree */
	int64_t time;
} proto_seen;

typedef struct proto_msg {
	proto_type type;
	char from[KEYS_ID_MAX + 1]; /* all but HEAD */
	char to[KEYS_ID_MAX + 1];
	int64_t time;               /* HEAD: the commit's time */
	/* HEAD: the head; FETCH: node (+ have in base); PACK, PUSH: node,
	 * commit = the last commit of the payload, height; OKAY: node,
	 * commit */
	proto_head head;
	char base[PROTO_OID_HEX];   /* FETCH: have; PACK, PUSH: the base */
	uint32_t limit;             /* FETCH */
	uint32_t commits;           /* PACK, OKAY */
	uint64_t seq;               /* SUMMARY */
	proto_head *heads;          /* SUMMARY */
	size_t nheads;
	proto_seen *seen;           /* SUMMARY */
	size_t nseen;
	char code[32];              /* ERROR */
	char reason[PROTO_REASON_MAX];
	/* PACK, PUSH: the author's HEAD frame, verbatim (owned) */
	unsigned char *announce;
	size_t announce_len;
	/* the frame's parts, pointing into the decoded buffer */
	const unsigned char *header;
	size_t header_len;
	const unsigned char *sig;
	size_t sig_len;
	const unsigned char *payload;
	size_t payload_len;
} proto_msg;

/* Frees what decode or the caller allocated (heads, seen, announce). */
void proto_msg_clear(proto_msg *m);

/*
 * Encodes `m` (its fields by type) and signs its header with `sk` in the
 * namespace of its type. `payload` is attached (PACK, PUSH). The result
 * is malloc'd.
 */
int proto_encode(unsigned char **out, size_t *outlen, const proto_msg *m,
                 const keys_secret *sk, const void *payload,
                 size_t payload_len);

/* Decodes and validates a frame. On success m's raw pointers point into
 * buf, which must outlive m. On failure `why` says what is wrong. */
int proto_decode(proto_msg *m, const void *buf, size_t len, char *why,
                 size_t whylen);

/* Checks the frame's signature. With `key`, the signer must be that key;
 * the signer is copied to `signer` when given. */
int proto_verify(const proto_msg *m, const keys_public *key,
                 keys_public *signer);

/* Requests and replies: from, to and time as this node expects them. */
int proto_check_addressing(const proto_msg *m, const char *me, int64_t now,
                           char *why, size_t whylen);

/* The /pub form: "<node> " followed by the frame. */
int proto_pub_wrap(unsigned char **out, size_t *outlen, const char *node,
                   const unsigned char *frame, size_t len);
/* Finds the frame in a /pub message; checks the topic names a node. */
int proto_pub_unwrap(const unsigned char **frame, size_t *len,
                     char topic[KEYS_ID_MAX + 1], const void *msg,
                     size_t msglen);

#endif
