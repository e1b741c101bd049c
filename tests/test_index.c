/*
 * test_index.c — the pack indexer (store/index.c) that replaced libgit2's
 * git_indexer in store_import: the duplicate that hung git_indexer, thin
 * packs from our writer (compared with what git_indexer makes of them),
 * packs from stock `git pack-objects` (OFS_DELTA), `git verify-pack` on
 * what it writes, and hostile packs: every truncation, thousands of
 * mutations, and each refusal by name — all refused without a crash, a
 * hang or a leak, with the bounds (depth, sizes, counts) enforced.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <git2/sys/odb_backend.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define P_REF "refs/heads/main"
#define R_REF "refs/nodes/350000"

static const char *const areas[] = { "城乡规划", "财政预决算", "安全生产",
	                             "生态环境", "义务教育", "社会救助",
	                             "卫生健康", "市政服务" };
#define NAREAS (sizeof(areas) / sizeof(areas[0]))

/* ---- helpers ------------------------------------------------------------ */

static void on_alarm(int sig)
{
	static const char msg[] = "\ntest_index: timed out: the indexer hung\n";
	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(1);
}

/* Fails the whole test (exit 1) if it is not over in `secs`. */
static void deadline(unsigned secs)
{
	signal(SIGALRM, on_alarm);
	alarm(secs);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		fail_msg("vasprintf");
	rc = system(cmd);
	free(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	char *cmd, *buf = NULL;
	size_t len = 0;
	FILE *f, *m;
	va_list ap;
	int c;

	va_start(ap, fmt);
	c = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (c < 0)
		fail_msg("vasprintf");
	f = popen(cmd, "r");
	assert_non_null(f);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	if (pclose(f) != 0)
		fail_msg("'%s' failed", cmd);
	free(cmd);
	return buf;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, r;

	assert_non_null(f);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static git_oid oid_of(int type, const void *d, size_t n)
{
	git_oid id;
	assert_int_equal(git_odb_hash(&id, d, n, (git_object_t)type), 0);
	return id;
}

/* ---- a pack builder --------------------------------------------------------- */

typedef struct pk {
	unsigned char *p;
	size_t len, cap;
	uint32_t n;
} pk;

static void pk_put(pk *k, const void *d, size_t n)
{
	if (k->len + n > k->cap) {
		size_t ncap = k->cap ? k->cap : 256;
		while (ncap < k->len + n)
			ncap *= 2;
		k->p = realloc(k->p, ncap);
		assert_non_null(k->p);
		k->cap = ncap;
	}
	memcpy(k->p + k->len, d, n);
	k->len += n;
}

static void pk_start(pk *k)
{
	memset(k, 0, sizeof(*k));
	pk_put(k, "PACK\0\0\0\2\0\0\0\0", 12);
}

static void pk_hdr(pk *k, int type, size_t size)
{
	unsigned char h[16];
	size_t n = 0;
	unsigned char c = (unsigned char)((type << 4) | (size & 15));

	for (size >>= 4; size; size >>= 7) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
	}
	h[n++] = c;
	pk_put(k, h, n);
}

static void pk_z(pk *k, const void *d, size_t n)
{
	uLongf zn = compressBound((uLong)n);
	unsigned char *z = malloc(zn);

	assert_non_null(z);
	assert_int_equal(compress(z, &zn, d, (uLong)n), Z_OK);
	pk_put(k, z, zn);
	free(z);
}

static size_t pk_whole(pk *k, int type, const void *d, size_t n)
{
	size_t off = k->len;
	pk_hdr(k, type, n);
	pk_z(k, d, n);
	k->n++;
	return off;
}

static void ofs_put(pk *k, uint64_t back)
{
	unsigned char tmp[16];
	size_t pos = sizeof(tmp) - 1;

	tmp[pos] = back & 127;
	while (back >>= 7)
		tmp[--pos] = 128 | (--back & 127);
	pk_put(k, tmp + pos, sizeof(tmp) - pos);
}

static size_t pk_ofs(pk *k, size_t base, const void *d, size_t n)
{
	size_t off = k->len;
	pk_hdr(k, 6, n);
	ofs_put(k, off - base);
	pk_z(k, d, n);
	k->n++;
	return off;
}

static size_t pk_ref(pk *k, const git_oid *base, const void *d, size_t n)
{
	size_t off = k->len;
	pk_hdr(k, 7, n);
	pk_put(k, base->id, 20);
	pk_z(k, d, n);
	k->n++;
	return off;
}

static void fix_trailer(unsigned char *p, size_t len)
{
	store_sha1 c;
	store_sha1_init(&c);
	store_sha1_update(&c, p, len - 20);
	store_sha1_final(&c, p + len - 20);
}

/* Writes the count (k->n) and the trailer. */
static void pk_end(pk *k)
{
	unsigned char z[20] = { 0 };
	k->p[8] = (unsigned char)(k->n >> 24);
	k->p[9] = (unsigned char)(k->n >> 16);
	k->p[10] = (unsigned char)(k->n >> 8);
	k->p[11] = (unsigned char)k->n;
	pk_put(k, z, 20);
	fix_trailer(k->p, k->len);
}

/* A delta turning src into tgt (malloc'd). */
static unsigned char *mkdelta(const void *src, size_t sl, const void *tgt,
                              size_t tl, size_t *dl)
{
	size_t cap = store_delta_bound(sl, tl);
	unsigned char *d = malloc(cap);
	assert_non_null(d);
	*dl = store_delta_encode(d, cap, src, sl, tgt, tl);
	assert_true(*dl > 0);
	return d;
}

/* ---- where the indexer writes -------------------------------------------------- */

typedef struct outdir {
	char *root;
	char objects[4096];
	char pack[4200];
} outdir;

static void out_new(outdir *o)
{
	o->root = tu_tmpdir();
	snprintf(o->objects, sizeof(o->objects), "%s/objects", o->root);
	snprintf(o->pack, sizeof(o->pack), "%s/pack", o->objects);
	assert_int_equal(mkdir(o->objects, 0755), 0);
	assert_int_equal(mkdir(o->pack, 0755), 0);
}

static void out_clear(outdir *o)
{
	tu_rmrf(o->pack);
	assert_int_equal(mkdir(o->pack, 0755), 0);
}

static void out_free(outdir *o)
{
	tu_rmrf(o->root);
	free(o->root);
}

static git_odb *out_odb(const outdir *o)
{
	git_odb *odb;
	git_odb_backend *b;
	assert_int_equal(git_odb_new(&odb), 0);
	assert_int_equal(git_odb_backend_pack(&b, o->objects), 0);
	assert_int_equal(git_odb_add_backend(odb, b, 1), 0);
	return odb;
}

static char why[1024];

static int ix(outdir *o, git_odb *bases, const void *p, size_t n,
              const store_index_opts *opts, store_index_stats *st)
{
	store_index_stats dummy;
	return store_index_pack(bases, p, n, o->pack, opts, st ? st : &dummy,
	                        why, sizeof(why));
}

/* `git verify-pack -v` on the pack written (stats->name). */
static void verify_pack(const outdir *o, const store_index_stats *st)
{
	char *out = sh_out("git verify-pack -v '%s/pack-%s.idx' 2>&1", o->pack,
	                   st->name);
	char want[128];
	snprintf(want, sizeof(want), "pack-%s.pack: ok", st->name);
	if (strstr(out, want) == NULL)
		fail_msg("verify-pack: %s", out);
	free(out);
}

typedef struct ids {
	git_oid *v;
	size_t n, cap;
} ids;

static int ids_cb(const git_oid *id, void *payload)
{
	ids *s = payload;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->n++] = *id;
	return 0;
}

static int oid_qcmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static void ids_of(git_odb *odb, ids *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(git_odb_foreach(odb, ids_cb, s), 0);
	qsort(s->v, s->n, sizeof(*s->v), oid_qcmp);
}

/* Every object in `mine` reads back, and equals the one in `ref` (or, with
 * ref NULL, hashes to its name). Returns how many. */
static size_t check_objects(git_odb *mine, git_odb *ref)
{
	ids s;
	ids_of(mine, &s);
	for (size_t i = 0; i < s.n; i++) {
		git_odb_object *a, *b;
		assert_int_equal(git_odb_read(&a, mine, &s.v[i]), 0);
		if (ref != NULL) {
			assert_int_equal(git_odb_read(&b, ref, &s.v[i]), 0);
			assert_int_equal(git_odb_object_type(a), git_odb_object_type(b));
			assert_int_equal(git_odb_object_size(a), git_odb_object_size(b));
			assert_memory_equal(git_odb_object_data(a), git_odb_object_data(b),
			                    git_odb_object_size(a));
			git_odb_object_free(b);
		} else {
			git_oid h = oid_of((int)git_odb_object_type(a),
			                   git_odb_object_data(a), git_odb_object_size(a));
			assert_true(git_oid_equal(&h, &s.v[i]));
		}
		git_odb_object_free(a);
	}
	free(s.v);
	return s.n;
}

/* libgit2's git_indexer on the same pack, for comparison. */
static double libgit2_index(const char *dir, git_odb *bases, const void *p,
                            size_t n, unsigned *appended)
{
	git_indexer_options io;
	git_indexer_progress stats;
	git_indexer *idx = NULL;
	double t = now();

	git_indexer_options_init(&io, GIT_INDEXER_OPTIONS_VERSION);
	assert_int_equal(git_indexer_new(&idx, dir, 0, bases, &io), 0);
	assert_int_equal(git_indexer_append(idx, p, n, &stats), 0);
	assert_int_equal(git_indexer_commit(idx, &stats), 0);
	*appended = stats.local_objects;
	git_indexer_free(idx);
	return now() - t;
}

/* ---- the federation (as in test_pack) ----------------------------------------- */

typedef struct fx {
	char *dir;
	tu_node p; /* the province: its own history is packed */
	tu_node r; /* a city holding the province's history */
	const keys_public *root;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_tmpdir();
	tu_node_new(&f->p, f->dir, "350000", STORE_LEVEL_PROVINCE, "福建省", NULL);
	tu_node_new(&f->r, f->dir, "350100", STORE_LEVEL_CITY, "福州市", "350000");
	f->root = keys_secret_public(f->p.sk);
	store_set_root(f->r.st, f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	alarm(0);
	tu_node_free(&f->p);
	tu_node_free(&f->r);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void item_path(char *out, size_t len, unsigned i, char id[32])
{
	snprintf(id, 32, "ITEM.%05u", i);
	snprintf(out, len, "catalog/%s/%s.json", areas[i % NAREAS], id);
}

static void seed(tu_node *n, unsigned first, unsigned count, unsigned batch)
{
	store_change *ch = calloc(batch, sizeof(*ch));
	char (*paths)[STORE_PATH_MAX] = calloc(batch, STORE_PATH_MAX);
	char out[STORE_OID_HEX];

	assert_non_null(ch);
	assert_non_null(paths);
	for (unsigned i = first; i < first + count; i += batch) {
		unsigned k = 0;
		for (; k < batch && i + k < first + count; k++) {
			char id[32], name[64];
			size_t len;
			item_path(paths[k], STORE_PATH_MAX, i + k, id);
			snprintf(name, sizeof(name), "公开事项 %u", i + k);
			ch[k].path = paths[k];
			ch[k].data = tu_item(id, areas[(i + k) % NAREAS], name, &len);
			ch[k].len = len;
		}
		if (store_commit(n->st, n->sk, ch, k, "seed", out) != 0)
			fail_msg("seed: %s", store_errmsg());
		for (unsigned j = 0; j < k; j++)
			free((void *)ch[j].data);
	}
	free(ch);
	free(paths);
}

static void rename_item(tu_node *n, unsigned i, const char *name)
{
	char id[32], path[STORE_PATH_MAX];

	item_path(path, sizeof(path), i, id);
	tu_put_item(n, id, areas[i % NAREAS], name);
}

static git_odb *odb_of(store *st)
{
	git_odb *odb;
	assert_int_equal(git_repository_odb(&odb, st->repo), 0);
	return odb;
}

static void expect_same_heads(fx *f)
{
	char a[STORE_OID_HEX], b[STORE_OID_HEX];

	tu_ref(f->p.st, P_REF, a);
	tu_ref(f->r.st, R_REF, b);
	assert_string_equal(a, b);
}

static void expect_verified(store *st, const keys_public *root)
{
	store_report rep;

	assert_int_equal(store_verify(st, root, &rep, NULL, NULL), 0);
	if (rep.problems != 0)
		fail_msg("verify: %s", rep.nodes[0].nproblems
		                               ? rep.nodes[0].problems[0].reason
		                               : "a problem");
	store_report_free(&rep);
}

/* ---- the duplicate that hung git_indexer ------------------------------------- */

static const char dup_blob[] = "the same object, twice\n";

/* A blob, then a REF_DELTA against it that rebuilds that very blob. */
static void dup_pack(pk *k)
{
	git_oid id = oid_of(3, dup_blob, sizeof(dup_blob) - 1);
	/* base 23 bytes, target 23 bytes, copy 23 bytes from 0 */
	const unsigned char delta[] = { 23, 23, 0x90, 23 };

	pk_start(k);
	pk_whole(k, 3, dup_blob, sizeof(dup_blob) - 1);
	pk_ref(k, &id, delta, sizeof(delta));
	pk_end(k);
}

static void test_duplicate_does_not_hang(void **state)
{
	fx *f = *state;
	git_odb *odb = odb_of(f->r.st), *mine;
	git_oid id = oid_of(3, dup_blob, sizeof(dup_blob) - 1);
	git_odb_object *o;
	store_index_stats st;
	store_import_result res;
	outdir out;
	pk k;
	char hex[STORE_OID_HEX];
	double t;
	int rc;

	dup_pack(&k);
	print_message("the duplicate pack: %zu bytes\n", k.len);
	out_new(&out);
	deadline(20);
	t = now();
	rc = ix(&out, odb, k.p, k.len, NULL, &st);
	t = now() - t;
	if (rc != 0)
		fail_msg("refused: %s", why);
	/* accepted, the second copy dropped: one object */
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.objects, 1);
	assert_int_equal(st.appended, 0);
	assert_true(t < 5);
	mine = out_odb(&out);
	assert_int_equal(git_odb_read(&o, mine, &id), 0);
	assert_int_equal(git_odb_object_size(o), sizeof(dup_blob) - 1);
	assert_memory_equal(git_odb_object_data(o), dup_blob,
	                    sizeof(dup_blob) - 1);
	git_odb_object_free(o);
	assert_int_equal(check_objects(mine, NULL), 1);
	git_odb_free(mine);
	verify_pack(&out, &st);
	/* and through store_import: it returns (the "head" is a blob) */
	git_oid_tostr(hex, sizeof(hex), &id);
	rc = store_import(f->r.st, f->root, "350000", hex, k.p, k.len, &res);
	assert_int_equal(rc, STORE_EREJECT);
	assert_int_equal(tu_quarantines(f->r.st), 0);
	alarm(0);
	free(k.p);

	/* the same, the delta first: the whole copy is kept */
	out_clear(&out);
	{
		const unsigned char delta[] = { 23, 23, 0x90, 23 };
		pk_start(&k);
		pk_ref(&k, &id, delta, sizeof(delta));
		pk_whole(&k, 3, dup_blob, sizeof(dup_blob) - 1);
		pk_end(&k);
		deadline(20);
		assert_int_equal(ix(&out, odb, k.p, k.len, NULL, &st), 0);
		alarm(0);
		assert_int_equal(st.duplicates, 1);
		assert_int_equal(st.objects, 1);
		verify_pack(&out, &st);
		mine = out_odb(&out);
		assert_int_equal(check_objects(mine, NULL), 1);
		git_odb_free(mine);
		free(k.p);
	}
	/* a blob twice, whole; and an OFS_DELTA rebuilding its base, with
	 * a delta on the dropped copy (it then names the kept one) */
	out_clear(&out);
	{
		const unsigned char same[] = { 23, 23, 0x90, 23 };
		const char other[] = "the same object, twice!\n";
		size_t b1, b2, dl;
		unsigned char *d = mkdelta(dup_blob, 23, other, 24, &dl);
		git_oid oid2 = oid_of(3, other, 24);
		pk_start(&k);
		b1 = pk_whole(&k, 3, dup_blob, 23);
		pk_whole(&k, 3, dup_blob, 23);
		b2 = pk_ofs(&k, b1, same, sizeof(same));
		pk_ofs(&k, b2, d, dl);
		pk_end(&k);
		free(d);
		deadline(20);
		assert_int_equal(ix(&out, odb, k.p, k.len, NULL, &st), 0);
		alarm(0);
		assert_int_equal(st.duplicates, 2);
		assert_int_equal(st.objects, 2);
		verify_pack(&out, &st);
		mine = out_odb(&out);
		assert_int_equal(check_objects(mine, NULL), 2);
		assert_int_equal(git_odb_read(&o, mine, &oid2), 0);
		assert_memory_equal(git_odb_object_data(o), other, 24);
		git_odb_object_free(o);
		git_odb_free(mine);
		free(k.p);
	}
	/* thin: a REF_DELTA rebuilding the very base the store holds */
	out_clear(&out);
	{
		git_oid held;
		git_odb_object *ho;
		unsigned char delta[16];
		size_t n = 0, hs;
		char head[STORE_OID_HEX];
		git_commit *c;
		tu_ref(f->p.st, P_REF, head);
		assert_int_equal(git_oid_fromstr(&held, head), 0);
		/* the receiver holds P's genesis after a sync */
		assert_int_equal(tu_sync(f->p.st, "350000", f->r.st, f->root, &res),
		                 0);
		assert_int_equal(git_commit_lookup(&c, f->r.st->repo, &held), 0);
		held = *git_commit_tree_id(c);
		git_commit_free(c);
		assert_int_equal(git_odb_read(&ho, odb, &held), 0);
		hs = git_odb_object_size(ho);
		git_odb_object_free(ho);
		assert_true(hs < 128);
		delta[n++] = (unsigned char)hs;
		delta[n++] = (unsigned char)hs;
		delta[n++] = 0x90;
		delta[n++] = (unsigned char)hs;
		pk_start(&k);
		pk_ref(&k, &held, delta, n);
		pk_end(&k);
		deadline(20);
		assert_int_equal(ix(&out, odb, k.p, k.len, NULL, &st), 0);
		alarm(0);
		assert_int_equal(st.appended, 1);
		assert_int_equal(st.duplicates, 1);
		assert_int_equal(st.objects, 1);
		verify_pack(&out, &st);
		mine = out_odb(&out);
		assert_int_equal(check_objects(mine, odb), 1);
		git_odb_free(mine);
		free(k.p);
	}
	out_free(&out);
	git_odb_free(odb);
}

/* ---- thin packs from our writer ------------------------------------------------ */

/*
 * Packs P's history for what R holds, indexes it with ours and with
 * git_indexer (the same objects, appended bases included, every one as
 * in P), verify-packs ours, then imports it: R's replica ref is P's head.
 */
static void catch_up(fx *f, const char *what, size_t want_commits)
{
	char have[STORE_OID_HEX];
	store_pack_info info;
	store_buf b;
	store_index_stats st;
	store_import_result res;
	outdir ours, theirs;
	git_odb *rodb = odb_of(f->r.st), *podb = odb_of(f->p.st), *a, *c;
	ids x, y;
	unsigned appended;
	double t, tl;

	tu_ref(f->r.st, R_REF, have);
	assert_int_equal(store_pack_range(f->p.st, NULL, have, 0, &b, &info), 0);
	assert_int_equal(info.commits, want_commits);
	out_new(&ours);
	out_new(&theirs);
	t = now();
	if (ix(&ours, rodb, b.ptr, b.len, NULL, &st) != 0)
		fail_msg("refused: %s", why);
	t = now() - t;
	tl = libgit2_index(theirs.pack, rodb, b.ptr, b.len, &appended);
	print_message("%s: %zu commits, %zu B, %zu objects (%zu deltas); "
	              "indexed in %.3f s appending %zu bases (git_indexer "
	              "%.3f s, %u bases)\n",
	              what, info.commits, b.len, info.objects, info.deltas, t,
	              st.appended, tl, appended);
	assert_int_equal(st.objects, info.objects + st.appended);
	assert_int_equal(st.appended, appended);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.ref_deltas, info.deltas);
	a = out_odb(&ours);
	c = out_odb(&theirs);
	ids_of(a, &x);
	ids_of(c, &y);
	assert_int_equal(x.n, y.n);
	assert_memory_equal(x.v, y.v, x.n * sizeof(*x.v));
	free(x.v);
	free(y.v);
	assert_int_equal(check_objects(a, podb), st.objects);
	git_odb_free(a);
	git_odb_free(c);
	verify_pack(&ours, &st);
	out_free(&ours);
	out_free(&theirs);
	if (store_import(f->r.st, f->root, "350000", info.head, b.ptr, b.len,
	                 &res) != 0)
		fail_msg("import: %s", store_errmsg());
	assert_int_equal(res.commits, want_commits);
	store_buf_free(&b);
	expect_same_heads(f);
	assert_int_equal(tu_quarantines(f->r.st), 0);
	git_odb_free(rodb);
	git_odb_free(podb);
}

static void test_our_thin_packs(void **state)
{
	fx *f = *state;
	store_import_result res;

	seed(&f->p, 0, 300, 50);
	assert_int_equal(tu_sync(f->p.st, "350000", f->r.st, f->root, &res), 0);
	expect_same_heads(f);
	/* one record */
	rename_item(&f->p, 123, "一条更新");
	catch_up(f, "1-record update", 1);
	/* 1,000 commits: updates and some new items */
	for (unsigned i = 0; i < 1000; i++) {
		char name[48];
		if (i % 10 == 9) {
			seed(&f->p, 300 + i / 10, 1, 1);
			continue;
		}
		snprintf(name, sizeof(name), "第 %u 版", i);
		rename_item(&f->p, (i * 7919u) % 300, name);
	}
	catch_up(f, "1,000-commit catch-up", 1000);
	expect_verified(f->r.st, f->root);
}

/* ---- packs from stock git ------------------------------------------------------- */

/* `git pack-objects --revs --stdout --delta-base-offset` in a clone. */
static unsigned char *git_pack(const char *git, const char *dir,
                               const char *revs, int thin, size_t *len)
{
	char path[4096];
	unsigned char *p;

	snprintf(path, sizeof(path), "%s/git-%d.pack", dir, thin);
	assert_int_equal(sh("printf '%s' | git --git-dir='%s' pack-objects "
	                    "--revs --stdout --delta-base-offset %s -q >'%s'",
	                    revs, git, thin ? "--thin" : "", path),
	                 0);
	p = slurp(path, len);
	unlink(path);
	return p;
}

static void test_stock_git_packs(void **state)
{
	fx *f = *state;
	char g[4096], old[STORE_OID_HEX], head[STORE_OID_HEX], revs[128];
	store_index_stats st;
	store_import_result res;
	outdir out;
	git_odb *podb = odb_of(f->p.st), *rodb = odb_of(f->r.st), *mine;
	unsigned char *p;
	size_t len;

	seed(&f->p, 0, 200, 40);
	for (unsigned i = 0; i < 60; i++) {
		char name[32];
		snprintf(name, sizeof(name), "第 %u 版", i);
		rename_item(&f->p, i % 13, name);
	}
	assert_int_equal(tu_sync(f->p.st, "350000", f->r.st, f->root, &res), 0);
	tu_ref(f->p.st, P_REF, old);
	for (unsigned i = 0; i < 30; i++) {
		char name[32];
		snprintf(name, sizeof(name), "再 %u", i);
		rename_item(&f->p, i % 17, name);
	}
	seed(&f->p, 200, 20, 5);
	tu_ref(f->p.st, P_REF, head);
	snprintf(g, sizeof(g), "%s/clone.git", f->dir);
	assert_int_equal(sh("git clone -q --mirror --no-local '%s' '%s' "
	                    ">/dev/null 2>&1",
	                    f->p.dir, g),
	                 0);
	out_new(&out);

	/* the whole history, OFS_DELTAs and all, from nothing */
	snprintf(revs, sizeof(revs), "%s\\n", head);
	p = git_pack(g, f->dir, revs, 0, &len);
	if (ix(&out, NULL, p, len, NULL, &st) != 0)
		fail_msg("refused: %s", why);
	print_message("git pack-objects, full: %zu B, %zu objects, %zu "
	              "OFS_DELTA, %zu REF_DELTA\n",
	              len, st.objects, st.ofs_deltas, st.ref_deltas);
	assert_true(st.ofs_deltas > 50);
	assert_int_equal(st.appended, 0);
	assert_int_equal(st.bytes, len); /* kept as it came */
	mine = out_odb(&out);
	assert_int_equal(check_objects(mine, podb), st.objects);
	git_odb_free(mine);
	verify_pack(&out, &st);
	free(p);
	out_clear(&out);

	/* thin, against what R holds */
	snprintf(revs, sizeof(revs), "%s\\n^%s\\n", head, old);
	p = git_pack(g, f->dir, revs, 1, &len);
	assert_int_not_equal(ix(&out, NULL, p, len, NULL, &st), 0);
	assert_non_null(strstr(why, "neither in the pack nor in this store"));
	assert_int_equal(tu_count_files(out.pack), 0);
	if (ix(&out, rodb, p, len, NULL, &st) != 0)
		fail_msg("refused: %s", why);
	print_message("git pack-objects --thin: %zu B, %zu objects, %zu "
	              "OFS_DELTA, %zu REF_DELTA, %zu bases appended\n",
	              len, st.objects, st.ofs_deltas, st.ref_deltas, st.appended);
	assert_true(st.appended > 0);
	assert_true(st.ofs_deltas > 0);
	mine = out_odb(&out);
	assert_int_equal(check_objects(mine, podb), st.objects);
	git_odb_free(mine);
	verify_pack(&out, &st);
	/* and it imports */
	if (store_import(f->r.st, f->root, "350000", head, p, len, &res) != 0)
		fail_msg("import: %s", store_errmsg());
	assert_int_equal(res.commits, 30 + 4);
	expect_same_heads(f);
	free(p);
	out_free(&out);

	/* a fresh receiver takes the full stock pack */
	{
		tu_node s;
		char got[STORE_OID_HEX];
		tu_node_new(&s, f->dir, "350200", STORE_LEVEL_CITY, "厦门市",
		            "350000");
		store_set_root(s.st, f->root);
		snprintf(revs, sizeof(revs), "%s\\n", head);
		p = git_pack(g, f->dir, revs, 0, &len);
		if (store_import(s.st, f->root, "350000", head, p, len, &res) != 0)
			fail_msg("import: %s", store_errmsg());
		tu_ref(s.st, R_REF, got);
		assert_string_equal(got, head);
		expect_verified(s.st, f->root);
		free(p);
		tu_node_free(&s);
	}
	git_odb_free(podb);
	git_odb_free(rodb);
}

/* ---- the .idx ------------------------------------------------------------------ */

static void test_idx_large_offsets(void **state)
{
	store_index_opts o;
	store_index_stats st;
	outdir out;
	pk k;
	git_odb *mine;
	uint64_t s = 7;
	unsigned char buf[3000];
	size_t prev = 0;

	(void)state;
	pk_start(&k);
	for (unsigned i = 0; i < 40; i++) {
		size_t dl;
		unsigned char *d;
		unsigned char nb[3000];
		if (i % 8 == 0) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = (unsigned char)(rnd(&s) >> 59) + 'a';
			prev = pk_whole(&k, 3, buf, sizeof(buf));
			continue;
		}
		memcpy(nb, buf, sizeof(buf));
		nb[rnd(&s) % sizeof(nb)] ^= 1;
		d = mkdelta(buf, sizeof(buf), nb, sizeof(nb), &dl);
		prev = pk_ofs(&k, prev, d, dl);
		memcpy(buf, nb, sizeof(buf));
		free(d);
	}
	pk_end(&k);
	out_new(&out);
	for (int large = 0; large < 2; large++) {
		store_index_opts_init(&o);
		if (large) {
			o.large_offset_min = 1000; /* most in the 8-byte table */
			o.fsync = 1;
		}
		out_clear(&out);
		if (ix(&out, NULL, k.p, k.len, &o, &st) != 0)
			fail_msg("refused: %s", why);
		assert_int_equal(st.objects, 40);
		verify_pack(&out, &st);
		mine = out_odb(&out);
		assert_int_equal(check_objects(mine, NULL), 40);
		git_odb_free(mine);
		{
			char path[4300];
			struct stat sb;
			snprintf(path, sizeof(path), "%s/pack-%s.idx", out.pack,
			         st.name);
			assert_int_equal(stat(path, &sb), 0);
			if (large)
				assert_true((size_t)sb.st_size > 8 + 1024 + 40 * 28 + 40 + 8 * 30);
			else
				assert_int_equal(sb.st_size, 8 + 1024 + 40 * 28 + 40);
		}
	}
	/* version 3 (the same format) is taken, and written as version 2,
	 * the one libgit2 reads: alone, and with a copy dropped */
	for (int dup = 0; dup < 2; dup++) {
		unsigned char *v;
		size_t n;
		pk d;
		if (dup) {
			dup_pack(&d);
			v = d.p;
			n = d.len;
		} else {
			v = k.p;
			n = k.len;
		}
		v[7] = 3;
		fix_trailer(v, n);
		out_clear(&out);
		if (ix(&out, NULL, v, n, NULL, &st) != 0)
			fail_msg("refused: %s", why);
		verify_pack(&out, &st);
		mine = out_odb(&out);
		assert_int_equal(check_objects(mine, NULL), dup ? 1 : 40);
		git_odb_free(mine);
		{
			char path[4300];
			unsigned char h[8];
			FILE *fp;
			snprintf(path, sizeof(path), "%s/pack-%s.pack", out.pack,
			         st.name);
			fp = fopen(path, "rb");
			assert_non_null(fp);
			assert_int_equal(fread(h, 1, 8, fp), 8);
			fclose(fp);
			assert_memory_equal(h, "PACK\0\0\0\2", 8);
		}
		if (dup)
			free(d.p);
	}
	free(k.p);
	/* an empty pack writes nothing */
	out_clear(&out);
	pk_start(&k);
	k.len = 12;
	pk_end(&k);
	assert_int_equal(k.len, 32);
	assert_int_equal(ix(&out, NULL, k.p, k.len, NULL, &st), 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(tu_count_files(out.pack), 0);
	free(k.p);
	out_free(&out);
}

/* ---- hostile packs -------------------------------------------------------------- */

/* A small pack of every kind of entry: a commit, a tree, blobs, a tag,
 * OFS_DELTAs, REF_DELTAs within the pack and one against `thin` (a blob
 * the receiver holds; NULL: none). */
static void small_pack(pk *k, const git_oid *thin, const char *thin_data)
{
	char blob[400], blob2[400], tree[200], commit[400], tag[300];
	size_t bl, tl, cl, gl, dl, ob, od;
	git_oid bid, b2id, tid, cid;
	unsigned char *d;

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (char)('a' + (i * 7) % 26);
	bl = sizeof(blob);
	memcpy(blob2, blob, bl);
	memcpy(blob2 + 100, "CHANGED", 7);
	bid = oid_of(3, blob, bl);
	b2id = oid_of(3, blob2, bl);
	tl = 0;
	tl += (size_t)sprintf(tree + tl, "100644 a.json") + 1;
	memcpy(tree + tl, bid.id, 20);
	tl += 20;
	tl += (size_t)sprintf(tree + tl, "100644 b.json") + 1;
	memcpy(tree + tl, b2id.id, 20);
	tl += 20;
	tid = oid_of(2, tree, tl);
	{
		char th[STORE_OID_HEX];
		git_oid_tostr(th, sizeof(th), &tid);
		cl = (size_t)snprintf(commit, sizeof(commit),
		                      "tree %s\nauthor a <a@b> 1 +0000\n"
		                      "committer a <a@b> 1 +0000\n\nsmall\n",
		                      th);
	}
	cid = oid_of(1, commit, cl);
	{
		char ch[STORE_OID_HEX];
		git_oid_tostr(ch, sizeof(ch), &cid);
		gl = (size_t)snprintf(tag, sizeof(tag),
		                      "object %s\ntype commit\ntag v1\n"
		                      "tagger a <a@b> 1 +0000\n\nv1\n",
		                      ch);
	}
	pk_start(k);
	pk_whole(k, 1, commit, cl);
	pk_whole(k, 2, tree, tl);
	ob = pk_whole(k, 3, blob, bl);
	d = mkdelta(blob, bl, blob2, bl, &dl);
	od = pk_ofs(k, ob, d, dl); /* blob2 */
	free(d);
	{
		char b3[400];
		memcpy(b3, blob2, bl);
		memcpy(b3 + 300, "AGAIN", 5);
		d = mkdelta(blob2, bl, b3, bl, &dl);
		pk_ofs(k, od, d, dl); /* b3, depth 2 */
		free(d);
		memcpy(b3 + 10, "REF", 3);
		d = mkdelta(blob, bl, b3, bl, &dl);
		pk_ref(k, &bid, d, dl);
		free(d);
	}
	pk_whole(k, 4, tag, gl);
	if (thin != NULL) {
		size_t hl = strlen(thin_data);
		char *t2 = malloc(hl + 8);
		assert_non_null(t2);
		memcpy(t2, thin_data, hl);
		memcpy(t2 + hl, "+thin\n", 6);
		d = mkdelta(thin_data, hl, t2, hl + 6, &dl);
		pk_ref(k, thin, d, dl);
		free(d);
		free(t2);
	}
	pk_end(k);
}

/* What the indexer may answer to a hostile pack: refusal, or (when the
 * damage happens to leave a valid pack) a pack that reads back. */
static void judge(outdir *o, int rc, const store_index_stats *st)
{
	if (rc == STORE_EREJECT) {
		assert_true(why[0] != '\0');
		assert_int_equal(tu_count_files(o->pack), 0);
		return;
	}
	if (rc != 0)
		fail_msg("rc %d: %s", rc, why);
	{
		git_odb *mine = out_odb(o);
		assert_int_equal(check_objects(mine, NULL), st->objects);
		git_odb_free(mine);
	}
	out_clear(o);
}

static void test_truncations(void **state)
{
	pk k;
	outdir out;
	store_index_stats st;
	unsigned char *cut;
	size_t refused = 0;

	(void)state;
	small_pack(&k, NULL, NULL);
	out_new(&out);
	deadline(120);
	assert_int_equal(ix(&out, NULL, k.p, k.len, NULL, &st), 0);
	assert_int_equal(st.objects, 7);
	verify_pack(&out, &st);
	out_clear(&out);
	cut = malloc(k.len);
	assert_non_null(cut);
	for (size_t n = 0; n < k.len; n++) {
		/* as cut, and with a trailer that fits the cut */
		memcpy(cut, k.p, n);
		assert_int_equal(ix(&out, NULL, cut, n, NULL, &st), STORE_EREJECT);
		assert_int_equal(tu_count_files(out.pack), 0);
		if (n >= 12 && n + 20 <= k.len) {
			memcpy(cut, k.p, n);
			memset(cut + n, 0, 20);
			fix_trailer(cut, n + 20);
			int rc = ix(&out, NULL, cut, n + 20, NULL, &st);
			if (n == k.len - 20)
				assert_int_equal(rc, 0);
			else
				assert_int_equal(rc, STORE_EREJECT);
			judge(&out, rc, &st);
		}
		refused++;
	}
	alarm(0);
	print_message("%zu truncations of a %zu-byte pack refused\n", refused,
	              k.len);
	free(cut);
	free(k.p);
	out_free(&out);
}

static void test_mutations(void **state)
{
	fx *f = *state;
	pk k;
	outdir out;
	store_index_stats st;
	git_odb *odb = odb_of(f->p.st);
	git_oid thin;
	git_odb_object *o;
	unsigned char *m;
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t accepted = 0, refused = 0;
	char head[STORE_OID_HEX];
	git_commit *c;
	char *tdata;

	/* the thin base: P's genesis commit, which P's store holds */
	tu_ref(f->p.st, P_REF, head);
	assert_int_equal(git_oid_fromstr(&thin, head), 0);
	assert_int_equal(git_commit_lookup(&c, f->p.st->repo, &thin), 0);
	git_commit_free(c);
	assert_int_equal(git_odb_read(&o, odb, &thin), 0);
	tdata = strndup(git_odb_object_data(o), git_odb_object_size(o));
	git_odb_object_free(o);
	small_pack(&k, &thin, tdata);
	free(tdata);
	out_new(&out);
	assert_int_equal(ix(&out, odb, k.p, k.len, NULL, &st), 0);
	assert_int_equal(st.appended, 1);
	out_clear(&out);
	m = malloc(k.len + 64);
	assert_non_null(m);
	deadline(240);
	for (unsigned it = 0; it < 4000; it++) {
		size_t n = k.len, at;
		unsigned kind = (unsigned)(rnd(&s) % 8), flips;
		int rc;
		memcpy(m, k.p, n);
		at = 12 + rnd(&s) % (n - 32);
		switch (kind) {
		case 0: /* flip a few bits */
		case 1:
			flips = 1 + (unsigned)(rnd(&s) % 3);
			for (unsigned j = 0; j < flips; j++)
				m[12 + rnd(&s) % (n - 32)] ^=
				        (unsigned char)(1u << (rnd(&s) % 8));
			break;
		case 2: /* a random byte */
			m[at] = (unsigned char)rnd(&s);
			break;
		case 3: /* a byte inserted */
			memmove(m + at + 1, m + at, n - at);
			m[at] = (unsigned char)rnd(&s);
			n++;
			break;
		case 4: /* a byte removed */
			memmove(m + at, m + at + 1, n - at - 1);
			n--;
			break;
		case 5: /* a run of continuation bytes: varints that never end */
			flips = 1 + (unsigned)(rnd(&s) % 16);
			for (size_t j = 0; j < flips && at + j < n - 20; j++)
				m[at + j] |= 0x80;
			break;
		case 6: /* the count */
			m[8 + rnd(&s) % 4] = (unsigned char)rnd(&s);
			break;
		case 7: /* the trailer alone (then not fixed below) */
			m[n - 1 - rnd(&s) % 20] ^= 0x40;
			break;
		}
		/* mostly with a trailer that fits, to get past the checksum */
		if (kind != 7 && rnd(&s) % 10 != 0)
			fix_trailer(m, n);
		rc = ix(&out, odb, m, n, NULL, &st);
		judge(&out, rc, &st);
		if (rc == 0)
			accepted++;
		else
			refused++;
	}
	alarm(0);
	print_message("%zu mutations refused, %zu still valid packs\n", refused,
	              accepted);
	assert_true(refused > 3000);
	free(m);
	free(k.p);
	out_free(&out);
	git_odb_free(odb);
}

/* Expects the pack to be refused with `needle` in the reason. */
#define REFUSED(pkp, opts, needle)                                              \
	do {                                                                    \
		int rc_ = ix(&out, bases, (pkp)->p, (pkp)->len, opts, &st);     \
		if (rc_ != STORE_EREJECT)                                       \
			fail_msg("line %d: rc %d (%s), want a refusal", __LINE__, \
			         rc_, why);                                     \
		if (strstr(why, needle) == NULL)                                \
			fail_msg("line %d: reason '%s' lacks '%s'", __LINE__, why, \
			         needle);                                       \
		assert_int_equal(tu_count_files(out.pack), 0);                  \
	} while (0)

static void test_refusals(void **state)
{
	fx *f = *state;
	git_odb *bases = odb_of(f->p.st);
	outdir out;
	store_index_stats st;
	pk k;
	const char a[] = "a blob of some length, long enough for a delta.\n";
	git_oid aid = oid_of(3, a, sizeof(a) - 1);
	size_t al = sizeof(a) - 1, off;

	out_new(&out);
	deadline(60);
	/* not a pack */
	pk_start(&k);
	k.p[0] = 'J';
	pk_end(&k);
	REFUSED(&k, NULL, "not a pack");
	free(k.p);
	pk_start(&k);
	k.p[7] = 4;
	pk_end(&k);
	REFUSED(&k, NULL, "version 4");
	free(k.p);
	pk_start(&k);
	k.len = 12;
	REFUSED(&k, NULL, "too few");
	free(k.p);
	/* the checksum */
	pk_start(&k);
	pk_whole(&k, 3, a, al);
	pk_end(&k);
	k.p[k.len - 3] ^= 1;
	REFUSED(&k, NULL, "checksum");
	free(k.p);
	/* a declared count larger than the entries, and smaller */
	pk_start(&k);
	pk_whole(&k, 3, a, al);
	k.n = 3;
	pk_end(&k);
	REFUSED(&k, NULL, "declares 3 objects but holds 1");
	free(k.p);
	pk_start(&k);
	pk_whole(&k, 3, a, al);
	pk_whole(&k, 3, "b", 1);
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "junk");
	free(k.p);
	/* more than a million objects */
	pk_start(&k);
	pk_whole(&k, 3, a, al);
	k.n = 1000001;
	pk_end(&k);
	REFUSED(&k, NULL, "more than 1000000");
	free(k.p);
	/* types that no pack holds */
	for (int t = 0; t <= 5; t += 5) {
		pk_start(&k);
		pk_hdr(&k, t, al);
		pk_z(&k, a, al);
		k.n = 1;
		pk_end(&k);
		REFUSED(&k, NULL, "which no pack holds");
		free(k.p);
	}
	/* sizes: declared short, declared long */
	pk_start(&k);
	pk_hdr(&k, 3, al - 1);
	pk_z(&k, a, al);
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "inflates to more than");
	free(k.p);
	pk_start(&k);
	pk_hdr(&k, 3, al + 1);
	pk_z(&k, a, al);
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "not the");
	free(k.p);
	/* a size varint that never ends */
	pk_start(&k);
	{
		unsigned char h[40];
		memset(h, 0x80, sizeof(h));
		h[0] = 0xb0;
		pk_put(&k, h, sizeof(h));
	}
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "never ends");
	free(k.p);
	pk_start(&k);
	{
		unsigned char h[6] = { 0xb0, 0x80, 0x80, 0x80, 0x80, 0x80 };
		pk_put(&k, h, sizeof(h));
	}
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "truncated");
	free(k.p);
	/* data after the zlib stream, inside what would be the entry */
	pk_start(&k);
	pk_whole(&k, 3, a, al);
	pk_put(&k, "xx", 2);
	pk_end(&k);
	REFUSED(&k, NULL, "junk");
	free(k.p);
	/* damaged zlib, and a zlib stream asking for a preset dictionary */
	pk_start(&k);
	off = pk_whole(&k, 3, a, al);
	k.p[off + 5] ^= 0xff;
	pk_end(&k);
	REFUSED(&k, NULL, "offset 12");
	free(k.p);
	pk_start(&k);
	pk_hdr(&k, 3, 1);
	{
		/* 0x78 0xbb: FDICT set (and the header check holds) */
		const unsigned char z[] = { 0x78, 0xbb, 0, 0, 0, 1, 0x4b, 0x04, 0 };
		pk_put(&k, z, sizeof(z));
	}
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "zlib");
	free(k.p);
	/* OFS_DELTA: to itself, before the pack, into an entry's middle,
	 * an offset varint that never ends */
	{
		const unsigned char d[] = { (unsigned char)al, 3, 0x90, 3 };
		pk_start(&k);
		pk_whole(&k, 3, a, al);
		pk_hdr(&k, 6, sizeof(d));
		ofs_put(&k, 0);
		pk_z(&k, d, sizeof(d));
		k.n = 2;
		pk_end(&k);
		REFUSED(&k, NULL, "names itself");
		free(k.p);
		pk_start(&k);
		off = pk_whole(&k, 3, a, al);
		pk_hdr(&k, 6, sizeof(d));
		ofs_put(&k, k.len + 5);
		pk_z(&k, d, sizeof(d));
		k.n = 2;
		pk_end(&k);
		REFUSED(&k, NULL, "before the start of the pack");
		free(k.p);
		pk_start(&k);
		pk_whole(&k, 3, a, al);
		off = k.len;
		pk_hdr(&k, 6, sizeof(d));
		ofs_put(&k, off - 13);
		pk_z(&k, d, sizeof(d));
		k.n = 2;
		pk_end(&k);
		REFUSED(&k, NULL, "where no object starts");
		free(k.p);
		pk_start(&k);
		pk_whole(&k, 3, a, al);
		pk_hdr(&k, 6, sizeof(d));
		{
			unsigned char v[30];
			memset(v, 0xff, sizeof(v));
			pk_put(&k, v, sizeof(v));
		}
		k.n = 2;
		pk_end(&k);
		REFUSED(&k, NULL, "before the start of the pack");
		free(k.p);
		/* the good one, for contrast */
		pk_start(&k);
		off = pk_whole(&k, 3, a, al);
		pk_ofs(&k, off, d, sizeof(d));
		pk_end(&k);
		assert_int_equal(ix(&out, bases, k.p, k.len, NULL, &st), 0);
		assert_int_equal(st.objects, 2);
		out_clear(&out);
		free(k.p);
	}
	/* REF_DELTA: a base missing everywhere; without the store; a delta
	 * naming what it makes; a cycle of two */
	{
		const unsigned char d[] = { (unsigned char)al, 3, 0x90, 3 };
		git_oid bad;
		memset(&bad, 0x5a, sizeof(bad));
		pk_start(&k);
		pk_whole(&k, 3, a, al);
		pk_ref(&k, &bad, d, sizeof(d));
		pk_end(&k);
		REFUSED(&k, NULL, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a, which is "
		                  "neither");
		free(k.p);
	}
	{
		/* x = "abc" + rest; a delta from x that makes x' whose name it
		 * names; and two deltas naming each other's results */
		const char x1[] = "first object of a cycle\n";
		const char x2[] = "second object of a cycle\n";
		git_oid i1 = oid_of(3, x1, sizeof(x1) - 1);
		git_oid i2 = oid_of(3, x2, sizeof(x2) - 1);
		size_t dl;
		unsigned char *d12 = mkdelta(x1, sizeof(x1) - 1, x2, sizeof(x2) - 1,
		                             &dl);
		size_t dl2;
		unsigned char *d21 = mkdelta(x2, sizeof(x2) - 1, x1, sizeof(x1) - 1,
		                             &dl2);
		unsigned char *d11;
		size_t dl3;
		/* itself: base i1, makes x1 */
		d11 = mkdelta(x1, sizeof(x1) - 1, x1, sizeof(x1) - 1, &dl3);
		pk_start(&k);
		pk_ref(&k, &i1, d11, dl3);
		pk_end(&k);
		REFUSED(&k, NULL, "cycle");
		free(k.p);
		/* two: the first makes x2 from i1, the second x1 from i2 */
		pk_start(&k);
		pk_ref(&k, &i1, d12, dl);
		pk_ref(&k, &i2, d21, dl2);
		pk_end(&k);
		REFUSED(&k, NULL, "cycle");
		free(k.p);
		/* the same two after an OFS_DELTA on the second */
		pk_start(&k);
		pk_ref(&k, &i1, d12, dl);
		off = pk_ref(&k, &i2, d21, dl2);
		pk_ofs(&k, off, d12, dl);
		pk_end(&k);
		REFUSED(&k, NULL, "cycle");
		free(k.p);
		/* and resolvable once x1 is there whole (after them) */
		pk_start(&k);
		pk_ref(&k, &i2, d21, dl2);
		pk_ref(&k, &i1, d12, dl);
		pk_whole(&k, 3, x1, sizeof(x1) - 1);
		pk_end(&k);
		assert_int_equal(ix(&out, bases, k.p, k.len, NULL, &st), 0);
		assert_int_equal(st.objects, 2);
		assert_int_equal(st.duplicates, 1);
		verify_pack(&out, &st);
		out_clear(&out);
		free(k.p);
		free(d12);
		free(d21);
		free(d11);
	}
	/* a thin base named, but no store to take it from */
	{
		char head[STORE_OID_HEX];
		git_oid hid;
		git_odb_object *o;
		size_t hl;
		unsigned char d[8];
		tu_ref(f->p.st, P_REF, head);
		assert_int_equal(git_oid_fromstr(&hid, head), 0);
		assert_int_equal(git_odb_read(&o, bases, &hid), 0);
		hl = git_odb_object_size(o);
		git_odb_object_free(o);
		assert_true(hl < 16384);
		d[0] = (unsigned char)(0x80 | (hl & 0x7f));
		d[1] = (unsigned char)(hl >> 7);
		d[2] = 4;
		d[3] = 0x91; /* copy 4 from 1 */
		d[4] = 1;
		d[5] = 4;
		pk_start(&k);
		pk_ref(&k, &hid, d, 6);
		pk_end(&k);
		{
			git_odb *none = bases;
			bases = NULL;
			REFUSED(&k, NULL, "neither in the pack nor in this store");
			bases = none;
		}
		assert_int_equal(ix(&out, bases, k.p, k.len, NULL, &st), 0);
		assert_int_equal(st.appended, 1);
		assert_int_equal(st.objects, 2);
		verify_pack(&out, &st);
		out_clear(&out);
		free(k.p);
	}
	/* deltas that do not fit: source size, copy out of the base, insert
	 * past the data, result size, a truncated header, a reserved op */
	{
		static const unsigned char bad[][8] = {
			{ 5, 3, 0x90, 3 },            /* base is not 5 bytes */
			{ 0, 3, 0x91, 60, 3 },        /* copy past the base */
			{ 0, 3, 5, 'x', 'y', 'z' },   /* insert past the data */
			{ 0, 4, 0x90, 3 },            /* makes 3, not 4 */
			{ 0, 2, 0x90, 3 },            /* makes more than 2 */
			{ 0x80 | 0x31 },              /* header cut */
			{ 0, 3, 0 },                  /* op 0 */
		};
		static const size_t len[] = { 4, 5, 6, 4, 4, 1, 3 };
		static const char *const need[] = {
			"for a base of 5 bytes", "does not fit", "does not fit",
			"does not fit", "does not fit", "truncated header",
			"does not fit",
		};
		for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
			unsigned char d[8];
			memcpy(d, bad[i], 8);
			if (i != 0 && i != 5)
				d[0] = (unsigned char)al;
			pk_start(&k);
			off = pk_whole(&k, 3, a, al);
			if (i % 2)
				pk_ofs(&k, off, d, len[i]);
			else
				pk_ref(&k, &aid, d, len[i]);
			pk_end(&k);
			REFUSED(&k, NULL, need[i]);
			free(k.p);
		}
	}
	alarm(0);
	out_free(&out);
	git_odb_free(bases);
}

/* ---- the bounds ------------------------------------------------------------------ */

/* A blob and a chain of n deltas on it, each changing one byte. */
static void chain_pack(pk *k, unsigned n, int by_name)
{
	char b[300];
	size_t prev;

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (char)('A' + i % 50);
	pk_start(k);
	prev = pk_whole(k, 3, b, sizeof(b));
	for (unsigned i = 0; i < n; i++) {
		char nb[300];
		size_t dl;
		unsigned char *d;
		git_oid id = oid_of(3, b, sizeof(b));
		memcpy(nb, b, sizeof(b));
		nb[(i * 37) % sizeof(nb)] ^= 0x20;
		d = mkdelta(b, sizeof(b), nb, sizeof(nb), &dl);
		prev = by_name ? pk_ref(k, &id, d, dl) : pk_ofs(k, prev, d, dl);
		free(d);
		memcpy(b, nb, sizeof(b));
	}
	pk_end(k);
}

static void test_bounds(void **state)
{
	outdir out;
	store_index_stats st;
	store_index_opts o;
	git_odb *bases = NULL;
	pk k;
	const char a[] = "a blob of some length, long enough for a delta.\n";
	size_t al = sizeof(a) - 1, off;

	(void)state;
	out_new(&out);
	deadline(120);
	/* depth: 64 deltas on a whole object, and 65 */
	for (int by_name = 0; by_name < 2; by_name++) {
		chain_pack(&k, 64, by_name);
		assert_int_equal(ix(&out, NULL, k.p, k.len, NULL, &st), 0);
		assert_int_equal(st.objects, 65);
		verify_pack(&out, &st);
		out_clear(&out);
		free(k.p);
		chain_pack(&k, 65, by_name);
		REFUSED(&k, NULL, "deeper than 64");
		free(k.p);
	}
	/* one object over 64 MiB, by its header (no inflating needed) */
	pk_start(&k);
	pk_hdr(&k, 3, ((size_t)64 << 20) + 1);
	pk_z(&k, a, al);
	k.n = 1;
	pk_end(&k);
	REFUSED(&k, NULL, "too large");
	free(k.p);
	/* a delta saying it makes 1 GiB */
	{
		unsigned char d[8] = { (unsigned char)al, 0x80, 0x80, 0x80, 0x80,
			               0x04, 0x90, 3 };
		pk_start(&k);
		off = pk_whole(&k, 3, a, al);
		pk_ofs(&k, off, d, 8);
		pk_end(&k);
		REFUSED(&k, NULL, "too large");
		free(k.p);
	}
	/* exactly 64 MiB is fine */
	{
		size_t n = (size_t)64 << 20;
		char *big = calloc(1, n);
		assert_non_null(big);
		pk_start(&k);
		pk_whole(&k, 3, big, n);
		pk_end(&k);
		free(big);
		assert_int_equal(ix(&out, NULL, k.p, k.len, NULL, &st), 0);
		assert_int_equal(st.objects, 1);
		out_clear(&out);
		free(k.p);
	}
	/* the limits, made small: an object, a delta's result, the total,
	 * the count, the depth */
	store_index_opts_init(&o);
	o.max_object = 1000;
	{
		char b[1001];
		memset(b, 'q', sizeof(b));
		pk_start(&k);
		pk_whole(&k, 3, b, 1001);
		pk_end(&k);
		REFUSED(&k, &o, "too large");
		free(k.p);
		pk_start(&k);
		pk_whole(&k, 3, b, 1000);
		pk_end(&k);
		assert_int_equal(ix(&out, NULL, k.p, k.len, &o, &st), 0);
		out_clear(&out);
		free(k.p);
		{
			size_t dl;
			unsigned char *d = mkdelta(b, 1000, b, 1001, &dl);
			pk_start(&k);
			off = pk_whole(&k, 3, b, 1000);
			pk_ofs(&k, off, d, dl);
			pk_end(&k);
			free(d);
			REFUSED(&k, &o, "makes an object too large");
			free(k.p);
		}
	}
	store_index_opts_init(&o);
	o.max_total = 10000;
	{
		char b[900];
		pk_start(&k);
		for (int i = 0; i < 12; i++) {
			memset(b, 'a' + i, sizeof(b));
			pk_whole(&k, 3, b, sizeof(b));
		}
		pk_end(&k);
		REFUSED(&k, &o, "more than 10000 bytes in all");
		free(k.p);
		/* the same through deltas: small deltas, large results */
		pk_start(&k);
		memset(b, 'a', sizeof(b));
		off = pk_whole(&k, 3, b, sizeof(b));
		for (int i = 0; i < 12; i++) {
			size_t dl;
			char nb[900];
			unsigned char *dd;
			memcpy(nb, b, sizeof(b));
			nb[i] = 'Z';
			dd = mkdelta(b, sizeof(b), nb, sizeof(nb), &dl);
			pk_ofs(&k, off, dd, dl);
			free(dd);
		}
		pk_end(&k);
		REFUSED(&k, &o, "more than 10000 bytes in all");
		free(k.p);
	}
	store_index_opts_init(&o);
	o.max_objects = 3;
	pk_start(&k);
	for (int i = 0; i < 4; i++)
		pk_whole(&k, 3, a, al - (size_t)i);
	pk_end(&k);
	REFUSED(&k, &o, "more than 3");
	free(k.p);
	store_index_opts_init(&o);
	o.max_depth = 5;
	chain_pack(&k, 6, 0);
	REFUSED(&k, &o, "deeper than 5");
	free(k.p);
	chain_pack(&k, 5, 1);
	assert_int_equal(ix(&out, NULL, k.p, k.len, &o, &st), 0);
	free(k.p);
	alarm(0);
	(void)bases;
	out_free(&out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_duplicate_does_not_hang),
		T(test_our_thin_packs),
		T(test_stock_git_packs),
		cmocka_unit_test(test_idx_large_offsets),
		cmocka_unit_test(test_truncations),
		T(test_mutations),
		T(test_refusals),
		cmocka_unit_test(test_bounds),
	};
	int rc;

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("index", tests, NULL, NULL);
	store_global_shutdown();
	return rc;
}
