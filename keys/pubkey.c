/* pubkey.c — SSH wire encoding and OpenSSH public key lines. */
#define _GNU_SOURCE
#include "keys_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void kb_put(keys_buf *b, const void *d, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

void kb_u32(keys_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                       (unsigned char)(v >> 8), (unsigned char)v };
	kb_put(b, x, 4);
}

void kb_string(keys_buf *b, const void *d, size_t n)
{
	if (n > UINT32_MAX) {
		b->overflow = 1;
		return;
	}
	kb_u32(b, (uint32_t)n);
	kb_put(b, d, n);
}

void kb_cstring(keys_buf *b, const char *s)
{
	kb_string(b, s, strlen(s));
}

int kr_bytes(keys_rd *r, const unsigned char **out, size_t n)
{
	if (n > r->len - r->off)
		return KEYS_EFORMAT;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

int kr_u32(keys_rd *r, uint32_t *out)
{
	const unsigned char *x;

	if (kr_bytes(r, &x, 4) != 0)
		return KEYS_EFORMAT;
	*out = ((uint32_t)x[0] << 24) | ((uint32_t)x[1] << 16) |
	       ((uint32_t)x[2] << 8) | (uint32_t)x[3];
	return 0;
}

int kr_string(keys_rd *r, const unsigned char **out, size_t *outlen,
              size_t max)
{
	uint32_t n;

	if (kr_u32(r, &n) != 0 || n > max)
		return KEYS_EFORMAT;
	*outlen = n;
	return kr_bytes(r, out, n);
}

int kr_string_eq(keys_rd *r, const char *want)
{
	const unsigned char *s;
	size_t n;

	if (kr_string(r, &s, &n, 1024) != 0)
		return KEYS_EFORMAT;
	if (n != strlen(want) || memcmp(s, want, n) != 0)
		return KEYS_EFORMAT;
	return 0;
}

void keys_pubblob(unsigned char out[KEYS_PUBBLOB_LEN], const keys_public *pk)
{
	keys_buf b = { out, 0, KEYS_PUBBLOB_LEN, 0 };

	kb_cstring(&b, KEYS_SSH_ED25519);
	kb_string(&b, pk->pk, KEYS_PUBLICKEYBYTES);
}

int keys_pubblob_parse(keys_public *out, const unsigned char *blob, size_t len)
{
	keys_rd r = { blob, len, 0 };
	const unsigned char *pk;
	size_t pklen;

	if (kr_string_eq(&r, KEYS_SSH_ED25519) != 0 ||
	    kr_string(&r, &pk, &pklen, KEYS_PUBLICKEYBYTES) != 0 ||
	    pklen != KEYS_PUBLICKEYBYTES || r.off != r.len)
		return KEYS_EFORMAT;
	memcpy(out->pk, pk, KEYS_PUBLICKEYBYTES);
	return 0;
}

int keys_public_equal(const keys_public *a, const keys_public *b)
{
	return memcmp(a->pk, b->pk, KEYS_PUBLICKEYBYTES) == 0;
}

int keys_public_parse(keys_public *out, const char *line, size_t len,
                      char *comment, size_t commentlen)
{
	static const char prefix[] = KEYS_SSH_ED25519 " ";
	unsigned char blob[64];
	size_t i, start, bloblen;

	if (comment != NULL && commentlen > 0)
		comment[0] = '\0';
	/* tolerate one trailing newline, as files have */
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < sizeof(prefix) - 1 || memcmp(line, prefix, sizeof(prefix) - 1))
		return KEYS_EFORMAT;
	start = sizeof(prefix) - 1;
	for (i = start; i < len && line[i] != ' '; i++)
		;
	if (keys_b64_decode(blob, sizeof(blob), &bloblen, line + start,
	                    i - start) != 0)
		return KEYS_EFORMAT;
	if (keys_pubblob_parse(out, blob, bloblen) != 0)
		return KEYS_EFORMAT;
	if (i < len) {
		size_t clen = len - i - 1;
		/* a comment is printable and on one line */
		for (size_t j = i + 1; j < len; j++)
			if ((unsigned char)line[j] < 0x20 || line[j] == 0x7f)
				return KEYS_EFORMAT;
		if (comment != NULL && commentlen > 0) {
			if (clen >= commentlen)
				clen = commentlen - 1;
			memcpy(comment, line + i + 1, clen);
			comment[clen] = '\0';
		}
	}
	return 0;
}

int keys_public_format(char *out, size_t outlen, const keys_public *pk,
                       const char *comment)
{
	unsigned char blob[KEYS_PUBBLOB_LEN];
	char b64[sodium_base64_ENCODED_LEN(KEYS_PUBBLOB_LEN,
	                                   sodium_base64_VARIANT_ORIGINAL)];
	int n;

	for (const char *p = comment; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return KEYS_EINVAL; /* one line, always */
	keys_pubblob(blob, pk);
	keys_b64_encode(b64, sizeof(b64), blob, sizeof(blob));
	if (comment != NULL && comment[0] != '\0')
		n = snprintf(out, outlen, "%s %s %s", KEYS_SSH_ED25519, b64,
		             comment);
	else
		n = snprintf(out, outlen, "%s %s", KEYS_SSH_ED25519, b64);
	if (n < 0 || (size_t)n >= outlen)
		return KEYS_EINVAL;
	return 0;
}

int keys_public_load(keys_public *out, const char *path, char *why,
                     size_t whylen)
{
	char buf[KEYS_PUBLIC_LINE_MAX + 2];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		keys_why(why, whylen, "cannot open '%s': %s", path,
		         strerror(errno));
		return KEYS_EIO;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		keys_why(why, whylen, "cannot read '%s': %s", path,
		         strerror(errno));
		return KEYS_EIO;
	}
	if ((size_t)n > KEYS_PUBLIC_LINE_MAX) {
		keys_why(why, whylen, "'%s' is too long for a public key line",
		         path);
		return KEYS_EFORMAT;
	}
	rc = keys_public_parse(out, buf, (size_t)n, NULL, 0);
	if (rc != 0)
		keys_why(why, whylen,
		         "'%s' is not an OpenSSH ed25519 public key line "
		         "(ssh-ed25519 AAAA... comment)", path);
	return rc;
}

void keys_public_fingerprint(char out[KEYS_FINGERPRINT_MAX],
                             const keys_public *pk)
{
	unsigned char blob[KEYS_PUBBLOB_LEN];
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	keys_pubblob(blob, pk);
	crypto_hash_sha256(h, blob, sizeof(blob));
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, KEYS_FINGERPRINT_MAX, "SHA256:%s", b64);
}
