/*
 * test_keys.c — cmocka tests for keys/: OpenSSH key files, SSHSIG
 * signatures, public key lines, time stamps and the trust chain.
 *
 * Every test that touches the file system runs in its own mkdtemp directory
 * under /tmp, removed by its teardown. Interop tests run the real
 * /usr/bin/ssh-keygen (skipped when it is absent). The golden vectors below
 * were produced once by an independent implementation (Python's
 * `cryptography` wrote the key for seed 00 01 .. 1f, ssh-keygen 9.2 rewrote
 * it, printed its public line and fingerprint and signed the message).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keys.h"

extern char **environ;

#ifndef SSH_KEYGEN
#define SSH_KEYGEN "/usr/bin/ssh-keygen"
#endif

/* ======================================================================
 * Golden vectors (seed = bytes 0..31)
 * ====================================================================== */

/* Written by ssh-keygen (`ssh-keygen -p` then `-c -C golden@govfed`). */
static const char GOLDEN_KEY_FILE[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACADoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuAAAAJALHq1eCx6t\n"
	"XgAAAAtzc2gtZWQyNTUxOQAAACADoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA\n"
	"AAAEAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHwOhB7/zzhC+HXDdGOdLwJln\n"
	"5NYwm6UNXx3chmQSVTG4AAAADWdvbGRlbkBnb3ZmZWQ=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";

/* The raw public key for seed 0..31 (RFC 8032 key derivation). */
static const char GOLDEN_PK_HEX[] =
	"03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";

/* `ssh-keygen -y -f golden.key` without its comment */
static const char GOLDEN_PUB[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3"
	"chmQSVTG4";
/* `ssh-keygen -l -f golden.key` */
static const char GOLDEN_FP[] = "SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg";

static const char GOLDEN_MSG[] = "govfed golden message\n";

/* `ssh-keygen -Y sign -n git -f golden.key msg` (without the final \n) */
static const char GOLDEN_SIG_SHA512[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgA6EHv/POEL4dcN0Y50vAmWfk1j\n"
	"CbpQ1fHdyGZBJVMbgAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5\n"
	"AAAAQEs173bQOtty0o1afTcQeuGqXcqqHUUYmkBnhhL7HwfUVjP6V4x8Jis+xnLr+T2qZU\n"
	"6VGr4oE6EUhr07E/Opcgw=\n"
	"-----END SSH SIGNATURE-----";

/* `ssh-keygen -Y sign -n git -O hashalg=sha256 -f golden.key msg` */
static const char GOLDEN_SIG_SHA256[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgA6EHv/POEL4dcN0Y50vAmWfk1j\n"
	"CbpQ1fHdyGZBJVMbgAAAADZ2l0AAAAAAAAAAZzaGEyNTYAAABTAAAAC3NzaC1lZDI1NTE5\n"
	"AAAAQHzPuvtwARhzc1XXTP4kgzvWI36bI2EvhbrhuyfWDJDJIkoUBv0JhrphMUdMTae8kf\n"
	"STyETkPPciHHw/K7hZ2gc=\n"
	"-----END SSH SIGNATURE-----\n"; /* as in the .sig file */

/* ======================================================================
 * Helpers: temporary directories, files, subprocesses, SSH wire encoding
 * ====================================================================== */

typedef struct tmpdir {
	char dir[64];
} tmpdir;

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int tmp_setup(void **state)
{
	tmpdir *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_keys.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	tmpdir *t = *state;
	int rc = nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc;
}

/* <dir>/<name> into a static-size buffer owned by the caller */
#define PATH_BUF 256
static void tpath(char out[PATH_BUF], void **state, const char *name)
{
	const tmpdir *t = *state;
	int n = snprintf(out, PATH_BUF, "%s/%s", t->dir, name);

	assert_true(n > 0 && n < PATH_BUF);
}

static void write_file(const char *path, const void *data, size_t len,
                       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Whole file, NUL-terminated; caller frees. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static int have_ssh_keygen(void)
{
	return access(SSH_KEYGEN, X_OK) == 0;
}

/* Runs ssh-keygen with the given arguments (NULL-terminated), stdin from
 * `in` (or /dev/null), stdout to `out` (or /dev/null), stderr to
 * <dir>/ssh.err. Returns the exit status, -1 if it did not exit. */
static int sshkeygen(void **state, const char *in, const char *out, ...)
{
	char *argv[32], err[PATH_BUF];
	posix_spawn_file_actions_t fa;
	va_list ap;
	pid_t pid;
	int n = 0, st, rc;

	argv[n++] = (char *)SSH_KEYGEN;
	va_start(ap, out);
	for (;;) {
		char *a = va_arg(ap, char *);
		assert_true(n < 31);
		argv[n++] = a;
		if (a == NULL)
			break;
	}
	va_end(ap);
	tpath(err, state, "ssh.err");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
	                                 O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err,
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&pid, SSH_KEYGEN, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(rc, 0);
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Fails the test with ssh-keygen's stderr when it did not exit 0. */
static void ssh_ok(void **state, int status)
{
	char err[PATH_BUF], *text;

	if (status == 0)
		return;
	tpath(err, state, "ssh.err");
	text = read_file(err, NULL);
	print_error("ssh-keygen stderr: %s\n", text);
	free(text);
	fail_msg("ssh-keygen exited with %d", status);
}

/* A tiny SSH wire writer for hand-built key files and signatures. */
typedef struct wbuf {
	unsigned char b[4096];
	size_t n;
} wbuf;

static void w_put(wbuf *w, const void *d, size_t n)
{
	assert_true(n <= sizeof(w->b) - w->n);
	if (n > 0)
		memcpy(w->b + w->n, d, n);
	w->n += n;
}

static void w_u32(wbuf *w, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                       (unsigned char)(v >> 8), (unsigned char)v };
	w_put(w, x, 4);
}

static void w_str(wbuf *w, const void *d, size_t n)
{
	w_u32(w, (uint32_t)n);
	w_put(w, d, n);
}

static void w_cstr(wbuf *w, const char *s)
{
	w_str(w, s, strlen(s));
}

/* A minimal reader, to take our own SSHSIG blobs apart. */
typedef struct rbuf {
	const unsigned char *p;
	size_t n, off;
} rbuf;

static uint32_t r_u32(rbuf *r)
{
	const unsigned char *x;

	assert_true(r->n - r->off >= 4);
	x = r->p + r->off;
	r->off += 4;
	return ((uint32_t)x[0] << 24) | ((uint32_t)x[1] << 16) |
	       ((uint32_t)x[2] << 8) | x[3];
}

static size_t r_str(rbuf *r, unsigned char *out, size_t cap)
{
	size_t n = r_u32(r);

	assert_true(n <= r->n - r->off && n <= cap);
	memcpy(out, r->p + r->off, n);
	r->off += n;
	return n;
}

static void hex2bin(unsigned char *out, size_t n, const char *hex)
{
	size_t len = 0;

	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &len,
	                                NULL), 0);
	assert_int_equal(len, n);
}

/* Armor text as ssh-keygen writes files: 70 columns, with final newline. */
static size_t armor70(char *out, size_t cap, const char *begin,
                      const char *end, const unsigned char *bin, size_t len)
{
	char b64[4096];
	size_t o = 0, n;

	assert_int_equal(keys_b64_encode(b64, sizeof(b64), bin, len), 0);
	n = strlen(b64);
	o += (size_t)snprintf(out + o, cap - o, "%s\n", begin);
	for (size_t i = 0; i < n; i += 70)
		o += (size_t)snprintf(out + o, cap - o, "%.70s\n", b64 + i);
	o += (size_t)snprintf(out + o, cap - o, "%s\n", end);
	assert_true(o < cap);
	return o;
}

/* ---- hand-built openssh-key-v1 files (PROTOCOL.key) ------------------- */

enum pad_mode { PAD_OK, PAD_WRONG, PAD_LONG, PAD_NONE };

typedef struct keyspec {
	const char *cipher, *kdf, *kdfopts;
	uint32_t nkeys;
	const char *outer_type, *inner_type;
	int check_mismatch;
	int flip_outer_pk, flip_inner_pk, flip_sk_pk, flip_seed;
	size_t commentlen; /* a comment of this many 'c' */
	enum pad_mode pad;
	size_t trailing; /* zero bytes after the private section */
} keyspec;

static const keyspec KEYSPEC_OK = {
	.cipher = "none", .kdf = "none", .kdfopts = "", .nkeys = 1,
	.outer_type = "ssh-ed25519", .inner_type = "ssh-ed25519",
	.pad = PAD_OK,
};

/* Writes the file for the key with this seed (mode 0600); returns the pk. */
static void build_key_file(const char *path, const unsigned char seed[32],
                           const keyspec *ks, unsigned char pk_out[32])
{
	unsigned char pk[32], sk[64], outer_pk[32], inner_pk[32];
	char comment[512], text[8192];
	wbuf pub = { .n = 0 }, priv = { .n = 0 }, blob = { .n = 0 };
	size_t tl;

	assert_true(ks->commentlen < sizeof(comment));
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(outer_pk, pk, 32);
	memcpy(inner_pk, pk, 32);
	if (ks->flip_outer_pk)
		outer_pk[5] ^= 1;
	if (ks->flip_inner_pk)
		inner_pk[5] ^= 1;
	if (ks->flip_sk_pk)
		sk[32 + 5] ^= 1;
	if (ks->flip_seed)
		sk[5] ^= 1;
	memset(comment, 'c', ks->commentlen);

	w_cstr(&pub, ks->outer_type);
	w_str(&pub, outer_pk, 32);

	w_u32(&priv, 0x11223344);
	w_u32(&priv, ks->check_mismatch ? 0x11223345 : 0x11223344);
	w_cstr(&priv, ks->inner_type);
	w_str(&priv, inner_pk, 32);
	w_str(&priv, sk, 64);
	w_str(&priv, comment, ks->commentlen);
	switch (ks->pad) {
	case PAD_OK:
		for (unsigned char p = 1; priv.n % 8 != 0; p++)
			w_put(&priv, &p, 1);
		break;
	case PAD_WRONG:
		for (unsigned char p = 1; priv.n % 8 != 0; p++) {
			unsigned char q = (unsigned char)(p == 1 ? 0 : p);
			w_put(&priv, &q, 1);
		}
		break;
	case PAD_LONG: /* one whole extra block of padding: 9 or more bytes */
		for (unsigned char p = 1; priv.n % 8 != 0 || p <= 8; p++)
			w_put(&priv, &p, 1);
		break;
	case PAD_NONE:
		break;
	}

	w_put(&blob, "openssh-key-v1", 15); /* with its NUL */
	w_cstr(&blob, ks->cipher);
	w_cstr(&blob, ks->kdf);
	w_cstr(&blob, ks->kdfopts);
	w_u32(&blob, ks->nkeys);
	for (uint32_t i = 0; i < ks->nkeys && i < 4; i++)
		w_str(&blob, pub.b, pub.n);
	w_str(&blob, priv.b, priv.n);
	for (size_t i = 0; i < ks->trailing; i++)
		w_put(&blob, "", 1);

	tl = armor70(text, sizeof(text), "-----BEGIN OPENSSH PRIVATE KEY-----",
	             "-----END OPENSSH PRIVATE KEY-----", blob.b, blob.n);
	write_file(path, text, tl, 0600);
	sodium_memzero(sk, sizeof(sk));
	if (pk_out != NULL)
		memcpy(pk_out, pk, 32);
}

/* Saves a fresh key at <dir>/<name>; returns it (caller frees). */
static keys_secret *new_saved_key(void **state, const char *name,
                                  const char *comment, char path[PATH_BUF])
{
	keys_secret *sk = NULL;
	char why[256] = "";

	tpath(path, state, name);
	assert_int_equal(keys_secret_generate(&sk), 0);
	if (keys_secret_save(sk, path, comment, 0, why, sizeof(why)) != 0)
		fail_msg("save failed: %s", why);
	return sk;
}

static int load_rc(const char *path)
{
	keys_secret *sk = NULL;
	char why[256] = "";
	int rc = keys_secret_load(&sk, path, why, sizeof(why));

	keys_secret_free(sk);
	if (rc != 0)
		assert_true(why[0] != '\0'); /* every refusal says why */
	return rc;
}

#define assert_why(why, sub)                                               \
	do {                                                               \
		if (strstr((why), (sub)) == NULL)                          \
			fail_msg("reason '%s' lacks '%s'", (why), (sub));  \
	} while (0)

/* ======================================================================
 * 1. Secret keys: the file format, permissions and refusal of bad files
 * ====================================================================== */

/* generate -> save -> load gives the same key; the file is exactly 0600
 * whatever the umask, and it starts with the OpenSSH armor */
static void test_secret_roundtrip(void **state)
{
	char path[PATH_BUF], path2[PATH_BUF], why[256] = "";
	keys_secret *a, *b = NULL, *c = NULL;
	mode_t old;
	char *text;

	a = new_saved_key(state, "node.key", "node@govfed", path);
	assert_int_equal(file_mode(path), 0600);
	text = read_file(path, NULL);
	assert_true(strncmp(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36)
	            == 0);
	free(text);
	assert_int_equal(keys_secret_load(&b, path, why, sizeof(why)), 0);
	assert_non_null(b);
	assert_true(keys_public_equal(keys_secret_public(a),
	                              keys_secret_public(b)));

	/* umask 0: still not group/other readable; umask 0777: still usable */
	tpath(path2, state, "umask.key");
	old = umask(0);
	assert_int_equal(keys_secret_save(a, path2, NULL, 0, NULL, 0), 0);
	umask(old);
	assert_int_equal(file_mode(path2), 0600);
	assert_int_equal(unlink(path2), 0);
	old = umask(0777);
	assert_int_equal(keys_secret_save(a, path2, NULL, 0, NULL, 0), 0);
	umask(old);
	assert_int_equal(file_mode(path2), 0600);
	assert_int_equal(keys_secret_load(&c, path2, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(a),
	                              keys_secret_public(c)));

	keys_secret_free(a);
	keys_secret_free(b);
	keys_secret_free(c);
}

static void test_secret_generate_distinct(void **state)
{
	keys_secret *a, *b;

	(void)state;
	assert_int_equal(keys_secret_generate(&a), 0);
	assert_int_equal(keys_secret_generate(&b), 0);
	assert_false(keys_public_equal(keys_secret_public(a),
	                               keys_secret_public(b)));
	keys_secret_free(a);
	keys_secret_free(b);
	keys_secret_free(NULL); /* allowed */
}

/* without force an existing file is never touched */
static void test_secret_save_no_force(void **state)
{
	char path[PATH_BUF], why[256] = "";
	keys_secret *a, *b, *c = NULL;
	char *before, *after;
	size_t blen, alen;

	a = new_saved_key(state, "node.key", "a", path);
	before = read_file(path, &blen);
	assert_int_equal(keys_secret_generate(&b), 0);
	assert_int_equal(keys_secret_save(b, path, "b", 0, why, sizeof(why)),
	                 KEYS_EEXIST);
	assert_why(why, "exists");
	after = read_file(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	assert_int_equal(keys_secret_load(&c, path, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(a),
	                              keys_secret_public(c)));

	/* a symlink in the way (even a dangling one) is not followed */
	{
		char link[PATH_BUF], target[PATH_BUF];
		tpath(link, state, "link.key");
		tpath(target, state, "nowhere.key");
		assert_int_equal(symlink(target, link), 0);
		assert_int_equal(keys_secret_save(b, link, NULL, 0, NULL, 0),
		                 KEYS_EEXIST);
		assert_int_equal(access(target, F_OK), -1);
	}
	free(before);
	free(after);
	keys_secret_free(a);
	keys_secret_free(b);
	keys_secret_free(c);
}

/* with force the file is replaced (and tightened to 0600); no temp left */
static void test_secret_save_force(void **state)
{
	char path[PATH_BUF], tmp[PATH_BUF];
	keys_secret *a, *b, *c = NULL;

	a = new_saved_key(state, "node.key", NULL, path);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(keys_secret_generate(&b), 0);
	assert_int_equal(keys_secret_save(b, path, "new", 1, NULL, 0), 0);
	assert_int_equal(file_mode(path), 0600);
	assert_int_equal(keys_secret_load(&c, path, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(b),
	                              keys_secret_public(c)));
	assert_false(keys_public_equal(keys_secret_public(a),
	                               keys_secret_public(c)));
	tpath(tmp, state, "node.key.tmp");
	assert_int_equal(access(tmp, F_OK), -1);
	/* force onto a path that does not exist yet also works */
	tpath(tmp, state, "fresh.key");
	assert_int_equal(keys_secret_save(b, tmp, NULL, 1, NULL, 0), 0);
	assert_int_equal(file_mode(tmp), 0600);
	keys_secret_free(a);
	keys_secret_free(b);
	keys_secret_free(c);
}

static void test_secret_save_errors(void **state)
{
	char path[PATH_BUF], why[256] = "", comment[200];
	keys_secret *a, *b = NULL;

	assert_int_equal(keys_secret_generate(&a), 0);
	tpath(path, state, "no/such/dir/node.key");
	assert_int_equal(keys_secret_save(a, path, NULL, 0, why, sizeof(why)),
	                 KEYS_EIO);
	assert_why(why, "cannot create");
	/* comment limit: 128 bytes fit, 129 do not */
	tpath(path, state, "c.key");
	memset(comment, 'x', sizeof(comment));
	comment[129] = '\0';
	assert_int_equal(keys_secret_save(a, path, comment, 0, NULL, 0),
	                 KEYS_EINVAL);
	assert_int_equal(access(path, F_OK), -1);
	comment[128] = '\0';
	assert_int_equal(keys_secret_save(a, path, comment, 0, NULL, 0), 0);
	assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(a),
	                              keys_secret_public(b)));
	keys_secret_free(a);
	keys_secret_free(b);
}

/* group/other access is refused with a hint, owner-only modes load */
static void test_secret_load_permissions(void **state)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0660, 0602, 0620,
		                      0610, 0601, 0666, 0700 | 0004 };
	static const mode_t good[] = { 0600, 0400, 0700 };
	char path[PATH_BUF], why[512];
	keys_secret *a, *b;

	a = new_saved_key(state, "node.key", NULL, path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = NULL;
		why[0] = '\0';
		assert_int_equal(chmod(path, bad[i]), 0);
		assert_int_equal(keys_secret_load(&b, path, why, sizeof(why)),
		                 KEYS_EPERM);
		assert_null(b);
		assert_why(why, "chmod 600");
		assert_why(why, path);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		b = NULL;
		assert_int_equal(chmod(path, good[i]), 0);
		assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
		assert_true(keys_public_equal(keys_secret_public(a),
		                              keys_secret_public(b)));
		keys_secret_free(b);
	}
	keys_secret_free(a);
}

/* every truncation but "without the final newline" is refused */
static void test_secret_load_truncated(void **state)
{
	char path[PATH_BUF], cut[PATH_BUF];
	keys_secret *a, *b = NULL;
	char *text;
	size_t len;

	a = new_saved_key(state, "node.key", "truncate me", path);
	text = read_file(path, &len);
	tpath(cut, state, "cut.key");
	for (size_t n = 1; n + 1 < len; n++) {
		write_file(cut, text, n, 0600);
		if (load_rc(cut) != KEYS_EFORMAT)
			fail_msg("file cut to %zu of %zu bytes not refused", n,
			         len);
	}
	/* the documented tolerance: a missing final newline */
	write_file(cut, text, len - 1, 0600);
	assert_int_equal(keys_secret_load(&b, cut, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(a),
	                              keys_secret_public(b)));
	/* ... but not a missing END line */
	write_file(cut, text, len - 35, 0600);
	assert_int_equal(load_rc(cut), KEYS_EFORMAT);
	free(text);
	keys_secret_free(a);
	keys_secret_free(b);
}

/* empty, random and non-regular files */
static void test_secret_load_garbage(void **state)
{
	char path[PATH_BUF], why[256] = "";
	unsigned char junk[64];
	uint32_t x = 0x9e3779b9u;
	keys_secret *b = NULL;

	tpath(path, state, "junk.key");
	write_file(path, "", 0, 0600);
	assert_int_equal(load_rc(path), KEYS_EFORMAT);
	for (int round = 0; round < 32; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			junk[i] = (unsigned char)x;
		}
		write_file(path, junk, sizeof(junk), 0600);
		assert_int_equal(load_rc(path), KEYS_EFORMAT);
	}
	/* a public key is not a private key */
	write_file(path, GOLDEN_PUB, strlen(GOLDEN_PUB), 0600);
	assert_int_equal(load_rc(path), KEYS_EFORMAT);
	/* a directory */
	tpath(path, state, "dir.key");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(keys_secret_load(&b, path, why, sizeof(why)),
	                 KEYS_EFORMAT);
	assert_why(why, "not a regular file");
	assert_null(b);
	/* a missing file */
	tpath(path, state, "missing.key");
	assert_int_equal(keys_secret_load(&b, path, why, sizeof(why)),
	                 KEYS_EIO);
	assert_null(b);
}

/* any one changed character of the base64 body is caught: a non-base64
 * character, or another base64 character (every byte of a comment-less
 * key is checked: magic, names, lengths, check ints, key halves, padding) */
static void test_secret_load_corrupt_base64(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char path[PATH_BUF], bad[PATH_BUF], why[256];
	keys_secret *a, *b = NULL;
	char *text;
	size_t len, body, end, tried = 0;

	a = new_saved_key(state, "node.key", NULL, path);
	text = read_file(path, &len);
	tpath(bad, state, "bad.key");
	body = strlen("-----BEGIN OPENSSH PRIVATE KEY-----\n");
	end = len - strlen("-----END OPENSSH PRIVATE KEY-----\n");
	for (size_t i = body; i < end; i++) {
		char orig = text[i];
		const char *pos = strchr(alphabet, orig);

		if (orig == '\n' || orig == '=')
			continue;
		assert_non_null(pos);
		text[i] = alphabet[(pos - alphabet + 1) % 64];
		write_file(bad, text, len, 0600);
		if (load_rc(bad) != KEYS_EFORMAT)
			fail_msg("body char %zu changed '%c'->'%c' not refused",
			         i, orig, text[i]);
		text[i] = '!';
		write_file(bad, text, len, 0600);
		assert_int_equal(load_rc(bad), KEYS_EFORMAT);
		text[i] = orig;
		tried++;
	}
	assert_true(tried > 300);
	/* the bad-base64 refusal names the problem */
	text[body + 10] = '*';
	write_file(bad, text, len, 0600);
	why[0] = '\0';
	assert_int_equal(keys_secret_load(&b, bad, why, sizeof(why)),
	                 KEYS_EFORMAT);
	assert_why(why, "base64");
	assert_null(b);
	free(text);
	keys_secret_free(a);
}

/* bytes added around a valid key file are refused */
static void test_secret_load_padded(void **state)
{
	static const char *const tails[] = { "\n", "x", "x\n", " \n",
		                             "-----END OPENSSH PRIVATE KEY-----\n" };
	char path[PATH_BUF], bad[PATH_BUF], *buf;
	keys_secret *a;
	char *text;
	size_t len;

	a = new_saved_key(state, "node.key", NULL, path);
	text = read_file(path, &len);
	tpath(bad, state, "bad.key");
	buf = malloc(len + 4096);
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		memcpy(buf, text, len);
		memcpy(buf + len, tails[i], strlen(tails[i]));
		write_file(bad, buf, len + strlen(tails[i]), 0600);
		if (load_rc(bad) != KEYS_EFORMAT)
			fail_msg("tail %zu accepted", i);
	}
	/* leading bytes */
	buf[0] = '\n';
	memcpy(buf + 1, text, len);
	write_file(bad, buf, len + 1, 0600);
	assert_int_equal(load_rc(bad), KEYS_EFORMAT);
	/* a large file */
	memcpy(buf, text, len);
	memset(buf + len, '\n', 4096);
	write_file(bad, buf, len + 4096, 0600);
	assert_int_equal(load_rc(bad), KEYS_EFORMAT);
	free(buf);
	free(text);
	keys_secret_free(a);
}

/* O_NOFOLLOW: a symlink to a good key is refused */
static void test_secret_load_symlink(void **state)
{
	char path[PATH_BUF], link[PATH_BUF], why[512] = "";
	keys_secret *a, *b = NULL;

	a = new_saved_key(state, "node.key", NULL, path);
	tpath(link, state, "link.key");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(keys_secret_load(&b, link, why, sizeof(why)), KEYS_EIO);
	assert_null(b);
	assert_why(why, "link.key");
	/* the target itself is fine */
	assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
	keys_secret_free(a);
	keys_secret_free(b);
}

/* hand-built openssh-key-v1 blobs: the builder's good key loads, and each
 * single deviation from "one unencrypted ed25519 key" is refused */
static void test_secret_load_blob_structure(void **state)
{
	unsigned char seed[32], pk[32];
	char path[PATH_BUF];
	keys_secret *b = NULL;
	keyspec ks;

	for (int i = 0; i < 32; i++)
		seed[i] = (unsigned char)(0xa0 + i);
	tpath(path, state, "built.key");

	build_key_file(path, seed, &KEYSPEC_OK, pk);
	assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
	assert_memory_equal(keys_secret_public(b)->pk, pk, 32);
	keys_secret_free(b);
	b = NULL;
	ks = KEYSPEC_OK; /* a 128-byte comment is the longest accepted */
	ks.commentlen = 128;
	build_key_file(path, seed, &ks, NULL);
	assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
	keys_secret_free(b);

#define REFUSED(field, value)                                               \
	do {                                                                \
		ks = KEYSPEC_OK;                                            \
		ks.field = value;                                           \
		build_key_file(path, seed, &ks, NULL);                      \
		if (load_rc(path) != KEYS_EFORMAT)                          \
			fail_msg("accepted a key with " #field " = " #value); \
	} while (0)
	REFUSED(cipher, "aes256-ctr");
	REFUSED(kdf, "bcrypt");
	REFUSED(kdfopts, "salt");
	REFUSED(nkeys, 0);
	REFUSED(nkeys, 2);
	REFUSED(outer_type, "ssh-rsa");
	REFUSED(outer_type, "ssh-ed448");
	REFUSED(inner_type, "ssh-rsa");
	REFUSED(inner_type, "ssh-ed25519-cert-v01@openssh.com");
	REFUSED(check_mismatch, 1);
	REFUSED(flip_outer_pk, 1);
	REFUSED(flip_inner_pk, 1);
	REFUSED(flip_sk_pk, 1);
	REFUSED(flip_seed, 1); /* seed no longer derives the public key */
	REFUSED(commentlen, 129);
	REFUSED(pad, PAD_WRONG);
	REFUSED(pad, PAD_LONG);
	REFUSED(pad, PAD_NONE);
	REFUSED(trailing, 1);
	REFUSED(trailing, 8);
#undef REFUSED
}

/* ======================================================================
 * 2. Interop with OpenSSH's ssh-keygen
 * ====================================================================== */

/* ssh-keygen reads our key file and derives our public key line */
static void test_interop_ssh_keygen_reads_ours(void **state)
{
	char path[PATH_BUF], out[PATH_BUF], line[KEYS_PUBLIC_LINE_MAX + 1];
	keys_secret *a;
	char *text;

	if (!have_ssh_keygen())
		skip();
	a = new_saved_key(state, "node.key", "350102@govfed", path);
	tpath(out, state, "y.out");
	ssh_ok(state, sshkeygen(state, NULL, out, "-y", "-f", path, NULL));
	text = read_file(out, NULL);
	assert_int_equal(keys_public_format(line, sizeof(line) - 1,
	                                    keys_secret_public(a),
	                                    "350102@govfed"), 0);
	strcat(line, "\n");
	assert_string_equal(text, line);
	free(text);
	/* and its fingerprint matches ours */
	ssh_ok(state, sshkeygen(state, NULL, out, "-l", "-f", path, NULL));
	text = read_file(out, NULL);
	{
		char fp[KEYS_FINGERPRINT_MAX];
		keys_public_fingerprint(fp, keys_secret_public(a));
		assert_true(strncmp(text, "256 ", 4) == 0);
		assert_true(strncmp(text + 4, fp, strlen(fp)) == 0);
		assert_int_equal(text[4 + strlen(fp)], ' ');
	}
	free(text);
	keys_secret_free(a);
}

/* a key written by ssh-keygen loads; its public key is the one in k.pub */
static void test_interop_we_read_ssh_keygen_key(void **state)
{
	char path[PATH_BUF], pub[PATH_BUF], comment[64];
	keys_public p1, p2;
	keys_secret *b = NULL;
	char *text;

	if (!have_ssh_keygen())
		skip();
	tpath(path, state, "k");
	tpath(pub, state, "k.pub");
	ssh_ok(state, sshkeygen(state, NULL, NULL, "-q", "-t", "ed25519", "-N",
	                        "", "-C", "made-by-ssh-keygen", "-f", path,
	                        NULL));
	assert_int_equal(keys_secret_load(&b, path, NULL, 0), 0);
	assert_int_equal(keys_public_load(&p1, pub, NULL, 0), 0);
	assert_true(keys_public_equal(keys_secret_public(b), &p1));
	text = read_file(pub, NULL);
	assert_int_equal(keys_public_parse(&p2, text, strlen(text), comment,
	                                   sizeof(comment)), 0);
	assert_string_equal(comment, "made-by-ssh-keygen");
	assert_true(keys_public_equal(&p1, &p2));
	free(text);
	keys_secret_free(b);
}

/* our SSHSIG is byte-identical to ssh-keygen's for the same key, message
 * and namespace (Ed25519 is deterministic), for assorted messages */
static void test_interop_sign_byte_identical(void **state)
{
	char path[PATH_BUF], msg[PATH_BUF], sig[PATH_BUF];
	char armor[1024];
	unsigned char blob[KEYS_SSHSIG_MAX], *data;
	size_t sizes[] = { 0, 1, 3, 64, 1000, 100000 };
	const char *spaces[] = { "git", "file", "govfed-record" };
	size_t blen;
	keys_secret *a;

	if (!have_ssh_keygen())
		skip();
	data = malloc(100000);
	assert_non_null(data);
	for (size_t i = 0; i < 100000; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 8));
	a = new_saved_key(state, "node.key", "node", path);
	tpath(msg, state, "msg");
	tpath(sig, state, "msg.sig");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t n = 0; n < sizeof(spaces) / sizeof(spaces[0]); n++) {
			char *text;
			int alen;

			write_file(msg, data, sizes[s], 0600);
			unlink(sig);
			ssh_ok(state, sshkeygen(state, NULL, NULL, "-Y", "sign",
			                        "-n", spaces[n], "-f", path, msg,
			                        NULL));
			assert_int_equal(keys_sshsig_sign(blob, sizeof(blob),
			                                  &blen, a, spaces[n],
			                                  data, sizes[s]), 0);
			alen = keys_sshsig_armor(armor, sizeof(armor), blob,
			                         blen);
			assert_true(alen > 0);
			assert_int_equal((size_t)alen, strlen(armor));
			assert_true(alen + 1 < (int)sizeof(armor));
			armor[alen] = '\n';
			armor[alen + 1] = '\0';
			text = read_file(sig, NULL);
			if (strcmp(text, armor) != 0)
				fail_msg("size %zu ns %s:\nssh-keygen:\n%s\nours:\n%s",
				         sizes[s], spaces[n], text, armor);
			free(text);
		}
	}
	free(data);
	keys_secret_free(a);
}

/* ssh-keygen -Y check-novalidate accepts our signature (and still refuses
 * a wrong namespace or message, so the check is real) */
static void test_interop_ssh_keygen_verifies_ours(void **state)
{
	char path[PATH_BUF], msg[PATH_BUF], sig[PATH_BUF], other[PATH_BUF];
	char armor[1024];
	unsigned char blob[KEYS_SSHSIG_MAX];
	size_t blen;
	keys_secret *a;
	int alen;

	if (!have_ssh_keygen())
		skip();
	a = new_saved_key(state, "node.key", NULL, path);
	tpath(msg, state, "msg");
	tpath(sig, state, "our.sig");
	tpath(other, state, "other");
	write_file(msg, "commit tree 1234\n", 17, 0600);
	write_file(other, "commit tree 1235\n", 17, 0600);
	assert_int_equal(keys_sshsig_sign(blob, sizeof(blob), &blen, a, "git",
	                                  "commit tree 1234\n", 17), 0);
	alen = keys_sshsig_armor(armor, sizeof(armor), blob, blen);
	assert_true(alen > 0);
	write_file(sig, armor, (size_t)alen, 0600); /* no final newline even */
	ssh_ok(state, sshkeygen(state, msg, NULL, "-Y", "check-novalidate",
	                        "-n", "git", "-s", sig, NULL));
	assert_int_not_equal(sshkeygen(state, msg, NULL, "-Y",
	                               "check-novalidate", "-n", "file", "-s",
	                               sig, NULL), 0);
	assert_int_not_equal(sshkeygen(state, other, NULL, "-Y",
	                               "check-novalidate", "-n", "git", "-s",
	                               sig, NULL), 0);
	keys_secret_free(a);
}

/* we verify ssh-keygen's signatures (sha512 default and sha256) */
static void test_interop_we_verify_ssh_keygen_sig(void **state)
{
	static const char *const algs[] = { "hashalg=sha512", "hashalg=sha256" };
	char path[PATH_BUF], pub[PATH_BUF], msg[PATH_BUF], sig[PATH_BUF];
	unsigned char blob[KEYS_SSHSIG_MAX];
	keys_public pk, signer;
	size_t blen, tlen;
	char *text;

	if (!have_ssh_keygen())
		skip();
	tpath(path, state, "k");
	tpath(pub, state, "k.pub");
	tpath(msg, state, "msg");
	tpath(sig, state, "msg.sig");
	ssh_ok(state, sshkeygen(state, NULL, NULL, "-q", "-t", "ed25519", "-N",
	                        "", "-f", path, NULL));
	assert_int_equal(keys_public_load(&pk, pub, NULL, 0), 0);
	write_file(msg, "hello, province\n", 16, 0600);
	for (size_t i = 0; i < 2; i++) {
		unlink(sig);
		ssh_ok(state, sshkeygen(state, NULL, NULL, "-Y", "sign", "-n",
		                        "git", "-O", algs[i], "-f", path, msg,
		                        NULL));
		text = read_file(sig, &tlen);
		assert_int_equal(keys_sshsig_dearmor(blob, sizeof(blob), &blen,
		                                     text, tlen), 0);
		memset(&signer, 0, sizeof(signer));
		assert_int_equal(keys_sshsig_verify(&signer, blob, blen, "git",
		                                    "hello, province\n", 16), 0);
		assert_true(keys_public_equal(&signer, &pk));
		assert_int_equal(keys_sshsig_verify(NULL, blob, blen, "git",
		                                    "hello, province!", 16),
		                 KEYS_EBADSIG);
		assert_int_equal(keys_sshsig_verify(NULL, blob, blen, "file",
		                                    "hello, province\n", 16),
		                 KEYS_EBADSIG);
		free(text);
	}
}

/* ======================================================================
 * 3. Golden vectors: fixed seed -> fixed key line, fingerprint, signature
 * ====================================================================== */

static keys_secret *load_golden(void **state)
{
	char path[PATH_BUF], why[256] = "";
	keys_secret *k = NULL;

	tpath(path, state, "golden.key");
	write_file(path, GOLDEN_KEY_FILE, strlen(GOLDEN_KEY_FILE), 0600);
	if (keys_secret_load(&k, path, why, sizeof(why)) != 0)
		fail_msg("golden key: %s", why);
	return k;
}

static void test_golden_key(void **state)
{
	unsigned char pk[32], seed[32];
	char line[KEYS_PUBLIC_LINE_MAX], fp[KEYS_FINGERPRINT_MAX];
	char path[PATH_BUF];
	keys_secret *k = load_golden(state), *k2 = NULL;
	keys_public p;

	hex2bin(pk, sizeof(pk), GOLDEN_PK_HEX);
	assert_memory_equal(keys_secret_public(k)->pk, pk, 32);
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(k), NULL), 0);
	assert_string_equal(line, GOLDEN_PUB);
	keys_public_fingerprint(fp, keys_secret_public(k));
	assert_string_equal(fp, GOLDEN_FP);
	assert_int_equal(keys_public_parse(&p, GOLDEN_PUB, strlen(GOLDEN_PUB),
	                                   NULL, 0), 0);
	assert_memory_equal(p.pk, pk, 32);

	/* the hand-built file for the same seed is the same key */
	for (int i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	tpath(path, state, "built.key");
	build_key_file(path, seed, &KEYSPEC_OK, NULL);
	assert_int_equal(keys_secret_load(&k2, path, NULL, 0), 0);
	assert_memory_equal(keys_secret_public(k2)->pk, pk, 32);
	keys_secret_free(k);
	keys_secret_free(k2);
}

/* the signature bytes are pinned: any change to SSHSIG encoding, hashing
 * or signing shows here */
static void test_golden_signature(void **state)
{
	unsigned char blob[KEYS_SSHSIG_MAX], blob2[KEYS_SSHSIG_MAX];
	char armor[1024], path[PATH_BUF];
	size_t blen, blen2;
	keys_secret *k = load_golden(state), *k2 = NULL;
	keys_public signer;
	int alen;

	assert_int_equal(keys_sshsig_sign(blob, sizeof(blob), &blen, k, "git",
	                                  GOLDEN_MSG, strlen(GOLDEN_MSG)), 0);
	assert_int_equal(blen, 173); /* as keys.h says, for a 3-char ns */
	alen = keys_sshsig_armor(armor, sizeof(armor), blob, blen);
	assert_int_equal(alen, (int)strlen(GOLDEN_SIG_SHA512));
	assert_string_equal(armor, GOLDEN_SIG_SHA512);

	/* our save + load keeps the key: same signature afterwards */
	tpath(path, state, "resaved.key");
	assert_int_equal(keys_secret_save(k, path, "golden@govfed", 0, NULL, 0),
	                 0);
	assert_int_equal(keys_secret_load(&k2, path, NULL, 0), 0);
	assert_int_equal(keys_sshsig_sign(blob2, sizeof(blob2), &blen2, k2,
	                                  "git", GOLDEN_MSG,
	                                  strlen(GOLDEN_MSG)), 0);
	assert_int_equal(blen2, blen);
	assert_memory_equal(blob2, blob, blen);

	/* the pinned sha256 signature from ssh-keygen verifies */
	assert_int_equal(keys_sshsig_dearmor(blob, sizeof(blob), &blen,
	                                     GOLDEN_SIG_SHA256,
	                                     strlen(GOLDEN_SIG_SHA256)), 0);
	assert_int_equal(keys_sshsig_verify(&signer, blob, blen, "git",
	                                    GOLDEN_MSG, strlen(GOLDEN_MSG)), 0);
	assert_true(keys_public_equal(&signer, keys_secret_public(k)));
	keys_secret_free(k);
	keys_secret_free(k2);
}

/* ======================================================================
 * 4. SSHSIG: verification, malformed blobs, armor
 * ====================================================================== */

/* An SSHSIG blob taken apart, to be put together with one field changed. */
typedef struct sigparts {
	unsigned char magic[6];
	uint32_t version;
	unsigned char pub[128], ns[128], res[128], alg[128], inner[256];
	size_t publen, nslen, reslen, alglen, innerlen;
} sigparts;

static void sig_split(sigparts *s, const unsigned char *blob, size_t len)
{
	rbuf r = { blob, len, 0 };

	assert_true(len >= 6);
	memcpy(s->magic, blob, 6);
	r.off = 6;
	s->version = r_u32(&r);
	s->publen = r_str(&r, s->pub, sizeof(s->pub));
	s->nslen = r_str(&r, s->ns, sizeof(s->ns));
	s->reslen = r_str(&r, s->res, sizeof(s->res));
	s->alglen = r_str(&r, s->alg, sizeof(s->alg));
	s->innerlen = r_str(&r, s->inner, sizeof(s->inner));
	assert_int_equal(r.off, len);
}

static size_t sig_join(unsigned char *out, size_t cap, const sigparts *s)
{
	wbuf w = { .n = 0 };

	w_put(&w, s->magic, 6);
	w_u32(&w, s->version);
	w_str(&w, s->pub, s->publen);
	w_str(&w, s->ns, s->nslen);
	w_str(&w, s->res, s->reslen);
	w_str(&w, s->alg, s->alglen);
	w_str(&w, s->inner, s->innerlen);
	assert_true(w.n <= cap);
	memcpy(out, w.b, w.n);
	return w.n;
}

typedef struct sigfix {
	keys_secret *sk;
	unsigned char blob[KEYS_SSHSIG_MAX];
	size_t len;
} sigfix;

static const char MSG[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";

static int sig_setup(void **state)
{
	sigfix *f = calloc(1, sizeof(*f));

	if (f == NULL || keys_secret_generate(&f->sk) != 0 ||
	    keys_sshsig_sign(f->blob, sizeof(f->blob), &f->len, f->sk, "git",
	                     MSG, strlen(MSG)) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int sig_teardown(void **state)
{
	sigfix *f = *state;

	keys_secret_free(f->sk);
	free(f);
	return 0;
}

static int verify_msg(const unsigned char *b, size_t n)
{
	return keys_sshsig_verify(NULL, b, n, "git", MSG, strlen(MSG));
}

/* the good case, and what the signer out-parameter receives */
static void test_sshsig_verify_ok(void **state)
{
	sigfix *f = *state;
	keys_public signer;
	sigparts s;
	unsigned char again[KEYS_SSHSIG_MAX];

	memset(&signer, 0xee, sizeof(signer));
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "git",
	                                    MSG, strlen(MSG)), 0);
	assert_true(keys_public_equal(&signer, keys_secret_public(f->sk)));
	/* the helper round trip is exact, so the negative tests below
	 * change one thing only */
	sig_split(&s, f->blob, f->len);
	assert_int_equal(sig_join(again, sizeof(again), &s), f->len);
	assert_memory_equal(again, f->blob, f->len);
	assert_int_equal(verify_msg(again, f->len), 0);
	assert_int_equal(s.version, 1);
	assert_int_equal(s.alglen, 6);
	assert_memory_equal(s.alg, "sha512", 6);
}

/* wrong message, namespace or signature bits: EBADSIG; nothing leaks out
 * into `signer` on failure */
static void test_sshsig_badsig(void **state)
{
	sigfix *f = *state;
	unsigned char b[KEYS_SSHSIG_MAX];
	keys_public signer, sentinel;
	char m[sizeof(MSG)];

	memset(&sentinel, 0xee, sizeof(sentinel));
	signer = sentinel;
	memcpy(m, MSG, sizeof(MSG));
	m[5] ^= 1;
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "git", m,
	                                    strlen(m)), KEYS_EBADSIG);
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "git",
	                                    MSG, strlen(MSG) - 1), KEYS_EBADSIG);
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "git",
	                                    "", 0), KEYS_EBADSIG);
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "file",
	                                    MSG, strlen(MSG)), KEYS_EBADSIG);
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "gitx",
	                                    MSG, strlen(MSG)), KEYS_EBADSIG);
	assert_int_equal(keys_sshsig_verify(&signer, f->blob, f->len, "gi",
	                                    MSG, strlen(MSG)), KEYS_EBADSIG);
	/* each byte of the 64-byte signature value (the blob's tail) */
	for (size_t i = f->len - 64; i < f->len; i++) {
		memcpy(b, f->blob, f->len);
		b[i] ^= 0x01;
		assert_int_equal(keys_sshsig_verify(&signer, b, f->len, "git",
		                                    MSG, strlen(MSG)),
		                 KEYS_EBADSIG);
	}
	/* another key in the signer field */
	memcpy(b, f->blob, f->len);
	b[6 + 4 + 4 + 19 + 3] ^= 0x40;
	assert_int_equal(verify_msg(b, f->len), KEYS_EBADSIG);
	assert_memory_equal(&signer, &sentinel, sizeof(signer));
}

/* no single-bit change anywhere in the blob is accepted, and none crashes */
static void test_sshsig_every_bit(void **state)
{
	sigfix *f = *state;
	unsigned char b[KEYS_SSHSIG_MAX];

	for (size_t i = 0; i < f->len * 8; i++) {
		int rc;
		memcpy(b, f->blob, f->len);
		b[i / 8] ^= (unsigned char)(1u << (i % 8));
		rc = verify_msg(b, f->len);
		if (rc != KEYS_EBADSIG && rc != KEYS_EFORMAT)
			fail_msg("bit %zu flipped: rc %d", i, rc);
	}
}

/* truncated and extended blobs are malformed, at every length */
static void test_sshsig_truncated_trailing(void **state)
{
	sigfix *f = *state;
	unsigned char b[KEYS_SSHSIG_MAX];

	for (size_t n = 0; n < f->len; n++) {
		/* a copy of exactly n bytes, so ASan sees any over-read */
		unsigned char *c = malloc(n ? n : 1);
		assert_non_null(c);
		memcpy(c, f->blob, n);
		if (verify_msg(c, n) != KEYS_EFORMAT)
			fail_msg("blob cut to %zu bytes not EFORMAT", n);
		free(c);
	}
	memcpy(b, f->blob, f->len);
	for (size_t extra = 1; extra <= 8; extra++) {
		b[f->len + extra - 1] = (unsigned char)extra;
		assert_int_equal(verify_msg(b, f->len + extra), KEYS_EFORMAT);
	}
}

/* each structural field changed on its own */
static void test_sshsig_malformed_fields(void **state)
{
	sigfix *f = *state;
	unsigned char b[KEYS_SSHSIG_MAX];
	sigparts s;
	size_t n;
	wbuf w;

#define SIG_WITH(change, expect)                                          \
	do {                                                              \
		sig_split(&s, f->blob, f->len);                           \
		change;                                                   \
		n = sig_join(b, sizeof(b), &s);                           \
		if (verify_msg(b, n) != (expect))                         \
			fail_msg("%s: rc %d", #change, verify_msg(b, n)); \
	} while (0)
	SIG_WITH(s.magic[5] = 'H', KEYS_EFORMAT);
	SIG_WITH(s.version = 2, KEYS_EFORMAT);
	SIG_WITH(s.version = 0, KEYS_EFORMAT);
	SIG_WITH((s.res[0] = 'x', s.reslen = 1), KEYS_EFORMAT);
	SIG_WITH((memcpy(s.alg, "md5", 3), s.alglen = 3), KEYS_EFORMAT);
	SIG_WITH((memcpy(s.alg, "sha384", 6), s.alglen = 6), KEYS_EFORMAT);
	SIG_WITH((memcpy(s.alg, "SHA512", 6), s.alglen = 6), KEYS_EFORMAT);
	SIG_WITH((memcpy(s.alg, "sha512sha512", 12), s.alglen = 12),
	         KEYS_EFORMAT);
	SIG_WITH(s.alglen = 0, KEYS_EFORMAT);
	/* a second encoding of the same name: refused, never malleable */
	SIG_WITH((memcpy(s.alg, "sha512\0", 7), s.alglen = 7), KEYS_EFORMAT);
	/* sha256 is a known algorithm, but this signature is over sha512 */
	SIG_WITH((memcpy(s.alg, "sha256", 6), s.alglen = 6), KEYS_EBADSIG);
	/* the signer key: another type, a short key, trailing bytes */
	SIG_WITH((w.n = 0, w_cstr(&w, "ssh-rsa"),
	          w_str(&w, keys_secret_public(f->sk)->pk, 32),
	          memcpy(s.pub, w.b, w.n), s.publen = w.n),
	         KEYS_EFORMAT);
	SIG_WITH((w.n = 0, w_cstr(&w, "ssh-ed25519"),
	          w_str(&w, keys_secret_public(f->sk)->pk, 31),
	          memcpy(s.pub, w.b, w.n), s.publen = w.n),
	         KEYS_EFORMAT);
	SIG_WITH((s.pub[s.publen++] = 0), KEYS_EFORMAT);
	SIG_WITH(s.publen = 0, KEYS_EFORMAT);
	/* the inner signature: another type, short value, trailing bytes */
	SIG_WITH((memcpy(s.inner + 4, "ssh-ed25518", 11)), KEYS_EFORMAT);
	SIG_WITH((w.n = 0, w_cstr(&w, "ssh-rsa"),
	          w_str(&w, s.inner + s.innerlen - 64, 64),
	          memcpy(s.inner, w.b, w.n), s.innerlen = w.n),
	         KEYS_EFORMAT);
	SIG_WITH((w.n = 0, w_cstr(&w, "ssh-ed25519"),
	          w_str(&w, s.inner + s.innerlen - 64, 63),
	          memcpy(s.inner, w.b, w.n), s.innerlen = w.n),
	         KEYS_EFORMAT);
	SIG_WITH((s.inner[s.innerlen++] = 0), KEYS_EFORMAT);
	SIG_WITH(s.innerlen = 0, KEYS_EFORMAT);
	/* namespace longer than any we accept */
	SIG_WITH((memset(s.ns, 'n', 100), s.nslen = 100), KEYS_EFORMAT);
#undef SIG_WITH
}

/* argument checks of sign and verify; the namespace limit */
static void test_sshsig_arguments(void **state)
{
	sigfix *f = *state;
	unsigned char b[KEYS_SSHSIG_MAX];
	char ns[KEYS_NAMESPACE_MAX + 2];
	size_t n;

	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, f->sk, "", MSG, 1),
	                 KEYS_EINVAL);
	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, f->sk, NULL, MSG, 1),
	                 KEYS_EINVAL);
	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, NULL, "git", MSG, 1),
	                 KEYS_EINVAL);
	assert_int_equal(keys_sshsig_sign(b, 172, &n, f->sk, "git", MSG, 1),
	                 KEYS_EINVAL);
	assert_int_equal(keys_sshsig_sign(b, 173, &n, f->sk, "git", MSG, 1), 0);
	assert_int_equal(n, 173);
	assert_int_equal(keys_sshsig_verify(NULL, f->blob, f->len, NULL, MSG,
	                                    strlen(MSG)), KEYS_EINVAL);
	assert_int_equal(keys_sshsig_verify(NULL, f->blob, f->len, "", MSG,
	                                    strlen(MSG)), KEYS_EINVAL);
	assert_int_equal(keys_sshsig_verify(NULL, NULL, 0, "git", MSG,
	                                    strlen(MSG)), KEYS_EINVAL);

	memset(ns, 'n', sizeof(ns));
	ns[KEYS_NAMESPACE_MAX + 1] = '\0';
	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, f->sk, ns, MSG, 1),
	                 KEYS_EINVAL);
	ns[KEYS_NAMESPACE_MAX] = '\0';
	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, f->sk, ns, MSG, 1),
	                 0);
	assert_int_equal(n, 173 - 3 + KEYS_NAMESPACE_MAX);
	assert_int_equal(keys_sshsig_verify(NULL, b, n, ns, MSG, 1), 0);
	ns[KEYS_NAMESPACE_MAX - 1] = 'm';
	assert_int_equal(keys_sshsig_verify(NULL, b, n, ns, MSG, 1),
	                 KEYS_EBADSIG);
	/* NULL message of length 0 is the empty message */
	assert_int_equal(keys_sshsig_sign(b, sizeof(b), &n, f->sk, "git", NULL,
	                                  0), 0);
	assert_int_equal(keys_sshsig_verify(NULL, b, n, "git", "", 0), 0);
}

/* armor: ssh-keygen's layout; dearmor inverts it and refuses damage */
static void test_sshsig_armor(void **state)
{
	sigfix *f = *state;
	char a[1024], bad[1200];
	unsigned char b[KEYS_SSHSIG_MAX];
	size_t n;
	int alen;
	const char *p, *nl;

	alen = keys_sshsig_armor(a, sizeof(a), f->blob, f->len);
	assert_true(alen > 0);
	assert_int_equal((size_t)alen, strlen(a));
	assert_true(strncmp(a, "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	assert_string_equal(a + alen - 28, "\n-----END SSH SIGNATURE-----");
	/* body lines are 70 columns, the last one at most */
	p = a + 30;
	while ((nl = strchr(p, '\n')) != NULL) {
		size_t w = (size_t)(nl - p);
		if (strncmp(nl + 1, "-----END", 8) == 0) {
			assert_true(w > 0 && w <= 70);
			break;
		}
		assert_int_equal(w, 70);
		p = nl + 1;
	}
	assert_non_null(nl);
	/* exact-fit output buffer, and one byte less (scratch buffer: a
	 * refused call may leave partial output behind) */
	assert_int_equal(keys_sshsig_armor(bad, (size_t)alen + 1, f->blob,
	                                   f->len), alen);
	assert_string_equal(bad, a);
	assert_true(keys_sshsig_armor(bad, (size_t)alen, f->blob, f->len) < 0);
	assert_true(keys_sshsig_armor(bad, 10, f->blob, f->len) < 0);

	/* round trip, with or without the file's final newline */
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, a, (size_t)alen),
	                 0);
	assert_int_equal(n, f->len);
	assert_memory_equal(b, f->blob, n);
	memcpy(bad, a, (size_t)alen);
	bad[alen] = '\n';
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
	                                     (size_t)alen + 1), 0);
	assert_int_equal(n, f->len);
	/* too small an output buffer */
	assert_int_equal(keys_sshsig_dearmor(b, f->len - 1, &n, a, (size_t)alen),
	                 KEYS_EFORMAT);

	/* missing END line */
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, a,
	                                     (size_t)alen - 28), KEYS_EFORMAT);
	/* a damaged END line */
	memcpy(bad, a, (size_t)alen);
	bad[alen - 5] = 'X';
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
	                                     (size_t)alen), KEYS_EFORMAT);
	/* missing or damaged BEGIN line */
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, a + 30,
	                                     (size_t)alen - 30), KEYS_EFORMAT);
	memcpy(bad, a, (size_t)alen);
	bad[11] = 'X';
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
	                                     (size_t)alen), KEYS_EFORMAT);
	/* bad base64 in the body, inside a 4-char group and at its start
	 * (where the decoder could stop cleanly) */
	for (size_t i = 30; i < 30 + 70; i++) {
		memcpy(bad, a, (size_t)alen);
		bad[i] = '*';
		if (keys_sshsig_dearmor(b, sizeof(b), &n, bad, (size_t)alen) !=
		    KEYS_EFORMAT)
			fail_msg("bad base64 at %zu accepted", i);
	}
	/* garbage after END */
	memcpy(bad, a, (size_t)alen);
	memcpy(bad + alen, "\nxyz\n", 5);
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
	                                     (size_t)alen + 5), KEYS_EFORMAT);
	/* a second signature after the first */
	memcpy(bad, a, (size_t)alen);
	bad[alen] = '\n';
	memcpy(bad + alen + 1, a, 40);
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
	                                     (size_t)alen + 41), KEYS_EFORMAT);
	/* BEGIN must end its line; END must start one */
	{
		char joined[2048];
		int jl = snprintf(joined, sizeof(joined), "%.29s%s", a, a + 30);
		assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, joined,
		                                     (size_t)jl), KEYS_EFORMAT);
		memcpy(bad, a, (size_t)alen);
		/* the line break before END becomes a space */
		bad[alen - 28] = ' ';
		assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, bad,
		                                     (size_t)alen), KEYS_EFORMAT);
	}
	/* empty and tiny inputs */
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n, "", 0),
	                 KEYS_EFORMAT);
	assert_int_equal(keys_sshsig_dearmor(b, sizeof(b), &n,
	                                     "-----BEGIN SSH SIGNATURE-----",
	                                     29), KEYS_EFORMAT);
	/* an oversized blob is not armored */
	assert_true(keys_sshsig_armor(a, sizeof(a), b, KEYS_SSHSIG_MAX + 1) < 0);
}

/* single-line base64 for JSON records */
static void test_b64(void **state)
{
	unsigned char bin[100], back[100];
	char text[200];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 37);
	for (size_t len = 0; len <= sizeof(bin); len += 7) {
		assert_int_equal(keys_b64_encode(text, sizeof(text), bin, len), 0);
		assert_int_equal(strlen(text), (len + 2) / 3 * 4);
		assert_int_equal(keys_b64_decode(back, sizeof(back), &n, text,
		                                 strlen(text)), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, bin, len);
	}
	assert_int_equal(keys_b64_encode(text, sizeof(text), bin, 3), 0);
	assert_string_equal(text, "ACVK"); /* 00 25 4a */
	assert_int_equal(keys_b64_encode(text, 4, bin, 3), KEYS_EINVAL);
	assert_int_equal(keys_b64_encode(text, 5, bin, 3), 0);
	assert_int_equal(keys_b64_decode(back, sizeof(back), &n, "AAkl\n", 5),
	                 KEYS_EFORMAT);
	assert_int_equal(keys_b64_decode(back, sizeof(back), &n, "AAk", 3),
	                 KEYS_EFORMAT);
	assert_int_equal(keys_b64_decode(back, sizeof(back), &n, "AA=l", 4),
	                 KEYS_EFORMAT);
	assert_int_equal(keys_b64_decode(back, sizeof(back), &n, "A*kl", 4),
	                 KEYS_EFORMAT);
	assert_int_equal(keys_b64_decode(back, 2, &n, "AAkl", 4), KEYS_EFORMAT);
}

/* ======================================================================
 * 5. Public key lines and files
 * ====================================================================== */

static void test_public_roundtrip(void **state)
{
	char line[KEYS_PUBLIC_LINE_MAX], comment[64], crlf[KEYS_PUBLIC_LINE_MAX + 4];
	keys_secret *a;
	keys_public p;

	(void)state;
	assert_int_equal(keys_secret_generate(&a), 0);
	/* without comment (NULL and "" are the same) */
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(a), NULL), 0);
	assert_int_equal(strlen(line), 12 + 68);
	assert_true(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37)
	            == 0);
	strcpy(comment, "stale");
	assert_int_equal(keys_public_parse(&p, line, strlen(line), comment,
	                                   sizeof(comment)), 0);
	assert_true(keys_public_equal(&p, keys_secret_public(a)));
	assert_string_equal(comment, "");
	assert_int_equal(keys_public_format(crlf, sizeof(crlf),
	                                    keys_secret_public(a), ""), 0);
	assert_string_equal(crlf, line);
	/* with comment */
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(a),
	                                    "350102 Fuzhou Gulou @govfed"), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(keys_public_parse(&p, line, strlen(line), comment,
	                                   sizeof(comment)), 0);
	assert_true(keys_public_equal(&p, keys_secret_public(a)));
	assert_string_equal(comment, "350102 Fuzhou Gulou @govfed");
	/* trailing newline and CRLF as files have them */
	snprintf(crlf, sizeof(crlf), "%s\r\n", line);
	assert_int_equal(keys_public_parse(&p, crlf, strlen(crlf), comment,
	                                   sizeof(comment)), 0);
	assert_string_equal(comment, "350102 Fuzhou Gulou @govfed");
	/* a short comment buffer gets a terminated prefix; exactly as long
	 * as the comment means one character less (heap buffer of that size,
	 * so ASan sees any write past it) */
	assert_int_equal(keys_public_parse(&p, line, strlen(line), comment, 7),
	                 0);
	assert_string_equal(comment, "350102");
	{
		size_t clen = strlen("350102 Fuzhou Gulou @govfed");
		char *exact = malloc(clen);
		assert_non_null(exact);
		assert_int_equal(keys_public_parse(&p, line, strlen(line), exact,
		                                   clen), 0);
		assert_int_equal(strlen(exact), clen - 1);
		assert_true(strncmp(exact, "350102 Fuzhou Gulou @govfed",
		                    clen - 1) == 0);
		free(exact);
	}
	/* the length argument is honoured: the comment is cut off */
	assert_int_equal(keys_public_parse(&p, line, 12 + 68, comment,
	                                   sizeof(comment)), 0);
	assert_string_equal(comment, "");
	/* a comment is one line: control characters are refused */
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(a), "x\ny"),
	                 KEYS_EINVAL);
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(a), "x\ty"),
	                 KEYS_EINVAL);
	/* output buffer limits */
	assert_int_equal(keys_public_format(line, 12 + 68 + 1,
	                                    keys_secret_public(a), NULL), 0);
	assert_int_equal(keys_public_format(line, 12 + 68, keys_secret_public(a),
	                                    NULL), KEYS_EINVAL);
	assert_int_equal(keys_public_format(line, 12 + 68 + 2,
	                                    keys_secret_public(a), "c"),
	                 KEYS_EINVAL);
	keys_secret_free(a);
}

static void test_public_rejects(void **state)
{
	char line[512], b64[200];
	unsigned char pk[32];
	keys_public p;
	wbuf w;

	(void)state;
	memset(pk, 0x42, sizeof(pk));
#define REJECT(s)                                                           \
	do {                                                                \
		if (keys_public_parse(&p, (s), strlen(s), NULL, 0) !=       \
		    KEYS_EFORMAT)                                           \
			fail_msg("accepted: %s", (s));                      \
	} while (0)
	REJECT("");
	REJECT("ssh-ed25519");
	REJECT("ssh-ed25519 ");
	REJECT("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host");
	REJECT("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAA");
	REJECT("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI*OhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	REJECT("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG");
	REJECT(" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	REJECT("ssh-ed25519  AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	REJECT("SSH-ED25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	REJECT("ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");

	/* blobs of the wrong shape, each validly base64-encoded */
#define REJECT_BLOB(build)                                                  \
	do {                                                                \
		w.n = 0;                                                    \
		build;                                                      \
		assert_int_equal(keys_b64_encode(b64, sizeof(b64), w.b, w.n), 0); \
		snprintf(line, sizeof(line), "ssh-ed25519 %s c", b64);      \
		REJECT(line);                                               \
	} while (0)
	REJECT_BLOB((w_cstr(&w, "ssh-ed25519"), w_str(&w, pk, 31)));
	REJECT_BLOB((w_cstr(&w, "ssh-ed25519"), w_str(&w, pk, 32),
	             w_put(&w, "x", 1)));
	REJECT_BLOB((w_cstr(&w, "ssh-ed25519"), w_u32(&w, 33), w_put(&w, pk, 32)));
	REJECT_BLOB((w_cstr(&w, "ssh-rsa"), w_str(&w, pk, 32)));
	REJECT_BLOB((w_cstr(&w, "ssh-ed25519")));
	REJECT_BLOB(w_put(&w, pk, 32)); /* the raw key, no blob */
	/* the same construction with the right shape is accepted */
	w.n = 0;
	w_cstr(&w, "ssh-ed25519");
	w_str(&w, pk, 32);
	assert_int_equal(keys_b64_encode(b64, sizeof(b64), w.b, w.n), 0);
	snprintf(line, sizeof(line), "ssh-ed25519 %s c", b64);
	assert_int_equal(keys_public_parse(&p, line, strlen(line), NULL, 0), 0);
	assert_memory_equal(p.pk, pk, 32);

	/* control characters in the comment */
	{
		static const char ctl[] = { '\t', '\n', '\r', 0x01, 0x1b, 0x7f,
			                    '\0' };
		for (size_t i = 0; i < sizeof(ctl); i++) {
			size_t len;
			snprintf(line, sizeof(line), "ssh-ed25519 %s ab", b64);
			len = strlen(line);
			line[len - 1] = ctl[i]; /* "a<ctl>" */
			line[len] = 'z';        /* ... then more text */
			line[len + 1] = '\0';
			if (keys_public_parse(&p, line, len + 1, NULL, 0) !=
			    KEYS_EFORMAT)
				fail_msg("comment with 0x%02x accepted",
				         (unsigned)ctl[i]);
		}
		/* two lines in one */
		snprintf(line, sizeof(line), "ssh-ed25519 %s a\nssh-ed25519 %s b",
		         b64, b64);
		REJECT(line);
	}
#undef REJECT_BLOB
#undef REJECT
}

static void test_public_load(void **state)
{
	char path[PATH_BUF], line[600], why[512] = "";
	keys_public p, q;
	keys_secret *a;
	size_t len;

	assert_int_equal(keys_secret_generate(&a), 0);
	tpath(path, state, "node.pub");
	assert_int_equal(keys_public_format(line, sizeof(line),
	                                    keys_secret_public(a), "node"), 0);
	strcat(line, "\n");
	write_file(path, line, strlen(line), 0644);
	assert_int_equal(keys_public_load(&p, path, NULL, 0), 0);
	assert_true(keys_public_equal(&p, keys_secret_public(a)));

	/* the longest accepted file is KEYS_PUBLIC_LINE_MAX bytes */
	line[80] = ' ';
	memset(line + 81, 'c', sizeof(line) - 81);
	len = KEYS_PUBLIC_LINE_MAX;
	line[len - 1] = '\n';
	write_file(path, line, len, 0644);
	assert_int_equal(keys_public_load(&q, path, why, sizeof(why)), 0);
	assert_true(keys_public_equal(&q, keys_secret_public(a)));
	/* one more byte, and far more, are too long */
	line[len - 1] = 'c';
	line[len] = '\n';
	write_file(path, line, len + 1, 0644);
	assert_int_equal(keys_public_load(&q, path, why, sizeof(why)),
	                 KEYS_EFORMAT);
	assert_why(why, "too long");
	write_file(path, line, 590, 0644);
	assert_int_equal(keys_public_load(&q, path, why, sizeof(why)),
	                 KEYS_EFORMAT);
	/* not a key line */
	write_file(path, "hello\n", 6, 0644);
	why[0] = '\0';
	assert_int_equal(keys_public_load(&q, path, why, sizeof(why)),
	                 KEYS_EFORMAT);
	assert_why(why, "not an OpenSSH ed25519 public key");
	write_file(path, "", 0, 0644);
	assert_int_equal(keys_public_load(&q, path, NULL, 0), KEYS_EFORMAT);
	/* missing */
	tpath(path, state, "missing.pub");
	assert_int_equal(keys_public_load(&q, path, why, sizeof(why)), KEYS_EIO);
	assert_why(why, "missing.pub");
	keys_secret_free(a);
}

static void test_public_fingerprint(void **state)
{
	char fp[KEYS_FINGERPRINT_MAX], fp2[KEYS_FINGERPRINT_MAX];
	keys_public p, q;

	(void)state;
	memset(&p, 0, sizeof(p));
	q = p;
	q.pk[31] = 1;
	keys_public_fingerprint(fp, &p);
	keys_public_fingerprint(fp2, &q);
	assert_int_equal(strlen(fp), KEYS_FINGERPRINT_MAX - 1);
	assert_true(strncmp(fp, "SHA256:", 7) == 0);
	assert_null(strchr(fp, '='));
	assert_string_not_equal(fp, fp2);
	assert_true(keys_public_equal(&p, &p));
	assert_false(keys_public_equal(&p, &q));
}

/* ======================================================================
 * 6. Time stamps
 * ====================================================================== */

static void test_time_roundtrip(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} v[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2001-09-09T01:46:40Z", 1000000000 },
		{ "2024-02-29T23:59:59Z", 1709251199 },
		{ "2026-11-23T10:00:00Z", 1795428000 },
		{ "2038-01-19T03:14:08Z", 2147483648LL }, /* past 32 bits */
		{ "9999-12-31T23:59:59Z", 253402300799LL },
	};
	char out[21];
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		keys_time_format(out, v[i].t);
		assert_string_equal(out, v[i].s);
		t = -1;
		assert_int_equal(keys_time_parse(&t, v[i].s), 0);
		assert_int_equal(t, v[i].t);
	}
	for (int64_t x = 0; x < 4000000000LL; x += 123456789) {
		keys_time_format(out, x);
		assert_int_equal(keys_time_parse(&t, out), 0);
		assert_int_equal(t, x);
	}
}

static void test_time_rejects(void **state)
{
	static const char *const bad[] = {
		"2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-11-23T24:00:00Z", "2026-11-23T23:60:00Z",
		"2026-11-23T23:59:60Z", "2026-11-23T10:00:00",
		"2026-11-23T10:00:00+00:00", "2026-11-23T10:00:00ZZ",
		"2026-11-23T10:00:00Z ", " 2026-11-23T10:00:00Z",
		"2026-11-23t10:00:00Z", "2026-11-23T10:00:00z",
		"2026-11-23 10:00:00Z", "2026-11-23T10:00:00.5Z",
		"1969-12-31T23:59:59Z", "1969-12-31T23:59:58Z",
		"1900-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
		"2026-1-23T10:00:00Z ", "+026-11-23T10:00:00Z",
		"2026-11-23T1:00:00Z0", "2026-11-23T-1:00:00Z",
		"2026/11/23T10:00:00Z", "", "Z",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (keys_time_parse(&t, bad[i]) != KEYS_EINVAL)
			fail_msg("accepted time '%s'", bad[i]);
		assert_int_equal(t, 42); /* untouched */
	}
	assert_int_equal(keys_time_parse(&t, NULL), KEYS_EINVAL);
}

/* ======================================================================
 * 7. The trust chain
 * ====================================================================== */

#define ROOT_ID "350000"
#define P_ID "350100"
#define X_ID "350102"
#define Y_ID "350103"
#define T0 1795428000LL /* 2026-11-23T10:00:00Z */

/* made-up keys: the chain compares keys, it never verifies signatures */
static keys_public K(unsigned char tag)
{
	keys_public k;

	memset(k.pk, tag, sizeof(k.pk));
	return k;
}

#define KROOT 0x10
#define KP 0x20
#define K1 0x31
#define K2 0x32
#define K3 0x33
#define K4 0x34
#define KY 0x41
#define KZ 0x5a

typedef struct posctx {
	int answer;
	int calls;
	char seen[KEYS_POS_MAX];
} posctx;

static int pos_cb(void *ctx, const char *pos)
{
	posctx *p = ctx;

	p->calls++;
	snprintf(p->seen, sizeof(p->seen), "%s", pos);
	return p->answer;
}

/* root 350000 <- P 350100 <- {X 350102, Y 350103}; Y has KY */
static int chain_setup(void **state)
{
	keys_public root = K(KROOT);
	keys_event ev;
	keys_chain *c;

	if (keys_chain_new(&c, &root) != 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.type = KEYS_EVENT_CERT;
	ev.valid_from = T0 - 1000;
	if (keys_chain_set_node(c, ROOT_ID, NULL) != 0 ||
	    keys_chain_set_node(c, P_ID, ROOT_ID) != 0 ||
	    keys_chain_set_node(c, X_ID, P_ID) != 0 ||
	    keys_chain_set_node(c, Y_ID, P_ID) != 0)
		return -1;
	ev.key = K(KP);
	if (keys_chain_add_event(c, P_ID, &ev) != 0)
		return -1;
	ev.key = K(KY);
	if (keys_chain_add_event(c, Y_ID, &ev) != 0)
		return -1;
	*state = c;
	return 0;
}

static int chain_teardown(void **state)
{
	keys_chain_free(*state);
	return 0;
}

static void add_cert(keys_chain *c, const char *id, unsigned char key,
                 int64_t from, int64_t until)
{
	keys_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = KEYS_EVENT_CERT;
	ev.key = K(key);
	ev.valid_from = from;
	ev.valid_until = until;
	assert_int_equal(keys_chain_add_event(c, id, &ev), 0);
}

static void add_revoke(keys_chain *c, const char *id, int64_t at,
                   const char *last_good)
{
	keys_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = KEYS_EVENT_REVOKE;
	ev.at = at;
	snprintf(ev.last_good, sizeof(ev.last_good), "%s",
	         last_good ? last_good : "");
	assert_int_equal(keys_chain_add_event(c, id, &ev), 0);
}

static char g_why[KEYS_REASON_MAX];

/* check with the given state; the reason lands in g_why */
static int chk(const keys_chain *c, const char *id, const keys_state *st,
               unsigned char signer, int64_t t, posctx *pc)
{
	keys_public k = K(signer);
	keys_state none;

	memset(&none, 0, sizeof(none));
	memset(g_why, 0, sizeof(g_why));
	return keys_chain_check(c, id, st ? st : &none, &k, t,
	                        pc ? pos_cb : NULL, pc, g_why, sizeof(g_why));
}

#define assert_ok(expr)                                                     \
	do {                                                                \
		int rc_ = (expr);                                           \
		if (rc_ != 0)                                               \
			fail_msg("refused (%d): %s", rc_, g_why);           \
	} while (0)
#define assert_refused(expr, sub)                                           \
	do {                                                                \
		int rc_ = (expr);                                           \
		if (rc_ != KEYS_ECHAIN)                                     \
			fail_msg("expected refusal, got %d", rc_);          \
		assert_why(g_why, (sub));                                   \
	} while (0)

static void fp_of(char out[KEYS_FINGERPRINT_MAX], unsigned char tag)
{
	keys_public k = K(tag);
	keys_public_fingerprint(out, &k);
}

/* root: the pinned key, its rotation line, nothing else */
static void test_chain_root(void **state)
{
	keys_chain *c = *state;
	keys_rotation rot[2];
	keys_state st;
	keys_public root = K(KROOT);
	char fp[KEYS_FINGERPRINT_MAX];

	assert_true(keys_public_equal(keys_chain_root(c), &root));
	/* genesis */
	assert_ok(chk(c, ROOT_ID, NULL, KROOT, T0, NULL));
	assert_refused(chk(c, ROOT_ID, NULL, KP, T0, NULL),
	               "not the root key in effect");
	fp_of(fp, KP);
	assert_why(g_why, fp);
	assert_refused(chk(c, ROOT_ID, NULL, K1, T0, NULL), "not the root key");
	/* later commit, no rotation */
	memset(&st, 0, sizeof(st));
	st.has_current = 1;
	st.current = K(KROOT);
	assert_ok(chk(c, ROOT_ID, &st, KROOT, T0 + 10, NULL));

	/* rotated root -> K2 */
	rot[0] = (keys_rotation){ K(KROOT), K(K2), T0 + 100 };
	st.current = K(K2);
	st.rotations = rot;
	st.nrotations = 1;
	assert_ok(chk(c, ROOT_ID, &st, K2, T0 + 200, NULL));
	assert_refused(chk(c, ROOT_ID, &st, KROOT, T0 + 200, NULL),
	               "rotated out");
	assert_why(g_why, ROOT_ID);
	{
		char ts[21];
		keys_time_format(ts, T0 + 100);
		assert_why(g_why, ts);
	}
	assert_refused(chk(c, ROOT_ID, &st, K3, T0 + 200, NULL),
	               "not the root key");
	/* second rotation K2 -> K3 */
	rot[1] = (keys_rotation){ K(K2), K(K3), T0 + 300 };
	st.current = K(K3);
	st.nrotations = 2;
	assert_ok(chk(c, ROOT_ID, &st, K3, T0 + 400, NULL));
	assert_refused(chk(c, ROOT_ID, &st, K2, T0 + 400, NULL), "rotated out");
	assert_refused(chk(c, ROOT_ID, &st, KROOT, T0 + 400, NULL),
	               "rotated out");

	/* a rotation line that does not start at the pinned key */
	rot[0] = (keys_rotation){ K(KZ), K(K2), T0 + 100 };
	st.current = K(K2);
	st.nrotations = 1;
	assert_refused(chk(c, ROOT_ID, &st, K2, T0 + 200, NULL),
	               "do not start at the pinned root key");
	/* a broken line: root -> K2, then K4 -> K3 */
	rot[0] = (keys_rotation){ K(KROOT), K(K2), T0 + 100 };
	rot[1] = (keys_rotation){ K(K4), K(K3), T0 + 300 };
	st.current = K(K3);
	st.nrotations = 2;
	assert_refused(chk(c, ROOT_ID, &st, K3, T0 + 400, NULL),
	               "do not start");
	/* current key that is not the end of the line */
	rot[1] = (keys_rotation){ K(K2), K(K3), T0 + 300 };
	st.current = K(K4);
	assert_refused(chk(c, ROOT_ID, &st, K3, T0 + 400, NULL),
	               "not the end of its rotation line");
	/* nobody certifies the root */
	{
		keys_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = KEYS_EVENT_CERT;
		ev.key = K(K1);
		assert_int_equal(keys_chain_add_event(c, ROOT_ID, &ev),
		                 KEYS_EINVAL);
	}
}

/* a certificate's validity window [valid_from, valid_until) */
static void test_chain_cert_window(void **state)
{
	keys_chain *c = *state;
	const int64_t T = T0 + 1000, U = T0 + 5000;
	char fp[KEYS_FINGERPRINT_MAX], ts[21];

	add_cert(c, X_ID, K1, T, U);
	fp_of(fp, K1);
	assert_refused(chk(c, X_ID, NULL, K1, T - 1, NULL),
	               "before its certificate");
	assert_why(g_why, fp);
	assert_why(g_why, X_ID);
	assert_ok(chk(c, X_ID, NULL, K1, T, NULL));
	assert_ok(chk(c, X_ID, NULL, K1, U - 1, NULL));
	assert_refused(chk(c, X_ID, NULL, K1, U, NULL), "expired");
	keys_time_format(ts, U);
	assert_why(g_why, ts);
	assert_refused(chk(c, X_ID, NULL, K1, U + 1000000, NULL), "expired");

	/* a renewal starting later: the gap is refused, the renewal OK */
	add_cert(c, X_ID, K1, U + 100, 0);
	assert_refused(chk(c, X_ID, NULL, K1, U + 50, NULL), "expired");
	assert_ok(chk(c, X_ID, NULL, K1, U + 100, NULL));
	assert_ok(chk(c, X_ID, NULL, K1, INT64_C(4000000000), NULL));
	/* still nothing before the first one */
	assert_refused(chk(c, X_ID, NULL, K1, T - 1, NULL),
	               "before its certificate");
}

/* keys of other nodes and keys nobody certified */
static void test_chain_wrong_node(void **state)
{
	keys_chain *c = *state;
	keys_public ky = K(KY), kz = K(KZ), kr = K(KROOT), k1 = K(K1);
	const char *owner;

	add_cert(c, X_ID, K1, T0, 0);
	assert_refused(chk(c, X_ID, NULL, KY, T0 + 10, NULL), Y_ID);
	assert_why(g_why, "not " X_ID);
	owner = keys_chain_owner(c, &ky);
	assert_non_null(owner);
	assert_string_equal(owner, Y_ID);
	owner = keys_chain_owner(c, &k1);
	assert_non_null(owner);
	assert_string_equal(owner, X_ID);
	owner = keys_chain_owner(c, &kr);
	assert_non_null(owner);
	assert_string_equal(owner, ROOT_ID);
	assert_null(keys_chain_owner(c, &kz));
	/* the parent's own key does not sign for the child */
	assert_refused(chk(c, X_ID, NULL, KP, T0 + 10, NULL), P_ID);
	/* a key nobody certified */
	assert_refused(chk(c, X_ID, NULL, KZ, T0 + 10, NULL), "never certified");
	assert_why(g_why, P_ID);
	/* the root key signs only the root */
	assert_refused(chk(c, X_ID, NULL, KROOT, T0 + 10, NULL), ROOT_ID);
	/* and X's key does not sign for Y */
	assert_refused(chk(c, Y_ID, NULL, K1, T0 + 10, NULL), X_ID);
}

/* a revocation naming the last good commit: the store's answer wins;
 * "not held" falls back to the revocation time */
static void test_chain_revoke_last_good(void **state)
{
	keys_chain *c = *state;
	const int64_t R = T0 + 5000;
	static const char L[] = "0123456789abcdef0123456789abcdef01234567";
	posctx pc = { 1, 0, "" };
	char ts[21];

	add_cert(c, X_ID, K1, T0, 0);
	add_revoke(c, X_ID, R, L);
	/* at or before L: fine, whatever the time */
	assert_ok(chk(c, X_ID, NULL, K1, R + 100000, &pc));
	assert_int_equal(pc.calls, 1);
	assert_string_equal(pc.seen, L);
	assert_ok(chk(c, X_ID, NULL, K1, R - 10, &pc));
	/* after L: refused, even before the revocation time */
	pc.answer = 0;
	assert_refused(chk(c, X_ID, NULL, K1, R - 10, &pc), "revoked");
	assert_why(g_why, "last good commit 0123456789ab");
	assert_why(g_why, P_ID);
	keys_time_format(ts, R);
	assert_why(g_why, ts);
	assert_refused(chk(c, X_ID, NULL, K1, R + 10, &pc), "revoked");
	/* L not held here: by time */
	pc.answer = KEYS_ENOTFOUND;
	assert_ok(chk(c, X_ID, NULL, K1, R - 1, &pc));
	assert_refused(chk(c, X_ID, NULL, K1, R, &pc), "revoked");
	assert_refused(chk(c, X_ID, NULL, K1, R + 1, &pc), "revoked");
	/* no callback at all: by time */
	assert_ok(chk(c, X_ID, NULL, K1, R - 1, NULL));
	assert_refused(chk(c, X_ID, NULL, K1, R, NULL), "revoked");
	/* a failing callback is a refusal with a reason, never a yes */
	pc.answer = KEYS_EIO;
	assert_refused(chk(c, X_ID, NULL, K1, R - 1, &pc), "cannot tell");
	assert_refused(chk(c, X_ID, NULL, K1, R + 1, &pc), "cannot tell");
}

/* a revocation without last_good goes by time and asks nothing */
static void test_chain_revoke_by_time(void **state)
{
	keys_chain *c = *state;
	const int64_t R = T0 + 5000;
	posctx pc = { 1, 0, "" };

	add_cert(c, X_ID, K1, T0, 0);
	add_revoke(c, X_ID, R, NULL);
	assert_ok(chk(c, X_ID, NULL, K1, R - 1, &pc));
	assert_refused(chk(c, X_ID, NULL, K1, R, &pc), "revoked");
	assert_int_equal(pc.calls, 0);
	/* Y is unaffected by X's revocation */
	assert_ok(chk(c, Y_ID, NULL, KY, R + 10, &pc));
}

/* re-enrollment: a new certificate after a revocation */
static void test_chain_reenroll(void **state)
{
	keys_chain *c = *state;
	const int64_t R = T0 + 5000;
	posctx pc = { 0, 0, "" };
	keys_state st;

	add_cert(c, X_ID, K1, T0, 0);
	add_revoke(c, X_ID, R, "feedfacefeedfacefeedfacefeedfacefeedface");
	add_cert(c, X_ID, K3, R, 0);
	/* K3 from R on, whether or not X's current key is still K1 */
	assert_ok(chk(c, X_ID, NULL, K3, R, &pc));
	memset(&st, 0, sizeof(st));
	st.has_current = 1;
	st.current = K(K1);
	assert_ok(chk(c, X_ID, &st, K3, R + 10, &pc));
	assert_refused(chk(c, X_ID, &st, K3, R - 1, &pc),
	               "before its certificate");
	/* K1 after the last good commit */
	assert_refused(chk(c, X_ID, &st, K1, R + 10, &pc), "revoked");
	assert_refused(chk(c, X_ID, &st, K1, R - 10, &pc), "revoked");
	/* K1 up to the last good commit */
	pc.answer = 1;
	assert_ok(chk(c, X_ID, &st, K1, R + 10, &pc));
	/* once K3 is current, K3 is fine */
	st.current = K(K3);
	pc.answer = 0;
	assert_ok(chk(c, X_ID, &st, K3, R + 20, &pc));

	/* the same without last_good: K1 by time */
	assert_int_equal(keys_chain_set_node(c, X_ID, P_ID), 0);
	add_cert(c, X_ID, K1, T0, 0);
	add_revoke(c, X_ID, R, NULL);
	add_cert(c, X_ID, K3, R, 0);
	assert_ok(chk(c, X_ID, NULL, K1, R - 1, NULL));
	assert_refused(chk(c, X_ID, NULL, K1, R, NULL), "revoked");
	assert_ok(chk(c, X_ID, NULL, K3, R, NULL));
	/* a later revocation of K3 does not resurrect K1 */
	add_revoke(c, X_ID, R + 1000, NULL);
	assert_refused(chk(c, X_ID, NULL, K3, R + 1000, NULL), "revoked");
	assert_refused(chk(c, X_ID, NULL, K1, R + 1000, NULL), "revoked");
	assert_ok(chk(c, X_ID, NULL, K3, R + 999, NULL));
}

/* X's own rotations: the current key inherits its origin's certificate */
static void test_chain_rotation_lineage(void **state)
{
	keys_chain *c = *state;
	const int64_t R = T0 + 5000;
	keys_rotation rot[2];
	keys_state st;
	posctx pc = { 1, 0, "" };
	char ts[21];

	add_cert(c, X_ID, K1, T0, 0);
	rot[0] = (keys_rotation){ K(K1), K(K2), T0 + 100 };
	memset(&st, 0, sizeof(st));
	st.has_current = 1;
	st.current = K(K2);
	st.rotations = rot;
	st.nrotations = 1;
	assert_ok(chk(c, X_ID, &st, K2, T0 + 200, NULL));
	assert_refused(chk(c, X_ID, &st, K1, T0 + 200, NULL), "rotated out");
	assert_why(g_why, X_ID);
	keys_time_format(ts, T0 + 100);
	assert_why(g_why, ts);
	/* K2 is not certified itself: without the rotation it is a stranger */
	assert_refused(chk(c, X_ID, NULL, K2, T0 + 200, NULL),
	               "never certified");
	/* the lineage still needs the origin's certificate in effect */
	assert_refused(chk(c, X_ID, &st, K2, T0 - 1, NULL),
	               "before its certificate");

	/* two rotations K1 -> K2 -> K3 */
	rot[1] = (keys_rotation){ K(K2), K(K3), T0 + 300 };
	st.current = K(K3);
	st.nrotations = 2;
	assert_ok(chk(c, X_ID, &st, K3, T0 + 400, NULL));
	assert_refused(chk(c, X_ID, &st, K2, T0 + 400, NULL), "rotated out");
	assert_refused(chk(c, X_ID, &st, K1, T0 + 400, NULL), "rotated out");

	/* a revocation after K1's certificate covers its whole line */
	add_revoke(c, X_ID, R, "abc");
	pc.answer = 0;
	assert_refused(chk(c, X_ID, &st, K3, T0 + 400, &pc), "revoked");
	pc.answer = 1;
	assert_ok(chk(c, X_ID, &st, K3, R + 400, &pc));
	pc.answer = KEYS_ENOTFOUND;
	assert_ok(chk(c, X_ID, &st, K3, R - 1, &pc));
	assert_refused(chk(c, X_ID, &st, K3, R, &pc), "revoked");
	st.current = K(K2);
	st.nrotations = 1;
	assert_refused(chk(c, X_ID, &st, K2, R, &pc), "revoked");
	assert_ok(chk(c, X_ID, &st, K2, R - 1, &pc));
}

/* a rotation line whose origin the parent never certified gives nothing */
/* a parent renews the key a node rotated to: the renewal counts, even
 * after the original certificate expired or was revoked */
static void test_chain_rotated_key_renewed(void **state)
{
	keys_chain *c = *state;
	keys_rotation rot = { K(K1), K(K2), T0 + 500 };
	keys_state st;

	add_cert(c, X_ID, K1, T0, T0 + 1000);
	add_cert(c, X_ID, K2, T0 + 1000, 0);
	memset(&st, 0, sizeof(st));
	st.has_current = 1;
	st.current = K(K2);
	st.rotations = &rot;
	st.nrotations = 1;
	assert_ok(chk(c, X_ID, &st, K2, T0 + 700, NULL));  /* via K1's line */
	assert_ok(chk(c, X_ID, &st, K2, T0 + 1500, NULL)); /* via its renewal */
	/* a revocation after K1's certificate, then a renewal of K2 */
	add_revoke(c, X_ID, T0 + 2000, "");
	assert_refused(chk(c, X_ID, &st, K2, T0 + 2500, NULL), "revoked");
	add_cert(c, X_ID, K2, T0 + 3000, 0);
	assert_ok(chk(c, X_ID, &st, K2, T0 + 3500, NULL));
	assert_refused(chk(c, X_ID, &st, K2, T0 + 2500, NULL), "revoked");
}

static void test_chain_rotation_uncertified(void **state)
{
	keys_chain *c = *state;
	keys_rotation rot[1];
	keys_state st;

	add_cert(c, X_ID, K1, T0, 0);
	rot[0] = (keys_rotation){ K(KZ), K(K2), T0 + 100 };
	memset(&st, 0, sizeof(st));
	st.has_current = 1;
	st.current = K(K2);
	st.rotations = rot;
	st.nrotations = 1;
	assert_refused(chk(c, X_ID, &st, K2, T0 + 200, NULL), "never certified");
	/* a rotation from Y's key does not make it X's */
	rot[0] = (keys_rotation){ K(KY), K(K2), T0 + 100 };
	assert_refused(chk(c, X_ID, &st, K2, T0 + 200, NULL), "never certified");
	/* only the current key has a line: a non-current rotated-to key is
	 * judged on its own certificates */
	rot[0] = (keys_rotation){ K(K1), K(K2), T0 + 100 };
	st.current = K(K3);
	assert_refused(chk(c, X_ID, &st, K2, T0 + 200, NULL), "never certified");
}

/* nodes the chain does not know; node table bookkeeping */
static void test_chain_unknown_and_nodes(void **state)
{
	keys_chain *c = *state;
	char id[KEYS_ID_MAX + 2];
	keys_event ev;

	assert_refused(chk(c, "350199", NULL, K1, T0, NULL), "not known");
	assert_why(g_why, "350199");
	assert_refused(chk(c, "3501", NULL, K1, T0, NULL), "not known");

	memset(&ev, 0, sizeof(ev));
	ev.type = KEYS_EVENT_CERT;
	ev.key = K(K1);
	assert_int_equal(keys_chain_add_event(c, "350199", &ev), KEYS_EINVAL);
	ev.type = (enum keys_event_type)7;
	assert_int_equal(keys_chain_add_event(c, X_ID, &ev), KEYS_EINVAL);
	assert_int_equal(keys_chain_add_event(c, X_ID, NULL), KEYS_EINVAL);
	assert_int_equal(keys_chain_set_node(c, "", P_ID), KEYS_EINVAL);
	assert_int_equal(keys_chain_set_node(c, NULL, P_ID), KEYS_EINVAL);
	memset(id, '1', sizeof(id));
	id[KEYS_ID_MAX + 1] = '\0';
	assert_int_equal(keys_chain_set_node(c, id, P_ID), KEYS_EINVAL);
	assert_int_equal(keys_chain_set_node(c, P_ID, id), KEYS_EINVAL);
	id[KEYS_ID_MAX] = '\0';
	assert_int_equal(keys_chain_set_node(c, id, P_ID), 0);

	/* set_node replaces a node's events */
	add_cert(c, X_ID, K1, T0, 0);
	assert_ok(chk(c, X_ID, NULL, K1, T0, NULL));
	assert_int_equal(keys_chain_set_node(c, X_ID, P_ID), 0);
	assert_refused(chk(c, X_ID, NULL, K1, T0, NULL), "never certified");

	/* many nodes, inserted out of order, each found with its own key */
	for (int i = 199; i >= 0; i--) {
		char nid[16];
		snprintf(nid, sizeof(nid), "3502%02d%03d", i % 7, i);
		assert_int_equal(keys_chain_set_node(c, nid, P_ID), 0);
		add_cert(c, nid, (unsigned char)(0x80 + (i % 100)), T0 + i, 0);
	}
	for (int i = 0; i < 200; i++) {
		char nid[16];
		snprintf(nid, sizeof(nid), "3502%02d%03d", i % 7, i);
		assert_ok(chk(c, nid, NULL, (unsigned char)(0x80 + (i % 100)),
		              T0 + i, NULL));
		assert_refused(chk(c, nid, NULL,
		                   (unsigned char)(0x80 + (i % 100)), T0 + i - 1,
		                   NULL), "before its certificate");
	}
	/* without a root node declared, the pinned key is "the root's" */
	{
		keys_chain *bare;
		keys_public root = K(KROOT), k1 = K(K1);
		const char *owner;

		assert_int_equal(keys_chain_new(&bare, &root), 0);
		owner = keys_chain_owner(bare, &root);
		assert_non_null(owner);
		assert_string_equal(owner, "the root");
		assert_null(keys_chain_owner(bare, &k1));
		assert_int_equal(keys_chain_set_node(bare, X_ID, P_ID), 0);
		assert_null(keys_chain_owner(bare, &k1));
		keys_chain_free(bare);
	}
	/* the original nodes survive the insertions */
	assert_ok(chk(c, Y_ID, NULL, KY, T0, NULL));
	assert_ok(chk(c, ROOT_ID, NULL, KROOT, T0, NULL));
}

/* ---- misc ------------------------------------------------------------- */

static void test_strerror(void **state)
{
	const int codes[] = { KEYS_OK, KEYS_ENOMEM, KEYS_EIO, KEYS_EPERM,
		              KEYS_EFORMAT, KEYS_EEXIST, KEYS_EBADSIG,
		              KEYS_EINVAL, KEYS_ECHAIN, KEYS_ENOTFOUND };
	const size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(keys_strerror(codes[i]),
		                        "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(keys_strerror(codes[i]),
			                        keys_strerror(codes[j]));
	}
	assert_string_equal(keys_strerror(-1000), "unknown error");
}

int main(void)
{
#define TMP(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)
#define SIG(f) cmocka_unit_test_setup_teardown(f, sig_setup, sig_teardown)
#define CHAIN(f) \
	cmocka_unit_test_setup_teardown(f, chain_setup, chain_teardown)
	/* 1. secret key files */
	const struct CMUnitTest secret[] = {
		TMP(test_secret_roundtrip),
		cmocka_unit_test(test_secret_generate_distinct),
		TMP(test_secret_save_no_force),
		TMP(test_secret_save_force),
		TMP(test_secret_save_errors),
		TMP(test_secret_load_permissions),
		TMP(test_secret_load_truncated),
		TMP(test_secret_load_garbage),
		TMP(test_secret_load_corrupt_base64),
		TMP(test_secret_load_padded),
		TMP(test_secret_load_symlink),
		TMP(test_secret_load_blob_structure),
	};
	/* 2. OpenSSH interop (skipped without ssh-keygen) */
	const struct CMUnitTest interop[] = {
		TMP(test_interop_ssh_keygen_reads_ours),
		TMP(test_interop_we_read_ssh_keygen_key),
		TMP(test_interop_sign_byte_identical),
		TMP(test_interop_ssh_keygen_verifies_ours),
		TMP(test_interop_we_verify_ssh_keygen_sig),
	};
	/* 3. golden vectors */
	const struct CMUnitTest golden[] = {
		TMP(test_golden_key),
		TMP(test_golden_signature),
	};
	/* 4. SSHSIG */
	const struct CMUnitTest sshsig[] = {
		SIG(test_sshsig_verify_ok),
		SIG(test_sshsig_badsig),
		SIG(test_sshsig_every_bit),
		SIG(test_sshsig_truncated_trailing),
		SIG(test_sshsig_malformed_fields),
		SIG(test_sshsig_arguments),
		SIG(test_sshsig_armor),
		cmocka_unit_test(test_b64),
	};
	/* 5. public key lines, 6. time, misc */
	const struct CMUnitTest lines[] = {
		cmocka_unit_test(test_public_roundtrip),
		cmocka_unit_test(test_public_rejects),
		TMP(test_public_load),
		cmocka_unit_test(test_public_fingerprint),
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_rejects),
		cmocka_unit_test(test_strerror),
	};
	/* 7. the trust chain */
	const struct CMUnitTest chain[] = {
		CHAIN(test_chain_root),
		CHAIN(test_chain_cert_window),
		CHAIN(test_chain_wrong_node),
		CHAIN(test_chain_revoke_last_good),
		CHAIN(test_chain_revoke_by_time),
		CHAIN(test_chain_reenroll),
		CHAIN(test_chain_rotation_lineage),
		CHAIN(test_chain_rotated_key_renewed),
		CHAIN(test_chain_rotation_uncertified),
		CHAIN(test_chain_unknown_and_nodes),
	};
	int failed = 0;

	if (keys_init() != 0) {
		fprintf(stderr, "keys_init failed\n");
		return 1;
	}
	failed += cmocka_run_group_tests_name("secret keys", secret, NULL, NULL);
	failed += cmocka_run_group_tests_name("openssh interop", interop, NULL,
	                                      NULL);
	failed += cmocka_run_group_tests_name("golden vectors", golden, NULL,
	                                      NULL);
	failed += cmocka_run_group_tests_name("sshsig", sshsig, NULL, NULL);
	failed += cmocka_run_group_tests_name("public keys and time", lines,
	                                      NULL, NULL);
	failed += cmocka_run_group_tests_name("trust chain", chain, NULL, NULL);
	return failed == 0 ? 0 : 1;
#undef TMP
#undef SIG
#undef CHAIN
}
