/*
 * sshsig.c — the SSHSIG format of OpenSSH's PROTOCOL.sshsig, Ed25519 only.
 *
 *   blob   = "SSHSIG" u32(1) string(pubkey) string(ns) string("")
 *            string(hashalg) string(string("ssh-ed25519") string(sig))
 *   signed = "SSHSIG" string(ns) string("") string(hashalg) string(H(msg))
 *
 * Ed25519 signs `signed` directly (not prehashed). The output is byte-equal
 * to `ssh-keygen -Y sign -n NS` with the same key (tests/test_keys.c).
 */
#include "keys_int.h"

#include <sodium.h>
#include <string.h>

#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define ARMOR_COLS 70

/* secret.c exposes the raw key to this file only */
const unsigned char *keys_secret_raw(const keys_secret *sk);

static int hash_msg(unsigned char *h, size_t *hlen, const char *alg,
                    const void *msg, size_t msglen)
{
	if (strcmp(alg, "sha512") == 0) {
		crypto_hash_sha512(h, msg, msglen);
		*hlen = crypto_hash_sha512_BYTES;
		return 0;
	}
	if (strcmp(alg, "sha256") == 0) {
		crypto_hash_sha256(h, msg, msglen);
		*hlen = crypto_hash_sha256_BYTES;
		return 0;
	}
	return KEYS_EFORMAT;
}

static size_t signed_data(unsigned char *out, size_t cap, const char *ns,
                          const char *alg, const unsigned char *h, size_t hlen)
{
	keys_buf b = { out, 0, cap, 0 };

	kb_put(&b, MAGIC, MAGIC_LEN);
	kb_cstring(&b, ns);
	kb_string(&b, "", 0);
	kb_cstring(&b, alg);
	kb_string(&b, h, hlen);
	return b.overflow ? 0 : b.len;
}

static int ns_ok(const char *ns)
{
	size_t n = ns ? strlen(ns) : 0;
	return n > 0 && n <= KEYS_NAMESPACE_MAX;
}

int keys_sshsig_sign(unsigned char *out, size_t outcap, size_t *outlen,
                     const keys_secret *sk, const char *ns, const void *msg,
                     size_t msglen)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	unsigned char tbs[MAGIC_LEN + 4 + KEYS_NAMESPACE_MAX + 4 + 4 + 6 + 4 +
	                  crypto_hash_sha512_BYTES];
	unsigned char sig[KEYS_SIGBYTES], inner[4 + 11 + 4 + KEYS_SIGBYTES];
	unsigned char pubblob[KEYS_PUBBLOB_LEN];
	keys_buf ib = { inner, 0, sizeof(inner), 0 };
	keys_buf b = { out, 0, outcap, 0 };
	size_t hlen, tlen;

	if (!ns_ok(ns) || sk == NULL)
		return KEYS_EINVAL;
	hash_msg(h, &hlen, "sha512", msg, msglen);
	tlen = signed_data(tbs, sizeof(tbs), ns, "sha512", h, hlen);
	if (tlen == 0)
		return KEYS_EINVAL;
	crypto_sign_detached(sig, NULL, tbs, tlen, keys_secret_raw(sk));

	kb_cstring(&ib, KEYS_SSH_ED25519);
	kb_string(&ib, sig, sizeof(sig));
	keys_pubblob(pubblob, keys_secret_public(sk));

	kb_put(&b, MAGIC, MAGIC_LEN);
	kb_u32(&b, 1);
	kb_string(&b, pubblob, sizeof(pubblob));
	kb_cstring(&b, ns);
	kb_string(&b, "", 0);
	kb_cstring(&b, "sha512");
	kb_string(&b, inner, ib.len);
	sodium_memzero(tbs, sizeof(tbs));
	if (b.overflow)
		return KEYS_EINVAL;
	*outlen = b.len;
	return 0;
}

int keys_sshsig_verify(keys_public *signer, const unsigned char *blob,
                       size_t bloblen, const char *ns, const void *msg,
                       size_t msglen)
{
	keys_rd r = { blob, bloblen, 0 }, ir;
	const unsigned char *magic, *pub, *nsp, *res, *alg, *inner, *sig;
	size_t publen, nslen, reslen, alglen, innerlen, siglen, hlen, tlen;
	unsigned char h[crypto_hash_sha512_BYTES];
	unsigned char tbs[MAGIC_LEN + 4 + KEYS_NAMESPACE_MAX + 4 + 4 + 6 + 4 +
	                  crypto_hash_sha512_BYTES];
	char algz[8];
	keys_public pk;
	uint32_t version;

	if (!ns_ok(ns) || blob == NULL)
		return KEYS_EINVAL;
	if (kr_bytes(&r, &magic, MAGIC_LEN) != 0 ||
	    memcmp(magic, MAGIC, MAGIC_LEN) != 0 ||
	    kr_u32(&r, &version) != 0 || version != 1 ||
	    kr_string(&r, &pub, &publen, 1024) != 0 ||
	    kr_string(&r, &nsp, &nslen, KEYS_NAMESPACE_MAX) != 0 ||
	    kr_string(&r, &res, &reslen, 1024) != 0 ||
	    kr_string(&r, &alg, &alglen, sizeof(algz) - 1) != 0 ||
	    kr_string(&r, &inner, &innerlen, 1024) != 0 || r.off != r.len)
		return KEYS_EFORMAT;
	(void)res;
	if (reslen != 0) /* ssh-keygen writes it empty; nothing else is defined */
		return KEYS_EFORMAT;
	if (keys_pubblob_parse(&pk, pub, publen) != 0)
		return KEYS_EFORMAT;
	if (nslen != strlen(ns) || memcmp(nsp, ns, nslen) != 0)
		return KEYS_EBADSIG; /* signed for another purpose */
	if (memchr(alg, '\0', alglen) != NULL)
		return KEYS_EFORMAT; /* "sha512\0" would be a second encoding */
	memcpy(algz, alg, alglen);
	algz[alglen] = '\0';
	if (hash_msg(h, &hlen, algz, msg, msglen) != 0)
		return KEYS_EFORMAT;
	ir = (keys_rd){ inner, innerlen, 0 };
	if (kr_string_eq(&ir, KEYS_SSH_ED25519) != 0 ||
	    kr_string(&ir, &sig, &siglen, KEYS_SIGBYTES) != 0 ||
	    siglen != KEYS_SIGBYTES || ir.off != ir.len)
		return KEYS_EFORMAT;
	tlen = signed_data(tbs, sizeof(tbs), ns, algz, h, hlen);
	if (tlen == 0)
		return KEYS_EFORMAT;
	if (crypto_sign_verify_detached(sig, tbs, tlen, pk.pk) != 0)
		return KEYS_EBADSIG;
	if (signer != NULL)
		*signer = pk;
	return 0;
}

int keys_sshsig_armor(char *out, size_t outcap, const unsigned char *sig,
                      size_t siglen)
{
	char b64[1024];
	size_t n, i, o = 0;
	int w;

	if (siglen > KEYS_SSHSIG_MAX ||
	    keys_b64_encode(b64, sizeof(b64), sig, siglen) != 0)
		return KEYS_EINVAL;
	n = strlen(b64);
	w = snprintf(out, outcap, "%s\n", ARMOR_BEGIN);
	if (w < 0 || (size_t)w >= outcap)
		return KEYS_EINVAL;
	o = (size_t)w;
	for (i = 0; i < n; i += ARMOR_COLS) {
		size_t chunk = n - i < ARMOR_COLS ? n - i : ARMOR_COLS;
		if (o + chunk + 1 >= outcap)
			return KEYS_EINVAL;
		memcpy(out + o, b64 + i, chunk);
		o += chunk;
		out[o++] = '\n';
	}
	w = snprintf(out + o, outcap - o, "%s", ARMOR_END);
	if (w < 0 || (size_t)w >= outcap - o)
		return KEYS_EINVAL;
	return (int)(o + (size_t)w);
}

int keys_sshsig_dearmor(unsigned char *out, size_t outcap, size_t *outlen,
                        const char *armor, size_t armorlen)
{
	size_t blen = strlen(ARMOR_BEGIN), elen = strlen(ARMOR_END), i;
	const char *body, *stop = NULL, *last = NULL;

	/* BEGIN, a line break, the body, END at the start of a line */
	if (armorlen < blen + 1 + elen || memcmp(armor, ARMOR_BEGIN, blen) != 0)
		return KEYS_EFORMAT;
	i = blen;
	if (armor[i] == '\r')
		i++;
	if (i >= armorlen || armor[i] != '\n')
		return KEYS_EFORMAT;
	body = armor + i + 1;
	for (i = (size_t)(body - armor); i + elen <= armorlen; i++)
		if (armor[i - 1] == '\n' && memcmp(armor + i, ARMOR_END, elen) == 0) {
			stop = armor + i;
			break;
		}
	if (stop == NULL)
		return KEYS_EFORMAT;
	/* only line ends may follow it */
	for (i = (size_t)(stop - armor) + elen; i < armorlen; i++)
		if (armor[i] != '\n' && armor[i] != '\r')
			return KEYS_EFORMAT;
	if (sodium_base642bin(out, outcap, body, (size_t)(stop - body),
	                      " \t\r\n", outlen, &last,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    last != stop)
		return KEYS_EFORMAT;
	return 0;
}
