/* keys_int.h — internals shared by the keys/ sources. */
#ifndef GOVFED_KEYS_INT_H
#define GOVFED_KEYS_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define KEYS_SSH_ED25519 "ssh-ed25519"
/* string "ssh-ed25519" (4+11) + string pk (4+32) */
#define KEYS_PUBBLOB_LEN 51

void keys_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A bounded writer/reader of the SSH wire encoding (RFC 4251 §5). */
typedef struct keys_buf {
	unsigned char *p;
	size_t len, cap;
	int overflow;
} keys_buf;

void kb_put(keys_buf *b, const void *d, size_t n);
void kb_u32(keys_buf *b, uint32_t v);
void kb_string(keys_buf *b, const void *d, size_t n);
void kb_cstring(keys_buf *b, const char *s);

typedef struct keys_rd {
	const unsigned char *p;
	size_t len, off;
} keys_rd;

int kr_bytes(keys_rd *r, const unsigned char **out, size_t n);
int kr_u32(keys_rd *r, uint32_t *out);
/* A length-prefixed string; `max` bounds the length. */
int kr_string(keys_rd *r, const unsigned char **out, size_t *outlen,
              size_t max);
int kr_string_eq(keys_rd *r, const char *want);

/* Writes the 51-byte public key blob. */
void keys_pubblob(unsigned char out[KEYS_PUBBLOB_LEN], const keys_public *pk);
/* Parses a public key blob (exactly one ssh-ed25519 key). */
int keys_pubblob_parse(keys_public *out, const unsigned char *blob,
                       size_t len);

#endif
