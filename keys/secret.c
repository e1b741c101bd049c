/*
 * secret.c — Ed25519 secret keys in OpenSSH's private key format
 * (PROTOCOL.key, "openssh-key-v1", unencrypted), so ssh-keygen and git can
 * use a node's key as well.
 *
 * Everything secret lives in sodium_malloc memory (guard pages, mlock'd,
 * wiped by sodium_free): the key itself, the file contents and the decoded
 * key blob.
 */
#define _GNU_SOURCE
#include "keys_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_MAGIC "openssh-key-v1" /* followed by its NUL */
#define AUTH_MAGIC_LEN 15
#define ARMOR_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define ARMOR_END "-----END OPENSSH PRIVATE KEY-----\n"
#define ARMOR_COLS 70
#define COMMENT_MAX 128
/* The longest file we could have written: the blob is at most ~320 bytes
 * with a 128-byte comment; base64 with 70-column lines and armor stays far
 * below this. Anything longer is not one of our keys. */
#define FILE_MAX 1024

struct keys_secret {
	unsigned char sk[crypto_sign_SECRETKEYBYTES]; /* seed ‖ pk */
	keys_public pub;
};

const unsigned char *keys_secret_raw(const keys_secret *sk);
const unsigned char *keys_secret_raw(const keys_secret *sk)
{
	return sk->sk;
}

static keys_secret *secret_alloc(void)
{
	keys_secret *k = sodium_malloc(sizeof(*k));

	if (k != NULL)
		memset(k, 0, sizeof(*k));
	return k;
}

void keys_secret_free(keys_secret *sk)
{
	if (sk != NULL)
		sodium_free(sk); /* wipes */
}

const keys_public *keys_secret_public(const keys_secret *sk)
{
	return &sk->pub;
}

int keys_secret_generate(keys_secret **out)
{
	keys_secret *k = secret_alloc();

	if (k == NULL)
		return KEYS_ENOMEM;
	crypto_sign_keypair(k->pub.pk, k->sk);
	*out = k;
	return 0;
}

/* Reads at most FILE_MAX+1 bytes into sodium memory. */
static int read_secret_file(unsigned char **out, size_t *outlen,
                            const char *path, char *why, size_t whylen)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		keys_why(why, whylen, "cannot open key file '%s': %s", path,
		         strerror(errno));
		return KEYS_EIO;
	}
	if (fstat(fd, &st) != 0) {
		keys_why(why, whylen, "cannot stat key file '%s': %s", path,
		         strerror(errno));
		rc = KEYS_EIO;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		keys_why(why, whylen, "key file '%s' is not a regular file", path);
		rc = KEYS_EFORMAT;
		goto cleanup;
	}
	if ((st.st_mode & 077) != 0) {
		keys_why(why, whylen,
		         "key file '%s' is accessible by others (mode %04o); "
		         "run: chmod 600 '%s'",
		         path, (unsigned)(st.st_mode & 07777), path);
		rc = KEYS_EPERM;
		goto cleanup;
	}
	if (st.st_size > FILE_MAX || st.st_size == 0) {
		keys_why(why, whylen,
		         "key file '%s' has the wrong length (%lld bytes) for an "
		         "ed25519 key", path, (long long)st.st_size);
		rc = KEYS_EFORMAT;
		goto cleanup;
	}
	buf = sodium_malloc(FILE_MAX + 1);
	if (buf == NULL) {
		rc = KEYS_ENOMEM;
		goto cleanup;
	}
	while (len < FILE_MAX + 1) {
		ssize_t n = read(fd, buf + len, FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			keys_why(why, whylen, "cannot read key file '%s': %s",
			         path, strerror(errno));
			rc = KEYS_EIO;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FILE_MAX) {
		keys_why(why, whylen, "key file '%s' is too long", path);
		rc = KEYS_EFORMAT;
		goto cleanup;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
cleanup:
	if (buf != NULL)
		sodium_free(buf);
	close(fd);
	return rc;
}

static int parse_blob(keys_secret *k, const unsigned char *blob, size_t len)
{
	keys_rd r = { blob, len, 0 }, pr;
	const unsigned char *magic, *pub, *priv, *pk, *sk, *comment, *pad;
	size_t publen, privlen, pklen, sklen, commentlen;
	uint32_t nkeys, check1, check2;
	keys_public outer;
	unsigned char derived[crypto_sign_PUBLICKEYBYTES];
	unsigned char tmp_sk[crypto_sign_SECRETKEYBYTES];

	if (kr_bytes(&r, &magic, AUTH_MAGIC_LEN) != 0 ||
	    memcmp(magic, AUTH_MAGIC, AUTH_MAGIC_LEN) != 0)
		return KEYS_EFORMAT;
	if (kr_string_eq(&r, "none") != 0 || kr_string_eq(&r, "none") != 0 ||
	    kr_string_eq(&r, "") != 0)
		return KEYS_EFORMAT; /* encrypted keys are not supported */
	if (kr_u32(&r, &nkeys) != 0 || nkeys != 1)
		return KEYS_EFORMAT;
	if (kr_string(&r, &pub, &publen, 1024) != 0 ||
	    keys_pubblob_parse(&outer, pub, publen) != 0)
		return KEYS_EFORMAT;
	if (kr_string(&r, &priv, &privlen, 4096) != 0 || r.off != r.len)
		return KEYS_EFORMAT;
	if (privlen % 8 != 0)
		return KEYS_EFORMAT;
	pr = (keys_rd){ priv, privlen, 0 };
	if (kr_u32(&pr, &check1) != 0 || kr_u32(&pr, &check2) != 0 ||
	    check1 != check2)
		return KEYS_EFORMAT;
	if (kr_string_eq(&pr, KEYS_SSH_ED25519) != 0 ||
	    kr_string(&pr, &pk, &pklen, 64) != 0 ||
	    pklen != crypto_sign_PUBLICKEYBYTES ||
	    kr_string(&pr, &sk, &sklen, 128) != 0 ||
	    sklen != crypto_sign_SECRETKEYBYTES ||
	    kr_string(&pr, &comment, &commentlen, COMMENT_MAX) != 0)
		return KEYS_EFORMAT;
	(void)comment;
	/* padding is 1, 2, 3, ... up to the block size */
	for (size_t i = 0; pr.off < pr.len; i++) {
		if (kr_bytes(&pr, &pad, 1) != 0 || *pad != (unsigned char)(i + 1) ||
		    i >= 8)
			return KEYS_EFORMAT;
	}
	if (memcmp(pk, outer.pk, crypto_sign_PUBLICKEYBYTES) != 0 ||
	    memcmp(sk + 32, pk, crypto_sign_PUBLICKEYBYTES) != 0)
		return KEYS_EFORMAT;
	/* the public half must follow from the seed */
	crypto_sign_seed_keypair(derived, tmp_sk, sk);
	sodium_memzero(tmp_sk, sizeof(tmp_sk));
	if (memcmp(derived, pk, crypto_sign_PUBLICKEYBYTES) != 0)
		return KEYS_EFORMAT;
	memcpy(k->sk, sk, crypto_sign_SECRETKEYBYTES);
	memcpy(k->pub.pk, pk, crypto_sign_PUBLICKEYBYTES);
	return 0;
}

int keys_secret_load(keys_secret **out, const char *path, char *why,
                     size_t whylen)
{
	unsigned char *file = NULL, *blob = NULL;
	size_t filelen = 0, bloblen = 0, blen = strlen(ARMOR_BEGIN),
	       elen = strlen(ARMOR_END);
	const char *last = NULL;
	keys_secret *k = NULL;
	int rc;

	rc = read_secret_file(&file, &filelen, path, why, whylen);
	if (rc != 0)
		return rc;
	rc = KEYS_EFORMAT;
	/* accept a missing final newline, nothing else */
	if (filelen > 0 && file[filelen - 1] != '\n' && filelen + 1 <= FILE_MAX)
		file[filelen++] = '\n';
	if (filelen < blen + elen || memcmp(file, ARMOR_BEGIN, blen) != 0 ||
	    memcmp(file + filelen - elen, ARMOR_END, elen) != 0) {
		keys_why(why, whylen,
		         "key file '%s' is not an OpenSSH private key "
		         "(truncated or wrong length?)", path);
		goto cleanup;
	}
	blob = sodium_malloc(FILE_MAX);
	if (blob == NULL) {
		rc = KEYS_ENOMEM;
		goto cleanup;
	}
	if (sodium_base642bin(blob, FILE_MAX, (const char *)file + blen,
	                      filelen - blen - elen, "\r\n", &bloblen, &last,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    last != (const char *)file + filelen - elen) {
		keys_why(why, whylen,
		         "key file '%s' has a damaged body (bad base64)", path);
		goto cleanup;
	}
	k = secret_alloc();
	if (k == NULL) {
		rc = KEYS_ENOMEM;
		goto cleanup;
	}
	if (parse_blob(k, blob, bloblen) != 0) {
		keys_why(why, whylen,
		         "key file '%s' is not one unencrypted ed25519 key of the "
		         "right length (govfed writes keys with 'govfed init')",
		         path);
		goto cleanup;
	}
	*out = k;
	k = NULL;
	rc = 0;
cleanup:
	keys_secret_free(k);
	if (blob != NULL)
		sodium_free(blob);
	sodium_free(file);
	return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int keys_secret_save(const keys_secret *sk, const char *path,
                     const char *comment, int force, char *why, size_t whylen)
{
	unsigned char *blob = NULL, *priv = NULL;
	char *text = NULL, tmp[4096];
	unsigned char pubblob[KEYS_PUBBLOB_LEN];
	keys_buf pb, b;
	uint32_t check;
	size_t clen = comment ? strlen(comment) : 0, o = 0, b64len, i;
	char *b64 = NULL;
	int fd = -1, rc = KEYS_EIO;
	const char *target = path;

	if (clen > COMMENT_MAX)
		return KEYS_EINVAL;
	blob = sodium_malloc(FILE_MAX);
	priv = sodium_malloc(FILE_MAX);
	b64 = sodium_malloc(2 * FILE_MAX);
	text = sodium_malloc(3 * FILE_MAX);
	if (!blob || !priv || !b64 || !text) {
		rc = KEYS_ENOMEM;
		goto cleanup;
	}
	randombytes_buf(&check, sizeof(check));
	pb = (keys_buf){ priv, 0, FILE_MAX, 0 };
	kb_u32(&pb, check);
	kb_u32(&pb, check);
	kb_cstring(&pb, KEYS_SSH_ED25519);
	kb_string(&pb, sk->pub.pk, KEYS_PUBLICKEYBYTES);
	kb_string(&pb, sk->sk, crypto_sign_SECRETKEYBYTES);
	kb_string(&pb, comment ? comment : "", clen);
	for (unsigned char pad = 1; pb.len % 8 != 0; pad++)
		kb_put(&pb, &pad, 1);

	keys_pubblob(pubblob, &sk->pub);
	b = (keys_buf){ blob, 0, FILE_MAX, 0 };
	kb_put(&b, AUTH_MAGIC, AUTH_MAGIC_LEN);
	kb_cstring(&b, "none");
	kb_cstring(&b, "none");
	kb_string(&b, "", 0);
	kb_u32(&b, 1);
	kb_string(&b, pubblob, sizeof(pubblob));
	kb_string(&b, priv, pb.len);
	if (b.overflow || pb.overflow) {
		rc = KEYS_EINVAL;
		goto cleanup;
	}
	sodium_bin2base64(b64, 2 * FILE_MAX, blob, b.len,
	                  sodium_base64_VARIANT_ORIGINAL);
	b64len = strlen(b64);
	memcpy(text + o, ARMOR_BEGIN, strlen(ARMOR_BEGIN));
	o += strlen(ARMOR_BEGIN);
	for (i = 0; i < b64len; i += ARMOR_COLS) {
		size_t chunk = b64len - i < ARMOR_COLS ? b64len - i : ARMOR_COLS;
		memcpy(text + o, b64 + i, chunk);
		o += chunk;
		text[o++] = '\n';
	}
	memcpy(text + o, ARMOR_END, strlen(ARMOR_END));
	o += strlen(ARMOR_END);

	if (force) {
		int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			rc = KEYS_EINVAL;
			goto cleanup;
		}
		unlink(tmp);
		target = tmp;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			keys_why(why, whylen,
			         "'%s' exists; refusing to overwrite a key "
			         "(use --force to replace it)", path);
			rc = KEYS_EEXIST;
		} else {
			keys_why(why, whylen, "cannot create key file '%s': %s",
			         target, strerror(errno));
		}
		goto cleanup;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, o) != 0 ||
	    fsync(fd) != 0) {
		keys_why(why, whylen, "cannot write key file '%s': %s", target,
		         strerror(errno));
		close(fd);
		unlink(target);
		goto cleanup;
	}
	close(fd);
	if (force && rename(tmp, path) != 0) {
		keys_why(why, whylen, "cannot replace key file '%s': %s", path,
		         strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (blob)
		sodium_free(blob);
	if (priv)
		sodium_free(priv);
	if (b64)
		sodium_free(b64);
	if (text)
		sodium_free(text);
	return rc;
}
