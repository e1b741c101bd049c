/*
 * signature.c — SSH-signed commits that stock git verifies.
 *
 * The signed bytes are exactly git_commit_create_buffer()'s output; the
 * armored SSHSIG goes, without its final newline, into the gpgsig header
 * (git removes that header and its continuation lines to rebuild the same
 * bytes). See ../shared/notes for the byte layout this was checked against.
 */
#include "store_int.h"

#include <string.h>

int store_commit_create_signed(git_repository *repo, const keys_secret *sk,
                               const git_signature *who, const char *message,
                               const git_tree *tree, const git_commit *parent,
                               git_oid *out)
{
	git_buf buf = GIT_BUF_INIT;
	unsigned char sig[KEYS_SSHSIG_MAX];
	char armor[1024];
	const git_commit *parents[1] = { parent };
	size_t siglen;
	int rc, n;

	if (git_commit_create_buffer(&buf, repo, who, who, NULL, message, tree,
	                             parent ? 1 : 0, parents) != 0)
		return store_giterr("cannot build commit");
	rc = keys_sshsig_sign(sig, sizeof(sig), &siglen, sk, STORE_SIG_NS_GIT,
	                      buf.ptr, buf.size);
	if (rc != 0) {
		store_seterr("cannot sign commit: %s", keys_strerror(rc));
		rc = STORE_EKEY;
		goto cleanup;
	}
	n = keys_sshsig_armor(armor, sizeof(armor), sig, siglen);
	if (n < 0) {
		store_seterr("cannot armor signature");
		rc = STORE_EKEY;
		goto cleanup;
	}
	if (git_commit_create_with_signature(out, repo, buf.ptr, armor,
	                                     "gpgsig") != 0) {
		rc = store_giterr("cannot write signed commit");
		goto cleanup;
	}
	rc = 0;
cleanup:
	git_buf_dispose(&buf);
	return rc;
}

int store_commit_signer(git_repository *repo, const git_oid *id,
                        keys_public *signer, char *why, size_t whylen)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	unsigned char raw[KEYS_SSHSIG_MAX];
	size_t rawlen;
	int rc;

	rc = git_commit_extract_signature(&sig, &data, repo, (git_oid *)id,
	                                  NULL);
	if (rc == GIT_ENOTFOUND) {
		snprintf(why, whylen, "commit is not signed");
		return STORE_EREJECT;
	}
	if (rc != 0) {
		const git_error *e = git_error_last();
		snprintf(why, whylen, "cannot read commit signature: %s",
		         e && e->message ? e->message : "unknown libgit2 error");
		return STORE_ECORRUPT;
	}
	rc = keys_sshsig_dearmor(raw, sizeof(raw), &rawlen, sig.ptr, sig.size);
	if (rc != 0) {
		snprintf(why, whylen, "commit signature is not an SSH signature");
		rc = STORE_EREJECT;
		goto cleanup;
	}
	rc = keys_sshsig_verify(signer, raw, rawlen, STORE_SIG_NS_GIT, data.ptr,
	                        data.size);
	if (rc != 0) {
		snprintf(why, whylen, "%s",
		         rc == KEYS_EBADSIG
		                 ? "commit signature does not verify (forged or "
		                   "altered commit)"
		                 : "commit signature is malformed");
		rc = STORE_EREJECT;
		goto cleanup;
	}
	rc = 0;
cleanup:
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return rc;
}
