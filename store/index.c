/*
 * index.c — packs in: an indexer of our own, bounded and loop-free.
 *
 * Every pack a peer sends is hostile until checked. libgit2 1.5.1's
 * indexer (git_indexer) is not safe on such input: a pack holding a blob
 * and a REF_DELTA that rebuilds that same blob makes git_indexer_commit
 * loop forever with growing memory when it has an object database to fix
 * thin packs from (resolve_deltas refuses the duplicate, makes no
 * progress, and fix_thin_pack has nothing to add: under 100 bytes hang
 * an import; unchanged up to 1.9). It also completes a thin pack one
 * missing base per pass over every waiting delta (bases x deltas: a
 * 4,000-commit catch-up took seconds to index), and leaks when verifying.
 * So packs are indexed here, in three steps, none of which comes back to
 * what an earlier one settled:
 *
 * 1. Parse. The header ("PACK", version 2 or 3, the count), the trailer
 *    (SHA-1 of all before it), then every entry in order: its type and
 *    size, for OFS_DELTA the distance back to its base (which must be the
 *    start of an earlier entry), for REF_DELTA the base's name; its zlib
 *    data inflated with the declared size as a hard bound — exactly that
 *    many bytes, the stream complete; the next entry starts where it ends
 *    and the last one ends at the trailer. Whole objects are named
 *    (git_odb_hash) and forgotten; deltas are only checked.
 * 2. Resolve. From each whole object, depth first: the deltas naming it
 *    (by offset or by name) are applied to it, their results named, and
 *    the deltas naming those, and so on (at most max_depth deep). Each
 *    entry is resolved once and each name's dependants are visited once:
 *    when the name first appears. Then, for a thin pack, each base name
 *    still wanted is read from the store's objects (`bases`) once, checked
 *    and resolved from the same way (with one refresh of `bases` if some
 *    are not found, should the store have packed meanwhile). A delta
 *    still unresolved has a base missing everywhere, or is part of a
 *    cycle: the pack is refused. A second copy of an object is noted and
 *    dropped (the copy nearest a whole object is kept), so that no copy's
 *    base can be itself.
 * 3. Write. The received pack as it came when nothing was added or
 *    dropped; otherwise the same entries (an OFS_DELTA whose base was
 *    dropped becomes a REF_DELTA naming it) with the thin bases appended
 *    whole, and the count and trailer rewritten (and the version: 3 is
 *    the same format, but libgit2 1.5.1 reads only 2). Then its .idx,
 *    version 2.
 *
 * Work and memory are bounded by the limits in store_index_opts: objects,
 * bytes per object, bytes inflated and rebuilt in all, chain depth.
 */
#define _GNU_SOURCE
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum {
	OBJ_COMMIT = 1,
	OBJ_TREE = 2,
	OBJ_BLOB = 3,
	OBJ_TAG = 4,
	OBJ_OFS_DELTA = 6,
	OBJ_REF_DELTA = 7
};

enum { ST_PENDING = 0, ST_DONE, ST_DUP };

/* who: an entry of the pack, or (with THIN) a base read from `bases` */
#define THIN 0x40000000u
#define NONE 0xffffffffu
#define MAX_OBJECTS_CAP 0x3fffffffu
#define SINK_LEN 65536
/* thin bases are deflated as git index-pack --fix-thin does */
#define THIN_LEVEL Z_DEFAULT_COMPRESSION

typedef struct ient {
	uint64_t off;     /* where it starts in the received pack */
	uint64_t out_off; /* and in the pack written */
	git_oid id;       /* the object's name, once resolved */
	uint32_t size;    /* inflated bytes: the object's, or the delta's */
	uint32_t base;    /* OFS_DELTA: the entry of its base */
	uint32_t crc;     /* of its bytes in the pack written */
	uint8_t type;     /* as in the pack */
	uint8_t otype;    /* the object's type, once resolved */
	uint8_t szlen;    /* bytes of the type-and-size header */
	uint8_t hdrlen;   /* ... and of the base that follows it */
	uint8_t state;
	uint8_t depth;    /* deltas between it and a whole object */
} ient;

typedef struct iref {
	git_oid base;
	uint32_t ent;
} iref;

typedef struct ithin {
	git_oid id;
	int type;
	size_t size;
	unsigned char *z; /* its entry: header and deflated bytes */
	size_t zlen;
	uint64_t out_off;
	uint32_t crc;
} ithin;

typedef struct ix {
	const unsigned char *p;
	size_t len, end; /* end: where the trailer starts */
	git_odb *bases;
	store_index_opts o;
	store_index_stats *stats;
	char *why;
	size_t whylen;

	ient *ent;
	size_t n, cap;
	iref *ref;
	size_t nref, refcap;
	uint32_t *kidx, *kids; /* OFS children of entry i: kids[kidx[i]..kidx[i+1]) */
	ithin *thin;
	size_t nthin, thincap;
	uint32_t *map; /* name -> who + 1; 0: empty */
	size_t mapn, mapmask;

	z_stream z, d; /* inflating entries, deflating thin bases */
	int zinit, dinit;
	unsigned char *sink;
	size_t total; /* bytes inflated and rebuilt so far */
	size_t dups;
} ix;

static int refuse(ix *x, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static int refuse(ix *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, x->whylen, fmt, ap);
	va_end(ap);
	return STORE_EREJECT;
}

static int oom(ix *x)
{
	snprintf(x->why, x->whylen, "out of memory");
	return STORE_ENOMEM;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void hex_of(const git_oid *id, char out[STORE_OID_HEX])
{
	git_oid_tostr(out, STORE_OID_HEX, id);
}

/* Counts n more bytes inflated or rebuilt against the limit. */
static int charge(ix *x, size_t n)
{
	if (n > x->o.max_total - x->total)
		return refuse(x, "the pack inflates to more than %zu bytes in all",
		              x->o.max_total);
	x->total += n;
	return 0;
}

/* ---- names seen ------------------------------------------------------------- */

static const git_oid *who_id(const ix *x, uint32_t who)
{
	return (who & THIN) ? &x->thin[who & ~THIN].id : &x->ent[who].id;
}

static size_t map_hash(const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

/* The slot holding id, or the empty one where it would go. */
static uint32_t *map_slot(const ix *x, const git_oid *id)
{
	for (size_t i = map_hash(id) & x->mapmask;; i = (i + 1) & x->mapmask) {
		uint32_t v = x->map[i];
		if (v == 0 || git_oid_equal(who_id(x, v - 1), id))
			return &x->map[i];
	}
}

static int map_grow(ix *x)
{
	size_t cap = x->map ? (x->mapmask + 1) * 2 : 1024;
	uint32_t *old = x->map;
	size_t oldn = x->map ? x->mapmask + 1 : 0;

	x->map = calloc(cap, sizeof(*x->map));
	if (x->map == NULL) {
		x->map = old;
		return oom(x);
	}
	x->mapmask = cap - 1;
	for (size_t i = 0; i < oldn; i++)
		if (old[i] != 0)
			*map_slot(x, who_id(x, old[i] - 1)) = old[i];
	free(old);
	return 0;
}

/* Room for one more name (at most half the slots in use). */
static int map_ready(ix *x)
{
	if (x->map == NULL || (x->mapn + 1) * 2 > x->mapmask + 1)
		return map_grow(x);
	return 0;
}

/*
 * Entry i has just been named. If its name is new, it is recorded and
 * *fresh set: the deltas naming it are to be resolved now. Otherwise one
 * of the two copies is dropped: the deeper, or the later of equals.
 */
static int claim(ix *x, uint32_t i, int *fresh)
{
	ient *e = &x->ent[i];
	uint32_t *slot;
	int rc = map_ready(x);

	*fresh = 0;
	if (rc != 0)
		return rc;
	slot = map_slot(x, &e->id);
	if (*slot == 0) {
		*slot = i + 1;
		x->mapn++;
		*fresh = 1;
		return 0;
	}
	x->dups++;
	if (!((*slot - 1) & THIN) && e->depth < x->ent[*slot - 1].depth) {
		x->ent[*slot - 1].state = ST_DUP;
		*slot = i + 1;
	} else {
		e->state = ST_DUP;
	}
	return 0;
}

/* ---- inflating ------------------------------------------------------------ */

/*
 * Inflates the zlib stream at pos (within the entries) into out (NULL:
 * only counted), which must come to exactly `size` bytes; *used gets the
 * stream's length.
 */
static int zinflate(ix *x, uint64_t at, size_t pos, unsigned char *out,
                    size_t size, size_t *used)
{
	z_stream *z = &x->z;
	size_t got = 0, avail = x->end - pos;
	unsigned char spare;
	int r;

	if (inflateReset(z) != Z_OK)
		return refuse(x, "zlib failed");
	z->next_in = (Bytef *)(uintptr_t)(x->p + pos);
	z->avail_in = avail > UINT_MAX ? UINT_MAX : (uInt)avail;
	for (;;) {
		size_t room = size - got, made;
		uInt give;
		if (room == 0) {
			z->next_out = &spare;
			give = 1;
		} else if (out != NULL) {
			z->next_out = out + got;
			give = room > UINT_MAX ? UINT_MAX : (uInt)room;
		} else {
			z->next_out = x->sink;
			give = room < SINK_LEN ? (uInt)room : SINK_LEN;
		}
		z->avail_out = give;
		r = inflate(z, Z_NO_FLUSH);
		made = give - z->avail_out;
		if (room == 0 && made > 0)
			return refuse(x, "the object at offset %llu inflates to more "
			                 "than the %zu bytes its header declares",
			              (unsigned long long)at, size);
		got += made;
		if (r == Z_STREAM_END)
			break;
		if (r == Z_OK)
			continue;
		if (r == Z_MEM_ERROR)
			return oom(x);
		if (r == Z_BUF_ERROR)
			return refuse(x, "the object at offset %llu is truncated "
			                 "(its zlib stream does not end)",
			              (unsigned long long)at);
		return refuse(x, "the object at offset %llu has damaged zlib data "
		                 "(%s)",
		              (unsigned long long)at, z->msg ? z->msg : "error");
	}
	if (got != size)
		return refuse(x, "the object at offset %llu inflates to %zu bytes, "
		                 "not the %zu its header declares",
		              (unsigned long long)at, got, size);
	*used = (size_t)((const unsigned char *)z->next_in - (x->p + pos));
	return 0;
}

/* ---- 1. parsing ----------------------------------------------------------- */

static int push_ref(ix *x, const unsigned char *base, uint32_t ent)
{
	if (x->nref == x->refcap) {
		size_t ncap = x->refcap ? x->refcap * 2 : 64;
		iref *nv = realloc(x->ref, ncap * sizeof(*nv));
		if (nv == NULL)
			return oom(x);
		x->ref = nv;
		x->refcap = ncap;
	}
	git_oid_fromraw(&x->ref[x->nref].base, base);
	x->ref[x->nref].ent = ent;
	x->nref++;
	return 0;
}

/* The entry starting at `off`, or NONE. */
static uint32_t entry_at(const ix *x, uint64_t off)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->ent[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && x->ent[lo].off == off ? (uint32_t)lo : NONE;
}

static int parse_entry(ix *x, size_t *ppos)
{
	const unsigned char *p = x->p;
	size_t pos = *ppos, used;
	uint64_t size, off = pos;
	unsigned shift = 4, type;
	unsigned char c;
	ient *e;
	int rc;

	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 256;
		ient *nv = realloc(x->ent, ncap * sizeof(*nv));
		if (nv == NULL)
			return oom(x);
		x->ent = nv;
		x->cap = ncap;
	}
	e = &x->ent[x->n];
	memset(e, 0, sizeof(*e));
	e->off = off;
	c = p[pos++];
	type = (c >> 4) & 7;
	size = c & 15;
	while (c & 0x80) {
		if (pos >= x->end)
			return refuse(x, "the pack is truncated in the header of the "
			                 "object at offset %llu",
			              (unsigned long long)off);
		if (shift >= 64)
			return refuse(x, "the size of the object at offset %llu never "
			                 "ends",
			              (unsigned long long)off);
		c = p[pos++];
		if ((c & 0x7f) != 0 && shift > 32)
			return refuse(x, "the object at offset %llu is too large",
			              (unsigned long long)off);
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	e->szlen = (uint8_t)(pos - off);
	if (type == 0 || type == 5)
		return refuse(x, "the object at offset %llu has type %u, which no "
		                 "pack holds",
		              (unsigned long long)off, type);
	if (size > x->o.max_object)
		return refuse(x, "the %s at offset %llu is too large: %llu bytes, "
		                 "more than %zu",
		              type >= OBJ_OFS_DELTA ? "delta" : "object",
		              (unsigned long long)off, (unsigned long long)size,
		              x->o.max_object);
	if (type == OBJ_OFS_DELTA) {
		uint64_t back;
		uint32_t b;
		if (pos >= x->end)
			return refuse(x, "the pack is truncated in the header of the "
			                 "object at offset %llu",
			              (unsigned long long)off);
		c = p[pos++];
		back = c & 127;
		while (c & 128) {
			if (pos >= x->end)
				return refuse(x, "the pack is truncated in the header of "
				                 "the object at offset %llu",
				              (unsigned long long)off);
			if (back > off)
				break;
			c = p[pos++];
			back = ((back + 1) << 7) | (c & 127);
		}
		if (back > off)
			return refuse(x, "the delta at offset %llu names a base before "
			                 "the start of the pack",
			              (unsigned long long)off);
		if (back == 0)
			return refuse(x, "the delta at offset %llu names itself as its "
			                 "base",
			              (unsigned long long)off);
		b = entry_at(x, off - back);
		if (b == NONE)
			return refuse(x, "the delta at offset %llu names a base at "
			                 "offset %llu, where no object starts",
			              (unsigned long long)off,
			              (unsigned long long)(off - back));
		e->base = b;
		if (x->stats)
			x->stats->ofs_deltas++;
	} else if (type == OBJ_REF_DELTA) {
		if (x->end - pos < GIT_OID_RAWSZ)
			return refuse(x, "the pack is truncated in the header of the "
			                 "object at offset %llu",
			              (unsigned long long)off);
		rc = push_ref(x, p + pos, (uint32_t)x->n);
		if (rc != 0)
			return rc;
		pos += GIT_OID_RAWSZ;
		if (x->stats)
			x->stats->ref_deltas++;
	}
	e->hdrlen = (uint8_t)(pos - off);
	e->type = (uint8_t)type;
	e->size = (uint32_t)size;
	x->n++; /* from here on the entry counts (entry_at, cleanup) */
	rc = charge(x, (size_t)size);
	if (rc != 0)
		return rc;
	if (pos >= x->end)
		return refuse(x, "the pack is truncated in the object at offset "
		                 "%llu",
		              (unsigned long long)off);
	if (type >= OBJ_OFS_DELTA) {
		rc = zinflate(x, off, pos, NULL, (size_t)size, &used);
	} else {
		unsigned char *buf = malloc(size ? (size_t)size : 1);
		int fresh;
		if (buf == NULL)
			return oom(x);
		rc = zinflate(x, off, pos, buf, (size_t)size, &used);
		if (rc == 0 && git_odb_hash(&e->id, buf, (size_t)size,
		                            (git_object_t)type) != 0)
			rc = refuse(x, "cannot name the object at offset %llu",
			            (unsigned long long)off);
		free(buf);
		if (rc == 0) {
			e->otype = (uint8_t)type;
			e->state = ST_DONE;
			rc = claim(x, (uint32_t)(x->n - 1), &fresh);
		}
	}
	if (rc != 0)
		return rc;
	*ppos = pos + used;
	return 0;
}

static int parse(ix *x)
{
	unsigned char sum[STORE_SHA1_LEN];
	store_sha1 sha;
	uint32_t version, count;
	size_t pos = 12;
	int rc;

	if (x->len < 12 + STORE_SHA1_LEN)
		return refuse(x, "%zu bytes are too few for a pack", x->len);
	if (memcmp(x->p, "PACK", 4) != 0)
		return refuse(x, "not a pack (no PACK signature)");
	version = be32(x->p + 4);
	if (version != 2 && version != 3)
		return refuse(x, "pack version %u is not supported", version);
	count = be32(x->p + 8);
	if (count > x->o.max_objects)
		return refuse(x, "the pack holds %u objects, more than %zu", count,
		              x->o.max_objects);
	x->end = x->len - STORE_SHA1_LEN;
	store_sha1_init(&sha);
	store_sha1_update(&sha, x->p, x->end);
	store_sha1_final(&sha, sum);
	if (memcmp(sum, x->p + x->end, STORE_SHA1_LEN) != 0)
		return refuse(x, "the pack's checksum does not match its content "
		                 "(damaged or truncated)");
	for (uint32_t i = 0; i < count; i++) {
		if (pos >= x->end)
			return refuse(x, "the pack is truncated: it declares %u "
			                 "objects but holds %u",
			              count, i);
		rc = parse_entry(x, &pos);
		if (rc != 0)
			return rc;
	}
	if (pos != x->end)
		return refuse(x, "%zu bytes of junk follow the pack's last object",
		              x->end - pos);
	return 0;
}

/* ---- 2. resolving ------------------------------------------------------------ */

static int dvarint(const unsigned char **p, const unsigned char *end,
                   uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char b;

	do {
		if (*p >= end || shift > 63)
			return -1;
		b = *(*p)++;
		if (shift > 56 && (b & 0x7f) >> (64 - shift))
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*out = v;
	return 0;
}

static int visit(ix *x, const unsigned char *data, size_t len, int type,
                 unsigned depth, uint32_t self, const git_oid *fresh_id);

/* Entry i, a delta, against its base's bytes. */
static int resolve(ix *x, uint32_t i, const unsigned char *bdata, size_t blen,
                   int btype, unsigned depth)
{
	ient *e = &x->ent[i];
	unsigned char *delta, *obj = NULL;
	const unsigned char *dp;
	size_t objlen, used;
	uint64_t ssz, tsz;
	git_oid id;
	int rc, fresh;

	if (e->state != ST_PENDING)
		return 0;
	if (depth > x->o.max_depth)
		return refuse(x, "a chain of deltas is deeper than %u (at the "
		                 "delta at offset %llu)",
		              x->o.max_depth, (unsigned long long)e->off);
	delta = malloc(e->size ? e->size : 1);
	if (delta == NULL)
		return oom(x);
	rc = zinflate(x, e->off, (size_t)e->off + e->hdrlen, delta, e->size,
	              &used);
	if (rc != 0)
		goto out;
	dp = delta;
	if (dvarint(&dp, delta + e->size, &ssz) != 0 ||
	    dvarint(&dp, delta + e->size, &tsz) != 0) {
		rc = refuse(x, "the delta at offset %llu has a truncated header",
		            (unsigned long long)e->off);
		goto out;
	}
	if (ssz != blen) {
		rc = refuse(x, "the delta at offset %llu is for a base of %llu "
		               "bytes, but its base has %zu",
		            (unsigned long long)e->off, (unsigned long long)ssz,
		            blen);
		goto out;
	}
	if (tsz > x->o.max_object) {
		rc = refuse(x, "the delta at offset %llu makes an object too "
		               "large: %llu bytes, more than %zu",
		            (unsigned long long)e->off, (unsigned long long)tsz,
		            x->o.max_object);
		goto out;
	}
	rc = charge(x, (size_t)tsz);
	if (rc != 0)
		goto out;
	rc = store_delta_apply(bdata, blen, delta, e->size, (size_t)tsz, &obj,
	                       &objlen);
	if (rc == STORE_ENOMEM) {
		rc = oom(x);
		goto out;
	}
	if (rc != 0) {
		rc = refuse(x, "the delta at offset %llu is malformed or does not "
		               "fit its base",
		            (unsigned long long)e->off);
		goto out;
	}
	free(delta);
	delta = NULL;
	if (git_odb_hash(&id, obj, objlen, (git_object_t)btype) != 0) {
		rc = refuse(x, "cannot name the object at offset %llu",
		            (unsigned long long)e->off);
		goto out;
	}
	e->id = id;
	e->otype = (uint8_t)btype;
	e->depth = (uint8_t)depth;
	e->state = ST_DONE;
	rc = claim(x, i, &fresh);
	if (rc == 0)
		rc = visit(x, obj, objlen, btype, depth, i, fresh ? &id : NULL);
out:
	free(delta);
	free(obj);
	return rc;
}

/* The first delta naming base id, in x->ref (sorted). */
static size_t ref_lower(const ix *x, const git_oid *id)
{
	size_t lo = 0, hi = x->nref;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (git_oid_cmp(&x->ref[mid].base, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * An object has been made (entry `self`, or NONE for a thin base): its
 * bytes resolve the deltas naming its offset and, when its name is new
 * (fresh_id), those naming its name.
 */
static int visit(ix *x, const unsigned char *data, size_t len, int type,
                 unsigned depth, uint32_t self, const git_oid *fresh_id)
{
	int rc;

	if (self != NONE)
		for (uint32_t k = x->kidx[self]; k < x->kidx[self + 1]; k++) {
			rc = resolve(x, x->kids[k], data, len, type, depth + 1);
			if (rc != 0)
				return rc;
		}
	if (fresh_id != NULL)
		for (size_t j = ref_lower(x, fresh_id);
		     j < x->nref && git_oid_equal(&x->ref[j].base, fresh_id); j++) {
			rc = resolve(x, x->ref[j].ent, data, len, type, depth + 1);
			if (rc != 0)
				return rc;
		}
	return 0;
}

static int ref_cmp(const void *a_, const void *b_)
{
	const iref *a = a_, *b = b_;
	int c = git_oid_cmp(&a->base, &b->base);

	return c ? c : (a->ent > b->ent) - (a->ent < b->ent);
}

static int has_ref_kids(const ix *x, const git_oid *id)
{
	size_t j = ref_lower(x, id);

	return j < x->nref && git_oid_equal(&x->ref[j].base, id);
}

/* Deflates a thin base into an entry of its own. */
static int thin_entry(ix *x, ithin *t, const void *data)
{
	unsigned char hdr[16];
	size_t n = 0, sz = t->size;
	unsigned char c = (unsigned char)((t->type << 4) | (sz & 15));
	uLong bound;
	int zr;

	for (sz >>= 4; sz; sz >>= 7) {
		hdr[n++] = c | 0x80;
		c = sz & 0x7f;
	}
	hdr[n++] = c;
	if (!x->dinit) {
		if (deflateInit(&x->d, THIN_LEVEL) != Z_OK)
			return oom(x);
		x->dinit = 1;
	} else if (deflateReset(&x->d) != Z_OK) {
		return refuse(x, "cannot compress a base");
	}
	bound = deflateBound(&x->d, (uLong)t->size);
	t->z = malloc(n + bound);
	if (t->z == NULL)
		return oom(x);
	memcpy(t->z, hdr, n);
	x->d.next_in = (Bytef *)(uintptr_t)data;
	x->d.avail_in = (uInt)t->size;
	x->d.next_out = t->z + n;
	x->d.avail_out = (uInt)bound;
	zr = deflate(&x->d, Z_FINISH);
	t->zlen = n + (bound - x->d.avail_out);
	if (zr != Z_STREAM_END)
		return refuse(x, "cannot compress a base");
	return 0;
}

/* Reads base `id` from the store, appends it, resolves what names it. */
static int fetch_base(ix *x, const git_oid *id)
{
	git_odb_object *o = NULL;
	git_oid check;
	ithin *t;
	char hex[STORE_OID_HEX];
	uint32_t *slot;
	int type, rc;
	size_t size;

	hex_of(id, hex);
	if (git_odb_read(&o, x->bases, id) != 0) {
		const git_error *err = git_error_last();
		snprintf(x->why, x->whylen, "cannot read base %s from the store: %s",
		         hex, err && err->message ? err->message : "failed");
		return STORE_ECORRUPT;
	}
	type = (int)git_odb_object_type(o);
	size = git_odb_object_size(o);
	if (type < OBJ_COMMIT || type > OBJ_TAG || size > x->o.max_object ||
	    git_odb_hash(&check, git_odb_object_data(o), size,
	                 (git_object_t)type) != 0 ||
	    !git_oid_equal(&check, id)) {
		git_odb_object_free(o);
		snprintf(x->why, x->whylen,
		         "object %s in the store is corrupt or too large", hex);
		return STORE_ECORRUPT;
	}
	rc = charge(x, size);
	if (rc == 0)
		rc = map_ready(x);
	if (rc == 0 && x->nthin == x->thincap) {
		size_t ncap = x->thincap ? x->thincap * 2 : 64;
		ithin *nv = realloc(x->thin, ncap * sizeof(*nv));
		if (nv == NULL)
			rc = oom(x);
		else {
			x->thin = nv;
			x->thincap = ncap;
		}
	}
	if (rc != 0) {
		git_odb_object_free(o);
		return rc;
	}
	t = &x->thin[x->nthin];
	memset(t, 0, sizeof(*t));
	t->id = *id;
	t->type = type;
	t->size = size;
	x->nthin++;
	rc = thin_entry(x, t, git_odb_object_data(o));
	if (rc == 0) {
		slot = map_slot(x, id);
		*slot = (uint32_t)((x->nthin - 1) | THIN) + 1;
		x->mapn++;
		rc = visit(x, git_odb_object_data(o), size, type, 0, NONE, id);
	}
	git_odb_object_free(o);
	return rc;
}

/* Reads from the store each base named but not made by the pack. */
static int thin_pass(ix *x)
{
	for (size_t j = 0; j < x->nref; j++) {
		const git_oid *id = &x->ref[j].base;
		int rc;
		if (j > 0 && git_oid_equal(id, &x->ref[j - 1].base))
			continue;
		rc = map_ready(x);
		if (rc != 0)
			return rc;
		if (*map_slot(x, id) != 0)
			continue; /* in the pack, or made by it meanwhile */
		if (git_odb_exists_ext(x->bases, id, GIT_ODB_LOOKUP_NO_REFRESH) != 1)
			continue;
		rc = fetch_base(x, id);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int pending(const ix *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->ent[i].state == ST_PENDING)
			return 1;
	return 0;
}

static int resolve_all(ix *x)
{
	size_t nofs = 0;
	int rc;

	/* the OFS children of each entry */
	x->kidx = calloc(x->n + 1, sizeof(*x->kidx));
	if (x->kidx == NULL)
		return oom(x);
	for (size_t i = 0; i < x->n; i++)
		if (x->ent[i].type == OBJ_OFS_DELTA) {
			x->kidx[x->ent[i].base + 1]++;
			nofs++;
		}
	for (size_t i = 0; i < x->n; i++)
		x->kidx[i + 1] += x->kidx[i];
	x->kids = malloc((nofs ? nofs : 1) * sizeof(*x->kids));
	if (x->kids == NULL)
		return oom(x);
	{
		uint32_t *fill = malloc((x->n + 1) * sizeof(*fill));
		if (fill == NULL)
			return oom(x);
		memcpy(fill, x->kidx, (x->n + 1) * sizeof(*fill));
		for (size_t i = 0; i < x->n; i++)
			if (x->ent[i].type == OBJ_OFS_DELTA)
				x->kids[fill[x->ent[i].base]++] = (uint32_t)i;
		free(fill);
	}
	if (x->nref > 1)
		qsort(x->ref, x->nref, sizeof(*x->ref), ref_cmp);

	/* from each whole object in the pack */
	for (size_t i = 0; i < x->n; i++) {
		ient *e = &x->ent[i];
		int byname;
		unsigned char *buf;
		size_t used;
		if (e->type >= OBJ_OFS_DELTA)
			continue;
		byname = e->state == ST_DONE && has_ref_kids(x, &e->id);
		if (!byname && x->kidx[i] == x->kidx[i + 1])
			continue;
		buf = malloc(e->size ? e->size : 1);
		if (buf == NULL)
			return oom(x);
		rc = zinflate(x, e->off, (size_t)e->off + e->hdrlen, buf, e->size,
		              &used);
		if (rc == 0)
			rc = visit(x, buf, e->size, e->type, 0, (uint32_t)i,
			           byname ? &e->id : NULL);
		free(buf);
		if (rc != 0)
			return rc;
	}

	/* a thin pack: the bases still wanted, from the store; once more
	 * after a refresh if some are still missing (the store may have
	 * packed its loose objects meanwhile) */
	if (x->bases != NULL) {
		rc = thin_pass(x);
		if (rc == 0 && pending(x)) {
			git_odb_refresh(x->bases);
			rc = thin_pass(x);
		}
		if (rc != 0)
			return rc;
	}

	for (size_t i = 0; i < x->n; i++) {
		const ient *e = &x->ent[i];
		char hex[STORE_OID_HEX];
		if (e->state != ST_PENDING)
			continue;
		/* the first unresolved entry is a REF_DELTA: an OFS_DELTA's
		 * base comes before it */
		for (size_t j = 0; j < x->nref; j++)
			if (x->ref[j].ent == i) {
				hex_of(&x->ref[j].base, hex);
				return refuse(x, "the delta at offset %llu needs base %s, "
				                 "which is neither in the pack nor in this "
				                 "store (or its deltas form a cycle)",
				              (unsigned long long)e->off, hex);
			}
		return refuse(x, "the delta at offset %llu cannot be resolved",
		              (unsigned long long)e->off);
	}
	return 0;
}

/* ---- 3. writing ------------------------------------------------------------- */

typedef struct wfile {
	int fd;
	unsigned char buf[1 << 16];
	size_t n;
	uint64_t pos;
	store_sha1 sha;
	int hash;
	uLong crc;
	int err;
} wfile;

static void wf_flush(wfile *w, const unsigned char *d, size_t len)
{
	while (len > 0 && !w->err) {
		ssize_t r = write(w->fd, d, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->err = r < 0 ? errno : EIO;
			return;
		}
		d += r;
		len -= (size_t)r;
	}
}

static void wf_put(wfile *w, const void *d, size_t len)
{
	if (w->hash)
		store_sha1_update(&w->sha, d, len);
	w->crc = crc32_z(w->crc, d, len);
	w->pos += len;
	if (len > sizeof(w->buf) - w->n) {
		wf_flush(w, w->buf, w->n);
		w->n = 0;
		if (len >= sizeof(w->buf)) {
			wf_flush(w, d, len);
			return;
		}
	}
	memcpy(w->buf + w->n, d, len);
	w->n += len;
}

/* Syncs (if asked), closes, and renames tmp to dir/pack-<name><ext>. */
static int wf_finish(ix *x, wfile *w, const char *tmp, const char *dir,
                     const char *name, const char *ext)
{
	char path[4096];

	wf_flush(w, w->buf, w->n);
	w->n = 0;
	if (!w->err && fchmod(w->fd, 0444) != 0)
		w->err = errno;
	if (!w->err && x->o.fsync && fsync(w->fd) != 0)
		w->err = errno;
	if (close(w->fd) != 0 && !w->err)
		w->err = errno;
	w->fd = -1;
	if (!w->err &&
	    snprintf(path, sizeof(path), "%s/pack-%s%s", dir, name, ext) >=
	            (int)sizeof(path))
		w->err = ENAMETOOLONG;
	if (!w->err && rename(tmp, path) != 0)
		w->err = errno;
	if (w->err) {
		unlink(tmp);
		snprintf(x->why, x->whylen, "cannot write the pack: %s",
		         strerror(w->err));
		return STORE_EIO;
	}
	return 0;
}

static int wf_open(ix *x, wfile *w, char *tmp, size_t tmplen,
                   const char *dir, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (snprintf(tmp, tmplen, "%s/tmp_%s_XXXXXX", dir, what) >= (int)tmplen) {
		snprintf(x->why, x->whylen, "the pack directory's name is too long");
		return STORE_EIO;
	}
	w->fd = mkstemp(tmp);
	if (w->fd < 0) {
		snprintf(x->why, x->whylen, "cannot write the pack: %s",
		         strerror(errno));
		return STORE_EIO;
	}
	return 0;
}

/* The header of a REF_DELTA entry of `size` bytes naming base. */
static size_t ref_header(unsigned char *hdr, size_t size, const git_oid *base)
{
	size_t n = 0;
	unsigned char c = (unsigned char)((OBJ_REF_DELTA << 4) | (size & 15));

	for (size >>= 4; size; size >>= 7) {
		hdr[n++] = c | 0x80;
		c = size & 0x7f;
	}
	hdr[n++] = c;
	memcpy(hdr + n, base->id, GIT_OID_RAWSZ);
	return n + GIT_OID_RAWSZ;
}

static size_t ofs_encode(unsigned char *out, uint64_t back)
{
	unsigned char tmp[16];
	size_t pos = sizeof(tmp) - 1;

	tmp[pos] = back & 127;
	while (back >>= 7)
		tmp[--pos] = 128 | (--back & 127);
	memcpy(out, tmp + pos, sizeof(tmp) - pos);
	return sizeof(tmp) - pos;
}

static int write_pack(ix *x, const char *dir, unsigned char sum[20],
                      uint64_t *packlen)
{
	char tmp[4096], name[STORE_OID_HEX];
	size_t count = x->n - x->dups + x->nthin;
	/* a version 3 pack (the same format) is written as version 2:
	 * libgit2 1.5.1 reads no other */
	int same = x->dups == 0 && x->nthin == 0 && be32(x->p + 4) == 2, rc;
	wfile *w = malloc(sizeof(*w));

	if (w == NULL)
		return oom(x);
	rc = wf_open(x, w, tmp, sizeof(tmp), dir, "pack");
	if (rc != 0) {
		free(w);
		return rc;
	}
	if (same) {
		/* as it came: only the CRCs to take */
		for (size_t i = 0; i < x->n; i++) {
			uint64_t next = i + 1 < x->n ? x->ent[i + 1].off : x->end;
			x->ent[i].out_off = x->ent[i].off;
			x->ent[i].crc = (uint32_t)crc32_z(0, x->p + x->ent[i].off,
			                                  (size_t)(next - x->ent[i].off));
		}
		wf_put(w, x->p, x->len);
		memcpy(sum, x->p + x->end, STORE_SHA1_LEN);
	} else {
		unsigned char hdr[12];
		memcpy(hdr, "PACK", 4);
		put_be32(hdr + 4, 2);
		put_be32(hdr + 8, (uint32_t)count);
		w->hash = 1;
		store_sha1_init(&w->sha);
		wf_put(w, hdr, 12);
		for (size_t i = 0; i < x->n; i++) {
			ient *e = &x->ent[i];
			uint64_t next = i + 1 < x->n ? x->ent[i + 1].off : x->end;
			const unsigned char *data = x->p + e->off + e->hdrlen;
			size_t dlen = (size_t)(next - e->off - e->hdrlen);
			unsigned char h[64];
			if (e->state == ST_DUP)
				continue;
			e->out_off = w->pos;
			w->crc = 0;
			if (e->type == OBJ_OFS_DELTA &&
			    x->ent[e->base].state == ST_DUP) {
				/* its base was dropped: name the copy kept */
				wf_put(w, h, ref_header(h, e->size, &x->ent[e->base].id));
			} else if (e->type == OBJ_OFS_DELTA) {
				memcpy(h, x->p + e->off, e->szlen);
				wf_put(w, h, e->szlen +
				                     ofs_encode(h + e->szlen,
				                                e->out_off -
				                                        x->ent[e->base].out_off));
			} else {
				wf_put(w, x->p + e->off, e->hdrlen);
			}
			wf_put(w, data, dlen);
			e->crc = (uint32_t)w->crc;
		}
		for (size_t k = 0; k < x->nthin; k++) {
			x->thin[k].out_off = w->pos;
			w->crc = 0;
			wf_put(w, x->thin[k].z, x->thin[k].zlen);
			x->thin[k].crc = (uint32_t)w->crc;
		}
		store_sha1_final(&w->sha, sum);
		w->hash = 0;
		wf_put(w, sum, STORE_SHA1_LEN);
	}
	*packlen = w->pos;
	for (size_t i = 0; i < STORE_SHA1_LEN; i++)
		sprintf(name + 2 * i, "%02x", sum[i]);
	rc = wf_finish(x, w, tmp, dir, name, ".pack");
	free(w);
	return rc;
}

typedef struct irow {
	git_oid id;
	uint32_t crc;
	uint64_t off;
} irow;

static int row_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const irow *)a)->id, &((const irow *)b)->id);
}

static int write_idx(ix *x, const char *dir, const unsigned char sum[20])
{
	size_t count = x->n - x->dups + x->nthin, k = 0, nlarge = 0;
	irow *rows = malloc((count ? count : 1) * sizeof(*rows));
	uint32_t fan[256] = { 0 };
	unsigned char b[8], idxsum[STORE_SHA1_LEN];
	char tmp[4096], name[STORE_OID_HEX];
	wfile *w;
	int rc;

	if (rows == NULL)
		return oom(x);
	for (size_t i = 0; i < x->n; i++)
		if (x->ent[i].state == ST_DONE)
			rows[k++] = (irow){ x->ent[i].id, x->ent[i].crc,
				            x->ent[i].out_off };
	for (size_t t = 0; t < x->nthin; t++)
		rows[k++] = (irow){ x->thin[t].id, x->thin[t].crc,
			            x->thin[t].out_off };
	if (k != count) {
		free(rows);
		return refuse(x, "internal error: %zu objects to index, not %zu", k,
		              count);
	}
	qsort(rows, count, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && git_oid_equal(&rows[i].id, &rows[i - 1].id)) {
			free(rows);
			return refuse(x, "internal error: an object indexed twice");
		}
		fan[rows[i].id.id[0]]++;
	}
	w = malloc(sizeof(*w));
	if (w == NULL) {
		free(rows);
		return oom(x);
	}
	rc = wf_open(x, w, tmp, sizeof(tmp), dir, "idx");
	if (rc != 0) {
		free(w);
		free(rows);
		return rc;
	}
	w->hash = 1;
	store_sha1_init(&w->sha);
	wf_put(w, "\377tOc\0\0\0\2", 8);
	for (unsigned i = 0, run = 0; i < 256; i++) {
		run += fan[i];
		put_be32(b, run);
		wf_put(w, b, 4);
	}
	for (size_t i = 0; i < count; i++)
		wf_put(w, rows[i].id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < count; i++) {
		put_be32(b, rows[i].crc);
		wf_put(w, b, 4);
	}
	for (size_t i = 0; i < count; i++) {
		if (rows[i].off >= x->o.large_offset_min)
			put_be32(b, 0x80000000u | (uint32_t)nlarge++);
		else
			put_be32(b, (uint32_t)rows[i].off);
		wf_put(w, b, 4);
	}
	for (size_t i = 0; i < count; i++)
		if (rows[i].off >= x->o.large_offset_min) {
			put_be32(b, (uint32_t)(rows[i].off >> 32));
			put_be32(b + 4, (uint32_t)rows[i].off);
			wf_put(w, b, 8);
		}
	wf_put(w, sum, STORE_SHA1_LEN);
	store_sha1_final(&w->sha, idxsum);
	w->hash = 0;
	wf_put(w, idxsum, STORE_SHA1_LEN);
	for (size_t i = 0; i < STORE_SHA1_LEN; i++)
		sprintf(name + 2 * i, "%02x", sum[i]);
	rc = wf_finish(x, w, tmp, dir, name, ".idx");
	free(w);
	free(rows);
	return rc;
}

/* ---- the whole ---------------------------------------------------------------- */

void store_index_opts_init(store_index_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_objects = 1000000;
	o->max_object = (size_t)64 << 20;
	o->max_total = (size_t)1 << 30;
	o->max_depth = 64;
	o->large_offset_min = (uint64_t)1 << 31;
}

int store_index_pack(git_odb *bases, const void *pack, size_t len,
                     const char *dir, const store_index_opts *o,
                     store_index_stats *stats, char *why, size_t whylen)
{
	ix x;
	unsigned char sum[STORE_SHA1_LEN];
	uint64_t packlen = 0;
	char dummy[8];
	int rc;

	memset(&x, 0, sizeof(x));
	if (o != NULL)
		x.o = *o;
	else
		store_index_opts_init(&x.o);
	/* what the entries can hold */
	if (x.o.max_objects > MAX_OBJECTS_CAP)
		x.o.max_objects = MAX_OBJECTS_CAP;
	if (x.o.max_object > UINT32_MAX)
		x.o.max_object = UINT32_MAX;
	if (x.o.max_depth > 250)
		x.o.max_depth = 250;
	if (x.o.large_offset_min > ((uint64_t)1 << 31))
		x.o.large_offset_min = (uint64_t)1 << 31;
	x.p = pack;
	x.len = len;
	x.bases = bases;
	x.why = why && whylen ? why : dummy;
	x.whylen = why && whylen ? whylen : sizeof(dummy);
	x.why[0] = '\0';
	x.stats = stats;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (pack == NULL && len > 0)
		return refuse(&x, "no pack");

	x.sink = malloc(SINK_LEN);
	if (x.sink == NULL || inflateInit(&x.z) != Z_OK) {
		free(x.sink);
		return oom(&x);
	}
	x.zinit = 1;
	rc = parse(&x);
	if (rc == 0 && x.n > 0)
		rc = resolve_all(&x);
	if (rc == 0 && x.n > 0)
		rc = write_pack(&x, dir, sum, &packlen);
	if (rc == 0 && x.n > 0) {
		rc = write_idx(&x, dir, sum);
		if (rc != 0) { /* no pack without its index */
			char path[4096], name[STORE_OID_HEX];
			for (size_t i = 0; i < STORE_SHA1_LEN; i++)
				sprintf(name + 2 * i, "%02x", sum[i]);
			snprintf(path, sizeof(path), "%s/pack-%s.pack", dir, name);
			unlink(path);
		}
	}
	if (rc == 0 && x.n > 0 && stats) {
		stats->objects = x.n - x.dups + x.nthin;
		stats->appended = x.nthin;
		stats->duplicates = x.dups;
		stats->bytes = packlen;
		for (size_t i = 0; i < STORE_SHA1_LEN; i++)
			sprintf(stats->name + 2 * i, "%02x", sum[i]);
	}
	if (rc != 0 && stats) {
		memset(stats, 0, sizeof(*stats));
	}
	if (x.zinit)
		inflateEnd(&x.z);
	if (x.dinit)
		deflateEnd(&x.d);
	free(x.sink);
	for (size_t k = 0; k < x.nthin; k++)
		free(x.thin[k].z);
	free(x.thin);
	free(x.ent);
	free(x.ref);
	free(x.kidx);
	free(x.kids);
	free(x.map);
	return rc;
}
