/*
 * pack.c — packs out: a thin pack writer of our own.
 *
 * libgit2's packbuilder cannot make thin packs (no delta against an object
 * the peer holds but the pack does not), so a one-record update carried
 * every tree on its path whole: about 4-6 KB where `git pack-objects
 * --thin` sends 600 B. Histories here are single lines of commits whose
 * changes are small, so the writer needs no delta search: each changed
 * tree and record is a delta against its own previous version, at the
 * same path in the parent commit, which the peer either holds (it is in
 * `have`'s tree) or finds earlier in this pack. A record new at its path
 * has no previous version; it is tried against the record packed just
 * before it in the same folder (records of one kind look alike: this is
 * what keeps a whole history small), but only one already in this pack,
 * so that the receiver has no more bases to fetch. Commits go whole.
 * A delta is kept when it is at most half the object less 20 bytes (git's
 * rule) and its chain at most 50 long (git's default depth).
 *
 * The pack (git's version 2, gitformat-pack(5)):
 *   "PACK", u32 version 2, u32 object count (big-endian);
 *   per object: a header of type (3 bits) and size (4 bits, then 7 per
 *   byte, low first, 0x80 = more), for REF_DELTA (type 7) the base's 20-byte
 *   name, then the zlib stream of the object's bytes (or of the delta);
 *   the SHA-1 of all of the above.
 * The receiver completes it from its own store: store_import's indexer
 * (index.c) appends the missing bases in one pass (`git index-pack
 * --fix-thin` does the same for stock git). Long histories still come in
 * steps (store_pack_range's limit), so that each step is checked and
 * applied before the next is asked for.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Longest chain of deltas (git's pack.depth default): a reader of the
 * pack resolves an object through at most this many. */
#define DELTA_DEPTH_MAX 50
/* Deeper trees are refused (a history's paths are a few levels deep). */
#define TREE_DEPTH_MAX 32
/* Objects larger than this are never deltified. */
#define DELTA_OBJ_MAX ((size_t)64 << 20)

enum {
	OBJ_COMMIT = 1,
	OBJ_TREE = 2,
	OBJ_BLOB = 3,
	OBJ_REF_DELTA = 7
};

/* ---- delta encoding ------------------------------------------------------- */

#define COPY_MAX 0x10000u
#define INSERT_MAX 127u

static size_t varint_put(unsigned char *p, size_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

size_t store_delta_bound(size_t srclen, size_t tgtlen)
{
	/* two varints, the target inserted in 127-byte pieces, and the copies
	 * (at most 8 bytes each) of the prefix and suffix, which never exceed
	 * the source together; a copy found in the middle costs at most 9
	 * bytes (with the insert op it splits) and replaces 16 or more */
	return 2 * 10 + tgtlen + tgtlen / INSERT_MAX + 1 +
	       8 * (srclen / COPY_MAX + 2);
}

typedef struct dwriter {
	unsigned char *p;
	size_t len, cap;
	int full;
} dwriter;

static void dw_put(dwriter *w, const void *data, size_t n)
{
	if (w->full || n > w->cap - w->len) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void dw_copy(dwriter *w, size_t off, size_t n)
{
	while (n > 0 && !w->full) {
		size_t take = n < COPY_MAX ? n : COPY_MAX;
		unsigned char op[8];
		size_t k = 1;

		op[0] = 0x80;
		for (unsigned i = 0; i < 4; i++) {
			unsigned char b = (unsigned char)(off >> (8 * i));
			if (b) {
				op[0] |= (unsigned char)(1u << i);
				op[k++] = b;
			}
		}
		/* a size of 0x10000 is written as no size bytes at all */
		for (unsigned i = 0; i < 3 && take < COPY_MAX; i++) {
			unsigned char b = (unsigned char)(take >> (8 * i));
			if (b) {
				op[0] |= (unsigned char)(0x10u << i);
				op[k++] = b;
			}
		}
		dw_put(w, op, k);
		off += take;
		n -= take;
	}
}

static void dw_insert(dwriter *w, const unsigned char *data, size_t n)
{
	while (n > 0 && !w->full) {
		unsigned char op = (unsigned char)(n < INSERT_MAX ? n : INSERT_MAX);
		dw_put(w, &op, 1);
		dw_put(w, data, op);
		data += op;
		n -= op;
	}
}

/* Blocks of the source indexed for matching, and the shortest match
 * taken (a copy op costs at most 8 bytes). */
#define BLK 16
/* Larger sources get the prefix and suffix copies only. */
#define MATCH_SRC_MAX ((size_t)16 << 20)
#define RH_MUL 0x01000193u

static uint32_t rh_init(const unsigned char *p)
{
	uint32_t h = 0;

	for (unsigned i = 0; i < BLK; i++)
		h = h * RH_MUL + p[i];
	return h;
}

static size_t rh_slot(uint32_t h, unsigned bits)
{
	return (size_t)((h * 0x9E3779B1u) >> (32 - bits));
}

/*
 * The middle tgt[lo, hi): copies of blocks found anywhere in src, inserts
 * between them. Source blocks at multiples of BLK are indexed by a rolling
 * hash; the target is scanned byte by byte, and a block found is verified
 * and extended forwards (to hi) and backwards (over the pending insert).
 */
static void dw_match(dwriter *w, const unsigned char *src, size_t srclen,
                     const unsigned char *tgt, size_t lo, size_t hi)
{
	uint32_t *tab = NULL, pow = 1;
	unsigned bits = 4;
	size_t lit = lo, t = lo;
	uint32_t h;

	if (hi - lo >= 2 * BLK && srclen >= BLK && srclen <= MATCH_SRC_MAX) {
		while (((size_t)1 << bits) < 2 * (srclen / BLK))
			bits++;
		tab = calloc((size_t)1 << bits, sizeof(*tab));
	}
	if (tab == NULL) {
		dw_insert(w, tgt + lo, hi - lo);
		return;
	}
	for (size_t s = 0; s + BLK <= srclen; s += BLK) {
		size_t k = rh_slot(rh_init(src + s), bits);
		if (tab[k] == 0)
			tab[k] = (uint32_t)s + 1;
	}
	for (unsigned i = 1; i < BLK; i++)
		pow *= RH_MUL;
	h = rh_init(tgt + t);
	while (t + BLK <= hi && !w->full) {
		uint32_t e = tab[rh_slot(h, bits)];
		size_t s = e ? e - 1 : 0, len = BLK;
		if (e && memcmp(src + s, tgt + t, BLK) == 0) {
			while (t + len < hi && s + len < srclen &&
			       src[s + len] == tgt[t + len])
				len++;
			while (t > lit && s > 0 && src[s - 1] == tgt[t - 1]) {
				t--;
				s--;
				len++;
			}
			dw_insert(w, tgt + lit, t - lit);
			dw_copy(w, s, len);
			t += len;
			lit = t;
			if (t + BLK <= hi)
				h = rh_init(tgt + t);
			continue;
		}
		if (t + BLK < hi)
			h = (h - tgt[t] * pow) * RH_MUL + tgt[t + BLK];
		t++;
	}
	dw_insert(w, tgt + lit, hi - lit);
	free(tab);
}

size_t store_delta_encode(unsigned char *out, size_t cap, const void *src_,
                          size_t srclen, const void *tgt_, size_t tgtlen)
{
	const unsigned char *src = src_, *tgt = tgt_;
	dwriter w = { out, 0, cap, 0 };
	unsigned char hdr[20];
	size_t pre = 0, suf = 0, min = srclen < tgtlen ? srclen : tgtlen;

	/* copy offsets are 32 bits */
	if (srclen > 0xffffffffu)
		return 0;
	while (pre < min && src[pre] == tgt[pre])
		pre++;
	while (suf < min - pre &&
	       src[srclen - 1 - suf] == tgt[tgtlen - 1 - suf])
		suf++;
	/* a copy op costs 2 to 8 bytes: tiny matches go into the insert */
	if (pre < 4)
		pre = 0;
	if (suf < 4)
		suf = 0;
	{
		size_t n = varint_put(hdr, srclen);
		n += varint_put(hdr + n, tgtlen);
		dw_put(&w, hdr, n);
	}
	dw_copy(&w, 0, pre);
	dw_match(&w, src, srclen, tgt, pre, tgtlen - suf);
	dw_copy(&w, srclen - suf, suf);
	return w.full ? 0 : w.len;
}

static int varint_get(const unsigned char **p, const unsigned char *end,
                      size_t *out)
{
	size_t v = 0;
	unsigned shift = 0;

	for (;;) {
		unsigned char b;
		if (*p >= end || shift > 63)
			return -1;
		b = *(*p)++;
		if (shift == 63 && (b & 0x7e))
			return -1;
		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	*out = v;
	return 0;
}

int store_delta_apply(const void *src_, size_t srclen, const void *delta,
                      size_t dlen, size_t max, unsigned char **out,
                      size_t *outlen)
{
	const unsigned char *p = delta, *end = p + dlen, *src = src_;
	size_t ssz, tsz, n = 0;
	unsigned char *t;

	*out = NULL;
	*outlen = 0;
	if (varint_get(&p, end, &ssz) != 0 || varint_get(&p, end, &tsz) != 0) {
		store_seterr("a delta's header is truncated");
		return STORE_ECORRUPT;
	}
	if (ssz != srclen) {
		store_seterr("a delta is for a base of %zu bytes, not %zu", ssz,
		             srclen);
		return STORE_ECORRUPT;
	}
	if (tsz > max) {
		store_seterr("a delta makes %zu bytes, more than %zu", tsz, max);
		return STORE_ECORRUPT;
	}
	t = malloc(tsz ? tsz : 1);
	if (t == NULL)
		return STORE_ENOMEM;
	while (p < end) {
		unsigned char op = *p++;
		if (op & 0x80) {
			size_t off = 0, sz = 0;
			for (unsigned i = 0; i < 4; i++)
				if (op & (1u << i)) {
					if (p >= end)
						goto bad;
					off |= (size_t)*p++ << (8 * i);
				}
			for (unsigned i = 0; i < 3; i++)
				if (op & (0x10u << i)) {
					if (p >= end)
						goto bad;
					sz |= (size_t)*p++ << (8 * i);
				}
			if (sz == 0)
				sz = COPY_MAX;
			if (off > srclen || sz > srclen - off || sz > tsz - n)
				goto bad;
			memcpy(t + n, src + off, sz);
			n += sz;
		} else if (op != 0) {
			if (op > (size_t)(end - p) || op > tsz - n)
				goto bad;
			memcpy(t + n, p, op);
			p += op;
			n += op;
		} else {
			goto bad; /* reserved */
		}
	}
	if (n != tsz)
		goto bad;
	*out = t;
	*outlen = tsz;
	return 0;
bad:
	free(t);
	store_seterr("a delta is malformed or does not fit its base");
	return STORE_ECORRUPT;
}

/* ---- object sets ------------------------------------------------------------ */

/* Open addressing on the object name, which is hash enough. `depth` is
 * the delta depth of an object in the pack (0: whole, or held by the
 * peer). */
typedef struct oset_ent {
	git_oid id;
	int depth; /* -1: empty slot */
} oset_ent;

typedef struct oset {
	oset_ent *v;
	size_t n, mask; /* mask + 1 slots; 0 slots when v is NULL */
} oset;

static size_t oset_slot(const oset *s, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & s->mask;
}

/* The depth of id in s, or -1. */
static int oset_get(const oset *s, const git_oid *id)
{
	if (s->v == NULL)
		return -1;
	for (size_t i = oset_slot(s, id);; i = (i + 1) & s->mask) {
		if (s->v[i].depth < 0)
			return -1;
		if (git_oid_equal(&s->v[i].id, id))
			return s->v[i].depth;
	}
}

static int oset_grow(oset *s)
{
	size_t cap = s->v ? (s->mask + 1) * 2 : 256;
	oset_ent *nv = malloc(cap * sizeof(*nv));
	oset old = *s;

	if (nv == NULL)
		return STORE_ENOMEM;
	for (size_t i = 0; i < cap; i++)
		nv[i].depth = -1;
	s->v = nv;
	s->mask = cap - 1;
	s->n = 0;
	if (old.v != NULL) {
		for (size_t i = 0; i <= old.mask; i++) {
			if (old.v[i].depth < 0)
				continue;
			size_t j = oset_slot(s, &old.v[i].id);
			while (s->v[j].depth >= 0)
				j = (j + 1) & s->mask;
			s->v[j] = old.v[i];
			s->n++;
		}
		free(old.v);
	}
	return 0;
}

/* Adds id (a no-op if present). */
static int oset_add(oset *s, const git_oid *id, int depth)
{
	size_t i;

	if (s->v == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3) {
		int rc = oset_grow(s);
		if (rc != 0)
			return rc;
	}
	for (i = oset_slot(s, id); s->v[i].depth >= 0; i = (i + 1) & s->mask)
		if (git_oid_equal(&s->v[i].id, id))
			return 0;
	s->v[i].id = *id;
	s->v[i].depth = depth;
	s->n++;
	return 0;
}

static void oset_free(oset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- raw trees -------------------------------------------------------------- */

typedef struct tent {
	const char *name;
	size_t nlen;
	unsigned mode;
	git_oid id;
} tent;

#define MODE_TREE 0040000u
#define MODE_GITLINK 0160000u

/* Parses a tree object's bytes: "<octal mode> <name>\0<20-byte id>"... */
static int tree_parse(const unsigned char *d, size_t len, tent **out,
                      size_t *n, const git_oid *id)
{
	const unsigned char *p = d, *end = d + len;
	size_t cap = 0;
	tent *v = NULL;

	*out = NULL;
	*n = 0;
	while (p < end) {
		unsigned mode = 0;
		const unsigned char *name, *nul;
		if (*p == ' ')
			goto bad;
		while (p < end && *p != ' ') {
			if (*p < '0' || *p > '7' || mode > 0777777)
				goto bad;
			mode = mode * 8 + (unsigned)(*p++ - '0');
		}
		if (p >= end)
			goto bad;
		name = ++p;
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL || nul == name || (size_t)(end - nul) < 1 + 20)
			goto bad;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			tent *nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL) {
				free(v);
				return STORE_ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[*n].name = (const char *)name;
		v[*n].nlen = (size_t)(nul - name);
		v[*n].mode = mode;
		git_oid_fromraw(&v[*n].id, nul + 1);
		(*n)++;
		p = nul + 1 + 20;
	}
	*out = v;
	return 0;
bad:
	free(v);
	{
		char hex[STORE_OID_HEX];
		git_oid_tostr(hex, sizeof(hex), id);
		store_seterr("tree %s is corrupt", hex);
	}
	*n = 0;
	return STORE_ECORRUPT;
}

/* git's tree order: names compared as if a tree's had a trailing '/'. */
static int tent_cmp(const tent *a, const tent *b)
{
	size_t m = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->name, b->name, m);
	unsigned char ca, cb;

	if (c != 0)
		return c;
	ca = a->nlen > m ? (unsigned char)a->name[m]
	                 : (a->mode == MODE_TREE ? '/' : '\0');
	cb = b->nlen > m ? (unsigned char)b->name[m]
	                 : (b->mode == MODE_TREE ? '/' : '\0');
	return (int)ca - (int)cb;
}

/* ---- the writer ----------------------------------------------------------- */

typedef struct pw {
	git_odb *odb;
	unsigned char *out;
	size_t len, cap;
	z_stream z;
	int zinit;
	oset have; /* in have's tree: the peer holds them */
	oset sent; /* in this pack, with their delta depth */
	unsigned char *scratch;
	size_t scratchcap;
	size_t objects, deltas;
} pw;

static int pw_reserve(pw *w, size_t more)
{
	size_t ncap;
	unsigned char *np;

	if (more <= w->cap - w->len)
		return 0;
	if (more > SIZE_MAX / 2 - w->len)
		return STORE_ENOMEM;
	ncap = w->cap ? w->cap : 4096;
	while (ncap - w->len < more)
		ncap *= 2;
	np = realloc(w->out, ncap);
	if (np == NULL)
		return STORE_ENOMEM;
	w->out = np;
	w->cap = ncap;
	return 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int read_obj(pw *w, const git_oid *id, git_object_t want,
                    git_odb_object **out)
{
	char hex[STORE_OID_HEX];

	*out = NULL;
	git_oid_tostr(hex, sizeof(hex), id);
	if (git_odb_read(out, w->odb, id) != 0) {
		const git_error *e = git_error_last();
		store_seterr("cannot read object %s: %s", hex,
		             e && e->message ? e->message : "not found");
		return STORE_EGIT;
	}
	if (git_odb_object_type(*out) != want) {
		store_seterr("object %s is a %s, not a %s", hex,
		             git_object_type2string(git_odb_object_type(*out)),
		             git_object_type2string(want));
		git_odb_object_free(*out);
		*out = NULL;
		return STORE_ECORRUPT;
	}
	return 0;
}

/* Appends one entry: header, the base's name for a delta, the deflated
 * bytes. */
static int pw_entry(pw *w, int type, const git_oid *base, const void *data,
                    size_t len)
{
	unsigned char hdr[16];
	size_t n = 0, sz = len;
	unsigned char c = (unsigned char)((type << 4) | (sz & 15));
	uLong bound;
	int rc, zr;

	sz >>= 4;
	while (sz) {
		hdr[n++] = c | 0x80;
		c = sz & 0x7f;
		sz >>= 7;
	}
	hdr[n++] = c;
	if (len > (size_t)UINT32_MAX) {
		store_seterr("an object of %zu bytes is too large to pack", len);
		return STORE_ETOOBIG;
	}
	bound = deflateBound(&w->z, (uLong)len);
	rc = pw_reserve(w, n + 20 + bound);
	if (rc != 0)
		return rc;
	memcpy(w->out + w->len, hdr, n);
	w->len += n;
	if (base) {
		memcpy(w->out + w->len, base->id, 20);
		w->len += 20;
	}
	if (deflateReset(&w->z) != Z_OK)
		goto zerr;
	w->z.next_in = (Bytef *)(uintptr_t)data;
	w->z.avail_in = (uInt)len;
	w->z.next_out = w->out + w->len;
	w->z.avail_out = (uInt)bound;
	zr = deflate(&w->z, Z_FINISH);
	if (zr != Z_STREAM_END)
		goto zerr;
	w->len += bound - w->z.avail_out;
	w->objects++;
	return 0;
zerr:
	store_seterr("cannot compress an object: %s",
	             w->z.msg ? w->z.msg : "zlib error");
	return STORE_EIO;
}

/*
 * Packs object `id` (`data`), as a delta against `base` (its previous
 * version, `bdata`) when the peer will have that, the chain stays short
 * and the delta is at most half the object.
 */
static int pw_object(pw *w, int type, const git_oid *id, const void *data,
                     size_t len, const git_oid *base, const void *bdata,
                     size_t blen)
{
	int depth = 0, bd = -1, rc;

	if (base != NULL && bdata != NULL && len <= DELTA_OBJ_MAX &&
	    blen <= DELTA_OBJ_MAX && len / 2 > 20) {
		bd = oset_get(&w->have, base) >= 0 ? 0 : oset_get(&w->sent, base);
		if (bd >= DELTA_DEPTH_MAX)
			bd = -1;
	}
	if (bd >= 0) {
		/* the delta plus the base's name must save half the bytes */
		size_t cap = len / 2 - 20, dl;
		if (w->scratchcap < cap) {
			unsigned char *ns = realloc(w->scratch, cap);
			if (ns == NULL)
				return STORE_ENOMEM;
			w->scratch = ns;
			w->scratchcap = cap;
		}
		dl = store_delta_encode(w->scratch, cap, bdata, blen, data, len);
		if (dl > 0) {
			rc = pw_entry(w, OBJ_REF_DELTA, base, w->scratch, dl);
			if (rc != 0)
				return rc;
			w->deltas++;
			depth = bd + 1;
			return oset_add(&w->sent, id, depth);
		}
	}
	rc = pw_entry(w, type, NULL, data, len);
	if (rc != 0)
		return rc;
	return oset_add(&w->sent, id, depth);
}

static int held(const pw *w, const git_oid *id)
{
	return oset_get(&w->have, id) >= 0 || oset_get(&w->sent, id) >= 0;
}

/* Packs blob `id`, against its previous version `base` (NULL: none) or,
 * for a new file, against `sib`, a file just packed in the same folder
 * (records of one kind look alike). */
static int send_blob(pw *w, const git_oid *id, const git_oid *base,
                     const git_oid *sib)
{
	git_odb_object *o = NULL, *b = NULL;
	int rc;

	if (held(w, id))
		return 0;
	rc = read_obj(w, id, GIT_OBJECT_BLOB, &o);
	if (rc != 0)
		return rc;
	/* read the previous version only when it can serve as a base */
	if (base != NULL && !held(w, base))
		base = NULL;
	/* a sibling only from this pack: no more bases for the receiver to
	 * fetch from its store */
	if (base == NULL && sib != NULL && oset_get(&w->sent, sib) >= 0)
		base = sib;
	if (base != NULL) {
		rc = read_obj(w, base, GIT_OBJECT_BLOB, &b);
		if (rc != 0)
			goto done;
	}
	rc = pw_object(w, OBJ_BLOB, id, git_odb_object_data(o),
	               git_odb_object_size(o), base,
	               b ? git_odb_object_data(b) : NULL,
	               b ? git_odb_object_size(b) : 0);
done:
	git_odb_object_free(b);
	git_odb_object_free(o);
	return rc;
}

/*
 * Packs tree `id`, whose previous version at the same path is `base`
 * (NULL: none), and below it whatever changed: entries whose names are
 * in both with the same kind and different ids are sent against their
 * old versions, new ones whole; subtrees are entered only when their ids
 * differ. Nothing the peer holds or the pack has is sent again.
 */
static int send_tree(pw *w, const git_oid *id, const git_oid *base,
                     int level)
{
	git_odb_object *o = NULL, *b = NULL;
	tent *nv = NULL, *ov = NULL;
	const git_oid *sib = NULL;
	size_t nn = 0, on = 0, j = 0;
	int rc;

	if (held(w, id))
		return 0;
	if (level > TREE_DEPTH_MAX) {
		store_seterr("trees are nested more than %d deep", TREE_DEPTH_MAX);
		return STORE_ECORRUPT;
	}
	rc = read_obj(w, id, GIT_OBJECT_TREE, &o);
	if (rc == 0 && base != NULL)
		rc = read_obj(w, base, GIT_OBJECT_TREE, &b);
	if (rc == 0)
		rc = tree_parse(git_odb_object_data(o), git_odb_object_size(o),
		                &nv, &nn, id);
	if (rc == 0 && b != NULL)
		rc = tree_parse(git_odb_object_data(b), git_odb_object_size(b),
		                &ov, &on, base);
	if (rc != 0)
		goto done;
	/* the previous version is a base only if the peer will have it; its
	 * entries still tell what changed */
	rc = pw_object(w, OBJ_TREE, id, git_odb_object_data(o),
	               git_odb_object_size(o), base && held(w, base) ? base : NULL,
	               b ? git_odb_object_data(b) : NULL,
	               b ? git_odb_object_size(b) : 0);
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		const tent *e = &nv[i], *old = NULL;
		int c = 1;
		if (e->mode == MODE_GITLINK)
			continue; /* a commit elsewhere, not an object of ours */
		while (j < on && (c = tent_cmp(&ov[j], e)) < 0)
			j++;
		if (j < on && c == 0)
			old = &ov[j];
		if (old != NULL && git_oid_equal(&old->id, &e->id))
			continue;
		if (e->mode == MODE_TREE) {
			rc = send_tree(w, &e->id, old ? &old->id : NULL, level + 1);
		} else {
			rc = send_blob(w, &e->id,
			               old && old->mode != MODE_GITLINK ? &old->id
			                                                : NULL,
			               sib);
			if (rc == 0 && oset_get(&w->sent, &e->id) >= 0)
				sib = &e->id;
		}
	}
done:
	free(nv);
	free(ov);
	git_odb_object_free(b);
	git_odb_object_free(o);
	return rc;
}

/* Every tree and blob under `id` into w->have. */
static int have_tree(pw *w, const git_oid *id, int level)
{
	git_odb_object *o = NULL;
	tent *v = NULL;
	size_t n = 0;
	int rc;

	if (oset_get(&w->have, id) >= 0)
		return 0;
	if (level > TREE_DEPTH_MAX) {
		store_seterr("trees are nested more than %d deep", TREE_DEPTH_MAX);
		return STORE_ECORRUPT;
	}
	rc = read_obj(w, id, GIT_OBJECT_TREE, &o);
	if (rc == 0)
		rc = tree_parse(git_odb_object_data(o), git_odb_object_size(o), &v,
		                &n, id);
	if (rc == 0)
		rc = oset_add(&w->have, id, 0);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (v[i].mode == MODE_GITLINK)
			continue;
		if (v[i].mode == MODE_TREE)
			rc = have_tree(w, &v[i].id, level + 1);
		else
			rc = oset_add(&w->have, &v[i].id, 0);
	}
	free(v);
	git_odb_object_free(o);
	return rc;
}

/* ---- the range ------------------------------------------------------------ */

typedef struct line {
	git_oid *commit, *tree; /* newest first while collecting */
	size_t n, cap;
} line;

static int line_push(line *l, const git_oid *c, const git_oid *t)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		git_oid *nc = realloc(l->commit, ncap * sizeof(*nc));
		if (nc == NULL)
			return STORE_ENOMEM;
		l->commit = nc;
		git_oid *nt = realloc(l->tree, ncap * sizeof(*nt));
		if (nt == NULL)
			return STORE_ENOMEM;
		l->tree = nt;
		l->cap = ncap;
	}
	l->commit[l->n] = *c;
	l->tree[l->n] = *t;
	l->n++;
	return 0;
}

/* head's first-parent line back to `stop` (exclusive) or the root;
 * *reached says whether stop was met, *stop_tree then gets its tree.
 * A merge (never valid in a history) is packed as if its first parent
 * were its only one: the importer sees it and refuses it. */
static int line_collect(git_repository *repo, const git_oid *head,
                        const git_oid *stop, line *l, int *reached,
                        git_oid *stop_tree)
{
	git_oid cur = *head;

	*reached = 0;
	for (;;) {
		git_commit *c = NULL;
		unsigned pc;
		int rc;

		if (git_commit_lookup(&c, repo, &cur) != 0) {
			char hex[STORE_OID_HEX];
			git_oid_tostr(hex, sizeof(hex), &cur);
			return store_giterr(hex);
		}
		if (stop != NULL && git_oid_equal(&cur, stop)) {
			*stop_tree = *git_commit_tree_id(c);
			*reached = 1;
			git_commit_free(c);
			return 0;
		}
		rc = line_push(l, &cur, git_commit_tree_id(c));
		pc = git_commit_parentcount(c);
		if (pc > 0)
			cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (rc != 0 || pc == 0)
			return rc;
	}
}

int store_pack_range(store *st, const char *node, const char *have,
                     size_t limit, store_buf *out, store_pack_info *info)
{
	char ref[STORE_PATH_MAX];
	git_oid head, hv, htree;
	int has_have = 0, reached = 0, rc;
	line l = { 0 };
	pw w;
	size_t first, count;
	store_sha1 sha;

	memset(out, 0, sizeof(*out));
	memset(info, 0, sizeof(*info));
	memset(&w, 0, sizeof(w));
	rc = store_ref_for(st, ref, sizeof(ref), node);
	if (rc != 0)
		return rc;
	rc = store_ref_lookup(st, ref, &head);
	if (rc != 0) {
		if (rc == STORE_ENOTFOUND)
			store_seterr("no history of %s is held here",
			             node ? node : "this node");
		return rc;
	}
	if (have != NULL && have[0] != '\0' && strlen(have) == 40 &&
	    git_oid_fromstr(&hv, have) == 0)
		has_have = 1;
	if (git_repository_odb(&w.odb, st->repo) != 0)
		return store_giterr("cannot open object database");
	rc = line_collect(st->repo, &head, has_have ? &hv : NULL, &l, &reached,
	                  &htree);
	if (rc != 0)
		goto cleanup;
	/* l holds newest first: l.n - 1 is the first commit after have (or
	 * the root); with a limit the pack ends `limit` commits later */
	count = limit > 0 && limit < l.n ? limit : l.n;
	first = l.n;
	if (deflateInit(&w.z, Z_DEFAULT_COMPRESSION) != Z_OK) {
		rc = STORE_ENOMEM;
		goto cleanup;
	}
	w.zinit = 1;
	if (reached) {
		git_oid_tostr(info->base, sizeof(info->base), &hv);
		rc = have_tree(&w, &htree, 0);
		if (rc != 0)
			goto cleanup;
	}
	rc = pw_reserve(&w, 12);
	if (rc != 0)
		goto cleanup;
	memcpy(w.out, "PACK", 4);
	put_u32(w.out + 4, 2);
	w.len = 12; /* the count goes in at the end */
	for (size_t k = 0; k < count; k++) {
		size_t i = first - 1 - k;
		const git_oid *ptree = i + 1 < l.n ? &l.tree[i + 1]
		                       : reached   ? &htree
		                                   : NULL;
		git_odb_object *c = NULL;
		rc = read_obj(&w, &l.commit[i], GIT_OBJECT_COMMIT, &c);
		if (rc == 0)
			rc = pw_object(&w, OBJ_COMMIT, &l.commit[i],
			               git_odb_object_data(c), git_odb_object_size(c),
			               NULL, NULL, 0);
		git_odb_object_free(c);
		if (rc == 0)
			rc = send_tree(&w, &l.tree[i], ptree, 0);
		if (rc != 0)
			goto cleanup;
		/* a step fits one sync frame: stop after the commit that
		 * passes the budget (one commit alone stays under it, as the
		 * rules bound what a commit may add) */
		if (w.len > STORE_PACK_BUDGET && k + 1 < count) {
			count = k + 1;
			break;
		}
	}
	if (w.objects > UINT32_MAX) {
		store_seterr("too many objects for one pack");
		rc = STORE_ETOOBIG;
		goto cleanup;
	}
	put_u32(w.out + 8, (uint32_t)w.objects);
	rc = pw_reserve(&w, STORE_SHA1_LEN);
	if (rc != 0)
		goto cleanup;
	store_sha1_init(&sha);
	store_sha1_update(&sha, w.out, w.len);
	store_sha1_final(&sha, w.out + w.len);
	w.len += STORE_SHA1_LEN;

	git_oid_tostr(info->head, sizeof(info->head),
	              count > 0 ? &l.commit[first - count] : &head);
	info->commits = count;
	info->objects = w.objects;
	info->deltas = w.deltas;
	out->ptr = w.out;
	out->len = w.len;
	w.out = NULL;
	rc = 0;
cleanup:
	if (rc != 0)
		memset(info, 0, sizeof(*info));
	if (w.zinit)
		deflateEnd(&w.z);
	free(w.out);
	free(w.scratch);
	oset_free(&w.have);
	oset_free(&w.sent);
	git_odb_free(w.odb);
	free(l.commit);
	free(l.tree);
	return rc;
}

int store_pack_build(store *st, const char *node, const char *have,
                     store_buf *out, char head_out[STORE_OID_HEX])
{
	store_pack_info info;
	int rc = store_pack_range(st, node, have, 0, out, &info);

	if (rc == 0)
		memcpy(head_out, info.head, STORE_OID_HEX);
	return rc;
}
