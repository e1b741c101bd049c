/*
 * test_pack.c — the thin pack writer (store/pack.c) and its SHA-1
 * (store/sha1.c): the hash against FIPS 180 and sha1sum, the delta coder
 * against its own decoder, packs against store_import, against a parser
 * of their own that checks every object, and against stock git
 * (index-pack --fix-thin, verify-pack, fsck).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define P_REF "refs/heads/main"
#define R_REF "refs/nodes/350000"

static const char *const areas[] = { "城乡规划", "财政预决算", "安全生产",
	                             "生态环境", "义务教育", "社会救助",
	                             "卫生健康", "市政服务" };
#define NAREAS (sizeof(areas) / sizeof(areas[0]))

/* ---- helpers ------------------------------------------------------------ */

static void hex_of(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
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

static void fill_random(unsigned char *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(rnd(s) >> 56);
}

/* Runs a shell command; returns its exit status. */
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

/* Runs a shell command and keeps its stdout (NUL-terminated, free()). */
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

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* ---- SHA-1 ------------------------------------------------------------------ */

static void sha1_hex(const void *d, size_t n, char out[41])
{
	store_sha1 c;
	unsigned char h[20];

	store_sha1_init(&c);
	store_sha1_update(&c, d, n);
	store_sha1_final(&c, h);
	hex_of(h, 20, out);
}

static void test_sha1_vectors(void **state)
{
	char hex[41];
	store_sha1 c;
	unsigned char h[20];
	const char *m448 =
	        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	const char *m896 =
	        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char *a;

	(void)state;
	sha1_hex("abc", 3, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1_hex("", 0, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	sha1_hex(m448, strlen(m448), hex);
	assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	sha1_hex(m896, strlen(m896), hex);
	assert_string_equal(hex, "a49b2446a02c645bf419f995b67091253a04a259");
	/* one million 'a': whole, and in uneven pieces through the buffer */
	a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	sha1_hex(a, 1000000, hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	store_sha1_init(&c);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step % 97 + 1)
		store_sha1_update(&c, a + off, off + step > 1000000 ? 1000000 - off
		                                                    : step);
	store_sha1_final(&c, h);
	hex_of(h, 20, hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(a);
}

static void test_sha1_vs_sha1sum(void **state)
{
	static const size_t lens[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120,
		                       127, 128, 1000, 65537, 1048579 };
	char *dir = tu_tmpdir(), path[4096];
	uint64_t s = 0x1234567;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned char *d = malloc(lens[i]);
		char hex[41], *out;
		assert_non_null(d);
		fill_random(d, lens[i], &s);
		write_file(path, d, lens[i]);
		sha1_hex(d, lens[i], hex);
		out = sh_out("sha1sum '%s'", path);
		assert_true(strlen(out) >= 40);
		out[40] = '\0';
		assert_string_equal(hex, out);
		free(out);
		free(d);
	}
	tu_rmrf(dir);
	free(dir);
}

/* ---- deltas ----------------------------------------------------------------- */

typedef struct dstats {
	size_t copies, inserts, copied, inserted;
} dstats;

/* Walks a delta's ops independently of the decoder: copies at most
 * 0x10000 bytes, inserts 1..127. */
static void delta_ops(const unsigned char *d, size_t n, dstats *st)
{
	const unsigned char *p = d, *end = d + n;

	memset(st, 0, sizeof(*st));
	for (int k = 0; k < 2; k++) { /* the two sizes */
		while (p < end && (*p & 0x80))
			p++;
		assert_true(p < end);
		p++;
	}
	while (p < end) {
		unsigned char op = *p++;
		if (op & 0x80) {
			size_t sz = 0;
			for (unsigned i = 0; i < 4; i++)
				if (op & (1u << i))
					p++;
			for (unsigned i = 0; i < 3; i++)
				if (op & (0x10u << i))
					sz |= (size_t)*p++ << (8 * i);
			if (sz == 0)
				sz = 0x10000;
			assert_true(sz <= 0x10000);
			st->copies++;
			st->copied += sz;
		} else {
			assert_true(op >= 1 && op <= 127);
			st->inserts++;
			st->inserted += op;
			p += op;
		}
		assert_true(p <= end);
	}
}

/* Encodes src -> tgt, checks the ops and the round trip; returns the
 * delta's length. */
static size_t roundtrip(const unsigned char *src, size_t sl,
                        const unsigned char *tgt, size_t tl, dstats *st)
{
	size_t cap = store_delta_bound(sl, tl), n, outlen;
	unsigned char *d = malloc(cap), *out = NULL;

	assert_non_null(d);
	n = store_delta_encode(d, cap, src, sl, tgt, tl);
	assert_true(n > 0);
	delta_ops(d, n, st);
	assert_int_equal(st->copied + st->inserted, tl);
	assert_int_equal(store_delta_apply(src, sl, d, n, tl, &out, &outlen), 0);
	assert_int_equal(outlen, tl);
	if (tl)
		assert_memory_equal(out, tgt, tl);
	free(out);
	/* a cap one byte short is refused, not overrun */
	if (n > 1)
		assert_int_equal(store_delta_encode(d, n - 1, src, sl, tgt, tl), 0);
	free(d);
	return n;
}

static void test_delta_coder(void **state)
{
	uint64_t s = 42;
	unsigned char *a = malloc(300000), *b = malloc(300000);
	dstats st;
	size_t n;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* random, unrelated buffers of many sizes (both ways round) */
	for (int i = 0; i < 300; i++) {
		size_t sl = rnd(&s) % 3000, tl = rnd(&s) % 3000;
		fill_random(a, sl, &s);
		fill_random(b, tl, &s);
		roundtrip(a, sl, b, tl, &st);
	}
	/* random edits: replace, insert, delete somewhere */
	for (int i = 0; i < 300; i++) {
		size_t sl = 1 + rnd(&s) % 5000, at = rnd(&s) % sl, cut, add, tl;
		fill_random(a, sl, &s);
		cut = rnd(&s) % (sl - at + 1);
		add = rnd(&s) % 400;
		memcpy(b, a, at);
		fill_random(b + at, add, &s);
		memcpy(b + at + add, a + at + cut, sl - at - cut);
		tl = sl - cut + add;
		n = roundtrip(a, sl, b, tl, &st);
		/* sizes, two copies, the insert (with up to 3 + 3 bytes
		 * folded in) and its ops */
		assert_true(n <= 30 + add + add / 127);
	}
	/* identical: copies only */
	fill_random(a, 1000, &s);
	n = roundtrip(a, 1000, a, 1000, &st);
	assert_int_equal(st.inserts, 0);
	assert_int_equal(st.copies, 1);
	assert_true(n < 12);
	/* empty source, empty target, both empty */
	roundtrip(a, 0, a, 1000, &st);
	assert_int_equal(st.copies, 0);
	roundtrip(a, 1000, a, 0, &st);
	assert_int_equal(st.copies + st.inserts, 0);
	roundtrip(a, 0, a, 0, &st);
	/* prefix only: the target appends, or truncates */
	fill_random(a, 2000, &s);
	roundtrip(a, 1000, a, 2000, &st);
	assert_int_equal(st.copies, 1);
	assert_int_equal(st.inserted, 1000);
	roundtrip(a, 2000, a, 1500, &st);
	assert_int_equal(st.copies, 1);
	assert_int_equal(st.inserts, 0);
	/* suffix only: the target prepends, or drops the start */
	roundtrip(a + 500, 1500, a, 2000, &st);
	assert_int_equal(st.copies, 1);
	assert_int_equal(st.inserted, 500);
	roundtrip(a, 2000, a + 700, 1300, &st);
	assert_int_equal(st.copies, 1);
	assert_int_equal(st.inserts, 0);
	/* over 64 KiB: several copies each way around a change */
	fill_random(a, 300000, &s);
	memcpy(b, a, 300000);
	b[150000] ^= 0x5a;
	n = roundtrip(a, 300000, b, 300000, &st);
	assert_true(st.copies >= 5);
	assert_int_equal(st.inserted, 1);
	assert_true(n < 64);
	roundtrip(a, 300000, a, 300000, &st);
	assert_int_equal(st.copies, 5); /* 4 x 0x10000 + the rest */
	roundtrip(a, 0x20000, a, 0x20000, &st);
	assert_int_equal(st.copies, 2);
	/* over 64 KiB inserted: 127-byte inserts */
	roundtrip(a, 10, b, 200000, &st);
	assert_true(st.inserts >= 200000 / 127);
	/* blocks moved about, repeated, with edits between: found in the
	 * middle, not only as prefix and suffix */
	fill_random(a, 4000, &s);
	memcpy(b, a + 2000, 1000);           /* C */
	memcpy(b + 1000, "edit", 4);
	memcpy(b + 1004, a, 1000);           /* A */
	memcpy(b + 2004, a + 3000, 1000);    /* D */
	memcpy(b + 3004, a + 2000, 1000);    /* C again */
	memcpy(b + 4004, a + 1000, 1000);    /* B */
	n = roundtrip(a, 4000, b, 5004, &st);
	assert_true(st.copies >= 5);
	assert_true(st.inserted <= 4 + 2 * 16);
	assert_true(n < 80);
	/* many scattered one-byte edits over 300 KB */
	fill_random(a, 300000, &s);
	memcpy(b, a, 300000);
	for (size_t i = 1000; i < 300000; i += 7919)
		b[i] ^= 0x21;
	n = roundtrip(a, 300000, b, 300000, &st);
	assert_true(n < 38 * 24);
	/* runs of one byte: the index holds one block for all of them */
	memset(a, 'a', 100000);
	memset(b, 'a', 100000);
	b[500] = 'b';
	b[70000] = 'c';
	n = roundtrip(a, 100000, b, 100000, &st);
	assert_true(n < 64);
	roundtrip(a, 100000, b, 99999, &st);
	roundtrip(a + 1, 99999, b, 100000, &st);
	/* exactly one block, one block short, one block too many */
	fill_random(a, 64, &s);
	roundtrip(a, 16, a, 48, &st);
	roundtrip(a, 15, a + 1, 47, &st);
	roundtrip(a + 3, 17, a, 64, &st);
	free(a);
	free(b);
}

static void test_delta_decoder_refuses(void **state)
{
	const unsigned char src[8] = "abcdefgh";
	unsigned char *out;
	size_t outlen;
	/* header 8 -> 4, then the op */
	static const unsigned char trunc_hdr[] = { 0x88 };
	static const unsigned char bad_src[] = { 7, 4, 0x91, 0, 4 };
	static const unsigned char oob[] = { 8, 4, 0x91, 6, 4 };
	static const unsigned char zero_op[] = { 8, 1, 0 };
	static const unsigned char short_ins[] = { 8, 4, 4, 'x', 'y' };
	static const unsigned char too_long[] = { 8, 2, 3, 'x', 'y', 'z' };
	static const unsigned char too_short[] = { 8, 4, 0x91, 0, 2 };
	static const unsigned char ok[] = { 8, 4, 0x91, 2, 2, 2, 'x', 'y' };

	(void)state;
#define REFUSE(d) \
	assert_int_equal(store_delta_apply(src, 8, d, sizeof(d), 100, &out, \
	                                   &outlen), \
	                 STORE_ECORRUPT); \
	assert_null(out)
	REFUSE(trunc_hdr);
	REFUSE(bad_src);
	REFUSE(oob);
	REFUSE(zero_op);
	REFUSE(short_ins);
	REFUSE(too_long);
	REFUSE(too_short);
	assert_int_equal(store_delta_apply(src, 8, ok, sizeof(ok), 3, &out,
	                                   &outlen),
	                 STORE_ECORRUPT); /* over max */
	assert_int_equal(store_delta_apply(src, 8, ok, sizeof(ok), 100, &out,
	                                   &outlen),
	                 0);
	assert_int_equal(outlen, 4);
	assert_memory_equal(out, "cdxy", 4);
	free(out);
#undef REFUSE
}

/* ---- a pack parser of our own ------------------------------------------- */

typedef struct pobj {
	git_oid id;
	int type;
	unsigned char *data;
	size_t len;
} pobj;

typedef struct pstats {
	size_t objects, commits, trees, blobs, deltas, thin;
} pstats;

/* Reads one zlib stream of exactly `want` bytes at *p. */
static unsigned char *inflate_at(const unsigned char **p,
                                 const unsigned char *end, size_t want)
{
	unsigned char *out = malloc(want ? want : 1);
	z_stream z;
	int r;

	assert_non_null(out);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit(&z), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)*p;
	z.avail_in = (uInt)(end - *p);
	z.next_out = out;
	z.avail_out = (uInt)want;
	r = inflate(&z, Z_FINISH);
	assert_int_equal(r, Z_STREAM_END);
	assert_int_equal(z.total_out, want);
	*p += z.total_in;
	inflateEnd(&z);
	return out;
}

/*
 * Parses a pack as git would and checks what the writer promises: the
 * header and trailer are right; every object is new to the receiver
 * `recv` (held: its objects, everything reachable from `have`) and comes
 * once; every delta's base is in `recv` or earlier in the pack; and every
 * object, resolved, is the very object of that name in the sender `src`.
 */
static void check_pack(const store_buf *b, store *src, store *recv,
                       pstats *ps)
{
	const unsigned char *p = b->ptr, *end;
	pobj *v;
	size_t n;
	git_odb *sodb, *rodb;
	unsigned char sum[20];
	store_sha1 c;

	memset(ps, 0, sizeof(*ps));
	assert_true(b->len >= 32);
	end = p + b->len - 20;
	assert_memory_equal(p, "PACK\0\0\0\2", 8);
	n = (size_t)p[8] << 24 | (size_t)p[9] << 16 | (size_t)p[10] << 8 | p[11];
	store_sha1_init(&c);
	store_sha1_update(&c, p, b->len - 20);
	store_sha1_final(&c, sum);
	assert_memory_equal(sum, end, 20);
	p += 12;
	v = calloc(n ? n : 1, sizeof(*v));
	assert_non_null(v);
	assert_int_equal(git_repository_odb(&sodb, src->repo), 0);
	assert_int_equal(git_repository_odb(&rodb, recv->repo), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char byte;
		unsigned shift = 4;
		size_t size;
		int type;
		git_odb_object *o;

		assert_true(p < end);
		byte = *p++;
		type = (byte >> 4) & 7;
		size = byte & 15;
		while (byte & 0x80) {
			assert_true(p < end);
			byte = *p++;
			size |= (size_t)(byte & 0x7f) << shift;
			shift += 7;
		}
		if (type == 7) {
			git_oid base;
			const pobj *bo = NULL;
			unsigned char *delta;
			git_odb_object *bobj = NULL;
			assert_true(end - p > 20);
			git_oid_fromraw(&base, p);
			p += 20;
			delta = inflate_at(&p, end, size);
			for (size_t j = 0; j < i; j++)
				if (git_oid_equal(&v[j].id, &base))
					bo = &v[j];
			if (bo == NULL) {
				/* thin: the receiver must hold the base */
				assert_int_equal(git_odb_read(&bobj, rodb, &base), 0);
				ps->thin++;
				v[i].type = (int)git_odb_object_type(bobj);
				assert_int_equal(store_delta_apply(git_odb_object_data(bobj),
				                                   git_odb_object_size(bobj),
				                                   delta, size, 1 << 26,
				                                   &v[i].data, &v[i].len),
				                 0);
				git_odb_object_free(bobj);
			} else {
				v[i].type = bo->type;
				assert_int_equal(store_delta_apply(bo->data, bo->len, delta,
				                                   size, 1 << 26, &v[i].data,
				                                   &v[i].len),
				                 0);
			}
			free(delta);
			ps->deltas++;
		} else {
			assert_true(type >= 1 && type <= 3);
			v[i].type = type;
			v[i].data = inflate_at(&p, end, size);
			v[i].len = size;
		}
		switch (v[i].type) {
		case 1: ps->commits++; break;
		case 2: ps->trees++; break;
		case 3: ps->blobs++; break;
		default: fail_msg("object %zu has type %d", i, v[i].type);
		}
		assert_int_equal(git_odb_hash(&v[i].id, v[i].data, v[i].len,
		                              (git_object_t)v[i].type),
		                 0);
		/* new to the receiver, once in the pack */
		assert_false(git_odb_exists(rodb, &v[i].id));
		for (size_t j = 0; j < i; j++)
			assert_false(git_oid_equal(&v[j].id, &v[i].id));
		/* the sender's object of that name, byte for byte */
		assert_int_equal(git_odb_read(&o, sodb, &v[i].id), 0);
		assert_int_equal(git_odb_object_size(o), v[i].len);
		assert_memory_equal(git_odb_object_data(o), v[i].data, v[i].len);
		git_odb_object_free(o);
	}
	assert_ptr_equal(p, end);
	ps->objects = n;
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	git_odb_free(sodb);
	git_odb_free(rodb);
}

/* ---- the federation ------------------------------------------------------- */

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

/* Items first..first+count-1 (item i in area i % NAREAS), `batch` per
 * commit. */
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

/* One commit that renames item i. */
static void rename_item(tu_node *n, unsigned i, const char *name)
{
	char id[32], path[STORE_PATH_MAX];

	item_path(path, sizeof(path), i, id);
	tu_put_item(n, id, areas[i % NAREAS], name);
}

/* Packs P's history for what R holds (limit as given), checks the pack,
 * imports it into R; returns the pack's size. */
static size_t sync_pr(fx *f, size_t limit, store_pack_info *info)
{
	char have[STORE_OID_HEX];
	store_buf b;
	store_import_result res;
	pstats ps;
	size_t len;
	int rc;

	tu_ref(f->r.st, R_REF, have);
	rc = store_pack_range(f->p.st, NULL, have, limit, &b, info);
	if (rc != 0)
		fail_msg("pack: %s", store_errmsg());
	assert_string_equal(info->base, have);
	check_pack(&b, f->p.st, f->r.st, &ps);
	assert_int_equal(ps.objects, info->objects);
	assert_int_equal(ps.deltas, info->deltas);
	assert_int_equal(ps.commits, info->commits);
	rc = store_import(f->r.st, f->root, "350000", info->head, b.ptr, b.len,
	                  &res);
	if (rc != 0)
		fail_msg("import: %s", store_errmsg());
	assert_int_equal(res.commits, info->commits);
	len = b.len;
	store_buf_free(&b);
	tu_ref(f->r.st, R_REF, have);
	assert_string_equal(have, info->head);
	assert_int_equal(tu_quarantines(f->r.st), 0);
	return len;
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

/* The commit `back` first parents behind P's head. */
static void p_ancestor(fx *f, unsigned back, char out[STORE_OID_HEX])
{
	git_oid id;
	git_commit *c;

	assert_int_equal(git_reference_name_to_id(&id, f->p.st->repo, P_REF), 0);
	for (unsigned i = 0; i < back; i++) {
		assert_int_equal(git_commit_lookup(&c, f->p.st->repo, &id), 0);
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	git_oid_tostr(out, STORE_OID_HEX, &id);
}

static void test_full_and_incremental(void **state)
{
	fx *f = *state;
	store_pack_info info;
	store_buf b;
	char head[STORE_OID_HEX];
	store_import_result res;

	seed(&f->p, 0, 120, 20);
	sync_pr(f, 0, &info);
	assert_int_equal(info.commits, 7);
	assert_string_equal(info.base, "");
	expect_same_heads(f);
	/* updates, new items, a new area folder's worth */
	rename_item(&f->p, 3, "改名 3");
	rename_item(&f->p, 77, "改名 77");
	seed(&f->p, 120, 30, 7);
	rename_item(&f->p, 3, "再改名 3");
	sync_pr(f, 0, &info);
	assert_int_equal(info.commits, 8);
	assert_true(info.deltas >= 3 * 4); /* every tree on each path */
	expect_same_heads(f);
	expect_verified(f->r.st, f->root);
	/* nothing new: an empty pack, and the importer has it */
	tu_ref(f->r.st, R_REF, head);
	assert_int_equal(store_pack_range(f->p.st, NULL, head, 0, &b, &info), 0);
	assert_int_equal(info.commits, 0);
	assert_int_equal(info.objects, 0);
	assert_int_equal(b.len, 32);
	assert_string_equal(info.head, head);
	assert_int_equal(store_import(f->r.st, f->root, "350000", info.head,
	                              b.ptr, b.len, &res),
	                 0);
	store_buf_free(&b);
	/* the receiver serves what it got (its packs were completed from
	 * its store) to a third node, in full and thin */
	{
		tu_node s;
		char have[STORE_OID_HEX];
		tu_node_new(&s, f->dir, "350200", STORE_LEVEL_CITY, "厦门市",
		            "350000");
		store_set_root(s.st, f->root);
		p_ancestor(f, 5, have);
		assert_int_equal(store_pack_range(f->r.st, "350000", have, 0, &b,
		                                  &info),
		                 0);
		store_buf_free(&b);
		assert_int_equal(tu_sync(f->r.st, "350000", s.st, f->root, &res), 0);
		assert_int_equal(res.commits, 15);
		rename_item(&f->p, 5, "第三个节点");
		assert_int_equal(tu_sync(f->p.st, "350000", f->r.st, f->root, &res),
		                 0);
		assert_int_equal(tu_sync(f->r.st, "350000", s.st, f->root, &res), 0);
		assert_int_equal(res.commits, 1);
		tu_ref(s.st, R_REF, have);
		tu_ref(f->p.st, P_REF, head);
		assert_string_equal(have, head);
		expect_verified(s.st, f->root);
		tu_node_free(&s);
	}
}

/* libgit2's packbuilder, as store_pack_build used it: for comparison. */
static size_t packbuilder_size(store *st, const char *have)
{
	git_packbuilder *pb;
	git_revwalk *w;
	git_buf buf = GIT_BUF_INIT;
	git_oid head, h;
	size_t n;

	assert_int_equal(git_reference_name_to_id(&head, st->repo, P_REF), 0);
	assert_int_equal(git_packbuilder_new(&pb, st->repo), 0);
	git_packbuilder_set_threads(pb, 1);
	assert_int_equal(git_revwalk_new(&w, st->repo), 0);
	assert_int_equal(git_revwalk_push(w, &head), 0);
	assert_int_equal(git_oid_fromstr(&h, have), 0);
	assert_int_equal(git_revwalk_hide(w, &h), 0);
	assert_int_equal(git_packbuilder_insert_walk(pb, w), 0);
	assert_int_equal(git_packbuilder_write_buf(&buf, pb), 0);
	n = buf.size;
	git_buf_dispose(&buf);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return n;
}

static void test_one_record_increment_is_small(void **state)
{
	fx *f = *state;
	store_pack_info info;
	char have[STORE_OID_HEX];
	size_t len, pb;

	seed(&f->p, 0, 520, 100);
	len = sync_pr(f, 0, &info);
	print_message("the whole history: %zu bytes, %zu objects, %zu deltas "
	              "(new records against the one packed before them)\n",
	              len, info.objects, info.deltas);
	assert_true(info.deltas > 400);
	tu_ref(f->r.st, R_REF, have);
	rename_item(&f->p, 262, "更新后的名称");
	pb = packbuilder_size(f->p.st, have);
	len = sync_pr(f, 0, &info);
	print_message("1-record increment over 520 items in %zu areas: %zu bytes "
	              "(%zu objects, %zu deltas); libgit2 packbuilder: %zu "
	              "bytes\n",
	              NAREAS, len, info.objects, info.deltas, pb);
	assert_int_equal(info.commits, 1);
	/* commit, root tree, catalog/, the area, the record; the root tree
	 * (two entries, 71 bytes) goes whole: a delta must save half */
	assert_int_equal(info.objects, 5);
	assert_int_equal(info.deltas, 3);
	assert_true(len < 2000);
	assert_true(len < pb);
	expect_same_heads(f);
}

static void test_no_object_twice_nor_held(void **state)
{
	fx *f = *state;
	store_pack_info info;

	seed(&f->p, 0, 40, 40);
	sync_pr(f, 0, &info);
	/* back to what the receiver holds: only the commits travel */
	rename_item(&f->p, 9, "临时");
	rename_item(&f->p, 9, "公开事项 9");
	sync_pr(f, 0, &info);
	assert_int_equal(info.commits, 2);
	assert_int_equal(info.objects, 5 + 1);
	/* back to a version earlier in the same pack */
	rename_item(&f->p, 9, "二");
	rename_item(&f->p, 9, "三");
	rename_item(&f->p, 9, "二");
	sync_pr(f, 0, &info);
	assert_int_equal(info.commits, 3);
	assert_int_equal(info.objects, 5 + 5 + 1);
	/* a new area folder comes whole, its parents as deltas */
	{
		char out[STORE_OID_HEX];
		size_t len;
		char *rec = tu_item("NEW.1", "新领域", "新", &len);
		store_change ch = { "catalog/新领域/NEW.1.json", rec, len };
		assert_int_equal(store_commit(f->p.st, f->p.sk, &ch, 1, "m", out), 0);
		free(rec);
	}
	sync_pr(f, 0, &info);
	assert_int_equal(info.objects, 5);
	assert_int_equal(info.deltas, 1); /* catalog/ (the root is too small) */
	expect_same_heads(f);
	expect_verified(f->r.st, f->root);
}

static void test_limit(void **state)
{
	fx *f = *state;
	store_pack_info info;
	char want[STORE_OID_HEX], head[STORE_OID_HEX];
	store_buf b;

	seed(&f->p, 0, 60, 10); /* 6 commits after the genesis */
	/* from nothing: the first 3 commits of the history */
	p_ancestor(f, 4, want);
	sync_pr(f, 3, &info);
	assert_int_equal(info.commits, 3);
	assert_string_equal(info.head, want);
	assert_string_equal(info.base, "");
	/* then 2 more, then the rest with a limit larger than needed */
	p_ancestor(f, 2, want);
	sync_pr(f, 2, &info);
	assert_int_equal(info.commits, 2);
	assert_string_equal(info.head, want);
	for (unsigned i = 0; i < 5; i++)
		rename_item(&f->p, i, "限");
	p_ancestor(f, 4, want);
	sync_pr(f, 3, &info);
	assert_int_equal(info.commits, 3);
	assert_string_equal(info.head, want);
	sync_pr(f, 100, &info);
	assert_int_equal(info.commits, 4);
	tu_ref(f->p.st, P_REF, head);
	assert_string_equal(info.head, head);
	expect_same_heads(f);
	/* a limit of 1 at the head: nothing left */
	assert_int_equal(store_pack_range(f->p.st, NULL, head, 1, &b, &info), 0);
	assert_int_equal(info.commits, 0);
	assert_string_equal(info.head, head);
	store_buf_free(&b);
	expect_verified(f->r.st, f->root);
}

static void test_unknown_or_forked_have(void **state)
{
	fx *f = *state;
	store_pack_info info;
	store_buf b;
	char head[STORE_OID_HEX], fork[STORE_OID_HEX], mid[STORE_OID_HEX];
	tu_forge_opts o = { 0 };
	size_t len;
	char *rec = tu_item("FORK.1", areas[0], "分叉", &len);
	const char *const unknown[] = {
		"0123456789abcdef0123456789abcdef01234567", /* no such commit */
		"xyz", "", NULL,
		"0123456789abcdef0123456789abcdef0123456" /* too short */
	};

	seed(&f->p, 0, 30, 10);
	tu_ref(f->p.st, P_REF, head);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(store_pack_range(f->p.st, NULL, unknown[i], 0, &b,
		                                  &info),
		                 0);
		assert_int_equal(info.commits, 4);
		assert_string_equal(info.base, "");
		assert_string_equal(info.head, head);
		store_buf_free(&b);
	}
	/* a sibling of the head, signed but not on its line */
	p_ancestor(f, 2, mid);
	o.ref = P_REF;
	o.parent = mid;
	o.sk = f->p.sk;
	o.path = "catalog/城乡规划/FORK.1.json";
	o.data = rec;
	o.len = len;
	o.flags = TU_NOMOVE;
	tu_forge(f->p.st, &o, fork);
	free(rec);
	assert_int_equal(store_pack_range(f->p.st, NULL, fork, 0, &b, &info), 0);
	assert_int_equal(info.commits, 4);
	assert_string_equal(info.base, "");
	store_buf_free(&b);
	/* a tree or blob id, not a commit: unknown as a commit too */
	{
		git_oid id;
		git_commit *c;
		char tree[STORE_OID_HEX];
		assert_int_equal(git_oid_fromstr(&id, head), 0);
		assert_int_equal(git_commit_lookup(&c, f->p.st->repo, &id), 0);
		git_oid_tostr(tree, sizeof(tree), git_commit_tree_id(c));
		git_commit_free(c);
		assert_int_equal(store_pack_range(f->p.st, NULL, tree, 0, &b, &info),
		                 0);
		assert_int_equal(info.commits, 4);
		store_buf_free(&b);
	}
	/* the whole history imports into a fresh receiver */
	sync_pr(f, 0, &info);
	expect_same_heads(f);
	/* a history not held */
	assert_int_equal(store_pack_range(f->p.st, "350900", NULL, 0, &b, &info),
	                 STORE_ENOTFOUND);
	assert_null(b.ptr);
	assert_int_equal(store_pack_range(f->p.st, "35x", NULL, 0, &b, &info),
	                 STORE_EINVAL);
}

/* ---- stock git -------------------------------------------------------------- */

static char *pack_to_file(fx *f, const char *have, size_t limit,
                          const char *name, store_pack_info *info)
{
	store_buf b;
	char *path;

	if (store_pack_range(f->p.st, NULL, have, limit, &b, info) != 0)
		fail_msg("pack: %s", store_errmsg());
	if (asprintf(&path, "%s/%s", f->dir, name) < 0)
		fail_msg("asprintf");
	write_file(path, b.ptr, b.len);
	store_buf_free(&b);
	return path;
}

/* The longest delta chain `git verify-pack -v` reports for a pack. */
static int verify_pack_depth(const char *git, const char *packname)
{
	char *out = sh_out("git --git-dir='%s' verify-pack -v "
	                   "'%s/objects/pack/pack-%s.idx'",
	                   git, git, packname);
	int max = 0;

	for (char *l = strstr(out, "chain length = "); l;
	     l = strstr(l + 1, "chain length = ")) {
		int d = atoi(l + 15);
		if (d > max)
			max = d;
	}
	assert_non_null(strstr(out, ": ok"));
	free(out);
	return max;
}

static void test_stock_git_agrees(void **state)
{
	fx *f = *state;
	store_pack_info info;
	char old[STORE_OID_HEX], head[STORE_OID_HEX], *pack, *out;
	char g[4096], g2[4096], g3[4096];
	int depth;

	seed(&f->p, 0, 200, 50);
	tu_ref(f->p.st, P_REF, old);
	snprintf(g, sizeof(g), "%s/clone.git", f->dir);
	assert_int_equal(sh("git clone -q --mirror --no-local '%s' '%s' "
	                    ">/dev/null 2>&1",
	                    f->p.dir, g),
	                 0);
	/* after the clone: updates, new items, one record many times over */
	for (unsigned i = 0; i < 70; i++) {
		char name[32];
		snprintf(name, sizeof(name), "第 %u 版", i);
		rename_item(&f->p, 7, name);
	}
	seed(&f->p, 200, 40, 8);
	rename_item(&f->p, 150, "最后");
	tu_ref(f->p.st, P_REF, head);

	/* a thin pack: git needs --fix-thin for it, and then takes it */
	pack = pack_to_file(f, old, 0, "thin.pack", &info);
	assert_string_equal(info.base, old);
	assert_true(info.deltas > 200);
	snprintf(g3, sizeof(g3), "%s/scratch.git", f->dir);
	assert_int_equal(sh("git init -q --bare '%s'", g3), 0);
	assert_int_not_equal(sh("cd '%s' && git index-pack --stdin <'%s' "
	                        ">/dev/null 2>&1",
	                        g3, pack),
	                     0);
	out = sh_out("cd '%s' && git index-pack --fix-thin --stdin <'%s'", g,
	             pack);
	assert_memory_equal(out, "pack\t", 5);
	out[45] = '\0';
	depth = verify_pack_depth(g, out + 5);
	assert_true(depth >= 2 && depth <= 50);
	free(out);
	free(pack);
	assert_int_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s %s",
	                    g, head, old),
	                 0);
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-dangling "
	                    "--no-progress",
	                    g),
	                 0);

	/* the whole history: a self-contained pack, no fixing needed */
	snprintf(g2, sizeof(g2), "%s/empty.git", f->dir);
	assert_int_equal(sh("git init -q --bare '%s' && git --git-dir='%s' "
	                    "symbolic-ref HEAD refs/heads/main",
	                    g2, g2),
	                 0);
	pack = pack_to_file(f, NULL, 0, "full.pack", &info);
	out = sh_out("cd '%s' && git index-pack --stdin <'%s'", g2, pack);
	assert_memory_equal(out, "pack\t", 5);
	out[45] = '\0';
	depth = verify_pack_depth(g2, out + 5);
	assert_true(depth >= 40 && depth <= 50); /* 70 versions of one record */
	free(out);
	free(pack);
	assert_int_equal(sh("git --git-dir='%s' update-ref refs/heads/main %s",
	                    g2, head),
	                 0);
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-dangling "
	                    "--no-progress",
	                    g2),
	                 0);
	out = sh_out("git --git-dir='%s' rev-list --count refs/heads/main", g2);
	assert_int_equal(atoi(out), 4 + 70 + 5 + 1 + 1);
	free(out);

	/* and store_import takes the same thin pack, with its chains */
	sync_pr(f, 0, &info);
	expect_same_heads(f);
	expect_verified(f->r.st, f->root);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_sha1_vs_sha1sum),
		cmocka_unit_test(test_delta_coder),
		cmocka_unit_test(test_delta_decoder_refuses),
	};
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest fed[] = {
		T(test_full_and_incremental),
		T(test_one_record_increment_is_small),
		T(test_no_object_twice_nor_held),
		T(test_limit),
		T(test_unknown_or_forked_have),
		T(test_stock_git_agrees),
	};
	int rc;

	if (store_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests_name("pack format", pure, NULL, NULL);
	rc |= cmocka_run_group_tests_name("packs", fed, NULL, NULL);
	store_global_shutdown();
	return rc;
}
